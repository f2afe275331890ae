#!/usr/bin/env bash
# Benchmarks `actiond-tool zstd` against the zstd CLI on the VM kernel, at the
# same level and thread count, side by side.
#
# Usage: tools/benchmarks/zstd.sh [RUNS]   (default 5; medians reported)
# Needs: cargo, the zstd CLI (apt-get install zstd), GNU time, and the kernel
# .deb unpacked by Bazel (./bazelw build //vm:linux_kernel_zst first).
set -euo pipefail
runs=${1:-5}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
(cd "${repo}/tools" && cargo build --release --locked -q -p actiond_tool)
tool="${repo}/tools/target/release/actiond-tool"
kernel=$(ls "$(cd "${repo}" && ./bazelw info output_base 2>/dev/null)"/external/*ubuntu_noble_linux_image_amd64/boot/vmlinuz-*)
work=$(mktemp -d /tmp/zstd-bench.XXXXXX)
trap 'rm -rf "${work}"' EXIT
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
measure() { # NAME CMD...
  local name=$1
  shift
  : >"${work}/${name}"
  for _ in $(seq "${runs}"); do
    /usr/bin/time -f "%e" -o "${work}/t" "$@" >/dev/null 2>&1
    cat "${work}/t" >>"${work}/${name}"
  done
  median <"${work}/${name}"
}
echo "kernel: $(basename "${kernel}"), $(stat -c %s "${kernel}") bytes; $(zstd --version)"
echo
echo "| level | threads | actiond-tool zstd | zstd CLI | time ratio | actiond-tool bytes | zstd CLI bytes | identical |"
echo "|---|---|---|---|---|---|---|---|"
level=19
for threads in 1 2; do
  ours=$(measure ours "${tool}" zstd --level "${level}" --threads "${threads}" "${kernel}" "${work}/ours.zst")
  theirs=$(measure theirs zstd -q -f -"${level}" -T"${threads}" "${kernel}" -o "${work}/theirs.zst")
  same=no
  cmp -s "${work}/ours.zst" "${work}/theirs.zst" && same=yes
  printf "| %s | %s | %.2f s | %.2f s | **%.2f×** | %d | %d | %s |\n" "${level}" "${threads}" "${ours}" "${theirs}" \
    "$(echo "${ours} / ${theirs}" | bc -l)" "$(stat -c %s "${work}/ours.zst")" "$(stat -c %s "${work}/theirs.zst")" "${same}"
done
