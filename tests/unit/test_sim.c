/* sim: trace files, the load model of docs/decisions.md, the scores, the
 * reference rules against docs/decisions.md's figures, and das's default rule
 * against the goals — on the published traces and on generated ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "sim.h"
#include "simgen.h"

static const char *const published[] = {"step", "diurnal", "spikes", "noisy",
                                        "ramp"};
#define NPUB 5

static void load_trace(const char *name, struct sim_trace *tr)
{
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/traces/%s.csv", FIXTURES, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    if (sim_trace_parse(text, n, tr, err, sizeof err))
        fail_msg("%s: %s", path, err);
}

/* Policy A of docs/decisions.md: 1..10, out 70% for 2m (B: 30s), in 30% for
 * 5m; the default mode and warm-up. */
static struct policy policy(int64_t out_ms)
{
    struct policy p;
    memset(&p, 0, sizeof p);
    p.seq = 1;
    p.min_no = 1;
    p.max_no = 10;
    p.cur_no = -1;
    p.metric = pol_metric_find("cpu_ratio");
    p.out_cond = 70;
    p.in_cond = 30;
    p.out_ms = out_ms;
    p.in_ms = 300000;
    p.mode = POL_MODE_AUTO;
    p.warmup_ms = POL_WARMUP_DEFAULT_MS;
    snprintf(p.service_id, sizeof p.service_id, "web");
    return p;
}

/* ---- trace files ---- */

static void expect_parse_fail(const char *text, const char *want)
{
    struct sim_trace tr;
    char err[256] = "";
    if (sim_trace_parse(text, strlen(text), &tr, err, sizeof err) == 0)
        fail_msg("accepted: %s", text);
    if (strcmp(err, want))
        fail_msg("\n got  %s\n want %s", err, want);
    assert_null(tr.demand);
}

static void test_trace_parse(void **state)
{
    struct sim_trace tr;
    char err[256];
    (void)state;
    const char *ok = "t,demand\r\n0,100\r\n10,150.5\n\n20,0\n";
    assert_int_equal(sim_trace_parse(ok, strlen(ok), &tr, err, sizeof err), 0);
    assert_int_equal(tr.n, 3);
    assert_int_equal(tr.dt_ms, 10000);
    assert_int_equal(tr.t0_ms, 0);
    assert_true(tr.demand[1] == 150.5);
    assert_true(tr.demand[2] == 0);
    sim_trace_free(&tr);
    /* no header, another start and step */
    const char *bare = "60,1\n65,2\n70,3";
    assert_int_equal(sim_trace_parse(bare, strlen(bare), &tr, err, sizeof err),
                     0);
    assert_int_equal(tr.n, 3);
    assert_int_equal(tr.dt_ms, 5000);
    assert_int_equal(tr.t0_ms, 60000);
    sim_trace_free(&tr);

    expect_parse_fail("t,demand\n0,100\n10\n",
                      "line 3: one column; a trace is CSV \"t,demand\" (t in "
                      "seconds, demand in percent of one core)");
    expect_parse_fail("t,demand\n0,100,3\n",
                      "line 2: more than two columns; use \"t,demand\"");
    expect_parse_fail("t,demand\n0,100\nten,100\n",
                      "line 3: t is not a number of seconds");
    expect_parse_fail("t,demand\n0,-1\n10,1\n",
                      "line 2: demand is not a number from 0 to 1000000000 "
                      "(percent of one core)");
    expect_parse_fail("t,demand\n0,nan\n10,1\n",
                      "line 2: demand is not a number from 0 to 1000000000 "
                      "(percent of one core)");
    expect_parse_fail("t,demand\n0,1\n10,1\n25,1\n",
                      "line 4: t 25 breaks the even spacing of 10s (expected "
                      "20)");
    expect_parse_fail("t,demand\n10,1\n10,1\n",
                      "line 3: t must rise by a step of at most 1 day");
    expect_parse_fail("t,demand\n0,1\n", "one row; a trace needs at least two "
                                         "rows of \"t,demand\"");
    /* a first row with a typo is an error, not a header */
    expect_parse_fail("0,100x\n10,1\n20,1\n",
                      "line 1: demand is not a number from 0 to 1000000000 "
                      "(percent of one core)");
    expect_parse_fail("", "no rows; a trace needs at least two rows of "
                          "\"t,demand\"");
    static const char nul[] = "t,demand\n0,1\0\n10,1\n";
    assert_int_equal(sim_trace_parse(nul, sizeof nul - 1, &tr, err, sizeof err),
                     -1);
    assert_string_equal(err, "line 2: a NUL byte; a trace is text");
}

