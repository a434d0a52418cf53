/* The decision engine (DESIGN.md §4). Pure: no I/O, no clock reads; time is
 * a parameter, so every decision can be unit tested and replayed. */
#ifndef DAS_DECIDE_H
#define DAS_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* What the metric store says about one window of one service. */
struct dec_window {
    int64_t start_ms;   /* window start (now - duration) */
    bool has_data;      /* any point in the window */
    double mean;        /* mean of every point of every container */
    long points;        /* number of points */
    int64_t first_ms;   /* time of the earliest point */
    int64_t last_ms;    /* time of the latest point */
    long containers;    /* containers with points in the window */
    long fresh;         /* containers whose last point is fresh */
};

struct dec_input {
    const struct policy *pol;
    int64_t now_ms;
    int64_t ds_interval_ms;  /* the agents' collection interval */
    bool found;              /* service resolved */
    bool global;             /* global mode: not scalable */
    bool updating;           /* UpdateStatus updating / rollback */
    long actual;             /* the service's desired replicas */
    int64_t last_action_ms;  /* last scale/sync/bound action; 0 = none */
    struct dec_window out_win, in_win;
};

enum dec_action {
    DEC_NONE = 0,
    DEC_SCALE_OUT,
    DEC_SCALE_IN,
    DEC_BOUND,  /* brought into [min_no, max_no] */
};

struct dec_result {
    enum dec_action action;
    long from, to;          /* replicas before/after (to == from: none) */
    bool sync;              /* cur_no differs from actual: cur_no follows */
    const char *outcome;    /* short code: "scale-out", "scale-in",
                               "bound", "steady", "at-max", "at-min",
                               "hold", "insufficient-data", "settling",
                               "service-not-found", "not-scalable",
                               "updating" */
    char reason[256];       /* in words: `mean cpu_ratio 84.2% > 70% over
                               10m: 3 → 4`, `insufficient data: 3m of 10m` */
    double observed;        /* the mean that decided (NAN when none) */
    double threshold;       /* the threshold compared against (NAN) */
    int64_t window_ms;      /* the window that decided (0 when none) */
};

/* The covered test of rule 6, exposed for status display: true when the
 * window's first point is no later than start + 2 intervals, its last point
 * no older than now - 2 intervals, the window starts after last_action_ms
 * and every one of `actual` replicas is reporting fresh data. */
bool dec_window_covered(const struct dec_window *w, int64_t now_ms,
                        int64_t ds_interval_ms, int64_t last_action_ms,
                        long actual);

/* Why a window is or is not covered; the first failing test in this order
 * wins. */
enum dec_coverage {
    DEC_COVERED = 0,
    DEC_NO_DATA,      /* no point, a non-finite mean, or interval <= 0 */
    DEC_SETTLING,     /* the window starts at or before last_action_ms */
    DEC_LATE_START,   /* first point later than start + 2 intervals */
    DEC_STALE,        /* last point older than now - 2 intervals */
    DEC_REPLICAS,     /* fewer fresh containers than actual replicas */
};

/* The test behind dec_window_covered, with the reason in words when
 * reason is not NULL: "insufficient data: 3m of 10m", "insufficient
 * data: 1 of 3 replicas reporting", "settling: 2m of 10m since the last
 * change" (empty when covered). The window's length is now - start_ms. */
enum dec_coverage dec_window_check(const struct dec_window *w, int64_t now_ms,
                                   int64_t ds_interval_ms,
                                   int64_t last_action_ms, long actual,
                                   char *reason, size_t reasonlen);

/* Applies DESIGN.md §4 rules 1-6 to one policy: fills every field of out
 * (outcome is a string literal). Order: service-not-found, not-scalable,
 * updating (all three before sync); sync flag; bound; then the windows.
 * Scale-out needs the out window covered; scale-in needs BOTH windows
 * covered, since rule 5 applies only "otherwise" (the out window must
 * positively say "not above"): an uncovered out window blocks scale-in
 * and the outcome is that window's insufficient-data or settling. */
void dec_evaluate(const struct dec_input *in, struct dec_result *out);

#endif
