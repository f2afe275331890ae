#!/usr/bin/env bash
# Makes a release: the source archive, the prebuilt actiond-tool binaries it
# points at, and the release notes.
#
# Usage: .bcr/release_prep.sh TAG [CHANGES_FILE] >notes.md
#   TAG          vX.Y.Z or X.Y.Z; the archive unpacks to rules_actiond-X.Y.Z/
#                (source.template.json's strip_prefix)
#   CHANGES_FILE what changed, in Markdown (default: the commit subjects since
#                the previous tag)
# Environment:
#   RELEASE_URL  where the release's files will be downloadable from (the
#                binaries' URLs in the archive are RELEASE_URL/<file>);
#                default https://github.com/$GITHUB_REPOSITORY/releases/download/TAG
#   RELEASE_DIR  where to write the files (default: the current directory)
#
# Writes, from git HEAD:
#   rules_actiond-TAG.tar.gz      MODULE.bazel's version set to X.Y.Z, and
#                                 rules/private/actiond_tool_versions.json
#                                 naming the two binaries below by sha256
#   actiond-tool-linux-x86_64     both linked against a glibc 2.31 sysroot:
#   actiond-tool-linux-aarch64    they start on glibc 2.31 and later
set -euo pipefail
tag=${1:?usage: release_prep.sh TAG [CHANGES_FILE]}
version=${tag#v}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "${RELEASE_DIR:-.}"
out=$(cd "${RELEASE_DIR:-.}" && pwd)
if [[ -z ${RELEASE_URL:-} ]]; then
  [[ -n ${GITHUB_REPOSITORY:-} ]] || { echo "release_prep.sh: set RELEASE_URL (or GITHUB_REPOSITORY)" >&2; exit 1; }
  RELEASE_URL="https://github.com/${GITHUB_REPOSITORY}/releases/download/${tag}"
fi
archive="${out}/rules_actiond-${tag}.tar.gz"
prefix="rules_actiond-${version}"

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
git -C "${repo}" archive --format=tar --prefix="${prefix}/" HEAD | tar -x -C "${work}"
src="${work}/${prefix}"

# The prebuilt binaries, built from the same commit: this checkout, clean.
[[ -z $(git -C "${repo}" status --porcelain --untracked-files=no) ]] \
  || { echo "release_prep.sh: ${repo} has uncommitted changes; the binaries must be built from HEAD" >&2; exit 1; }
binaries=()
for platform in linux_x86_64 linux_aarch64; do
  config=(-c opt)
  [[ ${platform} == linux_aarch64 ]] && config+=(--config=aarch64)
  (cd "${repo}" && ./bazelw build "${config[@]}" //tools/cli:actiond_tool >&2)
  file="actiond-tool-${platform//_/-}"
  bin=$(cd "${repo}" && ./bazelw info "${config[@]}" bazel-bin 2>/dev/null)/tools/cli/actiond_tool
  install -m 0755 "${bin}" "${out}/${file}.tmp"
  mv -f "${out}/${file}.tmp" "${out}/${file}"
  sha=$(sha256sum "${out}/${file}" | cut -d' ' -f1)
  binaries+=("\"${platform}\": {\"sha256\": \"${sha}\", \"urls\": [\"${RELEASE_URL%/}/${file}\"]}")
done
{
  echo "{"
  echo "  \"version\": \"${version}\","
  echo "  \"binaries\": {"
  echo "    ${binaries[0]},"
  echo "    ${binaries[1]}"
  echo "  }"
  echo "}"
} >"${src}/rules/private/actiond_tool_versions.json"

# The released module carries its version.
sed -i -E '0,/^    version = "[^"]*",$/s//    version = "'"${version}"'",/' "${src}/MODULE.bazel"
grep -q "^    version = \"${version}\",$" "${src}/MODULE.bazel" \
  || { echo "release_prep.sh: cannot set the version in MODULE.bazel" >&2; exit 1; }
# Reproducible: sorted names, fixed owner and mtime, no gzip timestamp.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "${work}" -c "${prefix}" \
  | gzip -n >"${archive}.tmp"
mv -f "${archive}.tmp" "${archive}"
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
echo "release_prep.sh: wrote ${archive} and the actiond-tool binaries into ${out}" >&2
