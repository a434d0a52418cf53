#!/usr/bin/env bash
# Scheduled floors on a real swarm, with points written as ds writes them
# (cpu_ratio per container, low all along):
#  * a label policy whose das.schedule has a window on now (computed here
#    from the clock, in America/New_York) is brought up to the window's
#    min at once, by a bound action whose reason names the window; status
#    shows the schedule (bounds in force, active window, next change) and
#    holds it there (at-min, naming the window) against the low load;
#  * the window replaced by one that has ended: the policy's own rules
#    again, a scale-in on the low load, status shows no window on;
#  * a schedule that does not parse, and one in a zone that does not
#    exist, are bad policies with the usual message (policy check, status);
#  * the table takes a schedule (`das policy add --schedule`), and refuses
#    a bad one naming --schedule.
# shellcheck disable=SC2119,SC2317  # tb_up takes no args here; functions run through wait_until
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"
need_bin "$bin_das"
tb_up

LOG=$TB_TMP/das.log
ZONE=America/New_York
replicas() { dk service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$1"; }
replicas_is() { [[ "$(replicas "$1")" == "$2" ]]; }
running_of() { [[ $(dk ps -q --filter "label=com.docker.swarm.service.id=$1" | wc -l) -eq $2 ]]; }
nodb() { "$bin_das" "$@" --policy-db none; }
st() { nodb status --json --ds-interval 1s | jq -c ".policies[] | select(.service == \"$1\")"; }
st_outcome_is() { [[ "$(st "$1" | jq -r '.outcome')" == "$2" ]]; }
# HH:MM in the zone, N seconds from now (the test's own zone data: date)
hm() { TZ=$ZONE date -d "@$(($(date +%s) + $1))" +%H:%M; }
# the same as the end of a window: midnight is 24:00 there
hm_end() { local t; t=$(hm "$1"); [[ "$t" == 00:00 ]] && t=24:00; echo "$t"; }

# on: from an hour ago to an hour ahead (across midnight it is a window
# that ends the next day, as the schedule reads it)
ON="$(hm -3600)-$(hm_end 3600) min=3"
dk service create --detach --name sch --replicas 1 \
  --label das.max_no=5 --label das.warmup=0s \
  --label das.out_duration=8s --label das.in_duration=8s \
  --label das.schedule="$ON; tz=$ZONE" \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
dk service create --detach --name badday --replicas 1 \
  --label das.max_no=3 --label das.schedule="Mon-Fry 08:00-18:00 min=2" \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
dk service create --detach --name badzone --replicas 1 \
  --label das.max_no=3 --label das.schedule="08:00-18:00 min=2; tz=Mars/Olympus" \
  "$TESTBED_IMAGE" sleep 100000 >/dev/null 2>&1
SCH=$(dk service inspect -f '{{.ID}}' sch)
wait_until 60 running_of "$SCH" 1 || fail "sch did not start"
echo 5 >"$TB_TMP/cpu"
bg_run "$TB_TMP/feed.log" feed "$SCH" sch cpu_ratio "$TB_TMP/cpu"

# --- bad schedules: bad policies, the usual message ---------------------------
rc=0
check=$(nodb policy check) || rc=$?
assert_eq "$rc" 1 "policy check with bad schedules exits 1"
assert_contains "$check" "service badday: label das.schedule: item 1 \"Mon-Fry 08:00-18:00 min=2\": \"Mon-Fry\": not a day; use Mon, Tue" \
  "a schedule that does not parse is named with what is accepted"
assert_contains "$check" "service badzone: label das.schedule: tz=Mars/Olympus: no such zone in /usr/share/zoneinfo" \
  "a zone that does not exist is named"
assert_eq "$(st badzone | jq -r '.outcome')" invalid-row "status: the bad zone's policy is invalid"

# --- a window on now: up to its min at once, the reason names it --------------
DAS_POLICY_DB=none bg_run "$LOG" "$bin_das" run --interval 1s --ds-interval 1s
wait_until 60 replicas_is sch 3 || fail "sch was not brought to the scheduled min: $(st sch)"
bound=$(nodb events --json --service sch | jq -c '[.[] | select(.action == "bound")][0]')
assert_eq "$(jq -c '[.from, .to]' <<<"$bound")" '[1,3]' "one bound action 1 → 3"
assert_contains "$(jq -r '.reason' <<<"$bound")" "1 replicas below min_no 3: 1 → 3 (schedule: $ON, $ZONE)" \
  "its reason names the window and the zone"
wait_until 60 st_outcome_is sch at-min || fail "sch is not held at the scheduled min: $(st sch)"
s=$(st sch)
assert_contains "$(jq -r '.reason' <<<"$s")" "but at min_no 3 (schedule: $ON, $ZONE)" \
  "the low load's scale-in is held by the window"
assert_eq "$(jq -c '.schedule | [.active, .min_no, .max_no, .zone]' <<<"$s")" "[[\"$ON\"],3,5,\"$ZONE\"]" \
  "status --json: the active window and the bounds in force"
assert_eq "$(jq -r '[.min_no, .max_no] | join("/")' <<<"$s")" "1/5" "and the policy's own bounds"
assert_ne "$(jq -r '.schedule.next_change_ms' <<<"$s")" null "and when it changes"
line=$(nodb status --ds-interval 1s | grep ' sch ' | tr -s ' ')
assert_contains "$line" "3/3/5 (schedule: $ON ($ZONE) until" "das status: bounds in force and the window"

# --- the window ended: the policy's own rules, a scale-in ---------------------
OFF="$(hm -7200)-$(hm_end -3600) min=3"
dk service update --detach --label-add das.schedule="$OFF; tz=$ZONE" sch >/dev/null 2>&1
wait_until 60 replicas_is sch 1 || fail "sch did not scale in after the window ended: $(st sch)"
s=$(st sch)
assert_eq "$(jq -c '.schedule | [.active, .min_no, .holds]' <<<"$s")" '[[],1,null]' \
  "status: no window on, the policy's bounds"
last=$(nodb events --json --service sch | jq -c '[.[] | select(.action == "scale-in")] | sort_by(.time_ms) | .[-1]')
assert_eq "$(jq -c '[.from, .to]' <<<"$last")" '[3,1]' "a scale-in of the policy's own on the low load"
case "$(jq -r '.reason' <<<"$last")" in
  *schedule*) fail "the scale-in's reason names a schedule: $last" ;;
