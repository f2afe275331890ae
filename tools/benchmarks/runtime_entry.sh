#!/usr/bin/env bash
# Benchmarks entering a runtime per action, as actiond-runner does it: the
# runtimes image mounted once (as a worker host mounts it), then per run a
# private mount namespace, the runtime's root assembled from bind mounts of
# the mounted image, the program run chrooted in it, and everything undone.
# The reference is a plain fork+exec of the same program. Both run a static
# `true` from a shell loop, so the loop's own cost is in both.
#
# Usage: tools/benchmarks/runtime_entry.sh [RUNS]   (default 1000)
# Needs: root (mounts), gcc with a static libc, cargo, and
#        ./bazelw build //runtimes:runtimes_squashfs_x86_64 first.
set -euo pipefail
runs=${1:-1000}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
(cd "${repo}/tools" && cargo build --release --locked -q -p actiond_tool)
tool="${repo}/tools/target/release/actiond-tool"
image="${repo}/bazel-bin/runtimes/runtimes_squashfs_x86_64.squashfs"
work=$(mktemp -d /tmp/runtime-entry-bench.XXXXXX)
mnt="${work}/image"
cleanup() {
  if mountpoint -q "${mnt}"; then umount "${mnt}"; fi
  rm -rf "${work}"
}
trap cleanup EXIT
printf 'int main(void) { return 0; }\n' | gcc -static -O2 -x c - -o "${work}/true"
mkdir -p "${mnt}"
mount -o loop,ro "${image}" "${mnt}"

ns() { date +%s%N; }
# Microseconds per run of the command, over $runs runs.
per_run() {
  local t0
  t0=$(ns)
  for ((i = 0; i < runs; i++)); do "$@"; done
  echo $(( ($(ns) - t0) / runs / 1000 ))
}
plain_us=$(per_run "${work}/true")
echo "| runtime | plain fork+exec | enter the runtime, run, leave | per-action overhead | goal |"
echo "|---|---|---|---|---|"
for libc in glibc2.31 glibc2.35 glibc2.39; do
  entry_us=$(per_run "${tool}" runtime run --image "${mnt}" --libc "${libc}" --bind "${work}" -- "${work}/true")
  echo "| ${libc} | ${plain_us} µs | ${entry_us} µs | **$(awk -v a="${entry_us}" -v b="${plain_us}" 'BEGIN {printf "%.2f ms", (a - b) / 1000}')** | ≤ 5 ms |"
done
