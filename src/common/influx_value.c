/* A query metric read from InfluxDB (influx.h infl_query_value): the
 * operator's InfluxQL over a window, its one series' samples. */
#include "influx.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "qwin.h"
#include "xmalloc.h"

int infl_value_parse(json_t *root, struct qwin_sample **out, size_t *n,
                     char *err, size_t errlen)
{
    json_t *results = json_object_get(root, "results");
    json_t *series = json_object_get(json_array_get(results, 0), "series");
    size_t ns = json_array_size(series);
    *out = NULL;
    *n = 0;
    if (json_array_size(results) != 1) {
        snprintf(err, errlen, "%zu statement results where one was expected",
                 json_array_size(results));
        return -1;
    }
    if (ns == 0) {
        snprintf(err, errlen, "no series: the query matched nothing");
        return -1;
    }
    if (ns > 1) {
        snprintf(err, errlen,
                 "%zu series where one was expected: aggregate them (no "
                 "GROUP BY a tag)",
                 ns);
        return -1;
    }
    json_t *s = json_array_get(series, 0);
    json_t *cols = json_object_get(s, "columns");
    json_t *vals = json_object_get(s, "values");
    if (json_array_size(cols) != 2) {
        snprintf(err, errlen,
                 "%zu columns: select one value (time and one field or "
                 "aggregate)",
                 json_array_size(cols));
        return -1;
    }
    size_t k = json_array_size(vals);
    if (k > QWIN_SAMPLES_MAX) {
        snprintf(err, errlen, "%zu samples, more than %d", k, QWIN_SAMPLES_MAX);
        return -1;
    }
    struct qwin_sample *v = xcalloc(k ? k : 1, sizeof *v);
    size_t m = 0;
    for (size_t j = 0; j < k; j++) {
        json_t *row = json_array_get(vals, j);
        json_t *t = json_array_get(row, 0), *x = json_array_get(row, 1);
        if (json_is_null(x))
            continue; /* fill(null): no value in that interval */
        if (!json_is_integer(t) || !json_is_number(x) ||
            (m > 0 && json_integer_value(t) <= v[m - 1].t_ms)) {
            snprintf(err, errlen,
                     "row %zu is not [epoch ms, number] in time order", j + 1);
            free(v);
            return -1;
        }
        v[m].t_ms = json_integer_value(t);
        v[m++].v = json_number_value(x);
    }
    *out = v;
    *n = m;
    return 0;
}

int infl_query_value(struct infl *c, const char *query, int64_t start_ms,
                     int64_t end_ms, int64_t step_ms, struct qwin_sample **out,
                     size_t *n, char *err, size_t errlen)
{
    struct buf q;
    char e[600];
    json_t *root = NULL;
    int rc = -1;
    buf_init(&q, 4096);
    *out = NULL;
    *n = 0;
    if (qwin_influxql(query, start_ms, end_ms, step_ms, &q, e, sizeof e)) {
        snprintf(err, errlen, "InfluxDB (InfluxQL): %s", e);
        goto out;
    }
    if (infl_query(c, q.ptr, &root, e, sizeof e)) {
        snprintf(err, errlen, "InfluxDB: %s", e);
        goto out;
    }
    if (infl_value_parse(root, out, n, e, sizeof e)) {
        snprintf(err, errlen, "InfluxDB, query %.200s: %s", query, e);
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    buf_cleanup(&q);
    return rc;
}
