#!/usr/bin/env bash
# Leader failover (docs/design.md §1, §4 rule 6, §6 "no loss"), on a real swarm
# of three managers, a real influxd and PostgreSQL:
#  * `das run` against each of the three managers: only the one on the
#    swarm leader acts (one sync row and one scale-out row, not three; the
#    others log standby and act never);
#  * right after a scale-out 2 → 3 the leader's engine stops; another
#    manager is elected and the das there acts within two of its cycles
#    of its engine saying it leads;
#  * with its history intact: it reads the last action's time from the store
#    (`das status` on the new leader: settling, last_action_ms = the row the
#    old leader wrote), does not repeat 2 → 3, does not act before its window
#    lies wholly after that action, and then scales 3 → 4 once.
# The service's tasks are kept off the first leader's node, so stopping it
# takes no replica away and the windows stay covered through the failover:
# a das that forgot the last action would act at once.
# DAS_FAILOVER_LABELS=1 (t_failover_labels.sh) runs the same with the
# policy in the service's labels and `das run --policy-db none`: no SQL at
# all, the history read back from InfluxDB's `das` measurement.
# shellcheck disable=SC2317  # functions run through wait_until
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
T0=$SECONDS
tb_up --engines 3 --managers 3 --addr-base "${DAS_TESTBED_ADDR_BASE:-auto}"

N=3
LABELS=${DAS_FAILOVER_LABELS:-0}
# The scale-out window: four times an election here (about 15 s from the
# action to the new leader acting), so that even on a slow host the
# takeover lands inside it. It must: only inside the window does "settling"
# tell a das that remembers the last action from one that forgot it (after
# the window both would wait, and both would act at once).
WIN_MS=60000

# host_of, node_of, engine_leads, leader_among: lib.sh

OLD=$(leader_among 1 2 3) || fail "no engine says it leads the swarm"
ok "engine $OLD leads the swarm"

# Two replicas burning 0.1 CPU each (cpu_ratio about 10%), never on the
# leader's node.
LABEL_ARGS=()
if ((LABELS)); then
  LABEL_ARGS=(--label das.min_no=2 --label das.max_no=4 --label das.scale_mode=step
    --label das.cond_item=cpu_ratio --label das.out_cond=5% --label das.in_cond=2%
    --label "das.out_duration=$((WIN_MS / 1000))s" --label das.in_duration=20s)
fi
dk service create --detach --name web --replicas 2 --limit-cpu 0.1 "${LABEL_ARGS[@]}" \
  --stop-grace-period 1s --constraint "node.id!=$(node_of "$OLD")" \
  "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null 2>"$TB_TMP/create.err" ||
  fail "service create: $(cat "$TB_TMP/create.err")"
WEB=$(dk service inspect -f '{{.ID}}' web)
web_count() {
  local n=0 k
  for ((k = 1; k <= N; k++)); do
    n=$((n + $(dkn "$k" ps -q --filter "label=com.docker.swarm.service.id=$WEB" | wc -l)))
  done
  echo "$n"
}
web_running() { [[ "$(web_count)" == "$1" ]]; }
wait_until 90 web_running 2 || fail "web's 2 tasks did not start: $(dk service ps web 2>&1)"

for ((k = 1; k <= N; k++)); do
  bg_run "$TB_TMP/ds$k.log" "$bin_ds" --docker-host "$(host_of "$k")" --node "node$k" --interval 2s
done
STORE=()
if ((LABELS)); then
  STORE=(--policy-db none)
else
  "$bin_das" policy add web --mode step --min 2 --max 4 --item cpu_ratio --out 5% --in 2% \
    --out-for "$((WIN_MS / 1000))s" --in-for 20s --seq 1 >/dev/null
fi

# das run on every manager, /metrics on a port of its own choosing
DAS_PID=()
for ((k = 1; k <= N; k++)); do
  bg_run "$TB_TMP/das$k.log" "$bin_das" run --docker-host "$(host_of "$k")" "${STORE[@]}" \
    --interval 2s --ds-interval 2s --listen 127.0.0.1:0 --log-level debug
  DAS_PID[k]=$BG_PID
done
das_port() { sed -n 's/.*serving \/healthz.* port=\([0-9]*\).*/\1/p' "$TB_TMP/das$1.log" | head -n1; }
has_port() { [[ -n "$(das_port "$1")" ]]; }
PORT=()
for ((k = 1; k <= N; k++)); do
  wait_until 30 has_port "$k" || fail "das $k did not start its endpoint: $(cat "$TB_TMP/das$k.log")"
  PORT[k]=$(das_port "$k")
