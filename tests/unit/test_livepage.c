/* livepage: the live page's HTML — every outside string escaped (service
 * names, labels, reasons with <, &, quotes and control bytes), the states
 * in das's words, the pager, the standby's word on the leader, and the
 * service's chart drawn by plot.c with its action. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"
#include "fixture.h"
#include "livepage.h"
#include "xmalloc.h"

static const char hostile[] = "<script>x</script>&\"q'\x01\x1b[31m";
static const char hostile_html[] =
    "&lt;script&gt;x&lt;/script&gt;&amp;&quot;q&#39;\\x01\\x1b[31m";

/* No byte of the hostile strings reached the page raw: no <script, no
 * control byte anywhere. */
static void no_raw(const char *doc)
{
    assert_null(strstr(doc, "<script"));
    for (const char *p = doc; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n')
            fail_msg("a control byte at %.20s", p);
}

/* A policy of one condition, cpu_ratio 70%/30% over 2m/5m, 1..5. */
static void one_metric(struct policy *p, long seq)
{
    memset(p, 0, sizeof *p);
    p->seq = seq;
    p->min_no = 1;
    p->max_no = 5;
    p->metric = pol_metric_find("cpu_ratio");
    p->out_cond = 70;
    p->in_cond = 30;
    p->out_ms = 120000;
    p->in_ms = 300000;
    p->warmup_ms = 30000;
    p->nconds = 1;
    struct pol_cond *c = &p->conds[0];
    c->metric = p->metric;
    snprintf(c->name, sizeof c->name, "cpu_ratio");
    c->out_cond = 70;
    c->in_cond = 30;
    c->out_ms = 120000;
    c->in_ms = 300000;
}

static void valid_row(struct lp_row *r, long seq, const char *svc, int outcome,
                      const char *reason)
{
    struct policy p;
    one_metric(&p, seq);
    memset(r, 0, sizeof *r);
    r->seq = seq;
    r->service = xstrdup(svc);
    r->source = POL_SRC_TABLE;
    r->valid = true;
    lp_row_policy(r, &p);
    r->replicas = 2;
    r->running = 2;
    r->pending = 0;
    r->limit = 50;
    r->outcome = outcome;
    r->reason = xstrdup(reason);
}

static void view(struct lp_view *v, struct lp_row *rows, size_t n)
{
    memset(v, 0, sizeof *v);
    v->at_ms = 1700000000000LL;
    v->interval_ms = 15000;
    v->leader = true;
    v->metrics = "InfluxDB";
    v->port = 9102;
    v->rows = rows;
    v->n = n;
}

static void test_escape(void **state)
{
    struct buf b;
    (void)state;
    buf_init(&b, 1024);
    assert_int_equal(lp_escape(&b, hostile), 0);
    assert_string_equal(b.ptr, hostile_html);
    buf_reset(&b);
    assert_int_equal(lp_escape(&b, "caf\xc3\xa9 \x7f"), 0);
    assert_string_equal(b.ptr, "caf\xc3\xa9 \\x7f");
    buf_reset(&b);
    assert_int_equal(lp_url_segment(&b, "web.1_a-b~ /?<"), 0);
    assert_string_equal(b.ptr, "web.1_a-b~%20%2F%3F%3C");
    buf_cleanup(&b);
    buf_init(&b, 8);
    assert_int_equal(lp_escape(&b, "<<<<<<<<"), -1);
    buf_cleanup(&b);
}

static void test_overview(void **state)
{
    (void)state;
    struct lp_row *rows = xcalloc(4, sizeof *rows);
    valid_row(&rows[0], 1, "web", DEC_O_SCALE_OUT,
              "mean cpu_ratio 84% > 70% over 2m: 2 → 3");
    valid_row(&rows[1], 2, "api", DEC_O_INSUFFICIENT,
              "insufficient data: 1m of 2m");
    valid_row(&rows[2], 3, "db", DEC_O_CAPACITY, "2 tasks pending");
    /* a bad row: its reference and message are whatever the store held */
    memset(&rows[3], 0, sizeof rows[3]);
    rows[3].seq = 4;
    rows[3].service = xstrdup(hostile);
    rows[3].outcome = -1;
    rows[3].running = rows[3].pending = rows[3].replicas = -1;
    rows[3].reason = xstrdup(hostile);
    struct lp_view v;
    view(&v, rows, 4);
    struct pg_event last[4];
    memset(last, 0, sizeof last);
    last[0].time_ms = 1700000000000LL;
    snprintf(last[0].action, sizeof last[0].action, "scale-out");
    last[0].from_no = 1;
    last[0].to_no = 2;
    snprintf(last[0].reason, sizeof last[0].reason, "%s", hostile);
    rows[1].last_action_ms = 1699999000000LL;

    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(lp_overview(&v, 0, last, &b), 0);
    no_raw(b.ptr);
    assert_non_null(
        strstr(b.ptr, "<meta http-equiv=\"refresh\" content=\"15\">"));
    assert_non_null(strstr(b.ptr, "name=\"viewport\""));
    assert_null(strstr(b.ptr, "<script"));
    /* no external asset: no script, link, image or address */
    assert_null(strstr(b.ptr, "<link"));
    assert_null(strstr(b.ptr, "src="));
    assert_null(strstr(b.ptr, "http:"));
    assert_null(strstr(b.ptr, "https:"));
    assert_int_equal(count_of(b.ptr, "<tr class=\"policy\""), 4);
    assert_non_null(strstr(b.ptr, "<b>scaling out</b> because mean cpu_ratio"));
    assert_non_null(
        strstr(b.ptr, "<b>metrics unavailable</b> because insufficient data"));
    assert_non_null(strstr(b.ptr, "<b>capacity-bound</b>: 2 tasks pending"));
    assert_non_null(strstr(b.ptr, "<b>bad policy</b>: "));
    assert_non_null(strstr(b.ptr, "data-outcome=\"scale-out\""));
    assert_non_null(strstr(b.ptr, "<a href=\"/service/web\">web</a>"));
    /* the hostile name as text and as an escaped link */
    assert_int_equal(count_of(b.ptr, hostile_html), 3); /* name, reason, last */
    assert_non_null(strstr(b.ptr, "/service/%3Cscript%3Ex%3C%2Fscript%3E"));
    assert_non_null(strstr(b.ptr, "<b>2</b> of 1..5"));
    assert_non_null(strstr(b.ptr, "cpu_ratio &gt; 70% / &lt; 30%"));
    assert_non_null(strstr(b.ptr, "<b>scale-out</b> 1 → 2"));
    assert_non_null(strstr(b.ptr, "before this das started"));
    assert_non_null(
        strstr(b.ptr, "4 policies — scaling out 1 · metrics unavailable 1 · "
                      "capacity-bound 1 · bad policy 1"));
    assert_null(strstr(b.ptr, "id=\"pager\""));
    assert_null(strstr(b.ptr, "id=\"standby\""));
    assert_int_equal(strcmp(b.ptr + b.len - 15, "</body></html>\n"), 0);
    buf_cleanup(&b);

    /* a cap too small says so */
    buf_init(&b, 256);
    assert_int_equal(lp_overview(&v, 0, last, &b), -1);
    buf_cleanup(&b);
    lp_rows_free(rows, 4);
}

static void test_pages(void **state)
{
    (void)state;
    size_t n = LP_PAGE * 2 + 5;
    struct lp_row *rows = xcalloc(n, sizeof *rows);
    char name[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "s%zu", i);
        valid_row(&rows[i], (long)i + 1, name, DEC_O_STEADY, "ok");
    }
    struct lp_view v;
    view(&v, rows, n);
    struct pg_event last[LP_PAGE];
    memset(last, 0, sizeof last);
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(lp_overview(&v, 0, last, &b), 0);
    assert_int_equal(count_of(b.ptr, "<tr class=\"policy\""), LP_PAGE);
    assert_non_null(strstr(b.ptr, "policies 1–200 of 405"));
    assert_non_null(strstr(b.ptr, "href=\"/?page=1\">next"));
    assert_null(strstr(b.ptr, "previous"));
    assert_non_null(strstr(b.ptr, "405 policies — steady 405"));
    buf_reset(&b);
    assert_int_equal(lp_overview(&v, 2, last, &b), 0);
    assert_int_equal(count_of(b.ptr, "<tr class=\"policy\""), 5);
    assert_non_null(strstr(b.ptr, ">s404</a>"));
    assert_non_null(strstr(b.ptr, "href=\"/?page=1\">‹ previous"));
    assert_null(strstr(b.ptr, "next ›"));
    buf_cleanup(&b);
    lp_rows_free(rows, n);
}

