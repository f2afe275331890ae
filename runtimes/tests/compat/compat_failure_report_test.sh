#!/usr/bin/env bash
# A glibc_compat_test with wrong expectations fails, naming each runtime and why.
set -uo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }

output=$("$1" 2>&1)
rc=$?
echo "${output}"
[[ ${rc} -ne 0 ]] || fail "the test passed with wrong expectations"
grep -q "^FAIL glibc2.31/x86_64: .* should run, but exited 1:" <<<"${output}" \
  || fail "no report of the 2.31 failure"
grep -q "version \`GLIBC_2.34' not found" <<<"${output}" \
  || fail "the loader's message is not shown"
grep -q "^FAIL glibc2.39/x86_64: .* should fail with \"GLIBC_2.34\", but it ran" <<<"${output}" \
  || fail "no report of the unexpected success on 2.39"
grep -q "^glibc_compat_test: 2 runtimes, 0 as expected, 2 not$" <<<"${output}" \
  || fail "no summary"
echo PASS
