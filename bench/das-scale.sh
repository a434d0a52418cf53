#!/usr/bin/env bash
# bench/das-scale.sh — one `das run --once --dry-run` cycle at swarm-record
# scale (issue 10 §2): S services × K replicas held pending by a placement
# constraint no node meets (tasks, no containers), synthetic points for K
# containers per service in the test bed's real influxd (the series ds
# writes), one policy per service, and InfluxDB's own time for the very
# statements das sent (the floor).
#
#   bash bench/das-scale.sh [--containers N] [--per-service K] [--repeat R]
#                           [--steady C] [--das BIN]... [--out DIR]
#                           [--addr-base B|auto] [--no-feed]
#
#   --containers N   containers (series) in all; default 100000
#   --per-service K  replicas / containers per service; default 10 (so
#                    N / K services and as many policies)
#   --repeat R       measured runs per das binary, after one warm-up;
#                    default 3
#   --steady C       then one `das run --dry-run` (no --once) over C cycles
#                    per das binary: its first cycle and the later ones
#                    (which a build that keeps InfluxDB's recent points
#                    reads incrementally); default 4, 0 for none
#   --das BIN        a das binary to measure (repeatable, measured in the
#                    order given, all on the same bed); default $BUILD/das.
#                    Give an older build first to get before/after figures
#                    from one run.
#   --addr-base B    the bed's loopback block (default auto: the first free)
#   --no-feed        no feeder: the points stop at setup time (then windows
#                    go stale after 20 s; for looking at the setup only)
#
# Environment: BUILD (cmake build dir; default ./build), BENCH_OUT (results
# folder; default bench/out/das-scale-<time>), BENCH_GAP_S (pause between
# runs; default 3). Needs root (the bed runs dockerd), curl, awk, split,
# /usr/bin/time.
#
# What it builds, on a private bed (scripts/testbed up: one engine in swarm
# mode, influxd, PostgreSQL, under a fresh /tmp folder, taken down at exit,
# also on failure):
#  * influxd with [data] max-values-per-tag = 0 (its default, 100,000, is
#    what a 100,000-container swarm reaches on the container tag; a real
#    deployment of that size has to raise it too), restarted;
#  * N/K services `scale-NNNNN` (das-busybox:latest sleep), --replicas K,
#    placement constraint node.labels.nowhere==1: every task stays pending
#    ("no suitable node"), no container runs. Created through the Engine
#    API (POST /v1.41/services/create, curl, 4 in parallel); the script
#    waits until GET /tasks lists all N tasks;
#  * one policy per service in das's table, four kinds by seq mod 4 as in
#    bench/das-cycle.sh: (cpu_ratio 70%/20% 2m/10m), (cpu_ratio 80%/30%
#    2m/2m), (mem_ratio 80%/40% 5m/10m), (mem_ratio 90%/50% 10m/10m) → 4
#    (field, duration) pairs whatever N is; min_no 1, max_no 2K, cur_no K
#    (= the service's replicas: no syncs);
#  * 10 minutes of points at a 10 s interval (60 per container) for K
#    containers per service: measurement docker, tags node, container (12
#    hex), service (the real id), service_name, and the 16 fields ds
#    writes; written time-major (every container's point at t, then t+10 s,
#    as ds agents would) with POST /write, 10,000 lines a request. A feeder
#    then writes every container's next point every 10 s during the runs
#    (first filling the minutes the history took to write; the runs wait
#    until it has caught up), so every window stays covered and influxd
#    ingests N points per 10 s while das queries it, as it would in such a
#    swarm; its points carry the two fields the policies read (see
#    feeder()).
#
# Then, per das binary: one warm-up run and R runs of `das run --once
# --dry-run --ds-interval 10s --log-level debug`, each under /usr/bin/time
# (wall, CPU, peak RSS). Per run it reads das's debug log (the cycle's ms,
# the evaluation's steps when the binary logs them: "evaluation step"
# lines), influxd's HTTP log (its µs and response bytes for each /query
# request das made) and influxd's query log (the statements das sent).
# After each binary's runs, the statements of its last run are sent again
# with curl, one request each, 3 times (the floor: InfluxDB alone, no
# das), and two reference shapes over the 4 pairs: a per-service mean
# (`SELECT mean(f) … GROUP BY service`) and today's three per-container
# statements (mean/count/max, first, last `GROUP BY service, container`).
#
# Output: Markdown tables on stdout and OUT/results.md; raw lines in
# OUT/raw/; das's logs in OUT/log/.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
BUILD=${BUILD:-build}
N=100000
K=10
REPEAT=3
STEADY=4
DAS_BINS=()
OUT=${BENCH_OUT:-}
ADDR_BASE=auto
FEED=1
GAP_S=${BENCH_GAP_S:-3}
TIME=/usr/bin/time
DOCKER=/usr/bin/docker
IMAGE=das-busybox:latest
POINTS=60   # per container: 10 minutes …
STEP_S=10   # … at a 10 s interval
BATCH=10000 # lines per POST /write

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
log() { printf 'das-scale: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
while (($#)); do
  case "$1" in
    --containers) N=${2:?}; shift 2 ;;
    --per-service) K=${2:?}; shift 2 ;;
    --repeat) REPEAT=${2:?}; shift 2 ;;
    --steady) STEADY=${2:?}; shift 2 ;;
    --das) DAS_BINS+=("${2:?}"); shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --addr-base) ADDR_BASE=${2:?}; shift 2 ;;
    --no-feed) FEED=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "das-scale: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$N" =~ ^[1-9][0-9]*$ && "$K" =~ ^[1-9][0-9]*$ ]] ||
  { echo "das-scale: --containers and --per-service need numbers >= 1" >&2; exit 2; }
