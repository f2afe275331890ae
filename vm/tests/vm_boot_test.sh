#!/usr/bin/env bash
# Boots a VM bundle under qemu and checks the guest's report: every runtime
# of the image for the VM's arch ran its loader (reporting its glibc version)
# and the test program (which printed its libc's version).
#
# x86_64 (the default): qemu-system-x86_64. The kernel is decompressed first,
# as the seed's host does before a boot. KVM is used when /dev/kvm works; if
# the KVM boot gives no report (nested KVM on some hosts stops with "KVM
# internal error"), it boots again under TCG.
# --arch aarch64: qemu-system-aarch64 -M virt -cpu max under TCG, the image on
# virtio-blk-pci, the console on the PL011 UART.
# Each boot has a bounded timeout.
# Usage: vm_boot_test.sh [--arch ARCH] TOOL BUNDLE_MANIFEST KERNEL_ZST INITRAMFS RUNTIMES EXPECTED...
# where each EXPECTED is a glibc version ("2.35") or a runtime_manifest.json
# (expect the runtime it describes).
set -euo pipefail
arch=x86_64
if [[ "${1:-}" == --arch ]]; then arch=$2; shift 2; fi
tool=$1 manifest=$2 kernel_zst=$3 initramfs=$4 runtimes=$5
shift 5
fail() { echo "FAIL: $*" >&2; exit 1; }
case "${arch}" in
  x86_64) qemu=$(command -v qemu-system-x86_64) || fail "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)" ;;
  aarch64) qemu=$(command -v qemu-system-aarch64) || fail "qemu-system-aarch64 is not installed (apt-get install qemu-system-arm)" ;;
  *) fail "unknown --arch ${arch}" ;;
esac

# The bundle manifest matches the files.
for pair in kernel:"${kernel_zst}" initramfs:"${initramfs}" runtimes:"${runtimes}"; do
  name=${pair%%:*} file=${pair#*:}
  want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["sha256"])' "${manifest}" "${name}")
  [[ "$(sha256sum "${file}" | cut -d' ' -f1)" == "${want}" ]] || fail "${name}: sha256 differs from ${manifest}"
done

"${tool}" decompress "${kernel_zst}" "${TEST_TMPDIR}/vmlinuz"
boot_aarch64() { # TIMEOUT LOG
  local limit=$1 log=$2
  timeout "${limit}" "${qemu}" -M virt -accel tcg -cpu max -m 1024 -smp 2 \
    -nographic -no-reboot -nodefaults -serial stdio \
    -kernel "${TEST_TMPDIR}/vmlinuz" -initrd "${initramfs}" \
    -drive "file=${runtimes},if=none,id=runtimes,format=raw,readonly=on" \
    -device virtio-blk-pci,drive=runtimes \
    -append "console=ttyAMA0 panic=-1 quiet" </dev/null >"${log}" 2>&1 || true
  grep -aq 'ACTIOND-REPORT {"done":true' "${log}"
}

boot() { # ACCEL TIMEOUT LOG
  local accel=$1 limit=$2 log=$3
  local cpu=(-cpu max)
  [[ "${accel}" == kvm ]] && cpu=(-cpu host)
  timeout "${limit}" "${qemu}" -accel "${accel}" "${cpu[@]}" -m 1024 -smp 2 \
    -nographic -no-reboot -nodefaults -serial stdio \
    -kernel "${TEST_TMPDIR}/vmlinuz" -initrd "${initramfs}" \
    -drive "file=${runtimes},if=virtio,format=raw,readonly=on" \
    -append "console=ttyS0 panic=-1 quiet" </dev/null >"${log}" 2>&1 || true
  grep -aq 'ACTIOND-REPORT {"done":true' "${log}"
}

log="${TEST_TMPDIR}/serial.log"
accel=tcg
if [[ "${arch}" == aarch64 ]]; then
  start=$(date +%s%N)
  boot_aarch64 240 "${log}" || { tail -n 30 "${log}"; fail "no report from the aarch64 guest under TCG"; }
  accel=tcg-aarch64
elif [[ -r /dev/kvm && -w /dev/kvm ]]; then
  start=$(date +%s%N)
  if boot kvm 20 "${log}"; then
    accel=kvm
  else
    echo "KVM boot gave no report ($(grep -a -m1 -o 'KVM internal error[^.]*' "${log}" || echo 'timeout')); booting under TCG"
  fi
fi
if [[ "${accel}" == tcg ]]; then
  start=$(date +%s%N)
  boot tcg 300 "${log}" || { tail -n 30 "${log}"; fail "no report from the guest under TCG"; }
fi
echo "booted under ${accel}: report after $(( ($(date +%s%N) - start) / 1000000 )) ms"
grep -a -o 'ACTIOND-REPORT .*' "${log}" | tr -d '\r'

python3 - "${log}" "$@" <<'PY'
import json, sys
log = sys.argv[1]
# A runtime_manifest.json stands for the version in its runtime's name.
versions = [
    json.load(open(a))["name"].removeprefix("glibc") if a.endswith(".json") else a
    for a in sys.argv[2:]
]
reports = {}
done = None
for line in open(log, errors="replace"):
    # The console may put escape sequences before the first report.
    at = line.find("ACTIOND-REPORT ")
    if at < 0:
        continue
    r = json.loads(line[at + len("ACTIOND-REPORT "):].strip())
    if r.get("done"):
        done = r
    else:
        reports[r["runtime"]] = r
if done is None or "error" in done:
    sys.exit(f"FAIL: the guest did not finish cleanly: {done}")
for v in versions:
    r = reports.get("glibc" + v)
    if r is None:
        sys.exit(f"FAIL: no report for glibc{v}: {sorted(reports)}")
    if "error" in r:
        sys.exit(f"FAIL: glibc{v}: {r['error']}")
    if f"release version {v}." not in r["loader"]:
        sys.exit(f"FAIL: glibc{v}: the loader said {r['loader']!r}")
    if r["testprog_exit"] != 0 or r["testprog"] != f"actiond-testprog glibc={v}":
        sys.exit(f"FAIL: glibc{v}: the test program said {r['testprog']!r} (exit {r['testprog_exit']})")
    # /etc is the runtime's, with the image's common files on top.
    if not r["etc_hosts"].startswith("127.0.0.1") or not r["runtime_etc"]:
        sys.exit(f"FAIL: glibc{v}: /etc/hosts is {r['etc_hosts']!r}, the runtime's /etc/ld.so.conf.d {'is' if r['runtime_etc'] else 'is not'} there")
if done["runtimes"] != len(versions):
    sys.exit(f"FAIL: the guest checked {done['runtimes']} runtimes, expected {len(versions)}")
print(f"PASS: {len(versions)} runtimes booted and reported")
PY
