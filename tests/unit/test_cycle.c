/* cycle: query pairs, windows folded from per-container aggregates, and
 * coverage in words. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cycle.h"

#define S 1000LL
#define MIN (60 * S)

/* One container's aggregate, its latest point equal to its mean. */
static void add(struct dec_window *w, double mean, long count, int64_t first_ms,
                int64_t last_ms, int64_t fresh_ms)
{
    struct cyc_ctr c = {mean, count, first_ms, last_ms, mean, mean};
    cyc_window_add(w, &c, fresh_ms);
}

static void test_pairs_distinct(void **state)
{
    (void)state;
    struct cyc_pair p[4];
    size_t n = 0;
    /* 1,000 policies on two items and two durations → 3 queries */
    for (int i = 0; i < 1000; i++) {
        const char *f = (i % 2) ? "cpu_ratio" : "mem_ratio";
        int64_t d = (i % 3 == 0) ? 10 * MIN : 5 * MIN;
        if (i % 2 == 0)
            d = 10 * MIN;
        assert_true(cyc_pair_add(p, &n, 4, f, d) < 4);
    }
    assert_int_equal(n, 3);
    /* in order of first appearance: i = 0 mem 10m, i = 1 cpu 5m, i = 3
     * cpu 10m */
    assert_string_equal(p[0].field, "mem_ratio");
    assert_int_equal(p[0].dur_ms, 10 * MIN);
    assert_string_equal(p[1].field, "cpu_ratio");
    assert_int_equal(p[1].dur_ms, 5 * MIN);
    assert_string_equal(p[2].field, "cpu_ratio");
    assert_int_equal(p[2].dur_ms, 10 * MIN);
    /* a pair already there: its index, nothing appended */
    assert_int_equal(cyc_pair_add(p, &n, 4, "cpu_ratio", 10 * MIN), 2);
    assert_int_equal(cyc_pair_add(p, &n, 4, "mem_ratio", 10 * MIN), 0);
    assert_int_equal(n, 3);
    assert_int_equal(cyc_pair_add(p, &n, 4, "pids", 1 * MIN), 3);
    assert_int_equal(cyc_pair_add(p, &n, 4, "pids", 2 * MIN), (size_t)-1);
}

static void test_weighted_mean(void **state)
{
    (void)state;
    struct dec_window w;
    int64_t now = 1000 * MIN;
    cyc_window_init(&w, now - 10 * MIN);
    assert_false(w.has_data);
    /* container a: 10 points of mean 90; b: 30 points of mean 10 */
    add(&w, 90.0, 10, now - 10 * MIN + 5 * S, now - 5 * S, now - 20 * S);
    add(&w, 10.0, 30, now - 9 * MIN, now - 60 * S, now - 20 * S);
    add(&w, 55.0, 0, now - 11 * MIN, now, now - 20 * S); /* none */
    assert_true(w.has_data);
    assert_true(w.mean > 29.999 && w.mean < 30.001); /* (900+300)/40 */
    assert_int_equal(w.points, 40);
    assert_int_equal(w.first_ms, now - 10 * MIN + 5 * S);
    assert_int_equal(w.last_ms, now - 5 * S);
    assert_int_equal(w.containers, 2);
    assert_int_equal(w.fresh, 1); /* b's last point is 60 s old */
}

static void agg(struct win_agg *a, const char *svc, const char *ctr,
                double mean, long count, int64_t first, int64_t last)
{
    memset(a, 0, sizeof *a);
    snprintf(a->service, sizeof a->service, "%s", svc);
    snprintf(a->container, sizeof a->container, "%s", ctr);
    a->mean = mean;
    a->count = count;
    a->first_ms = first;
    a->last_ms = last;
}

/* c1 starts (its task not running), c2 warms up, the rest are mature */
static enum cyc_age age_by_name(const char *container, bool fresh, void *arg)
{
    (void)arg;
    (void)fresh;
    if (!strcmp(container, "c1"))
        return CYC_STARTING;
    return !strcmp(container, "c2") ? CYC_WARMING : CYC_MATURE;
}

