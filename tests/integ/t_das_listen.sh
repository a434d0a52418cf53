#!/usr/bin/env bash
# das run --listen on the real test bed: /healthz says leader or standby and
# stays 200 while a dependency is down (reported as degraded: a restart
# would not fix InfluxDB); /metrics carries cycle duration, policies by
# outcome, actions by direction, leader, dependencies up, the version.
. "$(dirname "$0")/lib.sh"
need_bin "$bin_das"
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
finish
