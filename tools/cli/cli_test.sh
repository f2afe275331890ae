#!/usr/bin/env bash
# Runs the built actiond-tool binary the way rules call it.
set -euo pipefail
tool="${PWD}/$1"
# Under --config=aarch64 the tool is an aarch64 program, run by an emulator.
emu=(${ACTIOND_TEST_EMULATOR:+"${ACTIOND_TEST_EMULATOR}"})
cd "${TEST_TMPDIR}"
fail() { echo "FAIL: $*" >&2; exit 1; }

"${emu[@]}" "${tool}" --version | grep -qx 'actiond-tool [0-9.]*' || fail "--version"
"${emu[@]}" "${tool}" --help | grep -q 'zstd' || fail "--help lists subcommands"
"${emu[@]}" "${tool}" --help | grep -q '^Exit codes: ' || fail "--help documents the exit codes"

# zstd: a frame with the zstd magic, identical for any thread count.
head -c 50000 /dev/urandom >chunk.bin
for _ in $(seq 200); do cat chunk.bin; done >input.bin
"${emu[@]}" "${tool}" zstd --level 3 --threads 1 input.bin one.zst
"${emu[@]}" "${tool}" zstd --level 3 --threads 2 input.bin two.zst
[[ "$(head -c 4 one.zst | od -An -tx1 | tr -d ' ')" == 28b52ffd ]] || fail "no zstd magic"
cmp one.zst two.zst || fail "output depends on --threads"
[[ $(stat -c %s one.zst) -lt $(stat -c %s input.bin) ]] || fail "not compressed"

# Errors name the file and leave no output behind.
if "${emu[@]}" "${tool}" zstd missing.bin out.zst 2>err.txt; then fail "missing input accepted"; fi
grep -q 'missing.bin: cannot open' err.txt || fail "error does not name the input: $(cat err.txt)"
[[ ! -e out.zst ]] || fail "output written on error"
if "${emu[@]}" "${tool}" zstd --level 30 input.bin out.zst 2>err.txt; then fail "level 30 accepted"; fi
grep -q 'out of range' err.txt || fail "bad level: $(cat err.txt)"
left=$(find . -mindepth 1 -not -name '*.bin' -not -name '*.zst' -not -name err.txt)
[[ -z "${left}" ]] || fail "temporary files left: ${left}"

# check manifest: unknown keys are named with the file.
echo '{"name": "glibc2.35", "arch": "x86_64", "debz": []}' >bad.json
if "${emu[@]}" "${tool}" check manifest bad.json 2>err.txt; then fail "bad manifest accepted"; fi
grep -q "bad.json: debz: unknown key; a manifest has exactly name, arch, debs, mounts, interpreters" err.txt || fail "manifest error: $(cat err.txt)"

# check bundle: a manifest from `digest` holds; a changed file, a missing or
# an extra entry is named, and no stamp is written.
printf kernel >k.bin
printf initramfs >i.bin
"${emu[@]}" "${tool}" bundle-manifest --out bundle.json kernel=k.bin initramfs=i.bin
"${emu[@]}" "${tool}" check bundle bundle.json --file kernel=k.bin --file initramfs=i.bin --stamp ok.stamp
[[ -e ok.stamp ]] || fail "check bundle wrote no stamp"
printf changed >i.bin
if "${emu[@]}" "${tool}" check bundle bundle.json --file kernel=k.bin --file initramfs=i.bin --stamp bad.stamp 2>err.txt; then
  fail "a changed bundle file passed"
fi
grep -q "bundle.json: the manifest matches the bundle's files: initramfs is recorded as .*, but i.bin is" err.txt \
  || fail "check bundle: $(cat err.txt)"
[[ ! -e bad.stamp ]] || fail "stamp written on failure"
if "${emu[@]}" "${tool}" check bundle bundle.json --file kernel=k.bin 2>err.txt; then fail "an extra entry passed"; fi
grep -q "initramfs is not a file of the bundle" err.txt || fail "check bundle extra: $(cat err.txt)"

