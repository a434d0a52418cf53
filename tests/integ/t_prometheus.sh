#!/usr/bin/env bash
# Prometheus both ways, on the test bed's real Prometheus (Debian's 2.42,
# tb_up --prometheus, scraping every 1 s):
#  * ds --listen --influx-url none is an exporter: its /metrics (its own
#    metrics and each container's) passes promtool check metrics, carries
#    the service's containers with labels node, container, service,
#    service_name, and ds writes nothing to InfluxDB;
#  * das simulate --service replays the recorded past from Prometheus;
#  * das run --prometheus-url scales a real service out from what
#    Prometheus scraped from ds (a CPU burner at --limit-cpu 0.2, policy
#    out at 10%), one query per (cond_item, duration) pair; das's /metrics
#    passes promtool too and says it reads Prometheus;
#  * a second target exposing one of that service's containers (load 0)
#    replaces nothing: the container is ambiguous, the policy decides
#    nothing and says why, das's log names both targets;
#  * the Grafana dashboards of deploy/grafana: every query they hold
#    (tests/scripts/grafana_check.py) returns its panel's series on this
#    bed's data (a second ds writing to InfluxDB, das's decisions there, ds
#    and das scraped by Prometheus), and the check fails for a service
#    that has no data;
#  * --prometheus-names cadvisor: Prometheus scrapes cAdvisor-format text
#    (per-CPU CPU seconds at 0.5 core in all, a 0.5-core quota, a working
#    set) served from a file by python3 -m http.server, for the real
#    containers of a second service; das status shows cpu_ratio ≈ 50 and
#    cpu_limit_ratio ≈ 100 from it, says a pids policy has no cAdvisor
#    metric, and das run scales that service out.
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
command -v promtool >/dev/null || fail "promtool missing: run scripts/install-deps (package prometheus)"
tb_up --prometheus
export DAS_PROMETHEUS_URL=$TESTBED_PROM_URL

dk service create --detach --name burn --replicas 1 --limit-cpu 0.2 \
  --stop-grace-period 1s "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null
dk service create --detach --name cadv --replicas 1 --stop-grace-period 1s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null
dk service create --detach --name idle --replicas 1 --stop-grace-period 1s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null
BURN=$(dk service inspect -f '{{.ID}}' burn)
CADV=$(dk service inspect -f '{{.ID}}' cadv)
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$1"; }
running() { [[ -n "$(dk ps -q --filter "label=com.docker.swarm.service.id=$1")" ]]; }
wait_until 60 running "$BURN" || fail "burn's task did not start"
wait_until 60 running "$CADV" || fail "cadv's task did not start"

# --- ds as an exporter ----------------------------------------------------
rc=0
msg=$("$bin_ds" --influx-url none 2>&1) || rc=$?
assert_eq "$rc" 2 "ds --influx-url none without --listen or --stdout: bad configuration"
assert_contains "$msg" "the points go nowhere: give --listen" "and it says what to give"
port_ds=$(free_port)
bg_run "$TB_TMP/ds.log" "$bin_ds" --interval 1s --influx-url none \
  --listen "127.0.0.1:$port_ds"
prom_target ds "127.0.0.1:$port_ds"
ds_metrics() { curl -s "http://127.0.0.1:$port_ds/metrics"; }
has_burn() { ds_metrics | grep -q "^ds_container_cpu_usage_ratio{.*service=\"$BURN\""; }
wait_until 30 has_burn || fail "ds /metrics has no cpu line for burn: $(tail -3 "$TB_TMP/ds.log")"
ds_metrics >"$TB_TMP/ds.metrics"
if ! promtool check metrics <"$TB_TMP/ds.metrics" >"$TB_TMP/promtool.ds" 2>&1; then
  fail "promtool check metrics on ds's /metrics: $(head -5 "$TB_TMP/promtool.ds")"
fi
ok "ds's /metrics passes promtool check metrics ($(grep -c '^ds_container' "$TB_TMP/ds.metrics") container lines)"
line=$(grep "^ds_container_cpu_usage_ratio{.*service=\"$BURN\"" "$TB_TMP/ds.metrics")
for l in node container service; do
  assert_contains "$line" "$l=\"" "ds's container line has label $l"
