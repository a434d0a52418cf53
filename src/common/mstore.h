/* The metrics store das reads its windows from: one interface, InfluxDB
 * behind it (influx.h) and Prometheus beside it (prom.h). das's cycle asks
 * it once per distinct (metric field, window) pair; what comes back is
 * backend-neutral (metrics.h), so the decision core knows no client.
 *
 * The store is borrowed, not owned: das keeps its InfluxDB client for the
 * writes (the `das` measurement) whichever store it reads from. */
#ifndef DAS_MSTORE_H
#define DAS_MSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "xmalloc.h"

struct mstore_ops {
    const char *name; /* for messages: "InfluxDB", "Prometheus" */
    const char *dep;  /* for metrics and status: "influxdb", "prometheus" */
    /* Per (service, container) aggregates of field over [start_ms,
     * end_ms): *out heap (free), sorted or not. 0 / -1 + err. */
    int (*windows)(void *impl, const char *field, int64_t start_ms,
                   int64_t end_ms, struct win_agg **out, size_t *n, char *err,
                   size_t errlen);
    /* Optional (NULL: windows() per window): the windows of field for
     * each length dur_ms[0..k) (distinct), [now − dur, now + 1), in one
     * go; outs[i] / ns[i] for dur_ms[i]. 0 / -1 + err. */
    int (*window_set)(void *impl, const char *field, int64_t now_ms,
                      const int64_t *dur_ms, size_t k, struct win_agg **outs,
                      size_t *ns, char *err, size_t errlen);
    /* false + err when the store has no way to read field (a metric the
     * vocabulary does not map); NULL: every field is readable. */
    bool (*supports)(void *impl, const char *field, char *err, size_t errlen);
    /* Requests sent so far, and series that could not be used. */
    unsigned long (*requests)(const void *impl);
    unsigned long (*unusable)(const void *impl);
};

struct mstore {
    const struct mstore_ops *ops;
    void *impl;
};

/* A store that reads from an InfluxDB client (influx.h). */
struct infl;
void mstore_influx(struct mstore *m, struct infl *c);

/* The same, through a cache of recent points (pcache.h) for a process
 * that reads every cycle (das run): the first read of a field asks for
 * the points of its longest window, each later one only for those written
 * since the last read, from overlap_ms before it (points a collector
 * writes late). After a failed read, the reads go back to the last good
 * one until it has left the longest window or PC_RECOVER_MS of good reads
 * have passed (what das missed, and a collector's backlog written on its
 * recovery). The windows are
 * then made from the cache: the rows of mstore_influx's, values held as
 * float. A longer window than the cache holds reads whole again. */
struct mstore_points;
struct mstore_points *mstore_points_new(struct infl *c, int64_t overlap_ms);
void mstore_points_free(struct mstore_points *p);
void mstore_influx_points(struct mstore *m, struct mstore_points *p);

static inline const char *mstore_name(const struct mstore *m)
{
    return m->ops->name;
}
static inline const char *mstore_dep(const struct mstore *m)
{
    return m->ops->dep;
}
int mstore_windows(struct mstore *m, const char *field, int64_t start_ms,
                   int64_t end_ms, struct win_agg **out, size_t *n, char *err,
                   size_t errlen) WUR;
/* True when the store reads several windows of a field at once
 * (mstore_window_set); at most MSTORE_SET_MAX lengths a call. */
#define MSTORE_SET_MAX 16
bool mstore_has_window_set(const struct mstore *m);
int mstore_window_set(struct mstore *m, const char *field, int64_t now_ms,
                      const int64_t *dur_ms, size_t k, struct win_agg **outs,
                      size_t *ns, char *err, size_t errlen) WUR;
bool mstore_supports(struct mstore *m, const char *field, char *err,
                     size_t errlen);
unsigned long mstore_requests(const struct mstore *m);
unsigned long mstore_unusable(const struct mstore *m);

#endif
