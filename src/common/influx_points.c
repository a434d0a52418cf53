/* InfluxDB raw points (influx_points.h): the points since a time, read as
 * they arrive into das run's cache, and a service's recorded load. */
#include "influx_points.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "influx_int.h"
#include "log.h"
#include "pcache.h"

/* ---- the points written since a time (das run's cache) ---- */

int infl_points_statement(const char *field, int64_t since_ms, struct buf *out,
                          char *err, size_t errlen)
{
    struct buf id;
    buf_init(&id, 256);
    int rc = -1;
    if (infl_field_check(field, err, errlen))
        goto out;
    if (infl_quote_ident(field, &id) ||
        buf_printf(
            out,
            "SELECT %s, \"service\", \"container\" FROM \"" INFL_MEASUREMENT
            "\" WHERE \"service\" != '' AND time >= %" PRId64 "ms",
            id.ptr, since_ms)) {
        snprintf(err, errlen, "InfluxQL statement too long");
        goto out;
    }
    rc = 0;
out:
    buf_cleanup(&id);
    return rc;
}

struct infl_pts_reader {
    struct pcache *pc;
    char field[64];
    struct infl_stream s; /* the reply being read */
    bool seen, open;      /* its statement answered; more of it to come */
    size_t points;
};

static int pts_result(void *ctx, json_t *res);

struct infl_pts_reader *infl_pts_reader_new(struct pcache *pc,
                                            const char *field)
{
    struct infl_pts_reader *r = xcalloc(1, sizeof *r);
    r->pc = pc;
    snprintf(r->field, sizeof r->field, "%s", field);
    infl_stream_init(&r->s, INFL_SET_MAX_LINE, pts_result, r);
    return r;
}

void infl_pts_reader_free(struct infl_pts_reader *r)
{
    if (!r)
        return;
    infl_stream_cleanup(&r->s);
    free(r);
}

/* One series of the reply: columns time, the field, service, container. */
static int pts_series(struct infl_pts_reader *r, json_t *series)
{
    int ct = infl_col_index(series, "time"),
        cv = infl_col_index(series, r->field),
        cs = infl_col_index(series, "service"),
        cc = infl_col_index(series, "container");
    if (ct < 0 || cv < 0 || cs < 0 || cc < 0)
        return infl_stream_fail(
            &r->s, "columns time, %s, service and container expected",
            r->field);
    json_t *rows = json_object_get(series, "values");
    for (size_t j = 0; j < json_array_size(rows); j++) {
        if (pc_full(r->pc)) {
            char e[sizeof r->s.err];
            pc_full_text(r->pc, r->field, e, sizeof e);
            return infl_stream_fail(&r->s, "%s", e);
        }
        json_t *row = json_array_get(rows, j);
        json_t *v = json_array_get(row, (size_t)cv);
        int64_t t;
        if (json_is_null(v) ||
            !infl_json_ms(json_array_get(row, (size_t)ct), &t))
            continue; /* a point of other fields only, or no time */
        if (pc_add(r->pc, json_string_value(json_array_get(row, (size_t)cs)),
                   json_string_value(json_array_get(row, (size_t)cc)), t,
                   json_is_number(v) ? json_number_value(v) : NAN,
                   json_is_number(v)))
            r->points++;
    }
    return 0;
}

/* The one result of the reply (infl_stream). */
static int pts_result(void *ctx, json_t *res)
{
    struct infl_pts_reader *r = ctx;
    char msg[INFL_RESULT_ERROR_LEN];
    json_t *sid = json_object_get(res, "statement_id");
    if (!json_is_integer(sid) || json_integer_value(sid) != 0)
        return infl_stream_fail(&r->s, "a result of no statement sent");
    if (infl_result_error(res, msg, sizeof msg))
        return infl_stream_fail(&r->s, "%s",
                                msg[0] ? msg : "an error without text");
    r->seen = true;
    r->open = json_is_true(json_object_get(res, "partial"));
    json_t *series = json_object_get(res, "series");
    for (size_t j = 0; j < json_array_size(series); j++)
        if (pts_series(r, json_array_get(series, j)))
            return -1;
    return 0;
}

int infl_pts_reader_feed(struct infl_pts_reader *r, const char *p, size_t n)
{
    return infl_stream_feed(&r->s, p, n);
}

int infl_pts_reader_end(struct infl_pts_reader *r, size_t *points, char *err,
                        size_t errlen)
{
    (void)infl_stream_end(&r->s);
    if (!r->s.failed && !r->seen)
        infl_stream_fail(&r->s, "InfluxDB answered no statement");
    if (!r->s.failed && r->open)
        infl_stream_fail(&r->s,
                         "result cut short by InfluxDB (partial; raise [http] "
                         "max-row-limit)");
    if (points)
        *points = r->points;
    if (r->s.failed) {
        snprintf(err, errlen, "%s", r->s.err);
        return -1;
    }
    return 0;
}

