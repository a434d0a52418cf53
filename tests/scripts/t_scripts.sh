#!/usr/bin/env bash
# The scripts that decide whether `make test` passed: scripts/summary (the
# closing line, from ctest's JUnit reports) and scripts/run-fuzz (the fuzz
# smoke), and how a unit test is registered (tests/unit/unit-test.cmake).
# Each must fail when nothing ran, summary must count a skipped test as
# skipped, never as passed, and a skip must never hide a failure. And
# scripts/install-deps's choice of packages (--plan: nothing installed):
# docker.io only where no Docker engine is. scripts/analyze fails on a
# finding. Run by ctest as unit.scripts (no bed, no root, no apt).
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

# A skip must not hide a failure: a tiny ctest project registers stand-in
# unit executables with the project's own das_unit_test
# (tests/unit/unit-test.cmake) and runs them through ctest.
CMAKE=${DAS_CMAKE:-cmake} CTEST=${DAS_CTEST:-ctest}
P=$T/skipproj
mkdir -p "$P/build"
# fake NAME EXIT LINE...: an executable that prints the lines and exits
fake() {
  local name=$1 rc=$2
  shift 2
  {
    echo '#!/bin/sh'
    for l in "$@"; do printf "echo '%s'\n" "$l"; done
    if [[ $rc == SEGV ]]; then echo 'kill -SEGV $$'; else echo "exit $rc"; fi
  } >"$P/$name"
  chmod +x "$P/$name"
}
fake pass 0 '[  PASSED  ] 2 test(s).'
fake skip_pass 0 '[  SKIPPED ] case_a' '[  PASSED  ] 1 test(s).'
fake skip_fail 1 '[  SKIPPED ] case_a' '[  FAILED  ] case_b' '[  FAILED  ] 1 test(s), listed below:'
fake skip_crash SEGV '[  SKIPPED ] case_a'
fake exit_77 77 '[  PASSED  ] 1 test(s).'
{
  echo 'cmake_minimum_required(VERSION 3.18)'
  echo 'project(skipcheck NONE)'
  echo 'enable_testing()'
  echo "include($SRC/tests/unit/unit-test.cmake)"
  for t in pass skip_pass skip_fail skip_crash exit_77; do
    echo "das_unit_test(unit.$t \${CMAKE_CURRENT_SOURCE_DIR}/$t)"
  done
} >"$P/CMakeLists.txt"
if ! "$CMAKE" -S "$P" -B "$P/build" >"$P/cmake.log" 2>&1; then
  echo "FAIL: skip project: cmake failed: $(cat "$P/cmake.log")"
  fails=$((fails + 1))
fi
(cd "$P/build" && "$CTEST" -L unit --output-junit junit.xml) >"$P/ctest.log" 2>&1
rc=$?
checks=$((checks + 1))
if ((rc == 0)); then
  echo "FAIL: ctest: a run with failures exited 0: $(cat "$P/ctest.log")"
  fails=$((fails + 1))
else
  echo "ok: ctest: a run with failures fails"
fi
# ctestline NAME WANT: ctest's result line for unit.NAME says WANT
ctestline() {
  local line
  line=$(grep -E "Test +#[0-9]+: unit\.$1 " "$P/ctest.log")
  checks=$((checks + 1))
  if [[ $line != *"$2"* ]]; then
    echo "FAIL: ctest: unit.$1: '$line' (want: $2)"
    fails=$((fails + 1))
  else
    echo "ok: ctest: unit.$1: $2"
  fi
}
ctestline pass Passed
ctestline skip_pass Skipped
ctestline skip_fail Failed
ctestline skip_crash Exception
ctestline exit_77 Failed
check "summary: a skip beside a failure is a failure" 1 "1 passed, 3 failed, 1 skipped" \
  bash "$S" "$P/build/junit.xml"

F=$SRC/scripts/run-fuzz
mkdir "$T/nofuzz"
check "run-fuzz: nothing built is a failure" 1 "nothing fuzzed" bash "$F" "$T/nofuzz" 1
# one target built (a stand-in that exits 0), the others missing
mkdir "$T/partial"
printf '#!/bin/sh\nexit 0\n' >"$T/partial/fuzz_dur"
chmod +x "$T/partial/fuzz_dur"
check "run-fuzz: a target not built is a failure" 1 "not built in" bash "$F" "$T/partial" 1
check "run-fuzz: SECONDS must be a positive integer" 2 "SECONDS must be a positive integer" bash "$F" "$T/nofuzz" 0
check "run-fuzz: FUZZ_SEED must be a whole number" 2 "FUZZ_SEED must be a whole number" \
  env FUZZ_SEED=abc bash "$F" "$T/nofuzz" 1
