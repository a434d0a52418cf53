#!/usr/bin/env bash
# Faults injected at the exact point they hurt (issue 9, RELIABILITY.md), on
# a real dockerd in swarm mode, a real influxd (fed by the real ds) and
# PostgreSQL. The point is reached by running das under gdb with a
# breakpoint on the call that comes right after it; nothing in das knows
# it is being tested.
#  1. "update out of sequence": another writer updates the service between
#     das's GET /services/{id} and its POST …/update (a breakpoint on that
#     POST runs `docker service update --label-add` first): das reads the
#     service again, retries on the new version, scales, and the other
#     writer's change is kept.
#  2. das killed -9 right after the Engine API update, before it writes
#     cur_no and the event: the service has the new count, the store does
#     not know. Started again, das syncs cur_no to the service (an event
#     says so), and takes no second action for the same load: the next
#     decision waits for a window wholly after the sync.
#  3. The policy store restarted in the middle of a cycle (between the
#     update and the cur_no write): das reconnects and records the change,
#     nothing half-done. Stopped there instead (an outage): das says it
#     scaled but could not record it, and the next cycle after the store
#     is back syncs cur_no, with no second action.
# shellcheck disable=SC2317  # functions run through wait_until
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
command -v gdb >/dev/null || fail "gdb is not installed (scripts/install-deps installs it)"
tb_up

WIN=8 # seconds: both windows
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web; }
replicas_is() { [[ "$(replicas)" == "$1" ]]; }
cur_no() { psql_doc "select cur_no from das where seq = 1"; }
events() { # ACTION: "from>to" of each such event, oldest first
  psql_doc "select from_no || '>' || to_no from das_events where seq = 1 and action = '$1' order by time_ms" | tr '\n' ' ' | sed 's/ $//'
}
# das under gdb: stops at the first call of FUNC whose condition holds, runs
# the gdb COMMANDS there, then goes on (or not: `kill`)
das_gdb() { # LOG FUNC CONDITION COMMANDS... -- DAS_ARGS...
  local log=$1 func=$2 cond=$3 script=$TB_TMP/gdb.$RANDOM
  shift 3
  {
    echo "set pagination off"
    echo "set confirm off"
    echo "tbreak $func${cond:+ if $cond}"
    echo "commands"
    while [[ $1 != -- ]]; do
      echo "  $1"
      shift
    done
    echo "end"
    echo "run"
  } >"$script"
  shift
  timeout 120 gdb -q -batch -x "$script" --args "$bin_das" "$@" >"$log" 2>&1
}

dk service create --detach --name web --replicas 1 --limit-cpu 0.1 \
  --stop-grace-period 1s "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null 2>"$TB_TMP/create.err" ||
  fail "service create: $(cat "$TB_TMP/create.err")"
WEB=$(dk service inspect -f '{{.ID}}' web)
bg_run "$TB_TMP/ds.log" "$bin_ds" --node node1 --interval 1s
# one replica burning its 0.1 core: cpu_ratio about 10%, above 5%
"$bin_das" policy add web --seq 1 --mode step --min 1 --max 4 --item cpu_ratio --out 5% \
  --in 1% --out-for "${WIN}s" --in-for "${WIN}s" --warmup 0s >/dev/null
