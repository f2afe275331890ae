#!/usr/bin/env bash
# A realistic build through the cluster: e2e/realistic's generated C project
# (303 compiles, 30 archives, 3 links) with Zig's static C toolchain, built
# once locally and once remotely, each from a clean output tree with no disk
# cache; then its checksum tests run on the remotely built programs.
#
# Run by e2e/remote/checks.sh, inside e2e/remote/up.sh's cluster
# ($REMOTE_EXECUTOR, $REMOTE_SCRATCH). Prints "remote: PASS ..." and
# "remote: FAIL ..." lines, and the two wall times as
#   realistic: local S s, remote S s
set -uo pipefail

ws=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
: "${REMOTE_EXECUTOR:?run me inside e2e/remote/up.sh}"
: "${REMOTE_SCRATCH:?run me inside e2e/remote/up.sh}"
out="${REMOTE_SCRATCH}/client"
mkdir -p "${out}"
status=0
pass() { echo "remote: PASS $*"; }
fail() {
  echo "remote: FAIL $*" >&2
  status=1
}
actions=CppCompile,CppArchive,CppLink

# Bazel in e2e/realistic, bounded in time, its output in $out/realistic-NAME.log;
# sets $took to the wall time in seconds.
realistic_bazel() {
  local name=$1 start rc=0
  shift
  start=${EPOCHREALTIME}
  (cd "${ws}/e2e/realistic" && timeout 1800 "${ws}/bazelw" "$@") >"${out}/realistic-${name}.log" 2>&1 || rc=$?
  took=$(awk -v a="${start}" -v b="${EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }')
  echo "remote: realistic-${name}: bazel $1 took ${took} s" >&2
  return "${rc}"
}

# Locally: the host platform, sandboxed. Remotely: every action of the
# project may run in a runtime (its one tool is the static Zig), so the
# remote platform is the first execution platform, for compiles and for
# links (which rules_cc resolves in an execution group of their own).
common=(--disk_cache= --noremote_accept_cached)
local_flags=()
remote_flags=(
  --remote_executor="${REMOTE_EXECUTOR}"
  --extra_execution_platforms=@rules_actiond//platforms:remote_linux_x86_64
  --remote_default_exec_properties=libc=glibc2.35
  --spawn_strategy=remote
)

# Zig's wheel and the analysis first, so that neither timed build pays them.
realistic_bazel fetch build --nobuild //:project "${local_flags[@]}" \
  || fail "e2e/realistic did not load; see ${out}/realistic-fetch.log"

(cd "${ws}/e2e/realistic" && "${ws}/bazelw" clean) >/dev/null 2>&1
local_time=""
if realistic_bazel local build //:project "${common[@]}" "${local_flags[@]}"; then
  local_time=${took}
else
  fail "the realistic build failed locally; see ${out}/realistic-local.log"
fi

(cd "${ws}/e2e/realistic" && "${ws}/bazelw" clean) >/dev/null 2>&1
if realistic_bazel remote build //:project "${common[@]}" "${remote_flags[@]}" \
  --execution_log_json_file="${out}/realistic.exec.json"; then
  remote_time=${took}
  if python3 "${ws}/e2e/remote/exec_log.py" "${out}/realistic.exec.json" \
    --mnemonics "${actions}" --count 336 --libc glibc2.35; then
    pass "realistic build: 303 compiles, 30 archives and 3 links ran remotely inside glibc 2.35 (local ${local_time:-failed} s, remote ${remote_time} s)"
    echo "realistic: local ${local_time:-failed} s, remote ${remote_time} s"
  else
    fail "realistic build: not every compile, archive and link ran remotely inside glibc 2.35"
  fi
  # The programs, linked remotely, run here: the runtimes hold no shell for
  # Bazel's test wrapper.
  if realistic_bazel test test //:project "${remote_flags[@]}" --strategy=TestRunner=local; then
    pass "realistic build: the remotely built programs compute the checksums that Starlark computes"
  else
    fail "realistic build: a remotely built program's checksum is wrong; see ${out}/realistic-test.log"
  fi
else
  fail "the realistic build failed remotely; see ${out}/realistic-remote.log"
  tail -n 30 "${out}/realistic-remote.log" >&2
fi

(cd "${ws}/e2e/realistic" && "${ws}/bazelw" shutdown) >/dev/null 2>&1
exit "${status}"