static void test_index_window(void **state)
{
    (void)state;
    int64_t now = 1000 * MIN, iv = 2 * S;
    struct win_agg rows[5];
    agg(&rows[0], "svcb", "c3", 50, 10, now - 20 * S, now - 1 * S);
    agg(&rows[1], "svca", "c1", 80, 10, now - 20 * S, now - 1 * S);
    agg(&rows[2], "svcc", "c5", 1, 10, now - 20 * S, now - 1 * S);
    agg(&rows[3], "svca", "c2", 60, 10, now - 19 * S, now - 2 * S);
    agg(&rows[4], "svcab", "c9", 0, 10, now - 20 * S, now - 1 * S);
    struct cyc_index ix;
    cyc_index_init(&ix, rows, 5);
    struct dec_window w;
    cyc_index_window(&ix, "svca", now, 20 * S, iv, NULL, NULL, &w);
    assert_true(w.has_data);
    assert_int_equal(w.start_ms, now - 20 * S);
    assert_true(w.mean > 69.999 && w.mean < 70.001);
    assert_int_equal(w.containers, 2); /* not svcab's */
    assert_int_equal(w.fresh, 2);
    assert_int_equal(w.points, 20);
    cyc_index_window(&ix, "svcz", now, 20 * S, iv, NULL, NULL, &w);
    assert_false(w.has_data);
    assert_int_equal(w.containers, 0);
    cyc_index_window(&ix, "svcc", now, 20 * S, iv, NULL, NULL, &w);
    assert_int_equal(w.containers, 1);
    /* young containers are left out: warming ones (their task runs)
     * and starting ones (it does not yet), counted apart */
    cyc_index_window(&ix, "svca", now, 20 * S, iv, age_by_name, NULL, &w);
    assert_int_equal(w.containers, 0);
    assert_int_equal(w.warming, 2);
    assert_int_equal(w.starting, 1);
    cyc_index_window(&ix, "svcb", now, 20 * S, iv, age_by_name, NULL, &w);
    assert_int_equal(w.containers, 1); /* c3: mature */
    assert_int_equal(w.warming + w.starting, 0);
    struct cyc_index empty;
    cyc_index_init(&empty, NULL, 0);
    cyc_index_window(&empty, "svca", now, 20 * S, iv, NULL, NULL, &w);
    assert_false(w.has_data);
}

/* das's rule (eval.c young): a container no task runs is left out while
 * it reports (it only carries the service's labels); once silent it is a
 * replica gone since, whose points count */
static enum cyc_age age_no_task(const char *container, bool fresh, void *arg)
{
    (void)arg;
    if (strcmp(container, "c7") && strcmp(container, "c8"))
        return CYC_MATURE;
    return fresh ? CYC_NOT_TASK : CYC_MATURE;
}

static void test_index_not_task(void **state)
{
    (void)state;
    int64_t now = 1000 * MIN, iv = 2 * S;
    struct win_agg rows[3];
    agg(&rows[0], "svcd", "c6", 20, 10, now - 20 * S, now - 1 * S);
    agg(&rows[1], "svcd", "c7", 95, 10, now - 20 * S, now - 1 * S);
    agg(&rows[2], "svcd", "c8", 30, 5, now - 20 * S, now - 12 * S);
    struct cyc_index ix;
    cyc_index_init(&ix, rows, 3);
    struct dec_window w;
    cyc_index_window(&ix, "svcd", now, 20 * S, iv, age_no_task, NULL, &w);
    assert_int_equal(w.containers, 2); /* c6, and c8's old points */
    assert_int_equal(w.fresh, 1);
    assert_int_equal(w.unusable, 1);
    assert_int_equal(w.unusable_why, WIN_BAD_NOT_TASK);
    assert_true(w.mean > 23.33 && w.mean < 23.34); /* (200 + 150) / 15 */
    cyc_index_window(&ix, "svcd", now, 20 * S, iv, NULL, NULL, &w);
    assert_int_equal(w.containers, 3); /* no listing: every one counts */
    assert_int_equal(w.unusable, 0);
}

/* A container is fresh when its latest point is at most two ds intervals
 * old: exactly two is fresh, a millisecond more is not (nor is 2.5). */
static void test_fresh_bound(void **state)
{
    (void)state;
    int64_t now = 1000 * MIN, iv = 10 * S;
    struct win_agg rows[3];
    agg(&rows[0], "svc", "at", 40, 10, now - MIN, now - 2 * iv);
    agg(&rows[1], "svc", "past", 70, 10, now - MIN, now - 2 * iv - 1);
    agg(&rows[2], "svc", "older", 90, 10, now - MIN, now - 25 * S);
    rows[0].last = rows[0].max = 40;
    rows[1].last = rows[1].max = 70;
    rows[2].last = rows[2].max = 90;
    struct cyc_index ix;
    cyc_index_init(&ix, rows, 3);
    struct dec_window w;
    cyc_index_window(&ix, "svc", now, MIN, iv, NULL, NULL, &w);
    assert_int_equal(w.containers, 3);
    assert_int_equal(w.fresh, 1);
    assert_true(w.last_sum > 39.999 && w.last_sum < 40.001);
    assert_true(w.max_sum > 39.999 && w.max_sum < 40.001);

    /* cyc_window_add's own bound: last_ms == fresh_ms is fresh */
    cyc_window_init(&w, now - MIN);
    add(&w, 20.0, 5, now - MIN, now - 30 * S, now - 30 * S);
    add(&w, 30.0, 5, now - MIN, now - 30 * S - 1, now - 30 * S);
    assert_int_equal(w.containers, 2);
    assert_int_equal(w.fresh, 1);
    assert_true(w.last_sum > 19.999 && w.last_sum < 20.001);
}