int infl_points_parse(const char *field, const char *body, size_t len,
                      struct pcache *pc, size_t *points, char *err,
                      size_t errlen)
{
    struct infl_pts_reader *r = infl_pts_reader_new(pc, field);
    (void)infl_pts_reader_feed(r, body, len);
    int rc = infl_pts_reader_end(r, points, err, errlen);
    infl_pts_reader_free(r);
    return rc;
}

int infl_query_points(struct infl *c, const char *field, int64_t since_ms,
                      struct pcache *pc, size_t *points, char *err,
                      size_t errlen)
{
    struct buf q;
    enum q_fail why;
    char e[512];
    int rc = -1;
    struct infl_pts_reader *r = infl_pts_reader_new(pc, field);

    *points = 0;
    buf_init(&q, INFL_MAX_QUERY);
    if (infl_points_statement(field, since_ms, &q, err, errlen) ||
        infl_stream_query(c, q.ptr, &r->s, &why, err, errlen))
        goto out;
    if (infl_pts_reader_end(r, points, e, sizeof e)) {
        snprintf(err, errlen, "InfluxDB query at %s: %s", c->where, e);
        goto out;
    }
    rc = 0;
out:
    buf_cleanup(&q);
    infl_pts_reader_free(r);
    return rc;
}

/* ---- a service's recorded load, for das simulate --service ---- */

int infl_demand_statement(const char *field, const char *service_id,
                          int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                          struct buf *out, char *err, size_t errlen)
{
    struct buf id, svc;
    int rc = -1;

    buf_init(&id, 256);
    buf_init(&svc, 512);
    if (infl_field_check(field, err, errlen))
        goto out;
    if (start_ms < 0 || end_ms <= start_ms || interval_ms <= 0) {
        snprintf(err, errlen,
                 "bad span [%" PRId64 ", %" PRId64 ") ms every %" PRId64 " ms",
                 start_ms, end_ms, interval_ms);
        goto out;
    }
    if (infl_quote_ident(field, &id) || infl_quote_string(service_id, &svc)) {
        snprintf(err, errlen, "service id: control bytes");
        goto out;
    }
    /* each container's mean per interval, summed over the containers */
    if (buf_printf(out,
                   "SELECT sum(\"v\") FROM (SELECT mean(%s) AS \"v\" FROM "
                   "\"" INFL_MEASUREMENT
                   "\" WHERE \"service\" = %s AND time >= %" PRId64
                   "ms AND time < %" PRId64 "ms GROUP BY time(%" PRId64
                   "ms), \"container\" fill(none)) WHERE time >= %" PRId64
                   "ms AND time < %" PRId64 "ms GROUP BY time(%" PRId64
                   "ms) fill(none)",
                   id.ptr, svc.ptr, start_ms, end_ms, interval_ms, start_ms,
                   end_ms, interval_ms)) {
        snprintf(err, errlen, "InfluxQL statement too long");
        goto out;
    }
    rc = 0;
out:
    buf_cleanup(&id);
    buf_cleanup(&svc);
    return rc;
}

int infl_demand_parse(const json_t *root, struct infl_sample **out, size_t *n,
                      char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    json_t *results = json_object_get(root, "results");
    json_t *series = json_object_get(json_array_get(results, 0), "series");
    if (!json_is_array(results)) {
        snprintf(err, errlen, "InfluxDB answered without \"results\"");
        return -1;
    }
    json_t *values = json_object_get(json_array_get(series, 0), "values");
    size_t nv = json_array_size(values), k = 0;
    struct infl_sample *v = xcalloc(nv ? nv : 1, sizeof *v);
    for (size_t i = 0; i < nv; i++) {
        json_t *row = json_array_get(values, i);
        json_t *val = json_array_get(row, 1);
        int64_t t;
        if (!infl_json_ms(json_array_get(row, 0), &t) || !json_is_number(val) ||
            !isfinite(json_number_value(val)))
            continue; /* an interval without a number: a gap */
        if (k > 0 && t <= v[k - 1].t_ms) {
            free(v);
            snprintf(err, errlen, "InfluxDB's intervals are out of order");
            return -1;
        }
        v[k].t_ms = t;
        v[k].value = json_number_value(val);
        k++;
    }
    *out = v;
    *n = k;
    return 0;
}

int infl_query_demand(struct infl *c, const char *field, const char *service_id,
                      int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                      struct infl_sample **out, size_t *n, char *err,
                      size_t errlen)
{
    struct buf q;
    json_t *root = NULL;
    int rc = -1;

    *out = NULL;
    *n = 0;
    buf_init(&q, 8192);
    if (infl_demand_statement(field, service_id, start_ms, end_ms, interval_ms,
                              &q, err, errlen))
        goto out;
    const char *stmt = q.ptr;
    if (infl_query_statements(c, &stmt, 1, &root, err, errlen))
        goto out;
    rc = infl_demand_parse(root, out, n, err, errlen);
out:
    json_decref(root);
    buf_cleanup(&q);
    return rc;
}
