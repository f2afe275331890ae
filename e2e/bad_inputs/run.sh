#!/usr/bin/env bash
# Bad input to the glibc extension and runtime repositories fails with a
# clear message that names the file (or tag) and the reason. Hostile .debs,
# whose entries would land outside the runtime's tree (../, a deep ../..,
# an absolute name, a file through a symlink to /tmp, a hard link to
# /etc/passwd), are refused naming the .deb, the entry and the rule, and no
# file of theirs appears anywhere outside.
#
# Each case is a tiny downstream workspace, written into a scratch directory
# and built with bazelw; the build must fail and print the expected message.
# Usage: e2e/bad_inputs/run.sh   (from anywhere)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "${here}/../.." && pwd -P)
work="${here}/.work"
rm -rf "${work}"
mkdir -p "${work}/debs"
python3 "${repo}/runtimes/tests/synthetic/make_debs.py" --bad "${work}/debs"
escape="rules_actiond_escape_$$_${RANDOM}"
python3 "${repo}/runtimes/tests/synthetic/make_debs.py" --hostile "${work}/debs" "${escape}"
good_sha=$(sha256sum "${work}/debs/libc6_8.1-1_amd64.deb" | cut -d' ' -f1)
cat >"${work}/.bazelrc" <<'RC'
common --noenable_workspace
common --lockfile_mode=off
RC
echo 'exports_files(glob(["*.deb"]))' >"${work}/debs/BUILD.bazel"
touch "${work}/BUILD.bazel"

passed=0 failed=0
# case NAME TARGET EXPECTED-MESSAGE TAGS...: building TARGET in a MODULE.bazel
# with TAGS must fail with the message.
case_() {
  local name=$1 target=$2 want=$3
  shift 3
  {
    printf 'module(name = "bad_inputs")\n'
    printf 'bazel_dep(name = "rules_actiond", version = "0.0.0")\n'
    printf 'local_path_override(module_name = "rules_actiond", path = "%s")\n' "${repo}"
    printf 'glibc = use_extension("@rules_actiond//rules:extensions.bzl", "glibc")\n'
    printf '%s\n' "$@"
    printf 'use_repo(glibc, "glibc_runtimes")\n'
    # bazelw registers Debian's Rust toolchains from here (actiond-tool
    # builds from source in this workspace).
    printf 'host_rust = use_extension("@rules_actiond//bazel:host_rust.bzl", "host_rust", dev_dependency = True)\n'
    printf 'use_repo(host_rust, "host_rust")\n'
  } >"${work}/MODULE.bazel"
  local out
  if out=$(cd "${work}" && "${repo}/bazelw" build "@glibc_runtimes//:${target}" 2>&1); then
    echo "FAIL ${name}: the build succeeded"
    failed=$((failed + 1))
  elif grep -qF -- "${want}" <<<"${out}"; then
    echo "ok   ${name}: $(grep -F -- "${want}" <<<"${out}" | head -n1 | cut -c1-200)"
    passed=$((passed + 1))
  else
    echo "FAIL ${name}: no '${want}' in:"
    tail -n 5 <<<"${out}"
    failed=$((failed + 1))
  fi
}

runtime='glibc.runtime(name = "glibc8.1", arch = "x86_64")'
deb() { printf 'glibc.deb(runtime = "glibc8.1", arch = "x86_64", file = "//debs:%s"%s)' "$1" "${2:+, $2}"; }

case_ wrong_sha256 glibc8.1_x86_64 "Checksum was ${good_sha} but wanted $(printf 'f%.0s' {1..64})" \
  "${runtime}" "$(deb libc6_8.1-1_amd64.deb "sha256 = \"$(printf 'f%.0s' {1..64})\"")"
case_ not_ar glibc8.1_x86_64 "not_ar.deb is not a .deb: it does not start with the ar magic" "${runtime}" "$(deb not_ar.deb)"
case_ no_data glibc8.1_x86_64 "no_data.deb has no data.tar.* member" "${runtime}" "$(deb no_data.deb)"
case_ unknown_compression glibc8.1_x86_64 "bz2.deb: data.tar.bz2 has unknown compression 'bz2'; supported: xz, zst, gz" \
  "${runtime}" "$(deb bz2.deb)"
case_ unknown_arch glibc8.1_x86_64 "unknown arch \"riscv64\"; allowed: aarch64, x86_64" \
  'glibc.runtime(name = "glibc8.1", arch = "riscv64")'
case_ duplicate_runtime glibc8.1_x86_64 "glibc.runtime glibc8.1 x86_64 is declared twice" \
  "${runtime}" "${runtime}" "$(deb libc6_8.1-1_amd64.deb)"
