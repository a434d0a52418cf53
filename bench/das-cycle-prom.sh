#!/usr/bin/env bash
# bench/das-cycle-prom.sh — one `das run --once --dry-run` cycle over N real
# swarm services and N policies reading its windows from Prometheus
# (--prometheus-url, ds's names), beside the same cycle reading InfluxDB, on
# the same bed, the same data and the same machine load (docs/design.md §6
# "Scale"; issue 8: "the Prometheus path's cycle over 1,000 policies
# measured like the InfluxDB one", bench/das-cycle.sh).
#
#   bash bench/das-cycle-prom.sh [--sizes "1000"] [--repeat 5] [--out DIR]
#
# Environment: BUILD (cmake build dir holding das; default ./build),
# BENCH_SIZES, BENCH_REPEAT, BENCH_OUT (default
# bench/out/das-cycle-prom-<time>), BENCH_GAP_S (pause between runs; 2).
# Needs root (the bed runs dockerd), curl, python3, /usr/bin/time.
#
# It brings up a private bed (scripts/testbed up --prometheus --addr-base
# auto: one engine in swarm mode, influxd, PostgreSQL, Prometheus 2.42
# scraping every 1 s) and for each size N:
#  1. N services `bench-NNNNN` at --replicas 0 (Engine API, 4 in parallel)
#     and N policies in the four kinds of bench/das-cycle.sh (cpu_ratio /
#     mem_ratio over 2m, 5m, 10m: 4 distinct (cond_item, duration) pairs),
#     so every policy decides `bound` (0 → 1) and is recorded as a dry run;
#  2. the same 10 minutes of points per service at a 10 s interval (one
#     container each; cpu_ratio and mem_ratio) into both stores: InfluxDB
#     by POST /write; Prometheus by scraping a small python3 exporter that
#     serves the history one 10 s step per scrape (ds's names, with the
#     samples' own times) and then each later step (catching up one step
#     per scrape). The exporter keeps both stores fresh every 10 s, as ds
#     would;
#  3. alternately, REPEAT times each after a warm-up: the InfluxDB cycle
#     and the Prometheus cycle, each under /usr/bin/time (wall, CPU, peak
#     RSS), with das's own query count (debug line "cycle done … queries="),
#     the HTTP requests das sent to the store (InfluxDB: one per pair;
#     Prometheus: the "prometheus query" debug lines), the decisions, and
#     the store's CPU over the run (/proc of influxd / prometheus).
# Output: Markdown on stdout and OUT/results.md; raw lines in OUT/raw/.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"
BUILD=${BUILD:-build}
SIZES=${BENCH_SIZES:-1000}
REPEAT=${BENCH_REPEAT:-5}
OUT=${BENCH_OUT:-}
GAP_S=${BENCH_GAP_S:-2}
DOCKER=/usr/bin/docker
TIME=/usr/bin/time
IMAGE=das-busybox:latest
while (($#)); do
  case "$1" in
    --sizes) SIZES=${2:?}; shift 2 ;;
    --repeat) REPEAT=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "das-cycle-prom: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "das-cycle-prom: --repeat needs a number >= 1" >&2; exit 2; }
prev=0
for n in $SIZES; do
  [[ "$n" =~ ^[1-9][0-9]*$ && n -gt prev && n -le 99999 ]] ||
    { echo "das-cycle-prom: --sizes needs ascending numbers 1..99999" >&2; exit 2; }
  prev=$n
