#!/usr/bin/env bash
# Benchmarks the realistic build (e2e/realistic: 303 compiles, 30 archives
# and 3 links by Zig's static C toolchain) through remote execution
# (BuildGrid and two buildbox-workers with actiond-runner on this machine,
# e2e/remote/up.sh, each action inside glibc 2.35) against the same build
# run locally (linux-sandbox). Each build starts from a clean output tree
# with no disk cache and no remote cache hits; e2e/remote/realistic.sh does
# the builds and the checks. Prints the table row of BENCHMARKS.md.
#
# Usage: tools/benchmarks/realistic.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

if [[ ${1:-} != --client ]]; then
  cd "${repo}"
  ./bazelw build //tools/runner:actiond_runner_standalone
  runner=$(readlink -f "$(./bazelw cquery --output=files //tools/runner:actiond_runner_standalone 2>/dev/null)")
  ./bazelw shutdown
  exec e2e/remote/up.sh --runner "${runner}" --standalone --workers 2 --queue-timeout 300 \
    -- "${BASH_SOURCE[0]}" --client
fi

times=$("${repo}/e2e/remote/realistic.sh" | tee /dev/stderr | sed -n 's/^realistic: //p')
l=$(sed -n 's/^local \([0-9.]*\) s.*/\1/p' <<<"${times}")
r=$(sed -n 's/.*remote \([0-9.]*\) s$/\1/p' <<<"${times}")
[[ -n ${l} && -n ${r} ]] || { echo "realistic.sh measured no times" >&2; exit 1; }
echo "| build | local (linux-sandbox) | remote (BuildGrid, 2 workers, glibc 2.35) | remote / local |"
echo "|---|---|---|---|"
echo "| e2e/realistic: 303 compiles, 30 archives, 3 links | ${l} s | ${r} s | **$(awk -v a="${r}" -v b="${l}" 'BEGIN {printf "%.2f×", a / b}')** |"
