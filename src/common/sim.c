/* The load model (docs/decisions.md) and the rules played on it. See
 * sim.h. Time: step k covers [t0 + k·DT, t0 + (k+1)·DT); its points are
 * stamped in the middle of the step, and the rule runs at the step's end,
 * now = t0 + (k+1)·DT, so a window of W·DT holds exactly W points of each
 * replica that existed all along. An action at step k takes effect from
 * step k+1. */
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cycle.h"
#include "qwin.h"
#include "stats.h"

const char *const sim_rule_names[SIM_NRULES] = {"das", "step", "hpa", "hpa-eq"};

int sim_rule_find(const char *name)
{
    for (int i = 0; name && i < SIM_NRULES; i++)
        if (!strcmp(name, sim_rule_names[i]))
            return i;
    return -1;
}

void sim_model_default(struct sim_model *m)
{
    m->cap = 100.0;
    m->limit = 100.0;
    m->warm_ms = 20000;
    m->start = 2;
    m->under_frac = 0.9;
    m->flap_ms = 600000;
}

/* ---- trace files ---- */

void sim_trace_free(struct sim_trace *tr)
{
    if (!tr)
        return;
    free(tr->demand);
    for (size_t c = 0; c + 1 < SIM_COLS_MAX; c++)
        free(tr->more[c]);
    memset(tr, 0, sizeof *tr);
}

const double *sim_trace_col(const struct sim_trace *tr, size_t c)
{
    return c == 0 ? tr->demand : tr->more[c - 1];
}

/* A strict decimal number (strtod, then nothing but the end of the
 * field). */
static int parse_num(const char *s, const char *end, double *out)
{
    char tmp[64], *e;
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    /* no hex, inf or nan: digits, sign, point and exponent only */
    if (strspn(tmp, "0123456789+-.eE") != n)
        return -1;
    errno = 0;
    *out = strtod(tmp, &e);
    if (errno || *e || !isfinite(*out))
        return -1;
    return 0;
}

/* True when the first line is a header naming the columns: its first
 * column is not a number ("t"). A first line of numbers is data without
 * one, and a first row with a typo further on is an error, not a header. */
static bool header_line(const char *p, const char *le)
{
    const char *c1 = memchr(p, ',', (size_t)(le - p));
    double t1;
    return parse_num(p, c1 ? c1 : le, &t1) != 0;
}

/* A column's name: a letter, then letters, digits or _, at most
 * SIM_COL_NAME_MAX bytes (a policy's metric names fit). */
static bool col_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > SIM_COL_NAME_MAX ||
        !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", *s))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789_",
                    s[i]) ||
            !s[i])
            return false;
    return true;
}

/* The header line [p, le): the columns' names. Two fields ("t,demand"):
 * one column, named when the name is one (else ""); three or more: each
 * load column named, each name once. -1 + err. */
static int header_parse(const char *p, const char *le, struct sim_trace *tr,
                        char *err, size_t errlen)
{
    const char *f = memchr(p, ',', (size_t)(le - p));
    size_t n = 0;
    for (const char *q = f; q; q = memchr(q + 1, ',', (size_t)(le - q - 1)))
        n++;
    tr->ncols = 1;
    if (n < 2) { /* "t,demand", "t,rps" */
        const char *s = f ? f + 1 : le;
        if (col_name_ok(s, (size_t)(le - s)))
            snprintf(tr->name[0], sizeof tr->name[0], "%.*s", (int)(le - s), s);
        return 0;
    }
    if (n > SIM_COLS_MAX) {
        errf(err, errlen,
             "line 1: %zu columns after t; a trace has at most %d (one a "
             "metric of the policy)",
             n, SIM_COLS_MAX);
        return -1;
    }
    tr->ncols = n;
    for (size_t c = 0; c < n; c++) {
        const char *s = f + 1, *e = memchr(s, ',', (size_t)(le - s));
        if (!e)
            e = le;
        if (!col_name_ok(s, (size_t)(e - s))) {
            errf(err, errlen,
                 "line 1: column %zu \"%.*s\" is not a metric's name (a "
                 "letter, then letters, digits or _, at most %d); the header "
                 "names each column: t,cpu_ratio,rps",
                 c + 2, (int)((e - s) > 40 ? 40 : (e - s)), s,
                 SIM_COL_NAME_MAX);
            return -1;
        }
        snprintf(tr->name[c], sizeof tr->name[c], "%.*s", (int)(e - s), s);
        for (size_t d = 0; d < c; d++)
            if (!strcmp(tr->name[d], tr->name[c])) {
                errf(err, errlen, "line 1: column %s named twice", tr->name[c]);
                return -1;
            }
        f = e;
    }
    return 0;
}

/* A trace's one column named after a metric ("t,rps"), not today's
 * "t,demand": read as a metric's column, empty cells and all. */
