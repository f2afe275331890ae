#!/usr/bin/env bash
# Provisions Debian sid's packaged Bazel into a root directory outside the
# repository, for machines that have no Bazel of the pinned version on PATH.
#
# Usage: bazel/provision.sh ROOT VERSION
#
# The root is built in ROOT.tmp and renamed into place only when it is
# complete, so an interrupted run leaves no half-made root behind. Running it
# on a complete root only re-checks the stamp, so it is cheap and idempotent.
set -euo pipefail

root=${1:?usage: provision.sh ROOT VERSION}
version=${2:?usage: provision.sh ROOT VERSION}

# Everything the root needs: Debian's Bazel and the modules it packages, a C
# toolchain for rules_cc and rules_rust links, and what the tests call
# (qemu-user runs aarch64 binaries; squashfs-tools and zstd are the images'
# and compressed payloads' oracles; python3-jsonschema checks manifests
# against actiond's JSON Schema).
# The root also gets arm64 apt lists, from which tests fetch arm64 .debs.
# Debian's cargo is the toolchain's, for crates_vendor (//tools/3rdparty:vendor).
# For aarch64 targets: Debian's rustc with its arm64 std (the same version),
# the cross gcc as their linker and C compiler, and qemu-system-aarch64.
# For remote execution tests (e2e/remote/up.sh): buildbox's worker and runners
# need glibc >= 2.38, so they run here, not on the host; BuildGrid's scheduler
# needs PostgreSQL; and BuildGrid 0.9.1 needs Python >= 3.13, sid's python3,
# in a venv (python3-venv) that pip fills from e2e/remote/requirements.txt.
packages=(
  bazel-bootstrap
  bazel-platforms
  bazel-skylib
  bazel-rules-shell
  bazel-rules-rust
  bazel-stardoc
  gcc
  libc6-dev
  zlib1g-dev
  python3
  python3-jsonschema
  ca-certificates
  qemu-user
  qemu-system-x86
  squashfs-tools
  zstd
  rustc
  cargo
  libstd-rust-dev:arm64
  gcc-aarch64-linux-gnu
  libc6-dev-arm64-cross
  qemu-system-arm
  buildbox
  postgresql
  python3-venv
)
foreign_arches=(arm64)
# Debian bullseye (glibc 2.31), from the same mirror as sid, for the arm64
# sysroot and test runtime (Ubuntu ports is unreachable here). Pinned below
# sid, so nothing else comes from it.
extra_suites=(bullseye)

stamp_content="bazel=${version} packages=${packages[*]} foreign=${foreign_arches[*]} suites=${extra_suites[*]}"
stamp="${root}/.rules_actiond-provisioned"

die() { echo "bazelw: $*" >&2; exit 1; }

if [[ -f "${stamp}" && "$(cat "${stamp}")" == "${stamp_content}" ]]; then
  exit 0
fi

[[ ${EUID} -eq 0 ]] || die "provisioning Bazel ${version} into ${root} needs root (debootstrap, mount namespaces); run as root or put bazel ${version} on PATH"

if ! command -v debootstrap >/dev/null; then
  echo "bazelw: installing debootstrap" >&2
  apt-get update -qq >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2 || die "could not install debootstrap"
fi

log="${root}.log"
work="${root}.tmp"
if [[ -f "${stamp}" ]]; then
  # An older root whose package list changed: update it in place.
  work="${root}"
elif [[ ! -f "${work}/.debootstrap-done" ]]; then
  rm -rf "${work}"
  mkdir -p "$(dirname "${root}")"
  echo "bazelw: bootstrapping Debian sid into ${work} (a few minutes, once)" >&2
  debootstrap --variant=minbase sid "${work}" >"${log}" 2>&1 \
    || die "debootstrap failed; see ${log}"
  touch "${work}/.debootstrap-done"
fi

# The snapshot mirror's Release file may read as expired.
echo 'Acquire::Check-Valid-Until "false";' >"${work}/etc/apt/apt.conf.d/90rules-actiond"
cp /etc/resolv.conf "${work}/etc/resolv.conf" 2>/dev/null || true

# Runs a command inside the root, with /proc, /sys and /dev mounted in a
# private mount namespace (package scripts such as Java's need /proc).
in_root() {
  # shellcheck disable=SC2016  # the script expands its own arguments
  unshare --mount --propagation private -- /bin/sh -c '
    set -e
    r=$1; shift
    mount -t proc proc "$r/proc"
    mount --rbind /sys "$r/sys"
    mount --rbind /dev "$r/dev"
    exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
      DEBIAN_FRONTEND=noninteractive "$@"
  ' in_root "${work}" "$@"
}

for suite in "${extra_suites[@]}"; do
  sed -n "s/ sid / ${suite} /p" "${work}/etc/apt/sources.list" >"${work}/etc/apt/sources.list.d/rules-actiond-${suite}.list"
  printf 'Package: *\nPin: release n=%s\nPin-Priority: 100\n' "${suite}" >"${work}/etc/apt/preferences.d/rules-actiond-${suite}"
done

echo "bazelw: installing ${packages[*]} into the root" >&2
for a in "${foreign_arches[@]}"; do in_root dpkg --add-architecture "${a}"; done
in_root apt-get update -qq >>"${log}" 2>&1 || die "apt-get update failed inside ${work}; see ${log}"
in_root apt-get install -y -qq --no-install-recommends "${packages[@]}" >>"${log}" 2>&1 \
  || die "apt-get install failed inside ${work}; see ${log}"
in_root apt-get clean

# shellcheck disable=SC2016  # dpkg-query's own field syntax
found=$(in_root dpkg-query -W -f='${Version}' bazel-bootstrap)
[[ "${found}" == "${version}"* ]] \
  || die "Debian's bazel-bootstrap is ${found}, but .bazelversion pins ${version}"

echo "${stamp_content}" >"${work}/.rules_actiond-provisioned"
if [[ "${work}" != "${root}" ]]; then
  rm -rf "${root}" "${work}/.debootstrap-done"
  mv "${work}" "${root}"
fi
rm -f "${log}"
