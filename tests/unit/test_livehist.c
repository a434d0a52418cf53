/* livehist: the rings of the live page — bounded by the hour, the cap and
 * the budget; the newest kept; rings kept by seq across cycles. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "livehist.h"

static struct lh_sample at(int64_t t)
{
    return (struct lh_sample){t, (float)t / 10, lh_replicas(t), lh_replicas(t)};
}

static void test_cap(void **state)
{
    (void)state;
    assert_int_equal(lh_cap(15000, 1), 240);        /* an hour at 15 s */
    assert_int_equal(lh_cap(1000, 1), LH_RING_MAX); /* capped */
    assert_int_equal(lh_cap(15000, 10000), LH_BUDGET / 10000);
    assert_int_equal(lh_cap(15000, 10000000), LH_RING_MIN);
    assert_int_equal(lh_cap(3600000 * 2, 1), LH_RING_MIN);
    assert_int_equal(lh_cap(0, 1), LH_RING_MAX);
    /* the budget holds for any count up to LH_BUDGET / LH_RING_MIN
     * policies (65,536; beyond, each keeps LH_RING_MIN) */
    for (size_t n = 1; n <= LH_BUDGET / LH_RING_MIN; n *= 2)
        assert_true((size_t)lh_cap(1000, n) * n <= LH_BUDGET);
}

static void test_ring(void **state)
{
    (void)state;
    struct lh_set set = {0};
    long seq = 7;
    lh_set_keep(&set, &seq, 1, 4);
    struct lh_ring *r = lh_find(&set, 7);
    assert_non_null(r);
    assert_null(lh_find(&set, 8));
    struct lh_sample out[8];
    assert_int_equal(lh_copy(r, 0, out, 8), 0);
    for (int64_t t = 1; t <= 3; t++) {
        struct lh_sample s = at(t);
        lh_push(r, &s);
    }
    assert_int_equal(lh_copy(r, 0, out, 8), 3);
    assert_int_equal(out[0].t_ms, 1);
    for (int64_t t = 4; t <= 10; t++) {
        struct lh_sample s = at(t);
        lh_push(r, &s);
    }
    /* the newest four, oldest first */
    assert_int_equal(lh_copy(r, 0, out, 8), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(out[i].t_ms, 7 + i);
    assert_int_equal(out[3].replicas, 10);
    /* since and max */
    assert_int_equal(lh_copy(r, 9, out, 8), 2);
    assert_int_equal(out[0].t_ms, 9);
    assert_int_equal(lh_copy(r, 0, out, 1), 1);
    assert_int_equal(out[0].t_ms, 7);
    lh_set_free(&set);
}

/* A ring's memory follows its samples: none before the first, doubling
 * from LH_RING_MIN up to its cap, the samples the same as a full ring's;
 * a sample's replicas are clamped. */
static void test_growth(void **state)
{
    (void)state;
    struct lh_set set = {0};
    long seq = 1;
    lh_set_keep(&set, &seq, 1, 100);
    struct lh_ring *r = lh_find(&set, 1);
    assert_int_equal(r->alloc, 0);
    assert_null(r->v);
    struct lh_sample s = at(1), out[100];
    lh_push(r, &s);
    assert_int_equal(r->alloc, LH_RING_MIN);
    for (int64_t t = 2; t <= 20; t++) {
        s = at(t);
        lh_push(r, &s);
    }
    assert_int_equal(r->alloc, 4 * LH_RING_MIN);
    assert_int_equal(lh_copy(r, 0, out, 100), 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(out[i].t_ms, i + 1);
    for (int64_t t = 21; t <= 250; t++) {
        s = at(t);
        lh_push(r, &s);
    }
    assert_int_equal(r->alloc, 100);
    assert_int_equal(lh_copy(r, 0, out, 100), 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(out[i].t_ms, 151 + i);
    /* a cap that shrinks keeps the newest, in a ring grown anew */
    lh_set_keep(&set, &seq, 1, 10);
    r = lh_find(&set, 1);
    assert_int_equal(lh_copy(r, 0, out, 100), 10);
    assert_int_equal(out[0].t_ms, 241);
    assert_true(r->alloc <= 10);
    lh_set_free(&set);
    assert_int_equal(lh_replicas(-3), -1);
    assert_int_equal(lh_replicas(7), 7);
    assert_int_equal(lh_replicas(40000), LH_REPLICAS_MAX);
    assert_int_equal(sizeof(struct lh_sample), 16);
}

static void test_set(void **state)
{
    (void)state;
    struct lh_set set = {0};
    long a[] = {30, -5, 10};
    lh_set_keep(&set, a, 3, 8);
    assert_int_equal(set.n, 3);
    for (int i = 0; i < 3; i++) {
        struct lh_sample s = at(a[i] + 100);
        lh_push(lh_find(&set, a[i]), &s);
    }
    /* 30 gone, 20 new, 10 twice: one ring; -5 and 10 keep their samples */
    long b[] = {10, 20, -5, 10};
    lh_set_keep(&set, b, 4, 8);
    assert_int_equal(set.n, 3);
    assert_null(lh_find(&set, 30));
    struct lh_sample out[8];
    assert_int_equal(lh_copy(lh_find(&set, 20), 0, out, 8), 0);
    assert_int_equal(lh_copy(lh_find(&set, -5), 0, out, 8), 1);
    assert_int_equal(out[0].t_ms, 95);
    assert_int_equal(lh_copy(lh_find(&set, 10), 0, out, 8), 1);
    assert_int_equal(out[0].t_ms, 110);
    /* a smaller cap keeps the newest */
    struct lh_ring *r = lh_find(&set, 10);
    for (int64_t t = 111; t <= 116; t++) {
        struct lh_sample s = at(t);
        lh_push(r, &s);
    }
    lh_set_keep(&set, b, 3, 3);
    r = lh_find(&set, 10);
    assert_int_equal(r->cap, 3);
    assert_int_equal(lh_copy(r, 0, out, 8), 3);
    assert_int_equal(out[0].t_ms, 114);
    assert_int_equal(out[2].t_ms, 116);
    /* a NAN load is kept as one (a gap in the chart) */
    struct lh_sample gap = {200, NAN, 2, 2};
    lh_push(r, &gap);
    assert_int_equal(lh_copy(r, 200, out, 8), 1);
    assert_true(isnan(out[0].load));
    /* none */
    lh_set_keep(&set, NULL, 0, 3);
    assert_int_equal(set.n, 0);
    assert_null(lh_find(&set, 10));
    lh_set_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_ring),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
