#!/usr/bin/env bash
# What the validation actions cost on `bazel build //runtimes:runtimes_squashfs`:
# with the image and every validation stamp deleted before each build (so the
# pack runs again, and the checks when they are on), builds alternate between
# the default and --norun_validations. Prints Bazel's own "Elapsed time" and
# critical path, medians of RUNS each.
#
# Usage: tools/benchmarks/validations.sh [RUNS]   (default 5)
set -euo pipefail
runs=${1:-5}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
target=//runtimes:runtimes_squashfs
./bazelw build "${target}" >/dev/null 2>&1 # everything else is built and cached
bin=$(./bazelw info bazel-bin 2>/dev/null)

# One build from a deleted image; prints "ELAPSED CRITICAL_PATH" in seconds.
build() {
  find "${bin}/runtimes" "${bin}/external" -maxdepth 2 \
    \( -name 'runtimes_squashfs_*.squashfs' -o -name '*.validation' \) -delete
  # .bazelrc turns output checking off for speed, and bazelw's disk cache
  # would serve the deleted outputs: these builds need neither.
  ./bazelw build --experimental_check_output_files --disk_cache= "$@" "${target}" 2>&1 \
    | sed -n 's/^INFO: Elapsed time: \([0-9.]*\)s, Critical Path: \([0-9.]*\)s$/\1 \2/p'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

with=() without=()
build >/dev/null && build --norun_validations >/dev/null # settle both analysis caches
for _ in $(seq "${runs}"); do
  with+=("$(build)")
  without+=("$(build --norun_validations)")
done
w=$(printf '%s\n' "${with[@]}" | cut -d' ' -f1 | median)
wc=$(printf '%s\n' "${with[@]}" | cut -d' ' -f2 | median)
n=$(printf '%s\n' "${without[@]}" | cut -d' ' -f1 | median)
nc=$(printf '%s\n' "${without[@]}" | cut -d' ' -f2 | median)
echo "| build of ${target} | wall (Bazel's elapsed) | critical path |"
echo "|---|---|---|"
echo "| with validations (default) | ${w} s | ${wc} s |"
echo "| --norun_validations | ${n} s | ${nc} s |"
echo "| validations' cost | $(awk -v a="${w}" -v b="${n}" 'BEGIN { printf "%+.2f s (%.2f×)", a - b, a / b }') | |"
