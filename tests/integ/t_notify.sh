#!/usr/bin/env bash
# das run --notify-url on a real swarm, with receivers on loopback
# (tests/integ/notify_rx.py), all five at once for the whole run:
#  * one that answers 200, named in --notify-url-file with a token in its
#    query: it gets leader-gained, a bad label policy (policy-invalid, then
#    policy-valid once fixed), metrics-unavailable (no points for longer
#    than --notify-unavailable-after) and metrics-available, then the
#    scale-out and the scale-in, in that order, with the fields of the
#    event (the same as GET /events says of the action); the token reaches
#    it and never das's log or /metrics;
#  * one that accepts and never answers, one that answers 500, one that
#    redirects to itself, and an address nobody listens on: every event
#    is dropped for each of them and counted, once each
#    (das_notifications_dropped_total = the events the good one got); the
#    redirecting and failing ones got exactly the attempts das counted (a
#    redirect is not followed), and the drops are logged once a receiver;
#  * das's cycles keep their pace meanwhile: cycles complete between the
#    first event and the hung receiver's drop of it (a cycle that waited
#    on a receiver could not), and the cycles done over the run are of the
#    order of one a second, the interval; the service scaled 1 → 2 → 1 and
#    nothing else.
# shellcheck disable=SC2119,SC2317  # tb_up takes no args here; functions run through wait_until
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"
need_bin "$bin_das"
tb_up

LOG=$TB_TMP/das.log
LOAD=$TB_TMP/load
RX=$TB_TMP/rx
mkdir -p "$RX"
echo 0 >"$LOAD"

# --- the receivers ----------------------------------------------------------
bg_run "$TB_TMP/receiver.log" python3 "$DAS_SRC/tests/integ/notify_rx.py" "$RX" ok hang fail redirect
wait_until 20 test -s "$RX/ports" || fail "the receivers did not start: $(cat "$TB_TMP/receiver.log")"
read -r P_OK P_HANG P_FAIL P_REDIR <"$RX/ports"
P_ABSENT=$(free_port)
TOKEN=s3cretT0ken$RANDOM
printf '# the receiver with a token\n\nhttp://127.0.0.1:%s/hook?token=%s\n' "$P_OK" "$TOKEN" >"$TB_TMP/urls"
chmod 600 "$TB_TMP/urls"
# receivers 1-4 from the flags, 5 from the file
R_HANG=1 R_FAIL=2 R_REDIR=3 R_ABSENT=4 R_OK=5

# --- the services: web's policy in its labels, odd's bad at first -------------
dk service create --detach --name web --replicas 1 \
  --label das.max_no=2 --label das.min_no=1 --label das.out_cond=70% \
  --label das.in_cond=20% --label das.out_duration=4s --label das.in_duration=4s \
  --label das.scale_mode=step --label das.warmup=0s \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
dk service create --detach --name odd --replicas 1 \
  --label das.max_no=2 --label "das.out_cond=70 percent" \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
WEB=$(dk service inspect -f '{{.ID}}' web)
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$1"; }
replicas_is() { [[ "$(replicas "$1")" == "$2" ]]; }

port=$(free_port)
bg_run "$LOG" "$bin_das" run --policy-db none --interval 1s --ds-interval 1s \
  --listen "127.0.0.1:$port" --log-level debug \
  --notify-url "http://127.0.0.1:$P_HANG/" --notify-url "http://127.0.0.1:$P_FAIL/x" \
  --notify-url "http://127.0.0.1:$P_REDIR/r" --notify-url "http://127.0.0.1:$P_ABSENT/" \
  --notify-url-file "$TB_TMP/urls" \
  --notify-timeout 2s --notify-give-up 5s --notify-unavailable-after 6s
metrics() { curl -s "http://127.0.0.1:$port/metrics"; }
metric() { metrics | awk -v k="$1" '$1 == k { print $2 }'; }
# got ACTION [SERVICE]: the good receiver has an event of ACTION (of SERVICE)
got() {
  [[ -s "$RX/ok.jsonl" ]] &&
    jq -e --arg a "$1" --arg s "${2:-}" -s \
      'any(.[]; .action == $a and ($s == "" or .service == $s))' "$RX/ok.jsonl"
}

# --- events in order, with their fields -------------------------------------
wait_until 60 got metrics-unavailable web ||
  fail "no metrics-unavailable for web: $(tail -5 "$LOG")"
