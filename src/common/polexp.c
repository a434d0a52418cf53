/* das's series per policy on /metrics (polexp.h). Pure. */
#include "polexp.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "decide.h"
#include "promexp.h"

/* `service="web",seq="3"` */
static int labels(struct buf *o, const struct lp_row *r)
{
    return buf_puts(o, "service=\"") || pexp_label_value(r->service, o) ||
           buf_printf(o, "\",seq=\"%ld\"", r->seq);
}

/* `NAME{service=…,seq=…` then extra (`,state="running"`), `} ` and v;
 * a whole line or nothing */
static int line(struct buf *o, const char *name, const struct lp_row *r,
                const char *extra, const char *cond, double v)
{
    size_t start = o->len;
    if (buf_printf(o, "%s{", name) || labels(o, r) ||
        (cond && (buf_puts(o, ",metric=\"") || pexp_label_value(cond, o) ||
                  buf_puts(o, "\""))) ||
        buf_printf(o, "%s} ", extra) || pexp_float(v, o) || buf_puts(o, "\n")) {
        buf_truncate(o, start);
        return -1;
    }
    return 0;
}

static int head(struct buf *o, const char *name, const char *help)
{
    return buf_printf(o, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* The rows given series: the first PEXP_POLICIES_MAX valid ones. */
static bool given(const struct lp_row *r, size_t *seen)
{
    return r->valid && (*seen)++ < PEXP_POLICIES_MAX;
}

static int replicas(struct buf *o, const struct lp_row *rows, size_t n)
{
    size_t seen = 0;
    int rc = head(o, "das_policy_replicas",
                  "The service's replicas as the last cycle saw them: "
                  "desired (its replica count), and its tasks running and "
                  "pending (leader only).");
    for (size_t i = 0; i < n && !rc; i++) {
        const struct lp_row *r = &rows[i];
        if (!given(r, &seen))
            continue;
        if (r->replicas >= 0)
            rc = line(o, "das_policy_replicas", r, ",state=\"desired\"", NULL,
                      (double)r->replicas);
        if (!rc && r->running >= 0)
            rc = line(o, "das_policy_replicas", r, ",state=\"running\"", NULL,
                      (double)r->running) ||
                 line(o, "das_policy_replicas", r, ",state=\"pending\"", NULL,
                      (double)r->pending);
    }
    seen = 0;
    rc = rc || head(o, "das_policy_bound_replicas",
                    "The policy's bounds in force (a schedule's when one "
                    "holds): min and max replicas.");
    for (size_t i = 0; i < n && !rc; i++)
        if (given(&rows[i], &seen))
            rc = line(o, "das_policy_bound_replicas", &rows[i],
                      ",bound=\"min\"", NULL, (double)rows[i].min_now) ||
                 line(o, "das_policy_bound_replicas", &rows[i],
                      ",bound=\"max\"", NULL, (double)rows[i].max_now);
    return rc;
}

static int conditions(struct buf *o, const struct lp_row *rows, size_t n)
{
    size_t seen = 0;
    int rc = head(o, "das_policy_threshold",
                  "Each condition's scale-out (direction out) and scale-in "
                  "(in) threshold, in the unit das compares (percent for "
                  "the *_ratio fields).");
    for (size_t i = 0; i < n && !rc; i++) {
        const struct lp_row *r = &rows[i];
        if (!given(r, &seen))
            continue;
        for (size_t k = 0; k < r->pol.nconds && !rc; k++) {
            const struct pol_cond *c = &r->pol.conds[k];
            rc = line(o, "das_policy_threshold", r, ",direction=\"out\"",
                      c->name, c->out_cond) ||
                 line(o, "das_policy_threshold", r, ",direction=\"in\"",
                      c->name, c->in_cond);
        }
    }
    seen = 0;
    rc = rc || head(o, "das_policy_window_mean",
                    "Each condition's mean per replica (or the whole "
                    "service's value, for a query with target service) "
                    "over its scale-out (window out) and scale-in (in) "
                    "window, as das compared it with the thresholds; absent "
                    "when the window was not read.");
    for (size_t i = 0; i < n && !rc; i++) {
        const struct lp_row *r = &rows[i];
        if (!given(r, &seen))
            continue;
        for (size_t k = 0; k < r->pol.nconds && !rc; k++) {
            const char *name = r->pol.conds[k].name;
            if (!isnan(r->out_mean[k]))
                rc = line(o, "das_policy_window_mean", r, ",window=\"out\"",
                          name, r->out_mean[k]);
            if (!rc && !isnan(r->in_mean[k]))
                rc = line(o, "das_policy_window_mean", r, ",window=\"in\"",
                          name, r->in_mean[k]);
        }
    }
    return rc;
}

static int outcomes(struct buf *o, const struct lp_row *rows, size_t n)
{
    size_t seen = 0, omitted;
    int rc = head(o, "das_policy_outcome",
                  "1 for each valid policy, labelled with the outcome of "
                  "its last evaluation (das status says why).");
    for (size_t i = 0; i < n && !rc; i++) {
        const struct lp_row *r = &rows[i];
        if (!given(r, &seen))
            continue;
        char extra[64];
        bool known = r->outcome >= 0 && r->outcome < DEC_NOUTCOMES;
        snprintf(extra, sizeof extra, ",outcome=\"%s\"",
                 known ? dec_outcome_names[r->outcome] : "unknown");
        rc = line(o, "das_policy_outcome", r, extra, NULL, 1.0);
    }
    seen = 0;
    rc = rc || head(o, "das_policy_last_action_timestamp_seconds",
                    "When the policy's last scaling, bound or sync action "
                    "happened (Unix seconds), as its history says; absent "
                    "when it has none.");
    for (size_t i = 0; i < n && !rc; i++)
        if (given(&rows[i], &seen) && rows[i].last_action_ms > 0)
            rc = line(o, "das_policy_last_action_timestamp_seconds", &rows[i],
                      "", NULL, (double)rows[i].last_action_ms / 1000.0);
    /* given() counted every valid row */
    omitted = seen > PEXP_POLICIES_MAX ? seen - PEXP_POLICIES_MAX : 0;
    return rc ||
           head(o, "das_policy_series_omitted",
                "Valid policies past the first 10000, which have no "
                "das_policy_* series.") ||
           buf_printf(o, "das_policy_series_omitted %zu\n", omitted);
}

int pexp_policies(struct buf *out, const struct lp_row *rows, size_t n)
{
    return replicas(out, rows, n) || conditions(out, rows, n) ||
                   outcomes(out, rows, n)
               ? -1
               : 0;
}
