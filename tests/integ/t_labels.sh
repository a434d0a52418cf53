#!/usr/bin/env bash
# Policies from service labels on a real swarm, with synthetic points
# written as ds writes them:
#  * `das run --policy-db none` (no SQL store at all) scales a service whose
#    labels (docker service create --label das.max_no=…) are its policy;
#  * a bad label is reported naming the service and the label key, and that
#    policy alone is skipped: the other one keeps scaling;
#  * a restart within the window after an action reads the last action back
#    from InfluxDB (measurement das): settling, no second action until the
#    window after it is covered; das events and das status work without SQL;
#  * a replica change das has no record of (a hand scale) is read from the
#    service itself (UpdatedAt, PreviousSpec): the windows start after it;
#  * with the store (PostgreSQL), a table row for the same service wins over
#    its labels; das policy list and das status say each policy's source;
#  * das policy add / rm with --policy-db none say that policies come from
#    labels; deploy/docker-stack.labels.yml's labels are service labels.
# shellcheck disable=SC2119,SC2317  # tb_up takes no args here; functions run through wait_until
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"
need_bin "$bin_das"
tb_up

LOG=$TB_TMP/das.log
port=$(free_port)
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$1"; }
replicas_is() { [[ "$(replicas "$1")" == "$2" ]]; }
running_of() { [[ $(dk ps -q --filter "label=com.docker.swarm.service.id=$1" | wc -l) -eq $2 ]]; }
nodb() { "$bin_das" "$@" --policy-db none; }
# scale-outs of a service in the InfluxDB history (das events, no SQL)
outs() {
  nodb events --json --service "$1" | jq '[.[] | select(.action == "scale-out" and .dry_run == false)] | length'
}
outs_is() { [[ "$(outs "$1")" == "$2" ]]; }
cycles() { curl -s --noproxy '*' "http://127.0.0.1:$port/metrics" | awk '$1 == "das_cycles_total" {print $2}'; }
cycles_ge() { local c; c=$(cycles); [[ -n "$c" ]] && ((c >= $1)); }

# lab: a label policy; step mode (+1), out above 70% over 15 s, max 3
dk service create --detach --name lab --replicas 1 \
  --label das.max_no=3 --label das.out_cond=70% --label das.in_cond=10% \
  --label das.out_duration=15s --label das.in_duration=1h \
  --label das.scale_mode=step --label das.warmup=0s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
# badlab: a threshold das cannot read
dk service create --detach --name badlab --replicas 1 \
  --label das.max_no=3 --label "das.out_cond=70 percent" \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
# tab: labels, and (below) a table row for the same service
dk service create --detach --name tab --replicas 1 --label das.max_no=5 \
  --container-label das.max_no=9 "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
LAB=$(dk service inspect -f '{{.ID}}' lab)
wait_until 60 running_of "$LAB" 1 || fail "lab did not start"
echo 90 >"$TB_TMP/load"
bg_run "$TB_TMP/feed-lab.log" feed "$LAB" lab cpu_ratio "$TB_TMP/load"

# --- policies as labels: list, check, add/rm refused without SQL -------------
list=$(nodb policy list)
assert_contains "$list" "SOURCE" "policy list has a SOURCE column"
lab_line=$(printf '%s\n' "$list" | awk '$3 == "lab"' | tr -s ' ')
assert_contains "$lab_line" "labels lab 1 3 1 cpu_ratio 70% 10% 15s 1h step 0s - ok" \
  "lab's label policy, defaults filled in (min_no 1, cpu_ratio): $lab_line"
tab_line=$(printf '%s\n' "$list" | awk '$3 == "tab"' | tr -s ' ')
assert_contains "$tab_line" "labels tab 1 5 1 cpu_ratio 70% 30% 2m 5m auto 30s - ok" \
  "tab: only das.max_no; the documented defaults for the rest (a container label is not a service label): $tab_line"
rc=0
check=$(nodb policy check) || rc=$?
assert_eq "$rc" 1 "policy check with a bad label exits 1"
assert_contains "$check" 'service badlab: label das.out_cond: "70 percent": ' \
  "policy check names the service and the label key"
