/* polexp: das's series per policy on /metrics — every family's lines for
 * the valid rows only, each condition's thresholds and means (a mean not
 * read is absent, never 0), the bounds in force, label values escaped,
 * no two lines with one label set, and the cap with its count. (That a
 * real das's /metrics passes promtool and Prometheus scrapes these series
 * is t_prometheus's.) */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"
#include "fixture.h"
#include "polexp.h"
#include "xmalloc.h"

static void cond(struct lp_row *r, size_t k, const char *name, double out,
                 double in)
{
    if (r->nconds < k + 1) {
        r->conds = xrealloc(r->conds, (k + 1) * sizeof *r->conds);
        r->nconds = k + 1;
    }
    struct lp_cond *c = &r->conds[k];
    memset(c, 0, sizeof *c);
    c->metric =
        pol_metric_find(name) ? pol_metric_find(name) : &pol_metric_query;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->out_cond = out;
    c->in_cond = in;
    c->out_ms = 120000;
    c->in_ms = 300000;
    c->out_mean = c->in_mean = NAN;
}

static void row(struct lp_row *r, long seq, const char *svc)
{
    memset(r, 0, sizeof *r);
    r->seq = seq;
    r->service = xstrdup(svc);
    r->valid = true;
    r->min_no = r->min_now = 1;
    r->max_no = r->max_now = 5;
    cond(r, 0, "cpu_ratio", 70, 30);
    r->replicas = 3;
    r->running = 2;
    r->pending = 1;
    r->outcome = DEC_O_STEADY;
    r->reason = xstrdup("steady");
    r->last_action_ms = 1765000000500LL;
}

static char *render(const struct lp_row *rows, size_t n)
{
    struct buf b;
    buf_init(&b, (size_t)64 << 20);
    assert_int_equal(pexp_policies(&b, rows, n), 0);
    return buf_take(&b);
}

