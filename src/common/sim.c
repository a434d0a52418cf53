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
    memset(tr, 0, sizeof *tr);
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
                p = next;
                continue;
            }
        }
        double t, d;
        if (row_parse(p, le, line, &t, &d, err, errlen))
            goto fail;
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
        }
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
 * keeps the prefix sums of its points since it was created. */
struct replica {
    size_t created; /* first step it exists in */
    double *sum;    /* sum[i] = Σ points of steps created..created+i-1 */
    double *val;    /* val[i] = point of step created+i */
};

struct model {
    const struct sim_trace *tr;
    const struct sim_model *m;
    struct replica *r;
    size_t n, cap;
    size_t horizon; /* steps in the trace */
};

static void replica_push(struct model *md, size_t created)
{
    if (md->n == md->cap) {
        md->cap = md->cap ? md->cap * 2 : 16;
        md->r = xrealloc(md->r, md->cap * sizeof *md->r);
    }
    struct replica *r = &md->r[md->n++];
    size_t len = md->horizon - (created < md->horizon ? created : md->horizon);
    r->created = created;
    r->sum = xcalloc(len + 1, sizeof *r->sum);
    r->val = xcalloc(len + 1, sizeof *r->val);
}

static void replica_pop(struct model *md)
{
    struct replica *r = &md->r[--md->n];
    free(r->sum);
    free(r->val);
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

/* The replica's aggregate over the steps [from, k] (what InfluxDB returns
 * for one container), added to w. Replicas younger than warmup_ms are left
 * out and counted in w->warming. */
static void window_add(const struct model *md, const struct replica *r,
                       size_t k, size_t from, int64_t warmup_ms,
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
    struct cyc_ctr c = {
        .mean = (r->sum[i1] - r->sum[i0]) / (double)(i1 - i0),
        .count = (long)(i1 - i0),
        .first_ms = rule_t(tr, lo) + tr->dt_ms / 2,
        .last_ms = rule_t(tr, k) + tr->dt_ms / 2,
        .last = r->val[k - r->created],
        .max = r->val[i0],
    };
    for (size_t i = i0; i < i1; i++)
        if (r->val[i] > c.max)
            c.max = r->val[i];
    cyc_window_add(w, &c, now - 2 * tr->dt_ms);
}

static void window_build(const struct model *md, size_t k, int64_t dur_ms,
                         int64_t warmup_ms, struct dec_window *w)
{
    int64_t now = rule_t(md->tr, k + 1);
    int64_t steps = dur_ms / md->tr->dt_ms;
    size_t from =
        (int64_t)k + 1 >= steps ? (size_t)((int64_t)k + 1 - steps) : 0;
    cyc_window_init(w, now - dur_ms);
    for (size_t i = 0; i < md->n; i++)
        window_add(md, &md->r[i], k, from, warmup_ms, w);
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
            sum += md->r[i].val[k - md->r[i].created];
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

void sim_run(const struct sim_trace *tr, const struct policy *pol_in,
             enum sim_rule rule, const struct sim_model *m,
             struct sim_result *res)
{
    struct model md = {.tr = tr, .m = m, .horizon = tr->n};
    struct hpa_state hs = {0};
    struct policy pol = *pol_in;
    size_t acap = 0;
    int64_t last_action = 0;
    bool last_bet = false;
    bool last_out = false;
    double limit = m->limit;

    memset(res, 0, sizeof *res);
    res->steps = xcalloc(tr->n ? tr->n : 1, sizeof *res->steps);
    res->nsteps = tr->n;
    if (rule == SIM_RULE_STEP)
        pol.mode = POL_MODE_STEP;
    if (rule == SIM_RULE_HPA || rule == SIM_RULE_HPA_EQ)
        hs.rec = xcalloc(tr->n ? tr->n : 1, sizeof *hs.rec);
    for (long i = 0; i < m->start; i++)
        replica_push(&md, 0);

    for (size_t k = 0; k < tr->n; k++) {
        /* the step's points */
        long nserv = 0;
        for (size_t i = 0; i < md.n; i++)
            if (serving(&md, &md.r[i], k))
                nserv++;
        double d = tr->demand[k], share = 0, total = 0;
        if (nserv > 0)
            share = fmin(m->cap, d / (double)nserv);
        for (size_t i = 0; i < md.n; i++) {
            struct replica *r = &md.r[i];
            size_t j = k - r->created;
            double v = serving(&md, r, k) ? share : 0.0;
            r->val[j] = v;
            r->sum[j + 1] = r->sum[j] + v;
            total += v;
        }
        struct sim_step *st = &res->steps[k];
        st->t_ms = step_t(tr, k);
        st->demand = d;
        st->replicas = (long)md.n;
        st->serving = nserv;
        st->observed = md.n ? total / (double)md.n : NAN;

        /* the rule, after the step's points */
        long from = (long)md.n, to = from;
        const char *outcome = NULL;
        char reason[256] = "";
        if (rule == SIM_RULE_HPA || rule == SIM_RULE_HPA_EQ) {
            double cur;
            to = hpa_decide(&md, &hs, &pol, rule == SIM_RULE_HPA_EQ, k, &cur);
            outcome = to > from ? "scale-out" : "scale-in";
            snprintf(reason, sizeof reason,
                     "%s: current cpu_ratio %.1f%%, target %.0f%%: %ld \u2192 "
                     "%ld",
                     sim_rule_names[rule], cur, pol.out_cond, from, to);
        } else {
            struct dec_input in = {0};
            struct dec_result r;
            in.pol = &pol;
            in.now_ms = rule_t(tr, k + 1);
            in.ds_interval_ms = tr->dt_ms;
            in.found = true;
            in.actual = from;
            in.last_action_ms = last_action;
            in.last_bet = last_bet;
            in.last_out = last_out;
            in.limit = limit;
            in.running = from; /* every replica of the model reports */
            window_build(&md, k, pol.out_ms, pol.warmup_ms, &in.out_win);
            window_build(&md, k, pol.in_ms, pol.warmup_ms, &in.in_win);
            pol.cur_no = from;
            dec_evaluate(&in, &r);
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
    sim_score(res->steps, res->nsteps, res->actions, res->nactions, tr->dt_ms,
              m, &res->scores);
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
    memset(res, 0, sizeof *res);
}
