#!/usr/bin/env bash
# A smoke test of e2e/remote/up.sh's cluster, run as its COMMAND:
#
#   e2e/remote/up.sh --runner /usr/bin/buildbox-run-hosttools \
#     --runner-arg=--disable-localcas --platform libc=glibc2.35 \
#     --queue-timeout 30 -- e2e/remote/smoke.sh
#
# In a throwaway workspace under e2e/remote/.scratch/, one genrule runs
# remotely with libc=glibc2.35, and one that asks for libc=glibc9.9, which no
# worker has, must fail (BuildGrid's queue timeout) instead of hanging.
set -euo pipefail

ws=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
: "${REMOTE_EXECUTOR:?run me as e2e/remote/up.sh ... -- $0}"
w="${ws}/e2e/remote/.scratch/smoke-ws"
rm -rf "${w}"
mkdir -p "${w}"
cat >"${w}/MODULE.bazel" <<'M'
module(name = "e2e_remote_smoke")

bazel_dep(name = "rules_actiond", version = "0.0.0")
local_path_override(
    module_name = "rules_actiond",
    path = "../../../..",
)

# Only for ../../../../bazelw's offline environment, which registers @host_rust.
host_rust = use_extension("@rules_actiond//bazel:host_rust.bzl", "host_rust", dev_dependency = True)
use_repo(host_rust, "host_rust")
M
# A new command line each time, so that Bazel's local action cache never
# answers for the remote workers.
nonce=$(date +%s%N)
cat >"${w}/BUILD.bazel" <<B
genrule(name = "x", outs = ["x.txt"], cmd = "uname -a > \$@ # ${nonce}")
genrule(name = "nolibc", outs = ["nolibc.txt"], cmd = "true > \$@ # ${nonce}")
B
cd "${w}"
flags=(--remote_executor="${REMOTE_EXECUTOR}" --spawn_strategy=remote --noremote_accept_cached
  --disk_cache= --remote_retries=0)

start=${SECONDS}
"${ws}/bazelw" build //:x "${flags[@]}" --remote_default_exec_properties=libc=glibc2.35
echo "smoke: //:x ran remotely in $((SECONDS - start)) s: $(cat bazel-bin/x.txt)"

start=${SECONDS}
if "${ws}/bazelw" build //:nolibc "${flags[@]}" --remote_default_exec_properties=libc=glibc9.9; then
  echo "smoke: //:nolibc with libc=glibc9.9 built, but no worker has that libc" >&2
  exit 1
fi
echo "smoke: //:nolibc with libc=glibc9.9 failed after $((SECONDS - start)) s, as it should"
"${ws}/bazelw" shutdown
