/* pcache.c: das run's cache of recent points, its windows and when it
 * reads. (Against the real influxd: test_influx's test_live_points.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "pcache.h"

#define T0 1700000000000LL

static const struct win_agg *row_of(const struct win_agg *v, size_t n,
                                    const char *svc, const char *ctr)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].service, svc) && !strcmp(v[i].container, ctr))
            return &v[i];
    return NULL;
}

/* Points in any order, a time written twice, a 64-hex spelling of a
 * container: the windows count each point once, in [now − dur, now + 1). */
static void test_windows(void **state)
{
    (void)state;
    struct pcache c;
    pc_init(&c, T0);
    const char *full =
        "0123456789ab0000000000000000000000000000000000000000000000000000";
    assert_true(pc_add(&c, "s1", "0123456789ab", T0 + 30000, 30, true));
    assert_true(pc_add(&c, "s1", "0123456789ab", T0 + 10000, 10, true));
    assert_true(pc_add(&c, "s1", full, T0 + 20000, 20, true)); /* same one */
    assert_true(pc_add(&c, "s1", "0123456789ab", T0 + 20000, 25, true));
    assert_true(pc_add(&c, "s1", "bbbbbbbbbbbb", T0 + 40000, 50, true));
    assert_true(pc_add(&c, "s2", "cccccccccccc", T0 + 5000, 7, true));
    assert_int_equal(c.n, 3);
    assert_int_equal(c.points, 5);

    const int64_t durs[] = {30000, 20000};
    struct win_agg *outs[2];
    size_t ns[2];
    unsigned long unusable = 0;
    /* now = T0 + 40000: [T0 + 10000, T0 + 40001) and [T0 + 20000, …) */
    pc_windows(&c, T0 + 40000, durs, 2, outs, ns, &unusable);
    assert_int_equal(ns[0], 2);
    const struct win_agg *a = row_of(outs[0], ns[0], "s1", "0123456789ab");
    assert_non_null(a);
    assert_int_equal(a->count, 3); /* 10, 25 (the later write), 30 */
    assert_true(fabs(a->mean - 65.0 / 3) < 1e-6);
    assert_true(a->max == 30);
    assert_int_equal(a->first_ms, T0 + 10000);
    assert_int_equal(a->last_ms, T0 + 30000);
    assert_true(a->last == 30);
    assert_int_equal(a->bad, 0);
    /* rows sorted by service, container */
    assert_string_equal(outs[0][0].container, "0123456789ab");
    assert_string_equal(outs[0][1].container, "bbbbbbbbbbbb");
    a = row_of(outs[1], ns[1], "s1", "0123456789ab");
    assert_int_equal(a->count, 2);
    assert_int_equal(a->first_ms, T0 + 20000);
    assert_null(row_of(outs[0], ns[0], "s2", "cccccccccccc")); /* before */
    assert_int_equal(unusable, 0);
    free(outs[0]);
    free(outs[1]);
    /* a window with nothing in it */
    const int64_t shortd[] = {1000};
    pc_windows(&c, T0 + 100000, shortd, 1, outs, ns, &unusable);
    assert_null(outs[0]);
    assert_int_equal(ns[0], 0);
    pc_free(&c);
}

/* A series whose service tag can't name a row (none, empty, longer than
 * a row holds) is unusable: counted in each window that holds its points,
 * one per tag, never a row (t_das_auto showed das run counted none). */
static void test_untold_service(void **state)
{
    (void)state;
    struct pcache c;
    pc_init(&c, T0);
    char longsvc[80];
    memset(longsvc, 's', 70);
    longsvc[70] = '\0';
    assert_true(pc_add(&c, "s1", "aaaaaaaaaaaa", T0 + 9000, 4, true));
    assert_true(pc_add(&c, longsvc, "abc", T0 + 1000, 90, true));
    assert_true(pc_add(&c, longsvc, "abc", T0 + 8000, 90, true)); /* same */
    assert_true(pc_add(&c, "", "cccccccccccc", T0 + 8500, 1, true));
    assert_true(pc_add(&c, NULL, "cccccccccccc", T0 + 2000, 1, true));
    const int64_t durs[] = {10000, 1500};
    struct win_agg *outs[2];
    size_t ns[2];
    unsigned long unusable = 0;
    pc_windows(&c, T0 + 9000, durs, 2, outs, ns, &unusable);
    /* 10 s: s1's row alone; the long tag's series and the one of no tag
     * ("" and NULL alike) counted: 2 */
    assert_int_equal(ns[0], 1);
    assert_string_equal(outs[0][0].service, "s1");
    assert_int_equal(outs[0][0].bad, WIN_OK);
    /* 1.5 s ([T0 + 7500, …)): the long tag's latest point and the empty
     * tag's: 2 more */
    assert_int_equal(ns[1], 1);
    assert_int_equal(unusable, 4);
    free(outs[0]);
    free(outs[1]);
    pc_free(&c);
}

/* A container tag that is no id makes the service's unusable row; a value
 * that is no number, the container's row in the windows that hold it. */
