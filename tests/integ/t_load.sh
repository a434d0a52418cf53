#!/usr/bin/env bash
# The trace-driven load service on a real swarm: scripts/build-load-image
# makes das-load:latest offline, scripts/load-driver plays a trace slice
# into the share file the replicas read through a bind mount, and each
# replica burns its share under its CPU limit:
#  * demand 160 (scale 0.1: 16% of one core) on 1 replica limited to 0.1
#    cores: the replica sits at its limit (about 10%);
#  * scaled by hand to 4: the driver counts 4 running replicas and each
#    burns about its share (4%), far below what the lone replica burnt,
#    while together they serve more than it could;
#  * the driver plays exactly the slice (--start, --rows), logs one CSV line
#    per row with the replica count and share, ends by itself with status 0
#    and leaves the share at 0: the replicas go idle.
# CPU comes from ds --once --stdout (cpu_ratio, percent of one core over one
# second), averaged over three rounds; the bounds are wide on purpose (a
# shared, noisy machine), and nothing is timed.
. "$(dirname "$0")/lib.sh"
bin_load=$DAS_BUILD/load
need_bin "$bin_load"
need_bin "$bin_ds"
tb_up

# --- the image --------------------------------------------------------------
DAS_IMAGES_DIR=$TB_TMP/images bash "$DAS_SRC/scripts/build-load-image" "$DAS_BUILD" \
  "$TESTBED_ENGINE_1_HOST" >"$TB_TMP/build.out" 2>"$TB_TMP/build.err" ||
  fail "scripts/build-load-image failed: $(cat "$TB_TMP/build.err")"
sed 's/^/  /' "$TB_TMP/build.out"
size=$(dk image inspect -f '{{.Size}}' das-load:latest)
assert_lt "$size" $((4 * 1024 * 1024)) "das-load:latest is built offline and tiny ($size bytes)"

# --- the service and the trace ----------------------------------------------
SHARE_DIR=$TB_TMP/load
mkdir -p "$SHARE_DIR"
dk service create --detach --name load --replicas 1 --limit-cpu 0.1 \
  --stop-grace-period 1s --mount "type=bind,src=$SHARE_DIR,dst=/load,readonly" \
  das-load:latest >/dev/null 2>&1
running() {
  [[ $(dk ps -q --filter label=com.docker.swarm.service.name=load | wc -l) -eq "$1" ]]
}
wait_until 60 running 1 || fail "the load replica did not start: $(dk service ps --no-trunc load)"
ok "load service: 1 replica running"

# 10 rows of demand 999 that the slice skips, then 160 for 40 rows: 400 s
# of trace, played in 40 s at 10x. Both measurements below were done by
# row 9 on a host loaded 8 times over its cores; a slower one fails
# saying so.
ROWS=40
TRACE=$TB_TMP/trace.csv
{
  echo t,demand
  for ((r = 0; r < 10 + ROWS; r++)); do
    echo "$((r * 10)),$((r < 10 ? 999 : 160))"
  done
} >"$TRACE"
CSV=$TB_TMP/driver.csv
bg_run "$TB_TMP/driver.log" bash "$DAS_SRC/scripts/load-driver" --trace "$TRACE" \
  --service load --dir "$SHARE_DIR" --start 10 --rows "$ROWS" --compress 10 \
  --scale 0.1 --log "$CSV"
DRIVER=$BG_PID
share_is() { [[ "$(cat "$SHARE_DIR/share" 2>/dev/null)" == "$1" ]]; }
wait_until 30 share_is 16.000 || fail "the driver did not write share 16.000: $(cat "$TB_TMP/driver.log")"
ok "1 replica, demand 160 × 0.1: share 16.000 (% of one core)"

# cpu_per_replica N: each load replica's cpu_ratio, averaged over three ds
# rounds, one number a line; fails unless exactly N replicas reported in
# every round.
cpu_per_replica() {
  local want=$1 round out
  for round in 1 2 3; do
    out=$TB_TMP/ds-$want-$round.lp
    "$bin_ds" --once --stdout --log-level warn >"$out" 2>"$TB_TMP/ds.err" ||
      { echo "ds --once failed: $(cat "$TB_TMP/ds.err")" >&2; return 1; }
  done
  awk -v want="$want" '
    $1 ~ /(^|,)service_name=load(,|$)/ {
      split($1, tags, ","); c = ""
      for (i in tags) if (tags[i] ~ /^container=/) c = substr(tags[i], 11)
      n = split($2, f, ",")
      for (i = 1; i <= n; i++) if (f[i] ~ /^cpu_ratio=/) { sum[c] += substr(f[i], 11); cnt[c]++ }
    }
    END {
      k = 0
      for (c in sum) { k++; if (cnt[c] != 3) exit 1 }
      if (k != want) exit 1
      for (c in sum) printf "%.2f\n", sum[c] / 3
    }' "$TB_TMP"/ds-"$want"-?.lp
}
mean() { awk '{ s += $1; n++ } END { printf "%.2f\n", n ? s / n : 0 }'; }
total() { awk '{ s += $1 } END { printf "%.2f\n", s }'; }

