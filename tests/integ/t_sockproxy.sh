#!/usr/bin/env bash
# Least privilege on the Docker socket (issue 9, SECURITY.md "The Docker
# socket"): ds and das each work through a socket proxy (Debian's haproxy,
# set up as docker-socket-proxy deployments do: method + path allow-lists,
# 403 for the rest) that lets through only the Engine API calls that
# program makes, on a real dockerd in swarm mode with a real influxd and
# PostgreSQL:
#  * calls outside each list are refused (403): creating or killing
#    containers, removing or creating services, reading secrets, and each
#    program's calls to the other's endpoints;
#  * ds (as a daemon, events stream included) collects a service's
#    container through its proxy and writes its points; `ds --source api`
#    (the stats endpoint) works through it too;
#  * das, through its own proxy, reads the service, its tasks and the
#    leader, and scales it out on those points; `das status` works too;
#  * the proxies' logs show no refused call but the probes': neither
#    program needs more than its list.
# shellcheck disable=SC2317  # functions run through wait_until
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
command -v haproxy >/dev/null || fail "haproxy is not installed (scripts/install-deps installs it)"
tb_up

SOCK=${TESTBED_ENGINE_1_HOST#unix://}
PORT_DS=$(free_port)
PORT_DAS=$((PORT_DS + 1))
CFG=$TB_TMP/haproxy.cfg
# The allow-lists of SECURITY.md. Paths may carry the API version prefix
# (/v1.41/...); queries are not part of `path`.
V='^(/v[0-9]+\.[0-9]+)?'
cat >"$CFG" <<EOF
global
  log stdout format raw local0
defaults
  mode http
  log global
  option httplog
  timeout connect 5s
  # the events stream ds holds open is quiet for long stretches
  timeout client 1h
  timeout server 1h
frontend ds
  bind 127.0.0.1:$PORT_DS
  acl read method GET HEAD
  acl ds_path path -m reg ${V}/(_ping|version|info|events|containers/json|containers/[0-9a-f]+/(json|stats))\$
  http-request deny deny_status 403 unless read ds_path
  default_backend engine
frontend das
  bind 127.0.0.1:$PORT_DAS
  acl read method GET HEAD
  acl post method POST
  acl das_read path -m reg ${V}/(_ping|version|info|services|services/[A-Za-z0-9_.-]+|tasks|nodes/[A-Za-z0-9]+)\$
  acl das_update path -m reg ${V}/services/[A-Za-z0-9_.-]+/update\$
  http-request deny deny_status 403 unless read das_read or post das_update
  default_backend engine
backend engine
  server dockerd $SOCK
EOF
haproxy -c -f "$CFG" >"$TB_TMP/haproxy-check.log" 2>&1 || fail "haproxy config: $(cat "$TB_TMP/haproxy-check.log")"
bg_run "$TB_TMP/haproxy.log" haproxy -db -f "$CFG"
DS_HOST=tcp://127.0.0.1:$PORT_DS
DAS_HOST=tcp://127.0.0.1:$PORT_DAS
code() { # METHOD PORT PATH: the proxy's status code
  curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -X "$1" "http://127.0.0.1:$2$3"
}
pings() { [[ "$(code GET "$PORT_DS" /_ping)" == 200 && "$(code GET "$PORT_DAS" /_ping)" == 200 ]]; }
wait_until 20 pings || fail "the proxies do not answer: $(cat "$TB_TMP/haproxy.log")"
ok "haproxy passes /_ping to the engine on both proxies"

# --- what each proxy refuses ---------------------------------------------------
PROBES=0
refused() { # METHOD PORT PATH WHAT
  assert_eq "$(code "$1" "$2" "$3")" 403 "refused: $4 ($1 $3)"
  PROBES=$((PROBES + 1))
}
refused POST "$PORT_DAS" /v1.41/containers/create "das's proxy: create a container"
refused POST "$PORT_DAS" /v1.41/services/create "das's proxy: create a service"
refused DELETE "$PORT_DAS" /v1.41/services/web "das's proxy: remove a service"
refused GET "$PORT_DAS" /v1.41/secrets "das's proxy: list secrets"
refused GET "$PORT_DAS" /v1.41/containers/json "das's proxy: ds's container list"
refused POST "$PORT_DAS" /v1.41/swarm/leave "das's proxy: leave the swarm"
refused POST "$PORT_DS" /v1.41/containers/abc/kill "ds's proxy: kill a container"
refused GET "$PORT_DS" /v1.41/services "ds's proxy: das's service list"
refused POST "$PORT_DS" /v1.41/services/web/update "ds's proxy: scale a service"
refused GET "$PORT_DS" /v1.41/containers/abc/archive "ds's proxy: copy files out of a container"

# --- ds and das at work through them -----------------------------------------------
dk service create --detach --name web --replicas 1 --limit-cpu 0.1 \
  --stop-grace-period 1s "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null 2>"$TB_TMP/create.err" ||
  fail "service create: $(cat "$TB_TMP/create.err")"
WEB=$(dk service inspect -f '{{.ID}}' web)
running() { [[ $(dk ps -q --filter "label=com.docker.swarm.service.id=$WEB" | wc -l) -eq $1 ]]; }
wait_until 60 running 1 || fail "web did not start"

bg_run "$TB_TMP/ds.log" "$bin_ds" --docker-host "$DS_HOST" --node node1 --interval 1s
points() {
  local n
  n=$(influx_q "select count(cpu_ratio) from docker where service = '$WEB' and time > now() - 10s" |
    python3 -c 'import json, sys
s = json.load(sys.stdin)["results"][0].get("series")
print(s[0]["values"][0][1] if s else 0)')
  ((n >= 5))
}
wait_until 60 points || fail "ds through its proxy wrote no points for web: $(tail -5 "$TB_TMP/ds.log")"
ok "ds through its proxy (containers, inspect, events) writes web's points"
assert_contains "$(cat "$TB_TMP/ds.log")" 'msg="ds started"' "ds started on the proxy"
# the Docker stats API source (where cgroupfs is not readable) needs the
# stats endpoint, on the list too
out=$("$bin_ds" --once --stdout --source api --docker-host "$DS_HOST" --node node1 2>"$TB_TMP/ds-api.err") ||
  fail "ds --source api through its proxy failed: $(cat "$TB_TMP/ds-api.err")"
assert_contains "$out" "service=$WEB," "ds --source api through its proxy reads web's stats"

"$bin_das" policy add web --seq 1 --mode step --min 1 --max 2 --item cpu_ratio --out 5% \
  --in 1% --out-for 10s --in-for 10s --warmup 0s >/dev/null
bg_run "$TB_TMP/das.log" "$bin_das" run --docker-host "$DAS_HOST" --interval 1s --ds-interval 1s
replicas_is() { [[ "$(dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web)" == "$1" ]]; }
wait_until 90 replicas_is 2 || fail "das through its proxy did not scale web out: $(tail -5 "$TB_TMP/das.log")"
ok "das through its proxy (services, tasks, nodes, update) scaled web 1 → 2 on ds's points"
assert_eq "$(psql_doc "select from_no || '>' || to_no from das_events where seq = 1 and action = 'scale-out'")" \
  "1>2" "one scale-out event"
st=$("$bin_das" status --json --docker-host "$DAS_HOST" --ds-interval 1s 2>&1) ||
  fail "das status through the proxy failed: $st"
assert_eq "$(python3 -c 'import json, sys; print(json.load(sys.stdin)["leader"])' <<<"$st")" True \
  "das status through the proxy: this engine leads"

# --- nothing else was refused ----------------------------------------------------
denied=$(grep -c ' 403 ' "$TB_TMP/haproxy.log" || true)
assert_eq "$denied" "$PROBES" "the proxies refused only the $PROBES probes: ds and das need nothing more ($(grep ' 403 ' "$TB_TMP/haproxy.log" | grep -v -e /containers/create -e /services/create -e secrets -e /swarm/leave -e /kill -e /archive | head -3))"
finish
