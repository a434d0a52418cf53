# shellcheck shell=bash
# Helpers for the integration tests (tests/integ/t_*.sh), which ctest runs
# with DAS_BUILD=<cmake build dir> and DAS_SRC=<source dir>. Source it:
#
#   . "$(dirname "$0")/lib.sh"
#   tb_up [--engines N --managers M]     # private servers, env loaded
#   assert_eq "$(dk info --format '{{.Swarm.LocalNodeState}}')" active "swarm up"
#   finish                               # "N passed, 0 failed"
#
# Test bed (scripts/testbed; its env file is sourced by tb_up):
#   tb_up [ARGS]        bed under a fresh mktemp -d in /tmp; EXIT trap takes
#                       it down. Sets TB_ROOT, TB_TMP (scratch folder) and
#                       everything scripts/testbed env exports (DOCKER,
#                       DOCKER_HOST, DAS_INFLUX_URL, DAS_POLICY_DB, ...).
#   tb_down             stop background jobs, take the bed down (idempotent).
#   testbed CMD [ARGS]  scripts/testbed CMD --dir <this bed> ARGS, e.g.
#                       `testbed influx-stop`, `testbed engine-stop 1`.
# Results:
#   ok MSG, fail MSG, finish
#   assert_eq ACTUAL EXPECTED MSG, assert_ne ACTUAL OTHER MSG
#   assert_le A B MSG, assert_ge A B MSG, assert_lt, assert_gt (numbers,
#   floats fine), assert_contains HAYSTACK NEEDLE MSG
# Waiting (conditions only; never use it to time things):
#   wait_until SECONDS CMD...   run CMD every 1 s until it succeeds (output
#                               discarded); returns 1 at the deadline.
# Servers:
#   dk ARGS             $DOCKER against engine 1; dkn K ARGS for engine K
#   influx_q QUERY [k=v...]  POST /query?db=docker, prints the JSON
#   influx_write LINES [precision]  POST /write?db=docker (LINES or stdin)
#   psql_doc SQL        psql -At against $DAS_POLICY_DB (crate@.../doc)
#   prom_target NAME ADDR   (bed up with --prometheus) have Prometheus
#                       scrape http://ADDR/metrics every second
#   prom_q PROMQL       instant query, prints Prometheus's JSON
#   feed SID NAME [FIELD [FILE]]  (with bg_run) synthetic points (cpu_ratio
#                       from $LOAD by default) for a service's containers,
#                       once a second
# Programs and processes:
#   $bin_ds, $bin_das   $DAS_BUILD/ds, $DAS_BUILD/das; need_bin PATH fails
#                       clearly when one is not built.
#   bg_run LOG CMD...   start CMD in the background, output to LOG; sets
#                       BG_PID; tb_down stops it. bg_stop PID stops one now.
#   pid_alive PID       running and not a zombie.
#
# DAS_TB_KEEP=1 leaves the bed running after the test (for a look around);
# take it down with scripts/testbed down --dir "$DAS_TESTBED_DIR".

set -eEuo pipefail

