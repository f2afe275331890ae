#!/usr/bin/env bash
# The remote layer (e2e/run.sh remote): builds actiond-runner and the x86_64
# runtimes image, starts a cluster with e2e/remote/up.sh (PostgreSQL,
# BuildGrid, two buildbox-workers running actions through actiond-runner in
# the image's runtimes), runs e2e/remote/checks.sh against it, and stops it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

targets=(//tools/runner:actiond_runner //runtimes:runtimes_squashfs_x86_64)
./bazelw build "${targets[@]}"
# Absolute paths: the workers run inside bazelw's root, which sees Bazel's
# output tree at the same path.
output() { readlink -f "$(./bazelw cquery --output=files "$1" 2>/dev/null)"; }
runner=$(output "${targets[0]}")
image=$(output "${targets[1]}")
./bazelw shutdown

exec e2e/remote/up.sh --runner "${runner}" --image "${image}" --workers 2 --queue-timeout 60 \
  -- e2e/remote/checks.sh
