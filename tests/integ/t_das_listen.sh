#!/usr/bin/env bash
# das run --listen on the real test bed: /healthz says leader or standby and
# stays 200 while a dependency is down (reported as degraded: a restart
# would not fix InfluxDB); /metrics carries cycle duration, policies by
# outcome, actions by direction, leader, dependencies up, the version.
# Then the live page in a real browser (headless Chromium): every policy
# with its state, the service's chart with its marks and the action das
# took during the test, hostile strings shown as text; screenshots into
# the build folder.
. "$(dirname "$0")/lib.sh"
need_bin "$bin_das"
command -v chromium >/dev/null ||
  fail "chromium is not installed: scripts/install-deps --test installs it"
tb_up

dk service create --detach --name web --replicas 4 --stop-grace-period 1s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null
"$bin_das" policy add web --min 1 --max 3 --item cpu_ratio --out 70% --in 10% \
  --out-for 10s --in-for 10s >/dev/null

port=$(free_port)
bg_run "$TB_TMP/das.log" "$bin_das" run --interval 1s --ds-interval 1s --listen "127.0.0.1:$port"
metrics() { curl -s "http://127.0.0.1:$port/metrics"; }
metric() { metrics | awk -v k="$1" '$1 == k { print $2 }'; }
cycled() { [[ "$(metric das_cycles_total)" -ge 2 ]]; }
wait_until 60 cycled || fail "das did not publish two cycles: $(tail -5 "$TB_TMP/das.log")"

healthz() { curl -s -w ' %{http_code}' "http://127.0.0.1:$port/healthz" | tr '\n' ' '; }
assert_eq "$(healthz)" "leader; ok  200" "/healthz: 200, this engine is the leader"
assert_eq "$(metric das_leader)" 1 "das_leader 1"
assert_contains "$(metrics)" "$(build_info "$bin_das")" "das_build_info carries das --version's version"
assert_eq "$(metric 'das_up{dependency="influxdb"}')" 1 "InfluxDB up"
assert_eq "$(metric 'das_policies{state="valid"}')" 1 "one valid policy"
assert_ge "$(metric 'das_actions_total{action="bound"}')" 1 "4 replicas above max_no 3: one bound action counted"
assert_eq "$(dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web)" 3 "the bound action happened"
waiting=$(($(metric 'das_policy_outcomes{outcome="insufficient-data"}') + $(metric 'das_policy_outcomes{outcome="settling"}')))
assert_eq "$waiting" 1 \
  "without metrics the policy's outcome is insufficient-data or settling"
cs=$(metric das_cycle_seconds)
assert_ge "$cs" 0 "das_cycle_seconds is published ($cs)"

testbed influx-stop
down() { [[ "$(metric 'das_up{dependency="influxdb"}')" == 0 ]]; }
wait_until 60 down || fail "das_up for influxdb did not drop"
health=$(healthz)
assert_contains "$health" "degraded: InfluxDB" "/healthz says InfluxDB is down"
[[ "$health" != *127.0.0.1* && "$health" != *"$TESTBED_INFLUX_PORT"* ]] ||
  fail "/healthz gives away where InfluxDB is: $health"
ok "/healthz names the dependency, not its address: $health"
assert_contains "$health" " 200" "/healthz stays 200: a restart would not fix InfluxDB"
testbed influx-start
up() { [[ "$(metric 'das_up{dependency="influxdb"}')" == 1 ]]; }
wait_until 60 up || fail "das did not see InfluxDB again"
ok "das sees InfluxDB again without a restart"

# --- slow sockets do not starve the health check ---------------------------
# 40 connections from another address that send half a request and hold
# it (a few slow clients): das still answers its own health check, and a
# request with a body is refused before it is read
cat >"$TB_TMP/slow.py" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
held = []
for _ in range(40):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        held.append(s)
    except OSError:
        s.close()
print(len(held), flush=True)
time.sleep(30)
PY
bg_run "$TB_TMP/slow.out" python3 "$TB_TMP/slow.py" "$port"
SLOW=$BG_PID
opened() { [[ -s "$TB_TMP/slow.out" ]]; }
wait_until 20 opened || fail "the slow clients did not start"
hc=$(DAS_LISTEN="127.0.0.1:$port" "$bin_das" healthcheck 2>&1) ||
  fail "das healthcheck failed with 40 slow sockets held: $hc"
ok "das healthcheck passes while another address holds $(cat "$TB_TMP/slow.out") slow sockets"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary 'xxxx' "http://127.0.0.1:$port/metrics")
assert_eq "$code" 413 "a request body is refused (413) before it is read"
bg_stop "$SLOW"