static bool named_col(const struct sim_trace *tr)
{
    return tr->name[0][0] && strcmp(tr->name[0], "demand");
}

/* A data line [p, le) of a trace of several columns: t and each value
 * (NAN for an empty cell). -1 + err naming the line. */
static int row_parse_cols(const struct sim_trace *tr, const char *p,
                          const char *le, size_t line, double *t, double *v,
                          char *err, size_t errlen)
{
    const char *f = p;
    size_t have = 1;
    for (const char *q = p; (q = memchr(q, ',', (size_t)(le - q))); q++)
        have++;
    if (have != tr->ncols + 1) {
        errf(err, errlen,
             "line %zu: %zu columns; the header names %zu (t and each "
             "metric; an empty cell is no value)",
             line, have, tr->ncols + 1);
        return -1;
    }
    const char *e = memchr(f, ',', (size_t)(le - f));
    if (parse_num(f, e, t)) {
        errf(err, errlen, "line %zu: t is not a number of seconds", line);
        return -1;
    }
    for (size_t c = 0; c < tr->ncols; c++) {
        f = e + 1;
        e = memchr(f, ',', (size_t)(le - f));
        if (!e)
            e = le;
        if (e == f) {
            v[c] = NAN;
            continue;
        }
        if (parse_num(f, e, &v[c]) || v[c] < 0 || v[c] > SIM_DEMAND_MAX) {
            errf(err, errlen,
                 "line %zu: %s is not a number from 0 to %.0f (or empty: no "
                 "value)",
                 line, tr->name[c], SIM_DEMAND_MAX);
            return -1;
        }
    }
    return 0;
}

/* A data line [p, le) as its two numbers; -1 + err naming the line. */
static int row_parse(const char *p, const char *le, size_t line, double *t,
                     double *d, char *err, size_t errlen)
{
    const char *comma = memchr(p, ',', (size_t)(le - p));
    if (!comma) {
        errf(err, errlen,
             "line %zu: one column; a trace is CSV \"t,demand\" (t in "
             "seconds, demand in percent of one core)",
             line);
        return -1;
    }
    if (memchr(comma + 1, ',', (size_t)(le - comma - 1))) {
        errf(err, errlen, "line %zu: more than two columns; use \"t,demand\"",
             line);
        return -1;
    }
    if (parse_num(p, comma, t)) {
        errf(err, errlen, "line %zu: t is not a number of seconds", line);
        return -1;
    }
    if (parse_num(comma + 1, le, d) || *d < 0 || *d > SIM_DEMAND_MAX) {
        errf(err, errlen,
             "line %zu: demand is not a number from 0 to %.0f (percent "
             "of one core)",
             line, SIM_DEMAND_MAX);
        return -1;
    }
    return 0;
}

/* Checks that t, a row after the first, keeps the even spacing: the second
 * row sets the step (tr->dt_ms), each later one must fall on it. -1 + err
 * naming the line. */
static int row_spacing(struct sim_trace *tr, size_t line, double t,
                       double t_first, double t_prev, char *err, size_t errlen)
{
    if (tr->n == 1) {
        if (!(t > t_prev) || t - t_prev > 86400) {
            errf(err, errlen,
                 "line %zu: t must rise by a step of at most 1 day", line);
            return -1;
        }
        tr->dt_ms = (int64_t)llround((t - t_prev) * 1000.0);
        if (tr->dt_ms < 1) {
            errf(err, errlen, "line %zu: steps shorter than 1ms", line);
            return -1;
        }
        return 0;
    }
    double want = t_first + (double)tr->n * (double)tr->dt_ms / 1000.0;
    if (fabs(t - want) > (double)tr->dt_ms / 10000.0) {
        errf(err, errlen,
             "line %zu: t %g breaks the even spacing of %gs (expected %g)",
             line, t, (double)tr->dt_ms / 1000.0, want);
        return -1;
    }
    return 0;
}