"$bin_das" run --once --ds-interval 1s >"$TB_TMP/das0.log" 2>&1 || fail "das run --once: $(cat "$TB_TMP/das0.log")"
[[ "$(cur_no)" == 1 ]] || fail "cur_no did not follow the service's one replica: $(cur_no)"
# the next window must lie wholly after that sync
status_outcome() { "$bin_das" status --json --ds-interval 1s 2>/dev/null | python3 -c 'import json, sys
print(json.load(sys.stdin)["policies"][0]["outcome"])'; }
outcome_is() { [[ "$(status_outcome)" == "$1" ]]; }
wait_until 60 outcome_is scale-out || fail "web never wanted to scale out: $(status_outcome)"
ok "web (1 replica at ~10% of a core) wants to scale out: the windows are covered"

# --- 1. update out of sequence ---------------------------------------------------
das_gdb "$TB_TMP/das1.log" dkr_json '$_streq(method, "POST")' \
  "shell $DOCKER -H $TESTBED_ENGINE_1_HOST service update --detach --label-add das.race=1 web >/dev/null" \
  continue -- run --once --ds-interval 1s --log-level debug
assert_contains "$(cat "$TB_TMP/das1.log")" "update out of sequence" \
  "das's first POST …/update met the other writer's change: update out of sequence"
assert_eq "$(replicas)" 2 "das read the service again and scaled 1 → 2"
assert_eq "$(dk service inspect -f '{{index .Spec.Labels "das.race"}}' web)" 1 \
  "the other writer's change (label das.race=1) is kept"
assert_eq "$(events scale-out)" "1>2" "one scale-out event"
assert_eq "$(cur_no)" 2 "cur_no 2"

# --- 2. killed -9 between the update and its record ---------------------------------
wait_until 60 outcome_is scale-out || fail "web did not want a second scale-out: $(status_outcome)"
das_gdb "$TB_TMP/das2.log" pg_policy_set_cur_no '' kill quit -- run --ds-interval 1s
assert_eq "$(replicas)" 3 "das updated the service 2 → 3, then was killed (SIGKILL) before recording it"
assert_eq "$(cur_no)" 2 "the store did not learn it: cur_no still 2"
assert_eq "$(events scale-out)" "1>2" "and no event for 2 → 3"
bg_run "$TB_TMP/das3.log" "$bin_das" run --interval 1s --ds-interval 1s --log-level debug
DAS_PID=$!
cur_is() { [[ "$(cur_no)" == "$1" ]]; }
wait_until 30 cur_is 3 || fail "das started again did not sync cur_no to 3: $(tail -3 "$TB_TMP/das3.log")"
ok "das started again: cur_no follows the service's 3 replicas"
assert_contains "$(events synced)" "2>3" "an event says cur_no went 2 → 3 (synced)"
reason=$(psql_doc "select reason from das_events where seq = 1 and action = 'synced' and from_no = 2")
assert_contains "$reason" "das stopped before recording" "the synced event says what may have happened: $reason"
# the load is the same as before (each replica still burns 10%): a das that
# forgot would act at once; this one waits a window wholly after the sync.
# Shown by the events' and the log's times, not by looking at some moment.
wait_until 60 replicas_is 4 || fail "das never scaled 3 → 4: $(tail -3 "$TB_TMP/das3.log")"
ok "then, on a window wholly at 3 replicas, 3 → 4"
assert_eq "$(events scale-out)" "1>2 3>4" "one scale-out after the restart, 3 → 4"
T_SYNC=$(psql_doc "select time_ms from das_events where seq = 1 and action = 'synced' and from_no = 2")
T_OUT=$(psql_doc "select time_ms from das_events where seq = 1 and action = 'scale-out' and from_no = 3")
assert_ge "$((T_OUT - T_SYNC))" "$((WIN * 1000))" "3 → 4 came $((T_OUT - T_SYNC)) ms after the sync: at least a window"
# and das was deciding all along: cycles that took no action for seq 1
# between its sync and its scale-out
held=$(awk '/msg="acted"/ && /seq=1 / && /action=synced/ { s = 1; next }
            s && /msg="acted"/ && /seq=1 / && /action=scale-out/ { exit }
            s && /msg="no action"/ && /seq=1 / { n++ }
            END { print n + 0 }' "$TB_TMP/das3.log")
assert_ge "$held" 2 "no second action for the same load: $held cycles between the sync and 3 → 4 decided none"
bg_stop "$DAS_PID"

# --- 3. the store restarted, or stopped, in the middle of a cycle ---------------------
pg_pid() { head -1 "$TESTBED_PG_DATA/postmaster.pid" 2>/dev/null; }
pg_up() { psql_doc "select 1" >/dev/null 2>&1; }
psql_doc "update das set max_no = 6 where seq = 1" >/dev/null
wait_until 60 outcome_is scale-out || fail "web did not want a scale-out at 4: $(status_outcome)"
PID0=$(pg_pid)
das_gdb "$TB_TMP/das4.log" pg_policy_set_cur_no '' \
  "shell bash $TB_SCRIPT pg-stop --dir $TB_ROOT/bed >/dev/null 2>&1; bash $TB_SCRIPT pg-start --dir $TB_ROOT/bed >/dev/null 2>&1" \
  continue -- run --once --ds-interval 1s
wait_until 30 pg_up || fail "the store did not come back"
[[ -n "$PID0" && "$(pg_pid)" != "$PID0" ]] || fail "the store was not restarted (postmaster $PID0, now $(pg_pid))"
assert_eq "$(replicas)" 5 "das scaled 4 → 5 while the store restarted under it (postmaster $PID0 → $(pg_pid))"
assert_eq "$(cur_no)" 5 "das reconnected and wrote cur_no 5"
assert_eq "$(events scale-out)" "1>2 3>4 4>5" "and the event 4 → 5: nothing half-done"

wait_until 60 outcome_is scale-out || fail "web did not want a scale-out at 5: $(status_outcome)"
das_gdb "$TB_TMP/das5.log" pg_policy_set_cur_no '' \
  "shell bash $TB_SCRIPT pg-stop --dir $TB_ROOT/bed >/dev/null 2>&1" \
  continue -- run --once --ds-interval 1s
grep -v -e '^\[' -e '^Temporary' -e '^$' -e '^[0-9]' "$TB_TMP/das5.log" | cut -c1-250 | sed 's/^/  das: /'
assert_eq "$(replicas)" 6 "das scaled 5 → 6, and the store went away before it could record that"
assert_contains "$(cat "$TB_TMP/das5.log")" "scaled, but could not write cur_no (it will be synced)" \
  "das says it scaled but could not record cur_no"
bash "$TB_SCRIPT" pg-start --dir "$TB_ROOT/bed" >/dev/null 2>&1 || fail "pg-start failed"
wait_until 30 pg_up || fail "the store did not come back"
assert_eq "$(cur_no)" 5 "the store still says 5: the one partial state a store outage can leave"
psql_doc "update das set max_no = 7 where seq = 1" >/dev/null
"$bin_das" run --once --ds-interval 1s >"$TB_TMP/das6.log" 2>&1 || fail "das run --once after the outage: $(cat "$TB_TMP/das6.log")"
assert_eq "$(cur_no)" 6 "the next cycle synced cur_no to the service's 6"
assert_eq "$(replicas)" 6 "and took no second action for the same load"
finish
