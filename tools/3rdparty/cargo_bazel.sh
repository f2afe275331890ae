#!/usr/bin/env bash
# Runs the cargo-bazel generator that rules_rust 0.54.1 pairs with (0.15.0),
# installed with `cargo install cargo-bazel --version 0.15.0 --locked`.
set -euo pipefail
want=0.15.0
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
cargo_home=${CARGO_HOME:-${home}/.cargo}
bin=$(command -v cargo-bazel || echo "${cargo_home}/bin/cargo-bazel")
if [[ ! -x "${bin}" ]]; then
  echo "cargo-bazel not found: cargo install cargo-bazel --version ${want} --locked" >&2
  exit 1
fi
have=$("${bin}" --version | awk '{print $2}')
if [[ "${have}" != "${want}" ]]; then
  echo "cargo-bazel ${have} found, ${want} needed: cargo install cargo-bazel --version ${want} --locked" >&2
  exit 1
fi

# Cargo >= 1.85 names the default registry's sparse index directory with a new hash
# (1949cf8c6b5b557f); cargo-bazel 0.15 only looks for the old one
# (6f17d22bba15001f). Give it a private CARGO_HOME where the old name links to
# the real directory; the download cache is shared as it is.
tmp_home=$(mktemp -d)
trap 'rm -rf "${tmp_home}"' EXIT
mkdir -p "${tmp_home}/registry/index"
for entry in "${cargo_home}"/registry/* "${cargo_home}"/config.toml "${cargo_home}"/credentials.toml; do
  [[ -e "${entry}" && "$(basename "${entry}")" != index ]] && ln -s "${entry}" "${tmp_home}/${entry#"${cargo_home}"/}"
done
for index in "${cargo_home}"/registry/index/*; do
  [[ -e "${index}" ]] || continue
  name=$(basename "${index}")
  ln -s "${index}" "${tmp_home}/registry/index/${name}"
  if [[ "${name}" == *-1949cf8c6b5b557f ]]; then
    ln -s "${index}" "${tmp_home}/registry/index/${name%-1949cf8c6b5b557f}-6f17d22bba15001f"
  fi
done
CARGO_HOME="${tmp_home}" "${bin}" "$@"
