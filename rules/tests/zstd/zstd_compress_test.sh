#!/usr/bin/env bash
# zstd_compress: the same bytes for any thread count, smaller than the input,
# a zstd frame; and the kernel target is a zstd frame of a kernel's size.
set -euo pipefail
one=$1 two=$2 input=$3 kernel=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
cmp "${one}" "${two}" || fail "output depends on threads"
[[ "$(head -c 4 "${one}" | od -An -tx1 | tr -d ' ')" == 28b52ffd ]] || fail "not a zstd frame"
[[ $(stat -L -c %s "${one}") -lt $(( $(stat -L -c %s "${input}") / 4 )) ]] || fail "barely compressed"
[[ "$(head -c 4 "${kernel}" | od -An -tx1 | tr -d ' ')" == 28b52ffd ]] || fail "kernel is not a zstd frame"
[[ $(stat -L -c %s "${kernel}") -gt 10000000 ]] || fail "kernel too small"
echo PASS
