#!/usr/bin/env bash
# Bazel's downloader config sends our runtime URLs to a user's mirror.
#
# A scratch downstream workspace declares a runtime whose only URL is on the
# Ubuntu archive at a path that does not exist there. A downloader config
# rewrites the archive to a mirror on 127.0.0.1 (python's http.server over a
# directory with the synthetic .deb): the runtime builds only if the rewrite
# works, and the sha256 still holds.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "${here}/../.." && pwd -P)
work="${here}/.work"
rm -rf "${work}"
mkdir -p "${work}/ws" "${work}/mirror/ubuntu/pool/rules-actiond-test"
python3 "${repo}/runtimes/tests/synthetic/make_debs.py" --bad "${work}/debs"
deb=libc6_8.1-1_amd64.deb
cp "${work}/debs/${deb}" "${work}/mirror/ubuntu/pool/rules-actiond-test/"
sha=$(sha256sum "${work}/debs/${deb}" | cut -d' ' -f1)

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "${work}/mirror" "${port}" >"${work}/server.log" 2>&1 &
server=$!
trap 'kill ${server} 2>/dev/null || true; (cd "${work}/ws" && "${repo}/bazelw" shutdown) >/dev/null 2>&1 || true; rm -rf "${work}"' EXIT
for _ in $(seq 50); do grep -q "Serving HTTP" "${work}/server.log" && break; sleep 0.1; done

cat >"${work}/ws/MODULE.bazel" <<MOD
module(name = "mirror_test")
bazel_dep(name = "rules_actiond", version = "0.0.0")
local_path_override(module_name = "rules_actiond", path = "${repo}")
glibc = use_extension("@rules_actiond//rules:extensions.bzl", "glibc")
glibc.runtime(name = "glibc8.1", arch = "x86_64")
glibc.deb(
    runtime = "glibc8.1",
    arch = "x86_64",
    sha256 = "${sha}",
    urls = ["http://archive.ubuntu.com/ubuntu/pool/rules-actiond-test/${deb}"],
)
use_repo(glibc, "glibc_runtimes")
# bazelw registers Debian's Rust toolchains from here (see e2e/downstream).
host_rust = use_extension("@rules_actiond//bazel:host_rust.bzl", "host_rust", dev_dependency = True)
use_repo(host_rust, "host_rust")
MOD
touch "${work}/ws/BUILD.bazel"
cat >"${work}/mirror.cfg" <<CFG
rewrite archive\.ubuntu\.com/(.*) 127.0.0.1:${port}/\$1
CFG
cat >"${work}/ws/.bazelrc" <<RC
common --noenable_workspace
common --lockfile_mode=off
common --experimental_downloader_config=${work}/mirror.cfg
RC

cd "${work}/ws"
# Only the download matters here: --norun_validations spares this scratch
# workspace building actiond-tool for the runtime's validation action.
"${repo}/bazelw" build --norun_validations @glibc_runtimes//:glibc8.1_x86_64
grep -q "GET /ubuntu/pool/rules-actiond-test/${deb}" "${work}/server.log" \
  || { echo "FAIL: the mirror was not asked for ${deb}" >&2; exit 1; }
echo "mirror: 1 passed, 0 failed"
