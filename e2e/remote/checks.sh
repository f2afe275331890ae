#!/usr/bin/env bash
# The remote layer's checks, run by e2e/remote/run.sh as e2e/remote/up.sh's
# COMMAND, against its cluster ($REMOTE_EXECUTOR, $REMOTE_WORKER_PIDS,
# $REMOTE_SCRATCH). They build e2e/stress's targets remotely:
#
#   1. the stress workload with libc=glibc2.35: every spawn of its actions
#      ran remotely, each inside glibc 2.35, and its test passes;
#   2. the same with libc=glibc2.31 and libc=glibc2.39;
#   3. a tool that needs GLIBC_2.34 fails in glibc 2.31 with the loader's
#      message, and runs in glibc 2.35;
#   4. libc=glibc9.9, which no worker has, fails at once, naming it; a worker
#      killed mid-action leaves the build to retry or fail, never hang;
#   5. a rebuild with --remote_accept_cached is all remote cache hits;
#   6. a realistic build, e2e/realistic's C project (e2e/remote/realistic.sh),
#      remotely inside glibc 2.35 and locally, timed; its checksum tests pass;
#   7. the x86_64 runtimes image, packed remotely: its 12 .debs compress in
#      12 actions, which ran on both workers, two at once on different ones
#      (BuildGrid's jobs table, through $REMOTE_PSQL, names each job's worker
#      and when it was on it).
#
# A new --@rules_actiond//rules:stress_seed each run makes every workload
# action new to Bazel's local action cache and to the executor's.
set -uo pipefail

ws=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
: "${REMOTE_EXECUTOR:?run me through e2e/remote/run.sh}"
: "${REMOTE_WORKER_PIDS:?run me through e2e/remote/run.sh}"
: "${REMOTE_SCRATCH:?run me through e2e/remote/run.sh}"
: "${REMOTE_PSQL:?run me through e2e/remote/run.sh}"
out="${REMOTE_SCRATCH}/client"
mkdir -p "${out}"
# workers.py imports exec_log.py: leave no __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1
seed="run$(date +%s%N)"
# shellcheck disable=SC2054  # the commas separate platforms in one flag
flags=(
  --remote_executor="${REMOTE_EXECUTOR}"
  --extra_execution_platforms=@rules_actiond//platforms:local,@rules_actiond//platforms:remote_linux_x86_64
  --spawn_strategy=remote,local
  --@rules_actiond//rules:stress_seed="${seed}"
)
workload=StressFill,StressDigest,StressSummary
status=0
pass() { echo "remote: PASS $*"; }
fail() {
  echo "remote: FAIL $*" >&2
  status=1
}

# Bazel in e2e/stress, bounded in time; its output is kept in $out/NAME.log.
stress_bazel() {
  local name=$1 start=${SECONDS} rc=0
  shift
  (cd "${ws}/e2e/stress" && timeout 900 "${ws}/bazelw" "$@") >"${out}/${name}.log" 2>&1 || rc=$?
  echo "remote: ${name}: bazel $1 took $((SECONDS - start)) s" >&2
  return "${rc}"
}

# The workload with libc=$1 ran its 31 actions remotely inside that runtime.
# The tools come from bazelw's disk cache; the workload's actions are new to
# it (the seed).
workload_in() {
  local version=$1 summary
  shift
  if ! stress_bazel "stress-${version}" build //:stress_remote "${flags[@]}" "$@" \
    --noremote_accept_cached --remote_default_exec_properties=libc="glibc${version}" \
    --execution_log_json_file="${out}/stress-${version}.exec.json"; then
    fail "the workload with libc=glibc${version} did not build; see ${out}/stress-${version}.log"
    tail -n 30 "${out}/stress-${version}.log" >&2
    return
  fi
  python3 "${ws}/e2e/remote/exec_log.py" "${out}/stress-${version}.exec.json" \
    --mnemonics "${workload}" --count 31 --libc "glibc${version}" \
    || fail "libc=glibc${version}: not every spawn of the workload ran remotely in it"
  summary=$(cat "${ws}/e2e/stress/bazel-bin/stress_remote.json")
  if [[ ${summary} == *"\"libc\": [\"${version}\"]"* ]]; then
    pass "libc=glibc${version}: every action ran inside glibc ${version}: ${summary}"
  else
    fail "libc=glibc${version}: the actions ran on other glibcs: ${summary}"
  fi
}

