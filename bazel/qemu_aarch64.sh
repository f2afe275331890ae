#!/usr/bin/env bash
# Runs aarch64 Linux programs on an x86_64 host under qemu-user, as
# `--config=aarch64`'s --run_under (see .bazelrc):
#
#   qemu_aarch64.sh PROGRAM [ARG...]
#
# An aarch64 ELF PROGRAM runs under qemu-aarch64, its shared libraries from
# the cross toolchain's sysroot (what it was linked against). Anything else (a
# test script) runs as it is. Either way ACTIOND_TEST_EMULATOR is this
# script's absolute path, so that the test can run the aarch64 programs it
# starts (itself included):
#   "${ACTIOND_TEST_EMULATOR:-env}" "${tool}" ...
# Both paths are fixed, not looked up on PATH: bazelw's root installs them
# (qemu-user and gcc-aarch64-linux-gnu).
set -euo pipefail
qemu=/usr/bin/qemu-aarch64
sysroot=/usr/aarch64-linux-gnu
self=$(readlink -f "${BASH_SOURCE[0]}")
prog=${1:?usage: qemu_aarch64.sh PROGRAM [ARG...]}
export ACTIOND_TEST_EMULATOR="${self}"

# e_ident "\x7fELF", 64-bit, little-endian; e_machine 183 (EM_AARCH64).
header=$(od -An -tx1 -N20 -- "${prog}" 2>/dev/null | tr -d ' \n' || true)
if [[ "${header}" == 7f454c460201* && "${header:36:4}" == b700 ]]; then
  [[ -x "${qemu}" ]] || { echo "qemu_aarch64.sh: ${qemu} is missing (apt-get install qemu-user)" >&2; exit 127; }
  [[ -d "${sysroot}" ]] || { echo "qemu_aarch64.sh: ${sysroot} is missing (apt-get install libc6-dev-arm64-cross)" >&2; exit 127; }
  exec "${qemu}" -L "${sysroot}" "$@"
fi
exec "$@"
