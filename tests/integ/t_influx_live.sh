#!/usr/bin/env bash
# The influx module's live cases (write, read back, auth-free server,
# outage, the 413 split) against real influxd servers: the test bed's, and a
# second one started here with a small [http] max-body-size so that a big
# batch is refused with 413 and split for real. test_influx runs its live
# group only when DAS_INFLUX_URL is set; every one of the live cases must
# have run and passed. Then das itself with --influx-statements forced to
# single (InfluxDB 3's one statement per request) against the bed's influxd:
# the same windows as multi, in three requests instead of one (the window
# set of one 1m window: count/sum/max in buckets, last, first).
. "$(dirname "$0")/lib.sh"
need_bin "$DAS_BUILD/test_influx"
tb_up

# The cases of test_influx's live group (tests/unit/test_influx.c).
LIVE_CASES="test_live_windows test_live_window_set test_live_points test_live_roundtrip test_live_errors test_live_413"

# --- a second influxd: max-body-size 2048 bytes ----------------------------
I2=$TB_TMP/influx413
mkdir -p "$I2/meta" "$I2/data" "$I2/wal"
port_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
# pick_port VAR [OTHER]: a free loopback port other than OTHER, into VAR
pick_port() {
  local p
  while :; do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    if [[ "$p" != "${2:-}" ]] && port_free "$p"; then
      printf -v "$1" '%s' "$p"
      return 0
    fi
  done
}
ping413() { [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$P413/ping")" == 204 ]]; }
started=0
for attempt in 1 2 3; do
  pick_port P413
  pick_port RPC413 "$P413"
  awk -v http="127.0.0.1:$P413" -v rpc="127.0.0.1:$RPC413" -v d="$I2" '
    /^\[/ { sect = $0; gsub(/[\[\] ]/, "", sect) }
    sect == "" && /^ *bind-address *=/ { printf "bind-address = \"%s\"\n", rpc; next }
    sect == "meta" && /^ *dir *=/ { printf "  dir = \"%s/meta\"\n", d; next }
    sect == "data" && /^ *dir *=/ { printf "  dir = \"%s/data\"\n", d; next }
    sect == "data" && /^ *wal-dir *=/ { printf "  wal-dir = \"%s/wal\"\n", d; next }
    sect == "http" && /^ *bind-address *=/ { printf "  bind-address = \"%s\"\n", http; next }
    sect == "http" && /^ *max-body-size *=/ { print "  max-body-size = 2048"; next }
    { print }' "$TESTBED_INFLUX_CONFIG" >"$I2/influxd.conf"
  grep -q '^  max-body-size = 2048$' "$I2/influxd.conf" || fail "could not set max-body-size in $I2/influxd.conf"
  bg_run "$I2/influxd.log" /usr/bin/influxd -config "$I2/influxd.conf"
  PID413=$BG_PID
  if wait_until 60 ping413; then
    started=1
    break
  fi
  grep -q 'address already in use' "$I2/influxd.log" || break
  bg_stop "$PID413" # lost a port race: other ports
done
((started)) || fail "the second influxd did not start: $(tail -5 "$I2/influxd.log")"
ok "a second influxd with max-body-size 2048 on :$P413"

# it does refuse a large body: what the 413 case relies on
curl -sS --fail --max-time 10 -XPOST "http://127.0.0.1:$P413/query" \
  --data-urlencode 'q=CREATE DATABASE probe' >/dev/null
code=$(head -c 4000 /dev/zero | tr '\0' 'x' | sed 's/^/m s="/; s/$/" 1/' |
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 -XPOST \
    "http://127.0.0.1:$P413/write?db=probe" --data-binary @-)
assert_eq "$code" 413 "a 4000-byte write to the second influxd: 413"

# --- the live group -----------------------------------------------------------
out=$TB_TMP/test_influx.out
DAS_INFLUX_URL=$DAS_INFLUX_URL DAS_INFLUX_URL_413=http://127.0.0.1:$P413 \
  "$DAS_BUILD/test_influx" >"$out" 2>&1 || fail "test_influx against $DAS_INFLUX_URL: $(tail -20 "$out")"
if grep -E 'SKIPPED' "$out"; then
  fail "cases were skipped with DAS_INFLUX_URL set"
fi
passed=$(grep -cE '^\[       OK \] test_live_' "$out" || true)
for c in $LIVE_CASES; do
  grep -qE "^\[       OK \] $c\$" "$out" || fail "live case $c did not pass: $(tail -20 "$out")"
done
assert_eq "$passed" "$(wc -w <<<"$LIVE_CASES")" "every live case of test_influx ran and passed ($LIVE_CASES)"
bg_stop "$PID413"

# --- das with one statement per request (InfluxDB 3's way) on this influxd ----
# Two replicas with 8 points each in the last 20 s; das status reads the
# windows in one request (multi) and in three (single): the same windows.
# The requests are counted in influxd's own access log.
need_bin "$bin_das"
dk service create --detach --name web --replicas 2 "$TESTBED_IMAGE" sleep 100000 >/dev/null
two_running() { [[ "$(dk ps -q --filter label=com.docker.swarm.service.name=web | wc -l)" == 2 ]]; }
wait_until 60 two_running || fail "web did not get 2 running replicas"
sid=$(dk service inspect -f '{{.ID}}' web)
now=$(date +%s%N) lines= i=0
for c in $(dk ps -q --filter label=com.docker.swarm.service.name=web); do
  for k in 1 2 3 4 5 6 7 8; do
    lines+="docker,container=$c,service=$sid,service_name=web cpu_ratio=$((10 + 20 * i + k)) $((now - (20 - 2 * k) * 1000000000))"$'\n'
  done
  i=$((i + 1))
done
influx_write "$lines"
"$bin_das" policy add web --min 1 --max 4 --item cpu_ratio --out 90% --in 1% \
  --out-for 1m --in-for 1m --warmup 0s >/dev/null
windows() { # the out window as das status --json gives it
  DAS_INFLUX_STATEMENTS=$1 "$bin_das" status --json --ds-interval 2s | python3 -c 'import json, sys
w = json.load(sys.stdin)["policies"][0]["out"]
print(w["mean"], w["points"], w["containers"], w["first_ms"], w["last_ms"])'
}
# (influxd logs a request's parameters sorted: "POST /query?chunk_size=…")
queries() { grep -c '"POST /query?' "$TESTBED_INFLUX_LOG" || true; }
queries_are() { [[ "$(queries)" == "$1" ]]; }
# each das status also asks once which nodes' clocks are off (1 request)
q0=$(queries)
multi=$(windows multi)
wait_until 10 queries_are $((q0 + 2)) || fail "multi: $(($(queries) - q0 - 1)) window /query requests, expected 1"
single=$(windows single)
wait_until 10 queries_are $((q0 + 6)) || fail "single: $(($(queries) - q0 - 3)) window /query requests, expected 3"
ok "das status sent one window /query request with multi, three with single (and one for the nodes' clocks each time)"
# means: 10+(1..8) and 30+(1..8) → 14.5 and 34.5, together 24.5
assert_eq "$multi" "24.5 16 2 $(((now - 18000000000) / 1000000)) $(((now - 4000000000) / 1000000))" \
  "das status, multi: mean, points, containers, first and last point of the out window"
assert_eq "$single" "$multi" "das status, single: the same window"
finish