# 1. glibc 2.35, and the workload's own test.
workload_in 2.35
# The test runs here: the runtimes hold no shell.
if stress_bazel stress-test test //:stress_remote_test "${flags[@]}" --strategy=TestRunner=local \
  --noremote_accept_cached --remote_default_exec_properties=libc=glibc2.35; then
  pass "stress_remote_test, on the remotely built workload"
else
  fail "stress_remote_test; see ${out}/stress-test.log"
fi

# 2. Routing. The glibc 2.39 build keeps its results out of the disk cache,
# so that only the remote cache can answer for them in 5, and downloads every
# output (not only the summary), so that 5 can remove them.
workload_in 2.31
workload_in 2.39 --disk_cache= --remote_download_outputs=all

# 3. A real incompatibility: GLIBC_2.34 in glibc 2.31.
if stress_bazel closefrom-2.31 build //:closefrom_action "${flags[@]}" --noremote_accept_cached \
  --remote_default_exec_properties=libc=glibc2.31; then
  fail "the tool that needs GLIBC_2.34 ran in glibc 2.31"
elif grep -q "version \`GLIBC_2.34' not found" "${out}/closefrom-2.31.log"; then
  pass "libc=glibc2.31: the build fails with the loader's: $(grep -m1 "GLIBC_2.34" "${out}/closefrom-2.31.log")"
else
  fail "libc=glibc2.31 failed without the loader's message; see ${out}/closefrom-2.31.log"
fi
if stress_bazel closefrom-2.35 build //:closefrom_action "${flags[@]}" --noremote_accept_cached \
  --remote_default_exec_properties=libc=glibc2.35; then
  pass "libc=glibc2.35: the same tool runs"
else
  fail "libc=glibc2.35: the tool that needs GLIBC_2.34 failed; see ${out}/closefrom-2.35.log"
fi

# 4a. A libc that no worker has.
start=${SECONDS}
if stress_bazel unknown-libc build //:closefrom_action "${flags[@]}" --noremote_accept_cached \
  --remote_default_exec_properties=libc=glibc9.9; then
  fail "libc=glibc9.9 built, but no worker has it"
elif grep -q "glibc9.9" <(grep ERROR "${out}/unknown-libc.log"); then
  pass "libc=glibc9.9 fails in $((SECONDS - start)) s: $(grep -m1 -o 'FAILED_PRECONDITION.*' "${out}/unknown-libc.log")"
else
  fail "libc=glibc9.9 failed without naming it; see ${out}/unknown-libc.log"
fi

# 5. Cache: with the workload's outputs removed (its tools stay), a rebuild
# that accepts cached results finds every one of its actions in the remote
# cache.
outputs=("${ws}/e2e/stress/bazel-bin/stress_remote" "${ws}/e2e/stress/bazel-bin/stress_remote.json")
chmod -R u+w "${outputs[@]}" && rm -rf "${outputs[@]}"
if stress_bazel cached build //:stress_remote "${flags[@]}" --remote_accept_cached \
  --remote_download_outputs=all \
  --remote_default_exec_properties=libc=glibc2.39 \
  --execution_log_json_file="${out}/cached.exec.json"; then
  if python3 "${ws}/e2e/remote/exec_log.py" "${out}/cached.exec.json" --cache-hit \
    --mnemonics "${workload}" --count 31 --libc glibc2.39; then
    pass "a rebuild is all remote cache hits"
  else
    fail "a rebuild ran actions the remote cache had"
  fi
else
  fail "the cached rebuild failed; see ${out}/cached.log"
fi

# 7. An image's sources compress in parallel on different workers. A first
# build brings its tools (actiond-tool, built from source) from the disk
# cache. Then the image's outputs are removed and every output downloaded,
# so that Bazel's action cache cannot answer for them; neither can the disk
# cache (none) or the remote one (--noremote_accept_cached, which does not
# keep the disk cache from answering): its actions run again.
# All 12 queued at once, as --config=remote's --jobs has them.
image_flags=("${flags[@]}" --jobs=50 --remote_download_outputs=all
  --remote_default_exec_properties=libc=glibc2.35)
