/* The decision engine (decide.c): every rule of docs/design.md §4, its edges,
 * and the coverage rule. Time is a parameter; nothing here sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "decide.h"

#define NOW 1700000000000LL
#define IV 10000LL /* ds interval: 10s */
#define MIN_MS 60000LL

#define assert_contains(hay, needle)                                           \
    do {                                                                       \
        if (!strstr((hay), (needle)))                                          \
            fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));       \
    } while (0)

#define assert_dbl(a, b)                                                       \
    do {                                                                       \
        double a_ = (a), b_ = (b);                                             \
        if (!(a_ == b_))                                                       \
            fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);                \
    } while (0)

/* cpu_ratio, 1..10 replicas, out above 70%, in below 10%, 10m windows;
 * scale_mode step: the seed's rule, which the rules' tests below pin down
 * (the auto rule's sizing has tests of its own). */
static struct policy make_policy(long cur_no)
{
    struct policy p;
    memset(&p, 0, sizeof p);
    p.seq = 1;
    p.min_no = 1;
    p.max_no = 10;
    p.cur_no = cur_no;
    p.metric = pol_metric_find("cpu_ratio");
    p.out_cond = 70;
    p.in_cond = 10;
    p.out_ms = 10 * MIN_MS;
    p.in_ms = 10 * MIN_MS;
    p.mode = POL_MODE_STEP;
    snprintf(p.service_id, sizeof p.service_id, "web");
    return p;
}

/* A covered window of dur_ms: points from just after its start to just
 * before now, from `fresh` containers. */
static struct dec_window covered(int64_t dur_ms, double mean, long fresh)
{
    struct dec_window w;
    memset(&w, 0, sizeof w);
    w.start_ms = NOW - dur_ms;
    w.has_data = true;
    w.mean = mean;
    w.points = (long)(dur_ms / IV) * fresh;
    w.first_ms = w.start_ms + IV / 2;
    w.last_ms = NOW - IV / 2;
    w.containers = fresh;
    w.fresh = fresh;
    return w;
}

static struct dec_window empty(int64_t dur_ms)
{
    struct dec_window w;
    memset(&w, 0, sizeof w);
    w.start_ms = NOW - dur_ms;
    w.mean = NAN;
    return w;
}

/* Both windows covered, every replica reporting. */
static struct dec_input make_input(const struct policy *p, long actual,
                                   double out_mean, double in_mean)
{
    struct dec_input in;
    memset(&in, 0, sizeof in);
    in.pol = p;
    in.now_ms = NOW;
    in.ds_interval_ms = IV;
    in.found = true;
    in.actual = actual;
    in.last_action_ms = 0;
    in.limit = NAN;
    in.running = -1;
    in.out_win = covered(p->out_ms, out_mean, actual);
    in.in_win = covered(p->in_ms, in_mean, actual);
    return in;
}

static void expect_none(const struct dec_result *r, long actual,
                        const char *outcome)
{
    assert_int_equal(r->action, DEC_NONE);
    assert_int_equal(r->from, actual);
    assert_int_equal(r->to, actual);
    assert_string_equal(dec_outcome_names[r->outcome], outcome);
}

/* ---- rule 4: scale out ---- */

static void test_scale_out(void **state)
{
    struct policy p = make_policy(3);
    struct dec_input in = make_input(&p, 3, 84.2, 84.2);
    struct dec_result r;
    (void)state;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    assert_int_equal(r.from, 3);
    assert_int_equal(r.to, 4);
    assert_false(r.sync);
    assert_string_equal(dec_outcome_names[r.outcome], "scale-out");
    assert_string_equal(r.reason,
                        "mean cpu_ratio 84.2% > 70% over 10m: 3 \u2192 4");
    assert_dbl(r.observed, 84.2);
    assert_dbl(r.threshold, 70);
    assert_int_equal(r.window_ms, 10 * MIN_MS);
}

/* Comparisons are strict: exactly out_cond is not above it. */
static void test_exactly_at_out_cond(void **state)
{
    struct policy p = make_policy(3);
    struct dec_input in = make_input(&p, 3, 70.0, 50.0);
    struct dec_result r;
    (void)state;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "steady");
    assert_string_equal(r.reason, "mean cpu_ratio 70.0% \u2264 70% over 10m "
                                  "and 50.0% \u2265 10% over 10m: steady at "
                                  "3");
    assert_dbl(r.observed, 70.0);
    assert_dbl(r.threshold, 70);
    /* a hair above does scale */
    in.out_win.mean = nextafter(70.0, 100.0);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    assert_int_equal(r.to, 4);
}

static void test_at_max(void **state)
{
    struct policy p = make_policy(10);
    struct dec_input in = make_input(&p, 10, 90.0, 5.0);
    struct dec_result r;
    (void)state;
    dec_evaluate(&in, &r);
    expect_none(&r, 10, "at-max");
    assert_string_equal(r.reason, "mean cpu_ratio 90.0% > 70% over 10m, but "
                                  "at max_no 10");
    assert_dbl(r.observed, 90.0);
    assert_dbl(r.threshold, 70.0);
    /* the low in window (5%) is not what decided: the out window's */
    assert_int_equal(r.window_ms, p.out_ms);
}

/* Different windows: the out window above wins over an in window below. */
static void test_scale_out_wins_over_scale_in(void **state)
{
    struct policy p = make_policy(4);
    p.in_ms = 2 * MIN_MS;
    struct dec_input in = make_input(&p, 4, 75.0, 3.0);
    struct dec_result r;
    (void)state;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    assert_int_equal(r.to, 5);
}

/* ---- rule 5: scale in ---- */

static void test_scale_in(void **state)
{
    struct policy p = make_policy(3);
    p.in_ms = 5 * MIN_MS;
    struct dec_input in = make_input(&p, 3, 5.0, 5.0);
    struct dec_result r;
    (void)state;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    assert_int_equal(r.from, 3);
    assert_int_equal(r.to, 2);
    assert_string_equal(dec_outcome_names[r.outcome], "scale-in");
    assert_string_equal(r.reason,
                        "mean cpu_ratio 5.0% < 10% over 5m: 3 \u2192 2");
    assert_dbl(r.observed, 5.0);
    assert_dbl(r.threshold, 10.0);
    assert_int_equal(r.window_ms, 5 * MIN_MS);
}

static void test_exactly_at_in_cond(void **state)
{
    struct policy p = make_policy(3);
    struct dec_input in = make_input(&p, 3, 10.0, 10.0);
    struct dec_result r;
    (void)state;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "steady");
    assert_contains(r.reason, "10.0% \u2265 10% over 10m: steady at 3");
    in.in_win.mean = nextafter(10.0, 0.0);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    assert_int_equal(r.to, 2);
}

static void test_at_min(void **state)
{
    struct policy p = make_policy(2);
    p.min_no = 2;
    struct dec_input in = make_input(&p, 2, 5.0, 5.0);
    struct dec_result r;
    (void)state;
    dec_evaluate(&in, &r);
    expect_none(&r, 2, "at-min");
    assert_string_equal(r.reason, "mean cpu_ratio 5.0% < 10% over 10m, but at "
                                  "min_no 2");
    assert_dbl(r.observed, 5.0);
    assert_dbl(r.threshold, 10.0);
}

/* One replica fewer would carry mean × actual / (actual − 1): at or above
 * out_cond that would flap, so hold. */