# --- the live page, in a real browser ---------------------------------------
# web gets a load (65% on each replica: steady below 70%, and too much for
# fewer replicas at 70% / 1.1, so no trim either); a
# table row and a label policy carry markup, quotes and a control byte
LOAD=$TB_TMP/load
echo 65 >"$LOAD"
bg_run "$TB_TMP/feed.log" feed "$(dk service inspect -f '{{.ID}}' web)" web
psql_doc "INSERT INTO das (seq, min_no, max_no, cond_item, out_cond, in_cond,
  out_duration, in_duration, service_id) VALUES (90, 1, 2, 'cpu_ratio', '70%',
  '10%', '10s', '10s', '<script>alert(1)</script>&\"q''' || chr(1))" >/dev/null
dk service create --detach --name hostile --replicas 1 \
  --label das.max_no=2 --label 'das.out_cond=<b>bold</b>&"q'"'" \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null
page() { curl -s "http://127.0.0.1:$port$1"; }
web_steady() {
  local p
  p=$(page /)
  [[ "$p" == *'data-outcome="steady"'* &&
    "$(grep -o '<b>bad policy</b>' <<<"$p" | wc -l)" == 2 ]]
}
wait_until 90 web_steady ||
  fail "the page never showed web steady and two bad policies: $(page / | head -c 3000)"

browser() {
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-proxy-server \
    --user-data-dir="$TB_TMP/chromium" "$@" 2>>"$TB_TMP/chromium.log"
}
dom=$(browser --dump-dom "http://127.0.0.1:$port/")
assert_eq "$(grep -o '<tr class="policy"' <<<"$dom" | wc -l)" 3 \
  "the browser shows three policies (web, the bad row, the bad labels)"
assert_contains "$dom" '<a href="/service/web">web</a>' "web, linked to its page"
assert_contains "$dom" '<b>steady</b>' "web's state in das's words"
assert_contains "$dom" '<b>3</b> of 1..3' "web: 3 replicas of 1..3"
assert_contains "$dom" '<b>bound</b> 4 → 3' "web's last action: the bound, 4 → 3"
assert_contains "$dom" 'http-equiv="refresh" content="1"' "a refresh every cycle (1s)"
assert_contains "$dom" '&lt;script&gt;alert(1)&lt;/script&gt;&amp;' \
  "the row's markup is text"
assert_contains "$dom" '&lt;b&gt;bold&lt;/b&gt;&amp;' "the label's markup is text"
[[ "$dom" != *"<script"* && "$dom" != *"<b>bold"* && "$dom" != *$'\x01'* ]] ||
  fail "a hostile string became markup: $(grep -n 'script\|bold' <<<"$dom")"
ok "no hostile string became an element or a control byte"

dom=$(browser --dump-dom "http://127.0.0.1:$port/service/web")
assert_contains "$dom" '<figure id="chart"><svg' "web's page has its chart"
assert_eq "$(grep -o '<line class="bound"' <<<"$dom" | wc -l)" 2 "the chart draws the bounds"
assert_contains "$dom" 'scale-out line (70% per replica)' "the chart draws the scale-out line"
assert_contains "$dom" 'stroke="#c22" stroke-width="1.5" d=" M' "the chart draws the load"
assert_contains "$dom" '<path class="action in"' "the bound (4 → 3) is marked on the chart"
assert_contains "$dom" '<title>bound 4 → 3: ' "the mark carries its reason"
assert_contains "$dom" '<tr class="condition"><td data-h="metric">cpu_ratio</td><td data-h="out above">70%</td>' \
  "web's condition, with its thresholds"
grep -qE 'data-h="mean, out window">[0-9.]+%</td>' <<<"$dom" ||
  fail "web's page shows no mean of its out window: $(grep -o '<table id="conditions">.*</table>' <<<"$dom")"
ok "and the mean of the last cycle's out window: $(grep -oE 'data-h="mean, out window">[0-9.]+%' <<<"$dom" | grep -oE '[0-9.]+%')"
assert_contains "$dom" '<tr class="event">' "the recent events, in a table"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/service/nope")
assert_eq "$code" 404 "a service no policy names: 404"

browser --screenshot="$DAS_BUILD/page-overview.png" --window-size=1100,520 \
  "http://127.0.0.1:$port/" >/dev/null
browser --screenshot="$DAS_BUILD/page-service.png" --window-size=1100,900 \
  "http://127.0.0.1:$port/service/web" >/dev/null
browser --screenshot="$DAS_BUILD/page-phone.png" --window-size=390,844 \
  "http://127.0.0.1:$port/" >/dev/null
for f in page-overview page-service page-phone; do
  [[ -s "$DAS_BUILD/$f.png" ]] || fail "no screenshot $DAS_BUILD/$f.png"
done
ok "screenshots in $DAS_BUILD: page-overview.png, page-service.png, page-phone.png"
finish
