#!/usr/bin/env bash
# actiond-tool payload add/list on a real executable (the tool itself).
set -euo pipefail
tool="${PWD}/$1" image="${PWD}/$2"
# Under --config=aarch64 the tool is an aarch64 program, run by an emulator.
emu=(${ACTIOND_TEST_EMULATOR:+"${ACTIOND_TEST_EMULATOR}"})
cd "${TEST_TMPDIR}"
fail() { echo "FAIL: $*" >&2; exit 1; }

cp "${tool}" app
"${emu[@]}" "${tool}" payload list app >none.txt
[[ ! -s none.txt ]] || fail "a plain binary lists payloads: $(cat none.txt)"
"${emu[@]}" "${tool}" payload add --section runtimes="${image}" app app.standalone
"${emu[@]}" ./app.standalone --version | grep -q '^actiond-tool ' || fail "the binary does not run after embedding"
read -r name offset size < <("${emu[@]}" "${tool}" payload list app.standalone)
[[ "${name}" == runtimes ]] || fail "payload name ${name}"
[[ "${size}" == "$(stat -L -c %s "${image}")" ]] || fail "payload size ${size}"
dd if=app.standalone of=payload.bin iflag=skip_bytes,count_bytes skip="${offset}" count="${size}" status=none
cmp payload.bin "${image}" || fail "payload bytes differ from the image"
# Program headers are untouched: the loaded segments are the same.
[[ "$(readelf -lW app | grep -E '^ +(LOAD|INTERP|DYNAMIC)')" == "$(readelf -lW app.standalone | grep -E '^ +(LOAD|INTERP|DYNAMIC)')" ]] \
  || fail "program headers changed"
if "${emu[@]}" "${tool}" payload add --section runtimes="${image}" app.standalone again 2>err.txt; then fail "a duplicate section was added"; fi
grep -q "already exists" err.txt || fail "duplicate: $(cat err.txt)"

# Extraction: once, then trusted from the stamp; 16 concurrent starts; a
# start killed at any point, then a restart.
want=$(sha256sum "${image}" | cut -d' ' -f1)
out=$("${emu[@]}" "${tool}" payload extract app.standalone root)
[[ "${out}" == "runtimes	${PWD}/root/embedded/runtimes-${want}	Extracted" || "${out}" == "runtimes	root/embedded/runtimes-${want}	Extracted" ]] \
  || fail "first extraction: ${out}"
[[ "$(sha256sum "root/embedded/runtimes-${want}" | cut -d' ' -f1)" == "${want}" ]] || fail "extracted bytes"
[[ "$("${emu[@]}" "${tool}" payload extract app.standalone root | cut -f3)" == Cached ]] || fail "second start rewrote the file"

for i in $(seq 16); do "${emu[@]}" "${tool}" payload extract app.standalone many >"many.${i}" 2>&1 & done
wait
[[ "$(cut -f3 many.* | sort | uniq -c | awk '$2 == "Extracted" {print $1}')" == 1 ]] || fail "16 starts: $(cut -f3 many.* | sort | uniq -c)"
cmp "many/embedded/runtimes-${want}" "${image}" || fail "16 starts: bad file"

"${emu[@]}" "${tool}" payload extract app.standalone killed >/dev/null 2>&1 &
kill -9 $! 2>/dev/null || true
wait || true
"${emu[@]}" "${tool}" payload extract app.standalone killed >/dev/null
cmp "killed/embedded/runtimes-${want}" "${image}" || fail "restart after a kill: bad file"
echo PASS
