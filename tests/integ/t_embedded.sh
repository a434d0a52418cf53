#!/usr/bin/env bash
# The embedded default (deploy/das.yml): no database at all. On a swarm of
# three managers, on a bed that starts no store (testbed --no-stores;
# checked: no influxd, postgres or prometheus of the bed runs):
#  * `docker stack deploy -c deploy/das.yml das` from the images
#    scripts/build-images makes: ds healthy on every node, serving its kept
#    points at its node's address (node:PORT), das healthy on every
#    manager, exactly one (the swarm leader's) acting; no store in the
#    services' environment;
#  * a service whose policy is its labels (min 1, max 3, cpu_ratio) scales
#    out under CPU load up to its max and no further, and back in to its
#    min when the load stops; every action has its reason in `das events
#    --json` (inside the das task), and the service carries das.last and
#    das.last.reason;
#  * the acting das's container killed: the swarm's new das task on the
#    leader's node acts (a scale-out when the load comes back) with the
#    history from the service's labels; neither it nor a standby that saw
#    everything lists two actions less than a window apart;
#  * ds taken off one node (a placement constraint on the running
#    service): the replicas there count as not reporting (`das status
#    --json`: insufficient data, "1 of 2 replicas reporting") and an idle
#    service is not scaled in on their missing data while a whole window
#    passes; with ds back, it is. Meanwhile an impostor, a plain `docker
#    run` container given that service's labels and burning CPU, stands
#    in for no replica and adds nothing to the mean (issue 22): it is
#    named in the acting das's log and the decisions are the same.
# The bed's specifics, set by environment (the file's defaults are for a
# real cluster): every engine shares this host's network namespace, so das
# listens on port 0 (the health check and `das events` find it) and the
# agents on a free port of their nodes' addresses 127.0.0.K; each node's
# engine socket is linked as NODE_ID.sock under one templated path.
# shellcheck disable=SC2317  # functions run through wait_until
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
tb_up --engines 3 --managers 3 --no-stores
ENGINES=3
NL=$'\n'

# --- no store: the bed starts none (checked) ----------------------------------
[[ -z "${DAS_INFLUX_URL:-}${DAS_POLICY_DB:-}" ]] || fail "the bed exported a store"
# store_procs: "PID CMDLINE" of every influxd, postgres or prometheus whose
# command line names this bed's folder (the postmaster's -D, influxd's
# -config, prometheus's --config.file), or whose pid is in a bed pid file
store_procs() {
  local p f cmd
  for p in $(pgrep -x 'influxd|postgres|postmaster|prometheus' || true); do
    cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
    [[ "$cmd" == *"$DAS_TESTBED_DIR"* ]] && echo "$p $cmd"
  done
  for f in "${TESTBED_INFLUX_PID_FILE:-}" "${TESTBED_PG_PID_FILE:-}"; do
    [[ -n "$f" && -r "$f" ]] || continue
    p=$(head -n1 "$f")
    pid_alive "$p" && echo "$p (from $f)"
  done
  return 0
}
assert_eq "$(store_procs)" "" "no influxd, postgres or prometheus of the bed runs"

# --- images into every engine -----------------------------------------------
hosts=()
for ((k = 1; k <= ENGINES; k++)); do
  hosts+=("$(host_of "$k")")
done
DAS_IMAGES_DIR=$TB_TMP/images bash "$DAS_SRC/scripts/build-images" "$DAS_BUILD" "${hosts[@]}" \
  >"$TB_TMP/build-images.out" 2>"$TB_TMP/build-images.err" ||
  fail "scripts/build-images failed: $(cat "$TB_TMP/build-images.err")"
ok "images das-ds and das-das on all $ENGINES engines"

# --- each node's engine socket under one templated path ----------------------
SOCKS=$TB_TMP/sock
mkdir -p "$SOCKS"
for ((k = 1; k <= ENGINES; k++)); do
  h=$(host_of "$k")
  ln -s "${h#unix://}" "$SOCKS/$(node_of "$k").sock"
done
engine_of() { # NODE_ID: the bed's engine number of a swarm node
  local k
  for ((k = 1; k <= ENGINES; k++)); do
    [[ "$(node_of "$k")" == "$1" ]] && { echo "$k"; return 0; }
  done
  return 1
}
addr_of() { local v=TESTBED_ENGINE_${1}_ADDR; echo "${!v}"; }

