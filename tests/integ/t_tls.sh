#!/usr/bin/env bash
# Authentication and TLS on real servers (issue 9, SECURITY.md "Secrets"):
#  * an influxd of the test's own with auth-enabled and https-enabled
#    (certificates made here with openssl), users as the documented
#    deployment has them (deploy/README.md): ds writes to `docker` as a
#    user that may only write there, das reads `docker` and writes its
#    history to a database of its own (`das`, --influx-history-db) as its
#    own user, each with a password file and the CA given by --influx-ca;
#    ds's user cannot write das's history, nor das's ds's points; the
#    certificate is verified (a wrong CA is refused, and the message says
#    it is the certificate);
#  * the bed's PostgreSQL with TLS on and a password login that pg_hba
#    accepts only over TLS (scram-sha-256): das reaches it with
#    sslmode=verify-full and the password from PGPASSFILE; a wrong CA and
#    a wrong password each fail with a message naming the cause, never the
#    password;
#  * with all of it, ds and das scale a real service on real points;
#  * no password in any log line, in /proc/PID/cmdline or
#    /proc/PID/environ of the running ds and das, and their core dumps
#    are off (they hold a password);
#  * a Prometheus of the test's own serving https with basic auth (its
#    --web.config.file, a bcrypt hash made by htpasswd) scrapes ds: das
#    with --prometheus-ca and the user's password file reads the windows
#    and scales; with no CA (the system's) it refuses the certificate, and
#    with a wrong password it says Prometheus refused it; neither scales.
# Not here (t_docker_tls): the Docker engine over TLS.
# shellcheck disable=SC2317  # functions run through wait_until
. "$(dirname "$0")/lib.sh"
need_bin "$bin_ds"
need_bin "$bin_das"
command -v openssl >/dev/null || fail "openssl is not installed"
command -v htpasswd >/dev/null || fail "htpasswd is not installed: run scripts/install-deps --test (package apache2-utils)"
tb_up

# --- certificates -------------------------------------------------------------
C=$TB_TMP/certs
mkdir -p "$C"
mkca() { # NAME
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=das test $1" \
    -keyout "$C/$1.key" -out "$C/$1.pem" 2>"$C/$1.err" || fail "openssl CA $1: $(cat "$C/$1.err")"
}
mkca ca
mkca wrongca
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$C/server.key" \
  -out "$C/server.csr" 2>"$C/server.err" || fail "openssl server key: $(cat "$C/server.err")"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$C/san.ext"
openssl x509 -req -in "$C/server.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial \
  -days 2 -extfile "$C/san.ext" -out "$C/server.pem" 2>"$C/server.err" ||
  fail "openssl server certificate: $(cat "$C/server.err")"
ok "a CA, a server certificate for 127.0.0.1 signed by it, and a second (wrong) CA"

# The passwords: none may ever show up where it should not.
PW_ADMIN=adm-Zq81-pw
PW_DS=ds-Kf27-secret
PW_DAS=das-Wm53-secret
PW_PG=pg-Rt64-secret
PW_PROM=prom-Hv39-secret
SECRETS=("$PW_ADMIN" "$PW_DS" "$PW_DAS" "$PW_PG" "$PW_PROM")
printf '%s\n' "$PW_DS" >"$C/ds.pw"
printf '%s\n' "$PW_DAS" >"$C/das.pw"
printf '%s\n' "$PW_PROM" >"$C/prom.pw"
printf '%s\n' "not-the-password" >"$C/prom.pw.wrong"
chmod 600 "$C/ds.pw" "$C/das.pw" "$C/prom.pw" "$C/prom.pw.wrong"

