/* plot: the SVG of a simulation — escaping, and a document that holds what
 * an operator looks for (both panels, axes, legend, a marker per action)
 * and is well formed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "plot.h"

/* Every element opened is closed in order (self-closing ones too); no
 * stray '<' or '&' in text. A small checker for the SVG plot writes. */
static void well_formed(const char *doc)
{
    const char *stack[64];
    size_t len[64], depth = 0;
    for (const char *p = doc; *p; p++) {
        if (*p == '&') {
            if (strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) &&
                strncmp(p, "&gt;", 4) && strncmp(p, "&quot;", 6) &&
                strncmp(p, "&apos;", 6))
                fail_msg("bare & at %.20s", p);
            continue;
        }
        if (*p != '<')
            continue;
        const char *e = strchr(p, '>');
        if (!e)
            fail_msg("unclosed tag at %.20s", p);
        if (p[1] == '/') {
            size_t n = strcspn(p + 2, ">");
            if (depth == 0 || len[depth - 1] != n ||
                strncmp(stack[depth - 1], p + 2, n))
                fail_msg("</%.*s> closes nothing open", (int)n, p + 2);
            depth--;
        } else if (e[-1] != '/') {
            if (depth == 64)
                fail_msg("too deep");
            stack[depth] = p + 1;
            len[depth] = strcspn(p + 1, " >");
            depth++;
        }
        p = e;
    }
    if (depth)
        fail_msg("<%.*s> never closed", (int)len[depth - 1], stack[depth - 1]);
}

/* The legend's lines (22 px long) lie in the bands above the panels
 * (y < 104 above the load panel, 404..444 above the replica panel), so no
 * legend hides the top of a line. */
static void legends_outside(const char *doc)
{
    size_t n = 0;
    for (const char *p = doc; (p = strstr(p, "<line x1=\"")) != NULL; p++) {
        double x1, x2, y1;
        if (sscanf(p, "<line x1=\"%lf\" x2=\"%lf\" y1=\"%lf\"", &x1, &x2,
                   &y1) != 3 ||
            x2 - x1 != 22)
            continue; /* a grid line */
        n++;
        if (!(y1 < 104 || (y1 > 404 && y1 < 444)))
            fail_msg("a legend at y=%g lies inside a panel", y1);
    }
    assert_true(n >= 5);
}

static void test_escape(void **state)
{
    struct buf b;
    (void)state;
    buf_init(&b, 1024);
    assert_int_equal(plot_escape(&b, "a<b>&\"c'\x01\x7f\xc3\xa9"), 0);
    assert_string_equal(b.ptr, "a&lt;b&gt;&amp;&quot;c&apos;\xc3\xa9");
    buf_cleanup(&b);
    /* the cap holds */
    buf_init(&b, 8);
    assert_int_equal(plot_escape(&b, "<<<<<<<<"), -1);
    buf_cleanup(&b);
}

