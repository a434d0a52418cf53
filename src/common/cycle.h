/* The pure parts of a das cycle (docs/design.md §4): grouping policies into the
 * distinct (cond_item, duration) pairs that each cost one metrics-store query,
 * folding per-container aggregates into a service's window, and describing
 * a window's coverage for people. No I/O, no clock reads. */
#ifndef DAS_CYCLE_H
#define DAS_CYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "metrics.h"

/* One metrics-store query of a cycle: a metric field over a window length. */
struct cyc_pair {
    const char *field; /* points at the policy's metric table entry */
    int64_t dur_ms;
};

/* Finds or appends (field, dur_ms) in pairs[0..*n) (capacity cap) and
 * returns its index; (size_t)-1 when full. Order of first appearance is
 * kept. */
size_t cyc_pair_add(struct cyc_pair *pairs, size_t *n, size_t cap,
                    const char *field, int64_t dur_ms);

/* Starts an empty window that begins at start_ms. */
void cyc_window_init(struct dec_window *w, int64_t start_ms);

/* One container's points in a window, as the metric store sums them up. */
struct cyc_ctr {
    double mean;
    long count;
    int64_t first_ms, last_ms; /* times of its earliest and latest point */
    double last;               /* its latest point's value */
    double max;                /* its highest point's value */
};

/* Adds one container's aggregate to a window: the mean is weighted by the
 * point count (Σ mean·count / Σ count), first is the minimum, last the
 * maximum; the container counts as fresh when its last point is at or
 * after fresh_ms (now − 2 · ds_interval), and then its latest and highest
 * points add to last_sum and max_sum.
 * Rows with count <= 0 are ignored. */
void cyc_window_add(struct dec_window *w, const struct cyc_ctr *c,
                    int64_t fresh_ms);

/* Aggregates of one query, sorted by service so each policy finds its
 * rows by binary search (a cycle over 1,000 policies stays cheap). */
struct cyc_index {
    struct win_agg *rows; /* sorted in place; owned by the caller */
    size_t n;
};
/* Sorts rows by service tag (then container). */
void cyc_index_init(struct cyc_index *ix, struct win_agg *rows, size_t n);
/* How young a container is (young()'s answer, told whether the
 * container still reports: its last point is fresh): CYC_WARMING, younger
 * than the policy's warm-up and counted in the running replicas;
 * CYC_STARTING, its task not running yet (not counted); CYC_NOT_TASK, it
 * reports but no task of the service runs it: not a replica (a container
 * that only carries the service's labels), an unusable series. */
enum cyc_age { CYC_MATURE, CYC_WARMING, CYC_STARTING, CYC_NOT_TASK };
/* Builds the window of service_id from the index: start = now − dur.
 * Containers that young() calls warming or starting are left out and
 * counted in w->warming, the starting ones in w->starting too; those it
 * calls no task's are left out as unusable (WIN_BAD_NOT_TASK; young NULL:
 * none are). */
void cyc_index_window(const struct cyc_index *ix, const char *service_id,
                      int64_t now_ms, int64_t dur_ms, int64_t ds_interval_ms,
                      enum cyc_age (*young)(const char *container, bool fresh,
                                            void *arg),
                      void *young_arg, struct dec_window *w);

/* How much of a window is covered, in words: "10m/10m" when covered (rule
 * 6), otherwise dec_window_check()'s reason without its "insufficient data: "
 * prefix ("3m of 10m", "no points in 10m", "1 of 2 replicas reporting",
 * "settling: 2m of 10m since the last change"). Returns out. */
char *cyc_coverage_text(const struct dec_window *w, int64_t dur_ms,
                        int64_t now_ms, int64_t ds_interval_ms,
                        int64_t last_action_ms, long actual, char *out,
                        size_t outlen);

#endif
