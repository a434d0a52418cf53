/* The load model of docs/decisions.md, and the rules measured on it.
 *
 * A trace gives the total demand (percent of one core) every DT; the model
 * turns it into what das would see live — one cpu_ratio point per replica
 * per step, replicas that warm up before they serve, the youngest removed
 * first — and runs a rule at every step. The `das` and `step` rules are
 * das's own decision code (cyc_window_add + dec_evaluate, as `das run`
 * calls them); `hpa` and `hpa-eq` are the reference rules of docs/decisions.md.
 *
 * A trace with several columns, named by its header after the policy's
 * metrics, plays every condition of the policy: a ds field's column is
 * the service's demand in the metric's unit, shared by the serving
 * replicas as CPU is; a query metric's column is what its query reads,
 * whatever the replicas. Each condition is decided by dec_evaluate on its
 * own windows (a query's through qwin.h, as `das run` reads Prometheus),
 * then dec_combine, dec_at_zero and dec_idle, within the schedule's bounds
 * at the trace's times. Pure: no I/O, no clock. */
#ifndef DAS_SIM_H
#define DAS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "policy.h"
#include "xmalloc.h"

/* The most load columns of a trace (after t), and a column name's
 * length (a policy's metric names: POL_COND_NAME_MAX). */
#define SIM_COLS_MAX POL_CONDS_MAX
#define SIM_COL_NAME_MAX POL_COND_NAME_MAX

/* A load trace: demand[i] holds from t0_ms + i·dt_ms for dt_ms. A trace
 * of several columns has the first in demand and the others in more[];
 * a value NAN is an empty cell (no value: a query that read nothing). */
struct sim_trace {
    double *demand; /* heap: the first load column */
    size_t n;
    int64_t t0_ms;
    int64_t dt_ms;
    size_t ncols; /* load columns; 0 is read as 1 (demand alone) */
    char name[SIM_COLS_MAX][SIM_COL_NAME_MAX + 1]; /* the header's, or "" */
    double *more[SIM_COLS_MAX - 1];                /* columns 2.. (heap) */
};

/* Bounds of what a trace file may hold. */
#define SIM_TRACE_MAX_ROWS 1000000
#define SIM_DEMAND_MAX 1e9

/* Parses CSV text "t,demand" (a header line first; t in seconds, evenly
 * spaced, rising; demand >= 0 and finite). Blank lines and a trailing \r
 * are fine. A header of three or more names, "t,cpu_ratio,rps", gives
 * that many columns (names: letters, digits and _, each once); every row
 * has them all, a value or an empty cell. -1 + err naming the line and
 * what is accepted. */
int sim_trace_parse(const char *text, size_t len, struct sim_trace *tr,
                    char *err, size_t errlen) WUR;
void sim_trace_free(struct sim_trace *tr);
/* Column c of tr (c < ncols, or 0). */
const double *sim_trace_col(const struct sim_trace *tr, size_t c);

/* Which column plays each condition of pol (col[k] for conds[k]): the
 * column named after it. 0 when every condition has one; 1 when the trace
 * has one column and it names none of them (today's "t,demand": the CPU
 * demand of one condition); -1 + err otherwise (a metric without its
 * column, a ds field's column with an empty cell, or the one column of a
 * policy it does not name with an empty cell). */
int sim_bind(const struct sim_trace *tr, const struct policy *pol, size_t *col,
             char *err, size_t errlen) WUR;

enum sim_rule {
    SIM_RULE_DAS = 0, /* das's default rule (the policy's scale_mode) */
    SIM_RULE_STEP,    /* das's code with scale_mode step: the seed's ±1 */
    SIM_RULE_HPA,     /* Kubernetes HPA's default behaviour */
    SIM_RULE_HPA_EQ,  /* HPA with a scale-up stabilization of out_duration */
    SIM_NRULES
};
extern const char *const sim_rule_names[SIM_NRULES];
/* -1 when name is not a rule. */
int sim_rule_find(const char *name);