done
[[ "$BUILD" == /* ]] || BUILD=$SRC/$BUILD
DAS=$BUILD/das
[[ -x "$DAS" ]] || { echo "das-cycle-prom: $DAS is not built" >&2; exit 2; }
((EUID == 0)) || { echo "das-cycle-prom: needs root (the test bed runs dockerd)" >&2; exit 2; }
for t in "$TIME" /usr/bin/prometheus; do
  [[ -x "$t" ]] || { echo "das-cycle-prom: $t missing (scripts/install-deps)" >&2; exit 2; }
done

OUT=${OUT:-$SRC/bench/out/das-cycle-prom-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw" "$OUT/log"
OUT=$(cd "$OUT" && pwd)
ROOT=$(mktemp -d /tmp/das-cycle-prom.XXXXXX)
chmod 711 "$ROOT"
BED=$ROOT/bed
EXP_PID=
log() { printf 'das-cycle-prom: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
stop_exporter() {
  if [[ -n "$EXP_PID" ]]; then
    kill -TERM "$EXP_PID" 2>/dev/null || true
    wait "$EXP_PID" 2>/dev/null || true
    EXP_PID=
  fi
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_exporter
  [[ ! -e "$BED" ]] || bash "$SRC/scripts/testbed" down --dir "$BED" || rc=1
  grep -qF " $ROOT/" /proc/mounts || rm -rf "$ROOT"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
bash "$SRC/scripts/testbed" up --dir "$BED" --addr-base auto --prometheus ||
  die "the test bed did not come up"
# shellcheck disable=SC1091
. "$BED/env"
SOCK=${DOCKER_HOST#unix://}
dk() { "$DOCKER" -H "$DOCKER_HOST" "$@"; }
psql_doc() { "$TESTBED_PG_BIN/psql" -X -At -q -v ON_ERROR_STOP=1 "$DAS_POLICY_DB" "$@"; }
INFLUXD_PID=$(tr -dc 0-9 <"$TESTBED_INFLUX_PID_FILE")
PROM_PID=$(tr -dc 0-9 <"$TESTBED_PROM_PID_FILE")
"$DAS" run --once --dry-run --ds-interval 10s 2>"$OUT/log/schema.log" ||
  die "das run --once (creating the tables) failed; see $OUT/log/schema.log"

# The exporter: history one step per scrape, then the current step; keeps
# InfluxDB fresh too. Values depend only on (service number, step time).
cat >"$ROOT/exporter.py" <<'PYEOF'
import http.server, sys, threading, time, urllib.request
svc_file, port, influx, db, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
STEP, HIST = 10, 60
svcs = [l.split() for l in open(svc_file) if l.strip()]
def val(i, t):
    cpu = 5 + ((i * 7919 + t * 31) % 900) / 10.0
    mem = 10 + ((i * 104729 + t * 17) % 800) / 10.0
    return cpu, mem
def ctr(i):
    return "%06x%06x" % (i, (i * 7919) % 16777216)
def lp(ts):
    out = []
    for t in ts:
        for i, (sid, name) in enumerate(svcs, 1):
            cpu, mem = val(i, t)
            out.append("docker,container=%s,node=vm,service=%s,service_name=%s cpu_ratio=%.3f,mem_ratio=%.3f %d000000000"
                       % (ctr(i), sid, name, cpu, mem, t))
    return "\n".join(out) + "\n"
def expo(t):
    fams = (("ds_container_cpu_usage_ratio", 0), ("ds_container_memory_usage_ratio", 1))
    out = []
    for fam, k in fams:
        out.append("# HELP %s bench\n# TYPE %s gauge" % (fam, fam))
        for i, (sid, name) in enumerate(svcs, 1):
            v = val(i, t)[k] / 100.0
            out.append('%s{node="vm",container="%s",service="%s",service_name="%s"} %.5f %d000'
                       % (fam, ctr(i), sid, name, v, t))
    return ("\n".join(out) + "\n").encode()
def post(body):
    lines = body.splitlines()
    for k in range(0, len(lines), 5000):
        req = urllib.request.Request("%s/write?db=%s&precision=ns" % (influx, db),
                                     data=("\n".join(lines[k:k + 5000]) + "\n").encode(), method="POST")
        urllib.request.urlopen(req, timeout=120).read()
now = int(time.time()) // STEP * STEP
hist = [now - (HIST - 1 - k) * STEP for k in range(HIST)]
post(lp(hist))
k = [0]
served = [0]
def current():
    return int(time.time()) // STEP * STEP
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if k[0] < HIST:
            t = hist[k[0]]; k[0] += 1
            if k[0] == HIST:
                open(ready, "w").close()
        else:
            # catch up one step per scrape, so Prometheus holds every
            # step InfluxDB's feeder wrote
            t = min(served[0] + STEP, max(current(), hist[-1]))
        served[0] = max(served[0], t)
        body = expo(t)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
def feeder():
    last = hist[-1]
    while True:
        time.sleep(1)
        t = current()
        if t > last:
            try:
                post(lp([t]))
            except Exception as e:
                print("feeder:", e, file=sys.stderr)
            last = t
threading.Thread(target=feeder, daemon=True).start()
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PYEOF

HAVE=0
grow_services() {
  local n=$1
  ((n > HAVE)) || return 0
  seq -f '%05g' $((HAVE + 1)) "$n" | xargs -P 4 -I{} curl -sS --fail-with-body -o /dev/null \
    --max-time 60 --unix-socket "$SOCK" -XPOST -H 'Content-Type: application/json' \
    http://localhost/v1.41/services/create -d '{"Name":"bench-{}",
      "Labels":{"das-bench":"1"},
      "TaskTemplate":{"ContainerSpec":{"Image":"'"$IMAGE"'","Args":["sleep","1000000"]}},
      "Mode":{"Replicated":{"Replicas":0}}}' ||
    die "creating services through the Engine API failed"
  HAVE=$n
}
set_policies() {
  local n=$1 svcs=$2
  bench_policies_sql "$svcs" 5 0 | psql_doc -f - >/dev/null ||
    die "inserting $n policies failed"
}

# run_once N STORE RAWFILE TAG: one cycle; appends a line to RAWFILE:
# wall user sys maxrss das_queries store_requests decisions store_cpu_s rc
# eval_ms (from "acting: leader" to the first decision: policy rows, the
# service listing, the window queries, the last actions, deciding)
run_once() {
  local n=$1 store=$2 rawf=$3 tag=$4 rc=0 dlog=$OUT/log/das-$4.log tf=$ROOT/time.txt pid s0 s1 args=()
  if [[ "$store" == prometheus ]]; then
    pid=$PROM_PID
    args=(--prometheus-url "$TESTBED_PROM_URL")
  else
    pid=$INFLUXD_PID
  fi
  s0=$(cpu_ticks "$pid")
  "$TIME" -o "$tf" -f '%e %U %S %M' "$DAS" run --once --dry-run --ds-interval 10s \
    --log-level debug "${args[@]}" 2>"$dlog" || rc=$?
  s1=$(cpu_ticks "$pid")
  ((rc == 0)) || log "$n/$tag: das exited $rc (see $dlog)"
  awk -v hz="$HZ" -v sc="$((s1 - s0))" -v rc="$rc" -v store="$store" -v tline="$(tail -n1 "$tf")" '
    function tsms(s,  a) { match(s, /T[0-9:.]+Z/); s = substr(s, RSTART + 1, RLENGTH - 2)
      split(s, a, ":"); return ((a[1] * 60 + a[2]) * 60 + a[3]) * 1000 }
    /msg="prometheus query"/ { pq++ }
    /msg="acting: this engine is the swarm leader"/ { t_lead = tsms($0) }
    /msg="dry run: would act"/ { acts++; if (!t_first) t_first = tsms($0) }
    /msg="cycle done"/ { for (i = 1; i <= NF; i++) if ($i ~ /^queries=/) { sub(/^queries=/, "", $i); dq = $i } }
    END {
      split(tline, t, " ")
      printf "%s %s %s %s %s %d %d %.2f %d %d\n", t[1], t[2], t[3], t[4], dq == "" ? "nan" : dq,
        store == "prometheus" ? pq : dq, acts, sc / hz, rc, t_first - t_lead
    }' "$dlog" >>"$rawf"
}

TABLE=$ROOT/table.tsv
: >"$TABLE"
for n in $SIZES; do
  log "size $n: services"
  grow_services "$n"
  # full ids (service ls shows them truncated), in name order
  # shellcheck disable=SC2046
  dk service inspect --format '{{.ID}} {{.Spec.Name}}' \
    $(dk service ls -q --filter label=das-bench=1) | sort -k2 >"$ROOT/svcs-full.txt"
  [[ "$(wc -l <"$ROOT/svcs-full.txt")" == "$n" ]] || die "expected $n services"
  set_policies "$n" "$ROOT/svcs-full.txt"
  log "size $n: $n policies; the same 10 minutes of points into InfluxDB and Prometheus"
  stop_exporter
  curl -sS -o /dev/null -XPOST "$DAS_INFLUX_URL/query" --data-urlencode 'q=DROP MEASUREMENT "docker"' --data-urlencode "db=$DAS_INFLUX_DB" || true
  # a loopback port nothing listens on, outside the beds' 20000-31999 and
  # the outgoing connections' 32768 and up
  while :; do
    port=$((10000 + RANDOM % 10000))
    [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]] || break
  done
  rm -f "$ROOT/ready"
  python3 "$ROOT/exporter.py" "$ROOT/svcs-full.txt" "$port" "$DAS_INFLUX_URL" "$DAS_INFLUX_DB" \
    "$ROOT/ready" 2>"$OUT/log/exporter-$n.log" &
  EXP_PID=$!
  printf '[{"targets": ["127.0.0.1:%s"], "labels": {"target": "bench"}}]\n' "$port" \
    >"$TESTBED_PROM_TARGETS/bench.json"
  w=0
  while [[ ! -e "$ROOT/ready" ]] && ((w < 300)); do sleep 1; w=$((w + 1)); done
  [[ -e "$ROOT/ready" ]] || die "Prometheus did not scrape the history in 300 s (see $OUT/log/exporter-$n.log)"
  sleep 3
  samples=$(curl -s "$TESTBED_PROM_URL/api/v1/query" --data-urlencode 'query=count_over_time(ds_container_cpu_usage_ratio[10m])' |
    python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(len(r), sum(int(x["value"][1]) for x in r))')
  log "size $n: Prometheus holds cpu samples for series/samples: $samples"
  raw_i=$OUT/raw/$n-influxdb.txt raw_p=$OUT/raw/$n-prometheus.txt
  : >"$raw_i"; : >"$raw_p"
  run_once "$n" influxdb "$OUT/raw/$n-warmup.txt" "$n-influxdb-warmup"
  run_once "$n" prometheus "$OUT/raw/$n-warmup.txt" "$n-prometheus-warmup"
  for ((r = 1; r <= REPEAT; r++)); do
    sleep "$GAP_S"; log "size $n: run $r/$REPEAT (InfluxDB, then Prometheus)"
    run_once "$n" influxdb "$raw_i" "$n-influxdb-run$r"
    sleep "$GAP_S"
    run_once "$n" prometheus "$raw_p" "$n-prometheus-run$r"
  done
  # the data das read: policies whose out window had points, per store
  for s in influxdb prometheus; do
    args=()
    [[ "$s" == influxdb ]] || args=(--prometheus-url "$TESTBED_PROM_URL")
    "$DAS" status --json --ds-interval 10s "${args[@]}" 2>/dev/null |
      python3 -c 'import json, sys
d = json.load(sys.stdin)["policies"]
w = [p["out"] for p in d if p.get("out") and p["out"].get("points")]
print(len(w), sum(x["points"] for x in w))' >"$ROOT/seen-$s.txt" || echo "? ?" >"$ROOT/seen-$s.txt"
  done
  echo "$n: InfluxDB $(cat "$ROOT/seen-influxdb.txt"), Prometheus $(cat "$ROOT/seen-prometheus.txt")" >>"$ROOT/seen.txt"
  for s in influxdb prometheus; do
    f=$OUT/raw/$n-$s.txt
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$s" "$(median "$f" 1)" "$(minmax "$f" 1)" \
      "$(awk '{ print $2 + $3 }' "$f" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')" \
      "$(median "$f" 4)" "$(median "$f" 5)" "$(median "$f" 6)" "$(median "$f" 7)" "$(median "$f" 8)" \
      "$(awk '$9 != 0 { f++ } END { print f + 0 }' "$f")" "$(median "$f" 10)" >>"$TABLE"
  done
  echo "$n $samples" >>"$ROOT/samples.txt"
done
stop_exporter

{
  echo "Run $T0 .. $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(uname -r)); load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg); das: $DAS ($(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')); $(prometheus --version 2>&1 | head -n1)."
  echo
  echo "| services / policies | windows from | wall s (min–max) | evaluation ms | das CPU s | peak RSS MiB | window queries (das) | HTTP requests to the store | decisions | store CPU s | failed runs |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '{ printf "| %s | %s | %.2f (%s) | %.0f | %.2f | %.1f | %s | %s | %s | %.2f | %s |\n",
    $1, $2, $3, $4, $12, $5, $6 / 1024, $7, $8, $9, $10, $11 }' "$TABLE"
  echo
  echo "Prometheus held (series, cpu samples in 10 minutes) per size: $(tr '\n' ';' <"$ROOT/samples.txt")"
  echo
  echo "What das status read after the runs (policies whose out window had points, and those points): $(tr '\n' ';' <"$ROOT/seen.txt")"
} | tee "$OUT/results.md"
failed=$(awk -F'\t' '{ s += $11 } END { print s + 0 }' "$TABLE")
((failed == 0)) || { log "$failed run(s) exited non-zero: see $OUT/log"; exit 1; }
log "done: $OUT/results.md"