/* ---- the model ---- */

static struct sim_trace constant(double d, size_t n)
{
    struct sim_trace tr = {
        .demand = xcalloc(n, sizeof(double)), .n = n, .dt_ms = 10000};
    for (size_t i = 0; i < n; i++)
        tr.demand[i] = d;
    return tr;
}

static void test_model_shares_and_warms(void **state)
{
    struct sim_model m;
    struct sim_result r;
    (void)state;
    sim_model_default(&m);
    /* 150 on the 2 starting replicas: each reports 75, nobody waits */
    struct sim_trace tr = constant(150, 30);
    struct policy p = policy(120000);
    p.min_no = 2;
    p.max_no = 2;
    sim_run(&tr, &p, SIM_RULE_DAS, &m, &r);
    assert_int_equal(r.nsteps, 30);
    assert_int_equal(r.nactions, 0);
    assert_true(r.steps[7].observed == 75.0);
    assert_int_equal(r.steps[7].serving, 2);
    assert_true(r.scores.under_min == 0);
    assert_true(fabs(r.scores.replica_min - 2 * 30 * 10 / 60.0) < 1e-9);
    sim_result_free(&r);
    sim_trace_free(&tr);

    /* min_no 4 over 2 replicas: the bound acts at step 0; the new ones
     * exist from step 1 and serve 20 s later, from step 3 */
    tr = constant(300, 10);
    p.min_no = 4;
    p.max_no = 10;
    sim_run(&tr, &p, SIM_RULE_DAS, &m, &r);
    assert_true(r.nactions >= 1);
    assert_int_equal(r.actions[0].t_ms, 0);
    assert_int_equal(r.actions[0].from, 2);
    assert_int_equal(r.actions[0].to, 4);
    assert_string_equal(r.actions[0].outcome, "bound");
    assert_int_equal(r.steps[0].replicas, 2);
    assert_int_equal(r.steps[1].replicas, 4);
    assert_int_equal(r.steps[1].serving, 2);
    assert_int_equal(r.steps[2].serving, 2);
    assert_int_equal(r.steps[3].serving, 4);
    /* warming replicas report 0: step 1's mean is the 2 serving at
     * their limit over 4 replicas */
    assert_true(r.steps[1].observed == 50.0);
    assert_true(r.steps[3].observed == 75.0);
    /* under-provisioned while 300 > 0.9 × 100 × 2: steps 0..2 */
    assert_true(fabs(r.scores.under_min - 3 * 10 / 60.0) < 1e-9);
    sim_result_free(&r);
    sim_trace_free(&tr);
}

/* The reference HPA scales up at most to max(2n, n+4) per step: from 2,
 * n+4 wins (6); from 6 on, 2n does (12, 24, 48), though ten times the
 * target would ask for more each time. */
static void test_hpa_up_limit(void **state)
{
    struct sim_model m;
    struct sim_result r;
    (void)state;
    sim_model_default(&m);
    m.cap = 1e6; /* no saturation: the serving two report 700 each */
    m.limit = NAN;
    struct sim_trace tr = constant(1400, 4);
    struct policy p = policy(120000);
    p.max_no = 100;
    sim_run(&tr, &p, SIM_RULE_HPA, &m, &r);
    static const long want[][2] = {{2, 6}, {6, 12}, {12, 24}, {24, 48}};
    assert_int_equal(r.nactions, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r.actions[i].t_ms, (int64_t)i * tr.dt_ms);
        assert_int_equal(r.actions[i].from, want[i][0]);
        assert_int_equal(r.actions[i].to, want[i][1]);
    }
    sim_result_free(&r);
    sim_trace_free(&tr);
}

static void test_scores(void **state)
{
    struct sim_model m;
    struct sim_scores s;
    (void)state;
    sim_model_default(&m);
    struct sim_step st[3] = {
        {0, 200, 2, 2, 100},    /* 200 > 180: under */
        {10000, 180, 2, 2, 90}, /* not above 0.9 × 200 */
        {20000, 100, 3, 2, 33}, /* 3 replicas, 2 serving */
    };
    struct sim_action a[4] = {
        {0, 2, 3, "scale-out", ""},
        {599999, 3, 2, "scale-in", ""},   /* opposite, < 10m: a flap */
        {1199999, 2, 1, "scale-in", ""},  /* same way: none */
        {1799999, 1, 2, "scale-out", ""}, /* opposite, exactly 10m: none */
    };
    sim_score(st, 3, a, 4, 10000, &m, &s);
    assert_true(fabs(s.under_min - 10 / 60.0) < 1e-9);
    assert_true(fabs(s.replica_min - 7 * 10 / 60.0) < 1e-9);
    assert_int_equal(s.actions, 4);
    assert_int_equal(s.flaps, 1);
    a[3].t_ms = 1799998; /* 1 ms closer: now one */
    sim_score(st, 3, a, 4, 10000, &m, &s);
    assert_int_equal(s.flaps, 2);
}