ok "web without points for 6s: metrics-unavailable notified"
echo 90 >"$LOAD"
bg_run "$TB_TMP/feed.log" feed "$WEB" web
wait_until 90 got scale-out web || fail "no scale-out notified: $(tail -5 "$LOG")"
echo 0 >"$LOAD"
dk service update --detach --label-add das.out_cond=70% odd >/dev/null
wait_until 90 got scale-in web || fail "no scale-in notified: $(tail -5 "$LOG")"
wait_until 30 got policy-valid odd || fail "no policy-valid for odd"

seq_of() { jq -r -s --arg s "$1" \
  '[.[] | select(.service == $s) | .action + (if .kind == "action" then " \(.from)>\(.to)" else "" end)]
   | join(", ")' "$RX/ok.jsonl"; }
web_seq=$(seq_of web)
first=$(head -n1 "$RX/ok.jsonl" | jq -r '.action')
assert_eq "$first" leader-gained "the first event: this das leads"
[[ "$web_seq" == "metrics-unavailable, metrics-available, scale-out 1>2,"*"scale-in 2>1"* ]] ||
  fail "web's events out of order: $web_seq"
ok "web's events in order: $web_seq"
assert_eq "$(jq -r -s '[.[] | select(.kind == "action") | .service + " " + .action] | join(", ")' "$RX/ok.jsonl")" \
  "web scale-out, web scale-in" "two actions, nothing else scaled"
odd_seq=$(seq_of odd)
[[ "$odd_seq" == "policy-invalid, policy-valid"* ]] || fail "odd's events: $odd_seq"
ok "odd: policy-invalid, then policy-valid once its label was fixed"
assert_contains "$(jq -r -s '.[] | select(.action == "policy-invalid") | .reason' "$RX/ok.jsonl")" \
  'das.out_cond' "policy-invalid says which label is wrong"

out=$(jq -c -s '[.[] | select(.action == "scale-out")][0]' "$RX/ok.jsonl")
assert_eq "$(jq -c '[.service, .from, .to, .metric, .observed, .threshold, .window, .window_ms, .dry_run, .kind]' <<<"$out")" \
  '["web",1,2,"cpu_ratio",90,70,"4s",4000,false,"action"]' \
  "scale-out: service, from, to, metric, observed, threshold, window"
assert_contains "$(jq -r '.reason' <<<"$out")" "mean cpu_ratio 90.0% > 70% over 4s" "and the reason"
in_ev=$(jq -c -s '[.[] | select(.action == "scale-in")][0]' "$RX/ok.jsonl")
assert_eq "$(jq -c '[.from, .to, .metric, .threshold, .window]' <<<"$in_ev")" \
  '[2,1,"cpu_ratio",20,"4s"]' "scale-in: from, to, metric, threshold, window"
assert_lt "$(jq '.observed' <<<"$in_ev")" 20 "and what was observed, below in_cond"
# the same event GET /events serves
ev=$(curl -s "http://127.0.0.1:$port/events" | jq -c '[.[] | select(.action == "scale-out")][0]')
assert_eq "$(jq -c '[.time_ms, .seq, .from, .to, .reason]' <<<"$ev")" \
  "$(jq -c '[.time_ms, .seq, .from, .to, .reason]' <<<"$out")" "the notified scale-out is the one /events shows"
ids=$(jq -r '.id' "$RX/ok.jsonl" | sort | uniq -d)
assert_eq "$ids" "" "every event has an id of its own"
assert_eq "$(sort -u "$RX/ok.path")" "/hook?token=$TOKEN" "the URL from the file, token included, reached the receiver"
assert_eq "$(grep -c "$TOKEN" "$LOG" || true)" 0 "the token is not in das's log"
assert_eq "$(metrics | grep -c "$TOKEN" || true)" 0 "nor in /metrics"
assert_contains "$(grep 'msg="notifying"' "$LOG" | grep "receiver=$R_OK")" \
  "url=http://127.0.0.1:$P_OK/..." "the log names the receiver by host and port only"

# --- the bad receivers: every event dropped and counted, once ---------------
# /metrics is published at the end of each cycle: its counters are waited for
# metric_is NAME VALUE
metric_is() { [[ "$(metric "$1")" == "$2" ]]; }
counted_ok() { metric_is "das_notifications_sent_total{receiver=\"$R_OK\"}" "$(wc -l <"$RX/ok.jsonl")"; }
wait_until 20 counted_ok || fail "das did not count what the good receiver got: $(metrics | grep notif)"
sent=$(metric "das_notifications_sent_total{receiver=\"$R_OK\"}")
ok "das counts what the good receiver got ($sent)"
assert_eq "$(metric "das_notifications_dropped_total{receiver=\"$R_OK\"}")" 0 "and dropped none of its"
# drained R: nothing queued for R and every event the good one got dropped
drained() {
  local m
  m=$(metrics)
  awk -v q="das_notifications_queued{receiver=\"$1\"}" -v d="das_notifications_dropped_total{receiver=\"$1\"}" \
    -v s="das_notifications_sent_total{receiver=\"$R_OK\"}" \
    '$1 == q { nq = $2 } $1 == d { nd = $2 } $1 == s { ns = $2 }
     END { exit !(nq == 0 && nd == ns && ns > 0) }' <<<"$m"
}
for r in "$R_HANG" "$R_FAIL" "$R_REDIR" "$R_ABSENT"; do
  wait_until 60 drained "$r" || fail "receiver $r: not every event dropped and counted: $(metrics | grep "receiver=\"$r\"")"
  assert_eq "$(metric "das_notifications_sent_total{receiver=\"$r\"}")" 0 "receiver $r: nothing delivered"
  ok "receiver $r: each of the $sent events dropped and counted once"
  assert_eq "$(grep 'msg="notification dropped' "$LOG" | grep -c "receiver=$r ")" 1 \
    "receiver $r: the drops logged once"
