#!/usr/bin/env bash
# The downstream build ran rules_actiond's tool: a zstd frame, smaller than its input.
set -euo pipefail
out=$1 input=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ "$(head -c 4 "${out}" | od -An -tx1 | tr -d ' ')" == 28b52ffd ]] || fail "${out} is not zstd"
[[ $(stat -L -c %s "${out}") -lt $(( $(stat -L -c %s "${input}") / 2 )) ]] || fail "${out} is not compressed"
echo PASS