done
assert_contains "$line" 'service_name="burn"' "ds's container line has label service_name"
assert_eq "$(grep -c '^# HELP ds_rounds_total ' "$TB_TMP/ds.metrics")" 1 "ds's own metrics have HELP lines"
assert_contains "$(cat "$TB_TMP/ds.log")" 'sink=none' "ds says it writes no InfluxDB"
pts=$(influx_q 'select count(*) from docker' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"][0].get("series", [])))')
assert_eq "$pts" 0 "--influx-url none: ds wrote no point to InfluxDB"
# a second ds that writes to InfluxDB, for the Grafana dashboards below
GRAFANA_FROM_MS=$(date +%s%3N)
bg_run "$TB_TMP/ds-influx.log" "$bin_ds" --interval 1s

scraped() { prom_q "ds_container_cpu_usage_ratio{service=\"$BURN\"}" | grep -q '"value"'; }
wait_until 30 scraped || fail "Prometheus did not scrape ds: $(tail -3 "$TESTBED_PROM_LOG")"
ok "Prometheus scrapes ds"

# --- das reads Prometheus (ds names) ---------------------------------------
# das scraped too, from before its first action (for the dashboard's
# annotation of it): the policy comes once Prometheus has das's counters
port_das=$(free_port)
bg_run "$TB_TMP/das.log" "$bin_das" run --interval 1s --ds-interval 1s \
  --listen "127.0.0.1:$port_das"
DAS_PID=$BG_PID
prom_target das "127.0.0.1:$port_das"
das_scraped() { prom_q 'das_actions_total{action="scale-out"}' | grep -q '"value"'; }
wait_until 30 das_scraped || fail "Prometheus did not scrape das: $(tail -3 "$TB_TMP/das.log")"
"$bin_das" policy add burn --min 1 --max 2 --item cpu_ratio --out 10% --in 1% \
  --out-for 8s --in-for 8s --mode step >/dev/null
two() { [[ "$(replicas burn)" == 2 ]]; }
wait_until 60 two || fail "das --prometheus-url did not scale burn to 2: $(grep -v ' DEBUG ' "$TB_TMP/das.log" | tail -5)"
ok "das scaled burn 1 → 2 from Prometheus's data"
ev=$(psql_doc "select metric, observed from das_events where seq = 1 and from_no = 1 and to_no = 2 limit 1")
assert_contains "$ev" "cpu_ratio" "the event names the metric"
obs=${ev##*|}
assert_ge "$obs" 10 "observed mean above out_cond ($obs)"
assert_le "$obs" 40 "observed mean near the 20% CPU limit ($obs)"
# the live page, from Prometheus's data: burn's row and its chart with the
# scale-out marked
page=$(curl -s "http://127.0.0.1:$port_das/")
assert_contains "$page" "metrics from Prometheus" "the live page says where the metrics come from"
assert_contains "$page" '<a href="/service/burn">burn</a>' "the live page lists burn"
chart=$(curl -s "http://127.0.0.1:$port_das/service/burn")
assert_contains "$chart" '<path class="action out"' "burn's chart marks its scale-out"
assert_contains "$chart" 'stroke="#c22" stroke-width="1.5" d=" M' "burn's chart draws its load"
# a cycle after the scale-out: its history has the action, its snapshot
# the new replica count
das_saw_scale() {
  curl -s "http://127.0.0.1:$port_das/metrics" >"$TB_TMP/das.metrics" &&
    grep -q '^das_policy_replicas{service="burn",seq="1",state="desired"} 2$' "$TB_TMP/das.metrics" &&
    grep -q '^das_policy_last_action_timestamp_seconds{service="burn",seq="1"} ' "$TB_TMP/das.metrics"
}
wait_until 20 das_saw_scale || fail "das's /metrics does not show burn's scale-out: $(grep '^das_policy_' "$TB_TMP/das.metrics" | head -20)"
if ! promtool check metrics <"$TB_TMP/das.metrics" >"$TB_TMP/promtool.das" 2>&1; then
  fail "promtool check metrics on das's /metrics: $(head -5 "$TB_TMP/promtool.das")"
fi
ok "das's /metrics passes promtool check metrics"
# the series per policy: burn's (seq 1) thresholds, bounds, replicas, the
# last action's time, and a mean of its windows (the page's snapshot)
dm=$(cat "$TB_TMP/das.metrics")
burn_l='service="burn",seq="1"'
for want in \
  "das_policy_threshold{$burn_l,metric=\"cpu_ratio\",direction=\"out\"} 10" \
  "das_policy_threshold{$burn_l,metric=\"cpu_ratio\",direction=\"in\"} 1" \
  "das_policy_bound_replicas{$burn_l,bound=\"min\"} 1" \
  "das_policy_bound_replicas{$burn_l,bound=\"max\"} 2" \
  "das_policy_replicas{$burn_l,state=\"desired\"} 2"; do
  assert_contains "$dm" "$want" "das's /metrics: ${want%% *}"
done
act_s=$(sed -n "s/^das_policy_last_action_timestamp_seconds{$burn_l} //p" "$TB_TMP/das.metrics")
ev_s=$(psql_doc "select time_ms / 1000 from das_events where seq = 1 and to_no = 2 order by time_ms desc limit 1")
assert_ge "${act_s%%.*}" "$((ev_s - 1))" "the last action's time on /metrics is the scale-out's ($act_s vs $ev_s)"
assert_le "${act_s%%.*}" "$((ev_s + 1))" "the last action's time on /metrics is the scale-out's ($act_s vs $ev_s)"
mean=$(sed -n "s/^das_policy_window_mean{$burn_l,metric=\"cpu_ratio\",window=\"out\"} //p" "$TB_TMP/das.metrics")
[[ -n "$mean" ]] || fail "das's /metrics has no out-window mean for burn: $(grep das_policy_window_mean "$TB_TMP/das.metrics")"
assert_le "$mean" 40 "burn's out-window mean on /metrics is a cpu_ratio in percent ($mean)"
assert_eq "$(grep -c "^das_policy_outcome{$burn_l," "$TB_TMP/das.metrics")" 1 "burn has one outcome line"
pol_scraped() { prom_q "das_policy_threshold{service=\"burn\",direction=\"out\"}" | grep -q '"10"'; }
wait_until 30 pol_scraped || fail "Prometheus has not scraped das's series for burn"
ok "das's /metrics has burn's policy series (mean $mean%, last action at $act_s), and Prometheus scraped them"
# --- the Grafana dashboards (deploy/grafana) ---------------------------------
# every query they hold, on this bed's data: ds's points in InfluxDB (the
# second ds) and Prometheus, das's decisions in InfluxDB (measurement das)
# and its /metrics in Prometheus, once the annotation's query (its step
# 5s) has the scale-out at a step before now
das_annotated() {
  prom_q 'sum by (action) (increase(das_actions_total{action!="synced"}[1m] offset 5s)) > 0' |
    grep -q '"value"'
}
wait_until 30 das_annotated || fail "Prometheus has not scraped das's scale-out"
grafana_check() {
  python3 "$DAS_SRC/tests/scripts/grafana_check.py" --queries --influx "$DAS_INFLUX_URL" \
    --db "$DAS_INFLUX_DB" --prometheus "$TESTBED_PROM_URL" --from-ms "$GRAFANA_FROM_MS" \
    --to-ms "$(date +%s%3N)" "$@" "$DAS_SRC"/deploy/grafana/*.json
}
grafana_check --service burn >"$TB_TMP/grafana.out" 2>&1 ||
  fail "the Grafana dashboards' queries on the bed: $(grep FAIL "$TB_TMP/grafana.out")"
ok "the Grafana dashboards: $(grep -c '^ok: .*: [0-9]* series' "$TB_TMP/grafana.out") queries return their panels' series, the variables list burn"
rc=0
grafana_check --service nosuch >"$TB_TMP/grafana-nosuch.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "the dashboards' check fails for a service with no data"
assert_contains "$(cat "$TB_TMP/grafana-nosuch.out")" "variable service: lists nosuch (3 values): its values: ['burn', 'cadv', 'idle']" \
  "and says the service variable does not list it"
assert_contains "$(cat "$TB_TMP/grafana-nosuch.out")" 'A: no series (expr: 100 * ds_container_cpu_usage_ratio{service_name=~"nosuch"})' \
  "and which query returns nothing"
# the what-if on the recorded past, from Prometheus's samples: the demand
# is burn's container's cpu_ratio (about 20% of a core)
"$bin_das" simulate --service burn --since 1m --ds-interval 1s --json >"$TB_TMP/past.json" 2>"$TB_TMP/past.err" ||
  fail "das simulate --service from Prometheus failed: $(cat "$TB_TMP/past.err")"
read -r n_steps dmax < <(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["recorded"]
print(len(r["steps"]), max(s["demand"] for s in r["steps"]))' "$TB_TMP/past.json")
assert_ge "$n_steps" 30 "das simulate --service read a minute of burn's demand from Prometheus ($n_steps steps)"
assert_ge "${dmax%.*}" 10 "the demand is burn's CPU (up to ${dmax}%)"
# a Prometheus-only das: no InfluxDB at all (--influx-url none); the
# history in the policy store, the decisions in /metrics
none_outcome() {
  DAS_INFLUX_URL=none "$bin_das" status --json --ds-interval 1s 2>"$TB_TMP/st-none.err" |
    python3 -c 'import json, sys
p = [p for p in json.load(sys.stdin)["policies"] if p["service"] == "burn"][0]
print(p["outcome"])'
}
none_at_max() { [[ "$(none_outcome)" == at-max ]]; }
wait_until 30 none_at_max || fail "das status --influx-url none: $(none_outcome) $(cat "$TB_TMP/st-none.err")"
ok "das with --influx-url none decides burn from Prometheus alone: at-max"
# neither InfluxDB nor Prometheus: the windows from the ds agents, and
# this bed runs none (no service labelled das-agent.port): said, no action
out=$(DAS_INFLUX_URL=none DAS_PROMETHEUS_URL= "$bin_das" status 2>&1) && fail "das status with no agents and no store passed"
assert_contains "$out" "no ds agents: no service is labelled das-agent.port" \
  "--influx-url none without Prometheus: the agents are read, and that none runs is said"
# Prometheus windows with no store at all: the history on the services
out=$(DAS_INFLUX_URL=none "$bin_das" run --once --dry-run --policy-db none 2>&1) ||
  fail "das run with Prometheus and no store: $out"
assert_contains "$out" "history=service labels" "--influx-url none with --policy-db none: the history on the services"
assert_contains "$(cat "$TB_TMP/das.metrics")" 'das_up{dependency="prometheus"} 1' "das_up names Prometheus"
q=$(awk '$1 == "das_prometheus_queries_total" { print $2 }' "$TB_TMP/das.metrics")
assert_ge "$q" 1 "das counts its Prometheus queries ($q)"
bg_stop "$DAS_PID"

# --- a second target exposing burn's container (issue 22) -------------------
# Another exporter serves one of burn's containers with a load of 0: had
# it replaced ds's series (the latest sample), das would scale burn in.
# Neither is used: that container's data is ambiguous, burn's policy gets
# no decision and says why, and das names both targets.
EVIL_DIR=$TB_TMP/evil
mkdir -p "$EVIL_DIR"
victim=$(dk ps -q --filter "label=com.docker.swarm.service.id=$BURN" | head -1)
printf 'ds_container_cpu_usage_ratio{container="%s",node="x",service="%s",service_name="burn"} 0\n' \
  "$victim" "$BURN" >"$EVIL_DIR/metrics"
port_evil=$(free_port)
bg_run "$TB_TMP/evil.log" python3 -m http.server --bind 127.0.0.1 --directory "$EVIL_DIR" "$port_evil"
EVIL_PID=$BG_PID
prom_target evil "127.0.0.1:$port_evil"
evil_scraped() { prom_q "ds_container_cpu_usage_ratio{instance=\"127.0.0.1:$port_evil\"}" | grep -q '"value"'; }
wait_until 30 evil_scraped || fail "Prometheus did not scrape the second target: $(tail -3 "$TB_TMP/evil.log")"
burn_reason() {
  "$bin_das" status --json --ds-interval 1s 2>/dev/null |
    python3 -c 'import json, sys
p = [p for p in json.load(sys.stdin)["policies"] if p["seq"] == 1][0]
print(p["outcome"], p["reason"])' || true
}
refused() { [[ "$(burn_reason)" == *"two Prometheus targets expose at once"* ]]; }
wait_until 30 refused || fail "burn's container from two targets was not refused: $(burn_reason)"
r=$(burn_reason)
assert_contains "$r" "insufficient data: 1 of 2 replicas reporting; 1 series unusable" \
  "burn's policy decides nothing on the container two targets expose, and says so"
out=$("$bin_das" run --once --dry-run --ds-interval 1s 2>&1) || fail "das run --once with two targets: $out"
line=$(grep 'two Prometheus targets expose the same container' <<<"$out" | head -1)
echo "  $line"
assert_contains "$line" "container=\"$victim\"" "das's log names the container two targets expose"
assert_contains "$line" "127.0.0.1:$port_ds" "and the real target"
assert_contains "$line" "127.0.0.1:$port_evil" "and the second one"
if grep -q 'would act.*action=scale-in' <<<"$out"; then
  fail "das would scale burn in on the second target's series: $out"
fi
assert_eq "$(replicas burn)" 2 "burn keeps its 2 replicas"
rm -f "$TESTBED_PROM_TARGETS/evil.json"
bg_stop "$EVIL_PID"

# --- cAdvisor names ---------------------------------------------------------
# cAdvisor itself is not packaged in Debian: its exposition format is, for
# cadv's real containers, written by this loop once a second (counters with
# their sample time, as cAdvisor writes them) and served by python3.
CAD_DIR=$TB_TMP/cadvisor
mkdir -p "$CAD_DIR"
cadvisor_text() {
  local now_ms=$1 full lbl secs
  secs=$(python3 -c "print(f'{$now_ms / 4000:.3f}')") # 0.25 core per CPU
  echo '# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.'
  echo '# TYPE container_cpu_usage_seconds_total counter'
  for full in $(dk ps -q --no-trunc --filter "label=com.docker.swarm.service.id=$CADV"); do
    lbl="container_label_com_docker_swarm_service_id=\"$CADV\",container_label_com_docker_swarm_service_name=\"cadv\",id=\"/docker/$full\",image=\"$TESTBED_IMAGE\",name=\"cadv.x\""
    echo "container_cpu_usage_seconds_total{$lbl,cpu=\"cpu00\"} $secs $now_ms"
    echo "container_cpu_usage_seconds_total{$lbl,cpu=\"cpu01\"} $secs $now_ms"
    echo "container_spec_cpu_quota{$lbl} 50000"
    echo "container_spec_cpu_period{$lbl} 100000"
    echo "container_memory_working_set_bytes{$lbl} 1048576 $now_ms"
  done
  # a cgroup that is no swarm task: left out
  echo 'container_memory_working_set_bytes{id="/"} 1e9'
}
cadvisor_writer() {
  trap - ERR
  set +e
  while :; do
    cadvisor_text "$(($(date +%s%N) / 1000000))" >"$CAD_DIR/metrics.tmp"
    mv "$CAD_DIR/metrics.tmp" "$CAD_DIR/metrics"
    sleep 1
  done
}
cadvisor_writer &
TB_BG_PIDS+=("$!")
port_cad=$(free_port)
bg_run "$TB_TMP/http.log" python3 -m http.server --bind 127.0.0.1 --directory "$CAD_DIR" "$port_cad"
prom_target cadvisor "127.0.0.1:$port_cad"
cad_scraped() { prom_q "container_cpu_usage_seconds_total{container_label_com_docker_swarm_service_id=\"$CADV\"}" | grep -q '"value"'; }
wait_until 30 cad_scraped || fail "Prometheus did not scrape the cAdvisor file: $(tail -3 "$TB_TMP/http.log")"
ok "Prometheus scrapes the cAdvisor-format file"

"$bin_das" policy add cadv --seq 20 --min 1 --max 2 --item cpu_ratio --out 30% --in 1% \
  --out-for 8s --in-for 8s --mode step >/dev/null
"$bin_das" policy add cadv --seq 21 --min 1 --max 2 --item cpu_limit_ratio --out 300% \
  --in 1% --out-for 8s --in-for 8s --mode step >/dev/null
"$bin_das" policy add idle --seq 22 --min 1 --max 2 --item pids --out 100 --in 1 \
  --out-for 8s --in-for 8s --mode step >/dev/null
export DAS_PROMETHEUS_NAMES=cadvisor
# cur_no follows the service first (a sync), so the windows start after it
"$bin_das" run --once --ds-interval 1s >>"$TB_TMP/das-cad.log" 2>&1 ||
  fail "das run --once --prometheus-names cadvisor failed: $(tail -3 "$TB_TMP/das-cad.log")"
status_json() { "$bin_das" status --json --ds-interval 1s 2>/dev/null >"$TB_TMP/status.json" || true; }
pol() { # SEQ FIELD: one value of a policy in das status --json
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
p = next(p for p in d["policies"] if p["seq"] == int(sys.argv[2]))
v = p
for k in sys.argv[3].split("."):
    v = v[k]
print(v)' "$TB_TMP/status.json" "$1" "$2"
}
covered() { status_json; [[ "$(pol 20 out.covered)" == True && "$(pol 21 out.covered)" == True ]]; }
brief() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d.get("prometheus"), [(p["seq"], p.get("outcome"), p.get("reason"), p.get("warming"), p.get("out")) for p in d["policies"] if p["seq"] >= 20])' "$TB_TMP/status.json"
}
wait_until 40 covered || fail "cAdvisor windows not covered: $(brief)"
m=$(pol 20 out.mean)
assert_ge "$m" 45 "cpu_ratio from cAdvisor's per-CPU seconds ≈ 50 ($m)"
assert_le "$m" 55 "cpu_ratio from cAdvisor's per-CPU seconds ≈ 50 ($m)"
m=$(pol 21 out.mean)
assert_ge "$m" 90 "cpu_limit_ratio from quota/period ≈ 100 ($m)"
assert_le "$m" 110 "cpu_limit_ratio from quota/period ≈ 100 ($m)"
assert_contains "$(pol 22 reason)" "pids has no Prometheus metric with --prometheus-names cadvisor" \
  "a pids policy says cAdvisor has no metric for it"
assert_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["influx_queries"])' "$TB_TMP/status.json")" 2 \
  "one windows query per (cond_item, duration) pair: 2 for 4 policies (pids has none)"
# A failing das run ends the wait (its exit status is kept, not retried
# past): the retries are for the window to fill, not for das to work.
cadv_two() {
  "$bin_das" run --once --ds-interval 1s >>"$TB_TMP/das-cad.log" 2>&1 ||
    { echo "$?" >"$TB_TMP/das-cad.rc"; return 0; }
  [[ "$(replicas cadv)" == 2 ]]
}
wait_until 30 cadv_two || fail "das --prometheus-names cadvisor did not scale cadv: $(tail -5 "$TB_TMP/das-cad.log")"
[[ ! -e "$TB_TMP/das-cad.rc" ]] ||
  fail "das run --once --prometheus-names cadvisor exited $(cat "$TB_TMP/das-cad.rc"): $(tail -5 "$TB_TMP/das-cad.log")"
ok "das scaled cadv 1 → 2 from cAdvisor-format data"
finish
