#!/usr/bin/env bash
# Benchmarks squashfs_pack against mksquashfs, side by side on this machine.
#
# Usage: tools/benchmarks/squashfs_pack.sh [RUNS]      (default 5; medians reported)
#        TREES="all dups" picks part 1's inputs (default: every one below).
#
# Needs: cargo, squashfs-tools, dpkg-deb, GNU time (apt-get install
# squashfs-tools time), and the amd64 runtime .debs, which it takes from
# Bazel's output base (./bazelw build //runtimes:runtimes_squashfs_x86_64 first).
#
# 1. tree -> image: squashfs_pack (spec entry "tree") against
#    mksquashfs -comp zstd -Xcompression-level 15 -b 128K -processors N,
#    on each amd64 runtime, the three together, a large tree ($LARGE_TREE,
#    default /usr/lib/jvm), and a tree with many duplicate files ($DUP_TREE,
#    default /usr/share/doc, whose packages share licence texts), which both
#    tools store once.
# 2. .debs -> image: squashfs_pack streaming the .debs against dpkg-deb -x
#    followed by the same mksquashfs; and large .debs ($LARGE_DEB, if set,
#    space-separated), such as Debian sid's libflang-19-dev and rust-doc
#    (`apt-get download libflang-19-dev rust-doc`), which unpack to over
#    500 MB, the second in 66,488 entries.
# Both report the median wall time, the ratio, output sizes and peak RSS.
# 3. The floor: the same blocks compressed with zstd alone on the same
#    threads (the compression_floor example), which no writer at these
#    settings can beat, against both tools; for .debs, plus the time to
#    decompress their data.tar members.
set -euo pipefail
runs=${1:-5}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
procs=$(nproc)
level=15
work=$(mktemp -d /tmp/squashfs-bench.XXXXXX)
trap 'rm -rf "${work}"' EXIT

(cd "${repo}/tools" && cargo build --release --locked -q -p actiond_tool \
  && cargo build --release --locked -q -p squashfs_pack --example compression_floor)
tool="${repo}/tools/target/release/actiond-tool"
floor="${repo}/tools/target/release/examples/compression_floor"
debs_dir=$(cd "${repo}" && ./bazelw info output_base 2>/dev/null)/external
strip=(usr/share/doc usr/share/info usr/share/lintian usr/share/locale usr/share/man "lib/*/gconv" "usr/lib/*/gconv")

# median of numbers on stdin
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# measure NAME CMD...: runs CMD $runs times; prints "median_seconds max_rss_kb"
measure() {
  local name=$1
  shift
  : >"${work}/${name}.times"
  for _ in $(seq "${runs}"); do
    rm -f "${work}/out.squashfs"
    sync
    /usr/bin/time -f "%e %M" -o "${work}/t" "$@" >/dev/null 2>&1
    cat "${work}/t" >>"${work}/${name}.times"
  done
  echo "$(cut -d' ' -f1 "${work}/${name}.times" | median) $(cut -d' ' -f2 "${work}/${name}.times" | sort -n | tail -n1)"
}

mksquashfs_opts=(-noappend -quiet -no-progress -comp zstd -Xcompression-level "${level}"
  -b 131072 -processors "${procs}" -all-root -mkfs-time 0 -all-time 0 -no-xattrs)

# compare NAME SPEC REFERENCE...: times squashfs-pack of SPEC and the
# reference command, each writing out.squashfs; sets ours and theirs
# ("median_seconds max_rss_kb") and our_size and their_size.
compare() {
  local name=$1 spec=$2
  shift 2
  ours=$(measure "ours-${name}" "${tool}" squashfs-pack --spec "${spec}" --out "${work}/out.squashfs" --threads "${procs}")
  our_size=$(stat -c %s "${work}/out.squashfs")
  theirs=$(measure "theirs-${name}" "$@")
  their_size=$(stat -c %s "${work}/out.squashfs")
}

