#!/usr/bin/env bash
# A leader that hangs instead of dying (issue 9, RELIABILITY.md), on a real
# swarm of three managers, a real influxd fed by the real ds on every
# engine, and PostgreSQL. das runs beside every manager; the load is real:
# the service's tasks hold 16 MiB of memory (a file in their /dev/shm)
# while a file the test controls exists (a bind mount), a few hundred KiB
# otherwise. Memory, not CPU: on a shared 2-core host a task's CPU share
# depends on its neighbours, its memory does not. The tasks never run on
# the first leader's node, so no freeze below takes a replica's points
# away.
#  1. das on the leader frozen after it decided 2 → 3 and before its Engine
#     API update (under gdb, held at dsvc_scale_labeled), the load gone meanwhile
#     (das status says at-min): resumed, das drops the stale decision and
#     says why, and its next cycle decides on the load of now. Nobody else
#     acted while it was frozen: leadership follows the swarm's raft leader,
#     and the leader's engine was fine.
#  2. The leader's ENGINE frozen (SIGSTOP of its dockerd) right after das
#     there decided 2 → 3, before the update: the other two managers elect a
#     leader, the das beside it scales 2 → 3; the old das's request times
#     out (30 s) and it says so, acting never. SIGCONT: the old engine is a
#     follower, its das says standby; the service was updated once. Each
#     das notifies a receiver on loopback: the old one leader-lost, the
#     new one leader-gained and its scale-out.
#  3. das on the new leader frozen after it decided 3 → 4 (max_no raised to
#     4 for it; a 30 s interval, so its decision may wait 60 s and only the
#     leader check can stop it); leadership moves away (the leader demoted,
#     then promoted back: a manager that no longer leads) while no other das
#     runs: resumed, das checks again, finds its engine no longer leads and
#     drops the decision. The das on the leader, started again, scales
#     3 → 4, once.
# das before the fix (no check between deciding and the update) fails 1
# (it applies the stale 2 → 3) and 3 (it scales through a follower).
# Through all of it: every action is one das_events row, consecutive
# actions are a whole window apart, and das_events agrees with the
# service's own UpdatedAt / PreviousSpec.
# shellcheck disable=SC2317  # functions run through wait_until and traps
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
command -v gdb >/dev/null || fail "gdb is not installed (scripts/install-deps installs it)"
T0=$SECONDS
tb_up --engines 3 --managers 3 --addr-base "${DAS_TESTBED_ADDR_BASE:-auto}"

N=3
WIN=10 # seconds: both windows of the policy
CTL=$TB_TMP/ctl # the load switch: tasks hold 16 MiB while $CTL/load exists
mkdir -p "$CTL"
chmod 755 "$CTL"

dockerd_pid() { local v=TESTBED_ENGINE_${1}_PID_FILE; cat "${!v}"; }
# docker against a manager that answers ($LIVE; never a frozen one)
LIVE=1
dl() { timeout 20 "$DOCKER" -H "$(host_of "$LIVE")" "$@"; }

# Whatever happens, no engine stays stopped and no das stays held by gdb
# (the bed's teardown must be able to stop them).
RESUME_FILES=()
_hang_exit() {
  local rc=$? k f
  trap - ERR
  set +e
  for ((k = 1; k <= N; k++)); do
    kill -CONT "$(dockerd_pid "$k" 2>/dev/null)" 2>/dev/null
  done
  for f in "${RESUME_FILES[@]}"; do touch "$f" 2>/dev/null; done
  tb_down || rc=1
  exit "$rc"
}
trap _hang_exit EXIT

L=$(leader_among 1 2 3) || fail "no engine says it leads the swarm"
for ((k = 1; k <= N; k++)); do ((k == L)) || { LIVE=$k; break; }; done
ok "engine $L leads the swarm"

touch "$CTL/load"
dk() { dl "$@"; } # (lib.sh's dk is engine 1, which may be frozen below)
dl service create --detach --name web --replicas 2 \
  --stop-grace-period 1s --constraint "node.id!=$(node_of "$L")" \
  --mount "type=bind,source=$CTL,target=/ctl,readonly" "$TESTBED_IMAGE" sh -c \
  'while :; do
     if [ -e /ctl/load ]; then
       [ -e /dev/shm/load ] || dd if=/dev/zero of=/dev/shm/load bs=1M count=16 2>/dev/null
     else
       rm -f /dev/shm/load
     fi
     sleep 1
   done' \
  >/dev/null 2>"$TB_TMP/create.err" || fail "service create: $(cat "$TB_TMP/create.err")"
