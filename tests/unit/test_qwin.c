/* qwin: a query metric's samples as the engine's windows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "cycle.h"
#include "qwin.h"
#include "schedule.h"

static const struct qwin_sample rps[] = {
    {1000, 100}, {2000, 300}, {3000, 500}, {4000, 400}, {5000, 200},
};

/* Per replica: the mean over the replicas, the sums the service's. */
static void test_replica_target(void **state)
{
    struct dec_window w;
    char why[200] = "";
    (void)state;
    cyc_window_init(&w, 2000);
    assert_int_equal(
        qwin_window(rps, 5, 5000, POL_TARGET_REPLICA, 4, &w, why, sizeof why),
        0);
    assert_true(w.has_data);
    assert_int_equal(w.points, 4); /* 1000 is before the window */
    assert_int_equal(w.first_ms, 2000);
    assert_int_equal(w.last_ms, 5000);
    assert_true(fabs(w.mean - 350.0 / 4) < 1e-9);
    assert_true(w.last_sum == 200.0);
    assert_true(w.max_sum == 500.0);
    assert_int_equal(w.containers, 4);
    assert_int_equal(w.fresh, 4);
}

/* The service's value: compared whole; the sums as n replicas carry it. */
static void test_service_target(void **state)
{
    struct dec_window w;
    char why[200] = "";
    (void)state;
    cyc_window_init(&w, 0);
    assert_int_equal(
        qwin_window(rps, 5, 4000, POL_TARGET_SERVICE, 2, &w, why, sizeof why),
        0);
    assert_int_equal(w.points, 4); /* 5000 is after now */
    assert_true(fabs(w.mean - 325.0) < 1e-9);
    assert_true(w.last_sum == 800.0);
    assert_true(w.max_sum == 1000.0);
}

/* No sample: no data (the engine says insufficient); NaN, Inf, a
 * negative value and no replica: unavailable, with why. */
static void test_bad(void **state)
{
    struct dec_window w;
    char why[200] = "";
    (void)state;
    cyc_window_init(&w, 9000);
    assert_int_equal(
        qwin_window(rps, 5, 10000, POL_TARGET_REPLICA, 2, &w, why, sizeof why),
        0);
    assert_false(w.has_data);
    assert_int_equal(w.fresh, 0);
    struct qwin_sample bad[] = {{1000, 1}, {2000, NAN}};
    cyc_window_init(&w, 0);
    assert_int_equal(
        qwin_window(bad, 2, 3000, POL_TARGET_REPLICA, 2, &w, why, sizeof why),
        -1);
    assert_string_equal(why, "the query returned NaN at 2000 ms: not a value "
                             "das can compare");
    bad[1].v = INFINITY;
    assert_int_equal(
        qwin_window(bad, 2, 3000, POL_TARGET_REPLICA, 2, &w, why, sizeof why),
        -1);
    assert_non_null(strstr(why, "an infinity"));
    bad[1].v = -1;
    assert_int_equal(
        qwin_window(bad, 2, 3000, POL_TARGET_REPLICA, 2, &w, why, sizeof why),
        -1);
    assert_non_null(strstr(why, "a negative value"));
    assert_int_equal(
        qwin_window(rps, 5, 5000, POL_TARGET_REPLICA, 0, &w, why, sizeof why),
        -1);
    assert_string_equal(why, "no replica to divide the query's value by");
}

static void test_step(void **state)
{
    (void)state;
    assert_int_equal(qwin_step(600000, 1000), 1000);
    assert_int_equal(qwin_step(10000000, 1000), 1000);
    assert_int_equal(qwin_step(10001000, 1000), 1001);
    assert_int_equal(qwin_step(31LL * 86400000, 10000), 267840);
    assert_int_equal(qwin_step(60000, 0), 1000);
}