static void test_standby(void **state)
{
    (void)state;
    struct lp_row *rows = xcalloc(1, sizeof *rows);
    valid_row(&rows[0], 1, "web", DEC_O_STEADY, "ok");
    struct lp_view v;
    view(&v, rows, 1);
    v.leader = false;
    snprintf(v.engine, sizeof v.engine, "node abc: manager, not the leader");
    snprintf(v.leader_node, sizeof v.leader_node, "node xyz (vm<1>)");
    snprintf(v.leader_addr, sizeof v.leader_addr, "127.0.0.3");
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(lp_overview(&v, 0, NULL, &b), 0);
    assert_non_null(strstr(b.ptr, "This das stands by"));
    assert_non_null(strstr(b.ptr, "node abc: manager, not the leader"));
    assert_non_null(
        strstr(b.ptr, "<b id=\"leader\">node xyz (vm&lt;1&gt;)</b>"));
    assert_non_null(strstr(b.ptr, "<a href=\"http://127.0.0.3:9102/\">"));
    assert_null(strstr(b.ptr, "<tr class=\"policy\"")); /* not its rows */
    buf_reset(&b);
    v.leader_node[0] = '\0';
    snprintf(v.leader_err, sizeof v.leader_err, "GET /nodes: refused");
    assert_int_equal(lp_overview(&v, 0, NULL, &b), 0);
    assert_non_null(strstr(b.ptr, "Which manager leads is not known: GET "
                                  "/nodes: refused"));
    buf_cleanup(&b);
    lp_rows_free(rows, 1);
}

