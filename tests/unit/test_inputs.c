/* inputs.c, the pure part of das's evaluation (src/das/eval.c gathers, this
 * decides what to gather and when each policy's windows start): label
 * policies and a table row naming the same service, the queries of a cycle,
 * the history's look-back, scaling seen from outside, and the window start
 * from every source of a last action. The gathering itself runs against
 * real servers (t_das_scale, t_labels, t_failover_labels). */
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
#include "inputs.h"

/* A valid table policy: min 1, max 10, the given metric and durations. */
static void policy_of(struct policy *p, const char *item, const char *out_for,
                      const char *in_for, const char *mode)
{
    struct pol_row row = {0};
    row.col[POL_SEQ] = "1";
    row.col[POL_MIN_NO] = "1";
    row.col[POL_MAX_NO] = "10";
    row.col[POL_CUR_NO] = "2";
    row.col[POL_COND_ITEM] = item;
    row.col[POL_OUT_COND] = strstr(item, "ratio") ? "70%" : "10MiB/s";
    row.col[POL_IN_COND] = strstr(item, "ratio") ? "30%" : "1MiB/s";
    row.col[POL_OUT_DURATION] = out_for;
    row.col[POL_IN_DURATION] = in_for;
    row.col[POL_SERVICE_ID] = "web";
    row.col[POL_SCALE_MODE] = mode;
    char err[256];
    int rc = pol_parse(&row, p, err, sizeof err);
    if (rc)
        fail_msg("policy: %s", err);
}

static void svc_of(struct dsvc *s, const char *id, const char *name,
                   long replicas)
{
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", id);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->replicas = replicas;
    s->cpu_limit = NAN;
    s->prev_replicas = -1;
}

static void label(struct dsvc *s, const char *key, const char *value)
{
    s->labels = xrealloc(s->labels, (s->nlabels + 1) * sizeof *s->labels);
    struct dsvc_label *l = &s->labels[s->nlabels++];
    memset(l, 0, sizeof *l);
    snprintf(l->key, sizeof l->key, "%s", key);
    snprintf(l->value, sizeof l->value, "%s", value);
}

static void test_row_seq(void **state)
{
    (void)state;
    assert_int_equal(das_row_seq("42"), 42);
    assert_int_equal(das_row_seq("-3"), -3);
    assert_int_equal(das_row_seq(NULL), -1);
    assert_int_equal(das_row_seq(""), -1);
    assert_int_equal(das_row_seq("4x"), -1);
    assert_int_equal(das_row_seq("99999999999999999999999"), -1);
}

static void test_metric_limit(void **state)
{
    (void)state;
    struct policy p;
    struct dsvc s;
    svc_of(&s, "id1", "web", 2);
    s.cpu_limit = 50;
    policy_of(&p, "cpu_ratio", "2m", "5m", "auto");
    assert_true(das_metric_limit(&p, &s) == 50);
    policy_of(&p, "cpu_limit_ratio", "2m", "5m", "auto");
    assert_true(das_metric_limit(&p, &s) == 100);
    policy_of(&p, "mem_ratio", "2m", "5m", "auto");
    assert_true(isnan(das_metric_limit(&p, &s)));
    /* a service without a CPU limit: cpu_ratio has no saturation level */
    s.cpu_limit = NAN;
    policy_of(&p, "cpu_ratio", "2m", "5m", "auto");
    assert_true(isnan(das_metric_limit(&p, &s)));
}

/* Two policies on cpu_ratio share their 2m pair; an invalid row and an
 * unscalable service ask nothing; each policy finds its own pairs. */