/* ---- the reference rules reproduce docs/decisions.md within 5% ---- */

struct fig {
    double under, replica;
    long actions, flaps;
};

static struct fig run_sum(enum sim_rule rule, int64_t out_ms,
                          struct sim_trace *traces, size_t n)
{
    struct sim_model m;
    struct fig f = {0, 0, 0, 0};
    struct policy p = policy(out_ms);
    sim_model_default(&m);
    for (size_t i = 0; i < n; i++) {
        struct sim_result r;
        sim_run(&traces[i], &p, rule, &m, &r);
        f.under += r.scores.under_min;
        f.replica += r.scores.replica_min;
        f.actions += r.scores.actions;
        f.flaps += r.scores.flaps;
        sim_result_free(&r);
    }
    return f;
}

static void within5(double got, double want, const char *what)
{
    if (fabs(got - want) > 0.05 * want + 1e-9)
        fail_msg("%s: %.1f, docs/decisions.md says %.1f (more than 5%% off)",
                 what, got, want);
}

static void test_reference_figures(void **state)
{
    static const struct {
        const char *policy;
        int64_t out_ms;
        enum sim_rule rule;
        struct fig want;
    } ref[] = {
        {"A", 120000, SIM_RULE_STEP, {35.8, 4095, 58, 6}},
        {"A", 120000, SIM_RULE_HPA, {5.9, 4091, 120, 26}},
        {"A", 120000, SIM_RULE_HPA_EQ, {66.7, 3201, 43, 5}},
        {"B", 30000, SIM_RULE_STEP, {12.2, 4573, 84, 7}},
        {"B", 30000, SIM_RULE_HPA, {5.9, 4091, 120, 26}},
        {"B", 30000, SIM_RULE_HPA_EQ, {12.4, 3592, 53, 6}},
    };
    struct sim_trace tr[NPUB];
    (void)state;
    for (int i = 0; i < NPUB; i++)
        load_trace(published[i], &tr[i]);
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        struct fig f = run_sum(ref[i].rule, ref[i].out_ms, tr, NPUB);
        char what[64];
        print_message("policy %s %-6s under_min %5.1f replica_min %5.0f "
                      "actions %3ld flaps %2ld\n",
                      ref[i].policy, sim_rule_names[ref[i].rule], f.under,
                      f.replica, f.actions, f.flaps);
        snprintf(what, sizeof what, "%s %s under_min", ref[i].policy,
                 sim_rule_names[ref[i].rule]);
        within5(f.under, ref[i].want.under, what);
        snprintf(what, sizeof what, "%s %s replica_min", ref[i].policy,
                 sim_rule_names[ref[i].rule]);
        within5(f.replica, ref[i].want.replica, what);
        snprintf(what, sizeof what, "%s %s actions", ref[i].policy,
                 sim_rule_names[ref[i].rule]);
        within5((double)f.actions, (double)ref[i].want.actions, what);
        snprintf(what, sizeof what, "%s %s flaps", ref[i].policy,
                 sim_rule_names[ref[i].rule]);
        within5((double)f.flaps, (double)ref[i].want.flaps, what);
    }
    /* and per trace, policy A step's under_min (docs/decisions.md) */
    static const double step_under[NPUB] = {3.2, 4.3, 25.0, 3.3, 0.0};
    for (int i = 0; i < NPUB; i++) {
        struct fig f = run_sum(SIM_RULE_STEP, 120000, &tr[i], 1);
        if (fabs(f.under - step_under[i]) > 0.1 * step_under[i] + 0.05)
            fail_msg("A step %s under_min %.1f, docs/decisions.md says %.1f",
                     published[i], f.under, step_under[i]);
    }
    for (int i = 0; i < NPUB; i++)
        sim_trace_free(&tr[i]);
}

/* ---- das's default rule against the goals ---- */

/* How far das's rule may be from one goal: 1 where the goal is met;
 * above 1 where it is not met (the note on issue 7 and BENCHMARKS.md say
 * why), as a guard against getting worse. */
