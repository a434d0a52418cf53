#!/usr/bin/env bash
# The policy store on a real PostgreSQL: das creates the seed's `das` table
# (its columns, then das's optional ones) and `das_events`; the seed's
# own INSERT works unchanged; a table made by the seed's DDL is read as it
# is and gets the optional columns when das makes sure of its schema
# (ALTER TABLE, in das run and das policy add); das simulate
# --policy plays a stored row; das policy add/list/rm/check round trip; bad values are refused
# with exit 2 and leave the table alone; hostile text is only ever a bound
# value; das events filters and orders; a stopped store is exit 1 with a
# message naming host and port and never the password.
# shellcheck disable=SC2119  # tb_up takes no args here
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

need_bin "$bin_das"
tb_up

# das_run ARGS...: runs das; sets rc, out (stdout) and err (stderr).
das_run() {
  rc=0
  "$bin_das" "$@" >"$TB_TMP/out" 2>"$TB_TMP/err" || rc=$?
  out=$(cat "$TB_TMP/out")
  err=$(cat "$TB_TMP/err")
}

# row SEQ: the `das policy list` line of that seq (columns squeezed).
row() { printf '%s\n' "$out" | awk -v s="$1" '$1 == s' | tr -s ' '; }

count_das() { psql_doc 'select count(*) from das'; }
# has_table NAME: 1 when the table exists, else 0 (information_schema, as
# CrateDB has it too)
has_table() { psql_doc "select count(*) from information_schema.tables where table_name = '$1'"; }

POL=(--min 1 --max 10 --item cpu_ratio --out 70% --in 10% --out-for 10m --in-for 10m)

# --- an empty store ----------------------------------------------------------
das_run policy list
assert_eq "$rc" 0 "policy list on an empty store exits 0"
assert_contains "$out" "no policies" "policy list says there are no policies"
assert_eq "$(has_table das)" 0 \
  "policy list (a read) does not create the table"

# --- das creates the seed's schema; the seed's INSERT works unchanged --------
das_run policy add api --seq 5 --min 2 --max 6 --item mem_ratio --out 80% \
  --in 20% --out-for 5m --in-for 15m