static void test_coverage_text(void **state)
{
    (void)state;
    int64_t now = 1000 * MIN, iv = 10 * S, dur = 10 * MIN;
    char out[128];
    struct dec_window w;

    cyc_window_init(&w, now - dur);
    assert_string_equal(
        cyc_coverage_text(&w, dur, now, iv, 0, 2, out, sizeof out),
        "no points in 10m");

    /* two replicas, points across the whole window */
    add(&w, 50, 60, now - dur + 3 * S, now - 4 * S, now - 2 * iv);
    add(&w, 50, 60, now - dur + 6 * S, now - 7 * S, now - 2 * iv);
    assert_string_equal(
        cyc_coverage_text(&w, dur, now, iv, 0, 2, out, sizeof out), "10m/10m");
    /* a third replica is asked for but not reporting */
    assert_string_equal(
        cyc_coverage_text(&w, dur, now, iv, 0, 3, out, sizeof out),
        "2 of 3 replicas reporting");
    /* an action 2 minutes ago */
    assert_string_equal(
        cyc_coverage_text(&w, dur, now, iv, now - 2 * MIN, 2, out, sizeof out),
        "settling: 2m of 10m since the last change");

    /* data only for the last 3 minutes */
    cyc_window_init(&w, now - dur);
    add(&w, 50, 18, now - 3 * MIN, now - 5 * S, now - 2 * iv);
    assert_string_equal(
        cyc_coverage_text(&w, dur, now, iv, 0, 1, out, sizeof out),
        "3m of 10m");

    /* the agent stopped 45 s ago */
    cyc_window_init(&w, now - dur);
    add(&w, 50, 50, now - dur, now - 45 * S, now - 2 * iv);
    assert_string_equal(
        cyc_coverage_text(&w, dur, now, iv, 0, 1, out, sizeof out),
        "last point 45s ago, collected every 10s");
}

/* Nothing dropped in silence: a service whose only series was unusable
 * says so by name, and one with some usable says how many were not. */
static void test_unusable(void **state)
{
    (void)state;
    int64_t now = 1000 * MIN, iv = 2 * S, dur = 20 * S;
    char out[200];
    struct win_agg rows[4];
    agg(&rows[0], "svca", "", 0, 0, 0, 0);
    rows[0].bad = WIN_BAD_KEY;
    agg(&rows[1], "svcb", "c1", 50, 10, now - 20 * S, now - 1 * S);
    agg(&rows[2], "svcb", "c2", 0, 0, 0, 0);
    rows[2].bad = WIN_BAD_TIMES;
    agg(&rows[3], "svca", "", 0, 0, 0, 0);
    rows[3].bad = WIN_BAD_VALUE;
    struct cyc_index ix;
    cyc_index_init(&ix, rows, 4);
    struct dec_window w;
    cyc_index_window(&ix, "svca", now, dur, iv, NULL, NULL, &w);
    assert_false(w.has_data);
    assert_int_equal(w.unusable, 2);
    assert_int_equal(w.containers, 0);
    cyc_coverage_text(&w, dur, now, iv, 0, 1, out, sizeof out);
    assert_non_null(strstr(out, "no usable points in 20s; 2 series present "
                                "but unusable: "));
    assert_non_null(strstr(out, win_bad_text(w.unusable_why)));
    cyc_index_window(&ix, "svcb", now, dur, iv, NULL, NULL, &w);
    assert_true(w.has_data);
    assert_int_equal(w.containers, 1);
    assert_int_equal(w.unusable, 1);
    assert_string_equal(
        cyc_coverage_text(&w, dur, now, iv, 0, 2, out, sizeof out),
        "1 of 2 replicas reporting; 1 series unusable: times of the first "
        "and last points missing");
    /* the one usable replica is all there is: covered */
    assert_string_equal(
        cyc_coverage_text(&w, dur, now, iv, 0, 1, out, sizeof out), "20s/20s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs_distinct),
        cmocka_unit_test(test_weighted_mean),
        cmocka_unit_test(test_index_window),
        cmocka_unit_test(test_index_not_task),
        cmocka_unit_test(test_fresh_bound),
        cmocka_unit_test(test_coverage_text),
        cmocka_unit_test(test_unusable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
