#!/usr/bin/env bash
# A hanging InfluxDB (issue 9, RELIABILITY.md): a real influxd behind a
# fault-injecting TCP proxy of the test's own (python3; while a flag file
# exists it holds every byte, so requests get no answer and time out), on
# a real dockerd in swarm mode, with the real ds and das:
#  * ds keeps its collection schedule while its writes hang (they run on a
#    thread of their own): InfluxDB ends up with a point every interval
#    through the hang, no gap;
#  * it loses nothing: once InfluxDB answers again, every point ds
#    collected is written (ds_points_total = ds_points_written_total,
#    nothing buffered) and InfluxDB holds exactly that many;
#  * das, whose query hangs, takes no action and says why (InfluxDB
#    unavailable: its query timed out), although its policy would scale.
# shellcheck disable=SC2317  # functions run through wait_until
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
tb_up

HANG=$TB_TMP/hang
PPORT=$(free_port)
MPORT=$((PPORT + 1))
cat >"$TB_TMP/proxy.py" <<'PY'
import os, socket, sys, threading, time
port, target, flag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            while os.path.exists(flag):   # the fault: hold it
                time.sleep(0.05)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
def handle(c):
    try:
        u = socket.create_connection(("127.0.0.1", target))
    except OSError:
        c.close()
        return
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", port))
l.listen(64)
print("proxy ready", flush=True)
while True:
    c, _ = l.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
PY
bg_run "$TB_TMP/proxy.log" python3 "$TB_TMP/proxy.py" "$PPORT" "$TESTBED_INFLUX_PORT" "$HANG"
PURL=http://127.0.0.1:$PPORT
proxy_up() { [[ "$(curl -s -o /dev/null -w '%{http_code}' "$PURL/ping")" == 204 ]]; }
wait_until 20 proxy_up || fail "the proxy does not pass /ping: $(cat "$TB_TMP/proxy.log")"

