#!/usr/bin/env bash
# das run scales a real swarm service (docs/design.md §4), against a real dockerd
# in swarm mode, influxd and PostgreSQL from scripts/testbed:
#  * load above out_cond: one step per covered window up to max_no, never
#    beyond; below in_cond: down to min_no, never below (scale_mode step,
#    the seed's rule; t_trace_live shows the default rule on a real load);
#  * every change has a das_events row with its reason; cur_no follows;
#  * a hand-scaled service: cur_no follows (synced); outside the bounds:
#    the nearest bound;
#  * --dry-run records the decision as a dry run and leaves the service;
#  * one InfluxDB query per distinct (cond_item, duration), not per policy;
#  * not only cpu_ratio: a memory policy (mem_ratio, percent) and a rate
#    policy (net_write_rate, bytes/s) scale their services out too, with
#    the observed mean and threshold in their metric's unit;
#  * every `das run --once` of the scenario exits 0.
# Metrics are synthetic points written like ds writes them (measurement
# docker, tags service/container/service_name) for the service's real
# containers, once a second, so 10 s windows with --ds-interval 1s make the
# test take about two minutes.
. "$(dirname "$0")/lib.sh"
need_bin "$bin_das"
tb_up

LOG=$TB_TMP/das.log
LOAD=$TB_TMP/load

DAS_RUNS=0
# das_once [ARGS]: one `das run --once`; anything but exit 0 fails the test
das_once() {
  local rc=0
  "$bin_das" run --once --ds-interval 1s "$@" >>"$LOG" 2>&1 || rc=$?
  ((rc == 0)) || fail "das run --once $* exited $rc: $(tail -n 5 "$LOG")"
  DAS_RUNS=$((DAS_RUNS + 1))
}
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$1"; }
cur_no() { psql_doc "select coalesce(cast(cur_no as text), 'null') from das where seq = $1"; }
# status_field SEQ FIELD: what `das status --json` shows for a policy
status_field() {
  "$bin_das" status --json --ds-interval 1s 2>/dev/null |
    python3 -c 'import json, sys
d = json.load(sys.stdin)
print(next(p[sys.argv[2]] for p in d["policies"] if p["seq"] == int(sys.argv[1])))' "$1" "$2"
}
outcome() { status_field "$1" outcome; }
outcome_is() { [[ "$(outcome "$1")" == "$2" ]]; }

# run_until SECS MAX MIN SERVICE CONDITION...: das run --once every second
# until CONDITION holds; every replica count seen must stay in [MIN, MAX].
run_until() {
  local limit=$1 max=$2 min=$3 svc=$4 deadline r
  shift 4
  deadline=$((SECONDS + limit))
  while :; do
    das_once
    r=$(replicas "$svc")
    ((r <= max)) || fail "$svc has $r replicas, above max_no $max"
    ((r >= min)) || fail "$svc has $r replicas, below min_no $min"
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}
replicas_is() { [[ "$(replicas "$1")" == "$2" ]]; }

echo 0 >"$LOAD"
dk service create --detach --name web --replicas 1 "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
dk service create --detach --name api --replicas 1 "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
dk service create --detach --name memsvc --replicas 1 "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
dk service create --detach --name netsvc --replicas 1 "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
WEB=$(dk service inspect -f '{{.ID}}' web)
API=$(dk service inspect -f '{{.ID}}' api)
MEM=$(dk service inspect -f '{{.ID}}' memsvc)
NET=$(dk service inspect -f '{{.ID}}' netsvc)

# the first cycle creates the tables
das_once
assert_eq "$(psql_doc "select count(*) from das")" 0 "das creates its tables"
psql_doc "insert into das (seq, min_no, max_no, cur_no, cond_item, out_cond,
  in_cond, out_duration, in_duration, service_id) values
  (1, 1, 3, null, 'cpu_ratio', '70%', '20%', '10s', '10s', 'web'),
  (2, 1, 2, null, 'cpu_ratio', '70', '20', '10s', '10s', '${API:0:6}')" >/dev/null
# web's policy takes the seed's literal +1/-1 (scale_mode step, the column
# das added to the table); api's keeps the default (auto)
psql_doc "update das set scale_mode = 'step' where seq = 1" >/dev/null
assert_eq "$(psql_doc "select coalesce(scale_mode, 'null') from das order by seq" | tr '\n' ' ')" \
  "step null " "das added the optional column scale_mode; the seed's SQL leaves it NULL"

# --- one query per distinct (cond_item, duration) -------------------------
q=$("$bin_das" status --json --ds-interval 1s |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["influx_queries"])')
assert_eq "$q" 1 "two policies on (cpu_ratio, 10s): one InfluxDB query"

