#!/usr/bin/env bash
# The remote layer (e2e/run.sh remote): builds the standalone actiond-runner
# (the x86_64 runtimes image embedded), starts a cluster with
# e2e/remote/up.sh in standalone mode (PostgreSQL, BuildGrid, two
# buildbox-workers; the runner's image extracted once and mounted once),
# runs e2e/remote/checks.sh against it, and stops it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

runner_target=//tools/runner:actiond_runner_standalone
./bazelw build "${runner_target}"
# An absolute path: the workers run inside bazelw's root, which sees Bazel's
# output tree at the same path.
runner=$(readlink -f "$(./bazelw cquery --output=files "${runner_target}" 2>/dev/null)")
./bazelw shutdown

exec e2e/remote/up.sh --runner "${runner}" --standalone --workers 2 --queue-timeout 60 \
  -- e2e/remote/checks.sh