((N % K == 0 && N / K <= 99999)) ||
  { echo "das-scale: --containers must be a multiple of --per-service, with at most 99,999 services" >&2; exit 2; }
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "das-scale: --repeat needs a number >= 1" >&2; exit 2; }
[[ "$ADDR_BASE" == auto || "$ADDR_BASE" =~ ^[0-9]+$ ]] ||
  { echo "das-scale: --addr-base needs a number 1..254 or auto" >&2; exit 2; }
[[ "$BUILD" == /* ]] || BUILD=$SRC/$BUILD
((${#DAS_BINS[@]})) || DAS_BINS=("$BUILD/das")
for b in "${DAS_BINS[@]}"; do
  [[ -x "$b" ]] || { echo "das-scale: $b is not an executable das (make build, or --das BIN)" >&2; exit 2; }
done
((EUID == 0)) || { echo "das-scale: needs root (the test bed runs dockerd)" >&2; exit 2; }
for t in "$DOCKER" "$TIME"; do
  [[ -x "$t" ]] || { echo "das-scale: $t missing (apt-get install docker.io time)" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "das-scale: curl missing" >&2; exit 2; }
S=$((N / K))

OUT=${OUT:-$SRC/bench/out/das-scale-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw" "$OUT/log"
OUT=$(cd "$OUT" && pwd)
ROOT=$(mktemp -d /tmp/das-scale.XXXXXX)
chmod 711 "$ROOT" # the bed's PostgreSQL runs as postgres
BED=$ROOT/bed
FEED_PID=

stop_feeder() {
  if [[ -n "$FEED_PID" ]]; then
    kill -TERM "$FEED_PID" 2>/dev/null || true
    wait "$FEED_PID" 2>/dev/null || true
    FEED_PID=
  fi
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_feeder
  if [[ -e "$BED" ]]; then
    bash "$SRC/scripts/testbed" down --dir "$BED" || rc=1
  fi
  grep -qF " $ROOT/" /proc/mounts || rm -rf "$ROOT"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# --- the bed ------------------------------------------------------------------
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
log "results in $OUT; $N containers = $S services × $K"
up=0
for attempt in 1 2 3; do
  if bash "$SRC/scripts/testbed" up --dir "$BED" --addr-base "$ADDR_BASE"; then
    up=1
    break
  fi
  log "test bed up failed (attempt $attempt); trying again"
  bash "$SRC/scripts/testbed" down --dir "$BED" || true
  sleep $((RANDOM % 10 + 5))
done
((up)) || die "the test bed did not come up"
# shellcheck disable=SC1091
. "$BED/env"
SOCK=${DOCKER_HOST#unix://}
dk() { "$DOCKER" -H "$DOCKER_HOST" "$@"; }
psql_doc() { "$TESTBED_PG_BIN/psql" -X -At -q -v ON_ERROR_STOP=1 "$DAS_POLICY_DB" "$@"; }
iq() { # InfluxQL → JSON
  curl -sS --fail-with-body --max-time 300 -XPOST "$DAS_INFLUX_URL/query?db=$DAS_INFLUX_DB" \
    --data-urlencode "q=$1"
}

# influxd: no cap on the values of one tag (the container tag has N)
sed -i 's/^\( *max-values-per-tag *=\).*/\1 0/' "$TESTBED_INFLUX_CONFIG"
grep -q '^ *max-values-per-tag *= 0$' "$TESTBED_INFLUX_CONFIG" ||
  die "could not set max-values-per-tag in $TESTBED_INFLUX_CONFIG"
bash "$SRC/scripts/testbed" influx-stop --dir "$BED" >/dev/null
bash "$SRC/scripts/testbed" influx-start --dir "$BED" >/dev/null
INFLUX_LOG=$TESTBED_INFLUX_LOG
INFLUXD_PID=$(tr -dc 0-9 <"$TESTBED_INFLUX_PID_FILE")

"${DAS_BINS[-1]}" run --once --dry-run --ds-interval 10s 2>"$OUT/log/schema.log" ||
  die "das run --once (creating the tables) failed; see $OUT/log/schema.log"

# --- services -----------------------------------------------------------------
t0=$(date +%s.%N)
seq -f '%05g' 1 "$S" | xargs -P 4 -I{} curl -sS --fail-with-body -o /dev/null \
  --max-time 120 --unix-socket "$SOCK" -XPOST -H 'Content-Type: application/json' \
  http://localhost/v1.41/services/create -d '{"Name":"scale-{}",
    "Labels":{"das-bench":"1"},
    "TaskTemplate":{"ContainerSpec":{"Image":"'"$IMAGE"'","Args":["sleep","1000000"]},
      "Placement":{"Constraints":["node.labels.nowhere==1"]}},
    "Mode":{"Replicated":{"Replicas":'"$K"'}}}' ||
  die "creating $S services through the Engine API failed"
t1=$(date +%s.%N)
SVC_S=$(secs "$t0" "$t1")
log "$S services created in ${SVC_S}s; waiting for their $N tasks"
ntasks() {
  curl -sS --max-time 300 --unix-socket "$SOCK" \
    'http://localhost/v1.41/tasks?filters=%7B%22desired-state%22%3A%5B%22running%22%5D%7D' |
    grep -o '"DesiredState":"running"' | wc -l
}
for ((i = 0; ; i++)); do
  got=$(ntasks)
  ((got >= N)) && break
  ((i < 120)) || die "only $got of $N tasks after 10 minutes"
  sleep 5
done
t2=$(date +%s.%N)
TASK_S=$(secs "$t1" "$t2")
TASKS_BYTES=$(curl -sS -o /dev/null -w '%{size_download}' --max-time 300 --unix-socket "$SOCK" \
  'http://localhost/v1.41/tasks?filters=%7B%22desired-state%22%3A%5B%22running%22%5D%7D')
log "$got tasks listed after ${TASK_S}s more (GET /tasks: $TASKS_BYTES bytes)"
SVCS=$ROOT/svcs.txt
curl -sS --max-time 300 --unix-socket "$SOCK" 'http://localhost/v1.41/services' |
  grep -o '"ID":"[a-z0-9]\{25\}","Version":{"Index":[0-9]*},"CreatedAt":"[^"]*","UpdatedAt":"[^"]*","Spec":{"Name":"scale-[0-9]*"' |
  sed 's/^"ID":"\([a-z0-9]*\)".*"Name":"\(scale-[0-9]*\)"$/\1 \2/' | sort -k2 >"$SVCS"
(($(wc -l <"$SVCS") == S)) || die "listed $(wc -l <"$SVCS") services, expected $S"

# --- policies -----------------------------------------------------------------
t0=$(date +%s.%N)
bench_policies_sql "$SVCS" $((2 * K)) "$K" |
  psql_doc -f - >/dev/null || die "inserting $S policies failed"
POL_S=$(secs "$t0" "$(date +%s.%N)")
log "$S policies in ${POL_S}s"

# --- metrics ------------------------------------------------------------------
# lines FROM_S COUNT [FIELDS]: line protocol for every container, COUNT
# points at FROM_S, FROM_S + STEP_S, … (time-major). Each container keeps
# its own load level (seeded by its number) with some noise. FIELDS "all"
# (default): the 16 fields ds writes; "read": only cpu_ratio and mem_ratio,
# the two the policies read (the feeder's: see there).
lines() {
  awk -v from="$1" -v pts="$2" -v step="$STEP_S" -v k="$K" -v fields="${3:-all}" '
    { id[NR] = $1; name[NR] = $2 }
    END {
      srand(from)
      for (i = 0; i < pts; i++) {
        t = from + i * step
        for (s = 1; s <= NR; s++) for (j = 1; j <= k; j++) {
          n = (s - 1) * k + j
          c = sprintf("%06x%06x", n, (n * 7919) % 16777216)
          cpu = 5 + (n * 37 % 90) + rand() * 4
          mu = int((10 + n * 53 % 80) * 671088.64 + rand() * 100000)
          if (fields == "read") {
            printf "docker,container=%s,node=vm,service=%s,service_name=%s cpu_ratio=%.3f,mem_ratio=%.4f %d\n",
              c, id[s], name[s], cpu, mu / 671088.64, t
            continue
          }
          printf "docker,container=%s,node=vm,service=%s,service_name=%s cpu_ratio=%.3f,cpu_limit_ratio=%.3f,mem_usage=%di,mem_limit=67108864i,mem_ratio=%.4f,net_read=%di,net_write=%di,blk_read=4096i,blk_write=0i,net_read_rate=%.1f,net_write_rate=%.1f,blk_read_rate=0,blk_write_rate=0,pids=1i %d\n",
            c, id[s], name[s], cpu, cpu, mu, mu / 671088.64, t * 100, t * 50, 100 + rand(), 50 + rand(), t
        }
      }
    }' "$SVCS"
}
# post_stream: stdin's lines to POST /write, BATCH lines a request. A
# write influxd answers with 500 "timeout" (its 10 s write-timeout on a
# loaded machine) is sent again: a point written twice is the same point.
post_stream() {
  split -l "$BATCH" --filter="curl -sS --fail-with-body -o /dev/null --max-time 300 \
    --retry 5 --retry-delay 3 --retry-all-errors -XPOST \
    '$DAS_INFLUX_URL/write?db=$DAS_INFLUX_DB&precision=s' --data-binary @-" -
}
now=$(date +%s)
t0=$(date +%s.%N)
lines $((now - (POINTS - 1) * STEP_S)) "$POINTS" | post_stream ||
  die "writing the synthetic points failed"
WRITE_S=$(secs "$t0" "$(date +%s.%N)")
cnt=$(iq 'SELECT count("pids") FROM "docker"' | grep -o '"values":\[\["[^"]*",[0-9]*' | grep -o '[0-9]*$' || true)
log "$cnt points written in ${WRITE_S}s ($((N * POINTS)) generated)"
((cnt >= N * POINTS)) || die "InfluxDB holds ${cnt:-no} points, expected $((N * POINTS))"

# feeder NEXT: every container's next point every STEP_S (what the ds
# agents add), from NEXT on. The history took minutes to write: the feeder
# first fills the time since (up to 6 intervals a request round), then
# keeps pace. It writes the two fields the policies read, not all 16: on
# the 2-core machine of BENCHMARKS.md influxd took ~5,000 points of 16
# fields a second, half of what 100,000 containers every 10 s are, and
# 100,000 points of 2 fields in 1–3 s (the series are the same; only the
# newest points carry fewer fields).
feeder() {
  local next=$1 now n
  trap - EXIT INT TERM
  set +e
  while :; do
    now=$(date +%s)
    if ((next > now)); then
      sleep 1
      continue
    fi
    n=$(((now - next) / STEP_S + 1))
    ((n > 6)) && n=6
    lines "$next" "$n" read | post_stream || echo "das-scale: feeder: a write failed" >&2
    next=$((next + n * STEP_S))
  done
}
# caught_up: the newest point is at most 2 intervals old
caught_up() {
  local t
  t=$(curl -sS --max-time 60 -XPOST "$DAS_INFLUX_URL/query?db=$DAS_INFLUX_DB&epoch=s" \
    --data-urlencode 'q=SELECT last("cpu_ratio") FROM "docker"' | grep -o '"values":\[\[[0-9]*' | grep -o '[0-9]*$')
  [[ -n "$t" ]] && (($(date +%s) - t <= 2 * STEP_S))
}
if ((FEED)); then
  feeder $((now + STEP_S)) &
  FEED_PID=$!
  t0=$(date +%s.%N)
  for ((i = 0; ; i++)); do
    caught_up && break
    ((i < 600)) || die "the feeder did not catch up with the clock in 30 minutes"
    sleep 3
  done
  log "the feeder caught up with the clock in $(secs "$t0" "$(date +%s.%N)")s"
fi

# --- runs ---------------------------------------------------------------------
# das's requests carry no User-Agent ("-"); curl's do.
cat >"$OUT/raw/COLUMNS" <<'EOF'
wall_s user_s sys_s maxrss_kib cycle_ms query_reqs influxd_query_ms reply_bytes statements exit_status
EOF
# run_once BIN TAG RAW: one cycle; appends a line to RAW.
run_once() {
  local bin=$1 tag=$2 raw=$3 off rc=0 dlog=$OUT/log/$2.log tf=$ROOT/time.txt
  off=$(stat -c %s "$INFLUX_LOG")
  "$TIME" -o "$tf" -f '%e %U %S %M' "$bin" run --once --dry-run --ds-interval 10s \
    --log-level debug 2>"$dlog" || rc=$?
  sleep 0.5
  tail -c +$((off + 1)) "$INFLUX_LOG" >"$ROOT/influx-run.log"
  ((rc == 0)) || log "$tag: das exited $rc (see $dlog)"
  # das's statements, in order, one request a line (for the floor)
  awk '/msg="Executing query"/ && (/GROUP BY/ || /container.* FROM .*docker.* time >= [0-9]+ms/) {
      match($0, /query="[^"]*"/); print substr($0, RSTART + 7, RLENGTH - 8) }' \
    "$ROOT/influx-run.log" >"$ROOT/stmts-$tag.txt"
  awk -v rc="$rc" -v tline="$(tail -n1 "$tf")" -v nst="$(wc -l <"$ROOT/stmts-$tag.txt")" '
    FILENAME == ARGV[1] {
      if ($0 ~ /^\[httpd\]/ && $0 ~ /"-" "-" [^ ]+ [0-9]+$/ && $0 ~ /"POST \/query/) {
        qr++; qus += $NF; qb += $(NF - 4)
      }
      next
    }
    /msg="cycle done"/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^ms=/) { sub(/^ms=/, "", $i); cms = $i }
    }
    END {
      split(tline, t, " ")
      printf "%s %s %s %s %s %d %.0f %d %d %d\n", t[1], t[2], t[3], t[4],
        cms == "" ? "nan" : cms, qr, qus / 1000, qb, nst, rc
    }' "$ROOT/influx-run.log" "$dlog" >>"$raw"
  # das's own steps (debug lines "evaluation step"), one line a run
  awk '/msg="evaluation step"/ {
      s = ""; m = ""
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^step=/) { s = substr($i, 6) }
        if ($i ~ /^ms=/) { m = substr($i, 4) }
      }
      printf "%s%s=%s", n++ ? " " : "", s, m }
    END { printf "\n" }' "$dlog" >>"${raw%.txt}.steps.txt"
}
# run_steady BIN TAG RAW: one `das run --dry-run` over STEADY cycles (the
# default 15 s interval); a line to RAW: the first cycle's ms, the median
# and range of the later ones, peak RSS KiB, influxd's ms and reply bytes
# per later cycle (its log).
run_steady() {
  local bin=$1 tag=$2 raw=$3 dlog=$OUT/log/$2.log tf=$ROOT/time-steady.txt pid off
  off=$(stat -c %s "$INFLUX_LOG")
  "$TIME" -o "$tf" -f '%e %U %S %M' "$bin" run --dry-run --ds-interval 10s \
    --log-level debug 2>"$dlog" &
  pid=$!
  local first_done=0 off2=""
  while kill -0 "$pid" 2>/dev/null; do
    local c
    c=$(grep -c 'msg="cycle done"' "$dlog" || true)
    if ((c >= 1 && first_done == 0)); then
      first_done=1
      off2=$(stat -c %s "$INFLUX_LOG")
    fi
    ((c >= STEADY)) && break
    sleep 0.5
  done
  pkill -TERM -P "$pid" 2>/dev/null || true
  wait "$pid" || true
  [[ -n "$off2" ]] || off2=$off
  tail -c +$((off2 + 1)) "$INFLUX_LOG" >"$ROOT/influx-steady.log"
  awk -v rss="$(tail -n1 "$tf" | cut -d' ' -f4)" '
    FILENAME == ARGV[1] {
      if ($0 ~ /^\[httpd\]/ && $0 ~ /"-" "-" [^ ]+ [0-9]+$/ && $0 ~ /"POST \/query/) {
        qus += $NF; qb += $(NF - 4)
      }
      next
    }
    /msg="cycle done"/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^ms=/) { sub(/^ms=/, "", $i); ms[n++] = $i + 0 }
    }
    END {
      m = n - 1
      for (i = 1; i < n; i++) for (j = i + 1; j < n; j++) if (ms[j] < ms[i]) { t = ms[i]; ms[i] = ms[j]; ms[j] = t }
      med = (m > 0) ? ms[1 + int((m - 1) / 2)] : "nan"
      d = (m > 0) ? m : 1
      lo = (m > 0) ? ms[1] : "nan"
      hi = (m > 0) ? ms[n - 1] : "nan"
      printf "%s %s %s %s %s %.0f %d\n", (n ? ms[0] : "nan"), med, lo, hi, rss,
        qus / 1000 / d, qb / d
    }' "$ROOT/influx-steady.log" "$dlog" >>"$raw"
}
# floor TAG OUTFILE: das's statements of run TAG (as influxd logged them)
# sent again, each in a request of its own, one after the other, 3 times;
# one line per try: total ms, total bytes, statements.
floor() {
  local tag=$1 outf=$2 try
  for try in 1 2 3; do
    local ms=0 bytes=0 r
    while IFS= read -r q; do
      r=$(curl -sS -o /dev/null -w '%{time_total} %{size_download}' --max-time 300 -XPOST \
        "$DAS_INFLUX_URL/query?db=$DAS_INFLUX_DB&epoch=ms" --data-urlencode "q=$q")
      ms=$(awk -v a="$ms" -v r="$r" 'BEGIN { split(r, x, " "); printf "%.0f", a + x[1] * 1000 }')
      bytes=$((bytes + ${r#* }))
    done <"$ROOT/stmts-$tag.txt"
    echo "$ms $bytes $(wc -l <"$ROOT/stmts-$tag.txt")" >>"$outf"
  done
}
# reference SHAPE OUTFILE: a query shape over the 4 pairs, 3 times.
PAIRS="cpu_ratio:120 cpu_ratio:600 mem_ratio:300 mem_ratio:600"
reference() {
  local shape=$1 outf=$2 try p f d end start q
  for try in 1 2 3; do
    local ms=0 bytes=0 r
    end=$(($(date +%s%3N) + 1))
    for p in $PAIRS; do
      f=${p%%:*}; d=${p#*:}; start=$((end - 1 - d * 1000))
      local w="FROM \"docker\" WHERE \"service\" != '' AND time >= ${start}ms AND time < ${end}ms"
      case "$shape" in
        service-mean) q="SELECT mean(\"$f\") $w GROUP BY \"service\"" ;;
        container-3) q="SELECT mean(\"$f\"), count(\"$f\"), max(\"$f\") $w GROUP BY \"service\", \"container\"; SELECT first(\"$f\") $w GROUP BY \"service\", \"container\"; SELECT last(\"$f\") $w GROUP BY \"service\", \"container\"" ;;
      esac
      r=$(curl -sS -o /dev/null -w '%{time_total} %{size_download}' --max-time 300 -XPOST \
        "$DAS_INFLUX_URL/query?db=$DAS_INFLUX_DB&epoch=ms" --data-urlencode "q=$q")
      ms=$(awk -v a="$ms" -v r="$r" 'BEGIN { split(r, x, " "); printf "%.0f", a + x[1] * 1000 }')
      bytes=$((bytes + ${r#* }))
    done
    echo "$ms $bytes 4" >>"$outf"
  done
}

TABLE=$OUT/table.tsv
: >"$TABLE"
sleep "$GAP_S"
for bi in "${!DAS_BINS[@]}"; do
  bin=${DAS_BINS[$bi]}
  key=das$((bi + 1))
  ver=$("$bin" --version 2>/dev/null | head -n1 || true)
  log "$key: $bin ($ver): warm-up"
  : >"$OUT/raw/$key.txt"
  : >"$OUT/raw/$key.steps.txt"
  run_once "$bin" "$key-warmup" "$OUT/raw/$key.warmup.txt"
  for ((r = 1; r <= REPEAT; r++)); do
    sleep "$GAP_S"
    log "$key: run $r/$REPEAT"
    run_once "$bin" "$key-run$r" "$OUT/raw/$key.txt"
  done
  if ((STEADY > 1)); then
    sleep "$GAP_S"
    log "$key: one das run over $STEADY cycles"
    run_steady "$bin" "$key-steady" "$OUT/raw/$key.steady.txt"
  fi
  log "$key: its statements again with curl (the floor)"
  : >"$OUT/raw/$key.floor.txt"
  floor "$key-run$REPEAT" "$OUT/raw/$key.floor.txt"
  cp "$ROOT/stmts-$key-run$REPEAT.txt" "$OUT/raw/$key.statements.txt"
  printf '%s\t%s' "$key" "$bin"
  for c in 1 2 3 4 5 6 7 8 9; do printf '\t%s' "$(median "$OUT/raw/$key.txt" "$c")"; done
  printf '\t%s\t%s\t%s\t%s\n' "$(median "$OUT/raw/$key.floor.txt" 1)" "$(median "$OUT/raw/$key.floor.txt" 2)" \
    "$(awk '$10 != 0 { f++ } END { print f + 0 }' "$OUT/raw/$key.txt")" "$(tail -n1 "$OUT/raw/$key.steps.txt")"
done >>"$TABLE"
log "reference shapes with curl"
: >"$OUT/raw/ref-service-mean.txt"
: >"$OUT/raw/ref-container-3.txt"
reference service-mean "$OUT/raw/ref-service-mean.txt"
reference container-3 "$OUT/raw/ref-container-3.txt"
stop_feeder

# --- tables -------------------------------------------------------------------
{
  echo "Run $T0 .. $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -r)), load average" \
    "at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg); commit" \
    "$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo
  echo "Setup: $S services × $K pending replicas = $N tasks (created in ${SVC_S}s, tasks listed after" \
    "${TASK_S}s more; GET /tasks answers $TASKS_BYTES bytes); $S policies (${POL_S}s); $((N * POINTS))" \
    "points written in ${WRITE_S}s$( ((FEED)) && echo ", a feeder adding $N every ${STEP_S}s")."
  echo
  echo "### One \`das run --once --dry-run\` cycle at $N containers, medians of $REPEAT runs"
  echo
  echo "| das | wall s | das cycle ms | peak RSS MiB | das CPU s | /query requests | influxd ms in them (its log) | reply bytes | statements | floor: the same statements by curl, ms (bytes) | failed runs |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '{ printf "| %s `%s` | %.2f | %s | %.0f | %.2f | %s | %s | %s | %s | %s (%s) | %s |\n",
    $1, $2, $3, $7, $6 / 1024, $4 + $5, $8, $9, $10, $11, $12, $13, $14 }' "$TABLE"
  echo
  if ((STEADY > 1)); then
    echo "### One \`das run --dry-run\` over $STEADY cycles (15 s apart)"
    echo
    echo "| das | first cycle ms | later cycles ms, median (range) | peak RSS MiB | influxd ms per later cycle (its log) | reply bytes per later cycle |"
    echo "|---|---:|---:|---:|---:|---:|"
    for k in $(cut -f1 "$TABLE"); do
      awk -v k="$k" '{ printf "| %s | %s | %s (%s–%s) | %.0f | %s | %s |\n", k, $1, $2, $3, $4, $5 / 1024, $6, $7 }' \
        "$OUT/raw/$k.steady.txt"
    done
    echo
  fi
  echo "das's own steps in its last run (debug \"evaluation step\" lines, ms):"
  echo
  awk -F'\t' '{ printf "* %s: %s\n", $1, $15 == "" ? "(not logged by this build)" : $15 }' "$TABLE"
  echo
  echo "Decisions of the last run (every policy judged; outcome of each, from das's log):"
  echo
  for k in $(cut -f1 "$TABLE"); do
    printf '* %s: %s\n' "$k" "$(grep -o 'msg="no action".* outcome=[a-z-]*\|msg="dry run: would act".* action=[a-z-]*\|msg="noted".* action=[a-z-]*' \
      "$OUT/log/$k-run$REPEAT.log" | grep -o '\(outcome\|action\)=[a-z-]*$' | sort | uniq -c |
      awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')"
  done
  echo
  echo "### Reference query shapes over the 4 (field, window) pairs, by curl (medians of 3)"
  echo
  echo "| shape | ms | reply bytes |"
  echo "|---|---:|---:|"
  printf '| per service: mean … GROUP BY service | %s | %s |\n' \
    "$(median "$OUT/raw/ref-service-mean.txt" 1)" "$(median "$OUT/raw/ref-service-mean.txt" 2)"
  printf '| per container, three statements (mean/count/max, first, last … GROUP BY service, container) | %s | %s |\n' \
    "$(median "$OUT/raw/ref-container-3.txt" 1)" "$(median "$OUT/raw/ref-container-3.txt" 2)"
  echo
  for k in $(cut -f1 "$TABLE"); do
    echo "Statements of $k (last run; as influxd logged them):"
    echo
    echo '```'
    cut -c1-400 "$OUT/raw/$k.statements.txt"
    echo '```'
  done
} | tee "$OUT/results.md"
log "done: $OUT/results.md"
