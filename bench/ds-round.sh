#!/usr/bin/env bash
# bench/ds-round.sh — what one `ds` collection round costs, against
# `docker stats --no-stream` and a bare read of the same cgroupfs files.
#
#   bash bench/ds-round.sh [--sizes "30 200"] [--repeat 5] [--out DIR]
#   bash bench/ds-round.sh --report DIR   the tables again from DIR's raw files
#   make bench                       (the same, with BUILD=<build dir>)
#
# Environment: BUILD (cmake build dir holding ds; default ./build),
# BENCH_SIZES, BENCH_REPEAT, BENCH_OUT (results folder; default
# bench/out/ds-round-<time>), BENCH_IDLE_S (seconds the idle background is
# measured over; default 120: Go's 2-min forced-GC period),
# BENCH_STEADY_ROUNDS (default 60: 120 s, the same period),
# BENCH_GAP_S (pause between measurements; default 3). Needs root (the test
# bed runs dockerd) and a C compiler (for the probe, see bench/lib.sh).
#
# It brings up a private test bed (scripts/testbed up --addr-base auto, one
# engine in swarm mode, under a fresh /tmp folder; taken down at exit, also
# on failure) and, for each size N in ascending order, grows the set of idle
# containers to N — half the replicas of a swarm service `idle`, half plain
# `docker run -d` containers, all das-busybox:latest running `sleep` — waits
# until all N run and the engine has settled, then measures:
#
#   docker stats     /usr/bin/docker stats --no-stream (the 20.10 CLI)
#   ds cgroup once   ds --once --stdout --source cgroup
#   ds api once      ds --once --stdout --source api
#   bare read x2     one `cat` of exactly the files ds reads per container
#                    (v1: cpuacct.usage, memory.usage_in_bytes,
#                    memory.limit_in_bytes, memory.stat,
#                    blkio.throttle.io_service_bytes, pids.current; v2 the
#                    matching files; and /proc/<pid>/net/dev), the list
#                    given twice: ds --once takes two samples
#   ds cgroup steady one round of a running ds daemon (--interval 2s,
#                    --source cgroup): its CPU over BENCH_STEADY_ROUNDS
#                    rounds divided by the rounds; wall from its /metrics
#                    (ds_round_duration_seconds)
#   bare read x1     the same cat, the list once (one sample)
#
# Each one-shot method runs once as a warm-up, then BENCH_REPEAT times,
# interleaved. For every run: wall time, the
# command's own CPU (user+sys) and peak RSS from wait4's rusage, and the CPU
# that the bed's dockerd, containerd and containerd-shims spent in the same
# window (clock_getcpuclockid: the counter behind utime+stime of
# /proc/<pid>/stat, without the 10 ms tick truncation). The shims count:
# `docker stats` and the stats API reach every container's cgroup through
# containerd and that container's shim; ds's cgroup source touches neither.
# The idle background of the daemons (swarm heartbeats, Go's GC, which the
# runtime forces at least every two minutes in each idle shim, …) is measured over BENCH_IDLE_S
# seconds before the runs and subtracted: each group's CPU is the mean over
# the runs minus its idle rate × the run's wall time (the mean: the shims'
# background comes in bursts, which only mean minus mean rate takes away
# without bias). Wall, self CPU and RSS are medians. The raw numbers are in
# the raw files; `--report DIR` makes the tables again from them.
#
# `ds --once` sleeps one second between its two samples by design (CPU%
# needs two readings), so its wall time is a second longer than its work;
# the targets are about CPU.
#
# Output: Markdown tables on stdout and in OUT/results.md; one line per run
# in OUT/raw/<N>-<method>.txt ("wall user sys maxrss_kib dockerd containerd
# shims", seconds and KiB, raw, not net of the idle background; the idle
# window in <N>-idle.txt the same way); for the steady rounds
# <N>-ds-cgroup-steady.txt ("round_wall ds_cpu dockerd containerd shims
# vmhwm_kib window", CPU per round over the window, raw) and .status (ds's
# /proc status after the rounds); OUT/meta (date, load, repeat count).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

