#!/usr/bin/env python3
"""The Grafana dashboards of deploy/grafana checked without Grafana.

  grafana_check.py --structure FILE...
      each file is a dashboard Grafana can import: valid JSON, a uid, a
      title, a schemaVersion, panels with grid positions, every panel, query
      and annotation on an InfluxDB or Prometheus datasource named by a
      datasource variable, every variable a query uses defined.

  grafana_check.py --queries FILE --service NAME --from-ms MS --to-ms MS
                   [--influx URL --db DB] [--prometheus URL]
      and every query the file holds (panels, annotations, variables) run
      against the real servers, Grafana's macros replaced as Grafana does
      ($timeFilter, $__interval, $__rate_interval, the variables' values,
      $service by NAME): each must return what its panel draws (series,
      the columns it selects with values, the tags and labels its legend
      names), each variable's query must list NAME.

Prints one line per check; exits 1 naming every failure, 2 on bad usage.
"""
import argparse
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

KINDS = ("influxdb", "prometheus")
PANEL_TYPES = ("timeseries", "table", "stat")
# Grafana's own macros (what is not a dashboard variable)
BUILTINS = {"timeFilter", "__interval", "__interval_ms", "__rate_interval",
            "__range", "__range_s", "__range_ms", "__from", "__to",
            "__dashboard", "__org", "__user", "__name"}
VAR_RE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")
MIN_SCHEMA = 36  # datasources as {type, uid} references
MAX_BODY = 16 * 1024 * 1024


class Checker:
    def __init__(self):
        self.failures = []

    def ok(self, msg):
        print("ok: " + msg)

    def fail(self, msg):
        print("FAIL: " + msg)
        self.failures.append(msg)

    def expect(self, cond, msg, why=""):
        if cond:
            self.ok(msg)
        else:
            self.fail(msg + (": " + why if why else ""))
        return cond


def variables_used(text):
    out = set()
    for m in VAR_RE.finditer(text or ""):
        out.add(m.group(1) or m.group(2) or m.group(3))
    return out


def queries_of(dash):
    """(where, kind, query-ish dict) for every target and annotation."""
    for p in dash.get("panels", []):
        for t in p.get("targets", []):
            yield ("panel %s %r %s" % (p.get("id"), p.get("title"), t.get("refId")),
                   (t.get("datasource") or {}).get("type"), t, p)
    for a in dash.get("annotations", {}).get("list", []):
        yield ("annotation %r" % a.get("name"),
               (a.get("datasource") or {}).get("type"), a, None)


def text_of(q):
    return q.get("query") if isinstance(q.get("query"), str) else q.get("expr", "")


def check_datasource(c, where, ref, dsvars):
    if not isinstance(ref, dict):
        c.fail("%s: no datasource {type, uid}" % where)
        return None
    kind = ref.get("type")
    if kind not in KINDS:
        c.fail("%s: datasource type %r; accepted: %s" % (where, kind, ", ".join(KINDS)))
        return None
    m = re.fullmatch(r"\$\{(\w+)\}", str(ref.get("uid", "")))
    if not m or dsvars.get(m.group(1)) != kind:
        c.fail("%s: datasource uid %r is not the ${name} of a datasource variable of type %s"
               % (where, ref.get("uid"), kind))
        return None
    return kind


