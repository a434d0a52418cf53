#!/usr/bin/env bash
# Soak (issue 9, RELIABILITY.md): ds and das at 1 s intervals for
# SOAK_SECONDS (90 in make test; `SOAK_SECONDS=1200 bash
# tests/integ/t_soak.sh` is the long run RELIABILITY.md records), on a
# real dockerd in swarm mode, influxd and PostgreSQL, with churn:
#  * a service scaled between 1 and 3 replicas by another writer every
#    few seconds, plain containers started and killed;
#  * 200 policies (one on a service that burns CPU and gets scaled by das,
#    199 on services whose tasks stay pending);
#  * InfluxDB restarted once (at 1/3) and the policy store once (at 2/3).
# Checked: nothing lost (ds's points collected = written = what InfluxDB
# holds), every das action has its event row (das_actions_total = rows),
# open fds flat after warm-up, every warning and error line one of those
# the faults explain. Printed: RSS and fds of ds and das over time.
# shellcheck disable=SC2317  # functions run through wait_until / bg_run
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
SOAK=${SOAK_SECONDS:-90}
((SOAK >= 60)) || fail "SOAK_SECONDS must be at least 60"
NPEND=199
tb_up

DS_PORT=$(free_port)
DAS_PORT=$((DS_PORT + 1))
metric() { curl -s --noproxy '*' "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }

# --- services and policies ------------------------------------------------------
dk service create --detach --name hot --replicas 1 --limit-cpu 0.1 --stop-grace-period 1s \
  "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null 2>&1 || fail "service hot"
dk service create --detach --name churn --replicas 1 --stop-grace-period 1s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1 || fail "service churn"
seq 1 "$NPEND" | xargs -P 4 -I{} "$DOCKER" -H "$TESTBED_ENGINE_1_HOST" service create --detach \
  --name "pend{}" --constraint node.labels.never==1 "$TESTBED_IMAGE" sleep 1 >/dev/null 2>&1 ||
  fail "the pending services"
assert_eq "$(dk service ls -q | wc -l)" "$((NPEND + 2))" "$((NPEND + 2)) services: hot, churn and $NPEND held pending"
"$bin_das" policy add hot --seq 1 --mode step --min 1 --max 3 --item cpu_ratio --out 5% \
  --in 1% --out-for 10s --in-for 10s --warmup 0s >/dev/null
psql_doc "insert into das (seq, min_no, max_no, cur_no, cond_item, out_cond, in_cond, out_duration, in_duration, service_id)
  select g + 1, 1, 2, 1, 'cpu_ratio', '70%', '10%', '10s', '10s', 'pend' || g from generate_series(1, $NPEND) g" >/dev/null
assert_eq "$(psql_doc "select count(*) from das")" 200 "200 policies"

# --- ds, das and the churn ------------------------------------------------------------
bg_run "$TB_TMP/ds.log" "$bin_ds" --node node1 --interval 1s --listen "127.0.0.1:$DS_PORT"
DS_PID=$BG_PID
bg_run "$TB_TMP/das.log" "$bin_das" run --interval 1s --ds-interval 1s --listen "127.0.0.1:$DAS_PORT"
DAS_PID=$BG_PID
churn() {
  local n=0 c
  trap - ERR
  set +e
  while :; do
    dk service scale --detach churn=$((1 + RANDOM % 3)) >/dev/null 2>&1
    dk run -d --label das.soak=1 "$TESTBED_IMAGE" sleep 30 >/dev/null 2>&1
    c=$(dk ps -q --filter label=das.soak=1 | head -1)
    if ((n % 2)) && [[ -n "$c" ]]; then
      dk kill "$c" >/dev/null 2>&1
      dk rm "$c" >/dev/null 2>&1
    fi
    n=$((n + 1))
    sleep 3
  done
}
bg_run "$TB_TMP/churn.log" churn
CHURN_PID=$BG_PID

# --- sampling, and one restart of each store ---------------------------------------------
# ds keeps each container's cgroup and /proc files open (at most
# CG_NFILES = 7 a container): those follow the containers; the rest of its
# fds (sockets, pipes, logs) must stay flat.
ds_kept_fds() { find "/proc/$DS_PID/fd" -mindepth 1 -printf '%l\n' 2>/dev/null | grep -cE '^/(sys/fs/cgroup|proc)/' || true; }
sample() { # T: a row of figures
  local rss_ds rss_das fd_ds fd_das kept
  rss_ds=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DS_PID/status")
  rss_das=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DAS_PID/status")
  fd_ds=$(find "/proc/$DS_PID/fd" -mindepth 1 | wc -l)
  kept=$(ds_kept_fds)
  fd_das=$(find "/proc/$DAS_PID/fd" -mindepth 1 | wc -l)
  echo "$1 $rss_ds $((fd_ds - kept)) $rss_das $fd_das $kept" >>"$TB_TMP/samples"
}
: >"$TB_TMP/samples"
T0=$SECONDS
restarted_influx=0 restarted_pg=0
while ((SECONDS - T0 < SOAK)); do
  t=$((SECONDS - T0))
  pid_alive "$DS_PID" || fail "ds died: $(tail -5 "$TB_TMP/ds.log")"
  pid_alive "$DAS_PID" || fail "das died: $(tail -5 "$TB_TMP/das.log")"
  sample "$t"
  if ((!restarted_influx && t >= SOAK / 3)); then
    testbed influx-stop >/dev/null
    sleep 5
    testbed influx-start >/dev/null
    restarted_influx=1
    echo "  $t s: InfluxDB restarted"
  fi
  if ((!restarted_pg && t >= 2 * SOAK / 3)); then
    testbed pg-stop >/dev/null
    sleep 5
    testbed pg-start >/dev/null
    restarted_pg=1
    echo "  $t s: the policy store restarted"
  fi
  sleep 5
done
bg_stop "$CHURN_PID"
ok "$SOAK s of churn; InfluxDB and the policy store each restarted once; ds and das never died"

# --- figures ------------------------------------------------------------------------
echo "  t(s)  ds RSS(KiB) fds (+ container files)   das RSS(KiB) fds"
awk '{ printf "  %4d  %11d %4d (+%4d)  %12d %4d\n", $1, $2, $3, $6, $4, $5 }' "$TB_TMP/samples" |
  awk -v n="$(wc -l <"$TB_TMP/samples")" 'NR <= 3 || NR > n - 3 || NR % 10 == 0'
# warm-up: the first quarter
read -r ds_fd_warm das_fd_warm < <(awk -v q="$((SOAK / 4))" '$1 <= q { a = $3; b = $5 } END { print a, b }' "$TB_TMP/samples")
read -r ds_fd_max das_fd_max < <(awk -v q="$((SOAK / 4))" '$1 > q { if ($3 > a) a = $3; if ($5 > b) b = $5 } END { print a + 0, b + 0 }' "$TB_TMP/samples")
assert_le "$ds_fd_max" "$((ds_fd_warm + 3))" "ds's open fds but its containers' files flat after warm-up ($ds_fd_warm, at most $ds_fd_max)"
# the churn has stopped: after a few rounds ds holds no file of a container
# that is gone (at most 7 for each one running)
kept_ok() {
  local c k
  c=$(dk ps -q | wc -l)
  k=$(ds_kept_fds)
  echo "$k files for $c containers" >"$TB_TMP/kept"
  ((k <= 7 * c))
}
wait_until 30 kept_ok || fail "ds holds files of containers that are gone: $(cat "$TB_TMP/kept")"
ok "ds's container files follow the containers: $(cat "$TB_TMP/kept")"
assert_le "$das_fd_max" "$((das_fd_warm + 3))" "das's open fds flat after warm-up ($das_fd_warm, at most $das_fd_max)"
awk -v q="$((SOAK / 4))" '$1 > q { if (!n++) { d0 = $2; a0 = $4 } d1 = $2; a1 = $4 }
  END { printf "  RSS after warm-up → end: ds %d → %d KiB, das %d → %d KiB\n", d0, d1, a0, a1 }' "$TB_TMP/samples"

# every action has its event row (das counts them in /metrics)
acts=0
for a in scale-out scale-in bound; do
  n=$(curl -s --noproxy '*' "http://127.0.0.1:$DAS_PORT/metrics" | awk -v a="das_actions_total{action=\"$a\"}" '$1 == a { print $2 }')
  acts=$((acts + ${n:-0}))
done
rows=$(psql_doc "select count(*) from das_events where action in ('scale-out', 'scale-in', 'bound')")
assert_ge "$acts" 1 "das acted ($acts actions: hot scaled on its load)"
assert_eq "$rows" "$acts" "one event row per action ($acts actions, $rows rows)"

# nothing lost: stop ds (it writes what waits), compare with InfluxDB
bg_stop "$DS_PID"
line=$(grep 'msg="ds stopping on signal"' "$TB_TMP/ds.log") || fail "ds did not say it stopped"
echo "  ds: ${line#*msg=}"
points=$(sed -n 's/.* points=\([0-9]*\).*/\1/p' <<<"$line")
written=$(sed -n 's/.* written=\([0-9]*\).*/\1/p' <<<"$line")
assert_eq "$written" "$points" "ds wrote every point it collected ($points)"
held=$(influx_q "select count(mem_usage) from docker" | python3 -c 'import json, sys
s = json.load(sys.stdin)["results"][0].get("series")
print(s[0]["values"][0][1] if s else 0)')
assert_eq "$held" "$points" "InfluxDB holds exactly those $points points, across its restart"
bg_stop "$DAS_PID"

# every warning and error explained by the faults
explained='InfluxDB write failed; points kept for retry|unavailable: no action until it answers|could not write the decisions? to InfluxDB|could not record the event|decision dropped|scaled, but could not write cur_no|cannot read container|container gone|exiting with points'
unexplained=$(grep -hE 'level=(warn|error)' "$TB_TMP/ds.log" "$TB_TMP/das.log" | grep -vE "$explained" || true)
grep -hE 'level=(warn|error)' "$TB_TMP/ds.log" "$TB_TMP/das.log" | sed -n 's/.*comp=\([a-z]*\) msg="\([^"]*\)".*/\1: \2/p' |
  sort | uniq -c | sed 's/^/  /'
assert_eq "$unexplained" "" "every warning and error line is one the injected faults explain"
finish
