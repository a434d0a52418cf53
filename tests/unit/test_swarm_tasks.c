/* swarm_tasks: Docker's task times, the task listing, per-service counts
 * and replica start times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "swarm_tasks.h"

static void test_time(void **state)
{
    int64_t ms;
    (void)state;
    assert_int_equal(stask_parse_time("1970-01-01T00:00:00Z", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(stask_parse_time("2023-11-14T22:13:20Z", &ms), 0);
    assert_int_equal(ms, 1700000000000LL);
    /* Docker's nanoseconds: milliseconds kept, the rest dropped */
    assert_int_equal(stask_parse_time("2023-11-14T22:13:20.123456789Z", &ms),
                     0);
    assert_int_equal(ms, 1700000000123LL);
    assert_int_equal(stask_parse_time("2023-11-14T22:13:20.5Z", &ms), 0);
    assert_int_equal(ms, 1700000000500LL);
    /* an offset: 23:13:20+01:00 is 22:13:20Z */
    assert_int_equal(stask_parse_time("2023-11-14T23:13:20+01:00", &ms), 0);
    assert_int_equal(ms, 1700000000000LL);
    assert_int_equal(stask_parse_time("2023-11-14T21:43:20-00:30", &ms), 0);
    assert_int_equal(ms, 1700000000000LL);
    /* what is not RFC 3339 */
    const char *bad[] = {"",
                         "2023-11-14",
                         "2023-11-14 22:13:20Z",
                         "2023-13-14T22:13:20Z",
                         "2023-11-14T24:13:20Z",
                         "2023-11-14T22:13:20",
                         "2023-11-14T22:13:20.Z",
                         "2023-11-14T22:13:20Zjunk",
                         "2023-11-14T22:13:20+1:00",
                         "x023-11-14T22:13:20Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (stask_parse_time(bad[i], &ms) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(stask_parse_time(NULL, &ms), -1);
    /* one reader with docker.c's (dkr_parse_time): digits past the
     * nanoseconds are RFC 3339 and dropped */
    assert_int_equal(stask_parse_time("2023-11-14T22:13:20.1234567890Z", &ms),
                     0);
    assert_int_equal(ms, 1700000000123LL);
}

/* A listing as GET /tasks returns it (fields das reads; Docker 20.10). */
static const char listing[] =
    "[{\"ID\":\"t1\",\"ServiceID\":\"svcb\",\"DesiredState\":\"running\","
    "\"Status\":{\"Timestamp\":\"2023-11-14T22:13:20.5Z\",\"State\":"
    "\"running\",\"ContainerStatus\":{\"ContainerID\":"
    "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}}},"
    "{\"ID\":\"t2\",\"ServiceID\":\"svca\",\"DesiredState\":\"running\","
    "\"Status\":{\"Timestamp\":\"2023-11-14T22:00:00Z\",\"State\":"
    "\"pending\",\"Err\":\"no suitable node (insufficient resources on 3 "
    "nodes)\"}},"
    "{\"ID\":\"t3\",\"ServiceID\":\"svca\",\"DesiredState\":\"running\","
    "\"Status\":{\"Timestamp\":\"2023-11-14T21:00:00Z\",\"State\":"
    "\"running\",\"ContainerStatus\":{\"ContainerID\":\"aaaaaaaaaaaa1\"}}},"
    "{\"ID\":\"t4\",\"ServiceID\":\"svca\",\"DesiredState\":\"shutdown\","
    "\"Status\":{\"Timestamp\":\"2023-11-14T20:00:00Z\",\"State\":"
    "\"running\",\"ContainerStatus\":{\"ContainerID\":\"cccccccccccc\"}}},"
    "{\"ID\":\"t5\",\"ServiceID\":\"svca\",\"DesiredState\":\"running\","
    "\"Status\":{\"Timestamp\":\"bad time\",\"State\":\"assigned\","
    "\"Err\":\"\\u001b[31mred\"}},"
    "{\"ID\":\"t6\",\"ServiceID\":\"svca\",\"DesiredState\":\"running\","
    "\"Status\":{\"Timestamp\":\"2023-11-14T22:13:00Z\",\"State\":"
    "\"starting\",\"ContainerStatus\":{\"ContainerID\":\"bbbbbbbbbbbb\"}}}]";

static void parse(const char *text, struct stask_list *l)
{
    json_error_t je;
    char err[256];
    json_t *j = json_loads(text, 0, &je);
    assert_non_null(j);
    if (stask_parse_list(j, l, err, sizeof err))
        fail_msg("%s", err);
    json_decref(j);
}