struct bounds {
    double a_under, a_replica, a_flaps; /* × step's (A) */
    double b_under, b_replica, b_flaps; /* × hpa's (B) */
};

static void check(bool ok, const char *set, const char *what, double got,
                  double ref, double factor)
{
    if (!ok)
        fail_msg("%s %s: %.1f, more than %.2f × the reference's %.1f", set,
                 what, got, factor, ref);
}

static void check_goals(const char *set, struct sim_trace *tr, size_t n,
                        const struct bounds *bd)
{
    struct fig a = run_sum(SIM_RULE_DAS, 120000, tr, n);
    struct fig as = run_sum(SIM_RULE_STEP, 120000, tr, n);
    struct fig b = run_sum(SIM_RULE_DAS, 30000, tr, n);
    struct fig bh = run_sum(SIM_RULE_HPA, 30000, tr, n);
    print_message("%s A: das %.1f / %.0f / %ld flaps, step %.1f / %.0f / "
                  "%ld\n",
                  set, a.under, a.replica, a.flaps, as.under, as.replica,
                  as.flaps);
    print_message("%s B: das %.1f / %.0f / %ld flaps, hpa %.1f / %.0f / "
                  "%ld\n",
                  set, b.under, b.replica, b.flaps, bh.under, bh.replica,
                  bh.flaps);
    check(a.under <= bd->a_under * as.under, set, "A under_min", a.under,
          as.under, bd->a_under);
    check(a.replica <= bd->a_replica * as.replica, set, "A replica_min",
          a.replica, as.replica, bd->a_replica);
    check((double)a.flaps <= bd->a_flaps * (double)as.flaps, set, "A flaps",
          (double)a.flaps, (double)as.flaps, bd->a_flaps);
    check(b.under <= bd->b_under * bh.under, set, "B under_min", b.under,
          bh.under, bd->b_under);
    check(b.replica <= bd->b_replica * bh.replica, set, "B replica_min",
          b.replica, bh.replica, bd->b_replica);
    check((double)b.flaps <= bd->b_flaps * (double)bh.flaps, set, "B flaps",
          (double)b.flaps, (double)bh.flaps, bd->b_flaps);
}

/* The goals of docs/decisions.md: A under_min <= 1/2 step's, replica_min and
 * flaps <= step's; B under_min and replica_min <= hpa's, flaps <= 1/3
 * hpa's. All hold on the published traces (B replica_min by the trim:
 * without it, 4090 against hpa's 4089). */
static void test_goals_published(void **state)
{
    static const struct bounds bd = {0.5, 1, 1, 1, 1, 1.0 / 3};
    struct sim_trace tr[NPUB];
    (void)state;
    for (int i = 0; i < NPUB; i++)
        load_trace(published[i], &tr[i]);
    check_goals("published", tr, NPUB, &bd);
    for (int i = 0; i < NPUB; i++)
        sim_trace_free(&tr[i]);
}

/* The same goals on traces das was not fitted to (simgen.h). B
 * replica_min holds by the trim (without it 1.3% above hpa's: on falling
 * loads das kept every replica until the mean fell below in_cond, where
 * HPA trims toward its target); B under_min holds with no margin (equal
 * to hpa's). */
static void test_goals_generated(void **state)
{
    static const struct bounds bd = {0.5, 1, 1, 1, 1, 1.0 / 3};
    struct sim_trace tr[SIMGEN_NTRACES];
    (void)state;
    for (int i = 0; i < SIMGEN_NTRACES; i++)
        simgen_trace(i, &tr[i]);
    check_goals("generated", tr, SIMGEN_NTRACES, &bd);
    for (int i = 0; i < SIMGEN_NTRACES; i++)
        sim_trace_free(&tr[i]);
}

/* The trace's own clock does not matter: t from -20000 s plays as t from
 * 0 (the rule's clock never reaches 0, where "no last action" begins). */