static void test_document(void **state)
{
    struct sim_trace tr = {0};
    struct sim_model m;
    struct sim_result r;
    struct policy p;
    struct buf b;
    (void)state;
    sim_model_default(&m);
    memset(&p, 0, sizeof p);
    p.min_no = 1;
    p.max_no = 10;
    p.metric = pol_metric_find("cpu_ratio");
    p.out_cond = 70;
    p.in_cond = 30;
    p.out_ms = 120000;
    p.in_ms = 300000;
    p.warmup_ms = 30000;
    tr.n = 360;
    tr.dt_ms = 10000;
    tr.demand = xcalloc(tr.n, sizeof(double));
    for (size_t k = 0; k < tr.n; k++)
        tr.demand[k] = k >= 60 && k < 180 ? 500 : 60;
    sim_run(&tr, &p, SIM_RULE_DAS, &m, &r);
    assert_true(r.nactions >= 2); /* out on the rise, in after it */

    buf_init(&b, 1 << 20);
    assert_int_equal(plot_svg(&r, &p, &m, "web <test> & \"more\"", NULL, &b),
                     0);
    assert_int_equal(
        strncmp(b.ptr, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
    assert_non_null(strstr(b.ptr, "web &lt;test&gt; &amp; &quot;more&quot;"));
    assert_null(strstr(b.ptr, "<test>"));
    /* the scores, the axes' labels and the legend */
    char scores[256];
    snprintf(scores, sizeof scores,
             "under_min %.1f min (users wait), replica_min %.1f "
             "replica-minutes, actions %ld, flaps %ld",
             r.scores.under_min, r.scores.replica_min, r.scores.actions,
             r.scores.flaps);
    assert_non_null(strstr(b.ptr, scores));
    assert_non_null(strstr(b.ptr, ">CPU, % of one core</text>"));
    assert_non_null(strstr(b.ptr, ">replicas</text>"));
    assert_non_null(strstr(b.ptr, ">time since the start</text>"));
    assert_non_null(strstr(b.ptr, ">demand</text>"));
    assert_non_null(strstr(b.ptr, "serving capacity"));
    assert_non_null(strstr(b.ptr, "scale-out line (70% per replica)"));
    assert_non_null(strstr(b.ptr, "scale-in line (30% per replica)"));
    /* the policy's bounds, each a line named at its end */
    assert_int_equal(count_of(b.ptr, "<line class=\"bound\""), 2);
    assert_non_null(strstr(b.ptr, ">min 1</text>"));
    assert_non_null(strstr(b.ptr, ">max 10</text>"));
    /* no legend inside a panel: each legend line lies above its panel */
    legends_outside(b.ptr);
    /* one marker per action, its reason as the tooltip */
    assert_int_equal(count_of(b.ptr, "<title>"), r.nactions);
    struct buf reason;
    buf_init(&reason, 1024);
    assert_int_equal(plot_escape(&reason, r.actions[0].reason), 0);
    assert_non_null(strstr(b.ptr, reason.ptr));
    buf_cleanup(&reason);
    /* six step lines: capacity, two thresholds, demand; replicas, serving */
    assert_int_equal(count_of(b.ptr, "<path fill=\"none\""), 6);
    /* the time axis of a 1-hour trace: 0:00 to 1:00 */
    assert_non_null(strstr(b.ptr, ">0:00</text>"));
    assert_non_null(strstr(b.ptr, ">1:00</text>"));
    assert_int_equal(strcmp(b.ptr + b.len - 7, "</svg>\n"), 0);
    well_formed(b.ptr);
    buf_cleanup(&b);

    /* a recorded past is labelled by the clock (UTC), to the second on a
     * span of minutes */
    struct sim_result rec = r;
    struct sim_step st[24];
    for (int k = 0; k < 24; k++)
        st[k] = (struct sim_step){1700000000000LL + k * 10000, 100, 2, 2, 50};
    rec.steps = st;
    rec.nsteps = 24;
    rec.nactions = 0;
    buf_init(&b, 1 << 20);
    assert_int_equal(plot_svg(&rec, &p, &m, "past", &rec, &b), 0);
    assert_non_null(strstr(b.ptr, ">time (UTC)</text>"));
    assert_non_null(strstr(b.ptr, ">22:13:20</text>")); /* 1700000000 */
    assert_non_null(strstr(b.ptr, ">22:16:40</text>")); /* every 50 s */
    assert_non_null(strstr(b.ptr, ">replicas it really had</text>"));
    assert_int_equal(count_of(b.ptr, "<path fill=\"none\""), 7);
    well_formed(b.ptr);
    buf_cleanup(&b);

    /* a cap too small says so */
    buf_init(&b, 512);
    assert_int_equal(plot_svg(&r, &p, &m, "t", NULL, &b), -1);
    buf_cleanup(&b);
    sim_result_free(&r);
    sim_trace_free(&tr);
}

/* A live chart: any unit, no capacity known, a gap where the load was not
 * measured, a subtitle instead of scores, actions at their own time. */
static void test_live_chart(void **state)
{
    struct policy p;
    struct sim_step st[30];
    struct sim_action act = {1700000000000LL + 15 * 15000, 2, 3, "scale-out",
                             "mean mem_usage <b> & \"x\""};
    (void)state;
    memset(&p, 0, sizeof p);
    p.min_no = 2;
    p.max_no = 6;
    p.metric = pol_metric_find("mem_usage");
    p.out_cond = 512.0 * 1024 * 1024;
    p.in_cond = 128.0 * 1024 * 1024;
    for (int k = 0; k < 30; k++)
        st[k] = (struct sim_step){1700000000000LL + k * 15000,
                                  k >= 10 && k < 13 ? NAN : 900e6,
                                  k < 15 ? 2 : 3, k < 16 ? 2 : 3, NAN};
    struct sim_result r = {
        .steps = st, .nsteps = 30, .actions = &act, .nactions = 1};
    struct plot_spec spec = {
        .title = "web",
        .subtitle = "live <now>",
        .load_label = "load",
        .ylabel = "mem_usage, summed",
        .unit = UNIT_BYTES,
        .cap = NAN,
        .under_frac = 0.9,
    };
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(plot_chart(&r, &p, &spec, &b), 0);
    well_formed(b.ptr);
    assert_non_null(strstr(b.ptr, ">live &lt;now&gt;</text>"));
    assert_null(strstr(b.ptr, "under_min"));
    /* no capacity: no capacity line, no waits */
    assert_null(strstr(b.ptr, "serving capacity"));
    assert_null(strstr(b.ptr, "#f6c9c4"));
    /* load, two thresholds; replicas, serving */
    assert_int_equal(count_of(b.ptr, "<path fill=\"none\""), 5);
    assert_non_null(strstr(b.ptr, "scale-out line (512MiB per replica)"));
    /* byte ticks in bytes' units */
    assert_non_null(strstr(b.ptr, "MiB</text>"));
    /* the gap: the load's path starts again (two M) */
    const char *load = strstr(b.ptr, "stroke=\"#c22\" stroke-width=\"1.5\" d=");
    assert_non_null(load);
    load = strstr(load, "d=\"") + 3;
    const char *end = strchr(load, '"');
    size_t moves = 0;
    for (const char *q = load; q < end; q++)
        moves += *q == 'M';
    assert_int_equal(moves, 2);
    /* the action, with its reason escaped, and the bounds */
    assert_int_equal(count_of(b.ptr, "<path class=\"action out\""), 1);
    assert_non_null(
        strstr(b.ptr, "mean mem_usage &lt;b&gt; &amp; &quot;x&quot;"));
    assert_non_null(strstr(b.ptr, ">min 2</text>"));
    assert_non_null(strstr(b.ptr, ">max 6</text>"));
    legends_outside(b.ptr);
    buf_cleanup(&b);
}

/* A play of several metrics: one chart per metric, each against its own
 * lines (a query compared whole: flat), the schedule's bounds by step. */
static void test_metrics_charts(void **state)
{
    struct sim_trace tr = {0};
    struct sim_model m;
    struct sim_result r;
    struct policy p;
    struct pol_label lab[] = {
        {"das.max_no", "6", false},
        {"das.out_cond", "70%", false},
        {"das.queue.query", "max(queue)", false},
        {"das.queue.target", "service", false},
        {"das.queue.out_cond", "50", false},
        {"das.queue.in_cond", "5", false},
        {"das.schedule", "11:00-11:30 min=3", false},
    };
    size_t col[2] = {0, 1};
    char err[400];
    struct buf b;
    (void)state;
    if (pol_parse_labels("web", "web", -1, lab, 7, &p, err, sizeof err))
        fail_msg("%s", err);
    sim_model_default(&m);
    tr.n = 720; /* 10:00 to 12:00, every 10 s */
    tr.t0_ms = 36000000;
    tr.dt_ms = 10000;
    tr.ncols = 2;
    tr.demand = xcalloc(tr.n, sizeof(double));
    tr.more[0] = xcalloc(tr.n, sizeof(double));
    for (size_t k = 0; k < tr.n; k++) {
        tr.demand[k] = 100;
        tr.more[0][k] = k >= 100 && k < 200 ? 180 : 10;
    }
    sim_play(&tr, &p, col, SIM_RULE_DAS, &m, NULL, &r);
    assert_int_equal(r.metrics.n, 2);
    assert_int_equal(r.metrics.min_no[360], 3); /* 11:00:10 */
    assert_int_equal(r.metrics.min_no[600], 1);
    buf_init(&b, 1 << 22);
    assert_int_equal(plot_metrics_svg(&r, &p, &m, "two", &b), 0);
    well_formed(b.ptr);
    assert_int_equal(count_of(b.ptr, "<svg "), 3); /* the page and two charts */
    assert_non_null(strstr(b.ptr, ">two: cpu_ratio</text>"));
    assert_non_null(strstr(b.ptr, ">two: queue</text>"));
    assert_non_null(strstr(b.ptr, ">scale-out line (70% per replica)</text>"));
    assert_non_null(
        strstr(b.ptr, ">scale-out line (50, the service&apos;s whole)</text>"));
    assert_non_null(strstr(b.ptr, "the bounds in force (min_no, max_no, the "
                                  "schedule&apos;s)"));
    /* the bounds by step, in both charts */
    assert_int_equal(count_of(b.ptr, "<path class=\"bound\""), 4);
    buf_cleanup(&b);
    sim_result_free(&r);
    sim_trace_free(&tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_live_chart),
        cmocka_unit_test(test_metrics_charts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
