#!/usr/bin/env bash
# das run does no harm when things are missing or wrong (docs/design.md §3, §4),
# against a real dockerd in swarm mode, influxd and PostgreSQL:
#  * no metrics at all: no change, and `das status` says data is missing;
#  * bad policy rows are each reported with seq and column and skipped,
#    while a good row in the same table is still decided;
#  * hostile service_id values are refused: no query altered, table intact;
#  * the policy store stopped under a running daemon: no action, clear logs;
#    started again: das recovers without a restart;
#  * InfluxDB stopped: no action; SIGTERM: exit 0;
#  * on a manager that is not the swarm leader das stands by.
# Metrics are synthetic points written like ds writes them, once a second,
# with 10 s windows and --ds-interval 1s.
. "$(dirname "$0")/lib.sh"
need_bin "$bin_das"
tb_up --engines 2 --managers 2

LOG=$TB_TMP/das.log
LOAD=$TB_TMP/load

das_once() {
  "$bin_das" run --once --ds-interval 1s "$@" >>"$LOG" 2>&1
}
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$1"; }
# status exits 1 while a dependency is down; the JSON is printed all the same
status_json() { "$bin_das" status --json --ds-interval 1s 2>/dev/null || true; }
# pol SEQ FIELD: a field of one policy in `das status --json`
pol() {
  status_json | python3 -c 'import json, sys
d = json.load(sys.stdin)
p = next(p for p in d["policies"] if p["seq"] == int(sys.argv[1]))
v = p
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print(v)' "$1" "$2"
}
outcome_is() { [[ "$(pol "$1" outcome)" == "$2" ]]; }
replicas_is() { [[ "$(replicas "$1")" == "$2" ]]; }

echo 90 >"$LOAD"
# tasks on engine 1, whose containers the feeder sees
ON1=(--constraint "node.id==$TESTBED_ENGINE_1_NODE_ID")
dk service create --detach --name quiet --replicas 1 "${ON1[@]}" "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
dk service create --detach --name busy --replicas 1 "${ON1[@]}" "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
BUSY=$(dk service inspect -f '{{.ID}}' busy)
das_once # creates the tables

# --- bad rows, hostile rows and a good one, in one table --------------------
psql_doc "insert into das (seq, min_no, max_no, cur_no, cond_item, out_cond,
  in_cond, out_duration, in_duration, service_id) values
  (1, 1, 3, null, 'cpu_ratio', '70%', '20%', '10s', '10s', 'quiet'),
  (2, 1, 4, null, 'cpu_ratio', '70%', '20%', '10s', '10s', 'busy'),
  (10, 1, 3, null, 'cpu_ratio', '70%', '20%', '10', '10s', 'quiet'),
  (11, 1, 3, null, 'cpu_ratio', 'abc%', '20%', '10s', '10s', 'quiet'),
  (12, 3, 1, null, 'cpu_ratio', '70%', '20%', '10s', '10s', 'quiet'),
  (13, 1, 3, null, 'cpu_ratio', '70%', '70%', '10s', '10s', 'quiet'),
  (14, 1, 3, null, 'cpu_load', '70%', '20%', '10s', '10s', 'quiet'),
  (15, 1, 3, null, 'cpu_ratio', '70%', '20%', '10s', '10s', null),
  (16, 1, 3, null, 'cpu_ratio', '70%', '20%', '10s', '10s', 'nosuchservice'),
  (20, 1, 3, null, 'cpu_ratio', '70%', '20%', '10s', '10s', 'x'' or ''1''=''1'),
  (21, 1, 3, null, 'cpu_ratio', '70%', '20%', '10s', '10s', 'a or service =~ /.*/'),
  (22, 1, 3, null, 'cpu_ratio', '70%', '20%', '10s', '10s', E'web\nbusy')" >/dev/null
psql_doc "create table das_before as select * from das where seq >= 10" >/dev/null

# --- a manager that is not the leader stands by -----------------------------
"$bin_das" run --once --ds-interval 1s --docker-host "$TESTBED_ENGINE_2_HOST" \
  >"$TB_TMP/standby.log" 2>&1