static void test_trace_time_origin(void **state)
{
    struct sim_trace a, b;
    struct sim_model m;
    struct policy p = policy(120000);
    (void)state;
    sim_model_default(&m);
    load_trace("step", &a);
    load_trace("step", &b);
    b.t0_ms = -20000000;
    for (int rule = 0; rule < SIM_NRULES; rule++) {
        struct sim_result ra, rb;
        sim_run(&a, &p, (enum sim_rule)rule, &m, &ra);
        sim_run(&b, &p, (enum sim_rule)rule, &m, &rb);
        assert_int_equal(ra.nactions, rb.nactions);
        assert_true(ra.scores.under_min == rb.scores.under_min);
        assert_true(ra.scores.replica_min == rb.scores.replica_min);
        assert_int_equal(ra.scores.flaps, rb.scores.flaps);
        if (rb.nactions)
            assert_int_equal(rb.actions[0].t_ms, ra.actions[0].t_ms - 20000000);
        sim_result_free(&ra);
        sim_result_free(&rb);
    }
    sim_trace_free(&a);
    sim_trace_free(&b);
}

/* ---- several metrics, queries, zero and schedules ---- */

/* A policy from label-form key=value pairs (pol_parse_labels), as das
 * simulate --metrics reads it. */
static void label_policy(struct policy *p, const char *const *kv, size_t n)
{
    struct pol_label lab[32];
    char err[600];
    for (size_t i = 0; i < n; i++)
        lab[i] = (struct pol_label){kv[2 * i], kv[2 * i + 1], false};
    if (pol_parse_labels("web", "web", -1, lab, n, p, err, sizeof err))
        fail_msg("%s", err);
}

static void test_trace_columns(void **state)
{
    struct sim_trace tr;
    char err[256];
    (void)state;
    const char *ok = "t,cpu_ratio,rps\n0,100,\n10,120.5,30\n20,0,0\n";
    assert_int_equal(sim_trace_parse(ok, strlen(ok), &tr, err, sizeof err), 0);
    assert_int_equal(tr.ncols, 2);
    assert_string_equal(tr.name[0], "cpu_ratio");
    assert_string_equal(tr.name[1], "rps");
    assert_true(tr.demand[1] == 120.5);
    assert_true(isnan(sim_trace_col(&tr, 1)[0])); /* an empty cell */
    assert_true(sim_trace_col(&tr, 1)[1] == 30);
    sim_trace_free(&tr);
    /* one named column takes empty cells; "t,demand" is today's */
    const char *one = "t,queue\n0,\n10,3\n";
    assert_int_equal(sim_trace_parse(one, strlen(one), &tr, err, sizeof err),
                     0);
    assert_int_equal(tr.ncols, 1);
    assert_true(isnan(tr.demand[0]));
    sim_trace_free(&tr);

    expect_parse_fail("t,cpu_ratio,rps\n0,1\n10,1,2\n",
                      "line 2: 2 columns; the header names 3 (t and each "
                      "metric; an empty cell is no value)");
    expect_parse_fail("t,cpu_ratio,rps\n0,1,-2\n10,1,2\n",
                      "line 2: rps is not a number from 0 to 1000000000 (or "
                      "empty: no value)");
    expect_parse_fail("t,cpu ratio,rps\n0,1,2\n10,1,2\n",
                      "line 1: column 2 \"cpu ratio\" is not a metric's name "
                      "(a letter, then letters, digits or _, at most 32); the "
                      "header names each column: t,cpu_ratio,rps");
    expect_parse_fail("t,rps,rps\n0,1,2\n10,1,2\n",
                      "line 1: column rps named twice");
    expect_parse_fail("t,a,b,c,d,e,f,g,h,i\n",
                      "line 1: 9 columns after t; a trace has at most 8 (one "
                      "a metric of the policy)");
    expect_parse_fail("t,demand\n0,\n10,1\n",
                      "line 2: demand is not a number from 0 to 1000000000 "
                      "(percent of one core)");
}

