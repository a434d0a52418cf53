#!/usr/bin/env bash
# The Grafana dashboards of deploy/grafana are importable as they are
# (tests/scripts/grafana_check.py --structure: valid JSON, schemaVersion,
# panels on InfluxDB or Prometheus datasource variables, every variable a
# query uses defined, das's actions as annotations), and the check fails,
# naming what is wrong, on a dashboard broken in each of those ways. Their
# queries run against real servers in tests/integ/t_prometheus.sh. Run by
# ctest as unit.grafana (no bed).
set -uo pipefail
SRC=${DAS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CHECK=$SRC/tests/scripts/grafana_check.py
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

# broken NAME PYTHON: deploy/grafana/das-influxdb.json changed by PYTHON
# (on the dashboard d) into $T/NAME.json
broken() {
  python3 - "$SRC/deploy/grafana/das-influxdb.json" "$T/$1.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
}

shopt -s nullglob
dashboards=("$SRC"/deploy/grafana/*.json)
check "two dashboards in deploy/grafana" 0 "" test "${#dashboards[@]}" -eq 2
check "deploy/grafana/das-influxdb.json is importable" 0 \
  "das-influxdb.json: structure (3 panels, 6 queries, 1 annotations" \
  python3 "$CHECK" --structure "$SRC/deploy/grafana/das-influxdb.json"
check "deploy/grafana/das-prometheus.json is importable" 0 \
  "das-prometheus.json: structure (8 panels, 17 queries, 1 annotations" \
  python3 "$CHECK" --structure "$SRC/deploy/grafana/das-prometheus.json"

printf '{"uid": "x",' >"$T/cut.json"
check "not JSON" 1 "cut.json: not a JSON file" python3 "$CHECK" --structure "$T/cut.json"
broken nover 'del d["schemaVersion"]'
check "no schemaVersion" 1 "schemaVersion None; accepted: an integer >= 36" \
  python3 "$CHECK" --structure "$T/nover.json"
broken mysql 'd["panels"][0]["datasource"]["type"] = "mysql"'
check "a panel on another kind of datasource" 1 \
  "datasource type 'mysql'; accepted: influxdb, prometheus" python3 "$CHECK" --structure "$T/mysql.json"
broken fixeduid 'd["panels"][1]["datasource"]["uid"] = "P951FEA4DE68E13C5"'
check "a datasource by a fixed uid, not the dashboard's variable" 1 \
  "datasource uid 'P951FEA4DE68E13C5' is not the \${name} of a datasource variable of type influxdb" \
  python3 "$CHECK" --structure "$T/fixeduid.json"
# shellcheck disable=SC2016  # $node is for Grafana, not the shell
broken undef 'd["panels"][0]["targets"][0]["query"] += " AND \"node\" = '"'"'$node'"'"'"'
check "a query with an undefined variable" 1 "uses \$node, no variable of the dashboard" \
  python3 "$CHECK" --structure "$T/undef.json"
broken noann 'd["annotations"]["list"] = []'
check "no annotations" 1 "no annotations (das's actions)" python3 "$CHECK" --structure "$T/noann.json"
broken notraw 'del d["panels"][2]["targets"][0]["rawQuery"]'
check "an InfluxDB target that is not a raw query" 1 \
  "an InfluxDB target needs a raw query" python3 "$CHECK" --structure "$T/notraw.json"
broken nosvc 'd["templating"]["list"] = [v for v in d["templating"]["list"] if v["name"] != "service"]'
check "no service variable" 1 "no query variable named service" python3 "$CHECK" --structure "$T/nosvc.json"
broken wide 'd["panels"][1]["gridPos"]["x"] = 20'
check "a panel past the grid's 24 columns" 1 "h, w, x, y integers within 24 columns" \
  python3 "$CHECK" --structure "$T/wide.json"
check "neither --structure nor --queries: usage" 2 "give --structure or --queries" \
  python3 "$CHECK" "$SRC/deploy/grafana/das-influxdb.json"

echo "$((checks - fails)) passed, $fails failed"
((fails == 0))
