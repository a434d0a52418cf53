/* skew.h: the offset between this host's clock and InfluxDB's, from the
 * Date header (whole seconds) of its replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "skew.h"

static void test_none(void **state)
{
    struct skew s = {0};
    (void)state;
    assert_int_equal(skew_offset(&s), 0);
    assert_int_equal(skew_correction(&s), 0);
}

/* The Date header names a whole second: its middle is taken. A host 40 s
 * behind InfluxDB: local 960.2 s when InfluxDB said 1000 s. */
static void test_behind(void **state)
{
    struct skew s = {0};
    (void)state;
    skew_observe(&s, 1000000, 960200);
    assert_int_equal(skew_offset(&s), 40300);
    assert_int_equal(skew_correction(&s), 40300);
}

static void test_ahead(void **state)
{
    struct skew s = {0};
    (void)state;
    skew_observe(&s, 1000000, 1040700);
    assert_int_equal(skew_offset(&s), -40200);
    assert_int_equal(skew_correction(&s), -40200);
}

/* Below SKEW_MIN_MS the clocks agree: measured, not corrected. */
static void test_small_is_noise(void **state)
{
    struct skew s = {0};
    (void)state;
    skew_observe(&s, 1000000, 997600);
    assert_int_equal(skew_offset(&s), 2900);
    assert_int_equal(skew_correction(&s), 0);
    struct skew t = {0};
    skew_observe(&t, 1000000, 1000000 + 500 - SKEW_MIN_MS);
    assert_int_equal(skew_correction(&t), SKEW_MIN_MS);
    struct skew u = {0};
    skew_observe(&u, 1000000, 1000000 + 501 - SKEW_MIN_MS);
    assert_int_equal(skew_correction(&u), 0);
}

/* One slow reply (its Date much older than its arrival) does not move the
 * offset: the median of the last SKEW_SAMPLES. */
static void test_median(void **state)
{
    struct skew s = {0};
    (void)state;
    for (int i = 0; i < 4; i++)
        skew_observe(&s, 1000000 + i * 1000, 960500 + i * 1000);
    skew_observe(&s, 1004000, 904500); /* 100 s: an outlier */
    assert_int_equal(skew_offset(&s), 40000);
    /* the old samples age out: the clock was fixed */
    for (int i = 0; i < SKEW_SAMPLES / 2 + 1; i++)
        skew_observe(&s, 2000000, 1999500);
    assert_int_equal(skew_offset(&s), 1000);
    assert_int_equal(skew_correction(&s), 0);
}

/* A Date a day or more away is refused, not followed: neither a corrupt
 * clock nor one past int64 ns moves the offset (the caller says so). */
static void test_refused(void **state)
{
    struct skew s = {0};
    (void)state;
    int64_t now = 1765000000000LL;
    assert_true(skew_observe(&s, now + 60000, now + 500));
    assert_false(skew_observe(&s, now + SKEW_MAX_MS, now + 500));
    assert_false(skew_observe(&s, now - SKEW_MAX_MS, now + 500));
    /* 2100, as a forged Date would say; and a time past int64 ns */
    assert_false(skew_observe(&s, 4102444800000LL, now));
    assert_false(skew_observe(&s, INT64_MAX, now));
    assert_true(skew_observe(&s, now + SKEW_MAX_MS - 1000, now + 500));
    assert_int_equal(s.n, 2);
    assert_int_equal(skew_offset(&s), SKEW_MAX_MS - 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused),        cmocka_unit_test(test_none),
        cmocka_unit_test(test_behind),         cmocka_unit_test(test_ahead),
        cmocka_unit_test(test_small_is_noise), cmocka_unit_test(test_median),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
