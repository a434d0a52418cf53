#!/usr/bin/env bash
# Several metrics per policy on a real swarm, with points written as ds
# writes them (cpu_ratio and mem_ratio per container, each from its own
# file):
#  * labels that name metrics (das.cpu_ratio.*, das.mem_ratio.*) are the
#    policy's conditions, and only those; `das policy list` shows them;
#  * CPU idle but memory in its band: no scale-in, and status says which
#    metric holds it and what the other proposed;
#  * memory above its line, CPU idle: a scale-out decided by mem_ratio (the
#    event's metric), and the reason names it;
#  * both below their lines: the scale-in every metric agrees on;
#  * memory's points stop (missing data) with CPU idle: no scale-in while
#    a whole window passes, status says mem_ratio's data is missing; CPU
#    above its line then scales out all the same (missing data blocks
#    scale-in, never a scale-out by another metric);
#  * a named metric without in_cond is refused naming the label; the
#    table takes the same conditions in its metrics column (`das policy
#    add --metrics`), and a bad one is refused naming --metrics.
# shellcheck disable=SC2119,SC2317  # tb_up takes no args here; functions run through wait_until
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"
need_bin "$bin_das"
tb_up

LOG=$TB_TMP/das.log
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$1"; }
replicas_is() { [[ "$(replicas "$1")" == "$2" ]]; }
running_of() { [[ $(dk ps -q --filter "label=com.docker.swarm.service.id=$1" | wc -l) -eq $2 ]]; }
nodb() { "$bin_das" "$@" --policy-db none; }
# the policy's status: [outcome, decided_by, reason]
st() { nodb status --json --ds-interval 1s | jq -c '.policies[] | select(.service == "two")'; }
st_is() {
  local s
  s=$(st)
  [[ "$(jq -r '.outcome' <<<"$s")" == "$1" && "$(jq -r '.decided_by' <<<"$s")" == "$2" ]]
}
# the scale actions of two, as [action, from, to, metric] lines
acts() {
  nodb events --json --service two |
    jq -c '[.[] | select(.action == "scale-out" or .action == "scale-in")] | sort_by(.time_ms) | .[] | [.action, .from, .to, .metric]'
}
nacts_is() { [[ "$(acts | wc -l)" == "$1" ]]; }

# two: CPU 70%/10% and memory 80%/20%, 8 s windows, step mode
dk service create --detach --name two --replicas 2 \
  --label das.max_no=4 --label das.scale_mode=step --label das.warmup=0s \
  --label das.cpu_ratio.out_cond=70% --label das.cpu_ratio.in_cond=10% \
  --label das.cpu_ratio.out_duration=8s --label das.cpu_ratio.in_duration=8s \
  --label das.mem_ratio.out_cond=80% --label das.mem_ratio.in_cond=20% \
  --label das.mem_ratio.out_duration=8s --label das.mem_ratio.in_duration=8s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
# half: a named metric without its in_cond
dk service create --detach --name half --replicas 1 \
  --label das.max_no=3 --label das.mem_ratio.out_cond=80% \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
TWO=$(dk service inspect -f '{{.ID}}' two)
wait_until 60 running_of "$TWO" 2 || fail "two did not start"
echo 5 >"$TB_TMP/cpu"
echo 50 >"$TB_TMP/mem"
bg_run "$TB_TMP/feed-cpu.log" feed "$TWO" two cpu_ratio "$TB_TMP/cpu"
bg_run "$TB_TMP/feed-mem.log" feed "$TWO" two mem_ratio "$TB_TMP/mem"
MEMFEED=$BG_PID

# --- the labels as a policy --------------------------------------------------
line=$(nodb policy list | awk '$3 == "two"' | tr -s ' ')
assert_contains "$line" "labels two 1 4 2 cpu_ratio 70% 10% 8s 8s step 0s mem_ratio 80%/20% 8s/8s ok" \
  "two's conditions are its named metrics, no default one: $line"
assert_eq "$(nodb policy list --json | jq -r '.[] | select(.service == "two") | .metrics')" \
  "mem_ratio.out_cond=80%; mem_ratio.in_cond=20%; mem_ratio.out_duration=8s; mem_ratio.in_duration=8s" \
  "policy list --json: the further metrics in the metrics column's form"
rc=0
check=$(nodb policy check) || rc=$?
assert_eq "$rc" 1 "policy check with a half-named metric exits 1"
assert_contains "$check" "service half: label das.mem_ratio.in_cond: is missing: a named metric needs out_cond and in_cond" \
  "and names the missing label"

# --- das run: CPU idle, memory in its band: held by memory -------------------
DAS_POLICY_DB=none bg_run "$LOG" "$bin_das" run --interval 1s --ds-interval 1s --log-level debug
wait_until 60 st_is steady mem_ratio || fail "two is not held steady by mem_ratio: $(st)"
reason=$(st | jq -r '.reason')
assert_contains "$reason" "cpu_ratio's scale-in to 1 waits for mem_ratio" \
  "status names the metric that holds it and what cpu_ratio proposed: $reason"
