#!/usr/bin/env bash
# The stack (deploy/docker-stack.yml) from the images scripts/build-images
# makes, deployed with `docker stack deploy` on a swarm of three engines (one
# manager, two workers):
#  * the images hold the program, its libraries and a few files of /etc:
#    no busybox, no shell;
#  * ds runs on every node and das on the manager, and their health checks
#    (`ds healthcheck`, `das healthcheck`: GET /healthz in the container)
#    report healthy; the secrets are mounted, readable by the program's user
#    only (ds and das read the password file at start and stop if it is
#    missing), each program's InfluxDB secret its own;
#  * every task's process runs as uid 10001 (the images' user), with the
#    engine socket's group and no capabilities (/proc/PID/status on the
#    host), and the image without that group is refused by the engine with
#    a message naming the group to give;
#  * ds in its container reads the host's cgroupfs through the mounted /proc
#    and /sys/fs/cgroup: points from containers of all three engines reach
#    InfluxDB, tagged with their node's name;
#  * /metrics answers on both; `das policy add`, `das status` and
#    `das events` work inside the das task;
#  * the stack's das scales a CPU-burning service from 1 to 2 replicas and
#    records a das_events row; no task of the stack failed meanwhile;
#  * `docker stack rm` removes every task.
# The bed's specifics, set by environment (the file's defaults are for a
# real cluster): every engine shares this host's network namespace, so the
# tasks join the swarm's `host` network to reach influxd and PostgreSQL on
# loopback and listen on ports of their own (ds on its node's address), and
# each node's ds mounts its own engine's socket through a {{.Node.ID}}
# template.
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
tb_up --engines 3 --managers 1
ENGINES=3
NL=$'\n'

# --- images into every engine -----------------------------------------------
hosts=()
for ((k = 1; k <= ENGINES; k++)); do
  v=TESTBED_ENGINE_${k}_HOST
  hosts+=("${!v}")
done
DAS_IMAGES_DIR=$TB_TMP/images bash "$DAS_SRC/scripts/build-images" "$DAS_BUILD" "${hosts[@]}" \
  >"$TB_TMP/build-images.out" 2>"$TB_TMP/build-images.err" ||
  fail "scripts/build-images failed: $(cat "$TB_TMP/build-images.err")"
sed 's/^/  /' "$TB_TMP/build-images.out"
for ((k = 1; k <= ENGINES; k++)); do
  for img in das-ds:latest das-das:latest; do
    dkn "$k" image inspect "$img" >/dev/null 2>&1 || fail "$img missing on engine $k"
  done
done
ok "images das-ds and das-das on all $ENGINES engines"
for prog in ds das; do
  allow="^/usr/local/bin/$prog\$|^/(usr/)?lib(64)?/|^/etc/(passwd|group|nsswitch\.conf|ssl/certs/ca-certificates\.crt)\$"
  # das: the tz database, the zones of policy schedules
  [[ $prog == das ]] && allow+="|^/usr/share/zoneinfo/"
  extra=$(find "$TB_TMP/images/$prog/root" -type f -o -type l |
    sed "s|^$TB_TMP/images/$prog/root||" | grep -v -E "$allow" || true)
  assert_eq "$extra" "" "the $prog image holds only $prog, its libraries and /etc files (no busybox, no shell)"
done
assert_eq "$(find "$TB_TMP/images/das/root/usr/share/zoneinfo" -name Berlin -type f | wc -l)" 1 \
  "the das image has the tz database (Europe/Berlin)"
for img in das-ds:latest das-das:latest; do
  size=$(dk image inspect -f '{{.Size}}' "$img")
  assert_lt "$size" $((64 * 1024 * 1024)) "$img is small ($((size / 1024 / 1024)) MiB)"
done

# --- each node's engine socket under one templated path ----------------------
SOCKS=$TB_TMP/sock
mkdir -p "$SOCKS"
for ((k = 1; k <= ENGINES; k++)); do
  h=TESTBED_ENGINE_${k}_HOST
  n=TESTBED_ENGINE_${k}_NODE_ID
  ln -s "${!h#unix://}" "$SOCKS/${!n}.sock"
done

# engine_of NODE_ID: the bed's engine number of a swarm node
engine_of() {
  local k v
  for ((k = 1; k <= ENGINES; k++)); do
    v=TESTBED_ENGINE_${k}_NODE_ID
    if [[ "${!v}" == "$1" ]]; then
      echo "$k"
      return 0
    fi
  done
  return 1
}

# The images run as uid 10001, not root: without the socket's group the
# engine is refused, and ds says which group to give.
DOCKER_GID=$(stat -c %g "${TESTBED_ENGINE_1_HOST#unix://}")
out=$(dkn 1 run --rm --network none -v "${TESTBED_ENGINE_1_HOST#unix://}:/var/run/docker.sock" \
  das-ds:latest --once --stdout 2>&1) && fail "ds as uid 10001 without the socket's group ran: $out"
