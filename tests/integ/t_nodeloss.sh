#!/usr/bin/env bash
# Node loss (docs/design.md §4 rule 6: missing data never scales anything), on a
# real swarm of one manager and two workers, a real influxd and PostgreSQL:
#  * web runs 3 replicas on the workers, 2 on one and 1 on the other, each
#    at about 10% CPU, under a policy with in_cond 5% in band mode (auto's
#    trim would scale a load that fits one replica in): steady. Were the
#    lost worker's replicas counted as 0% (missing data read as low load),
#    the mean would be about 3.3% and das would scale in;
#  * the worker with two replicas stops its engine: their data goes stale
#    (the ds there keeps running and writes nothing new for them), `das
#    status` says so ("insufficient data: 1 of 3 replicas reporting") and
#    das run does not scale in, before or after swarm moves the tasks to the
#    other worker;
#  * once the moved tasks report, the window is covered again: steady.
# ds and das run as processes on this host, every 2 s, with 10 s windows.
# shellcheck disable=SC2317  # functions run through wait_until
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
T0=$SECONDS
tb_up --engines 3 --managers 1 --addr-base "${DAS_TESTBED_ADDR_BASE:-auto}"

N=3

dk service create --detach --name web --replicas 3 --limit-cpu 0.1 \
  --stop-grace-period 1s --constraint node.role==worker \
  "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null 2>"$TB_TMP/create.err" ||
  fail "service create: $(cat "$TB_TMP/create.err")"
WEB=$(dk service inspect -f '{{.ID}}' web)
web_on() { dkn "$1" ps -q --filter "label=com.docker.swarm.service.id=$WEB"; }
web_running() { [[ $(($(web_on 2 | wc -l) + $(web_on 3 | wc -l))) == "$1" ]]; }
wait_until 90 web_running 3 || fail "web's 3 tasks did not start: $(dk service ps web 2>&1)"
assert_eq "$(web_on 1 | wc -l)" 0 "no web task on the manager"
if (($(web_on 2 | wc -l) == 2)); then LOST=2 KEPT=3; else LOST=3 KEPT=2; fi
assert_eq "$(web_on "$LOST" | wc -l)" 2 "engine $LOST (a worker) runs 2 of web's 3 replicas"
assert_eq "$(web_on "$KEPT" | wc -l)" 1 "engine $KEPT (the other worker) runs 1"
LOST_CONTAINERS=$(web_on "$LOST")

for ((k = 1; k <= N; k++)); do
  bg_run "$TB_TMP/ds$k.log" "$bin_ds" --docker-host "$(host_of "$k")" --node "node$k" --interval 2s
done
"$bin_das" policy add web --min 1 --max 4 --item cpu_ratio --out 50% --in 5% \
  --out-for 10s --in-for 10s --mode band --seq 1 >/dev/null
bg_run "$TB_TMP/das.log" "$bin_das" run --docker-host "$TESTBED_ENGINE_1_HOST" \
  --interval 2s --ds-interval 2s --log-level debug

status_json() { "$bin_das" status --json --ds-interval 2s 2>/dev/null || true; }
pol() {
  python3 -c 'import json, sys
d = json.load(sys.stdin)
v = next(p for p in d["policies"] if p["seq"] == 1)
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("null" if v is None else v)' "$1"
}
steady_3() {
  local s
  s=$(status_json)
  [[ "$(pol outcome <<<"$s")" == steady && "$(pol in.fresh <<<"$s")" == 3 ]]
}
scale_ins() { psql_doc "select count(*) from das_events where seq = 1 and action = 'scale-in'"; }
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web; }

# --- before: covered and steady ---------------------------------------------
wait_until 90 steady_3 || fail "das status never showed web steady with 3 replicas reporting: $(status_json)"
s=$(status_json)
mean=$(pol in.mean <<<"$s")
assert_ge "$mean" 5 "web's mean over 10 s ($mean%) is not below in_cond 5%: steady"
kept_mean=$(influx_q "select mean(cpu_ratio) from docker where service = '$WEB' and node = 'node$KEPT' and time > now() - 10s" |
  jq -r '.results[0].series[0].values[0][1]')