# --- the stack ---------------------------------------------------------------
DOCKER_GID=$(stat -c %g "${TESTBED_ENGINE_1_HOST#unix://}")
AGENT_PORT=$(free_port)
(
  # The bed's store settings are not the stack's business: das.yml names none.
  unset DAS_INFLUX_URL DAS_INFLUX_DB DAS_POLICY_DB
  export DAS_DOCKER_SOCKET="$SOCKS/{{.Node.ID}}.sock" DAS_DOCKER_GID=$DOCKER_GID
  export DAS_AGENT_PORT=$AGENT_PORT DAS_LISTEN=127.0.0.1:0
  export DS_INTERVAL=2s DAS_INTERVAL=2s DAS_HEALTH_INTERVAL=5s
  dk stack deploy --resolve-image never -c "$DAS_SRC/deploy/das.yml" das
) >"$TB_TMP/deploy.log" 2>&1 || fail "docker stack deploy failed: $(cat "$TB_TMP/deploy.log")"
ok "docker stack deploy -c deploy/das.yml das (no secrets, no network to create)"
for svc in das_ds das_das; do
  env=$(dk service inspect -f '{{json .Spec.TaskTemplate.ContainerSpec.Env}}' "$svc")
  [[ "$env" =~ INFLUX|POLICY_DB|PROMETHEUS ]] && fail "$svc names a store: $env"
  ok "$svc: no store in its environment"
done

# running_tasks SERVICE: "ENGINE CONTAINER_ID" per running task
running_tasks() {
  local t state node cid
  for t in $(dk service ps -q --no-trunc --filter desired-state=running "$1"); do
    read -r state node cid < <(dk inspect --type task \
      -f '{{.Status.State}} {{.NodeID}} {{.Status.ContainerStatus.ContainerID}}' "$t")
    [[ "$state" == running && -n "$cid" ]] || continue
    echo "$(engine_of "$node") $cid"
  done
}
task_count_is() { [[ $(running_tasks "$1" | wc -l) -eq "$2" ]]; }
all_healthy() { # SERVICE N: N running tasks, every container healthy
  local k cid n=0
  while read -r k cid; do
    [[ "$(dkn "$k" inspect -f '{{.State.Health.Status}}' "$cid")" == healthy ]] || return 1
    n=$((n + 1))
  done < <(running_tasks "$1")
  ((n == $2))
}
health_report() {
  local k cid
  running_tasks "$1" | while read -r k cid; do
    echo "engine $k ${cid:0:12}: $(dkn "$k" inspect -f '{{.State.Health.Status}} {{json .State.Health.Log}}' "$cid")"
    dkn "$k" logs --tail 8 "$cid" 2>&1
  done
  dk service ps --no-trunc "$1" 2>&1 | tail -n 6
}
# das_on K: the container of the running das task on engine K
das_on() { running_tasks das_das | awk -v k="$1" '$1 == k { print $2; exit }'; }
# metric K CID NAME: a das's metric (das healthcheck /metrics in its task)
metric() { dkn "$1" exec "$2" das healthcheck /metrics 2>/dev/null | awk -v n="$3" '$1 == n { print $2 }'; }

wait_until 120 task_count_is das_ds 3 || fail "ds did not run on all 3 nodes:$NL$(dk service ps --no-trunc das_ds 2>&1)"
assert_eq "$(running_tasks das_ds | cut -d' ' -f1 | sort | tr '\n' ' ')" "1 2 3 " "ds: one task on every node (global)"
wait_until 120 task_count_is das_das 3 || fail "das did not run on all 3 managers:$NL$(dk service ps --no-trunc das_das 2>&1)"
assert_eq "$(running_tasks das_das | cut -d' ' -f1 | sort | tr '\n' ' ')" "1 2 3 " "das: one task on every manager"
# Docker's first probe comes one interval (DAS_HEALTH_INTERVAL, 5 s here)
# after the start.
wait_until 150 all_healthy das_ds 3 || fail "ds not healthy on every node:$NL$(health_report das_ds)"
ok "ds health check (node:PORT) healthy on all 3 nodes"
wait_until 150 all_healthy das_das 3 || fail "das not healthy on every manager:$NL$(health_report das_das)"
ok "das health check healthy on all 3 managers"

# Each ds serves its kept points on its node's swarm address, the port of
# the label das finds it by.
assert_eq "$(dk service inspect -f '{{index .Spec.Labels "das-agent.port"}}' das_ds)" "$AGENT_PORT" \
  "ds's service carries das-agent.port (DAS_AGENT_PORT)"
points_ok() { [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$1:$AGENT_PORT/points?since=0&fields=cpu_ratio")" == 200 ]]; }
for ((k = 1; k <= ENGINES; k++)); do
  wait_until 30 points_ok "$(addr_of "$k")" || fail "no GET /points on $(addr_of "$k"):$AGENT_PORT (engine $k's ds)"
  ok "engine $k's ds serves /points on its node's address $(addr_of "$k"):$AGENT_PORT"