DAS_SRC=${DAS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DAS_BUILD=${DAS_BUILD:-$DAS_SRC/build}
export DAS_SRC DAS_BUILD
# shellcheck disable=SC2034  # for the tests that source this file
bin_ds=$DAS_BUILD/ds
# shellcheck disable=SC2034
bin_das=$DAS_BUILD/das
# shellcheck disable=SC2034
bin_load=$DAS_BUILD/load
TB_SCRIPT=$DAS_SRC/scripts/testbed
TB_NAME=$(basename "${0%.sh}")
TB_PASSED=0
TB_ROOT=
TB_TMP=
TB_BG_PIDS=()
BG_PID=
# Loopback servers only: never through a proxy.
export NO_PROXY='*' no_proxy='*'

# --- results --------------------------------------------------------------

_tb_show_logs() {
  local f
  [[ -n "${DAS_TESTBED_DIR:-}" && -d "${DAS_TESTBED_DIR:-}" ]] || return 0
  for f in "$DAS_TESTBED_DIR"/engine*/dockerd.log "$DAS_TESTBED_DIR/influx/influxd.log" \
    "$DAS_TESTBED_DIR/pg/postgres.log" "$DAS_TESTBED_DIR/prometheus/prometheus.log"; do
    [[ -s "$f" ]] || continue
    echo "--- last lines of $f" >&2
    tail -n 8 "$f" >&2
  done
}

fail() {
  trap - ERR
  echo "FAIL: $TB_NAME: $*" >&2
  _tb_show_logs
  echo "$TB_PASSED passed, 1 failed"
  exit 1
}

ok() {
  TB_PASSED=$((TB_PASSED + 1))
  echo "ok: $*"
}

finish() {
  echo "$TB_PASSED passed, 0 failed"
  exit 0
}

# A command that fails outside a condition ends the test with its line.
_tb_on_err() {
  local rc=$? line=$1 cmd=$2
  fail "line $line: '$cmd' exited $rc"
}
trap '_tb_on_err "$LINENO" "$BASH_COMMAND"' ERR

assert_eq() {
  [[ "$1" == "$2" ]] || fail "$3: got '$1', expected '$2'"
  ok "$3"
}

assert_ne() {
  [[ "$1" != "$2" ]] || fail "$3: got '$1', expected something else"
  ok "$3"
}

assert_contains() {
  [[ "$1" == *"$2"* ]] || fail "$3: '$2' not found in: $1"
  ok "$3"
}

_tb_num() { [[ "$1" =~ ^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]]; }

# _tb_cmp A OP B MSG: numeric comparison with awk, floats allowed.
_tb_cmp() {
  local a=$1 op=$2 b=$3 msg=$4
  _tb_num "$a" || fail "$msg: '$a' is not a number"
  _tb_num "$b" || fail "$msg: '$b' is not a number"
  awk -v a="$a" -v b="$b" -v op="$op" 'BEGIN {
    a += 0; b += 0
    if (op == "<=") r = a <= b; else if (op == ">=") r = a >= b
    else if (op == "<") r = a < b; else r = a > b
    exit !r }' || fail "$msg: expected $a $op $b"
  ok "$msg"
}

assert_le() { _tb_cmp "$1" "<=" "$2" "$3"; }
assert_ge() { _tb_cmp "$1" ">=" "$2" "$3"; }
assert_lt() { _tb_cmp "$1" "<" "$2" "$3"; }
assert_gt() { _tb_cmp "$1" ">" "$2" "$3"; }

# wait_until SECONDS CMD...: 0 as soon as CMD succeeds, 1 at the deadline.
wait_until() {
  local limit=$1 deadline
  shift
  deadline=$((SECONDS + limit))
  while :; do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

# build_info BIN: the *_build_info sample BIN's /metrics carries, made from
# its --version ("das 0.9.0 (git 74a9012)": das_build_info{version="0.9.0",
# revision="74a9012"} 1)
build_info() {
  local prog ver rev
  read -r prog ver _ rev <<<"$("$1" --version)"
  rev=${rev%)}
  printf '%s_build_info{version="%s",revision="%s"} 1' "$prog" "$ver" "$rev"
}

# log_ms LINE: the time of a ds or das log line (its ts= field) in
# milliseconds since the epoch: what a test checks instead of when it
# happened to look. Fails on a line without one.
log_ms() {
  local ts
  ts=$(sed -n 's/^ts=\([^ ]*\) .*/\1/p' <<<"$1")
  [[ -n "$ts" ]] || return 1
  date -u -d "$ts" +%s%3N
}

# free_port: prints a loopback TCP port nothing listens on, for a server a
# test starts itself (das --listen, ds --listen, a proxy). From 10000-19999:
# the beds' servers take theirs from 20000-31999 (scripts/testbed) and
# outgoing connections from 32768 up, so neither can take it meanwhile;
# only another test's free_port could, and it also checks.
free_port() {
  local p
  while :; do
    p=$((10000 + (RANDOM * 32768 + RANDOM) % 10000))
    [[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]] && { echo "$p"; return; }
  done
}

