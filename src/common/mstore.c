/* The metrics-store interface (mstore.h) over InfluxDB: window reads as
 * they are, or through das run's cache of recent points. */
#include "mstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "influx.h"
#include "log.h"
#include "pcache.h"

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

/* ---- InfluxDB through a cache of recent points ---- */

#define PTS_FIELDS 32 /* distinct fields a store keeps (stats.h has 16) */
#define PTS_REBASE_MS (1LL << 30) /* ~12 days: int32 offsets stay in range */

struct pts_field {
    char field[64];
    struct pcache pc;
    struct pc_reads reads;
};

struct mstore_points {
    struct infl *c;
    int64_t overlap_ms;
    struct pts_field f[PTS_FIELDS];
    size_t nf;
    unsigned long unusable;
};

struct mstore_points *mstore_points_new(struct infl *c, int64_t overlap_ms)
{
    struct mstore_points *p = xcalloc(1, sizeof *p);
    p->c = c;
    p->overlap_ms = overlap_ms > 0 ? overlap_ms : 0;
    return p;
}

void mstore_points_free(struct mstore_points *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nf; i++)
        pc_free(&p->f[i].pc);
    free(p);
}

static struct pts_field *pts_field_get(struct mstore_points *p,
                                       const char *field)
{
    for (size_t i = 0; i < p->nf; i++)
        if (!strcmp(p->f[i].field, field))
            return &p->f[i];
    if (p->nf == PTS_FIELDS || strlen(field) >= sizeof p->f[0].field)
        return NULL;
    struct pts_field *f = &p->f[p->nf++];
    memset(f, 0, sizeof *f);
    snprintf(f->field, sizeof f->field, "%s", field);
    return f;
}

static int pts_window_set(void *impl, const char *field, int64_t now_ms,
                          const int64_t *dur_ms, size_t k,
                          struct win_agg **outs, size_t *ns, char *err,
                          size_t errlen)
{
    struct mstore_points *p = impl;
    struct pts_field *f = pts_field_get(p, field);
    if (!f) {
        snprintf(err, errlen, "more than %d metric fields", PTS_FIELDS);
        return -1;
    }
    int64_t longest = 0;
    for (size_t i = 0; i < k; i++)
        if (dur_ms[i] > longest)
            longest = dur_ms[i];
    int64_t need_from = now_ms - longest;
    bool whole;
    int64_t since = pc_read_since(&f->reads, need_from, p->overlap_ms, &whole);
    if (whole)
        pc_clear(&f->pc, need_from);
    else if (now_ms - f->pc.base_ms > PTS_REBASE_MS)
        pc_rebase(&f->pc, need_from);
    /* the points that have left the windows go before the new ones come:
     * a series never holds both (no array grows past one window's) */
    pc_trim(&f->pc, need_from);
    /* this field may fill what the others leave of das's budget */
    size_t others = 0;
    for (size_t i = 0; i < p->nf; i++)
        if (&p->f[i] != f)
            others += pc_bytes(&p->f[i].pc);
    f->pc.max_bytes = pc_budget(others);
    size_t got = 0;
    int rc = infl_query_points(p->c, field, since, &f->pc, &got, err, errlen);
    pc_read_done(&f->reads, rc == 0, now_ms, need_from, p->overlap_ms);
    if (rc)
        return -1;
    log_debug("points read",
              "field=%s whole=%s since_ms=%lld points=%zu "
              "series=%zu held=%zu",
              field, whole ? "true" : "false", (long long)since, got, f->pc.n,
              f->pc.points);
    pc_windows(&f->pc, now_ms, dur_ms, k, outs, ns, &p->unusable);
    return 0;
}

/* One window alone, and the counts: the client's own (infl_ops). */
static int pts_windows(void *impl, const char *field, int64_t start_ms,
                       int64_t end_ms, struct win_agg **out, size_t *n,
                       char *err, size_t errlen)
{
    const struct mstore_points *p = impl;
    return infl_windows(p->c, field, start_ms, end_ms, out, n, err, errlen);
}

static unsigned long pts_requests(const void *impl)
{
    const struct mstore_points *p = impl;
    return infl_requests(p->c);
}

static unsigned long pts_unusable(const void *impl)
{
    const struct mstore_points *p = impl;
    return p->unusable + infl_unusable(p->c);
}

static const struct mstore_ops pts_ops = {
    .name = "InfluxDB",
    .dep = "influxdb",
    .windows = pts_windows,
    .window_set = pts_window_set,
    .supports = NULL,
    .requests = pts_requests,
    .unusable = pts_unusable,
};

void mstore_influx_points(struct mstore *m, struct mstore_points *p)
{
    m->ops = &pts_ops;
    m->impl = p;
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