done
# metric K NAME: a sample of das K's /metrics (NAME may hold a label set)
metric() {
  curl -s --max-time 5 "http://127.0.0.1:${PORT[$1]}/metrics" |
    awk -v n="$2" '$1 == n { print $2; f = 1 } END { exit !f }'
}
acted() { grep -c 'msg="acted"' "$TB_TMP/das$1.log" || true; }
# events ACTION: "from>to" of das's rows of that action, oldest first;
# event_ms ACTION [FROM]: the time of the first (from FROM)
if ((LABELS)); then
  das_rows() { # ACTION: time from to, from the `das` measurement
    influx_q "select \"from\", \"to\" from das where service = 'web' and action = '$1' and dry_run = false" epoch=ms |
      python3 -c 'import json, sys
s = json.load(sys.stdin)["results"][0].get("series") or []
for v in (s[0]["values"] if s else []):
    print(v[0], v[1], v[2])'
  }
  events() { das_rows "$1" | awk '{ print $2 ">" $3 }' | paste -sd ' ' -; }
  event_ms() { das_rows "$1" | awk -v f="${2:-}" 'f == "" || $2 == f { print $1; exit }'; }
else
  events() {
    psql_doc "select from_no || '>' || to_no
      from das_events where seq = 1 and action = '$1' and not dry_run order by time_ms" | paste -sd ' ' -
  }
  event_ms() {
    psql_doc "select time_ms from das_events where seq = 1 and action = '$1' ${2:+and from_no = $2} order by time_ms limit 1"
  }
fi
# replicas: web's replica count as the engine $LIVE (a running manager) says
LIVE=1
replicas() { dkn "$LIVE" service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web 2>/dev/null; }

# --- before the failover: only the leader acts ------------------------------
has_scaled() { [[ -n "$(events scale-out)" ]]; }
wait_until $((WIN_MS / 1000 + 120)) has_scaled || fail "no scale-out before the failover: $(tail -5 "$TB_TMP/das$OLD.log")"
T_ACT=$(event_ms scale-out)
assert_eq "$(events scale-out)" "2>3" "the leader scaled out 2>3"
# a table row starts with no cur_no: synced once by the leader; a label
# policy's cur_no is the service's count: nothing to sync
SYNCS=$( ((LABELS)) && echo "" || echo "-1>2")
ACTS_OLD=$( ((LABELS)) && echo 1 || echo 2)
assert_eq "$(events synced)" "$SYNCS" "cur_no was synced once, not once per manager (labels: never)"
for ((k = 1; k <= N; k++)); do
  if ((k == OLD)); then
    assert_eq "$(acted "$k")" "$ACTS_OLD" "das on the leader (engine $k) acted: (sync and) scale-out"
    assert_contains "$(cat "$TB_TMP/das$k.log")" "acting: this engine is the swarm leader" \
      "das on engine $k says it acts"
  else
    assert_eq "$(acted "$k")" 0 "das on engine $k (not the leader) did not act"
    assert_contains "$(cat "$TB_TMP/das$k.log")" "standby: this engine is not the swarm leader" \
      "das on engine $k says standby"
    assert_eq "$(metric "$k" das_leader)" 0 "das on engine $k: /metrics das_leader 0"
  fi
done

# the leader's engine stops right after its action
bg_run "$TB_TMP/engine-stop.log" bash "$TB_SCRIPT" engine-stop "$OLD" --dir "$TB_ROOT/bed"
STOP_PID=$BG_PID

# --- the election -------------------------------------------------------------
OTHERS=()
for ((k = 1; k <= N; k++)); do ((k == OLD)) || OTHERS+=("$k"); done
NEW=
find_new() { NEW=$(leader_among "${OTHERS[@]}"); }
# poll directly (not wait_until: NEW must be set in this shell)
deadline=$((SECONDS + 90))
while ((SECONDS < deadline)); do
  find_new && break
  sleep 0.5
done
log_of() { local v=TESTBED_ENGINE_${1}_LOG; echo "${!v}"; }
[[ -n "$NEW" ]] || fail "no other manager was elected leader: $(tail -5 "$(log_of "${OTHERS[0]}")")"
C0=$(metric "$NEW" das_cycles_total)
LIVE=$NEW
ok "engine $NEW was elected leader (das $NEW had run $C0 cycles then)"

# das on the new leader: every cycle that started after its engine said
# "leader" acts; cycle C0+1 may have started before.
took_over=0
for ((i = 0; i < 300; i++)); do
  l=$(metric "$NEW" das_leader) || l=
  c=$(metric "$NEW" das_cycles_total) || c=
  if [[ "$l" == 1 ]]; then
    took_over=1
    break
  fi
  if [[ -n "$c" ]] && ((c >= C0 + 2)); then
    # read leader after cycles: a cycle ≥ C0+2 that reported standby?
    l2=$(metric "$NEW" das_leader) || l2=
    [[ "$l2" == 1 ]] || fail "das on engine $NEW still standby after cycle $c (its engine led from cycle $C0 on)"
  fi
  sleep 0.2