assert_eq "$(st | jq -c '[.conditions[] | [.cond_item, .outcome, .proposes]]')" \
  '[["cpu_ratio","scale-in",1],["mem_ratio","steady",2]]' "status --json: each metric's own proposal"
assert_eq "$(replicas two)" 2 "no scale-in while one metric disagrees"

# --- memory above its line: out, decided by mem_ratio ------------------------
echo 95 >"$TB_TMP/mem"
wait_until 60 replicas_is two 3 || fail "two did not scale out on memory: $(tail -3 "$LOG")"
# at once below both lines: the window after the action sees memory low
echo 5 >"$TB_TMP/mem"
wait_until 30 nacts_is 1 || fail "the scale-out is not in the events: $(acts)"
assert_eq "$(acts)" '["scale-out",2,3,"mem_ratio"]' "the event names mem_ratio as the metric that decided"
assert_contains "$(nodb events --json --service two | jq -r '.[] | select(.action == "scale-out") | .reason')" \
  "mean mem_ratio" "and its reason is memory's"

# --- both below their lines: the scale-in every metric agrees on --------------
wait_until 60 replicas_is two 2 || fail "two did not scale in with both metrics low: $(tail -3 "$LOG")"
wait_until 30 nacts_is 2 || fail "the scale-in is not in the events: $(acts)"
assert_eq "$(acts | tail -1)" '["scale-in",3,2,"cpu_ratio"]' "a scale-in both agree on (step: 3 → 2)"
assert_contains "$(nodb events --json --service two | jq -r '[.[] | select(.action == "scale-in")][0].reason')" \
  "every metric agrees" "its reason says every metric agrees"

# --- memory's points stop: no scale-in on missing data, CPU still scales out --
bg_stop "$MEMFEED"
wait_until 60 st_is insufficient-data mem_ratio || fail "status does not say mem_ratio's data is missing: $(st)"
ok "status: insufficient data, held by mem_ratio ($(st | jq -r '.reason'))"
# a whole scale-in window (8 s) and more with memory missing and CPU idle:
# twelve of das's 1 s cycles held by it, counted in das's log (not by this
# test's clock)
SEQ=$(awk '{print $1}' <<<"$line")
held() { grep 'msg="no action"' "$LOG" | grep "seq=$SEQ " | grep -c 'outcome=insufficient-data' || true; }
more_cycles() { (($(held) >= 12)); }
wait_until 60 more_cycles || fail "das did not keep deciding: $(held) cycles held"
assert_eq "$(replicas two)" 2 "no scale-in while mem_ratio has no data"
assert_eq "$(acts | wc -l)" 2 "no action recorded while mem_ratio has no data"
echo 95 >"$TB_TMP/cpu"
wait_until 60 replicas_is two 3 || fail "cpu_ratio above its line did not scale out with mem_ratio missing: $(st)"
wait_until 30 nacts_is 3 || fail "the scale-out is not in the events: $(acts)"
assert_eq "$(acts | tail -1)" '["scale-out",2,3,"cpu_ratio"]' "scale-out on cpu_ratio, memory's data missing"

# --- the table: the same conditions in its metrics column --------------------
rc=0
"$bin_das" policy add tbl --seq 3 --min 1 --max 5 --item cpu_ratio --out 70% --in 10% \
  --out-for 1m --in-for 5m --metrics 'mem_ratio.out_cond=80%; mem_ratio.in_cond=20%; mem_ratio.in_duration=10m' \
  >"$TB_TMP/add.out" 2>&1 || rc=$?
assert_eq "$rc" 0 "policy add --metrics exits 0: $(cat "$TB_TMP/add.out")"
assert_eq "$(psql_doc 'select metrics from das where seq = 3')" \
  "mem_ratio.out_cond=80%; mem_ratio.in_cond=20%; mem_ratio.in_duration=10m" "the column holds the text as given"
assert_eq "$("$bin_das" policy list --json | jq -r '.[] | select(.seq == 3) | .status')" ok "the row is ok"
rc=0
err=$("$bin_das" policy add tbl --seq 4 --min 1 --max 5 --item cpu_ratio --out 70% --in 10% \
  --out-for 1m --in-for 5m --metrics 'mem_ratio.out_cond=80%' 2>&1) || rc=$?
assert_eq "$rc" 2 "policy add with a half-named metric exits 2"
assert_contains "$err" "--metrics: metrics mem_ratio.in_cond: is missing" "naming --metrics and the key: $err"
assert_eq "$(psql_doc 'select count(*) from das where seq = 4')" 0 "and writes nothing"
finish