rc=0
err=$(nodb policy add lab --min 1 --max 3 --item cpu_ratio --out 70% --in 10% \
  --out-for 1m --in-for 1m 2>&1) || rc=$?
assert_eq "$rc" 2 "policy add with --policy-db none exits 2"
assert_contains "$err" "policies come from service labels" "and says why: $err"
rc=0
err=$(nodb policy rm 1 2>&1) || rc=$?
assert_eq "$rc" 2 "policy rm with --policy-db none exits 2"
assert_contains "$err" "policies come from service labels" "rm says it too"

# the stack file example: its labels are service labels (deploy.labels)
APP_IMAGE=$TESTBED_IMAGE dk stack deploy --resolve-image never \
  -c "$DAS_SRC/deploy/docker-stack.labels.yml" app >"$TB_TMP/stack.log" 2>&1 ||
  fail "docker stack deploy -c deploy/docker-stack.labels.yml: $(cat "$TB_TMP/stack.log")"
app_line=$(nodb policy list | awk '$3 == "app_web"' | tr -s ' ')
assert_contains "$app_line" "labels app_web 2 10 2 cpu_ratio 40% 10% 2m 10m auto 30s - ok" \
  "deploy/docker-stack.labels.yml deploys its policy with the service: $app_line"
dk stack rm app >/dev/null

# --- das run without SQL: lab scales, badlab is reported and skipped --------
DAS_POLICY_DB=none bg_run "$LOG" "$bin_das" run --interval 1s --ds-interval 1s \
  --listen "127.0.0.1:$port"
DAS1=$BG_PID
wait_until 60 replicas_is lab 2 || fail "lab did not scale out on its labels: $(tail -3 "$LOG")"
ok "das run --policy-db none scaled lab 1 → 2 on its labels"
assert_contains "$(cat "$LOG")" 'msg="label policy skipped"' "das run reports the bad label policy"
assert_contains "$(cat "$LOG")" 'service badlab: label das.out_cond: \"70 percent\"' \
  "naming the service and the label key"
assert_eq "$(replicas badlab)" 1 "badlab is left alone"
assert_eq "$(grep -c 'msg="label policy skipped"' "$LOG")" 1 "reported once, not every cycle"

# --- restart inside the window after the action -----------------------------
wait_until 30 outs_is lab 1 || fail "the scale-out is not in InfluxDB: $(nodb events 2>&1 | tail -2)"
ev=$(nodb events --json --service lab | jq -c '[.[] | select(.action == "scale-out")][0]')
assert_eq "$(jq -c '[.from, .to, .metric, .dry_run]' <<<"$ev")" '[1,2,"cpu_ratio",false]' \
  "das events without SQL: 1 → 2 on cpu_ratio, from InfluxDB"
T=$(jq '.time_ms' <<<"$ev")
bg_stop "$DAS1"
DAS_POLICY_DB=none bg_run "$TB_TMP/das2.log" "$bin_das" run --interval 1s --ds-interval 1s \
  --listen "127.0.0.1:$port" --log-level debug
DAS2=$BG_PID
wait_until 30 cycles_ge 3 || fail "the restarted das did not run its cycles: $(tail -3 "$TB_TMP/das2.log")"
st=$(nodb status --json --ds-interval 1s)
pst=$(jq -c '.policies[] | select(.service == "lab")' <<<"$st")
assert_eq "$(jq -r '.source' <<<"$pst")" labels "status --json: lab's policy comes from labels"
lab_seq=$(awk '{print $1}' <<<"$lab_line")
assert_lt "$lab_seq" 0 "a label policy's seq is negative (from the service id): $lab_seq"
assert_eq "$(jq -r '.seq' <<<"$pst")" "$lab_seq" "status and policy list give lab the same seq"
assert_eq "$(jq -c '.policies[] | select(.service == "badlab") | [.source, .outcome]' <<<"$st")" \
  '["labels","invalid-row"]' "status lists badlab's label policy as invalid, by its service"
