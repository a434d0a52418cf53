#!/usr/bin/env bash
# bench/das-cycle.sh — what one `das run --once --dry-run` cycle costs over
# N real swarm services and N policies, against the real influxd and
# PostgreSQL of the test bed (docs/design.md §6 "Scale"; §4: InfluxDB load is
# bounded by the distinct (cond_item, duration) pairs, not by the policies).
#
#   bash bench/das-cycle.sh [--sizes "100 1000"] [--repeat 5] [--out DIR]
#                           [--addr-base B] [--history M] [--labels]
#
# Environment: BUILD (cmake build dir holding das; default ./build),
# BENCH_SIZES, BENCH_REPEAT, BENCH_HISTORY (--history; default 1000000),
# BENCH_OUT (results folder; default
# bench/out/das-cycle-<time>), BENCH_ADDR_BASE (the bed's first loopback
# address 127.0.0.B; default 200, and when that block's swarm port is taken
# the first free one from 150 up), BENCH_GAP_S (pause between runs; default
# 2), BENCH_LABELS (--labels: 1 = the policies are the services' labels and
# das runs with --policy-db none; default 0), BENCH_STRACE (1: one extra run per size under `strace -f -c`, not in
# the medians; default 1 when strace is installed). Needs root (the test bed
# runs dockerd), curl, /usr/bin/time, awk.
#
# It brings up a private test bed (scripts/testbed up: one engine in swarm
# mode, influxd, PostgreSQL; under a fresh /tmp folder; taken down at exit,
# also on failure) and, for each size N in ascending order:
#
#  1. services: grows the swarm to N services `bench-NNNNN`, all at
#     --replicas 0 (das-busybox:latest sleep 1000000: no containers), created
#     through the Engine API (POST /v1.41/services/create with curl over the
#     unix socket, 4 in parallel); the time is reported;
#  2. policies: (with --labels: none in the table; each service was created
#     with the same policy as labels das.min_no … das.in_duration, and das
#     runs with --policy-db none, reading its last actions from InfluxDB
#     measurement das: one more /query request, no SQL at all; no --history)
#     replaces the `das` table with N rows in one INSERT … SELECT,
#     one per service, min_no 1, max_no 5, cur_no 0 (= the service's
#     replicas, so no `synced` rows), four kinds by seq mod 4:
#        cond_item  out    in    out_duration  in_duration
#        cpu_ratio  70%    20%   2m            10m
#        cpu_ratio  80%    30%   2m            2m
#        mem_ratio  80%    40%   5m            10m
#        mem_ratio  90%    50%   10m           10m
#     i.e. 4 distinct (cond_item, duration) pairs: (cpu_ratio, 2m),
#     (cpu_ratio, 10m), (mem_ratio, 5m), (mem_ratio, 10m) — 4 InfluxDB
#     queries per cycle whatever N is. service_id takes all three accepted
#     forms: the full id (half the rows), the name (a quarter), a 12-char id
#     prefix (a quarter). das_events is emptied;
#  3. metrics: drops the measurements `docker` and `das`, then writes 10
#     minutes of synthetic points per service at a 10 s interval (60 points
#     × N services, one container tag each, the fields ds writes, tagged with
#     the real service id) with POST /write in batches of 5,000 lines; the
#     time is reported. A feeder then writes one fresh point per service
#     every 10 s (as ds would) so the windows stay covered during the runs;
#  4. runs `das run --once --dry-run --ds-interval 10s --log-level debug`
#     once as a warm-up, then BENCH_REPEAT times, each under
#     /usr/bin/time -f '%e %U %S %M' (wall, CPU, peak RSS of das), and per
#     run reads:
#       - InfluxDB queries: das's own count (`cycle done … queries=N`, the
#         debug line) and, independently, the POST /query requests with
#         das's user agent in influxd's HTTP log during the run, and the
#         statements influxd logged ("Executing query"; das sends three per
#         request before issue 10: mean+count, first, last; since, one request
#         per field: count/sum/max in buckets, last, first per window);
#       - decisions: the "dry run: would act" lines by action, and the rows
#         the run added to das_events; the `das` points (one POST /write per
#         decision) from influxd's HTTP log;
#       - where the time goes, from the debug log's millisecond timestamps:
#         start → "acting: leader" (leader check), → first "would act" (the
#         evaluation: policy rows, service list, the InfluxDB queries, last
#         actions, the decisions, and the first event), → "cycle done"
#         (recording the remaining events: a das_events INSERT and a POST
#         /write each); influxd's own time for das's /query and /write
#         requests (the µs its HTTP log gives per request); the CPU time of
#         influxd, dockerd and PostgreSQL (postmaster and its children, the
#         exited backends included) over the run, from /proc (10 ms ticks);
#         influxd's time and response size per /query request;
#  5. unless --history 0: adds M old (40 days) non-dry-run rows to das_events,
#     as months of actions leave there, and measures again (step 4): das
#     reads the last action per policy from das_events every cycle.
#
# Output: Markdown tables on stdout and in OUT/results.md; the raw numbers,
# one line per run, in OUT/raw/N.txt (columns named in OUT/raw/COLUMNS);
# das's logs in OUT/log/; strace summaries in OUT/strace-N.txt.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
BUILD=${BUILD:-build}
SIZES=${BENCH_SIZES:-100 1000}
REPEAT=${BENCH_REPEAT:-5}
OUT=${BENCH_OUT:-}
ADDR_BASE=${BENCH_ADDR_BASE:-200}
GAP_S=${BENCH_GAP_S:-2}
STRACE=${BENCH_STRACE:-}
HISTORY=${BENCH_HISTORY:-1000000}
LABELS=${BENCH_LABELS:-0}
DOCKER=/usr/bin/docker
TIME=/usr/bin/time
IMAGE=das-busybox:latest
POINTS=60     # per service: 10 minutes …
STEP_S=10     # … at a 10 s interval
BATCH=5000    # lines per POST /write
PREFIX=bench- # service names

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}
while (($#)); do
  case "$1" in
    --sizes) SIZES=${2:?}; shift 2 ;;
    --repeat) REPEAT=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --addr-base) ADDR_BASE=${2:?}; shift 2 ;;
    --history) HISTORY=${2:?}; shift 2 ;;
    --labels) LABELS=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "das-cycle: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "das-cycle: --repeat needs a number >= 1" >&2; exit 2; }
