/* The decision history from InfluxDB measurement `das` (hist_influx.h). */
#include "hist_influx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "log.h"

int hist_last_statement(int64_t since_ms, int64_t until_ms, struct buf *out,
                        char *err, size_t errlen)
{
    /* last() is a selector: each seq's row carries that point's time */
    if (buf_printf(out,
                   "SELECT last(\"reason\") AS \"reason\" FROM \"%s\" "
                   "WHERE time >= %lldms AND time <= %lldms AND "
                   "\"dry_run\" = false AND "
                   "\"action\" != 'capacity-bound' GROUP BY \"seq\"",
                   HIST_MEASUREMENT, (long long)since_ms,
                   (long long)until_ms)) {
        errf(err, errlen, "history query too long");
        return -1;
    }
    return 0;
}

/* The statement's first series array, or NULL when it has none (no
 * points: an empty result has no "series"). */
static json_t *first_series(const json_t *root)
{
    json_t *r0 = json_array_get(json_object_get(root, "results"), 0);
    return json_object_get(r0, "series");
}

/* Index of column name in a series' "columns"; -1 when absent. */
static int col_index(const json_t *series, const char *name)
{
    const json_t *cols = json_object_get(series, "columns");
    for (size_t i = 0; i < json_array_size(cols); i++) {
        const json_t *c = json_array_get(cols, i);
        if (json_is_string(c) && !strcmp(json_string_value(c), name))
            return (int)i;
    }
    return -1;
}

/* A whole number from a JSON integer, or a string holding one (a tag). */
static bool json_long(const json_t *v, long long *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        /* a cast of a double beyond long long's range is undefined: a
         * reply's 1e300 is no number of ours */
        double x = json_real_value(v);
        if (!(x > -9.2e18 && x < 9.2e18))
            return false;
        *out = (long long)x;
        return true;
    }
    if (json_is_string(v)) {
        char *end;
        const char *s = json_string_value(v);
        long long x = strtoll(s, &end, 10);
        if (end != s && !*end) {
            *out = x;
            return true;
        }
    }
    return false;
}

int hist_last_parse(const json_t *root, const long *seqs, size_t n,
                    int64_t *times, bool *bets, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        times[i] = 0;
        if (bets)
            bets[i] = false;
    }
    const json_t *series = first_series(root);
    if (series && !json_is_array(series)) {
        errf(err, errlen, "history: \"series\" is not an array");
        return -1;
    }
    for (size_t s = 0; s < json_array_size(series); s++) {
        const json_t *se = json_array_get(series, s);
        long long seq;
        if (!json_long(json_object_get(json_object_get(se, "tags"), "seq"),
                       &seq))
            continue; /* a point without a seq tag: no policy's */
        int ti = col_index(se, "time"), ri = col_index(se, "reason");
        const json_t *vals = json_object_get(se, "values");
        for (size_t v = 0; v < json_array_size(vals); v++) {
            const json_t *row = json_array_get(vals, v);
            long long t;
            if (ti < 0 || !json_long(json_array_get(row, (size_t)ti), &t))
                continue;
            const json_t *why =
                ri >= 0 ? json_array_get(row, (size_t)ri) : NULL;
            for (size_t i = 0; i < n; i++)
                if (seqs[i] == seq && t >= times[i]) {
                    times[i] = t;
                    if (bets)
                        bets[i] = json_is_string(why) &&
                                  dec_reason_bet(json_string_value(why));
                }
        }
    }
    return 0;
}

int hist_future_statement(int64_t until_ms, struct buf *out, char *err,
                          size_t errlen)
{
    /* first() is a selector too: each seq's row carries its time */
    if (buf_printf(out,
                   "SELECT first(\"reason\") AS \"reason\", "
                   "count(\"reason\") AS \"n\" FROM \"%s\" WHERE time > "
                   "%lldms GROUP BY \"seq\"",
                   HIST_MEASUREMENT, (long long)until_ms)) {
        errf(err, errlen, "history query too long");
        return -1;
    }
    return 0;
}

int hist_future_parse(const json_t *root, struct hist_future *future, char *err,
                      size_t errlen)
{
    (void)err;
    (void)errlen;
    memset(future, 0, sizeof *future);
    const json_t *series = first_series(root);
    size_t i;
    const json_t *se;
    json_array_foreach(series, i, se)
    {
        long long seq, n, t;
        const json_t *row = json_array_get(json_object_get(se, "values"), 0);
        int ti = col_index(se, "time"), ni = col_index(se, "n");
        if (ti < 0 || ni < 0 ||
            !json_long(json_object_get(json_object_get(se, "tags"), "seq"),
                       &seq) ||
            !json_long(json_array_get(row, (size_t)ni), &n) || n <= 0 ||
            !json_long(json_array_get(row, (size_t)ti), &t))
            continue; /* no policy's, or no count: nothing to name */
        if (future->n == 0 || t < future->first_ms) {
            future->first_seq = (long)seq;
            future->first_ms = (int64_t)t;
        }
        future->n += (size_t)n;
    }
    return 0;
}

