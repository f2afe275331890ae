#!/usr/bin/env bash
# Benchmarks the runtimes image made in parts (one squashfs-compress per
# .deb, then squashfs-assemble, as //runtimes:runtimes_squashfs_x86_64's
# actions make it) against the one-action pack of a reference revision of
# actiond-tool, side by side on this machine.
#
# Usage: tools/benchmarks/squashfs_parts.sh [RUNS]      (default 5; medians)
#   REFERENCE=<git revision>: the one-action packer (default 49018b7, the
#   last revision that packed with backhand in one action), built here;
#   or REFERENCE_TOOL=<its actiond-tool binary>.
#
# Needs: cargo and git. It builds the image and runs each of its actions'
# command lines from Bazel's execution root, without Bazel.
#
# 1. cold: every .deb compressed, $(nproc) actions at a time as Bazel runs
#    them, then the assembly; against the reference's one action. Sizes too.
#    Each action compresses as in Bazel (--share-cores: on one thread, and on
#    every core while some are idle); and, to show the choice, on every core
#    (--threads 0) and on one thread each (--threads 1).
# 2. rebuild after one .deb changed: that .deb compressed again, then the
#    assembly; the largest .deb (the worst case) and the smallest.
# 3. critical path: the slowest .deb's compression, then the assembly (what
#    a build with a core per .deb waits for).
# 4. the CPU time (user + sys) of the cold run against the reference's: the
#    work that compressing in parts adds, apart from how it is scheduled.
set -euo pipefail
runs=${1:-5}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
reference=${REFERENCE:-49018b7}
procs=$(nproc)
work=$(mktemp -d /tmp/squashfs-parts.XXXXXX)
trap 'git -C "${repo}" worktree remove --force "${work}/reference" >/dev/null 2>&1 || true; rm -rf "${work}"' EXIT

(cd "${repo}/tools" && cargo build --release --locked -q -p actiond_tool)
tool="${repo}/tools/target/release/actiond-tool"
old_tool=${REFERENCE_TOOL:-${repo}/tools/target/reference/release/actiond-tool}
if [[ -z ${REFERENCE_TOOL:-} ]]; then
  git -C "${repo}" worktree add -q --detach "${work}/reference" "${reference}"
  (cd "${work}/reference/tools" && CARGO_TARGET_DIR="${repo}/tools/target/reference" \
    cargo build --release --locked -q -p actiond_tool)
fi

# The runtimes as top-level targets: their manifests are on disk even when
# they came from the disk cache.
(cd "${repo}" && ./bazelw build //runtimes:runtimes_squashfs_x86_64 //runtimes:glibc2.31_x86_64 \
  //runtimes:glibc2.35_x86_64 //runtimes:glibc2.39_x86_64)
execroot=$(cd "${repo}" && ./bazelw info execution_root 2>/dev/null)
image=bazel-out/k8-fastbuild/bin/runtimes/runtimes_squashfs_x86_64.squashfs
cd "${execroot}"
mkdir -p "${work}/parts"
# The assembly's spec, reading the blocks this script writes; and each
# source's spec, in order.
python3 - "${image}.assemble.json" "${work}" >"${work}/assemble.json" 2>"${work}/sources" <<'PY'
import json, os, sys
spec, work = json.load(open(sys.argv[1])), sys.argv[2]
for s in spec["sources"]:
    print(s["index"].removesuffix(".index.json") + ".json", file=sys.stderr)
    for key in ("blocks", "index"):
        s[key] = os.path.join(work, "parts", os.path.basename(s[key]))
print(json.dumps(spec))
PY
mapfile -t sources <"${work}/sources"

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# once CMD...: runs CMD (a command or a function) once; prints its wall
# seconds, then the CPU seconds (user + sys) of it and its children.
once() {
  local TIMEFORMAT='%3R %3U %3S' times wall user sys
  sync
  times=$( { time "$@" >/dev/null 2>&3; } 3>&2 2>&1)
  read -r wall user sys <<<"${times}"
  echo "${wall} $(echo "${user} + ${sys}" | bc -l)"
}

# compress SPEC: one source's action, its outputs under $work/parts.
export tool work
# $how: the action's threads, as the rule sets them unless a case says.
export how=--share-cores
# shellcheck disable=SC2016  # expanded by the bash that runs it
compress_source='n=$(basename "$1" .json)
exec "${tool}" squashfs-compress ${how} --spec "$1" --blocks "${work}/parts/${n}.blocks" --index "${work}/parts/${n}.index.json"'
compress() { bash -c "${compress_source}" _ "$1"; }
assemble() { "${tool}" squashfs-assemble --spec "${work}/assemble.json" --out "${work}/parts.squashfs"; }
one_action() { "${old_tool}" squashfs-pack --spec "${image}.spec.json" --out "${work}/reference.squashfs"; }
cold() { # every source, $procs at a time, then the assembly
  printf '%s\n' "${sources[@]}" | xargs -P "${procs}" -n 1 bash -c "${compress_source}" _
  assemble
}
cold_with() { ( # HOW: cold, each action's threads as HOW says
  export how=$1
  cold
); }

ratio() { echo "$1 / $2" | bc -l; }

# Every case once per round, the rounds one after another, so that a slower
# stretch of a shared machine weighs on every case alike. A case's ratio is
# the median of its per-round ratios to that round's reference: this
# machine's speed drifts by more than the differences measured.
declare -A samples ratios
for _ in $(seq "${runs}"); do
  read -r ref ref_cpu < <(once one_action)
  samples[reference]+="${ref} "
  samples[reference_cpu]+="${ref_cpu} "
  read -r t cpu < <(once cold)
  samples[cold]+="${t} " ratios[cold]+="$(ratio "${t}" "${ref}") "
  samples[cold_cpu]+="${cpu} " ratios[cold_cpu]+="$(ratio "${cpu}" "${ref_cpu}") "
  read -r t _ < <(once cold_with "--threads 0")
  samples[cold0]+="${t} " ratios[cold0]+="$(ratio "${t}" "${ref}") "
  read -r t _ < <(once cold_with "--threads 1")
  samples[cold1]+="${t} " ratios[cold1]+="$(ratio "${t}" "${ref}") "
  read -r assembly _ < <(once assemble)
  samples[assemble]+="${assembly} "
  for s in "${sources[@]}"; do
    # That .deb compressed again, then the assembly.
    read -r t _ < <(once compress "${s}")
    t=$(echo "${t} + ${assembly}" | bc -l)
    samples[${s}]+="${t} "
    ratios[${s}]+="$(ratio "${t}" "${ref}") "
  done
done
median_of() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | median; }
ratio_of() { tr ' ' '\n' <<<"${ratios[$1]}" | grep . | median; }
row() { # LABEL CASE GOAL: the case's median time and ratio
  printf "| %s | %.2f s | %.2f s | **%.2f×** | %s |\n" "$1" "$(median_of "$2")" "${reference_time}" "$(ratio_of "$2")" "$3"
}
reference_time=$(median_of reference)
assemble_time=$(median_of assemble)
declare -A alone
for s in "${sources[@]}"; do alone[${s}]=$(median_of "${s}"); done
ours_size=$(stat -c %s "${work}/parts.squashfs")
reference_size=$(stat -c %s "${work}/reference.squashfs")
cmp -s "${work}/parts.squashfs" "${image}" || { echo "the assembled image differs from Bazel's ${image}" >&2; exit 1; }
source_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["entries"][0]["source"])' "$1"; }
by_size=$(for s in "${sources[@]}"; do echo "$(stat -Lc %s "$(source_of "${s}")") ${s}"; done | sort -n)
largest=$(tail -n1 <<<"${by_size}" | cut -d' ' -f2)
smallest=$(head -n1 <<<"${by_size}" | cut -d' ' -f2)
read -r _ slowest_source < <(for s in "${sources[@]}"; do echo "${alone[${s}]} ${s}"; done | sort -n | tail -n1)