done

LEADER=$(leader_among 1 2 3) || fail "no engine says it leads the swarm"
# one_acting: das_leader is 1 on the swarm leader's das, 0 on the others
one_acting() {
  local k cid
  for ((k = 1; k <= ENGINES; k++)); do
    cid=$(das_on "$k")
    [[ -n "$cid" ]] || return 1
    [[ "$(metric "$k" "$cid" das_leader)" == "$([[ $k == "$LEADER" ]] && echo 1 || echo 0)" ]] || return 1
  done
}
wait_until 60 one_acting || fail "not exactly the leader's das acting (das_leader on /metrics)"
ok "only the das on the swarm leader (engine $LEADER) acts; the other two stand by"
LCID=$(das_on "$LEADER")
st=$(dkn "$LEADER" exec "$LCID" das status --json 2>"$TB_TMP/status.err") ||
  fail "das status --json in the das task: $(cat "$TB_TMP/status.err")"
assert_eq "$(jq -r .labels_only <<<"$st")" true "das status: policies from labels only (no SQL)"

# --- part 1: a label policy scales out and back in ----------------------------
# The load switch: a file the replicas see through a bind mount (every node
# is this host). While it exists a replica spins at its CPU limit; without it
# the replica sleeps. No service update, so the replicas stay the same.
CTL=$TB_TMP/ctl
mkdir -p "$CTL"
touch "$CTL/on"
# cpu_ratio is % of one core: at --limit-cpu 0.2 a spinning replica shows
# about 20%, above out_cond 10%; a sleeping one about 0%, below in_cond 5%.
POLICY=(--label das.min_no=1 --label das.max_no=3 --label das.cond_item=cpu_ratio
  --label das.out_cond=10% --label das.in_cond=5% --label das.out_duration=20s
  --label das.in_duration=20s --label das.warmup=0s)
dk service create --detach --name burn --replicas 1 --limit-cpu 0.2 --stop-grace-period 1s \
  --mount "type=bind,source=$CTL,target=/ctl,readonly" "${POLICY[@]}" \
  "$TESTBED_IMAGE" sh -c 'while :; do [ -e /ctl/on ] || sleep 1; done' >/dev/null 2>"$TB_TMP/create.err" ||
  fail "service create burn: $(cat "$TB_TMP/create.err")"
BURN=$(dk service inspect -f '{{.ID}}' burn)
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$1"; }
replicas_is() { [[ "$(replicas "$1")" == "$2" ]]; }
wait_until 60 task_count_is burn 1 || fail "the burn service did not start"

# policy K CID NAME: the policy of service NAME in das status --json
policy() {
  dkn "$1" exec "$2" das status --json 2>/dev/null |
    jq -c --arg n "$3" '.policies[] | select(.service == $n or .service_ref == $n)'
}
outcome_is() { [[ "$(policy "$LEADER" "$LCID" "$1" | jq -r .outcome)" == "$2" ]]; }
debug() { # NAME: what das thinks of it
  echo "replicas $(replicas "$1"); status: $(policy "$LEADER" "$LCID" "$1")"
  dkn "$LEADER" logs --tail 15 "$LCID" 2>&1
}

wait_until 180 replicas_is burn 3 || fail "burn was not scaled out to its max, 3:$NL$(debug burn)"
ok "under load the label policy scaled burn out to its max, 3"
wait_until 60 outcome_is burn at-max || fail "burn at 3 replicas under load is not at-max:$NL$(debug burn)"
assert_eq "$(replicas burn)" 3 "and no further: outcome at-max, 3 replicas"
rm "$CTL/on"
wait_until 180 replicas_is burn 1 || fail "burn did not scale back in to 1:$NL$(debug burn)"
ok "load stopped: burn scaled back in to its min, 1"

# events K CID NAME: the scale actions of service NAME das lists, oldest first
events() {
  dkn "$1" exec "$2" das events --json 2>/dev/null |
    jq -c --arg n "$3" --arg id "${4:-}" '[.[] | select(.service == $n or .service == $id)] | sort_by(.time_ms)'
}
ev=$(events "$LEADER" "$LCID" burn "$BURN")
echo "  events: $ev"
assert_ge "$(jq '[.[] | select(.action == "scale-out")] | length' <<<"$ev")" 1 "das events: burn's scale-out"
assert_ge "$(jq '[.[] | select(.action == "scale-in")] | length' <<<"$ev")" 1 "das events: burn's scale-in"
assert_eq "$(jq '[.[] | select((.reason // "") == "")] | length' <<<"$ev")" 0 "das events: every action has its reason"
assert_eq "$(jq '[.[] | select((.action == "scale-out" or .action == "scale-in") and (.to < 1 or .to > 3))] | length' <<<"$ev")" 0 \
  "das events: every scale action within min 1 and max 3"