int hist_last_actions(struct infl *c, const long *seqs, size_t n,
                      int64_t since_ms, int64_t until_ms,
                      struct hist_future *future, int64_t *times, bool *bets,
                      char *err, size_t errlen)
{
    memset(future, 0, sizeof *future);
    for (size_t i = 0; i < n; i++) {
        times[i] = 0;
        if (bets)
            bets[i] = false;
    }
    if (n == 0)
        return 0;
    struct buf q;
    json_t *root = NULL;
    char e[400], qe[460];
    buf_init(&q, 4096);
    int rc = hist_last_statement(since_ms, until_ms, &q, err, errlen);
    if (!rc && infl_query(c, q.ptr, &root, e, sizeof e)) {
        errf(err, errlen, "reading the last actions from InfluxDB: %s", e);
        rc = -1;
    }
    if (!rc)
        rc = hist_last_parse(root, seqs, n, times, bets, err, errlen);
    json_decref(root);
    root = NULL;
    /* what lies beyond: named by the caller, never an action */
    buf_reset(&q);
    if (!rc && !hist_future_statement(until_ms, &q, err, errlen) &&
        !infl_query(c, q.ptr, &root, e, sizeof e) &&
        hist_future_parse(root, future, e, sizeof e))
        log_debug("future actions not counted", "error=%s",
                  log_quote(e, qe, sizeof qe));
    json_decref(root);
    buf_cleanup(&q);
    return rc;
}

int hist_events_statement(const char *service, int64_t since_ms, size_t limit,
                          struct buf *out, char *err, size_t errlen)
{
    int bad = buf_printf(out,
                         "SELECT \"seq\", \"service\", \"action\", \"from\", "
                         "\"to\", \"metric\", \"observed\", \"threshold\", "
                         "\"window_ms\", \"reason\", \"dry_run\" FROM \"%s\" "
                         "WHERE time >= %lldms",
                         HIST_MEASUREMENT, (long long)since_ms);
    if (service) {
        bad |= buf_puts(out, " AND \"service\" = ");
        if (!bad && infl_quote_string(service, out)) {
            errf(err, errlen,
                 "--service: control characters are not "
                 "allowed in a service name");
            return -1;
        }
    }
    bad |= buf_printf(out, " ORDER BY time DESC LIMIT %zu", limit);
    if (bad) {
        errf(err, errlen, "events query too long");
        return -1;
    }
    return 0;
}

static void copy_string(const json_t *v, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", json_is_string(v) ? json_string_value(v) : "");
}

static double json_num(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

int hist_events_parse(const json_t *root, struct pg_event **out, size_t *n,
                      char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    const json_t *series = json_array_get(first_series(root), 0);
    if (!series)
        return 0; /* no events */
    const json_t *vals = json_object_get(series, "values");
    if (!json_is_array(vals)) {
        errf(err, errlen, "events: \"values\" is not an array");
        return -1;
    }
    enum { T, SEQ, SVC, ACT, FROM, TO, MET, OBS, THR, WIN, WHY, DRY, NC };
    static const char *const names[NC] = {
        "time",   "seq",      "service",   "action",    "from",   "to",
        "metric", "observed", "threshold", "window_ms", "reason", "dry_run"};
    int ix[NC];
    for (int k = 0; k < NC; k++)
        ix[k] = col_index(series, names[k]);
    if (ix[T] < 0) {
        errf(err, errlen, "events: no time column");
        return -1;
    }
    size_t nv = json_array_size(vals);
    struct pg_event *ev = xcalloc(nv ? nv : 1, sizeof *ev);
    size_t m = 0;
    for (size_t v = 0; v < nv; v++) {
        const json_t *row = json_array_get(vals, v);
        const json_t *cell[NC];
        for (int k = 0; k < NC; k++)
            cell[k] = ix[k] >= 0 ? json_array_get(row, (size_t)ix[k]) : NULL;
        struct pg_event *e = &ev[m];
        long long x;
        if (!json_long(cell[T], &x))
            continue;
        e->time_ms = x;
        e->seq = json_long(cell[SEQ], &x) ? (long)x : 0;
        e->from_no = json_long(cell[FROM], &x) ? (long)x : -1;
        e->to_no = json_long(cell[TO], &x) ? (long)x : -1;
        e->window_ms = json_long(cell[WIN], &x) ? x : 0;
        copy_string(cell[SVC], e->service, sizeof e->service);
        copy_string(cell[ACT], e->action, sizeof e->action);
        copy_string(cell[MET], e->metric, sizeof e->metric);
        copy_string(cell[WHY], e->reason, sizeof e->reason);
        e->observed = json_num(cell[OBS]);
        e->threshold = json_num(cell[THR]);
        e->dry_run = json_is_true(cell[DRY]);
        m++;
    }
    *out = ev;
    *n = m;
    return 0;
}

int hist_events(struct infl *c, const char *service, int64_t since_ms,
                size_t limit, struct pg_event **out, size_t *n, char *err,
                size_t errlen)
{
    struct buf q;
    json_t *root = NULL;
    char e[400];
    *out = NULL;
    *n = 0;
    buf_init(&q, 4096);
    int rc = hist_events_statement(service, since_ms, limit, &q, err, errlen);
    if (!rc && infl_query(c, q.ptr, &root, e, sizeof e)) {
        errf(err, errlen, "reading the events from InfluxDB: %s", e);
        rc = -1;
    }
    if (!rc)
        rc = hist_events_parse(root, out, n, err, errlen);
    json_decref(root);
    buf_cleanup(&q);
    return rc;
}
