#!/usr/bin/env bash
# bench/decide.sh — how well das decides: das's default rule against the
# reference rules of ../shared/DECISIONS.md (the seed's step, Kubernetes'
# HPA, HPA with an up-stabilization of out_duration), per trace and summed,
# for DECISIONS.md's policies A (out 70% for 2m, in 30% for 5m) and B (the
# same with out_duration 30s), on the published traces and on the
# generated ones (src/common/simgen.c). Every figure comes from
# `das simulate`, the same code `das run` decides with. BENCHMARKS.md
# records the output.
#
#   bash bench/decide.sh [--published-only]
#
# Environment: BUILD (cmake build dir holding das and tracegen; default
# ./build), TRACES (the published traces; default tests/fixtures/traces,
# the copy of ../shared/traces).
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
TRACES=${TRACES:-$SRC/tests/fixtures/traces}
DAS=$BUILD/das
[[ -x "$DAS" && -x "$BUILD/tracegen" ]] ||
  { echo "bench/decide.sh: build first (make build): $DAS, $BUILD/tracegen" >&2; exit 1; }
GEN=$(mktemp -d)
trap 'rm -rf "$GEN"' EXIT
"$BUILD/tracegen" "$GEN"

RULES=(das step hpa hpa-eq)
# table TITLE DIR: per trace, per policy and rule: under_min / replica_min /
# actions / flaps, then the sums
table() {
  local title=$1 dir=$2 f name pol rule out
  echo "### $title"
  echo
  echo "| trace | policy | $(printf '%s | ' "${RULES[@]}")"
  echo "|---|---|$(printf -- '---:|%.0s' "${RULES[@]}")"
  for f in "$dir"/*.csv; do
    name=$(basename "$f" .csv)
    for pol in A B; do
      out=$([[ $pol == A ]] && echo 2m || echo 30s)
      printf '| %s | %s |' "$name" "$pol"
      for rule in "${RULES[@]}"; do
        "$DAS" simulate --trace "$f" --min 1 --max 10 --item cpu_ratio \
          --out 70% --in 30% --out-for "$out" --in-for 5m --rule "$rule" --json |
          python3 -c 'import json, sys
s = json.load(sys.stdin)["scores"]
print(" %.1f / %.0f / %d / %d |" % (s["under_min"], s["replica_min"], s["actions"], s["flaps"]), end="")'
      done
      echo
    done
  done | tee "$GEN/rows"
  for pol in A B; do
    printf '| **sum** | %s |' "$pol"
    awk -F'|' -v pol=" $pol " '$3 == pol {
        for (i = 4; i <= 7; i++) { split($i, v, "/"); for (j = 1; j <= 4; j++) s[i, j] += v[j] } }
      END { for (i = 4; i <= 7; i++) printf " **%.1f / %.0f / %d / %d** |", s[i, 1], s[i, 2], s[i, 3], s[i, 4]; print "" }' "$GEN/rows"
  done
  echo
}
echo "Cells: under_min / replica_min / actions / flaps (lower is better)."
echo
table "Published traces (../shared/traces)" "$TRACES"
[[ "${1:-}" == --published-only ]] || table "Generated traces (src/common/simgen.c)" "$GEN"