assert_eq "$(jq -r '.last_action_ms' <<<"$pst")" "$T" "the last action read back from InfluxDB after the restart"
# what the restarted das decided for lab in its cycles, and when: its log
# lines' times against the first das's line for the action (one clock),
# not when this test looked
first=$(grep 'msg="acted"' "$LOG" | grep -m1 "seq=$lab_seq ") || fail "the first das logged no action for lab"
T_ACT=$(log_ms "$first")
settling() { grep 'msg="no action"' "$TB_TMP/das2.log" | grep -m1 "seq=$lab_seq .*outcome=settling"; }
has_settled() { [[ -n "$(settling)" ]]; }
wait_until 30 has_settled ||
  fail "the restarted das never held lab as settling (did its first cycle come after the 15 s window? action at $T_ACT): $(grep "seq=$lab_seq" "$TB_TMP/das2.log" | head -3)"
t=$(log_ms "$(settling)")
assert_lt "$t" "$((T_ACT + 15000))" "the restarted das: settling inside the 15 s window after the action ($((t - T_ACT)) ms after it)"
assert_eq "$(jq -r '.labels_only' <<<"$st")" true "status --json says labels only"
assert_contains "$(nodb status --ds-interval 1s)" "policy store: none (labels only" "status says so in words"
# once the window after the action is covered, it scales again (step: 2 → 3)
wait_until 60 replicas_is lab 3 || fail "lab did not scale 2 → 3 after the window: $(tail -3 "$TB_TMP/das2.log")"
assert_eq "$(outs lab)" 2 "two scale-outs in all: none more inside the window"
gap=$(nodb events --json --service lab | jq '[.[] | select(.action == "scale-out") | .time_ms] | max - min')
assert_ge "$gap" 15000 "the second action came after the window (${gap} ms), not at the restart"
bg_stop "$DAS2"

# a change das has no record of (by hand here; or das killed between its
# update and its record): the service's own UpdatedAt and PreviousSpec say
# the replicas changed, and the windows start after it
T2=$(nodb events --json --service lab | jq '[.[] | select(.action == "scale-out") | .time_ms] | max')
dk service scale --detach lab=2 >/dev/null
upd=$(date -d "$(dk service inspect -f '{{json .UpdatedAt}}' lab | tr -d '"')" +%s%3N)
assert_gt "$upd" "$T2" "lab scaled by hand after das's last recorded action"
pst=$(nodb status --json --ds-interval 1s | jq -c '.policies[] | select(.service == "lab")')
assert_eq "$(jq -r '.last_action_ms' <<<"$pst")" "$upd" \
  "a label policy's last change is the service's UpdatedAt when that update changed the replicas"
assert_eq "$(jq -r '.outcome' <<<"$pst")" settling "settling after the unrecorded change"

# --- with the store: a table row wins over the labels -----------------------
"$bin_das" policy add tab --seq 1 --min 1 --max 2 --item cpu_ratio --out 80% \
  --in 10% --out-for 1m --in-for 1m >/dev/null
list=$("$bin_das" policy list)
assert_contains "$(printf '%s\n' "$list" | awk '$1 == 1' | tr -s ' ')" "1 table tab 1 2" "the table row for tab"
assert_contains "$(printf '%s\n' "$list" | awk '$2 == "labels" && $3 == "tab"' | tr -s ' ')" \
  "left out: table row seq=1 names this service (the table wins)" "tab's labels are left out"
st=$("$bin_das" status --json --ds-interval 1s)
assert_eq "$(jq -c '[.policies[] | select(.service == "tab") | [.seq, .source, .max_no]]' <<<"$st")" \
  '[[1,"table",2]]' "status: tab's one policy is the table row"
assert_eq "$(jq -c '[.policies[] | select(.service == "lab") | .source]' <<<"$st")" '["labels"]' \
  "status: lab's labels still apply beside the table"
assert_eq "$(jq -r '.label_policies_shadowed' <<<"$st")" 1 "one label policy left out"
finish
