#!/usr/bin/env bash
# Starts a remote execution cluster on this machine: PostgreSQL, BuildGrid
# (REAPI Execution, CAS, ActionCache, ByteStream, Capabilities, Operations and
# Bots on one port) and N buildbox-worker processes that run each action with
# RUNNER; then runs COMMAND on the host against it and stops everything.
#
# Usage: e2e/remote/up.sh [options] [-- COMMAND [ARG...]]
#
#   --runner PATH        the runner buildbox-worker calls (--buildbox-run),
#                        a path inside bazelw's root; required
#   --runner-arg ARG     passed to every worker as --runner-arg=ARG (repeatable);
#                        --cache=SCRATCH/runner-cache and
#                        --workspace-path=SCRATCH/actions are passed too: the
#                        workers share the blobs their runners fetch, and
#                        hard-link them into actions on the same mount
#   --platform K=V       passed to every worker as --platform K=V (repeatable);
#                        OSFamily=linux and ISA=<this machine's> are added
#                        unless given
#   --image FILE         a runtimes image (a .squashfs file): mounted
#                        read-only once, under the scratch directory, and
#                        passed to every worker as
#                        --runner-arg=--image=MOUNTPOINT; without any
#                        --platform libc=..., one libc=NAME is added per
#                        directory libc/NAME/ARCH in it for this machine's arch
#   --standalone         standalone mode: the runner carries the image as its
#                        embedded payload, which it extracts once at start
#                        (actiond-runner --extract-embedded-image); then as
#                        --image
#   --workers N          how many workers (default 2)
#   --queue-timeout S    a job no worker takes fails after S seconds (default 60)
#
# With COMMAND, it runs COMMAND in the caller's directory, outside the root (so
# that COMMAND can call ./bazelw), with these in its environment, and exits
# with COMMAND's status:
#   REMOTE_EXECUTOR     grpc://127.0.0.1:PORT, BuildGrid's address
#   REMOTE_SCRATCH      the scratch directory (logs in $REMOTE_SCRATCH/logs)
#   REMOTE_WORKER_PIDS  a file listing the workers' pids, one a line
#   REMOTE_PSQL         psql connected to BuildGrid's database (its jobs
#                       table names the worker that ran each action)
# Without COMMAND it prints the address and waits until interrupted.
#
# buildbox (glibc >= 2.38), PostgreSQL and BuildGrid (Python >= 3.13) run inside
# bazelw's Debian sid root (bazel/enter_root.sh), which shares this machine's
# network and pids: everything listens on 127.0.0.1 only. BuildGrid comes from
# a venv made once from requirements.txt beside this script, in the cache.
# Scratch directories are under e2e/remote/.scratch/ (processes in the root do
# not see the host's /tmp); one is removed when its run succeeds, kept when it
# fails.
#
# Environment: RULES_ACTIOND_CACHE as for bazelw; KEEP_SCRATCH=1 keeps the
# scratch directory; UP_MAX_SECONDS (default 14400) stops the cluster after
# that long whatever happens.
# shellcheck disable=SC2317  # trap handlers and helpers of exiting functions run indirectly
set -euo pipefail

BUILDGRID_VERSION=0.9.1

here_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ws=$(cd "${here_dir}/../.." && pwd -P)
cache=${RULES_ACTIOND_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/rules_actiond}

