#!/usr/bin/env bash
# Scaling on what users feel: application metrics read by the operator's
# PromQL, on a real swarm and a real Prometheus. The project's load
# program serves an application's /metrics (load_requests_total, the
# requests a trace sends; load_queue_length), Prometheus scrapes it:
#  * web scales on requests per replica (das.rps.query =
#    sum(rate(load_requests_total[5s])), target replica): out as the
#    request rate rises, back in when it falls, each action's event
#    naming rps;
#  * worker scales on a queue length for the whole service (target
#    service): out on a long queue, in when it is empty;
#  * a query that returns two series, or none, is "metrics unavailable"
#    with that cause in das status, and nothing scales on it;
#  * the exporter gone: its series go stale, web's policy is held as
#    unavailable or insufficient, never scaled;
#  * with neither Prometheus nor InfluxDB a query metric is unavailable
#    and says to give one;
#  * the same with InfluxQL, on points written to InfluxDB: das without
#    --prometheus-url reads iq's query (SELECT max("queue") … WHERE
#    $timeFilter GROUP BY time($interval)) and scales it out and back in;
#    a PromQL query then says InfluxDB refused it;
#  * scale to zero (min_no 0, queue for the whole service, idle_for 8s,
#    wake_no 2): an empty queue for idle_for takes `zero` to 0 replicas
#    ("idle"), where status says it reads 0; the queue's first non-zero
#    value wakes it straight to 2 ("wake"); empty again, back to 0; a
#    min_no 0 on a ds field is refused;
#  * the embedded default with --query-url: ds's fields from a real ds's
#    /points (no store), the queue from Prometheus: mix scales out on the
#    queue and back in once the queue is empty and its CPU agrees.
# shellcheck disable=SC2317  # functions run through wait_until
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"
need_bin "$bin_das"
need_bin "$bin_ds"
need_bin "$bin_load"
tb_up --prometheus

LOG=$TB_TMP/das.log
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$1"; }
replicas_is() { [[ "$(replicas "$1")" == "$2" ]]; }
replicas_ge() { (($(replicas "$1") >= $2)); }
prom() { DAS_PROMETHEUS_URL=$TESTBED_PROM_URL "$bin_das" "$@"; }
st() { prom status --json --ds-interval 1s | jq -c --arg s "$1" '.policies[] | select(.service == $s)'; }
st_outcome_is() { [[ "$(st "$1" | jq -r .outcome)" == "$2" ]]; }
acts() {
  prom events --json --service "$1" |
    jq -c '[.[] | select(.action == "scale-out" or .action == "scale-in")] | sort_by(.time_ms) | .[] | [.action, .from, .to, .metric]'
}

# the application: requests and a queue, from files the test rewrites
echo 0 >"$TB_TMP/rps"
echo 0 >"$TB_TMP/queue"
port_app=$(free_port)
bg_run "$TB_TMP/load.log" "$bin_load" --file "$TB_TMP/no-share" --listen "127.0.0.1:$port_app" \
  --requests-file "$TB_TMP/rps" --queue-file "$TB_TMP/queue"
APP=$BG_PID
prom_target app "127.0.0.1:$port_app"
scraped() { prom_q 'load_requests_total' | grep -q '"value"'; }
wait_until 30 scraped || fail "Prometheus did not scrape the load program's /metrics: $(tail -3 "$TB_TMP/load.log")"
ok "Prometheus scrapes the load program's /metrics"

common=(--label das.max_no=4 --label das.scale_mode=step --label das.warmup=0s)
dk service create --detach --name web --replicas 1 "${common[@]}" \
  --label 'das.rps.query=sum(rate(load_requests_total[5s]))' \
  --label das.rps.out_cond=100 --label das.rps.in_cond=30 \
  --label das.rps.out_duration=6s --label das.rps.in_duration=6s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
dk service create --detach --name worker --replicas 1 "${common[@]}" \
  --label 'das.queue.query=max(load_queue_length)' --label das.queue.target=service \
  --label das.queue.out_cond=50 --label das.queue.in_cond=1 \
  --label das.queue.out_duration=6s --label das.queue.in_duration=6s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
# two: every load_ metric, two series; none: a metric nobody exports
dk service create --detach --name two --replicas 2 "${common[@]}" \
  --label 'das.x.query={__name__=~"load_.*"}' --label das.x.out_cond=1 --label das.x.in_cond=0.5 \
  --label das.x.out_duration=6s --label das.x.in_duration=6s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
