#!/usr/bin/env bash
# bench/das-agents.sh — das's cycle in the embedded default (windows read
# from the ds agents' GET /points, no InfluxDB) at swarm-record scale,
# beside the same swarm read from InfluxDB (bench/das-scale.sh).
#
#   bash bench/das-agents.sh [--containers N] [--per-service K] [--agents M]
#                            [--repeat R] [--steady C] [--das BIN]...
#                            [--policies table|labels] [--influx-results DIR
#                            | --no-influx] [--addr-base B|auto] [--out DIR]
#
#   --containers N   containers in all; default 100000
#   --per-service K  replicas / containers per service; default 10
#   --agents M       simulated ds agents (nodes) the containers are spread
#                    over; default 100 (1,000 containers a node at 100,000)
#   --repeat R       measured `das run --once` per das binary, after one
#                    warm-up; default 3
#   --steady C       then one `das run` over C cycles per binary: its
#                    first cycle and the later ones (incremental reads);
#                    default 4, 0 for none
#   --das BIN        a das binary (repeatable; default $BUILD/das)
#   --policies P     table (default): one policy per service in das's
#                    PostgreSQL table (das run --policy-db), exactly as
#                    das-scale.sh makes them: like for like with the
#                    InfluxDB side; labels: the same four kinds as das.*
#                    service labels and no store at all (the embedded
#                    default as deployed; the bed then has no PostgreSQL)
#   --influx-results DIR  take the InfluxDB side from an earlier
#                    `bench/das-scale.sh --out DIR` run of the same size
#                    instead of running it
#   --no-influx      the agents side only
#   --addr-base B    the bed's loopback block (default auto)
#
# Environment: BUILD (cmake build dir holding das and agentsim; default
# ./build; `cmake --build build --target agentsim`), BENCH_OUT (results
# folder; default bench/out/das-agents-<time>), BENCH_GAP_S (pause between
# runs; default 3). Needs root (the bed runs dockerd), curl, awk,
# /usr/bin/time, a C compiler (bench/lib.sh's probe).
#
# The agents side, on a private bed (scripts/testbed up, with --no-stores
# for --policies labels; taken down at exit, also on failure):
#  * N/K services `scale-NNNNN` (das-busybox:latest sleep), --replicas K,
#    held pending by a placement constraint no node meets (as das-scale.sh:
#    tasks, no containers; created through the Engine API, 4 in parallel;
#    it waits until GET /tasks lists all N);
#  * one policy per service, the four kinds of das-scale.sh by seq (or
#    service number) mod 4: (cpu_ratio 70%/20% 2m/10m), (cpu_ratio 80%/30%
#    2m/2m), (mem_ratio 80%/40% 5m/10m), (mem_ratio 90%/50% 10m/10m);
#    min_no 1, max_no 2K, cur_no K;
#  * bench/agentsim: M simulated agents in one process, each on a loopback
#    port, serving GET /points built by keep.c (kp_add, kp_trim, kp_serve)
#    and endpoint.c as ds does. Container n (1-based) of the services in
#    name order has the fake 12-hex id and the load level das-scale.sh
#    writes to InfluxDB, and lives on agent (n - 1) mod M; every agent
#    holds 10 minutes of points at 10 s (61 a container, as a ds with
#    --keep 10m that ran that long; the longest policy window is 10m) and
#    adds every container's next point every 10 s while das runs.
#
# Then, per das binary: one warm-up and R runs of `das run --once --dry-run
# --ds-interval 10s --log-level debug --influx-url none --agents
# ADDR:PORT,...` (a das that starts: it reads every agent's 10 minutes),
# each under /usr/bin/time (wall from start to its decisions, CPU, peak
# RSS), with agentsim's CPU in the same time (bench/lib.sh's probe); then
# one `das run --dry-run` over C cycles (15 s apart): its first cycle, the
# later ones (each reads only what is new since its last read of each
# agent), its peak RSS.
#
# Unless --no-influx or --influx-results: the bed is taken down and
# bench/das-scale.sh runs with the same --containers, --per-service,
# --repeat, --steady and --das, into OUT/influx (its own bed, InfluxDB
# holding the same containers' points); the tables then set both side by
# side.
#
# Note on the decisions: das counts a series only when its container
# belongs to a running or starting task of the service. The tasks here are
# pending (no containers), so every synthetic series is "no task's" and
# left out as unusable, and every policy ends without data
# (insufficient-data). That holds for both paths (InfluxDB and agents) in
# the current build: the reads and the windows are the same work, only the
# decision says no data.
#
# Output: Markdown tables on stdout and OUT/results.md; raw lines in
# OUT/raw/; das's and agentsim's logs in OUT/log/.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
BUILD=${BUILD:-build}
N=100000
K=10
M=100
REPEAT=3
STEADY=4
DAS_BINS=()
POLICIES=table
INFLUX=run
INFLUX_DIR=
OUT=${BENCH_OUT:-}
ADDR_BASE=auto
GAP_S=${BENCH_GAP_S:-3}
TIME=/usr/bin/time
DOCKER=/usr/bin/docker
IMAGE=das-busybox:latest
STEP=10s
HISTORY=10m

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
log() { printf 'das-agents: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
while (($#)); do
  case "$1" in
    --containers) N=${2:?}; shift 2 ;;
    --per-service) K=${2:?}; shift 2 ;;
    --agents) M=${2:?}; shift 2 ;;
    --repeat) REPEAT=${2:?}; shift 2 ;;
    --steady) STEADY=${2:?}; shift 2 ;;
    --das) DAS_BINS+=("${2:?}"); shift 2 ;;
    --policies) POLICIES=${2:?}; shift 2 ;;
    --influx-results) INFLUX=dir; INFLUX_DIR=${2:?}; shift 2 ;;
    --no-influx) INFLUX=none; shift ;;
    --addr-base) ADDR_BASE=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "das-agents: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
