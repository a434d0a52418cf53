#!/usr/bin/env bash
# Clock skew (issue 9, RELIABILITY.md): a ds whose clock is 40 s ahead and a
# das whose clock is 40 s behind (each under libfaketime, Debian's
# `faketime`), on a real dockerd in swarm mode, a real influxd and
# PostgreSQL. InfluxDB's clock is the reference, read from the Date header
# of its replies:
#  * ds says its clock is off, by how much, in its log and /metrics, and
#    stamps its points by InfluxDB's clock (they land where das looks for
#    them, not 40 s in the future) with the offset in each point;
#  * das says its own clock is off (log, /metrics, das status) and reads
#    its windows by InfluxDB's clock, so it still decides correctly: it
#    scales the service out on ds's points;
#  * `das status` names the node whose clock is off and by how much.
# Without the correction ds's points would lie outside every window and
# das would never scale ("insufficient data").
# shellcheck disable=SC2317  # functions run through wait_until
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
command -v faketime >/dev/null || fail "faketime is not installed (scripts/install-deps installs it)"
# Only the wall clock is off on a skewed host: its monotonic clock (the
# schedules, timeouts) runs as any other.
export FAKETIME_DONT_FAKE_MONOTONIC=1
tb_up

DS_PORT=$(free_port)
DAS_PORT=$((DS_PORT + 1))
metric() { curl -s --noproxy '*' "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
ahead=$(faketime -f '+40s' date +%s)
now=$(date +%s)
(((ahead - now) >= 39 && (ahead - now) <= 41)) || fail "faketime does not move the clock: $ahead vs $now"

dk service create --detach --name web --replicas 1 --limit-cpu 0.1 --stop-grace-period 1s \
  "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null 2>&1 || fail "service create"
WEB=$(dk service inspect -f '{{.ID}}' web)
running() { [[ $(dk ps -q --filter "label=com.docker.swarm.service.id=$WEB" | wc -l) -eq 1 ]]; }
wait_until 60 running || fail "web did not start"
"$bin_das" policy add web --seq 1 --mode step --min 1 --max 2 --item cpu_ratio --out 5% \
  --in 1% --out-for 10s --in-for 10s --warmup 0s >/dev/null

# --- ds 40 s ahead ----------------------------------------------------------------
bg_run "$TB_TMP/ds.log" faketime -f '+40s' "$bin_ds" --node node1 --interval 1s --listen "127.0.0.1:$DS_PORT"
said_ds() { grep -q 'msg="clock off: this host.s clock differs from InfluxDB.s; points are stamped by InfluxDB.s"' "$TB_TMP/ds.log"; }
wait_until 30 said_ds || fail "ds did not say its clock is off: $(tail -3 "$TB_TMP/ds.log")"
off=$(grep -o 'clock off[^"]*" offset_ms=-\?[0-9]*' "$TB_TMP/ds.log" | head -1 | sed 's/.*offset_ms=//')
assert_ge "$off" -41500 "ds measured its offset: $off ms (InfluxDB's clock minus its own)"
assert_le "$off" -38500 "about -40 s"
m=$(metric "$DS_PORT" ds_clock_offset_seconds)
# near the injected -40 s, as the log's (a Date header has whole seconds)
assert_ge "$m" -41.5 "ds's /metrics: ds_clock_offset_seconds $m"
assert_le "$m" -38.5 "about -40 s"
# its points: by InfluxDB's clock, carrying the offset
last=$(influx_q "select mem_usage, clock_offset_ms from docker where service = '$WEB' order by time desc limit 1" epoch=ms |
  python3 -c 'import json, sys; v = json.load(sys.stdin)["results"][0]["series"][0]["values"][0]; print(v[0], v[2])')
read -r t_last off_pt <<<"$last"
lag=$(($(date +%s%3N) - t_last))
assert_ge "$lag" -2500 "ds's latest point is stamped by InfluxDB's clock, not 40 s ahead ($lag ms old)"
assert_le "$lag" 5000 "and is fresh"
assert_eq "$off_pt" "$off" "each point carries the offset (clock_offset_ms)"

# --- das 40 s behind ----------------------------------------------------------------
bg_run "$TB_TMP/das.log" faketime -f '-40s' "$bin_das" run --interval 1s --ds-interval 1s --listen "127.0.0.1:$DAS_PORT"
replicas_is() { [[ "$(dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web)" == "$1" ]]; }
wait_until 60 replicas_is 2 || {
  sed 's/^/  das: /' "$TB_TMP/das.log" | tail -20
  "$bin_das" status --ds-interval 1s | sed 's/^/  status: /'
  fail "das (40 s behind) did not scale web on ds's (40 s ahead) points"
}
ok "das, 40 s behind, scaled web 1 → 2 on the points of a ds 40 s ahead"
assert_contains "$(cat "$TB_TMP/das.log")" 'msg="clock off: this host'"'"'s clock differs from InfluxDB'"'"'s; das reads windows and stamps events by InfluxDB'"'"'s" offset_ms=' \
  "das says its clock is off"
dm=$(metric "$DAS_PORT" das_clock_offset_seconds)
assert_ge "$dm" 38.5 "das's /metrics: das_clock_offset_seconds $dm"
assert_le "$dm" 41.5 "about +40 s"
ev_t=$(psql_doc "select time_ms from das_events where seq = 1 and action = 'scale-out'")
d=$(($(date +%s%3N) - ev_t))
assert_ge "$d" -2500 "the event is stamped by InfluxDB's clock, not 40 s behind ($d ms ago; a Date header has whole seconds)"
assert_le "$d" 30000 "(and recent)"

st=$(faketime -f '-40s' "$bin_das" status --ds-interval 1s 2>&1) || true
echo "$st" | grep '^clock' | sed 's/^/  status: /'
# (a Date header has whole seconds: 39 to 41 s)
grep -qE "^clock: this host's is (39|40|41)s behind InfluxDB's: das uses InfluxDB's$" <<<"$st" ||
  fail "das status (40 s behind) does not say so"
ok "das status (40 s behind) says so"
grep -qE "^clock: node node1 is (39|40|41)s ahead of InfluxDB's: its ds stamps points by InfluxDB's$" <<<"$st" ||
  fail "das status does not name node1 and its offset"
ok "das status names the node whose clock is off, and by how much"
js=$("$bin_das" status --json --ds-interval 1s 2>/dev/null || true)
assert_eq "$(python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["clock_corrected"], [(n["node"], -41500 <= n["offset_ms"] <= -38500) for n in d["nodes_clock_off"]])' <<<"$js")" \
  "False [('node1', True)]" "das status --json on a host whose clock is right: nodes_clock_off node1, about -40 s"
finish