row() { # LABEL OURS THEIRS OUR_SIZE THEIR_SIZE
  read -r ot orss <<<"$2"
  read -r mt mrss <<<"$3"
  printf "| %s | %.2f s | %.2f s | **%.2f×** | %s | %s | %.4f | %d MiB | %d MiB |\n" \
    "$1" "${ot}" "${mt}" "$(echo "${ot} / ${mt}" | bc -l)" "$4" "$5" "$(echo "$4 / $5" | bc -l)" \
    $((orss / 1024)) $((mrss / 1024))
}

header() {
  echo "| input | squashfs_pack | mksquashfs | time ratio | squashfs_pack bytes | mksquashfs bytes | size ratio | squashfs_pack peak RSS | mksquashfs peak RSS |"
  echo "|---|---|---|---|---|---|---|---|---|"
}

# floor_row LABEL FLOOR OURS THEIRS: the floor against both tools.
floor_row() {
  read -r ft _ <<<"$2"
  read -r ot _ <<<"$3"
  read -r mt _ <<<"$4"
  printf "| %s | %.2f s | %.2f× | %.2f× |" "$1" "${ft}" "$(echo "${ft} / ${ot}" | bc -l)" "$(echo "${ft} / ${mt}" | bc -l)"
}
declare -A floors
floor_rows=()