static void test_bind(void **state)
{
    struct sim_trace tr;
    struct policy p;
    size_t col[POL_CONDS_MAX];
    char err[400];
    (void)state;
    const char *text = "t,rps,mem_ratio\n0,1,50\n10,2,\n";
    assert_int_equal(sim_trace_parse(text, strlen(text), &tr, err, sizeof err),
                     0);
    const char *kv[] = {"das.max_no",
                        "5",
                        "das.mem_ratio.out_cond",
                        "80%",
                        "das.mem_ratio.in_cond",
                        "30%",
                        "das.rps.query",
                        "sum(x)",
                        "das.rps.out_cond",
                        "100",
                        "das.rps.in_cond",
                        "20"};
    label_policy(&p, kv, 6);
    /* mem_ratio's column has an empty cell: a ds field always reports */
    assert_int_equal(sim_bind(&tr, &p, col, err, sizeof err), -1);
    assert_string_equal(err, "column mem_ratio has an empty cell (row 2): "
                             "only a query metric's column may (a ds field's "
                             "replicas always report)");
    tr.more[0][1] = 60;
    assert_int_equal(sim_bind(&tr, &p, col, err, sizeof err), 0);
    assert_int_equal(col[0], 1); /* mem_ratio, named first */
    assert_int_equal(col[1], 0);
    sim_trace_free(&tr);
    /* a metric without its column */
    text = "t,rps,cpu_ratio\n0,1,50\n10,2,3\n";
    assert_int_equal(sim_trace_parse(text, strlen(text), &tr, err, sizeof err),
                     0);
    assert_int_equal(sim_bind(&tr, &p, col, err, sizeof err), -1);
    assert_string_equal(err, "the policy's mem_ratio has no column in the "
                             "trace; name each metric's column in the header, "
                             "e.g. t,cpu_ratio,rps");
    sim_trace_free(&tr);
    /* a column that names none of the policy's metrics is CPU demand:
     * every row needs a value */
    text = "t,queue\n0,1\n10,\n";
    assert_int_equal(sim_trace_parse(text, strlen(text), &tr, err, sizeof err),
                     0);
    assert_int_equal(sim_bind(&tr, &p, col, err, sizeof err), -1);
    assert_string_equal(err, "column queue names no metric of the policy, and "
                             "has an empty cell (row 2): as CPU demand every "
                             "row needs a value; name the policy's metric in "
                             "the header");
    sim_trace_free(&tr);
    /* today's one column: the CPU demand of the policy's one metric */
    load_trace("step", &tr);
    assert_int_equal(sim_bind(&tr, &p, col, err, sizeof err), 1);
    sim_trace_free(&tr);
}

static long most_replicas(const struct sim_result *r)
{
    long most = 0;
    for (size_t k = 0; k < r->nsteps; k++)
        if (r->steps[k].replicas > most)
            most = r->steps[k].replicas;
    return most;
}

/* One CPU metric named by the trace plays exactly as today's trace. */
static void test_named_is_today(void **state)
{
    struct sim_trace tr;
    struct sim_model m;
    struct policy p;
    size_t col[POL_CONDS_MAX];
    char err[200];
    (void)state;
    sim_model_default(&m);
    const char *kv[] = {"das.max_no", "10", "das.out_cond", "70%"};
    label_policy(&p, kv, 2);
    load_trace("spikes", &tr);
    snprintf(tr.name[0], sizeof tr.name[0], "cpu_ratio");
    assert_int_equal(sim_bind(&tr, &p, col, err, sizeof err), 0);
    for (int rule = 0; rule < SIM_NRULES; rule++) {
        struct sim_result a, b;
        sim_run(&tr, &p, (enum sim_rule)rule, &m, &a);
        sim_play(&tr, &p, col, (enum sim_rule)rule, &m, NULL, &b);
        assert_int_equal(a.nactions, b.nactions);
        assert_true(a.nactions > 0);
        for (size_t i = 0; i < a.nactions; i++) {
            assert_int_equal(a.actions[i].t_ms, b.actions[i].t_ms);
            assert_int_equal(a.actions[i].to, b.actions[i].to);
            assert_string_equal(a.actions[i].reason, b.actions[i].reason);
        }
        assert_true(a.scores.under_min == b.scores.under_min);
        assert_true(a.scores.replica_min == b.scores.replica_min);
        assert_int_equal(b.metrics.n, 1);
        assert_false(b.scores.zero);
        sim_result_free(&a);
        sim_result_free(&b);
    }
    sim_trace_free(&tr);
}

/* cpu-mem.csv: memory grows while CPU stays; the policy of both follows
 * memory out (which CPU alone never asks for) and scales in only when
 * both agree. */
