#!/usr/bin/env bash
# Runs the fuzz targets, one after the other, each for SECONDS.
#
#   tools/fuzz/run.sh SECONDS [TARGET...]      (default: every target)
#
# Builds them with cargo fuzz (AddressSanitizer; RUSTC_BOOTSTRAP=1 lets the
# stable toolchain take the nightly flags cargo fuzz passes), writes the seed
# corpus with gen_corpus (inputs built by code: nothing big is in git), and
# runs each target as one libFuzzer process (one worker; no -jobs, with
# which libFuzzer would only fork a child for that worker) with a corpus of:
# the kept corpus (target/work/corpus/T, not in git), the seeds, and the
# crash reproducers of regressions/T. A crash leaves its input in
# target/work/artifacts/T/ and makes the script fail after the other targets.
#
# Environment: FUZZ_SANITIZER (address, or none), FUZZ_WORK (work directory),
# CARGO_BUILD_JOBS (default 1), FUZZ_ARGS (more libFuzzer flags).
# Needs cargo-fuzz (cargo install cargo-fuzz). Last lines: one summary line
# per target, then 'N passed, N failed'.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
all=(deb_ar data_tar squashfs_spec payload packages_index cpio_roundtrip)
[[ $# -ge 1 && "$1" =~ ^[0-9]+$ ]] || {
  echo "usage: $0 SECONDS [TARGET...]   (targets: ${all[*]})" >&2
  exit 2
}
seconds="$1"
shift
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")

export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
sanitizer="${FUZZ_SANITIZER:-address}"
work="${FUZZ_WORK:-${here}/target/work}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
cd "${here}"

command -v cargo-fuzz >/dev/null || {
  echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2
  exit 1
}
for t in "${targets[@]}"; do
  cargo fuzz build --sanitizer "${sanitizer}" "${t}"
done
cargo run --quiet --features gen --bin gen_corpus -- "${work}/seeds"

passed=0
failed=0
summary=()
for t in "${targets[@]}"; do
  corpus="${work}/corpus/${t}"
  artifacts="${work}/artifacts/${t}"
  log="${work}/logs/${t}.log"
  rm -rf "${artifacts}"
  mkdir -p "${corpus}" "${artifacts}" "$(dirname "${log}")"
  dirs=("${corpus}" "${work}/seeds/${t}")
  [[ -d "regressions/${t}" ]] && dirs+=("regressions/${t}")

  echo "== ${t}: ${seconds}s" >&2
  set +e
  # shellcheck disable=SC2086  # FUZZ_ARGS holds several libFuzzer flags
  ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:${ASAN_OPTIONS}}" \
    "target/${triple}/release/${t}" "${dirs[@]}" \
    -max_total_time="${seconds}" -timeout=30 -rss_limit_mb=2048 \
    -artifact_prefix="${artifacts}/" -print_final_stats=1 \
    ${FUZZ_ARGS:-} >"${log}" 2>&1
  rc=$?
  set -e
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -1)"
  size="$(find "${corpus}" -mindepth 1 -maxdepth 1 | wc -l)"
  if [[ ${rc} -eq 0 ]]; then
    passed=$((passed + 1))
    summary+=("${t}: ok, ${seconds}s, ${execs:-?} execs, corpus ${size}")
  else
    failed=$((failed + 1))
    summary+=("${t}: FAILED (exit ${rc}), see ${log} and ${artifacts}/")
    tail -30 "${log}" >&2
  fi
done
printf '%s\n' "${summary[@]}"
echo "${passed} passed, ${failed} failed"
[[ ${failed} -eq 0 ]]