static void test_plan_pairs(void **state)
{
    (void)state;
    struct policy a, b, c;
    policy_of(&a, "cpu_ratio", "2m", "5m", "auto");
    policy_of(&b, "cpu_ratio", "2m", "10m", "step");
    policy_of(&c, "mem_ratio", "2m", "5m", "auto");
    struct das_plan_pol plan[5] = {
        {&a, true}, {NULL, true}, {&b, true}, {&c, false}, {&c, true},
    };
    struct cyc_pair pairs[11];
    size_t idx[5][2];
    size_t n = das_plan_pairs(plan, 5, pairs, idx);
    assert_int_equal(n, 5);
    assert_string_equal(pairs[0].field, "cpu_ratio");
    assert_int_equal(pairs[0].dur_ms, 120000);
    assert_int_equal(pairs[1].dur_ms, 300000);
    assert_int_equal(pairs[2].dur_ms, 600000);
    assert_string_equal(pairs[3].field, "mem_ratio");
    assert_int_equal(pairs[3].dur_ms, 120000);
    assert_string_equal(pairs[4].field, "mem_ratio");
    assert_int_equal(pairs[4].dur_ms, 300000);
    assert_int_equal(idx[0][0], 0);
    assert_int_equal(idx[0][1], 1);
    assert_int_equal(idx[1][0], (size_t)-1);
    assert_int_equal(idx[1][1], (size_t)-1);
    assert_int_equal(idx[2][0], 0); /* shared with policy 0 */
    assert_int_equal(idx[2][1], 2);
    assert_int_equal(idx[3][0], (size_t)-1);
    assert_int_equal(idx[4][0], 3);
    assert_int_equal(idx[4][1], 4);
    assert_int_equal(das_plan_pairs(plan, 0, pairs, idx), 0);
}

/* The history goes back to the longest window, or DEC_BET_UNTIL in
 * windows for an auto policy (its bets are returned that late). */
static void test_lookback(void **state)
{
    (void)state;
    struct policy a, s;
    policy_of(&a, "cpu_ratio", "2m", "5m", "auto");
    policy_of(&s, "cpu_ratio", "20m", "10m", "step");
    struct das_plan_pol only_step[2] = {{&s, true}, {NULL, false}};
    assert_int_equal(das_lookback_ms(only_step, 2), 20 * 60000);
    struct das_plan_pol both[2] = {{&s, false}, {&a, true}};
    assert_int_equal(das_lookback_ms(both, 2), DEC_BET_UNTIL * 5 * 60000);
    struct das_plan_pol none[1] = {{NULL, true}};
    assert_int_equal(das_lookback_ms(none, 1), 0);
}

/* A difference is first seen now, kept while it stays the same, and seen
 * anew when it changes; each policy has its own. */
static void test_sync_first_seen(void **state)
{
    (void)state;
    struct das_sync_seen *v = NULL;
    size_t n = 0;
    assert_int_equal(das_sync_first_seen(&v, &n, 1, 2, 3, 1000), 1000);
    assert_int_equal(das_sync_first_seen(&v, &n, 1, 2, 3, 5000), 1000);
    assert_int_equal(das_sync_first_seen(&v, &n, 7, 2, 3, 6000), 6000);
    assert_int_equal(n, 2);
    assert_int_equal(das_sync_first_seen(&v, &n, 1, 2, 4, 9000), 9000);
    assert_int_equal(das_sync_first_seen(&v, &n, 1, 2, 4, 9900), 9000);
    assert_int_equal(das_sync_first_seen(&v, &n, 7, 2, 3, 9900), 6000);
    assert_int_equal(n, 2);
    free(v);
}

static void test_scaled_outside(void **state)
{
    (void)state;
    struct dsvc s;
    svc_of(&s, "id1", "web", 3);
    assert_true(das_scaled_outside(true, &s, 2));
    assert_false(das_scaled_outside(true, &s, 3));
    assert_false(das_scaled_outside(false, &s, 2));
    /* a service das cannot scale (global, a job, a mode it does not
     * know: docker_svc says why) */
    s.unscalable = "in global mode: one task per node";
    assert_false(das_scaled_outside(true, &s, 2));
}

