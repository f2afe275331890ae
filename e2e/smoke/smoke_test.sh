#!/usr/bin/env bash
set -euo pipefail
out=$1
[[ "$(head -c 4 "${out}" | od -An -tx1 | tr -d ' ')" == 28b52ffd ]] || { echo "FAIL: ${out} is not zstd" >&2; exit 1; }
[[ $(stat -L -c %s "${out}") -lt 20000 ]] || { echo "FAIL: ${out} is not compressed" >&2; exit 1; }
echo PASS
