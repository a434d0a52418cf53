#!/usr/bin/env bash
# The embedded default's reads of the ds agents when some of them are bad,
# on a real swarm with no store at all (testbed --no-stores):
#  * beside a real ds, four agents that answer garbage (not ds's form),
#    too much (a body over das's 16 MiB cap), nothing at all (a socket
#    that accepts and never answers) and no connection: each is named in
#    the log once, shown by das_agent_up{agent=...} 0 in /metrics and
#    counted; the real agent's service is decided and scaled as usual (the
#    silent one holds each cycle for its read's timeout, 2 s at a 1 s
#    interval: under the 5 s a decision may wait);
#  * with only the bad agents, das scales nothing: every policy says its
#    metrics are unavailable, and the labelled service keeps its replicas;
#  * a last action forged on the service (das.last dated 2100) is left out
#    of its history and named, and the service is scaled as it should be.
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
tb_up --no-stores
[[ -z "${DAS_INFLUX_URL:-}${DAS_POLICY_DB:-}" ]] || fail "the bed exported a store"

# a CPU burner whose policy is in its labels: scales out from 1
dk service create --detach --name burn --replicas 1 --limit-cpu 0.2 \
  --stop-grace-period 1s \
  --label das.min_no=1 --label das.max_no=2 --label das.cond_item=cpu_ratio \
  --label das.out_cond=10% --label das.in_cond=1% \
  --label das.out_duration=6s --label das.in_duration=6s --label das.scale_mode=step \
  "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null

p_ds=$(free_port)
bg_run "$TB_TMP/ds.log" "$bin_ds" --interval 1s --listen "127.0.0.1:$p_ds"
DS_PID=$BG_PID

# the bad agents: one python3 process, one port each
p_garbage=$(free_port)
p_huge=$(free_port)
p_silent=$(free_port)
p_closed=$(free_port)
cat >"$TB_TMP/bad_agents.py" <<'PY'
import socket, sys, threading
garbage, huge, silent = (int(p) for p in sys.argv[1:4])
def serve(port, handler):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()
def read_req(c):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            return
        data += chunk
def garbage_h(c):
    read_req(c)
    body = b"<html><body>this is no ds</body></html>\n"
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    c.close()
def huge_h(c):
    read_req(c)
    n = 80 << 20
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % n)
    head = b"ds-points 1 now=1 from=1 node=x\nfields cpu_ratio\n"
    try:
        c.sendall(head)
        chunk = b"#" * (1 << 20)
        for _ in range(80):
            c.sendall(chunk)
    except OSError:
        pass
    c.close()
def silent_h(c):
    read_req(c)
    threading.Event().wait(3600)
for port, h in ((garbage, garbage_h), (huge, huge_h), (silent, silent_h)):
    threading.Thread(target=serve, args=(port, h), daemon=True).start()
threading.Event().wait(3600)
PY
bg_run "$TB_TMP/bad_agents.log" python3 "$TB_TMP/bad_agents.py" "$p_garbage" "$p_huge" "$p_silent"
listening() { ss -Hltn "sport = :$p_silent" | grep -q .; }
wait_until 20 listening || fail "the bad agents did not start: $(cat "$TB_TMP/bad_agents.log")"
BAD="127.0.0.1:$p_garbage,127.0.0.1:$p_huge,127.0.0.1:$p_silent,127.0.0.1:$p_closed"

