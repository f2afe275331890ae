#!/usr/bin/env bash
# Cold builds and the warm no-op, side by side on this machine.
#
# Usage: tools/benchmarks/cold_build.sh [RUNS]   (default 5 no-op runs; median)
#        from a clean checkout (the release of case 2 is HEAD), after bazelw
#        has provisioned its root.
#
# 1. The warm no-op: `./bazelw build //runtimes:runtimes_squashfs` again and
#    again on a warm server, and `./bazelw info output_base` (bazelw's own
#    work plus a server round trip, the floor of any command).
# 2. A downstream cold build (fresh output base, shared repository cache, so
#    downloads are not timed): an image and a standalone cc_binary (the
#    e2e/prebuilt workspace) with the release's prebuilt actiond-tool,
#    against the same build with --@rules_actiond//rules:actiond_tool_from_source.
# 3. This repository's cold build: `./bazelw build //runtimes:runtimes_squashfs`
#    in a fresh clone (fresh output base, empty CARGO_HOME).
# Cold builds pass --disk_cache= so that bazelw's shared disk cache serves nothing.
set -euo pipefail
runs=${1:-5}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# Under e2e/ (bazelignored): bazelw's namespace sees this checkout, not the host's /tmp.
work=$(mktemp -d "${repo}/e2e/.cold-build-bench.XXXXXX")
# Each cold workspace's output base (in bazelw's output root, keyed by the
# workspace's unique path) goes with it.
cleanup() {
  for ws in "${work}"/ws-* "${work}/clone"; do
    if [[ -d ${ws} ]]; then (cd "${ws}" && "${repo}/bazelw" clean --expunge >/dev/null 2>&1) || true; fi
  done
  rm -rf "${work}"
}
trap cleanup EXIT

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# seconds CMD...: wall seconds of one run of CMD (its output discarded; a
# failed run fails the benchmark)
seconds() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 || { echo "cold_build.sh: failed: $*" >&2; return 1; }
  t1=$(date +%s%N)
  echo "scale=3; (${t1} - ${t0}) / 1000000000" | bc
}

# 1. The warm no-op.
cd "${repo}"
./bazelw build //runtimes:runtimes_squashfs >/dev/null 2>&1
noop=() version=()
for _ in $(seq "${runs}"); do
  noop+=("$(seconds ./bazelw build //runtimes:runtimes_squashfs)")
  version+=("$(seconds ./bazelw info output_base)")
done
noop_s=$(printf '%s\n' "${noop[@]}" | median)
version_s=$(printf '%s\n' "${version[@]}" | median)
echo "no-op: ./bazelw build //runtimes:runtimes_squashfs ${noop_s} s (median of ${runs}; runs: ${noop[*]})"
echo "no-op: ./bazelw info output_base ${version_s} s (runs: ${version[*]})"

# 2. A downstream cold build, prebuilt against from source.
RELEASE_URL="file://${work}/release" RELEASE_DIR="${work}/release" \
  "${repo}/.bcr/release_prep.sh" v0.0.1 >"${work}/notes.md" 2>"${work}/release.log" \
  || { cat "${work}/release.log" >&2; exit 1; }
integrity=$(grep -o 'sha256-[A-Za-z0-9+/=]*' "${work}/notes.md" | head -n1)
downstream() {
  local ws="${work}/ws-$1"
  mkdir -p "${ws}"
  cp "${repo}/e2e/prebuilt/hello.c" "${repo}/e2e/prebuilt/BUILD.bazel" "${ws}/"
  cat >"${ws}/MODULE.bazel" <<MOD
module(name = "bench")
bazel_dep(name = "rules_actiond", version = "0.0.1")
bazel_dep(name = "rules_cc", version = "0.0.11")
archive_override(module_name = "rules_actiond", urls = ["file://${work}/release/rules_actiond-v0.0.1.tar.gz"], integrity = "${integrity}", strip_prefix = "rules_actiond-0.0.1")
host_rust = use_extension("@rules_actiond//bazel:host_rust.bzl", "host_rust", dev_dependency = True)
use_repo(host_rust, "host_rust")
MOD
  echo "common --lockfile_mode=off" >"${ws}/.bazelrc"
  shift
  (cd "${ws}" && seconds "${repo}/bazelw" build --disk_cache= "$@" //:hello_standalone)
}
prebuilt_s=$(downstream prebuilt)
source_s=$(downstream source --@rules_actiond//rules:actiond_tool_from_source)
echo "downstream cold: prebuilt ${prebuilt_s} s, from source ${source_s} s, ratio $(echo "scale=3; ${prebuilt_s} / ${source_s}" | bc)"

# 3. This repository's cold build.
git clone -q "${repo}" "${work}/clone"
clone_s=$(cd "${work}/clone" && CARGO_HOME="${work}/cargo_home" seconds ./bazelw build --disk_cache= //runtimes:runtimes_squashfs)
echo "this repository cold: ./bazelw build //runtimes:runtimes_squashfs ${clone_s} s"
