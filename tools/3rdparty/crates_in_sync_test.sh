#!/usr/bin/env bash
# Fails when tools/3rdparty/crates/defs.bzl and tools/Cargo.lock disagree on
# the set of registry crates or their sha256s. Fix: bazel run //tools/3rdparty:vendor
set -euo pipefail
lock=$1
defs=$2

# "name version sha256" for every registry package in Cargo.lock.
awk '
  /^\[\[package\]\]/ { name = ""; version = ""; registry = 0; sum = "" }
  /^name = /     { gsub(/"/, "", $3); name = $3 }
  /^version = /  { gsub(/"/, "", $3); version = $3 }
  /^source = "registry\+/ { registry = 1 }
  /^checksum = / { gsub(/"/, "", $3); sum = $3; if (registry) print name, version, sum }
' "${lock}" | sort >lock.txt

# The same triples from the crate_archive calls in defs.bzl.
awk '
  /^ +crate_archive,$/ { inside = 1; crate = ""; version = ""; sum = "" }
  inside && /^ +sha256 = /  { gsub(/[",]/, "", $3); sum = $3 }
  inside && /^ +crate = /   { gsub(/[",]/, "", $3); crate = $3 }
  inside && /^ +version = / { gsub(/[",]/, "", $3); version = $3 }
  inside && /^ +\)$/ { print crate, version, sum; inside = 0 }
' "${defs}" | sort >defs.txt

if [[ ! -s lock.txt ]]; then
  echo "no registry packages found in ${lock}" >&2
  exit 1
fi
if ! diff -u lock.txt defs.txt; then
  echo "FAIL: ${defs} is out of date with ${lock} (- Cargo.lock, + defs.bzl)." >&2
  echo "Regenerate: ./bazelw run //tools/3rdparty:vendor" >&2
  exit 1
fi
echo "PASS: $(wc -l <lock.txt) crates match"