static void test_service(void **state)
{
    (void)state;
    struct lp_row *rows = xcalloc(1, sizeof *rows);
    valid_row(&rows[0], 1, "web", DEC_O_SETTLING, "settling: 30s of 2m");
    struct lp_view v;
    view(&v, rows, 1);
    struct lh_sample s[40];
    for (int k = 0; k < 40; k++)
        s[k] = (struct lh_sample){1700000000000LL + k * 15000,
                                  k == 5 ? NAN : (float)(k < 20 ? 90 : 40),
                                  k < 20 ? 2 : 3, k < 21 ? 2 : 3};
    struct pg_event ev[3];
    memset(ev, 0, sizeof ev); /* newest first */
    ev[0].time_ms = 1700000000000LL + 20 * 15000;
    snprintf(ev[0].action, sizeof ev[0].action, "scale-out");
    ev[0].from_no = 2;
    ev[0].to_no = 3;
    snprintf(ev[0].reason, sizeof ev[0].reason, "load %s", hostile);
    ev[1] = ev[0];
    snprintf(ev[1].action, sizeof ev[1].action, "capacity-bound");
    ev[1].to_no = 2;
    ev[2] = ev[0];
    ev[2].time_ms = 1600000000000LL; /* before the chart: in the table only */
    rows[0].conds[0].out_ms = 15000;
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(lp_service(&v, &rows[0], s, 40, ev, 3, &b), 0);
    no_raw(b.ptr);
    assert_non_null(strstr(b.ptr, "<h1>web</h1>"));
    assert_non_null(strstr(b.ptr, "<b>settling</b>: settling: 30s of 2m"));
    assert_non_null(strstr(b.ptr, "Policy 1 (table): 1..5 replicas;"));
    /* its one condition, its means not read this cycle */
    assert_int_equal(count_of(b.ptr, "<tr class=\"condition\""), 1);
    assert_non_null(strstr(
        b.ptr, "<td data-h=\"metric\">cpu_ratio</td><td data-h=\"out "
               "above\">70%</td><td data-h=\"for\">15s</td><td "
               "data-h=\"in below\">30%</td><td data-h=\"for\">5m</td><td "
               "data-h=\"mean, out window\">–</td><td data-h=\"mean, in "
               "window\">–</td></tr>"));
    assert_non_null(strstr(b.ptr, "<figure id=\"chart\"><svg"));
    /* the chart's marks: one action (the note and the old one left out),
     * the bounds, the thresholds, capacity from the limit */
    assert_int_equal(count_of(b.ptr, "<path class=\"action out\""), 1);
    assert_int_equal(count_of(b.ptr, "<line class=\"bound\""), 2);
    assert_non_null(strstr(b.ptr, "scale-out line (70% per replica)"));
    assert_non_null(
        strstr(b.ptr, "serving capacity (50% per serving replica)"));
    assert_non_null(strstr(b.ptr, "the last 9m45s as das run saw it"));
    assert_non_null(strstr(b.ptr, "load: the mean cpu_ratio over the out "
                                  "window (15s) × the replicas reporting"));
    assert_int_equal(count_of(b.ptr, "<tr class=\"event\""), 3);
    assert_non_null(strstr(b.ptr, "scale-out 2 → 3: load &lt;script&gt;"));
    buf_reset(&b);
    /* no sample yet */
    assert_int_equal(lp_service(&v, &rows[0], s, 0, NULL, 0, &b), 0);
    assert_non_null(strstr(b.ptr, "No cycle has measured it yet."));
    assert_non_null(strstr(b.ptr, "none that this das keeps"));
    buf_reset(&b);
    assert_int_equal(lp_not_found(&v, hostile, &b), 0);
    no_raw(b.ptr);
    assert_non_null(strstr(b.ptr, hostile_html));
    buf_cleanup(&b);
    lp_rows_free(rows, 1);
}

