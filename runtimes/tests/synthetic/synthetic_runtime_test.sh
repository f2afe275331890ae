#!/usr/bin/env bash
# Checks a runtime repository made from synthetic .debs.
# Usage: synthetic_runtime_test.sh TOOL MANIFEST GOLDEN [CHECK...]
#   GOLDEN: the expected runtime_manifest.json; GOLDEN's .packages.json
#           sibling, the expected runtime_packages.json (sha256s masked)
#   CHECK: absent:PATH | present:PATH
#          | same:LINK=FILE (LINK, a symlink in the .deb, leads to FILE)
# The tree is unpacked here by glibc_runtime's own derivation
# (derive_args.txt beside the manifest).
set -euo pipefail
tool=$1 manifest=$2 golden=$3
shift 3
fail() { echo "FAIL: $*" >&2; exit 1; }
packages="$(dirname "${manifest}")/runtime_packages.json"
# The runtime as an image holds it: the manifest beside its root/.
runtime="${TEST_TMPDIR}/runtime"
root="${runtime}/root"
mkdir -p "${runtime}"
mapfile -t derive <"$(dirname "${manifest}")/derive_args.txt"
"${tool}" runtime derive "${derive[@]}" --manifest "${runtime}/runtime_manifest.json" --root "${root}" \
  || fail "cannot unpack the runtime"
cmp -s "${manifest}" "${runtime}/runtime_manifest.json" || fail "unpacking again gives another manifest"
"${tool}" check manifest "${runtime}/runtime_manifest.json" --tree --packages "${packages}" \
  || fail "the manifest does not hold against its tree and packages"

diff -u "${golden}" "${manifest}" || fail "manifest differs from ${golden}"
# The packages equal the golden ones, but for the .debs' sha256s, which
# depend on the machine's compressors.
sed -E 's/"sha256": "[0-9a-f]{64}"/"sha256": "<sha256>"/' "${packages}" >"${TEST_TMPDIR}/packages.json"
diff -u "${golden%.json}.packages.json" "${TEST_TMPDIR}/packages.json" || fail "packages differ"
grep -qE '"sha256": "[0-9a-f]{64}"' "${packages}" || fail "no sha256 recorded"

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
