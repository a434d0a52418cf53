#!/usr/bin/env bash
# The inputs of das's default rule (scale_mode auto) on a real swarm, with
# `das run --listen` live and synthetic points written as ds writes them:
#  * the service's CPU limit (its spec's NanoCPUs) is where a replica is
#    saturated: a replica pinned at its 0.5-core limit makes das bet on
#    enough replicas for that load at in_cond, at most 4x (1 → 4), and says
#    so; once the load is known to fit fewer (4 × 20%), the bet is
#    returned (4 → 3), no sooner than 2 in_durations after it; a load
#    that falls to 3 × 12% (above in_cond 10%) is kept in band mode and
#    trimmed in auto (3 → 2);
#  * warm-up: containers whose task started less than `warmup` ago are
#    left out of the means (GET /tasks): with warmup 1h no point counts and
#    nothing moves; with warmup 0s the same load scales out, sized to it;
#  * capacity-bound: tasks pending because no node can run them block
#    scale-out; status, das_events (one row when it starts) and /metrics
#    say so; the replicas stay as they are;
#  * points another collector wrote with the full 64-hex container id count
#    (as the short id ds writes); series das cannot use (a container tag
#    that is no id, then also a service tag too long) are counted in
#    /metrics and said in the log, not dropped in silence.
. "$(dirname "$0")/lib.sh"
need_bin "$bin_das"
tb_up

port=$(free_port)
LOG=$TB_TMP/das.log
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$1"; }
replicas_is() { [[ "$(replicas "$1")" == "$2" ]]; }
pol() { # SEQ FIELD: a field of the policy in das status --json
  "$bin_das" status --json --ds-interval 1s 2>/dev/null |
    python3 -c 'import json, sys
d = json.load(sys.stdin)
p = next(p for p in d["policies"] if p["seq"] == int(sys.argv[1]))
v = p
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("null" if v is None else v)' "$1" "$2"
}
pol_is() { [[ "$(pol "$1" "$2")" == "$3" ]]; }

# three services, one replica each (cap: three wanted, one node allows one)
dk service create --detach --name lim --replicas 1 --limit-cpu 0.5 "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
dk service create --detach --name young --replicas 1 "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
dk service create --detach --name cap --replicas 3 --replicas-max-per-node 1 "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
LIM=$(dk service inspect -f '{{.ID}}' lim)
YOUNG=$(dk service inspect -f '{{.ID}}' young)
CAP=$(dk service inspect -f '{{.ID}}' cap)
running_of() { [[ $(dk ps -q --filter "label=com.docker.swarm.service.id=$1" | wc -l) -eq $2 ]]; }
wait_until 60 running_of "$LIM" 1 || fail "lim did not start"
wait_until 60 running_of "$YOUNG" 1 || fail "young did not start"
wait_until 60 running_of "$CAP" 1 || fail "cap's one allowed task did not start"

P=(--item cpu_ratio --out 70% --in 20% --out-for 10s --in-for 10s)
# lim: cpu_ratio is % of one core, so with a 0.5-core limit out_cond must
# sit below 50%
"$bin_das" policy add lim --seq 1 --min 1 --max 6 --item cpu_ratio --out 30% \
  --in 10% --out-for 10s --in-for 10s --warmup 0s >/dev/null
"$bin_das" policy add young --seq 2 --min 1 --max 6 "${P[@]}" --warmup 1h >/dev/null
"$bin_das" policy add cap --seq 3 --min 1 --max 6 "${P[@]}" --warmup 0s >/dev/null
echo 50 >"$TB_TMP/lim_load"   # the whole 0.5-core limit
echo 90 >"$TB_TMP/young_load" # no limit: 90% of one core
echo 90 >"$TB_TMP/cap_load"
bg_run "$TB_TMP/feed-lim.log" feed "$LIM" lim cpu_ratio "$TB_TMP/lim_load"
bg_run "$TB_TMP/feed-young.log" feed "$YOUNG" young cpu_ratio "$TB_TMP/young_load"
bg_run "$TB_TMP/feed-cap.log" feed "$CAP" cap cpu_ratio "$TB_TMP/cap_load"
bg_run "$LOG" "$bin_das" run --interval 1s --ds-interval 1s --listen "127.0.0.1:$port"

