#!/usr/bin/env bash
# dockerd restarted under ds and das (issue 9, RELIABILITY.md), on a real
# single-node swarm with a real influxd and PostgreSQL:
#  * while the engine is down, das takes no action and says the engine is
#    unavailable; ds keeps running;
#  * the engine back, swarm starts the service's tasks again in new
#    containers (new ids); ds writes their points and das says the engine
#    is available again, neither restarted;
#  * a window that spans the restart (the old containers' points, a gap,
#    the new containers' points) may decide, as RELIABILITY.md says: once
#    every running replica reports, das decides on it (here: at-max,
#    the load above out_cond), well before a whole window of new points.
# shellcheck disable=SC2317  # functions run through wait_until
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
tb_up

WIN=30
dk service create --detach --name web --replicas 2 --limit-cpu 0.1 --stop-grace-period 1s \
  "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null 2>&1 || fail "service create"
WEB=$(dk service inspect -f '{{.ID}}' web)
ids() { dk ps -q --filter "label=com.docker.swarm.service.id=$WEB" | sort | tr '\n' ' '; }
two_running() { [[ $(dk ps -q --filter "label=com.docker.swarm.service.id=$WEB" | wc -l) -eq 2 ]]; }
wait_until 60 two_running || fail "web's two tasks did not start"
OLD=$(ids)
"$bin_das" policy add web --seq 1 --mode step --min 1 --max 2 --item cpu_ratio --out 5% \
  --in 1% --out-for "${WIN}s" --in-for "${WIN}s" --warmup 0s >/dev/null
bg_run "$TB_TMP/ds.log" "$bin_ds" --node node1 --interval 1s
DS_PID=$BG_PID
bg_run "$TB_TMP/das.log" "$bin_das" run --interval 1s --ds-interval 1s --log-level debug
DAS_PID=$BG_PID
outcome() { "$bin_das" status --json --ds-interval 1s 2>/dev/null | python3 -c 'import json, sys
p = json.load(sys.stdin)["policies"][0]; print(p["outcome"], "|", p["reason"])'; }
at_max() { [[ "$(outcome)" == at-max* ]]; }
wait_until 90 at_max || fail "web never at-max before the restart: $(outcome)"
ok "before: web at-max (2 replicas, each above 5%): $(outcome | cut -c1-90)"
# ds keeps each container's cgroup files open between rounds
ds_files() { local f; for f in /proc/"$DS_PID"/fd/*; do readlink "$f"; done 2>/dev/null; }
holds() {
  local c files
  files=$(ds_files)
  for c in $1; do grep -q "/$c" <<<"$files" || return 1; done
}
wait_until 10 holds "$OLD" || fail "ds holds no cgroup files of $OLD: $(ds_files | tr '\n' ' ')"
ok "ds holds the containers' cgroup files open ($(ds_files | grep -c /docker/) files)"

# --- the engine stops, and starts again ----------------------------------------------
T_STOP=$(date +%s%3N) # before the stop: nothing of it can come earlier
testbed engine-stop 1 >/dev/null || fail "engine-stop failed"
DOWN='msg="unavailable: no action until it answers" dependency=docker'
das_said_down() { grep -q "$DOWN" "$TB_TMP/das.log"; }
ds_said_down() { grep -q 'msg="docker engine unreachable"' "$TB_TMP/ds.log"; }
wait_until 60 das_said_down || fail "das did not say the engine is unavailable: $(tail -3 "$TB_TMP/das.log")"
wait_until 60 ds_said_down || fail "ds did not say the engine is unreachable: $(tail -3 "$TB_TMP/ds.log")"
t=$(log_ms "$(grep -m1 "$DOWN" "$TB_TMP/das.log")")
assert_ge "$t" "$T_STOP" "das: the engine is unavailable, no action (said after the stop)"
pid_alive "$DS_PID" || fail "ds died with its engine: $(tail -3 "$TB_TMP/ds.log")"
pid_alive "$DAS_PID" || fail "das died with its engine: $(tail -3 "$TB_TMP/das.log")"
ok "ds and das noticed the engine gone and kept running"
T_START=$(date +%s%3N) # before the start, as T_STOP
testbed engine-start 1 >/dev/null || fail "engine-start failed"
new_ones() { local n; n=$(ids); [[ $(wc -w <<<"$n") -eq 2 && "$n" != "$OLD" ]]; }
wait_until 90 new_ones || fail "web's tasks did not come back in new containers: $(ids) (before: $OLD)"
NEW=$(ids)
ok "the engine is back; web runs in new containers ($OLD → $NEW)"
said_back() { grep -q 'msg="available again" dependency=docker' "$TB_TMP/das.log"; }
wait_until 30 said_back || fail "das did not say the engine is back"
ok "das says the engine is available again (not restarted: pid $DAS_PID)"
new_points() {
  local c n
  for c in $NEW; do
    n=$(influx_q "select count(mem_usage) from docker where container = '$c'" |
      python3 -c 'import json, sys
s = json.load(sys.stdin)["results"][0].get("series")
print(s[0]["values"][0][1] if s else 0)')
    ((n >= 2)) || return 1
  done
}
wait_until 60 new_points || fail "ds wrote no points for the new containers: $(tail -3 "$TB_TMP/ds.log")"
ok "ds (not restarted: pid $DS_PID) writes the new containers' points"
# the open files followed the containers: the new ones', none of the old
holds "$NEW" || fail "ds holds no cgroup files of the new containers $NEW"
files=$(ds_files)
for c in $OLD; do
  if grep -q "/$c" <<<"$files"; then fail "ds still holds files of the old container $c: $(grep "/$c" <<<"$files" | tr '\n' ' ')"; fi
done
ok "ds's open files followed the containers ($(ds_files | grep -c /docker/) cgroup files, none of $OLD)"
assert_eq "$(psql_doc "select count(*) from das_events where seq = 1 and action in ('scale-out', 'scale-in')")" 0 \
  "no scale action through the restart"

# --- the window that spans the restart -------------------------------------------------
# The running das (not a das status of its own) decides again: its first
# at-max after it said the engine is back, and when it decided that.
decided_again() {
  awk '/msg="available again" dependency=docker/ { back = 1 }
       back && /msg="no action"/ && /outcome=at-max/ { print; exit }' "$TB_TMP/das.log"
}
has_decided() { [[ -n "$(decided_again)" ]]; }
wait_until 60 has_decided || fail "the running das did not decide again after the restart: $(tail -3 "$TB_TMP/das.log")"
pid_alive "$DAS_PID" || fail "das died after the engine came back: $(tail -3 "$TB_TMP/das.log")"
T_DECIDED=$(log_ms "$(decided_again)")
assert_ge "$T_DECIDED" "$T_START" "the running das decided at-max again after the engine started"
assert_le "$((T_DECIDED - WIN * 1000))" "$T_STOP" \
  "das decided again $(((T_DECIDED - T_START) / 1000)) s after the engine started, on a ${WIN} s window that began before the engine stopped (old points, a $(((T_START - T_STOP) / 1000)) s gap, new points)"
finish