static void test_flap_hold(void **state)
{
    struct policy p = make_policy(2);
    p.out_cond = 50;
    p.in_cond = 40;
    struct dec_input in = make_input(&p, 2, 30.0, 30.0);
    struct dec_result r;
    (void)state;
    dec_evaluate(&in, &r);
    expect_none(&r, 2, "hold");
    assert_string_equal(r.reason,
                        "mean cpu_ratio 30.0% < 40% over 10m, but 1 replica "
                        "would run at 60.0% \u2265 50%: hold");
    assert_dbl(r.observed, 30.0);
    assert_dbl(r.threshold, 40.0);

    /* exactly reaching out_cond (25 × 2 / 1 = 50) holds too */
    in.out_win.mean = in.in_win.mean = 25.0;
    dec_evaluate(&in, &r);
    expect_none(&r, 2, "hold");
    assert_contains(r.reason, "1 replica would run at 50.0% \u2265 50%");

    /* just below: 24 × 2 = 48 < 50 scales in */
    in.out_win.mean = in.in_win.mean = 24.0;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    assert_int_equal(r.to, 1);

    /* more replicas spread the load: 30 × 4 / 3 = 40 < 50 */
    p.cur_no = 4;
    in = make_input(&p, 4, 30.0, 30.0);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    assert_int_equal(r.to, 3);

    /* 5 × 3 / 2 = 7.5: the brief's example shape, plural wording */
    p = make_policy(3);
    p.out_cond = 7;
    p.in_cond = 6;
    in = make_input(&p, 3, 5.0, 5.0);
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "hold");
    assert_contains(r.reason, "but 2 replicas would run at 7.5% \u2265 7%");
}

/* ---- rule 3: bounds ---- */

static void test_bound_below_min_needs_no_data(void **state)
{
    struct policy p = make_policy(0);
    p.min_no = 2;
    struct dec_input in = make_input(&p, 0, NAN, NAN);
    struct dec_result r;
    (void)state;
    in.out_win = empty(p.out_ms);
    in.in_win = empty(p.in_ms);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_BOUND);
    assert_int_equal(r.from, 0);
    assert_int_equal(r.to, 2);
    assert_string_equal(dec_outcome_names[r.outcome], "bound");
    assert_string_equal(r.reason, "0 replicas below min_no 2: 0 \u2192 2");
    assert_false(r.sync);
    assert_true(isnan(r.observed));
    assert_true(isnan(r.threshold));
}

static void test_bound_above_max(void **state)
{
    struct policy p = make_policy(12);
    struct dec_input in = make_input(&p, 12, 95.0, 95.0);
    struct dec_result r;
    (void)state;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_BOUND);
    assert_int_equal(r.from, 12);
    assert_int_equal(r.to, 10);
    assert_string_equal(r.reason, "12 replicas above max_no 10: 12 \u2192 10");
    /* no data at all: still bounded */
    in.out_win = empty(p.out_ms);
    in.in_win = empty(p.in_ms);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_BOUND);
    assert_int_equal(r.to, 10);
}

/* A schedule's bounds in force (schedule.h): a window of text set on p,
 * its min or max holding now. */
static struct sched_now sched_on(struct policy *p, const char *text,
                                 long min_no, long max_no)
{
    struct sched_now s;
    char err[256] = "";
    if (sched_parse(text, &p->sched, err, sizeof err))
        fail_msg("%s", err);
    memset(&s, 0, sizeof s);
    s.min_no = min_no > p->min_no ? min_no : p->min_no;
    s.max_no = max_no < p->max_no ? max_no : p->max_no;
    s.min_item = min_no > p->min_no ? 0 : -1;
    s.max_item = max_no < p->max_no ? 0 : -1;
    s.active = 1;
    return s;
}

/* A scheduled floor: bound to it at once, with no data, the reason naming
 * the window; then held there against a scale-in. */
static void test_schedule_floor(void **state)
{
    struct policy p = make_policy(2);
    struct sched_now s =
        sched_on(&p, "Mon-Fri 08:00-18:00 min=4; tz=Europe/Paris", 4, 10);
    struct dec_input in = make_input(&p, 2, NAN, NAN);
    struct dec_result r;
    (void)state;
    in.out_win = empty(p.out_ms);
    in.in_win = empty(p.in_ms);
    in.sched = &s;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_BOUND);
    assert_int_equal(r.to, 4);
    assert_string_equal(r.reason, "2 replicas below min_no 4: 2 \u2192 4 "
                                  "(schedule: Mon-Fri 08:00-18:00 min=4, "
                                  "Europe/Paris)");
    in = make_input(&p, 4, 5.0, 5.0);
    in.sched = &s;
    dec_evaluate(&in, &r);
    assert_string_equal(dec_outcome_names[r.outcome], "at-min");
    assert_contains(r.reason, "but at min_no 4 (schedule: Mon-Fri "
                              "08:00-18:00 min=4, Europe/Paris)");
    /* step: 5 → 4, down to the floor, says whose floor it is */
    in = make_input(&p, 5, 5.0, 5.0);
    in.sched = &s;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    assert_int_equal(r.to, 4);
    assert_contains(r.reason, "(schedule: Mon-Fri 08:00-18:00 min=4");
    /* 6 → 5: not at the floor, no word of it */
    in = make_input(&p, 6, 5.0, 5.0);
    in.sched = &s;
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 5);
    assert_null(strstr(r.reason, "schedule"));
}

/* A scheduled ceiling: bound down to it, and at-max against a
 * scale-out. */
static void test_schedule_ceiling(void **state)
{
    struct policy p = make_policy(3);
    struct sched_now s = sched_on(&p, "Sat,Sun 00:00-24:00 max=2", 1, 2);
    struct dec_input in = make_input(&p, 3, 95.0, 95.0);
    struct dec_result r;
    (void)state;
    in.sched = &s;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_BOUND);
    assert_int_equal(r.to, 2);
    assert_string_equal(r.reason, "3 replicas above max_no 2: 3 \u2192 2 "
                                  "(schedule: Sat,Sun 00:00-24:00 max=2, "
                                  "UTC)");
    in = make_input(&p, 2, 95.0, 95.0);
    in.sched = &s;
    dec_evaluate(&in, &r);
    assert_string_equal(dec_outcome_names[r.outcome], "at-max");
    assert_contains(r.reason, "but at max_no 2 (schedule: Sat,Sun");
}

/* A schedule with no window holding a bound (ended, or not past the
 * policy's own): the policy's rules as if it had none. */
static void test_schedule_ended(void **state)
{
    struct policy p = make_policy(4);
    struct sched_now s = sched_on(&p, "Mon-Fri 08:00-18:00 min=4", 1, 10);
    struct dec_input in = make_input(&p, 4, 5.0, 5.0);
    struct dec_result with, without;
    (void)state;
    s.active = 0;
    in.sched = &s;
    dec_evaluate(&in, &with);
    in.sched = NULL;
    dec_evaluate(&in, &without);
    assert_int_equal(with.action, DEC_SCALE_IN);
    assert_int_equal(with.to, 3);
    assert_string_equal(with.reason, without.reason);
}

/* At a bound is inside [min, max]: no bound action, data decides. */
static void test_at_bounds_is_inside(void **state)
{
    struct policy p = make_policy(10);
    struct dec_input in = make_input(&p, 10, 50.0, 50.0);
    struct dec_result r;
    (void)state;
    dec_evaluate(&in, &r);
    expect_none(&r, 10, "steady");
    p.cur_no = 1;
    in = make_input(&p, 1, 50.0, 50.0);
    dec_evaluate(&in, &r);
    expect_none(&r, 1, "steady");
}

/* ---- rule 6: coverage ---- */

static void test_no_data_never_scales(void **state)
{
    struct policy p = make_policy(3);
    struct dec_input in = make_input(&p, 3, 0, 0);
    struct dec_result r;
    (void)state;
    in.out_win = empty(p.out_ms);
    in.in_win = empty(p.in_ms);
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason, "insufficient data: no points in 10m");
    assert_true(isnan(r.observed));
    assert_true(isnan(r.threshold));
    assert_int_equal(r.window_ms, 10 * MIN_MS);
    /* has_data false with a stray high mean: still nothing */
    in.out_win.mean = 500.0;
    in.in_win.mean = 0.0;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
}

