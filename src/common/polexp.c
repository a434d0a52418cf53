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

/* `NAME{service=…,seq=…` then the condition's metric, extra
 * (`,state="running"`), `} ` and v; a whole line or nothing */
static int line(struct buf *o, const char *name, const struct lp_row *r,
                const char *cond, const char *extra, double v)
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

/* ---- one writer a family: a row's lines -------------------------------- */

static int replicas_of(struct buf *o, const char *name, const struct lp_row *r)
{
    if (r->replicas >= 0 &&
        line(o, name, r, NULL, ",state=\"desired\"", (double)r->replicas))
        return -1;
    if (r->running < 0) /* the tasks were not read */
        return 0;
    return line(o, name, r, NULL, ",state=\"running\"", (double)r->running) ||
           line(o, name, r, NULL, ",state=\"pending\"", (double)r->pending);
}

static int bounds_of(struct buf *o, const char *name, const struct lp_row *r)
{
    return line(o, name, r, NULL, ",bound=\"min\"", (double)r->min_now) ||
           line(o, name, r, NULL, ",bound=\"max\"", (double)r->max_now);
}

static int thresholds_of(struct buf *o, const char *name,
                         const struct lp_row *r)
{
    for (size_t k = 0; k < r->nconds; k++) {
        const struct lp_cond *c = &r->conds[k];
        if (line(o, name, r, c->name, ",direction=\"out\"", c->out_cond) ||
            line(o, name, r, c->name, ",direction=\"in\"", c->in_cond))
            return -1;
    }
    return 0;
}

static int means_of(struct buf *o, const char *name, const struct lp_row *r)
{
    for (size_t k = 0; k < r->nconds; k++) {
        const struct lp_cond *c = &r->conds[k];
        if ((!isnan(c->out_mean) &&
             line(o, name, r, c->name, ",window=\"out\"", c->out_mean)) ||
            (!isnan(c->in_mean) &&
             line(o, name, r, c->name, ",window=\"in\"", c->in_mean)))
            return -1;
    }
    return 0;
}

static int outcome_of(struct buf *o, const char *name, const struct lp_row *r)
{
    char extra[64];
    bool known = r->outcome >= 0 && r->outcome < DEC_NOUTCOMES;
    snprintf(extra, sizeof extra, ",outcome=\"%s\"",
             known ? dec_outcome_names[r->outcome] : "unknown");
    return line(o, name, r, NULL, extra, 1.0);
}

static int last_action_of(struct buf *o, const char *name,
                          const struct lp_row *r)
{
    if (r->last_action_ms <= 0)
        return 0;
    return line(o, name, r, NULL, "", (double)r->last_action_ms / 1000.0);
}

static const struct {
    const char *name, *help;
    int (*of)(struct buf *o, const char *name, const struct lp_row *r);
} families[] = {
    {"das_policy_replicas",
     "The service's replicas as the last cycle saw them: desired (its "
     "replica count), and its tasks running and pending.",
     replicas_of},
    {"das_policy_bound_replicas",
     "The policy's bounds in force (a schedule's when one holds): min and "
     "max replicas.",
     bounds_of},
    {"das_policy_threshold",
     "Each condition's scale-out (direction out) and scale-in (in) "
     "threshold, in the unit das compares (percent for the *_ratio "
     "fields).",
     thresholds_of},
    {"das_policy_window_mean",
     "Each condition's mean per replica (or the whole service's value, for "
     "a query with target service) over its scale-out (window out) and "
     "scale-in (in) window, as das compared it with the thresholds; absent "
     "when the window was not read.",
     means_of},
    {"das_policy_outcome",
     "1 for each valid policy, labelled with the outcome of its last "
     "evaluation (das status says why).",
     outcome_of},
    {"das_policy_last_action_timestamp_seconds",
     "When the policy's last scaling, bound or sync action happened (Unix "
     "seconds), as its history says; absent when it has none.",
     last_action_of},
};

int pexp_policies(struct buf *out, const struct lp_row *rows, size_t n)
{
    size_t valid = 0;
    for (size_t i = 0; i < n; i++)
        valid += rows[i].valid;
    for (size_t f = 0; f < sizeof families / sizeof *families; f++) {
        const char *name = families[f].name;
        if (buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", name,
                       families[f].help, name))
            return -1;
        /* the first PEXP_POLICIES_MAX valid rows */
        for (size_t i = 0, given = 0; i < n && given < PEXP_POLICIES_MAX; i++)
            if (rows[i].valid && (given++, families[f].of(out, name, &rows[i])))
                return -1;
    }
    return buf_printf(out,
                      "# HELP das_policy_series_omitted Valid policies past "
                      "the first %d, which have no das_policy_* series.\n"
                      "# TYPE das_policy_series_omitted gauge\n"
                      "das_policy_series_omitted %zu\n",
                      PEXP_POLICIES_MAX,
                      valid > PEXP_POLICIES_MAX ? valid - PEXP_POLICIES_MAX
                                                : 0);
}
