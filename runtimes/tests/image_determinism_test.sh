#!/usr/bin/env bash
# The image is the same bytes whatever the thread count, time zone, umask,
# locale and working directory: repack its spec here with other settings and
# compare with the image Bazel built.
# Usage: image_determinism_test.sh TOOL IMAGE SPEC
set -euo pipefail
tool="${PWD}/$1" image="${PWD}/$2" spec="${PWD}/$3"
fail() { echo "FAIL: $*" >&2; exit 1; }

# The spec's paths are relative to the execroot: give them one here, with
# external/ pointing at the runfiles' external repositories.
runfiles=$(cd .. && pwd)
work="${TEST_TMPDIR}/elsewhere"
mkdir -p "${work}"
# Generated inputs (bazel-out/<config>/bin/...) map the same way.
for dir in "" $(grep -o '"bazel-out/[^/"]*/bin/' "${spec}" | tr -d '"' | sort -u); do
  mkdir -p "${work}/${dir}"
  ln -s "${runfiles}" "${work}/${dir}external"
  for top in "${runfiles}/_main"/*; do ln -s "${top}" "${work}/${dir}$(basename "${top}")"; done
done

want=$(sha256sum "${image}" | cut -d' ' -f1)
for settings in "1 UTC 022 C" "3 Asia/Kolkata 077 de_DE.UTF-8" "8 America/Santiago 000 C.UTF-8"; do
  read -r threads tz mask locale <<<"${settings}"
  (
    cd "${work}"
    umask "${mask}"
    TZ=${tz} LC_ALL=${locale} "${tool}" squashfs-pack --spec "${spec}" --out "again.squashfs" --threads "${threads}"
  )
  got=$(sha256sum "${work}/again.squashfs" | cut -d' ' -f1)
  [[ "${got}" == "${want}" ]] || fail "threads=${threads} TZ=${tz} umask=${mask} LC_ALL=${locale}: ${got} != ${want}"
  echo "same sha256 with threads=${threads} TZ=${tz} umask=${mask} LC_ALL=${locale}"
done
echo "PASS: ${want}"
