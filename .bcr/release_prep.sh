#!/usr/bin/env bash
# Makes a release's source archive and prints its release notes.
#
# Usage: .bcr/release_prep.sh TAG [CHANGES_FILE] >notes.md
#   TAG          vX.Y.Z or X.Y.Z; the archive unpacks to rules_actiond-X.Y.Z/
#                (source.template.json's strip_prefix)
#   CHANGES_FILE what changed, in Markdown (default: the commit subjects since
#                the previous tag)
# Writes rules_actiond-TAG.tar.gz in the current directory, from git HEAD,
# with MODULE.bazel's version set to X.Y.Z.
set -euo pipefail
tag=${1:?usage: release_prep.sh TAG [CHANGES_FILE]}
version=${tag#v}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
archive="${PWD}/rules_actiond-${tag}.tar.gz"
prefix="rules_actiond-${version}"

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
git -C "${repo}" archive --format=tar --prefix="${prefix}/" HEAD | tar -x -C "${work}"
# The released module carries its version.
sed -i -E '0,/^    version = "[^"]*",$/s//    version = "'"${version}"'",/' "${work}/${prefix}/MODULE.bazel"
grep -q "^    version = \"${version}\",$" "${work}/${prefix}/MODULE.bazel" \
  || { echo "release_prep.sh: cannot set the version in MODULE.bazel" >&2; exit 1; }
# Reproducible: sorted names, fixed owner and mtime, no gzip timestamp.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "${work}" -c "${prefix}" \
  | gzip -n >"${archive}"
integrity="sha256-$(openssl dgst -sha256 -binary "${archive}" | base64 -w0)"

if [[ -n ${2:-} ]]; then
  changes=$(cat "$2")
else
  previous=$(git -C "${repo}" describe --tags --abbrev=0 HEAD^ 2>/dev/null || true)
  changes=$(git -C "${repo}" log --format='- %s' ${previous:+"${previous}..HEAD"})
fi
awk -v version="${version}" -v tag="${tag}" -v integrity="${integrity}" -v changes="${changes}" '
  { gsub(/\{VERSION\}/, version); gsub(/\{TAG\}/, tag); gsub(/\{INTEGRITY\}/, integrity) }
  /^\{CHANGES\}$/ { print changes; next }
  { print }
' "${repo}/.bcr/release_notes.template.md"
echo "release_prep.sh: wrote ${archive}" >&2
