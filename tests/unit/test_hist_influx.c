/* hist_influx: the history statements das sends to InfluxDB with
 * --policy-db none, and reading the replies back (shaped as influxd 1.6's
 * /query answers; t_labels runs them against the real server). */
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
#include "hist_influx.h"

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("bad test JSON: %s", je.text);
    return j;
}

static void test_last_statement(void **state)
{
    struct buf b;
    char err[256];
    (void)state;
    buf_init(&b, 4096);
    assert_int_equal(
        hist_last_statement(1700000000123, 1700000600000, &b, err, sizeof err),
        0);
    assert_string_equal(b.ptr,
                        "SELECT last(\"reason\") AS \"reason\" FROM \"das\" "
                        "WHERE time >= 1700000000123ms AND time <= "
                        "1700000600000ms AND \"dry_run\" = "
                        "false AND \"action\" != 'capacity-bound' GROUP BY "
                        "\"seq\"");
    buf_reset(&b);
    assert_int_equal(hist_future_statement(1700000600000, &b, err, sizeof err),
                     0);
    assert_string_equal(b.ptr, "SELECT first(\"reason\") AS \"reason\", "
                               "count(\"reason\") AS \"n\" FROM \"das\" WHERE "
                               "time > 1700000600000ms GROUP BY \"seq\"");
    buf_cleanup(&b);
}

/* Points dated after the bound (one forged point in 2100 kept a policy
 * settling for ever): counted, the first named. */
static void test_future_parse(void **state)
{
    (void)state;
    char err[256];
    json_error_t je;
    json_t *root = json_loads(
        "{\"results\":[{\"statement_id\":0,\"series\":["
        "{\"name\":\"das\",\"tags\":{\"seq\":\"7\"},\"columns\":[\"time\","
        "\"reason\",\"n\"],\"values\":[[4102444800000,\"x\",2]]},"
        "{\"name\":\"das\",\"tags\":{\"seq\":\"3\"},\"columns\":[\"time\","
        "\"reason\",\"n\"],\"values\":[[4000000000000,\"y\",1]]},"
        "{\"name\":\"das\",\"tags\":{},\"columns\":[\"time\","
        "\"reason\",\"n\"],\"values\":[[1,\"z\",5]]}]}]}",
        0, &je);
    assert_non_null(root);
    struct hist_future f;
    assert_int_equal(hist_future_parse(root, &f, err, sizeof err), 0);
    assert_int_equal(f.n, 3);
    assert_int_equal(f.first_seq, 3);
    assert_int_equal(f.first_ms, 4000000000000LL);
    json_decref(root);
    root = json_loads("{\"results\":[{\"statement_id\":0}]}", 0, &je);
    assert_int_equal(hist_future_parse(root, &f, err, sizeof err), 0);
    assert_int_equal(f.n, 0);
    json_decref(root);
}

static void test_last_parse(void **state)
{
    (void)state;
    char bet_reason[200];
    snprintf(bet_reason, sizeof bet_reason,
             "latest 50.0%% at the limit %s: enough for 1 at 10%%: 1 → 4",
             DEC_BET_MARK);
    char text[2048];
    snprintf(text, sizeof text,
             "{\"results\":[{\"statement_id\":0,\"series\":["
             "{\"name\":\"das\",\"tags\":{\"seq\":\"-1492381327\"},"
             "\"columns\":[\"time\",\"reason\"],"
             "\"values\":[[1700000005000,\"%s\"]]},"
             "{\"name\":\"das\",\"tags\":{\"seq\":\"3\"},"
             "\"columns\":[\"time\",\"reason\"],"
             "\"values\":[[1700000001000,\"mean cpu_ratio 90%% > 70%%\"]]},"
             "{\"name\":\"das\",\"tags\":{\"seq\":\"\"},"
             "\"columns\":[\"time\",\"reason\"],"
             "\"values\":[[1700000009000,\"x\"]]}]}]}",
             bet_reason);
    json_t *root = parse(text);
    long seqs[3] = {3, -1492381327L, 7};
    int64_t times[3];
    bool bets[3];
    char err[256];
    assert_int_equal(
        hist_last_parse(root, seqs, 3, times, bets, err, sizeof err), 0);
    assert_int_equal(times[0], 1700000001000);
    assert_false(bets[0]);
    assert_int_equal(times[1], 1700000005000);
    assert_true(bets[1]);          /* told by its reason */
    assert_int_equal(times[2], 0); /* none */
    assert_false(bets[2]);
    json_decref(root);

    /* no points yet: no series */
    root = parse("{\"results\":[{\"statement_id\":0}]}");
    assert_int_equal(
        hist_last_parse(root, seqs, 3, times, NULL, err, sizeof err), 0);
    assert_int_equal(times[0] + times[1] + times[2], 0);
    json_decref(root);
    root = parse("{\"results\":[{\"statement_id\":0,\"series\":{}}]}");
    assert_int_equal(
        hist_last_parse(root, seqs, 3, times, NULL, err, sizeof err), -1);
    json_decref(root);

    /* a time beyond any whole number (found by fuzz_hist_influx: the cast
     * was undefined) is no time: the row is passed over */
    root = parse("{\"results\":[{\"statement_id\":0,\"series\":["
                 "{\"name\":\"das\",\"tags\":{\"seq\":\"3\"},"
                 "\"columns\":[\"time\",\"reason\"],"
                 "\"values\":[[1.7e20,\"x\"],[-1e300,\"y\"],"
                 "[1700000001000.0,\"z\"]]}]}]}");
    assert_int_equal(
        hist_last_parse(root, seqs, 3, times, NULL, err, sizeof err), 0);
    assert_int_equal(times[0], 1700000001000);
    json_decref(root);
}

