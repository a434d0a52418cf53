/* The decision engine (docs/design.md §4). Pure: no I/O, no clock reads; time
 * is a parameter, so every decision can be unit tested and replayed. */
#ifndef DAS_DECIDE_H
#define DAS_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* What the metric store says about one window of one service. */
struct dec_window {
    int64_t start_ms; /* window start (now - duration) */
    bool has_data;    /* any point in the window */
    double mean;      /* mean of every point of every container */
    long points;      /* number of points */
    int64_t first_ms; /* time of the earliest point */
    int64_t last_ms;  /* time of the latest point */
    long containers;  /* containers with points in the window */
    long fresh;       /* containers whose last point is fresh */
    long warming;     /* containers left out: younger than the warm-up */
    long starting;    /* of those, the ones whose task is not running yet
                         (not in dec_input.running) */
    double last_sum;  /* Σ of each fresh container's latest point */
    double max_sum;   /* Σ of each fresh container's highest point */
    long unusable;    /* series present but unusable (metrics.h) */
    int unusable_why; /* enum win_bad of the first of them */
};

struct dec_input {
    const struct policy *pol;
    int64_t now_ms;
    int64_t ds_interval_ms;  /* the agents' collection interval */
    bool found;              /* service resolved */
    bool global;             /* not scalable (global mode, a job, …) */
    const char *unscalable;  /* why, for the reason; NULL: global mode */
    bool updating;           /* UpdateStatus updating / rollback */
    long actual;             /* the service's desired replicas */
    int64_t last_action_ms;  /* last scale/sync/bound action; 0 = none */
    bool last_bet;           /* that action was a bet (dec_result.bet) */
    bool last_out;           /* that action added replicas (the trim
                                waits DEC_TRIM_AFTER_OUT after it) */
    double limit;            /* a replica's ceiling in the metric's unit
                                (cpu_ratio: its CPU limit); NAN: none */
    long running;            /* tasks running; -1 when unknown (then
                                `actual` replicas are expected to report) */
    long pending;            /* tasks that should run but wait */
    const char *pending_why; /* why the first one waits ("" / NULL) */
    struct dec_window out_win, in_win;
    /* The policy's schedule now (sched_eval), NULL when it has none: the
     * engine decides within its min_no..max_no instead of the policy's,
     * and a reason that a scheduled bound decided names its window. */
    const struct sched_now *sched;
};

/* The auto rule's constants (docs/policies.md, "How das decides").
 * - Replicas whose latest points average at least DEC_SATURATED × their
 *   limit are saturated: the load above the limit is unknown. das then
 *   bets big only when the window was pinned at the limit throughout
 *   (mean >= DEC_PINNED × limit) or the latest points rose DEC_SURGE ×
 *   limit above the window's mean (a surge); a window that hovered near
 *   the limit says the load is near it. The bet: enough replicas to carry
 *   n × limit at in_cond each, at most DEC_BET_MAX × n.
 * - Scale-in aims at out_cond / DEC_TOLERANCE (HPA's 10% tolerance), so
 *   the next window does not want the replicas back. */
#define DEC_SATURATED 0.95
/* ... and that bet is at most DEC_BET_MAX times the replicas. */
#define DEC_BET_MAX 4
#define DEC_PINNED 0.99
#define DEC_SURGE 0.10
#define DEC_TOLERANCE 1.1
/* - A bet (a scale-out past the load seen) is returned once the load is
 *   known to fit fewer replicas at out_cond / DEC_TOLERANCE:
 *   - early, on the first covered out window after it, when that window's
 *     peak is below in_cond on every replica (the load went away: a burst
 *     that ended; a mean alone may be dragged down by replicas that just
 *     joined) and fits fewer;
 *   - else no sooner than DEC_BET_HOLD in_durations after it (load that
 *     hid behind the limit often comes back: a return sooner would flap),
 *     sized on the in window's mean load (the bet's replicas were a guess,
 *     not a measured need), and no later than DEC_BET_UNTIL in_durations
 *     (then the replicas have been carrying real load and in_cond alone
 *     decides).
 *   A bet's reason carries DEC_BET_MARK, so a restarted das or a new
 *   leader knows it from the recorded event. */
