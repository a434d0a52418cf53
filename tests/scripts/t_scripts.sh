#!/usr/bin/env bash
# The scripts that decide whether `make test` passed: scripts/summary (the
# closing line, from ctest's JUnit reports) and scripts/run-fuzz (the fuzz
# smoke). Each must fail when nothing ran, and summary must count a skipped
# test as skipped, never as passed. Run by ctest as unit.scripts (no bed).
set -uo pipefail
SRC=${DAS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0

# check NAME WANT_RC WANT_TEXT CMD...: CMD exits WANT_RC and prints
# WANT_TEXT (stdout and stderr together)
check() {
  local name=$1 want_rc=$2 want=$3 out rc
  shift 3
  out=$("$@" 2>&1)
  rc=$?
  checks=$((checks + 1))
  if [[ $rc -ne $want_rc || $out != *"$want"* ]]; then
    echo "FAIL: $name: exit $rc (want $want_rc), output: $out (want: $want)"
    fails=$((fails + 1))
  else
    echo "ok: $name"
  fi
}

# report FILE TESTS FAILURES SKIPPED [STATUS...]: a ctest JUnit report with
# one testcase per STATUS (run, fail, notrun)
report() {
  local f=$1 t=$2 fl=$3 s=$4 i=0
  shift 4
  {
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="(empty)"\n\ttests="%s"\n\tfailures="%s"\n\tdisabled="0"\n\tskipped="%s"\n\thostname=""\n\ttime="0"\n\t>\n' "$t" "$fl" "$s"
    for st in "$@"; do
      i=$((i + 1))
      printf '\t<testcase name="unit.t%d" classname="unit.t%d" time="0.1" status="%s">\n\t</testcase>\n' "$i" "$i" "$st"
    done
    echo '</testsuite>'
  } >"$f"
}

S=$SRC/scripts/summary
report "$T/ok.xml" 3 0 0 run run run
check "summary: three that ran" 0 "3 passed, 0 failed, 0 skipped" bash "$S" "$T/ok.xml"
report "$T/skip.xml" 3 0 1 run run notrun
check "summary: a skipped test is skipped, not passed" 0 "2 passed, 0 failed, 1 skipped" bash "$S" "$T/skip.xml"
check "summary: the skipped test is named" 0 "summary: skipped: unit.t3" bash "$S" "$T/skip.xml"
report "$T/fail.xml" 2 1 0 run fail
check "summary: a failure fails" 1 "1 passed, 1 failed, 0 skipped" bash "$S" "$T/fail.xml"
report "$T/empty.xml" 0 0 0
check "summary: a report that ran nothing fails" 1 'no test ran (tests="0")' bash "$S" "$T/empty.xml"
echo '<?xml version="1.0"?><nothing/>' >"$T/nosuite.xml"
check "summary: a report without <testsuite> fails" 1 "no <testsuite>" bash "$S" "$T/nosuite.xml"
check "summary: a missing report fails" 1 "missing report" bash "$S" "$T/ok.xml" "$T/none.xml"
check "summary: sums over reports" 0 "5 passed, 0 failed, 1 skipped" bash "$S" "$T/ok.xml" "$T/skip.xml"

F=$SRC/scripts/run-fuzz
mkdir "$T/nofuzz"
check "run-fuzz: nothing built is a failure" 1 "nothing fuzzed" bash "$F" "$T/nofuzz" 1
# one target built (a stand-in that exits 0), the others missing
mkdir "$T/partial"
printf '#!/bin/sh\nexit 0\n' >"$T/partial/fuzz_dur"
chmod +x "$T/partial/fuzz_dur"
check "run-fuzz: a target not built is a failure" 1 "not built in" bash "$F" "$T/partial" 1
check "run-fuzz: SECONDS must be a positive integer" 2 "SECONDS must be a positive integer" bash "$F" "$T/nofuzz" 0

echo "$((checks - fails)) passed, $fails failed"
((checks == 11 && fails == 0))
