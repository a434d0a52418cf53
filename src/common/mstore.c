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
    "InfluxDB", "influxdb", infl_windows, NULL, infl_requests, infl_unusable,
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