static void test_unusable(void **state)
{
    (void)state;
    struct pcache c;
    pc_init(&c, T0);
    assert_true(pc_add(&c, "s1", "not-a-container-id", T0 + 1000, 5, true));
    assert_true(pc_add(&c, "s1", NULL, T0 + 2000, 5, true));
    assert_true(pc_add(&c, "s1", "aaaaaaaaaaaa", T0 + 1000, 0, false));
    assert_true(pc_add(&c, "s1", "aaaaaaaaaaaa", T0 + 9000, 4, true));
    const int64_t durs[] = {10000, 2000};
    struct win_agg *outs[2];
    size_t ns[2];
    unsigned long unusable = 0;
    pc_windows(&c, T0 + 9000, durs, 2, outs, ns, &unusable);
    assert_int_equal(ns[0], 2);
    const struct win_agg *k = row_of(outs[0], ns[0], "s1", "");
    assert_non_null(k);
    assert_int_equal(k->bad, WIN_BAD_KEY);
    assert_int_equal(k->count, 0);
    const struct win_agg *v = row_of(outs[0], ns[0], "s1", "aaaaaaaaaaaa");
    assert_int_equal(v->bad, WIN_BAD_VALUE);
    /* the short window holds only the good point */
    assert_int_equal(ns[1], 1);
    assert_int_equal(outs[1][0].bad, 0);
    assert_int_equal(outs[1][0].count, 1);
    assert_int_equal(unusable, 2);
    free(outs[0]);
    free(outs[1]);
    pc_free(&c);
}

/* Trimming drops old points and the series left empty; a series found
 * again after that is a new one. Rebasing keeps the times. */
static void test_trim_rebase(void **state)
{
    (void)state;
    struct pcache c;
    pc_init(&c, T0);
    for (int i = 0; i < 10; i++)
        assert_true(pc_add(&c, "s1", "aaaaaaaaaaaa", T0 + i * 10000, i, true));
    assert_true(pc_add(&c, "s2", "bbbbbbbbbbbb", T0, 1, true));
    assert_int_equal(c.points, 11);
    assert_int_equal(c.names.count, 2);
    pc_trim(&c, T0 + 50000);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.points, 5);
    /* the service ids are kept once, only those of series kept */
    assert_int_equal(c.names.count, 1);
    assert_string_equal(sp_str(&c.names, c.s[0].service), "s1");
    assert_true(pc_add(&c, "s2", "bbbbbbbbbbbb", T0 + 95000, 2, true));
    assert_true(pc_add(&c, "s2", "cccccccccccc", T0 + 95000, 2, true));
    assert_int_equal(c.n, 3);
    assert_int_equal(c.names.count, 2);
    pc_rebase(&c, T0 + 90000);
    const int64_t durs[] = {50000};
    struct win_agg *outs[1];
    size_t ns[1];
    pc_windows(&c, T0 + 95000, durs, 1, outs, ns, NULL);
    assert_int_equal(ns[0], 3);
    assert_non_null(row_of(outs[0], 3, "s2", "cccccccccccc"));
    const struct win_agg *a = row_of(outs[0], 3, "s1", "aaaaaaaaaaaa");
    assert_int_equal(a->count, 5);
    assert_int_equal(a->first_ms, T0 + 50000);
    assert_int_equal(a->last_ms, T0 + 90000);
    free(outs[0]);
    /* a time past what 32 bits from the base hold is not kept */
    assert_false(
        pc_add(&c, "s1", "aaaaaaaaaaaa", T0 + 30LL * 86400000, 1, true));
    assert_int_equal(c.dropped, 1);
    pc_clear(&c, T0);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.points, 0);
    assert_int_equal(c.dropped, 1);
    pc_free(&c);
}

/* What the cache holds, in bytes, follows its points and series as they
 * come and go; its cap is das's whole budget less the other fields'. */
