#!/usr/bin/env bash
# Checks a runtime repository built from real .debs:
# the manifest is valid and names the runtime, every mount source exists in
# the unpacked tree and every interpreter is a file through the mounts, the
# packages describe its .debs, the runtime's own loader reports
# the glibc version the name declares, and libstdc++ (a companion package)
# resolves all its libraries inside the runtime (unless COMPANIONS is "no").
# A foreign-arch (aarch64) runtime's loader runs under qemu-aarch64.
#
# Usage: runtime_test.sh TOOL NAME ARCH COMPANIONS FILE...
#   NAME: the expected runtime name, or "-" for whatever the manifest says
#   FILE: the runtime's files
set -euo pipefail
tool=$1 name=$2 arch=$3 companions=$4
shift 4
fail() { echo "FAIL: ${name} ${arch}: $*" >&2; exit 1; }

manifest="" packages=""
for f in "$@"; do
  [[ "${f}" == */runtime_manifest.json ]] && manifest=${f}
  [[ "${f}" == */runtime_packages.json ]] && packages=${f}
done
[[ -n "${manifest}" && -n "${packages}" ]] || fail "no runtime_manifest.json and runtime_packages.json among $*"
# The runtime's tree, unpacked here by the same derivation as the build's
# (glibc_runtime's derive_args.txt), which must give the same manifest; laid
# out as an image holds it, the manifest beside root/.
runtime="${TEST_TMPDIR}/runtime"
root="${runtime}/root"
mkdir -p "${runtime}"
mapfile -t derive <"$(dirname "${manifest}")/derive_args.txt"
"${tool}" runtime derive "${derive[@]}" --manifest "${runtime}/runtime_manifest.json" --root "${root}" \
  || fail "cannot unpack the runtime"
cmp -s "${manifest}" "${runtime}/runtime_manifest.json" || fail "unpacking again gives another manifest"

# Every mount source exists below root/, and every interpreter is a file
# through the mounts, as the executor will see it; the packages describe
# the manifest's .debs.
"${tool}" check manifest "${runtime}/runtime_manifest.json" --tree --packages "${packages}" \
  || fail "invalid manifest, or not in the tree"
if [[ "${name}" == - ]]; then name=$(sed -n 's/^  "name": "\(.*\)",*$/\1/p' "${manifest}"); fi
version=${name#glibc}
grep -q "\"name\": \"${name}\"" "${manifest}" || fail "manifest does not name ${name}"
grep -q "\"arch\": \"${arch}\"" "${manifest}" || fail "manifest does not say ${arch}"
grep -q '\["root/etc", "/etc"\]' "${manifest}" || fail "the runtime's etc is not mounted at /etc"

# The runtime's own loader, from its multiarch directory.
triplet="${arch}-linux-gnu"
libdir="" loader=""
for d in "lib/${triplet}" "usr/lib/${triplet}"; do
  if [[ -z "${loader}" && ! -L "${root}/${d}" ]] && compgen -G "${root}/${d}/ld-linux*" >/dev/null; then
    libdir="${root}/${d}"
    loader=$(compgen -G "${libdir}/ld-linux*" | head -n1)
  fi
done
[[ -n "${loader}" ]] || fail "no ld-linux* in lib/${triplet} or usr/lib/${triplet}"
runner=()
if [[ "${arch}" != "$(uname -m)" ]]; then
  runner=("$(command -v "qemu-${arch}")") || fail "qemu-${arch} (qemu-user) is needed to run an ${arch} loader"
fi
# ld.so --version exists since glibc 2.33; before, run libc.so.6 through the
# loader, which prints the same release line.
out=$("${runner[@]}" "${loader}" --library-path "${libdir}" --version 2>/dev/null | head -n1 || true)
if [[ "${out}" != *"release version"* ]]; then
  out=$("${runner[@]}" "${loader}" --library-path "${libdir}" "${libdir}/libc.so.6" | head -n1)
fi
echo "${out}"
[[ "${out}" == *"release version ${version}."* ]] || fail "loader says '${out}', want ${version}"

if [[ "${companions}" == no ]]; then echo PASS; exit 0; fi

# The companions: libstdc++ and its dependencies resolve inside the runtime.
libpath="${root}/lib/${triplet}:${root}/usr/lib/${triplet}"
libstdcxx=$(compgen -G "${root}/usr/lib/${triplet}/libstdc++.so.6" || compgen -G "${root}/lib/${triplet}/libstdc++.so.6" || true)
[[ -n "${libstdcxx}" ]] || fail "no libstdc++.so.6 in the runtime"
deps=$("${loader}" --library-path "${libpath}" --list "${libstdcxx}")
echo "${deps}"
if grep -q "not found" <<<"${deps}"; then fail "libstdc++.so.6 has unresolved dependencies"; fi
for lib in libc.so.6 libm.so.6 libgcc_s.so.1; do
  grep -q "${lib} => ${root}" <<<"${deps}" || fail "libstdc++.so.6 does not load ${lib} from the runtime"
done
echo PASS