log() { echo "up.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# Prints the last lines of each log in DIR.
tail_logs() {
  local f
  for f in "$1"/*.log; do
    [[ -f ${f} ]] || continue
    echo "----- ${f} (last 30 lines)" >&2
    tail -n 30 "${f}" >&2
  done
}

# ---------------------------------------------------------------------------
# Inside the root: the servers. Called by the host part below as
#   up.sh __inside HOST_PID SCRATCH VENV WORKERS QUEUE_TIMEOUT RUNNER IMAGE
#     DERIVE_LIBC MAX_SECONDS -- WORKER_ARG...
# It writes SCRATCH/ready (BuildGrid's port) once every worker has registered,
# or SCRATCH/failed; then it waits for SIGTERM (or HOST_PID to end, or
# MAX_SECONDS) and tears everything down.
inside() {
  local host_pid=$1 scratch=$2 venv=$3 workers=$4 queue_timeout=$5 runner=$6 image=$7
  local derive_libc=$8 max_seconds=$9
  shift 9
  [[ $1 == -- ]] && shift
  local -a worker_args=("$@")
  local logs="${scratch}/logs" pg_pid="" bgd_pid="" mnt=""
  local -a worker_pids=()
  # BuildGrid's CLI; its console script names the venv's .tmp path.
  local -a bgd=("${venv}/bin/python" -c \
    'import sys; from buildgrid.server.app import cli; sys.argv[0] = "bgd"; sys.exit(cli())')
  mkdir -p "${logs}"

  local pg_bin
  pg_bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -n 1)
  [[ -x ${pg_bin}/initdb ]] || die "no PostgreSQL in the root (bazel/provision.sh installs it)"

  # Stops every process it started, bounded: SIGTERM, up to 10 s, SIGKILL.
  stop_pid() {
    local pid=$1 sig=${2:-TERM} i
    kill -"${sig}" "${pid}" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
      kill -0 "${pid}" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
  }
  teardown() {
    local status=$? pid
    # The host side sends SIGTERM when it stops, maybe while this runs.
    trap '' INT TERM
    trap - EXIT
    set +e
    log "stopping (status ${status})"
    for pid in "${worker_pids[@]}"; do stop_pid "${pid}"; done
    if [[ -n ${bgd_pid} ]]; then stop_pid "${bgd_pid}"; fi
    if [[ -n ${pg_pid} ]]; then stop_pid "${pg_pid}" INT; fi  # PostgreSQL's fast shutdown
    if [[ -n ${mnt} ]] && mountpoint -q "${mnt}"; then umount "${mnt}" || umount -l "${mnt}"; fi
    log "stopped"
    exit "${status}"
  }
  trap teardown EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT

  fail() {
    log "$*"
    echo "$*" >"${scratch}/failed"
    exit 1
  }

  # A free TCP port on 127.0.0.1 (a small race with other programs is
  # possible; a server that cannot bind fails loudly).
  free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  }
  # An array, not a function, so that $! of a background one is the server's pid.
  local -a as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --)

  # The runtimes image, once for every worker.
  if [[ ${image} == @embedded ]]; then
    image=$("${runner}" --extract-embedded-image "${scratch}/standalone" 2>>"${logs}/extract.log") \
      || fail "${runner} --extract-embedded-image failed: $(cat "${logs}/extract.log")"
    log "extracted the runner's embedded image: ${image}"
  fi
  if [[ -n ${image} ]]; then
    mnt="${scratch}/image"
    mkdir -p "${mnt}"
    mount -o loop,ro "${image}" "${mnt}" || fail "could not loop-mount ${image}"
    if [[ ${derive_libc} == 1 ]]; then
      local d arch found=""
      arch=$(uname -m)
      for d in "${mnt}"/libc/*/"${arch}"; do
        [[ -d ${d} ]] || continue
        d=${d%/*}
        worker_args+=(--platform "libc=${d##*/}")
        found=1
      done
      [[ -n ${found} ]] || fail "${image} has no libc/NAME/${arch}"
    fi
  fi

  # PostgreSQL, as the postgres user, on 127.0.0.1 and a socket in scratch.
  local pg_port
  pg_port=$(free_port)
  mkdir -p "${scratch}/pg/data" "${scratch}/pg/run"
  chown -R postgres:postgres "${scratch}/pg"
  "${as_postgres[@]}" "${pg_bin}/initdb" -D "${scratch}/pg/data" -U postgres -A trust \
    --no-sync -E UTF8 --locale=C >"${logs}/initdb.log" 2>&1 || fail "initdb failed"
  "${as_postgres[@]}" "${pg_bin}/postgres" -D "${scratch}/pg/data" \
    -c listen_addresses=127.0.0.1 -c port="${pg_port}" \
    -c unix_socket_directories="${scratch}/pg/run" -c fsync=off \
    >"${logs}/postgresql.log" 2>&1 &
  pg_pid=$!
  local i ok=""
  for ((i = 0; i < 300; i++)); do
    if "${pg_bin}/pg_isready" -q -U postgres -h 127.0.0.1 -p "${pg_port}" -t 1; then ok=1; break; fi
    kill -0 "${pg_pid}" 2>/dev/null || fail "PostgreSQL exited"
    sleep 0.2
  done
  [[ -n ${ok} ]] || fail "PostgreSQL did not answer within 60 s"
  "${pg_bin}/createdb" -h 127.0.0.1 -p "${pg_port}" -U postgres bgd >>"${logs}/postgresql.log" 2>&1 \
    || fail "createdb failed"
  local db="postgresql://postgres@127.0.0.1:${pg_port}/bgd"
  "${bgd[@]}" migrate apply "${db}" >"${logs}/migrate.log" 2>&1 || fail "bgd migrate apply failed"

  # The workers' platform, and from it the property sets BuildGrid accepts:
  # one per libc, with every other property the workers have. A job asking
  # for another libc (or any other property) is refused at once, naming it.
  local a platforms=() next="" shared="" labels=""
  for a in "${worker_args[@]}"; do
    if [[ -n ${next} ]]; then platforms+=("${a}"); next=""; elif [[ ${a} == --platform ]]; then next=1; fi
  done
  for a in "${platforms[@]}"; do
    [[ ${a} == libc=* ]] || shared+="[${a%%=*}, \"${a#*=}\"], "
  done
  for a in "${platforms[@]}"; do
    [[ ${a} == libc=* ]] || continue
    labels+="
        - label: ${a#libc=}
          properties: [${shared}[libc, \"${a#libc=}\"]]"
  done
  [[ -n ${labels} ]] || labels="
        - label: any
          properties: [${shared%, }]"

  # BuildGrid, one port, instance name "" (Bazel's default).
  local port
  port=$(free_port)
  cat >"${scratch}/buildgrid.yml" <<EOF
server:
  - !channel
    address: "127.0.0.1:${port}"
    insecure-mode: true
authorization:
  method: none
connections:
  - !sql-connection &sql
    connection-string: ${db}
    pool-size: 5
    max-overflow: 10
# The CAS on disk, in the scratch directory: an LRU in memory evicted the
# objects of a 300-compile build while its archives still needed them.
storages:
  - !disk-storage &cas
    path: ${scratch}/cas
caches:
  - !lru-action-cache &ac
    storage: *cas
    max-cached-refs: 4096
    allow-updates: true
    cache-failed-actions: false
schedulers:
  - !sql-scheduler &scheduler
    sql: *sql
    storage: *cas
    action-cache: *ac
    property-set: !static-property-set
      property-labels:${labels}
    # A job that no worker takes (none left with its libc) fails instead of
    # waiting.
    queue-timeout-job-max-age: {seconds: ${queue_timeout}}
    queue-timeout-period: {seconds: 5}
    bot-session-keepalive-timeout: 30
    # How soon a finished job reaches the client, and a queued one a bot
    # (each 1 s by default: most of a small action's round trip).
    poll-interval: 0.05
    bot-poll-interval: 0.05
    job-assignment-interval: 0.05
instances:
  - name: ""
    services:
      - !action-cache
        cache: *ac
      - !execution
        scheduler: *scheduler
      - !cas
        storage: *cas
      - !bytestream
        storage: *cas
# Every Execute stream and bot session holds a thread while it waits: enough
# for a client's uploads to never be refused (RESOURCE_EXHAUSTED) behind them.
thread-pool-size: 200
maximum-concurrent-rpcs: 1000
EOF
  "${bgd[@]}" server start "${scratch}/buildgrid.yml" >"${logs}/buildgrid.log" 2>&1 &
  bgd_pid=$!
  ok=""
  for ((i = 0; i < 120; i++)); do
    if timeout 5 "${bgd[@]}" capabilities --remote "http://127.0.0.1:${port}" >"${logs}/capabilities.log" 2>&1; then
      ok=1
      break
    fi
    kill -0 "${bgd_pid}" 2>/dev/null || fail "BuildGrid exited"
    sleep 0.5
  done
  [[ -n ${ok} ]] || fail "BuildGrid did not answer within 60 s"

  # The workers.
  mkdir -p "${scratch}/workers"
  : >"${scratch}/worker_pids"
  local w
  for ((w = 1; w <= workers; w++)); do
    buildbox-worker --bots-remote="http://127.0.0.1:${port}" --cas-remote="http://127.0.0.1:${port}" \
      --buildbox-run="${runner}" "${worker_args[@]}" --max-wait-time=5 \
      "up-worker-${w}" >"${logs}/worker-${w}.log" 2>&1 &
    worker_pids+=("$!")
    echo "$!" >>"${scratch}/worker_pids"
  done
  ok=""
  local bots
  for ((i = 0; i < 120; i++)); do
    bots=$("${pg_bin}/psql" -h 127.0.0.1 -p "${pg_port}" -U postgres -d bgd -tAc \
      "select count(*) from bots" 2>/dev/null || echo 0)
    if [[ ${bots} -ge ${workers} ]]; then ok=1; break; fi
    for w in "${worker_pids[@]}"; do kill -0 "${w}" 2>/dev/null || fail "a worker exited (pid ${w})"; done
    sleep 0.5
  done
  [[ -n ${ok} ]] || fail "only ${bots} of ${workers} workers registered within 60 s"

  log "workers' platform: ${platforms[*]}"
  echo "${platforms[*]}" >"${scratch}/platforms"
  printf '%s\n%s\n' "${pg_bin}/psql" "${db}" >"${scratch}/database"
  echo "${port}" >"${scratch}/ready.tmp"
  mv "${scratch}/ready.tmp" "${scratch}/ready"
  # Until SIGTERM, a bounded sleep at a time so that the trap runs promptly;
  # at most MAX_SECONDS, and not past the host side.
  local deadline=$((SECONDS + max_seconds))
  while ((SECONDS < deadline)); do
    kill -0 "${host_pid}" 2>/dev/null || exit 0
    kill -0 "${bgd_pid}" 2>/dev/null || fail "BuildGrid exited"
    kill -0 "${pg_pid}" 2>/dev/null || fail "PostgreSQL exited"
    sleep 1 &
    wait $! || true
  done
  fail "stopping after UP_MAX_SECONDS=${max_seconds} s"
}

if [[ ${1:-} == __inside ]]; then
  shift
  inside "$@"
  exit
fi

# ---------------------------------------------------------------------------
# The host side.
usage() { sed -n '7,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

runner="" image="" workers=2 queue_timeout=60
runner_args=() platforms=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --runner) runner=${2:?}; shift 2 ;;
    --runner=*) runner=${1#*=}; shift ;;
    --runner-arg) runner_args+=("${2?}"); shift 2 ;;
    --runner-arg=*) runner_args+=("${1#*=}"); shift ;;
    --platform) platforms+=("${2:?}"); shift 2 ;;
    --platform=*) platforms+=("${1#*=}"); shift ;;
    --image) image=${2:?}; shift 2 ;;
    --image=*) image=${1#*=}; shift ;;
    --standalone) image=@embedded; shift ;;
    --workers) workers=${2:?}; shift 2 ;;
    --workers=*) workers=${1#*=}; shift ;;
    --queue-timeout) queue_timeout=${2:?}; shift 2 ;;
    --queue-timeout=*) queue_timeout=${1#*=}; shift ;;
    --) shift; break ;;
    -h | --help) usage ;;
    *) log "unknown option: $1"; usage ;;
  esac