bad() { echo "das-agents: $*" >&2; exit 2; }
[[ "$N" =~ ^[1-9][0-9]*$ && "$K" =~ ^[1-9][0-9]*$ ]] || bad "--containers and --per-service need numbers >= 1"
((N % K == 0 && N / K <= 99999)) || bad "--containers must be a multiple of --per-service, with at most 99,999 services"
[[ "$M" =~ ^[1-9][0-9]*$ ]] && ((M <= 4096)) || bad "--agents needs a number from 1 to 4096"
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || bad "--repeat needs a number >= 1"
[[ "$STEADY" =~ ^[0-9]+$ ]] || bad "--steady needs a number >= 0"
[[ "$POLICIES" == table || "$POLICIES" == labels ]] || bad "--policies takes table or labels"
[[ "$ADDR_BASE" == auto || "$ADDR_BASE" =~ ^[0-9]+$ ]] || bad "--addr-base needs a number 1..254 or auto"
if [[ "$INFLUX" == dir ]]; then
  [[ -s "$INFLUX_DIR/table.tsv" ]] || bad "--influx-results $INFLUX_DIR holds no das-scale.sh results (table.tsv)"
  INFLUX_DIR=$(cd "$INFLUX_DIR" && pwd)
fi
[[ "$BUILD" == /* ]] || BUILD=$SRC/$BUILD
AGENTSIM=$BUILD/agentsim
[[ -x "$AGENTSIM" ]] || bad "$AGENTSIM is not built (cmake --build $BUILD --target agentsim)"
((${#DAS_BINS[@]})) || DAS_BINS=("$BUILD/das")
for b in "${DAS_BINS[@]}"; do
  [[ -x "$b" ]] || bad "$b is not an executable das (make build, or --das BIN)"
done
((EUID == 0)) || bad "needs root (the test bed runs dockerd)"
for t in "$DOCKER" "$TIME"; do
  [[ -x "$t" ]] || bad "$t missing (apt-get install docker.io time)"
done
command -v curl >/dev/null || bad "curl missing"
S=$((N / K))

OUT=${OUT:-$SRC/bench/out/das-agents-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw" "$OUT/log"
OUT=$(cd "$OUT" && pwd)
ROOT=$(mktemp -d /tmp/das-agents.XXXXXX)
chmod 711 "$ROOT" # the bed's PostgreSQL runs as postgres
BED=$ROOT/bed
SIM_PID=

stop_sim() {
  if [[ -n "$SIM_PID" ]]; then
    kill -TERM "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=
  fi
}
bed_down() {
  stop_sim
  if [[ -e "$BED" ]]; then
    bash "$SRC/scripts/testbed" down --dir "$BED" >/dev/null || return 1
  fi
  return 0
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  bed_down || rc=1
  grep -qF " $ROOT/" /proc/mounts || rm -rf "$ROOT"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

bench_probe_build "$ROOT" || die "could not build the probe"

# --- the bed ------------------------------------------------------------------
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
COMMIT=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')
git -C "$SRC" diff --quiet HEAD -- src 2>/dev/null || COMMIT+=" + uncommitted changes in src/"
log "results in $OUT; $N containers = $S services × $K on $M agents; policies from the $POLICIES"
STORES=()
[[ "$POLICIES" == labels ]] && STORES=(--no-stores)
up=0
for attempt in 1 2 3; do
  if bash "$SRC/scripts/testbed" up --dir "$BED" --addr-base "$ADDR_BASE" "${STORES[@]}"; then
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

if [[ "$POLICIES" == table ]]; then
  psql_doc() { "$TESTBED_PG_BIN/psql" -X -At -q -v ON_ERROR_STOP=1 "$DAS_POLICY_DB" "$@"; }
  # das creates its tables at its first start
  "${DAS_BINS[-1]}" run --once --dry-run --influx-url none --agents 127.0.0.1:9 \
    2>"$OUT/log/schema.log" || true
  psql_doc -c 'select count(*) from das' >/dev/null ||
    die "das did not create its tables; see $OUT/log/schema.log"
fi

# --- services -----------------------------------------------------------------
# create_one NUMBER: service scale-NUMBER, with the policy labels of its
# kind when --policies labels (kind = number mod 4, as bench_policies_sql)
cat >"$ROOT/create.sh" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
n=$1 sock=$2 image=$3 k=$4 pol=$5
labels='"das-bench":"1"'
if [[ "$pol" == labels ]]; then
  i=$((10#$n % 4))
  items=(cpu_ratio cpu_ratio mem_ratio mem_ratio)
  outs=(70% 80% 80% 90%)
  ins=(20% 30% 40% 50%)
  outd=(2m 2m 5m 10m)
  ind=(10m 2m 10m 10m)
  labels+=",\"das.min_no\":\"1\",\"das.max_no\":\"$((2 * k))\",\"das.cond_item\":\"${items[$i]}\""
  labels+=",\"das.out_cond\":\"${outs[$i]}\",\"das.in_cond\":\"${ins[$i]}\""
  labels+=",\"das.out_duration\":\"${outd[$i]}\",\"das.in_duration\":\"${ind[$i]}\""
fi
curl -sS --fail-with-body -o /dev/null --max-time 120 --unix-socket "$sock" -XPOST \
  -H 'Content-Type: application/json' http://localhost/v1.41/services/create -d '{"Name":"scale-'"$n"'",
    "Labels":{'"$labels"'},
    "TaskTemplate":{"ContainerSpec":{"Image":"'"$image"'","Args":["sleep","1000000"]},
      "Placement":{"Constraints":["node.labels.nowhere==1"]}},
    "Mode":{"Replicated":{"Replicas":'"$k"'}}}'
EOF
t0=$(date +%s.%N)
seq -f '%05g' 1 "$S" | xargs -P 4 -I{} bash "$ROOT/create.sh" {} "$SOCK" "$IMAGE" "$K" "$POLICIES" ||
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
TASK_S=$(secs "$t1" "$(date +%s.%N)")
log "$got tasks listed after ${TASK_S}s more"
SVCS=$ROOT/svcs.txt
curl -sS --max-time 300 --unix-socket "$SOCK" 'http://localhost/v1.41/services' |
  grep -o '"ID":"[a-z0-9]\{25\}","Version":{"Index":[0-9]*},"CreatedAt":"[^"]*","UpdatedAt":"[^"]*","Spec":{"Name":"scale-[0-9]*"' |
  sed 's/^"ID":"\([a-z0-9]*\)".*"Name":"\(scale-[0-9]*\)"$/\1 \2/' | sort -k2 >"$SVCS"
(($(wc -l <"$SVCS") == S)) || die "listed $(wc -l <"$SVCS") services, expected $S"

POL_S=-
if [[ "$POLICIES" == table ]]; then
  t0=$(date +%s.%N)
  bench_policies_sql "$SVCS" $((2 * K)) "$K" | psql_doc -f - >/dev/null ||
    die "inserting $S policies failed"
  POL_S=$(secs "$t0" "$(date +%s.%N)")
  log "$S policies in ${POL_S}s"
fi

# --- the agents ---------------------------------------------------------------
PORTS=$ROOT/agents.txt
t0=$(date +%s.%N)
"$AGENTSIM" --services "$SVCS" --per-service "$K" --agents "$M" --interval "$STEP" \
  --keep "$HISTORY" --ports-out "$PORTS" --log-level debug 2>"$OUT/log/agentsim.log" &
SIM_PID=$!
for ((i = 0; ; i++)); do
  [[ -s "$PORTS" ]] && break
  kill -0 "$SIM_PID" 2>/dev/null || die "agentsim exited; see $OUT/log/agentsim.log"
  ((i < 1200)) || die "agentsim not ready after 10 minutes"
  sleep 0.5
done
SIM_S=$(secs "$t0" "$(date +%s.%N)")
AGENTS=$(cat "$PORTS")
echo "agentsim $SIM_PID" >"$ROOT/sim.pids"
SIM_RSS=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$SIM_PID/status")
log "$M agents ready in ${SIM_S}s (agentsim: $((SIM_RSS / 1024)) MiB); $(grep -o 'kept_rows=[0-9]*' "$OUT/log/agentsim.log" | head -n1)"
# the first agent's reply to a das that starts (one field, 10 minutes)
since=$(($(date +%s%3N) - 600000))
REPLY_BYTES=$(curl -sS -o /dev/null -w '%{size_download}' --max-time 60 \
  "http://${AGENTS%%,*}/points?since=$since&fields=cpu_ratio")

DAS_ARGS=(--dry-run --ds-interval 10s --log-level debug --influx-url none --agents "$AGENTS")

# --- runs ---------------------------------------------------------------------
cat >"$OUT/raw/COLUMNS" <<'EOF'
run lines:    wall_s user_s sys_s maxrss_kib cycle_ms agentsim_cpu_s exit_status
steady lines: first_cycle_ms later_median_ms later_min_ms later_max_ms maxrss_kib agentsim_cpu_s_per_later_cycle
EOF
# run_once BIN TAG RAW: one `das run --once`; a line to RAW
run_once() {
  local bin=$1 tag=$2 raw=$3 rc=0 dlog=$OUT/log/$2.log tf=$ROOT/time.txt c0 c1
  c0=$("$PROBE" cpu "$ROOT/sim.pids")
  "$TIME" -o "$tf" -f '%e %U %S %M' "$bin" run --once "${DAS_ARGS[@]}" 2>"$dlog" || rc=$?
  c1=$("$PROBE" cpu "$ROOT/sim.pids")
  ((rc == 0)) || log "$tag: das exited $rc (see $dlog)"
  awk -v rc="$rc" -v tline="$(tail -n1 "$tf")" -v sim="$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')" '
    /msg="cycle done"/ { for (i = 1; i <= NF; i++) if ($i ~ /^ms=/) { sub(/^ms=/, "", $i); cms = $i } }
    END { split(tline, t, " ")
      printf "%s %s %s %s %s %s %d\n", t[1], t[2], t[3], t[4], cms == "" ? "nan" : cms, sim, rc }' \
    "$dlog" >>"$raw"
  awk '/msg="evaluation step"/ {
      s = ""; m = ""
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^step=/) { s = substr($i, 6) }
        if ($i ~ /^ms=/) { m = substr($i, 4) }
      }
      printf "%s%s=%s", n++ ? " " : "", s, m }
    END { printf "\n" }' "$dlog" >>"${raw%.txt}.steps.txt"
}
# run_steady BIN TAG RAW: one `das run` over STEADY cycles; a line to RAW
run_steady() {
  local bin=$1 tag=$2 raw=$3 dlog=$OUT/log/$2.log tf=$ROOT/time-steady.txt pid c=0 c0="" c1 n0=0
  "$TIME" -o "$tf" -f '%e %U %S %M' "$bin" run "${DAS_ARGS[@]}" 2>"$dlog" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    c=$(grep -c 'msg="cycle done"' "$dlog" || true)
    if ((c >= 1)) && [[ -z "$c0" ]]; then
      c0=$("$PROBE" cpu "$ROOT/sim.pids")
      n0=$c
    fi
    ((c >= STEADY)) && break
    sleep 0.5
  done
  c1=$("$PROBE" cpu "$ROOT/sim.pids")
  pkill -TERM -P "$pid" 2>/dev/null || true
  wait "$pid" || true
  [[ -n "$c0" ]] || c0=$c1
  awk -v rss="$(tail -n1 "$tf" | cut -d' ' -f4)" -v sim="$(awk -v a="$c0" -v b="$c1" -v d=$((c - n0)) \
      'BEGIN { printf "%.3f", (d > 0 ? (b - a) / d : 0) }')" '
    /msg="cycle done"/ { for (i = 1; i <= NF; i++) if ($i ~ /^ms=/) { sub(/^ms=/, "", $i); ms[n++] = $i + 0 } }
    END {
      m = n - 1
      for (i = 1; i < n; i++) for (j = i + 1; j < n; j++) if (ms[j] < ms[i]) { t = ms[i]; ms[i] = ms[j]; ms[j] = t }
      printf "%s %s %s %s %s %s\n", (n ? ms[0] : "nan"), (m > 0 ? ms[1 + int((m - 1) / 2)] : "nan"),
        (m > 0 ? ms[1] : "nan"), (m > 0 ? ms[n - 1] : "nan"), rss, sim
    }' "$dlog" >>"$raw"
}

TABLE=$OUT/raw/table.tsv
: >"$TABLE"
sleep "$GAP_S"
for bi in "${!DAS_BINS[@]}"; do
  bin=${DAS_BINS[$bi]}
  key=das$((bi + 1))
  log "$key: $bin: warm-up"
  : >"$OUT/raw/$key.txt"
  : >"$OUT/raw/$key.steps.txt"
  run_once "$bin" "$key-warmup" "$OUT/raw/$key.warmup.txt"
  for ((r = 1; r <= REPEAT; r++)); do
    sleep "$GAP_S"
    log "$key: run $r/$REPEAT"
    run_once "$bin" "$key-run$r" "$OUT/raw/$key.txt"
  done
  : >"$OUT/raw/$key.steady.txt"
  if ((STEADY > 1)); then
    sleep "$GAP_S"
    log "$key: one das run over $STEADY cycles"
    run_steady "$bin" "$key-steady" "$OUT/raw/$key.steady.txt"
  fi
  printf '%s\t%s' "$key" "$bin"
  for c in 1 2 3 4 5 6; do printf '\t%s' "$(median "$OUT/raw/$key.txt" "$c")"; done
  printf '\t%s\t%s\n' "$(awk '$7 != 0 { f++ } END { print f + 0 }' "$OUT/raw/$key.txt")" \
    "$(tail -n1 "$OUT/raw/$key.steps.txt")"
done >>"$TABLE"
SIM_RSS_END=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$SIM_PID/status")
cp "$SVCS" "$OUT/raw/services.txt"
outcomes() {
  grep -o 'msg="no action".* outcome=[a-z-]*\|msg="dry run: would act".* action=[a-z-]*\|msg="noted".* action=[a-z-]*' "$1" |
    grep -o '\(outcome\|action\)=[a-z-]*$' | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }'
}

# --- the InfluxDB side --------------------------------------------------------
if [[ "$INFLUX" == run ]]; then
  log "taking the agents' bed down; bench/das-scale.sh for the InfluxDB side"
  bed_down || die "taking the bed down failed"
  INFLUX_DIR=$OUT/influx
  DAS_ARGS_SCALE=()
  for b in "${DAS_BINS[@]}"; do DAS_ARGS_SCALE+=(--das "$b"); done
  BUILD=$BUILD BENCH_OUT='' BENCH_GAP_S=$GAP_S bash "$SRC/bench/das-scale.sh" --containers "$N" \
    --per-service "$K" --repeat "$REPEAT" --steady "$STEADY" --addr-base "$ADDR_BASE" \
    "${DAS_ARGS_SCALE[@]}" --out "$INFLUX_DIR" >"$OUT/log/das-scale.out" 2>"$OUT/log/das-scale.err" ||
    log "bench/das-scale.sh failed (see $OUT/log/das-scale.err): the InfluxDB side is missing"
fi

# --- tables -------------------------------------------------------------------
{
  echo "Run $T0 .. $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -r)), load average" \
    "at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg); commit $COMMIT."
  echo
  echo "Agents side: $S services × $K pending replicas = $N tasks (created in ${SVC_S}s, listed" \
    "after ${TASK_S}s more); policies from the $POLICIES$([[ $POLICIES == table ]] && echo " (${POL_S}s)");" \
    "$M simulated agents (bench/agentsim, one process) holding $HISTORY of points at $STEP for" \
    "$((N / M))–$(((N + M - 1) / M)) containers each, a fresh point every $STEP; ready in ${SIM_S}s;" \
    "agentsim's RSS $((SIM_RSS / 1024)) MiB at start, $((SIM_RSS_END / 1024)) MiB at the end; one" \
    "agent's reply to a das that starts (one field, 10 minutes): $REPLY_BYTES bytes."
  echo
  echo "The tasks are pending (no containers): das leaves every synthetic series out as no" \
    "task's (unusable) and every policy ends without data (insufficient-data) — on both paths, so the reads and" \
    "windows compare; only the decision says no data."
  echo
  echo "### A das that starts: one \`das run --once --dry-run\` at $N containers, medians of $REPEAT runs"
  echo
  echo "| path | das | wall s (start to decisions) | das cycle ms | peak RSS MiB | das CPU s | other side's CPU s in it | failed runs |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '{ printf "| agents (%d) | %s `%s` | %.2f | %s | %.0f | %.2f | %s (agentsim) | %s |\n",
    m, $1, $2, $3, $7, $6 / 1024, $4 + $5, $8, $9 }' m="$M" "$TABLE"
  if [[ -n "$INFLUX_DIR" && -s "$INFLUX_DIR/table.tsv" ]]; then
    awk -F'\t' '{ printf "| InfluxDB | %s `%s` | %.2f | %s | %.0f | %.2f | %.2f (influxd, its log: time in /query) | %s |\n",
      $1, $2, $3, $7, $6 / 1024, $4 + $5, $9 / 1000, $14 }' "$INFLUX_DIR/table.tsv"
  fi
  echo
  if ((STEADY > 1)); then
    echo "### One \`das run --dry-run\` over $STEADY cycles (15 s apart)"
    echo
    echo "| path | das | first cycle ms | later cycles ms, median (range) | peak RSS MiB | other side per later cycle |"
    echo "|---|---|---:|---:|---:|---:|"
    for k in $(cut -f1 "$TABLE"); do
      awk -v k="$k" '{ printf "| agents | %s | %s | %s (%s–%s) | %.0f | agentsim %s CPU s |\n", k, $1, $2, $3, $4, $5 / 1024, $6 }' \
        "$OUT/raw/$k.steady.txt"
    done
    if [[ -n "$INFLUX_DIR" ]]; then
      for f in "$INFLUX_DIR"/raw/das[0-9]*.steady.txt; do
        [[ -s "$f" ]] || continue
        k=$(basename "$f" .steady.txt)
        awk -v k="$k" '{ printf "| InfluxDB | %s | %s | %s (%s–%s) | %.0f | influxd %s ms (its log), %s reply bytes |\n",
          k, $1, $2, $3, $4, $5 / 1024, $6, $7 }' "$f"
      done
    fi
    echo
  fi
  echo "das's own steps in its last \`--once\` run (debug \"evaluation step\" lines, ms):"
  echo
  awk -F'\t' '{ printf "* agents, %s: %s\n", $1, $10 == "" ? "(not logged by this build)" : $10 }' "$TABLE"
  if [[ -n "$INFLUX_DIR" && -s "$INFLUX_DIR/table.tsv" ]]; then
    awk -F'\t' '{ printf "* InfluxDB, %s: %s\n", $1, $15 == "" ? "(not logged by this build)" : $15 }' "$INFLUX_DIR/table.tsv"
  fi
  echo
  echo "Decisions of the last \`--once\` run (outcome of each policy, from das's log):"
  echo
  for k in $(cut -f1 "$TABLE"); do
    printf '* agents, %s: %s\n' "$k" "$(outcomes "$OUT/log/$k-run$REPEAT.log")"
    if [[ -n "$INFLUX_DIR" && -s "$INFLUX_DIR/log/$k-run$REPEAT.log" ]]; then
      printf '* InfluxDB, %s: %s\n' "$k" "$(outcomes "$INFLUX_DIR/log/$k-run$REPEAT.log")"
    fi
  done
  echo
  if [[ -n "$INFLUX_DIR" ]]; then
    echo "The InfluxDB side's own tables: $INFLUX_DIR/results.md."
  fi
} | tee "$OUT/results.md"
log "done: $OUT/results.md"