static void test_gap_at_window_start(void **state)
{
    struct policy p = make_policy(3);
    struct dec_input in = make_input(&p, 3, 90.0, 90.0);
    struct dec_result r;
    (void)state;
    /* data only for the last 3 minutes of 10 */
    in.out_win.first_ms = in.in_win.first_ms = NOW - 3 * MIN_MS;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason, "insufficient data: 3m of 10m");
    assert_int_equal(r.window_ms, 10 * MIN_MS);

    /* tolerance: first point up to 2 intervals after the start */
    in.out_win.first_ms = in.out_win.start_ms + 2 * IV;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    in.out_win.first_ms = in.out_win.start_ms + 2 * IV + 1;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason, "insufficient data: 9m39s of 10m");

    /* and the same for scale-in */
    in = make_input(&p, 3, 5.0, 5.0);
    in.in_win.first_ms = NOW - 3 * MIN_MS;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason, "insufficient data: 3m of 10m");
}

static void test_stale_last_point(void **state)
{
    struct policy p = make_policy(3);
    struct dec_input in = make_input(&p, 3, 90.0, 90.0);
    struct dec_result r;
    (void)state;
    in.out_win.last_ms = in.in_win.last_ms = NOW - 5 * MIN_MS;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason, "insufficient data: last point 5m ago, "
                                  "collected every 10s");
    /* tolerance: 2 intervals */
    in.out_win.last_ms = NOW - 2 * IV;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    in.out_win.last_ms = NOW - 2 * IV - 1;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_contains(r.reason, "last point 20s ago");
}

static void test_not_all_replicas_reporting(void **state)
{
    struct policy p = make_policy(3);
    struct dec_input in = make_input(&p, 3, 90.0, 90.0);
    struct dec_result r;
    (void)state;
    in.out_win.fresh = in.in_win.fresh = 1;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason,
                        "insufficient data: 1 of 3 replicas reporting");
    /* low load with one replica silent: no scale-in either */
    in = make_input(&p, 3, 2.0, 2.0);
    in.out_win.fresh = in.in_win.fresh = 2;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_contains(r.reason, "2 of 3 replicas reporting");
    /* more fresh containers than replicas (one draining) is fine */
    in.out_win.fresh = in.in_win.fresh = 4;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
}

static void test_settling_after_action(void **state)
{
    struct policy p = make_policy(3);
    struct dec_input in = make_input(&p, 3, 90.0, 90.0);
    struct dec_result r;
    (void)state;
    in.last_action_ms = NOW - 2 * MIN_MS;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "settling");
    assert_string_equal(r.reason, "settling: 2m of 10m since the last change");
    assert_int_equal(r.window_ms, 10 * MIN_MS);
    assert_true(isnan(r.observed));
    /* a window starting exactly at the action still holds the old count */
    in.last_action_ms = in.out_win.start_ms;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "settling");
    /* one ms earlier: the window lies wholly after it */
    in.last_action_ms = in.out_win.start_ms - 1;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    /* settling blocks scale-in too */
    in = make_input(&p, 3, 2.0, 2.0);
    in.last_action_ms = NOW - 30000;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "settling");
    assert_string_equal(r.reason, "settling: 30s of 10m since the last change");
}

/* The safety rule: scale-in needs the out window covered and not above.
 * Here out_duration (30m) is longer than in_duration (10m); the service
 * scaled 15 minutes ago, so the in window is covered and says "below",
 * but the 30m window still holds load from before. No scale-in. */
static void test_out_uncovered_blocks_scale_in(void **state)
{
    struct policy p = make_policy(3);
    p.out_ms = 30 * MIN_MS;
    struct dec_input in = make_input(&p, 3, 2.0, 2.0);
    struct dec_result r;
    (void)state;
    in.last_action_ms = NOW - 15 * MIN_MS;
    assert_true(dec_window_covered(&in.in_win, NOW, IV, in.last_action_ms, 3));
    assert_false(
        dec_window_covered(&in.out_win, NOW, IV, in.last_action_ms, 3));
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "settling");
    assert_string_equal(r.reason,
                        "settling: 15m of 30m since the last change; "
                        "scale-in waits until the 30m scale-out window is "
                        "covered");
    assert_int_equal(r.window_ms, 30 * MIN_MS);

    /* the same with a data gap instead of an action: 20m of 30m */
    in.last_action_ms = 0;
    in.out_win.first_ms = NOW - 20 * MIN_MS;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason,
                        "insufficient data: 20m of 30m; scale-in waits until "
                        "the 30m scale-out window is covered");

    /* once the out window is covered (and not above), scale-in goes */
    in.out_win.first_ms = in.out_win.start_ms;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    assert_int_equal(r.to, 2);

    /* uncovered out window and an in window not below: plain reason */
    in = make_input(&p, 3, 50.0, 50.0);
    in.out_win.first_ms = NOW - 20 * MIN_MS;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason, "insufficient data: 20m of 30m");
}

/* The out window covered and above scales out whatever the in window. */
static void test_in_uncovered_does_not_block_scale_out(void **state)
{
    struct policy p = make_policy(3);
    struct dec_input in = make_input(&p, 3, 90.0, 90.0);
    struct dec_result r;
    (void)state;
    in.in_win = empty(p.in_ms);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    assert_int_equal(r.to, 4);
}

/* The out window covered and not above, the in window not covered: the
 * in window's reason, and nothing moves. */
static void test_in_uncovered_reason(void **state)
{
    struct policy p = make_policy(3);
    p.in_ms = 20 * MIN_MS;
    struct dec_input in = make_input(&p, 3, 2.0, 2.0);
    struct dec_result r;
    (void)state;
    in.in_win.first_ms = NOW - 12 * MIN_MS;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason, "insufficient data: 12m of 20m");
    assert_int_equal(r.window_ms, 20 * MIN_MS);
}

static void test_nan_mean_is_no_data(void **state)
{
    struct policy p = make_policy(3);
    struct dec_input in = make_input(&p, 3, NAN, 50.0);
    struct dec_result r;
    (void)state;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason,
                        "insufficient data: the mean is not a number");
    in = make_input(&p, 3, INFINITY, INFINITY);
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
}

static void test_unknown_interval_is_no_data(void **state)
{
    struct policy p = make_policy(3);
    struct dec_input in = make_input(&p, 3, 90.0, 90.0);
    struct dec_result r;
    (void)state;
    in.ds_interval_ms = 0;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason,
                        "insufficient data: collection interval unknown");
}

/* ---- rule 2: hand-scaled services ---- */

static void test_sync_hand_scaled(void **state)
{
    struct policy p = make_policy(5); /* das last set 5; someone set 3 */
    struct dec_input in = make_input(&p, 3, 84.2, 84.2);
    struct dec_result r;
    (void)state;
    dec_evaluate(&in, &r);
    assert_true(r.sync);
    /* the decision goes on from the actual count */
    assert_int_equal(r.action, DEC_SCALE_OUT);
    assert_int_equal(r.from, 3);
    assert_int_equal(r.to, 4);

    /* sync with nothing else to do */
    in = make_input(&p, 3, 50.0, 50.0);
    dec_evaluate(&in, &r);
    assert_true(r.sync);
    expect_none(&r, 3, "steady");

    /* cur_no NULL (-1): never seen, differs */
    p.cur_no = -1;
    dec_evaluate(&in, &r);
    assert_true(r.sync);
    expect_none(&r, 3, "steady");

    /* in step: no sync */
    p.cur_no = 3;
    dec_evaluate(&in, &r);
    assert_false(r.sync);

    /* hand-scaled above max: sync and bound together */
    p.cur_no = 10;
    in = make_input(&p, 14, 50.0, 50.0);
    dec_evaluate(&in, &r);
    assert_true(r.sync);
    assert_int_equal(r.action, DEC_BOUND);
    assert_int_equal(r.from, 14);
    assert_int_equal(r.to, 10);
}

/* ---- rule 1: the service ---- */