last=$(dk service inspect -f '{{index .Spec.Labels "das.last"}}' burn)
last_reason=$(dk service inspect -f '{{index .Spec.Labels "das.last.reason"}}' burn)
echo "  das.last=$last das.last.reason=$last_reason"
assert_ne "$last" "" "the service carries das.last"
assert_ne "$last_reason" "" "the service carries das.last.reason"

# --- part 2: the acting das killed --------------------------------------------
STANDBY=$(( LEADER % ENGINES + 1 ))
SCID=$(das_on "$STANDBY")
KILL_MS=$(date +%s%3N)
dkn "$LEADER" kill "$LCID" >/dev/null
touch "$CTL/on"
new_das() { local c; c=$(das_on "$LEADER"); [[ -n "$c" && "$c" != "$LCID" ]]; }
wait_until 90 new_das || fail "no new das task on engine $LEADER:$NL$(dk service ps --no-trunc das_das 2>&1)"
NCID=$(das_on "$LEADER")
ok "the acting das killed: the swarm started a new das task on engine $LEADER"
LCID=$NCID
wait_until 180 replicas_is burn 3 || fail "the load came back but burn was not scaled out again:$NL$(debug burn)"
wait_until 60 outcome_is burn at-max || fail "burn at 3 replicas under load is not at-max:$NL$(debug burn)"
assert_eq "$(metric "$LEADER" "$NCID" das_leader)" 1 "the new das task acts (das_leader 1)"
nev=$(events "$LEADER" "$NCID" burn "$BURN")
echo "  new das's events: $nev"
assert_ge "$(jq --argjson t "$KILL_MS" '[.[] | select(.action == "scale-out" and .time_ms > $t)] | length' <<<"$nev")" 1 \
  "the new das scaled burn out when the load came back"
assert_ge "$(jq --argjson t "$KILL_MS" '[.[] | select(.time_ms < $t)] | length' <<<"$nev")" 1 \
  "the new das lists the action before the kill (from the service's das.last)"
# close_pairs: consecutive actions less than a window (20 s, both of the
# policy's) apart, less 1 s for the timestamps' rounding; empty when none.
# Each action's window lies wholly after the one before, so none can be.
close_pairs() {
  jq -r '[.[] | select(.action == "scale-out" or .action == "scale-in")] as $e |
    range(1; $e | length) | select($e[.].time_ms - $e[. - 1].time_ms < 19000) |
    "\($e[. - 1].action) \($e[. - 1].from)->\($e[. - 1].to) at \($e[. - 1].time_ms), then \($e[.].action) \($e[.].from)->\($e[.].to) at \($e[.].time_ms)"'
}
assert_eq "$(close_pairs <<<"$nev")" "" "the new das: no two actions within a window"
sev=$(events "$STANDBY" "$SCID" burn "$BURN")
echo "  standby (engine $STANDBY) events: $sev"
assert_ge "$(jq 'length' <<<"$sev")" 3 "a standby das lists the actions of both leaders (from das.last)"
assert_eq "$(close_pairs <<<"$sev")" "" "the standby's list: no two actions within a window (none repeated)"
rm "$CTL/on"
dk service rm burn >/dev/null

# --- part 3: ds taken off one node --------------------------------------------
# An operator's constraint on the running ds service: its task on node 3
# stops; das finds no agent there.
N2=$(node_of 2)
N3=$(node_of 3)
dk service update --detach --constraint-add "node.id!=$N3" das_ds >/dev/null
ds_on_3() { [[ -n "$(dkn 3 ps -q --filter label=com.docker.swarm.service.name=das_ds)" ]]; }
no_ds_on_3() { ! ds_on_3 && task_count_is das_ds 2; }
wait_until 90 no_ds_on_3 || fail "ds still runs on node 3:$NL$(dk service ps das_ds 2>&1)"
ok "ds taken off node 3 (constraint node.id != node 3)"
# quiet: idle, one replica on node 1 and one on node 3; with every agent up
# it would scale in to 1 within a window.
dk service create --detach --name quiet --replicas 2 --replicas-max-per-node 1 \
  --constraint "node.id!=$N2" --stop-grace-period 1s "${POLICY[@]}" \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>"$TB_TMP/create.err" ||
  fail "service create quiet: $(cat "$TB_TMP/create.err")"