running() { [[ "$(dl service ps web --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running')" == "$1" ]]; }
wait_until 90 running 2 || fail "web's 2 tasks did not start: $(dl service ps web 2>&1)"

for ((k = 1; k <= N; k++)); do
  bg_run "$TB_TMP/ds$k.log" "$bin_ds" --docker-host "$(host_of "$k")" --node "node$k" --interval 1s
done
# max 3 for now: the das that scales 2 → 3 then stays at-max (3 allows 4)
"$bin_das" policy add web --seq 1 --mode step --min 2 --max 3 --item mem_usage \
  --out 8MiB --in 1MiB --out-for "${WIN}s" --in-for "${WIN}s" --warmup 0s >/dev/null

# --- das processes -------------------------------------------------------------
# a notification receiver: das K posts to its path /das-K (ok-das-K.jsonl)
RX=$TB_TMP/rx
mkdir -p "$RX"
bg_run "$TB_TMP/receiver.log" python3 "$DAS_SRC/tests/integ/notify_rx.py" "$RX" ok
wait_until 20 test -s "$RX/ports" || fail "the receiver did not start: $(cat "$TB_TMP/receiver.log")"
read -r P_RX <"$RX/ports"
notified() { # K: the actions das K notified, in order
  [[ -s "$RX/ok-das-$1.jsonl" ]] && jq -r -s '[.[].action] | join(" ")' "$RX/ok-das-$1.jsonl"
}
notified_is() { [[ "$(notified "$1")" == "$2" ]]; }
notified_ends() { [[ "$(notified "$1")" == *" $2" ]]; }
DAS_ARGS=(--ds-interval 1s --listen 127.0.0.1:0 --log-level debug)
INTERVAL=1s # of the next das started
DAS_PID=() # das K's pid
GDB_PID=() # its gdb's, when it runs under gdb
DAS_LOG=() # its log
das_start() { # K TAG: das beside engine K, logging to das-K-TAG.log
  DAS_LOG[$1]=$TB_TMP/das-$1-$2.log
  bg_run "${DAS_LOG[$1]}" "$bin_das" run --docker-host "$(host_of "$1")" \
    --interval "$INTERVAL" "${DAS_ARGS[@]}" --notify-url "http://127.0.0.1:$P_RX/das-$1"
  DAS_PID[$1]=$BG_PID
  GDB_PID[$1]=
}
# das_gdb K TAG GDB-COMMAND...: das beside engine K under gdb, held at its
# first dsvc_scale_labeled (the first update it decided, before any request of it)
# where the commands run, then going on
das_gdb() {
  local k=$1 tag=$2 script=$TB_TMP/gdb-$1-$2 c i
  shift 2
  {
    echo "set pagination off"
    echo "set confirm off"
    echo "handle SIGTERM nostop noprint pass"
    echo "tbreak dsvc_scale_labeled"
    echo "commands"
    echo "  silent"
    for c in "$@"; do echo "  $c"; done
    echo "  continue"
    echo "end"
    echo "run"
  } >"$script"
  DAS_LOG[k]=$TB_TMP/das-$k-$tag.log
  bg_run "${DAS_LOG[$k]}" gdb -q -batch -x "$script" --args \
    "$bin_das" run --docker-host "$(host_of "$k")" --interval "$INTERVAL" "${DAS_ARGS[@]}" \
    --notify-url "http://127.0.0.1:$P_RX/das-$k"
  GDB_PID[k]=$BG_PID
  DAS_PID[k]=
  for ((i = 0; i < 100; i++)); do
    DAS_PID[$k]=$(pgrep -P "${GDB_PID[$k]}" -x das || true)
    [[ -n "${DAS_PID[$k]}" ]] && break
    sleep 0.1
  done
  [[ -n "${DAS_PID[$k]}" ]] || fail "das $k did not start under gdb: $(cat "${DAS_LOG[$k]}")"
  TB_BG_PIDS+=("${DAS_PID[$k]}")
}
das_stop() {
  local i
  bg_stop "${DAS_PID[$1]}"
  [[ -n "${GDB_PID[$1]}" ]] || return 0
  for ((i = 0; i < 100; i++)); do # gdb ends with its das
    pid_alive "${GDB_PID[$1]}" || break
    sleep 0.1
  done
  bg_stop "${GDB_PID[$1]}"
}
# hold K TAG: gdb commands that keep das K frozen until release K TAG
hold() {
  RESUME_FILES+=("$TB_TMP/resume-$1-$2")
  echo "shell date +%s%3N >$TB_TMP/held-$1-$2; n=0; while [ ! -e $TB_TMP/resume-$1-$2 ] && [ \$n -lt 1500 ]; do sleep 0.2; n=\$((n+1)); done"
}
held() { [[ -s "$TB_TMP/held-$1-$2" ]]; }
release() { touch "$TB_TMP/resume-$1-$2"; }
proc_state() { sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1; }