done
command=("$@")
[[ -n ${runner} ]] || { log "--runner PATH is required"; usage; }
[[ ${workers} =~ ^[1-9][0-9]*$ ]] || die "--workers wants a positive number"
[[ ${queue_timeout} =~ ^[1-9][0-9]*$ ]] || die "--queue-timeout wants a positive number of seconds"
if [[ -n ${image} && ${image} != @embedded ]]; then
  image=$(readlink -f "${image}")
  [[ -f ${image} ]] || die "no image ${image}"
  [[ ${image} == "${ws}/"* || ${image} == "${cache}/"* ]] \
    || die "the image must be inside this checkout or ${cache}, which the root sees"
fi

arch=$(uname -m)
have() { local p; for p in "${platforms[@]}"; do [[ ${p} == "$1="* ]] && return 0; done; return 1; }
derive_libc=0
if [[ -n ${image} ]] && ! have libc; then derive_libc=1; fi
have OSFamily || platforms+=("OSFamily=linux")
have ISA || platforms+=("ISA=${arch/x86_64/x86-64}")

version=$(tr -d '[:space:]' <"${ws}/.bazelversion")
root="${cache}/bazel-${version}"
mkdir -p "${cache}"
flock "${cache}/provision.lock" bash "${ws}/bazel/provision.sh" "${root}" "${version}"
in_root() { bash "${ws}/bazel/enter_root.sh" "${root}" "${cache}" "${ws}" "${ws}" "$@"; }