BUILD=${BUILD:-build}
SIZES=${BENCH_SIZES:-30 200}
REPEAT=${BENCH_REPEAT:-5}
OUT=${BENCH_OUT:-}
REPORT_ONLY=
IDLE_S=${BENCH_IDLE_S:-120}
STEADY_ROUNDS=${BENCH_STEADY_ROUNDS:-60}
GAP_S=${BENCH_GAP_S:-3}
START_TIMEOUT=${BENCH_START_TIMEOUT:-900}
DOCKER=/usr/bin/docker
IMAGE=das-busybox:latest

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}
while (($#)); do
  case "$1" in
    --sizes) SIZES=${2:?}; shift 2 ;;
    --repeat) REPEAT=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --report) REPORT_ONLY=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ds-round: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "ds-round: --repeat needs a number >= 1" >&2; exit 2; }
prev=0
for n in $SIZES; do
  [[ "$n" =~ ^[1-9][0-9]*$ && n -gt prev ]] ||
    { echo "ds-round: --sizes needs ascending numbers >= 1, got '$SIZES'" >&2; exit 2; }
  prev=$n
done
METHODS="docker-stats ds-cgroup-once ds-api-once bare-x2 bare-x1"

# breakdown N: the bare read (one sample) split by file kind, to see what
# the kernel side of a round costs; and `strace -c` of one ds --once round
# (cgroup source) when strace is there.
breakdown() {
  local n=$1 kind list=$ROOT/kind.list none=$ROOT/no-pids r
  : >"$none"
  for ((r = 0; r <= REPEAT; r++)); do
    "$PROBE" run "$none" "$OUT/raw/$n-catstart.txt" -- cat /dev/null
  done
  sed -i 1d "$OUT/raw/$n-catstart.txt"
  while read -r kind; do
    if [[ "$kind" == dev ]]; then
      grep '/net/dev$' "$FILES" >"$list"
      kind=net_dev
    else
      grep "/$kind\$" "$FILES" >"$list"
    fi
    wc -l <"$list" >"$OUT/raw/$n-file-$kind.count"
    for ((r = 0; r <= REPEAT; r++)); do
      # shellcheck disable=SC2046
      "$PROBE" run "$none" "$OUT/raw/$n-file-$kind.txt" -- cat $(cat "$list") >/dev/null
    done
    sed -i 1d "$OUT/raw/$n-file-$kind.txt" # the first one warms up
  done < <(sed 's|^/proc/[0-9]*/||; s|^.*/||' "$FILES" | sort -u)
  if command -v strace >/dev/null 2>&1; then
    strace -f -c -o "$OUT/raw/$n-ds-strace.txt" "$DS" --once --stdout --source cgroup \
      --docker-host "$DOCKER_HOST" >/dev/null 2>>"$OUT/ds-$n.log" || true
  fi
}

