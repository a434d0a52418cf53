/* A query metric's samples made into the engine's windows (qwin.h).
 * Pure: no I/O. */
#include "qwin.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "schedule.h"

int64_t qwin_step(int64_t window_ms, int64_t interval_ms)
{
    int64_t step = interval_ms > 0 ? interval_ms : 1000;
    if (window_ms / step > 10000)
        step = (window_ms + 9999) / 10000;
    return step;
}

int qwin_window(const struct qwin_sample *s, size_t n, int64_t now_ms,
                enum pol_target target, long replicas, struct dec_window *w,
                char *why, size_t whylen)
{
    double sum = 0, max = 0, last = 0;
    long points = 0;
    int64_t start = w->start_ms;
    w->has_data = false;
    w->points = 0;
    w->containers = w->fresh = 0;
    w->mean = NAN;
    if (replicas < 1) {
        snprintf(why, whylen, "no replica to divide the query's value by");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i].t_ms < start || s[i].t_ms > now_ms)
            continue;
        if (!isfinite(s[i].v) || s[i].v < 0) {
            snprintf(why, whylen,
                     "the query returned %s at %lld ms: not a value das "
                     "can compare",
                     isnan(s[i].v)
                         ? "NaN"
                         : (s[i].v < 0 ? "a negative value" : "an infinity"),
                     (long long)s[i].t_ms);
            return -1;
        }
        if (points == 0 || s[i].v > max)
            max = s[i].v;
        if (points == 0)
            w->first_ms = s[i].t_ms;
        w->last_ms = s[i].t_ms;
        last = s[i].v;
        sum += s[i].v;
        points++;
    }
    if (points == 0)
        return 0;
    double n_r = (double)replicas, mean = sum / (double)points;
    w->has_data = true;
    w->points = points;
    w->containers = w->fresh = replicas;
    if (target == POL_TARGET_REPLICA) {
        w->mean = mean / n_r;
        w->last_sum = last;
        w->max_sum = max;
    } else {
        w->mean = mean;
        w->last_sum = last * n_r;
        w->max_sum = max * n_r;
    }
    return 0;
}

bool qwin_latest(const struct qwin_sample *s, size_t n, int64_t now_ms,
                 int64_t interval_ms, double *v)
{
    for (size_t i = n; i-- > 0;) {
        if (s[i].t_ms > now_ms)
            continue;
        if (s[i].t_ms < now_ms - 2 * interval_ms || !isfinite(s[i].v) ||
            s[i].v < 0)
            return false;
        *v = s[i].v;
        return true;
    }
    return false;
}

bool qwin_idle(const struct qwin_sample *s, size_t n, int64_t start_ms,
               int64_t now_ms, int64_t interval_ms)
{
    int64_t first = -1, last = -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i].t_ms < start_ms || s[i].t_ms > now_ms)
            continue;
        if (s[i].v != 0)
            return false;
        if (first < 0)
            first = s[i].t_ms;
        last = s[i].t_ms;
    }
    return first >= 0 && first <= start_ms + 2 * interval_ms &&
           last >= now_ms - 2 * interval_ms;
}

int qwin_influxql(const char *query, int64_t start_ms, int64_t end_ms,
                  int64_t step_ms, struct buf *out, char *err, size_t errlen)
{
    static const char tf[] = "$timeFilter", iv[] = "$interval";
    const char *p = query;
    while (isspace((unsigned char)*p))
        p++;
    if (strncasecmp(p, "SELECT", 6) || !isspace((unsigned char)p[6])) {
        snprintf(err, errlen,
                 "an InfluxQL query metric is one SELECT, e.g. SELECT "
                 "max(\"queue\") FROM \"app\" WHERE $timeFilter GROUP BY "
                 "time($interval)");
        return -1;
    }
    if (!strstr(p, tf)) {
        snprintf(err, errlen,
                 "an InfluxQL query metric needs $timeFilter where das puts "
                 "its window, e.g. WHERE $timeFilter");
        return -1;
    }
    while (*p) {
        if (!strncmp(p, tf, sizeof tf - 1)) {
            if (buf_printf(out, "time >= %lldms AND time <= %lldms",
                           (long long)start_ms, (long long)end_ms))
                goto full;
            p += sizeof tf - 1;
        } else if (!strncmp(p, iv, sizeof iv - 1)) {
            if (buf_printf(out, "%lldms", (long long)step_ms))
                goto full;
            p += sizeof iv - 1;
        } else {
            char c[2] = {*p++, '\0'};
            if (buf_puts(out, c))
                goto full;
        }
    }
    return 0;
full:
    snprintf(err, errlen, "the InfluxQL query is too long");
    return -1;
}

int64_t qwin_span(const struct policy *p)
{
    int64_t win = p->out_ms > p->in_ms ? p->out_ms : p->in_ms;
    if (p->min_no == 0 && p->idle_ms > win)
        win = p->idle_ms;
    return win;
}

int qwin_decide(struct dec_input *in, const char *name, enum pol_target target,
                const struct qwin_sample *s, size_t n, struct dec_result *out,
                bool *idle, char *why, size_t whylen)
{
    const struct policy *pol = in->pol;
    const struct sched_now *sched = in->sched;
    long floor = sched ? sched->min_no : pol->min_no;
    int64_t now = in->now_ms;
    *idle = false;
    if (in->actual < floor) {
        dec_evaluate(in, out); /* brought up to the floor (rule 3) */
        return 0;
    }
    bool zero = pol->min_no == 0 && floor == 0;
    int64_t step = qwin_step(qwin_span(pol), in->ds_interval_ms);
    if (step > in->ds_interval_ms)
        in->ds_interval_ms = step; /* coverage at the query's step */
    if (zero && in->actual == 0) {
        double v = 0;
        bool fresh = qwin_latest(s, n, now, in->ds_interval_ms, &v);
        dec_at_zero(in, name, fresh, v, out);
        return 0;
    }
    if (zero)
        *idle = qwin_idle(s, n, now - pol->idle_ms, now, in->ds_interval_ms);
    long reps = dec_expected(in);
    if (qwin_window(s, n, now, target, reps, &in->out_win, why, whylen) ||
        qwin_window(s, n, now, target, reps, &in->in_win, why, whylen)) {
        *idle = false;
        return -1;
    }
    /* one replica is the engine's floor of a policy that may go to zero,
     * the schedule's too */
    struct policy floor1;
    struct sched_now sched1;
    if (pol->min_no == 0) {
        floor1 = *pol;
        floor1.min_no = 1;
        in->pol = &floor1;
        if (sched && sched->min_no < 1) {
            sched1 = *sched;
            sched1.min_no = 1;
            in->sched = &sched1;
        }
    }
    dec_evaluate(in, out);
    in->pol = pol;
    in->sched = sched;
    return 0;
}