# --- influxd with auth and https ------------------------------------------------
I=$TB_TMP/influx-tls
mkdir -p "$I/meta" "$I/data" "$I/wal"
IPORT=$(free_port)
RPORT=$((IPORT + 1))
awk -v http="127.0.0.1:$IPORT" -v rpc="127.0.0.1:$RPORT" -v dir="$I" -v crt="$C/server.pem" -v key="$C/server.key" '
  /^\[/ { sect = $0; gsub(/[\[\] ]/, "", sect) }
  sect == "" && /^ *bind-address *=/ { printf "bind-address = \"%s\"\n", rpc; next }
  sect == "meta" && /^ *dir *=/ { printf "  dir = \"%s/meta\"\n", dir; next }
  sect == "data" && /^ *dir *=/ { printf "  dir = \"%s/data\"\n", dir; next }
  sect == "data" && /^ *wal-dir *=/ { printf "  wal-dir = \"%s/wal\"\n", dir; next }
  sect == "http" && /^ *bind-address *=/ { printf "  bind-address = \"%s\"\n", http; next }
  sect == "http" && /^ *auth-enabled *=/ { print "  auth-enabled = true"; next }
  sect == "http" && /^ *https-enabled *=/ { print "  https-enabled = true"; next }
  sect == "http" && /^ *https-certificate *=/ { printf "  https-certificate = \"%s\"\n", crt; next }
  sect == "http" && /^ *https-private-key *=/ { printf "  https-private-key = \"%s\"\n", key; next }
  { print }' "$TESTBED_INFLUX_CONFIG" >"$I/influxd.conf"
for k in auth-enabled https-enabled https-certificate https-private-key; do
  grep -q "^ *$k = " "$I/influxd.conf" || fail "influxd.conf: could not set $k (influxd config changed?)"
done
bg_run "$I/influxd.log" /usr/bin/influxd -config "$I/influxd.conf"
IURL=https://127.0.0.1:$IPORT
ping_tls() { [[ "$(curl -s --cacert "$C/ca.pem" -o /dev/null -w '%{http_code}' "$IURL/ping")" == 204 ]]; }
wait_until 30 ping_tls || fail "influxd with https did not answer: $(tail -5 "$I/influxd.log")"
iq() { # USER:PASSWORD QUERY (the test's own curl; the programs under test get files)
  curl -sS --cacert "$C/ca.pem" -u "$1" -XPOST "$IURL/query" --data-urlencode "q=$2"
}
out=$(curl -sS --cacert "$C/ca.pem" -XPOST "$IURL/query" \
  --data-urlencode "q=CREATE USER admin WITH PASSWORD '$PW_ADMIN' WITH ALL PRIVILEGES")
[[ "$out" != *error* ]] || fail "CREATE USER admin: $out"
for q in "CREATE DATABASE docker" "CREATE DATABASE das" "CREATE USER ds WITH PASSWORD '$PW_DS'" \
  "GRANT WRITE ON docker TO ds" "CREATE USER das WITH PASSWORD '$PW_DAS'" "GRANT READ ON docker TO das" \
  "GRANT ALL ON das TO das"; do
  out=$(iq "admin:$PW_ADMIN" "$q")
  [[ "$out" != *error* ]] || fail "$q: $out"
done
assert_contains "$(curl -sS --cacert "$C/ca.pem" -XPOST "$IURL/query?db=docker" --data-urlencode 'q=SHOW MEASUREMENTS')" \
  "authentication" "influxd refuses a query without credentials (auth is on)"
ok "influxd over https with auth: users ds (write on docker) and das (read docker, its own das)"

# --- PostgreSQL with TLS and a password login ------------------------------------
PGD=$TESTBED_PG_DATA
cp "$C/server.pem" "$PGD/das-test.crt"
cp "$C/server.key" "$PGD/das-test.key"
chown postgres "$PGD/das-test.crt" "$PGD/das-test.key"
chmod 600 "$PGD/das-test.key"
{
  echo "hostssl doc das_pg 127.0.0.1/32 scram-sha-256"
  echo "host doc das_pg 127.0.0.1/32 reject"
  cat "$PGD/pg_hba.conf"
} >"$TB_TMP/pg_hba.conf"
cat "$TB_TMP/pg_hba.conf" >"$PGD/pg_hba.conf"
psql_doc "ALTER SYSTEM SET ssl_cert_file = 'das-test.crt'" >/dev/null
psql_doc "ALTER SYSTEM SET ssl_key_file = 'das-test.key'" >/dev/null
psql_doc "ALTER SYSTEM SET ssl = on" >/dev/null
psql_doc "SET password_encryption = 'scram-sha-256'; CREATE ROLE das_pg LOGIN PASSWORD '$PW_PG'" >/dev/null
psql_doc "GRANT ALL ON SCHEMA public TO das_pg" >/dev/null
psql_doc "SELECT pg_reload_conf()" >/dev/null
sleep 1
printf '127.0.0.1:%s:doc:das_pg:%s\n' "$TESTBED_PG_PORT" "$PW_PG" >"$C/pgpass"
printf '127.0.0.1:%s:doc:das_pg:%s\n' "$TESTBED_PG_PORT" "not-the-password" >"$C/pgpass.wrong"
chmod 600 "$C/pgpass" "$C/pgpass.wrong"
PGURL="postgresql://das_pg@127.0.0.1:$TESTBED_PG_PORT/doc?sslmode=verify-full&sslrootcert=$C/ca.pem"
PGURL_WRONGCA="postgresql://das_pg@127.0.0.1:$TESTBED_PG_PORT/doc?sslmode=verify-full&sslrootcert=$C/wrongca.pem"
PGURL_PLAIN="postgresql://das_pg@127.0.0.1:$TESTBED_PG_PORT/doc?sslmode=disable"

# --- das and ds with all of it ---------------------------------------------------
export DAS_INFLUX_URL=$IURL DAS_INFLUX_CA=$C/ca.pem DAS_POLICY_DB=$PGURL PGPASSFILE=$C/pgpass
DAS_AUTH=(--influx-user das --influx-password-file "$C/das.pw" --influx-history-db das)
out=$("$bin_das" policy add web --seq 1 --mode step --min 1 --max 2 --item cpu_ratio --out 5% \
  --in 1% --out-for 10s --in-for 10s --warmup 0s 2>&1) || fail "das policy add over verify-full TLS: $out"
ok "das policy add: PostgreSQL over TLS (verify-full), password from PGPASSFILE"
dk service create --detach --name web --replicas 1 --limit-cpu 0.1 \
  --stop-grace-period 1s "$TESTBED_IMAGE" sh -c 'while :; do :; done' >/dev/null 2>"$TB_TMP/create.err" ||
  fail "service create: $(cat "$TB_TMP/create.err")"
WEB=$(dk service inspect -f '{{.ID}}' web)
DS_PORT=$(free_port)
bg_run "$TB_TMP/ds.log" "$bin_ds" --node node1 --interval 1s --influx-user ds --influx-password-file "$C/ds.pw" \
  --listen "127.0.0.1:$DS_PORT"
DS_PID=$!
bg_run "$TB_TMP/das.log" "$bin_das" run --interval 1s --ds-interval 1s "${DAS_AUTH[@]}"
DAS_PID=$!
replicas_is() { [[ "$(dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web)" == "$1" ]]; }
wait_until 90 replicas_is 2 ||
  fail "web was not scaled out: ds: $(tail -3 "$TB_TMP/ds.log") das: $(tail -3 "$TB_TMP/das.log")"
ok "ds wrote over https as a write-only user, das read it and scaled web 1 → 2 (store over TLS)"
n=$(iq "admin:$PW_ADMIN" "SELECT count(cpu_ratio) FROM docker.autogen.docker WHERE service = '$WEB'" |
  python3 -c 'import json, sys; s = json.load(sys.stdin)["results"][0].get("series"); print(s[0]["values"][0][1] if s else 0)')
assert_ge "$n" 5 "the https influxd holds ds's points for web ($n)"
assert_eq "$(psql_doc "select from_no || '>' || to_no from das_events where seq = 1 and action = 'scale-out'")" "1>2" \
  "das_events (written as das_pg over TLS): 1>2"

# --- each user writes only its own database (SECURITY.md) ----------------------
count_in() { # DB: points of measurement das in DB, by the admin
  iq "admin:$PW_ADMIN" "SELECT count(\"to\") FROM \"$1\".autogen.das" |
    python3 -c 'import json, sys; s = json.load(sys.stdin)["results"][0].get("series"); print(s[0]["values"][0][1] if s else 0)'
}
assert_ge "$(count_in das)" 1 "das wrote its decision to its own database das"
assert_eq "$(count_in docker)" 0 "and none to ds's database docker"
forge="das,service=$WEB,seq=1,action=scale-out from=1i,to=2i,reason=\"forged\" $(($(date +%s) * 1000000000))"
st=$(curl -s -o "$TB_TMP/forge.out" -w '%{http_code}' --cacert "$C/ca.pem" -u "ds:$PW_DS" \
  -XPOST "$IURL/write?db=das" --data-binary "$forge")
assert_eq "$st" 403 "ds's user may not write das's history (HTTP $st: $(cat "$TB_TMP/forge.out"))"
st=$(curl -s -o "$TB_TMP/forge.out" -w '%{http_code}' --cacert "$C/ca.pem" -u "das:$PW_DAS" \
  -XPOST "$IURL/write?db=docker" --data-binary "docker,service=$WEB,container=aaaaaaaaaaaa cpu_ratio=0 1")
assert_eq "$st" 403 "das's user may not write ds's points (HTTP $st: $(cat "$TB_TMP/forge.out"))"
hist=$("$bin_das" events --policy-db none --service web "${DAS_AUTH[@]}" 2>&1) ||
  fail "das events from the history database: $hist"
assert_contains "$hist" "scale-out" "das events --policy-db none reads the history back from das's own database"

# --- what is refused, and how it says so ----------------------------------------
out=$("$bin_das" status --ds-interval 1s --influx-ca "$C/wrongca.pem" "${DAS_AUTH[@]}" 2>&1) && fail "das status trusted a certificate the given CA did not sign"
assert_contains "$out" "certificate" "das with the wrong CA for InfluxDB: the message names the certificate"
echo "$out" >"$TB_TMP/refused.log"
out=$("$bin_ds" --once --node node1 --influx-ca "$C/wrongca.pem" --influx-user ds --influx-password-file "$C/ds.pw" 2>&1) &&
  fail "ds --once trusted a certificate the given CA did not sign"
assert_contains "$out" "certificate" "ds with the wrong CA for InfluxDB: the message names the certificate"
echo "$out" >>"$TB_TMP/refused.log"
out=$("$bin_das" status --ds-interval 1s --influx-user das --influx-password-file "$C/ds.pw" 2>&1) && fail "das status read with ds's (write-only) credentials"
echo "$out" >>"$TB_TMP/refused.log"
out=$(DAS_POLICY_DB=$PGURL_WRONGCA "$bin_das" policy list 2>&1) && fail "das trusted the store's certificate with the wrong CA"
assert_contains "$out" "certificate verify failed" "the store with the wrong CA: the message says the certificate failed"
echo "$out" >>"$TB_TMP/refused.log"
out=$(PGPASSFILE=$C/pgpass.wrong "$bin_das" policy list 2>&1) && fail "das logged in with a wrong password"
assert_contains "$out" 'password authentication failed for user "das_pg"' "a wrong store password: the message says so"
echo "$out" >>"$TB_TMP/refused.log"
out=$(DAS_POLICY_DB=$PGURL_PLAIN "$bin_das" policy list 2>&1) && fail "das logged in without TLS where pg_hba asks for it"
# the "host ... reject" line, not any failure that names the user
assert_contains "$out" 'pg_hba.conf rejects connection for host "127.0.0.1", user "das_pg", database "doc", no encryption' \
  "the store without TLS: refused by pg_hba's reject line, and the message says so"
echo "$out" >>"$TB_TMP/refused.log"

grep -v '^$' "$TB_TMP/refused.log" | cut -c1-300 | sed 's/^/  refused: /'
assert_contains "$(cat "$TB_TMP/refused.log")" "HTTP 401: authorization failed" "das with ds's write-only InfluxDB user: refused by influxd, and das says so"

# --- no password anywhere it should not be ---------------------------------------
for pid in "$DS_PID" "$DAS_PID"; do
  pid_alive "$pid" || fail "process $pid is gone"
done
leaks=0
for s in "${SECRETS[@]}"; do
  for f in "$TB_TMP/ds.log" "$TB_TMP/das.log" "$TB_TMP/refused.log" \
    /proc/"$DS_PID"/cmdline /proc/"$DS_PID"/environ /proc/"$DAS_PID"/cmdline /proc/"$DAS_PID"/environ; do
    if grep -qaF -- "$s" "$f"; then
      echo "leak: a test password in $f" >&2
      leaks=$((leaks + 1))
    fi
  done
done
assert_eq "$leaks" 0 "no test password in ds's or das's logs, error messages, /proc/PID/cmdline or /proc/PID/environ"
# the grep finds what is there: the files hold the passwords' neighbours
assert_contains "$(tr '\0' ' ' </proc/"$DAS_PID"/environ)" "PGPASSFILE=$C/pgpass" "(das's environ was read: it names the password file, not the password)"
# core dumps off in both (the undumpable flag itself: test_core)
for pid in "$DS_PID" "$DAS_PID"; do
  core=$(grep '^Max core file size' /proc/"$pid"/limits)
  [[ "$core" =~ ^Max\ core\ file\ size\ +0\ +0\ +bytes ]] ||
    fail "process $pid holds a password and may still dump core: $core"
done
ok "ds and das hold passwords: their core size limit is 0, soft and hard"
bg_stop "$DAS_PID"

# --- Prometheus over https with basic auth ----------------------------------------
P=$TB_TMP/prom-tls
mkdir -p "$P/data"
PPORT=$(free_port)
hash=$(htpasswd -niBC 5 das <<<"$PW_PROM" | cut -d: -f2-) # the password on stdin, not argv
[[ "$hash" == \$2* ]] || fail "htpasswd made no bcrypt hash: $hash"
cat >"$P/web.yml" <<EOF
tls_server_config:
  cert_file: $C/server.pem
  key_file: $C/server.key
basic_auth_users:
  das: '$hash'
EOF
cat >"$P/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: ds
    static_configs:
      - targets: ['127.0.0.1:$DS_PORT']
EOF
bg_run "$P/prometheus.log" /usr/bin/prometheus --config.file="$P/prometheus.yml" \
  --storage.tsdb.path="$P/data" --web.listen-address="127.0.0.1:$PPORT" \
  --web.config.file="$P/web.yml" --log.level=warn
PURL=https://127.0.0.1:$PPORT
prom_ready() { [[ "$(curl -s --cacert "$C/ca.pem" -u "das:$PW_PROM" -o /dev/null -w '%{http_code}' "$PURL/-/ready")" == 200 ]]; }
wait_until 30 prom_ready || fail "Prometheus with TLS did not answer: $(tail -5 "$P/prometheus.log")"
assert_eq "$(curl -s --cacert "$C/ca.pem" -o /dev/null -w '%{http_code}' "$PURL/api/v1/query?query=up")" 401 \
  "this Prometheus asks for a login (basic auth is on)"
ok "Prometheus over https with basic auth (a bcrypt hash), scraping ds"

# web back to one replica; das reads Prometheus alone (no InfluxDB)
dk service scale --detach web=1 >/dev/null
one_task() { [[ "$(dk ps -q --filter "label=com.docker.swarm.service.id=$WEB" | wc -l)" == 1 ]]; }
wait_until 60 one_task || fail "web did not come down to one task"
PROM=(--influx-url none --prometheus-url "$PURL" --prometheus-user das)
das_prom() { # CMD ARGS...: das with Prometheus as the windows' store
  "$bin_das" "$@" --ds-interval 1s "${PROM[@]}"
}
outcome() {
  das_prom status --json --prometheus-ca "$C/ca.pem" --prometheus-password-file "$C/prom.pw" 2>"$TB_TMP/st-prom.err" |
    python3 -c 'import json, sys
p = [p for p in json.load(sys.stdin)["policies"] if p["seq"] == 1][0]
print(p["outcome"])' 2>>"$TB_TMP/st-prom.err"
}
wants_out() { [[ "$(outcome)" == scale-out ]]; }
wait_until 60 wants_out || fail "das with Prometheus over TLS: web's outcome is $(outcome), not scale-out: $(tail -3 "$TB_TMP/st-prom.err")"
ok "das status with --prometheus-ca and the password file reads web's windows from Prometheus: scale-out"

# what is refused: each run would scale web out, had it read the windows
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' web; }
out=$(das_prom run --once --prometheus-password-file "$C/prom.pw" 2>&1) || true
echo "$out" >"$TB_TMP/prom-refused.log"
assert_contains "$out" "SSL certificate problem" "das with no CA for Prometheus (the system's): the certificate is refused, and das says so"
assert_eq "$(replicas)" 1 "no CA: web not scaled"
out=$(das_prom run --once --prometheus-ca "$C/ca.pem" --prometheus-password-file "$C/prom.pw.wrong" 2>&1) || true
echo "$out" >>"$TB_TMP/prom-refused.log"
assert_contains "$out" "HTTP 401" "das with a wrong Prometheus password: Prometheus's refusal (HTTP 401) is said"
assert_eq "$(replicas)" 1 "wrong password: web not scaled"
# a password in the URL's flag is refused before anything is read
rc=0
out=$("$bin_das" status --prometheus-url "https://das:$PW_PROM@127.0.0.1:$PPORT" 2>&1) || rc=$?
echo "$out" >>"$TB_TMP/prom-refused.log"
assert_eq "$rc" 2 "--prometheus-url with a password in it: bad configuration (exit 2)"
assert_contains "$out" "--prometheus-password-file" "and the message names the password file to use instead"
grep -i 'certificate\|401\|holds a password' "$TB_TMP/prom-refused.log" | cut -c1-300 | sort -u | head -6 | sed 's/^/  refused: /'
out=$(das_prom run --once --prometheus-ca "$C/ca.pem" --prometheus-password-file "$C/prom.pw" 2>&1) ||
  fail "das run --once with Prometheus over TLS: $out"
echo "$out" >"$TB_TMP/prom-ok.log"
assert_eq "$(replicas)" 2 "with the CA and the right password das read Prometheus and scaled web 1 → 2"
leaks=0
for f in "$TB_TMP/prom-refused.log" "$TB_TMP/prom-ok.log" "$TB_TMP/st-prom.err"; do
  if grep -qaF -- "$PW_PROM" "$f"; then
    echo "leak: the Prometheus password in $f" >&2
    leaks=$((leaks + 1))
  fi
done
assert_eq "$leaks" 0 "no Prometheus password in das's messages"
finish

