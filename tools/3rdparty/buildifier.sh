#!/usr/bin/env bash
# Formats generated BUILD files with buildifier when it is installed
# (npm install -g @bazel/buildifier); otherwise leaves them as generated.
set -euo pipefail
if command -v buildifier >/dev/null; then
  exec buildifier "$@"
fi