#define DEC_BET_HOLD 2
#define DEC_BET_UNTIL 6
/* - A load rising over the in window (the latest points above the
 *   window's mean) keeps room in a scale-in: the peak it is sized on
 *   grows by DEC_RISING × (latest − mean), about one and a half windows
 *   more of a steady rise, so a scale-in on a load that already turned
 *   up is not undone by the next scale-out. */
#define DEC_RISING 3.0
/* - The trim: with both windows covered, the out window not above
 *   out_cond and the in window's mean above in_cond but below out_cond /
 *   DEC_TOLERANCE, `auto` scales in when the in window's peak load (as
 *   for a scale-in) fits fewer replicas at out_cond / DEC_TOLERANCE: a
 *   load that fell keeps the replicas near the target, not anywhere
 *   above in_cond (`band` keeps them). Not within DEC_TRIM_AFTER_OUT
 *   in_durations after a scale-out: the load that asked for it may come
 *   back (bursts, square waves), and a trim then would flap. */
#define DEC_TRIM_AFTER_OUT 2
#define DEC_BET_MARK "(load unknown above it)"

/* Every outcome of an evaluation, one names table (dec_outcome_names):
 * logs, status, events and /metrics all print through it. The last three
 * are set by the caller when an input could not be read. */
#define DEC_OUTCOMES(X)                                                        \
    X(DEC_O_SCALE_OUT, "scale-out")                                            \
    X(DEC_O_SCALE_IN, "scale-in")                                              \
    X(DEC_O_BOUND, "bound")                                                    \
    X(DEC_O_STEADY, "steady")                                                  \
    X(DEC_O_AT_MAX, "at-max")                                                  \
    X(DEC_O_AT_MIN, "at-min")                                                  \
    X(DEC_O_HOLD, "hold")                                                      \
    X(DEC_O_INSUFFICIENT, "insufficient-data")                                 \
    X(DEC_O_SETTLING, "settling")                                              \
    X(DEC_O_NOT_FOUND, "service-not-found")                                    \
    X(DEC_O_NOT_SCALABLE, "not-scalable")                                      \
    X(DEC_O_UPDATING, "updating")                                              \
    X(DEC_O_CAPACITY, "capacity-bound")                                        \
    X(DEC_O_STORE_DOWN, "store-unavailable")                                   \
    X(DEC_O_DOCKER_DOWN, "docker-unavailable")                                 \
    X(DEC_O_METRICS_DOWN, "metrics-unavailable")

#define DEC_O_ENUM(id, name) id,
enum dec_outcome { DEC_OUTCOMES(DEC_O_ENUM) DEC_NOUTCOMES };
#undef DEC_O_ENUM
extern const char *const dec_outcome_names[DEC_NOUTCOMES];

enum dec_action {
    DEC_NONE = 0,
    DEC_SCALE_OUT,
    DEC_SCALE_IN,
    DEC_BOUND, /* brought into [min_no, max_no] */
};

struct dec_result {
    enum dec_action action;
    long from, to;            /* replicas before/after (to == from: none) */
    bool sync;                /* cur_no differs from actual: cur_no follows */
    enum dec_outcome outcome; /* its name: dec_outcome_names[] */
    char reason[256];         /* in words: `mean cpu_ratio 84.2% > 70% over
                                 10m: 3 → 4`, `insufficient data: 3m of 10m` */
    double observed;          /* the mean that decided (NAN when none) */
    double threshold;         /* the threshold compared against (NAN) */
    int64_t window_ms;        /* the window that decided (0 when none) */
    bool bet;                 /* a scale-out beyond the load seen (replicas
                                 at their limit): returned once known */
    size_t cond;              /* the condition that decided (policy.conds;
                                 0 for a one-metric policy) */
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
    DEC_NO_DATA,    /* no point, a non-finite mean, or interval <= 0 */
    DEC_SETTLING,   /* the window starts at or before last_action_ms */
    DEC_LATE_START, /* first point later than start + 2 intervals */
    DEC_STALE,      /* last point older than now - 2 intervals */
    DEC_REPLICAS,   /* fewer fresh containers than actual replicas */
};

