/* Policy rows of the seed's `das` table: parsing and validation
 * (docs/design.md §3). Pure: no I/O. */
#include "policy.h"
#include "stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POL_COL_NAME(id, name, type, opt, label, ldef) name,
#define POL_COL_TYPE(id, name, type, opt, label, ldef) type,
#define POL_COL_OPT(id, name, type, opt, label, ldef) opt,
#define POL_COL_LABEL(id, name, type, opt, label, ldef) label,
#define POL_COL_LDEF(id, name, type, opt, label, ldef) ldef,
const char *const pol_col_names[POL_NCOLS] = {POL_COLUMNS(POL_COL_NAME)};
const char *const pol_col_types[POL_NCOLS] = {POL_COLUMNS(POL_COL_TYPE)};
const bool pol_col_optional[POL_NCOLS] = {POL_COLUMNS(POL_COL_OPT)};
const bool pol_col_label[POL_NCOLS] = {POL_COLUMNS(POL_COL_LABEL)};
const char *const pol_col_label_default[POL_NCOLS] = {
    POL_COLUMNS(POL_COL_LDEF)};
const char *const pol_source_names[2] = {"table", "labels"};
const char *const pol_mode_names[POL_NMODES] = {"auto", "step", "band"};
const char *const pol_target_names[2] = {"replica", "service"};
const struct pol_metric pol_metric_query = {"query", UNIT_VALUE, 0};
#define POL_CK_NAME(id, name) name,
const char *const pol_cond_key_names[POL_NCOND_KEYS] = {
    POL_COND_KEYS(POL_CK_NAME)};

/* Every field of docs/design.md §3, in its order (stats.h STATS_FIELDS), with
 * the unit its thresholds are read in. */
#define POL_METRIC_ROW(name, bit, unit, isint) {#name, UNIT_##unit, bit},
static const struct pol_metric pol_metrics[] = {STATS_FIELDS(POL_METRIC_ROW)};
#define POL_NMETRICS (sizeof pol_metrics / sizeof pol_metrics[0])

/* "cpu_ratio, cpu_limit_ratio, …, pids" */
#define POL_METRIC_NAME(name, bit, unit, isint) ", " #name
static const char pol_metric_names_all[] = STATS_FIELDS(POL_METRIC_NAME);
static const char *const pol_metric_names = pol_metric_names_all + 2;

#define SERVICE_FORMS                                                          \
    "use a service name or id: letters, digits, '_', '.' and '-', starting "   \
    "with a letter or digit, at most 63 bytes"

const struct pol_metric *pol_metric_find(const char *field)
{
    if (!field)
        return NULL;
    for (size_t i = 0; i < POL_NMETRICS; i++)
        if (strcmp(pol_metrics[i].field, field) == 0)
            return &pol_metrics[i];
    return NULL;
}

const char *pol_metric_list(void)
{
    return pol_metric_names;
}

static bool svc_char(char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
        return true;
    return !first && (c == '_' || c == '.' || c == '-');
}

int pol_service_ref_check(const char *s, char *err, size_t errlen)
{
    char q[96];
    size_t n;

    if (!s) {
        errf(err, errlen, "no value; " SERVICE_FORMS);
        return -1;
    }
    dur_quote(s, q, sizeof q);
    n = strlen(s);
    if (n == 0) {
        errf(err, errlen, "%s: empty; " SERVICE_FORMS, q);
        return -1;
    }
    if (n >= POL_SERVICE_MAX) {
        errf(err, errlen, "%s: %zu bytes, longer than 63; " SERVICE_FORMS, q,
             n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!svc_char(s[i], i == 0)) {
            char c[2] = {s[i], '\0'}, qc[16];
            errf(err, errlen, "%s: %s not allowed%s; " SERVICE_FORMS, q,
                 dur_quote(c, qc, sizeof qc), i == 0 ? " at the start" : "");
            return -1;
        }
    }
    return 0;
}

/* Strict integer: optional '-', 1..18 digits, nothing else; within
 * [lo, hi]. Returns 0, -1 when not an integer, -2 when out of range. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
    const char *p = s;
    char *end;
    long v;

    if (*p == '-')
        p++;
    if (!*p || strspn(p, "0123456789") != strlen(p))
        return -1;
    if (strlen(p) > 18)
        return -2;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno == ERANGE)
        return -2;
    if (*end || end == s)
        return -1;
    if (v < lo || v > hi)
        return -2;
    *out = v;
    return 0;
}

/* Who a message is about: "policy seq=3" ("policy seq=?" while seq itself
 * is unread) for a table row, "service web" for labels, where the column
 * is named as its label. */
struct ctx {
    char who[96];
    bool label;
    char *err;
    size_t errlen;
};