wait_until 60 task_count_is quiet 2 || fail "quiet did not start"
assert_eq "$(running_tasks quiet | cut -d' ' -f1 | sort | tr '\n' ' ')" "1 3 " "quiet: a replica on node 1 and one on node 3"
# The impostor: no task of quiet, with its labels as a task's container
# has them, at about 20% CPU on node 1. Counted, it would stand in for the
# silent replica on node 3 and hold quiet's mean above in_cond (5%).
QUIET=$(dk service inspect -f '{{.ID}}' quiet)
IMP=$(dkn 1 run -d --name impostor --cpus 0.2 --label "com.docker.swarm.service.id=$QUIET" \
  --label com.docker.swarm.service.name=quiet --label com.docker.swarm.task.id=forged0task0id0000000000 \
  --label "com.docker.swarm.node.id=$(node_of 1)" --label com.docker.swarm.task.name=quiet.9.forged \
  "$TESTBED_IMAGE" sh -c 'while :; do :; done' 2>"$TB_TMP/imp.err" | cut -c1-12) ||
  fail "docker run impostor: $(cat "$TB_TMP/imp.err")"
[[ -n "$IMP" ]] || fail "docker run impostor: $(cat "$TB_TMP/imp.err")"
not_reporting() {
  local p
  p=$(policy "$LEADER" "$LCID" quiet)
  [[ "$(jq -r .outcome <<<"$p")" == insufficient-data &&
    "$(jq -r .in.coverage <<<"$p")" == *"1 of 2 replicas reporting"* ]]
}
wait_until 120 not_reporting || fail "quiet's replica on node 3 not shown as not reporting:$NL$(debug quiet)"
ok "das status: quiet insufficient-data, in window: 1 of 2 replicas reporting"
assert_contains "$(policy "$LEADER" "$LCID" quiet | jq -r .in.coverage)" \
  "series unusable: a container that reports but no running or starting task of the service runs" \
  "the impostor reporting quiet's labels stands in for no replica, and the coverage says why"
# A whole in window (20 s = 10 cycles of 2 s) more of the leader deciding.
c0=$(metric "$LEADER" "$LCID" das_cycles_total)
[[ "$c0" =~ ^[0-9]+$ ]] || fail "no das_cycles_total on the acting das's /metrics"
cycles_past() { local c; c=$(metric "$LEADER" "$LCID" das_cycles_total); [[ -n "$c" ]] && ((c >= c0 + 12)); }
wait_until 120 cycles_past || fail "das stopped cycling:$NL$(debug quiet)"
assert_eq "$(replicas quiet)" 2 "no scale-in on the missing data of node 3's replica (a whole window later)"
assert_eq "$(events "$LEADER" "$LCID" quiet | jq length)" 0 "no event for quiet"
assert_eq "$(policy "$LEADER" "$LCID" quiet | jq -r .outcome)" insufficient-data "quiet still insufficient-data"
# With ds back on node 3 the same idle service is scaled in: it was the
# missing agent that held it.
dk service update --detach --constraint-rm "node.id!=$N3" das_ds >/dev/null
wait_until 90 ds_on_3 || fail "ds did not come back on node 3"
wait_until 120 replicas_is quiet 1 || fail "quiet not scaled in with ds back on node 3:$NL$(debug quiet)"
ok "ds back on node 3: quiet scaled in to 1 (the impostor's load in no mean)"
named() { dkn "$LEADER" logs "$LCID" 2>&1 | grep 'no task of it runs' | grep -q "first=\"quiet/$IMP\""; }
wait_until 30 named || fail "the acting das's log does not name the impostor $IMP:$NL$(dkn "$LEADER" logs --tail 20 "$LCID" 2>&1)"
ok "the acting das's log names the impostor (quiet/$IMP)"
dkn 1 rm -f impostor >/dev/null
assert_eq "$(events "$LEADER" "$LCID" quiet | jq '[.[] | select(.action == "scale-in" and (.reason // "") != "")] | length')" 1 \
  "das events: quiet's scale-in with its reason"

# --- clean up ---------------------------------------------------------------
dk service rm quiet >/dev/null
dk stack rm das >/dev/null
stack_gone() {
  local k
  [[ -z "$(dk service ls -q --filter label=com.docker.stack.namespace=das)" ]] || return 1
  for ((k = 1; k <= ENGINES; k++)); do
    [[ -z "$(dkn "$k" ps -aq --filter label=com.docker.stack.namespace=das)" ]] || return 1
  done
}
wait_until 90 stack_gone || fail "docker stack rm left services or containers behind"
ok "docker stack rm das removed every service and task"

finish