stress_bazel image-tools build //:runtimes_remote "${image_flags[@]}" --remote_accept_cached \
  || fail "the runtimes image did not build remotely; see ${out}/image-tools.log"
image=("${ws}/e2e/stress/bazel-bin/runtimes_remote".*)
chmod -R u+w "${image[@]}"
rm -rf "${image[@]}"
if stress_bazel image-parts build //:runtimes_remote "${image_flags[@]}" --noremote_accept_cached \
  --disk_cache= --execution_log_json_file="${out}/image-parts.exec.json"; then
  "${REMOTE_PSQL}" -At -F '|' -c "SELECT action_digest, worker_name, worker_start_timestamp,
    worker_completed_timestamp, execution_start_timestamp, execution_completed_timestamp
    FROM jobs" >"${out}/image-parts.jobs" \
    || fail "could not read BuildGrid's jobs table"
  python3 "${ws}/e2e/remote/exec_log.py" "${out}/image-parts.exec.json" \
    --mnemonics SquashfsCompress,RuntimeSquashfs --count 13 --libc glibc2.35 \
    || fail "the image's actions did not all run remotely in glibc 2.35"
  if python3 "${ws}/e2e/remote/workers.py" "${out}/image-parts.exec.json" "${out}/image-parts.jobs" \
    --mnemonic SquashfsCompress --count 12 >"${out}/image-parts.workers"; then
    pass "the image's sources compressed in parallel on different workers: $(cat "${out}/image-parts.workers")"
  else
    fail "the image's sources did not compress in parallel on different workers"
  fi
else
  fail "the runtimes image did not build remotely; see ${out}/image-parts.log"
  tail -n 30 "${out}/image-parts.log" >&2
fi

# 4b. A worker killed mid-action: the build retries elsewhere or fails, in
# bounded time. The action sleeps 20 s inside the runtime; the worker whose
# runner runs it is killed once it has started.
(cd "${ws}/e2e/stress" && timeout 600 "${ws}/bazelw" build //:slow_action "${flags[@]}" \
  --noremote_accept_cached --remote_default_exec_properties=libc=glibc2.35) >"${out}/killed.log" 2>&1 &
build=$!
victim=""
for ((i = 0; i < 600; i++)); do
  [[ -z ${victim} ]] || break
  for tool in $(pgrep -f 'bin/slow_tool' || true); do
    # Up the parent chain from the tool to a worker of ours.
    p=${tool}
    for ((depth = 0; depth < 8 && p > 1; depth++)); do
      if grep -qx "${p}" "${REMOTE_WORKER_PIDS}"; then victim=${p}; break; fi
      p=$(ps -o ppid= -p "${p}" | tr -d ' ')
      [[ -n ${p} ]] || break
    done
  done
  [[ -n ${victim} ]] || sleep 0.2
done
if [[ -z ${victim} ]]; then
  fail "the slow action never started on a worker; see ${out}/killed.log"
  kill "${build}" 2>/dev/null
  wait "${build}"
else
  kill -KILL "${victim}"
  wait "${build}"
  rc=$?
  if [[ ${rc} -eq 124 ]]; then
    fail "after worker ${victim} was killed mid-action, the build hung (600 s)"
  elif [[ ${rc} -eq 0 ]]; then
    pass "worker ${victim} killed mid-action: the build retried it elsewhere and succeeded"
  elif grep -q "ERROR" "${out}/killed.log"; then
    pass "worker ${victim} killed mid-action: the build failed cleanly: $(grep -m1 ERROR "${out}/killed.log")"
  else
    fail "after worker ${victim} was killed, bazel exited ${rc} without an error; see ${out}/killed.log"
  fi
fi

(cd "${ws}/e2e/stress" && "${ws}/bazelw" shutdown) >/dev/null 2>&1

# 6. A realistic build.
"${ws}/e2e/remote/realistic.sh" || status=1
exit "${status}"