static int row_fail(const struct ctx *c, enum pol_col col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int row_fail(const struct ctx *c, enum pol_col col, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (c->label)
        errf(c->err, c->errlen, "%s: label " POL_LABEL_PREFIX "%s: %s", c->who,
             pol_col_names[col], what);
    else
        errf(c->err, c->errlen, "%s: %s %s", c->who, pol_col_names[col], what);
    return -1;
}

/* A replica bound column: NULL, non-integer and out-of-range each get
 * their own words. */
static int parse_bound(const struct ctx *c, const struct pol_row *row,
                       enum pol_col col, long lo, long *out)
{
    const char *s = row->col[col];
    char q[96];
    int rc;

    if (!s)
        return row_fail(c, col, "is NULL; use a whole number %ld..%d", lo,
                        POL_REPLICAS_MAX);
    dur_quote(s, q, sizeof q);
    rc = parse_long(s, lo, POL_REPLICAS_MAX, out);
    if (rc == -1)
        return row_fail(c, col, "%s: not a whole number; use %ld..%d", q, lo,
                        POL_REPLICAS_MAX);
    if (rc == -2)
        return row_fail(c, col, "%s: out of range; use %ld..%d replicas%s", q,
                        lo, POL_REPLICAS_MAX,
                        lo == 0 ? " (0: scale to zero, query metrics only)"
                                : "");
    return 0;
}

static int parse_cond(const struct ctx *c, const struct pol_row *row,
                      enum pol_col col, const struct pol_metric *m, double *out)
{
    char e[320];
    if (!row->col[col])
        return row_fail(c, col, "is NULL; %s", unit_forms(m->kind));
    if (unit_parse(row->col[col], m->kind, out, e, sizeof e))
        return row_fail(c, col, "%s", e);
    return 0;
}

/* A window's duration: 0, or -1 with what is wrong in e. */
static int window_check(const char *s, int64_t *out, char *e, size_t elen)
{
    char q[96], lim[32];
    if (dur_parse(s, out, e, elen))
        return -1;
    dur_quote(s, q, sizeof q);
    if (*out < POL_WINDOW_MIN_MS || *out > POL_WINDOW_MAX_MS) {
        bool shorter = *out < POL_WINDOW_MIN_MS;
        errf(e, elen, "%s: %s than %s; use 30s, 10m, 1h30m or 2d", q,
             shorter ? "shorter" : "longer",
             dur_format(shorter ? POL_WINDOW_MIN_MS : POL_WINDOW_MAX_MS, lim,
                        sizeof lim));
        return -1;
    }
    return 0;
}

static int parse_window(const struct ctx *c, const struct pol_row *row,
                        enum pol_col col, int64_t *out)
{
    char e[320];
    if (!row->col[col])
        return row_fail(c, col, "is NULL; use 30s, 10m, 1h30m or 2d");
    if (window_check(row->col[col], out, e, sizeof e))
        return row_fail(c, col, "%s", e);
    return 0;
}

/* seq, which from here on names a table row in the messages. */
static int parse_seq(struct ctx *c, const struct pol_row *row, struct policy *p)
{
    const char *s = row->col[POL_SEQ];
    char q[96];
    if (!s)
        return row_fail(c, POL_SEQ, "is NULL; use a whole number, e.g. 3");
    int rc = parse_long(s, INT32_MIN, INT32_MAX, &p->seq);
    if (rc) {
        dur_quote(s, q, sizeof q);
        return row_fail(c, POL_SEQ, "%s: %s; use a whole number, e.g. 3", q,
                        rc == -1 ? "not a whole number" : "out of range");
    }
    if (!c->label)
        snprintf(c->who, sizeof c->who, "policy seq=%ld", p->seq);
    return 0;
}

/* min_no and max_no, min_no <= max_no. */
static int parse_replicas(const struct ctx *c, const struct pol_row *row,
                          struct policy *p)
{
    if (parse_bound(c, row, POL_MIN_NO, 0, &p->min_no) ||
        parse_bound(c, row, POL_MAX_NO, 1, &p->max_no))
        return -1;
    if (p->min_no > p->max_no)
        return row_fail(c, POL_MIN_NO,
                        "%ld is above max_no %ld; use 0 <= min_no <= max_no",
                        p->min_no, p->max_no);
    return 0;
}

/* Scale to zero: min_no 0 only on query metrics (a ds field needs a
 * replica to measure); idle_for and wake_no only with it. */
static int parse_zero(const struct ctx *c, const struct pol_row *row,
                      struct policy *p)
{
    const char *idle = row->col[POL_IDLE_FOR], *wake = row->col[POL_WAKE_NO];
    char e[320], q[96];
    p->idle_ms = POL_IDLE_DEFAULT_MS;
    p->wake_no = 1;
    if (p->min_no > 0) {
        if (idle || wake)
            return row_fail(c, idle ? POL_IDLE_FOR : POL_WAKE_NO,
                            "applies only to a policy that scales to zero "
                            "(min_no 0); leave it out, or set min_no 0");
        return 0;
    }
    for (size_t k = 0; k < p->nconds; k++)
        if (!p->conds[k].query)
            return row_fail(c, POL_MIN_NO,
                            "0 (scale to zero) needs every metric to be a "
                            "query metric (<name>.query): at zero replicas "
                            "%s has no replica to measure; use 1 or more, "
                            "or a query",
                            p->conds[k].name);
    if (idle && window_check(idle, &p->idle_ms, e, sizeof e))
        return row_fail(c, POL_IDLE_FOR, "%s", e);
    if (wake) {
        int rc = parse_long(wake, 1, p->max_no, &p->wake_no);
        if (rc)
            return row_fail(c, POL_WAKE_NO, "%s: %s; use 1..max_no (%ld)",
                            dur_quote(wake, q, sizeof q),
                            rc == -1 ? "not a whole number" : "out of range",
                            p->max_no);
    }
    return 0;
}

/* cur_no: das's own bookkeeping; NULL or -1 when unknown. */
static int parse_cur_no(const struct ctx *c, const struct pol_row *row,
                        struct policy *p)
{
    const char *s = row->col[POL_CUR_NO];
    char q[96];
    if (!s)
        return 0;
    int rc = parse_long(s, -1, INT32_MAX, &p->cur_no);
    if (rc) {
        dur_quote(s, q, sizeof q);
        return row_fail(c, POL_CUR_NO,
                        "%s: %s; use a replica count 0 or more, or NULL", q,
                        rc == -1 ? "not a whole number" : "out of range");
    }
    return 0;
}

/* True when the metrics column text has an item `<name>.query=…`. */
static bool names_query(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p;) {
        p += strspn(p, " \t\r\n;");
        if (!strncmp(p, name, n) && !strncmp(p + n, ".query", 6)) {
            const char *e = p + n + 6;
            e += strspn(e, " \t");
            if (*e == '=')
                return true;
        }
        p += strcspn(p, ";\n");
    }
    return false;
}

