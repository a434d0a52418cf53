#!/usr/bin/env bash
# The influx module's live cases (write, read back, auth-free server,
# outage) against the test bed's real influxd: test_influx runs them when
# DAS_INFLUX_URL is set.
. "$(dirname "$0")/lib.sh"
need_bin "$DAS_BUILD/test_influx"
tb_up
out=$TB_TMP/test_influx.out
DAS_INFLUX_URL=$DAS_INFLUX_URL "$DAS_BUILD/test_influx" >"$out" 2>&1 || fail "test_influx against $DAS_INFLUX_URL: $(tail -20 "$out")"
grep -q 'test_live' "$out" || fail "no live case ran"
if grep -E "SKIPPED.*test_live_(windows|roundtrip|errors)" "$out"; then
  fail "live cases were skipped with DAS_INFLUX_URL set"
fi
ok "test_influx live cases pass against the real influxd ($(grep -c '^\[       OK \] test_live' "$out") cases)"
finish
