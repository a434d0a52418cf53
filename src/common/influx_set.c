/* InfluxDB window queries (influx_set.h): the windows query of one window
 * a request, and window sets, every window of a field read in one. */
#include "influx_set.h"

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

/* ---- windows: one window of one field ------------------------------- */

#define INFL_WINDOWS_STATEMENTS 3

/* The three statements of the windows query, each in its own buffer. */
static int windows_statements(const char *field, int64_t start_ms,
                              int64_t end_ms, struct buf out[3], char *err,
                              size_t errlen)
{
    struct buf id, sel;
    int rc = -1;

    buf_init(&id, 256);
    buf_init(&sel, 512);
    if (infl_field_check(field, err, errlen))
        goto out;
    if (start_ms < 0 || end_ms <= start_ms) {
        snprintf(err, errlen, "bad window [%" PRId64 ", %" PRId64 ") ms",
                 start_ms, end_ms);
        goto out;
    }
    if (infl_quote_ident(field, &id))
        goto full;
    /* first() and last() alone return the point's own time (mean and
     * count return the window start): hence three statements. */
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++) {
        int r;
        buf_reset(&sel);
        if (i == 0)
            r = buf_printf(&sel, "mean(%s), count(%s), max(%s)", id.ptr, id.ptr,
                           id.ptr);
        else if (i == 1)
            r = buf_printf(&sel, "first(%s)", id.ptr);
        else
            r = buf_printf(&sel, "last(%s)", id.ptr);
        if (r || buf_printf(&out[i],
                            "SELECT %s FROM \"" INFL_MEASUREMENT "\" WHERE "
                            "\"service\" != '' AND time >= %" PRId64
                            "ms AND time < %" PRId64
                            "ms GROUP BY \"service\", \"container\"",
                            sel.ptr, start_ms, end_ms))
            goto full;
    }
    rc = 0;
    goto out;
full:
    snprintf(err, errlen, "InfluxQL statement too long");
out:
    buf_cleanup(&id);
    buf_cleanup(&sel);
    return rc;
}

int infl_windows_statement(const char *field, int64_t start_ms, int64_t end_ms,
                           struct buf *out, char *err, size_t errlen)
{
    struct buf st[INFL_WINDOWS_STATEMENTS];
    int rc = -1;
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++)
        buf_init(&st[i], 8192);
    if (windows_statements(field, start_ms, end_ms, st, err, errlen))
        goto out;
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++) {
        if ((i > 0 && buf_puts(out, "; ")) || buf_puts(out, st[i].ptr)) {
            snprintf(err, errlen, "InfluxQL statement too long");
            goto out;
        }
    }
    rc = 0;
out:
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++)
        buf_cleanup(&st[i]);
    return rc;
}

/* The value of column `col` in a series' first row; NULL when missing. */
static json_t *series_value(json_t *series, const char *col)
{
    json_t *cols = json_object_get(series, "columns");
    json_t *rows = json_object_get(series, "values");
    json_t *row = json_array_get(rows, 0);
    if (!json_is_array(cols) || !json_is_array(row))
        return NULL;
    for (size_t i = 0; i < json_array_size(cols); i++) {
        const char *name = json_string_value(json_array_get(cols, i));
        if (name && strcmp(name, col) == 0)
            return json_array_get(row, i);
    }
    return NULL;
}

/* Copies the series' service and container tags into a; false when either
 * is missing, empty (service) or too long. */
static bool series_key(json_t *series, struct infl_agg *a)
{
    json_t *tags = json_object_get(series, "tags");
    const char *svc = json_string_value(json_object_get(tags, "service"));
    const char *ctr = json_string_value(json_object_get(tags, "container"));
    char key[16];
    if (!svc || !svc[0] || !ctr || strlen(svc) >= sizeof a->service ||
        !win_container_key(ctr, key))
        return false;
    memset(a->service, 0, sizeof a->service);
    memcpy(a->service, svc, strlen(svc));
    memcpy(a->container, key, sizeof a->container);
    return true;
}

static int cmp_agg(const void *x, const void *y)
{
    const struct infl_agg *a = x, *b = y;
    int c = strcmp(a->service, b->service);
    return c ? c : strcmp(a->container, b->container);
}

int infl_windows_parse(const json_t *root, struct infl_agg **out, size_t *n,
                       char *err, size_t errlen)
{
    return infl_windows_parse_count(root, out, n, NULL, err, errlen);
}

/* Appends a row that stands for an unusable series of service (metrics.h);
 * none when the series' service tag can't be told. */