one=$(cpu_per_replica 1) || fail "ds did not report the 1 load replica in three rounds"
echo "  1 replica: cpu_ratio $one"
assert_ge "$one" 6 "1 replica: burns at about its 0.1-core limit (cpu_ratio $one ≥ 6)"
assert_le "$one" 13 "1 replica: the CPU limit caps it (cpu_ratio $one ≤ 13)"

# --- scale out by hand ------------------------------------------------------
dk service scale --detach load=4 >/dev/null 2>&1
wait_until 60 running 4 || fail "4 load replicas did not start"
wait_until 30 share_is 4.000 || fail "the driver did not count 4 replicas (share $(cat "$SHARE_DIR/share"))"
ok "4 replicas: the driver's share is 4.000"
# Wait for 4 reporting replicas (a new one may miss the first ds round).
four_ok() { cpu_per_replica 4 >"$TB_TMP/four"; }
wait_until 60 four_ok || fail "ds did not report the 4 load replicas in three rounds"
pid_alive "$DRIVER" || fail "the slice ended before the 4 replicas were measured (a very slow machine?)"
mapfile -t four <"$TB_TMP/four"
echo "  4 replicas: cpu_ratio ${four[*]}"
for c in "${four[@]}"; do
  assert_ge "$c" 2 "4 replicas: each serves its share of 4 (cpu_ratio $c ≥ 2)"
  assert_le "$c" 6 "4 replicas: each burns about its share of 4 (cpu_ratio $c ≤ 6)"
done
per4=$(printf '%s\n' "${four[@]}" | mean)
sum4=$(printf '%s\n' "${four[@]}" | total)
assert_gt "$one" "$(awk -v x="$per4" 'BEGIN { print 2 * x }')" \
  "scaling out lowers each replica's load: $one with 1 replica > 2 × $per4 with 4"
assert_gt "$sum4" "$one" "4 replicas together serve more ($sum4) than the lone one at its limit ($one)"

# --- the driver ends by itself, its log holds the slice -----------------------
driver_done() { ! pid_alive "$DRIVER"; }
wait_until 120 driver_done || fail "the driver did not end after its $ROWS rows"
rc=0
wait "$DRIVER" || rc=$?
assert_eq "$rc" 0 "the driver ended by itself with status 0"
assert_eq "$(head -1 "$CSV")" "time_ms,row,t,demand,replicas,share" "the log's header"
assert_eq "$(($(wc -l <"$CSV") - 1))" 40 "the log: one line per played row"
assert_eq "$(sed -n 2p "$CSV" | cut -d, -f2,3)" "10,100" "the slice starts at row 10 (t 100)"
assert_eq "$(tail -1 "$CSV" | cut -d, -f2,3)" "49,490" "the slice ends at row 49"
assert_eq "$(tail -n +2 "$CSV" | cut -d, -f4 | sort -u)" 160 "only the slice's demand was played"
pairs=$(tail -n +2 "$CSV" | cut -d, -f5,6 | sort -u | tr '\n' ' ')
assert_contains "$pairs" "1,16.000" "the log: 1 replica, share 16.000"
assert_contains "$pairs" "4,4.000" "the log: 4 replicas, share 4.000"
assert_eq "$(cat "$SHARE_DIR/share")" 0 "after the slice the share is 0"
idle() {
  local c
  cpu_per_replica 4 >"$TB_TMP/idle" || return 1
  while read -r c; do
    awk -v c="$c" 'BEGIN { exit !(c < 1) }' || return 1
  done <"$TB_TMP/idle"
}
wait_until 60 idle || fail "the replicas did not go idle: $(cat "$TB_TMP/idle")"
ok "the replicas go idle (cpu_ratio < 1 each)"

finish