/* The window start from each source of a last action. */
static void test_window_since(void **state)
{
    (void)state;
    struct dsvc s;
    svc_of(&s, "id1", "web", 3);
    struct das_seq_time extra[2] = {{9, 90000, false}, {5, 70000, false}};
    struct das_since_in in = {.seq = 5,
                              .store_ms = 50000,
                              .store_bet = true,
                              .extra = extra,
                              .nextra = 2,
                              .found = true,
                              .svc = &s,
                              .cur_no = 3};
    int64_t since;
    bool bet;
    /* a later in-memory action of this policy (not another's) wins */
    das_window_since(&in, &since, &bet);
    assert_int_equal(since, 70000);
    assert_false(bet);
    /* an earlier one does not */
    extra[1].ms = 40000;
    das_window_since(&in, &since, &bet);
    assert_int_equal(since, 50000);
    assert_true(bet);
    /* scaled by hand: the windows start when that was seen, not a bet */
    in.cur_no = 2;
    in.sync_seen_ms = 60000;
    das_window_since(&in, &since, &bet);
    assert_int_equal(since, 60000);
    assert_false(bet);
    /* ... unless das acted since */
    in.sync_seen_ms = 45000;
    das_window_since(&in, &since, &bet);
    assert_int_equal(since, 50000);
    assert_true(bet);
    /* the service's last update changed its replicas: from its UpdatedAt,
     * earlier than das saw it (a one-shot status sees it only now) */
    s.prev_replicas = 2;
    s.updated_ms = 55000;
    in.sync_seen_ms = 80000;
    das_window_since(&in, &since, &bet);
    assert_int_equal(since, 55000);
    assert_false(bet);
    /* ... not when that update kept the replicas (another change) */
    s.prev_replicas = 3;
    das_window_since(&in, &since, &bet);
    assert_int_equal(since, 80000);
    /* ... nor an UpdatedAt after das saw the difference */
    s.prev_replicas = 2;
    s.updated_ms = 90000;
    das_window_since(&in, &since, &bet);
    assert_int_equal(since, 80000);
    s.prev_replicas = -1;
    s.updated_ms = 0;
    /* cur_no equal to the replicas: the seen time is not read */
    in.cur_no = 3;
    in.sync_seen_ms = 99000;
    das_window_since(&in, &since, &bet);
    assert_int_equal(since, 50000);

    /* the service's own update tells a change das has no record of (a
     * label policy scaled by hand; a table row whose cur_no das wrote
     * before it was killed, its event never written) */
    s.prev_replicas = 2;
    s.updated_ms = 53000; /* within DAS_SAME_CHANGE_MS: das's own action */
    das_window_since(&in, &since, &bet);
    assert_int_equal(since, 53000);
    assert_true(bet);
    s.updated_ms = 50000 + DAS_SAME_CHANGE_MS + 1; /* a change of its own */
    das_window_since(&in, &since, &bet);
    assert_int_equal(since, 50000 + DAS_SAME_CHANGE_MS + 1);
    assert_false(bet);
    /* an update that kept the replica count is no change of them */
    s.prev_replicas = 3;
    das_window_since(&in, &since, &bet);
    assert_int_equal(since, 50000);
    /* an update before the record: das's action is the later */
    s.prev_replicas = 2;
    s.updated_ms = 45000;
    das_window_since(&in, &since, &bet);
    assert_int_equal(since, 50000);
    assert_true(bet);
}

/* Services with "das." labels make label policies; a table row naming the
 * same service (by name or id prefix) shadows it; a bad label policy is
 * kept with its message; services without labels make none. */
static void test_label_policies(void **state)
{
    (void)state;
    struct dsvc v[3];
    svc_of(&v[0], "aaaa1111", "web", 2);
    label(&v[0], "das.max_no", "6");
    svc_of(&v[1], "bbbb2222", "api", 2);
    label(&v[1], "das.max_no", "6");
    label(&v[1], "das.out_cond", "20%");
    label(&v[1], "das.in_cond", "30%");
    svc_of(&v[2], "cccc3333", "db", 1);
    struct dsvc_list l = {.v = v, .n = 3};

    struct das_label_pol *lp = NULL;
    size_t n = das_label_policies(&l, NULL, NULL, 0, &lp);
    assert_int_equal(n, 2);
    assert_ptr_equal(lp[0].svc, &v[0]);
    assert_true(lp[0].valid);
    assert_false(lp[0].shadowed);
    assert_int_equal(lp[0].pol.max_no, 6);
    assert_int_equal(lp[0].pol.seq, pol_label_seq("aaaa1111"));
    assert_ptr_equal(lp[1].svc, &v[1]);
    assert_false(lp[1].valid);
    assert_non_null(strstr(lp[1].error, "in_cond"));
    assert_int_equal(lp[1].pol.seq, pol_label_seq("bbbb2222"));
    free(lp);

    const char *refs[3] = {"web", NULL, "bbbb"};
    long seqs[3] = {4, 5, 6};
    n = das_label_policies(&l, refs, seqs, 3, &lp);
    assert_int_equal(n, 2);
    assert_true(lp[0].shadowed);
    assert_int_equal(lp[0].shadowed_by, 4);
    assert_true(lp[1].shadowed);
    assert_int_equal(lp[1].shadowed_by, 6);
    free(lp);
    for (size_t i = 0; i < 3; i++)
        dsvc_free(&v[i]);
}

