#!/usr/bin/env bash
# The scripts that decide whether `make test` passed: scripts/summary (the
# closing line, from ctest's JUnit reports) and scripts/run-fuzz (the fuzz
# smoke). Each must fail when nothing ran, and summary must count a skipped
# test as skipped, never as passed. And scripts/install-deps's choice of
# packages (--plan: nothing installed): docker.io only where no Docker
# engine is. Run by ctest as unit.scripts (no bed, no root, no apt).
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
((checks == 29 && fails == 0))