int sim_trace_parse(const char *text, size_t len, struct sim_trace *tr,
                    char *err, size_t errlen)
{
    size_t cap = 0, line = 0;
    double t_first = 0, t_prev = 0;
    const char *p = text, *end = text + len;
    bool header = false;

    memset(tr, 0, sizeof *tr);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        line++;
        if (le > p && le[-1] == '\r')
            le--;
        if (le == p) { /* blank */
            p = next;
            continue;
        }
        if (memchr(p, '\0', (size_t)(le - p))) {
            errf(err, errlen, "line %zu: a NUL byte; a trace is text", line);
            goto fail;
        }
        if (!header) {
            header = true;
            if (header_line(p, le)) {
                if (header_parse(p, le, tr, err, errlen))
                    goto fail;
                p = next;
                continue;
            }
        }
        double t, d, v[SIM_COLS_MAX] = {0}; /* filled by row_parse_cols */
        if (tr->ncols > 1 || named_col(tr)) {
            if (row_parse_cols(tr, p, le, line, &t, v, err, errlen))
                goto fail;
            d = v[0];
        } else if (row_parse(p, le, line, &t, &d, err, errlen)) {
            goto fail;
        }
        if (tr->n >= SIM_TRACE_MAX_ROWS) {
            errf(err, errlen, "more than %d rows; split the trace",
                 SIM_TRACE_MAX_ROWS);
            goto fail;
        }
        if (tr->n == 0)
            t_first = t;
        else if (row_spacing(tr, line, t, t_first, t_prev, err, errlen))
            goto fail;
        if (tr->n == cap) {
            cap = cap ? cap * 2 : 1024;
            tr->demand = xrealloc(tr->demand, cap * sizeof *tr->demand);
            for (size_t c = 1; c < tr->ncols; c++)
                tr->more[c - 1] =
                    xrealloc(tr->more[c - 1], cap * sizeof *tr->more[c - 1]);
        }
        for (size_t c = 1; c < tr->ncols; c++)
            tr->more[c - 1][tr->n] = v[c];
        tr->demand[tr->n++] = d;
        t_prev = t;
        p = next;
    }
    if (tr->n < 2) {
        errf(err, errlen, "%s; a trace needs at least two rows of \"t,demand\"",
             tr->n ? "one row" : "no rows");
        goto fail;
    }
    if (fabs(t_first) > 1e12) {
        errf(err, errlen, "t %g is out of range", t_first);
        goto fail;
    }
    tr->t0_ms = (int64_t)llround(t_first * 1000.0);
    return 0;
fail:
    sim_trace_free(tr);
    return -1;
}

/* ---- the model ---- */

/* Replicas as a stack, oldest first: a scale-in pops the youngest. Each
 * keeps, for each condition whose points it reports (a ds field; slot 0
 * always), the prefix sums of its points since it was created. */
struct replica {
    size_t created;            /* first step it exists in */
    double *sum[SIM_COLS_MAX]; /* sum[c][i] = Σ points of steps
                                  created..created+i-1 */
    double *val[SIM_COLS_MAX]; /* val[c][i] = point of step created+i */
};

struct model {
    const struct sim_trace *tr;
    const struct sim_model *m;
    struct replica *r;
    size_t n, cap;
    size_t horizon;            /* steps in the trace */
    bool points[SIM_COLS_MAX]; /* the slots replicas report points in */
};

static void replica_push(struct model *md, size_t created)
{
    if (md->n == md->cap) {
        md->cap = md->cap ? md->cap * 2 : 16;
        md->r = xrealloc(md->r, md->cap * sizeof *md->r);
    }
    struct replica *r = &md->r[md->n++];
    size_t len = md->horizon - (created < md->horizon ? created : md->horizon);
    memset(r, 0, sizeof *r);
    r->created = created;
    for (size_t c = 0; c < SIM_COLS_MAX; c++) {
        if (!md->points[c])
            continue;
        r->sum[c] = xcalloc(len + 1, sizeof *r->sum[c]);
        r->val[c] = xcalloc(len + 1, sizeof *r->val[c]);
    }
}

static void replica_pop(struct model *md)
{
    struct replica *r = &md->r[--md->n];
    for (size_t c = 0; c < SIM_COLS_MAX; c++) {
        free(r->sum[c]);
        free(r->val[c]);
    }
}

/* Serving at step k: created long enough before. The replicas of t0 serve
 * from the start. */
static bool serving(const struct model *md, const struct replica *r, size_t k)
{
    if (r->created == 0)
        return true;
    int64_t age = (int64_t)(k - r->created) * md->tr->dt_ms;
    return k >= r->created && age >= md->m->warm_ms;
}

/* The rule's clock: step k starts at SIM_EPOCH_MS + k·DT whatever the
 * trace's own t (which may be 0 or negative), since to the decision
 * engine a last action at time 0 or before means "none". */
#define SIM_EPOCH_MS 1000000000000LL

static int64_t rule_t(const struct sim_trace *tr, size_t k)
{
    return SIM_EPOCH_MS + (int64_t)k * tr->dt_ms;
}

static int64_t step_t(const struct sim_trace *tr, size_t k)
{
    return tr->t0_ms + (int64_t)k * tr->dt_ms;
}

/* The replica's aggregate of slot c over the steps [from, k] (what
 * InfluxDB returns for one container), added to w. Replicas younger than
 * warmup_ms are left out and counted in w->warming. */