echo "## The runtimes image in parts (amd64, ${#sources[@]} .debs, zstd-15, ${procs} cores, ${runs} runs, medians)"
echo
echo "Reference: the one-action pack of actiond-tool at ${reference}."
echo
echo "| case | in parts | one action | ratio | goal |"
echo "|---|---|---|---|---|"
row "cold: every .deb, ${procs} at a time, then the assembly (--share-cores)" cold "≤ 1.05×"
row "cold, every core per action (--threads 0)" cold0 "≤ 1.05×"
row "cold, one thread per action (--threads 1)" cold1 "≤ 1.05×"
printf "| CPU time (user + sys) of the cold run (--share-cores) | %.2f s | %.2f s | **%.2f×** | |\n" \
  "$(median_of cold_cpu)" "$(median_of reference_cpu)" "$(ratio_of cold_cpu)"
row "rebuild, largest .deb changed ($(basename "${largest}" .json))" "${largest}" "≤ 0.3×"
row "rebuild, smallest .deb changed ($(basename "${smallest}" .json))" "${smallest}" "≤ 0.3×"
row "critical path: slowest .deb ($(basename "${slowest_source}" .json)), then the assembly" "${slowest_source}" "≤ 0.6×"
echo
printf "Sizes: in parts %d bytes, one action %d bytes (%.4f×). The assembly alone: %.2f s.\n" \
  "${ours_size}" "${reference_size}" "$(ratio "${ours_size}" "${reference_size}")" "${assemble_time}"
# What storing small files once per source costs: those whose bytes an
# earlier source already holds in a fragment.
python3 - "${work}/assemble.json" <<'PY'
import json, sys
seen, again, again_bytes, whole, whole_bytes = set(), 0, 0, 0, 0
for source in json.load(open(sys.argv[1]))["sources"]:
    files = [n for n in json.load(open(source["index"]))["nodes"] if n["type"] == "file" and n["size"]]
    mine = {(n["sha256"], n["fragment"] is not None, n["size"]) for n in files}
    for sha, fragment, size in mine:
        if sha in seen:
            if fragment:
                again, again_bytes = again + 1, again_bytes + size
            else:
                whole, whole_bytes = whole + 1, whole_bytes + size
    seen |= {sha for sha, _, _ in mine}
print(f"Across sources: {whole} files of whole blocks ({whole_bytes} bytes) stored once; "
      f"{again} small files ({again_bytes} bytes before compression) stored again in their own source's fragments.")
PY
