#!/usr/bin/env bash
# The Docker engine over TLS (issue 9, SECURITY.md): a real dockerd started
# by the test bed with --tlsverify on tcp://127.0.0.K:2376 (certificates
# made with openssl: a CA, the engine's, a client's), reached the way the
# docker CLI is, with DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH:
#  * ds collects and das scales a service over it, `das status` works;
#  * the engine's certificate is verified: with another CA both refuse,
#    and say it is the certificate;
#  * the engine asks for a client certificate: without one das is refused
#    and says why.
# shellcheck disable=SC2317  # functions run through wait_until
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
tb_up --tls

[[ -n "${TESTBED_ENGINE_1_TLS_HOST:-}" && -d "${TESTBED_TLS_CERT_PATH:-}" ]] || fail "the bed has no TLS engine"
TLS_ENV=(DOCKER_HOST="$TESTBED_ENGINE_1_TLS_HOST" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$TESTBED_TLS_CERT_PATH")
assert_eq "$(env "${TLS_ENV[@]}" "$DOCKER" version -f '{{.Server.Os}}' 2>&1)" linux "the docker CLI reaches the engine over TLS"

dk service create --detach --name web --replicas 1 --limit-cpu 0.1 --stop-grace-period 1s \
  "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null 2>&1 || fail "service create"
WEB=$(dk service inspect -f '{{.ID}}' web)
running() { [[ $(dk ps -q --filter "label=com.docker.swarm.service.id=$WEB" | wc -l) -eq 1 ]]; }
wait_until 60 running || fail "web did not start"

out=$(env "${TLS_ENV[@]}" "$bin_ds" --once --stdout --node node1 2>&1) || fail "ds over TLS: $out"
assert_contains "$out" "service=$WEB," "ds --once over TLS reads web's container"
"$bin_das" policy add web --seq 1 --mode step --min 1 --max 2 --item cpu_ratio --out 5% \
  --in 1% --out-for 10s --in-for 10s --warmup 0s >/dev/null
bg_run "$TB_TMP/ds.log" env "${TLS_ENV[@]}" "$bin_ds" --node node1 --interval 1s
bg_run "$TB_TMP/das.log" env "${TLS_ENV[@]}" "$bin_das" run --interval 1s --ds-interval 1s
replicas_is() { [[ "$(dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web)" == "$1" ]]; }
wait_until 90 replicas_is 2 || fail "das over TLS did not scale web: $(tail -3 "$TB_TMP/das.log")"
ok "ds and das over TLS: web scaled 1 → 2"
assert_contains "$(cat "$TB_TMP/das.log")" "engine=\"node " "das run logged its engine (over TLS)"
st=$(env "${TLS_ENV[@]}" "$bin_das" status --ds-interval 1s 2>&1) || fail "das status over TLS: $st"
assert_contains "$st" "docker: ok" "das status over TLS: docker ok"

# --- another CA; no client certificate ------------------------------------------------
W=$TB_TMP/wrong
mkdir -p "$W"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=not the bed's CA" \
  -keyout "$W/ca-key.pem" -out "$W/ca.pem" >/dev/null 2>&1 || fail "openssl"
cp "$TESTBED_TLS_CERT_PATH/cert.pem" "$TESTBED_TLS_CERT_PATH/key.pem" "$W/"
out=$(env "${TLS_ENV[@]}" DOCKER_CERT_PATH="$W" "$bin_das" status --ds-interval 1s 2>&1) &&
  fail "das status trusted an engine its CA did not sign"
assert_contains "$out" "certificate" "das with another CA: refused, and the message names the certificate"
echo "$out" | grep -i certificate | head -1 | cut -c1-200 | sed 's/^/  das: /'
out=$(env "${TLS_ENV[@]}" DOCKER_CERT_PATH="$W" "$bin_ds" --once --stdout --node node1 2>&1) &&
  fail "ds trusted an engine its CA did not sign"
assert_contains "$out" "certificate" "ds with another CA: refused, and the message names the certificate"
N=$TB_TMP/nocert
mkdir -p "$N"
cp "$TESTBED_TLS_CERT_PATH/ca.pem" "$N/"
out=$(env "${TLS_ENV[@]}" DOCKER_CERT_PATH="$N" "$bin_das" status --ds-interval 1s 2>&1) &&
  fail "das reached an engine that asks for a client certificate without one"
echo "$out" | grep -iE "cert|tls|ssl|handshake" | head -1 | cut -c1-200 | sed 's/^/  das: /'
assert_contains "$out" "docker: UNAVAILABLE" "das without a client certificate: the engine refuses it, das says docker is unavailable"
# and why: the engine's TLS alert against the missing certificate
# (dockerd 20.10 speaks TLS 1.2 here: bad_certificate), not any failure
# to connect, nor the CA case's "unable to get local issuer certificate"
assert_contains "$out" "SSL_read: " "das without a client certificate: refused during the TLS handshake"
assert_contains "$out" "alert bad certificate" "das without a client certificate: the message carries the engine's bad-certificate alert"
finish
