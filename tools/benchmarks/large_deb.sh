#!/usr/bin/env bash
# Benchmarks one large .deb into an image: actiond-tool squashfs-pack
# streaming it (members spilled to a temporary file, never held in memory)
# against dpkg-deb -x + mksquashfs, with the same settings as
# tools/benchmarks/squashfs_pack.sh (zstd 15, 128 KiB blocks, all threads).
# Prints a BENCHMARKS.md row: median wall time, image bytes and the largest
# peak RSS (GNU time %M) of RUNS runs each.
#
# Usage: tools/benchmarks/large_deb.sh DEB [RUNS]   (default 3 runs)
# For example, a .deb that unpacks to over 500 MB, from Debian sid:
#   apt-get download libflang-19-dev
# Needs: cargo, squashfs-tools, dpkg-deb, GNU time.
set -euo pipefail
deb=$(readlink -f "${1:?usage: large_deb.sh DEB [RUNS]}")
runs=${2:-3}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
procs=$(nproc)
work=$(mktemp -d /tmp/large-deb-bench.XXXXXX)
trap 'rm -rf "${work}"' EXIT

(cd "${repo}/tools" && cargo build --release --locked -q -p actiond_tool)
tool="${repo}/tools/target/release/actiond-tool"
printf '{"compression": {"algorithm": "zstd", "level": 15}, "entries": [{"type": "deb", "source": "%s", "prefix": "x"}]}\n' \
  "${deb}" >"${work}/spec.json"
cat >"${work}/reference.sh" <<SH
set -e
rm -rf '${work}/x'
dpkg-deb -x '${deb}' '${work}/x'
mksquashfs '${work}/x' '${work}/theirs.squashfs' -noappend -quiet -no-progress -comp zstd \
  -Xcompression-level 15 -b 131072 -processors ${procs} -all-root -mkfs-time 0 -all-time 0 -no-xattrs
SH

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# measure NAME CMD...: prints "median_seconds max_rss_kb" of $runs runs.
measure() {
  local name=$1
  shift
  : >"${work}/${name}.times"
  for _ in $(seq "${runs}"); do
    rm -f "${work}/ours.squashfs" "${work}/theirs.squashfs"
    sync
    /usr/bin/time -f "%e %M" -o "${work}/t" "$@" >/dev/null 2>&1
    cat "${work}/t" >>"${work}/${name}.times"
  done
  echo "$(cut -d' ' -f1 "${work}/${name}.times" | median) $(cut -d' ' -f2 "${work}/${name}.times" | sort -n | tail -n1)"
}

read -r ot orss <<<"$(measure ours "${tool}" squashfs-pack --spec "${work}/spec.json" --out "${work}/ours.squashfs" --threads "${procs}")"
our_size=$(stat -c %s "${work}/ours.squashfs")
read -r mt mrss <<<"$(measure theirs bash "${work}/reference.sh")"
their_size=$(stat -c %s "${work}/theirs.squashfs")
unpacked=$(du -sm "${work}/x" | cut -f1)
entries=$(find "${work}/x" | wc -l)
echo "| .deb | squashfs_pack | dpkg-deb -x + mksquashfs | time ratio | squashfs_pack bytes | mksquashfs bytes | squashfs_pack peak RSS | reference peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
printf "| %s (%s MB, %s MB unpacked, %s entries) | %.2f s | %.2f s | **%.2f×** | %s | %s | **%d MiB** | %d MiB |\n" \
  "$(basename "${deb}")" "$(($(stat -c %s "${deb}") / 1000000))" "${unpacked}" "${entries}" \
  "${ot}" "${mt}" "$(awk -v a="${ot}" -v b="${mt}" 'BEGIN {print a / b}')" \
  "${our_size}" "${their_size}" $((orss / 1024)) $((mrss / 1024))