/* The model's constants (docs/decisions.md). */
struct sim_model {
    double cap;        /* a replica's CPU limit, percent of a core: 100 */
    double limit;      /* where das sees a replica saturated: cap, or NAN
                          (a service without a CPU limit) */
    int64_t warm_ms;   /* from existing to serving: 20 s */
    long start;        /* replicas at t0, all serving: 2 */
    double under_frac; /* under-provisioned when demand > this × cap ×
                          serving: 0.9 */
    int64_t flap_ms;   /* opposite actions closer than this flap: 10 min */
};
void sim_model_default(struct sim_model *m);

/* One step: the count during it, and what the rule saw after it. */
struct sim_step {
    int64_t t_ms;
    double demand;
    long replicas; /* existing during the step (warming included) */
    long serving;
    double observed; /* mean of the replicas' points of this step */
};

struct sim_action {
    int64_t t_ms; /* the step after whose points the rule acted */
    long from, to;
    const char *outcome; /* "scale-out", "scale-in", "bound" */
    char reason[256];
};

struct sim_scores {
    double under_min;   /* minutes with demand > under_frac·cap·serving */
    double replica_min; /* Σ replicas · DT / 60 s */
    long actions;
    long flaps; /* consecutive opposite actions closer than flap_ms */
    /* scale to zero (a policy of min_no 0: zero true) */
    bool zero;
    long wakes;         /* waits from a request at zero to a serving
                           replica, ended within the trace */
    double wake_max_s;  /* the longest of them, seconds */
    double wake_mean_s; /* their mean */
    double saved_min;   /* replica_min of the policy with min_no 1, less
                           this one's */
    double floor_min;   /* that policy's replica_min */
};

/* The metrics played (several-column traces): per step and condition,
 * the column's value and what das compared with its thresholds. */
struct sim_metrics {
    size_t n; /* conditions played; 0: the one CPU demand */
    char name[SIM_COLS_MAX][SIM_COL_NAME_MAX + 1];
    double *load; /* load[k·n + c]: column value of step k (heap) */
    double *seen; /* seen[k·n + c]: the value per replica (a ds field's
                     mean point, a query's value over the replicas) or the
                     service's (a query of target service); NAN: none */
    long *min_no, *max_no; /* per step, the bounds in force at the rule
                              after it, when a schedule played (heap);
                              NULL otherwise */
};

struct sim_result {
    struct sim_step *steps; /* one per trace row (heap) */
    size_t nsteps;
    struct sim_action *actions; /* heap */
    size_t nactions;
    struct sim_scores scores;
    struct sim_metrics metrics;
};

/* Plays the trace under the model with rule and policy (its min_no,
 * max_no, thresholds, windows, scale_mode and warm-up; cur_no and
 * service_id are not used). The policy's metric should be cpu_ratio: the
 * model's points are CPU. Fills *res (free with sim_result_free). */
void sim_run(const struct sim_trace *tr, const struct policy *pol,
             enum sim_rule rule, const struct sim_model *m,
             struct sim_result *res);

/* sim_run for every condition of pol, each on its column (col from
 * sim_bind; the reference rules hpa and hpa-eq play one CPU metric and
 * are not for it), the schedule evaluated in zone (NULL: UTC) at the
 * trace's times (t: Unix seconds), and with min_no 0 the scale-to-zero
 * scores. res->metrics has what each condition saw. */
void sim_play(const struct sim_trace *tr, const struct policy *pol,
              const size_t *col, enum sim_rule rule, const struct sim_model *m,
              const struct tz *zone, struct sim_result *res);
void sim_result_free(struct sim_result *res);

/* A metric's capacity per replica in the model and the limit das run
 * gives the engine for it: the model's cap and limit for cpu_ratio, 100%
 * for cpu_limit_ratio (both) and the other ratios (a capacity, no
 * limit); none (INFINITY, NAN) for a size, a rate or a query. */
void sim_caps(const struct pol_metric *met, const struct sim_model *m,
              double *cap, double *limit);

/* Scores from steps and actions alone (used by sim_run; exposed for
 * replaying a recorded history). */
void sim_score(const struct sim_step *steps, size_t nsteps,
               const struct sim_action *actions, size_t nactions, int64_t dt_ms,
               const struct sim_model *m, struct sim_scores *out);

#endif