static void add_bad(const char *service, const char *container,
                    enum win_bad why, struct infl_agg **v, size_t *nv,
                    size_t *cap)
{
    struct infl_agg a;
    if (!service || !service[0] || strlen(service) >= sizeof a.service)
        return;
    memset(&a, 0, sizeof a);
    memcpy(a.service, service, strlen(service));
    if (container)
        memcpy(a.container, container, sizeof a.container);
    a.bad = (unsigned char)why;
    if (*nv == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        *v = xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*nv)++] = a;
}

static const char *series_service(json_t *series)
{
    return json_string_value(
        json_object_get(json_object_get(series, "tags"), "service"));
}

/* The rows being gathered from a reply: the usable ones, the rows that
 * stand for unusable series (add_bad), and the count of those dropped. */
struct win_rows {
    struct infl_agg *v, *bad;
    size_t nv, cap, nbad, capbad;
    unsigned long dropped;
};

/* One row per series of the first statement (mean, count, max); a series
 * without a usable key or values is dropped, kept as a bad row. */
static void windows_means(json_t *series, struct win_rows *r)
{
    for (size_t i = 0; i < json_array_size(series); i++) {
        json_t *s = json_array_get(series, i);
        struct infl_agg a;
        json_t *mean = series_value(s, "mean");
        json_t *count = series_value(s, "count");
        int64_t cnt;
        if (!series_key(s, &a)) {
            r->dropped++;
            add_bad(series_service(s), NULL, WIN_BAD_KEY, &r->bad, &r->nbad,
                    &r->capbad);
            continue;
        }
        if (!json_is_number(mean) || !infl_json_ms(count, &cnt) || cnt <= 0 ||
            cnt > LONG_MAX || !isfinite(json_number_value(mean))) {
            r->dropped++;
            add_bad(a.service, a.container, WIN_BAD_VALUE, &r->bad, &r->nbad,
                    &r->capbad);
            continue;
        }
        a.mean = json_number_value(mean);
        a.bad = WIN_OK;
        a.count = (long)cnt;
        a.first_ms = a.last_ms = 0;
        a.last = a.mean;
        json_t *mx = series_value(s, "max");
        a.max = json_is_number(mx) ? json_number_value(mx) : a.mean;
        if (!isfinite(a.max) || a.max < a.mean)
            a.max = a.mean;
        if (r->nv == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 16;
            r->v = xrealloc(r->v, r->cap * sizeof *r->v);
        }
        r->v[r->nv++] = a;
    }
}

/* The point times of statement st (1: first, 2: last) into the sorted
 * rows v, marking bit st in seen for each row they reach. */
static void windows_point_times(json_t *series, int st, struct infl_agg *v,
                                size_t nv, unsigned char *seen)
{
    const char *col = st == 1 ? "first" : "last";
    for (size_t i = 0; i < json_array_size(series); i++) {
        json_t *s = json_array_get(series, i);
        struct infl_agg key;
        int64_t t;
        if (!series_key(s, &key) || !json_is_number(series_value(s, col)) ||
            !infl_json_ms(series_value(s, "time"), &t))
            continue;
        struct infl_agg *hit = bsearch(&key, v, nv, sizeof *v, cmp_agg);
        if (!hit)
            continue;
        size_t k = (size_t)(hit - v);
        if (st == 1) {
            hit->first_ms = t;
        } else {
            hit->last_ms = t;
            hit->last = json_number_value(series_value(s, col));
            if (!isfinite(hit->last))
                hit->last = hit->mean;
        }
        seen[k] |= (unsigned char)st;
    }
}

/* Sorts the rows and gives each its first and last point times from the
 * second and third statements. Without both a window's coverage can't be
 * judged: the container is left out (a bad row) rather than guessed.
 * Duplicate keys: keep one. */
static void windows_times(json_t *results, struct win_rows *r)
{
    qsort(r->v, r->nv, sizeof *r->v, cmp_agg);
    unsigned char *seen = xcalloc(r->nv, 1); /* bit 1: first, bit 2: last */
    for (int st = 1; st <= 2; st++)
        windows_point_times(
            json_object_get(json_array_get(results, (size_t)st), "series"), st,
            r->v, r->nv, seen);
    size_t w = 0;
    for (size_t i = 0; i < r->nv; i++) {
        if (seen[i] != 3) {
            r->dropped++;
            add_bad(r->v[i].service, r->v[i].container, WIN_BAD_TIMES, &r->bad,
                    &r->nbad, &r->capbad);
            continue;
        }
        if (w > 0 && cmp_agg(&r->v[w - 1], &r->v[i]) == 0)
            continue;
        r->v[w++] = r->v[i];
    }
    free(seen);
    r->nv = w;
}