# --- the CPU limit: saturation at 0.5 core ----------------------------------
wait_until 90 replicas_is lim 4 || fail "lim did not scale out to 4: $(tail -3 "$LOG")"
ev=$(psql_doc "select from_no || '>' || to_no || ' ' || reason from das_events
  where seq = 1 and action = 'scale-out' order by time_ms limit 1")
assert_contains "$ev" "1>4 " "pinned at its limit: 1 → 4 (1 × 50% at in_cond 10% is 5: at most 4x)"
assert_contains "$ev" "latest 50.0% at the limit (load unknown above it): enough for 1 at 10%, at most 4x: 1 → 4" \
  "the reason names the limit das read from the service's spec"
# the bet returned: the load behind the limit turns out to be 4 × 20% = 80%
# of a core (between in_cond and out_cond: no scale-in by in_cond), which
# fits 3 at 30% / 1.1; returned no sooner than 2 in_durations (20 s) after
# the bet, as the store's record of it says it was one (20% per replica is
# above in_cond 10%: the load did not go away, so no early return)
echo 20 >"$TB_TMP/lim_load"
wait_until 90 replicas_is lim 3 || fail "lim's bet was not returned (4 → 3): $(pol 1 outcome): $(pol 1 reason)"
ev=$(psql_doc "select from_no || '>' || to_no || ' ' || reason from das_events
  where seq = 1 and action = 'scale-in'")
assert_eq "$ev" "4>3 bet returned: the last scale-out went past the load seen; mean cpu_ratio 20.0% over 10s, load 80.0% fits 3 at 27.3%: 4 → 3" \
  "the bet returned once the load was known: 4 → 3"
gap=$(psql_doc "select max(time_ms) - min(time_ms) from das_events where seq = 1 and action in ('scale-out', 'scale-in')")
assert_ge "$gap" 20000 "returned ${gap} ms after the bet: no sooner than 2 in_durations"

# --- the trim, and band mode without it --------------------------------------
# 3 × 12% = 36% of a core: above in_cond 10%, but it fits 2 at 30% / 1.1.
# In band mode the replicas stay (steady); in auto das trims 3 → 2.
psql_doc "update das set scale_mode = 'band' where seq = 1" >/dev/null
echo 12 >"$TB_TMP/lim_load"
band_steady() { pol_is 1 outcome steady && [[ "$(pol 1 reason)" == "mean cpu_ratio 12.0% ≤ 30% over 10s and 12.0% ≥ 10% over 10s: steady at 3" ]]; }
wait_until 60 band_steady || fail "band: lim not steady at 3 on 3 × 12%: $(pol 1 outcome): $(pol 1 reason)"
assert_eq "$(replicas lim)" 3 "band: 3 × 12% (above in_cond 10%) keeps 3 replicas"
psql_doc "update das set scale_mode = null where seq = 1" >/dev/null
wait_until 60 replicas_is lim 2 || fail "auto: lim was not trimmed (3 → 2): $(pol 1 outcome): $(pol 1 reason)"
ev=$(psql_doc "select from_no || '>' || to_no || ' ' || reason from das_events
  where seq = 1 and action = 'scale-in' order by time_ms desc limit 1")
assert_eq "$ev" "3>2 trim: mean cpu_ratio 12.0% ≥ 10% over 10s, but its peak load 36.0% fits 2 at 27.3%: 3 → 2" \
  "auto trims a load that fell but stays above in_cond: 3 → 2"
# das events prints a derived threshold (out_cond / 1.1) as people read it
evs=$("$bin_das" events --service lim)
assert_contains "$evs" " 27.3% " "das events: the trim's threshold 30% / 1.1 reads 27.3%"
[[ "$evs" != *27.2727* ]] || fail "das events printed a derived threshold in full precision: $evs"

# --- warm-up -------------------------------------------------------------------
# a whole 10 s window of points from young's container in InfluxDB
young_points() {
  local n
  n=$(influx_q "select count(cpu_ratio) from docker where service = '$YOUNG' and time > now() - 10s" |
    python3 -c 'import json, sys
s = json.load(sys.stdin)["results"][0].get("series")
print(s[0]["values"][0][1] if s else 0)')
  ((n >= 9))
}
wait_until 60 young_points || fail "young's points did not arrive"
assert_eq "$(pol 2 warming)" 1 "young: its one replica is left out, warming up (started < 1h ago)"
assert_eq "$(pol 2 outcome)" insufficient-data "no point counts: insufficient data"
assert_eq "$(replicas young)" 1 "young: load 90% > 70%, but warming: nothing moves"
psql_doc "update das set warmup = '0s' where seq = 2" >/dev/null
wait_until 60 replicas_is young 2 || fail "young did not scale out once warmed up: $(pol 2 reason)"
ok "warmup 0s: young's point counts; 90% on one replica needs 2 at 70%: 1 → 2"
assert_eq "$(psql_doc "select from_no || '>' || to_no from das_events where seq = 2 and action = 'scale-out'")" \
  "1>2" "young: one scale-out event, 1 → 2"

# --- capacity-bound -----------------------------------------------------------
wait_until 60 pol_is 3 outcome capacity-bound || fail "cap never capacity-bound: $(pol 3 outcome) $(pol 3 reason)"
assert_eq "$(pol 3 tasks_running)" 1 "cap: one task running"
assert_eq "$(pol 3 tasks_pending)" 2 "cap: two tasks pending"
why=$(pol 3 pending_why)
assert_contains "$why" "max replicas per node" "status says why they wait (Docker's words): $why"
reason=$(pol 3 reason)
assert_contains "$reason" "capacity-bound: 2 of 3 tasks pending: " "the reason: $reason"
assert_contains "$reason" "no replicas added" "and that none are added"
assert_contains "$("$bin_das" status --ds-interval 1s)" "3/1/6 (2 pending)" "das status shows the pending tasks"
sleep 5
assert_eq "$(replicas cap)" 3 "cap: still 3 replicas (more could not run)"
assert_eq "$(psql_doc "select count(*) from das_events where seq = 3 and action = 'capacity-bound'")" 1 \
  "one capacity-bound event when it started, not one per cycle"
assert_eq "$(psql_doc "select count(*) from das_events where seq = 3 and action in ('scale-out', 'scale-in')")" 0 \
  "no scale action on cap"
metrics=$(curl -s --noproxy '*' "http://127.0.0.1:$port/metrics")
assert_contains "$metrics" 'das_policy_outcomes{outcome="capacity-bound"} 1' "/metrics counts the capacity-bound policy"
assert_contains "$(cat "$LOG")" 'msg="capacity-bound: replicas wanted, but tasks are pending" seq=3' \
  "das run warns when it starts"
# the events view names it too
assert_contains "$("$bin_das" events --service cap)" "capacity-bound" "das events lists it"

# --- full container ids; series das cannot use --------------------------------
dk service create --detach --name full --replicas 1 "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
FULL=$(dk service inspect -f '{{.ID}}' full)
wait_until 60 running_of "$FULL" 1 || fail "full did not start"
"$bin_das" policy add full --seq 4 --min 1 --max 2 "${P[@]}" --warmup 0s >/dev/null
LONG=$(printf 's%.0s' {1..70})
# named: its points carry a task name as the container tag (neither a short
# nor a 64-hex id): present, but unusable, and its policy must say so
dk service create --detach --name named --replicas 1 "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
NAMED=$(dk service inspect -f '{{.ID}}' named)
"$bin_das" policy add named --seq 5 --min 1 --max 2 "${P[@]}" --warmup 0s >/dev/null
feed_full() { # like ds, but tagged with the full 64-hex id, and two bad series
  local c ts body
  trap - ERR
  set +e
  while :; do
    ts=$(date +%s%N)
    body=
    for c in $(dk ps -q --no-trunc --filter "label=com.docker.swarm.service.id=$FULL"); do
      body+="docker,container=$c,service=$FULL,service_name=full cpu_ratio=90 $ts"$'\n'
    done
    [[ -e "$TB_TMP/feed_long" ]] && body+="docker,container=abc,service=$LONG cpu_ratio=90 $ts"$'\n'
    body+="docker,container=named.1.x0y1z2w3v4u5t6s7,service=$NAMED cpu_ratio=90 $ts"$'\n'
    curl -s -o /dev/null --max-time 5 -XPOST "$DAS_INFLUX_URL/write?db=$DAS_INFLUX_DB" --data-binary "$body"
    sleep 1
  done
}
bg_run "$TB_TMP/feed-full.log" feed_full
wait_until 60 replicas_is full 2 || fail "full (points tagged with full ids) did not scale out: $(pol 4 reason)"
ok "points tagged with the full 64-hex container id count: full 1 → 2"
metric() { # NAME: a value of das run's /metrics
  curl -s --noproxy '*' "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
unusable() { ((${1:-0} < $(metric das_influx_series_unusable_total))); }
wait_until 30 unusable 0 || fail "/metrics does not count the unusable series"
named_says() { [[ "$(pol 5 reason)" == *"present but unusable: container tag neither a short id"* ]]; }
wait_until 30 named_says || fail "das status does not say named's data was present but unusable: $(pol 5 reason)"
ok "das status names the cause for named: $(pol 5 reason)"
assert_eq "$(dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' named)" 1 "and named, at 90% but unusable, was not scaled"
# the log's count of unusable series per cycle: named's alone so far
WARN='msg="InfluxDB returned series das cannot use'
per_cycle() { grep "$WARN" "$LOG" | tail -n1 | sed -n 's/.* series=\([0-9]*\).*/\1/p'; }
wait_until 30 grep -q "$WARN" "$LOG" || fail "das run does not say it got series it cannot use: $(tail -3 "$LOG")"
N1=$(per_cycle)
assert_ge "${N1:-0}" 1 "das run says so in its log (series=$N1 per cycle: named's)"
# then a series whose service tag is too long for das's keys: one more per
# cycle, and counted in /metrics
touch "$TB_TMP/feed_long"
long_counted() { (($(per_cycle) > N1)); }
wait_until 30 long_counted || fail "the series with a service tag too long is not counted: $(grep "$WARN" "$LOG" | tail -2)"
N2=$(per_cycle)
ok "/metrics counts the series with a service tag too long: series per cycle $N1 → $N2 in the log, $(metric das_influx_series_unusable_total) in all"
# said when the number changes, not every cycle: two lines after 3 more cycles
c0=$(metric das_cycles_total)
cycles_past() { (($(metric das_cycles_total) >= c0 + 3)); }
wait_until 30 cycles_past || fail "das run ran no more cycles ($c0)"
assert_eq "$(grep -c "$WARN" "$LOG")" 2 "once per change of the count ($N1, then $N2), not every cycle"
finish
