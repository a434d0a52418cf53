#include "mstore.h"

#include <stdio.h>

#include "influx.h"

static int infl_windows(void *impl, const char *field, int64_t start_ms,
                        int64_t end_ms, struct win_agg **out, size_t *n,
                        char *err, size_t errlen)
{
    return infl_query_windows(impl, field, start_ms, end_ms, out, n, err,
                              errlen);
}

static int infl_window_set(void *impl, const char *field, int64_t now_ms,
                           const int64_t *dur_ms, size_t k,
                           struct win_agg **outs, size_t *ns, char *err,
                           size_t errlen)
{
    struct infl_set_plan plan;
    struct win_agg *got[INFL_SET_MAX_DURS];
    size_t ngot[INFL_SET_MAX_DURS];
    if (infl_set_plan(field, dur_ms, k, now_ms, &plan, err, errlen) ||
        infl_query_window_set(impl, &plan, got, ngot, err, errlen))
        return -1;
    /* the plan's order (ascending) back to the caller's */
    for (size_t i = 0; i < k; i++) {
        outs[i] = NULL;
        ns[i] = 0;
        for (size_t j = 0; j < plan.k; j++)
            if (plan.dur_ms[j] == dur_ms[i] && got[j]) {
                outs[i] = got[j];
                ns[i] = ngot[j];
                got[j] = NULL;
            }
    }
    for (size_t j = 0; j < plan.k; j++)
        free(got[j]); /* a length asked twice */
    return 0;
}

static unsigned long infl_requests(const void *impl)
{
    return infl_query_count(impl);
}

static unsigned long infl_unusable(const void *impl)
{
    struct infl_stats st;
    infl_get_stats(impl, &st);
    return st.series_unusable;
}

static const struct mstore_ops infl_ops = {
    .name = "InfluxDB",
    .dep = "influxdb",
    .windows = infl_windows,
    .window_set = infl_window_set,
    .supports = NULL,
    .requests = infl_requests,
    .unusable = infl_unusable,
};

void mstore_influx(struct mstore *m, struct infl *c)
{
    m->ops = &infl_ops;
    m->impl = c;
}

int mstore_windows(struct mstore *m, const char *field, int64_t start_ms,
                   int64_t end_ms, struct win_agg **out, size_t *n, char *err,
                   size_t errlen)
{
    *out = NULL;
    *n = 0;
    return m->ops->windows(m->impl, field, start_ms, end_ms, out, n, err,
                           errlen);
}

bool mstore_has_window_set(const struct mstore *m)
{
    return m->ops->window_set != NULL;
}

int mstore_window_set(struct mstore *m, const char *field, int64_t now_ms,
                      const int64_t *dur_ms, size_t k, struct win_agg **outs,
                      size_t *ns, char *err, size_t errlen)
{
    for (size_t i = 0; i < k; i++) {
        outs[i] = NULL;
        ns[i] = 0;
    }
    if (!m->ops->window_set || k > MSTORE_SET_MAX) {
        snprintf(err, errlen, "%s reads windows one at a time", m->ops->name);
        return -1;
    }
    return m->ops->window_set(m->impl, field, now_ms, dur_ms, k, outs, ns, err,
                              errlen);
}

bool mstore_supports(struct mstore *m, const char *field, char *err,
                     size_t errlen)
{
    if (!m->ops->supports)
        return true;
    return m->ops->supports(m->impl, field, err, errlen);
}

unsigned long mstore_requests(const struct mstore *m)
{
    return m->ops->requests(m->impl);
}

unsigned long mstore_unusable(const struct mstore *m)
{
    return m->ops->unusable(m->impl);
}