dk service create --detach --name none --replicas 2 "${common[@]}" \
  --label 'das.x.query=sum(nobody_exports_this)' --label das.x.out_cond=1 --label das.x.in_cond=0.5 \
  --label das.x.out_duration=6s --label das.x.in_duration=6s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1

# iq: a queue read by InfluxQL from points in InfluxDB
dk service create --detach --name iq --replicas 1 "${common[@]}" \
  --label 'das.q.query=SELECT max("queue") FROM "app" WHERE $timeFilter GROUP BY time($interval) fill(none)' \
  --label das.q.target=service --label das.q.out_cond=50 --label das.q.in_cond=1 \
  --label das.q.out_duration=6s --label das.q.in_duration=6s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
# zero: scale to zero on the queue
dk service create --detach --name zero --replicas 1 "${common[@]}" --label das.min_no=0 \
  --label 'das.q.query=max(load_queue_length)' --label das.q.target=service \
  --label das.q.out_cond=50 --label das.q.in_cond=1 \
  --label das.q.out_duration=6s --label das.q.in_duration=6s \
  --label das.idle_for=8s --label das.wake_no=2 \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
# cpuzero: min_no 0 on cpu_ratio, refused
dk service create --detach --name cpuzero --replicas 1 --label das.max_no=3 --label das.min_no=0 \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
rc=0
check=$(prom policy check) || rc=$?
assert_contains "$check" "service cpuzero: label das.min_no: 0 (scale to zero) needs every metric to be a query metric" \
  "min_no 0 on cpu_ratio is refused, naming the label"

# tq: the same as a table row, its cond_item a query metric of its
# metrics column
dk service create --detach --name tq --replicas 1 "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
rc=0
prom policy add tq --seq 5 --min 0 --max 3 --item q --out 50 --in 1 --out-for 6s --in-for 6s \
  --metrics 'q.query=max(load_queue_length); q.target=service' --idle-for 8s --wake-no 2 \
  --mode step --warmup 0s >"$TB_TMP/add.out" 2>&1 || rc=$?
assert_eq "$rc" 0 "policy add of a query cond_item with --min 0: $(cat "$TB_TMP/add.out")"
assert_eq "$(prom policy list --json | jq -c '.[] | select(.seq == 5) | [.cond_item, .status]')" \
  '["q","ok"]' "the table row is ok, its cond_item the query metric q"

line=$(prom policy list | awk '$3 == "web"' | tr -s ' ')
assert_contains "$line" "rps 100 30 6s 6s step 0s - ok" "web's policy is its query metric: $line"
assert_eq "$(prom policy list --json | jq -r '.[] | select(.service == "worker") | .metrics')" "null" \
  "worker names one metric: no further ones"

# --- neither Prometheus nor InfluxDB: unavailable, says what to give ---------
nop=$(DAS_PROMETHEUS_URL= DAS_INFLUX_URL=none "$bin_das" status --json --ds-interval 1s --policy-db none |
  jq -c '.policies[] | select(.service == "web") | [.outcome, .reason]')
assert_contains "$nop" '"metrics-unavailable"' "no Prometheus: web's query metric is unavailable: $nop"
assert_contains "$nop" "give --query-url, --prometheus-url or --influx-url" "and the reason says to give one"

# --- das run on Prometheus ---------------------------------------------------
DAS_PROMETHEUS_URL=$TESTBED_PROM_URL bg_run "$LOG" "$bin_das" run \
  --interval 1s --ds-interval 1s --log-level debug
DAS1=$BG_PID

# bad queries: unavailable with the cause, no action
wait_until 30 st_outcome_is two metrics-unavailable || fail "two is not unavailable: $(st two)"
assert_contains "$(st two | jq -r .reason)" "2 series where one was expected: aggregate them" \
  "two series: the reason says to aggregate"
wait_until 30 st_outcome_is none metrics-unavailable || fail "none is not unavailable: $(st none)"
assert_contains "$(st none | jq -r .reason)" "no series: the query matched nothing" \
  "no series: the reason says so"
assert_contains "$(cat "$LOG")" 'msg="query metrics unavailable: no decision on them"' \
  "das's log says query metrics are unavailable"

# scale to zero: the queue empty for idle_for (8 s) → 0 replicas
wait_until 60 replicas_is zero 0 || fail "zero did not go to zero on an empty queue: $(st zero)"
assert_eq "$(acts zero | head -1)" '["scale-in",1,0,"q"]' "the scale-in to zero names q"
assert_contains "$(prom events --json --service zero | jq -r '[.[] | select(.to == 0)][0].reason')" \
  "idle: q read 0 for 8s" "and says it was idle for idle_for"
