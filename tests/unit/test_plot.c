/* plot: the SVG of a simulation — escaping, and a document that holds what
 * an operator looks for (both panels, axes, legend, a marker per action)
 * and is well formed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plot.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

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
    char scores[128];
    snprintf(scores, sizeof scores,
             "under_min %.1f, replica_min %.1f, actions %ld, flaps %ld",
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
    /* one marker per action, its reason as the tooltip */
    assert_int_equal(count(b.ptr, "<title>"), r.nactions);
    struct buf reason;
    buf_init(&reason, 1024);
    assert_int_equal(plot_escape(&reason, r.actions[0].reason), 0);
    assert_non_null(strstr(b.ptr, reason.ptr));
    buf_cleanup(&reason);
    /* six step lines: capacity, two thresholds, demand; replicas, serving */
    assert_int_equal(count(b.ptr, "<path fill=\"none\""), 6);
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
    assert_int_equal(count(b.ptr, "<path fill=\"none\""), 7);
    well_formed(b.ptr);
    buf_cleanup(&b);

    /* a cap too small says so */
    buf_init(&b, 512);
    assert_int_equal(plot_svg(&r, &p, &m, "t", NULL, &b), -1);
    buf_cleanup(&b);
    sim_result_free(&r);
    sim_trace_free(&tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
