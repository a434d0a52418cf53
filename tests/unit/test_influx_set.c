/* influx_set: the windows query (its statement, and its parsing on
 * responses recorded from influxd 1.6.7, tests/fixtures/influx, and on
 * hostile ones) and window sets (the plan, its statements, the reader of
 * their chunked replies). Against a real influxd: test_influx's live
 * group. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>

#include "buf.h"
#include "influx.h"
#include "influx_fixture.h"
#include "log.h"

/* ---- windows: one window of one field ---- */

static void test_windows_statement(void **state)
{
    (void)state;
    struct buf b;
    char err[256];
    buf_init(&b, 1 << 16);
    assert_int_equal(infl_windows_statement("cpu_ratio", 1700000000000LL,
                                            1700000600000LL, &b, err,
                                            sizeof err),
                     0);
    const char *where = " FROM \"docker\" WHERE \"service\" != '' AND time >= "
                        "1700000000000ms AND time < 1700000600000ms GROUP BY "
                        "\"service\", \"container\"";
    char want[2048];
    snprintf(want, sizeof want,
             "SELECT mean(\"cpu_ratio\"), count(\"cpu_ratio\"), "
             "max(\"cpu_ratio\")%s; "
             "SELECT first(\"cpu_ratio\")%s; SELECT last(\"cpu_ratio\")%s",
             where, where, where);
    assert_string_equal(b.ptr, want);

    const char *bad[] = {"",
                         "CPU",
                         "cpu ratio",
                         "cpu\"",
                         "x; DROP",
                         "cpu_ratio\n",
                         "ré",
                         "a1",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                         "aaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        buf_reset(&b);
        assert_int_equal(
            infl_windows_statement(bad[i], 0, 1, &b, err, sizeof err), -1);
        assert_non_null(strstr(err, "[a-z_]+"));
    }
    assert_int_equal(infl_windows_statement(NULL, 0, 1, &b, err, sizeof err),
                     -1);
    assert_int_equal(infl_windows_statement("x", 5, 5, &b, err, sizeof err),
                     -1);
    assert_int_equal(infl_windows_statement("x", -5, 5, &b, err, sizeof err),
                     -1);
    buf_cleanup(&b);
}

static void test_windows_parse_cpu(void **state)
{
    (void)state;
    json_t *root;
    char err[256];
    struct infl_agg *a;
    size_t n;
    assert_int_equal(
        parse_fixture("windows_cpu.json", 200, &root, err, sizeof err), 0);
    assert_int_equal(infl_windows_parse(root, &a, &n, err, sizeof err), 0);
    json_decref(root);
    assert_int_equal(n, 3);
    assert_string_equal(a[0].service, "k3x9q2w8e7r6t5y4u3i2o1p0a");
    assert_string_equal(a[0].container, "aaaaaaaaaaaa");
    assert_true(a[0].mean == 13.0);
    assert_int_equal(a[0].count, 6);
    assert_int_equal(a[0].first_ms, 1700000000000LL);
    assert_int_equal(a[0].last_ms, 1700000050000LL);
    assert_true(a[0].max == 15.5);
    assert_true(a[0].last == 15.5);
    assert_string_equal(a[1].container, "bbbbbbbbbbbb");
    assert_true(a[1].mean == 22.75);
    assert_true(a[1].max == 25.25);
    assert_int_equal(a[1].first_ms, 1700000000001LL);
    assert_int_equal(a[1].last_ms, 1700000050001LL);
    assert_string_equal(a[2].service, "zq8n4m2v6b1c9x7l5k3j0h2g4");
    assert_string_equal(a[2].container, "cccccccccccc");
    assert_true(fabs(a[2].mean - 0.1) < 1e-12);
    assert_int_equal(a[2].count, 3);
    assert_int_equal(a[2].first_ms, 1700000030002LL);
    assert_int_equal(a[2].last_ms, 1700000050002LL);
    /* InfluxDB's mean 0.10000000000000002 is above its max 0.1: the
     * highest point is never below the mean */
    assert_true(a[2].max == a[2].mean);
    assert_true(a[2].last == 0.1);
    free(a);
}

