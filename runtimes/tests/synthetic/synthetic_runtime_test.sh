#!/usr/bin/env bash
# Checks a runtime repository made from synthetic .debs.
# Usage: synthetic_runtime_test.sh MANIFEST GOLDEN [CHECK...]
#   CHECK: absent:PATH | present:PATH
#          | same:LINK=FILE (LINK, a symlink in the .deb, leads to FILE)
# Runfiles are themselves links, so link text is not checked here: the
# unpacked tree is for inspection (image rules read the .debs verbatim).
set -euo pipefail
manifest=$1 golden=$2
shift 2
root="$(dirname "${manifest}")/root"
fail() { echo "FAIL: $*" >&2; exit 1; }

# The manifest equals the golden one, but for the .debs' sha256s, which
# depend on the machine's compressors.
sed -E 's/"sha256": "[0-9a-f]{64}"/"sha256": "<sha256>"/' "${manifest}" >actual.json
diff -u "${golden}" actual.json || fail "manifest differs from ${golden}"
grep -qE '"sha256": "[0-9a-f]{64}"' "${manifest}" || fail "no sha256 recorded"

for check in "$@"; do
  path=${check#*:}
  case "${check}" in
    absent:*) [[ ! -e "${root}/${path}" && ! -L "${root}/${path}" ]] || fail "${path} should be stripped" ;;
    present:*) [[ -e "${root}/${path}" ]] || fail "${path} is missing" ;;
    same:*)
      [[ -f "${root}/${path%%=*}" ]] || fail "${path%%=*} does not lead to a file"
      cmp -s "${root}/${path%%=*}" "${root}/${path#*=}" || fail "${path%%=*} does not lead to ${path#*=}" ;;
    *) fail "unknown check ${check}" ;;
  esac
done
echo PASS