static void window_add(const struct model *md, const struct replica *r,
                       size_t c, size_t k, size_t from, int64_t warmup_ms,
                       struct dec_window *w)
{
    const struct sim_trace *tr = md->tr;
    int64_t now = rule_t(tr, k + 1);
    int64_t created_ms = rule_t(tr, r->created);
    if (r->created > 0 && now - created_ms < warmup_ms) {
        w->warming++;
        return;
    }
    size_t lo = from > r->created ? from : r->created;
    if (lo > k)
        return;
    size_t i0 = lo - r->created, i1 = k - r->created + 1;
    const double *sum = r->sum[c], *val = r->val[c];
    struct cyc_ctr ctr = {
        .mean = (sum[i1] - sum[i0]) / (double)(i1 - i0),
        .count = (long)(i1 - i0),
        .first_ms = rule_t(tr, lo) + tr->dt_ms / 2,
        .last_ms = rule_t(tr, k) + tr->dt_ms / 2,
        .last = val[k - r->created],
        .max = val[i0],
    };
    for (size_t i = i0; i < i1; i++)
        if (val[i] > ctr.max)
            ctr.max = val[i];
    cyc_window_add(w, &ctr, now - 2 * tr->dt_ms);
}

static void window_build(const struct model *md, size_t c, size_t k,
                         int64_t dur_ms, int64_t warmup_ms,
                         struct dec_window *w)
{
    int64_t now = rule_t(md->tr, k + 1);
    int64_t steps = dur_ms / md->tr->dt_ms;
    size_t from =
        (int64_t)k + 1 >= steps ? (size_t)((int64_t)k + 1 - steps) : 0;
    cyc_window_init(w, now - dur_ms);
    for (size_t i = 0; i < md->n; i++)
        window_add(md, &md->r[i], c, k, from, warmup_ms, w);
}

/* HPA's recommendations so far, for its stabilization windows. */
struct hpa_state {
    long *rec; /* by step */
};

static long ceil_long(double x)
{
    if (x > 1e9)
        return 1000000000L;
    return (long)ceil(x - 1e-9);
}

/* The reference HPA: desired = ceil(n · current / target) from the latest
 * points of the serving replicas, 10% tolerance, up at most to
 * max(2n, n+4), down only to the highest recommendation of the last
 * in_duration; hpa-eq also up only to the lowest of the last
 * out_duration. */
static long hpa_decide(const struct model *md, struct hpa_state *hs,
                       const struct policy *pol, bool eq, size_t k,
                       double *current)
{
    long n = (long)md->n, nserv = 0;
    double sum = 0;
    for (size_t i = 0; i < md->n; i++)
        if (serving(md, &md->r[i], k)) {
            sum += md->r[i].val[0][k - md->r[i].created];
            nserv++;
        }
    long rec = n;
    *current = NAN;
    if (nserv > 0) {
        double cur = sum / (double)nserv, ratio = cur / pol->out_cond;
        *current = cur;
        if (fabs(ratio - 1.0) > 0.1)
            rec = ceil_long((double)n * ratio);
    }
    if (rec < pol->min_no)
        rec = pol->min_no;
    if (rec > pol->max_no)
        rec = pol->max_no;
    hs->rec[k] = rec;

    int64_t dt = md->tr->dt_ms;
    size_t down_w = (size_t)(pol->in_ms / dt),
           up_w = (size_t)(pol->out_ms / dt);
    long up = rec, down = rec;
    for (size_t j = k; j + down_w > k && j != (size_t)-1; j--)
        if (hs->rec[j] > down)
            down = hs->rec[j];
    if (eq)
        for (size_t j = k; j + up_w > k && j != (size_t)-1; j--)
            if (hs->rec[j] < up)
                up = hs->rec[j];
    long to = n;
    if (n < up)
        to = up;
    else if (n > down)
        to = down;
    long limit = 2 * n > n + 4 ? 2 * n : n + 4;
    if (to > limit)
        to = limit;
    if (to > pol->max_no)
        to = pol->max_no;
    if (to < pol->min_no)
        to = pol->min_no;
    return to;
}

static void add_action(struct sim_result *res, size_t *cap, int64_t t,
                       long from, long to, const char *outcome,
                       const char *reason)
{
    if (res->nactions == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        res->actions = xrealloc(res->actions, *cap * sizeof *res->actions);
    }
    struct sim_action *a = &res->actions[res->nactions++];
    a->t_ms = t;
    a->from = from;
    a->to = to;
    a->outcome = outcome;
    snprintf(a->reason, sizeof a->reason, "%s", reason);
}

/* ---- playing a policy ---- */

/* What a play knows besides the model: the policy, each condition's
 * column and how its points are made. */
