#!/usr/bin/env bash
# Multi-node end to end (docs/design.md §1, §3, §4), on a real swarm of three
# engines (one manager, two workers), a real influxd and PostgreSQL:
#  * a service spread over all three nodes; one `ds` per engine, each with
#    its own --node, writes every container with the node it runs on;
#  * das's window for the service covers the containers of every node
#    (`das status --json`: one fresh container per replica, while no node
#    holds more than two of them);
#  * under load das scales out 3 → 4 → 5: the tasks it adds land on
#    different nodes and their stats arrive with those nodes' tags;
#  * without load das scales back in 5 → 4 → 3, one event row per step.
# ds and das run as processes on this host (every engine shares its kernel,
# so cgroupfs serves them all), collecting and deciding every 2 s, with
# 10 s windows.
# shellcheck disable=SC2317  # functions run through wait_until
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
T0=$SECONDS
tb_up --engines 3 --managers 1 --addr-base "${DAS_TESTBED_ADDR_BASE:-auto}"

NODES=3
LOADDIR=$TB_TMP/load
mkdir -p "$LOADDIR"
touch "$LOADDIR/on"

# Each replica burns 0.1 CPU (cpu_ratio about 10%) while $LOADDIR/on
# exists, and idles otherwise.
dk service create --detach --name web --replicas 3 --limit-cpu 0.1 \
  --stop-grace-period 1s \
  --mount "type=bind,src=$LOADDIR,dst=/load,readonly" \
  "$TESTBED_IMAGE" sh -c \
  'while :; do if [ -e /load/on ]; then while [ -e /load/on ]; do :; done; else sleep 1; fi; done' \
  >/dev/null 2>"$TB_TMP/create.err" || fail "service create: $(cat "$TB_TMP/create.err")"
WEB=$(dk service inspect -f '{{.ID}}' web)

# running containers of web on engine K
web_on() { dkn "$1" ps -q --filter "label=com.docker.swarm.service.id=$WEB"; }
web_count() { local n=0 k; for ((k = 1; k <= NODES; k++)); do n=$((n + $(web_on "$k" | wc -l))); done; echo "$n"; }
web_running() { [[ "$(web_count)" == "$1" ]]; }
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web; }
replicas_is() { [[ "$(replicas)" == "$1" ]]; }

wait_until 90 web_running 3 || fail "web's 3 tasks did not start: $(dk service ps web 2>&1)"
for ((k = 1; k <= NODES; k++)); do
  assert_eq "$(web_on "$k" | wc -l)" 1 "spread: one web task on engine $k"
done

for ((k = 1; k <= NODES; k++)); do
  host=TESTBED_ENGINE_${k}_HOST
  bg_run "$TB_TMP/ds$k.log" "$bin_ds" --docker-host "${!host}" --node "node$k" --interval 2s
done

# tag values of node for the web service's points
node_tags() {
  influx_q "show tag values from docker with key = \"node\" where service = '$WEB'" |
    jq -r '[.results[0].series[0].values[]?[1]] | sort | join(" ")'
}
# the node tags InfluxDB holds for one container's points
container_nodes() {
  influx_q "show tag values from docker with key = \"node\" where container = '$1'" |
    jq -r '[.results[0].series[0].values[]?[1]] | sort | join(" ")'
}
# every running web container has points tagged with its own engine's node
all_tagged() {
  local k c
  for ((k = 1; k <= NODES; k++)); do
    for c in $(web_on "$k"); do
      [[ "$(container_nodes "$c")" == "node$k" ]] || return 1
    done
  done
}
wait_until 60 all_tagged || fail "not every container's points arrived with its node tag: $(node_tags); $(tail -3 "$TB_TMP"/ds*.log)"
assert_eq "$(node_tags)" "node1 node2 node3" "web's points carry the node tag of each of the three engines"
for ((k = 1; k <= NODES; k++)); do
  for c in $(web_on "$k"); do
    assert_eq "$(container_nodes "$c")" "node$k" "container $c (engine $k): points tagged node$k only"
  done
done

# --- das: one policy, das run against the manager --------------------------
"$bin_das" policy add web --mode step --min 3 --max 5 --item cpu_ratio --out 5% --in 2% \
  --out-for 10s --in-for 10s --seq 1 >/dev/null