static void test_service_states(void **state)
{
    struct policy p = make_policy(5);
    struct dec_input in = make_input(&p, 3, 90.0, 90.0);
    struct dec_result r;
    (void)state;

    in.found = false;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_NONE);
    assert_string_equal(dec_outcome_names[r.outcome], "service-not-found");
    assert_string_equal(r.reason,
                        "service web not found (by id, id prefix or name)");
    assert_false(r.sync);
    assert_int_equal(r.to, r.from);
    assert_true(isnan(r.observed));
    assert_int_equal(r.window_ms, 0);

    in.found = true;
    in.global = true;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "not-scalable");
    assert_contains(r.reason, "service web is in global mode");
    assert_false(r.sync);
    in.unscalable = "a replicated job: runs to completion";
    dec_evaluate(&in, &r);
    assert_string_equal(r.reason, "service web is a replicated job: runs to "
                                  "completion, not scalable");
    in.unscalable = NULL;

    /* global wins over updating; updating leaves even bounds alone */
    in.updating = true;
    dec_evaluate(&in, &r);
    assert_string_equal(dec_outcome_names[r.outcome], "not-scalable");
    in.global = false;
    in.actual = 20;
    dec_evaluate(&in, &r);
    expect_none(&r, 20, "updating");
    assert_string_equal(r.reason,
                        "service web is updating or rolling back: left alone");
    assert_false(r.sync);
}

/* ---- reasons in the metric's unit ---- */

static void test_reason_units(void **state)
{
    struct policy p = make_policy(2);
    struct dec_result r;
    (void)state;
    p.metric = pol_metric_find("mem_usage");
    p.out_cond = 536870912.0; /* 512MiB */
    p.in_cond = 134217728.0;  /* 128MiB */
    p.out_ms = 5 * MIN_MS;
    struct dec_input in = make_input(&p, 2, 629145600.0, 629145600.0);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    assert_string_equal(r.reason, "mean mem_usage 600.0MiB > 512MiB over 5m: "
                                  "2 \u2192 3");

    p.metric = pol_metric_find("net_read_rate");
    p.out_cond = 10e6;
    p.in_cond = 1048576.0;
    p.in_ms = 90 * MIN_MS;
    in = make_input(&p, 2, 5.0, 512.0);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    assert_string_equal(r.reason, "mean net_read_rate 512B/s < 1MiB/s over "
                                  "1h30m: 2 \u2192 1");

    p.metric = pol_metric_find("pids");
    p.out_cond = 100;
    p.in_cond = 20;
    p.in_ms = 10 * MIN_MS;
    in = make_input(&p, 2, 150.5, 150.5);
    dec_evaluate(&in, &r);
    assert_string_equal(r.reason, "mean pids 150.5 > 100 over 5m: 2 \u2192 3");
}

/* ---- dec_window_check directly ---- */

static void test_window_check_codes(void **state)
{
    struct dec_window w = covered(10 * MIN_MS, 50.0, 3);
    char why[128];
    (void)state;
    assert_int_equal(dec_window_check(&w, NOW, IV, 0, 3, why, sizeof why),
                     DEC_COVERED);
    assert_string_equal(why, "");
    assert_true(dec_window_covered(&w, NOW, IV, 0, 3));
    assert_int_equal(
        dec_window_check(&w, NOW, IV, NOW - 1000, 3, why, sizeof why),
        DEC_SETTLING);
    assert_int_equal(dec_window_check(&w, NOW, IV, 0, 4, why, sizeof why),
                     DEC_REPLICAS);
    assert_string_equal(why, "insufficient data: 3 of 4 replicas reporting");
    assert_false(dec_window_covered(&w, NOW, IV, 0, 4));
    w.last_ms = NOW - 3 * IV;
    assert_int_equal(dec_window_check(&w, NOW, IV, 0, 3, NULL, 0), DEC_STALE);
    w = covered(10 * MIN_MS, 50.0, 3);
    w.first_ms = NOW - MIN_MS;
    assert_int_equal(dec_window_check(&w, NOW, IV, 0, 3, why, sizeof why),
                     DEC_LATE_START);
    assert_string_equal(why, "insufficient data: 1m of 10m");
    w.has_data = false;
    assert_int_equal(dec_window_check(&w, NOW, IV, 0, 3, why, sizeof why),
                     DEC_NO_DATA);
    /* a zero-replica service has no data to be covered by */
    w = empty(10 * MIN_MS);
    assert_false(dec_window_covered(&w, NOW, IV, 0, 0));
    /* hostile times saturate instead of wrapping: 2 × INT64_MAX would
     * wrap to -2 and make the start "late" */
    w = covered(10 * MIN_MS, 50.0, 3);
    assert_true(dec_window_covered(&w, NOW, INT64_MAX, 0, 3));
    w.start_ms = INT64_MIN;
    w.first_ms = INT64_MAX;
    assert_int_equal(dec_window_check(&w, NOW, IV, 0, 3, why, sizeof why),
                     DEC_LATE_START);
    /* a tiny buffer stays terminated */
    char small[6];
    assert_int_equal(dec_window_check(&w, NOW, IV, 0, 3, small, sizeof small),
                     DEC_LATE_START);
    assert_string_equal(small, "insuf");
}

/* ---- the auto rule (scale_mode auto, the default) ---- */

/* Policy A of docs/decisions.md in auto mode: out 70% for 2m, in 30% for 5m. */
static struct policy auto_policy(long cur_no)
{
    struct policy p = make_policy(cur_no);
    p.mode = POL_MODE_AUTO;
    p.in_cond = 30;
    p.out_ms = 2 * MIN_MS;
    p.in_ms = 5 * MIN_MS;
    p.warmup_ms = 30000;
    return p;
}

/* A window whose replicas' latest and highest points are given per
 * replica. */
static void set_points(struct dec_window *w, double last, double max)
{
    w->last_sum = last * (double)w->containers;
    w->max_sum = max * (double)w->containers;
}

static void test_auto_proportional(void **state)
{
    struct policy p = auto_policy(3);
    struct dec_input in = make_input(&p, 3, 84.2, 84.2);
    struct dec_result r;
    (void)state;
    in.limit = 100;
    set_points(&in.out_win, 80, 90);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    assert_string_equal(dec_outcome_names[r.outcome], "scale-out");
    /* 3 × 84.2% = 252.6% of load, at 70% each: 4 */
    assert_int_equal(r.to, 4);
    assert_string_equal(r.reason, "mean cpu_ratio 84.2% > 70% over 2m, load "
                                  "252.6% needs 4 at 70%: 3 \u2192 4");
    /* the latest points say more (the load still rising): 3 × 94% */
    set_points(&in.out_win, 94, 94);
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 5);
    assert_string_equal(r.reason, "mean cpu_ratio 84.2% > 70% over 2m, load "
                                  "282.0% needs 5 at 70%: 3 \u2192 5");
    /* no CPU limit: cpu_ratio may pass 100%; 3 × 180% needs 8 */
    in = make_input(&p, 3, 180, 180);
    in.limit = NAN;
    set_points(&in.out_win, 180, 180);
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 8);
    /* never above max_no */
    p.max_no = 6;
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 6);
}

