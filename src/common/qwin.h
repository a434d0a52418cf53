/* A query metric's windows (policy.h pol_cond.query): the samples the
 * operator's query returned, made into the engine's window (decide.h) so
 * that the one rule decides CPU and requests alike. Pure: no I/O. */
#ifndef DAS_QWIN_H
#define DAS_QWIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "policy.h"

/* One sample of the query's one series. */
struct qwin_sample {
    int64_t t_ms;
    double v;
};

/* The most samples das reads for one query (Prometheus answers at most
 * 11,000 points a series). */
#define QWIN_SAMPLES_MAX 20000

/* The step a query over window_ms is read at: the collection interval,
 * or coarser so that the window holds at most 10,000 steps. */
int64_t qwin_step(int64_t window_ms, int64_t interval_ms);

/* The window [w->start_ms, now_ms] of the samples (sorted by time; any
 * before the start are left out): the query's value per replica (target
 * replica: the value over `replicas`) or the service's (target service),
 * so that mean compares with the thresholds and last_sum / max_sum are
 * the service's whole load as the engine sizes it (the latest and the
 * highest value, times replicas for a service target). The query's value
 * stands for every replica: containers and fresh are `replicas` when the
 * window has a sample. -1 + why when a sample is not a finite number or
 * replicas < 1 (the caller says the metric is unavailable); 0 otherwise
 * (no sample: has_data false, the engine says insufficient data). */
int qwin_window(const struct qwin_sample *s, size_t n, int64_t now_ms,
                enum pol_target target, long replicas, struct dec_window *w,
                char *why, size_t whylen);

/* An operator's InfluxQL query made ready for a window: $timeFilter
 * becomes `time >= STARTms AND time <= ENDms` and $interval `STEPms`
 * (numbers only: nothing else is put into the operator's text). The query
 * must be one SELECT with $timeFilter. 0, or -1 + err saying what is
 * accepted. */
struct buf;
int qwin_influxql(const char *query, int64_t start_ms, int64_t end_ms,
                  int64_t step_ms, struct buf *out, char *err, size_t errlen);

/* Scale to zero (policy min_no 0). The latest sample at or before now,
 * when it is no older than 2 intervals and a finite value >= 0: true and
 * *v; false otherwise (no fresh value: nothing wakes on it). */
bool qwin_latest(const struct qwin_sample *s, size_t n, int64_t now_ms,
                 int64_t interval_ms, double *v);
/* True when the samples cover [start_ms, now_ms] (the first no later than
 * 2 intervals after the start, the last no older than 2 intervals) and
 * every one of them is 0: the metric was idle all along. */
bool qwin_idle(const struct qwin_sample *s, size_t n, int64_t start_ms,
               int64_t now_ms, int64_t interval_ms);

/* How far back a query metric's policy reads: the longer window, or
 * idle_for when it may go to zero (min_no 0) and that is longer. */
int64_t qwin_span(const struct policy *p);

/* A query metric's decision from its samples over qwin_span before
 * in->now_ms, as das run and das simulate make it (one rule, no copy):
 * below the floor in force (min_no, or the schedule's), the engine
 * brings it up; at zero replicas (min_no 0 and no scheduled floor) the
 * latest value alone decides (dec_at_zero); else the samples make the
 * windows (qwin_window, coverage at the query's step) and the engine
 * decides, a policy that may go to zero floored at one replica (only
 * idle_for takes it to zero: *idle when it read 0 over all of it).
 * 0 with out filled; -1 + why when the samples are unusable (out left
 * alone: the caller says the metric is unavailable). */
int qwin_decide(struct dec_input *in, const char *name, enum pol_target target,
                const struct qwin_sample *s, size_t n, struct dec_result *out,
                bool *idle, char *why, size_t whylen);

#endif