static void test_several_metrics(void **state)
{
    struct sim_trace tr;
    struct sim_model m;
    struct policy both, cpu;
    struct sim_result rb, rc;
    size_t col[POL_CONDS_MAX];
    char err[200];
    (void)state;
    sim_model_default(&m);
    const char *kv[] = {"das.max_no",
                        "10",
                        "das.out_cond",
                        "70%",
                        "das.mem_ratio.out_cond",
                        "80%",
                        "das.mem_ratio.in_cond",
                        "30%"};
    label_policy(&both, kv, 4);
    assert_int_equal(both.nconds, 2);
    label_policy(&cpu, kv, 2);
    load_trace("metrics/cpu-mem", &tr);
    assert_int_equal(sim_bind(&tr, &both, col, err, sizeof err), 0);
    sim_play(&tr, &both, col, SIM_RULE_DAS, &m, NULL, &rb);
    assert_int_equal(sim_bind(&tr, &cpu, col, err, sizeof err), 0);
    sim_play(&tr, &cpu, col, SIM_RULE_DAS, &m, NULL, &rc);
    /* 420% of memory at 80% a replica needs 6; CPU (100..200%) at most 3 */
    assert_int_equal(most_replicas(&rb), 6);
    assert_true(most_replicas(&rc) <= 3);
    size_t by_mem = 0, agreed = 0;
    for (size_t i = 0; i < rb.nactions; i++) {
        const struct sim_action *a = &rb.actions[i];
        if (a->to > a->from && !strncmp(a->reason, "mean mem_ratio", 14))
            by_mem++;
        if (a->to < a->from) {
            assert_non_null(strstr(a->reason, "every metric agrees"));
            agreed++;
        }
    }
    assert_true(by_mem >= 3);
    assert_true(agreed >= 1);
    assert_true(rb.scores.under_min == 0);
    assert_int_equal(rb.scores.flaps, 0);
    assert_int_equal(rb.metrics.n, 2);
    assert_string_equal(rb.metrics.name[1], "mem_ratio");
    sim_result_free(&rb);
    sim_result_free(&rc);
    sim_trace_free(&tr);
}

/* requests.csv: 40 to 900 requests/s, a target of 100 a replica. */
static void test_request_rate(void **state)
{
    struct sim_trace tr;
    struct sim_model m;
    struct policy p;
    struct sim_result r;
    size_t col[POL_CONDS_MAX];
    char err[200];
    (void)state;
    sim_model_default(&m);
    const char *kv[] = {
        "das.max_no",           "12",  "das.rps.query",   "sum(rate(x[1m]))",
        "das.rps.out_cond",     "100", "das.rps.in_cond", "40",
        "das.rps.out_duration", "1m"};
    label_policy(&p, kv, 5);
    load_trace("metrics/requests", &tr);
    assert_int_equal(sim_bind(&tr, &p, col, err, sizeof err), 0);
    sim_play(&tr, &p, col, SIM_RULE_DAS, &m, NULL, &r);
    assert_true(most_replicas(&r) >= 9);
    assert_int_equal(r.steps[r.nsteps - 1].replicas, 1);
    for (size_t i = 0; i < r.nactions; i++)
        assert_non_null(strstr(r.actions[i].reason, "rps"));
    assert_int_equal(r.scores.flaps, 0);
    /* what das compared: the rate over the replicas */
    size_t k = 540;
    assert_true(fabs(r.metrics.seen[k] -
                     r.metrics.load[k] / (double)r.steps[k].replicas) < 1e-9);
    sim_result_free(&r);
    sim_trace_free(&tr);
}

static bool acted_between(const struct sim_result *r, int64_t from_ms,
                          int64_t to_ms)
{
    for (size_t i = 0; i < r->nactions; i++)
        if (r->actions[i].t_ms >= from_ms && r->actions[i].t_ms < to_ms)
            return true;
    return false;
}

/* queue.csv: a queue at 0 for long stretches and bursts; min_no 0. */
static void test_zero_and_wake(void **state)
{
    struct sim_trace tr;
    struct sim_model m;
    struct policy p;
    struct sim_result r;
    size_t col[POL_CONDS_MAX];
    char err[200];
    (void)state;
    sim_model_default(&m);
    const char *kv[] = {"das.min_no",
                        "0",
                        "das.max_no",
                        "8",
                        "das.wake_no",
                        "2",
                        "das.idle_for",
                        "10m",
                        "das.queue.query",
                        "max(queue_length)",
                        "das.queue.target",
                        "service",
                        "das.queue.out_cond",
                        "50",
                        "das.queue.in_cond",
                        "5",
                        "das.queue.out_duration",
                        "1m",
                        "das.queue.in_duration",
                        "3m"};
    label_policy(&p, kv, 10);
    load_trace("metrics/queue", &tr);
    assert_int_equal(sim_bind(&tr, &p, col, err, sizeof err), 0);
    sim_play(&tr, &p, col, SIM_RULE_DAS, &m, NULL, &r);
    assert_true(r.scores.zero);
    /* four bursts (the trickle at 110 min too), each waking to 2 at once:
     * seen at the step's end, serving a start-up later: 10 s + 20 s */
    assert_int_equal(r.scores.wakes, 4);
    assert_true(r.scores.wake_max_s == 30);
    assert_true(r.scores.wake_mean_s == 30);
    size_t wakes = 0, idles = 0;
    for (size_t i = 0; i < r.nactions; i++) {
        const struct sim_action *a = &r.actions[i];
        if (a->from == 0) {
            assert_int_equal(a->to, 2);
            assert_true(!strncmp(a->reason, "wake: queue ", 12));
            wakes++;
        }
        if (a->to == 0) {
            assert_true(!strncmp(a->reason, "idle: queue read 0 for 10m", 26));
            idles++;
        }
    }
    assert_int_equal(wakes, 4);
    assert_int_equal(idles, 5);
    /* 50..53 min the query read nothing, at zero: nothing wakes on it */
    assert_int_equal(r.steps[300].replicas, 0);
    assert_false(acted_between(&r, 50 * 60000, 54 * 60000));
    /* the same policy never below one replica costs more */
    assert_true(r.scores.saved_min > 0);
    assert_true(fabs(r.scores.floor_min - r.scores.replica_min -
                     r.scores.saved_min) < 1e-9);
    /* at zero with requests waiting, users wait: two steps per wake */
    assert_true(fabs(r.scores.under_min - 4 * 20.0 / 60.0 * 1.5) < 1e-9);
    sim_result_free(&r);
    sim_trace_free(&tr);
}