assert_contains "$(cat "$TB_TMP/standby.log")" 'msg="standby: this engine is not the swarm leader"' \
  "engine 2 (a manager, not the leader): das stands by"
assert_eq "$(psql_doc "select count(*) from das_events")" 0 "standby: no event, not even a sync"
assert_eq "$(psql_doc "select count(*) from das where cur_no is not null")" 0 "standby: cur_no untouched"

# --- no metrics at all: nothing moves ---------------------------------------
for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
  das_once
  sleep 1
done
assert_eq "$(replicas quiet)" 1 "quiet, no metrics for longer than a window: unchanged"
assert_eq "$(replicas busy)" 1 "busy, no metrics: unchanged"
assert_eq "$(psql_doc "select count(*) from das_events where action <> 'synced'")" 0 \
  "no metrics: no scaling event"
assert_eq "$(pol 1 outcome)" insufficient-data "status: quiet has insufficient data"
assert_contains "$(pol 1 reason)" "no points in 10s" "status says the data is missing"
table=$("$bin_das" status --ds-interval 1s)
assert_contains "$table" "no points in 10s" "the status table says the data is missing"

# --- bad rows: each reported with seq and column, skipped --------------------
log=$(cat "$LOG")
for want in 'seq=10 error="policy seq=10: out_duration \"10\": a bare number is not a duration' \
  'seq=11 error="policy seq=11: out_cond \"abc%\"' \
  'seq=12 error="policy seq=12: min_no 3 is above max_no 1' \
  'seq=13 error="policy seq=13: in_cond' \
  'seq=14 error="policy seq=14: cond_item \"cpu_load\": unknown metric' \
  'seq=15 error="policy seq=15: service_id is NULL' \
  "seq=20 error=\"policy seq=20: service_id \\\"x' or '1'='1\\\"" \
  'seq=21 error="policy seq=21: service_id \"a or service =~ /.*/\"' \
  'seq=22 error="policy seq=22: service_id \"web\\nbusy\"'; do
  assert_contains "$log" "$want" "logged: ${want%% error=*}"
done
for s in 10 11 12 13 14 15 20 21 22; do
  assert_eq "$(pol $s outcome)" invalid-row "status: seq $s shown as invalid"
done
assert_contains "$(pol 13 error)" "in_cond" "status: seq 13 names its column"
assert_contains "$table" "policy seq=22: service_id \"web\\nbusy\"" \
  "status table shows the newline escaped"
assert_eq "$(pol 16 outcome)" service-not-found "a missing service is reported"
assert_eq "$(psql_doc "select count(*) from das_events where seq >= 10")" 0 \
  "no event for any bad row"

# --- hostile values changed nothing -----------------------------------------
assert_eq "$(psql_doc "select count(*) from das")" 12 "policy table intact: 12 rows"
assert_eq "$(psql_doc "select * from das where seq >= 10 order by seq")" \
  "$(psql_doc "select * from das_before order by seq")" \
  "bad and hostile rows unchanged"
assert_eq "$(psql_doc "select service_id from das where seq = 20")" "x' or '1'='1" "hostile row kept as written"
# influxd logs every query it runs: none carries a hostile value
n=$(grep -c "Executing query" "$TESTBED_INFLUX_LOG" || true)
assert_gt "$n" 0 "influxd logs the queries das sent"
n=$(grep "Executing query" "$TESTBED_INFLUX_LOG" | grep -c -e "1'='1" -e '=~' -e 'busy' || true)
assert_eq "$n" 0 "no InfluxDB query carries a hostile value or a per-policy filter"
assert_eq "$(influx_q "show databases" | grep -c '"docker"')" 1 "InfluxDB database intact"
assert_eq "$(dk service ls -q | wc -l)" 2 "services unchanged"

# --- the good row in the same table is decided ------------------------------
bg_run "$TB_TMP/feed.log" feed "$BUSY" busy
deadline=$((SECONDS + 120))
until replicas_is busy 2; do
  ((SECONDS < deadline)) || fail "busy was not scaled out next to the bad rows"
  das_once
  sleep 1
