#!/usr/bin/env bash
# bench/decide.sh — how well das decides: das's default rule against the
# reference rules of docs/decisions.md (das's step mode, Kubernetes'
# HPA, HPA with an up-stabilization of out_duration), per trace and summed,
# for docs/decisions.md's policies A (out 70% for 2m, in 30% for 5m) and B (the
# same with out_duration 30s), on the published traces, on the generated
# ones (src/common/simgen.c) and on a held-out set from another generator
# (bench/heldout-traces.py); `band` is das's rule without the trim
# (scale_mode band). Under each table, the goals of docs/decisions.md on its
# sums. Every figure comes from
# `das simulate`, the same code `das run` decides with. BENCHMARKS.md
# records the output.
#
#   bash bench/decide.sh [--published-only]
#
# Environment: BUILD (cmake build dir holding das and tracegen; default
# ./build), TRACES (the published traces; default
# tests/fixtures/traces).
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

# band: das's rule in scale_mode band (auto without the trim)
RULES=(das band step hpa hpa-eq)
# table TITLE DIR: per trace, per policy and rule: under_min / replica_min /
# actions / flaps, then the sums and the goals (from the unrounded
# figures, kept in $GEN/exact: policy, column, the four scores)
table() {
  local title=$1 dir=$2 f name pol rule out col
  echo "### $title"
  echo
  echo "| trace | policy | $(printf '%s | ' "${RULES[@]}")"
  echo "|---|---|$(printf -- '---:|%.0s' "${RULES[@]}")"
  : >"$GEN/exact"
  for f in "$dir"/*.csv; do
    name=$(basename "$f" .csv)
    for pol in A B; do
      out=$([[ $pol == A ]] && echo 2m || echo 30s)
      printf '| %s | %s |' "$name" "$pol"
      col=0
      for rule in "${RULES[@]}"; do
        col=$((col + 1))
        if [[ $rule == band ]]; then set -- --rule das --mode band; else set -- --rule "$rule"; fi
        "$DAS" simulate --trace "$f" --min 1 --max 10 --item cpu_ratio \
          --out 70% --in 30% --out-for "$out" --in-for 5m "$@" --json |
          python3 -c 'import json, sys
s = json.load(sys.stdin)["scores"]
v = (s["under_min"], s["replica_min"], s["actions"], s["flaps"])
print(" %.1f / %.0f / %d / %d |" % v, end="")
with open(sys.argv[1], "a") as f:
    f.write("%s %s %r %r %d %d\n" % ((sys.argv[2], sys.argv[3]) + v))' "$GEN/exact" "$pol" "$col"
      done
      echo
    done
  done
  awk -v n="${#RULES[@]}" '{ for (j = 1; j <= 4; j++) s[$1, $2, j] += $(j + 2) }
    function mark(ok) { return ok ? "met" : "**missed**" }
    END {
      for (p = 1; p <= 2; p++) {
        pol = p == 1 ? "A" : "B"
        printf "| **sum** | %s |", pol
        for (c = 1; c <= n; c++)
          printf " **%.1f / %.0f / %d / %d** |", s[pol, c, 1], s[pol, c, 2], s[pol, c, 3], s[pol, c, 4]
        print ""
      }
      print ""
      # columns: 1 das, 2 band, 3 step, 4 hpa
      split("das band", name, " ")
      for (c = 1; c <= 2; c++) {
        printf "Goals, %s: A under_min %.1f ≤ ½ step\x27s %.1f %s, replica_min %.0f ≤ %.0f %s, flaps %d ≤ %d %s; ", name[c],
          s["A", c, 1], s["A", 3, 1] / 2, mark(s["A", c, 1] <= s["A", 3, 1] / 2 + 1e-9),
          s["A", c, 2], s["A", 3, 2], mark(s["A", c, 2] <= s["A", 3, 2] + 1e-9),
          s["A", c, 4], s["A", 3, 4], mark(s["A", c, 4] <= s["A", 3, 4])
        printf "B under_min %.1f ≤ hpa\x27s %.1f %s, replica_min %.0f ≤ %.0f %s, flaps %d ≤ ⅓ of %d %s.\n\n",
          s["B", c, 1], s["B", 4, 1], mark(s["B", c, 1] <= s["B", 4, 1] + 1e-9),
          s["B", c, 2], s["B", 4, 2], mark(s["B", c, 2] <= s["B", 4, 2] + 1e-9),
          s["B", c, 4], s["B", 4, 4], mark(3 * s["B", c, 4] <= s["B", 4, 4])
      } }' "$GEN/exact"
}
echo "Cells: under_min / replica_min / actions / flaps (lower is better)."
echo
table "Published traces (tests/fixtures/traces)" "$TRACES"
if [[ "${1:-}" != --published-only ]]; then
  table "Generated traces (src/common/simgen.c)" "$GEN"
  HELD=$GEN/held-out
  mkdir -p "$HELD"
  python3 "$SRC/bench/heldout-traces.py" "$HELD"
  table "Held-out traces (bench/heldout-traces.py: 30 random shapes from another generator)" "$HELD"
fi