# The BuildGrid venv, once per version and requirements; made in .tmp and
# renamed, so it is complete when it exists. Its console scripts name the .tmp
# path, so BuildGrid runs as `python -c 'from buildgrid... import cli'`.
req="${here_dir}/requirements.txt"
venv="${cache}/buildgrid-venv-${BUILDGRID_VERSION}-$(sha256sum "${req}" | cut -c1-12)"
if [[ ! -d ${venv} ]]; then
  log "installing BuildGrid ${BUILDGRID_VERSION} into ${venv}"
  rm -rf "${venv}.tmp"
  start=${SECONDS}
  # shellcheck disable=SC2016  # the script expands its own arguments
  in_root /bin/sh -c 'python3 -m venv "$1" && "$1/bin/pip" install -q --no-deps --require-hashes \
    --only-binary=:all: -r "$2"' sh "${venv}.tmp" "${req}" || die "could not install BuildGrid"
  mv -T "${venv}.tmp" "${venv}"
  log "BuildGrid installed in $((SECONDS - start)) s"
fi

mkdir -p "${here_dir}/.scratch"
scratch=$(mktemp -d "${here_dir}/.scratch/run.XXXXXX")
chmod 755 "${scratch}"
mkdir -p "${scratch}/logs"

mkdir -p "${scratch}/actions"
worker_args=("--runner-arg=--cache=${scratch}/runner-cache" "--runner-arg=--workspace-path=${scratch}/actions")
for a in "${runner_args[@]}"; do worker_args+=("--runner-arg=${a}"); done
if [[ -n ${image} ]]; then worker_args+=("--runner-arg=--image=${scratch}/image"); fi
for p in "${platforms[@]}"; do worker_args+=(--platform "${p}"); done