at_zero() { [[ "$(st zero | jq -c '[.outcome, .reason]')" == '["at-min","at zero: q reads 0"]' ]]; }
wait_until 30 at_zero || fail "status at zero: $(st zero)"
ok "status at zero: $(st zero | jq -r .reason)"
wait_until 30 replicas_is tq 0 || fail "the table's tq did not go to zero: $(st tq)"
ok "the table row's query policy went to zero too"

# requests rise: 250 req/s over 1 replica > 100 per replica
echo 250 >"$TB_TMP/rps"
wait_until 60 replicas_ge web 2 || fail "web did not scale out on requests: $(st web)"
ok "web scaled out on requests per replica ($(replicas web) replicas)"
assert_eq "$(acts web | head -1)" '["scale-out",1,2,"rps"]' "the event names rps"
assert_contains "$(prom events --json --service web | jq -r '[.[] | select(.action == "scale-out")][0].reason')" \
  "mean rps" "its reason is the request rate's"
# 250 over 3 replicas is 83 per replica: below 100, above 30: it stays
wait_until 60 replicas_is web 3 || fail "web did not reach 3 replicas at 250 req/s: $(st web)"
queue_ok() { st_outcome_is web steady; }
wait_until 30 queue_ok || fail "web is not steady at 3 replicas: $(st web)"
# requests fall: 20 req/s over 3 replicas < 30 per replica
echo 20 >"$TB_TMP/rps"
wait_until 60 replicas_is web 1 || fail "web did not scale back in: $(st web)"
assert_eq "$(acts web | tail -1)" '["scale-in",2,1,"rps"]' "the scale-in names rps too"

# the queue, for the whole service: 120 > 50 → out; empty → in
echo 120 >"$TB_TMP/queue"
wait_until 60 replicas_ge worker 2 || fail "worker did not scale out on its queue: $(st worker)"
ok "worker scaled out on the queue length"
# zero wakes on the queue's first value, straight to wake_no
wait_until 60 replicas_ge zero 2 || fail "zero did not wake: $(st zero)"
wake=$(acts zero | sed -n 2p)
assert_eq "$wake" '["scale-out",0,2,"q"]' "the wake-up goes 0 → 2 (wake_no) at once"
assert_contains "$(prom events --json --service zero | jq -r '[.[] | select(.from == 0)][0].reason')" \
  "wake: q" "its reason says it woke on q"
wait_until 30 replicas_ge tq 2 || fail "the table's tq did not wake: $(st tq)"
ok "the table row's query policy woke too"
echo 0 >"$TB_TMP/queue"
wait_until 60 replicas_is worker 1 || fail "worker did not scale in with the queue empty: $(st worker)"
ok "worker scaled back in with the queue empty"

wait_until 60 replicas_is zero 0 || fail "zero did not go back to zero: $(st zero)"
assert_eq "$(acts zero | tail -1 | jq -r '.[2]')" 0 "zero's last action takes it to zero"
assert_eq "$(prom events --json --service zero | jq '[.[] | select(.from == 0)] | length')" 1 \
  "one wake-up in all: no flapping at zero"

assert_eq "$(replicas two)" 2 "two: never scaled on its bad query"
assert_eq "$(replicas none)" 2 "none: never scaled on a query that matched nothing"
assert_eq "$(acts two)" "" "two: no action recorded"

# --- InfluxQL: the queue as points in InfluxDB -------------------------------
bg_stop "$DAS1"
echo 0 >"$TB_TMP/iqueue"
# app_feed: one point of the queue a second, as an application would write
app_feed() {
  trap - ERR
  set +e
  while :; do
    curl -s -o /dev/null --max-time 5 -XPOST "$DAS_INFLUX_URL/write?db=$DAS_INFLUX_DB" \
      --data-binary "app,source=t_appmetrics queue=$(cat "$TB_TMP/iqueue") $(date +%s%N)"
    sleep 1
  done
}
bg_run "$TB_TMP/app-feed.log" app_feed
infl() { DAS_PROMETHEUS_URL= "$bin_das" "$@" --policy-db none; }
sti() { infl status --json --ds-interval 1s | jq -c --arg s "$1" '.policies[] | select(.service == $s)'; }
DAS_PROMETHEUS_URL= DAS_POLICY_DB=none bg_run "$TB_TMP/das-influx.log" "$bin_das" run \
  --interval 1s --ds-interval 1s
