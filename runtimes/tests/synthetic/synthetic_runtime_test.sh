#!/usr/bin/env bash
# Checks a runtime repository made from synthetic .debs.
# Usage: synthetic_runtime_test.sh TOOL MANIFEST GOLDEN [CHECK...]
#   CHECK: absent:PATH | present:PATH
#          | same:LINK=FILE (LINK, a symlink in the .deb, leads to FILE)
# The tree is unpacked here by glibc_runtime's own derivation
# (derive_args.txt beside the manifest).
set -euo pipefail
tool=$1 manifest=$2 golden=$3
shift 3
fail() { echo "FAIL: $*" >&2; exit 1; }
root="${TEST_TMPDIR}/root"
mapfile -t derive <"$(dirname "${manifest}")/derive_args.txt"
"${tool}" runtime derive "${derive[@]}" --manifest "${TEST_TMPDIR}/manifest.json" --root "${root}" \
  || fail "cannot unpack the runtime"

# The manifest equals the golden one, but for the .debs' sha256s, which
# depend on the machine's compressors.
sed -E 's/"sha256": "[0-9a-f]{64}"/"sha256": "<sha256>"/' "${manifest}" >"${TEST_TMPDIR}/actual.json"
diff -u "${golden}" "${TEST_TMPDIR}/actual.json" || fail "manifest differs from ${golden}"
grep -qE '"sha256": "[0-9a-f]{64}"' "${manifest}" || fail "no sha256 recorded"

for check in "$@"; do
  path=${check#*:}
  case "${check}" in
    absent:*) [[ ! -e "${root}/${path}" && ! -L "${root}/${path}" ]] || fail "${path} should be stripped" ;;
    present:*) [[ -e "${root}/${path}" ]] || fail "${path} is missing" ;;
    same:*)
      # One link, resolved inside the tree (an absolute target starts at the root).
      link="${root}/${path%%=*}"
      [[ -L "${link}" ]] || fail "${path%%=*} is not a symlink"
      target=$(readlink "${link}")
      if [[ ${target} == /* ]]; then target="${root}${target}"; else target="$(dirname "${link}")/${target}"; fi
      [[ -f "${target}" ]] || fail "${path%%=*} does not lead to a file"
      cmp -s "${target}" "${root}/${path#*=}" || fail "${path%%=*} does not lead to ${path#*=}" ;;
    *) fail "unknown check ${check}" ;;
  esac
done
echo PASS