/* cond_item, one of the metrics, or a query metric the metrics column
 * defines. */
static int parse_metric(const struct ctx *c, const struct pol_row *row,
                        struct policy *p)
{
    const char *s = row->col[POL_COND_ITEM];
    char q[96];
    if (!s)
        return row_fail(c, POL_COND_ITEM, "is NULL; use one of %s",
                        pol_metric_names);
    p->metric = pol_metric_find(s);
    if (!p->metric && names_query(row->col[POL_METRICS], s))
        p->metric = &pol_metric_query; /* its query in the metrics column */
    if (!p->metric) {
        dur_quote(s, q, sizeof q);
        return row_fail(c, POL_COND_ITEM, "%s: unknown metric; use one of %s%s",
                        q, pol_metric_names,
                        c->label ? ""
                                 : ", or a query metric's name with its query "
                                   "in the metrics column (<name>.query=...)");
    }
    return 0;
}

/* The thresholds, in the metric's unit; in_cond < out_cond. */
static int parse_thresholds(const struct ctx *c, const struct pol_row *row,
                            struct policy *p)
{
    char q[96], q2[96];
    if (parse_cond(c, row, POL_OUT_COND, p->metric, &p->out_cond) ||
        parse_cond(c, row, POL_IN_COND, p->metric, &p->in_cond))
        return -1;
    if (!(p->in_cond < p->out_cond)) {
        dur_quote(row->col[POL_IN_COND], q, sizeof q);
        dur_quote(row->col[POL_OUT_COND], q2, sizeof q2);
        return row_fail(c, POL_IN_COND,
                        "%s %s out_cond %s; in_cond (scale in below) must be "
                        "below out_cond (scale out above)",
                        q, p->in_cond == p->out_cond ? "equals" : "is above",
                        q2);
    }
    return 0;
}

static int parse_service_id(const struct ctx *c, const struct pol_row *row,
                            struct policy *p)
{
    const char *s = row->col[POL_SERVICE_ID];
    char e[320];
    if (!s)
        return row_fail(c, POL_SERVICE_ID, "is NULL; " SERVICE_FORMS);
    if (pol_service_ref_check(s, e, sizeof e))
        return row_fail(c, POL_SERVICE_ID, "%s", e);
    snprintf(p->service_id, sizeof p->service_id, "%s", s);
    return 0;
}

/* scale_mode, optional: NULL (or missing from an older table) is auto. */
static int parse_scale_mode(const struct ctx *c, const struct pol_row *row,
                            struct policy *p)
{
    const char *s = row->col[POL_SCALE_MODE];
    char q[96];
    p->mode = POL_MODE_AUTO;
    if (!s)
        return 0;
    for (int m = 0; m < POL_NMODES; m++)
        if (strcmp(s, pol_mode_names[m]) == 0) {
            p->mode = (enum pol_mode)m;
            return 0;
        }
    dur_quote(s, q, sizeof q);
    return row_fail(c, POL_SCALE_MODE,
                    "%s: unknown; use auto (sized to the load, the "
                    "default), band (auto, but scaling in only below "
                    "in_cond) or step (+1/-1 per action)",
                    q);
}

