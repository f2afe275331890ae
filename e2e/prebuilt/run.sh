#!/usr/bin/env bash
# A release's prebuilt actiond-tool reaches a downstream module through its
# toolchain, and no Rust of ours compiles.
#
# 1. .bcr/release_prep.sh makes a release of HEAD into a scratch directory:
#    the source archive and the prebuilt binaries, served over file://.
# 2. A scratch downstream workspace (archive_override on that archive) builds
#    a runtimes image and a standalone_binary of a cc_binary. The execution
#    log must show no Rustc action, and the standalone binary must run.
# 3. Bad inputs, each in the same workspace over an edited copy of the
#    release: a prebuilt whose sha256 does not match fails naming the file
#    and both hashes; a release without a prebuilt for this exec platform
#    falls back to the source build and says so in one line; a corrupt
#    versions file fails naming the file and the key.
#
# Usage: e2e/prebuilt/run.sh   (from a clean checkout: the release is HEAD)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "${here}/../.." && pwd -P)
work="${here}/.work"
# The downstream workspace's output base lives in the scratch directory, not
# in bazelw's output root: there it would be keyed by the workspace's path,
# which is the same in every run from the same checkout, and its action
# cache would answer the "cold" build of the next run.
output_base="${work}/output_base"
stop_server() { (cd "${work}/ws" && "${repo}/bazelw" --output_base="${output_base}" shutdown) >/dev/null 2>&1 || true; }
if [[ -d ${work}/ws ]]; then stop_server; fi
rm -rf "${work}"
mkdir -p "${work}/release" "${work}/ws"
trap 'stop_server; rm -rf "${work}"' EXIT

tag=v0.0.1
RELEASE_URL="file://${work}/release" RELEASE_DIR="${work}/release" \
  "${repo}/.bcr/release_prep.sh" "${tag}" >"${work}/release/notes.md"
archive="${work}/release/rules_actiond-${tag}.tar.gz"
integrity=$(grep -o 'sha256-[A-Za-z0-9+/=]*' "${work}/release/notes.md" | head -n1)

ws="${work}/ws"
cat >"${ws}/.bazelrc" <<'RC'
common --lockfile_mode=off
RC
cp "${here}/hello.c" "${here}/BUILD.bazel" "${ws}/"

# module OVERRIDE: the workspace's MODULE.bazel with rules_actiond from OVERRIDE.
module() {
  cat >"${ws}/MODULE.bazel" <<MOD
module(name = "prebuilt_test")
bazel_dep(name = "rules_actiond", version = "${tag#v}")
bazel_dep(name = "rules_cc", version = "0.0.11")
$1
# bazelw's offline environment registers Debian's Rust toolchains from here.
host_rust = use_extension("@rules_actiond//bazel:host_rust.bzl", "host_rust", dev_dependency = True)
use_repo(host_rust, "host_rust")
MOD
}
bazel() { (cd "${ws}" && "${repo}/bazelw" --output_base="${output_base}" "$@"); }

passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# 2. The release as users get it.
module "archive_override(module_name = \"rules_actiond\", urls = [\"file://${archive}\"], integrity = \"${integrity}\", strip_prefix = \"rules_actiond-${tag#v}\")"
start=$(date +%s%N)
# --disk_cache= on the command line (bazelw's rc comes after the workspace's):
# bazelw's shared disk cache may hold these very actions from an earlier run,
# since the prebuilt tool's bytes change only with its source, and this step
# asserts that the prebuilt tool ran them.
if bazel build --disk_cache= --execution_log_json_file="${work}/exec.json" //:hello_standalone; then
  echo "prebuilt: cold downstream build (fresh output base) took $((($(date +%s%N) - start) / 1000000)) ms"
  mnemonics=$(python3 -c '
import json, sys
dec, text, i, seen = json.JSONDecoder(), open(sys.argv[1]).read(), 0, set()
while i < len(text):
    while i < len(text) and text[i].isspace(): i += 1
    if i >= len(text): break
    entry, i = dec.raw_decode(text, i)
    seen.add(entry.get("mnemonic", ""))
print(" ".join(sorted(seen)))' "${work}/exec.json")
  echo "prebuilt: mnemonics run: ${mnemonics}"
  if grep -qw Rustc <<<"${mnemonics}"; then fail "prebuilt: a Rustc action ran"; else ok "prebuilt: no Rustc action ran"; fi
  if grep -qw StandaloneBinary <<<"${mnemonics}" && grep -qw RuntimeSquashfs <<<"${mnemonics}"; then
    ok "prebuilt: the prebuilt tool packed the image and embedded it"
  else
    fail "prebuilt: StandaloneBinary or RuntimeSquashfs did not run"
  fi
  out=$("${ws}/bazel-bin/hello_standalone")
  if [[ ${out} == "hello from a standalone binary" ]]; then ok "prebuilt: the standalone binary runs"; else fail "prebuilt: the standalone binary printed '${out}'"; fi
else
  fail "prebuilt: the downstream build failed"
fi

# 3. Bad inputs, over an edited copy of the release.
mkdir -p "${work}/edited"
tar -xzf "${archive}" -C "${work}/edited"
src="${work}/edited/rules_actiond-${tag#v}"
versions="${src}/rules/private/actiond_tool_versions.json"
cp "${versions}" "${work}/versions.json"
module "local_path_override(module_name = \"rules_actiond\", path = \"${src}\")"

# expect_failure NAME WANT ARGS...: `bazel ARGS` must fail, printing WANT.
expect_failure() {
  local name=$1 want=$2 out
  shift 2
  if out=$(bazel "$@" 2>&1); then
    fail "${name}: the build succeeded"
  elif grep -qF -- "${want}" <<<"${out}"; then
    ok "${name}: $(grep -F -- "${want}" <<<"${out}" | head -n1 | cut -c1-240)"
  else
    fail "${name}: no '${want}' in:"
    tail -n 5 <<<"${out}"
  fi
}

real=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["binaries"]["linux_x86_64"]["sha256"])' "${work}/versions.json")
wrong=$(printf '0%.0s' {1..64})
sed "s/${real}/${wrong}/" "${work}/versions.json" >"${versions}"
expect_failure wrong_sha256 "Checksum was ${real} but wanted ${wrong}" build //:hello_standalone

python3 - "${work}/versions.json" "${versions}" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
del data["binaries"]["linux_x86_64"]
json.dump(data, open(sys.argv[2], "w"), indent=2)
PY
want="no prebuilt actiond-tool for this execution platform (this release has linux_aarch64); building it from source"
if out=$(bazel cquery 'deps(//:hello_standalone)' 2>&1) \
  && [[ $(grep -cF "${want}" <<<"${out}") -eq 1 ]] \
  && grep -qE '^@@?rules_actiond~?//tools/cli:actiond_tool ' <<<"${out}"; then
  ok "no_prebuilt_for_platform: falls back to //tools/cli:actiond_tool, saying: $(grep -F "${want}" <<<"${out}" | cut -c1-200)"
else
  fail "no_prebuilt_for_platform: no single notice, or no source build, in:"
  grep -E 'DEBUG|ERROR|actiond_tool' <<<"${out}" | head -n 8
fi

echo '{"version": "0.0.1", "binaries": {"linux_x86_64": {"sha256": "abc", "urls": ["file:///x"]}}}' >"${versions}"
expect_failure corrupt_sha256 "actiond_tool_versions.json: \`binaries.linux_x86_64.sha256\` must be 64 lowercase hex digits" build //:hello_standalone
echo '{"version": "0.0.1", "binaries": {"linux_x86_64": ' >"${versions}"
expect_failure not_json "actiond_tool_versions.json: \`(top level)\` is not valid JSON" build //:hello_standalone
echo '{"version": "0.0.1", "binaries": {"windows_x86_64": {"sha256": "'"${real}"'", "urls": ["file:///x"]}}}' >"${versions}"
expect_failure unknown_platform "actiond_tool_versions.json: \`binaries.windows_x86_64\` is not a known platform" build //:hello_standalone

echo "prebuilt: ${passed} passed, ${failed} failed"
[[ ${failed} -eq 0 ]]