int infl_windows_parse_count(const json_t *root, struct infl_agg **out,
                             size_t *n, unsigned long *unusable, char *err,
                             size_t errlen)
{
    json_t *results = json_object_get(root, "results");
    struct win_rows r;

    *out = NULL;
    *n = 0;
    if (!json_is_array(results) || json_array_size(results) != 3) {
        /* max-row-limit counts rows over all statements: reached exactly,
         * the later statements are left out without a "partial" mark. */
        snprintf(err, errlen,
                 "InfluxDB answered %zu of the 3 statements (is [http] "
                 "max-row-limit below 3 rows per container?)",
                 json_array_size(results));
        return -1;
    }
    memset(&r, 0, sizeof r);
    windows_means(json_object_get(json_array_get(results, 0), "series"), &r);
    if (r.nv > 0)
        windows_times(results, &r);
    if (unusable)
        *unusable += r.dropped;
    /* the unusable series' rows go after the usable ones */
    if (r.nbad) {
        r.v = xrealloc(r.v, (r.nv + r.nbad) * sizeof *r.v);
        memcpy(r.v + r.nv, r.bad, r.nbad * sizeof *r.bad);
        r.nv += r.nbad;
    }
    free(r.bad);
    if (r.nv == 0) {
        free(r.v);
        return 0;
    }
    *out = r.v;
    *n = r.nv;
    return 0;
}

int infl_query_windows(struct infl *c, const char *field, int64_t start_ms,
                       int64_t end_ms, struct infl_agg **out, size_t *n,
                       char *err, size_t errlen)
{
    struct buf st[INFL_WINDOWS_STATEMENTS];
    const char *stmts[INFL_WINDOWS_STATEMENTS];
    json_t *root = NULL;
    int rc = -1;

    *out = NULL;
    *n = 0;
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++)
        buf_init(&st[i], 8192);
    if (windows_statements(field, start_ms, end_ms, st, err, errlen))
        goto out;
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++)
        stmts[i] = st[i].ptr;
    if (infl_query_statements(c, stmts, INFL_WINDOWS_STATEMENTS, &root, err,
                              errlen))
        goto out;
    rc = infl_windows_parse_count(root, out, n, &c->stats.series_unusable, err,
                                  errlen);
out:
    json_decref(root);
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++)
        buf_cleanup(&st[i]);
    return rc;
}

/* ---- window sets ------------------------------------------------------- */

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

int infl_set_plan(const char *field, const int64_t *dur_ms, size_t k,
                  int64_t now_ms, struct infl_set_plan *plan, char *err,
                  size_t errlen)
{
    int64_t d[INFL_SET_MAX_DURS];
    size_t n = 0;

    memset(plan, 0, sizeof *plan);
    if (infl_field_check(field, err, errlen))
        return -1;
    if (k == 0 || now_ms <= 0) {
        snprintf(err, errlen, "no window to read");
        return -1;
    }
    for (size_t i = 0; i < k; i++) {
        if (dur_ms[i] <= 0 || dur_ms[i] > now_ms) {
            snprintf(err, errlen, "bad window length %" PRId64 " ms",
                     dur_ms[i]);
            return -1;
        }
        bool dup = false;
        for (size_t j = 0; j < n; j++)
            dup = dup || d[j] == dur_ms[i];
        if (dup)
            continue;
        if (n == INFL_SET_MAX_DURS) {
            snprintf(err, errlen,
                     "more than %d window lengths for one field in one "
                     "request",
                     INFL_SET_MAX_DURS);
            return -1;
        }
        d[n++] = dur_ms[i];
    }
    qsort(d, n, sizeof *d, cmp_i64);
    snprintf(plan->field, sizeof plan->field, "%s", field);
    plan->now_ms = now_ms;
    plan->k = n;
    plan->max_series = infl_set_max_series(n);
    memcpy(plan->dur_ms, d, n * sizeof *d);
    /* groups, shortest first: a window joins the open group while the
     * group's longest stays within INFL_SET_MAX_BUCKETS buckets */
    for (size_t i = 0; i < n; i++) {
        struct infl_set_group *g =
            plan->ngroups ? &plan->groups[plan->ngroups - 1] : NULL;
        if (g) {
            int64_t b = gcd64(g->bucket_ms, d[i]);
            if (d[i] / b <= INFL_SET_MAX_BUCKETS) {
                g->bucket_ms = b;
                g->hi = i + 1;
                continue;
            }
        }
        g = &plan->groups[plan->ngroups++];
        g->bucket_ms = d[i];
        g->lo = i;
        g->hi = i + 1;
    }
    return 0;
}