/* Every line a comment or `name{labels} value`, and no label set twice. */
static void well_formed(const char *text)
{
    char *copy = xstrdup(text), *save = NULL;
    size_t n = 0, cap = 64;
    char **keys = xcalloc(cap, sizeof *keys);
    for (char *l = strtok_r(copy, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        if (l[0] == '#')
            continue;
        char *sp = strrchr(l, ' ');
        assert_non_null(sp);
        char *end;
        (void)strtod(sp + 1, &end);
        if (*end && strcmp(sp + 1, "NaN"))
            fail_msg("not a value: %s", l);
        *sp = '\0';
        for (size_t i = 0; i < n; i++)
            if (!strcmp(keys[i], l))
                fail_msg("a label set twice: %s", l);
        if (n == cap)
            keys = xrealloc(keys, (cap *= 2) * sizeof *keys);
        keys[n++] = l;
    }
    free(keys);
    free(copy);
}

static void test_one_policy(void **state)
{
    (void)state;
    struct lp_row r;
    row(&r, 3, "web");
    r.conds[0].out_mean = 84.25;
    r.conds[0].in_mean = 41.5;
    char *t = render(&r, 1);
    well_formed(t);
    assert_non_null(strstr(t, "das_policy_replicas{service=\"web\",seq=\"3\","
                              "state=\"desired\"} 3\n"));
    assert_non_null(strstr(t, "das_policy_replicas{service=\"web\",seq=\"3\","
                              "state=\"running\"} 2\n"));
    assert_non_null(strstr(t, "das_policy_replicas{service=\"web\",seq=\"3\","
                              "state=\"pending\"} 1\n"));
    assert_non_null(strstr(t, "das_policy_bound_replicas{service=\"web\",seq="
                              "\"3\",bound=\"min\"} 1\n"));
    assert_non_null(strstr(t, "das_policy_bound_replicas{service=\"web\",seq="
                              "\"3\",bound=\"max\"} 5\n"));
    assert_non_null(strstr(t, "das_policy_threshold{service=\"web\",seq=\"3\","
                              "metric=\"cpu_ratio\",direction=\"out\"} 70\n"));
    assert_non_null(strstr(t, "das_policy_threshold{service=\"web\",seq=\"3\","
                              "metric=\"cpu_ratio\",direction=\"in\"} 30\n"));
    assert_non_null(strstr(t,
                           "das_policy_window_mean{service=\"web\",seq=\"3\","
                           "metric=\"cpu_ratio\",window=\"out\"} 84.25\n"));
    assert_non_null(strstr(t,
                           "das_policy_window_mean{service=\"web\",seq=\"3\","
                           "metric=\"cpu_ratio\",window=\"in\"} 41.5\n"));
    assert_non_null(strstr(t, "das_policy_outcome{service=\"web\",seq=\"3\","
                              "outcome=\"steady\"} 1\n"));
    assert_non_null(
        strstr(t, "das_policy_last_action_timestamp_seconds{service=\"web\","
                  "seq=\"3\"} 1765000000.5\n"));
    assert_non_null(strstr(t, "das_policy_series_omitted 0\n"));
    /* a HELP and a TYPE line for each of the seven families */
    assert_int_equal(count_of(t, "# HELP das_policy_"), 7);
    assert_int_equal(count_of(t, "# TYPE das_policy_"), 7);
    assert_int_equal(count_of(t, " gauge\n"), 7);
    free(t);
    free(r.service);
    free(r.reason);
    free(r.conds);
}

/* Unknown inputs are left out, never written as 0: a service not found
 * (replicas -1), tasks unknown (running -1), a window not read (NAN), no
 * last action. */
static void test_unknowns_absent(void **state)
{
    (void)state;
    struct lp_row r;
    row(&r, 4, "api");
    r.replicas = -1;
    r.running = r.pending = -1;
    r.last_action_ms = 0;
    r.conds[0].out_mean = 12.0; /* the in window not read */
    r.outcome = DEC_O_METRICS_DOWN;
    char *t = render(&r, 1);
    well_formed(t);
    assert_null(strstr(t, "das_policy_replicas{"));
    assert_null(strstr(t, "das_policy_last_action_timestamp_seconds{"));
    assert_int_equal(count_of(t, "das_policy_window_mean{"), 1);
    assert_non_null(strstr(t, "window=\"out\"} 12\n"));
    assert_non_null(strstr(t, "outcome=\"metrics-unavailable\"} 1\n"));
    /* the bounds and thresholds are the policy's: known */
    assert_int_equal(count_of(t, "das_policy_bound_replicas{"), 2);
    assert_int_equal(count_of(t, "das_policy_threshold{"), 2);
    free(t);
    free(r.service);
    free(r.reason);
    free(r.conds);
}

/* A policy of three conditions: each its thresholds and means under its
 * own metric label; a schedule's bounds, not the policy's. */
static void test_conditions_and_schedule(void **state)
{
    (void)state;
    struct lp_row r;
    row(&r, 7, "shop");
    cond(&r, 1, "mem_ratio", 80, 40);
    cond(&r, 2, "rps", 100, 20);
    r.min_now = 4; /* a window of the schedule holds */
    r.max_now = 10;
    r.conds[0].out_mean = 50;
    r.conds[1].out_mean = 90;
    r.conds[1].in_mean = 85;
    r.conds[2].out_mean = 250;
    r.conds[2].in_mean = 240;
    char *t = render(&r, 1);
    well_formed(t);
    assert_int_equal(count_of(t, "das_policy_threshold{"), 6);
    assert_int_equal(count_of(t, "das_policy_window_mean{"), 5);
    assert_non_null(strstr(t, "metric=\"rps\",direction=\"out\"} 100\n"));
    assert_non_null(strstr(t, "metric=\"mem_ratio\",direction=\"in\"} 40\n"));
    assert_non_null(strstr(t, "metric=\"rps\",window=\"in\"} 240\n"));
    assert_non_null(strstr(t, "bound=\"min\"} 4\n"));
    assert_non_null(strstr(t, "bound=\"max\"} 10\n"));
    free(t);
    free(r.service);
    free(r.reason);
    free(r.conds);
}

/* Invalid rows have no series (das_policies{state="invalid"} counts
 * them), even when two share a seq; hostile names are escaped. */
static void test_invalid_and_escaping(void **state)
{
    (void)state;
    struct lp_row r[4];
    row(&r[0], 5, "bad1");
    r[0].valid = false;
    row(&r[1], 5, "bad2");
    r[1].valid = false;
    row(&r[2], 6, "we\"b\\x\ny\xff");
    row(&r[3], 8, "ok");
    char *t = render(r, 4);
    well_formed(t);
    assert_null(strstr(t, "bad1"));
    assert_null(strstr(t, "bad2"));
    assert_int_equal(count_of(t, "das_policy_outcome{"), 2);
    assert_non_null(
        strstr(t, "service=\"we\\\"b\\\\x\\ny\xef\xbf\xbd\",seq=\"6\""));
    for (const char *p = t; *p; p++)
        if (*p == '\n' && p[1] && p[1] != '#' && strncmp(p + 1, "das_", 4))
            fail_msg("a line that is no series: %.30s", p + 1);
    free(t);
    for (size_t i = 0; i < 4; i++) {
        free(r[i].service);
        free(r[i].reason);
        free(r[i].conds);
    }
}

/* PEXP_POLICIES_MAX valid policies get series, the rest are counted; the
 * size a policy adds is printed (docs/design.md quotes it). */
static void test_cap(void **state)
{
    (void)state;
    size_t n = PEXP_POLICIES_MAX + 5;
    struct lp_row *r = xcalloc(n, sizeof *r);
    char name[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "service-%05zu-of-a-long-ish-name", i);
        row(&r[i], (long)i + 1, name);
        r[i].conds[0].out_mean = 50;
        r[i].conds[0].in_mean = 45;
    }
    char *t = render(r, n);
    assert_int_equal(count_of(t, "das_policy_outcome{"), PEXP_POLICIES_MAX);
    assert_non_null(strstr(t, "das_policy_series_omitted 5\n"));
    assert_non_null(strstr(t, "service=\"service-09999-"));
    assert_null(strstr(t, "service=\"service-10000-"));
    printf("polexp: %zu bytes for %d one-metric policies (%.0f a policy)\n",
           strlen(t), PEXP_POLICIES_MAX, (double)strlen(t) / PEXP_POLICIES_MAX);
    free(t);
    /* a buffer too small: -1, and what it holds are whole lines */
    struct buf b;
    buf_init(&b, 4096);
    assert_int_equal(pexp_policies(&b, r, n), -1);
    assert_true(b.len > 0 && b.ptr[b.len - 1] == '\n');
    buf_cleanup(&b);
    for (size_t i = 0; i < n; i++) {
        free(r[i].service);
        free(r[i].reason);
        free(r[i].conds);
    }
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_policy),
        cmocka_unit_test(test_unknowns_absent),
        cmocka_unit_test(test_conditions_and_schedule),
        cmocka_unit_test(test_invalid_and_escaping),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