/* At zero: the latest fresh value; idle: covered and all zero. */
static void test_latest_and_idle(void **state)
{
    const struct qwin_sample q[] = {
        {1000, 0}, {2000, 0}, {3000, 0}, {4000, 0}, {5000, 3}};
    double v = -1;
    (void)state;
    assert_true(qwin_latest(q, 5, 5000, 1000, &v));
    assert_true(v == 3);
    assert_true(qwin_latest(q, 5, 4500, 1000, &v)); /* 5000 is after now */
    assert_true(v == 0);
    assert_false(qwin_latest(q, 5, 7001, 1000, &v)); /* stale */
    assert_false(qwin_latest(q, 0, 7001, 1000, &v));
    const struct qwin_sample nan[] = {{1000, NAN}};
    assert_false(qwin_latest(nan, 1, 1000, 1000, &v));
    assert_true(qwin_idle(q, 5, 1000, 4000, 1000));
    assert_false(qwin_idle(q, 5, 1000, 5000, 1000));  /* 3 at 5000 */
    assert_false(qwin_idle(q, 4, 1000, 7000, 1000));  /* last 4000: stale */
    assert_false(qwin_idle(q, 4, -2000, 4000, 1000)); /* starts late */
    assert_false(qwin_idle(q, 0, 0, 4000, 1000));     /* nothing read */
}

/* One rule for das run and das simulate: at zero the latest value; a
 * schedule's floor brings a zero policy up and keeps it from zero; the
 * engine never takes a zero policy below one replica. */
static void test_decide_zero_and_schedule(void **state)
{
    struct policy p = {0};
    struct qwin_sample q[40];
    struct dec_result out;
    char why[200];
    bool idle = true;
    (void)state;
    p.seq = 1;
    p.min_no = 0;
    p.max_no = 6;
    p.wake_no = 2;
    p.idle_ms = 10000;
    p.out_ms = p.in_ms = 10000;
    p.out_cond = 50;
    p.in_cond = 1;
    p.metric = &pol_metric_query;
    p.nconds = 1;
    p.conds[0].metric = &pol_metric_query;
    p.mode = POL_MODE_STEP;
    for (int i = 0; i < 40; i++)
        q[i] = (struct qwin_sample){(int64_t)i * 1000, 0};
    struct dec_input in = {.pol = &p,
                           .now_ms = 39000,
                           .ds_interval_ms = 1000,
                           .found = true,
                           .actual = 0,
                           .running = -1};
    cyc_window_init(&in.out_win, in.now_ms - p.out_ms);
    cyc_window_init(&in.in_win, in.now_ms - p.in_ms);
    /* at zero, all 0: stays */
    assert_int_equal(qwin_decide(&in, "q", POL_TARGET_SERVICE, q, 40, &out,
                                 &idle, why, sizeof why),
                     0);
    assert_int_equal(out.action, DEC_NONE);
    assert_string_equal(out.reason, "at zero: q reads 0");
    /* a schedule's floor of 4: brought up, whatever the metric says */
    struct sched_now s = {
        .min_no = 4, .max_no = 6, .min_item = -1, .max_item = -1};
    in.sched = &s;
    assert_int_equal(qwin_decide(&in, "q", POL_TARGET_SERVICE, q, 40, &out,
                                 &idle, why, sizeof why),
                     0);
    assert_int_equal(out.action, DEC_BOUND);
    assert_int_equal(out.to, 4);
    /* at 4 with the floor, all 0 for idle_for: not idle (no way to zero) */
    in.actual = 4;
    p.cur_no = 4;
    assert_int_equal(qwin_decide(&in, "q", POL_TARGET_SERVICE, q, 40, &out,
                                 &idle, why, sizeof why),
                     0);
    assert_false(idle);
    dec_idle(&in, "q", true, &out);
    assert_true(out.to >= 4);
    /* no scheduled floor (its min 0): the engine stops at one replica */
    s.min_no = 0;
    in.actual = 1;
    p.cur_no = 1;
    assert_int_equal(qwin_decide(&in, "q", POL_TARGET_SERVICE, q, 40, &out,
                                 &idle, why, sizeof why),
                     0);
    assert_true(idle);
    assert_int_not_equal(out.action, DEC_SCALE_IN);
    /* and only idle_for takes it to zero */
    dec_idle(&in, "q", idle, &out);
    assert_int_equal(out.action, DEC_SCALE_IN);
    assert_int_equal(out.to, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replica_target),
        cmocka_unit_test(test_service_target),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_latest_and_idle),
        cmocka_unit_test(test_decide_zero_and_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