size_t infl_set_nstatements(const struct infl_set_plan *p)
{
    return p->ngroups + 1 + p->k;
}

/* The statements' common part: FROM, the service filter and the range
 * [now − dur, now + 1). */
static int set_from(const struct infl_set_plan *p, int64_t dur, struct buf *out)
{
    return buf_printf(out,
                      " FROM \"" INFL_MEASUREMENT "\" WHERE \"service\" != '' "
                      "AND time >= %" PRId64 "ms AND time < %" PRId64 "ms",
                      p->now_ms - dur, p->now_ms + 1);
}

int infl_set_statement(const struct infl_set_plan *p, size_t i, struct buf *out,
                       char *err, size_t errlen)
{
    struct buf id;
    int rc = -1;

    buf_init(&id, 256);
    if (i >= infl_set_nstatements(p) ||
        infl_field_check(p->field, err, errlen)) {
        if (i >= infl_set_nstatements(p))
            snprintf(err, errlen, "no statement %zu", i);
        goto out;
    }
    if (infl_quote_ident(p->field, &id))
        goto full;
    const char *f = id.ptr;
    if (i < p->ngroups) {
        const struct infl_set_group *g = &p->groups[i];
        int64_t longest = p->dur_ms[g->hi - 1];
        int64_t start = p->now_ms - longest;
        int64_t off = ((start % g->bucket_ms) + g->bucket_ms) % g->bucket_ms;
        if (buf_printf(out, "SELECT count(%s), sum(%s), max(%s)", f, f, f) ||
            set_from(p, longest, out) ||
            buf_printf(out,
                       " GROUP BY time(%" PRId64 "ms, %" PRId64
                       "ms), \"service\", \"container\" fill(none)",
                       g->bucket_ms, off))
            goto full;
    } else if (i == p->ngroups) {
        if (buf_printf(out, "SELECT last(%s)", f) ||
            set_from(p, p->dur_ms[p->k - 1], out) ||
            buf_puts(out, " GROUP BY \"service\", \"container\""))
            goto full;
    } else {
        if (buf_printf(out, "SELECT first(%s)", f) ||
            set_from(p, p->dur_ms[i - p->ngroups - 1], out) ||
            buf_puts(out, " GROUP BY \"service\", \"container\""))
            goto full;
    }
    rc = 0;
    goto out;
full:
    snprintf(err, errlen, "InfluxQL statement too long");
out:
    buf_cleanup(&id);
    return rc;
}

/* One container of the set: its fixed part; the per-window part is
 * dur[rec * k + i]. */
struct set_rec {
    char service[64];
    char container[16];
    int64_t last_ms;
    double last;
    int64_t latest_bucket; /* the latest bucket start with a row */
    unsigned char bad;     /* WIN_BAD_VALUE: a bucket without numbers */
    bool has_last;
};

struct set_dur {
    long count;
    double sum, max;
    int64_t first_ms;
    bool has_first;
};

/* A series whose tags can't be used (kept per window it has rows in). */
struct set_bad {
    char service[64];  /* "" when the tag can't name a row (untold) */
    uint64_t tag_hash; /* the untold tag's (FNV-1a), to tell them apart */
    int64_t latest;    /* its latest row time */
};

struct infl_set_reader {
    struct infl_set_plan plan;
    size_t nst;
    struct infl_stream s; /* the reply being read */
    size_t base;          /* its statement_id 0 is statement base */
    /* per statement: answered, and whether its last chunk said more
     * was to come */
    bool *seen, *open;
    struct set_rec *recs;
    struct set_dur *durs;
    size_t nrec, caprec;
    size_t *table; /* open addressing: rec index + 1, 0 = empty */
    size_t tcap;
    struct set_bad *bad;
    size_t nbad, capbad;
};

static void table_grow(struct infl_set_reader *r)
{
    size_t cap = r->tcap ? r->tcap * 2 : 1024;
    size_t *t = xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < r->nrec; i++) {
        size_t h =
            (size_t)win_key_hash(r->recs[i].service, r->recs[i].container);
        for (size_t j = h & (cap - 1);; j = (j + 1) & (cap - 1))
            if (!t[j]) {
                t[j] = i + 1;
                break;
            }
    }
    free(r->table);
    r->table = t;
    r->tcap = cap;
}

/* What a series costs the reader: its record, its aggregates and rows in
 * each of k windows, its table slots. */