assert_lt "$(awk -v m="$kept_mean" 'BEGIN { print m / 3 }')" 5 \
  "with the lost worker's 2 replicas read as 0%, the mean would be $kept_mean/3 < 5%: a scale-in"
assert_eq "$(scale_ins)" 0 "no scale-in so far"

# --- the worker's engine stops ------------------------------------------------
testbed engine-stop "$LOST"
T_STOP=$(($(date +%s%N) / 1000000))
ok "engine $LOST stopped (its ds keeps running)"

# das status explains: the lost replicas are not reporting
STALE_TEXT=
stale_seen() {
  local t
  t=$("$bin_das" status --ds-interval 2s 2>&1 || true)
  if [[ "$t" == *"of 3 replicas reporting"* ]]; then
    STALE_TEXT=$t
    return 0
  fi
  return 1
}
for ((i = 0; i < 60; i++)); do
  stale_seen && break
  sleep 1
done
[[ -n "$STALE_TEXT" ]] || fail "das status never said replicas are missing: $("$bin_das" status --ds-interval 2s 2>&1)"
echo "$STALE_TEXT"
assert_contains "$STALE_TEXT" "insufficient-data" "das status: outcome insufficient-data while the lost replicas are silent"
assert_contains "$STALE_TEXT" "insufficient data: " "das status: the reason says data is insufficient"
assert_contains "$STALE_TEXT" "3/1/4" "das status: 3 replicas wanted (min 1, max 4)"
# das run's own cycle may come a little after das status's look (its
# engine calls can wait while the swarm notices the lost node)
run_saw_it() { grep -qF 'outcome=insufficient-data reason="insufficient data: 1 of 3 replicas reporting"' "$TB_TMP/das.log"; }
wait_until 30 run_saw_it || fail "das run never said 1 of 3 replicas reporting: $(tail -3 "$TB_TMP/das.log")"
ok "das run saw 1 of 3 replicas reporting and did nothing"

# swarm notices the node is down and moves its tasks to the other worker;
# until the moved tasks report, the data stays short of 3 replicas
lost_node=TESTBED_ENGINE_${LOST}_NODE_ID
node_down() { [[ "$(dk node inspect "${!lost_node}" -f '{{.Status.State}}')" == down ]]; }
wait_until 90 node_down || fail "swarm never marked engine $LOST's node down"
ok "swarm marked engine $LOST's node down"
wait_until 90 web_running 3 || fail "web's tasks were not moved to engine $KEPT: $(dk service ps web 2>&1)"
assert_eq "$(web_on "$KEPT" | wc -l)" 3 "web's 3 replicas now run on engine $KEPT"
wait_until 90 steady_3 || fail "das status never showed web covered and steady again: $(status_json)"
ok "the moved replicas report: the window is covered again, steady"

# --- what happened meanwhile ----------------------------------------------------
assert_eq "$(scale_ins)" 0 "no scale-in from the missing data"
assert_eq "$(psql_doc "select count(*) from das_events where seq = 1 and action <> 'synced'")" 0 \
  "no scaling action at all"
assert_eq "$(replicas)" 3 "web still wants 3 replicas"
assert_eq "$(grep -c 'msg="acted"' "$TB_TMP/das.log")" 1 "das acted only once: the first cur_no sync"
for c in $LOST_CONTAINERS; do
  n=$(influx_q "select count(cpu_ratio) from docker where container = '$c' and time > ${T_STOP}ms" |
    jq -r '.results[0].series[0].values[0][1] // 0')
  assert_eq "$n" 0 "lost container $c: no point after its engine stopped"
done
assert_contains "$(cat "$TB_TMP/ds$LOST.log")" "docker engine unreachable" "ds on engine $LOST says its engine is unreachable"

echo "t_nodeloss: $((SECONDS - T0)) s"
finish
