#!/usr/bin/env bash
# The lock tool on this machine's own apt lists, with apt as the oracle:
# libc6 resolved from the main Packages list must be a version apt knows,
# with the same sha256 and size that `apt-cache show` reports.
# Needs a Debian-based machine with `apt-get update` done (the provisioned
# root is one).
set -euo pipefail
tool="${PWD}/$1"
cd "${TEST_TMPDIR}"
fail() { echo "FAIL: $*" >&2; exit 1; }

arch=$(dpkg --print-architecture)
list=$(compgen -G "/var/lib/apt/lists/*_main_binary-${arch}_Packages" | head -n1 || true)
[[ -n "${list}" ]] || fail "no /var/lib/apt/lists/*_main_binary-${arch}_Packages: run apt-get update"
case "${arch}" in amd64) ours=x86_64 ;; arm64) ours=aarch64 ;; *) fail "unsupported arch ${arch}" ;; esac

version=$(awk '/^Package: libc6$/ { p = 1 } p && /^Version: / { print $2; exit }' "${list}")
name="glibc$(cut -d- -f1 <<<"${version}" | cut -d. -f1,2)"
cat >request.json <<JSON
{"runtimes": [{"name": "${name}", "arch": "${ours}", "index": "${list}",
  "packages": ["libc6"], "urls": ["https://mirror.invalid/debian/{filename}"]}]}
JSON
"${tool}" lock --request request.json --out lock.json
cat lock.json

locked_version=$(sed -n 's/.*"version": "\(.*\)".*/\1/p' lock.json)
locked_sha=$(sed -n 's/.*"sha256": "\(.*\)".*/\1/p' lock.json)
locked_size=$(sed -n 's/.*"size": \([0-9]*\).*/\1/p' lock.json)
stanza=$(apt-cache show "libc6:${arch}=${locked_version}") || fail "apt does not know libc6 ${locked_version}"
grep -qx "SHA256: ${locked_sha}" <<<"${stanza}" || fail "sha256 ${locked_sha} differs from apt's"
grep -qx "Size: ${locked_size}" <<<"${stanza}" || fail "size ${locked_size} differs from apt's"
echo "PASS: libc6 ${locked_version} (${name}) matches apt"