struct play {
    const struct sim_trace *tr;
    const struct sim_model *m;
    struct policy pol; /* with the rule's scale_mode */
    bool named;        /* conditions bound to named columns (sim_bind) */
    size_t n;          /* conditions played */
    struct policy view[POL_CONDS_MAX]; /* each as a policy (pol_cond_view) */
    const char *field[POL_CONDS_MAX];  /* each one's name */
    bool query[POL_CONDS_MAX];
    const double *load[POL_CONDS_MAX]; /* its column */
    double cap[POL_CONDS_MAX];   /* a replica's capacity (INFINITY: none) */
    double limit[POL_CONDS_MAX]; /* what the engine is told (NAN: none) */
    struct qwin_sample *qs[POL_CONDS_MAX]; /* a query's samples (heap) */
    size_t nqs[POL_CONDS_MAX], lo[POL_CONDS_MAX], hi[POL_CONDS_MAX];
    const struct tz *zone;
};

void sim_caps(const struct pol_metric *met, const struct sim_model *m,
              double *cap, double *limit)
{
    *cap = INFINITY;
    *limit = NAN;
    if (met->bit == STATS_F_CPU_RATIO) {
        *cap = m->cap;
        *limit = m->limit;
    } else if (met->bit == STATS_F_CPU_LIMIT_RATIO) {
        *cap = 100.0;
        *limit = 100.0;
    } else if (met->kind == UNIT_RATIO) {
        *cap = 100.0;
    }
}

/* A query's samples, one a step in its middle (as the replicas' points),
 * an empty cell left out. */
static void query_samples(struct play *pl, size_t c)
{
    const struct sim_trace *tr = pl->tr;
    pl->qs[c] = xcalloc(tr->n ? tr->n : 1, sizeof *pl->qs[c]);
    for (size_t k = 0; k < tr->n; k++) {
        if (!isfinite(pl->load[c][k]))
            continue;
        struct qwin_sample *q = &pl->qs[c][pl->nqs[c]++];
        q->t_ms = rule_t(tr, k) + tr->dt_ms / 2;
        q->v = pl->load[c][k];
    }
}

static void play_init(struct play *pl, const struct sim_trace *tr,
                      const struct policy *pol, const size_t *col,
                      enum sim_rule rule, const struct sim_model *m,
                      const struct tz *zone)
{
    memset(pl, 0, sizeof *pl);
    pl->tr = tr;
    pl->m = m;
    pl->pol = *pol;
    pl->zone = zone;
    if (rule == SIM_RULE_STEP)
        pl->pol.mode = POL_MODE_STEP;
    pl->named = col != NULL;
    /* today's one-column trace: the policy's one metric, as given (a
     * hand-made policy may have no conds[]) */
    pl->n = pl->named ? pol->nconds : 1;
    for (size_t c = 0; c < pl->n; c++) {
        if (pl->n > 1)
            pol_cond_view(&pl->pol, c, &pl->view[c]);
        else
            pl->view[c] = pl->pol;
        pl->field[c] = pl->n > 1 ? pl->pol.conds[c].name : pol_name(&pl->pol);
        pl->load[c] = sim_trace_col(tr, pl->named ? col[c] : 0);
        pl->query[c] = pl->view[c].metric == &pol_metric_query;
        if (!pl->named) {
            pl->cap[c] = m->cap;
            pl->limit[c] = m->limit;
        } else if (pl->query[c]) {
            pl->cap[c] = INFINITY;
            pl->limit[c] = NAN;
            query_samples(pl, c);
        } else {
            sim_caps(pl->view[c].metric, m, &pl->cap[c], &pl->limit[c]);
        }
    }
}

static void play_cleanup(struct play *pl)
{
    for (size_t c = 0; c < pl->n; c++)
        free(pl->qs[c]);
}

/* The samples of query c in (now - win_ms, now]: [lo, hi) moves on with
 * the steps. */
static const struct qwin_sample *
query_range(struct play *pl, size_t c, int64_t now, int64_t win_ms, size_t *n)
{
    while (pl->lo[c] < pl->nqs[c] && pl->qs[c][pl->lo[c]].t_ms < now - win_ms)
        pl->lo[c]++;
    if (pl->hi[c] < pl->lo[c])
        pl->hi[c] = pl->lo[c];
    while (pl->hi[c] < pl->nqs[c] && pl->qs[c][pl->hi[c]].t_ms <= now)
        pl->hi[c]++;
    *n = pl->hi[c] - pl->lo[c];
    return pl->qs[c] + pl->lo[c];
}

/* A query metric decided as das run decides it: qwin_decide on the
 * samples over qwin_span before now; unusable samples are "metrics
 * unavailable" with why, as in das run. */
