#!/usr/bin/env bash
# What the downstream build made with rules_actiond's public rules is real:
# the runtimes image holds our glibc 2.39 runtime, whose manifest and
# packages file are valid against rules_actiond's JSON Schemas (actiond's
# for the manifest), the data image our files,
# the zstd file compresses the input, and the standalone executor extracts
# its embedded image byte for byte; built for the platform of the glibc 2.31
# sysroot, it needs no newer glibc.
set -euo pipefail
runtimes=$1 data=$2 executor=$3 zst=$4 input=$5 executor_bin=$6 manifest_schema=$7 packages_schema=$8
fail() { echo "FAIL: $*" >&2; exit 1; }

listing=$(unsquashfs -lls "${runtimes}")
for path in common/root/etc/hosts libc/glibc2.39/x86_64/runtime_manifest.json \
  libc/glibc2.39/x86_64/root/usr/lib/x86_64-linux-gnu/libc.so.6 \
  libc/glibc2.39/x86_64/root/usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
  grep -q " squashfs-root/${path}\( \|$\)" <<<"${listing}" || fail "${runtimes} lacks ${path}"
done
grep -q "libc/glibc2.35" <<<"${listing}" && fail "${runtimes} has a runtime we did not ask for"
tree=${TEST_TMPDIR}/image
unsquashfs -q -n -d "${tree}" "${runtimes}" >/dev/null
python3 - "${manifest_schema}" "${packages_schema}" "${tree}/libc/glibc2.39/x86_64" <<'PY' || fail "the runtime's JSON files do not follow their schemas"
import json, sys, jsonschema
for schema, name in [(sys.argv[1], "runtime_manifest.json"), (sys.argv[2], "runtime_packages.json")]:
    jsonschema.validate(json.load(open(f"{sys.argv[3]}/{name}")), json.load(open(schema)), cls=jsonschema.Draft202012Validator)
    print(f"{name}: valid")
PY

listing=$(unsquashfs -lls "${data}")
grep -q "squashfs-root/latest -> data/input.txt$" <<<"${listing}" || fail "${data} lacks the symlink"
grep -q "squashfs-root/data/input.txt.zst$" <<<"${listing}" || fail "${data} lacks the .zst"

[[ "$(head -c 4 "${zst}" | od -An -tx1 | tr -d ' ')" == 28b52ffd ]] || fail "${zst} is not zstd"
[[ $(stat -L -c %s "${zst}") -lt $(( $(stat -L -c %s "${input}") / 2 )) ]] || fail "${zst} is not compressed"

highest=$(objdump -T "${executor_bin}" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
echo "the executor needs glibc ${highest}"
[[ -n "${highest}" && "$(printf '%s\n2.31\n' "${highest}" | sort -V | tail -n1)" == 2.31 ]] \
  || fail "the executor needs glibc ${highest:-?}, newer than the sysroot's 2.31"

root=${TEST_TMPDIR}/root
out=$("${executor}" "${root}")
echo "${out}"
path=$(awk -F'\t' '$1 == "runtimes" {print $2}' <<<"${out}")
[[ -n ${path} ]] || fail "the executor extracted no runtimes payload"
cmp "${path}" "${runtimes}" || fail "the extracted image differs from the image"
[[ ${path} == "${root}/embedded/runtimes-$(sha256sum "${runtimes}" | cut -d' ' -f1)" ]] \
  || fail "unexpected path ${path}"
echo PASS