assert_contains "$out" "give it group $DOCKER_GID" \
  "the ds image without the socket's group: the engine refused, the group to give named"

# --- secrets and the stack ---------------------------------------------------
# The bed's influxd and PostgreSQL ask for no password; the values are read
# (a missing file would stop ds and das at start) and sent, and ignored.
printf 'ds-not-checked-on-the-bed\n' | dk secret create ds_influx_password - >/dev/null
printf 'das-not-checked-on-the-bed\n' | dk secret create das_influx_password - >/dev/null
printf '*:*:*:crate:not-checked-on-the-bed\n' | dk secret create das_pgpass - >/dev/null
(
  export DAS_NETWORK=host DAS_DOCKER_SOCKET="$SOCKS/{{.Node.ID}}.sock"
  # fixed ports: a password held makes a daemon undumpable, its /proc/PID/fd
  # root's, so a health check could not look a port 0 up; each ds on its
  # node's own address (node:PORT), as deploy/das.yml does
  export DS_LISTEN=node:$(free_port) DAS_LISTEN=127.0.0.1:$(free_port)
  # the InfluxDB users (ds, das) and das's history database (das) are
  # the file's defaults
  export DS_INTERVAL=2s DAS_INTERVAL=2s
  export DAS_DOCKER_GID=$DOCKER_GID
  # DAS_INFLUX_URL, DAS_INFLUX_DB and DAS_POLICY_DB come from the bed's env.
  dk stack deploy --resolve-image never -c "$DAS_SRC/deploy/docker-stack.yml" das
) >"$TB_TMP/deploy.log" 2>&1 || fail "docker stack deploy failed: $(cat "$TB_TMP/deploy.log")"
ok "docker stack deploy -c deploy/docker-stack.yml das"

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
# all_healthy SERVICE N: N running tasks, every container healthy
all_healthy() {
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
    dkn "$k" logs --tail 5 "$cid" 2>&1
  done
  dk service ps --no-trunc "$1" 2>&1 | tail -n 6
}

wait_until 120 task_count_is das_ds 3 ||
  fail "ds did not run on all 3 nodes: $(dk service ps --no-trunc das_ds 2>&1)$NL$(dk service logs --tail 10 das_ds 2>&1)"
engines=$(running_tasks das_ds | cut -d' ' -f1 | sort -u | tr '\n' ' ')
assert_eq "$engines" "1 2 3 " "ds: one task on every node (global)"
wait_until 120 task_count_is das_das 1 ||
  fail "das did not run: $(dk service ps --no-trunc das_das 2>&1)"
assert_eq "$(running_tasks das_das | cut -d' ' -f1)" 1 "das: one task, on the manager (engine 1)"
read -r _ DAS_CID < <(running_tasks das_das)
das_exec() { dkn 1 exec "$DAS_CID" "$@"; }

# Docker's first probe comes one interval (30 s) after the start.
wait_until 150 all_healthy das_ds 3 || fail "ds not healthy on every node:$NL$(health_report das_ds)"
ok "ds health check healthy on all 3 nodes"
wait_until 150 all_healthy das_das 1 || fail "das not healthy:$NL$(health_report das_das)"
ok "das health check healthy on the manager"

# The probes' output is the C health check's: the body of /healthz.
probes=$(dkn 1 inspect -f '{{json .State.Health.Log}}' "$DAS_CID")
assert_contains "$probes" '"ExitCode":0,"Output":"leader' "das's health probe (das healthcheck) printed /healthz's body"

# --- users and groups of the running tasks ------------------------------------
# task_pid ENGINE CONTAINER: the host pid of the task's process
task_pid() { dkn "$1" inspect -f '{{.State.Pid}}' "$2"; }
status_of() { grep -E "^$2:" "/proc/$1/status" | cut -f2- | tr -s '\t ' ' ' | sed 's/ $//'; }
users=0
while read -r k cid; do
  pid=$(task_pid "$k" "$cid")
  what="engine $k $(tr -d '\n' <"/proc/$pid/comm") ${cid:0:12}"
  assert_eq "$(status_of "$pid" Uid)" "10001 10001 10001 10001" "$what: runs as uid 10001"
  assert_eq "$(status_of "$pid" Groups)" "$DOCKER_GID" "$what: its one group is the socket's ($DOCKER_GID)"
  assert_eq "$(status_of "$pid" CapEff)" "0000000000000000" "$what: no capabilities"
  users=$((users + 1))