# standins DIR BODY: every target tests/fuzz has, built as a shell script
standins() {
  local dir=$1 body=$2 src
  mkdir -p "$dir"
  for src in "$SRC"/tests/fuzz/fuzz_*.c; do
    printf '#!/bin/sh\n%s\n' "$body" >"$dir/$(basename "$src" .c)"
    chmod +x "$dir/$(basename "$src" .c)"
  done
}
# exits 0 at once, as a target whose fuzzing loop never ran would
standins "$T/quick" 'exit 0'
check "run-fuzz: a target that exits 0 without a runs line fails" 1 "nothing fuzzed" \
  bash "$F" "$T/quick" 1
# prints its arguments and libFuzzer's closing line
standins "$T/runs" 'echo "args: $*"; echo "Done 7 runs in 1 second(s)"'
check "run-fuzz: a given seed is used and printed" 0 "fuzz_dur: ok, 7 runs in 1s, seed 4242," \
  env FUZZ_SEED=4242 bash "$F" "$T/runs" 1
checks=$((checks + 1))
if grep -q -- "-seed=4242 " "$T/runs/fuzz-out/fuzz_dur/log"; then
  echo "ok: run-fuzz: the given seed reaches the target"
else
  echo "FAIL: run-fuzz: the target's arguments: $(cat "$T/runs/fuzz-out/fuzz_dur/log")"
  fails=$((fails + 1))
fi
check "run-fuzz: FUZZ_JOBS must be a whole number" 2 "FUZZ_JOBS must be a whole number" \
  env FUZZ_JOBS=0 bash "$F" "$T/nofuzz" 1
# targets run FUZZ_JOBS at a time: one that fails among those that pass
# fails the run, and is named
# shellcheck disable=SC2016  # $0: the stand-in's own name, when it runs
standins "$T/onebad" 'case "$0" in *fuzz_dur) exit 1 ;; esac; echo "Done 7 runs in 1 second(s)"'
check "run-fuzz: one failing target among passing ones fails the run" 1 "fuzz_dur: FAILED (exit 1," \
  env FUZZ_JOBS=3 bash "$F" "$T/onebad" 1
# without FUZZ_SEED: a seed of its own each run, printed (two runs drawing
# the same one of 2^32 would fail this check once in four billion)
seed_of() { bash "$F" "$T/runs" 1 2>&1 | sed -n 's/^run-fuzz: seed \([0-9]*\) .*/\1/p'; }
s1=$(seed_of) s2=$(seed_of)
checks=$((checks + 1))
if [[ -n $s1 && -n $s2 && $s1 != "$s2" ]] &&
  grep -q -- "-seed=$s2 " "$T/runs/fuzz-out/fuzz_dur/log"; then
  echo "ok: run-fuzz: each run draws its own seed ($s1, $s2) and uses it"
else
  echo "FAIL: run-fuzz: seeds '$s1' '$s2', last log: $(cat "$T/runs/fuzz-out/fuzz_dur/log")"
  fails=$((fails + 1))
fi

# scripts/analyze on a tree of its own (the script beside one source file
# and the build's compile_commands.json for it): each analyser's finding
# fails it and is shown; a clean file passes.
A=$T/atree
mkdir -p "$A/scripts" "$A/src" "$A/build"
cp "$SRC/scripts/analyze" "$A/scripts/"
# analyze_c SOURCE: src/x.c holds SOURCE; scripts/analyze on it
analyze_c() {
  printf '%s\n' "$1" >"$A/src/x.c"
  printf '[{"directory": "%s", "file": "%s", "command": "cc -std=c11 -Wall -c -o x.o %s"}]\n' \
    "$A/build" "$A/src/x.c" "$A/src/x.c" >"$A/build/compile_commands.json"
  bash "$A/scripts/analyze" "$A/build" 1
}
check "analyze: a path to a NULL dereference fails (clang)" 1 \
  "[core.NullDereference]" analyze_c 'int f(int n);
int f(int n) { int *p = 0; if (n > 1) return *p; return n; }'
check "analyze: an index out of bounds fails (cppcheck)" 1 \
  "[arrayIndexOutOfBounds]" analyze_c 'int g(void);
int g(void) { int a[2] = {1, 2}; return a[2]; }'
check "analyze: a clean file passes" 0 "1 files clean" analyze_c 'int h(int n);
int h(int n) { int a[2] = {1, 2}; return n > 0 && n < 2 ? a[n] : 0; }'

# install-deps --plan, with a stand-in dpkg-query (the packages in
# FAKE_INSTALLED are installed) and a PATH of the test's own: the real
# machine's dockerd and packages must not decide.
I=$SRC/scripts/install-deps
mkdir "$T/bin" "$T/nobin" "$T/engine" "$T/cli"
cat >"$T/bin/dpkg-query" <<'END'
#!/bin/sh
for a; do pkg=$a; done
case " $FAKE_INSTALLED " in *" $pkg "*) printf installed; exit 0 ;; esac
echo "dpkg-query: no packages found matching $pkg" >&2
exit 1
END
printf '#!/bin/sh\nexit 0\n' >"$T/engine/dockerd"
printf '#!/bin/sh\nexit 0\n' >"$T/cli/docker"
chmod +x "$T/bin/dpkg-query" "$T/engine/dockerd" "$T/cli/docker"
BUILD_ALL="gcc make cmake pkg-config clang libclang-rt-14-dev clang-format"
BUILD_ALL+=" libcurl4-openssl-dev libjansson-dev libpq-dev libmicrohttpd-dev"