done
((took_over)) || fail "das on engine $NEW never took over: $(tail -5 "$TB_TMP/das$NEW.log")"
C1=$(metric "$NEW" das_cycles_total)
ok "das on the new leader (engine $NEW) acts within two cycles (leader at cycle ≤ $C1, elected at $C0)"
assert_contains "$(cat "$TB_TMP/das$NEW.log")" "acting: this engine is the swarm leader" \
  "das on engine $NEW logs that it acts now"

# its view right after the takeover: the last action comes from the store
st=$("$bin_das" status "${STORE[@]}" --json --docker-host "$(host_of "$NEW")" --ds-interval 2s 2>/dev/null || true)
pol() {
  python3 -c 'import json, sys
d = json.load(sys.stdin)
v = d if sys.argv[1].startswith(".") else d["policies"][0]
for k in sys.argv[1].lstrip(".").split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("null" if v is None else v)' "$1"
}
assert_eq "$(pol .leader <<<"$st")" True "das status on engine $NEW: this engine leads"
SEQ=$(pol seq <<<"$st") # 1 for the table row; a label policy's is its own
assert_eq "$(pol last_action_ms <<<"$st")" "$T_ACT" "the new leader's last action is the old leader's scale-out (from the history)"
now_ms=$(pol .time_ms <<<"$st")
if ((now_ms - WIN_MS <= T_ACT)); then
  assert_eq "$(pol outcome <<<"$st")" settling "$((now_ms - T_ACT)) ms after the last action: settling, not acting"
  assert_contains "$(pol reason <<<"$st")" "settling:" "das status says it is settling"
  # (the service as the policy names it: "web", or a label policy's id)
  sed -n '/msg="acting/,$p' "$TB_TMP/das$NEW.log" | grep -qE "msg=\"no action\" seq=$SEQ service=\"[^\"]*\" outcome=settling" ||
    fail "das run on engine $NEW did not hold back after taking over (settling)"
  ok "das run on engine $NEW held back after taking over: settling"
else
  fail "the takeover came $((now_ms - T_ACT)) ms after the last action, after its ${WIN_MS} ms window:" \
    "this run cannot tell a das that remembers the last action from one that forgot it" \
    "(election and takeover took longer than this test allows; see the engines' logs)"
fi
assert_eq "$(replicas)" 3 "no second step right after the failover"

# --- the new leader continues ------------------------------------------------
wait "$STOP_PID" || fail "engine-stop $OLD failed: $(cat "$TB_TMP/engine-stop.log")"
replicas_is() { [[ "$(replicas)" == "$1" ]]; }
wait_until $((WIN_MS / 1000 + 90)) replicas_is 4 || fail "the new leader did not scale out 3 → 4: $(tail -5 "$TB_TMP/das$NEW.log")"
ok "the new leader scaled out 3 → 4"
# at-max needs a window wholly after the 3 → 4 action and covered by the
# fourth replica from its start: the window plus that replica's start-up
# and first points, so more than WIN_MS after the action.
at_max() {
  "$bin_das" status "${STORE[@]}" --json --docker-host "$(host_of "$NEW")" --ds-interval 2s \
    >"$TB_TMP/status-max.json" 2>&1 || return 1
  [[ "$(pol outcome <"$TB_TMP/status-max.json")" == at-max ]]
}
wait_until $((WIN_MS / 1000 + 60)) at_max ||
  fail "das status on engine $NEW never said at-max: $(pol outcome <"$TB_TMP/status-max.json" 2>&1): $(pol reason <"$TB_TMP/status-max.json" 2>&1)"
assert_eq "$(events scale-out)" "2>3 3>4" "scale-out rows: 2>3 once (not repeated), then 3>4"
assert_eq "$(events synced)" "$SYNCS" "no sync after the failover (cur_no was intact)"
T_NEXT=$(event_ms scale-out 3)
assert_ge "$((T_NEXT - T_ACT))" "$WIN_MS" "3>4 came $((T_NEXT - T_ACT)) ms after 2>3: a whole $((WIN_MS / 1000)) s window after it"
assert_eq "$(acted "$NEW")" 1 "das on engine $NEW acted once (3>4)"
assert_contains "$(grep 'msg="acted"' "$TB_TMP/das$NEW.log")" "from=3 to=4" "das on engine $NEW scaled 3 → 4"
assert_eq "$(acted "$OLD")" "$ACTS_OLD" "das on the stopped engine $OLD did not act again"
for k in "${OTHERS[@]}"; do
  ((k == NEW)) || assert_eq "$(acted "$k")" 0 "das on engine $k (never the leader) never acted"
done
assert_contains "$(cat "$TB_TMP/das$OLD.log")" "dependency=docker" "das on engine $OLD logged its engine unreachable"
((LABELS)) || assert_eq "$(psql_doc "select cur_no from das where seq = 1")" 4 "cur_no = 4"
for ((k = 1; k <= N; k++)); do
  pid_alive "${DAS_PID[k]}" || fail "das on engine $k exited"
done
ok "every das process is still running"

echo "t_failover: $((SECONDS - T0)) s"
finish