inside_pid="" command_pid=""
finish() {
  local status=$? i
  trap - EXIT INT TERM
  if [[ -n ${command_pid} ]]; then
    kill -TERM -- "-${command_pid}" 2>/dev/null || true
    wait "${command_pid}" 2>/dev/null || true
  fi
  if [[ -n ${inside_pid} ]]; then
    kill -TERM "${inside_pid}" 2>/dev/null || true
    for ((i = 0; i < 600; i++)); do
      kill -0 "${inside_pid}" 2>/dev/null || break
      sleep 0.1
    done
    if kill -KILL "${inside_pid}" 2>/dev/null; then
      log "the servers did not stop within 60 s; some may still run (see ${scratch}/logs)"
      status=1
    fi
    wait "${inside_pid}" 2>/dev/null || true
  fi
  if [[ ${status} -eq 0 && ${KEEP_SCRATCH:-0} != 1 ]]; then
    rm -rf "${scratch}"
  else
    log "scratch directory kept: ${scratch}"
  fi
  exit "${status}"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=${SECONDS}
# Not through in_root: $! must be the process that becomes the inside part
# (enter_root.sh execs it), so that SIGTERM reaches its trap.
bash "${ws}/bazel/enter_root.sh" "${root}" "${cache}" "${ws}" "${ws}" /bin/bash "${here_dir}/up.sh" \
  __inside "$$" "${scratch}" "${venv}" "${workers}" "${queue_timeout}" "${runner}" "${image}" \
  "${derive_libc}" "${UP_MAX_SECONDS:-14400}" -- "${worker_args[@]}" >"${scratch}/logs/up-inside.log" 2>&1 &
inside_pid=$!
for ((i = 0; i < 1800; i++)); do
  [[ -f ${scratch}/ready || -f ${scratch}/failed ]] && break
  kill -0 "${inside_pid}" 2>/dev/null || break
  sleep 0.1
done
if [[ ! -f ${scratch}/ready ]]; then
  if [[ -f ${scratch}/failed ]]; then
    log "the cluster did not come up: $(cat "${scratch}/failed")"
  else
    log "the cluster did not come up within 180 s"
  fi
  tail_logs "${scratch}/logs"
  exit 1
fi
port=$(cat "${scratch}/ready")
log "BuildGrid on grpc://127.0.0.1:${port} with ${workers} workers ($(cat "${scratch}/platforms")), up in $((SECONDS - start)) s"

# psql against BuildGrid's database, from the host (psql runs in the root).
mapfile -t database <"${scratch}/database"
printf '#!/usr/bin/env bash\nexec bash %q %q %q %q %q %q %q "$@"\n' "${ws}/bazel/enter_root.sh" \
  "${root}" "${cache}" "${ws}" "${ws}" "${database[0]}" "${database[1]}" >"${scratch}/psql"
chmod +x "${scratch}/psql"

export REMOTE_EXECUTOR="grpc://127.0.0.1:${port}" REMOTE_SCRATCH="${scratch}" \
  REMOTE_WORKER_PIDS="${scratch}/worker_pids" REMOTE_PSQL="${scratch}/psql"
if [[ ${#command[@]} -eq 0 ]]; then
  echo "REMOTE_EXECUTOR=${REMOTE_EXECUTOR}"
  echo "REMOTE_SCRATCH=${REMOTE_SCRATCH}"
  echo "REMOTE_WORKER_PIDS=${REMOTE_WORKER_PIDS}"
  echo "REMOTE_PSQL=${REMOTE_PSQL}"
  log "interrupt (Ctrl-C) to stop"
  while kill -0 "${inside_pid}" 2>/dev/null; do  # the inside stops by UP_MAX_SECONDS
    sleep 1 &
    wait $! || true
  done
  log "the cluster stopped by itself"
  tail_logs "${scratch}/logs"
  exit 1
fi

# In a session of its own and waited for in the background, so that a signal
# to this script stops it (its whole process group) and the cluster at once.
set +e
setsid "${command[@]}" &
command_pid=$!
wait "${command_pid}"
status=$?
command_pid=""
set -e
if [[ ${status} -ne 0 ]]; then
  log "${command[*]} exited with ${status}"
  tail_logs "${scratch}/logs"
fi
exit "${status}"