static void test_auto_saturated(void **state)
{
    struct policy p = auto_policy(2);
    struct dec_result r;
    (void)state;
    /* a surge: the latest points at the limit, 25 above the mean */
    struct dec_input in = make_input(&p, 2, 75, 40);
    in.limit = 100;
    set_points(&in.out_win, 100, 100);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    /* enough for 2 × 100% at in_cond 30%: 7 */
    assert_int_equal(r.to, 7);
    assert_string_equal(r.reason,
                        "mean cpu_ratio 75.0% > 70% over 2m, latest 100.0% "
                        "at the limit (load unknown above it): enough for 2 "
                        "at 30%: 2 \u2192 7");
    /* pinned at the limit all window: the same bet */
    in = make_input(&p, 2, 99.5, 99.5);
    in.limit = 100;
    set_points(&in.out_win, 100, 100);
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 7);
    /* hovering near the limit (mean 93%): the load is near it, sized from
     * what was seen: 2 × 93% at 70% each */
    in = make_input(&p, 2, 93, 93);
    in.limit = 100;
    set_points(&in.out_win, 100, 100);
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 3);
    /* a small in_cond would bet 10x: at most 4x */
    p.in_cond = 10;
    in = make_input(&p, 2, 75, 40);
    in.limit = 100;
    set_points(&in.out_win, 100, 100);
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 8);
    assert_string_equal(r.reason,
                        "mean cpu_ratio 75.0% > 70% over 2m, latest 100.0% "
                        "at the limit (load unknown above it): enough for 2 "
                        "at 10%, at most 4x: 2 \u2192 8");
    p.in_cond = 30;
    /* the limit is the service's: at 50% of a core a replica at 48% is
     * saturated */
    in = make_input(&p, 2, 75, 40);
    in.limit = 50;
    set_points(&in.out_win, 48, 50);
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 4); /* ceil(2 × 50 / 30) */
}

/* The window's mean is above out_cond but the load it served fits the
 * replicas (fewer points: replicas that joined late). */
static void test_auto_hold_when_load_fits(void **state)
{
    struct policy p = auto_policy(3);
    struct dec_input in = make_input(&p, 3, 71, 50);
    struct dec_result r;
    (void)state;
    in.out_win.points /= 2;
    set_points(&in.out_win, 35, 75); /* and now less */
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "hold");
    assert_string_equal(r.reason, "mean cpu_ratio 71.0% > 70% over 2m, but "
                                  "its load 106.5% fits 3 at 70%: hold");
}

/* A first point one interval late (within the coverage tolerance) is not
 * load missing: 1 replica at 72% over 11 of 12 points needs 2. */
static void test_auto_late_first_point(void **state)
{
    struct policy p = auto_policy(1);
    struct dec_input in = make_input(&p, 1, 72, 50);
    struct dec_result r;
    (void)state;
    in.out_win.first_ms += IV;
    in.out_win.points -= 1;
    set_points(&in.out_win, 72, 72);
    in.out_win.last_sum = 60; /* the latest point lower: no help from it */
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    assert_int_equal(r.to, 2);
}

static void test_auto_scale_in(void **state)
{
    struct policy p = auto_policy(6);
    struct dec_input in = make_input(&p, 6, 12, 10);
    struct dec_result r;
    (void)state;
    set_points(&in.in_win, 10, 15);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    /* peak 6 × 15% = 90%, at 70% / 1.1 = 63.6% each: 2 */
    assert_int_equal(r.to, 2);
    assert_string_equal(r.reason, "mean cpu_ratio 10.0% < 30% over 5m, peak "
                                  "load 90.0% fits 2 at 63.6%: 6 \u2192 2");
    /* never below min_no */
    p.min_no = 3;
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 3);
    /* a peak that needs them all: hold */
    p.min_no = 1;
    set_points(&in.in_win, 10, 60);
    dec_evaluate(&in, &r);
    expect_none(&r, 6, "hold");
    assert_string_equal(r.reason, "mean cpu_ratio 10.0% < 30% over 5m, but "
                                  "its peak load 360.0% needs 6 at 63.6%: "
                                  "hold");
}

/* A bet (2 -> 7 at the limit) is returned once the load is known: 7
 * replicas at 43% (300% of load, between in_cond and out_cond) fit 5 at
 * 63.6%; only between DEC_BET_HOLD and DEC_BET_UNTIL in_durations after
 * it, only a bet, never in step mode. */
static void test_auto_bet_returned(void **state)
{
    struct policy p = auto_policy(7);
    struct dec_input in = make_input(&p, 7, 43, 42);
    struct dec_result r;
    (void)state;
    set_points(&in.in_win, 43, 300.0 / 7);
    in.limit = 100;
    in.last_bet = true;
    in.last_out = true;
    in.last_action_ms = NOW - DEC_BET_HOLD * p.in_ms;
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    assert_string_equal(dec_outcome_names[r.outcome], "scale-in");
    assert_int_equal(r.to, 5);
    assert_false(r.bet);
    assert_string_equal(r.reason,
                        "bet returned: the last scale-out went past the load "
                        "seen; mean cpu_ratio 42.0% over 5m, load 294.0% fits "
                        "5 at 63.6%: 7 \u2192 5");
    /* sized on the window's mean load, not its peak: a peak of 7 × 65%
     * would keep all 7 */
    set_points(&in.in_win, 43, 65);
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 5);
    set_points(&in.in_win, 43, 300.0 / 7);
    /* too soon: it may come back */
    in.last_action_ms = NOW - DEC_BET_HOLD * p.in_ms + 1;
    dec_evaluate(&in, &r);
    expect_none(&r, 7, "steady");
    /* too late: the replicas carried real load since; no bet return,
     * only the trim, sized on the peak (7 × 42.9% + 3 × the rise of 7 ×
     * 1% = 321%: 6), and in band mode nothing */
    in.last_action_ms = NOW - DEC_BET_UNTIL * p.in_ms - 1;
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 6);
    assert_true(strncmp(r.reason, "trim: ", 6) == 0);
    p.mode = POL_MODE_BAND;
    dec_evaluate(&in, &r);
    expect_none(&r, 7, "steady");
    p.mode = POL_MODE_AUTO;
    in.last_action_ms = NOW - DEC_BET_UNTIL * p.in_ms;
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 5);
    /* the last action was no bet: no return, the trim alone */
    in.last_bet = false;
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 6);
    assert_true(strncmp(r.reason, "trim: ", 6) == 0);
    p.mode = POL_MODE_BAND;
    dec_evaluate(&in, &r);
    expect_none(&r, 7, "steady");
    p.mode = POL_MODE_AUTO;
    /* the mean load needs them all: kept (7 × 58% = 406% > 6 × 63.6%) */
    in.last_bet = true;
    in.in_win.mean = 58;
    dec_evaluate(&in, &r);
    expect_none(&r, 7, "steady");
    in.in_win.mean = 300.0 / 7;
    /* never below min_no */
    set_points(&in.in_win, 43, 300.0 / 7);
    p.min_no = 6;
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 6);
    p.min_no = 1;
    /* the seed's step mode never bets, nor returns */
    p.mode = POL_MODE_STEP;
    dec_evaluate(&in, &r);
    expect_none(&r, 7, "steady");
}

/* The trim: a mean above in_cond whose peak load fits fewer replicas at
 * out_cond / 1.1 scales in (auto), not in band or step mode, not within
 * DEC_TRIM_AFTER_OUT in_durations after a scale-out, never below min_no,
 * and never with the out window above out_cond or uncovered. */
