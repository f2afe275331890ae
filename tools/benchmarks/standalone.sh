#!/usr/bin/env bash
# Benchmarks a standalone binary's start (self_extract with the runtimes image
# embedded): the warm start's extra cost over a binary without payloads, and
# cold extraction against cp + fsync of the same bytes.
#
# Usage: tools/benchmarks/standalone.sh [WARM_RUNS] [COLD_RUNS]   (defaults 500, 10)
# Needs: cargo, and ./bazelw build //runtimes:runtimes_squashfs_x86_64 first.
set -euo pipefail
warm_runs=${1:-500} cold_runs=${2:-10}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
(cd "${repo}/tools" && cargo build --release --locked -q -p actiond_tool -p embedded_payload)
bin="${repo}/tools/target/release"
image="${repo}/bazel-bin/runtimes/runtimes_squashfs_x86_64.squashfs"
work=$(mktemp -d /tmp/standalone-bench.XXXXXX)
trap 'rm -rf "${work}"' EXIT
"${bin}/actiond-tool" payload add --section runtimes="${image}" "${bin}/self_extract" "${work}/standalone"
cp "${bin}/self_extract" "${work}/plain"
"${work}/standalone" "${work}/root" >/dev/null   # extract once

ns() { date +%s%N; }
loop() { local t0; t0=$(ns); for _ in $(seq "${warm_runs}"); do "$@" >/dev/null; done; echo $(( ($(ns) - t0) / warm_runs / 1000 )); }
plain_us=$(loop "${work}/plain" "${work}/root")
warm_us=$(loop "${work}/standalone" "${work}/root")

size=$(stat -c %s "${image}")
cold_total=0 cp_total=0
for _ in $(seq "${cold_runs}"); do
  rm -rf "${work}/cold" "${work}/copy"
  t0=$(ns); "${work}/standalone" "${work}/cold" >/dev/null; cold_total=$(( cold_total + $(ns) - t0 ))
  t0=$(ns); cp "${image}" "${work}/copy" && sync "${work}/copy"; cp_total=$(( cp_total + $(ns) - t0 ))
done
cold_ms=$(( cold_total / cold_runs / 1000000 )) cp_ms=$(( cp_total / cold_runs / 1000000 ))
echo "| payload | plain start | standalone warm start | warm extra cost | cold start (extract) | cp + fsync | cold ratio | cold throughput |"
echo "|---|---|---|---|---|---|---|---|"
echo "| runtimes image, ${size} bytes | ${plain_us} µs | ${warm_us} µs | **$(( warm_us - plain_us )) µs** | ${cold_ms} ms | ${cp_ms} ms | $(awk -v a="${cold_ms}" -v b="${cp_ms}" 'BEGIN {printf "%.2f×", a / b}') | $(( size * 1000 / 1024 / 1024 / (cold_ms > 0 ? cold_ms : 1) )) MiB/s |"