# --- processes ------------------------------------------------------------

pid_alive() {
  local state
  [[ "$1" =~ ^[0-9]+$ && -r /proc/$1/stat ]] || return 1
  state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

bg_run() {
  local logf=$1
  shift
  "$@" >"$logf" 2>&1 </dev/null &
  BG_PID=$!
  TB_BG_PIDS+=("$BG_PID")
}

bg_stop() {
  local pid=$1 i
  pid_alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  if pid_alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

need_bin() {
  [[ -x "$1" ]] || fail "$1 is not built (DAS_BUILD=$DAS_BUILD): build first (make build)"
}

# --- the test bed ---------------------------------------------------------

testbed() {
  local cmd=$1
  shift
  [[ -n "$TB_ROOT" ]] || fail "testbed $cmd: no test bed (call tb_up first)"
  case "$cmd" in
    engine-stop|engine-start) bash "$TB_SCRIPT" "$cmd" "$1" --dir "$TB_ROOT/bed" "${@:2}" ;;
    *) bash "$TB_SCRIPT" "$cmd" --dir "$TB_ROOT/bed" "$@" ;;
  esac
}

_tb_on_exit() {
  local rc=$?
  trap - ERR
  tb_down || rc=1
  exit "$rc"
}

tb_up() {
  [[ -z "$TB_ROOT" ]] || fail "tb_up: a test bed is up already ($TB_ROOT)"
  TB_ROOT=$(mktemp -d /tmp/das-integ.XXXXXX)
  # The bed's PostgreSQL runs as user postgres and must reach its folder.
  chmod 711 "$TB_ROOT"
  TB_TMP=$TB_ROOT/tmp
  mkdir -p "$TB_TMP"
  bash "$TB_SCRIPT" up --dir "$TB_ROOT/bed" "$@" ||
    fail "scripts/testbed up $* failed (its messages are above)"
  # shellcheck disable=SC1091
  . "$TB_ROOT/bed/env"
}

tb_down() {
  local pid rc=0
  for pid in "${TB_BG_PIDS[@]}"; do
    bg_stop "$pid"
  done
  TB_BG_PIDS=()
  [[ -n "$TB_ROOT" ]] || return 0
  if [[ "${DAS_TB_KEEP:-0}" == 1 ]]; then
    echo "DAS_TB_KEEP=1: test bed left running: eval \"\$($TB_SCRIPT env --dir $TB_ROOT/bed)\";" \
      "take it down with: $TB_SCRIPT down --dir $TB_ROOT/bed" >&2
    TB_ROOT=
    return 0
  fi
  if [[ -e "$TB_ROOT/bed" ]]; then
    bash "$TB_SCRIPT" down --dir "$TB_ROOT/bed" || rc=1
  fi
  if ((rc == 0)) && ! grep -qF " $TB_ROOT/" /proc/mounts; then
    rm -rf "$TB_ROOT"
  else
    echo "tb_down: left $TB_ROOT in place (see messages above)" >&2
  fi
  TB_ROOT=
  TB_TMP=
  return "$rc"
}

# Background jobs and the bed go away however the test ends.
trap _tb_on_exit EXIT
trap 'exit 130' INT TERM

# --- servers --------------------------------------------------------------

dk() { "$DOCKER" -H "$TESTBED_ENGINE_1_HOST" "$@"; }

dkn() {
  local k=$1 var
  shift
  var=TESTBED_ENGINE_${k}_HOST
  [[ -n "${!var:-}" ]] || fail "dkn: no engine $k in this bed"
  "$DOCKER" -H "${!var}" "$@"
}