static void test_auto_trim(void **state)
{
    struct policy p = auto_policy(10);
    struct dec_input in = make_input(&p, 10, 40, 42);
    struct dec_result r;
    (void)state;
    set_points(&in.out_win, 40, 45);
    set_points(&in.in_win, 40, 45);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    assert_string_equal(dec_outcome_names[r.outcome], "scale-in");
    /* peak 10 × 45% = 450%, at 70% / 1.1 = 63.6% each: 8 */
    assert_int_equal(r.to, 8);
    assert_string_equal(r.reason, "trim: mean cpu_ratio 42.0% \u2265 30% over "
                                  "5m, but its peak load 450.0% fits 8 at "
                                  "63.6%: 10 \u2192 8");
    assert_true(fabs(r.threshold - 70 / 1.1) < 1e-9);
    /* band and step modes keep the replicas */
    p.mode = POL_MODE_BAND;
    dec_evaluate(&in, &r);
    expect_none(&r, 10, "steady");
    p.mode = POL_MODE_STEP;
    dec_evaluate(&in, &r);
    expect_none(&r, 10, "steady");
    p.mode = POL_MODE_AUTO;
    /* a peak that needs them all (10 × 60% = 600% > 9 × 63.6%) */
    set_points(&in.in_win, 40, 60);
    dec_evaluate(&in, &r);
    expect_none(&r, 10, "steady");
    set_points(&in.in_win, 40, 45);
    /* a mean at the target or above: steady */
    in.in_win.mean = 70 / 1.1;
    dec_evaluate(&in, &r);
    expect_none(&r, 10, "steady");
    in.in_win.mean = 42;
    /* after a scale-out: not for two in_durations */
    in.last_out = true;
    in.last_action_ms = NOW - DEC_TRIM_AFTER_OUT * p.in_ms + 1;
    dec_evaluate(&in, &r);
    expect_none(&r, 10, "steady");
    in.last_action_ms = NOW - DEC_TRIM_AFTER_OUT * p.in_ms;
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 8);
    /* after a scale-in, at once */
    in.last_out = false;
    in.last_action_ms = NOW - p.in_ms - 1;
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 8);
    /* never below min_no */
    p.min_no = 9;
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 9);
    p.min_no = 10;
    dec_evaluate(&in, &r);
    expect_none(&r, 10, "steady");
    p.min_no = 1;
    /* the out window above out_cond scales out (here: at max_no), never
     * trims */
    in.out_win.mean = 71;
    dec_evaluate(&in, &r);
    expect_none(&r, 10, "at-max");
    in.out_win.mean = 40;
    /* an uncovered out window: nothing moves */
    in.out_win.fresh = 9;
    dec_evaluate(&in, &r);
    expect_none(&r, 10, "insufficient-data");
}

/* A bet's reason says so, and the store tells a restarted das from it. */
/* A bet returned early: the out window after the bet says the load went
 * away (below in_cond) before the in window lies after it. */
static void test_auto_bet_returned_early(void **state)
{
    struct policy p = auto_policy(7);
    struct dec_input in = make_input(&p, 7, 12, 12);
    struct dec_result r;
    (void)state;
    in.limit = 100;
    in.last_bet = true;
    /* 3m after the bet: the 2m out window lies after it, the 5m in
     * window does not */
    in.last_action_ms = NOW - 3 * MIN_MS;
    set_points(&in.out_win, 12, 20);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    assert_string_equal(dec_outcome_names[r.outcome], "scale-in");
    /* peak 7 × 20% = 140% at 63.6% each: 3 */
    assert_int_equal(r.to, 3);
    assert_false(r.bet);
    assert_string_equal(r.reason,
                        "bet returned: the last scale-out went past the load "
                        "seen and the load went away; mean cpu_ratio 12.0% < "
                        "30% over 2m, peak load 140.0% fits 3 at 63.6%: 7 "
                        "\u2192 3");
    assert_dbl(r.observed, 12);
    assert_dbl(r.threshold, 30);
    assert_int_equal(r.window_ms, 2 * MIN_MS);
    /* never below min_no */
    p.min_no = 4;
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 4);
    p.min_no = 1;
    /* a mean at in_cond: the load is still there; wait for the in window */
    in.out_win.mean = 30;
    dec_evaluate(&in, &r);
    expect_none(&r, 7, "settling");
    in.out_win.mean = 12;
    /* a mean below in_cond but a peak at it (7 × 30% = 210%): replicas
     * that just joined drag the mean down; wait */
    set_points(&in.out_win, 12, 30);
    dec_evaluate(&in, &r);
    expect_none(&r, 7, "settling");
    set_points(&in.out_win, 12, 29.9);
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 4);
    /* a peak that needs them all: kept */
    set_points(&in.out_win, 12, 64);
    dec_evaluate(&in, &r);
    expect_none(&r, 7, "settling");
    set_points(&in.out_win, 12, 20);
    /* the last action was no bet: in_cond over the in window decides */
    in.last_bet = false;
    dec_evaluate(&in, &r);
    expect_none(&r, 7, "settling");
    in.last_bet = true;
    /* the out window not covered (a replica silent): nothing moves */
    in.out_win.fresh = 6;
    dec_evaluate(&in, &r);
    expect_none(&r, 7, "insufficient-data");
    in.out_win.fresh = 7;
    /* the in window uncovered for want of data, not settling: nothing */
    in.last_action_ms = NOW - 10 * MIN_MS;
    in.in_win.first_ms = NOW - 2 * MIN_MS;
    dec_evaluate(&in, &r);
    expect_none(&r, 7, "insufficient-data");
    in.last_action_ms = NOW - 3 * MIN_MS;
    /* the seed's step mode never bets, nor returns */
    p.mode = POL_MODE_STEP;
    dec_evaluate(&in, &r);
    expect_none(&r, 7, "settling");
}

/* A load rising over the in window keeps room in a scale-in. */
static void test_auto_scale_in_rising(void **state)
{
    struct policy p = auto_policy(6);
    struct dec_input in = make_input(&p, 6, 25, 10);
    struct dec_result r;
    (void)state;
    /* latest 20% each, 10% above the mean: peak 6 × 15% = 90% plus 3 ×
     * 60% = 270% at 63.6% each: 5 */
    set_points(&in.in_win, 20, 15);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    assert_int_equal(r.to, 5);
    assert_string_equal(r.reason, "mean cpu_ratio 10.0% < 30% over 5m, peak "
                                  "load 270.0% (rising: latest 60.0% above "
                                  "the mean) fits 5 at 63.6%: 6 \u2192 5");
    /* rising more: hold, and say why */
    set_points(&in.in_win, 25, 25);
    dec_evaluate(&in, &r);
    expect_none(&r, 6, "hold");
    assert_string_equal(r.reason, "mean cpu_ratio 10.0% < 30% over 5m, but "
                                  "its peak load 420.0% (rising: latest "
                                  "90.0% above the mean) needs 7 at 63.6%: "
                                  "hold");
    /* a rise too small to print (6 × 0.001%) is counted, not worded */
    set_points(&in.in_win, 10.001, 15);
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 2);
    assert_string_equal(r.reason, "mean cpu_ratio 10.0% < 30% over 5m, peak "
                                  "load 90.0% fits 2 at 63.6%: 6 \u2192 2");
    /* latest below the mean (falling): the peak alone */
    set_points(&in.in_win, 5, 15);
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 2);
    assert_string_equal(r.reason, "mean cpu_ratio 10.0% < 30% over 5m, peak "
                                  "load 90.0% fits 2 at 63.6%: 6 \u2192 2");
}

static void test_auto_bet_flag(void **state)
{
    struct policy p = auto_policy(2);
    struct dec_input in = make_input(&p, 2, 99.5, 99.5);
    struct dec_result r;
    (void)state;
    in.limit = 100;
    set_points(&in.out_win, 100, 100);
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 7);
    assert_true(r.bet);
    assert_true(dec_reason_bet(r.reason));
    /* sized from what was seen: no bet */
    in = make_input(&p, 2, 93, 93);
    in.limit = 100;
    set_points(&in.out_win, 100, 100);
    dec_evaluate(&in, &r);
    assert_int_equal(r.to, 3);
    assert_false(r.bet);
    assert_false(dec_reason_bet(r.reason));
    assert_false(dec_reason_bet(NULL));
}