bg_run "$TB_TMP/das.log" "$bin_das" run --docker-host "$TESTBED_ENGINE_1_HOST" \
  --interval 2s --ds-interval 2s

status_json() { "$bin_das" status --json --ds-interval 2s 2>/dev/null || true; }
# pol FIELD.PATH from a status JSON on stdin, for policy 1
pol() {
  python3 -c 'import json, sys
d = json.load(sys.stdin)
v = next(p for p in d["policies"] if p["seq"] == 1)
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("null" if v is None else v)' "$1"
}
events() {
  psql_doc "select from_no || '>' || to_no
    from das_events where seq = 1 and action = '$1' and not dry_run order by time_ms" | paste -sd ' ' -
}

# --- scale out to max_no ----------------------------------------------------
wait_until 150 replicas_is 5 || fail "web did not scale out to 5: $(tail -5 "$TB_TMP/das.log")"
ok "load 10% > 5% on every node: web scaled out to max_no 5"
assert_eq "$(events scale-out)" "3>4 4>5" "scale-out events: 3>4, 4>5, one row each"
wait_until 60 web_running 5 || fail "5 web containers are not running: $(dk service ps web 2>&1)"
per_node=()
for ((k = 1; k <= NODES; k++)); do
  n=$(web_on "$k" | wc -l)
  per_node+=("$n")
  assert_ge "$n" 1 "after the scale-out engine $k still runs web ($n)"
  assert_le "$n" 2 "the added tasks went to different nodes: engine $k runs $n of 5"
done
echo "web tasks per engine after the scale-out: ${per_node[*]}"
wait_until 60 all_tagged || fail "the added containers' stats did not arrive with their node tags"
ok "the added tasks' stats arrive, each tagged with its own engine's node"

# das's window covers the containers of every node
at_max_covered() {
  local s
  s=$(status_json)
  [[ "$(pol outcome <<<"$s")" == at-max && "$(pol out.fresh <<<"$s")" == 5 ]]
}
wait_until 60 at_max_covered || fail "das status never showed a covered window of 5 at max_no: $(status_json)"
s=$(status_json)
assert_eq "$(pol out.covered <<<"$s")" True "das status: the out window is covered"
assert_eq "$(pol out.fresh <<<"$s")" 5 "das's out window: 5 containers reporting, on three nodes"
assert_ge "$(pol out.containers <<<"$s")" 5 "das's out window holds every container"
assert_gt "$(pol out.mean <<<"$s")" 5 "das's mean over all nodes is above out_cond"
per_node_means=$(influx_q "select mean(cpu_ratio) from docker where service = '$WEB' and time > now() - 10s group by node" |
  jq -r '[.results[0].series[]? | .tags.node] | sort | join(" ")')
assert_eq "$per_node_means" "node1 node2 node3" "the same 10 s window holds points of all three nodes"
at_max_text=$("$bin_das" status --ds-interval 2s 2>&1 || true)
assert_contains "$at_max_text" "5/3/5" "das status table: 5 replicas, min 3, max 5"
assert_contains "$at_max_text" "10s/10s" "das status table: window 10s/10s covered"

# --- scale in to min_no -----------------------------------------------------
rm -f "$LOADDIR/on"
wait_until 150 replicas_is 3 || fail "web did not scale in to 3: $(tail -5 "$TB_TMP/das.log")"
ok "no load: web scaled in to min_no 3"
wait_until 60 web_running 3 || fail "web did not come down to 3 containers"
at_min() { [[ "$(status_json | pol outcome)" == at-min ]]; }
wait_until 60 at_min || fail "das status never said at-min: $(status_json)"
assert_eq "$(replicas)" 3 "at min_no: web stays at 3"
assert_eq "$(events scale-in)" "5>4 4>3" "scale-in events: 5>4, 4>3, one row each"
assert_eq "$(events scale-out)" "3>4 4>5" "no scale-out after the load stopped"
assert_eq "$(psql_doc "select cur_no from das where seq = 1")" 3 "cur_no = 3"
nodes_now=0
for ((k = 1; k <= NODES; k++)); do
  [[ -z "$(web_on "$k")" ]] || nodes_now=$((nodes_now + 1))
done
assert_ge "$nodes_now" 2 "after the scale-in web still runs on more than one node ($nodes_now)"

echo "t_multinode: $((SECONDS - T0)) s"
finish