static size_t series_bytes(size_t k)
{
    return sizeof(struct set_rec) +
           k * (sizeof(struct set_dur) + sizeof(struct win_agg)) +
           2 * sizeof(size_t);
}

size_t infl_set_max_series(size_t k)
{
    return INFL_SET_MAX_BYTES / series_bytes(k ? k : 1);
}

/* The plan's series cap (a plan made by hand may leave it 0). */
static size_t set_max_series(const struct infl_set_reader *r)
{
    return r->plan.max_series ? r->plan.max_series
                              : infl_set_max_series(r->plan.k);
}

/* The record of (service, container), made when new; (size_t)-1 past
 * the plan's max_series records. */
static size_t rec_get(struct infl_set_reader *r, const struct infl_agg *key)
{
    if ((r->nrec + 1) * 2 > r->tcap)
        table_grow(r);
    size_t h = (size_t)win_key_hash(key->service, key->container);
    size_t j = h & (r->tcap - 1);
    for (; r->table[j]; j = (j + 1) & (r->tcap - 1)) {
        struct set_rec *x = &r->recs[r->table[j] - 1];
        if (!strcmp(x->service, key->service) &&
            !strcmp(x->container, key->container))
            return r->table[j] - 1;
    }
    if (r->nrec >= set_max_series(r))
        return (size_t)-1;
    if (r->nrec == r->caprec) {
        r->caprec = r->caprec ? r->caprec * 2 : 1024;
        r->recs = xrealloc(r->recs, r->caprec * sizeof *r->recs);
        r->durs = xrealloc(r->durs, r->caprec * r->plan.k * sizeof *r->durs);
    }
    size_t i = r->nrec++;
    struct set_rec *x = &r->recs[i];
    memset(x, 0, sizeof *x);
    memcpy(x->service, key->service, sizeof x->service);
    memcpy(x->container, key->container, sizeof x->container);
    x->latest_bucket = INT64_MIN;
    memset(&r->durs[i * r->plan.k], 0, r->plan.k * sizeof *r->durs);
    r->table[j] = i + 1;
    return i;
}

static int set_result(void *ctx, json_t *res);

struct infl_set_reader *infl_set_reader_new(const struct infl_set_plan *p,
                                            size_t max_line)
{
    struct infl_set_reader *r = xcalloc(1, sizeof *r);
    r->plan = *p;
    r->nst = infl_set_nstatements(p);
    r->seen = xcalloc(r->nst, sizeof *r->seen);
    r->open = xcalloc(r->nst, sizeof *r->open);
    infl_stream_init(&r->s, max_line, set_result, r);
    return r;
}

void infl_set_reader_reset(struct infl_set_reader *r)
{
    infl_stream_reset(&r->s);
    memset(r->seen, 0, r->nst * sizeof *r->seen);
    memset(r->open, 0, r->nst * sizeof *r->open);
    r->nrec = 0;
    if (r->table)
        memset(r->table, 0, r->tcap * sizeof *r->table);
    r->nbad = 0;
}

void infl_set_reader_free(struct infl_set_reader *r)
{
    if (!r)
        return;
    infl_stream_cleanup(&r->s);
    free(r->seen);
    free(r->open);
    free(r->recs);
    free(r->durs);
    free(r->table);
    free(r->bad);
    free(r);
}

const char *infl_set_reader_error(const struct infl_set_reader *r)
{
    return r->s.err;
}

const char *infl_set_reader_head(const struct infl_set_reader *r)
{
    return r->s.head;
}

size_t infl_set_reader_answered(const struct infl_set_reader *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nst; i++)
        n += r->seen[i];
    return n;
}

static int set_too_many(struct infl_set_reader *r)
{
    return infl_stream_fail(
        &r->s,
        "the reply names more than %zu (service, container) "
        "series; das reads at most that many for %zu window lengths "
        "(%zu MiB) to stay within its memory, and this field's policies "
        "get no decision",
        set_max_series(r), r->plan.k, INFL_SET_MAX_BYTES >> 20);
}

/* A series without a usable key. One whose service tag can't name a row
 * (none, empty, too long) is still an unusable series: kept with service
 * "" and its tag's hash, counted by infl_set_reader_result, never a row. */
