/* The decision engine (DESIGN.md §4 rules 1-6). Pure: no I/O, no clock;
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

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
    if (w->fresh < actual) {
        setreason(reason, reasonlen,
                  "insufficient data: %ld of %ld replicas reporting",
                  w->fresh < 0 ? 0 : w->fresh, actual);
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

static const char *coverage_outcome(enum dec_coverage c)
{
    return c == DEC_SETTLING ? "settling" : "insufficient-data";
}

void dec_evaluate(const struct dec_input *in, struct dec_result *out)
{
    const struct policy *pol = in->pol;
    char mean_s[48], cond_s[48], win_s[32], proj_s[48], other_s[48],
        other_cond[48], other_win[32];
    char out_why[200], in_why[200];
    enum dec_coverage out_cov, in_cov;
    const char *field;
    enum unit_kind kind;
    long actual = in->actual;

    memset(out, 0, sizeof *out);
    out->action = DEC_NONE;
    out->from = out->to = actual;
    out->observed = NAN;
    out->threshold = NAN;
    out->window_ms = 0;

    if (!pol) {
        out->outcome = "insufficient-data";
        setreason(out->reason, sizeof out->reason, "no valid policy");
        return;
    }
    /* Rule 1: the service itself. Nothing else is looked at until it is
     * there, replicated and at rest. */
    if (!in->found) {
        out->from = out->to = 0;
        out->outcome = "service-not-found";
        setreason(out->reason, sizeof out->reason,
                  "service %s not found (by id, id prefix or name)",
                  pol->service_id);
        return;
    }
    if (in->global) {
        out->outcome = "not-scalable";
        setreason(out->reason, sizeof out->reason,
                  "service %s is in global mode: one task per node, not "
                  "scalable", pol->service_id);
        return;
    }
    if (in->updating) {
        out->outcome = "updating";
        setreason(out->reason, sizeof out->reason,
                  "service %s is updating or rolling back: left alone",
                  pol->service_id);
        return;
    }

    /* Rule 2: scaled by hand (or never seen): cur_no follows the service,
     * and the decision goes on from the actual count. */
    out->sync = pol->cur_no != actual;

    /* Rule 3: bounds need no data. */
    if (actual < pol->min_no || actual > pol->max_no) {
        long to = actual < pol->min_no ? pol->min_no : pol->max_no;
        out->action = DEC_BOUND;
        out->to = to;
        out->outcome = "bound";
        setreason(out->reason, sizeof out->reason,
                  "%ld replicas %s %s %ld: %ld \u2192 %ld", actual,
                  actual < pol->min_no ? "below" : "above",
                  actual < pol->min_no ? "min_no" : "max_no", to, actual, to);
        return;
    }

    field = pol->metric ? pol->metric->field : "?";
    kind = pol->metric ? pol->metric->kind : UNIT_COUNT;
    out_cov = dec_window_check(&in->out_win, in->now_ms, in->ds_interval_ms,
                               in->last_action_ms, actual, out_why,
                               sizeof out_why);
    in_cov = dec_window_check(&in->in_win, in->now_ms, in->ds_interval_ms,
                              in->last_action_ms, actual, in_why,
                              sizeof in_why);

    /* Rule 4: scale out on a covered out window above out_cond. */
    if (out_cov == DEC_COVERED && in->out_win.mean > pol->out_cond) {
        out->observed = in->out_win.mean;
        out->threshold = pol->out_cond;
        out->window_ms = pol->out_ms;
        unit_format(in->out_win.mean, kind, mean_s, sizeof mean_s);
        unit_format_exact(pol->out_cond, kind, cond_s, sizeof cond_s);
        dur_format(pol->out_ms, win_s, sizeof win_s);
        if (actual < pol->max_no) {
            out->action = DEC_SCALE_OUT;
            out->to = actual + 1;
            out->outcome = "scale-out";
            setreason(out->reason, sizeof out->reason,
                      "mean %s %s > %s over %s: %ld \u2192 %ld", field,
                      mean_s, cond_s, win_s, actual, actual + 1);
        } else {
            out->outcome = "at-max";
            setreason(out->reason, sizeof out->reason,
                      "mean %s %s > %s over %s, but at max_no %ld", field,
                      mean_s, cond_s, win_s, pol->max_no);
        }
        return;
    }

    /* Not known to be below the scale-out line: nothing moves (see the
     * safety rule at the top). */
    if (out_cov != DEC_COVERED) {
        out->outcome = coverage_outcome(out_cov);
        out->window_ms = pol->out_ms;
        if (in_cov == DEC_COVERED && in->in_win.mean < pol->in_cond &&
            actual > pol->min_no) {
            dur_format(pol->out_ms, win_s, sizeof win_s);
            setreason(out->reason, sizeof out->reason,
                      "%s; scale-in waits until the %s scale-out window is "
                      "covered", out_why, win_s);
        } else {
            setreason(out->reason, sizeof out->reason, "%s", out_why);
        }
        return;
    }
    if (in_cov != DEC_COVERED) {
        out->outcome = coverage_outcome(in_cov);
        out->window_ms = pol->in_ms;
        setreason(out->reason, sizeof out->reason, "%s", in_why);
        return;
    }

    /* Rule 5: both windows covered, the out window not above. */
    unit_format(in->in_win.mean, kind, mean_s, sizeof mean_s);
    unit_format_exact(pol->in_cond, kind, cond_s, sizeof cond_s);
    dur_format(pol->in_ms, win_s, sizeof win_s);
    out->observed = in->in_win.mean;
    out->threshold = pol->in_cond;
    out->window_ms = pol->in_ms;
    if (in->in_win.mean < pol->in_cond) {
        if (actual <= pol->min_no) {
            out->outcome = "at-min";
            setreason(out->reason, sizeof out->reason,
                      "mean %s %s < %s over %s, but at min_no %ld", field,
                      mean_s, cond_s, win_s, pol->min_no);
            return;
        }
        /* actual > min_no >= 1, so actual - 1 >= 1. */
        double projected =
            in->in_win.mean * (double)actual / (double)(actual - 1);
        if (projected >= pol->out_cond) {
            unit_format(projected, kind, proj_s, sizeof proj_s);
            unit_format_exact(pol->out_cond, kind, other_cond,
                              sizeof other_cond);
            out->outcome = "hold";
            setreason(out->reason, sizeof out->reason,
                      "mean %s %s < %s over %s, but %ld %s would run at "
                      "%s \u2265 %s: hold",
                      field, mean_s, cond_s, win_s, actual - 1,
                      actual - 1 == 1 ? "replica" : "replicas", proj_s,
                      other_cond);
            return;
        }
        out->action = DEC_SCALE_IN;
        out->to = actual - 1;
        out->outcome = "scale-in";
        setreason(out->reason, sizeof out->reason,
                  "mean %s %s < %s over %s: %ld \u2192 %ld", field, mean_s,
                  cond_s, win_s, actual, actual - 1);
        return;
    }

    /* Neither: report the scale-out side first, it is the one that acts. */
    unit_format(in->out_win.mean, kind, other_s, sizeof other_s);
    unit_format_exact(pol->out_cond, kind, other_cond, sizeof other_cond);
    dur_format(pol->out_ms, other_win, sizeof other_win);
    out->observed = in->out_win.mean;
    out->threshold = pol->out_cond;
    out->window_ms = pol->out_ms;
    out->outcome = "steady";
    setreason(out->reason, sizeof out->reason,
              "mean %s %s \u2264 %s over %s and %s \u2265 %s over %s: "
              "steady at %ld",
              field, other_s, other_cond, other_win, mean_s, cond_s, win_s,
              actual);
}