dk service create --detach --name web --replicas 1 --stop-grace-period 1s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1 || fail "service create failed"
WEB=$(dk service inspect -f '{{.ID}}' web)
running() { [[ $(dk ps -q --filter "label=com.docker.swarm.service.id=$WEB" | wc -l) -eq 1 ]]; }
wait_until 60 running || fail "web did not start"
bg_run "$TB_TMP/ds.log" "$bin_ds" --node node1 --interval 1s --influx-url "$PURL" --listen "127.0.0.1:$MPORT"
metric() { curl -s --noproxy '*' "http://127.0.0.1:$MPORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
count() { # points of web in InfluxDB (asked directly, not through the proxy)
  influx_q "select count(mem_usage) from docker where service = '$WEB'" |
    python3 -c 'import json, sys
s = json.load(sys.stdin)["results"][0].get("series")
print(s[0]["values"][0][1] if s else 0)'
}
flowing() { (($(count) >= 3)); }
wait_until 60 flowing || fail "ds's points do not arrive through the proxy: $(tail -3 "$TB_TMP/ds.log")"
ok "ds writes through the proxy"

# a policy that would scale web out (any memory use is above 1 KiB)
"$bin_das" policy add web --seq 1 --mode step --min 1 --max 3 --item mem_usage --out 1KiB \
  --in 0 --out-for 5s --in-for 5s --warmup 0s >/dev/null

# --- the hang: until das's query (timeout 30 s) has given up and a write
# of ds's (timeout 10 s) has failed; no fixed length
T_HANG=$(date +%s%3N)
touch "$HANG"
"$bin_das" run --once --ds-interval 1s --influx-url "$PURL" --log-level debug >"$TB_TMP/das.log" 2>&1 &
DAS_PID=$!
WFAIL="InfluxDB write failed; points kept for retry"
das_gave_up() { ! pid_alive "$DAS_PID"; }
ds_write_failed() { grep -q "$WFAIL" "$TB_TMP/ds.log"; }
wait_until 120 das_gave_up || fail "das run --once still waits on the hanging InfluxDB: $(tail -3 "$TB_TMP/das.log")"
wait_until 60 ds_write_failed || fail "no write of ds's failed in the hang: $(tail -3 "$TB_TMP/ds.log")"
T_END=$(date +%s%3N)
rm -f "$HANG"
rc=0
wait "$DAS_PID" || rc=$?
t=$(log_ms "$(grep -m1 "$WFAIL" "$TB_TMP/ds.log")")
assert_ge "$t" "$T_HANG" "ds's first failed write was in the hang ($(((t - T_HANG) / 1000)) s into it)"
cut -c1-300 "$TB_TMP/das.log" | sed 's/^/  das: /'
assert_eq "$rc" 1 "das run --once exits 1: a dependency did not answer"
assert_contains "$(cat "$TB_TMP/das.log")" 'msg="unavailable: no action until it answers" dependency=influxdb' \
  "das says InfluxDB did not answer and that it takes no action"
assert_contains "$(cat "$TB_TMP/das.log")" "InfluxDB query: $PURL: Operation timed out" "and why: its query timed out"
assert_eq "$(dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web)" 1 "web not scaled"
assert_eq "$(psql_doc "select count(*) from das_events where seq = 1 and action in ('scale-out', 'scale-in')")" 0 "no scale event"
assert_contains "$(cat "$TB_TMP/ds.log")" "$WFAIL" "ds's writes failed during the hang, points kept"

# --- after: nothing lost, no gap --------------------------------------------------
# every point collected is written, but for the round just handed over
# (one /metrics snapshot, published before the writer takes that round):
# nothing left after the last write
caught_up() {
  local m t w b r
  m=$(curl -s --noproxy '*' "http://127.0.0.1:$MPORT/metrics")
  t=$(awk '$1 == "ds_points_total" { print $2 }' <<<"$m")
  w=$(awk '$1 == "ds_points_written_total" { print $2 }' <<<"$m")
  b=$(awk '$1 == "ds_points_buffered" { print $2 }' <<<"$m")
  r=$(awk '$1 == "ds_points_rejected_total" { print $2 }' <<<"$m")
  # each must be there: a missing one (empty) would read as 0 below
  [[ -n "$t" && -n "$w" && -n "$b" && -n "$r" ]] && ((b == 0 && r == 0 && t - w >= 0 && t - w <= 1))
}
wait_until 60 caught_up || fail "ds did not catch up: buffered $(metric ds_points_buffered), collected $(metric ds_points_total), written $(metric ds_points_written_total), rejected $(metric ds_points_rejected_total)"
ok "ds caught up once InfluxDB answered: nothing left after the last write, all but the round in hand written ($(metric ds_points_total) collected)"
# stopped, ds writes what waits and says how much it collected and wrote;
# InfluxDB holds exactly that many (a write that timed out and was sent
# again overwrites the same points)
pkill -TERM -f "$bin_ds --node node1 --interval 1s --influx-url $PURL" || fail "could not stop ds"
stopped() { grep -q 'msg="ds stopping on signal"' "$TB_TMP/ds.log"; }
wait_until 30 stopped || fail "ds did not stop on SIGTERM"
line=$(grep 'msg="ds stopping on signal"' "$TB_TMP/ds.log")
echo "  ds: $line"
points=$(sed -n 's/.* points=\([0-9]*\).*/\1/p' <<<"$line")
written=$(sed -n 's/.* written=\([0-9]*\).*/\1/p' <<<"$line")
assert_eq "$written" "$points" "ds wrote every point it collected ($points), none unsent"
assert_contains "$line" "unsent=0" "nothing left unsent"
assert_eq "$(count)" "$points" "InfluxDB holds exactly the $points points ds collected"
gaps=$(influx_q "select mem_usage from docker where service = '$WEB' and time >= ${T_HANG}ms and time <= ${T_END}ms" epoch=ms |
  python3 -c 'import json, sys
v = json.load(sys.stdin)["results"][0]["series"][0]["values"]
t = [r[0] for r in v]
print(len(t), max(b - a for a, b in zip(t, t[1:])))')
read -r n_hang max_gap <<<"$gaps"
# (at least 80% of the hang's seconds: the schedule kept, on a loaded machine)
assert_ge "$n_hang" "$(((T_END - T_HANG) * 8 / 10000))" "$n_hang points of the $(((T_END - T_HANG) / 1000)) s hang: ds kept collecting every second"
assert_le "$max_gap" 2500 "the longest gap between them: $max_gap ms (collected every 1000 ms; writes hung 10 s each)"
finish