# Engines of a bed of several: host_of K / node_of K (its Docker host, its
# node id); engine_leads K / engine_follows K (a manager that leads / does
# not; false when it does not answer within 5 s, as a frozen one);
# leader_among K...: the first of the engines K... that leads, else fails.
host_of() { local v=TESTBED_ENGINE_${1}_HOST; echo "${!v}"; }
node_of() { local v=TESTBED_ENGINE_${1}_NODE_ID; echo "${!v}"; }
_engine_is() {
  [[ "$(timeout 5 "$DOCKER" -H "$(host_of "$1")" node inspect self \
    -f '{{.ManagerStatus.Leader}}' 2>/dev/null)" == "$2" ]]
}
engine_leads() { _engine_is "$1" true; }
engine_follows() { _engine_is "$1" false; }
leader_among() {
  local k
  for k in "$@"; do
    if engine_leads "$k"; then
      echo "$k"
      return 0
    fi
  done
  return 1
}

# influx_q QUERY [name=value...]: extra pairs become query parameters
# (epoch=s, ...). Prints InfluxDB's JSON, also its error body; returns
# non-zero on a transport error or an HTTP error status.
influx_q() {
  local q=$1 p args=()
  shift
  for p in "$@"; do
    args+=(--data-urlencode "$p")
  done
  curl -sS --fail-with-body --max-time 30 -XPOST \
    "$DAS_INFLUX_URL/query?db=${DAS_INFLUX_DB:-docker}" \
    --data-urlencode "q=$q" "${args[@]}"
}

# influx_write [LINES [PRECISION]]: line protocol from LINES or stdin.
influx_write() {
  local prec=${2:-ns} code
  if (($# >= 1)) && [[ -n "$1" ]]; then
    code=$(printf '%s\n' "$1" | curl -sS -o /dev/stderr -w '%{http_code}' --max-time 30 \
      -XPOST "$DAS_INFLUX_URL/write?db=${DAS_INFLUX_DB:-docker}&precision=$prec" \
      --data-binary @-)
  else
    code=$(curl -sS -o /dev/stderr -w '%{http_code}' --max-time 30 \
      -XPOST "$DAS_INFLUX_URL/write?db=${DAS_INFLUX_DB:-docker}&precision=$prec" \
      --data-binary @-)
  fi
  [[ "$code" == 204 ]]
}

# feed SERVICE_ID NAME [FIELD [FILE]] (run it with bg_run): a stand-in for
# ds that writes, every second, one point per running container of the
# service on engine 1, with FIELD (default cpu_ratio) = the number in FILE
# (default $LOAD; 0 when empty).
feed() {
  local sid=$1 name=$2 field=${3:-cpu_ratio} file=${4:-$LOAD} c ts body load
  trap - ERR
  set +e
  while :; do
    load=$(cat "$file" 2>/dev/null)
    ts=$(date +%s%N)
    body=
    for c in $(dk ps -q --filter "label=com.docker.swarm.service.id=$sid"); do
      body+="docker,container=$c,service=$sid,service_name=$name $field=${load:-0} $ts"$'\n'
    done
    if [[ -n "$body" ]]; then
      curl -s -o /dev/null --max-time 5 -XPOST \
        "$DAS_INFLUX_URL/write?db=$DAS_INFLUX_DB" --data-binary "$body"
    fi
    sleep 1
  done
}

prom_target() {
  [[ -n "${TESTBED_PROM_TARGETS:-}" ]] || fail "prom_target: the bed has no Prometheus (tb_up --prometheus)"
  printf '[{"targets": ["%s"], "labels": {"target": "%s"}}]\n' "$2" "$1" \
    >"$TESTBED_PROM_TARGETS/$1.json.tmp"
  mv "$TESTBED_PROM_TARGETS/$1.json.tmp" "$TESTBED_PROM_TARGETS/$1.json"
}

prom_q() {
  curl -s --max-time 10 "$TESTBED_PROM_URL/api/v1/query" --data-urlencode "query=$1"
}

psql_doc() {
  "$TESTBED_PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 "$DAS_POLICY_DB" -c "$1"
}