done
# requests R FILE: what the receiver got equals the attempts das counted
requests_are_attempts() { metric_is "das_notification_failures_total{receiver=\"$1\"}" "$(wc -l <"$2")"; }
wait_until 20 requests_are_attempts "$R_FAIL" "$RX/fail.count" ||
  fail "the 500 receiver got $(wc -l <"$RX/fail.count") requests, das counted $(metric "das_notification_failures_total{receiver=\"$R_FAIL\"}") attempts"
ok "the 500 receiver got exactly the attempts das counted as failed"
wait_until 20 requests_are_attempts "$R_REDIR" "$RX/redirect.count" ||
  fail "the redirecting receiver got $(wc -l <"$RX/redirect.count") requests, das counted $(metric "das_notification_failures_total{receiver=\"$R_REDIR\"}") attempts"
ok "the redirecting receiver too ($(wc -l <"$RX/redirect.count")): das followed no redirect"
assert_ge "$(wc -l <"$RX/hang.count")" 1 "the hung receiver was reached"

# --- das's pace meanwhile -----------------------------------------------------
# The first event (leader-gained) was queued in the first cycle; the hung
# receiver held it until it was given up, 5 s later. A cycle that waited
# on a receiver would end after that drop: cycles ended before it.
drop_line=$(grep -n 'msg="notification dropped' "$LOG" | grep "receiver=$R_HANG " | head -n1 | cut -d: -f1)
acting_line=$(grep -n 'msg="acting: this engine is the swarm leader"' "$LOG" | head -n1 | cut -d: -f1)
between=$(sed -n "${acting_line},${drop_line}p" "$LOG" | grep -c 'msg="cycle done"' || true)
assert_ge "$between" 2 "cycles ended while the hung receiver held the first event ($between)"
t0=$(log_ms "$(grep 'msg="cycle done"' "$LOG" | head -n1)")
t1=$(log_ms "$(grep 'msg="cycle done"' "$LOG" | tail -n1)")
n=$(grep -c 'msg="cycle done"' "$LOG")
span=$(((t1 - t0) / 1000))
assert_ge "$((n * 3))" "$span" "$n cycles in ${span}s at --interval 1s: the pace of the interval, not of the receivers"
max_ms=$(sed -n 's/.*msg="cycle done".* ms=\([0-9]*\).*/\1/p' "$LOG" | sort -n | tail -n1)
echo "info: the longest cycle took ${max_ms} ms (a receiver's timeout is 2000 ms)"
assert_eq "$(replicas web)" 1 "web back at 1 replica"
assert_eq "$(replicas odd)" 1 "odd left alone"
finish
