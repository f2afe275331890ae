#!/usr/bin/env bash
# A standalone binary extracts its own payload at start: the image's bytes,
# once; later starts trust it; 16 concurrent starts extract once; a start
# killed mid-way is followed by a good one. The plain binary reports none.
set -euo pipefail
standalone="${PWD}/$1" plain="${PWD}/$2" image="${PWD}/$3"
cd "${TEST_TMPDIR}"
fail() { echo "FAIL: $*" >&2; exit 1; }
want=$(sha256sum "${image}" | cut -d' ' -f1)

[[ "$("${plain}" root)" == none ]] || fail "a binary without payloads did not say none"
"${standalone}" root >first.txt
[[ "$(cat first.txt)" == "runtimes	root/embedded/runtimes-${want}	Extracted" ]] || fail "first start: $(cat first.txt)"
[[ "$(sha256sum "root/embedded/runtimes-${want}" | cut -d' ' -f1)" == "${want}" ]] || fail "extracted bytes"
[[ "$("${standalone}" root | cut -f3)" == Cached ]] || fail "the second start did not trust the file"

for i in $(seq 16); do "${standalone}" many >"many.${i}" 2>&1 & done
wait
[[ "$(cut -f3 many.* | grep -c Extracted)" == 1 ]] || fail "16 starts: $(cut -f3 many.* | sort | uniq -c)"
cmp "many/embedded/runtimes-${want}" "${image}" || fail "16 starts left a bad file"

for delay in 0 0.001 0.005 0.02; do
  "${standalone}" killed >/dev/null 2>&1 &
  sleep "${delay}"
  kill -9 $! 2>/dev/null || true
  wait $! 2>/dev/null || true
done
"${standalone}" killed >/dev/null
cmp "killed/embedded/runtimes-${want}" "${image}" || fail "restart after kills: bad file"

# Tampering with the cached file is caught on the next start.
chmod u+w "root/embedded/runtimes-${want}"
printf 'X' | dd of="root/embedded/runtimes-${want}" bs=1 seek=100 conv=notrunc status=none
[[ "$("${standalone}" root | cut -f3)" == Extracted ]] || fail "a tampered file was trusted"
cmp "root/embedded/runtimes-${want}" "${image}" || fail "tampered file not replaced"
echo PASS