# report DIR: the tables, from DIR/raw and DIR/meta only (so they can be
# made again, or differently, without measuring again).
#
# One-shot methods: wall, self CPU and peak RSS are medians over the runs;
# each daemon group's CPU is the mean over the runs minus its idle rate ×
# the run's wall time. The mean, not the median: the shims' background
# comes in bursts (with 200 shims, several per second), and only the mean
# minus the mean rate is unbiased for it. Steady rounds: the CPU over one
# window of many rounds, divided by the rounds, minus each group's idle
# rate × the window per round.
# shellcheck disable=SC2153  # M_* come from DIR/meta
report() {
  local dir=$1 n sizes m f tsv bg_d bg_c bg_s
  tsv=$(mktemp)
  # shellcheck disable=SC1091
  . "$dir/meta"
  sizes=$(find "$dir/raw" -name '*-idle.txt' -printf '%f\n' | sed 's/-idle.txt$//' | sort -n)
  : >"$tsv"
  for n in $sizes; do
    # idle rates per group, CPU s per wall s
    read -r bg_d bg_c bg_s < <(awk '{ printf "%.6f %.6f %.6f\n", $5 / $1, $6 / $1, $7 / $1 }' \
      "$dir/raw/$n-idle.txt")
    for m in $METHODS ds-cgroup-steady; do
      f=$dir/raw/$n-$m.txt
      [[ -s "$f" ]] || continue
      # one-shot lines: wall user sys maxrss dockerd containerd shims
      # steady lines:   round_wall ds_cpu dockerd containerd shims hwm window
      # TSV: N method wall self dockerd+containerd shims total rss_kib
      #      dockerd containerd daemons_raw
      awk -v n="$n" -v m="$m" -v d="$bg_d" -v c="$bg_c" -v s="$bg_s" '
        function med(a, k,   i, j, t) {
          for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
          return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
        {
          k++
          if (m == "ds-cgroup-steady") {
            wall[k] = $1; self[k] = $2; rss[k] = $6; w = $7; rd = $3; rc = $4; rs = $5
          } else {
            wall[k] = $1; self[k] = $2 + $3; rss[k] = $4; w = $1; rd = $5; rc = $6; rs = $7
          }
          D += rd - d * w; C += rc - c * w; S += rs - s * w; R += rd + rc + rs
        }
        END {
          D /= k; C /= k; S /= k; R /= k
          ms = med(self, k)
          printf "%s\t%s\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%d\t%.6f\t%.6f\t%.6f\n", n, m, med(wall, k),
            ms, D + C, S, ms + D + C + S, med(rss, k), D, C, R
        }' "$f" >>"$tsv"
    done
  done
  {
    echo "Run $M_T0 .. $M_T1 on $M_NPROC CPUs (Linux $M_KERNEL), load average at" \
      "start $M_LOAD0, at end $M_LOAD1; $M_REPEAT runs per method after a warm-up," \
      "$M_STEADY_ROUNDS steady rounds; ds: $M_DS (source ${M_COMMIT:-unknown})."
    echo
    echo "### One round"
    echo
    echo "Wall, self CPU and peak RSS: medians. Daemon CPU: mean over the runs minus the"
    echo "idle background (rate × wall). Steady round: mean over $M_STEADY_ROUNDS rounds of a ds daemon."
    echo
    echo "| containers | method | wall s | CPU s (self) | CPU s (dockerd+containerd) | CPU s (shims) | CPU s total | ratio vs docker stats | × bare read (total / self) | peak RSS |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '
      function name(m) {
        if (m == "docker-stats") return "`docker stats --no-stream`"
        if (m == "ds-cgroup-once") return "`ds --once --stdout --source cgroup`"
        if (m == "ds-api-once") return "`ds --once --stdout --source api`"
        if (m == "bare-x2") return "bare cgroupfs read, 2 samples (`cat`)"
        if (m == "bare-x1") return "bare cgroupfs read, 1 sample (`cat`)"
        if (m == "ds-cgroup-steady") return "ds daemon, one steady round (cgroup)"
        return m }
      function times(a, b) { return b > 0 ? sprintf("%.1f×", a / b) : "-" }
      { n[NR] = $1; m[NR] = $2; wall[NR] = $3; self[NR] = $4; dc[NR] = $5; sh[NR] = $6; tot[NR] = $7; rss[NR] = $8
        if ($2 == "docker-stats") ds[$1] = $7
        if ($2 == "bare-x2") b2[$1] = $7
        if ($2 == "bare-x1") b1[$1] = $7 }
      END {
        for (i = 1; i <= NR; i++) {
          ratio = "-"
          if (ds[n[i]] > 0 && tot[i] > 0)
            ratio = ds[n[i]] / tot[i] >= 2 ? sprintf("1/%.0f", ds[n[i]] / tot[i]) : sprintf("%.2f×", tot[i] / ds[n[i]])
          if (m[i] == "docker-stats") ratio = "1"
          bare = "-"
          if (m[i] == "ds-cgroup-once" || m[i] == "ds-api-once")
            bare = times(tot[i], b2[n[i]]) " / " times(self[i], b2[n[i]])
          if (m[i] == "ds-cgroup-steady")
            bare = times(tot[i], b1[n[i]]) " / " times(self[i], b1[n[i]])
          printf "| %s | %s | %.3f | %.4f | %.4f | %.4f | %.4f | %s | %s | %.1f MiB |\n",
            n[i], name(m[i]), wall[i], self[i], dc[i], sh[i], tot[i], ratio, bare, rss[i] / 1024
        }
      }' "$tsv"
    echo
    echo "### Daemon CPU by process (CPU s; net of the idle background, and raw)"
    echo
    echo "| containers | method | dockerd | containerd | shims | daemons raw |"
    echo "|---:|---|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %s | %.4f | %.4f | %.4f | %.4f |\n", $1, $2, $9, $10, $6, $11 }' "$tsv"
    echo
    echo "### Idle background (CPU ms per wall second, over ${M_IDLE_S}s)"
    echo
    echo "| containers | dockerd | containerd | shims | total |"
    echo "|---:|---:|---:|---:|---:|"
    for n in $sizes; do
      awk -v n="$n" '{ printf "| %s | %.1f | %.1f | %.1f | %.1f |\n", n, $5 / $1 * 1000,
        $6 / $1 * 1000, $7 / $1 * 1000, ($5 + $6 + $7) / $1 * 1000 }' "$dir/raw/$n-idle.txt"
    done
    echo
    for n in $sizes; do
      [[ -s "$dir/raw/$n-ds-cgroup-steady.status" ]] || continue
      echo "ds daemon at $n containers after $M_STEADY_ROUNDS rounds (/proc status): $(
        tr -s ' \t' ' ' <"$dir/raw/$n-ds-cgroup-steady.status" | tr '\n' ' ' | sed 's/ $//')"
      echo
    done
    for n in $sizes; do
      ls "$dir/raw/$n-file-"*.txt >/dev/null 2>&1 || continue
      local start=0
      if [[ -s "$dir/raw/$n-catstart.txt" ]]; then
        awk '{ print $2 + $3 }' "$dir/raw/$n-catstart.txt" >"$tsv.net"
        start=$(median "$tsv.net" 1)
      fi
      echo "### The bare read at $n containers, file by file (one sample, medians of $M_REPEAT)"
      echo
      echo "CPU of one \`cat\` of that file of every container; µs per file after"
      echo "taking away \`cat /dev/null\` ($(awk -v s="$start" 'BEGIN { printf "%.4f", s }') s: exec and exit)."
      echo
      echo "| file | files | CPU s | µs per file |"
      echo "|---|---:|---:|---:|"
      for f in "$dir/raw/$n-file-"*.txt; do
        local kind count
        kind=${f##*/"$n-file-"}
        kind=${kind%.txt}
        count=$(head -n1 "$dir/raw/$n-file-$kind.count" 2>/dev/null || echo "?")
        awk '{ print $2 + $3 }' "$f" >"$tsv.net"
        printf '| %s | %s | %.4f | %s |\n' "$([[ $kind == net_dev ]] && echo '/proc/<pid>/net/dev' || echo "$kind")" "$count" "$(median "$tsv.net" 1)" \
          "$(awk -v c="$count" -v s="$start" -v t="$(median "$tsv.net" 1)" 'BEGIN { if (c > 0) printf "%.1f", (t - s) / c * 1e6; else print "?" }')"
      done
      echo
    done
    for n in $sizes; do
      [[ -s "$dir/raw/$n-ds-strace.txt" ]] || continue
      echo "### Syscalls of one \`ds --once --stdout --source cgroup\` at $n containers (strace -f -c)"
      echo
      echo '```'
      awk 'NR <= 2 || (NR > 2 && NR <= 10) || /total/' "$dir/raw/$n-ds-strace.txt"
      echo '```'
      echo
    done
  } >"$dir/results.md"
  rm -f "$tsv" "$tsv.net"
  cat "$dir/results.md"
}