assert_eq "$rc" 0 "policy add --seq 5 exits 0 (err: $err)"
assert_contains "$out" "seq=5" "policy add names the seq it wrote"
cols=$(psql_doc "select column_name || ':' || data_type
  from information_schema.columns where table_name = 'das' order by ordinal_position" | paste -sd , -)
SEED_COLS="seq:integer,min_no:integer,max_no:integer,cur_no:integer,cond_item:text,out_cond:text,in_cond:text,out_duration:text,in_duration:text,service_id:text"
assert_eq "$cols" "$SEED_COLS,scale_mode:text,warmup:text,metrics:text,idle_for:text,wake_no:integer,schedule:text" \
  "das created table das with the seed's columns, in order, then its optional ones"
assert_eq "$(psql_doc "select kcu.column_name from information_schema.table_constraints tc
  join information_schema.key_column_usage kcu using (constraint_name)
  where tc.table_name = 'das' and tc.constraint_type = 'PRIMARY KEY'" | paste -sd , -)" seq "seq is the primary key"
assert_eq "$(has_table das_events)" 1 "das created das_events"
assert_eq "$(psql_doc "select min_no, max_no, cur_no is null, cond_item, out_cond, in_cond, out_duration, in_duration, service_id from das where seq = 5")" \
  "2|6|t|mem_ratio|80%|20%|5m|15m|api" "policy add wrote the operator's spelling, cur_no NULL"

psql_doc "insert into das (seq, min_no, max_no, cur_no, cond_item, out_cond, in_cond, out_duration, in_duration, service_id) values(1, 1, 10, 3, 'cpu_ratio', '70%', '10%', '10m', '10m', 'web');" >/dev/null ||
  fail "the seed's INSERT failed on das's table"
ok "the seed's INSERT works unchanged on the table das created"
das_run policy list
assert_eq "$rc" 0 "policy list exits 0"
assert_eq "$(printf '%s\n' "$out" | head -n1 | tr -s ' ')" \
  "SEQ SOURCE SERVICE MIN MAX CUR ITEM OUT IN OUT-FOR IN-FOR MODE WARMUP METRICS STATUS" "policy list header"
assert_eq "$(row 1)" "1 table web 1 10 3 cpu_ratio 70% 10% 10m 10m auto 30s - ok" "the seed's row is listed ok, with the defaults"
assert_eq "$(row 5)" "5 table api 2 6 - mem_ratio 80% 20% 5m 15m auto 30s - ok" "the added row is listed ok"
assert_eq "$(printf '%s\n' "$out" | awk 'NR > 1 {print $1}' | tr '\n' ' ')" "1 5 " \
  "policy list is ordered by seq"

# the seed's own DDL (STRING spelled TEXT, as docs/design.md §3) is read the same way
psql_doc "create table das_seed_check (seq int primary key, min_no int, max_no int, cur_no int, cond_item TEXT, out_cond TEXT, in_cond TEXT, out_duration TEXT, in_duration TEXT, service_id TEXT)" >/dev/null
assert_eq "$(psql_doc "select column_name || ':' || data_type
  from information_schema.columns where table_name = 'das_seed_check' order by ordinal_position" | paste -sd , -)" "$SEED_COLS" \
  "das's table starts with the seed's DDL, column for column"
psql_doc "drop table das_seed_check" >/dev/null

# --- add / list / rm round trip ----------------------------------------------
das_run policy add web2 "${POL[@]}"
assert_eq "$rc" 0 "policy add without --seq exits 0 (err: $err)"
assert_contains "$out" "seq=6" "policy add takes the next free seq (max + 1)"
das_run policy list --json
assert_eq "$rc" 0 "policy list --json exits 0"
assert_eq "$(printf '%s' "$out" | jq -c '[.[] | [.seq, .service_id, .ok]]')" \
  '[[1,"web",true],[5,"api",true],[6,"web2",true]]' "policy list --json rows"
assert_eq "$(printf '%s' "$out" | jq -c '.[0] | [.min_no, .max_no, .cur_no, .cond_item, .out_cond, .in_cond, .out_duration, .in_duration, .status]')" \
  '[1,10,3,"cpu_ratio","70%","10%","10m","10m","ok"]' "policy list --json columns"
das_run policy add web2 --seq 6 "${POL[@]}"
assert_eq "$rc" 1 "policy add onto a taken seq exits 1"
assert_contains "$err" "seq 6 is taken" "and says the seq is taken"
das_run policy add web3 --seq 6 --replace --min 2 --max 4 --item cpu_ratio --out 60% \
  --in 5% --out-for 2m --in-for 20m
assert_eq "$rc" 0 "policy add --seq 6 --replace exits 0 (err: $err)"
assert_eq "$(psql_doc "select service_id, min_no, max_no, out_cond, in_duration from das where seq = 6")" \
  "web3|2|4|60%|20m" "--replace rewrote the row (ON CONFLICT DO UPDATE)"
das_run policy rm 6
assert_eq "$rc" 0 "policy rm 6 exits 0"
das_run policy list
assert_eq "$(row 6)" "" "the removed row is gone from policy list"
assert_eq "$(count_das)" 2 "two rows left"
das_run policy rm 6
assert_eq "$rc" 1 "policy rm of a missing seq exits 1"
assert_contains "$err" "no policy with seq 6" "and says so"
das_run policy rm six
assert_eq "$rc" 2 "policy rm with a non-number exits 2"

# --- bad values: exit 2, a clear message, the table untouched ----------------
before=$(psql_doc 'select seq, service_id, out_duration from das order by seq' | tr '\n' ' ')
bad_add() { # MSG NEEDLE1 NEEDLE2 ARGS...
  local msg=$1 n1=$2 n2=$3
  shift 3
  das_run policy add "$@"
  assert_eq "$rc" 2 "$msg: exit 2"
  assert_contains "$err" "$n1" "$msg: message names $n1"
  assert_contains "$err" "$n2" "$msg: message says $n2"
  assert_eq "$(psql_doc 'select seq, service_id, out_duration from das order by seq' | tr '\n' ' ')" \
    "$before" "$msg: table unchanged"
}
bad_add "--out-for 10" "out_duration" "bare number" \
  web4 --min 1 --max 3 --item cpu_ratio --out 70% --in 10% --out-for 10 --in-for 10m
bad_add "--out abc%" "out_cond" '"abc%"' \
  web4 --min 1 --max 3 --item cpu_ratio --out abc% --in 10% --out-for 10m --in-for 10m
bad_add "min > max" "min_no" "above max_no" \
  web4 --min 5 --max 3 --item cpu_ratio --out 70% --in 10% --out-for 10m --in-for 10m
bad_add "in = out" "in_cond" "must be below out_cond" \
  web4 --min 1 --max 3 --item cpu_ratio --out 70% --in 70% --out-for 10m --in-for 10m
bad_add "in > out" "in_cond" "must be below out_cond" \
  web4 --min 1 --max 3 --item cpu_ratio --out 70% --in 90% --out-for 10m --in-for 10m
bad_add "unknown item" "cond_item" "unknown metric" \
  web4 --min 1 --max 3 --item cpu_load --out 70% --in 10% --out-for 10m --in-for 10m
bad_add "hostile service" "SERVICE" "not allowed" \
  "x'); drop table das; --" --min 1 --max 3 --item cpu_ratio --out 70% --in 10% --out-for 10m --in-for 10m
bad_add "hostile item" "cond_item" "unknown metric" \
  web4 --min 1 --max 3 --item "cpu_ratio'; drop table das; --" --out 70% --in 10% --out-for 10m --in-for 10m
bad_add "--min 0" "--min" "needs every metric to be a query metric" \
  web4 --min 0 --max 3 --item cpu_ratio --out 70% --in 10% --out-for 10m --in-for 10m
bad_add "missing flags" "missing --max" "missing --in-for" web4 --min 1
assert_eq "$(has_table das)" 1 "table das is still there"

# --- the optional columns: --mode and --warmup; das simulate --policy ---------
das_run policy add web8 --seq 8 --mode step --warmup 1m "${POL[@]}"
assert_eq "$rc" 0 "policy add --mode step --warmup 1m exits 0 (err: $err)"
assert_contains "$out" "mode step, warmup 1m" "policy add says the mode and warm-up it wrote"
assert_eq "$(psql_doc "select scale_mode || ' ' || warmup from das where seq = 8")" "step 1m" \
  "scale_mode and warmup written as given"
das_run policy list
assert_eq "$(row 8)" "8 table web8 1 10 - cpu_ratio 70% 10% 10m 10m step 1m - ok" "policy list shows them"
before=$(psql_doc 'select seq, service_id, out_duration from das order by seq' | tr '\n' ' ')
bad_add "--mode big" "--mode" "use auto" web4 --mode big "${POL[@]}"
bad_add "--warmup 30" "--warmup" "bare number" web4 --warmup 30 "${POL[@]}"
bad_add "--warmup 2h" "--warmup" "longer than 1h" web4 --warmup 2h "${POL[@]}"
TRACE=$DAS_SRC/tests/fixtures/traces/spikes.csv
das_run simulate --trace "$TRACE" --policy 8
assert_eq "$rc" 0 "das simulate --policy 8 exits 0 (err: $err)"
assert_contains "$out" "mode step, warmup 1m" "das simulate plays the stored row"
step_out=$out
das_run simulate --trace "$TRACE" --mode step --warmup 1m "${POL[@]}"
assert_eq "$out" "$step_out" "the stored row plays as the same flags do"
das_run simulate --trace "$TRACE" --policy 99
assert_eq "$rc" 2 "das simulate --policy of a missing seq exits 2"
assert_contains "$err" "no such row" "and says so"
das_run simulate --trace "$TRACE" --policy 8 --min 1
assert_eq "$rc" 2 "--policy with policy flags exits 2"
das_run policy rm 8
assert_eq "$rc" 0 "policy rm 8"

# --- a table made by the seed's DDL: read as it is, then das adds columns ----
psql_doc "alter table das rename to das_kept" >/dev/null
psql_doc "create table das (seq int primary key, min_no int, max_no int, cur_no int, cond_item TEXT, out_cond TEXT, in_cond TEXT, out_duration TEXT, in_duration TEXT, service_id TEXT)" >/dev/null
psql_doc "insert into das (seq, min_no, max_no, cur_no, cond_item, out_cond, in_cond, out_duration, in_duration, service_id) values(1, 1, 10, 3, 'cpu_ratio', '70%', '10%', '10m', '10m', 'web');" >/dev/null
das_run policy list
assert_eq "$rc" 0 "policy list on the seed's own table exits 0 (err: $err)"
assert_eq "$(row 1)" "1 table web 1 10 3 cpu_ratio 70% 10% 10m 10m auto 30s - ok" \
  "the seed's table is read without the optional columns: their defaults apply"
das_run policy add web9 --seq 9 --mode step "${POL[@]}"
assert_eq "$rc" 0 "policy add --mode step on the seed's table exits 0 (err: $err)"
assert_eq "$(psql_doc "select column_name from information_schema.columns where table_name = 'das' order by ordinal_position" | paste -sd , -)" \
  "seq,min_no,max_no,cur_no,cond_item,out_cond,in_cond,out_duration,in_duration,service_id,scale_mode,warmup,metrics,idle_for,wake_no,schedule" \
  "das added its optional columns to the seed's table (ALTER TABLE) before writing"
assert_eq "$(psql_doc "select seq || ':' || coalesce(scale_mode, 'null') from das order by seq" | tr '\n' ' ')" \
  "1:null 9:step " "the seed's row keeps NULL (the default); the new one says step"
das_run policy list
assert_eq "$(row 1)" "1 table web 1 10 3 cpu_ratio 70% 10% 10m 10m auto 30s - ok" "the seed's row: auto, 30s"
assert_eq "$(row 9)" "9 table web9 1 10 - cpu_ratio 70% 10% 10m 10m step 30s - ok" "the new row: step"
psql_doc "drop table das" >/dev/null
psql_doc "alter table das_kept rename to das" >/dev/null

# --- check: a bad row is reported, listed, and makes check exit 1 ------------
das_run policy check
assert_eq "$rc" 0 "policy check with good rows exits 0"
assert_contains "$out" "2 ok, 0 bad" "policy check counts them"
psql_doc "insert into das (seq, min_no, max_no, cur_no, cond_item, out_cond, in_cond, out_duration, in_duration, service_id) values(7, 1, 3, null, 'cpu_ratio', '70%', '10%', '10', '10m', 'bad');" >/dev/null
das_run policy check
assert_eq "$rc" 1 "policy check with a bad row exits 1"
assert_contains "$out" 'policy seq=7: out_duration "10"' "policy check names seq, column and value"
assert_contains "$out" "2 ok, 1 bad" "policy check counts the bad row"
das_run policy list
assert_eq "$rc" 0 "policy list with a bad row still exits 0"
assert_contains "$(row 7)" '7 table bad 1 3 - cpu_ratio 70% 10% 10 10m - - - out_duration "10": a bare number' \
  "the bad row is listed with its reason, not hidden"
assert_eq "$(row 1)" "1 table web 1 10 3 cpu_ratio 70% 10% 10m 10m auto 30s - ok" "good rows stay ok beside it"
das_run policy list --json
assert_eq "$(printf '%s' "$out" | jq -r '.[] | select(.seq == 7) | .ok')" false "--json marks it not ok"
das_run policy rm 7
das_run policy check
assert_eq "$rc" 0 "policy check exits 0 again once the bad row is gone"

# --- events --------------------------------------------------------------------
now=$(($(date +%s%N) / 1000000))
psql_doc "insert into das_events (time_ms, seq, service, action, from_no, to_no, metric, observed, threshold, window_ms, reason, dry_run) values
  ($((now - 2000)), 5, 'api', 'scale-out', 2, 3, 'cpu_ratio', 84.2, 70, 600000, 'mean cpu_ratio 84.2% > 70% over 10m: 2 → 3', false),
  ($((now - 1000)), 1, 'web', 'scale-in', 3, 2, 'cpu_ratio', 4.5, 10, 600000, 'mean cpu_ratio 4.5% < 10% over 10m: 3 → 2', true),
  ($((now - 7200000)), 1, 'web', 'synced', 2, 3, null, null, null, 0, 'someone scaled by hand', false)" >/dev/null
das_run events --since 1h
assert_eq "$rc" 0 "events --since 1h exits 0 (err: $err)"
assert_eq "$(printf '%s\n' "$out" | wc -l)" 3 "events --since 1h: header and the two recent events"
first=$(printf '%s\n' "$out" | sed -n 2p | tr -s ' ')
second=$(printf '%s\n' "$out" | sed -n 3p | tr -s ' ')
[[ "$first" =~ ^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z\  ]] ||
  fail "events: time is not UTC ISO 8601: $first"
ok "events show the time in UTC ISO 8601"
assert_contains "$first" " 1 web scale-in 3→2 cpu_ratio 4.5% 10% 10m dry-run mean cpu_ratio 4.5%" \
  "newest first: the dry-run scale-in, marked dry-run"
assert_contains "$second" " 5 api scale-out 2→3 cpu_ratio 84.2% 70% 10m mean cpu_ratio 84.2%" \
  "then the scale-out"
assert_eq "$(printf '%s\n' "$out" | grep -c 'someone scaled' || true)" 0 "--since leaves the old event out"
das_run events
assert_eq "$(printf '%s\n' "$out" | wc -l)" 4 "events without --since: all three"
das_run events --service api
assert_eq "$(printf '%s\n' "$out" | awk 'NR > 1 {print $3}' | sort -u)" api "--service api: only api's events"
das_run events --limit 1
assert_eq "$(printf '%s\n' "$out" | wc -l)" 2 "--limit 1: one event"
das_run events --since 1h --json
assert_eq "$(printf '%s' "$out" | jq -c '[.[] | [.seq, .service, .action, .from, .to, .observed, .threshold, .window, .dry_run]]')" \
  '[[1,"web","scale-in",3,2,4.5,10,"10m",true],[5,"api","scale-out",2,3,84.2,70,"10m",false]]' \
  "events --json"
das_run events --service "x'; drop table das_events; --"
assert_eq "$rc" 0 "a hostile --service is only a bound value"
assert_contains "$out" "no events" "and matches nothing"
assert_eq "$(psql_doc 'select count(*) from das_events')" 3 "das_events is intact"
das_run events --since 10
assert_eq "$rc" 2 "events --since 10 (a bare number) exits 2"
assert_contains "$err" "bare number" "and says why"

# --- bad connection string: exit 2, no password --------------------------------
DAS_POLICY_DB="postgresql://crate:s3cret@127.0.0.1:$TESTBED_PG_PORT/doc?bogus=s3cret" das_run policy list
assert_eq "$rc" 2 "an unreadable DAS_POLICY_DB is bad configuration: exit 2"
assert_contains "$err" "invalid connection string" "and says so"
[[ "$err" != *s3cret* ]] || fail "the password leaked: $err"
ok "no password in the message about a bad connection string"

# --- the store stopped: exit 1, host and port named, no password ---------------
testbed pg-stop >/dev/null
for db in "postgresql://crate:s3cret@127.0.0.1:$TESTBED_PG_PORT/doc" \
  "host=127.0.0.1 port=$TESTBED_PG_PORT user=crate password=s3cret dbname=doc"; do
  for cmd in "policy list" "policy check" "policy rm 1" "events"; do
    # shellcheck disable=SC2086  # cmd is words
    DAS_POLICY_DB=$db das_run $cmd
    assert_eq "$rc" 1 "store stopped: das $cmd exits 1"
    assert_contains "$err" "127.0.0.1" "store stopped: das $cmd names the host"
    assert_contains "$err" "$TESTBED_PG_PORT" "store stopped: das $cmd names the port"
    [[ "$err$out" != *s3cret* ]] || fail "store stopped: das $cmd printed the password: $err"
    ok "store stopped: das $cmd prints no password"
  done
done
DAS_POLICY_DB="postgresql://crate:s3cret@127.0.0.1:$TESTBED_PG_PORT/doc" das_run policy add web9 "${POL[@]}"
assert_eq "$rc" 1 "store stopped: a valid policy add exits 1"
[[ "$err" != *s3cret* ]] || fail "policy add printed the password: $err"
ok "store stopped: policy add prints no password"
testbed pg-start >/dev/null
das_run policy list
assert_eq "$rc" 0 "store back: policy list exits 0"
assert_eq "$(row 1)" "1 table web 1 10 3 cpu_ratio 70% 10% 10m 10m auto 30s - ok" "store back: the rows are there"

finish