/* The test behind dec_window_covered, with the reason in words when
 * reason is not NULL: "insufficient data: 3m of 10m", "insufficient
 * data: 1 of 3 replicas reporting", "settling: 2m of 10m since the last
 * change" (empty when covered). The window's length is now - start_ms. */
enum dec_coverage dec_window_check(const struct dec_window *w, int64_t now_ms,
                                   int64_t ds_interval_ms,
                                   int64_t last_action_ms, long actual,
                                   char *reason, size_t reasonlen);

/* The replicas expected to report: the running tasks when known, else
 * the service's replicas. */
long dec_expected(const struct dec_input *in);

/* True when an action's reason says it was a bet (DEC_BET_MARK). */
bool dec_reason_bet(const char *reason);

/* Applies docs/design.md §4 rules 1-6 to one policy: fills every field of out
 * (outcome is a string literal). The bounds are in->sched's when given
 * (a bound, at-min, at-max, or a step to a bound that a window set says
 * so: `2 replicas below min_no 4: 2 → 4 (schedule: Mon-Fri 08:00-18:00
 * min=4, Europe/Paris)`). Order: service-not-found, not-scalable,
 * updating (all three before sync); sync flag; bound; then the windows.
 * Scale-out needs the out window covered; scale-in needs BOTH windows
 * covered, since rule 5 applies only "otherwise" (the out window must
 * positively say "not above"): an uncovered out window blocks scale-in
 * and the outcome is that window's insufficient-data or settling. */
void dec_evaluate(const struct dec_input *in, struct dec_result *out);

/* Scale to zero (min_no 0, every condition a query metric). At zero
 * replicas the engine has no replica to divide by: a condition's latest
 * value decides alone. Fresh and above 0: wake, a scale-out straight to
 * the policy's wake_no (`wake: rps 12.0 > 0 at zero replicas: 0 → 2`);
 * fresh and 0: stay (at-min, `at zero: rps reads 0`); no fresh value:
 * insufficient data (nothing wakes on missing data). in->actual is 0 and
 * the service found and at rest (rule 1 decided before). */
void dec_at_zero(const struct dec_input *in, const char *name, bool fresh,
                 double latest, struct dec_result *out);

/* A policy that may go to zero, after its decision on one or more
 * replicas (the engine floors it at one): when every condition read 0
 * over idle_for (idle) and the decision scales nothing out, it goes to
 * zero (`idle: rps read 0 for 15m: 2 → 0`; names: "rps" or "every
 * metric"). Otherwise out is left as it is. */
void dec_idle(const struct dec_input *in, const char *names, bool idle,
              struct dec_result *out);

/* The decision of a policy with several conditions, from each condition's
 * own (res[k] from dec_evaluate on pol_cond_view(pol, k), k < n): as HPA
 * and the Nomad autoscaler do it,
 * - an outcome that comes before the windows (service not found, not
 *   scalable, updating, bound, a store down) is every condition's: res[0];
 * - a scale-out when any condition scales out, to the largest proposal;
 * - a scale-in only when every condition scales in, to the largest of
 *   their proposals (the most replicas any of them keeps);
 * - else no action: the outcome of the condition that held it, in this
 *   order: capacity-bound, at-max, missing data (insufficient data,
 *   settling, metrics unavailable: a metric with no data blocks scale-in
 *   but never scales out on its own), then hold, steady and at-min.
 * out is the deciding condition's result (out->cond says which), its
 * reason followed by what the others proposed, e.g. `mean mem_ratio 91%
 * > 80% over 2m: 3 → 4; also cpu_ratio → 4`. n == 1: res[0] unchanged. */
void dec_combine(const struct dec_result *res, size_t n,
                 const char *const *fields, struct dec_result *out);

#endif