/* warmup, optional: NULL (or missing from an older table) is the
 * default. */
static int parse_warmup(const struct ctx *c, const struct pol_row *row,
                        struct policy *p)
{
    const char *s = row->col[POL_WARMUP];
    char q[96], e[320], lim[32];
    p->warmup_ms = POL_WARMUP_DEFAULT_MS;
    if (!s)
        return 0;
    if (dur_parse(s, &p->warmup_ms, e, sizeof e))
        return row_fail(c, POL_WARMUP, "%s", e);
    if (p->warmup_ms > POL_WARMUP_MAX_MS) {
        dur_quote(s, q, sizeof q);
        return row_fail(c, POL_WARMUP, "%s: longer than %s; use 0s to %s", q,
                        dur_format(POL_WARMUP_MAX_MS, lim, sizeof lim), lim);
    }
    return 0;
}

/* schedule, optional: NULL (or missing from an older table) is none. */
static int parse_schedule(const struct ctx *c, const struct pol_row *row,
                          struct policy *p)
{
    const char *s = row->col[POL_SCHEDULE];
    char e[480];
    _Static_assert(SCHED_REPLICAS_MAX == POL_REPLICAS_MAX,
                   "a scheduled bound is a replica bound");
    if (!s) {
        p->sched.n = 0;
        return 0;
    }
    if (sched_parse(s, &p->sched, e, sizeof e) ||
        sched_check_bounds(&p->sched, p->min_no, p->max_no, e, sizeof e))
        return row_fail(c, POL_SCHEDULE, "%s", e);
    return 0;
}

/* ---- named conditions: `<metric>.<key>` ---------------------------------
 */

/* The longest metric name of a named condition. */
#define COND_NAME_MAX 32
#define COND_NAME_FORMS                                                        \
    "a metric name is a lowercase letter, then lowercase letters, digits "     \
    "or '_', at most 32 bytes"
#define COND_KEY_FORMS                                                         \
    "out_cond, in_cond, out_duration, in_duration, query or target"

/* One `<metric>.<key>` and its value, from a label or the metrics column. */
struct cond_item {
    char metric[COND_NAME_MAX + 1];
    enum pol_cond_key key;
    const char *value; /* NUL-terminated (a label's, or a copy's) */
    const char *orig;  /* the value in the caller's text: olen bytes, what
                          a query borrows */
    size_t olen;
};

/* Names an item in a message: the label das.mem_ratio.out_cond, or the
 * metrics column's mem_ratio.out_cond. */
