#!/usr/bin/env bash
# The kernel reads the image: loop-mount it and run every runtime's own
# loader from inside it. Needs root and loop devices (the test's
# requires-loop-mount tag says so): without them it fails.
# With TESTPROG (a dynamically linked program of vm/testprog.c for the
# image's foreign arch), each foreign-arch runtime also runs it under
# `QEMU -L <runtime root>`, in a mount namespace where this machine's own
# libraries of that arch are hidden, and it must print the runtime's version.
# Usage: image_mount_test.sh IMAGE [QEMU [TESTPROG]]   (QEMU runs foreign-arch loaders)
set -euo pipefail
image=$1 qemu=${2:-} testprog=${3:+${PWD}/$3}
fail() { echo "FAIL: $*" >&2; exit 1; }
mnt=$(mktemp -d "${TEST_TMPDIR:-/tmp}/mnt.XXXXXX")
if ! mount -o loop,ro -t squashfs "${image}" "${mnt}" 2>"${TEST_TMPDIR}/mount.err"; then
  fail "cannot loop-mount ${image}: $(cat "${TEST_TMPDIR}/mount.err") (needs root and loop devices)"
fi
trap 'umount "${mnt}"' EXIT
[[ -f "${mnt}/common/root/etc/hosts" && -f "${mnt}/common/root/etc/nsswitch.conf" ]] || fail "no common/root/etc files"

count=0
for rt in "${mnt}"/libc/*/*; do
  name=$(basename "$(dirname "${rt}")") arch=$(basename "${rt}")
  version=${name#glibc}
  runner=()
  [[ "${arch}" == "$(uname -m)" ]] || runner=("${qemu:?a QEMU runner is needed for ${arch}}")
  libdir=""
  for d in "lib/${arch}-linux-gnu" "usr/lib/${arch}-linux-gnu"; do
    if [[ -z "${libdir}" && ! -L "${rt}/root/${d}" ]] && compgen -G "${rt}/root/${d}/ld-linux*" >/dev/null; then
      libdir="${rt}/root/${d}"
    fi
  done
  [[ -n "${libdir}" ]] || fail "${name} ${arch}: no loader in the image"
  loader=$(compgen -G "${libdir}/ld-linux*" | head -n1)
  out=$("${runner[@]}" "${loader}" --library-path "${libdir}" --version 2>/dev/null | head -n1 || true)
  if [[ "${out}" != *"release version"* ]]; then
    out=$("${runner[@]}" "${loader}" --library-path "${libdir}" "${libdir}/libc.so.6" | head -n1)
  fi
  echo "${name} ${arch}: ${out}"
  [[ "${out}" == *"release version ${version}."* ]] || fail "${name} ${arch}: the loader in the image says '${out}'"
  if [[ -n "${testprog}" && "${arch}" != "$(uname -m)" ]]; then
    readelf -lW "${testprog}" | grep -q 'Requesting program interpreter' || fail "${testprog} is not dynamically linked"
    [[ "$(readelf -h "${testprog}" | sed -n 's/^ *Machine: *//p')" == "$([[ ${arch} == aarch64 ]] && echo AArch64 || echo "${arch}")" ]] \
      || fail "${testprog} is not an ${arch} program: $(readelf -h "${testprog}" | grep Machine:)"
    # shellcheck disable=SC2016  # the script expands its own arguments
    out=$(unshare --mount --propagation private -- bash -c '
      set -e
      arch=$1; shift
      for d in "/usr/lib/${arch}-linux-gnu" "/lib/${arch}-linux-gnu" "/usr/${arch}-linux-gnu"; do
        if [[ -d "${d}" && ! -L "${d}" ]]; then mount -t tmpfs none "${d}"; fi
      done
      for f in "/usr/lib/ld-linux-${arch}"* "/lib/ld-linux-${arch}"*; do
        if [[ -f "${f}" && ! -L "${f}" ]]; then mount --bind /dev/null "${f}"; fi
      done
      exec "$@"
    ' hide "${arch}" "${qemu}" -L "${rt}/root" "${testprog}" 2>&1) || fail "${name} ${arch}: the test program failed: ${out}"
    echo "${name} ${arch}: ${out}"
    [[ "${out}" == "actiond-testprog glibc=${version}" ]] || fail "${name} ${arch}: the test program said '${out}'"
  fi
  count=$((count + 1))
done
[[ ${count} -gt 0 ]] || fail "no runtimes in ${image}"
echo "PASS: ${count} runtimes run from the mounted image"
