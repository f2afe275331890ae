#!/usr/bin/env bash
# The test layers, one mode or several at a time:
#
#   build        every target builds; unit tests and image checks pass
#   linux        binaries run inside each runtime: loaders, the runtime
#                contract (actiond-tool runtime run), glibc_compat_test,
#                loop-mounted images (aarch64 under qemu-user)
#   vm           the VM bundle boots under qemu and reports on each runtime
#   standalone   standalone binaries extract their embedded payloads
#   aarch64      //tools/... cross-built for aarch64, its tests under qemu-aarch64
#   stress       the stress workload (e2e/stress), built locally
#   downstream   a workspace using rules_actiond through bazel_dep (e2e/downstream)
#   determinism  the same payload bytes from other output bases, and cache hits
#                from a shared disk cache; a changed .deb compressed again
#                alone (needs unsquashfs on the host: squashfs-tools)
#   validations  broken artifacts fail their validation actions; and
#                --norun_validations skips them
#   bad_inputs   bad runtime declarations fail with clear messages
#   mirror       a downloader config sends runtime URLs to a mirror
#   prebuilt     a release's prebuilt actiond-tool serves a downstream module
#                through its toolchain, with no Rustc action (needs a clean
#                checkout: the release is HEAD)
#   remote       remote execution: PostgreSQL, BuildGrid and buildbox-workers
#                with actiond-runner on 127.0.0.1 (e2e/remote/up.sh); the
#                stress workload and its checks built through them, each
#                action inside the runtime its libc property names; the
#                runtimes image, its .debs compressed in parallel on both
#                workers; and a realistic C build (e2e/realistic), remote
#                against local
#   all          ./bazelw test //... (build, linux, vm and standalone), then
#                every mode after standalone
#
# Usage: e2e/run.sh MODE...
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

layer_tags=(layer-linux layer-vm layer-standalone)
outside=(aarch64 validations stress downstream determinism bad_inputs mirror prebuilt remote)

nested() {
  (cd "e2e/$1" && ../../bazelw test //... && ../../bazelw shutdown)
}

run_mode() {
  case $1 in
    build)
      ./bazelw build //... \
        && ./bazelw test --test_tag_filters="$(printf -- '-%s,' "${layer_tags[@]}" | sed 's/,$//')" //...
      ;;
    linux | vm | standalone) ./bazelw test --test_tag_filters="layer-$1" //... ;;
    aarch64) ./bazelw test --config=aarch64 //tools/... ;;
    stress | downstream) nested "$1" ;;
    validations | determinism | bad_inputs | mirror | prebuilt | remote) "e2e/$1/run.sh" ;;
    all)
      local status=0
      ./bazelw test //... || status=1
      for mode in "${outside[@]}"; do
        run_mode "${mode}" || status=1
      done
      return "${status}"
      ;;
    *)
      sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
      return 2
      ;;
  esac
}

[[ $# -gt 0 ]] || set -- help
status=0
for mode in "$@"; do
  echo "e2e: ${mode}" >&2
  run_mode "${mode}" || { echo "e2e: ${mode} FAILED" >&2; status=1; }
done
exit "${status}"