das_port() { sed -n 's/.*serving \/healthz.* port=\([0-9]*\).*/\1/p' "${DAS_LOG[$1]}" | head -n1; }
metric() { # K NAME: a sample of das K's /metrics
  curl -s --max-time 5 "http://127.0.0.1:$(das_port "$1")/metrics" |
    awk -v n="$2" '$1 == n { print $2; f = 1 } END { exit !f }'
}
acted() { grep -c 'msg="acted"' "${DAS_LOG[$1]}" || true; }
in_log() { grep -q -- "$2" "${DAS_LOG[$1]}"; }
# after K PATTERN THEN: a line matching THEN comes after one matching PATTERN
after() { sed -n "/$2/,\$p" "${DAS_LOG[$1]}" | tail -n +2 | grep -q -- "$3"; }
show() { # the last lines of every das log of this run
  local f
  for f in "$TB_TMP"/das-*.log; do
    echo "--- $f" >&2
    grep -v -e '^\[' -e '^$' -e '^Using host' "$f" | tail -n 6 | cut -c1-300 >&2
  done
}
die() { show; fail "$@"; }

events() { # ACTION: "from>to" of das's rows of it, oldest first
  psql_doc "select from_no || '>' || to_no from das_events
    where seq = 1 and action = '$1' and not dry_run order by time_ms" | paste -sd ' ' -
}
replicas() { dl service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web 2>/dev/null; }
replicas_is() { [[ "$(replicas)" == "$1" ]]; }
updated_at() { dl service inspect -f '{{.UpdatedAt}}' web; }
status_json() {
  "$bin_das" status --json --docker-host "$(host_of "$LIVE")" --ds-interval 1s 2>/dev/null
}
outcome() { status_json | python3 -c 'import json, sys
print(json.load(sys.stdin)["policies"][0]["outcome"])'; }
outcome_is() { [[ "$(outcome)" == "$1" ]]; }

# --- 1. das frozen after its decision; the load goes meanwhile ----------------
for ((k = 1; k <= N; k++)); do
  ((k == L)) || das_start "$k" 1
done
das_gdb "$L" 1 "$(hold "$L" 1)"
wait_until 120 held "$L" 1 || die "das on the leader (engine $L) never decided to scale out"
assert_eq "$(proc_state "${DAS_PID[L]}")" t "das on engine $L is frozen (stopped by gdb) at dsvc_scale_labeled, the update it decided not yet sent"
assert_eq "$(outcome)" scale-out "the load called for it: das status says scale-out"
rm "$CTL/load"
wait_until 90 outcome_is at-min || die "the load did not go: das status says $(outcome)"
ok "the load went while das was frozen: das status says at-min (a whole ${WIN}s window idle)"
assert_eq "$(replicas)" 2 "nobody scaled web meanwhile: 2 replicas"
assert_eq "$(events scale-out)" "" "no scale-out row"
for ((k = 1; k <= N; k++)); do
  ((k == L)) || assert_eq "$(acted "$k")" 0 "das on engine $k (standby) did not act"
done
# resumed K: das K, let go, dropped its decision or acted on it
resumed() { in_log "$1" 'decision dropped' || in_log "$1" 'msg="acted" .*action=scale-out'; }
release "$L" 1
wait_until 30 resumed "$L" || die "das on engine $L, resumed, neither dropped its decision nor acted"
assert_eq "$(replicas)" 2 "das on engine $L, resumed: the stale 2 → 3 was not applied"
line=$(grep 'decision dropped' "${DAS_LOG[L]}") || die "das on engine $L did not say it dropped its decision"
echo "  das $L: $(cut -c1-400 <<<"$line")"
assert_contains "$line" "action=scale-out from=2 to=3" "the decision dropped was 2 → 3"
assert_contains "$line" "a decision may wait" "it says the decision waited too long"
wait_until 30 after "$L" 'decision dropped' 'msg="no action" seq=1 .*outcome=at-min' ||
  die "das on engine $L did not decide again on the idle load"
ok "its next cycle decided on the load of now: at-min, no action"
assert_eq "$(replicas)" 2 "web still has 2 replicas"
assert_eq "$(events scale-out)" "" "still no scale-out row"
assert_eq "$(metric "$L" 'das_decisions_dropped_total{reason="stale"}')" 1 \
  "das $L: /metrics das_decisions_dropped_total{reason=\"stale\"} 1"
das_stop "$L"

# --- 2. the leader's engine frozen with a decision in flight ------------------
touch "$CTL/load"
UPD0=$(updated_at)
das_gdb "$L" 2 "shell date +%s%3N >$TB_TMP/engine-frozen; kill -STOP $(dockerd_pid "$L")"
frozen() { [[ -s "$TB_TMP/engine-frozen" ]]; }
wait_until 120 frozen || die "das on engine $L never decided to scale out again"
T_FREEZE=$(cat "$TB_TMP/engine-frozen")
assert_eq "$(proc_state "$(dockerd_pid "$L")")" T "engine $L's dockerd is stopped (SIGSTOP), right after das there decided 2 → 3"
OTHERS=()
for ((k = 1; k <= N; k++)); do ((k == L)) || OTHERS+=("$k"); done
NEW=
deadline=$((SECONDS + 90))
while ((SECONDS < deadline)); do
  NEW=$(leader_among "${OTHERS[@]}") && break
  sleep 0.5
done
[[ -n "$NEW" ]] || die "no other manager was elected leader"
LIVE=$NEW
ok "engine $NEW was elected leader"
has_out() { [[ -n "$(events scale-out)" ]]; }
wait_until 90 has_out || die "the das beside the new leader did not scale out"
assert_eq "$(events scale-out)" "2>3" "one scale-out row: 2>3"
T_ACT=$(psql_doc "select time_ms from das_events where seq = 1 and action = 'scale-out' order by time_ms limit 1")
assert_contains "$(grep 'msg="acted"' "${DAS_LOG[NEW]}")" "action=scale-out from=2 to=3" "das on engine $NEW did it"
TAKEOVER_MS=$((T_ACT - T_FREEZE))
echo "  takeover: $TAKEOVER_MS ms from the leader's engine freezing to the new leader's das scaling"
wait_until 30 replicas_is 3 || die "web is not at 3 replicas: $(replicas)"
UPD1=$(updated_at)
assert_ne "$UPD1" "$UPD0" "the service's UpdatedAt moved with it"
# das on the frozen engine: its update's first request waits on the engine
# until the 30 s request timeout, then it says so
wait_until 60 in_log "$L" 'msg="scaling failed".*timed out' ||
  die "das on engine $L did not give up on its frozen engine"
line=$(grep 'msg="scaling failed"' "${DAS_LOG[L]}")
echo "  das $L: $(cut -c1-300 <<<"$line")"
ok "das on engine $L gave up on its frozen engine's answer and said so"
assert_eq "$(acted "$L")" 0 "das on engine $L did not act"
kill -CONT "$(dockerd_pid "$L")"
wait_until 60 engine_follows "$L" || die "engine $L did not come back as a follower"
ok "SIGCONT: engine $L is a manager that does not lead"
wait_until 60 after "$L" 'msg="scaling failed"' 'standby: this engine is not the swarm leader' ||
  die "das on engine $L did not go to standby"
ok "das on engine $L says standby"
# told: das L started as the leader and lost it; das NEW, a standby since
# part 1, gained it and scaled (das L of part 1 notified too, before these
# in the same file: leader-gained, and the table row's cur_no synced)
wait_until 30 notified_ends "$L" "leader-gained leader-lost" ||
  die "das on engine $L did not notify leader-lost: $(notified "$L")"
wait_until 30 notified_is "$NEW" "leader-gained scale-out" ||
  die "das on engine $NEW did not notify leader-gained and its scale-out: $(notified "$NEW")"
lost=$(jq -c -s '[.[] | select(.action == "leader-lost")][0]' "$RX/ok-das-$L.jsonl")
assert_eq "$(jq -r '.kind + " " + (.seq | tostring) + " " + (.service | tostring)' <<<"$lost")" \
  "leadership null null" "leader-lost is of kind leadership, of no policy"
assert_ge "$(jq -r .time_ms <<<"$lost")" "$T_FREEZE" "and noted after the engine froze"
ok "receivers were told: leader-lost by das $L ($(jq -r .reason <<<"$lost")), leader-gained and the scale-out by das $NEW"
assert_eq "$(acted "$L")" 0 "das on engine $L still did not act"
assert_eq "$(events scale-out)" "2>3" "still one scale-out row"
assert_eq "$(updated_at)" "$UPD1" "the service was updated once (UpdatedAt as after 2 → 3)"
assert_eq "$(dl service inspect -f '{{.PreviousSpec.Mode.Replicated.Replicas}}>{{.Spec.Mode.Replicated.Replicas}}' web)" \
  "2>3" "its last update was 2 → 3 (PreviousSpec, Spec)"

# --- 3. das on the new leader frozen; leadership moves away --------------------
M= # the third manager
for k in "${OTHERS[@]}"; do ((k == NEW)) || M=$k; done
das_stop "$L"
das_stop "$M"
das_stop "$NEW"
psql_doc "update das set max_no = 4 where seq = 1" >/dev/null
# a 30 s interval: a decision may wait 60 s, longer than this freeze, so
# what stops it is the leader check alone
INTERVAL=30s
das_gdb "$NEW" 3 "$(hold "$NEW" 3)"
INTERVAL=1s
wait_until 90 held "$NEW" 3 || die "das on engine $NEW never decided 3 → 4"
assert_eq "$(proc_state "${DAS_PID[NEW]}")" t "das on engine $NEW (the leader) frozen at dsvc_scale_labeled after deciding 3 → 4; no other das runs"
LIVE=$M
# (a node update can meet the dispatcher's own: "update out of sequence")
wait_until 30 dl node demote "$(node_of "$NEW")" || die "could not demote engine $NEW"
LEAD3=
deadline=$((SECONDS + 60))
while ((SECONDS < deadline)); do
  LEAD3=$(leader_among "$L" "$M") && break
  sleep 0.5
done
[[ -n "$LEAD3" ]] || die "no leader after engine $NEW was demoted"
wait_until 30 dl node promote "$(node_of "$NEW")" || die "could not promote engine $NEW"
wait_until 60 engine_follows "$NEW" || die "engine $NEW did not come back as a manager"
ok "engine $NEW demoted and promoted again: engine $LEAD3 leads, $NEW is a manager that does not lead ($(($(date +%s%3N) - $(cat "$TB_TMP/held-$NEW-3"))) ms after das there froze)"
release "$NEW" 3
wait_until 30 resumed "$NEW" || die "das on engine $NEW, resumed, neither dropped its decision nor acted"
assert_eq "$(replicas)" 3 "das on engine $NEW, resumed: 3 → 4 was not applied by a das whose engine no longer leads"
line=$(grep 'decision dropped' "${DAS_LOG[NEW]}") || die "das on engine $NEW did not say it dropped its decision"
echo "  das $NEW: $(cut -c1-400 <<<"$line")"
assert_contains "$line" "action=scale-out from=3 to=4" "the decision dropped was 3 → 4"
assert_contains "$line" "no longer leads the swarm" "because its engine no longer leads"
assert_contains "$(cat "${DAS_LOG[NEW]}")" "standby: this engine is not the swarm leader" "das on engine $NEW says standby"
assert_eq "$(updated_at)" "$UPD1" "web was not updated since 2 → 3"
assert_eq "$(metric "$NEW" 'das_decisions_dropped_total{reason="not-leader"}')" 1 \
  "das $NEW: /metrics das_decisions_dropped_total{reason=\"not-leader\"} 1"
das_start "$L" 3
das_start "$M" 3
wait_until 60 replicas_is 4 || die "the das on the leader (engine $LEAD3) did not scale 3 → 4"
assert_eq "$(events scale-out)" "2>3 3>4" "scale-out rows: 2>3, 3>4"
assert_eq "$(acted "$LEAD3")" 1 "das on the leader (engine $LEAD3) acted once"
assert_eq "$(acted "$NEW")" 0 "das on engine $NEW did not act after it resumed"
assert_eq "$(dl service inspect -f '{{.PreviousSpec.Mode.Replicated.Replicas}}>{{.Spec.Mode.Replicated.Replicas}}' web)" \
  "3>4" "the service's last update was 3 → 4"

# --- the whole run ------------------------------------------------------------
gaps=$(psql_doc "select time_ms from das_events where seq = 1 and not dry_run
  and action in ('scale-out', 'scale-in', 'bound') order by time_ms" |
  awk 'NR > 1 { print $1 - p } { p = $1 }' | paste -sd ' ' -)
for g in $gaps; do
  assert_ge "$g" "$((WIN * 1000))" "consecutive actions $g ms apart: a whole window"
done
assert_eq "$(events synced)" "-1>2" "one cur_no sync (the new row), no other"
for ((k = 1; k <= N; k++)); do
  pid_alive "${DAS_PID[k]}" || die "das on engine $k exited"
done
ok "every das process is still running"
echo "t_leader_hang: $((SECONDS - T0)) s (takeover $TAKEOVER_MS ms)"
finish