static void test_capacity_bound(void **state)
{
    struct policy p = auto_policy(6);
    struct dec_input in = make_input(&p, 6, 90, 90);
    struct dec_result r;
    (void)state;
    in.running = 4;
    in.out_win.fresh = in.in_win.fresh = 4;
    in.out_win.containers = in.in_win.containers = 4;
    in.pending = 2;
    in.pending_why = "insufficient resources on 3 nodes";
    dec_evaluate(&in, &r);
    expect_none(&r, 6, "capacity-bound");
    assert_string_equal(r.reason, "capacity-bound: 2 of 6 tasks pending: "
                                  "insufficient resources on 3 nodes; mean "
                                  "cpu_ratio 90.0% > 70% over 2m, no replicas "
                                  "added");
    /* the seed's step obeys it too */
    p.mode = POL_MODE_STEP;
    dec_evaluate(&in, &r);
    expect_none(&r, 6, "capacity-bound");
    /* low load on a capacity-bound service still scales in */
    p.mode = POL_MODE_AUTO;
    in = make_input(&p, 6, 10, 10);
    in.running = 4;
    in.pending = 2;
    in.out_win.fresh = in.in_win.fresh = 4;
    in.out_win.containers = in.in_win.containers = 4;
    set_points(&in.in_win, 10, 12);
    dec_evaluate(&in, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
}

/* The replicas expected to report: the running ones when the engine says
 * how many, less those left out as warming up. */
static void test_coverage_running_and_warming(void **state)
{
    struct policy p = auto_policy(3);
    struct dec_input in = make_input(&p, 3, 50, 50);
    struct dec_result r;
    (void)state;
    in.out_win.fresh = in.in_win.fresh = 2;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason, "insufficient data: 2 of 3 replicas "
                                  "reporting");
    in.running = 2; /* one task is not running: 2 of 2 */
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "steady");
    in.running = -1;
    in.out_win.warming = in.in_win.warming = 1; /* one is warming up */
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "steady");
    in.out_win.warming = 0;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    /* 3 running, one of them silent (its ds is down), and a fourth task
     * still starting whose container already reports: that container is
     * not one of the 3 and excuses none of them (review: it did) */
    in.running = 3;
    in.out_win.warming = in.in_win.warming = 1;
    in.out_win.starting = in.in_win.starting = 1;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "insufficient-data");
    assert_string_equal(r.reason, "insufficient data: 2 of 3 replicas "
                                  "reporting");
    /* one of the 3 running is young instead: 2 of the 2 others report */
    in.out_win.starting = in.in_win.starting = 0;
    dec_evaluate(&in, &r);
    expect_none(&r, 3, "steady");
}

/* cpu_ratio on a service limited to half a core: out_cond 70% is never
 * passed, and steady says so. */
static void test_out_cond_above_limit(void **state)
{
    struct policy p = auto_policy(2);
    struct dec_input in = make_input(&p, 2, 50, 50);
    struct dec_result r;
    (void)state;
    in.limit = 50;
    dec_evaluate(&in, &r);
    expect_none(&r, 2, "steady");
    assert_string_equal(r.reason,
                        "mean cpu_ratio 50.0% \u2264 70% over 2m and 50.0% "
                        "\u2265 30% over 5m: steady at 2 (out_cond 70% is not "
                        "below the replicas' limit 50.0%: it is never passed; "
                        "lower it or use cpu_limit_ratio)");
    in.limit = 100; /* one core: fine, no note */
    dec_evaluate(&in, &r);
    assert_null(strstr(r.reason, "never passed"));
}

static void test_outcome_names(void **state)
{
    (void)state;
    assert_int_equal(DEC_NOUTCOMES, 16);
    assert_string_equal(dec_outcome_names[DEC_O_SCALE_OUT], "scale-out");
    assert_string_equal(dec_outcome_names[DEC_O_CAPACITY], "capacity-bound");
    assert_string_equal(dec_outcome_names[DEC_O_METRICS_DOWN],
                        "metrics-unavailable");
    for (int i = 0; i < DEC_NOUTCOMES; i++)
        for (int j = 0; j < i; j++)
            assert_string_not_equal(dec_outcome_names[i], dec_outcome_names[j]);
}

/* ---- several conditions (dec_combine) ------------------------------------ */

static struct dec_result mk(enum dec_outcome o, enum dec_action a, long to,
                            const char *reason)
{
    struct dec_result r = {0};
    r.outcome = o;
    r.action = a;
    r.from = 3;
    r.to = to;
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    return r;
}

static const char *const fields3[] = {"cpu_ratio", "mem_ratio", "pids"};

/* Out to the largest proposal, whichever metric makes it. */
static void test_combine_out_largest(void **state)
{
    struct dec_result r[3], out;
    (void)state;
    r[0] = mk(DEC_O_SCALE_OUT, DEC_SCALE_OUT, 4, "cpu says 4");
    r[1] = mk(DEC_O_SCALE_OUT, DEC_SCALE_OUT, 6, "mem says 6");
    r[2] = mk(DEC_O_INSUFFICIENT, DEC_NONE, 3, "no pids data");
    dec_combine(r, 3, fields3, &out);
    assert_int_equal(out.action, DEC_SCALE_OUT);
    assert_int_equal(out.to, 6);
    assert_int_equal(out.cond, 1);
    assert_string_equal(out.reason, "mem says 6; also cpu_ratio \u2192 4");
    /* one metric out, the others would scale in: out wins */
    r[1] = mk(DEC_O_SCALE_IN, DEC_SCALE_IN, 2, "mem says 2");
    r[2] = mk(DEC_O_SCALE_IN, DEC_SCALE_IN, 1, "pids says 1");
    dec_combine(r, 3, fields3, &out);
    assert_int_equal(out.action, DEC_SCALE_OUT);
    assert_int_equal(out.to, 4);
    assert_int_equal(out.cond, 0);
    assert_string_equal(out.reason, "cpu says 4");
}

/* In only when every metric agrees, to the most replicas any keeps. */
static void test_combine_in_all_agree(void **state)
{
    struct dec_result r[3], out;
    (void)state;
    r[0] = mk(DEC_O_SCALE_IN, DEC_SCALE_IN, 1, "cpu says 1");
    r[1] = mk(DEC_O_SCALE_IN, DEC_SCALE_IN, 2, "mem says 2");
    r[2] = mk(DEC_O_SCALE_IN, DEC_SCALE_IN, 2, "pids says 2");
    dec_combine(r, 3, fields3, &out);
    assert_int_equal(out.action, DEC_SCALE_IN);
    assert_int_equal(out.to, 2);
    assert_int_equal(out.cond, 1);
    assert_string_equal(out.reason, "mem says 2; every metric agrees: "
                                    "cpu_ratio \u2192 1 pids \u2192 2");
    /* one steady metric holds it */
    r[2] = mk(DEC_O_STEADY, DEC_NONE, 3, "steady");
    dec_combine(r, 3, fields3, &out);
    assert_int_equal(out.action, DEC_NONE);
    assert_int_equal(out.to, 3);
    assert_int_equal(out.outcome, DEC_O_STEADY);
    assert_int_equal(out.cond, 2);
    assert_string_equal(out.reason,
                        "pids: steady; cpu_ratio's scale-in to 1 waits for "
                        "pids; mem_ratio's scale-in to 2 waits for pids");
}

/* Missing data blocks scale-in, never scales out, and explains before a
 * steady metric does; capacity and at-max come first. */
static void test_combine_missing(void **state)
{
    struct dec_result r[3], out;
    (void)state;
    r[0] = mk(DEC_O_SCALE_IN, DEC_SCALE_IN, 2, "cpu says 2");
    r[1] = mk(DEC_O_STEADY, DEC_NONE, 3, "mem steady");
    r[2] = mk(DEC_O_METRICS_DOWN, DEC_NONE, 3, "pids unavailable");
    dec_combine(r, 3, fields3, &out);
    assert_int_equal(out.action, DEC_NONE);
    assert_int_equal(out.outcome, DEC_O_METRICS_DOWN);
    assert_int_equal(out.cond, 2);
    assert_string_equal(out.reason, "pids unavailable; cpu_ratio's scale-in "
                                    "to 2 waits for pids");
    r[1] = mk(DEC_O_AT_MAX, DEC_NONE, 3, "mem at max");
    dec_combine(r, 3, fields3, &out);
    assert_int_equal(out.outcome, DEC_O_AT_MAX);
    r[0] = mk(DEC_O_CAPACITY, DEC_NONE, 3, "cpu capacity-bound");
    dec_combine(r, 3, fields3, &out);
    assert_int_equal(out.outcome, DEC_O_CAPACITY);
    assert_int_equal(out.cond, 0);
    /* every metric missing: no action */
    r[0] = mk(DEC_O_INSUFFICIENT, DEC_NONE, 3, "a");
    r[1] = mk(DEC_O_SETTLING, DEC_NONE, 3, "b");
    r[2] = mk(DEC_O_METRICS_DOWN, DEC_NONE, 3, "c");
    dec_combine(r, 3, fields3, &out);
    assert_int_equal(out.action, DEC_NONE);
    assert_int_equal(out.to, 3);
    assert_string_equal(out.reason, "cpu_ratio: a");
}