def check_structure(c, path):
    try:
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        c.fail("%s: not a JSON file: %s" % (path, e))
        return None
    if not isinstance(dash, dict):
        c.fail("%s: the top level is not an object" % path)
        return None
    n = len(c.failures)
    for key in ("uid", "title"):
        if not isinstance(dash.get(key), str) or not dash[key]:
            c.fail("%s: no %s (a non-empty string)" % (path, key))
    sv = dash.get("schemaVersion")
    if not isinstance(sv, int) or sv < MIN_SCHEMA:
        c.fail("%s: schemaVersion %r; accepted: an integer >= %d" % (path, sv, MIN_SCHEMA))

    tpl = dash.get("templating", {}).get("list")
    if not isinstance(tpl, list):
        c.fail("%s: no templating.list" % path)
        tpl = []
    names = [v.get("name") for v in tpl]
    if len(set(names)) != len(names):
        c.fail("%s: variables named twice: %s" % (path, names))
    dsvars = {v["name"]: v.get("query") for v in tpl if v.get("type") == "datasource"}
    known = set(names) | BUILTINS
    svc = [v for v in tpl if v.get("name") == "service"]
    if not svc or svc[0].get("type") != "query":
        c.fail("%s: no query variable named service" % path)
    for v in tpl:
        if v.get("type") == "query":
            check_datasource(c, "%s: variable %s" % (path, v.get("name")), v.get("datasource"), dsvars)

    panels = dash.get("panels")
    if not isinstance(panels, list) or not panels:
        c.fail("%s: no panels" % path)
        panels = []
    ids = [p.get("id") for p in panels]
    if len(set(ids)) != len(ids) or not all(isinstance(i, int) for i in ids):
        c.fail("%s: panel ids not unique integers: %s" % (path, ids))
    for p in panels:
        where = "%s: panel %s %r" % (path, p.get("id"), p.get("title"))
        if p.get("type") not in PANEL_TYPES:
            c.fail("%s: type %r; accepted: %s" % (where, p.get("type"), ", ".join(PANEL_TYPES)))
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24:
            c.fail("%s: gridPos %r: h, w, x, y integers within 24 columns" % (where, g))
        kind = check_datasource(c, where, p.get("datasource"), dsvars)
        targets = p.get("targets")
        if not isinstance(targets, list) or not targets:
            c.fail("%s: no targets" % where)
            continue
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs):
            c.fail("%s: refIds not unique: %s" % (where, refs))
        for t in targets:
            tw = "%s %s" % (where, t.get("refId"))
            if (t.get("datasource") or {}).get("type") != kind:
                c.fail("%s: target's datasource is not the panel's" % tw)
            if kind == "influxdb" and (not t.get("query") or t.get("rawQuery") is not True
                                       or t.get("resultFormat") not in ("time_series", "table")):
                c.fail("%s: an InfluxDB target needs a raw query and resultFormat time_series or table" % tw)
            if kind == "prometheus" and not t.get("expr"):
                c.fail("%s: a Prometheus target needs expr" % tw)

    anns = dash.get("annotations", {}).get("list")
    if not isinstance(anns, list) or not anns:
        c.fail("%s: no annotations (das's actions)" % path)
        anns = []
    for a in anns:
        where = "%s: annotation %r" % (path, a.get("name"))
        kind = check_datasource(c, where, a.get("datasource"), dsvars)
        if not isinstance(a.get("enable"), bool):
            c.fail("%s: no enable (true or false)" % where)
        if kind == "influxdb" and not (a.get("query") and a.get("textColumn")):
            c.fail("%s: an InfluxDB annotation needs query and textColumn" % where)
        if kind == "prometheus" and not a.get("expr"):
            c.fail("%s: a Prometheus annotation needs expr" % where)

    texts = [("title", p.get("title", "")) for p in panels]
    texts += [(w, text_of(q)) for w, _, q, _ in queries_of(dash)]
    texts += [("variable %s" % v.get("name"), v.get("definition", "")) for v in tpl]
    for where, text in texts:
        for name in variables_used(text) - known:
            if name.startswith("tag_"):
                continue
            c.fail("%s: %s uses $%s, no variable of the dashboard" % (path, where, name))
    if len(c.failures) == n:
        c.ok("%s: structure (%d panels, %d queries, %d annotations, variables %s)"
             % (path, len(panels), sum(len(p.get("targets", [])) for p in panels),
                len(anns), ", ".join(names)))
    return dash


# ---- queries against the real servers -----------------------------------