# plan PATH INSTALLED ARGS...: install-deps --plan ARGS with PATH and the
# packages INSTALLED; its notes, then the "would install" line with a
# space at its end (so that " pkg " finds the last one too)
plan() {
  local path=$1 inst=$2 out rc
  shift 2
  out=$(PATH=$path FAKE_INSTALLED=$inst DPKG_QUERY=$T/bin/dpkg-query \
    "$BASH" "$I" --plan "$@" 2>&1)
  rc=$?
  printf '%s\n' "$out" | grep -v 'would install:'
  printf '%s \n' "$(printf '%s\n' "$out" | grep 'would install:')"
  return $rc
}
# wants PATH INSTALLED ARGS...: the "would install" line alone
wants() {
  plan "$@" | grep 'would install:'
}
# check_not NAME TEXT CMD...: CMD exits 0 and does not print TEXT
check_not() {
  local name=$1 unwanted=$2 out rc
  shift 2
  out=$("$@" 2>&1)
  rc=$?
  checks=$((checks + 1))
  if [[ $rc -ne 0 || $out == *"$unwanted"* ]]; then
    echo "FAIL: $name: exit $rc (want 0), output: $out (want no: $unwanted)"
    fails=$((fails + 1))
  else
    echo "ok: $name"
  fi
}
check "install-deps: no engine: docker.io is installed" 0 " docker.io " \
  wants "$T/nobin" "" --test
check "install-deps: a docker CLI alone is no engine" 0 " docker.io " \
  wants "$T/cli" "docker-ce-cli" --test
check "install-deps: a dockerd on PATH: docker.io left out, and said" 0 \
  "docker.io left out: a Docker engine is installed ($T/engine/dockerd)" \
  plan "$T/engine" "" --test
check_not "install-deps: a dockerd on PATH: docker.io not installed" \
  " docker.io " wants "$T/engine" "" --test
check "install-deps: a dockerd on PATH: the other servers still are" 0 \
  " influxdb " wants "$T/engine" "" --test
check_not "install-deps: docker-ce installed: docker.io not installed" \
  " docker.io " wants "$T/nobin" "docker-ce docker-ce-cli containerd.io" --test
check "install-deps: docker-ce installed: said so" 0 \
  "docker.io left out: a Docker engine is installed (package docker-ce)" \
  plan "$T/nobin" "docker-ce" --test
check_not "install-deps: moby-engine installed: docker.io not installed" \
  " docker.io " wants "$T/nobin" "moby-engine" --test
check_not "install-deps: docker-ce-cli and containerd.io: no docker.io" \
  " docker.io " wants "$T/nobin" "docker-ce-cli containerd.io" --test
check_not "install-deps: --build wants no server" " influxdb " \
  wants "$T/nobin" "" --build
check "install-deps: --build wants the -dev libraries" 0 " libjansson-dev " \
  wants "$T/nobin" "" --build
check "install-deps: --test wants cppcheck (scripts/analyze)" 0 \
  " cppcheck " wants "$T/nobin" "" --test
check "install-deps: no group: both (libraries)" 0 " libcmocka-dev " \
  wants "$T/nobin" ""
check "install-deps: no group: both (servers)" 0 " postgresql " \
  wants "$T/nobin" ""
check_not "install-deps: what is installed is not installed again" \
  " libpq-dev " wants "$T/nobin" "libpq-dev" --build
check "install-deps: all installed: nothing to install" 0 \
  "would install: nothing" wants "$T/nobin" "$BUILD_ALL libcmocka-dev" --build
check "install-deps --check: missing is exit 1, named" 1 \
  "missing: libcmocka-dev" env PATH="$T/nobin" DPKG_QUERY="$T/bin/dpkg-query" \
  FAKE_INSTALLED="$BUILD_ALL" "$BASH" "$I" --check --build
check "install-deps --check: all there is exit 0" 0 "" \
  env PATH="$T/nobin" DPKG_QUERY="$T/bin/dpkg-query" \
  FAKE_INSTALLED="$BUILD_ALL libcmocka-dev" "$BASH" "$I" --check --build
check "install-deps: an unknown argument is exit 2" 2 "unknown argument" \
  "$BASH" "$I" --plan --servers

echo "$((checks - fails)) passed, $fails failed"
((checks == 47 && fails == 0))
