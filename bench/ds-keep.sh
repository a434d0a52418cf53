#!/usr/bin/env bash
# bench/ds-keep.sh — what keeping the recent points for das (ds --listen:
# struct keep, GET /points) costs ds: memory per container, and the CPU of
# a steady round, against the same ds not keeping and an older build.
#
#   bash bench/ds-keep.sh [--sizes "30 200"] [--ds OLD_BIN] [--keep 2m]
#                         [--interval 2s] [--window S] [--debug-log]
#                         [--out DIR]
#
#   --sizes "A B"   containers (replicas of one swarm service), ascending;
#                   default "30 200"
#   --ds OLD_BIN    an older ds build measured beside this one (e.g. the
#                   pre-keep commit 74a9012 built into /tmp/ds-old); its
#                   --listen serves /metrics only
#   --keep D        ds --keep for the keeping runs; default 2m (the minimum
#                   is 1m): with --interval 2s the keep is full after 2
#                   minutes instead of the default's 15. A row is 64 bytes
#                   whatever the interval, so the memory scales: the
#                   tables also give the figure for the defaults (--keep
#                   15m at --interval 10s: 91 rows a container)
#   --interval D    ds --interval; default 2s (as bench/ds-round.sh)
#   --window S      seconds the steady rounds are measured over, after the
#                   keep has filled; default 60
#   --debug-log     run the ds daemons with --log-level debug and also give
#                   the median of their "round" lines (cpu_s, wall_s). Off
#                   by default: at debug ds also logs a "point" line per
#                   container each round, which the round's CPU then holds
#
# Environment: BUILD (cmake build dir holding ds; default ./build),
# BENCH_OUT (results folder; default bench/out/ds-keep-<time>). Needs root
# (the bed runs dockerd), curl, a C compiler (bench/lib.sh's probe).
#
# It brings up a private test bed (scripts/testbed up --no-stores
# --addr-base auto: one engine in swarm mode, no influxd, no PostgreSQL;
# taken down at exit, also on failure) and, for each size N, grows the
# swarm service `idle` (das-busybox:latest, sleep) to N replicas, waits
# until all run, and starts these ds daemons side by side (all on the same
# containers at the same time, started half a second apart; --source
# cgroup, --log-level info, line protocol to a file):
#
#   old --stdout --listen   OLD_BIN (with --ds): what a round cost before
#                           (bench/ds-round.sh's steady round: the 1/77 to
#                           1/127 of `docker stats` in BENCHMARKS.md)
#   new --stdout            this build, no --listen: keeps nothing, no
#                           /metrics
#   new --stdout --listen   this build, keeping (--keep D) and /metrics:
#                           the same work as the old row, plus the keep
#   new --listen            this build, keeping, no line protocol: the
#                           embedded default as deployed
#
# After --keep and three more intervals (the keep is full), over --window
# seconds: each ds's process CPU (clock_getcpuclockid: every thread, the
# /metrics and /points server too) divided by the rounds it ran meanwhile
# (ds_rounds_total on its /metrics, or its line protocol's lines / N), as
# bench/ds-round.sh's steady round; with --debug-log also the median of
# its "round" lines. Then VmRSS, RssAnon and VmHWM (/proc/PID/status), and
# ds_kept_points and ds_kept_bytes from its /metrics. Nothing asks
# /points meanwhile (what das's reads cost ds is not in these figures).
#
# The engine's share of a round (dockerd listing the containers) is the
# same with and without the keep (the keep makes no engine call), so only
# ds's own CPU is compared here; bench/ds-round.sh measures the daemons and
# `docker stats`.
#
# Output: Markdown tables on stdout and OUT/results.md; the raw lines in
# OUT/raw/, the ds logs in OUT/log/.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
BUILD=${BUILD:-build}
SIZES="30 200"
OLD=
KEEP=2m
INTERVAL=2s
WINDOW=60
DEBUG=0
OUT=${BENCH_OUT:-}
DOCKER=/usr/bin/docker
IMAGE=das-busybox:latest
START_TIMEOUT=900

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
log() { printf 'ds-keep: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
while (($#)); do
  case "$1" in
    --sizes) SIZES=${2:?}; shift 2 ;;
    --ds) OLD=${2:?}; shift 2 ;;
    --keep) KEEP=${2:?}; shift 2 ;;
    --interval) INTERVAL=${2:?}; shift 2 ;;
    --window) WINDOW=${2:?}; shift 2 ;;
    --debug-log) DEBUG=1; shift ;;
    --out) OUT=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ds-keep: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
prev=0
for n in $SIZES; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] && ((n > prev)) ||
    { echo "ds-keep: --sizes needs ascending numbers >= 1, got '$SIZES'" >&2; exit 2; }
  prev=$n