case_ missing_sha256 glibc8.1_x86_64 "sha256 is missing; it is mandatory for downloaded .debs" \
  "${runtime}" 'glibc.deb(runtime = "glibc8.1", arch = "x86_64", urls = ["https://example.invalid/libc6.deb"])'
case_ version_mismatch glibc2.35_x86_64 "libc6_8.1-1_amd64.deb is libc6 8.1-1, but the runtime is named glibc2.35" \
  'glibc.runtime(name = "glibc2.35", arch = "x86_64")' \
  'glibc.deb(runtime = "glibc2.35", arch = "x86_64", file = "//debs:libc6_8.1-1_amd64.deb")'
case_ bad_name glibc2.35_x86_64 "libc \"libc-2.35\" must start with 'glibc'" 'glibc.runtime(name = "libc-2.35", arch = "x86_64")'

# Sysroots: a lock whose .debs lack libc6-dev, and one whose libc6 and
# libc6-dev are of two glibc versions, fail when the extension reads them.
sysroot_lock() { # PACKAGE=VERSION...
  local debs=() sha
  sha=$(printf 'a%.0s' {1..64})
  for p in "$@"; do
    debs+=("{\"package\": \"${p%%=*}\", \"version\": \"${p#*=}\", \"filename\": \"${p%%=*}.deb\", \"size\": 1, \"sha256\": \"${sha}\", \"urls\": [\"https://example.invalid/${p%%=*}.deb\"]}")
  done
  local IFS=,
  printf '{"runtimes": [{"name": "glibc2.31", "arch": "x86_64", "debs": [%s]}]}\n' "${debs[*]}" >"${work}/sysroot.lock.json"
}
sysroot_lock libc6=2.31-0ubuntu9 linux-libc-dev=5.4.0-26.30
case_ sysroot_without_libc6_dev glibc8.1_x86_64 \
  "glibc.sysroot @@//:sysroot.lock.json: glibc2.31 x86_64: its .debs lack libc6-dev" \
  "${runtime}" "$(deb libc6_8.1-1_amd64.deb)" 'glibc.sysroot(file = "//:sysroot.lock.json")'
sysroot_lock libc6=2.31-0ubuntu9 libc6-dev=2.35-0ubuntu3
case_ sysroot_two_glibcs glibc8.1_x86_64 \
  "libc6 is 2.31-0ubuntu9 but libc6-dev is 2.35-0ubuntu3: headers and libraries must be of one glibc" \
  "${runtime}" "$(deb libc6_8.1-1_amd64.deb)" 'glibc.sysroot(file = "//:sysroot.lock.json")'
rm -f "${work}/sysroot.lock.json"

# Each escape form, as a companion .deb of a good runtime: refused, and no
# file named ${escape} anywhere: the output base, bazelw's root (its /tmp and
# home), this machine's /tmp and home.
output_base=$(cd "${work}" && "${repo}/bazelw" info output_base 2>/dev/null)
build_root="${RULES_ACTIOND_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/rules_actiond}/bazel-$(cat "${repo}/.bazelversion")"
escaped() {
  find "${output_base}" "${build_root}/tmp" "${build_root}/root" /tmp "${HOME}" \
    -name "${escape}" -not -path "${work}/*" 2>/dev/null | head -n 3
}
for form_message in \
  "dotdot|escape_dotdot.deb:data.tar.gz: entry \"./usr/../../${escape}\" contains '..'" \
  "deep|escape_deep.deb:data.tar.gz: entry \"./usr/../../../../../../../../tmp/${escape}\" contains '..'" \
  "absolute|escape_absolute.deb:data.tar.gz: entry \"/tmp/${escape}\" is absolute" \
  "symlink|puts it below \"tmp\", which is a symlink from" \
  "hardlink|escape_hardlink.deb:data.tar.gz: ./etc/${escape}: hard link to \"/etc/passwd\" is absolute"; do
  form=${form_message%%|*}
  case_ "escape_${form}" glibc8.1_x86_64 "${form_message#*|}" \
    "${runtime}" "$(deb libc6_8.1-1_amd64.deb)" "$(deb "escape_${form}.deb")"
  if [[ -n $(escaped) ]]; then
    echo "FAIL escape_${form}: files escaped: $(escaped)"
    failed=$((failed + 1))
  fi
done

(cd "${work}" && "${repo}/bazelw" shutdown) || true
rm -rf "${work}"
echo "bad_inputs: ${passed} passed, ${failed} failed"
[[ ${failed} -eq 0 ]]
