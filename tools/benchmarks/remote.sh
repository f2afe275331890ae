#!/usr/bin/env bash
# Benchmarks the stress workload (e2e/stress) built through remote execution
# (BuildGrid and two buildbox-workers with actiond-runner on this machine,
# e2e/remote/up.sh, each action inside glibc 2.35) against the same workload
# built locally (Bazel's sandboxed local strategy). Every run uses a new
# --@rules_actiond//rules:stress_seed, so all 31 actions run and nothing is
# cached; the tools are built once beforehand. Wall times of `bazel build`,
# medians of RUNS runs.
#
# Usage: tools/benchmarks/remote.sh [RUNS]   (default 5)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

if [[ ${1:-} != --client ]]; then
  cd "${repo}"
  ./bazelw build //tools/runner:actiond_runner_standalone
  runner=$(readlink -f "$(./bazelw cquery --output=files //tools/runner:actiond_runner_standalone 2>/dev/null)")
  ./bazelw shutdown
  exec e2e/remote/up.sh --runner "${runner}" --standalone --workers 2 \
    -- "${BASH_SOURCE[0]}" --client "${1:-5}"
fi

runs=${2:-5}
cd "${repo}/e2e/stress"
# shellcheck disable=SC2054  # the commas separate platforms in one flag
remote=(
  --remote_executor="${REMOTE_EXECUTOR:?}"
  --extra_execution_platforms=@rules_actiond//platforms:local,@rules_actiond//platforms:remote_linux_x86_64
  --spawn_strategy=remote,local
  --remote_default_exec_properties=libc=glibc2.35
  --noremote_accept_cached
  --jobs=32
)
# Seconds (to the millisecond) that one build takes.
timed() {
  local t0
  t0=$(date +%s%N)
  ../../bazelw build "$@" >/dev/null 2>&1
  awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN {printf "%.2f", ns / 1e9}'
}
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

nonce=$(date +%s)
timed //:stress --@rules_actiond//rules:stress_seed="warm${nonce}" >/dev/null
timed //:stress_remote "${remote[@]}" --@rules_actiond//rules:stress_seed="warm${nonce}" >/dev/null
local_s=() remote_s=()
for ((i = 0; i < runs; i++)); do
  local_s+=("$(timed //:stress --@rules_actiond//rules:stress_seed="l${nonce}.${i}")")
  remote_s+=("$(timed //:stress_remote "${remote[@]}" --@rules_actiond//rules:stress_seed="r${nonce}.${i}")")
done
../../bazelw shutdown >/dev/null 2>&1
l=$(median "${local_s[@]}") r=$(median "${remote_s[@]}")
echo "| workload | local (linux-sandbox) | remote (BuildGrid, 2 workers, glibc 2.35) | remote / local |"
echo "|---|---|---|---|"
echo "| stress, 31 actions, 1312 inputs | ${l} s | ${r} s | **$(awk -v a="${r}" -v b="${l}" 'BEGIN {printf "%.2f×", a / b}')** |"
echo "local runs: ${local_s[*]}; remote runs: ${remote_s[*]}"
