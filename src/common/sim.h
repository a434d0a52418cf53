/* The load model of docs/decisions.md, and the rules measured on it.
 *
 * A trace gives the total demand (percent of one core) every DT; the model
 * turns it into what das would see live — one cpu_ratio point per replica
 * per step, replicas that warm up before they serve, the youngest removed
 * first — and runs a rule at every step. The `das` and `step` rules are
 * das's own decision code (cyc_window_add + dec_evaluate, as `das run`
 * calls them); `hpa` and `hpa-eq` are the reference rules of docs/decisions.md.
 * Pure: no I/O, no clock. */
#ifndef DAS_SIM_H
#define DAS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "policy.h"
#include "xmalloc.h"

/* A load trace: demand[i] holds from t0_ms + i·dt_ms for dt_ms. */
struct sim_trace {
    double *demand; /* heap */
    size_t n;
    int64_t t0_ms;
    int64_t dt_ms;
};

/* Bounds of what a trace file may hold. */
#define SIM_TRACE_MAX_ROWS 1000000
#define SIM_DEMAND_MAX 1e9

/* Parses CSV text "t,demand" (a header line first; t in seconds, evenly
 * spaced, rising; demand >= 0 and finite). Blank lines and a trailing \r
 * are fine. -1 + err naming the line and what is accepted. */
int sim_trace_parse(const char *text, size_t len, struct sim_trace *tr,
                    char *err, size_t errlen) WUR;
void sim_trace_free(struct sim_trace *tr);

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
};

struct sim_result {
    struct sim_step *steps; /* one per trace row (heap) */
    size_t nsteps;
    struct sim_action *actions; /* heap */
    size_t nactions;
    struct sim_scores scores;
};

/* Plays the trace under the model with rule and policy (its min_no,
 * max_no, thresholds, windows, scale_mode and warm-up; cur_no and
 * service_id are not used). The policy's metric should be cpu_ratio: the
 * model's points are CPU. Fills *res (free with sim_result_free). */
void sim_run(const struct sim_trace *tr, const struct policy *pol,
             enum sim_rule rule, const struct sim_model *m,
             struct sim_result *res);
void sim_result_free(struct sim_result *res);

/* Scores from steps and actions alone (used by sim_run; exposed for
 * replaying a recorded history). */
void sim_score(const struct sim_step *steps, size_t nsteps,
               const struct sim_action *actions, size_t nactions, int64_t dt_ms,
               const struct sim_model *m, struct sim_scores *out);

#endif