static int cond_fail(const struct ctx *c, const char *metric, const char *key,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int cond_fail(const struct ctx *c, const char *metric, const char *key,
                     const char *fmt, ...)
{
    char what[512], name[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(name, sizeof name, "%.40s%s%.40s", metric, key ? "." : "",
             key ? key : "");
    if (c->label)
        errf(c->err, c->errlen, "%s: label " POL_LABEL_PREFIX "%s: %s", c->who,
             name, what);
    else
        errf(c->err, c->errlen, "%s: %s %s: %s", c->who,
             pol_col_names[POL_METRICS], name, what);
    return -1;
}

/* Splits "<metric>.<key>" (n bytes of k) into it. 0, or -1 + the message
 * (named by the whole key text). */
static int cond_key_split(const struct ctx *c, const char *k, size_t n,
                          struct cond_item *it)
{
    char whole[96];
    snprintf(whole, sizeof whole, "%.*s", (int)(n < 80 ? n : 80), k);
    const char *dot = memchr(k, '.', n);
    size_t mlen = dot ? (size_t)(dot - k) : n;
    if (!dot)
        return cond_fail(c, whole, NULL,
                         "not <metric>.<key>; use e.g. mem_ratio.out_cond "
                         "with a key of " COND_KEY_FORMS);
    bool ok = mlen >= 1 && mlen <= COND_NAME_MAX && k[0] >= 'a' && k[0] <= 'z';
    for (size_t i = 0; ok && i < mlen; i++)
        ok = (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') ||
             k[i] == '_';
    if (!ok)
        return cond_fail(c, whole, NULL, "bad metric name; " COND_NAME_FORMS);
    memcpy(it->metric, k, mlen);
    it->metric[mlen] = '\0';
    const char *key = dot + 1;
    size_t klen = n - mlen - 1;
    for (int i = 0; i < POL_NCOND_KEYS; i++)
        if (strlen(pol_cond_key_names[i]) == klen &&
            !memcmp(key, pol_cond_key_names[i], klen)) {
            it->key = (enum pol_cond_key)i;
            return 0;
        }
    return cond_fail(c, whole, NULL, "unknown key; use " COND_KEY_FORMS);
}

/* A query's text: one line, no ';', 1..POL_QUERY_MAX bytes. */
static int check_query(const struct ctx *c, const char *name, const char *query)
{
    size_t n = strlen(query);
    if (n == 0 || strspn(query, " \t") == n)
        return cond_fail(c, name, "query", "is empty; give a PromQL query");
    if (n > POL_QUERY_MAX)
        return cond_fail(c, name, "query",
                         "is %zu bytes, longer than %d; a query is one "
                         "expression",
                         n, POL_QUERY_MAX);
    for (const unsigned char *b = (const unsigned char *)query; *b; b++)
        if (*b < 0x20 || *b == 0x7f || *b == ';')
            return cond_fail(c, name, "query",
                             "%s not allowed; a query is one line of "
                             "PromQL without ';'",
                             *b == ';' ? "';'" : "a control character");
    return 0;
}

/* A query metric's target: replica (the default) or service. */
static int check_target(const struct ctx *c, const char *name,
                        const char *target, struct pol_cond *pc)
{
    char q[96];
    pc->target = POL_TARGET_REPLICA;
    if (!target)
        return 0;
    size_t t = 0;
    while (t < 2 && strcmp(target, pol_target_names[t]))
        t++;
    if (t == 2)
        return cond_fail(c, name, "target",
                         "%s: unknown; use replica (the value per "
                         "replica, the default) or service (the "
                         "service's whole value)",
                         dur_quote(target, q, sizeof q));
    pc->target = (enum pol_target)t;
    return 0;
}

/* What a named condition reads: a ds field by its name, or the
 * operator's query (key query, one line, no ';', at most POL_QUERY_MAX
 * bytes) with its target. */
static int parse_source(const struct ctx *c, const char *name,
                        const struct cond_item *const *its, struct pol_cond *pc)
{
    const char *query = its[POL_CK_QUERY] ? its[POL_CK_QUERY]->value : NULL;
    const char *target = its[POL_CK_TARGET] ? its[POL_CK_TARGET]->value : NULL;
    snprintf(pc->name, sizeof pc->name, "%s", name);
    pc->metric = pol_metric_find(name);
    pc->query = NULL;
    pc->target = POL_TARGET_REPLICA;
    if (pc->metric) {
        if (query || target)
            return cond_fail(c, name, query ? "query" : "target",
                             "%s is a ds field: it takes no %s; name a query "
                             "metric otherwise, e.g. requests.query",
                             name, query ? "query" : "target");
        return 0;
    }
    if (!query)
        return cond_fail(c, name, NULL,
                         "unknown metric; use one of %s, or give it a "
                         "query (%s.query=<PromQL>)",
                         pol_metric_names, name);
    if (check_query(c, name, query))
        return -1;
    pc->metric = &pol_metric_query;
    pc->query = its[POL_CK_QUERY]->orig;
    pc->query_len = its[POL_CK_QUERY]->olen;
    return check_target(c, name, target, pc);
}

/* The named conditions of items, after the policy's first condition when
 * p->nconds is 1: grouped by metric in the order first named. */
static int parse_named(const struct ctx *c, const struct cond_item *items,
                       size_t n, struct policy *p)
{
    const char *vals[POL_CONDS_MAX][POL_NCOND_KEYS];
    const struct cond_item *its[POL_CONDS_MAX][POL_NCOND_KEYS];
    const char *names[POL_CONDS_MAX] = {0};
    size_t first = p->nconds, k = first;
    memset(vals, 0, sizeof vals);
    memset(its, 0, sizeof its);
    for (size_t i = 0; i < n; i++) {
        const struct cond_item *it = &items[i];
        const char *key = pol_cond_key_names[it->key];
        if (first && !strcmp(it->metric, p->conds[0].name)) {
            /* a table's cond_item naming a query metric: its query and
             * target here, its thresholds and windows in the columns */
            if (p->conds[0].metric == &pol_metric_query &&
                (it->key == POL_CK_QUERY || it->key == POL_CK_TARGET) &&
                !its[0][it->key]) {
                its[0][it->key] = it;
                continue;
            }
            return cond_fail(c, it->metric, key,
                             "%s is the policy's cond_item already; give "
                             "its condition in one place",
                             it->metric);
        }
        size_t j = first;
        while (j < k && strcmp(names[j], it->metric))
            j++;
        if (j == k) {
            if (k == POL_CONDS_MAX)
                return cond_fail(c, it->metric, key,
                                 "more than %d conditions; use at most %d "
                                 "metrics in a policy",
                                 POL_CONDS_MAX, POL_CONDS_MAX);
            names[k++] = it->metric;
        }
        if (vals[j][it->key])
            return cond_fail(c, it->metric, key,
                             "given twice; give each key once");
        vals[j][it->key] = it->value;
        its[j][it->key] = it;
    }
    if (first && p->conds[0].metric == &pol_metric_query) {
        struct pol_cond *pc = &p->conds[0];
        const struct cond_item *q = its[0][POL_CK_QUERY];
        const struct cond_item *t = its[0][POL_CK_TARGET];
        if (!q) /* parse_metric saw it in the text: cannot happen */
            return cond_fail(c, pc->name, "query", "is missing");
        if (check_query(c, pc->name, q->value) ||
            check_target(c, pc->name, t ? t->value : NULL, pc))
            return -1;
        pc->query = q->orig;
        pc->query_len = q->olen;
    }
    for (size_t j = first; j < k; j++) {
        struct pol_cond *pc = &p->conds[j];
        char e[320];
        if (parse_source(c, names[j], (const struct cond_item *const *)its[j],
                         pc))
            return -1;
        for (int key = POL_CK_OUT_COND; key <= POL_CK_IN_COND; key++) {
            const char *v = vals[j][key];
            double *t = key == POL_CK_OUT_COND ? &pc->out_cond : &pc->in_cond;
            if (!v)
                return cond_fail(c, names[j], pol_cond_key_names[key],
                                 "is missing: a named metric needs out_cond "
                                 "and in_cond; %s",
                                 unit_forms(pc->metric->kind));
            if (unit_parse(v, pc->metric->kind, t, e, sizeof e))
                return cond_fail(c, names[j], pol_cond_key_names[key], "%s", e);
        }
        if (!(pc->in_cond < pc->out_cond))
            return cond_fail(c, names[j], "in_cond",
                             "%s out_cond; in_cond (scale in below) must be "
                             "below out_cond (scale out above)",
                             pc->in_cond == pc->out_cond ? "equals"
                                                         : "is above");
        for (int key = POL_CK_OUT_DURATION; key <= POL_CK_IN_DURATION; key++) {
            enum pol_col col =
                key == POL_CK_OUT_DURATION ? POL_OUT_DURATION : POL_IN_DURATION;
            const char *v =
                vals[j][key] ? vals[j][key] : pol_col_label_default[col];
            int64_t *w = key == POL_CK_OUT_DURATION ? &pc->out_ms : &pc->in_ms;
            if (window_check(v, w, e, sizeof e))
                return cond_fail(c, names[j], pol_cond_key_names[key], "%s", e);
        }
    }
    p->nconds = k;
    return 0;
}

/* The metrics column: `<metric>.<key>=<value>` items separated by ';' or
 * newlines, blanks around each part ignored. */
static int parse_metrics_text(const struct ctx *c, const char *text,
                              struct policy *p)
{
    char buf[POL_METRICS_TEXT_MAX + 1];
    struct cond_item items[POL_CONDS_MAX * POL_NCOND_KEYS + 1];
    size_t n = 0, len = strlen(text);
    if (len > POL_METRICS_TEXT_MAX)
        return row_fail(c, POL_METRICS,
                        "is %zu bytes, longer than %d; name at most %d "
                        "metrics, each with " COND_KEY_FORMS,
                        len, POL_METRICS_TEXT_MAX, POL_CONDS_MAX);
    memcpy(buf, text, len + 1);
    for (char *save = NULL, *tok = strtok_r(buf, ";\n", &save); tok;
         tok = strtok_r(NULL, ";\n", &save)) {
        tok += strspn(tok, " \t\r");
        size_t tl = strlen(tok);
        while (tl && strchr(" \t\r", tok[tl - 1]))
            tok[--tl] = '\0';
        if (!tl)
            continue;
        char *eq = strchr(tok, '=');
        char q[96];
        if (!eq)
            return row_fail(c, POL_METRICS,
                            "%s: not <metric>.<key>=<value>; use e.g. "
                            "\"mem_ratio.out_cond=80%%; "
                            "mem_ratio.in_cond=40%%\"",
                            dur_quote(tok, q, sizeof q));
        char *kend = eq;
        while (kend > tok && strchr(" \t", kend[-1]))
            kend--;
        if (n == sizeof items / sizeof items[0])
            return row_fail(c, POL_METRICS,
                            "more than %zu items; give at most %d metrics "
                            "with " COND_KEY_FORMS,
                            n, POL_CONDS_MAX);
        if (cond_key_split(c, tok, (size_t)(kend - tok), &items[n]))
            return -1;
        const char *v = eq + 1 + strspn(eq + 1, " \t");
        items[n].value = v;
        items[n].orig = text + (v - buf); /* buf is text's copy */
        items[n++].olen = strlen(v);
    }
    return parse_named(c, items, n, p);
}

/* The one parser of a policy, whether its values come from a table row or
 * from service labels (c says which, for the messages). The columns are
 * read in this order, the first bad one named; the first condition is
 * skipped when first_cond is false (labels naming only further metrics),
 * the named conditions come last (items from labels, or the metrics
 * column). */
static int parse_row(struct ctx *c, const struct pol_row *row, struct policy *p,
                     bool first_cond, const struct cond_item *items,
                     size_t nitems)
{
    if (parse_seq(c, row, p) || parse_replicas(c, row, p) ||
        parse_cur_no(c, row, p))
        return -1;
    if (first_cond) {
        if (parse_metric(c, row, p) || parse_thresholds(c, row, p) ||
            parse_window(c, row, POL_OUT_DURATION, &p->out_ms) ||
            parse_window(c, row, POL_IN_DURATION, &p->in_ms))
            return -1;
        p->conds[0] = (struct pol_cond){.metric = p->metric,
                                        .out_cond = p->out_cond,
                                        .in_cond = p->in_cond,
                                        .out_ms = p->out_ms,
                                        .in_ms = p->in_ms};
        snprintf(p->conds[0].name, sizeof p->conds[0].name, "%s",
                 p->metric == &pol_metric_query ? row->col[POL_COND_ITEM]
                                                : p->metric->field);
        p->nconds = 1;
    }
    if (parse_service_id(c, row, p) || parse_scale_mode(c, row, p) ||
        parse_warmup(c, row, p))
        return -1;
    if (row->col[POL_METRICS] &&
        parse_metrics_text(c, row->col[POL_METRICS], p))
        return -1;
    if (nitems && parse_named(c, items, nitems, p))
        return -1;
    if (parse_schedule(c, row, p))
        return -1;
    pol_cond_view(p, 0, p);
    return parse_zero(c, row, p);
}

const char *pol_name(const struct policy *p)
{
    if (p->nconds > 0 && p->conds[0].metric == p->metric && p->conds[0].name[0])
        return p->conds[0].name;
    return p->metric ? p->metric->field : "?";
}

void pol_cond_view(const struct policy *p, size_t k, struct policy *view)
{
    struct pol_cond pc = p->conds[k];
    if (view != p)
        *view = *p;
    view->metric = pc.metric;
    view->out_cond = pc.out_cond;
    view->in_cond = pc.in_cond;
    view->out_ms = pc.out_ms;
    view->in_ms = pc.in_ms;
    if (view != p) {
        view->conds[0] = pc;
        view->nconds = 1;
    }
}

void pol_metrics_text(const struct policy *p, size_t from, char *buf,
                      size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t k = from; k < p->nconds; k++) {
        const struct pol_cond *c = &p->conds[k];
        const char *n = c->name;
        char oc[48], ic[48], od[32], id[32];
        int w = snprintf(
            buf + o, len - o,
            "%s%s.out_cond=%s; %s.in_cond=%s; "
            "%s.out_duration=%s; %s.in_duration=%s",
            o ? "; " : "", n,
            unit_format_exact(c->out_cond, c->metric->kind, oc, sizeof oc), n,
            unit_format_exact(c->in_cond, c->metric->kind, ic, sizeof ic), n,
            dur_format(c->out_ms, od, sizeof od), n,
            dur_format(c->in_ms, id, sizeof id));
        if (w < 0 || (size_t)w >= len - o) {
            buf[o] = '\0'; /* whole conditions only */
            return;
        }
        size_t at = o;
        o += (size_t)w;
        if (c->query) {
            w = snprintf(buf + o, len - o, "; %s.query=%.*s; %s.target=%s", n,
                         (int)c->query_len, c->query, n,
                         pol_target_names[c->target]);
            if (w < 0 || (size_t)w >= len - o) {
                buf[at] = '\0';
                return;
            }
            o += (size_t)w;
        }
    }
}

int pol_parse(const struct pol_row *row, struct policy *p, char *err,
              size_t errlen)
{
    struct ctx c = {"policy seq=?", false, err, errlen};
    memset(p, 0, sizeof *p);
    p->cur_no = -1;
    return parse_row(&c, row, p, true, NULL, 0);
}

/* ---- policies from service labels ---------------------------------------- */

bool pol_label_is_state(const char *key)
{
    size_t n = strlen(POL_LABEL_STATE);
    return key && !strncmp(key, POL_LABEL_STATE, n) &&
           (key[n] == '\0' || key[n] == '.');
}

bool pol_labels_have_policy(const struct pol_label *labels, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (labels[i].key &&
            !strncmp(labels[i].key, POL_LABEL_PREFIX,
                     strlen(POL_LABEL_PREFIX)) &&
            !pol_label_is_state(labels[i].key))
            return true;
    return false;
}

long pol_label_seq(const char *service_id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *s = (const unsigned char *)service_id; *s; s++) {
        h ^= *s;
        h *= 16777619u;
    }
    return -1L - (long)(h & 0x7fffffffu);
}

/* "das.min_no, das.max_no, …": the labels a policy may have. */
static void label_list(char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = '\0';
    for (int c = 0; c < POL_NCOLS; c++) {
        if (!pol_col_label[c])
            continue;
        int w = snprintf(out + o, outlen - o, "%s" POL_LABEL_PREFIX "%s",
                         o ? ", " : "", pol_col_names[c]);
        if (w < 0 || (size_t)w >= outlen - o)
            return;
        o += (size_t)w;
    }
}

void pol_labels_row(const char *service_id, long replicas,
                    const struct pol_label *labels, size_t n,
                    struct pol_row *row, char *seqbuf, char *curbuf)
{
    const size_t plen = strlen(POL_LABEL_PREFIX);
    memset(row, 0, sizeof *row);
    for (int col = 0; col < POL_NCOLS; col++)
        row->col[col] = pol_col_label[col] ? pol_col_label_default[col] : NULL;
    for (size_t i = 0; i < n; i++) {
        const char *k = labels[i].key;
        if (!k || strncmp(k, POL_LABEL_PREFIX, plen) != 0)
            continue;
        for (int col = 0; col < POL_NCOLS; col++)
            if (pol_col_label[col] && !strcmp(k + plen, pol_col_names[col]))
                row->col[col] = labels[i].value ? labels[i].value : "";
    }
    snprintf(seqbuf, 24, "%ld", pol_label_seq(service_id));
    snprintf(curbuf, 24, "%ld", replicas);
    row->col[POL_SEQ] = seqbuf;
    row->col[POL_CUR_NO] = replicas >= 0 ? curbuf : NULL;
    row->col[POL_SERVICE_ID] = service_id;
}

int pol_parse_labels(const char *service_name, const char *service_id,
                     long replicas, const struct pol_label *labels, size_t n,
                     struct policy *p, char *err, size_t errlen)
{
    struct ctx c = {"", true, err, errlen};
    struct pol_row row;
    char seq[24], cur[24], q[96];
    const size_t plen = strlen(POL_LABEL_PREFIX);
    bool has_max = false, one_metric = false;
    struct cond_item items[POL_CONDS_MAX * POL_NCOND_KEYS];
    size_t nitems = 0;

    memset(p, 0, sizeof *p);
    p->cur_no = -1;
    p->source = POL_SRC_LABELS;
    snprintf(c.who, sizeof c.who, "service %.63s", service_name);
    /* every das. label is a column's or a named condition's, and none is
     * cut */
    for (size_t i = 0; i < n; i++) {
        const char *k = labels[i].key;
        if (!k || strncmp(k, POL_LABEL_PREFIX, plen) != 0 ||
            pol_label_is_state(k))
            continue;
        if (strchr(k + plen, '.')) {
            struct cond_item it;
            if (cond_key_split(&c, k + plen, strlen(k + plen), &it))
                return -1;
            if (labels[i].cut)
                return cond_fail(&c, it.metric, pol_cond_key_names[it.key],
                                 "value too long; see `das policy add "
                                 "--help` for the forms accepted");
            if (nitems == sizeof items / sizeof items[0])
                return cond_fail(&c, it.metric, pol_cond_key_names[it.key],
                                 "more than %d conditions; use at most %d "
                                 "metrics in a policy",
                                 POL_CONDS_MAX, POL_CONDS_MAX);
            it.value = labels[i].value ? labels[i].value : "";
            it.orig = it.value;
            it.olen = strlen(it.value);
            items[nitems++] = it;
            continue;
        }
        int col = 0;
        while (col < POL_NCOLS &&
               !(pol_col_label[col] && !strcmp(k + plen, pol_col_names[col])))
            col++;
        if (col == POL_NCOLS) {
            char list[400];
            label_list(list, sizeof list);
            errf(err, errlen,
                 "%s: label %s: unknown; use %s, or " POL_LABEL_PREFIX
                 "<metric>.<key> with a key of " COND_KEY_FORMS,
                 c.who, dur_quote(k, q, sizeof q), list);
            return -1;
        }
        if (labels[i].cut)
            return row_fail(&c, (enum pol_col)col,
                            "value too long; see `das policy add --help` "
                            "for the forms accepted");
        if (col == POL_MAX_NO)
            has_max = true;
        if (col >= POL_COND_ITEM && col <= POL_IN_DURATION)
            one_metric = true;
    }
    if (!has_max)
        return row_fail(&c, POL_MAX_NO,
                        "is missing: a service has a label "
                        "policy when it sets it");
    pol_labels_row(service_id, replicas, labels, n, &row, seq, cur);
    return parse_row(&c, &row, p, one_metric || nitems == 0, items, nitems);
}