# check initramfs: not a cpio archive.
if "${emu[@]}" "${tool}" check initramfs k.bin --arch x86_64 2>err.txt; then fail "garbage initramfs passed"; fi
grep -q "k.bin: the cpio archive parses" err.txt || fail "check initramfs: $(cat err.txt)"

# check standalone: a payload that the digests section does not record is
# refused (its record renamed in place, so that the ELF stays valid).
printf runtimes-payload >payload.bin
"${emu[@]}" "${tool}" payload add --section runtimes=payload.bin "${tool}" standalone
"${emu[@]}" "${tool}" check standalone standalone --payload runtimes=payload.bin \
  || fail "check standalone refused a good binary"
python3 - <<'PY'
import hashlib
data = open("standalone", "rb").read()
record = b"runtimes " + hashlib.sha256(open("payload.bin", "rb").read()).hexdigest().encode()
assert data.count(record) == 1, "no digests record for runtimes"
open("unrecorded", "wb").write(data.replace(record, b"x" + record[1:]))
PY
if "${emu[@]}" "${tool}" check standalone unrecorded --payload runtimes=payload.bin --stamp none.stamp 2>err.txt; then
  fail "a payload without a digests record passed"
fi
grep -q "unrecorded: the digests section records no sha256 for runtimes" err.txt || fail "check standalone: $(cat err.txt)"
[[ ! -e none.stamp ]] || fail "stamp written on failure"

# squashfs-compress and squashfs-assemble: the parts give squashfs-pack's
# image; a truncated or corrupt blocks file, or a source compressed with
# other settings, fails the assembly naming the file, with no image left.
mkdir -p tree/sub && echo one >tree/a && head -c 300000 input.bin >tree/sub/big
settings='"compression": {"algorithm": "zstd", "level": 3}, "block_size": 4096'
echo "{${settings}, \"entries\": [{\"type\": \"tree\", \"path\": \"t\", \"source\": \"tree\"}]}" >whole.json
"${emu[@]}" "${tool}" squashfs-pack --spec whole.json --out whole.squashfs
"${emu[@]}" "${tool}" squashfs-compress --spec whole.json --blocks part.blocks --index part.index.json
echo "{${settings}, \"sources\": [{\"index\": \"part.index.json\", \"blocks\": \"part.blocks\"}]}" >assemble.json
"${emu[@]}" "${tool}" squashfs-assemble --spec assemble.json --out parts.squashfs
cmp whole.squashfs parts.squashfs || fail "squashfs-pack and the assembled parts differ"
"${emu[@]}" "${tool}" squashfs-compress --share-cores --threads 4 --spec whole.json --blocks shared.blocks \
  --index shared.index.json
{ cmp part.blocks shared.blocks && cmp part.index.json shared.index.json; } \
  || fail "squashfs-compress --share-cores wrote other bytes"
cp part.blocks good.blocks
truncate -s -1 part.blocks
if "${emu[@]}" "${tool}" squashfs-assemble --spec assemble.json --out bad.squashfs 2>err.txt; then fail "truncated blocks accepted"; fi
grep -q 'part.blocks: truncated' err.txt || fail "truncated blocks: $(cat err.txt)"
cp good.blocks part.blocks && printf '\377' | dd of=part.blocks bs=1 seek=100 conv=notrunc status=none
if "${emu[@]}" "${tool}" squashfs-assemble --spec assemble.json --out bad.squashfs 2>err.txt; then fail "corrupt blocks accepted"; fi
grep -q 'part.blocks: sha256 .* corrupt' err.txt || fail "corrupt blocks: $(cat err.txt)"
cp good.blocks part.blocks
sed 's/"level": 3/"level": 4/' assemble.json >other.json
if "${emu[@]}" "${tool}" squashfs-assemble --spec other.json --out bad.squashfs 2>err.txt; then fail "other settings accepted"; fi
grep -q 'part.index.json: its blocks are compressed with Zstd { level: 3 }' err.txt || fail "settings: $(cat err.txt)"
[[ ! -e bad.squashfs ]] || fail "an image was left after a failed assembly"

# Usage errors exit 2.
set +e
"${emu[@]}" "${tool}" zstd 2>/dev/null
[[ $? -eq 2 ]] || fail "usage error must exit 2"
echo PASS