static void decide_query(struct play *pl, size_t c, struct dec_input *in,
                         struct dec_result *out, bool *idle)
{
    const struct pol_cond *pc = &in->pol->conds[0]; /* the view's own */
    const char *name = pl->field[c];
    size_t n;
    const struct qwin_sample *s =
        query_range(pl, c, in->now_ms, qwin_span(in->pol), &n);
    char why[200];
    if (qwin_decide(in, name, pc->target, s, n, out, idle, why, sizeof why)) {
        memset(out, 0, sizeof *out);
        out->outcome = DEC_O_METRICS_DOWN;
        out->from = out->to = in->actual;
        out->observed = out->threshold = NAN;
        snprintf(out->reason, sizeof out->reason, "no decision: %s: %s", name,
                 why);
    }
}

/* The rule after step k's points: each condition on its own windows,
 * their combination, and for a policy of min_no 0 the way to zero. */
static void decide(struct play *pl, const struct model *md, size_t k,
                   const struct dec_input *base, struct dec_result *out)
{
    struct dec_result res[POL_CONDS_MAX] = {0}; /* pl->n >= 1 fill it */
    bool idle = true;
    for (size_t c = 0; c < pl->n; c++) {
        struct dec_input in = *base;
        struct policy *v = &pl->view[c];
        v->cur_no = base->actual;
        in.pol = v;
        in.limit = pl->limit[c];
        if (pl->query[c]) {
            bool qi;
            cyc_window_init(&in.out_win, in.now_ms - v->out_ms);
            cyc_window_init(&in.in_win, in.now_ms - v->in_ms);
            decide_query(pl, c, &in, &res[c], &qi);
            idle = idle && qi;
        } else {
            window_build(md, c, k, v->out_ms, v->warmup_ms, &in.out_win);
            window_build(md, c, k, v->in_ms, v->warmup_ms, &in.in_win);
            dec_evaluate(&in, &res[c]);
            idle = false;
        }
    }
    if (pl->n > 1)
        dec_combine(res, pl->n, pl->field, out);
    else
        *out = res[0];
    if (pl->named && pl->pol.min_no == 0) {
        struct dec_input in = *base;
        pl->pol.cur_no = base->actual;
        in.pol = &pl->pol;
        dec_idle(&in, pl->n > 1 ? "every metric" : pl->field[0], idle, out);
    }
}

/* Step k's points: the serving replicas share each ds field's demand
 * (at most their capacity each; replicas starting up report 0); what
 * each condition saw, into res->metrics. */
static void step_points(struct play *pl, struct model *md, size_t k,
                        struct sim_result *res)
{
    long nserv = 0;
    for (size_t i = 0; i < md->n; i++)
        if (serving(md, &md->r[i], k))
            nserv++;
    struct sim_step *st = &res->steps[k];
    st->t_ms = step_t(pl->tr, k);
    st->demand = pl->load[0][k];
    st->replicas = (long)md->n;
    st->serving = nserv;
    for (size_t c = 0; c < pl->n; c++) {
        double d = pl->load[c][k], seen, total = 0;
        if (pl->query[c]) {
            bool whole = pl->view[c].conds[c].target == POL_TARGET_SERVICE;
            seen = whole ? d : md->n ? d / (double)md->n : NAN;
        } else {
            double share = 0;
            if (nserv > 0)
                share = fmin(pl->cap[c], d / (double)nserv);
            for (size_t i = 0; i < md->n; i++) {
                struct replica *r = &md->r[i];
                size_t j = k - r->created;
                double v = serving(md, r, k) ? share : 0.0;
                r->val[c][j] = v;
                r->sum[c][j + 1] = r->sum[c][j] + v;
                total += v;
            }
            seen = md->n ? total / (double)md->n : NAN;
        }
        if (c == 0)
            st->observed = seen;
        if (pl->named) {
            res->metrics.load[k * pl->n + c] = d;
            res->metrics.seen[k * pl->n + c] = seen;
        }
    }
}

/* Users wait in step k: a ds field's demand above under_frac of the
 * serving replicas' capacity, or a query reading requests with no replica
 * serving. */
static bool step_waits(const struct play *pl, const struct sim_step *st,
                       size_t k)
{
    for (size_t c = 0; c < pl->n; c++) {
        double d = pl->load[c][k];
        if (pl->query[c]
                ? (d > 0 && st->serving == 0)
                : (isfinite(pl->cap[c]) &&
                   d > pl->m->under_frac * pl->cap[c] * (double)st->serving))
            return true;
    }
    return false;
}

/* The scores a play of several metrics adds: waits on every metric, and
 * the wake-ups of a policy that goes to zero. */