done
# seconds of a duration of the forms 90s, 2m, 1h
dur_s() {
  case "$1" in
    *ms) echo $((${1%ms} / 1000)) ;;
    *s) echo "${1%s}" ;;
    *m) echo $((${1%m} * 60)) ;;
    *h) echo $((${1%h} * 3600)) ;;
    *) echo "" ;;
  esac
}
KEEP_S=$(dur_s "$KEEP")
INTERVAL_S=$(dur_s "$INTERVAL")
[[ "$KEEP_S" =~ ^[0-9]+$ ]] && ((KEEP_S >= 60)) ||
  { echo "ds-keep: --keep needs a duration of at least 1m (90s, 2m, …)" >&2; exit 2; }
[[ "$INTERVAL_S" =~ ^[0-9]+$ ]] && ((INTERVAL_S >= 1)) ||
  { echo "ds-keep: --interval needs whole seconds (2s, 10s, …)" >&2; exit 2; }
[[ "$WINDOW" =~ ^[1-9][0-9]*$ ]] || { echo "ds-keep: --window needs seconds >= 1" >&2; exit 2; }
[[ "$BUILD" == /* ]] || BUILD=$SRC/$BUILD
DS=$BUILD/ds
[[ -x "$DS" ]] || { echo "ds-keep: $DS is not built (make build, or set BUILD)" >&2; exit 2; }
[[ -z "$OLD" || -x "$OLD" ]] || { echo "ds-keep: --ds $OLD is not an executable" >&2; exit 2; }
((EUID == 0)) || { echo "ds-keep: needs root (the test bed runs dockerd)" >&2; exit 2; }
[[ -x "$DOCKER" ]] || { echo "ds-keep: $DOCKER missing: run scripts/install-deps" >&2; exit 2; }
command -v curl >/dev/null || { echo "ds-keep: curl missing" >&2; exit 2; }

OUT=${OUT:-$SRC/bench/out/ds-keep-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw" "$OUT/log"
OUT=$(cd "$OUT" && pwd)
ROOT=$(mktemp -d /tmp/ds-keep.XXXXXX)
chmod 711 "$ROOT"
BED=$ROOT/bed
DS_PIDS=()

stop_ds() {
  local p
  for p in "${DS_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${DS_PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  DS_PIDS=()
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_ds
  if [[ -e "$BED" ]]; then
    bash "$SRC/scripts/testbed" down --dir "$BED" || rc=1
  fi
  grep -qF " $ROOT/" /proc/mounts || rm -rf "$ROOT"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_probe_build "$ROOT" || die "could not build the probe"

free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((33000 + RANDOM % 20000))
    ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return 0; }
  done
  return 1
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
COMMIT=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$SRC" diff --quiet HEAD -- src 2>/dev/null || COMMIT+=" + uncommitted changes in src/"
log "results in $OUT"
up=0
for attempt in 1 2 3; do
  if bash "$SRC/scripts/testbed" up --dir "$BED" --addr-base auto --no-stores >"$ROOT/up.log" 2>&1; then
    up=1
    break
  fi
  log "test bed up failed (attempt $attempt; $(tail -n1 "$ROOT/up.log")); trying again"
  bash "$SRC/scripts/testbed" down --dir "$BED" >/dev/null 2>&1 || true
  sleep $((RANDOM % 10 + 5))
done
((up)) || die "the test bed did not come up"
# shellcheck disable=SC1091
. "$BED/env"
dk() { "$DOCKER" -H "$DOCKER_HOST" "$@"; }
running() { dk ps -q --filter status=running --filter label=com.docker.swarm.service.name=idle | wc -l; }

grow_to() {
  local n=$1 deadline
  if dk service inspect idle >/dev/null 2>&1; then
    dk service update --detach --replicas "$n" idle >/dev/null
  else
    dk service create --detach --name idle --replicas "$n" "$IMAGE" sleep 1000000 \
      >/dev/null 2>"$ROOT/service.err" || { cat "$ROOT/service.err" >&2; exit 1; }
  fi
  deadline=$((SECONDS + START_TIMEOUT))
  until (($(running) == n)); do
    ((SECONDS < deadline)) || die "only $(running) of $n containers running after ${START_TIMEOUT}s"
    sleep 2
  done
}

# The configurations: "key|binary|flags" (a port is added to --listen).
CONFIGS=()
[[ -n "$OLD" ]] && CONFIGS+=("old --stdout --listen|$OLD|--stdout --listen")
CONFIGS+=("new --stdout|$DS|--stdout")
CONFIGS+=("new --stdout --listen|$DS|--stdout --listen --keep $KEEP")
CONFIGS+=("new --listen|$DS|--listen --keep $KEEP")

# metric FILE NAME: a sample's value from a /metrics text ("" if absent)
metric() { awk -v m="$2" '$1 == m { print $2; exit }' "$1"; }
# rounds_of I N: the rounds ds number I has run: ds_rounds_total on its
# /metrics, else its line protocol's lines / N
rounds_of() {
  local i=$1 n=$2
  if [[ -n "${ports[$i]}" ]]; then
    curl -sS --max-time 10 "http://127.0.0.1:${ports[$i]}/metrics" | awk '$1 == "ds_rounds_total" { print $2 }'
  else
    echo $(($(grep -c '^docker,' "$ROOT/stdout-$i" || true) / n))
  fi
}

TSV=$OUT/raw/table.tsv
: >"$TSV"
for n in $SIZES; do
  log "growing the service idle to $n replicas"
  grow_to "$n"
  log "$n running; settling 10s"
  sleep 10
  keys=() ports=() logs=()
  for i in "${!CONFIGS[@]}"; do
    IFS='|' read -r key bin flags <<<"${CONFIGS[$i]}"
    port=
    args=()
    for f in $flags; do
      if [[ "$f" == --listen ]]; then
        port=$(free_port) || die "no free port"
        args+=(--listen "127.0.0.1:$port")
      else
        args+=("$f")
      fi
    done
    lg=$OUT/log/$n-${key// /_}.log
    level=info
    ((DEBUG)) && level=debug
    "$bin" --source cgroup --interval "$INTERVAL" --docker-host "$DOCKER_HOST" \
      --log-level "$level" "${args[@]}" >"$ROOT/stdout-$i" 2>"$lg" &
    DS_PIDS+=($!)
    keys+=("$key")
    ports+=("$port")
    logs+=("$lg")
    sleep 0.5
  done
  fill=$((KEEP_S + 3 * INTERVAL_S))
  log "$n: ${#CONFIGS[@]} ds running side by side; ${fill}s for the keep to fill"
  sleep "$fill"
  for i in "${!DS_PIDS[@]}"; do
    kill -0 "${DS_PIDS[$i]}" 2>/dev/null || die "ds '${keys[$i]}' exited; see ${logs[$i]}"
    echo "ds ${DS_PIDS[$i]}" >"$ROOT/pid-$i"
  done
  # the window: CPU and log offsets before, the same after
  declare -A cpu0 off0 rounds0
  for i in "${!DS_PIDS[@]}"; do
    cpu0[$i]=$("$PROBE" cpu "$ROOT/pid-$i")
    rounds0[$i]=$(rounds_of "$i" "$n")
    off0[$i]=$(stat -c %s "${logs[$i]}")
  done
  t0=$(date +%s.%N)
  log "$n: measuring ${WINDOW}s of steady rounds"
  sleep "$WINDOW"
  t1=$(date +%s.%N)
  for i in "${!DS_PIDS[@]}"; do
    cpu1=$("$PROBE" cpu "$ROOT/pid-$i")
    rounds1=$(rounds_of "$i" "$n")
    pid=${DS_PIDS[$i]}
    status=$ROOT/status-$i
    cp "/proc/$pid/status" "$status"
    mf=$ROOT/metrics-$i
    : >"$mf"
    if [[ -n "${ports[$i]}" ]]; then
      curl -sS --max-time 10 "http://127.0.0.1:${ports[$i]}/metrics" >"$mf" || true
    fi
    tail -c +$((${off0[$i]} + 1)) "${logs[$i]}" | grep 'msg="round"' >"$ROOT/rounds-$i" || true
    # raw: one line per round, "cpu_s wall_s containers"
    awk '{ c = w = k = ""
        for (j = 1; j <= NF; j++) {
          if ($j ~ /^cpu_s=/) c = substr($j, 7)
          if ($j ~ /^wall_s=/) w = substr($j, 8)
          if ($j ~ /^containers=/) k = substr($j, 12) }
        print c, w, k }' "$ROOT/rounds-$i" >"$OUT/raw/$n-${keys[$i]// /_}.rounds.txt"
    rounds=$((rounds1 - ${rounds0[$i]}))
    ((rounds > 0)) || die "ds '${keys[$i]}' ran no round in the window; see ${logs[$i]}"
    logmed_cpu=- logmed_wall=-
    if ((DEBUG)) && [[ -s "$OUT/raw/$n-${keys[$i]// /_}.rounds.txt" ]]; then
      logmed_cpu=$(median "$OUT/raw/$n-${keys[$i]// /_}.rounds.txt" 1 | awk '{ printf "%.3f", $1 * 1000 }')
      logmed_wall=$(median "$OUT/raw/$n-${keys[$i]// /_}.rounds.txt" 2 | awk '{ printf "%.1f", $1 * 1000 }')
    fi
    # TSV: n key rounds cpu_ms_median(log) wall_ms_median cpu_ms_process vmrss_kib
    #      rssanon_kib vmhwm_kib kept_points kept_bytes window_s
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "${keys[$i]}" "$rounds" \
      "$logmed_cpu" "$logmed_wall" \
      "$(awk -v a="${cpu0[$i]}" -v b="$cpu1" -v r="$rounds" 'BEGIN { printf "%.3f", (b - a) / r * 1000 }')" \
      "$(awk '$1 == "VmRSS:" { print $2 }' "$status")" \
      "$(awk '$1 == "RssAnon:" { print $2 }' "$status")" \
      "$(awk '$1 == "VmHWM:" { print $2 }' "$status")" \
      "$(metric "$mf" ds_kept_points)" "$(metric "$mf" ds_kept_bytes)" \
      "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" >>"$TSV"
  done
  unset cpu0 off0 rounds0
  stop_ds
  rm -f "$ROOT"/stdout-*
done

KEEP_ROWS=$((KEEP_S / INTERVAL_S + 1))
{
  echo "Run $T0 .. $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -r)), load average" \
    "at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg); ds: $DS (source $COMMIT)" \
    "$( [[ -n "$OLD" ]] && echo "; old: $OLD ($("$OLD" --version 2>/dev/null | head -n1 || echo '?'))")."
  echo
  echo "Each size: the ds daemons side by side on the same N replicas of one swarm service" \
    "(sleep), --source cgroup --interval $INTERVAL, --log-level $( ((DEBUG)) && echo debug || echo info)," \
    "keeping --keep $KEEP (full after" \
    "$KEEP: ~$KEEP_ROWS rows a container); measured over ${WINDOW}s of steady rounds after" \
    "the keep filled. Nothing read /points meanwhile."
  echo
  echo "### A steady round, and memory"
  echo
  echo "| containers | ds | rounds | CPU ms a round (process, window / rounds) | CPU ms a round, median (its log: --debug-log) | wall ms a round, median (its log) | VmRSS MiB | RssAnon MiB | VmHWM MiB | kept points | kept bytes | kept bytes a container |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %.1f | %.1f | %.1f | %s | %s | %s |\n",
      $1, $2, $3, $6, $4, $5, $7 / 1024, $8 / 1024, $9 / 1024,
      $10 == "" ? "-" : $10, $11 == "" ? "-" : $11, $11 == "" ? "-" : sprintf("%.0f", $11 / $1) }' "$TSV"
  echo
  echo "### What keeping costs, per size"
  echo
  echo "Extra memory: RssAnon of \`new --stdout --listen\` (keeping, /metrics) minus" \
    "\`new --stdout\` (neither), so it holds the /metrics exposition and the server" \
    "thread too; the kept rows alone are ds_kept_bytes (64 bytes a row). At the" \
    "defaults (--keep 15m, --interval 10s: 91 rows) the rows take 5,824 bytes a container."
  echo
  echo "| containers | extra RssAnon KiB (keeping − not) | per container, bytes | kept bytes a container (measured) | at --keep 15m / 10 s, rows' KiB (all containers) | CPU a round, new --stdout --listen vs old (process) | vs new --stdout (process) |"
  echo "|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '
    { k = $1 SUBSEP $2; anon[k] = $8; cpu[k] = $6; kb[k] = $11; if (!($1 in seen)) { seen[$1] = 1; ns[++m] = $1 } }
    END {
      for (i = 1; i <= m; i++) {
        n = ns[i]; a = n SUBSEP "new --stdout --listen"; b = n SUBSEP "new --stdout"; o = n SUBSEP "old --stdout --listen"
        ratio_o = (o in cpu && cpu[o] > 0) ? sprintf("%.2f×", cpu[a] / cpu[o]) : "-"
        ratio_b = (cpu[b] > 0) ? sprintf("%.2f×", cpu[a] / cpu[b]) : "-"
        printf "| %s | %d | %.0f | %s | %.0f | %s | %s |\n", n, anon[a] - anon[b], (anon[a] - anon[b]) * 1024 / n,
          kb[a] == "" ? "-" : sprintf("%.0f", kb[a] / n), n * 91 * 64 / 1024, ratio_o, ratio_b
      }
    }' "$TSV"
  echo
  awk -F'\t' '
    $2 == "new --stdout --listen" { a[++m] = $8; nn[m] = $1 }
    $2 == "new --stdout" { b[++q] = $8 }
    END {
      if (m >= 2 && q >= 2 && nn[m] > nn[1])
        printf "Marginal extra RssAnon per container between %s and %s containers: %.0f bytes.\n\n",
          nn[1], nn[m], ((a[m] - b[q]) - (a[1] - b[1])) * 1024 / (nn[m] - nn[1])
    }' "$TSV"
  if ((DEBUG)); then
    echo "Raw rounds (cpu_s wall_s containers, one a line) in $OUT/raw/; ds logs in $OUT/log/."
  else
    echo "ds logs in $OUT/log/."
  fi
} | tee "$OUT/results.md"
log "done: $OUT/results.md"