static void test_list(void **state)
{
    struct stask_list l;
    struct stask_count c;
    (void)state;
    parse(listing, &l);
    assert_int_equal(l.n, 5); /* t4 should not run: left out */
    /* sorted by service, then container */
    assert_string_equal(l.v[0].service, "svca");
    assert_string_equal(l.v[0].container, "");
    assert_string_equal(l.v[2].container, "aaaaaaaaaaaa");
    assert_string_equal(l.v[3].container, "bbbbbbbbbbbb");
    assert_string_equal(l.v[4].service, "svcb");
    assert_string_equal(l.v[4].container, "0123456789ab");

    stask_count(&l, "svca", &c);
    assert_int_equal(c.running, 1);
    /* pending waits for a node; assigned and starting are on their way */
    assert_int_equal(c.pending, 1);
    /* the first waiting task's reason, the part in parentheses */
    assert_string_equal(c.why, "insufficient resources on 3 nodes");
    stask_count(&l, "svcb", &c);
    assert_int_equal(c.running, 1);
    assert_int_equal(c.pending, 0);
    assert_string_equal(c.why, "");
    stask_count(&l, "nope", &c);
    assert_int_equal(c.running + c.pending, 0);

    /* start times by short or full id; only of running tasks */
    assert_int_equal(stask_started(&l, "svcb", "0123456789ab"),
                     1700000000500LL);
    assert_int_equal(
        stask_started(&l, "svcb",
                      "0123456789abcdef0123456789abcdef0123456789abcdef01234"
                      "56789abcdef"),
        1700000000500LL);
    assert_int_equal(stask_started(&l, "svca", "aaaaaaaaaaaa"),
                     1699995600000LL);
    assert_int_equal(stask_started(&l, "svca", "0123456789ab"), -1);
    assert_int_equal(stask_started(&l, "svca", "cccccccccccc"), -1);
    /* warming up: a starting task's container whatever the warm-up; a
     * running one while younger than the warm-up */
    int64_t now = 1700000000000LL;
    assert_int_equal(stask_age(&l, "svca", "bbbbbbbbbbbb", now, 0),
                     STASK_STARTING);
    assert_int_equal(stask_age(&l, "svcb", "0123456789ab", now + 1000, 30000),
                     STASK_WARMING);
    assert_int_equal(stask_age(&l, "svcb", "0123456789ab", now + 31000, 30000),
                     STASK_MATURE);
    assert_int_equal(stask_age(&l, "svcb", "0123456789ab", now + 1000, 0),
                     STASK_MATURE);
    assert_int_equal(stask_age(&l, "svca", "aaaaaaaaaaaa", now, 30000),
                     STASK_MATURE);
    assert_int_equal(stask_age(&l, "svca", "ffffffffffff", now, 30000),
                     STASK_NONE); /* no task of svca names it */
    assert_int_equal(stask_age(&l, "svcb", "aaaaaaaaaaaa", now, 30000),
                     STASK_NONE); /* svca's, not svcb's */
    /* a control byte from the engine never reaches a message */
    for (size_t i = 0; i < l.n; i++)
        for (const char *p = stask_err(&l, &l.v[i]); *p; p++)
            assert_true((unsigned char)*p >= 0x20);
    stask_list_free(&l);
    stask_list_free(&l); /* twice is fine */
}

/* Each distinct Status.Err is kept once (tasks hold its offset), whatever
 * their number: 300 tasks of 3 services, 100 distinct reasons between
 * them (past the first table size), each read back as it was sent. */
static void test_shared_reasons(void **state)
{
    (void)state;
    json_t *arr = json_array();
    for (int i = 0; i < 300; i++) {
        char svc[16], err[64];
        snprintf(svc, sizeof svc, "svc%d", i % 3);
        snprintf(err, sizeof err, "no suitable node (reason %d)", i % 100);
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "ID", "t",
                           "ServiceID", svc, "DesiredState", "running",
                           "Status", "State", "pending", "Err", err));
    }
    /* a running task: no reason */
    json_array_append_new(arr,
                          json_pack("{s:s, s:s, s:s, s:{s:s}}", "ID", "r",
                                    "ServiceID", "svc0", "DesiredState",
                                    "running", "Status", "State", "running"));
    struct stask_list l;
    char err[256];
    assert_int_equal(stask_parse_list(arr, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 301);
    size_t distinct = 0, none = 0;
    for (size_t i = 0; i < l.n; i++) {
        const char *e = stask_err(&l, &l.v[i]);
        if (!l.v[i].pending) {
            assert_string_equal(e, "");
            assert_int_equal(l.v[i].err, 0);
            none++;
            continue;
        }
        int k = -1;
        assert_int_equal(sscanf(e, "no suitable node (reason %d)", &k), 1);
        assert_true(k >= 0 && k < 100);
        /* the same reason, the same offset */
        for (size_t j = 0; j < i; j++)
            if (l.v[j].pending && !strcmp(stask_err(&l, &l.v[j]), e))
                assert_int_equal(l.v[j].err, l.v[i].err);
    }
    for (size_t o = 1; o < l.texts.len; o += strlen(l.texts.buf + o) + 1)
        distinct++;
    assert_int_equal(l.texts.count, 100);
    assert_null(l.texts.slots); /* the index is freed once read */
    assert_int_equal(distinct, 100);
    assert_int_equal(none, 1);
    struct stask_count c;
    stask_count(&l, "svc1", &c);
    assert_int_equal(c.pending, 100);
    assert_non_null(strstr(c.why, "reason "));
    stask_list_free(&l);
    json_decref(arr);
}

static void test_list_errors(void **state)
{
    struct stask_list l;
    char err[256];
    json_error_t je;
    (void)state;
    json_t *j = json_loads("{\"message\":\"not an array\"}", 0, &je);
    assert_int_equal(stask_parse_list(j, &l, err, sizeof err), -1);
    assert_string_equal(err, "GET /tasks: expected a JSON array");
    json_decref(j);
    j = json_loads("[{\"ID\":\"t1\",\"DesiredState\":\"running\"}]", 0, &je);
    assert_int_equal(stask_parse_list(j, &l, err, sizeof err), -1);
    assert_string_equal(err, "GET /tasks: task 0 has no ID, ServiceID or "
                             "Status");
    assert_null(l.v);
    json_decref(j);
    /* a task meant to stop is left out whatever it holds */
    parse("[{\"ID\":\"t0\",\"DesiredState\":\"shutdown\"},"
          "{\"ID\":\"t1\",\"ServiceID\":\"svca\",\"DesiredState\":"
          "\"running\",\"Status\":{\"State\":\"running\"}}]",
          &l);
    assert_int_equal(l.n, 1);
    stask_list_free(&l);
    /* an empty listing is fine */
    parse("[]", &l);
    assert_int_equal(l.n, 0);
    stask_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_shared_reasons),
        cmocka_unit_test(test_list_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