/* A policy of two conditions, the first a query metric: each its row with
 * its means, the chart named after the first, the schedule's bounds. */
static void test_conditions(void **state)
{
    (void)state;
    struct lp_row *rows = xcalloc(1, sizeof *rows);
    valid_row(&rows[0], 2, "shop", DEC_O_STEADY, "steady");
    /* a query metric (its text is not in the row), then mem_ratio */
    struct policy pol;
    struct policy *p = &pol;
    one_metric(p, 2);
    p->metric = &pol_metric_query;
    p->conds[0].metric = &pol_metric_query;
    snprintf(p->conds[0].name, sizeof p->conds[0].name, "rps");
    p->conds[0].out_cond = p->out_cond = 100;
    p->conds[0].in_cond = p->in_cond = 30;
    p->conds[1] = p->conds[0];
    p->conds[1].metric = pol_metric_find("mem_ratio");
    snprintf(p->conds[1].name, sizeof p->conds[1].name, "mem_ratio");
    p->conds[1].out_cond = 80;
    p->conds[1].in_cond = 40;
    p->nconds = 2;
    free(rows[0].conds);
    lp_row_policy(&rows[0], p);
    rows[0].conds[0].out_mean = 2500;
    rows[0].conds[0].in_mean = 2400;
    rows[0].conds[1].out_mean = 61.25;
    rows[0].min_now = 4;
    rows[0].max_now = 5;
    struct lp_view v;
    view(&v, rows, 1);
    struct lh_sample s[2] = {{1700000000000LL, 200, 2, 2},
                             {1700000015000LL, 220, 2, 2}};
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(lp_service(&v, &rows[0], s, 2, NULL, 0, &b), 0);
    no_raw(b.ptr);
    assert_int_equal(count_of(b.ptr, "<tr class=\"condition\""), 2);
    assert_non_null(strstr(b.ptr, "1..5 replicas (4..5 now, by its schedule)"));
    assert_non_null(strstr(b.ptr, ">rps (query, per replica)</td>"
                                  "<td data-h=\"out above\">100</td>"));
    assert_non_null(strstr(b.ptr, "\">2500.0</td><td data-h=\"mean, in "
                                  "window\">2400.0</td>"));
    assert_non_null(strstr(b.ptr, ">mem_ratio</td><td data-h=\"out "
                                  "above\">80%</td>"));
    assert_non_null(strstr(b.ptr, "\">61.2%</td><td data-h=\"mean, in "
                                  "window\">–</td>"));
    assert_non_null(strstr(b.ptr, "load: the mean rps over the out window"));
    assert_null(strstr(b.ptr, "the mean query"));
    /* the overview's row names both conditions */
    buf_reset(&b);
    struct pg_event last = {0};
    assert_int_equal(lp_overview(&v, 0, &last, &b), 0);
    assert_non_null(strstr(b.ptr, "<span class=\"small\">rps &gt; 100 / "
                                  "&lt; 30</span><br><span class=\"small\">"
                                  "mem_ratio &gt; 80% / &lt; 40%</span>"));
    assert_null(strstr(b.ptr, "query &gt;"));
    buf_cleanup(&b);
    lp_rows_free(rows, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),  cmocka_unit_test(test_overview),
        cmocka_unit_test(test_pages),   cmocka_unit_test(test_standby),
        cmocka_unit_test(test_service), cmocka_unit_test(test_conditions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