def http_json(url, data=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with urllib.request.urlopen(url, body, timeout=30) as r:
            raw = r.read(MAX_BODY + 1)
    except urllib.error.HTTPError as e:
        raw = e.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise ValueError("answer over %d bytes" % MAX_BODY)
    return json.loads(raw)


def value_of(v):
    cur = v.get("current") or {}
    val = cur.get("value", v.get("query"))
    return val[0] if isinstance(val, list) else val


def substitute(text, values, builtins):
    def rep(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in builtins:
            return builtins[name]
        if name in values:
            return values[name]
        return m.group(0)
    out = VAR_RE.sub(rep, text)
    left = variables_used(out)
    if left:
        raise ValueError("no value for $%s" % ", $".join(sorted(left)))
    return out


def select_columns(q):
    """The column names the outer SELECT gives: each item's AS alias, else
    a bare "field" or tag's name."""
    m = re.match(r"\s*SELECT\s+(.*?)\s+FROM\s", q, re.I | re.S)
    cols = []
    for item in (m.group(1).split(",") if m else []):
        a = re.search(r'\bAS\s+"([^"]+)"\s*$', item.strip(), re.I)
        b = re.fullmatch(r'"([^"]+)"', item.strip())
        if a or b:
            cols.append((a or b).group(1))
    return cols


def group_tags(q):
    """The tags of the outer GROUP BY (the last one: a subquery's comes
    first), each a series' tag in the answer."""
    at = q.upper().rfind("GROUP BY")
    if at < 0:
        return []
    m = re.match(r"GROUP BY\s+(.*?)(?:\s+fill\(|\s+ORDER|\s+LIMIT|$)", q[at:], re.I | re.S)
    return re.findall(r'"([^"]+)"', m.group(1)) if m else []


def check_influx(c, args, where, q, panel, values):
    b = {"timeFilter": "time >= %dms and time <= %dms" % (args.from_ms, args.to_ms),
         "__interval": (panel or {}).get("interval") or args.interval}
    try:
        text = substitute(text_of(q), values, b)
        res = http_json("%s/query?db=%s&epoch=ms" % (args.influx, urllib.parse.quote(args.db)),
                        {"q": text})
    except (OSError, ValueError) as e:
        c.fail("%s: %s" % (where, e))
        return
    r0 = (res.get("results") or [{}])[0]
    if "error" in res or "error" in r0:
        c.fail("%s: InfluxDB says %s (query: %s)" % (where, res.get("error") or r0.get("error"), text))
        return
    series = r0.get("series") or []
    if not series:
        c.fail("%s: no series (query: %s)" % (where, text))
        return
    want = select_columns(text)
    if panel is None:  # an annotation: the columns it shows
        want = [x for x in (q.get("textColumn"), q.get("titleColumn")) if x]
        tags = [x for x in (q.get("tagsColumn") or "").split(",") if x]
        want += tags
    else:
        tags = group_tags(text)
        tags += re.findall(r"\$tag_(\w+)", q.get("alias", ""))
        if q.get("resultFormat") == "time_series":
            tags = sorted(set(tags))
    problems = []
    for col in want:
        seen = [s for s in series if col in s.get("columns", []) or col in (s.get("tags") or {})]
        if len(seen) != len(series):
            problems.append("column %r missing" % col)
            continue
        filled = any(row[s["columns"].index(col)] is not None
                     for s in series if col in s["columns"] for row in s.get("values", []))
        if not filled and not any(col in (s.get("tags") or {}) for s in series):
            problems.append("column %r has no value" % col)
    if panel is not None:
        for t in tags:
            if not all(t in (s.get("tags") or {}) for s in series):
                problems.append("tag %r missing" % t)
    rows = sum(len(s.get("values", [])) for s in series)
    c.expect(not problems, "%s: %d series, %d rows, columns %s%s" % (
        where, len(series), rows, ", ".join(want),
        "; tags " + ", ".join(tags) if panel is not None and tags else ""),
        "; ".join(problems) + " (query: %s)" % text)


def check_prom(c, args, where, q, panel, values):
    rng = (args.to_ms - args.from_ms) // 1000
    b = {"__interval": args.interval, "__rate_interval": args.rate_interval,
         "__range": "%ds" % rng, "__range_s": str(rng)}
    step = q.get("step") or args.interval
    try:
        expr = substitute(text_of(q), values, b)
        res = http_json(args.prometheus + "/api/v1/query_range",
                        {"query": expr, "start": args.from_ms / 1000, "end": args.to_ms / 1000,
                         "step": step})
    except (OSError, ValueError) as e:
        c.fail("%s: %s" % (where, e))
        return
    if res.get("status") != "success":
        c.fail("%s: Prometheus says %s: %s (expr: %s)" % (where, res.get("errorType"), res.get("error"), expr))
        return
    result = res.get("data", {}).get("result") or []
    if not result:
        c.fail("%s: no series (expr: %s)" % (where, expr))
        return
    fmt = q.get("legendFormat") if panel is not None else (q.get("titleFormat", "") + q.get("textFormat", ""))
    labels = re.findall(r"\{\{\s*(\w+)\s*\}\}", fmt or "")
    labels += [x.strip() for x in (q.get("tagKeys") or "").split(",") if x.strip()]
    missing = sorted({lb for lb in labels for s in result if lb not in s.get("metric", {})})
    points = sum(len(s.get("values", [])) for s in result)
    c.expect(not missing and points > 0, "%s: %d series, %d samples, labels %s" % (
        where, len(result), points, ", ".join(sorted(set(labels))) or "-"),
        "labels missing: %s (expr: %s)" % (", ".join(missing), expr))


def check_variable(c, args, path, v, kind):
    where = "%s: variable %s" % (path, v.get("name"))
    q = v.get("query")
    q = q.get("query") if isinstance(q, dict) else q
    try:
        if kind == "influxdb":
            res = http_json("%s/query?db=%s" % (args.influx, urllib.parse.quote(args.db)), {"q": q})
            series = (res.get("results") or [{}])[0].get("series") or []
            got = [row[-1] for s in series for row in s.get("values", [])]
        else:
            m = re.fullmatch(r"\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*", q or "")
            if not m:
                c.fail("%s: %r is not label_values(METRIC, LABEL)" % (where, q))
                return
            res = http_json(args.prometheus + "/api/v1/series",
                            {"match[]": m.group(1), "start": args.from_ms / 1000,
                             "end": args.to_ms / 1000})
            got = sorted({s.get(m.group(2)) for s in res.get("data") or []} - {None})
    except (OSError, ValueError) as e:
        c.fail("%s: %s" % (where, e))
        return
    c.expect(args.service in got, "%s: lists %s (%d values)" % (where, args.service, len(got)),
             "its values: %s" % got[:20])


def check_queries(c, args, path, dash):
    tpl = dash["templating"]["list"]
    values = {v["name"]: str(value_of(v)) for v in tpl
              if v.get("type") in ("custom", "textbox", "constant")}
    values["service"] = args.service
    dsvars = {v["name"]: v.get("query") for v in tpl if v.get("type") == "datasource"}
    for name, kind in dsvars.items():
        values[name] = kind
    for kind in set(dsvars.values()):
        if kind == "influxdb" and not args.influx:
            c.fail("%s: an InfluxDB dashboard and no --influx" % path)
            return
        if kind == "prometheus" and not args.prometheus:
            c.fail("%s: a Prometheus dashboard and no --prometheus" % path)
            return
    for v in tpl:
        if v.get("type") == "query":
            check_variable(c, args, path, v, v["datasource"]["type"])
        # each option of the metric variable is a field ds writes
        if v.get("type") == "custom" and v.get("name") == "metric" and args.influx:
            res = http_json("%s/query?db=%s" % (args.influx, urllib.parse.quote(args.db)),
                            {"q": 'SHOW FIELD KEYS FROM "docker"'})
            series = (res.get("results") or [{}])[0].get("series") or []
            fields = {row[0] for s in series for row in s.get("values", [])}
            opts = [o["value"] for o in v.get("options", [])]
            c.expect(opts and set(opts) <= fields,
                     "%s: variable metric: its %d options are fields of measurement docker" % (path, len(opts)),
                     "not fields: %s" % sorted(set(opts) - fields))
    for where, kind, q, panel in queries_of(dash):
        where = "%s: %s" % (path, where)
        if kind == "influxdb":
            check_influx(c, args, where, q, panel, values)
        else:
            check_prom(c, args, where, q, panel, values)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--structure", action="store_true")
    ap.add_argument("--queries", action="store_true")
    ap.add_argument("--influx")
    ap.add_argument("--db", default="docker")
    ap.add_argument("--prometheus")
    ap.add_argument("--service")
    ap.add_argument("--from-ms", type=int)
    ap.add_argument("--to-ms", type=int)
    ap.add_argument("--interval", default="2s", help="$__interval (default 2s)")
    ap.add_argument("--rate-interval", default="10s", help="$__rate_interval (default 10s)")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    if args.structure == args.queries:
        ap.error("give --structure or --queries")
    if args.queries and not (args.service and args.from_ms and args.to_ms):
        ap.error("--queries needs --service, --from-ms and --to-ms")
    c = Checker()
    for path in args.files:
        dash = check_structure(c, path)
        if args.queries and dash is not None:
            check_queries(c, args, path, dash)
    if c.failures:
        print("%d failed:\n  %s" % (len(c.failures), "\n  ".join(c.failures)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
