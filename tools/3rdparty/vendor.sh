#!/usr/bin/env bash
# Regenerates tools/3rdparty/crates from tools/Cargo.lock:
#   bazel run //tools/3rdparty:vendor
# then rewrites every crate's http_archive into crate_archive, so that no
# registry host from this machine's Cargo configuration is committed.
set -euo pipefail
: "${BUILD_WORKSPACE_DIRECTORY:?run me with bazel run //tools/3rdparty:vendor}"
vendor="$1"
"${vendor}"
defs="${BUILD_WORKSPACE_DIRECTORY}/tools/3rdparty/crates/defs.bzl"
sed -E -i \
  -e 's|^load\("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive"\)$|load("//tools/3rdparty:crate_archive.bzl", "crate_archive")|' \
  -e 's|^( +)http_archive,$|\1crate_archive,|' \
  -e '/^ +type = "tar.gz",$/d' \
  -e 's|^( +)urls = \["[^"]*/([^/"]+)/([^/"]+)/download"\],$|\1crate = "\2",\n\1version = "\3",|' \
  "${defs}"
# Point the generated headers at this wrapper rather than at crates_vendor.
sed -i 's|bazel run @@//tools/3rdparty:crates_vendor|bazel run //tools/3rdparty:vendor|' \
  "${BUILD_WORKSPACE_DIRECTORY}"/tools/3rdparty/crates/*
if grep -nE 'https?://|http_archive' "${defs}"; then
  echo "vendor.sh: ${defs} still names a URL or http_archive; update the rewrite above" >&2
  exit 1
fi
# Keep MODULE.bazel's use_repo(crates, ...) equal to the direct dependencies,
# of crates and of their tests.
module="${BUILD_WORKSPACE_DIRECTORY}/MODULE.bazel"
# Sorted as buildifier sorts use_repo's names (the lint CI runs).
repos=$({
  sed -n 's/^ *struct(repo *= *"\([^"]*\)", is_dev_dep = [A-Za-z]*),$/    "\1",/p' "${defs}"
  echo '    "crates_cargo_fetch",'
} | LC_ALL=C sort -u)
awk -v repos="${repos}" '
  /^use_repo\($/ { held = $0; next }
  held != "" && /^    crates,$/ { print held; print; print repos; skipping = 1; held = ""; next }
  held != "" { print held; held = "" }
  skipping && /^\)$/ { skipping = 0 }
  !skipping { print }
' "${module}" >"${module}.tmp"
mv "${module}.tmp" "${module}"
echo "vendor.sh: regenerated tools/3rdparty/crates and the crates use_repo in MODULE.bazel"
