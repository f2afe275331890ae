#!/usr/bin/env bash
# shellcheck disable=SC2001  # sed prefixes every line of an output
# glibc_compat_test: runs a binary inside runtimes of a runtimes image with
# `actiond-tool runtime run`, and checks each against its expectation.
set -uo pipefail

tool=%TOOL%
image=%IMAGE%
binary=%BINARY%
cases=%CASES%

# The binary's directory is mounted at its own path inside each root.
bin=$(readlink -f "${binary}")
dir=$(dirname "${bin}")
host=$(uname -m)
total=0 failed=0

while IFS=$'\t' read -r libc arch expect message; do
  total=$((total + 1))
  where="${libc}/${arch}"
  qemu=()
  if [[ ${arch} != "${host}" ]]; then
    runner=$(command -v "qemu-${arch}") || {
      echo "FAIL ${where}: qemu-${arch} (qemu-user) is needed to run ${arch} binaries on ${host}"
      failed=$((failed + 1))
      continue
    }
    qemu=(--qemu "${runner}")
  fi
  output=$("${tool}" runtime run --image "${image}" --libc "${libc}" --arch "${arch}" \
    "${qemu[@]}" --bind "${dir}" --workdir "${dir}" -- "${bin}" "$@" 2>&1)
  rc=$?
  last=$(tail -n 3 <<<"${output}")
  if [[ ${rc} -eq 125 ]]; then
    echo "FAIL ${where}: could not run ${binary} there: ${output}"
    failed=$((failed + 1))
  elif [[ ${expect} == run && ${rc} -eq 0 ]]; then
    echo "PASS ${where}: ran ${binary}: $(head -n 1 <<<"${output}")"
  elif [[ ${expect} == run ]]; then
    echo "FAIL ${where}: ${binary} should run, but exited ${rc}:"
    sed 's/^/    /' <<<"${last}"
    failed=$((failed + 1))
  elif [[ ${rc} -eq 0 ]]; then
    echo "FAIL ${where}: ${binary} should fail${message:+ with \"${message}\"}, but it ran"
    failed=$((failed + 1))
  elif [[ ${output} != *"${message}"* ]]; then
    echo "FAIL ${where}: ${binary} failed (exit ${rc}) but without \"${message}\":"
    sed 's/^/    /' <<<"${last}"
    failed=$((failed + 1))
  else
    echo "PASS ${where}: ${binary} fails as expected (exit ${rc}): $(grep -m1 -F -- "${message}" <<<"${output}")"
  fi
done <"${cases}"

echo "glibc_compat_test: ${total} runtimes, $((total - failed)) as expected, ${failed} not"
[[ ${failed} -eq 0 ]]