done < <(running_tasks das_ds; running_tasks das_das)
assert_eq "$users" 4 "uid, groups and capabilities checked in 3 ds tasks and 1 das task"
das_pid=$(task_pid 1 "$DAS_CID")
assert_eq "$(stat -c '%a %u' "/proc/$das_pid/root/run/secrets/das_pgpass")" "400 10001" \
  "das: the das_pgpass secret is mounted, mode 0400 (libpq's rule), owned by das's uid"
assert_eq "$(cat "/proc/$das_pid/root/run/secrets/influx_password")" das-not-checked-on-the-bed \
  "das: its InfluxDB secret is das_influx_password"
read -r k cid < <(running_tasks das_ds)
ds_pid=$(task_pid "$k" "$cid")
assert_eq "$(cat "/proc/$ds_pid/root/run/secrets/influx_password")" ds-not-checked-on-the-bed \
  "ds: its InfluxDB secret is ds_influx_password, not das's"
assert_eq "$(stat -c '%a %u' "/proc/$ds_pid/root/run/secrets/influx_password")" "400 10001" \
  "ds: mode 0400, owned by ds's uid"

# --- what ds and das serve and write ----------------------------------------
metrics=$(das_exec das healthcheck /metrics)
assert_contains "$metrics" "das_leader 1" "das /metrics: the manager's das is the leader and acts"
assert_contains "$metrics" 'das_up{dependency="policy_store"} 1' "das /metrics: policy store up"

# count_of CONTAINER: cpu_ratio points of a container in the last 5 minutes
count_of() {
  influx_q "select count(cpu_ratio) from docker where container = '$1' and time > now() - 5m" |
    jq -r '.results[0].series[0].values[0][1] // 0'
}
has_points() { (($(count_of "$1") > 0)); }
seen=0
while read -r k cid; do
  seen=$((seen + 1))
  short=${cid:0:12}
  ds_metrics=$(dkn "$k" exec "$cid" ds healthcheck /metrics)
  assert_contains "$ds_metrics" "ds_rounds_total" "ds /metrics on engine $k"
  assert_contains "$(dkn "$k" logs "$cid" 2>&1)" "source=cgroup" \
    "ds on engine $k reads the host's cgroupfs from its container"
  # ds reports every container of its engine, its own included.
  wait_until 60 has_points "$short" || fail "no points of engine $k's container $short in InfluxDB"
  node=$(influx_q "show tag values with key = node where container = '$short'" |
    jq -r '.results[0].series[0].values[0][1] // empty')
  assert_eq "$node" "$(dkn "$k" info -f '{{.Name}}')" \
    "points of engine $k's containers reach InfluxDB tagged with its node name"
done < <(running_tasks das_ds)
assert_eq "$seen" 3 "ds checked in each of its 3 tasks (one per node)"

# --- the stack's das scales a service ----------------------------------------
dk service create --detach --name burn --replicas 1 --limit-cpu 0.2 \
  --stop-grace-period 1s "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null 2>&1
wait_until 60 task_count_is burn 1 || fail "the burn service did not start"
# About 20% CPU on one replica: above out_cond 10% for a 20 s window.
das_exec das policy add burn --seq 1 --min 1 --max 2 --item cpu_ratio \
  --out 10% --in 2% --out-for 20s --in-for 20s >"$TB_TMP/policy.log" 2>&1 ||
  fail "das policy add in the das task failed: $(cat "$TB_TMP/policy.log")"
ok "das policy add, run inside the das task"
replicas_is() { [[ "$(dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' burn)" == "$1" ]]; }
wait_until 240 replicas_is 2 ||
  fail "the stack's das did not scale burn to 2:$NL$(das_exec das status 2>&1)$NL$(dkn 1 logs --tail 20 "$DAS_CID" 2>&1)"
ok "the stack's das scaled burn from 1 to 2 replicas"
rows=$(psql_doc "select count(*) from das_events where seq = 1 and action = 'scale-out' and from_no = 1 and to_no = 2 and not dry_run")
assert_eq "$rows" 1 "a das_events row for the scale-out"
assert_contains "$(das_exec das events)" "scale-out" "das events in the das task shows it"
hist=$(influx_q 'select count("to") from das.autogen.das' | jq -r '.results[0].series[0].values[0][1] // 0')
assert_ge "$hist" 1 "its point went to das's own database, das (DAS_INFLUX_HISTORY_DB)"
assert_contains "$(das_exec das status)" "burn" "das status in the das task shows the policy"

# Nothing of the stack failed or restarted (a failed health check would).
for svc in das_ds das_das; do
  failed=$(dk service ps -q --filter desired-state=shutdown "$svc" | wc -l)
  assert_eq "$failed" 0 "no $svc task failed or restarted"
done

# --- docker stack rm -------------------------------------------------------
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