static void play_scores(const struct play *pl, struct sim_result *res)
{
    struct sim_scores *sc = &res->scores;
    double dt_min = (double)pl->tr->dt_ms / 60000.0, sum = 0;
    size_t wait_from = SIZE_MAX;
    sc->under_min = 0;
    for (size_t k = 0; k < res->nsteps; k++) {
        const struct sim_step *st = &res->steps[k];
        bool asked = false;
        if (step_waits(pl, st, k))
            sc->under_min += dt_min;
        for (size_t c = 0; c < pl->n; c++)
            asked = asked || (pl->query[c] && pl->load[c][k] > 0);
        if (st->serving == 0 && asked && wait_from == SIZE_MAX)
            wait_from = k;
        if (st->serving > 0 && wait_from != SIZE_MAX) {
            double s = (double)(k - wait_from) * (double)pl->tr->dt_ms / 1000.0;
            sc->wakes++;
            sum += s;
            if (s > sc->wake_max_s)
                sc->wake_max_s = s;
            wait_from = SIZE_MAX;
        }
    }
    sc->wake_mean_s = sc->wakes ? sum / (double)sc->wakes : 0;
}

static void play_steps(struct play *pl, enum sim_rule rule,
                       struct sim_result *res)
{
    const struct sim_trace *tr = pl->tr;
    const struct sim_model *m = pl->m;
    struct model md = {.tr = tr, .m = m, .horizon = tr->n};
    struct hpa_state hs = {0};
    size_t acap = 0;
    int64_t last_action = 0;
    bool last_bet = false, last_out = false;

    md.points[0] = true; /* the reference rules read slot 0 */
    for (size_t c = 0; c < pl->n; c++)
        md.points[c] = md.points[c] || !pl->query[c];
    if (rule == SIM_RULE_HPA || rule == SIM_RULE_HPA_EQ)
        hs.rec = xcalloc(tr->n ? tr->n : 1, sizeof *hs.rec);
    for (long i = 0; i < m->start; i++)
        replica_push(&md, 0);

    for (size_t k = 0; k < tr->n; k++) {
        step_points(pl, &md, k, res);
        /* the schedule at the rule's moment, by the trace's clock */
        struct sched_now sn;
        bool sched = pl->pol.sched.n > 0;
        if (sched)
            sched_eval(&pl->pol.sched, pl->zone, step_t(tr, k + 1),
                       pl->pol.min_no, pl->pol.max_no, &sn);
        if (sched) {
            res->metrics.min_no[k] = sn.min_no;
            res->metrics.max_no[k] = sn.max_no;
        }

        /* the rule, after the step's points */
        long from = (long)md.n, to = from;
        const char *outcome = NULL;
        char reason[256] = "";
        if (rule == SIM_RULE_HPA || rule == SIM_RULE_HPA_EQ) {
            double cur;
            to = hpa_decide(&md, &hs, &pl->pol, rule == SIM_RULE_HPA_EQ, k,
                            &cur);
            outcome = to > from ? "scale-out" : "scale-in";
            snprintf(reason, sizeof reason,
                     "%s: current cpu_ratio %.1f%%, target %.0f%%: %ld \u2192 "
                     "%ld",
                     sim_rule_names[rule], cur, pl->pol.out_cond, from, to);
        } else {
            struct dec_input in = {0};
            struct dec_result r;
            in.now_ms = rule_t(tr, k + 1);
            in.ds_interval_ms = tr->dt_ms;
            in.found = true;
            in.actual = from;
            in.last_action_ms = last_action;
            in.last_bet = last_bet;
            in.last_out = last_out;
            in.running = from; /* every replica of the model reports */
            in.sched = sched ? &sn : NULL;
            decide(pl, &md, k, &in, &r);
            if (r.action != DEC_NONE) {
                to = r.to;
                last_bet = r.bet;
                last_out = r.to > r.from;
                outcome = dec_outcome_names[r.outcome];
                snprintf(reason, sizeof reason, "%s", r.reason);
            }
        }
        if (to == from)
            continue;
        add_action(res, &acap, step_t(tr, k), from, to, outcome, reason);
        last_action = rule_t(tr, k + 1) - tr->dt_ms / 2;
        /* (md.n > 0: a valid policy never asks for fewer than one, but
         * clang's analyzer cannot know it and pops an empty model) */
        while (md.n > 0 && (long)md.n > to)
            replica_pop(&md);
        while ((long)md.n < to)
            replica_push(&md, k + 1);
    }
    while (md.n)
        replica_pop(&md);
    free(md.r);
    free(hs.rec);
}