DASI=$BG_PID
iq_steady() { [[ "$(sti iq | jq -r .outcome)" == steady || "$(sti iq | jq -r .outcome)" == at-min ]]; }
wait_until 60 iq_steady || fail "iq is not decided on InfluxQL: $(sti iq)"
echo 120 >"$TB_TMP/iqueue"
wait_until 60 replicas_ge iq 2 || fail "iq did not scale out on its InfluxQL queue: $(sti iq)"
ok "iq scaled out on a queue read by InfluxQL"
echo 0 >"$TB_TMP/iqueue"
wait_until 60 replicas_is iq 1 || fail "iq did not scale back in: $(sti iq)"
ok "iq scaled back in with the queue empty"
assert_contains "$(sti web | jq -r .reason)" "no decision: rps: InfluxDB (InfluxQL): an InfluxQL query metric is one SELECT" \
  "a PromQL query read from InfluxDB: unavailable, saying what InfluxQL takes"

# --- the embedded default, queries on Prometheus: --query-url ----------------
# ds's fields from the agents (a real ds serving /points, no store at
# all), the application's metric from Prometheus: mix scales out on its
# queue alone, and back in only once its CPU (read from the agent) agrees
bg_stop "$DASI"
port_ds=$(free_port)
bg_run "$TB_TMP/ds.log" "$bin_ds" --interval 1s --influx-url none --listen "127.0.0.1:$port_ds"
emb=(--policy-db none --influx-url none --agents "127.0.0.1:$port_ds" --query-url "$TESTBED_PROM_URL"
  --ds-interval 1s)
dk service create --detach --name mix --replicas 1 --label das.max_no=3 --label das.scale_mode=step \
  --label das.warmup=0s --label das.cpu_ratio.out_cond=90% --label das.cpu_ratio.in_cond=5% \
  --label das.cpu_ratio.out_duration=4s --label das.cpu_ratio.in_duration=4s \
  --label 'das.q.query=max(load_queue_length)' --label das.q.target=service \
  --label das.q.out_cond=50 --label das.q.in_cond=1 \
  --label das.q.out_duration=6s --label das.q.in_duration=6s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
stm() { DAS_PROMETHEUS_URL= "$bin_das" status --json "${emb[@]}" | jq -c '.policies[] | select(.service == "mix")'; }
DAS_PROMETHEUS_URL= bg_run "$TB_TMP/das-query.log" "$bin_das" run "${emb[@]}" --interval 1s
# both conditions decided: cpu_ratio on the agent's points, q on Prometheus
both_read() {
  [[ "$(stm | jq -r '[.conditions[] | .cond_item + ":" + (.out.containers | tostring) + ":" + .outcome] | join(" ")')" \
    =~ ^cpu_ratio:1:at-min\ q:[01]:at-min$ ]]
}
wait_until 60 both_read || fail "mix's conditions are not both read: $(stm | jq -c .conditions)"
assert_contains "$(head -c 2000 "$TB_TMP/das-query.log")" "queries=http://127.0.0.1:" \
  "das says where its queries go ($(grep -o 'prometheus=[^ ]* agents=[^ ]* queries=[^ ]*' "$TB_TMP/das-query.log" | head -1))"
ok "mix: cpu_ratio read from the agent, q from --query-url's Prometheus, both at-min"
echo 120 >"$TB_TMP/queue"
wait_until 60 replicas_ge mix 2 || fail "mix did not scale out on its queue: $(stm)"
last=$(dk service inspect -f '{{index .Spec.Labels "das.last"}}|{{index .Spec.Labels "das.last.reason"}}' mix)
assert_contains "$last" "kind=scale-out;from=1;to=2" "mix scaled out 1 → 2 (das.last: $last)"
assert_contains "${last#*|}" "mean q " "on q, the queue read through --query-url"
echo 0 >"$TB_TMP/queue"
wait_until 60 replicas_is mix 1 || fail "mix did not scale back in: $(stm)"
last=$(dk service inspect -f '{{index .Spec.Labels "das.last"}}|{{index .Spec.Labels "das.last.reason"}}' mix)
assert_contains "$last" "kind=scale-in;from=2;to=1" "mix scaled back in 2 → 1 with the queue empty and its CPU idle (das.last: $last)"

# --- the exporter gone: stale, never scaled ----------------------------------
echo 20 >"$TB_TMP/rps"
bg_stop "$APP"
held() { local o; o=$(st web | jq -r .outcome); [[ "$o" == metrics-unavailable || "$o" == insufficient-data ]]; }
wait_until 60 held || fail "web is not held once its exporter is gone: $(st web)"
ok "the exporter gone: web $(st web | jq -r '.outcome + ": " + .reason')"
assert_eq "$(replicas web)" 1 "web unchanged with its metric gone"
finish
