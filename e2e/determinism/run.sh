#!/usr/bin/env bash
# Determinism and cache friendliness of the payloads:
# 1. built in a fresh output base, the runtimes image and the VM bundle have
#    the sha256s they have in the workspace's own output base;
# 2. a second fresh output base, sharing the first one's --disk_cache, gets
#    every payload action from that cache: the execution log shows each one
#    as a cache hit, none executed;
# 3. when one .deb of the three-runtime image changes, only that .deb is
#    compressed again: glibc 2.35's zlib1g, repacked with one more file, is
#    swapped in with --override_repository, and the execution log shows one
#    SquashfsCompress action, that .deb's, then the image assembled again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
work=${PWD}/e2e/determinism/.work
targets=(//runtimes:runtimes_squashfs_x86_64 //vm:vm_bundle)
payload_mnemonics=RuntimeSquashfs,SquashfsCompress,ZstdCompress,Initramfs,VmBundleManifest
fail() { echo "determinism: FAIL: $*" >&2; exit 1; }
# Check 3 lists the image with the host's unsquashfs (.ci/run installs
# squashfs-tools on a bare machine).
command -v unsquashfs >/dev/null \
  || fail "unsquashfs is not installed on this host (apt-get install squashfs-tools)"

# spawns LOG: the spawns of a JSON execution log (objects one after another),
# one JSON object a line.
spawns() {
  python3 - "$1" <<'PY'
import json, sys
text, decoder, pos = open(sys.argv[1]).read(), json.JSONDecoder(), 0
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    spawn, pos = decoder.raw_decode(text, pos)
    print(json.dumps(spawn))
PY
}

# The payload files of a build, as "sha256  name" lines.
digests() {
  local base=$1
  ./bazelw --output_base="${base}" cquery --output=files "set(${targets[*]})" 2>/dev/null \
    | (cd "$(./bazelw --output_base="${base}" info execution_root 2>/dev/null)" && xargs sha256sum)
}

rm -rf "${work}"
mkdir -p "${work}"
trap './bazelw --output_base="${work}/a" shutdown >/dev/null 2>&1 || true
      ./bazelw --output_base="${work}/b" shutdown >/dev/null 2>&1 || true
      rm -rf "${work}"' EXIT

./bazelw build "${targets[@]}"
digests "$(./bazelw info output_base 2>/dev/null)" >"${work}/main.sha256"

./bazelw --output_base="${work}/a" build --disk_cache="${work}/cache" "${targets[@]}"
digests "${work}/a" >"${work}/a.sha256"
diff -u "${work}/main.sha256" "${work}/a.sha256" || fail "another output base built other bytes"
./bazelw --output_base="${work}/a" shutdown

./bazelw --output_base="${work}/b" build --disk_cache="${work}/cache" \
  --execution_log_json_file="${work}/b.log.json" "${targets[@]}" 2>&1 | tee "${work}/b.out"
digests "${work}/b" >"${work}/b.sha256"
diff -u "${work}/main.sha256" "${work}/b.sha256" || fail "the cached build gave other bytes"

spawns "${work}/b.log.json" >"${work}/b.spawns"
python3 - "${work}/b.spawns" "${payload_mnemonics}" <<'PY'
import json, sys
spawns, wanted = [json.loads(line) for line in open(sys.argv[1])], set(sys.argv[2].split(","))
hit = lambda s: s.get("cacheHit", s.get("remoteCacheHit", False))
payload = [s for s in spawns if s.get("mnemonic") in wanted]
executed = [s for s in spawns if not hit(s)]
missed = [s for s in payload if not hit(s)]
print(f"determinism: {len(spawns)} spawns, {len(spawns) - len(executed)} from the disk cache, "
      f"{len(executed)} executed; payload actions: {len(payload)}, {len(missed)} executed")
seen = {s["mnemonic"] for s in payload}
if seen != wanted:
    sys.exit(f"determinism: FAIL: no {sorted(wanted - seen)} action in the log; every one of {sorted(wanted)} must be there")
if missed:
    sys.exit("determinism: FAIL: not cache hits: " + ", ".join(s["mnemonic"] + " " + s.get("targetLabel", "") for s in missed))
PY
grep -h "processes:" "${work}/b.out" | tail -1

# 3. One .deb changed.
runtime_repo=$(./bazelw query --output=build @glibc_runtimes//:glibc2.35_x86_64 2>/dev/null \
  | sed -n 's|.*actual = "@@\([^/]*\)//.*|\1|p')
[[ -n ${runtime_repo} ]] || fail "cannot find the repository of @glibc_runtimes//:glibc2.35_x86_64"
cp -rL "$(./bazelw info output_base 2>/dev/null)/external/${runtime_repo}" "${work}/override"
zlib_deb=$(ls "${work}/override/debs"/zlib1g_*.deb)
dpkg-deb -R "${zlib_deb}" "${work}/unpacked"
mkdir -p "${work}/unpacked/etc"
echo "one more file" >"${work}/unpacked/etc/determinism-changed.txt"
dpkg-deb --root-owner-group -Zxz -b "${work}/unpacked" "${zlib_deb}" >/dev/null
./bazelw build --override_repository="${runtime_repo}=${work}/override" \
  --execution_log_json_file="${work}/c.log.json" //runtimes:runtimes_squashfs_x86_64
image=$(./bazelw cquery --output=files //runtimes:runtimes_squashfs_x86_64 2>/dev/null)
unsquashfs -l "${image}" | grep -q 'libc/glibc2.35/x86_64/root/etc/determinism-changed.txt$' \
  || fail "the rebuilt image lacks the changed .deb's new file"
spawns "${work}/c.log.json" >"${work}/c.spawns"
python3 - "${work}/c.spawns" <<'PY'
import json, sys
spawns = [json.loads(line) for line in open(sys.argv[1])]
outputs = lambda s: " ".join(o if isinstance(o, str) else o.get("path", "") for o in s.get("listedOutputs", []))
compressed = [outputs(s) for s in spawns if s.get("mnemonic") == "SquashfsCompress"]
assembled = [s for s in spawns if s.get("mnemonic") == "RuntimeSquashfs"]
print(f"determinism: after one .deb changed, {len(compressed)} SquashfsCompress action(s) ran: {compressed}")
if len(compressed) != 1 or "zlib1g" not in compressed[0] or "glibc2.35" not in compressed[0]:
    sys.exit("determinism: FAIL: only the changed .deb (glibc 2.35's zlib1g) should have been compressed again")
if len(assembled) != 1:
    sys.exit(f"determinism: FAIL: the image was assembled {len(assembled)} times, not once")
PY
./bazelw build //runtimes:runtimes_squashfs_x86_64
echo "determinism: PASS ($(wc -l <"${work}/main.sha256") payload files identical in three output bases; a changed .deb recompressed alone)"