static void play(const struct sim_trace *tr, const struct policy *pol,
                 const size_t *col, enum sim_rule rule,
                 const struct sim_model *m, const struct tz *zone,
                 struct sim_result *res)
{
    struct play pl;
    struct tz utc;
    tz_init_utc(&utc);
    play_init(&pl, tr, pol, col, rule, m, zone ? zone : &utc);
    memset(res, 0, sizeof *res);
    res->steps = xcalloc(tr->n ? tr->n : 1, sizeof *res->steps);
    res->nsteps = tr->n;
    if (pl.named) {
        struct sim_metrics *mt = &res->metrics;
        mt->n = pl.n;
        for (size_t c = 0; c < pl.n; c++)
            snprintf(mt->name[c], sizeof mt->name[c], "%s", pl.field[c]);
        mt->load = xcalloc(tr->n * pl.n + 1, sizeof *mt->load);
        mt->seen = xcalloc(tr->n * pl.n + 1, sizeof *mt->seen);
    }
    if (pol->sched.n) {
        res->metrics.min_no = xcalloc(tr->n + 1, sizeof *res->metrics.min_no);
        res->metrics.max_no = xcalloc(tr->n + 1, sizeof *res->metrics.max_no);
    }
    play_steps(&pl, rule, res);
    sim_score(res->steps, res->nsteps, res->actions, res->nactions, tr->dt_ms,
              m, &res->scores);
    if (pl.named)
        play_scores(&pl, res);
    play_cleanup(&pl);
    tz_cleanup(&utc);
}

void sim_run(const struct sim_trace *tr, const struct policy *pol,
             enum sim_rule rule, const struct sim_model *m,
             struct sim_result *res)
{
    play(tr, pol, NULL, rule, m, NULL, res);
}

void sim_play(const struct sim_trace *tr, const struct policy *pol,
              const size_t *col, enum sim_rule rule, const struct sim_model *m,
              const struct tz *zone, struct sim_result *res)
{
    play(tr, pol, col, rule, m, zone, res);
    if (!col || pol->min_no != 0)
        return;
    /* what the same policy costs when it never goes below one replica */
    struct policy floor1 = *pol;
    struct sim_result fr;
    floor1.min_no = 1;
    play(tr, &floor1, col, rule, m, zone, &fr);
    res->scores.zero = true;
    res->scores.floor_min = fr.scores.replica_min;
    res->scores.saved_min = fr.scores.replica_min - res->scores.replica_min;
    sim_result_free(&fr);
}

int sim_bind(const struct sim_trace *tr, const struct policy *pol, size_t *col,
             char *err, size_t errlen)
{
    size_t ncols = tr->ncols ? tr->ncols : 1, found = 0;
    char missing[200] = "";
    for (size_t k = 0; k < pol->nconds; k++) {
        const char *name = pol->conds[k].name;
        size_t c = 0;
        while (c < ncols && strcmp(tr->name[c], name))
            c++;
        if (c == ncols) {
            size_t have = strlen(missing);
            snprintf(missing + have, sizeof missing - have, "%s%s",
                     have ? ", " : "", name);
            continue;
        }
        col[k] = c;
        found++;
        const double *v = sim_trace_col(tr, c);
        for (size_t i = 0; !pol->conds[k].query && i < tr->n; i++)
            if (!isfinite(v[i])) {
                errf(err, errlen,
                     "column %s has an empty cell (row %zu): only a query "
                     "metric's column may (a ds field's replicas always "
                     "report)",
                     name, i + 1);
                return -1;
            }
    }
    if (pol->nconds > 0 && found == pol->nconds)
        return 0;
    if (ncols == 1 && found == 0) {
        for (size_t i = 0; i < tr->n; i++)
            if (!isfinite(tr->demand[i])) {
                errf(err, errlen,
                     "column %s names no metric of the policy, and has an "
                     "empty cell (row %zu): as CPU demand every row needs "
                     "a value; name the policy's metric in the header",
                     tr->name[0], i + 1);
                return -1;
            }
        return 1;
    }
    errf(err, errlen,
         "the policy's %s %s no column in the trace; name each metric's "
         "column in the header, e.g. t,cpu_ratio,rps",
         missing, strchr(missing, ',') ? "have" : "has");
    return -1;
}

void sim_score(const struct sim_step *steps, size_t nsteps,
               const struct sim_action *actions, size_t nactions, int64_t dt_ms,
               const struct sim_model *m, struct sim_scores *out)
{
    double dt_min = (double)dt_ms / 60000.0;
    memset(out, 0, sizeof *out);
    for (size_t k = 0; k < nsteps; k++) {
        const struct sim_step *s = &steps[k];
        if (s->demand > m->under_frac * m->cap * (double)s->serving)
            out->under_min += dt_min;
        out->replica_min += (double)s->replicas * dt_min;
    }
    out->actions = (long)nactions;
    for (size_t i = 1; i < nactions; i++) {
        const struct sim_action *a = &actions[i - 1], *b = &actions[i];
        bool up_a = a->to > a->from, up_b = b->to > b->from;
        if (up_a != up_b && b->t_ms - a->t_ms < m->flap_ms)
            out->flaps++;
    }
}

void sim_result_free(struct sim_result *res)
{
    if (!res)
        return;
    free(res->steps);
    free(res->actions);
    free(res->metrics.load);
    free(res->metrics.seen);
    free(res->metrics.min_no);
    free(res->metrics.max_no);
    memset(res, 0, sizeof *res);
}