declare -A debs
for v in 2.31 2.35 2.39; do
  debs[$v]=$(ls "${debs_dir}"/_main~glibc~glibc_runtime_glibc${v}_x86_64/debs/*.deb)
done

# Extracted, stripped trees for part 1.
for v in 2.31 2.35 2.39; do
  mkdir -p "${work}/tree-${v}"
  for d in ${debs[$v]}; do dpkg-deb -x "${d}" "${work}/tree-${v}"; done
  # shellcheck disable=SC2086  # a strip pattern is a glob
  for s in "${strip[@]}"; do (cd "${work}/tree-${v}" && rm -rf ${s}); done
done
mkdir -p "${work}/tree-all"
for v in 2.31 2.35 2.39; do cp -a "${work}/tree-${v}" "${work}/tree-all/glibc${v}"; done

echo "## 1. tree -> image (zstd-${level}, 128 KiB blocks, ${procs} threads, ${runs} runs, medians)"
echo
header
# TREES picks some of these inputs, e.g. TREES="all dups".
read -ra trees <<<"${TREES:-2.31 2.35 2.39 all usrlib dups}"
for input in "${trees[@]}"; do
  case "${input}" in
    usrlib) dir=${LARGE_TREE:-/usr/lib/jvm} label="${dir} ($(du -sh "${dir}" | cut -f1))" ;;
    dups)
      dir=${DUP_TREE:-/usr/share/doc}
      label="${dir} ($(du -sh "${dir}" | cut -f1), $(find "${dir}" -type f | wc -l) files, $(find "${dir}" -type f -exec sha256sum {} + | cut -d' ' -f1 | sort | uniq -d -c | awk '{d += $1 - 1} END {print d + 0}') duplicates)"
      ;;
    *) dir="${work}/tree-${input}" label="glibc ${input} ($(du -sh "${dir}" | cut -f1))" ;;
  esac
  printf '{"compression": {"algorithm": "zstd", "level": %d}, "entries": [{"type": "tree", "path": "", "source": "%s"}]}\n' "${level}" "${dir}" >"${work}/spec.json"
  compare "${input}" "${work}/spec.json" mksquashfs "${dir}" "${work}/out.squashfs" "${mksquashfs_opts[@]}"
  row "${label}" "${ours}" "${theirs}" "${our_size}" "${their_size}"
  floors[${input}]=$(measure "floor-${input}" "${floor}" "${dir}" "${level}" 131072 "${procs}")
  floor_rows+=("$(floor_row "${label}" "${floors[${input}]}" "${ours}" "${theirs}")")
done

echo
echo "## 2. .debs -> image (the three amd64 runtimes with companions)"
echo
header
{
  printf '{"compression": {"algorithm": "zstd", "level": %d}, "entries": [' "${level}"
  sep=""
  for v in 2.31 2.35 2.39; do
    for d in ${debs[$v]}; do
      printf '%s{"type": "deb", "source": "%s", "prefix": "glibc%s", "strip": [%s]}' "${sep}" "${d}" "${v}" \
        "$(printf '"%s",' "${strip[@]}" | sed 's/,$//')"
      sep=", "
    done
  done
  printf ']}\n'
} >"${work}/debs.json"
# The reference: extract with dpkg-deb, strip, then mksquashfs, as one script.
{
  echo 'set -e'
  echo "rm -rf '${work}/x'"
  for v in 2.31 2.35 2.39; do
    echo "mkdir -p '${work}/x/glibc${v}'"
    for d in ${debs[$v]}; do echo "dpkg-deb -x '${d}' '${work}/x/glibc${v}'"; done
    echo "cd '${work}/x/glibc${v}' && rm -rf ${strip[*]}"
  done
  echo "mksquashfs '${work}/x' '${work}/out.squashfs' ${mksquashfs_opts[*]}"
} >"${work}/extract_and_pack.sh"
compare debs "${work}/debs.json" bash "${work}/extract_and_pack.sh"
row "3 runtimes, $(wc -w <<<"${debs[2.31]} ${debs[2.35]} ${debs[2.39]}") .debs" "${ours}" "${theirs}" "${our_size}" "${their_size}"

# The .debs' floor: decompressing every data.tar (one process each, all
# cores) plus compressing the extracted tree, both ideally parallel.
{
  echo 'set -e'
  for v in 2.31 2.35 2.39; do for d in ${debs[$v]}; do echo "dpkg-deb --fsys-tarfile '${d}' >/dev/null &"; done; done
  echo 'wait'
} >"${work}/decompress.sh"
if [[ -n ${floors[all]:-} ]]; then
  decompress=$(measure decompress bash "${work}/decompress.sh")
  read -r dt _ <<<"${decompress}"
  read -r ft _ <<<"${floors[all]}"
  floor_rows+=("$(floor_row "3 runtimes, .debs (decompress ${dt} s + compress ${ft} s)" "$(echo "${dt} + ${ft}" | bc -l)" "${ours}" "${theirs}")")
fi

# Large .debs ($LARGE_DEB, space-separated), unstripped: memory must not
# grow with them.
for large in ${LARGE_DEB:-}; do
  large=$(readlink -f "${large}")
  printf '{"compression": {"algorithm": "zstd", "level": %d}, "entries": [{"type": "deb", "source": "%s", "prefix": "x"}]}\n' \
    "${level}" "${large}" >"${work}/large.json"
  {
    echo 'set -e'
    echo "rm -rf '${work}/x' && dpkg-deb -x '${large}' '${work}/x'"
    echo "mksquashfs '${work}/x' '${work}/out.squashfs' ${mksquashfs_opts[*]}"
  } >"${work}/extract_and_pack_large.sh"
  compare large "${work}/large.json" bash "${work}/extract_and_pack_large.sh"
  large_label="$(basename "${large}") ($(($(stat -c %s "${large}") / 1000000)) MB; $(du -sm "${work}/x" | cut -f1) MB, $(find "${work}/x" | wc -l) entries unpacked)"
  row "${large_label}" "${ours}" "${theirs}" "${our_size}" "${their_size}"
  # Its floor: decompressing its data.tar, plus zstd alone on the blocks of
  # the tree dpkg-deb extracted.
  read -r dt _ <<<"$(measure decompress-large dpkg-deb --fsys-tarfile "${large}")"
  read -r ft _ <<<"$(measure floor-large "${floor}" "${work}/x" "${level}" 131072 "${procs}")"
  floor_rows+=("$(floor_row "${large_label} (decompress ${dt} s + compress ${ft} s)" "$(echo "${dt} + ${ft}" | bc -l)" "${ours}" "${theirs}")")
done

echo
echo "## 3. The compression floor (zstd alone on the same blocks, ${procs} threads)"
echo
echo "| input | floor | floor / squashfs_pack | floor / reference |"
echo "|---|---|---|---|"
printf '%s\n' "${floor_rows[@]}"