static void test_bytes_cap(void **state)
{
    (void)state;
    struct pcache c;
    pc_init(&c, T0);
    assert_int_equal(c.max_bytes, PC_MAX_BYTES);
    assert_int_equal(pc_bytes(&c), 0);
    assert_true(pc_add(&c, "s1", "aaaaaaaaaaaa", T0, 1, true));
    size_t one = pc_bytes(&c);
    /* a point array of 16, the series array and its table, the name */
    assert_true(one >= 16 * sizeof(struct pc_point) + sizeof(struct pc_series));
    assert_int_equal(c.point_bytes, 16 * sizeof(struct pc_point));
    for (int i = 1; i < 17; i++)
        assert_true(pc_add(&c, "s1", "aaaaaaaaaaaa", T0 + i * 1000, i, true));
    assert_int_equal(c.point_bytes, 20 * sizeof(struct pc_point)); /* +4 */
    assert_true(pc_add(&c, "s2", "bbbbbbbbbbbb", T0, 1, true));
    assert_int_equal(c.point_bytes, 36 * sizeof(struct pc_point));
    pc_trim(&c, T0 + 1); /* s2 goes, and its array with it */
    assert_int_equal(c.n, 1);
    assert_int_equal(c.point_bytes, 20 * sizeof(struct pc_point));
    assert_false(pc_full(&c));
    c.max_bytes = pc_bytes(&c);
    assert_false(pc_full(&c)); /* at the cap is not past it */
    c.max_bytes = pc_bytes(&c) - 1;
    assert_true(pc_full(&c));
    char err[600];
    pc_full_text(&c, "cpu_ratio", err, sizeof err);
    if (!strstr(err, "cpu_ratio: the points das keeps reached their cap of ") ||
        !strstr(err, "(16 points of 1 series held for this field; every "
                     "field's together may take 128 MiB)") ||
        !strstr(err, "shorter out_for / in_for windows, or fewer containers, "
                     "keep less"))
        fail_msg("%s", err);
    /* the budget: what the other fields leave, never 0 (the default) */
    assert_int_equal(pc_budget(0), PC_MAX_BYTES);
    assert_int_equal(pc_budget(PC_MAX_BYTES - 10), 10);
    assert_int_equal(pc_budget(PC_MAX_BYTES), 1);
    assert_int_equal(pc_budget(PC_MAX_BYTES + 10), 1);
    size_t capped = c.max_bytes;
    pc_clear(&c, T0); /* empty, its cap kept */
    assert_int_equal(pc_bytes(&c), 0);
    assert_int_equal(c.max_bytes, capped);
    pc_free(&c);
}

/* When to read from: the whole windows first, then from the last read
 * less the overlap; after a failure back to the last good read until it
 * has left the windows; a longer window reads whole. */
static void test_reads(void **state)
{
    (void)state;
    struct pc_reads r = {0};
    bool whole;
    const int64_t ov = 30000, win = 600000;
    int64_t now = T0;
    assert_int_equal(pc_read_since(&r, now - win, ov, &whole), now - win);
    assert_true(whole);
    pc_read_done(&r, true, now, now - win, ov);
    now += 15000;
    assert_int_equal(pc_read_since(&r, now - win, ov, &whole), T0 - ov);
    assert_false(whole);
    pc_read_done(&r, true, now, now - win, ov);
    /* reads fail at T0 + 30 s and T0 + 45 s: the next goes back to the
     * last good read, and so do the ones after it */
    now += 15000;
    (void)pc_read_since(&r, now - win, ov, &whole);
    pc_read_done(&r, false, now, now - win, ov);
    const int64_t failed_from = T0 + 15000 - ov; /* the last good cut */
    now += 15000;
    assert_int_equal(pc_read_since(&r, now - win, ov, &whole), failed_from);
    assert_false(whole);
    pc_read_done(&r, false, now, now - win, ov);
    assert_int_equal(r.recover_from, failed_from); /* not moved */
    now += 15000;
    assert_int_equal(pc_read_since(&r, now - win, ov, &whole), failed_from);
    pc_read_done(&r, true, now, now - win, ov);
    /* then still back to it, for PC_RECOVER_MS of good reads */
    const int64_t good = now;
    now += 15000;
    assert_int_equal(pc_read_since(&r, now - win, ov, &whole), failed_from);
    assert_false(whole);
    pc_read_done(&r, true, now, now - win, ov);
    now = good + PC_RECOVER_MS - 1;
    assert_int_equal(pc_read_since(&r, now - win, ov, &whole), failed_from);
    pc_read_done(&r, true, now, now - win, ov);
    now += 15000; /* the last read was at good + PC_RECOVER_MS - 1 */
    assert_int_equal(pc_read_since(&r, now - win, ov, &whole), failed_from);
    pc_read_done(&r, true, now, now - win, ov);
    now += 15000;
    assert_int_equal(pc_read_since(&r, now - win, ov, &whole),
                     now - 15000 - ov);
    assert_int_equal(r.recover_from, 0);
    pc_read_done(&r, true, now, now - win, ov);
    /* a failure that outlasts the windows: from the windows' start */
    now += 15000;
    (void)pc_read_since(&r, now - win, ov, &whole);
    pc_read_done(&r, false, now, now - win, ov);
    const int64_t from2 = now - 15000 - ov;
    assert_int_equal(r.recover_from, from2);
    now = from2 + win + 1;
    assert_int_equal(pc_read_since(&r, now - win, ov, &whole), now - win);
    assert_false(whole);
    assert_int_equal(r.recover_from, 0);
    pc_read_done(&r, true, now, now - win, ov);
    now += 15000;
    assert_int_equal(pc_read_since(&r, now - win, ov, &whole),
                     now - 15000 - ov);
    pc_read_done(&r, true, now, now - win, ov);
    /* a longer window than the cache holds */
    now += 15000;
    assert_int_equal(pc_read_since(&r, now - 2 * win, ov, &whole),
                     now - 2 * win);
    assert_true(whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_windows),  cmocka_unit_test(test_untold_service),
        cmocka_unit_test(test_unusable), cmocka_unit_test(test_trim_rebase),
        cmocka_unit_test(test_reads),    cmocka_unit_test(test_bytes_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