/* Outcomes before the windows are every condition's; one condition is
 * its own decision; a long reason is cut on a character. */
static void test_combine_edges(void **state)
{
    struct dec_result r[2], out;
    (void)state;
    r[0] = mk(DEC_O_UPDATING, DEC_NONE, 3, "updating");
    r[1] = mk(DEC_O_UPDATING, DEC_NONE, 3, "updating");
    dec_combine(r, 2, fields3, &out);
    assert_int_equal(out.outcome, DEC_O_UPDATING);
    assert_string_equal(out.reason, "updating");
    r[0] = mk(DEC_O_SCALE_IN, DEC_SCALE_IN, 2, "alone");
    dec_combine(r, 1, fields3, &out);
    assert_int_equal(out.action, DEC_SCALE_IN);
    assert_string_equal(out.reason, "alone");
    char longr[300];
    memset(longr, 'x', 253);
    longr[253] = '\0';
    r[0] = mk(DEC_O_SCALE_OUT, DEC_SCALE_OUT, 9, longr);
    r[1] = mk(DEC_O_SCALE_OUT, DEC_SCALE_OUT, 5, "b");
    dec_combine(r, 2, fields3, &out);
    /* a reason near the end: filled to the last byte */
    assert_int_equal(strlen(out.reason), 255);
    /* room for "; also mem_ratio " and one byte of the arrow: cut before
     * it */
    r[0].reason[237] = '\0';
    dec_combine(r, 2, fields3, &out);
    assert_int_equal(strlen(out.reason), 254);
    for (size_t i = 0; out.reason[i]; i++)
        assert_true((unsigned char)out.reason[i] < 0x80);
}

/* ---- scale to zero ---- */

static struct policy zero_policy(void)
{
    struct policy p = {0};
    p.seq = 1;
    p.min_no = 0;
    p.max_no = 5;
    p.cur_no = 0;
    p.metric = &pol_metric_query;
    p.wake_no = 2;
    p.idle_ms = 600000;
    p.nconds = 1;
    p.conds[0].metric = &pol_metric_query;
    snprintf(p.conds[0].name, sizeof p.conds[0].name, "q");
    return p;
}

static void test_at_zero(void **state)
{
    struct policy p = zero_policy();
    struct dec_input in = {.pol = &p, .found = true, .actual = 0};
    struct dec_result r;
    (void)state;
    dec_at_zero(&in, "q", true, 12, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    assert_int_equal(r.from, 0);
    assert_int_equal(r.to, 2);
    assert_string_equal(r.reason,
                        "wake: q 12.0 > 0 at zero replicas: 0 \u2192 2");
    p.wake_no = 9; /* never past max_no */
    dec_at_zero(&in, "q", true, 0.5, &r);
    assert_int_equal(r.to, 5);
    dec_at_zero(&in, "q", true, 0, &r);
    assert_int_equal(r.action, DEC_NONE);
    assert_int_equal(r.outcome, DEC_O_AT_MIN);
    assert_string_equal(r.reason, "at zero: q reads 0");
    dec_at_zero(&in, "q", false, 0, &r);
    assert_int_equal(r.action, DEC_NONE);
    assert_int_equal(r.outcome, DEC_O_INSUFFICIENT);
    assert_false(r.sync);
}

static void test_idle(void **state)
{
    struct policy p = zero_policy();
    struct dec_input in = {.pol = &p, .found = true, .actual = 2};
    struct dec_result r = {0};
    (void)state;
    r.outcome = DEC_O_STEADY;
    r.from = r.to = 2;
    dec_idle(&in, "q", true, &r);
    assert_int_equal(r.action, DEC_SCALE_IN);
    assert_int_equal(r.to, 0);
    assert_int_equal(r.window_ms, 600000);
    assert_string_equal(r.reason, "idle: q read 0 for 10m: 2 \u2192 0");
    /* not idle, a scale-out, a floor above zero, an outcome before the
     * windows: left alone */
    struct dec_result keep = {0};
    keep.outcome = DEC_O_STEADY;
    keep.from = keep.to = 2;
    r = keep;
    dec_idle(&in, "q", false, &r);
    assert_int_equal(r.action, DEC_NONE);
    r = keep;
    r.action = DEC_SCALE_OUT;
    r.outcome = DEC_O_SCALE_OUT;
    dec_idle(&in, "q", true, &r);
    assert_int_equal(r.action, DEC_SCALE_OUT);
    r = keep;
    r.outcome = DEC_O_UPDATING;
    dec_idle(&in, "q", true, &r);
    assert_int_equal(r.outcome, DEC_O_UPDATING);
    p.min_no = 1;
    r = keep;
    dec_idle(&in, "q", true, &r);
    assert_int_equal(r.action, DEC_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale_out),
        cmocka_unit_test(test_exactly_at_out_cond),
        cmocka_unit_test(test_at_max),
        cmocka_unit_test(test_scale_out_wins_over_scale_in),
        cmocka_unit_test(test_scale_in),
        cmocka_unit_test(test_exactly_at_in_cond),
        cmocka_unit_test(test_at_min),
        cmocka_unit_test(test_flap_hold),
        cmocka_unit_test(test_bound_below_min_needs_no_data),
        cmocka_unit_test(test_bound_above_max),
        cmocka_unit_test(test_schedule_floor),
        cmocka_unit_test(test_schedule_ceiling),
        cmocka_unit_test(test_schedule_ended),
        cmocka_unit_test(test_at_bounds_is_inside),
        cmocka_unit_test(test_no_data_never_scales),
        cmocka_unit_test(test_gap_at_window_start),
        cmocka_unit_test(test_stale_last_point),
        cmocka_unit_test(test_not_all_replicas_reporting),
        cmocka_unit_test(test_settling_after_action),
        cmocka_unit_test(test_out_uncovered_blocks_scale_in),
        cmocka_unit_test(test_in_uncovered_does_not_block_scale_out),
        cmocka_unit_test(test_in_uncovered_reason),
        cmocka_unit_test(test_nan_mean_is_no_data),
        cmocka_unit_test(test_unknown_interval_is_no_data),
        cmocka_unit_test(test_sync_hand_scaled),
        cmocka_unit_test(test_service_states),
        cmocka_unit_test(test_reason_units),
        cmocka_unit_test(test_window_check_codes),
        cmocka_unit_test(test_auto_proportional),
        cmocka_unit_test(test_auto_saturated),
        cmocka_unit_test(test_auto_hold_when_load_fits),
        cmocka_unit_test(test_auto_late_first_point),
        cmocka_unit_test(test_auto_scale_in),
        cmocka_unit_test(test_auto_bet_returned),
        cmocka_unit_test(test_auto_trim),
        cmocka_unit_test(test_auto_bet_returned_early),
        cmocka_unit_test(test_auto_scale_in_rising),
        cmocka_unit_test(test_auto_bet_flag),
        cmocka_unit_test(test_capacity_bound),
        cmocka_unit_test(test_coverage_running_and_warming),
        cmocka_unit_test(test_out_cond_above_limit),
        cmocka_unit_test(test_outcome_names),
        cmocka_unit_test(test_combine_out_largest),
        cmocka_unit_test(test_combine_in_all_agree),
        cmocka_unit_test(test_combine_missing),
        cmocka_unit_test(test_combine_edges),
        cmocka_unit_test(test_at_zero),
        cmocka_unit_test(test_idle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
