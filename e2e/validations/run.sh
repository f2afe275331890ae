#!/usr/bin/env bash
# The validation actions fire: each broken artifact of
# //rules/tests/validations fails `bazel build` with its check's message,
# naming the artifact and the offending entry, and builds with
# --norun_validations, which skips the checks. And a binary that calls a
# glibc 2.34 function fails to link for glibc 2.31, naming both.
#
# Usage: e2e/validations/run.sh   (from anywhere; uses this workspace)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
pkg=//rules/tests/validations

passed=0 failed=0
# case TARGET MESSAGE...: the build fails with every MESSAGE (fixed strings).
case_() {
  local target=$1 out want
  shift
  if out=$(./bazelw build "${pkg}:${target}" 2>&1); then
    echo "FAIL ${target}: the build succeeded"
    failed=$((failed + 1))
    return
  fi
  for want in "$@"; do
    if ! grep -qF -- "${want}" <<<"${out}"; then
      echo "FAIL ${target}: no '${want}' in:"
      grep -E 'ERROR|actiond-tool' <<<"${out}" | tail -n 5
      failed=$((failed + 1))
      return
    fi
  done
  local message
  message=$(grep -m1 -F -- "$1" <<<"${out}" | cut -c1-240)
  if ! out=$(./bazelw build --norun_validations "${pkg}:${target}" 2>&1); then
    echo "FAIL ${target}: --norun_validations did not skip the check:"
    tail -n 5 <<<"${out}"
    failed=$((failed + 1))
    return
  fi
  echo "ok   ${target}: ${message}"
  passed=$((passed + 1))
}

case_ runtime_missing_interpreter \
  "runtime_missing_interpreter.check.json: every interpreter is an ELF of the manifest's arch" \
  "interpreter /lib64/ld-missing.so.2" "does not exist"
case_ runtime_wrong_version \
  "runtime_wrong_version.check.json: glibc's version matches the runtime's name" \
  "libc/glibc2.31/x86_64/root/lib/x86_64-linux-gnu/libc.so.6 is glibc 2.35, but the runtime is named glibc2.31"
case_ image_non_root \
  "non_root.squashfs: every entry is owned by root: /etc/passwd is owned by 1000:1000"
case_ standalone_tampered \
  "tampered: each section holds its payload: runtimes has sha256"
case_ initramfs_wrong_arch \
  "initramfs_wrong_arch.cpio.zst: init is a static executable of the VM's arch: init is an ELF for Aarch64, the VM is x86_64"

# Linked against the glibc 2.31 sysroot (the default platform), closefrom
# is missing, and the toolchain says which glibc it linked against.
if out=$(./bazelw build //rules/tests/sysroot:needs_closefrom 2>&1); then
  echo "FAIL needs_closefrom: linked against glibc 2.31"
  failed=$((failed + 1))
elif want="rules_actiond: closefrom is undefined in glibc 2.31, the glibc of the sysroot glibc2.31_x86_64" \
  && grep -qF -- "${want}" <<<"${out}"; then
  echo "ok   needs_closefrom: $(grep -m1 -F -- "${want}" <<<"${out}" | cut -c1-240)"
  passed=$((passed + 1))
else
  echo "FAIL needs_closefrom: no '${want}' in:"
  grep -E 'ERROR|undefined|rules_actiond' <<<"${out}" | tail -n 5
  failed=$((failed + 1))
fi

echo "validations: ${passed} checks fire as expected, ${failed} not"
[[ ${failed} -eq 0 ]]
