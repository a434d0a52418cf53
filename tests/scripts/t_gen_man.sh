#!/usr/bin/env bash
# The configuration reference and the man pages follow the programs:
# docs/configuration.md is exactly what scripts/gen-man makes from the
# built ds and das, and das(1) and ds(8) name every option their --help
# prints. Run by ctest as unit.gen_man (no bed, no root).
set -uo pipefail
SRC=${DAS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${DAS_BUILD:-$SRC/build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

bash "$SRC/scripts/gen-man" "$BUILD" "$T/man" "$T/configuration.md" ||
  { echo "FAIL: scripts/gen-man failed"; exit 1; }

if diff -u "$SRC/docs/configuration.md" "$T/configuration.md" >"$T/diff"; then
  echo "ok: docs/configuration.md is what scripts/gen-man makes"
else
  cat "$T/diff"
  echo "FAIL: docs/configuration.md is not what the programs' --help says;"
  echo "      run: scripts/gen-man $BUILD $BUILD/man docs/configuration.md"
  fails=$((fails + 1))
fi

# every flag of --help is in its man page (troff writes - as \-)
flags() { "$@" --help | awk '/^  --/ { print $1 }'; }
check_page() {
  local page=$1 missing=""
  shift
  for f in $(flags "$@"); do
    grep -qF -- "\\fB${f//-/\\-}\\fR" "$page" || missing+=" $f"
  done
  if [[ -z $missing ]]; then
    echo "ok: $(basename "$page") names every option of $*"
  else
    echo "FAIL: $(basename "$page") lacks$missing ($*)"
    fails=$((fails + 1))
  fi
}
check_page "$T/man/ds.8" "$BUILD/ds"
for c in run policy status events simulate; do
  check_page "$T/man/das.1" "$BUILD/das" "$c"
done

# the pages are well-formed troff, where groff is installed
if command -v groff >/dev/null; then
  for p in "$T/man/das.1" "$T/man/ds.8"; do
    w=$(preconv "$p" | groff -man -Tutf8 -ww -z 2>&1)
    if [[ -z $w ]]; then
      echo "ok: $(basename "$p") formats without warnings"
    else
      echo "FAIL: $(basename "$p"): $w"
      fails=$((fails + 1))
    fi
  done
fi

[[ $fails == 0 ]] || exit 1
