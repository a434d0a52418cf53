#!/usr/bin/env bash
# ds writing into a real influxd: the seed's query sees the load, and an
# InfluxDB outage of 20 s loses no point (buffered, sent later with the
# original timestamps).
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
tb_up

dk service create --detach --name burn --replicas 2 --limit-cpu 0.2 \
  "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null
dk service create --detach --name idle --replicas 1 "$TESTBED_IMAGE" \
  sleep 100000 >/dev/null
running() { [[ $(dk ps -q | wc -l) -eq "$1" ]]; }
wait_until 120 running 3 || fail "3 containers did not start"
burn_id=$(dk service inspect --format '{{.ID}}' burn)
idle_id=$(dk service inspect --format '{{.ID}}' idle)

port=$(free_port)
bg_run "$TB_TMP/ds.log" "$bin_ds" --interval 2s --listen "127.0.0.1:$port"
ds_pid=$BG_PID

# the seed's query, as written
mean_of() {
  influx_q "select mean(cpu_ratio) from docker where service = '$1' and time > now() - 1m" |
    jq -r '.results[0].series[0].values[0][1] // empty'
}
has_points() { [[ -n "$(mean_of "$burn_id")" ]]; }
wait_until 60 has_points || fail "no points of the burn service reached InfluxDB: $(tail -5 "$TB_TMP/ds.log")"
sleep 10
burn=$(mean_of "$burn_id")
idle=$(mean_of "$idle_id")
assert_ge "$burn" 12 "seed query: burn replicas (0.2 CPU each) average near 20%: $burn"
assert_le "$burn" 28 "seed query: burn mean not above its limit: $burn"
assert_le "$idle" 3 "seed query: the idle service averages near 0%: $idle"

# /healthz and /metrics
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" 200 "ds /healthz answers 200"
assert_contains "$(curl -s "http://127.0.0.1:$port/metrics")" "ds_points_written_total" "ds /metrics lists points written"
assert_contains "$(curl -s "http://127.0.0.1:$port/metrics")" "$(build_info "$bin_ds")" "ds /metrics: ds_build_info carries ds --version's version"

# a 20 s InfluxDB outage
t0=$(($(date +%s) * 1000))
testbed influx-stop
sleep 20
testbed influx-start
buffered() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "ds_points_buffered" { print $2 }'; }
drained() { [[ "$(buffered)" == 0 ]]; }
sleep 4
wait_until 90 drained || fail "the buffer did not drain after InfluxDB came back ($(buffered) points left)"
ok "ds drained its buffer after the outage"
fails=$(grep -c 'InfluxDB write failed' "$TB_TMP/ds.log" || true)
assert_ge "$fails" 1 "the outage was logged when it started"
assert_le "$fails" 3 "the failing InfluxDB was not logged every round (10 rounds failed, $fails lines)"
assert_ge "$(grep -c 'InfluxDB writes work again' "$TB_TMP/ds.log" || true)" 1 "the recovery was logged"
sleep 4
t1=$(($(date +%s) * 1000))

# every container: no gap over 2.5 intervals (5 s) from before the outage
# to after it
checked=0
for c in $(dk ps -q); do
  checked=$((checked + 1))
  times=$(influx_q "select cpu_ratio from docker where container = '$c' and time >= ${t0}ms - 10s and time <= ${t1}ms" epoch=ms |
    jq -r '.results[0].series[0].values[][0]')
  n=$(wc -l <<<"$times")
  gap=$(awk 'NR > 1 { d = $1 - p; if (d > m) m = d } { p = $1 } END { print m + 0 }' <<<"$times")
  assert_ge "$n" 15 "container $c: points through the outage ($n)"
  assert_le "$gap" 5000 "container $c: longest gap ${gap} ms ≤ 2.5 intervals"
done
assert_eq "$checked" 3 "points through the outage checked for each of the 3 containers"

# the container set follows containers starting and stopping (engine
# events between listings)
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
containers_are() { [[ "$(metric ds_containers)" == "$1" ]]; }
assert_eq "$(metric ds_containers)" 3 "ds follows 3 containers"
# its service_name label (anyone's to set) holds every byte line protocol
# escapes: ds writes it so that InfluxDB 1.x, 2.x and 3.x read the same
# value (a backslash none of them could read back as one is a '_')
label='a\,b c=d\\e\'
new=$(dk run -d --name late --label "com.docker.swarm.service.name=$label" "$TESTBED_IMAGE" sleep 100000 | cut -c1-12)
wait_until 30 containers_are 4 || fail "ds did not pick up a started container"
ok "a started container is followed"
arrived() { [[ -n "$(influx_q "select count(mem_usage) from docker where container = '$new'" | jq -r '.results[0].series[0].values[0][1] // empty')" ]]; }
wait_until 30 arrived || fail "no points for the started container $new"
ok "its points arrive"
stored=$(influx_q "show tag values from docker with key = \"service_name\" where container = '$new'" |
  jq -r '.results[0].series[0].values[0][1] // empty')
assert_eq "$stored" 'a_,b c=d_\e_' "its label $label is stored as the value every InfluxDB reads from ds's line"
dk rm -f late >/dev/null
wait_until 30 containers_are 3 || fail "ds still follows a removed container"
ok "a removed container is dropped"
polls=$(metric ds_event_polls_total)
lists=$(metric ds_container_listings_total)
assert_gt "$polls" "$lists" "most rounds ask the engine for events, not for the full list ($polls polls, $lists listings)"

# SIGTERM: flush and exit 0
kill -TERM "$ds_pid"
rc=0
wait "$ds_pid" || rc=$?
assert_eq "$rc" 0 "ds exits 0 on SIGTERM"
finish