if [[ -n "$REPORT_ONLY" ]]; then
  report "$REPORT_ONLY"
  exit 0
fi

[[ "$BUILD" == /* ]] || BUILD=$SRC/$BUILD
DS=$BUILD/ds
[[ -x "$DS" ]] || { echo "ds-round: $DS is not built: make build (or set BUILD)" >&2; exit 2; }
((EUID == 0)) || { echo "ds-round: needs root (the test bed runs dockerd)" >&2; exit 2; }
[[ -x "$DOCKER" ]] || { echo "ds-round: $DOCKER missing: run scripts/install-deps" >&2; exit 2; }

OUT=${OUT:-$SRC/bench/out/ds-round-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/raw"
OUT=$(cd "$OUT" && pwd)
ROOT=$(mktemp -d /tmp/das-bench.XXXXXX)
chmod 711 "$ROOT"
BED=$ROOT/bed
STEADY_PID=
log() { printf 'ds-round: %s\n' "$*" >&2; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$STEADY_PID" ]] && kill -0 "$STEADY_PID" 2>/dev/null; then
    kill -TERM "$STEADY_PID" 2>/dev/null || true
    wait "$STEADY_PID" 2>/dev/null || true
  fi
  if [[ -e "$BED" ]]; then
    bash "$SRC/scripts/testbed" down --dir "$BED" || rc=1
  fi
  if ! grep -qF " $ROOT/" /proc/mounts; then
    rm -rf "$ROOT"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_probe_build "$ROOT" || { log "could not build the probe"; exit 1; }

log "results in $OUT"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# The source ds was built from, as far as the tree can tell: HEAD, and
# whether src/ has uncommitted changes (a stale build is not detected).
COMMIT=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$SRC" diff --quiet HEAD -- src 2>/dev/null; then
  COMMIT+=" + uncommitted changes in src/"
fi
T0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# Another bed may take the same loopback block between `auto`'s check and
# swarm init: a failed `up` tears itself down, so just try again.
for attempt in 1 2 3; do
  if bash "$SRC/scripts/testbed" up --dir "$BED" --addr-base auto; then
    break
  fi
  ((attempt < 3)) || { log "the test bed did not come up"; exit 1; }
  log "test bed up failed (attempt $attempt); trying again"
  sleep $((RANDOM % 10 + 5))
done
# shellcheck disable=SC1091
. "$BED/env"
dk() { "$DOCKER" -H "$DOCKER_HOST" "$@"; }

running() { dk ps -q --filter status=running | wc -l; }

# grow_to N: service `idle` with N/2 replicas, N - N/2 plain containers.
PLAIN=0
grow_to() {
  local n=$1 svc=$(($1 / 2)) plain=$(($1 - $1 / 2)) deadline
  if dk service inspect idle >/dev/null 2>&1; then
    dk service update --detach --replicas "$svc" idle >/dev/null
  else
    dk service create --detach --name idle --replicas "$svc" "$IMAGE" sleep 1000000 \
      >/dev/null 2>"$ROOT/service.err" || { cat "$ROOT/service.err" >&2; exit 1; }
  fi
  seq $((PLAIN + 1)) "$plain" | xargs -r -P 4 -I{} \
    "$DOCKER" -H "$DOCKER_HOST" run -d --name idle-{} "$IMAGE" sleep 1000000 >/dev/null
  PLAIN=$plain
  deadline=$((SECONDS + START_TIMEOUT))
  until (($(running) == n)); do
    ((SECONDS < deadline)) || { log "only $(running) of $n containers running after ${START_TIMEOUT}s"; exit 1; }
    sleep 2
  done
}

# files_of_containers OUT: the files ds reads, container by container, in
# the order ds reads them (see src/common/cgroup.h).
files_of_containers() {
  local out=$1 id pid c p v2=0
  [[ -e /sys/fs/cgroup/cgroup.controllers ]] && v2=1
  : >"$out"
  for id in $(dk ps -q --no-trunc); do
    pid=$(dk inspect -f '{{.State.Pid}}' "$id")
    if ((v2)); then
      p=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
      for f in cpu.stat memory.current memory.max memory.stat io.stat pids.current; do
        [[ -e "/sys/fs/cgroup$p/$f" ]] && echo "/sys/fs/cgroup$p/$f" >>"$out"
      done
    else
      while IFS=: read -r _ c p; do
        case ",$c," in
          *,cpuacct,*) echo "/sys/fs/cgroup/cpuacct$p/cpuacct.usage" ;;
          *,memory,*) printf '%s\n' "/sys/fs/cgroup/memory$p/memory."{usage_in_bytes,limit_in_bytes,stat} ;;
          *,blkio,*) echo "/sys/fs/cgroup/blkio$p/blkio.throttle.io_service_bytes" ;;
          *,pids,*) echo "/sys/fs/cgroup/pids$p/pids.current" ;;
        esac
      done <"/proc/$pid/cgroup" >>"$out"
    fi
    echo "/proc/$pid/net/dev" >>"$out"
  done
}

free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((33000 + RANDOM % 20000))
    ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return 0; }
  done
  return 1
}

# run_method N METHOD: one run, appended to raw/N-METHOD.txt (or to the
# warm-up file when WARM=1); checks the output has N points/rows.
WARM=0
run_method() {
  local n=$1 m=$2 rawf="$OUT/raw/$1-$2.txt" outf="$ROOT/out.txt" got rc=0
  ((WARM)) && rawf="$OUT/raw/$1-$2.warmup.txt"
  case "$m" in
    docker-stats)
      "$PROBE" run "$PIDS" "$rawf" -- "$DOCKER" -H "$DOCKER_HOST" stats --no-stream \
        --format '{{.Container}} {{.CPUPerc}} {{.MemUsage}}' >"$outf" || rc=$?
      got=$(grep -c . "$outf" || true) ;;
    ds-cgroup-once|ds-api-once)
      local src=${m#ds-}
      src=${src%-once}
      "$PROBE" run "$PIDS" "$rawf" -- "$DS" --once --stdout --source "$src" \
        --docker-host "$DOCKER_HOST" >"$outf" 2>>"$OUT/ds-$n.log" || rc=$?
      got=$(grep -c '^docker,' "$outf" || true) ;;
    bare-x2)
      # shellcheck disable=SC2046
      "$PROBE" run "$PIDS" "$rawf" -- cat $(cat "$FILES") $(cat "$FILES") >/dev/null || rc=$?
      got=$n ;;
    bare-x1)
      # shellcheck disable=SC2046
      "$PROBE" run "$PIDS" "$rawf" -- cat $(cat "$FILES") >/dev/null || rc=$?
      got=$n ;;
  esac
  ((rc == 0)) || { log "$m at $n containers exited $rc"; exit 1; }
  ((got == n)) || { log "$m at $n containers gave $got points/rows, not $n"; exit 1; }
}

# steady N: a ds daemon over STEADY_ROUNDS rounds; writes raw/N-ds-cgroup-steady.txt
# as "round_wall ds_cpu dockerd containerd shims maxrss_kib" per round (CPU
# as the mean over the rounds, raw) and the status lines of ds.
steady() {
  local n=$1 port outf=$ROOT/steady.lp pf=$ROOT/pids-steady a b t0 t1 k walls=() w
  port=$(free_port)
  "$DS" --stdout --source cgroup --interval 2s --docker-host "$DOCKER_HOST" \
    --listen "127.0.0.1:$port" >"$outf" 2>>"$OUT/ds-steady-$n.log" &
  STEADY_PID=$!
  # lines_at K: wait until K rounds are out, then half an interval more
  lines_at() {
    local want=$(($1 * n)) deadline=$((SECONDS + 120))
    until (($(grep -c '^docker,' "$outf" || true) >= want)); do
      ((SECONDS < deadline)) || { log "steady ds: no round $1 in 120s"; exit 1; }
      kill -0 "$STEADY_PID" 2>/dev/null || { log "steady ds exited; see $OUT/ds-steady-$n.log"; exit 1; }
      sleep 0.1
    done
    sleep 1
  }
  lines_at 3
  { cat "$PIDS"; echo "ds $STEADY_PID"; } >"$pf"
  a=$("$PROBE" cpu "$pf")
  t0=$(date +%s.%N)
  lines_at $((3 + STEADY_ROUNDS))
  b=$("$PROBE" cpu "$pf")
  t1=$(date +%s.%N)
  (($(grep -c '^docker,' "$outf") == (3 + STEADY_ROUNDS) * n)) ||
    { log "steady ds: $(grep -c '^docker,' "$outf") points, expected $(((3 + STEADY_ROUNDS) * n))"; exit 1; }
  for ((k = 0; k < REPEAT; k++)); do
    w=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics" |
      awk '$1 == "ds_round_duration_seconds" { print $2 }')
    walls+=("$w")
    sleep 2
  done
  grep -E '^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem):' "/proc/$STEADY_PID/status" \
    >"$OUT/raw/$n-ds-cgroup-steady.status"
  local hwm
  hwm=$(awk '$1 == "VmHWM:" { print $2 }' "$OUT/raw/$n-ds-cgroup-steady.status")
  kill -TERM "$STEADY_PID"
  wait "$STEADY_PID" || true
  STEADY_PID=
  awk -v a="$a" -v b="$b" -v r="$STEADY_ROUNDS" -v hwm="$hwm" -v t0="$t0" -v t1="$t1" \
    -v walls="${walls[*]}" 'BEGIN {
      split(a, x, " "); split(b, y, " "); nw = split(walls, w, " ")
      # groups in pids-steady: dockerd containerd shims ds
      for (i = 1; i <= nw; i++)
        printf "%s %.6f %.6f %.6f %.6f %s %.6f\n", w[i], (y[4] - x[4]) / r,
          (y[1] - x[1]) / r, (y[2] - x[2]) / r, (y[3] - x[3]) / r, hwm, (t1 - t0) / r
    }' >"$OUT/raw/$n-ds-cgroup-steady.txt"
}


for n in $SIZES; do
  log "growing to $n idle containers"
  grow_to "$n"
  PIDS=$ROOT/pids-$n
  bench_daemon_pids "$BED" "$PIDS"
  nshim=$(grep -c '^shims ' "$PIDS" || true)
  FILES=$ROOT/files-$n
  files_of_containers "$FILES"
  log "$n running ($nshim shims, $(wc -l <"$FILES") files per sample); settling 15s"
  sleep 15
  log "idle background over ${IDLE_S}s"
  "$PROBE" run "$PIDS" "$OUT/raw/$n-idle.txt" -- sleep "$IDLE_S"
  WARM=1
  for m in $METHODS; do
    log "$n: warm-up $m"
    run_method "$n" "$m"
    sleep "$GAP_S"
  done
  WARM=0
  for ((r = 1; r <= REPEAT; r++)); do
    for m in $METHODS; do
      log "$n: run $r/$REPEAT $m"
      run_method "$n" "$m"
      sleep "$GAP_S"
    done
  done
  log "$n: ds daemon, $STEADY_ROUNDS steady rounds"
  steady "$n"
  log "$n: what the files cost, kind by kind; syscalls of one ds --once"
  breakdown "$n"
done

printf 'M_%s=%q\n' T0 "$T0" T1 "$(date -u +%Y-%m-%dT%H:%M:%SZ)" LOAD0 "$LOAD0" \
  LOAD1 "$(cut -d' ' -f1-3 /proc/loadavg)" NPROC "$(nproc)" KERNEL "$(uname -r)" \
  DS "$DS" COMMIT "$COMMIT" REPEAT "$REPEAT" IDLE_S "$IDLE_S" STEADY_ROUNDS "$STEADY_ROUNDS" >"$OUT/meta"
report "$OUT"
log "done: $OUT/results.md"
