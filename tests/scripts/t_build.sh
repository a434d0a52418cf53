#!/usr/bin/env bash
# The build installs nothing and says what is missing: cmake, configured
# where pkg-config finds none (or all but one) of das's libraries, fails
# naming the Debian packages that provide them and `make deps`; the
# Makefile's build target reaches no installer. Run by ctest as unit.build
# (no bed, no root, no apt).
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

# configure DIR PCDIR: cmake's configure step with pkg-config looking in
# PCDIR only; the error message joined into one line
configure() {
  local out rc
  out=$(PKG_CONFIG_LIBDIR=$2 cmake -S "$SRC" -B "$1" 2>&1)
  rc=$?
  printf '%s\n' "$out" | tr -s ' \n' '  '
  return $rc
}

mkdir "$T/none"
for deb in libcurl4-openssl-dev libjansson-dev libpq-dev libmicrohttpd-dev \
  libcmocka-dev; do
  check "no libraries: cmake names $deb" 1 "$deb" configure "$T/b1" "$T/none"
done
check "no libraries: cmake says make deps installs them" 1 \
  "make deps installs them" configure "$T/b1" "$T/none"

# every .pc file pkg-config knows but jansson's
mkdir "$T/nojansson"
IFS=: read -ra pc_dirs <<<"$(pkg-config --variable pc_path pkg-config)"
for dir in "${pc_dirs[@]}"; do
  for pc in "$dir"/*.pc; do
    [[ -e $pc && ! -e $T/nojansson/${pc##*/} ]] || continue
    [[ ${pc##*/} == jansson.pc ]] || ln -s "$pc" "$T/nojansson/"
  done
done
out=$(configure "$T/b2" "$T/nojansson")
rc=$?
checks=$((checks + 1))
if [[ $rc -ne 1 || $out != *"install the Debian packages libjansson-dev (make deps"* ]]; then
  echo "FAIL: jansson alone missing: exit $rc, output: $out"
  fails=$((fails + 1))
else
  echo "ok: jansson alone missing: only libjansson-dev is named"
fi

# make -n build: the commands `make` would run name no installer
out=$(make -n -C "$SRC" build BUILD="$T/b3" 2>&1)
checks=$((checks + 1))
if [[ $out == *install-deps* || $out == *apt-get* || $out != *cmake* ]]; then
  echo "FAIL: make build would run: $out"
  fails=$((fails + 1))
else
  echo "ok: make build runs cmake and no installer"
fi
out=$(make -n -C "$SRC" test BUILD="$T/b3" 2>&1)
checks=$((checks + 1))
if [[ $out != *"install-deps --build --test"* ]]; then
  echo "FAIL: make test does not install the test group first: $out"
  fails=$((fails + 1))
else
  echo "ok: make test installs the build and test groups first"
fi

echo "$((checks - fails)) passed, $fails failed"
((checks == 9 && fails == 0))
