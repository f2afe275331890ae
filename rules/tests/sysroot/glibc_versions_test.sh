#!/usr/bin/env bash
# Every binary we ship runs on glibc MAX and later: `objdump -T` lists no
# symbol of a newer GLIBC_ version. A binary marked static: must be linked
# statically (it has no dynamic section, so no glibc to need); any other
# must be dynamically linked (a static one would pass by having no symbols).
# Usage: glibc_versions_test.sh MAX [static:]BINARY...
set -euo pipefail
max=$1
shift
fail() { echo "FAIL: $*" >&2; exit 1; }
newer() { [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n1)" != "$2" ]]; }

for arg in "$@"; do
  binary=${arg#static:}
  if [[ "${arg}" == static:* ]]; then
    if readelf -lW "${binary}" | grep -q 'Requesting program interpreter'; then
      fail "${binary} is dynamically linked; it must be static"
    fi
    echo "${binary}: static"
    continue
  fi
  readelf -lW "${binary}" | grep -q 'Requesting program interpreter' \
    || fail "${binary} is not dynamically linked, so objdump -T cannot show the glibc it needs"
  objdump=objdump
  if readelf -h "${binary}" | grep -q 'Machine: *AArch64'; then objdump=aarch64-linux-gnu-objdump; fi
  versions=$("${objdump}" -T "${binary}" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV)
  [[ -n "${versions}" ]] || fail "${binary}: no GLIBC_ symbol versions at all"
  highest=$(tail -n1 <<<"${versions}")
  echo "${binary}: needs glibc ${highest}"
  if newer "${highest}" "${max}"; then
    "${objdump}" -T "${binary}" | grep "GLIBC_${highest}" >&2
    fail "${binary} needs glibc ${highest}, newer than ${max}"
  fi
done
echo "PASS: $# binaries run on glibc ${max} and later"
