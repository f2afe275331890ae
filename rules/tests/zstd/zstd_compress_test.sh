#!/usr/bin/env bash
# zstd_compress: the same bytes for any thread count, smaller than the input,
# and the zstd CLI decompresses each output back to its input's bytes.
set -euo pipefail
one=$1 two=$2 input=$3 kernel=$4 kernel_input=$5
fail() { echo "FAIL: $*" >&2; exit 1; }
# decompresses_to ZST FILE: `zstd -d` of ZST gives exactly FILE's bytes.
decompresses_to() {
  zstd -q -d -c <"$1" >"${TEST_TMPDIR}/out" || fail "zstd cannot decompress $1"  # stdin: zstd ignores symlinked inputs
  cmp "${TEST_TMPDIR}/out" "$2" || fail "$1 does not decompress to $2"
}
decompresses_to "${one}" "${input}"
decompresses_to "${kernel}" "${kernel_input}"
cmp "${one}" "${two}" || fail "output depends on threads"
[[ "$(head -c 4 "${one}" | od -An -tx1 | tr -d ' ')" == 28b52ffd ]] || fail "not a zstd frame"
[[ $(stat -L -c %s "${one}") -lt $(( $(stat -L -c %s "${input}") / 4 )) ]] || fail "barely compressed"
[[ "$(head -c 4 "${kernel}" | od -An -tx1 | tr -d ' ')" == 28b52ffd ]] || fail "kernel is not a zstd frame"
[[ $(stat -L -c %s "${kernel}") -gt 10000000 ]] || fail "kernel too small"
echo PASS
