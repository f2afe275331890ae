#!/usr/bin/env bash
# `actiond-tool runtime run`, the runtime contract, on the real runtimes image:
# the runtime's own glibc is the one loaded; the root holds common/root, the
# manifest mounts, /proc, /dev nodes, a writable /tmp and the bound
# directory, and nothing else is writable; the environment is clean; exit
# codes and signals come through; bad requests exit 125 with a reason.
set -uo pipefail
tool=$1 image=$2 testprog=$(readlink -f "$3") probe=$(readlink -f "$4") hosts=$5
fail() { echo "FAIL: $*" >&2; exit 1; }

run() { "${tool}" runtime run --image "${image}" "$@"; }

# Each runtime loads its own libc.
for version in 2.31 2.35 2.39; do
  out=$(run --libc "glibc${version}" --bind "$(dirname "${testprog}")" -- "${testprog}") \
    || fail "testprog on glibc${version}: ${out}"
  [[ ${out} == "actiond-testprog glibc=${version}" ]] || fail "glibc${version} ran: ${out}"
done

# What a command sees (the probe links against the glibc 2.31 sysroot, so
# it runs in every runtime).
dir=$(dirname "${probe}")
for version in 2.31 2.35 2.39; do
  out=$(run --libc "glibc${version}" --bind "${dir}" --workdir "${dir}" --env PROBE=set -- "${probe}") \
    || fail "probe on glibc${version}: ${out}"
  # shellcheck disable=SC2001  # prefixes every line
  echo "${out}" | sed "s/^/glibc${version}: /"
  expect() { grep -qxF "$1" <<<"${out}" || fail "glibc${version}: expected $1"; }
  expect "glibc=${version}"
  expect "cwd=${dir}"
  expect "path=/usr/local/bin:/usr/bin:/bin"
  expect "home=unset"
  expect "probe_env=set"
  expect "hosts=$(head -n 1 "${hosts}")"
  expect "nsswitch=yes"
  expect "proc=yes"
  expect "dev_null=yes"
  expect "write_root=Read-only file system"
  expect "write_tmp=yes"
  expect "write_lib=Read-only file system"
  expect "bin_sh=absent"
done

# Exit codes and signals come through.
run --libc glibc2.39 --bind "${dir}" -- "${probe}" exit 7
[[ $? -eq 7 ]] || fail "exit 7 did not come through"
run --libc glibc2.39 --bind "${dir}" -- "${probe}" kill
[[ $? -eq 143 ]] || fail "SIGTERM did not come through as 143"

# Bad requests: exit 125 and one line saying why.
out=$(run --libc glibc2.40 -- /x 2>&1)
[[ $? -eq 125 ]] || fail "an unknown runtime did not exit 125"
grep -q "no runtime glibc2.40 for x86_64; it has: glibc2.31/x86_64, glibc2.35/x86_64, glibc2.39/x86_64" <<<"${out}" \
  || fail "unknown runtime: ${out}"
out=$(run --libc glibc2.39 -- /no/such/program 2>&1)
[[ $? -eq 125 ]] || fail "a missing program did not exit 125"
grep -q "cannot run /no/such/program inside glibc2.39/x86_64" <<<"${out}" || fail "missing program: ${out}"
out=$("${tool}" runtime run --image "${probe}" --libc glibc2.39 -- /x 2>&1)
[[ $? -eq 125 ]] || fail "a non-image did not exit 125"
grep -q "${probe}: not a SquashFS image" <<<"${out}" || fail "non-image: ${out}"
out=$(run --libc glibc2.39 --arch aarch64 -- /x 2>&1)
[[ $? -eq 125 ]] || fail "a foreign runtime without --qemu did not exit 125"
echo PASS