done
ok "a good row next to bad ones is decided: busy 1 → 2"
assert_eq "$(replicas quiet)" 1 "quiet still unchanged"

# --- the policy store stops under a running daemon --------------------------
DLOG=$TB_TMP/daemon.log
bg_run "$DLOG" "$bin_das" run --interval 1s --ds-interval 1s
DPID=$BG_PID
wait_until 30 grep -q 'acting: this engine is the swarm leader' "$DLOG" ||
  fail "the daemon did not start acting"
testbed pg-stop >/dev/null
wait_until 30 grep -q 'msg="unavailable: no action until it answers" dependency=policy_store' "$DLOG" ||
  fail "no log line says the store is unavailable"
ok "store stopped: logged as unavailable"
r0=$(replicas busy)
assert_lt "$r0" 4 "busy below max_no when the store stopped"
ev_before=$(grep -c 'msg="acted"' "$DLOG" || true)
sleep 15 # longer than a window: load 90% would scale busy out
assert_eq "$(replicas busy)" "$r0" "store down for a window: no action"
assert_eq "$(grep -c 'msg="acted"' "$DLOG" || true)" "$ev_before" "store down: nothing acted"
# logged when it starts and when its text changes (the server going away,
# then refusing connections), not once a cycle
n=$(grep -c 'dependency=policy_store' "$DLOG")
grep 'dependency=policy_store' "$DLOG" | cut -c1-220
assert_le "$n" 3 "the outage is logged when it starts and changes, not every cycle"
pid_alive "$DPID" || fail "das run died while the store was down"
ok "das run keeps running while the store is down"
rc=0
"$bin_das" status --ds-interval 1s >"$TB_TMP/status.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "status exits 1 while the store is down"
assert_contains "$(cat "$TB_TMP/status.out")" "policy store: UNAVAILABLE" "status says the store is down"

testbed pg-start >/dev/null
wait_until 30 grep -q 'msg="available again" dependency=policy_store' "$DLOG" ||
  fail "das did not log the store's recovery"
ok "store back: das logs the recovery"
busy_above() { (($(replicas busy) > $1)); }
wait_until 60 busy_above "$r0" || fail "das did not act again after the store came back"
ok "store back: das acts again without a restart (busy above $r0)"

# --- SIGTERM: exit 0 --------------------------------------------------------
kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
assert_eq "$rc" 0 "SIGTERM: das run exits 0"
assert_contains "$(cat "$DLOG")" 'msg="stopping on signal"' "SIGTERM is logged"
n=$(grep -c 'msg="policy row skipped" seq=10 ' "$DLOG")
assert_eq "$n" 1 "the daemon logs a bad row once, not every cycle"

# --- InfluxDB stopped: no action --------------------------------------------
echo 5 >"$LOAD" # busy would scale in once its windows cover
testbed influx-stop >/dev/null
r0=$(replicas busy)
codes=
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
  rc=0
  das_once || rc=$?
  codes+=$rc
  sleep 1
done
assert_eq "$codes" 111111111111111 "InfluxDB down: every das run --once exits 1"
assert_eq "$(replicas busy)" "$r0" "InfluxDB down for a window: no action"
assert_contains "$(cat "$LOG")" 'dependency=influxdb' "the log names InfluxDB"
assert_eq "$(pol 2 outcome)" metrics-unavailable "status: metrics unavailable"
testbed influx-start >/dev/null
wait_until 60 das_once || fail "das run --once does not succeed after InfluxDB is back"
ok "InfluxDB back: das run --once succeeds"

# --- bad configuration: exit 2 with a message -------------------------------
rc=0
"$bin_das" run --once --interval 10 >"$TB_TMP/bad.out" 2>&1 || rc=$?
assert_eq "$rc" 2 "--interval 10 (bare number): exit 2"
assert_contains "$(cat "$TB_TMP/bad.out")" "--interval" "the message names the flag"

finish