static void test_windows_parse_mem(void **state)
{
    (void)state;
    json_t *root;
    char err[256];
    struct infl_agg *a;
    size_t n;
    assert_int_equal(
        parse_fixture("windows_mem.json", 200, &root, err, sizeof err), 0);
    assert_int_equal(infl_windows_parse(root, &a, &n, err, sizeof err), 0);
    json_decref(root);
    assert_int_equal(n, 3);
    assert_true(a[0].mean == 1002500.0); /* JSON integer */
    assert_true(a[1].mean == 2000002.5);
    assert_true(a[2].mean == 3000004.0);
    assert_int_equal(a[2].count, 3);
    free(a);

    assert_int_equal(
        parse_fixture("windows_empty.json", 200, &root, err, sizeof err), 0);
    a = (struct infl_agg *)1;
    assert_int_equal(infl_windows_parse(root, &a, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    assert_null(a);
    json_decref(root);
}

static int parse_windows_text(const char *text, struct infl_agg **a, size_t *n)
{
    json_error_t jerr;
    char err[256];
    json_t *root = json_loads(text, 0, &jerr);
    assert_non_null(root);
    int rc = infl_windows_parse(root, a, n, err, sizeof err);
    json_decref(root);
    return rc;
}

#define SER(svc, ctr, cols, vals)                                              \
    "{\"name\":\"docker\",\"tags\":{\"service\":" svc ",\"container\":" ctr    \
    "},\"columns\":" cols ",\"values\":" vals "}"

static void test_windows_parse_hostile(void **state)
{
    (void)state;
    struct infl_agg *a;
    size_t n;
    /* Wrong number of statements. */
    assert_int_equal(parse_windows_text("{\"results\":[{},{}]}", &a, &n), -1);
    /* Recorded: max-row-limit reached exactly drops statements silently. */
    json_t *root;
    char err[256];
    assert_int_equal(parse_fixture("windows_row_limit_exact.json", 200, &root,
                                   err, sizeof err),
                     0);
    assert_int_equal(infl_windows_parse(root, &a, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "answered 1 of the 3 statements"));
    assert_non_null(strstr(err, "max-row-limit"));
    json_decref(root);
    assert_int_equal(parse_windows_text("{\"results\":{}}", &a, &n), -1);
    assert_int_equal(parse_windows_text("{}", &a, &n), -1);
    /* Garbage series are skipped, good ones kept; columns found by name;
     * a container without first/last is left out. */
    const char *text =
        "{\"results\":[{\"series\":[" SER("\"s1\"", "\"c1\"",
                                          "[\"time\",\"count\",\"mean\"]",
                                          "[[0,4,2.5]]") "," SER("\"s1\"",
                                                                 "\"c2\"", "[\"time\",\"mean\",\"count\"]", "[[0,1.5,2]]") "," SER("\"\"", "\"c3\"", "[\"time\",\"mean\",\"count\"]", "[[0,1,1]]") "," SER("\"s1\"", "\"c4\"", "[\"time\",\"mean\",\"count\"]", "[[0,\"x\",1]]") "," SER("\"s1\"", "\"c5\"", "[\"time\",\"mean\",\"count\"]", "[[0,1,-1]]") "," SER("\"s1\"",
                                                                                                                                                                                                                                                                                                                                                                    "\"c6\"", "[\"time\",\"mean\"]", "[[0,1]]") "," SER("\"s1\"",
                                                                                                                                                                                                                                                                                                                                                                                                                        "\"c7\"", "[\"time\",\"mean\",\"count\"]", "[]") "," SER("\"s1\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                 "\"c8\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                 "[\"time\",\"mean\",\"count\"]",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                 "7") "," SER("null", "\"c9\"", "[\"time\",\"mean\",\"count\"]", "[[0,1,1]]") "," SER("\"svc-name-far-too-long-for-a-swarm-id-and-then-some-more-text-"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                      "abcdefgh\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                      "\"c10\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                      "[\"time\",\"mean\",\"count\"]", "[[0,1,1]]") "," SER("\"s1\"", "\"container-id-too-long\"", "[\"time\",\"mean\",\"count\"]", "[[0,1,1]]") "," SER("\"s0\"", "\"c0\"", "[\"time\",\"mean\",\"count\"]", "[[0,9,1]]") ","
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "42, null, {\"tags\":5}"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "]},{\"series\":[" SER("\"s1\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                  "\"c1\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                  "[\"time\",\"first\"]",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                  "[[100,1]]") "," SER("\"s1\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                       "\"c2\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                       "[\"first\",\"time\"]",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                       "[[1,101.0]]") "," SER("\"s0\"", "\"c0\"", "[\"time\",\"first\"]",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                              "[[\"x\",1]]") "," SER("\"s9\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                     "\"c9\"", "[\"time\",\"first\"]",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                     "[[5,1]]") ","
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                "{\"tags\":{}}"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                "]},{\"series\":[" SER(
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                    "\"s1\"", "\"c1\"", "[\"time\",\"last\"]", "[[200,1]]") "," SER("\"s1\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                    "\"c2\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                    "[\"time\",\"last\"]",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                    "[[201,1]]") "," SER("\"s0\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                         "\"c0\"",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                         "[\"time\",\"last\"]",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                         "[[202,1]]") "]}]}";
    assert_int_equal(parse_windows_text(text, &a, &n), 0);
    /* two usable rows, then one row per unusable series whose service can
     * be told (c3, c9 and c10 can't: no service, or one too long) */
    assert_int_equal(n, 9);
    static const struct {
        const char *service, *container;
        int bad;
    } bad[] = {
        {"s1", "c4", WIN_BAD_VALUE}, {"s1", "c5", WIN_BAD_VALUE},
        {"s1", "c6", WIN_BAD_VALUE}, {"s1", "c7", WIN_BAD_VALUE},
        {"s1", "c8", WIN_BAD_VALUE}, {"s1", "", WIN_BAD_KEY},
        {"s0", "c0", WIN_BAD_TIMES},
    };
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(a[2 + i].service, bad[i].service);
        assert_string_equal(a[2 + i].container, bad[i].container);
        assert_int_equal(a[2 + i].bad, bad[i].bad);
        assert_int_equal(a[2 + i].count, 0);
    }
    assert_int_equal(a[0].bad, WIN_OK);
    assert_int_equal(a[1].bad, WIN_OK);
    assert_string_equal(a[0].container, "c1");
    assert_true(a[0].mean == 2.5);
    assert_int_equal(a[0].count, 4);
    assert_int_equal(a[0].first_ms, 100);
    assert_int_equal(a[0].last_ms, 200);
    assert_string_equal(a[1].container, "c2");
    assert_int_equal(a[1].first_ms, 101);
    assert_int_equal(a[1].last_ms, 201);
    free(a);
    /* Statements that aren't objects, series that aren't arrays. */
    assert_int_equal(parse_windows_text("{\"results\":[1,\"x\",null]}", &a, &n),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(
        parse_windows_text("{\"results\":[{\"series\":{}},{},{}]}", &a, &n), 0);
    assert_int_equal(n, 0);
}

/* ---- window sets ---- */

static void test_set_plan(void **state)
{
    (void)state;
    struct infl_set_plan p;
    char err[256];
    const int64_t d[] = {600000, 120000, 600000, 300000, 30000, 3600000};
    assert_int_equal(
        infl_set_plan("cpu_ratio", d, 6, 1000000000, &p, err, sizeof err), 0);
    assert_int_equal(p.k, 5); /* the duplicate 10m once */
    assert_int_equal(p.dur_ms[0], 30000);
    assert_int_equal(p.dur_ms[4], 3600000);
    /* 30s, 2m, 5m (10 buckets of 30 s); 10m would be 20: a group of its
     * own with 1h (6 buckets of 10m) */
    assert_int_equal(p.ngroups, 2);
    assert_int_equal(p.groups[0].bucket_ms, 30000);
    assert_int_equal(p.groups[0].lo, 0);
    assert_int_equal(p.groups[0].hi, 3);
    assert_int_equal(p.groups[1].bucket_ms, 600000);
    assert_int_equal(p.groups[1].hi, 5);
    assert_int_equal(infl_set_nstatements(&p), 2 + 1 + 5);

    assert_int_equal(
        infl_set_plan("cpu ratio", d, 1, 1000000000, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "[a-z_]+"));
    const int64_t zero[] = {0};
    assert_int_equal(
        infl_set_plan("cpu_ratio", zero, 1, 1000000000, &p, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "bad window length 0 ms"));
    assert_int_equal(
        infl_set_plan("cpu_ratio", d, 0, 1000000000, &p, err, sizeof err), -1);
    int64_t many[INFL_SET_MAX_DURS + 1];
    for (int i = 0; i <= INFL_SET_MAX_DURS; i++)
        many[i] = 1000 * (i + 1);
    assert_int_equal(infl_set_plan("cpu_ratio", many, INFL_SET_MAX_DURS + 1,
                                   1000000000, &p, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "more than 16 window lengths"));
}

static void test_set_statements(void **state)
{
    (void)state;
    struct infl_set_plan p;
    char err[256];
    const int64_t d[] = {600000, 120000};
    struct buf b;
    assert_int_equal(
        infl_set_plan("cpu_ratio", d, 2, 1700000012345, &p, err, sizeof err),
        0);
    assert_int_equal(infl_set_nstatements(&p), 4);
    buf_init(&b, 4096);
    /* buckets of 2m from now − 10m = 1699999412345 ms: offset 92345 ms */
    assert_int_equal(infl_set_statement(&p, 0, &b, err, sizeof err), 0);
    assert_string_equal(
        b.ptr, "SELECT count(\"cpu_ratio\"), sum(\"cpu_ratio\"), "
               "max(\"cpu_ratio\") FROM \"docker\" WHERE \"service\" != '' AND "
               "time >= 1699999412345ms AND time < 1700000012346ms GROUP BY "
               "time(120000ms, 92345ms), \"service\", \"container\" "
               "fill(none)");
    buf_reset(&b);
    assert_int_equal(infl_set_statement(&p, 1, &b, err, sizeof err), 0);
    assert_string_equal(b.ptr,
                        "SELECT last(\"cpu_ratio\") FROM \"docker\" WHERE "
                        "\"service\" != '' AND time >= 1699999412345ms AND "
                        "time < 1700000012346ms GROUP BY \"service\", "
                        "\"container\"");
    buf_reset(&b);
    assert_int_equal(infl_set_statement(&p, 2, &b, err, sizeof err), 0);
    assert_string_equal(b.ptr,
                        "SELECT first(\"cpu_ratio\") FROM \"docker\" WHERE "
                        "\"service\" != '' AND time >= 1699999892345ms AND "
                        "time < 1700000012346ms GROUP BY \"service\", "
                        "\"container\"");
    buf_reset(&b);
    assert_int_equal(infl_set_statement(&p, 3, &b, err, sizeof err), 0);
    assert_non_null(strstr(b.ptr, "first(\"cpu_ratio\")"));
    assert_non_null(strstr(b.ptr, "time >= 1699999412345ms"));
    buf_reset(&b);
    assert_int_equal(infl_set_statement(&p, 4, &b, err, sizeof err), -1);
    buf_cleanup(&b);
}

/* A plan of 2m and 10m at NOW: buckets of 2m from NOW − 10m. */
#define SET_NOW 1700000600000LL
#define B0 "1699999999999"  /* never a bucket start: only for bad cases */
#define T10 "1700000000000" /* NOW − 10m: bucket 0 */
#define T2 "1700000480000"  /* NOW − 2m: bucket 4 */

static void set_plan_2_10(struct infl_set_plan *p)
{
    char err[256];
    const int64_t d[] = {120000, 600000};
    assert_int_equal(
        infl_set_plan("cpu_ratio", d, 2, SET_NOW, p, err, sizeof err), 0);
    assert_int_equal(infl_set_nstatements(p), 4);
}

/* The chunks InfluxDB sends: statement 0 in two chunks (the second
 * continuing a series), the others whole. */
static const char set_reply[] =
    "{\"results\":[{\"statement_id\":0,\"series\":["
    "{\"name\":\"docker\",\"tags\":{\"container\":\"aaaaaaaaaaaa\","
    "\"service\":\"s1\"},\"columns\":[\"time\",\"count\",\"sum\",\"max\"],"
    "\"values\":[[" T10 ",12,120,15],[" T2 ",3,90,40]],\"partial\":true}],"
    "\"partial\":true}]}\n"
    "{\"results\":[{\"statement_id\":0,\"series\":["
    "{\"name\":\"docker\",\"tags\":{\"container\":\"aaaaaaaaaaaa\","
    "\"service\":\"s1\"},\"columns\":[\"time\",\"count\",\"sum\",\"max\"],"
    "\"values\":[[1700000600000,1,5,5]]},"
    "{\"name\":\"docker\",\"tags\":{\"container\":\"bbbbbbbbbbbb\","
    "\"service\":\"s1\"},\"columns\":[\"time\",\"count\",\"sum\",\"max\"],"
    "\"values\":[[" T10 ",6,60,11]]},"
    "{\"name\":\"docker\",\"tags\":{\"container\":\"way-too-long-to-be-an-id\","
    "\"service\":\"s2\"},\"columns\":[\"time\",\"count\",\"sum\",\"max\"],"
    "\"values\":[[" T10 ",6,60,11]]},"
    "{\"name\":\"docker\",\"tags\":{\"container\":\"cccccccccccc\","
    "\"service\":\"s2\"},\"columns\":[\"time\",\"count\",\"sum\",\"max\"],"
    "\"values\":[[" T2 ",null,null,null]]},"
    "{\"name\":\"docker\",\"tags\":{\"container\":\"dddddddddddd\","
    "\"service\":\"s3\"},\"columns\":[\"time\",\"count\",\"sum\",\"max\"],"
    "\"values\":[[" T2 ",2,2,1]]}]}]}\n"
    "{\"results\":[{\"statement_id\":1,\"series\":["
    "{\"name\":\"docker\",\"tags\":{\"container\":\"aaaaaaaaaaaa\","
    "\"service\":\"s1\"},\"columns\":[\"time\",\"last\"],"
    "\"values\":[[1700000600000,5]]},"
    "{\"name\":\"docker\",\"tags\":{\"container\":\"bbbbbbbbbbbb\","
    "\"service\":\"s1\"},\"columns\":[\"time\",\"last\"],"
    "\"values\":[[1700000110000,10]]},"
    "{\"name\":\"docker\",\"tags\":{\"container\":\"dddddddddddd\","
    "\"service\":\"s3\"},\"columns\":[\"time\",\"last\"],"
    "\"values\":[[1700000590000,1]]}]}]}\n"
    "{\"results\":[{\"statement_id\":2,\"series\":["
    "{\"name\":\"docker\",\"tags\":{\"container\":\"aaaaaaaaaaaa\","
    "\"service\":\"s1\"},\"columns\":[\"time\",\"first\"],"
    "\"values\":[[1700000481000,30]]}]}]}\n"
    "{\"results\":[{\"statement_id\":3,\"series\":["
    "{\"name\":\"docker\",\"tags\":{\"container\":\"aaaaaaaaaaaa\","
    "\"service\":\"s1\"},\"columns\":[\"time\",\"first\"],"
    "\"values\":[[1700000001000,10]]},"
    "{\"name\":\"docker\",\"tags\":{\"container\":\"bbbbbbbbbbbb\","
    "\"service\":\"s1\"},\"columns\":[\"time\",\"first\"],"
    "\"values\":[[1700000002000,10]]}]}]}\n";

static void check_set_reply(struct infl_agg **o, size_t *n)
{
    /* 2m: s1/aaaa (buckets 4 and 5: 4 points, 95 → mean 23.75, max
     * 40); dddd has no first in 2m: its times unknown; cccc's bucket has
     * no numbers */
    assert_int_equal(n[0], 3);
    assert_string_equal(o[0][0].service, "s1");
    assert_string_equal(o[0][0].container, "aaaaaaaaaaaa");
    assert_int_equal(o[0][0].count, 4);
    assert_true(o[0][0].mean == 23.75);
    assert_true(o[0][0].max == 40);
    assert_int_equal(o[0][0].first_ms, 1700000481000);
    assert_int_equal(o[0][0].last_ms, 1700000600000);
    assert_true(o[0][0].last == 5);
    assert_int_equal(o[0][0].bad, WIN_OK);
    /* the unusable after the usable */
    assert_int_equal(o[0][1].bad + o[0][2].bad, WIN_BAD_VALUE + WIN_BAD_TIMES);
    /* 10m: aaaa (16 points, 215), bbbb (6, 60), then bad ones: cccc
     * (value), dddd (times: no first in 10m either), s2's long tag (key) */
    assert_int_equal(n[1], 5);
    assert_string_equal(o[1][0].container, "aaaaaaaaaaaa");
    assert_int_equal(o[1][0].count, 16);
    assert_true(o[1][0].mean == 215.0 / 16);
    assert_true(o[1][0].max == 40);
    assert_int_equal(o[1][0].first_ms, 1700000001000);
    assert_string_equal(o[1][1].container, "bbbbbbbbbbbb");
    assert_int_equal(o[1][1].count, 6);
    assert_true(o[1][1].mean == 10 && o[1][1].max == 11);
    assert_int_equal(o[1][1].last_ms, 1700000110000);
    int kinds = 0;
    for (size_t i = 2; i < 5; i++) {
        kinds |= 1 << o[1][i].bad;
        if (o[1][i].bad == WIN_BAD_KEY) {
            assert_string_equal(o[1][i].service, "s2");
            assert_string_equal(o[1][i].container, "");
        }
    }
    assert_int_equal(kinds, (1 << WIN_BAD_KEY) | (1 << WIN_BAD_VALUE) |
                                (1 << WIN_BAD_TIMES));
}

static void test_set_parse(void **state)
{
    (void)state;
    struct infl_set_plan p;
    struct infl_agg *o[INFL_SET_MAX_DURS];
    size_t n[INFL_SET_MAX_DURS];
    unsigned long unusable = 0;
    char err[256];
    set_plan_2_10(&p);
    assert_int_equal(infl_set_parse(&p, set_reply, strlen(set_reply), o, n,
                                    &unusable, err, sizeof err),
                     0);
    check_set_reply(o, n);
    assert_int_equal(unusable, 2 + 3);
    free(o[0]);
    free(o[1]);

    /* a reply naming more series than the plan reads fails and says so */
    assert_int_equal(p.max_series, infl_set_max_series(p.k));
    assert_true(infl_set_max_series(2) > 200000); /* twice 100,000 */
    assert_true(infl_set_max_series(1) > infl_set_max_series(2));
    p.max_series = 2;
    assert_int_equal(infl_set_parse(&p, set_reply, strlen(set_reply), o, n,
                                    &unusable, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "the reply names more than 2 (service, "
                                "container) series; das reads at most that "
                                "many for 2 window lengths (96 MiB) to stay "
                                "within its memory"));
    p.max_series = infl_set_max_series(p.k);

    /* the same reply in pieces of 7 bytes, and without the last newline */
    struct infl_set_reader *r = infl_set_reader_new(&p, 0);
    size_t len = strlen(set_reply) - 1;
    for (size_t i = 0; i < len; i += 7)
        assert_int_equal(infl_set_reader_feed(r, 0, set_reply + i,
                                              len - i < 7 ? len - i : 7),
                         0);
    assert_int_equal(infl_set_reader_end(r, 0), 0);
    assert_int_equal(infl_set_reader_answered(r), 4);
    assert_int_equal(infl_set_reader_result(r, o, n, NULL, err, sizeof err), 0);
    check_set_reply(o, n);
    free(o[0]);
    free(o[1]);
    infl_set_reader_free(r);
}

/* Series whose service tag can't name a row (longer than 63 bytes, none)
 * are counted unusable in each window their buckets reach, one per tag,
 * never a row (the reader dropped them uncounted). */
#define LONGSVC                                                                \
    "svc-name-far-too-long-for-a-swarm-id-and-then-some-more-text-xxxxxxxxxx"
static void test_set_parse_untold_service(void **state)
{
    (void)state;
    static const char reply[] =
        "{\"results\":[{\"statement_id\":0,\"series\":["
        "{\"name\":\"docker\",\"tags\":{\"container\":\"aaaaaaaaaaaa\","
        "\"service\":\"s1\"},\"columns\":[\"time\",\"count\",\"sum\",\"max\"],"
        "\"values\":[[" T2 ",2,20,10]]},"
        "{\"name\":\"docker\",\"tags\":{\"container\":\"abc\","
        "\"service\":\"" LONGSVC "\"},"
        "\"columns\":[\"time\",\"count\",\"sum\",\"max\"],"
        "\"values\":[[" T10 ",1,90,90],[" T2 ",1,90,90]]},"
        "{\"name\":\"docker\",\"tags\":{\"container\":\"abc\","
        "\"service\":\"" LONGSVC "y\"},"
        "\"columns\":[\"time\",\"count\",\"sum\",\"max\"],"
        "\"values\":[[" T10 ",1,90,90]]}]}]}\n"
        "{\"results\":[{\"statement_id\":1,\"series\":["
        "{\"name\":\"docker\",\"tags\":{\"container\":\"aaaaaaaaaaaa\","
        "\"service\":\"s1\"},\"columns\":[\"time\",\"last\"],"
        "\"values\":[[1700000590000,10]]}]}]}\n"
        "{\"results\":[{\"statement_id\":2,\"series\":["
        "{\"name\":\"docker\",\"tags\":{\"container\":\"aaaaaaaaaaaa\","
        "\"service\":\"s1\"},\"columns\":[\"time\",\"first\"],"
        "\"values\":[[1700000481000,10]]}]}]}\n"
        "{\"results\":[{\"statement_id\":3,\"series\":["
        "{\"name\":\"docker\",\"tags\":{\"container\":\"aaaaaaaaaaaa\","
        "\"service\":\"s1\"},\"columns\":[\"time\",\"first\"],"
        "\"values\":[[1700000481000,10]]}]}]}\n";
    struct infl_set_plan p;
    struct infl_agg *o[INFL_SET_MAX_DURS];
    size_t n[INFL_SET_MAX_DURS];
    unsigned long unusable = 0;
    char err[256];
    set_plan_2_10(&p);
    assert_int_equal(infl_set_parse(&p, reply, strlen(reply), o, n, &unusable,
                                    err, sizeof err),
                     0);
    /* 2m: s1's row; the first long tag (its bucket at NOW − 2m): 1 */
    assert_int_equal(n[0], 1);
    assert_string_equal(o[0][0].service, "s1");
    /* 10m: s1's row; both long tags: 2 */
    assert_int_equal(n[1], 1);
    assert_string_equal(o[1][0].service, "s1");
    assert_int_equal(unusable, 3);
    free(o[0]);
    free(o[1]);
}

/* One container in two series: its 12-character id (ds) and its 64-hex id
 * (another collector). One record: the counts add up, the latest last
 * point and the earliest first point win, whichever series comes first. */
#define ID64 "aaaaaaaaaaaa0123456789abcdef0123456789abcdef0123456789abcdef"
static void test_set_parse_two_ids(void **state)
{
    (void)state;
    static const char reply[] =
        "{\"results\":[{\"statement_id\":0,\"series\":["
        "{\"name\":\"docker\",\"tags\":{\"container\":\"aaaaaaaaaaaa\","
        "\"service\":\"s1\"},\"columns\":[\"time\",\"count\",\"sum\",\"max\"],"
        "\"values\":[[" T2 ",2,20,12]]},"
        "{\"name\":\"docker\",\"tags\":{\"container\":\"" ID64 "\","
        "\"service\":\"s1\"},\"columns\":[\"time\",\"count\",\"sum\",\"max\"],"
        "\"values\":[[" T2 ",2,60,31]]}]}]}\n"
        "{\"results\":[{\"statement_id\":1,\"series\":["
        "{\"name\":\"docker\",\"tags\":{\"container\":\"aaaaaaaaaaaa\","
        "\"service\":\"s1\"},\"columns\":[\"time\",\"last\"],"
        "\"values\":[[1700000600000,7]]},"
        "{\"name\":\"docker\",\"tags\":{\"container\":\"" ID64 "\","
        "\"service\":\"s1\"},\"columns\":[\"time\",\"last\"],"
        "\"values\":[[1700000590000,9]]}]}]}\n"
        "{\"results\":[{\"statement_id\":2,\"series\":["
        "{\"name\":\"docker\",\"tags\":{\"container\":\"aaaaaaaaaaaa\","
        "\"service\":\"s1\"},\"columns\":[\"time\",\"first\"],"
        "\"values\":[[1700000485000,1]]},"
        "{\"name\":\"docker\",\"tags\":{\"container\":\"" ID64 "\","
        "\"service\":\"s1\"},\"columns\":[\"time\",\"first\"],"
        "\"values\":[[1700000482000,2]]}]}]}\n"
        "{\"results\":[{\"statement_id\":3,\"series\":["
        "{\"name\":\"docker\",\"tags\":{\"container\":\"" ID64 "\","
        "\"service\":\"s1\"},\"columns\":[\"time\",\"first\"],"
        "\"values\":[[1700000482000,2]]}]}]}\n";
    struct infl_set_plan p;
    struct infl_agg *o[INFL_SET_MAX_DURS];
    size_t n[INFL_SET_MAX_DURS];
    unsigned long unusable = 0;
    char err[256];
    set_plan_2_10(&p);
    assert_int_equal(infl_set_parse(&p, reply, strlen(reply), o, n, &unusable,
                                    err, sizeof err),
                     0);
    assert_int_equal(n[0], 1);
    assert_string_equal(o[0][0].container, "aaaaaaaaaaaa");
    assert_int_equal(o[0][0].bad, WIN_OK);
    assert_int_equal(o[0][0].count, 4);
    assert_true(o[0][0].mean == 20);
    assert_true(o[0][0].max == 31);
    assert_int_equal(o[0][0].first_ms, 1700000482000);
    assert_int_equal(o[0][0].last_ms, 1700000600000);
    assert_true(o[0][0].last == 7);
    /* 10m: the same record, its first from the 64-hex series alone */
    assert_int_equal(n[1], 1);
    assert_int_equal(o[1][0].bad, WIN_OK);
    assert_int_equal(o[1][0].first_ms, 1700000482000);
    assert_int_equal(unusable, 0);
    free(o[0]);
    free(o[1]);
}

/* One statement per request: each reply's statement_id 0 is statement
 * `base`. */
static void test_set_parse_single(void **state)
{
    (void)state;
    struct infl_set_plan p;
    struct infl_agg *o[INFL_SET_MAX_DURS];
    size_t n[INFL_SET_MAX_DURS];
    char err[256];
    const char *line[5];
    size_t len[5], k = 0;
    set_plan_2_10(&p);
    for (const char *s = set_reply; *s; k++) {
        const char *nl = strchr(s, '\n');
        assert_true(k < 5);
        line[k] = s;
        len[k] = (size_t)(nl - s) + 1;
        s = nl + 1;
    }
    /* 5 lines: statement 0 in two chunks, then 1, 2 and 3 */
    assert_int_equal(k, 5);
    struct infl_set_reader *r = infl_set_reader_new(&p, 0);
    assert_int_equal(infl_set_reader_feed(r, 0, line[0], len[0] + len[1]), 0);
    assert_int_equal(infl_set_reader_end(r, 0), 0);
    for (size_t st = 1; st < 4; st++) {
        /* statement st sent alone: its answer's id is 0 */
        char *one = strndup(line[st + 1], len[st + 1]);
        char *id = strstr(one, "\"statement_id\":");
        id[15] = '0';
        assert_int_equal(infl_set_reader_feed(r, st, one, len[st + 1]), 0);
        assert_int_equal(infl_set_reader_end(r, st), 0);
        free(one);
    }
    assert_int_equal(infl_set_reader_result(r, o, n, NULL, err, sizeof err), 0);
    check_set_reply(o, n);
    free(o[0]);
    free(o[1]);
    infl_set_reader_free(r);
}

static void expect_set_error(const char *body, size_t max_line,
                             const char *want)
{
    struct infl_set_plan p;
    struct infl_agg *o[INFL_SET_MAX_DURS];
    size_t n[INFL_SET_MAX_DURS];
    char err[512];
    set_plan_2_10(&p);
    struct infl_set_reader *r = infl_set_reader_new(&p, max_line);
    if (infl_set_reader_feed(r, 0, body, strlen(body)) == 0)
        (void)infl_set_reader_end(r, 0);
    if (infl_set_reader_result(r, o, n, NULL, err, sizeof err) == 0)
        fail_msg("no error for %.80s", body);
    assert_null(o[0]);
    assert_null(o[1]);
    if (!strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
    infl_set_reader_free(r);
}

static void test_set_errors(void **state)
{
    (void)state;
    /* statements 2 and 3 never answered */
    expect_set_error(
        "{\"results\":[{\"statement_id\":0},{\"statement_id\":1}]}", 0,
        "answered 2 of the 4 statements");
    /* a statement left "partial" (no chunk after it) */
    expect_set_error("{\"results\":[{\"statement_id\":0},{\"statement_id\":1},"
                     "{\"statement_id\":2},{\"statement_id\":3,"
                     "\"partial\":true}]}",
                     0, "statement 3: result cut short");
    expect_set_error("{\"results\":[{\"statement_id\":1,\"error\":\"database "
                     "not found: x\"}]}",
                     0, "statement 1: database not found: x");
    expect_set_error("{\"error\":\"error parsing query: bad\"}", 0,
                     "error parsing query: bad");
    expect_set_error("{\"results\":[{\"statement_id\":9}]}", 0,
                     "without a statement_id of the 4 statements");
    expect_set_error("{\"results\":[{\"statement_id\":0}]}\n{not json", 0,
                     "bad JSON from InfluxDB");
    expect_set_error("[1, 2]", 0, "bad JSON from InfluxDB: not an object");
    /* a line that does not end within the reader's bound */
    expect_set_error("{\"results\":[{\"statement_id\":0}]}\n"
                     "{\"results\":[{\"statement_id\":1}]}",
                     20,
                     "a line of InfluxDB's reply is over 20 bytes: das "
                     "parses a line whole (about 10 times its size in "
                     "memory) and stops there to stay within its memory");
    /* a bucket that does not start on NOW − 10m + n × 2m */
    expect_set_error(
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"docker\","
        "\"tags\":{\"container\":\"aaaaaaaaaaaa\",\"service\":\"s1\"},"
        "\"columns\":[\"time\",\"count\",\"sum\",\"max\"],"
        "\"values\":[[" B0 ",1,1,1]]}]}]}",
        0, "is not one of");
    expect_set_error(
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"docker\","
        "\"tags\":{\"container\":\"aaaaaaaaaaaa\",\"service\":\"s1\"},"
        "\"columns\":[\"time\",\"mean\"],\"values\":[[" T10 ",1]]}]}]}",
        0, "columns time, count and sum expected");
}

/* Another collector's full 64-hex container id is the short id ds writes
 * (it used to be dropped without a word: issue 9). */
static void test_windows_parse_full_id(void **state)
{
    (void)state;
    const char *full =
        "0123456789ab0123456789abcdef0123456789abcdef0123456789abcdef0123";
    char text[2048];
    snprintf(text, sizeof text,
             "{\"results\":[{\"series\":[{\"tags\":{\"service\":\"s1\","
             "\"container\":\"%s\"},\"columns\":[\"time\",\"mean\","
             "\"count\",\"max\"],\"values\":[[0,40,3,50]]}]},"
             "{\"series\":[{\"tags\":{\"service\":\"s1\",\"container\":"
             "\"%s\"},\"columns\":[\"time\",\"first\"],\"values\":[[1000,"
             "30]]}]},{\"series\":[{\"tags\":{\"service\":\"s1\","
             "\"container\":\"%s\"},\"columns\":[\"time\",\"last\"],"
             "\"values\":[[3000,50]]}]}]}",
             full, full, full);
    struct infl_agg *a;
    size_t n;
    assert_int_equal(parse_windows_text(text, &a, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(a[0].container, "0123456789ab");
    assert_int_equal(a[0].first_ms, 1000);
    assert_int_equal(a[0].last_ms, 3000);
    assert_true(a[0].max == 50);
    free(a);
    /* 65 characters, or not hex: not an id; left out as before */
    char bad[80];
    snprintf(bad, sizeof bad, "%s4", full);
    snprintf(text, sizeof text,
             "{\"results\":[{\"series\":[{\"tags\":{\"service\":\"s1\","
             "\"container\":\"%s\"},\"columns\":[\"time\",\"mean\","
             "\"count\"],\"values\":[[0,40,3]]}]},{},{}]}",
             bad);
    json_error_t jerr;
    char err[256];
    unsigned long unusable = 7;
    json_t *root = json_loads(text, 0, &jerr);
    assert_int_equal(
        infl_windows_parse_count(root, &a, &n, &unusable, err, sizeof err), 0);
    assert_int_equal(unusable, 8); /* counted, added to what was there */
    /* and handed on as an empty row of its service, so its policy says so */
    assert_int_equal(n, 1);
    assert_string_equal(a[0].service, "s1");
    assert_int_equal(a[0].bad, WIN_BAD_KEY);
    assert_int_equal(a[0].count, 0);
    json_decref(root);
    free(a);
    /* a container without its last point is counted too */
    snprintf(text, sizeof text,
             "{\"results\":[{\"series\":[{\"tags\":{\"service\":\"s1\","
             "\"container\":\"c1\"},\"columns\":[\"time\",\"mean\","
             "\"count\"],\"values\":[[0,40,3]]},{\"tags\":{\"service\":"
             "\"s1\",\"container\":\"c2\"},\"columns\":[\"time\",\"mean\","
             "\"count\"],\"values\":[[0,1,1]]}]},{\"series\":[{\"tags\":"
             "{\"service\":\"s1\",\"container\":\"c1\"},\"columns\":["
             "\"time\",\"first\"],\"values\":[[1,1]]},{\"tags\":{"
             "\"service\":\"s1\",\"container\":\"c2\"},\"columns\":["
             "\"time\",\"first\"],\"values\":[[1,1]]}]},{\"series\":[{"
             "\"tags\":{\"service\":\"s1\",\"container\":\"c1\"},"
             "\"columns\":[\"time\",\"last\"],\"values\":[[2,1]]}]}]}");
    root = json_loads(text, 0, &jerr);
    unusable = 0;
    assert_int_equal(
        infl_windows_parse_count(root, &a, &n, &unusable, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(a[0].container, "c1");
    assert_int_equal(a[0].bad, WIN_OK);
    assert_string_equal(a[1].container, "c2");
    assert_int_equal(a[1].bad, WIN_BAD_TIMES);
    assert_int_equal(unusable, 1);
    json_decref(root);
    free(a);
}

int main(void)
{
    log_setup("test", LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_plan),
        cmocka_unit_test(test_set_statements),
        cmocka_unit_test(test_set_parse),
        cmocka_unit_test(test_set_parse_untold_service),
        cmocka_unit_test(test_set_parse_two_ids),
        cmocka_unit_test(test_set_parse_single),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_windows_statement),
        cmocka_unit_test(test_windows_parse_cpu),
        cmocka_unit_test(test_windows_parse_mem),
        cmocka_unit_test(test_windows_parse_hostile),
        cmocka_unit_test(test_windows_parse_full_id),
    };
    return cmocka_run_group_tests_name("influx_set", tests, NULL, NULL);
}