/* office-day.csv: a Monday (t in Unix seconds, UTC); office hours raise
 * the floor to 4 at their start and let it go at their end. */
static void test_schedule(void **state)
{
    struct sim_trace tr;
    struct sim_model m;
    struct policy p;
    struct sim_result r;
    size_t col[POL_CONDS_MAX];
    char err[200];
    (void)state;
    sim_model_default(&m);
    const char *kv[] = {"das.max_no", "10", "das.schedule",
                        "Mon-Fri 08:00-18:00 min=4"};
    label_policy(&p, kv, 2);
    load_trace("metrics/office-day", &tr);
    assert_int_equal(tr.t0_ms, 1772409600000LL); /* Monday 2026-03-02 */
    assert_int_equal(sim_bind(&tr, &p, col, err, sizeof err), 0);
    sim_play(&tr, &p, col, SIM_RULE_DAS, &m, NULL, &r);
    assert_non_null(r.metrics.min_no);
    /* the rule after the step 07:59 runs at 08:00: a bound to 4 */
    size_t at8 = 8 * 60 - 1;
    assert_int_equal(r.metrics.min_no[at8 - 1], 1);
    assert_int_equal(r.metrics.min_no[at8], 4);
    bool bound = false;
    for (size_t i = 0; i < r.nactions; i++) {
        const struct sim_action *a = &r.actions[i];
        if (a->t_ms == tr.t0_ms + (int64_t)at8 * 60000) {
            assert_string_equal(a->outcome, "bound");
            assert_int_equal(a->to, 4);
            assert_non_null(strstr(a->reason, "(schedule: Mon-Fri "
                                              "08:00-18:00 min=4, UTC)"));
            bound = true;
        }
    }
    assert_true(bound);
    for (size_t k = at8 + 1; k < 18 * 60; k++)
        assert_true(r.steps[k].replicas >= 4);
    /* the night after: back to one */
    assert_int_equal(r.steps[r.nsteps - 1].replicas, 1);
    assert_int_equal(r.metrics.min_no[r.nsteps - 1], 1);
    sim_result_free(&r);
    sim_trace_free(&tr);
}

static void test_rule_names(void **state)
{
    (void)state;
    assert_int_equal(sim_rule_find("das"), SIM_RULE_DAS);
    assert_int_equal(sim_rule_find("hpa-eq"), SIM_RULE_HPA_EQ);
    assert_int_equal(sim_rule_find("HPA"), -1);
    assert_int_equal(sim_rule_find(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_parse),
        cmocka_unit_test(test_model_shares_and_warms),
        cmocka_unit_test(test_hpa_up_limit),
        cmocka_unit_test(test_scores),
        cmocka_unit_test(test_reference_figures),
        cmocka_unit_test(test_goals_published),
        cmocka_unit_test(test_goals_generated),
        cmocka_unit_test(test_trace_time_origin),
        cmocka_unit_test(test_rule_names),
        cmocka_unit_test(test_trace_columns),
        cmocka_unit_test(test_bind),
        cmocka_unit_test(test_named_is_today),
        cmocka_unit_test(test_several_metrics),
        cmocka_unit_test(test_request_rate),
        cmocka_unit_test(test_zero_and_wake),
        cmocka_unit_test(test_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