static void set_add_bad(struct infl_set_reader *r, const char *service,
                        int64_t latest)
{
    bool told =
        service && service[0] && strlen(service) < sizeof r->bad[0].service;
    uint64_t h = 14695981039346656037ULL;
    for (const char *p = told || !service ? "" : service; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    /* the same series over several chunks: one entry */
    if (r->nbad > 0) {
        struct set_bad *last = &r->bad[r->nbad - 1];
        bool same = told ? !strcmp(last->service, service)
                         : !last->service[0] && last->tag_hash == h;
        if (same) {
            if (latest > last->latest)
                last->latest = latest;
            return;
        }
    }
    if (r->nbad == r->capbad) {
        r->capbad = r->capbad ? r->capbad * 2 : 8;
        r->bad = xrealloc(r->bad, r->capbad * sizeof *r->bad);
    }
    struct set_bad *b = &r->bad[r->nbad++];
    memset(b, 0, sizeof *b);
    if (told)
        memcpy(b->service, service, strlen(service));
    b->tag_hash = h;
    b->latest = latest;
}

/* One row of an aggregate statement (group g) into record i. */
static int set_agg_row(struct infl_set_reader *r, size_t g, size_t i,
                       json_t *row, int ct, int cc, int cs, int cm)
{
    const struct infl_set_group *gr = &r->plan.groups[g];
    struct set_rec *x = &r->recs[i];
    int64_t t, cnt;
    if (!infl_json_ms(json_array_get(row, (size_t)ct), &t))
        return infl_stream_fail(&r->s,
                                "statement %zu: a bucket without its time", g);
    int64_t start = r->plan.now_ms - r->plan.dur_ms[gr->hi - 1];
    if (t < start || (t - start) % gr->bucket_ms != 0)
        return infl_stream_fail(&r->s,
                                "statement %zu: InfluxDB's bucket at %" PRId64
                                " ms is not one of [%" PRId64
                                " ms + n × %" PRId64 " ms]",
                                g, t, start, gr->bucket_ms);
    if (t > x->latest_bucket)
        x->latest_bucket = t;
    json_t *sum = json_array_get(row, (size_t)cs);
    json_t *mx = cm >= 0 ? json_array_get(row, (size_t)cm) : NULL;
    if (!infl_json_ms(json_array_get(row, (size_t)cc), &cnt) || cnt <= 0 ||
        cnt > LONG_MAX / 2 || !json_is_number(sum) ||
        !isfinite(json_number_value(sum))) {
        x->bad = WIN_BAD_VALUE;
        return 0;
    }
    double m = json_is_number(mx) ? json_number_value(mx) : NAN;
    for (size_t j = gr->lo; j < gr->hi; j++) {
        if (t < r->plan.now_ms - r->plan.dur_ms[j])
            continue;
        struct set_dur *d = &r->durs[i * r->plan.k + j];
        if (d->count > LONG_MAX / 2)
            return infl_stream_fail(&r->s,
                                    "statement %zu: point count overflow", g);
        if (d->count == 0)
            d->max = m;
        else if (isfinite(m) && (!isfinite(d->max) || m > d->max))
            d->max = m;
        d->count += (long)cnt;
        d->sum += json_number_value(sum);
    }
    return 0;
}

/* One series of statement st. */
static int set_series(struct infl_set_reader *r, size_t st, json_t *s)
{
    const struct infl_set_plan *p = &r->plan;
    struct infl_agg key;
    json_t *rows = json_object_get(s, "values");
    int ct = infl_col_index(s, "time");
    if (!series_key(s, &key)) {
        if (st < p->ngroups) {
            int64_t latest = INT64_MIN, t;
            for (size_t j = 0; j < json_array_size(rows); j++)
                if (infl_json_ms(json_array_get(json_array_get(rows, j),
                                                (size_t)(ct < 0 ? 0 : ct)),
                                 &t) &&
                    t > latest)
                    latest = t;
            set_add_bad(r, series_service(s), latest);
        }
        return 0;
    }
    if (st < p->ngroups) {
        int cc = infl_col_index(s, "count"), cs = infl_col_index(s, "sum"),
            cm = infl_col_index(s, "max");
        if (ct < 0 || cc < 0 || cs < 0)
            return infl_stream_fail(
                &r->s,
                "statement %zu: columns time, count and sum "
                "expected",
                st);
        size_t i = rec_get(r, &key);
        if (i == (size_t)-1)
            return set_too_many(r);
        for (size_t j = 0; j < json_array_size(rows); j++)
            if (set_agg_row(r, st, i, json_array_get(rows, j), ct, cc, cs, cm))
                return -1;
        return 0;
    }
    const char *col = st == p->ngroups ? "last" : "first";
    int cv = infl_col_index(s, col);
    json_t *row = json_array_get(rows, 0);
    int64_t t;
    if (ct < 0 || cv < 0 || !infl_json_ms(json_array_get(row, (size_t)ct), &t))
        return 0; /* no time: the container's times stay unknown */
    json_t *v = json_array_get(row, (size_t)cv);
    if (!json_is_number(v))
        return 0;
    /* Two series of one container (its 12-character and its 64-hex id,
     * written by two collectors) are one record, as their aggregates
     * are: the latest of their last points, the earliest first. */
    size_t i = rec_get(r, &key);
    if (i == (size_t)-1)
        return set_too_many(r);
    if (st == p->ngroups) {
        struct set_rec *x = &r->recs[i];
        if (!x->has_last || t > x->last_ms) {
            x->has_last = true;
            x->last_ms = t;
            x->last = json_number_value(v);
        }
    } else {
        struct set_dur *d = &r->durs[i * p->k + (st - p->ngroups - 1)];
        if (!d->has_first || t < d->first_ms) {
            d->has_first = true;
            d->first_ms = t;
        }
    }
    return 0;
}

/* One result of a reply (infl_stream): statement base + its
 * statement_id. */
static int set_result(void *ctx, json_t *res)
{
    struct infl_set_reader *r = ctx;
    char msg[INFL_RESULT_ERROR_LEN];
    json_t *sid = json_object_get(res, "statement_id");
    if (!json_is_integer(sid) || json_integer_value(sid) < 0 ||
        (uint64_t)json_integer_value(sid) >= r->nst - r->base)
        return infl_stream_fail(&r->s,
                                "a result without a statement_id of the %zu "
                                "statements sent",
                                r->nst - r->base);
    size_t st = r->base + (size_t)json_integer_value(sid);
    if (infl_result_error(res, msg, sizeof msg))
        return infl_stream_fail(&r->s, "statement %zu: %s", st, msg);
    r->seen[st] = true;
    /* chunked: "partial" means more of it follows */
    r->open[st] = json_is_true(json_object_get(res, "partial"));
    json_t *series = json_object_get(res, "series");
    for (size_t j = 0; j < json_array_size(series); j++)
        if (set_series(r, st, json_array_get(series, j)))
            return -1;
    return 0;
}

int infl_set_reader_feed(struct infl_set_reader *r, size_t base, const char *p,
                         size_t n)
{
    if (r->s.failed)
        return -1;
    if (base >= r->nst)
        return infl_stream_fail(&r->s, "no statement %zu", base);
    r->base = base;
    return infl_stream_feed(&r->s, p, n);
}

int infl_set_reader_end(struct infl_set_reader *r, size_t base)
{
    if (r->s.failed)
        return -1;
    r->base = base;
    return infl_stream_end(&r->s);
}

int infl_set_reader_result(struct infl_set_reader *r, struct infl_agg **outs,
                           size_t *ns, unsigned long *unusable, char *err,
                           size_t errlen)
{
    const struct infl_set_plan *p = &r->plan;
    for (size_t w = 0; w < p->k; w++) {
        outs[w] = NULL;
        ns[w] = 0;
    }
    if (r->s.failed) {
        snprintf(err, errlen, "%s", r->s.err);
        return -1;
    }
    for (size_t st = 0; st < r->nst; st++) {
        if (!r->seen[st]) {
            /* max-row-limit counts rows over all statements: reached,
             * the later statements are left out */
            snprintf(err, errlen,
                     "InfluxDB answered %zu of the %zu statements (is "
                     "[http] max-row-limit too low?)",
                     infl_set_reader_answered(r), r->nst);
            return -1;
        }
        if (r->open[st]) {
            snprintf(err, errlen,
                     "statement %zu: result cut short by InfluxDB "
                     "(partial; raise [http] max-row-limit)",
                     st);
            return -1;
        }
    }
    for (size_t w = 0; w < p->k; w++) {
        int64_t start = p->now_ms - p->dur_ms[w];
        size_t cap = r->nrec + r->nbad, nv = 0, nb = 0;
        struct infl_agg *v = xcalloc(cap ? cap : 1, sizeof *v);
        struct infl_agg *bad = xcalloc(cap ? cap : 1, sizeof *bad);
        for (size_t i = 0; i < r->nrec; i++) {
            const struct set_rec *x = &r->recs[i];
            const struct set_dur *d = &r->durs[i * p->k + w];
            struct infl_agg a;
            memset(&a, 0, sizeof a);
            memcpy(a.service, x->service, sizeof a.service);
            memcpy(a.container, x->container, sizeof a.container);
            if (x->bad) {
                if (x->latest_bucket >= start) {
                    a.bad = x->bad;
                    bad[nb++] = a;
                }
                continue;
            }
            if (d->count <= 0)
                continue;
            if (!d->has_first || !x->has_last) {
                a.bad = WIN_BAD_TIMES;
                bad[nb++] = a;
                continue;
            }
            a.count = d->count;
            a.mean = d->sum / (double)d->count;
            a.max = isfinite(d->max) && d->max >= a.mean ? d->max : a.mean;
            a.first_ms = d->first_ms;
            a.last_ms = x->last_ms;
            a.last = isfinite(x->last) ? x->last : a.mean;
            if (!isfinite(a.mean)) {
                a.bad = WIN_BAD_VALUE;
                bad[nb++] = a;
                continue;
            }
            v[nv++] = a;
        }
        unsigned long untold = 0;
        for (size_t i = 0; i < r->nbad; i++) {
            if (r->bad[i].latest < start)
                continue;
            if (!r->bad[i].service[0]) {
                untold++; /* counted, but no row: no service to name */
                continue;
            }
            struct infl_agg a;
            memset(&a, 0, sizeof a);
            memcpy(a.service, r->bad[i].service, sizeof a.service);
            a.bad = WIN_BAD_KEY;
            bad[nb++] = a;
        }
        win_rows_take(v, nv, bad, nb, &outs[w], &ns[w], unusable);
        if (unusable)
            *unusable += untold;
    }
    return 0;
}

int infl_set_parse(const struct infl_set_plan *p, const char *body, size_t len,
                   struct infl_agg **outs, size_t *ns, unsigned long *unusable,
                   char *err, size_t errlen)
{
    struct infl_set_reader *r = infl_set_reader_new(p, 0);
    int rc = -1;
    if (infl_set_reader_feed(r, 0, body, len) == 0)
        (void)infl_set_reader_end(r, 0);
    rc = infl_set_reader_result(r, outs, ns, unusable, err, errlen);
    infl_set_reader_free(r);
    return rc;
}

/* One request of statements [base, base + n) of the plan into r. 0 ok;
 * -1 + *why (as query_raw) and err. */
static int set_request(struct infl *c, const struct infl_set_plan *plan,
                       struct infl_set_reader *r, size_t base, size_t n,
                       enum q_fail *why, char *err, size_t errlen)
{
    struct buf q;
    int rc = -1;

    *why = QF_LOCAL;
    buf_init(&q, INFL_MAX_QUERY);
    for (size_t i = base; i < base + n; i++)
        if ((i > base && buf_puts(&q, "; ")) ||
            infl_set_statement(plan, i, &q, err, errlen))
            goto out;
    size_t answered = infl_set_reader_answered(r);
    r->base = base;
    if (infl_stream_query(c, q.ptr, &r->s, why, err, errlen))
        goto out;
    if (infl_set_reader_answered(r) - answered < n) {
        *why = QF_ANSWER;
        snprintf(err, errlen,
                 "InfluxDB at %s answered %zu of %zu statements sent in one "
                 "request",
                 c->where, infl_set_reader_answered(r) - answered, n);
        goto out;
    }
    rc = 0;
out:
    buf_cleanup(&q);
    return rc;
}

int infl_query_window_set(struct infl *c, const struct infl_set_plan *plan,
                          struct infl_agg **outs, size_t *ns, char *err,
                          size_t errlen)
{
    struct infl_set_reader *r = infl_set_reader_new(plan, 0);
    size_t n = infl_set_nstatements(plan);
    enum q_fail why;
    char e[512];
    int rc = -1;

    for (size_t w = 0; w < plan->k; w++) {
        outs[w] = NULL;
        ns[w] = 0;
    }
    if (!infl_single_statements(c)) {
        if (set_request(c, plan, r, 0, n, &why, e, sizeof e) == 0)
            goto done;
        if (c->stmt_mode == INFL_STMT_MULTI || why != QF_ANSWER) {
            snprintf(err, errlen, "%s", e);
            goto out;
        }
        /* AUTO: as infl_query_statements, one statement per request */
        infl_set_reader_reset(r);
    }
    for (size_t i = 0; i < n; i++) {
        char e1[512];
        if (set_request(c, plan, r, i, 1, &why, e1, sizeof e1)) {
            if (!infl_single_statements(c))
                snprintf(err, errlen, "%s", e);
            else
                snprintf(err, errlen, "statement %zu of %zu, sent alone: %s",
                         i + 1, n, e1);
            goto out;
        }
    }
    if (!infl_single_statements(c))
        infl_fall_back(c, n, e);
done:
    rc = infl_set_reader_result(r, outs, ns, &c->stats.series_unusable, err,
                                errlen);
out:
    infl_set_reader_free(r);
    return rc;
}