/* In-memory last actions: one per policy, the latest replaces it. */
static void test_seq_time_set(void **state)
{
    (void)state;
    struct das_seq_time *v = NULL;
    size_t n = 0;
    das_seq_time_set(&v, &n, 3, 1000, true);
    das_seq_time_set(&v, &n, 4, 2000, false);
    das_seq_time_set(&v, &n, 3, 5000, false);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].seq, 3);
    assert_int_equal(v[0].ms, 5000);
    assert_false(v[0].bet);
    assert_int_equal(v[1].seq, 4);
    assert_int_equal(v[1].ms, 2000);
    free(v);
}

/* The event kinds: one names table, and the event of each decision. */
static void test_event_kinds(void **state)
{
    (void)state;
    assert_string_equal(das_event_names[DAS_EV_SCALE_OUT], "scale-out");
    assert_string_equal(das_event_names[DAS_EV_SCALE_IN], "scale-in");
    assert_string_equal(das_event_names[DAS_EV_BOUND], "bound");
    assert_string_equal(das_event_names[DAS_EV_SYNCED], "synced");
    assert_string_equal(das_event_names[DAS_EV_CAPACITY], "capacity-bound");
    assert_int_equal(das_event_of(DEC_SCALE_OUT), DAS_EV_SCALE_OUT);
    assert_int_equal(das_event_of(DEC_SCALE_IN), DAS_EV_SCALE_IN);
    assert_int_equal(das_event_of(DEC_BOUND), DAS_EV_BOUND);
    assert_int_equal(das_event_of(DEC_NONE), -1);
    /* and back from a recorded name */
    for (int k = 0; k < DAS_NEVENT_KINDS; k++)
        assert_int_equal(das_event_kind_of(das_event_names[k]), k);
    assert_int_equal(das_event_kind_of("scale-up"), -1);
    assert_int_equal(das_event_kind_of(NULL), -1);
    assert_true(das_event_changes(DAS_EV_SCALE_OUT));
    assert_true(das_event_changes(DAS_EV_SYNCED));
    assert_false(das_event_changes(DAS_EV_CAPACITY));
    assert_false(das_event_changes(-1));
}

/* A dry run records a decision once while it repeats; a sync and a scale
 * of the same policy are remembered apart; a changed decision is new. */
static void test_dry_seen(void **state)
{
    (void)state;
    struct das_dry_seen *v = NULL;
    size_t n = 0;
    assert_false(das_dry_seen(&v, &n, 1, DAS_EV_SCALE_OUT, 2, 3));
    assert_true(das_dry_seen(&v, &n, 1, DAS_EV_SCALE_OUT, 2, 3));
    assert_false(das_dry_seen(&v, &n, 1, DAS_EV_SYNCED, 3, 2));
    assert_true(das_dry_seen(&v, &n, 1, DAS_EV_SCALE_OUT, 2, 3));
    assert_true(das_dry_seen(&v, &n, 1, DAS_EV_SYNCED, 3, 2));
    assert_false(das_dry_seen(&v, &n, 2, DAS_EV_SCALE_OUT, 2, 3));
    assert_false(das_dry_seen(&v, &n, 1, DAS_EV_SCALE_OUT, 2, 4));
    assert_false(das_dry_seen(&v, &n, 1, DAS_EV_SCALE_IN, 2, 4));
    assert_true(das_dry_seen(&v, &n, 1, DAS_EV_SCALE_IN, 2, 4));
    assert_int_equal(n, 3);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_seq),
        cmocka_unit_test(test_metric_limit),
        cmocka_unit_test(test_plan_pairs),
        cmocka_unit_test(test_lookback),
        cmocka_unit_test(test_sync_first_seen),
        cmocka_unit_test(test_scaled_outside),
        cmocka_unit_test(test_window_since),
        cmocka_unit_test(test_label_policies),
        cmocka_unit_test(test_seq_time_set),
        cmocka_unit_test(test_event_kinds),
        cmocka_unit_test(test_dry_seen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
