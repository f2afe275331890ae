#!/usr/bin/env bash
# Copies the generated API docs over docs/*.md: bazel run //docs:update
set -euo pipefail
: "${BUILD_WORKSPACE_DIRECTORY:?run me with bazel run //docs:update}"
for generated in "$@"; do
  name=$(basename "${generated}" .generated.md)
  cp "${generated}" "${BUILD_WORKSPACE_DIRECTORY}/docs/${name}.md"
  chmod 644 "${BUILD_WORKSPACE_DIRECTORY}/docs/${name}.md"
done
echo "update.sh: $# files in docs/"
