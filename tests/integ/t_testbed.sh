#!/usr/bin/env bash
# The test bed itself: a 1-engine bed gives a swarm manager that runs the
# offline image, an InfluxDB with the database `docker`, a PostgreSQL that
# takes crate@.../doc; the stop/start commands keep ports and data; `down`
# stops every process of the bed and removes its folder.
# shellcheck disable=SC2119,SC2317  # tb_up takes no args here; helpers run via wait_until
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

tb_up

# --- the environment the other tests rely on ------------------------------
assert_eq "$DOCKER" /usr/bin/docker "DOCKER is the engine-matching CLI"
assert_eq "$DOCKER_HOST" "$TESTBED_ENGINE_1_HOST" "DOCKER_HOST is engine 1"
assert_eq "$DOCKER_HOST" "unix://$DAS_TESTBED_DIR/engine1/docker.sock" \
  "engine 1's socket is inside the bed"
assert_eq "$DAS_INFLUX_DB" docker "DAS_INFLUX_DB"
assert_contains "$DAS_POLICY_DB" "postgresql://crate@127.0.0.1:" "DAS_POLICY_DB is crate@loopback"
assert_eq "$TESTBED_ENGINES" 1 "one engine"

# --- Docker: swarm manager, image, a service task -------------------------
assert_eq "$(dk info --format '{{.Swarm.LocalNodeState}}')" active "swarm is active"
assert_eq "$(dk info --format '{{.Swarm.ControlAvailable}}')" true "engine 1 is a manager"
assert_eq "$(dk node inspect self --format '{{.Spec.Role}} {{.ManagerStatus.Leader}}')" \
  "manager true" "engine 1 leads the swarm"
assert_eq "$(dk info --format '{{.Swarm.NodeID}}')" "$TESTBED_ENGINE_1_NODE_ID" \
  "TESTBED_ENGINE_1_NODE_ID is the swarm node id"
dk image inspect "$TESTBED_IMAGE" >/dev/null || fail "image $TESTBED_IMAGE missing"
ok "image $TESTBED_IMAGE is loaded"

dk service create --detach --name t --replicas 1 --stop-grace-period 1s \
  "$TESTBED_IMAGE" sleep 600 >/dev/null 2>&1 || fail "service create"
service_running() {
  [[ "$(dk service ls --filter name=t --format '{{.Replicas}}')" == 1/1 ]] &&
    dk service ps t --filter desired-state=running --format '{{.CurrentState}}' |
    grep -q '^Running'
}
wait_until 90 service_running || fail "service t did not reach 1/1 running: $(dk service ps t 2>&1)"
ok "service task of $TESTBED_IMAGE runs (1/1)"

cid=$(dk ps -q --filter label=com.docker.swarm.service.name=t)
[[ -n "$cid" ]] || fail "no container for service t"
ifaces=$(dk exec "$cid" sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
assert_eq "$ifaces" lo "task container has no network but loopback"
# shellcheck disable=SC2016  # expanded by the container's shell
assert_eq "$(dk exec "$cid" sh -c 'i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i')" 3 \
  "image shell runs while loops"

# --- InfluxDB --------------------------------------------------------------
ping_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$DAS_INFLUX_URL/ping" || true; }
assert_eq "$(ping_code)" 204 "influxd /ping answers 204"
assert_eq "$(influx_q 'SHOW DATABASES' | jq -c '[.results[0].series[0].values[][0]] | index("docker") != null')" \
  true "SHOW DATABASES lists docker"
influx_write "docker,service=tb,container=abc cpu_ratio=12.5,mem_usage=1024i" ||
  fail "write to influxd"
first_value() { influx_q "select $1 from docker where service = 'tb'" | jq -r '.results[0].series[0].values[0][1]'; }
assert_eq "$(first_value cpu_ratio)" 12.5 "a written point reads back"

# --- PostgreSQL ------------------------------------------------------------
assert_eq "$(psql_doc 'select 1')" 1 "select 1 as crate@doc"
assert_eq "$(psql_doc 'select current_user')@$(psql_doc '\echo :DBNAME')" crate@doc \
  "connected as crate to doc"
psql_doc 'create table tb_check (seq int primary key, service_id TEXT)' >/dev/null
psql_doc "insert into tb_check values (1, 'x') on conflict (seq) do update set service_id = excluded.service_id" >/dev/null
assert_eq "$(psql_doc 'select service_id from tb_check where seq = 1')" x "insert … on conflict works"

# --- stop/start keep ports and data ------------------------------------------
testbed influx-stop
assert_eq "$(ping_code)" 000 "influx-stop: influxd is gone"
testbed influx-start
assert_eq "$(ping_code)" 204 "influx-start: same URL answers again"
assert_eq "$(first_value cpu_ratio)" 12.5 "influx-start: the point is still there"

testbed pg-stop
if psql_doc 'select 1' >/dev/null 2>&1; then fail "pg-stop: postgres still answers"; fi
ok "pg-stop: postgres is gone"
testbed pg-start
assert_eq "$(psql_doc 'select service_id from tb_check where seq = 1')" x \
  "pg-start: same conninfo, row still there"

testbed engine-stop 1
if dk version >/dev/null 2>&1; then fail "engine-stop 1: engine still answers"; fi
ok "engine-stop 1: engine 1 is gone"
testbed engine-start 1
assert_eq "$(dk info --format '{{.Swarm.LocalNodeState}}')" active "engine-start 1: back in its swarm"
wait_until 90 service_running || fail "service t did not come back: $(dk service ps t 2>&1)"
ok "engine-start 1: service t runs again"

# --- down stops everything the bed started ---------------------------------
bed=$DAS_TESTBED_DIR
pids=()
for f in "$TESTBED_ENGINE_1_PID_FILE" "$TESTBED_ENGINE_1_CONTAINERD_PID_FILE" \
  "$TESTBED_INFLUX_PID_FILE" "$TESTBED_PG_PID_FILE"; do
  pid=$(cat "$f")
  pid_alive "$pid" || fail "process in $f (pid $pid) is not running before down"
  pids+=("$pid")
done
# The task's shim and the pg children are the bed's too.
for p in /proc/[0-9]*; do
  cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
  if [[ "$cmd" == *"$bed/"* ]]; then
    pids+=("${p#/proc/}")
  fi
done
ok "recorded ${#pids[@]} processes of the bed"

tb_down
for pid in "${pids[@]}"; do
  if pid_alive "$pid"; then
    fail "pid $pid is still running after down: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
  fi
done
ok "down: none of the ${#pids[@]} processes is running"
[[ ! -e "$bed" ]] || fail "down left $bed"
ok "down: the bed's folder is gone"
if grep -qF " $bed/" /proc/mounts; then fail "down left mounts under $bed"; fi
ok "down: no mounts left"
bash "$TB_SCRIPT" down --dir "$bed" 2>/dev/null || fail "a second down fails"
ok "down twice is fine"

finish
