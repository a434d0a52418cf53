/* The decision engine (docs/design.md §4 rules 1-6). Pure: no I/O, no clock;
 * everything it knows comes in through struct dec_input.
 *
 * Safety rule: missing or uncovered data never scales, in either
 * direction. Scale-out needs the out window covered. Scale-in needs the in
 * window covered AND the out window covered and not above out_cond: rule 5
 * applies only "otherwise", and with the out window uncovered nobody knows
 * whether rule 4 would have fired (a spike may sit exactly in the part not
 * yet seen, or the out window may still hold the load of the previous
 * replica count). So when out_duration is longer than in_duration,
 * scale-in waits for the longer window after every change. */
#include "decide.h"
#include "metrics.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DEC_O_NAME(id, name) name,
const char *const dec_outcome_names[DEC_NOUTCOMES] = {DEC_OUTCOMES(DEC_O_NAME)};
#undef DEC_O_NAME

/* How many collection intervals late the first point, and how old the last
 * point, may be while a window still counts as covered. */
#define DEC_TOLERANCE_INTERVALS 2

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
    return r;
}

static void setreason(char *reason, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void setreason(char *reason, size_t len, const char *fmt, ...)
{
    va_list ap;
    if (!reason || !len)
        return;
    va_start(ap, fmt);
    vsnprintf(reason, len, fmt, ap);
    va_end(ap);
}

/* A span for people: whole seconds (coverage "3m12s", not "3m12s345ms"),
 * clamped at 0; exact below one second. */
static char *span(int64_t ms, char *out, size_t outlen)
{
    if (ms < 0)
        ms = 0;
    if (ms >= 1000)
        ms -= ms % 1000;
    return dur_format(ms, out, outlen);
}

enum dec_coverage dec_window_check(const struct dec_window *w, int64_t now_ms,
                                   int64_t ds_interval_ms,
                                   int64_t last_action_ms, long actual,
                                   char *reason, size_t reasonlen)
{
    char a[32], b[32];
    int64_t len = sat_sub(now_ms, w->start_ms);
    int64_t tol = sat_mul(ds_interval_ms, DEC_TOLERANCE_INTERVALS);

    setreason(reason, reasonlen, "%s", "");
    if (ds_interval_ms <= 0) {
        setreason(reason, reasonlen,
                  "insufficient data: collection interval unknown");
        return DEC_NO_DATA;
    }
    /* The whole window must lie after the last action, so it measures
     * the load of the current replica count. */
    if (last_action_ms > 0 && w->start_ms <= last_action_ms) {
        setreason(reason, reasonlen, "settling: %s of %s since the last change",
                  span(sat_sub(now_ms, last_action_ms), a, sizeof a),
                  span(len, b, sizeof b));
        return DEC_SETTLING;
    }
    if (!w->has_data && w->unusable > 0) {
        setreason(reason, reasonlen,
                  "insufficient data: no usable points in %s; %ld series "
                  "present but unusable: %s",
                  span(len, b, sizeof b), w->unusable,
                  win_bad_text(w->unusable_why));
        return DEC_NO_DATA;
    }
    if (!w->has_data) {
        setreason(reason, reasonlen, "insufficient data: no points in %s",
                  span(len, b, sizeof b));
        return DEC_NO_DATA;
    }
    if (!isfinite(w->mean)) {
        setreason(reason, reasonlen,
                  "insufficient data: the mean is not a number");
        return DEC_NO_DATA;
    }
    if (w->first_ms > sat_add(w->start_ms, tol)) {
        int64_t have = sat_sub(now_ms, w->first_ms);
        if (have > len)
            have = len;
        setreason(reason, reasonlen, "insufficient data: %s of %s",
                  span(have, a, sizeof a), span(len, b, sizeof b));
        return DEC_LATE_START;
    }
    if (w->last_ms < sat_sub(now_ms, tol)) {
        char iv[32];
        setreason(reason, reasonlen,
                  "insufficient data: last point %s ago, collected every %s",
                  span(sat_sub(now_ms, w->last_ms), a, sizeof a),
                  dur_format(ds_interval_ms, iv, sizeof iv));
        return DEC_STALE;
    }
    /* replicas left out as warming need not report yet; a container
     * whose task is still starting is not one of the running replicas
     * (actual): it excuses none of them */
    long warm = w->warming - (w->starting > 0 ? w->starting : 0);
    long need = actual - (warm > 0 ? warm : 0);
    if (w->fresh < need) {
        char bad[160] = "";
        if (w->unusable > 0)
            snprintf(bad, sizeof bad, "; %ld series unusable: %s", w->unusable,
                     win_bad_text(w->unusable_why));
        setreason(reason, reasonlen,
                  "insufficient data: %ld of %ld replicas reporting%s",
                  w->fresh < 0 ? 0 : w->fresh, need, bad);
        return DEC_REPLICAS;
    }
    return DEC_COVERED;
}

bool dec_window_covered(const struct dec_window *w, int64_t now_ms,
                        int64_t ds_interval_ms, int64_t last_action_ms,
                        long actual)
{
    return dec_window_check(w, now_ms, ds_interval_ms, last_action_ms, actual,
                            NULL, 0) == DEC_COVERED;
}

static enum dec_outcome coverage_outcome(enum dec_coverage c)
{
    return c == DEC_SETTLING ? DEC_O_SETTLING : DEC_O_INSUFFICIENT;
}

/* What a decision says in numbers and words, kept together while the rule
 * runs its steps. */
struct ctx {
    const struct dec_input *in;
    const struct policy *pol;
    struct dec_result *out;
    const char *field;
    enum unit_kind kind;
    long actual;
};

static void result(struct ctx *c, enum dec_outcome o, enum dec_action a,
                   long to, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void result(struct ctx *c, enum dec_outcome o, enum dec_action a,
                   long to, const char *fmt, ...)
{
    va_list ap;
    c->out->outcome = o;
    c->out->action = a;
    c->out->to = to;
    va_start(ap, fmt);
    vsnprintf(c->out->reason, sizeof c->out->reason, fmt, ap);
    va_end(ap);
}

/* Rule 1: the service itself. Nothing else is looked at until it is
 * there, replicated and at rest. True when that decided. */
static bool rule_service(struct ctx *c)
{
    const char *svc = c->pol->service_id;
    if (!c->in->found) {
        c->out->from = 0;
        result(c, DEC_O_NOT_FOUND, DEC_NONE, 0,
               "service %s not found (by id, id prefix or name)", svc);
        return true;
    }
    if (c->in->global) {
        result(c, DEC_O_NOT_SCALABLE, DEC_NONE, c->actual,
               "service %s is %s, not scalable", svc,
               c->in->unscalable ? c->in->unscalable
                                 : "in global mode: one task per node");
        return true;
    }
    if (c->in->updating) {
        result(c, DEC_O_UPDATING, DEC_NONE, c->actual,
               "service %s is updating or rolling back: left alone", svc);
        return true;
    }
    return false;
}

/* Rule 3: bounds need no data. */
static bool rule_bounds(struct ctx *c)
{
    const struct policy *pol = c->pol;
    long actual = c->actual;
    if (actual >= pol->min_no && actual <= pol->max_no)
        return false;
    bool low = actual < pol->min_no;
    long to = low ? pol->min_no : pol->max_no;
    result(c, DEC_O_BOUND, DEC_BOUND, to,
           "%ld replicas %s %s %ld: %ld \u2192 %ld", actual,
           low ? "below" : "above", low ? "min_no" : "max_no", to, actual, to);
    return true;
}

/* The load the replicas served over a window, in the metric's unit summed
 * over replicas ("300%" = three cores): Σ points / points per replica. A
 * replica still warming up, or gone, serves nothing for the time it
 * does not report. */
static double served(const struct dec_window *w, int64_t dur_ms,
                     int64_t interval_ms)
{
    if (dur_ms <= 0 || interval_ms <= 0 || w->points <= 0)
        return 0;
    /* points a replica reporting all along has in this window: from the
     * earliest point to the latest (a first point late within the
     * coverage tolerance does not count as load missing) */
    double full = (double)dur_ms / (double)interval_ms;
    double seen =
        floor(((double)w->last_ms - (double)w->first_ms) / (double)interval_ms +
              0.5) +
        1;
    double per_replica = seen >= 1 && seen < full ? seen : full;
    return w->mean * (double)w->points / per_replica;
}

static long ceil_count(double x)
{
    if (!(x < 1e9))
        return 1000000000L;
    if (x <= 0)
        return 0;
    return (long)ceil(x - 1e-9);
}

/* Rule 4: scale out on a covered out window above out_cond.
 *
 * The auto rule sizes the step: as many replicas as carry the load the
 * window saw at out_cond each. When the replicas' latest points sit at
 * their limit the load above it is unknown: then at least as many as
 * would carry n replicas' full limit at in_cond each — the largest step
 * that the ordinary scale-in undoes if the load was no more than seen. */
static void rule_out(struct ctx *c)
{
    const struct policy *pol = c->pol;
    const struct dec_input *in = c->in;
    const struct dec_window *w = &in->out_win;
    char mean_s[48], cond_s[48], win_s[32], load_s[48], last_s[48], in_s[48];
    c->out->observed = w->mean;
    c->out->threshold = pol->out_cond;
    c->out->window_ms = pol->out_ms;
    unit_format(w->mean, c->kind, mean_s, sizeof mean_s);
    unit_format_exact(pol->out_cond, c->kind, cond_s, sizeof cond_s);
    dur_format(pol->out_ms, win_s, sizeof win_s);
    if (c->actual >= pol->max_no) {
        result(c, DEC_O_AT_MAX, DEC_NONE, c->actual,
               "mean %s %s > %s over %s, but at max_no %ld", c->field, mean_s,
               cond_s, win_s, pol->max_no);
        return;
    }
    /* Tasks that no node can run: more replicas would only wait too. */
    if (in->pending > 0) {
        const char *why = in->pending_why;
        result(c, DEC_O_CAPACITY, DEC_NONE, c->actual,
               "capacity-bound: %ld of %ld tasks pending%s%s; mean %s %s > %s "
               "over %s, no replicas added",
               in->pending, c->actual, why && why[0] ? ": " : "",
               why ? why : "", c->field, mean_s, cond_s, win_s);
        return;
    }
    if (pol->mode == POL_MODE_STEP) {
        result(c, DEC_O_SCALE_OUT, DEC_SCALE_OUT, c->actual + 1,
               "mean %s %s > %s over %s: %ld \u2192 %ld", c->field, mean_s,
               cond_s, win_s, c->actual, c->actual + 1);
        return;
    }
    /* what the replicas served over the window, or now when more (the
     * load still rising, or replicas that were warming up) */
    double load = served(w, pol->out_ms, in->ds_interval_ms);
    if (w->last_sum > load)
        load = w->last_sum;
    long want = ceil_count(load / pol->out_cond);
    double last = w->fresh > 0 ? w->last_sum / (double)w->fresh : NAN;
    /* At the limit now, and either pinned there all window or just
     * arrived (a surge): the load above is unknown. Latest points at the
     * limit in a window that hovered near it say the load is near the
     * limit: sized from what was seen. */
    bool saturated = isfinite(in->limit) && in->limit > 0 && isfinite(last) &&
                     last >= DEC_SATURATED * in->limit &&
                     (w->mean >= DEC_PINNED * in->limit ||
                      last - w->mean >= DEC_SURGE * in->limit);
    unit_format(load, c->kind, load_s, sizeof load_s);
    bool capped = false;
    if (saturated) {
        long jump = ceil_count((double)c->actual * in->limit / pol->in_cond);
        if (jump > DEC_BET_MAX * c->actual) { /* a small in_cond: not 10x */
            jump = DEC_BET_MAX * c->actual;
            capped = true;
        }
        if (jump > want) {
            want = jump;
            c->out->bet = true;
        } else {
            capped = false;
        }
    }
    if (want <= c->actual) {
        /* the window's mean is above, but what it saw fits n: the points
         * above were older (a change under way) */
        result(c, DEC_O_HOLD, DEC_NONE, c->actual,
               "mean %s %s > %s over %s, but its load %s fits %ld at %s: hold",
               c->field, mean_s, cond_s, win_s, load_s, c->actual, cond_s);
        return;
    }
    long to = want > pol->max_no ? pol->max_no : want;
    if (saturated) {
        unit_format(last, c->kind, last_s, sizeof last_s);
        unit_format_exact(pol->in_cond, c->kind, in_s, sizeof in_s);
        char cap_s[32] = "";
        if (capped)
            snprintf(cap_s, sizeof cap_s, ", at most %dx", DEC_BET_MAX);
        result(c, DEC_O_SCALE_OUT, DEC_SCALE_OUT, to,
               "mean %s %s > %s over %s, latest %s at the limit " DEC_BET_MARK
               ": enough for %ld at %s%s: %ld \u2192 %ld",
               c->field, mean_s, cond_s, win_s, last_s, c->actual, in_s, cap_s,
               c->actual, to);
        return;
    }
    result(c, DEC_O_SCALE_OUT, DEC_SCALE_OUT, to,
           "mean %s %s > %s over %s, load %s needs %ld at %s: %ld \u2192 %ld",
           c->field, mean_s, cond_s, win_s, load_s, want, cond_s, c->actual,
           to);
}

/* The load a scale-in is sized on: the in window's peak, Σ of each
 * replica's highest point, at least the mean on every replica (so the
 * load of the window never projects above the target); a load on its way
 * up keeps room for more of the rise, and `rising` says so (else ""). */
static double in_peak(const struct ctx *c, char *rising, size_t rlen)
{
    const struct dec_window *w = &c->in->in_win;
    double peak = fmax(w->max_sum, w->mean * (double)c->actual);
    double rise = w->last_sum - w->mean * (double)c->actual;
    char rise_s[48];
    rising[0] = '\0';
    if (w->fresh > 0 && rise > 0) {
        peak += DEC_RISING * rise;
        unit_format(rise, c->kind, rise_s, sizeof rise_s);
        /* a rise too small to print ("0.0%") is not worth the words */
        size_t z = strspn(rise_s, "0.");
        if (z == 0 || isdigit((unsigned char)rise_s[z]))
            snprintf(rising, rlen, " (rising: latest %s above the mean)",
                     rise_s);
    }
    return peak;
}

/* The fewest replicas that carry `load` at `target` each, not below
 * min_no. */
static long in_want(const struct ctx *c, double load, double target)
{
    long want = ceil_count(load / target);
    return want < c->pol->min_no ? c->pol->min_no : want;
}

/* A scale-in's figures in words: the window's mean, in_cond, the window's
 * length, the peak load and the target it was sized at. */
struct in_words {
    char mean[48], cond[48], win[32], peak[48], tgt[48];
};

static void in_words(const struct ctx *c, const struct dec_window *w,
                     int64_t win_ms, double peak, double target,
                     struct in_words *s)
{
    unit_format(w->mean, c->kind, s->mean, sizeof s->mean);
    unit_format_exact(c->pol->in_cond, c->kind, s->cond, sizeof s->cond);
    dur_format(win_ms, s->win, sizeof s->win);
    unit_format(peak, c->kind, s->peak, sizeof s->peak);
    unit_format(target, c->kind, s->tgt, sizeof s->tgt);
}

/* Rule 5: both windows covered, the out window not above out_cond.
 *
 * The auto rule scales in to the fewest replicas that carry the window's
 * peak load below out_cond by HPA's tolerance (out_cond / 1.1), so the
 * next window does not want them back. */
static void rule_in(struct ctx *c)
{
    const struct policy *pol = c->pol;
    const struct dec_window *w = &c->in->in_win;
    char mean_s[48], cond_s[48], win_s[32], proj_s[48], other_s[48];
    unit_format(w->mean, c->kind, mean_s, sizeof mean_s);
    unit_format_exact(pol->in_cond, c->kind, cond_s, sizeof cond_s);
    unit_format_exact(pol->out_cond, c->kind, other_s, sizeof other_s);
    dur_format(pol->in_ms, win_s, sizeof win_s);
    c->out->observed = w->mean;
    c->out->threshold = pol->in_cond;
    c->out->window_ms = pol->in_ms;
    if (c->actual <= pol->min_no) {
        result(c, DEC_O_AT_MIN, DEC_NONE, c->actual,
               "mean %s %s < %s over %s, but at min_no %ld", c->field, mean_s,
               cond_s, win_s, pol->min_no);
        return;
    }
    if (pol->mode == POL_MODE_STEP) {
        /* actual > min_no >= 1, so actual - 1 >= 1 */
        long to = c->actual - 1;
        double projected = w->mean * (double)c->actual / (double)to;
        if (projected >= pol->out_cond) {
            unit_format(projected, c->kind, proj_s, sizeof proj_s);
            result(c, DEC_O_HOLD, DEC_NONE, c->actual,
                   "mean %s %s < %s over %s, but %ld %s would run at %s "
                   "\u2265 %s: hold",
                   c->field, mean_s, cond_s, win_s, to,
                   to == 1 ? "replica" : "replicas", proj_s, other_s);
            return;
        }
        result(c, DEC_O_SCALE_IN, DEC_SCALE_IN, to,
               "mean %s %s < %s over %s: %ld \u2192 %ld", c->field, mean_s,
               cond_s, win_s, c->actual, to);
        return;
    }
    double target = pol->out_cond / DEC_TOLERANCE;
    char rising[96];
    double peak = in_peak(c, rising, sizeof rising);
    long want = in_want(c, peak, target);
    struct in_words ws;
    in_words(c, w, pol->in_ms, peak, target, &ws);
    if (want >= c->actual) {
        result(c, DEC_O_HOLD, DEC_NONE, c->actual,
               "mean %s %s < %s over %s, but its peak load %s%s needs %ld at "
               "%s: hold",
               c->field, ws.mean, ws.cond, ws.win, ws.peak, rising, want,
               ws.tgt);
        return;
    }
    result(c, DEC_O_SCALE_IN, DEC_SCALE_IN, want,
           "mean %s %s < %s over %s, peak load %s%s fits %ld at %s: %ld "
           "\u2192 %ld",
           c->field, ws.mean, ws.cond, ws.win, ws.peak, rising, want, ws.tgt,
           c->actual, want);
}

/* A bet returned: the last action scaled out beyond the load seen (the
 * replicas sat at their limit); now both windows are covered after it, the
 * load is known, and its mean fits fewer at out_cond / DEC_TOLERANCE.
 * True when that decided. */
static bool rule_bet(struct ctx *c)
{
    const struct policy *pol = c->pol;
    const struct dec_window *w = &c->in->in_win;
    int64_t since = sat_sub(c->in->now_ms, c->in->last_action_ms);
    if (pol->mode == POL_MODE_STEP || !c->in->last_bet ||
        c->actual <= pol->min_no || since < sat_mul(pol->in_ms, DEC_BET_HOLD) ||
        since > sat_mul(pol->in_ms, DEC_BET_UNTIL))
        return false;
    double target = pol->out_cond / DEC_TOLERANCE;
    double load = w->mean * (double)c->actual;
    long want = in_want(c, load, target);
    if (want >= c->actual)
        return false;
    char mean_s[48], win_s[32], load_s[48], tgt_s[48];
    unit_format(w->mean, c->kind, mean_s, sizeof mean_s);
    dur_format(pol->in_ms, win_s, sizeof win_s);
    unit_format(load, c->kind, load_s, sizeof load_s);
    unit_format(target, c->kind, tgt_s, sizeof tgt_s);
    c->out->observed = w->mean;
    c->out->threshold = target;
    c->out->window_ms = pol->in_ms;
    result(c, DEC_O_SCALE_IN, DEC_SCALE_IN, want,
           "bet returned: the last scale-out went past the load seen; mean "
           "%s %s over %s, load %s fits %ld at %s: %ld \u2192 %ld",
           c->field, mean_s, win_s, load_s, want, tgt_s, c->actual, want);
    return true;
}

/* A bet returned early: the in window does not yet lie after the bet
 * (settling), but the out window does and is covered, its peak load is
 * below in_cond on every replica (the load that hid behind the limit went
 * away, a burst that ended) and fits fewer at out_cond / DEC_TOLERANCE.
 * True when that decided. */
static bool rule_bet_early(struct ctx *c)
{
    const struct policy *pol = c->pol;
    const struct dec_window *w = &c->in->out_win;
    if (pol->mode == POL_MODE_STEP || !c->in->last_bet ||
        c->actual <= pol->min_no)
        return false;
    double target = pol->out_cond / DEC_TOLERANCE;
    double peak = fmax(w->max_sum, w->mean * (double)c->actual);
    /* every replica's peak below in_cond, not only the mean: a mean
     * dragged down by replicas that just joined (and have not yet been
     * given their share) is no sign that the load went away */
    if (!(peak < pol->in_cond * (double)c->actual))
        return false;
    long want = in_want(c, peak, target);
    if (want >= c->actual)
        return false;
    struct in_words ws;
    in_words(c, w, pol->out_ms, peak, target, &ws);
    c->out->observed = w->mean;
    c->out->threshold = pol->in_cond;
    c->out->window_ms = pol->out_ms;
    result(c, DEC_O_SCALE_IN, DEC_SCALE_IN, want,
           "bet returned: the last scale-out went past the load seen and the "
           "load went away; mean %s %s < %s over %s, peak load %s fits %ld "
           "at %s: %ld \u2192 %ld",
           c->field, ws.mean, ws.cond, ws.win, ws.peak, want, ws.tgt, c->actual,
           want);
    return true;
}

/* The trim (`auto` only): the in window's mean is above in_cond, yet its
 * peak load fits fewer replicas at out_cond / DEC_TOLERANCE — a load that
 * fell. Sized as a scale-in; not within DEC_TRIM_AFTER_OUT in_durations
 * after a scale-out. True when that decided. */
static bool rule_trim(struct ctx *c)
{
    const struct policy *pol = c->pol;
    const struct dec_window *w = &c->in->in_win;
    double target = pol->out_cond / DEC_TOLERANCE;
    int64_t since = sat_sub(c->in->now_ms, c->in->last_action_ms);
    if (pol->mode != POL_MODE_AUTO || c->actual <= pol->min_no ||
        !(w->mean < target) ||
        (c->in->last_out && c->in->last_action_ms > 0 &&
         since < sat_mul(pol->in_ms, DEC_TRIM_AFTER_OUT)))
        return false;
    char rising[96];
    double peak = in_peak(c, rising, sizeof rising);
    long want = in_want(c, peak, target);
    if (want >= c->actual)
        return false;
    struct in_words ws;
    in_words(c, w, pol->in_ms, peak, target, &ws);
    c->out->observed = w->mean;
    c->out->threshold = target;
    c->out->window_ms = pol->in_ms;
    result(c, DEC_O_SCALE_IN, DEC_SCALE_IN, want,
           "trim: mean %s %s \u2265 %s over %s, but its peak load %s%s fits "
           "%ld at %s: %ld \u2192 %ld",
           c->field, ws.mean, ws.cond, ws.win, ws.peak, rising, want, ws.tgt,
           c->actual, want);
    return true;
}

/* Neither: report the scale-out side first, it is the one that acts. */
static void rule_steady(struct ctx *c)
{
    const struct policy *pol = c->pol;
    char mean_s[48], cond_s[48], win_s[32], other_s[48], other_cond[48],
        other_win[32];
    unit_format(c->in->in_win.mean, c->kind, mean_s, sizeof mean_s);
    unit_format_exact(pol->in_cond, c->kind, cond_s, sizeof cond_s);
    dur_format(pol->in_ms, win_s, sizeof win_s);
    unit_format(c->in->out_win.mean, c->kind, other_s, sizeof other_s);
    unit_format_exact(pol->out_cond, c->kind, other_cond, sizeof other_cond);
    dur_format(pol->out_ms, other_win, sizeof other_win);
    c->out->observed = c->in->out_win.mean;
    c->out->threshold = pol->out_cond;
    c->out->window_ms = pol->out_ms;
    /* a replica can never pass its limit: say so when out_cond is there */
    char note[160] = "";
    if (isfinite(c->in->limit) && c->in->limit > 0 &&
        pol->out_cond >= c->in->limit) {
        char lim_s[48];
        unit_format(c->in->limit, c->kind, lim_s, sizeof lim_s);
        snprintf(note, sizeof note,
                 " (out_cond %s is not below the replicas' limit %s: it is "
                 "never passed; lower it or use cpu_limit_ratio)",
                 other_cond, lim_s);
    }
    result(c, DEC_O_STEADY, DEC_NONE, c->actual,
           "mean %s %s \u2264 %s over %s and %s \u2265 %s over %s: steady at "
           "%ld%s",
           c->field, other_s, other_cond, other_win, mean_s, cond_s, win_s,
           c->actual, note);
}

bool dec_reason_bet(const char *reason)
{
    return reason && strstr(reason, DEC_BET_MARK) != NULL;
}

long dec_expected(const struct dec_input *in)
{
    return in->running >= 0 ? in->running : in->actual;
}

static void evaluate(const struct dec_input *in, struct dec_result *out)
{
    const struct policy *pol = in->pol;
    struct ctx c = {in, pol, out, "?", UNIT_COUNT, in->actual};
    char out_why[200], in_why[200], win_s[32];

    memset(out, 0, sizeof *out);
    out->action = DEC_NONE;
    out->from = out->to = in->actual;
    out->observed = NAN;
    out->threshold = NAN;
    out->window_ms = 0;

    if (!pol) {
        result(&c, DEC_O_INSUFFICIENT, DEC_NONE, in->actual, "no valid policy");
        return;
    }
    if (rule_service(&c))
        return;
    /* Rule 2: scaled by hand (or never seen): cur_no follows the service,
     * and the decision goes on from the actual count. */
    out->sync = pol->cur_no != in->actual;
    if (rule_bounds(&c))
        return;

    c.field = pol->metric ? pol_name(pol) : "?";
    c.kind = pol->metric ? pol->metric->kind : UNIT_COUNT;
    long expect = dec_expected(in);
    int64_t settle = in->last_action_ms;
    enum dec_coverage out_cov =
        dec_window_check(&in->out_win, in->now_ms, in->ds_interval_ms, settle,
                         expect, out_why, sizeof out_why);
    enum dec_coverage in_cov =
        dec_window_check(&in->in_win, in->now_ms, in->ds_interval_ms, settle,
                         expect, in_why, sizeof in_why);

    if (out_cov == DEC_COVERED && in->out_win.mean > pol->out_cond) {
        rule_out(&c);
        return;
    }
    /* Not known to be below the scale-out line: nothing moves (see the
     * safety rule at the top). */
    if (out_cov != DEC_COVERED) {
        out->window_ms = pol->out_ms;
        if (in_cov == DEC_COVERED && in->in_win.mean < pol->in_cond &&
            in->actual > pol->min_no) {
            dur_format(pol->out_ms, win_s, sizeof win_s);
            result(&c, coverage_outcome(out_cov), DEC_NONE, in->actual,
                   "%s; scale-in waits until the %s scale-out window is "
                   "covered",
                   out_why, win_s);
        } else {
            result(&c, coverage_outcome(out_cov), DEC_NONE, in->actual, "%s",
                   out_why);
        }
        return;
    }
    if (in_cov == DEC_SETTLING && rule_bet_early(&c))
        return;
    if (in_cov != DEC_COVERED) {
        out->window_ms = pol->in_ms;
        result(&c, coverage_outcome(in_cov), DEC_NONE, in->actual, "%s",
               in_why);
        return;
    }
    if (in->in_win.mean < pol->in_cond)
        rule_in(&c);
    else if (!rule_bet(&c) && !rule_trim(&c))
        rule_steady(&c);
}

/* Appends text to out's reason (below). */
static void reason_add(struct dec_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The window of a schedule that set the bound out's decision went to, in
 * its reason. */
static void note_schedule(const struct policy *pol, const struct sched_now *s,
                          struct dec_result *out)
{
    int item = -1;
    bool up = out->to > out->from;
    switch (out->outcome) {
    case DEC_O_BOUND:
        item = up ? s->min_item : s->max_item;
        break;
    case DEC_O_AT_MIN:
        item = s->min_item;
        break;
    case DEC_O_AT_MAX:
        item = s->max_item;
        break;
    case DEC_O_SCALE_IN:
        item = out->to == s->min_no ? s->min_item : -1;
        break;
    case DEC_O_SCALE_OUT:
        item = out->to == s->max_no ? s->max_item : -1;
        break;
    default:
        break;
    }
    if (item < 0 || (size_t)item >= pol->sched.n)
        return;
    char t[64];
    reason_add(out, " (schedule: %s, %s)",
               sched_item_text(&pol->sched.items[item], t, sizeof t),
               pol->sched.zone[0] ? pol->sched.zone : SCHED_ZONE_DEFAULT);
}

void dec_evaluate(const struct dec_input *in, struct dec_result *out)
{
    const struct sched_now *s = in->sched;
    if (!s || !in->pol ||
        (s->min_no == in->pol->min_no && s->max_no == in->pol->max_no)) {
        evaluate(in, out);
        return;
    }
    /* the same rules within the bounds in force now */
    struct policy now = *in->pol;
    struct dec_input within = *in;
    now.min_no = s->min_no;
    now.max_no = s->max_no;
    within.pol = &now;
    evaluate(&within, out);
    note_schedule(in->pol, s, out);
}

/* ---- several conditions -------------------------------------------------- */

/* Appends text to out's reason, cut at a UTF-8 boundary when it does not
 * fit (declared above). */
static void reason_add(struct dec_result *out, const char *fmt, ...)
{
    char more[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(more, sizeof more, fmt, ap);
    va_end(ap);
    size_t have = strlen(out->reason), room = sizeof out->reason - 1 - have;
    size_t n = strlen(more);
    if (n > room) {
        n = room;
        while (n > 0 && ((unsigned char)more[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(out->reason + have, more, n);
    out->reason[have + n] = '\0';
}

/* The rank of a result that took no action: the highest explains the
 * policy's (combine's last rule). */
static int hold_rank(enum dec_outcome o)
{
    switch (o) {
    case DEC_O_CAPACITY:
        return 6;
    case DEC_O_AT_MAX:
        return 5;
    case DEC_O_INSUFFICIENT:
    case DEC_O_SETTLING:
    case DEC_O_METRICS_DOWN:
        return 4;
    case DEC_O_HOLD:
        return 3;
    case DEC_O_STEADY:
        return 2;
    default:
        return 1; /* at-min, and a scale-in another condition held */
    }
}

static bool before_windows(enum dec_outcome o)
{
    return o == DEC_O_NOT_FOUND || o == DEC_O_NOT_SCALABLE ||
           o == DEC_O_UPDATING || o == DEC_O_BOUND || o == DEC_O_STORE_DOWN ||
           o == DEC_O_DOCKER_DOWN;
}

void dec_combine(const struct dec_result *res, size_t n,
                 const char *const *fields, struct dec_result *out)
{
    size_t pick = 0, nout = 0, nin = 0;
    for (size_t k = 0; k < n; k++) {
        if (res[k].action == DEC_SCALE_OUT) {
            if (nout++ == 0 || res[k].to > res[pick].to)
                pick = k;
        } else if (res[k].action == DEC_SCALE_IN) {
            nin++;
        }
    }
    if (n <= 1 || before_windows(res[0].outcome)) {
        *out = res[0];
        out->cond = 0;
        return;
    }
    if (nout > 0) {
        *out = res[pick];
        out->cond = pick;
        for (size_t k = 0; k < n; k++)
            if (k != pick && res[k].action == DEC_SCALE_OUT)
                reason_add(out, "; also %s \u2192 %ld", fields[k], res[k].to);
        return;
    }
    if (nin == n) {
        for (size_t k = 1; k < n; k++)
            if (res[k].to > res[pick].to)
                pick = k;
        *out = res[pick];
        out->cond = pick;
        reason_add(out, "; every metric agrees:");
        for (size_t k = 0; k < n; k++)
            if (k != pick)
                reason_add(out, " %s \u2192 %ld", fields[k], res[k].to);
        return;
    }
    /* no action: the condition that held it explains, named when its
     * reason does not say (insufficient data, settling) */
    for (size_t k = 1; k < n; k++)
        if (res[k].action == DEC_NONE &&
            (res[pick].action != DEC_NONE ||
             hold_rank(res[k].outcome) > hold_rank(res[pick].outcome)))
            pick = k;
    *out = res[pick];
    out->cond = pick;
    if (!strstr(out->reason, fields[pick])) {
        out->reason[0] = '\0';
        reason_add(out, "%s: %s", fields[pick], res[pick].reason);
    }
    for (size_t k = 0; k < n; k++)
        if (res[k].action == DEC_SCALE_IN)
            reason_add(out, "; %s's scale-in to %ld waits for %s", fields[k],
                       res[k].to, fields[pick]);
}

/* ---- scale to zero ------------------------------------------------------- */

void dec_at_zero(const struct dec_input *in, const char *name, bool fresh,
                 double latest, struct dec_result *out)
{
    const struct policy *pol = in->pol;
    char v[48];
    memset(out, 0, sizeof *out);
    out->from = out->to = 0;
    out->observed = fresh ? latest : NAN;
    out->threshold = 0;
    out->window_ms = 0;
    out->sync = pol->cur_no != in->actual;
    if (!fresh) {
        out->outcome = DEC_O_INSUFFICIENT;
        out->action = DEC_NONE;
        snprintf(out->reason, sizeof out->reason,
                 "insufficient data: no fresh value of %s at zero replicas",
                 name);
        return;
    }
    unit_format(latest, pol->metric ? pol->metric->kind : UNIT_VALUE, v,
                sizeof v);
    if (latest > 0) {
        long to = pol->wake_no > 0 ? pol->wake_no : 1;
        if (to > pol->max_no)
            to = pol->max_no;
        out->outcome = DEC_O_SCALE_OUT;
        out->action = DEC_SCALE_OUT;
        out->to = to;
        snprintf(out->reason, sizeof out->reason,
                 "wake: %s %s > 0 at zero replicas: 0 \u2192 %ld", name, v, to);
        return;
    }
    out->outcome = DEC_O_AT_MIN;
    out->action = DEC_NONE;
    snprintf(out->reason, sizeof out->reason, "at zero: %s reads 0", name);
}

void dec_idle(const struct dec_input *in, const char *names, bool idle,
              struct dec_result *out)
{
    const struct policy *pol = in->pol;
    char d[32];
    if (!idle || pol->min_no != 0 || in->actual < 1 ||
        (in->sched && in->sched->min_no > 0) || out->action == DEC_SCALE_OUT ||
        before_windows(out->outcome))
        return;
    bool sync = out->sync;
    memset(out, 0, sizeof *out);
    out->sync = sync;
    out->outcome = DEC_O_SCALE_IN;
    out->action = DEC_SCALE_IN;
    out->from = in->actual;
    out->to = 0;
    out->observed = 0;
    out->threshold = 0;
    out->window_ms = pol->idle_ms;
    snprintf(out->reason, sizeof out->reason,
             "idle: %s read 0 for %s: %ld "
             "\u2192 0",
             names, dur_format(pol->idle_ms, d, sizeof d), in->actual);
}
