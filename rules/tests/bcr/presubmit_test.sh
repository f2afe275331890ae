#!/usr/bin/env bash
# .bcr/presubmit.yml's build_targets are exactly the labels this test was
# given, all of which Bazel built as its data: so each one exists and builds.
# Usage: presubmit_test.sh PRESUBMIT_YML LABEL...
set -euo pipefail
presubmit=$1
shift
named=$(sed -n 's/^ *- "\(@rules_actiond\/\/[^"]*\)"$/\1/p' "${presubmit}" | sort)
given=$(printf '@rules_actiond%s\n' "$@" | sort)
[[ -n ${named} ]] || { echo "FAIL: ${presubmit} names no @rules_actiond// targets" >&2; exit 1; }
if [[ ${named} != "${given}" ]]; then
  echo "FAIL: ${presubmit}'s build_targets differ from this test's data (rules/tests/bcr/BUILD.bazel):" >&2
  diff <(echo "${named}") <(echo "${given}") >&2 || true
  exit 1
fi
echo "PASS: $(wc -l <<<"${named}") presubmit targets exist and build"