static void test_events_statement(void **state)
{
    struct buf b;
    char err[256];
    (void)state;
    buf_init(&b, 4096);
    assert_int_equal(
        hist_events_statement("we'b\\", 0, 100, &b, err, sizeof err), 0);
    assert_string_equal(
        b.ptr, "SELECT \"seq\", \"service\", \"action\", \"from\", \"to\", "
               "\"metric\", \"observed\", \"threshold\", \"window_ms\", "
               "\"reason\", \"dry_run\" FROM \"das\" WHERE time >= 0ms AND "
               "\"service\" = 'we\\'b\\\\' ORDER BY time DESC LIMIT 100");
    buf_reset(&b);
    assert_int_equal(hist_events_statement(NULL, 5, 3, &b, err, sizeof err), 0);
    assert_non_null(strstr(b.ptr, "WHERE time >= 5ms ORDER BY time DESC "
                                  "LIMIT 3"));
    buf_reset(&b);
    assert_int_equal(hist_events_statement("a\001b", 0, 3, &b, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "--service"));
    buf_cleanup(&b);
}

static void test_events_parse(void **state)
{
    (void)state;
    json_t *root =
        parse("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"das\","
              "\"columns\":[\"time\",\"seq\",\"service\",\"action\",\"from\","
              "\"to\",\"metric\",\"observed\",\"threshold\",\"window_ms\","
              "\"reason\",\"dry_run\"],\"values\":["
              "[1700000005000,\"-12\",\"lab\",\"scale-out\",1,2,\"cpu_ratio\","
              "90,70,15000,\"mean cpu_ratio 90.0% > 70%\",false],"
              "[1700000001000,\"4\",\"web\",\"bound\",0,1,null,null,null,0,"
              "\"below min_no\",true]]}]}]}");
    struct pg_event *ev = NULL;
    size_t n = 0;
    char err[256];
    assert_int_equal(hist_events_parse(root, &ev, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ev[0].time_ms, 1700000005000);
    assert_int_equal(ev[0].seq, -12);
    assert_string_equal(ev[0].service, "lab");
    assert_string_equal(ev[0].action, "scale-out");
    assert_int_equal(ev[0].from_no, 1);
    assert_int_equal(ev[0].to_no, 2);
    assert_string_equal(ev[0].metric, "cpu_ratio");
    assert_true(ev[0].observed == 90.0 && ev[0].threshold == 70.0);
    assert_int_equal(ev[0].window_ms, 15000);
    assert_false(ev[0].dry_run);
    assert_string_equal(ev[1].metric, ""); /* an older point, no metric */
    assert_true(isnan(ev[1].observed));
    assert_true(ev[1].dry_run);
    free(ev);
    json_decref(root);
    root = parse("{\"results\":[{\"statement_id\":0}]}");
    assert_int_equal(hist_events_parse(root, &ev, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    free(ev);
    json_decref(root);

    /* a time beyond any whole number is no time: that row is left out */
    root = parse("{\"results\":[{\"statement_id\":0,\"series\":[{"
                 "\"name\":\"das\",\"columns\":[\"time\",\"seq\"],"
                 "\"values\":[[1.7e20,\"1\"],[1700000001000.0,\"2\"]]}]}]}");
    assert_int_equal(hist_events_parse(root, &ev, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].time_ms, 1700000001000);
    assert_int_equal(ev[0].seq, 2);
    free(ev);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_last_statement),
        cmocka_unit_test(test_last_parse),
        cmocka_unit_test(test_future_parse),
        cmocka_unit_test(test_events_statement),
        cmocka_unit_test(test_events_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