[[ "$HISTORY" =~ ^[0-9]+$ ]] || { echo "das-cycle: --history needs a number >= 0" >&2; exit 2; }
[[ "$LABELS" == 0 || "$LABELS" == 1 ]] || { echo "das-cycle: BENCH_LABELS is 0 or 1" >&2; exit 2; }
NONE_ARGS=()
if ((LABELS)); then
  HISTORY=0 # no das_events: the history is in InfluxDB
  NONE_ARGS=(--policy-db none)
fi
if ! [[ "$ADDR_BASE" =~ ^[0-9]+$ ]] || ((ADDR_BASE < 1 || ADDR_BASE > 254)); then
  echo "das-cycle: --addr-base needs a number 1..254" >&2
  exit 2
fi
prev=0
for n in $SIZES; do
  [[ "$n" =~ ^[1-9][0-9]*$ && n -gt prev && n -le 99999 ]] ||
    { echo "das-cycle: --sizes needs ascending numbers 1..99999, got '$SIZES'" >&2; exit 2; }
  prev=$n
done
[[ "$BUILD" == /* ]] || BUILD=$SRC/$BUILD
DAS=$BUILD/das
[[ -x "$DAS" ]] || { echo "das-cycle: $DAS is not built: make build (or set BUILD)" >&2; exit 2; }
((EUID == 0)) || { echo "das-cycle: needs root (the test bed runs dockerd)" >&2; exit 2; }
for t in "$DOCKER" "$TIME"; do
  [[ -x "$t" ]] || { echo "das-cycle: $t missing (apt-get install docker.io time)" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "das-cycle: curl missing" >&2; exit 2; }
if [[ -z "$STRACE" ]]; then
  STRACE=0
  command -v strace >/dev/null 2>&1 && STRACE=1
fi

OUT=${OUT:-$SRC/bench/out/das-cycle-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw" "$OUT/log"
OUT=$(cd "$OUT" && pwd)
ROOT=$(mktemp -d /tmp/das-cycle.XXXXXX)
chmod 711 "$ROOT" # the bed's PostgreSQL runs as postgres
BED=$ROOT/bed
FEED_PID=
log() { printf 'das-cycle: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_feeder
  if [[ -e "$BED" ]]; then
    bash "$SRC/scripts/testbed" down --dir "$BED" || rc=1
  fi
  if ! grep -qF " $ROOT/" /proc/mounts; then
    rm -rf "$ROOT"
  fi
  exit "$rc"
}
stop_feeder() {
  if [[ -n "$FEED_PID" ]]; then
    kill -TERM "$FEED_PID" 2>/dev/null || true
    wait "$FEED_PID" 2>/dev/null || true
    FEED_PID=
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


swarm_port_taken() { ss -Hltn "sport = :2377" | awk -v a="127.0.0.$1:2377" '$4 == a { f = 1 } END { exit !f }'; }

# --- the bed ------------------------------------------------------------------
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
log "results in $OUT"
up=0
for attempt in 1 2 3; do
  if swarm_port_taken "$ADDR_BASE"; then
    for ((b = 150; b <= 254; b++)); do
      swarm_port_taken "$b" || { ADDR_BASE=$b; break; }
    done
  fi
  if bash "$SRC/scripts/testbed" up --dir "$BED" --addr-base "$ADDR_BASE"; then
    up=1
    break
  fi
  log "test bed up failed (attempt $attempt); trying again"
  sleep $((RANDOM % 10 + 5))
done
((up)) || die "the test bed did not come up"
# shellcheck disable=SC1091
. "$BED/env"
SOCK=${DOCKER_HOST#unix://}
dk() { "$DOCKER" -H "$DOCKER_HOST" "$@"; }
psql_doc() { "$TESTBED_PG_BIN/psql" -X -At -q -v ON_ERROR_STOP=1 "$DAS_POLICY_DB" "$@"; }
iq() { # InfluxQL statement → JSON
  curl -sS --fail-with-body --max-time 60 -XPOST "$DAS_INFLUX_URL/query?db=$DAS_INFLUX_DB" \
    --data-urlencode "q=$1"
}
INFLUX_LOG=$TESTBED_INFLUX_LOG
INFLUXD_PID=$(tr -dc 0-9 <"$TESTBED_INFLUX_PID_FILE")
DOCKERD_PID=$(tr -dc 0-9 <"$TESTBED_ENGINE_1_PID_FILE")
PG_PID=$(head -n1 "$TESTBED_PG_DATA/postmaster.pid" | tr -dc 0-9)

# cpu_ticks PID: utime+stime of PID (clock ticks).
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# pg_ticks: the postmaster's own and reaped children's CPU plus its living
# children's (clock ticks): PostgreSQL's whole CPU, exited backends included.
pg_ticks() {
  local p t=0 s kids
  s=$(sed 's/^.*) //' "/proc/$PG_PID/stat")
  t=$(awk '{ print $12 + $13 + $14 + $15 }' <<<"$s")
  read -r -a kids <"/proc/$PG_PID/task/$PG_PID/children" || true
  for p in "${kids[@]}"; do
    s=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
    t=$((t + $(awk '{ print $12 + $13 + $14 + $15 }' <<<"$s")))
  done
  echo "$t"
}
HZ=$(getconf CLK_TCK)

# The first cycle creates das's tables (das and das_events).
"$DAS" run --once --dry-run --ds-interval 10s 2>"$OUT/log/schema.log" ||
  die "das run --once (creating the tables) failed; see $OUT/log/schema.log"

# --- 1. services --------------------------------------------------------------
HAVE=0
grow_services() {
  local n=$1 t0 t1 got
  ((n > HAVE)) || return 0
  t0=$(date +%s.%N)
  if ((LABELS)); then
    # one body per service: the policy of its kind (number mod 4, as the
    # table's rows below) as labels
    seq $((HAVE + 1)) "$n" | awk -v img="$IMAGE" -v pre="$PREFIX" '{
      k = $1 % 4
      split("cpu_ratio cpu_ratio mem_ratio mem_ratio", it, " ")
      split("70% 80% 80% 90%", o, " "); split("20% 30% 40% 50%", i, " ")
      split("2m 2m 5m 10m", od, " "); split("10m 2m 10m 10m", id, " ")
      printf "{\"Name\":\"%s%05d\",\"Labels\":{\"das-bench\":\"1\",\"das.min_no\":\"1\",\"das.max_no\":\"5\",\"das.cond_item\":\"%s\",\"das.out_cond\":\"%s\",\"das.in_cond\":\"%s\",\"das.out_duration\":\"%s\",\"das.in_duration\":\"%s\"},\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"%s\",\"Args\":[\"sleep\",\"1000000\"]}},\"Mode\":{\"Replicated\":{\"Replicas\":0}}}\n",
        pre, $1, it[k + 1], o[k + 1], i[k + 1], od[k + 1], id[k + 1], img }' |
      xargs -P 4 -d '\n' -I{} curl -sS --fail-with-body -o /dev/null \
        --max-time 60 --unix-socket "$SOCK" -XPOST -H 'Content-Type: application/json' \
        http://localhost/v1.41/services/create -d '{}' ||
      die "creating services $((HAVE + 1))..$n through the Engine API failed"
  else
  # shellcheck disable=SC2016
  seq -f '%05g' $((HAVE + 1)) "$n" | xargs -P 4 -I{} curl -sS --fail-with-body -o /dev/null \
    --max-time 60 --unix-socket "$SOCK" -XPOST -H 'Content-Type: application/json' \
    http://localhost/v1.41/services/create -d '{"Name":"'"$PREFIX"'{}",
      "Labels":{"das-bench":"1"},
      "TaskTemplate":{"ContainerSpec":{"Image":"'"$IMAGE"'","Args":["sleep","1000000"]}},
      "Mode":{"Replicated":{"Replicas":0}}}' ||
    die "creating services $((HAVE + 1))..$n through the Engine API failed"
  fi
  t1=$(date +%s.%N)
  got=$(dk service ls -q --filter label=das-bench=1 | wc -l)
  ((got == n)) || die "$got services, expected $n"
  SVC_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  log "$n services ($((n - HAVE)) created in ${SVC_S}s)"
  SVC_NEW=$((n - HAVE))
  HAVE=$n
}

# --- 2. policies --------------------------------------------------------------
set_policies() {
  local n=$1 svcs=$2 t0 t1
  if ((LABELS)); then
    psql_doc -c 'delete from das' -c 'truncate das_events' >/dev/null
    POL_S=0
    log "$n policies: the services' labels (--policy-db none)"
    return 0
  fi
  t0=$(date +%s.%N)
  bench_policies_sql "$svcs" 5 0 |
    psql_doc -f - >/dev/null || die "inserting $n policies failed"
  t1=$(date +%s.%N)
  POL_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  [[ "$(psql_doc -c 'select count(*) from das')" == "$n" ]] || die "the das table has not $n rows"
  log "$n policies in ${POL_S}s"
}

# --- 3. metrics ---------------------------------------------------------------
# lines SVCS NOW_S POINTS: line protocol, POINTS per service ending at NOW_S.
lines() {
  awk -v now="$2" -v pts="$3" -v step="$STEP_S" 'BEGIN { srand(42) } {
    c = sprintf("%06x%06x", NR, (NR * 7919) % 16777216)
    cpu = 5 + rand() * 90; mem = 10 + rand() * 80
    for (i = 0; i < pts; i++) {
      t = now - (pts - 1 - i) * step
      mu = int(mem * 671088.64 + rand() * 100000)
      printf "docker,container=%s,node=vm,service=%s,service_name=%s cpu_ratio=%.3f,mem_usage=%di,mem_limit=67108864i,mem_ratio=%.4f,net_read=%di,net_write=%di,blk_read=4096i,blk_write=0i,net_read_rate=%.1f,net_write_rate=%.1f,blk_read_rate=0,blk_write_rate=0,pids=1i %d000000000\n",
        c, $1, $2, cpu + rand() * 4 - 2, mu, mu / 671088.64, t * 100, t * 50, 100 + rand(), 50 + rand(), t
    }
  }' "$1"
}
post_lines() { # FILE
  curl -sS --fail-with-body -o /dev/null --max-time 120 -XPOST \
    "$DAS_INFLUX_URL/write?db=$DAS_INFLUX_DB&precision=ns" --data-binary "@$1"
}
set_metrics() {
  local n=$1 svcs=$2 now t0 t1 f cnt
  iq 'DROP MEASUREMENT "docker"' >/dev/null || true
  iq 'DROP MEASUREMENT "das"' >/dev/null || true
  rm -rf "$ROOT/lp"
  mkdir -p "$ROOT/lp"
  now=$(date +%s)
  lines "$svcs" "$now" "$POINTS" | split -l "$BATCH" - "$ROOT/lp/b."
  t0=$(date +%s.%N)
  for f in "$ROOT"/lp/b.*; do
    post_lines "$f" || die "POST /write of $f failed"
  done
  t1=$(date +%s.%N)
  WRITE_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  WRITE_REQ=$(find "$ROOT/lp" -name 'b.*' | wc -l)
  cnt=$(iq 'SELECT count("cpu_ratio") FROM "docker"' | grep -o '"values":\[\["[^"]*",[0-9]*' | grep -o '[0-9]*$')
  ((cnt == n * POINTS)) || die "InfluxDB holds $cnt points, expected $((n * POINTS))"
  log "$((n * POINTS)) points in $WRITE_REQ requests, ${WRITE_S}s"
}
# feeder SVCS: one point per service every STEP_S seconds (what ds would add).
feeder() {
  local svcs=$1 next
  trap - EXIT INT TERM
  set +e
  next=$(($(date +%s) + STEP_S))
  while :; do
    sleep $((next - $(date +%s))) 2>/dev/null
    lines "$svcs" "$next" 1 >"$ROOT/feed.lp"
    post_lines "$ROOT/feed.lp" || echo "das-cycle: feeder: a write failed" >&2
    next=$((next + STEP_S))
  done
}

# --- 4. the runs --------------------------------------------------------------
# log_ms LOGLINE: the line's ts= as milliseconds since midnight UTC.
ts_ms_awk='function tsms(s,  a) { match(s, /T[0-9:.]+Z/); s = substr(s, RSTART + 1, RLENGTH - 2)
  split(s, a, ":"); return ((a[1] * 60 + a[2]) * 60 + a[3]) * 1000 }'

cat >"$OUT/raw/COLUMNS" <<'EOF'
wall_s das_user_s das_sys_s das_maxrss_kib das_queries influx_query_reqs influx_statements influx_das_writes influx_query_ms influx_write_ms events_added acts_bound acts_other leader_ms eval_ms record_ms cycle_ms influxd_cpu_s dockerd_cpu_s postgres_cpu_s exit_status
EOF

# run_once N RAWFILE TAG [WRAPPER...]: one cycle; appends a line to RAWFILE.
run_once() {
  local n=$1 rawf=$2 tag=$3 off ev0 ev1 i0 d0 p0 i1 d1 p1 rc=0 dlog tf
  shift 3
  dlog=$OUT/log/das-$tag.log
  tf=$ROOT/time.txt
  off=$(stat -c %s "$INFLUX_LOG")
  ev0=$(psql_doc -c 'select count(*) from das_events')
  i0=$(cpu_ticks "$INFLUXD_PID"); d0=$(cpu_ticks "$DOCKERD_PID"); p0=$(pg_ticks)
  "$@" "$TIME" -o "$tf" -f '%e %U %S %M' "$DAS" run --once --dry-run --ds-interval 10s \
    --log-level debug "${NONE_ARGS[@]}" 2>"$dlog" || rc=$?
  sleep 0.3 # let the postmaster reap das's backend, influxd flush its log
  i1=$(cpu_ticks "$INFLUXD_PID"); d1=$(cpu_ticks "$DOCKERD_PID"); p1=$(pg_ticks)
  ev1=$(psql_doc -c 'select count(*) from das_events')
  tail -c +$((off + 1)) "$INFLUX_LOG" >"$ROOT/influx-run.log"
  ((rc == 0)) || log "$n/$tag: das exited $rc (see $dlog)"
  # das's requests carry no User-Agent ("-"); the feeder's and ours are curl's.
  awk -v hz="$HZ" -v ev="$((ev1 - ev0))" -v rc="$rc" \
    -v ci="$((i1 - i0))" -v cd="$((d1 - d0))" -v cp="$((p1 - p0))" \
    -v tline="$(tail -n1 "$tf")" "$ts_ms_awk"'
    FILENAME == ARGV[1] {
      if ($0 ~ /^\[httpd\]/ && $0 ~ /"-" "-" [^ ]+ [0-9]+$/) {
        if ($0 ~ /"POST \/query/) { qr++; qus += $NF }
        else if ($0 ~ /"POST \/write/) { wr++; wus += $NF }
      } else if ($0 ~ /msg="Executing query"/ && $0 ~ /GROUP BY service, container/) st++
      next
    }
    /msg="starting"/ { t_start = tsms($0) }
    /msg="acting: this engine is the swarm leader"/ { t_lead = tsms($0) }
    /msg="dry run: would act"/ {
      if (!t_first) t_first = tsms($0)
      if ($0 ~ / action=bound /) bound++; else other++
    }
    /msg="cycle done"/ {
      t_done = tsms($0)
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^queries=/) { sub(/^queries=/, "", $i); dq = $i }
        if ($i ~ /^ms=/) { sub(/^ms=/, "", $i); cms = $i }
      }
    }
    END {
      if (!t_first) t_first = t_done
      split(tline, t, " ")
      printf "%s %s %s %s %s %d %d %d %.1f %.1f %d %d %d %d %d %d %s %.2f %.2f %.2f %d\n",
        t[1], t[2], t[3], t[4], dq == "" ? "nan" : dq, qr, st, wr, qus / 1000, wus / 1000, ev,
        bound, other, t_lead - t_start, t_first - t_lead, t_done - t_first,
        cms == "" ? "nan" : cms, ci / hz, cd / hz, cp / hz, rc
    }' "$ROOT/influx-run.log" "$dlog" >>"$rawf"
  # per /query request of das: influxd's ms and the response bytes
  if [[ "$tag" == *-run* ]]; then
    awk '/^\[httpd\]/ && /"-" "-" [^ ]+ [0-9]+$/ && /"POST \/query/ {
        printf "%s%.1f %s", n++ ? " " : "", $NF / 1000, $(NF - 4) }
      END { printf "\n" }' "$ROOT/influx-run.log" >>"$OUT/raw/${tag%-run*}.queries.txt"
    # one first() statement per window (the window sets of issue 10)
    { grep -o 'query="SELECT first([a-z_]*).*GROUP BY' "$ROOT/influx-run.log" || true; } |
      awk '{ match($0, /first\([a-z_]+\)/); f = substr($0, RSTART + 6, RLENGTH - 7)
        match($0, />= [0-9]+ms/); a = substr($0, RSTART + 3, RLENGTH - 5)
        match($0, /< [0-9]+ms/); b = substr($0, RSTART + 2, RLENGTH - 4)
        printf "%s(%s, %gm)", n++ ? ", " : "", f, (b - a - 1) / 60000 }' >"$ROOT/pairs.txt"
  fi
}
# das logs "starting" after it opened its clients, so the process start is
# not in its log: the tables give start-up + exit as wall − das's cycle ms.

# measure N KEY LABEL: warm-up, REPEAT runs (and one under strace); one
# row of medians in TABLE.
measure() {
  local n=$1 key=$2 label=$3 raw=$OUT/raw/$2.txt r col
  : >"$raw"
  : >"$OUT/raw/$key.queries.txt"
  KEYS+=" $key"
  log "$label: warm-up run"
  run_once "$n" "$OUT/raw/$key.warmup.txt" "$key-warmup"
  for ((r = 1; r <= REPEAT; r++)); do
    sleep "$GAP_S"
    log "$label: run $r/$REPEAT"
    run_once "$n" "$raw" "$key-run$r"
  done
  if ((STRACE)); then
    sleep "$GAP_S"
    log "$label: one more run under strace -f -c (not in the medians)"
    run_once "$n" "$OUT/raw/$key.strace.txt" "$key-strace" strace -f -c -o "$OUT/strace-$key.txt"
    STRACED+=" $key"
  fi
  # the same requests das makes, alone, timed from outside (3 times each)
  for r in 1 2 3; do
    printf '%s %s %s\n' \
      "$(curl -sS -o /dev/null --unix-socket "$SOCK" -w '%{time_total} %{size_download}' \
        http://localhost/v1.41/services)" \
      "$(pg_ms 'select seq, min_no, max_no, cur_no, cond_item, out_cond, in_cond, out_duration, in_duration, service_id from das order by seq')" \
      "$(pg_ms 'select seq, max(time_ms) from das_events where dry_run = false group by seq')"
  done >"$OUT/raw/$key.ref.txt"
  {
    printf '%s' "$label"
    for col in $(seq 1 20); do
      printf '\t%s' "$(median "$raw" "$col")"
    done
    printf '\t%s\t%s' "$(minmax "$raw" 1)" "$(awk '$21 != 0 { f++ } END { print f + 0 }' "$raw")"
    # start-up + exit: per run, wall − das's own cycle ms (then the median)
    awk '{ print $1 * 1000 - $17 }' "$raw" >"$ROOT/startup.txt"
    printf '\t%s\n' "$(median "$ROOT/startup.txt" 1)"
  } >>"$TABLE"
}
# pg_ms SQL: how long PostgreSQL took for SQL (ms, psql's \timing).
pg_ms() {
  printf '\\timing on\n%s;\n' "$1" | psql_doc -f - 2>&1 | awk '/^Time: / { print $2 }' | tail -n1
}
human() { awk -v n="$1" 'BEGIN { if (n >= 1e6 && n % 1e6 == 0) printf "%dM", n / 1e6
  else if (n >= 1e3 && n % 1e3 == 0) printf "%dk", n / 1e3; else printf "%d", n }'; }

# add_history N: HISTORY old (40 days ago) non-dry-run rows in das_events
# spread over the N policies, as months of real actions would leave.
add_history() {
  local n=$1 t0 t1
  t0=$(date +%s.%N)
  psql_doc -c "insert into das_events (time_ms, seq, service, action, from_no,
      to_no, metric, observed, threshold, window_ms, reason, dry_run)
    select (extract(epoch from now()) * 1000)::bigint - 40::bigint * 86400000 + g * 2,
      1 + g % $n, 'bench-' || lpad((1 + g % $n)::text, 5, '0'),
      case when g % 2 = 0 then 'scale-out' else 'scale-in' end, 2, 3,
      'cpu_ratio', 90, 70, 120000, 'mean cpu_ratio 90.0% > 70% over 2m: 2 → 3', false
    from generate_series(1, $HISTORY) g" >/dev/null || die "adding $HISTORY history rows failed"
  t1=$(date +%s.%N)
  log "$HISTORY old events in das_events in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s"
}

TABLE=$OUT/table.tsv
: >"$TABLE"
STRACED=
KEYS=
SETUP=$OUT/setup.tsv
: >"$SETUP"
for n in $SIZES; do
  log "=== $n services and policies"
  grow_services "$n"
  SVCS=$ROOT/svcs-$n.txt
  # full ids (service ls shows them truncated), in name order
  # shellcheck disable=SC2046
  dk service inspect --format '{{.ID}} {{.Spec.Name}}' \
    $(dk service ls -q --filter label=das-bench=1) | sort -k2 >"$SVCS"
  (($(wc -l <"$SVCS") == n)) || die "listed $(wc -l <"$SVCS") services, expected $n"
  set_policies "$n" "$SVCS"
  set_metrics "$n" "$SVCS"
  feeder "$SVCS" &
  FEED_PID=$!
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$SVC_NEW" "$SVC_S" "$POL_S" "$WRITE_S" "$WRITE_REQ" >>"$SETUP"
  sleep "$GAP_S"

  measure "$n" "$n" "$n"
  if ((HISTORY > 0)); then
    add_history "$n"
    measure "$n" "$n-history" "$n (+$(human "$HISTORY") old events)"
  fi
  stop_feeder
done

# --- tables -------------------------------------------------------------------
# TABLE columns: 1 N, 2 wall, 3 user, 4 sys, 5 maxrss, 6 das_queries,
# 7 query_reqs, 8 statements, 9 das_writes, 10 query_ms, 11 write_ms,
# 12 events, 13 bound, 14 other, 15 leader_ms, 16 eval_ms, 17 record_ms,
# 18 cycle_ms, 19 influxd_cpu, 20 dockerd_cpu, 21 pg_cpu, 22 wall range,
# 23 failed runs, 24 start-up + exit ms (median of wall − cycle per run)
{
  echo "Run $T0 .. $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -r));" \
    "load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg); das: $DAS" \
    "($(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?'))."
  echo
  if ((LABELS)); then
    echo "### One \`das run --once --dry-run --policy-db none\` cycle (policies from service labels), medians of $REPEAT runs"
  else
    echo "### One \`das run --once --dry-run\` cycle, medians of $REPEAT runs"
  fi
  echo
  echo "| services / policies | wall s (min–max) | peak RSS MiB | InfluxDB queries (das / influxd) | decisions | das_events rows added | das CPU s |"
  echo "|---:|---:|---:|---:|---|---:|---:|"
  awk -F'\t' '{
    dec = sprintf("%d bound (0 → 1)", $13); if ($14 > 0) dec = dec sprintf(", %d other", $14)
    printf "| %s | %.2f (%s) | %.1f | %s / %s | %s | %s | %.2f |\n",
      $1, $2, $22, $5 / 1024, $6, $7, dec, $12, $3 + $4 }' "$TABLE"
  echo
  echo "### Where the time goes (medians, ms unless said)"
  echo
  echo "| services / policies | process wall | das cycle (its log) | start-up + exit (wall − cycle; wall has 10 ms ticks) | leader check | evaluation | recording events | per event | influxd time in das's queries | InfluxQL statements | POST /write of \`das\` points | influxd time in them | CPU s: das / influxd / dockerd / PostgreSQL |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  awk -F'\t' '{
    # per event recorded after the first: das_events rows, or (with
    # --labels: no SQL) the decisions, each a point in InfluxDB
    ne = $12 > 0 ? $12 : $13 + $14
    per = (ne > 1) ? $17 / (ne - 1) : 0
    printf "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f | %.0f | %s | %s | %.0f | %.2f / %.2f / %.2f / %.2f |\n",
      $1, $2 * 1000, $18, $24, $15, $16, $17, per, $10, $8, $9, $11, $3 + $4, $19, $20, $21 }' "$TABLE"
  echo
  echo "### Setup"
  echo
  echo "| services / policies | services created | Engine API create s | policies INSERT s | points | POST /write requests | write s |"
  echo "|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' -v p="$POINTS" '{ printf "| %s | %s | %s | %s | %d | %s | %s |\n", $1, $2, $3, $4, $1 * p, $6, $5 }' "$SETUP"
  echo
  echo "### influxd's time per /query request of das (ms, and response bytes; medians)"
  echo
  NQ=$((4 + LABELS)) # with labels: the last actions from InfluxDB too
  echo "| services / policies | request 1 | request 2 | request 3 | request 4 |$( ((LABELS)) && echo " request 5 (last actions) |")"
  echo "|---:|---:|---:|---:|---:|$( ((LABELS)) && echo "---:|")"
  for k in $KEYS; do
    f=$OUT/raw/$k.queries.txt
    printf '| %s' "$k"
    for ((c = 1; c <= NQ; c++)); do
      printf ' | %s (%s B)' "$(median "$f" $((2 * c - 1)))" "$(median "$f" $((2 * c)))"
    done
    printf ' |\n'
  done
  echo
  echo "### The same requests alone, timed from outside (medians of 3, ms)"
  echo
  echo "| services / policies | Engine API GET /services (curl) | response bytes | policy rows SELECT (psql) | last actions SELECT … GROUP BY seq (psql) |"
  echo "|---:|---:|---:|---:|---:|"
  for k in $KEYS; do
    f=$OUT/raw/$k.ref.txt
    printf '| %s | %.1f | %s | %s | %s |\n' "$k" "$(awk '{ print $1 * 1000 }' "$f" | sort -g | sed -n 2p)" \
      "$(median "$f" 2)" "$(median "$f" 3)" "$(median "$f" 4)"
  done
  echo
  echo "Statement order of the requests (the pairs in order of first appearance): $(cat "$ROOT/pairs.txt" 2>/dev/null)"
  for k in $STRACED; do
    echo
    echo "### strace -f -c, one run at $k (slowed by strace; the 12 syscalls with the most time)"
    echo
    echo '```'
    awk 'NR <= 14 || /total/' "$OUT/strace-$k.txt"
    echo '```'
  done
} | tee "$OUT/results.md"
failed=$(awk -F'\t' '{ s += $23 } END { print s + 0 }' "$TABLE")
((failed == 0)) || { log "$failed run(s) exited non-zero: see $OUT/log"; exit 1; }
log "done: $OUT/results.md"
