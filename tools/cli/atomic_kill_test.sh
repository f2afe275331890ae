#!/usr/bin/env bash
# Kills actiond-tool mid-write (SIGKILL: no destructor, no cleanup runs) and
# checks that nothing partial is left under the output's name: a new output
# does not exist, and an existing one keeps its old bytes. Outputs are
# written to a hidden temporary file beside them and renamed at the end
# (crate atomic_file); a killed run leaves at most that temporary file.
#
#   atomic_kill_test.sh TOOL
set -euo pipefail
tool="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
# Under --config=aarch64 the tool is an aarch64 program, run by an emulator.
emu=(${ACTIOND_TEST_EMULATOR:+"${ACTIOND_TEST_EMULATOR}"})
if [[ -z "${TEST_TMPDIR:-}" ]]; then
  TEST_TMPDIR="$(mktemp -d)"
  trap 'rm -rf "${TEST_TMPDIR}"' EXIT
fi
cd "${TEST_TMPDIR}"
fail() { echo "FAIL: $*" >&2; exit 1; }

# Incompressible input: at zstd level 19 on one thread, it takes long
# enough to write that the kill lands mid-write.
head -c $((48 << 20)) /dev/urandom >input.bin
mkdir tree
cp input.bin tree/big.bin
printf '{"compression": {"algorithm": "zstd", "level": 22}, "block_size": 1048576, "entries": [{"type": "tree", "path": "t", "source": "tree"}]}\n' >spec.json

# kill_mid_write OUTPUT WHEN CMD...: starts CMD, waits until the temporary
# file beside OUTPUT holds bytes (WHEN=bytes) or exists (WHEN=created),
# SIGKILLs it, and checks OUTPUT is untouched.
kill_mid_write() {
  local out="$1" size=(-size +0)
  [[ "$2" == created ]] && size=()
  shift 2
  local before=absent
  [[ -e "${out}" ]] && before="$(cksum <"${out}")"
  "$@" &
  local pid=$!
  local tmp=""
  for _ in $(seq 600); do
    tmp="$(find . -maxdepth 1 -name ".${out}.*.tmp" "${size[@]}" | head -1)"
    [[ -n "${tmp}" ]] && break
    kill -0 "${pid}" 2>/dev/null || fail "${out}: the tool ended before writing anything"
    sleep 0.1
  done
  [[ -n "${tmp}" ]] || fail "${out}: no temporary file (${size[*]}) after 60 s"
  kill -0 "${pid}" 2>/dev/null || fail "${out}: finished before the kill; make the input bigger"
  kill -KILL "${pid}"
  wait "${pid}" && fail "${out}: the killed tool exited 0"
  local after=absent
  [[ -e "${out}" ]] && after="$(cksum <"${out}")"
  [[ "${after}" == "${before}" ]] || fail "${out}: changed by a killed run (${before} -> ${after})"
  echo "ok: ${out}: killed while its temporary ${tmp} had $(stat -c %s "${tmp}") bytes; final name untouched"
  rm -f "${tmp}"
}

# A new output: never appears.
kill_mid_write new.zst bytes "${emu[@]}" "${tool}" zstd --level 19 --threads 1 input.bin new.zst
[[ ! -e new.zst ]] || fail "new.zst exists"
# An existing output: keeps its bytes.
echo "old bytes" >old.zst
kill_mid_write old.zst bytes "${emu[@]}" "${tool}" zstd --level 19 --threads 1 input.bin old.zst
[[ "$(cat old.zst)" == "old bytes" ]] || fail "old.zst lost its bytes"
# The image packer (a seeking writer), over an existing image. It compresses
# into a temporary blocks file first and writes the image at the end, so it
# is killed once its temporary image exists, while it compresses.
echo "old image" >image.squashfs
kill_mid_write image.squashfs created "${emu[@]}" "${tool}" squashfs-pack --spec spec.json --out image.squashfs --threads 1
[[ "$(cat image.squashfs)" == "old image" ]] || fail "image.squashfs lost its bytes"

# And an error (not a kill) leaves no temporary file either.
if "${emu[@]}" "${tool}" zstd --level 19 missing.bin old.zst 2>/dev/null; then fail "missing input accepted"; fi
[[ "$(cat old.zst)" == "old bytes" ]] || fail "old.zst changed by a failed run"
# A decompression bomb (8 MiB of zeros in a small tar.zst) past the spec's
# limit: a clear error naming the archive and the limit, the image untouched.
mkdir bomb
head -c $((8 << 20)) /dev/zero >bomb/zeros
tar -cf bomb.tar -C bomb zeros
"${emu[@]}" "${tool}" zstd --level 19 bomb.tar bomb.tar.zst
printf '{"max_expanded_bytes": 1048576, "entries": [{"type": "tar", "source": "bomb.tar.zst"}]}\n' >bomb.json
if "${emu[@]}" "${tool}" squashfs-pack --spec bomb.json --out image.squashfs 2>err.txt; then fail "bomb packed"; fi
grep -q 'bomb.tar.zst: expands past the limit of 1048576 bytes' err.txt || fail "bomb error: $(cat err.txt)"
[[ "$(cat image.squashfs)" == "old image" ]] || fail "image.squashfs changed by a failed pack"
leftover="$(find . -maxdepth 1 -name '.*.tmp')"
[[ -z "${leftover}" ]] || fail "temporary files left: ${leftover}"
echo PASS
