/* libFuzzer target: load trace files (sim_trace_parse), then the model
 * played over what parsed. Invariants: no crash, no leak; a parsed trace
 * has at least two rows, a positive step, finite demand in [0,
 * SIM_DEMAND_MAX] (or an empty cell, NAN, in a column named after a
 * metric, which also plays as a query metric); a refused one leaves nothing
 * allocated and a one-line message; the model keeps every step's replicas
 * within [min_no, max_no] after the first action, never serves more than it
 * has, and its scores are finite and non-negative. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A named first column played as a query metric (empty cells: no value),
 * to zero and back when size says so: replicas stay within 0 (or
 * min_no)..max_no, a wake goes to wake_no, scores are finite. */
static void play_query(const struct sim_trace *tr, const struct policy *base,
                       const struct sim_model *m, size_t size)
{
    struct policy p = *base;
    struct pol_cond *c = &p.conds[0];
    size_t col[1] = {0};
    memset(c, 0, sizeof *c);
    c->metric = &pol_metric_query;
    snprintf(c->name, sizeof c->name, "%s", tr->name[0]);
    c->query = "x";
    c->target = (size & 2) ? POL_TARGET_SERVICE : POL_TARGET_REPLICA;
    c->out_cond = 50;
    c->in_cond = 5;
    c->out_ms = p.out_ms;
    c->in_ms = p.in_ms;
    p.nconds = 1;
    pol_cond_view(&p, 0, &p);
    if (size & 4)
        p.min_no = 0;
    p.idle_ms = tr->dt_ms * (int64_t)(1 + size % 17);
    p.wake_no = 1 + (long)(size % (size_t)p.max_no);
    struct sim_result r;
    sim_play(tr, &p, col, SIM_RULE_DAS, m, NULL, &r);
    for (size_t i = 0; i < r.nactions; i++) {
        const struct sim_action *a = &r.actions[i];
        if (a->to < p.min_no || a->to > p.max_no || a->to == a->from ||
            (a->from == 0 && a->to != p.wake_no))
            abort();
    }
    if (!(r.scores.under_min >= 0) || !isfinite(r.scores.replica_min) ||
        (p.min_no == 0) != r.scores.zero || !(r.scores.wake_max_s >= 0))
        abort();
    sim_result_free(&r);
}

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
    /* an empty cell (NAN) only in a column named after a metric */
    bool named = tr.name[0][0] && strcmp(tr.name[0], "demand");
    bool gaps = false;
    for (size_t i = 0; i < tr.n; i++) {
        if (isnan(tr.demand[i]) && named) {
            gaps = true;
            continue;
        }
        if (!(tr.demand[i] >= 0 && tr.demand[i] <= SIM_DEMAND_MAX))
            abort();
    }
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
    if (named)
        play_query(&tr, &p, &m, size);
    for (int rule = 0; rule < SIM_NRULES && !gaps; rule++) {
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