# --- a memory and a rate policy ----------------------------------------------
# mem_ratio 80% > 60%, net_write_rate 2 MiB/s > 1 MiB/s: each goes 1 → 2
# (max_no) while web's scenario runs.
psql_doc "insert into das (seq, min_no, max_no, cur_no, cond_item, out_cond,
  in_cond, out_duration, in_duration, service_id) values
  (3, 1, 2, null, 'mem_ratio', '60%', '10%', '10s', '10s', 'memsvc'),
  (4, 1, 2, null, 'net_write_rate', '1MiB/s', '10KiB/s', '10s', '10s', 'netsvc')" >/dev/null
echo 80 >"$TB_TMP/mem_load"
echo 2097152 >"$TB_TMP/net_load"
bg_run "$TB_TMP/feed-mem.log" feed "$MEM" memsvc mem_ratio "$TB_TMP/mem_load"
bg_run "$TB_TMP/feed-net.log" feed "$NET" netsvc net_write_rate "$TB_TMP/net_load"

# --- no data yet: nothing moves, cur_no follows the service ----------------
das_once
assert_eq "$(replicas web)" 1 "no metrics: web unchanged"
assert_eq "$(cur_no 1)" 1 "cur_no follows the service (was empty)"
assert_eq "$(psql_doc "select count(*) from das_events where seq = 1 and action = 'synced'")" 1 \
  "the sync has an event row"
# the cycle's events are recorded together (one INSERT, one InfluxDB write):
# each of the four policies' syncs is there, once, in both
assert_eq "$(psql_doc "select string_agg(cast(seq as text), ' ' order by seq) from das_events where action = 'synced'")" \
  "1 2 3 4" "one cycle, four syncs: a row each"
n=$(influx_q "select count(\"to\") from das where action = 'synced'" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["results"][0]["series"][0]["values"][0][1])')
assert_eq "$n" 4 "and a point each in InfluxDB's das measurement"