# --- only bad agents: nothing is scaled --------------------------------------
out=$("$bin_das" status --json --ds-interval 1s --agents "$BAD" 2>"$TB_TMP/st-bad.err") || true
outcome=$(python3 -c 'import json, sys
p = [p for p in json.load(sys.stdin)["policies"] if p["service"] == "burn"][0]
print(p["outcome"])' <<<"$out")
assert_eq "$outcome" "metrics-unavailable" "only bad agents: burn's policy has no metrics"
assert_contains "$(cat "$TB_TMP/st-bad.err") $out" "no ds agent answered (4 known)" "and das says no agent answered"
bg_run "$TB_TMP/das-bad.log" "$bin_das" run --interval 1s --ds-interval 1s --agents "$BAD"
BADDAS=$BG_PID
named_all() {
  local f=$TB_TMP/das-bad.log
  grep -q "agent=127.0.0.1:$p_garbage .*not a reply of ds" "$f" &&
    grep -q "agent=127.0.0.1:$p_huge " "$f" &&
    grep -q "agent=127.0.0.1:$p_silent " "$f" &&
    grep -q "agent=127.0.0.1:$p_closed " "$f"
}
wait_until 60 named_all || fail "das did not name each bad agent: $(grep -v DEBUG "$TB_TMP/das-bad.log" | tail -8)"
ok "each bad agent is named: garbage, too large, silent, closed"
sleep 5 # more cycles: the agents stay bad
for p in "$p_garbage" "$p_huge" "$p_silent" "$p_closed"; do
  n=$(grep -c "ds agent not read.*agent=127.0.0.1:$p " "$TB_TMP/das-bad.log" || true)
  assert_eq "$n" 1 "agent :$p named once, not every cycle"
done
assert_contains "$(grep "agent=127.0.0.1:$p_huge " "$TB_TMP/das-bad.log")" "response body over 16777216 bytes" "the oversized reply is cut at the 16 MiB cap, and said"
bg_stop "$BADDAS"
assert_eq "$(dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' burn)" 1 "only bad agents: burn was not scaled"
assert_eq "$(grep -c 'msg="acted"' "$TB_TMP/das-bad.log" || true)" 0 "and das logged no action"

# --- the real agent beside them: its service is decided as usual -------------
# and a forged last action dated 2100 on the service (das.last) is left out
# and named: without that bound it kept the policy settling for ever
dk service update --detach --label-add \
  'das.last=t=4102444800000;kind=scale-in;from=2;to=1;bet=0' burn >/dev/null
port_das=$(free_port)
bg_run "$TB_TMP/das.log" "$bin_das" run --interval 1s --ds-interval 1s \
  --agents "127.0.0.1:$p_ds,$BAD" --listen "127.0.0.1:$port_das"
two() { [[ "$(dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' burn)" == 2 ]]; }
wait_until 90 two || fail "das did not scale burn from the real agent: $(grep -v DEBUG "$TB_TMP/das.log" | tail -8)"
ok "the real agent's service is scaled 1 → 2 while four agents are bad, and past a last action forged in 2100"
assert_contains "$(cat "$TB_TMP/das.log")" "actions recorded in the future are left out" "the forged last action is named"
metrics=$(curl -s "http://127.0.0.1:$port_das/metrics")
assert_contains "$metrics" "das_agent_up{agent=\"127.0.0.1:$p_ds\",node=\"127.0.0.1:$p_ds\"} 1" "das_agent_up: the real agent 1"
for p in "$p_garbage" "$p_huge" "$p_silent" "$p_closed"; do
  assert_contains "$metrics" "das_agent_up{agent=\"127.0.0.1:$p\",node=\"127.0.0.1:$p\"} 0" "das_agent_up: :$p 0"
done
fails=$(awk '$1 == "das_agent_failures_total" { print $2 }' <<<"$metrics")
assert_ge "$fails" 4 "das_agent_failures_total counts the failed reads ($fails)"
assert_eq "$(awk '$1 == "das_agents_answering" { print $2 }' <<<"$metrics")" 1 "one agent of five answers"
label=$(dk service inspect -f '{{index .Spec.Labels "das.last"}}' burn)
assert_contains "$label" "kind=scale-out;from=1;to=2" "the action is recorded on the service (das.last: $label)"
# the live page in the embedded mode (no store): burn, its state, its chart
page=$(curl -s "http://127.0.0.1:$port_das/")
assert_contains "$page" '<a href="/service/burn">burn</a>' "the page lists burn (agents, no store)"
chart=$(curl -s "http://127.0.0.1:$port_das/service/burn")
assert_contains "$chart" "<svg" "burn's page has its chart"
assert_contains "$chart" '<title>scale-out 1 → 2' "and its scale-out marked on it"
finish
