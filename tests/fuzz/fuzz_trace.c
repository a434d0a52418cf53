/* libFuzzer target: load trace files (sim_trace_parse), then the model
 * played over what parsed. Invariants: no crash, no leak; a parsed trace
 * has at least two rows, a positive step, finite demand in [0,
 * SIM_DEMAND_MAX]; a refused one leaves nothing allocated and a one-line
 * message; the model keeps every step's replicas within [min_no, max_no]
 * after the first action, never serves more than it has, and its scores
 * are finite and non-negative. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sim_trace tr;
    char err[256];
    memset(err, 0, sizeof err);
    if (sim_trace_parse((const char *)data, size, &tr, err, sizeof err)) {
        if (tr.demand || tr.n || !err[0] || strchr(err, '\n'))
            abort();
        return 0;
    }
    if (tr.n < 2 || tr.dt_ms < 1)
        abort();
    for (size_t i = 0; i < tr.n; i++)
        if (!(tr.demand[i] >= 0 && tr.demand[i] <= SIM_DEMAND_MAX))
            abort();
    /* keep the model's work bounded: a few thousand steps */
    if (tr.n > 4000)
        tr.n = 4000;
    struct policy p;
    memset(&p, 0, sizeof p);
    p.min_no = 1 + (long)(size % 3);
    p.max_no = p.min_no + (long)(size % 11);
    p.metric = pol_metric_find("cpu_ratio");
    p.out_cond = 70;
    p.in_cond = 30;
    p.out_ms = tr.dt_ms * (int64_t)(1 + size % 13);
    p.in_ms = tr.dt_ms * (int64_t)(1 + size % 31);
    p.mode = (size & 1) ? POL_MODE_STEP : POL_MODE_AUTO;
    p.warmup_ms = tr.dt_ms * (int64_t)(size % 4);
    struct sim_model m;
    sim_model_default(&m);
    for (int rule = 0; rule < SIM_NRULES; rule++) {
        struct sim_result r;
        sim_run(&tr, &p, (enum sim_rule)rule, &m, &r);
        for (size_t i = 0; i < r.nsteps; i++)
            if (r.steps[i].serving > r.steps[i].replicas ||
                r.steps[i].serving < 0)
                abort();
        for (size_t i = 0; i < r.nactions; i++)
            if (r.actions[i].to < p.min_no || r.actions[i].to > p.max_no ||
                r.actions[i].to == r.actions[i].from)
                abort();
        if (!(r.scores.under_min >= 0) || !isfinite(r.scores.replica_min) ||
            r.scores.actions != (long)r.nactions || r.scores.flaps < 0)
            abort();
        sim_result_free(&r);
    }
    sim_trace_free(&tr);
    return 0;
}