esac
ok "the scale-in's reason does not name the schedule"

# --- the table ------------------------------------------------------------
rc=0
"$bin_das" policy add tbl --seq 3 --min 1 --max 5 --item cpu_ratio --out 70% --in 10% \
  --out-for 1m --in-for 5m --schedule 'Mon-Fri 08:00-18:00 min=4; tz=Europe/Paris' \
  >"$TB_TMP/add.out" 2>&1 || rc=$?
assert_eq "$rc" 0 "policy add --schedule exits 0: $(cat "$TB_TMP/add.out")"
assert_contains "$(cat "$TB_TMP/add.out")" "schedule: Mon-Fri 08:00-18:00 min=4; tz=Europe/Paris" "and says it"
assert_eq "$(psql_doc 'select schedule from das where seq = 3')" \
  "Mon-Fri 08:00-18:00 min=4; tz=Europe/Paris" "the column holds the text as given"
rc=0
err=$("$bin_das" policy add tbl --seq 4 --min 1 --max 5 --item cpu_ratio --out 70% --in 10% \
  --out-for 1m --in-for 5m --schedule 'Mon-Fri 08:00-18:00 min=9' 2>&1) || rc=$?
assert_eq "$rc" 2 "policy add with a min above max_no exits 2"
assert_contains "$err" "--schedule: schedule window 1 \"Mon-Fri 08:00-18:00 min=9\": min=9 is above max_no 5" \
  "naming --schedule: $err"
rc=0
err=$("$bin_das" policy add tbl --seq 4 --min 1 --max 5 --item cpu_ratio --out 70% --in 10% \
  --out-for 1m --in-for 5m --schedule '08:00-18:00 min=2; tz=Mars/Olympus' 2>&1) || rc=$?
assert_eq "$rc" 2 "policy add with a zone that does not exist exits 2"
assert_contains "$err" "--schedule: tz=Mars/Olympus: no such zone" "naming --schedule: $err"
assert_eq "$(psql_doc 'select count(*) from das where seq = 4')" 0 "and writes nothing"
finish