# --- scale out, one step per covered window, up to max_no ------------------
echo 90 >"$LOAD"
bg_run "$TB_TMP/feed.log" feed "$WEB" web
run_until 150 3 1 web replicas_is web 3 || fail "web did not reach max_no 3"
ok "load 90% > 70%: web scaled out to max_no 3"
run_until 60 3 1 web outcome_is 1 at-max || fail "status does not say at-max"
assert_eq "$(replicas web)" 3 "at max_no: web stays at 3"
ev=$(psql_doc "select from_no || '>' || to_no from das_events
  where seq = 1 and action = 'scale-out' and not dry_run order by time_ms")
assert_eq "$(echo $ev)" "1>2 2>3" "scale-out events: one step each"
reason=$(psql_doc "select reason from das_events where seq = 1 and action = 'scale-out' order by time_ms limit 1")
assert_contains "$reason" "mean cpu_ratio 90.0% > 70% over 10s: 1" "the event says why"
gap=$(psql_doc "select max(time_ms) - min(time_ms) from das_events where seq = 1 and action = 'scale-out'")
assert_ge "$gap" 10000 "the second step waited for a whole window after the first"
assert_eq "$(cur_no 1)" 3 "cur_no = 3"
obs=$(psql_doc "select observed || ' ' || threshold || ' ' || window_ms || ' ' || metric from das_events
  where seq = 1 and action = 'scale-out' order by time_ms limit 1")
assert_eq "$obs" "90 70 10000 cpu_ratio" "event row: observed, threshold, window, metric"
n=$(influx_q "select count(\"to\") from das where action = 'scale-out' and seq = '1'" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["results"][0]["series"][0]["values"][0][1])')
assert_eq "$n" 2 "decisions also in InfluxDB measurement das"

# --- the memory and the rate policy scaled out too ---------------------------
run_until 60 2 1 memsvc replicas_is memsvc 2 || fail "memsvc (mem_ratio 80% > 60%) did not scale out to 2"
run_until 60 2 1 netsvc replicas_is netsvc 2 || fail "netsvc (net_write_rate 2MiB/s > 1MiB/s) did not scale out to 2"
assert_eq "$(psql_doc "select from_no || '>' || to_no || ' ' || metric || ' ' || observed || ' ' || threshold || ' ' || window_ms
  from das_events where seq = 3 and action = 'scale-out' and not dry_run order by time_ms")" \
  "1>2 mem_ratio 80 60 10000" "memsvc: one scale-out event, mem_ratio 80 observed vs 60"
assert_eq "$(psql_doc "select from_no || '>' || to_no || ' ' || metric || ' ' || observed || ' ' || threshold || ' ' || window_ms
  from das_events where seq = 4 and action = 'scale-out' and not dry_run order by time_ms")" \
  "1>2 net_write_rate 2097152 1048576 10000" "netsvc: one scale-out event, net_write_rate 2097152 B/s observed vs 1048576"
assert_contains "$(psql_doc "select reason from das_events where seq = 4 and action = 'scale-out'")" \
  "mean net_write_rate" "the rate event says why"
assert_eq "$(cur_no 3) $(cur_no 4)" "2 2" "cur_no follows for the memory and the rate policy"

# --- scale in, down to min_no ----------------------------------------------
echo 5 >"$LOAD"
run_until 150 3 1 web replicas_is web 1 || fail "web did not reach min_no 1"
ok "load 5% < 20%: web scaled in to min_no 1"
run_until 60 3 1 web outcome_is 1 at-min || fail "status does not say at-min"
assert_eq "$(replicas web)" 1 "at min_no: web stays at 1"
ev=$(psql_doc "select from_no || '>' || to_no from das_events
  where seq = 1 and action = 'scale-in' and not dry_run order by time_ms")
assert_eq "$(echo $ev)" "3>2 2>1" "scale-in events: one step each"
assert_eq "$(cur_no 1)" 1 "cur_no = 1"

# --- scaled by hand: cur_no follows ----------------------------------------
dk service scale --detach web=2 >/dev/null 2>&1
# das status alone (no das run has synced cur_no yet): the windows start at
# the hand scale, the service's UpdatedAt, in every call; not at each
# call's "now" (then a status beside a dry run said settling for ever)
upd_ms=$(date -d "$(dk service inspect -f '{{json .UpdatedAt}}' web | tr -d '"')" +%s%3N)
la1=$(status_field 1 last_action_ms)
sleep 2
la2=$(status_field 1 last_action_ms)
assert_eq "$la1" "$upd_ms" "status before any sync: the windows start at the hand scale (UpdatedAt)"
assert_eq "$la2" "$upd_ms" "status 2 s later: still at the hand scale, not at its own now"
das_once
assert_eq "$(cur_no 1)" 2 "hand-scaled to 2: cur_no follows"
assert_eq "$(psql_doc "select from_no || '>' || to_no from das_events
  where seq = 1 and action = 'synced' order by time_ms desc limit 1")" "1>2" "synced event 1>2"
assert_eq "$(replicas web)" 2 "right after a hand scale: no action (settling)"

# --- outside the bounds: the nearest bound ---------------------------------
dk service scale --detach web=4 >/dev/null 2>&1
das_once
assert_eq "$(replicas web)" 3 "4 replicas > max_no 3: brought to 3"
assert_eq "$(psql_doc "select from_no || '>' || to_no || ' ' || reason from das_events
  where seq = 1 and action = 'bound' order by time_ms desc limit 1")" \
  "4>3 4 replicas above max_no 3: 4 → 3" "bound event with its reason"
assert_eq "$(cur_no 1)" 3 "cur_no = 3"
dk service scale --detach web=0 >/dev/null 2>&1
das_once
assert_eq "$(replicas web)" 1 "0 replicas < min_no 1: brought to 1"
assert_eq "$(cur_no 1)" 1 "cur_no = 1"

# --- dry run: recorded, nothing changed ------------------------------------
echo 90 >"$LOAD"
wait_until 60 outcome_is 1 scale-out || fail "status never proposed scale-out"
ok "status proposes scale-out"
das_once --dry-run
assert_eq "$(replicas web)" 1 "--dry-run: web unchanged"
assert_eq "$(cur_no 1)" 1 "--dry-run: cur_no unchanged"
assert_eq "$(psql_doc "select action || ' ' || from_no || '>' || to_no || ' ' ||
  case when dry_run then 'dry-run' else 'real' end from das_events
  where seq = 1 order by time_ms desc limit 1")" "scale-out 1>2 dry-run" "--dry-run: event recorded as dry run"
assert_contains "$(cat "$LOG")" 'msg="dry run: would act" seq=1' "--dry-run: logged as a dry run"
# a real run afterwards acts (dry runs don't count as actions)
das_once
assert_eq "$(replicas web)" 2 "a real run after the dry run scales out"

# --- every das run of the scenario exited 0 ----------------------------------
assert_ge "$DAS_RUNS" 20 "$DAS_RUNS runs of das run --once, each exited 0"

# --- the second policy: never fed, never moved ----------------------------
assert_eq "$(replicas api)" 1 "api (no metrics) unchanged"
assert_eq "$(psql_doc "select count(*) from das_events where seq = 2 and action <> 'synced'")" 0 \
  "api: no scaling events"

finish
