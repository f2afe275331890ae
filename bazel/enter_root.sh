#!/usr/bin/env bash
# Runs a command inside the root that bazel/provision.sh made, in a private
# mount namespace entered with pivot_root (so that Bazel's linux-sandbox, which
# makes namespaces of its own, keeps working), with the mounts bazelw's Bazel
# sees: /proc, /sys and /dev; this checkout; the caller's directory if it is
# outside the checkout; the cache directory (RULES_ACTIOND_CACHE, which holds
# Bazel's output_user_root and disk cache) at its own path; the host's Cargo
# and rustup homes; and the host's CA certificates.
#
# Usage: bazel/enter_root.sh ROOT CACHE WS HERE COMMAND [ARG...]
#
# COMMAND runs in HERE with a clean environment (HOME=/root, PATH, CARGO_HOME,
# RUSTUP_HOME, TERM, CI, USER, LANG); pass more with `env K=V COMMAND`. Only
# the mount namespace is private: the network and process ids are the host's.
# bazelw runs Bazel through this; e2e/remote/up.sh runs its servers with it.
set -euo pipefail

if [[ $# -lt 5 ]]; then
  echo "usage: enter_root.sh ROOT CACHE WS HERE COMMAND [ARG...]" >&2
  exit 2
fi
root=$1 cache=$2 ws=$3 here=$4
shift 4
cargo_home=$(readlink -f "${CARGO_HOME:-${HOME}/.cargo}")
rustup_home=$(readlink -f "${RUSTUP_HOME:-${HOME}/.rustup}")

# shellcheck disable=SC2016  # the script expands its own arguments
exec unshare --mount --propagation private -- /bin/bash -c '
  set -euo pipefail
  root=$1 cache=$2 ws=$3 here=$4 cargo_home=$5 rustup_home=$6
  shift 6
  mount --bind "${root}" "${root}"
  mount --rbind /proc "${root}/proc"
  mount --rbind /sys "${root}/sys"
  mount --rbind /dev "${root}/dev"
  bind() {
    mkdir -p "${root}$2"
    mount --bind "$1" "${root}$2"
    if [[ ${3:-} == ro ]]; then mount -o remount,bind,ro "${root}$2"; fi
  }
  bind "${ws}" "${ws}"
  bind "${cache}" "${cache}"
  if [[ "${here}/" != "${ws}/"* ]]; then bind "${here}" "${here}"; fi
  if [[ -d "${cargo_home}" ]]; then bind "${cargo_home}" "${cargo_home}"; fi
  if [[ -d "${rustup_home}" ]]; then bind "${rustup_home}" "${rustup_home}" ro; fi
  # Trust what the host trusts (a corporate or proxy CA), for Java and Cargo.
  if [[ -d /etc/ssl/certs ]]; then bind /etc/ssl/certs /etc/ssl/certs ro; fi
  cd "${root}"
  mkdir -p .oldroot
  pivot_root . .oldroot
  umount -l /.oldroot
  cd "${here}"
  exec /usr/bin/env -i \
    HOME=/root \
    PATH="${cargo_home}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    CARGO_HOME="${cargo_home}" RUSTUP_HOME="${rustup_home}" \
    TERM="${TERM:-dumb}" CI="${CI:-}" USER=root LANG=C.UTF-8 \
    "$@"
' enter_root "${root}" "${cache}" "${ws}" "${here}" "${cargo_home}" "${rustup_home}" "$@"
