/* Policy rows: parsing and validation (policy.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define assert_contains(hay, needle)                                           \
    do {                                                                       \
        if (!strstr((hay), (needle)))                                          \
            fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));       \
    } while (0)

/* A valid row; each test breaks one column. */
static struct pol_row good_row(void)
{
    struct pol_row r = {
        {"3", "2", "10", "4", "cpu_ratio", "70%", "10%", "10m", "5m", "web"}};
    return r;
}

/* Parses r, which must fail with exactly want (or, if prefix, a message
 * starting with want). */
static void expect_fail(struct pol_row r, const char *want, bool prefix)
{
    struct policy p;
    char err[512] = "";
    if (pol_parse(&r, &p, err, sizeof err) != -1)
        fail_msg("row accepted; expected: %s", want);
    if (prefix ? strncmp(err, want, strlen(want)) != 0 : strcmp(err, want) != 0)
        fail_msg("\n got  %s\n want %s%s", err, want, prefix ? "..." : "");
    /* every message is one printable line */
    for (const char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
            fail_msg("control byte 0x%02x in message %s", *c, err);
}

static void test_col_names(void **state)
{
    static const char *const want[POL_NCOLS] = {
        "seq",         "min_no",     "max_no",     "cur_no",
        "cond_item",   "out_cond",   "in_cond",    "out_duration",
        "in_duration", "service_id", "scale_mode", "warmup",
        "metrics",     "idle_for",   "wake_no",    "schedule"};
    (void)state;
    for (int i = 0; i < POL_NCOLS; i++)
        assert_string_equal(pol_col_names[i], want[i]);
}

/* The optional columns: absent (NULL) is the default; the seed's rows
 * never name them. */
static void test_optional_columns(void **state)
{
    struct pol_row r = good_row();
    struct policy p;
    char err[512];
    (void)state;
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
    assert_int_equal(p.mode, POL_MODE_AUTO);
    assert_int_equal(p.warmup_ms, POL_WARMUP_DEFAULT_MS);
    r.col[POL_SCALE_MODE] = "step";
    r.col[POL_WARMUP] = "1m30s";
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
    assert_int_equal(p.mode, POL_MODE_STEP);
    assert_int_equal(p.warmup_ms, 90000);
    r.col[POL_SCALE_MODE] = "auto";
    r.col[POL_WARMUP] = "0s";
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
    assert_int_equal(p.mode, POL_MODE_AUTO);
    assert_int_equal(p.warmup_ms, 0);
    r.col[POL_SCALE_MODE] = "band";
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
    assert_int_equal(p.mode, POL_MODE_BAND);
    /* the seed's columns come first and only the new ones are optional */
    for (int c = 0; c < POL_NCOLS; c++)
        assert_int_equal(pol_col_optional[c], c >= POL_SEED_NCOLS);
    assert_string_equal(pol_col_types[POL_SEQ], "int primary key");
    assert_string_equal(pol_col_types[POL_WARMUP], "TEXT");
}

static void test_optional_columns_bad(void **state)
{
    struct pol_row r = good_row();
    (void)state;
    r.col[POL_SCALE_MODE] = "Step";
    expect_fail(r,
                "policy seq=3: scale_mode \"Step\": unknown; use auto "
                "(sized to the load, the default), band (auto, but "
                "scaling in only below in_cond) or step (+1/-1 per action)",
                false);
    r.col[POL_SCALE_MODE] = NULL;
    r.col[POL_WARMUP] = "30";
    expect_fail(r,
                "policy seq=3: warmup \"30\": a bare number is not a "
                "duration; use 30s, 10m, 1h30m or 2d",
                false);
    r.col[POL_WARMUP] = "2h";
    expect_fail(r,
                "policy seq=3: warmup \"2h\": longer than 1h; use 0s to "
                "1h",
                false);
}

static void test_metric_table(void **state)
{
    static const struct {
        const char *field;
        enum unit_kind kind;
    } want[] = {
        {"cpu_ratio", UNIT_RATIO},     {"cpu_limit_ratio", UNIT_RATIO},
        {"mem_ratio", UNIT_RATIO},     {"mem_usage", UNIT_BYTES},
        {"mem_limit", UNIT_BYTES},     {"net_read", UNIT_BYTES},
        {"net_write", UNIT_BYTES},     {"blk_read", UNIT_BYTES},
        {"blk_write", UNIT_BYTES},     {"net_read_rate", UNIT_RATE},
        {"net_write_rate", UNIT_RATE}, {"blk_read_rate", UNIT_RATE},
        {"blk_write_rate", UNIT_RATE}, {"pids", UNIT_COUNT},
    };
    (void)state;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct pol_metric *m = pol_metric_find(want[i].field);
        if (!m)
            fail_msg("%s missing", want[i].field);
        assert_string_equal(m->field, want[i].field);
        assert_int_equal(m->kind, want[i].kind);
        assert_contains(pol_metric_list(), want[i].field);
    }
    assert_null(pol_metric_find("cpu"));
    assert_null(pol_metric_find("CPU_RATIO"));
    assert_null(pol_metric_find(""));
    assert_null(pol_metric_find(NULL));
    assert_null(pol_metric_find("cpu_ratio "));
    assert_string_equal(pol_metric_list(),
                        "cpu_ratio, cpu_limit_ratio, mem_usage, mem_limit, "
                        "mem_ratio, net_read, net_write, blk_read, "
                        "blk_write, net_read_rate, net_write_rate, "
                        "blk_read_rate, blk_write_rate, pids");
}

static void test_parse_valid(void **state)
{
    struct pol_row r = good_row();
    struct policy p;
    char err[512] = "";
    (void)state;
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
    assert_int_equal(p.seq, 3);
    assert_int_equal(p.min_no, 2);
    assert_int_equal(p.max_no, 10);
    assert_int_equal(p.cur_no, 4);
    assert_string_equal(p.metric->field, "cpu_ratio");
    assert_true(p.out_cond == 70.0);
    assert_true(p.in_cond == 10.0);
    assert_int_equal(p.out_ms, 600000);
    assert_int_equal(p.in_ms, 300000);
    assert_string_equal(p.service_id, "web");
}

static void test_parse_valid_units(void **state)
{
    struct policy p;
    char err[512] = "";
    (void)state;

    struct pol_row mem = {{"1", "1", "1", NULL, "mem_usage", "512MiB", "1GB",
                           "1h30m", "2d", "8e1c6g3kz1q2x0y9w8v7u6t5"}};
    /* 1GB (1e9) is above 512MiB (536870912): inverted */
    assert_int_equal(pol_parse(&mem, &p, err, sizeof err), -1);
    mem.col[POL_OUT_COND] = "1GB";
    mem.col[POL_IN_COND] = "512MiB";
    assert_int_equal(pol_parse(&mem, &p, err, sizeof err), 0);
    assert_true(p.out_cond == 1e9);
    assert_true(p.in_cond == 536870912.0);
    assert_int_equal(p.cur_no, -1); /* NULL */
    assert_int_equal(p.min_no, 1);
    assert_int_equal(p.max_no, 1); /* min == max is allowed */
    assert_int_equal(p.out_ms, 5400000);
    assert_int_equal(p.in_ms, 172800000);

    struct pol_row rate = {{"2", "1", "5", "0", "net_read_rate", "10MiB/s",
                            "1048576", "30s", "1s", "my_app.web-1"}};
    assert_int_equal(pol_parse(&rate, &p, err, sizeof err), 0);
    assert_true(p.out_cond == 10485760.0);
    assert_true(p.in_cond == 1048576.0);
    assert_int_equal(p.cur_no, 0);
    assert_int_equal(p.in_ms, 1000);
    assert_string_equal(p.service_id, "my_app.web-1");

    struct pol_row pids = {
        {"-7", "1", "10000", "-1", "pids", "100", "10.5", "31d", "1m", "w"}};
    assert_int_equal(pol_parse(&pids, &p, err, sizeof err), 0);
    assert_int_equal(p.seq, -7);
    assert_int_equal(p.max_no, POL_REPLICAS_MAX);
    assert_int_equal(p.cur_no, -1); /* -1: unknown, like NULL */
    assert_true(p.in_cond == 10.5);
    assert_int_equal(p.out_ms, POL_WINDOW_MAX_MS);

    /* a ratio without % and a cpu_ratio above 100 (multi-core) */
    struct pol_row ratio = good_row();
    ratio.col[POL_OUT_COND] = "350";
    ratio.col[POL_IN_COND] = "12.5%";
    assert_int_equal(pol_parse(&ratio, &p, err, sizeof err), 0);
    assert_true(p.out_cond == 350.0);
    assert_true(p.in_cond == 12.5);
}

/* ---- the cases the brief names, with their exact messages ---- */

static void test_bare_number_duration(void **state)
{
    struct pol_row r = good_row();
    (void)state;
    r.col[POL_OUT_DURATION] = "10";
    expect_fail(r,
                "policy seq=3: out_duration \"10\": a bare number is not "
                "a duration; use 30s, 10m, 1h30m or 2d",
                false);
    r = good_row();
    r.col[POL_IN_DURATION] = "600";
    expect_fail(r,
                "policy seq=3: in_duration \"600\": a bare number is not "
                "a duration; use 30s, 10m, 1h30m or 2d",
                false);
}

static void test_bad_threshold(void **state)
{
    struct pol_row r = good_row();
    (void)state;
    r.col[POL_OUT_COND] = "abc%";
    expect_fail(r,
                "policy seq=3: out_cond \"abc%\": not a number; use 70% "
                "or 70 (a percentage, 0 or more; 100 = one full core for "
                "cpu_ratio)",
                false);
    r = good_row();
    r.col[POL_IN_COND] = "-5%";
    expect_fail(r,
                "policy seq=3: in_cond \"-5%\": cannot be negative; use "
                "70%",
                true);
    r = good_row();
    r.col[POL_IN_COND] = NULL;
    expect_fail(r, "policy seq=3: in_cond is NULL; use 70% or 70", true);
    /* a bytes threshold on a ratio metric, and the other way round */
    r = good_row();
    r.col[POL_OUT_COND] = "512MiB";
    expect_fail(r,
                "policy seq=3: out_cond \"512MiB\": a ratio takes only a % "
                "sign after the number; use 70%",
                true);
    r = good_row();
    r.col[POL_COND_ITEM] = "mem_usage";
    r.col[POL_OUT_COND] = "70%";
    r.col[POL_IN_COND] = "1MiB";
    expect_fail(r,
                "policy seq=3: out_cond \"70%\": bytes are not a "
                "percentage; use 512MiB",
                true);
    r = good_row();
    r.col[POL_COND_ITEM] = "net_write_rate";
    r.col[POL_OUT_COND] = "10MiB";
    r.col[POL_IN_COND] = "1MiB/s";
    expect_fail(r,
                "policy seq=3: out_cond \"10MiB\": a rate needs /s after "
                "the unit, e.g. 10MiB/s; use 10MiB/s",
                true);
    r = good_row();
    r.col[POL_OUT_COND] = "NaN";
    expect_fail(r, "policy seq=3: out_cond \"NaN\": not a number", true);
}

static void test_min_above_max(void **state)
{
    struct pol_row r = good_row();
    (void)state;
    r.col[POL_MIN_NO] = "5";
    r.col[POL_MAX_NO] = "2";
    expect_fail(r,
                "policy seq=3: min_no 5 is above max_no 2; use 0 <= "
                "min_no <= max_no",
                false);
}

/* The edges: min_no == max_no is a fixed count, one more is not; a
 * window of exactly 1s (and 31d) is allowed, a millisecond less is not. */
static void test_edges(void **state)
{
    struct policy p;
    char err[512] = "";
    (void)state;
    struct pol_row r = good_row();
    r.col[POL_MIN_NO] = "4";
    r.col[POL_MAX_NO] = "4";
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
    assert_int_equal(p.min_no, 4);
    assert_int_equal(p.max_no, 4);
    r.col[POL_MIN_NO] = "5";
    expect_fail(r,
                "policy seq=3: min_no 5 is above max_no 4; use 0 <= "
                "min_no <= max_no",
                false);

    r = good_row();
    r.col[POL_OUT_DURATION] = "1s";
    r.col[POL_IN_DURATION] = "1000ms";
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
    assert_int_equal(p.out_ms, 1000);
    assert_int_equal(p.in_ms, 1000);
    r.col[POL_OUT_DURATION] = "31d";
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
    assert_int_equal(p.out_ms, 31LL * 86400000);
    r.col[POL_OUT_DURATION] = "999ms";
    expect_fail(r,
                "policy seq=3: out_duration \"999ms\": shorter than 1s; "
                "use 30s, 10m, 1h30m or 2d",
                false);
    r = good_row();
    r.col[POL_IN_DURATION] = "999ms";
    expect_fail(r,
                "policy seq=3: in_duration \"999ms\": shorter than 1s; "
                "use 30s, 10m, 1h30m or 2d",
                false);
}

static void test_bad_bounds(void **state)
{
    static const struct {
        enum pol_col col;
        const char *val;
        const char *want;
    } cases[] = {
        {POL_MIN_NO, "0",
         "policy seq=3: min_no 0 (scale to zero) needs every metric to be "
         "a query metric (<name>.query): at zero replicas cpu_ratio has no "
         "replica to measure; use 1 or more, or a query"},
        {POL_MIN_NO, "-1",
         "policy seq=3: min_no \"-1\": out of range; use "
         "0..10000 replicas (0: scale to zero, query metrics only)"},
        {POL_MAX_NO, "10001",
         "policy seq=3: max_no \"10001\": out of "
         "range; use 1..10000 replicas"},
        {POL_MAX_NO, "99999999999999999999",
         "policy seq=3: max_no "
         "\"99999999999999999999\": out "
         "of range; use 1..10000 "
         "replicas"},
        {POL_MIN_NO, "1.5",
         "policy seq=3: min_no \"1.5\": not a whole "
         "number; use 0..10000"},
        {POL_MIN_NO, " 2",
         "policy seq=3: min_no \" 2\": not a whole "
         "number; use 0..10000"},
        {POL_MIN_NO, "2 ",
         "policy seq=3: min_no \"2 \": not a whole "
         "number; use 0..10000"},
        {POL_MIN_NO, "+2",
         "policy seq=3: min_no \"+2\": not a whole "
         "number; use 0..10000"},
        {POL_MAX_NO, "",
         "policy seq=3: max_no \"\": not a whole number; use "
         "1..10000"},
        {POL_MAX_NO, "0x10",
         "policy seq=3: max_no \"0x10\": not a whole "
         "number; use 1..10000"},
        {POL_MIN_NO, NULL,
         "policy seq=3: min_no is NULL; use a whole "
         "number 0..10000"},
        {POL_MAX_NO, NULL,
         "policy seq=3: max_no is NULL; use a whole "
         "number 1..10000"},
        {POL_CUR_NO, "abc",
         "policy seq=3: cur_no \"abc\": not a whole "
         "number; use a replica count 0 or more, or "
         "NULL"},
        {POL_CUR_NO, "-2",
         "policy seq=3: cur_no \"-2\": out of range; use a "
         "replica count 0 or more, or NULL"},
        {POL_CUR_NO, "2147483648",
         "policy seq=3: cur_no \"2147483648\": out "
         "of range"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pol_row r = good_row();
        r.col[cases[i].col] = cases[i].val;
        expect_fail(r, cases[i].want, true);
    }
}

static void test_bad_seq(void **state)
{
    struct pol_row r = good_row();
    (void)state;
    r.col[POL_SEQ] = NULL;
    expect_fail(r, "policy seq=?: seq is NULL; use a whole number, e.g. 3",
                false);
    r.col[POL_SEQ] = "abc";
    expect_fail(r,
                "policy seq=?: seq \"abc\": not a whole number; use a "
                "whole number, e.g. 3",
                false);
    r.col[POL_SEQ] = "2147483648";
    expect_fail(r,
                "policy seq=?: seq \"2147483648\": out of range; use a "
                "whole number, e.g. 3",
                false);
}

static void test_thresholds_equal_or_inverted(void **state)
{
    struct pol_row r = good_row();
    (void)state;
    r.col[POL_IN_COND] = "70%";
    expect_fail(r,
                "policy seq=3: in_cond \"70%\" equals out_cond \"70%\"; "
                "in_cond (scale in below) must be below out_cond (scale "
                "out above)",
                false);
    /* equal values in different spellings are still equal */
    r.col[POL_IN_COND] = "70";
    expect_fail(r, "policy seq=3: in_cond \"70\" equals out_cond \"70%\"",
                true);
    r.col[POL_IN_COND] = "80%";
    expect_fail(r,
                "policy seq=3: in_cond \"80%\" is above out_cond \"70%\"; "
                "in_cond (scale in below) must be below out_cond (scale "
                "out above)",
                false);
    r = good_row();
    r.col[POL_COND_ITEM] = "mem_usage";
    r.col[POL_OUT_COND] = "1MiB";
    r.col[POL_IN_COND] = "1048576";
    expect_fail(r,
                "policy seq=3: in_cond \"1048576\" equals out_cond "
                "\"1MiB\"",
                true);
    /* just below is fine */
    r.col[POL_IN_COND] = "1048575";
    struct policy p;
    char err[512];
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
}

static void test_unknown_cond_item(void **state)
{
    struct pol_row r = good_row();
    (void)state;
    r.col[POL_COND_ITEM] = "cpu";
    expect_fail(r,
                "policy seq=3: cond_item \"cpu\": unknown metric; use "
                "one of cpu_ratio, cpu_limit_ratio, mem_usage, mem_limit, "
                "mem_ratio, net_read, net_write, blk_read, blk_write, "
                "net_read_rate, net_write_rate, blk_read_rate, "
                "blk_write_rate, pids, or a query metric's name with its "
                "query in the metrics column (<name>.query=...)",
                false);
    r.col[POL_COND_ITEM] = NULL;
    expect_fail(r, "policy seq=3: cond_item is NULL; use one of cpu_ratio, ",
                true);
    r.col[POL_COND_ITEM] = "cpu_ratio; drop table das";
    expect_fail(r,
                "policy seq=3: cond_item \"cpu_ratio; drop table das\": "
                "unknown metric",
                true);
}

static void test_bad_durations(void **state)
{
    static const struct {
        enum pol_col col;
        const char *val;
        const char *want;
    } cases[] = {
        {POL_OUT_DURATION, "500ms",
         "policy seq=3: out_duration \"500ms\": "
         "shorter than 1s; use 30s, 10m, 1h30m "
         "or 2d"},
        {POL_IN_DURATION, "0s",
         "policy seq=3: in_duration \"0s\": shorter "
         "than 1s; use 30s, 10m, 1h30m or 2d"},
        {POL_IN_DURATION, "32d",
         "policy seq=3: in_duration \"32d\": longer "
         "than 31d; use 30s, 10m, 1h30m or 2d"},
        {POL_OUT_DURATION, NULL,
         "policy seq=3: out_duration is NULL; use "
         "30s, 10m, 1h30m or 2d"},
        {POL_OUT_DURATION, "",
         "policy seq=3: out_duration \"\": empty; use "
         "30s, 10m, 1h30m or 2d"},
        {POL_OUT_DURATION, "10x",
         "policy seq=3: out_duration \"10x\": "
         "unknown unit \"x\""},
        {POL_IN_DURATION, "-5m",
         "policy seq=3: in_duration \"-5m\": a "
         "duration cannot be negative"},
        {POL_IN_DURATION, "5m10m",
         "policy seq=3: in_duration \"5m10m\": "
         "unit m repeated"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pol_row r = good_row();
        r.col[cases[i].col] = cases[i].val;
        expect_fail(r, cases[i].want, true);
    }
}

static void test_missing_service(void **state)
{
    struct pol_row r = good_row();
    (void)state;
    r.col[POL_SERVICE_ID] = NULL;
    expect_fail(r,
                "policy seq=3: service_id is NULL; use a service name or "
                "id: letters, digits, '_', '.' and '-', starting with a "
                "letter or digit, at most 63 bytes",
                false);
    r.col[POL_SERVICE_ID] = "";
    expect_fail(r,
                "policy seq=3: service_id \"\": empty; use a service name "
                "or id",
                true);
}

static void test_hostile_service_ids(void **state)
{
    static const struct {
        const char *val;
        const char *want;
    } cases[] = {
        {"x' or '1'='1", "policy seq=3: service_id \"x' or '1'='1\": \"'\" "
                         "not allowed; use a service name or id"},
        {"a or service =~ /.*/", "policy seq=3: service_id \"a or service =~ "
                                 "/.*/\": \" \" not allowed; use a service "
                                 "name or id"},
        {"web\nx", "policy seq=3: service_id \"web\\nx\": \"\\n\" not "
                   "allowed"},
        {"web\"", "policy seq=3: service_id \"web\\\"\": \"\\\"\" not "
                  "allowed"},
        {"-web", "policy seq=3: service_id \"-web\": \"-\" not allowed at "
                 "the start"},
        {".web", "policy seq=3: service_id \".web\": \".\" not allowed at "
                 "the start"},
        {"web/../x", "policy seq=3: service_id \"web/../x\": \"/\" not "
                     "allowed"},
        {"w\xc3\xa9", "policy seq=3: service_id \"w\\xc3\\xa9\": \"\\xc3\" "
                      "not allowed"},
        {"web;", "policy seq=3: service_id \"web;\": \";\" not allowed"},
        {"web\\", "policy seq=3: service_id \"web\\\\\": \"\\\\\" not "
                  "allowed"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pol_row r = good_row();
        r.col[POL_SERVICE_ID] = cases[i].val;
        expect_fail(r, cases[i].want, true);
    }
}

static void test_service_length(void **state)
{
    char name[80];
    struct pol_row r = good_row();
    struct policy p;
    char err[512];
    (void)state;
    memset(name, 'a', 63);
    name[63] = '\0';
    r.col[POL_SERVICE_ID] = name;
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
    assert_string_equal(p.service_id, name);
    memset(name, 'a', 64);
    name[64] = '\0';
    expect_fail(r, "policy seq=3: service_id \"aaaa", true);
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), -1);
    assert_contains(err, "64 bytes, longer than 63");
    memset(name, 'b', 79);
    name[79] = '\0';
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), -1);
    assert_contains(err, "79 bytes, longer than 63");
}

static void test_service_ref_check(void **state)
{
    char err[256];
    (void)state;
    assert_int_equal(pol_service_ref_check("web", err, sizeof err), 0);
    assert_int_equal(pol_service_ref_check("3x9", err, sizeof err), 0);
    assert_int_equal(
        pol_service_ref_check("8e1c6g3kz1q2x0y9w8v7u6t5", err, sizeof err), 0);
    assert_int_equal(pol_service_ref_check("stack_web.1-a", err, sizeof err),
                     0);
    assert_int_equal(pol_service_ref_check(NULL, err, sizeof err), -1);
    assert_contains(err, "no value; use a service name or id");
    assert_int_equal(pol_service_ref_check("a b", err, sizeof err), -1);
    assert_string_equal(err, "\"a b\": \" \" not allowed; use a service name "
                             "or id: letters, digits, '_', '.' and '-', "
                             "starting with a letter or digit, at most 63 "
                             "bytes");
    assert_int_equal(pol_service_ref_check("_x", err, sizeof err), -1);
    assert_int_equal(pol_service_ref_check("x\r", err, sizeof err), -1);
    assert_int_equal(pol_service_ref_check("*", err, sizeof err), -1);
}

/* Only the first problem of a row, in column order, is reported. */
static void test_first_problem_reported(void **state)
{
    struct pol_row r = good_row();
    (void)state;
    r.col[POL_MIN_NO] = "-1";
    r.col[POL_OUT_DURATION] = "10";
    r.col[POL_SERVICE_ID] = "x' or '1'='1";
    expect_fail(r, "policy seq=3: min_no \"-1\"", true);
    r.col[POL_MIN_NO] = "1";
    expect_fail(r, "policy seq=3: out_duration \"10\"", true);
}

static void test_small_err_buffer(void **state)
{
    struct pol_row r = good_row();
    struct policy p;
    char err[16];
    (void)state;
    r.col[POL_OUT_DURATION] = "10";
    memset(err, 'X', sizeof err);
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), -1);
    assert_string_equal(err, "policy seq=3: o");
    assert_int_equal(pol_parse(&r, &p, NULL, 0), -1);
}

/* ---- policies from service labels ------------------------------------------
 */

#define SID "k3j9x2m4n5p6q7r8s9t0u1v2w"

/* Parses labels of service "web" (id SID, 3 replicas): 0 or -1, err. */
static int parse_labels(const struct pol_label *l, size_t n, struct policy *p,
                        char *err, size_t errlen)
{
    return pol_parse_labels("web", SID, 3, l, n, p, err, errlen);
}

static void expect_label_fail(const struct pol_label *l, size_t n,
                              const char *want)
{
    struct policy p;
    char err[512] = "";
    if (parse_labels(l, n, &p, err, sizeof err) != -1)
        fail_msg("labels accepted; expected: %s", want);
    if (strcmp(err, want) != 0)
        fail_msg("\n got  %s\n want %s", err, want);
}

static void test_labels_defaults(void **state)
{
    const struct pol_label l[] = {{"das.max_no", "5", false},
                                  {"com.example.team", "web", false}};
    struct policy p;
    char err[512] = "";
    (void)state;
    assert_int_equal(parse_labels(l, 2, &p, err, sizeof err), 0);
    assert_int_equal(p.source, POL_SRC_LABELS);
    assert_string_equal(pol_source_names[p.source], "labels");
    assert_int_equal(p.min_no, 1);
    assert_int_equal(p.max_no, 5);
    assert_int_equal(p.cur_no, 3); /* the service's replicas */
    assert_string_equal(p.metric->field, "cpu_ratio");
    assert_true(p.out_cond == 70.0);
    assert_true(p.in_cond == 30.0);
    assert_int_equal(p.out_ms, 120000);
    assert_int_equal(p.in_ms, 300000);
    assert_int_equal(p.mode, POL_MODE_AUTO);
    assert_int_equal(p.warmup_ms, 30000);
    assert_string_equal(p.service_id, SID);
    assert_int_equal(p.seq, pol_label_seq(SID));
    /* a table row is POL_SRC_TABLE */
    struct pol_row r = good_row();
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
    assert_int_equal(p.source, POL_SRC_TABLE);
    /* the defaults are those of the column list, for labels only */
    assert_false(pol_col_label[POL_SEQ]);
    assert_false(pol_col_label[POL_CUR_NO]);
    assert_false(pol_col_label[POL_SERVICE_ID]);
    assert_null(pol_col_label_default[POL_MAX_NO]);
    assert_string_equal(pol_col_label_default[POL_OUT_DURATION], "2m");
}

static void test_labels_all(void **state)
{
    const struct pol_label l[] = {{"das.min_no", "2", false},
                                  {"das.max_no", "10", false},
                                  {"das.cond_item", "mem_ratio", false},
                                  {"das.out_cond", "80", false},
                                  {"das.in_cond", "20%", false},
                                  {"das.out_duration", "1m", false},
                                  {"das.in_duration", "10m", false},
                                  {"das.scale_mode", "step", false},
                                  {"das.warmup", "0s", false}};
    struct policy p;
    char err[512] = "";
    (void)state;
    assert_int_equal(parse_labels(l, 9, &p, err, sizeof err), 0);
    assert_int_equal(p.min_no, 2);
    assert_int_equal(p.max_no, 10);
    assert_string_equal(p.metric->field, "mem_ratio");
    assert_true(p.out_cond == 80.0);
    assert_true(p.in_cond == 20.0);
    assert_int_equal(p.out_ms, 60000);
    assert_int_equal(p.in_ms, 600000);
    assert_int_equal(p.mode, POL_MODE_STEP);
    assert_int_equal(p.warmup_ms, 0);
}

/* A bad label: the same words as a bad row, naming the service and the
 * label key instead of the seq and the column. */
static void test_labels_bad(void **state)
{
    struct pol_label l[2] = {{"das.max_no", "5", false},
                             {"das.out_cond", "70 percent", false}};
    struct pol_row r = good_row();
    struct policy p;
    char rowerr[512], want[600];
    (void)state;
    /* the same value in a row gives the same explanation */
    r.col[POL_OUT_COND] = "70 percent";
    assert_int_equal(pol_parse(&r, &p, rowerr, sizeof rowerr), -1);
    assert_contains(rowerr, "policy seq=3: out_cond \"70 percent\": ");
    snprintf(want, sizeof want, "service web: label das.out_cond: %s",
             rowerr + strlen("policy seq=3: out_cond "));
    expect_label_fail(l, 2, want);

    l[1] = (struct pol_label){"das.out_duration", "10", false};
    expect_label_fail(l, 2,
                      "service web: label das.out_duration: \"10\": a bare "
                      "number is not a duration; use 30s, 10m, 1h30m or 2d");
    l[1] = (struct pol_label){"das.min_no", "7", false};
    expect_label_fail(l, 2,
                      "service web: label das.min_no: 7 is above max_no 5; "
                      "use 0 <= min_no <= max_no");
    l[1] = (struct pol_label){"das.in_cond", "80%", false};
    expect_label_fail(l, 2,
                      "service web: label das.in_cond: \"80%\" is above "
                      "out_cond \"70%\"; in_cond (scale in below) must be "
                      "below out_cond (scale out above)");
    l[1] = (struct pol_label){"das.cond_item", "cpu", false};
    expect_label_fail(l, 2,
                      "service web: label das.cond_item: \"cpu\": unknown "
                      "metric; use one of cpu_ratio, cpu_limit_ratio, "
                      "mem_usage, mem_limit, mem_ratio, net_read, net_write, "
                      "blk_read, blk_write, net_read_rate, net_write_rate, "
                      "blk_read_rate, blk_write_rate, pids");
    l[1] = (struct pol_label){"das.scale_mode", "fast", false};
    expect_label_fail(l, 2,
                      "service web: label das.scale_mode: \"fast\": unknown; "
                      "use auto (sized to the load, the default), band "
                      "(auto, but scaling in only below in_cond) or step "
                      "(+1/-1 per action)");
    l[1] = (struct pol_label){"das.warmup", "2h", false};
    expect_label_fail(l, 2,
                      "service web: label das.warmup: \"2h\": longer than "
                      "1h; use 0s to 1h");
    l[1] = (struct pol_label){"das.out_cond", "1234567", true};
    expect_label_fail(l, 2,
                      "service web: label das.out_cond: value too long; see "
                      "`das policy add --help` for the forms accepted");
    /* an empty label (`--label das.max_no`) */
    l[0] = (struct pol_label){"das.max_no", "", false};
    l[1] = (struct pol_label){"x", "y", false};
    expect_label_fail(l, 2,
                      "service web: label das.max_no: \"\": not a whole "
                      "number; use 1..10000");
    l[0] = (struct pol_label){"das.max_no", "20000", false};
    expect_label_fail(l, 2,
                      "service web: label das.max_no: \"20000\": out of "
                      "range; use 1..10000 replicas");
}

/* Named conditions in the metrics column: after the row's own, in the
 * order first named; windows default to 2m / 5m. */
static void test_metrics_column(void **state)
{
    struct pol_row r = good_row();
    struct policy p, v;
    char err[512] = "";
    (void)state;
    r.col[POL_METRICS] =
        " mem_ratio.out_cond = 80% ; mem_ratio.in_cond=40%\n"
        "net_read_rate.out_cond=10MB/s;net_read_rate.in_cond=1MB/s;"
        "net_read_rate.in_duration=20m;";
    if (pol_parse(&r, &p, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(p.nconds, 3);
    assert_string_equal(p.conds[0].metric->field, "cpu_ratio");
    assert_true(p.metric == p.conds[0].metric);
    assert_string_equal(p.conds[1].metric->field, "mem_ratio");
    assert_true(p.conds[1].out_cond == 80.0 && p.conds[1].in_cond == 40.0);
    assert_int_equal(p.conds[1].out_ms, 120000);
    assert_int_equal(p.conds[1].in_ms, 300000);
    assert_string_equal(p.conds[2].metric->field, "net_read_rate");
    assert_int_equal(p.conds[2].in_ms, 1200000);
    pol_cond_view(&p, 2, &v);
    assert_string_equal(v.metric->field, "net_read_rate");
    assert_int_equal(v.in_ms, 1200000);
    assert_int_equal(v.nconds, 1);
    assert_int_equal(v.seq, 3);
    assert_int_equal(v.max_no, 10);
    /* the text form reads back to the same conditions */
    char text[600];
    pol_metrics_text(&p, 1, text, sizeof text);
    assert_string_equal(text, "mem_ratio.out_cond=80%; mem_ratio.in_cond=40%; "
                              "mem_ratio.out_duration=2m; "
                              "mem_ratio.in_duration=5m; "
                              "net_read_rate.out_cond=10MB/s; "
                              "net_read_rate.in_cond=1MB/s; "
                              "net_read_rate.out_duration=2m; "
                              "net_read_rate.in_duration=20m");
    struct policy back;
    r.col[POL_METRICS] = text;
    if (pol_parse(&r, &back, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(back.nconds, 3);
    assert_memory_equal(back.conds, p.conds, sizeof p.conds);
    pol_metrics_text(&p, 3, text, sizeof text);
    assert_string_equal(text, "");
    /* an empty column is no condition */
    r.col[POL_METRICS] = " ; \n";
    if (pol_parse(&r, &p, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(p.nconds, 1);
}

static void test_metrics_column_bad(void **state)
{
    struct pol_row r = good_row();
    (void)state;
    r.col[POL_METRICS] = "mem_ratio.out_cond=80%";
    expect_fail(r,
                "policy seq=3: metrics mem_ratio.in_cond: is missing: a "
                "named metric needs out_cond and in_cond; ",
                true);
    r.col[POL_METRICS] = "mem_ratio.out_cond=80%;mem_ratio.in_cond=90%";
    expect_fail(r,
                "policy seq=3: metrics mem_ratio.in_cond: is above out_cond; "
                "in_cond (scale in below) must be below out_cond (scale out "
                "above)",
                false);
    r.col[POL_METRICS] = "mem_ratio.out_cond=80 percent;mem_ratio.in_cond=1%";
    expect_fail(r, "policy seq=3: metrics mem_ratio.out_cond: \"80 percent\"",
                true);
    r.col[POL_METRICS] = "mem_ratio.out_cnd=80%";
    expect_fail(r,
                "policy seq=3: metrics mem_ratio.out_cnd: unknown key; use "
                "out_cond, in_cond, out_duration, in_duration, query or "
                "target",
                false);
    r.col[POL_METRICS] = "mem_ratio=80%";
    expect_fail(r, "policy seq=3: metrics mem_ratio: not <metric>.<key>", true);
    r.col[POL_METRICS] = "Mem.out_cond=80%";
    expect_fail(r, "policy seq=3: metrics Mem.out_cond: bad metric name", true);
    r.col[POL_METRICS] = "mem_ratio.out_cond 80%";
    expect_fail(r,
                "policy seq=3: metrics \"mem_ratio.out_cond 80%\": not "
                "<metric>.<key>=<value>",
                true);
    r.col[POL_METRICS] = "reqs.out_cond=100;reqs.in_cond=10";
    expect_fail(r,
                "policy seq=3: metrics reqs: unknown metric; use one of "
                "cpu_ratio",
                true);
    r.col[POL_METRICS] = "cpu_ratio.out_cond=80%;cpu_ratio.in_cond=10%";
    expect_fail(r,
                "policy seq=3: metrics cpu_ratio.out_cond: cpu_ratio is the "
                "policy's cond_item already; give its condition in one place",
                false);
    r.col[POL_METRICS] = "mem_ratio.out_cond=80%;mem_ratio.out_cond=70%";
    expect_fail(r,
                "policy seq=3: metrics mem_ratio.out_cond: given twice; give "
                "each key once",
                false);
    r.col[POL_METRICS] =
        "mem_ratio.out_cond=80%;mem_ratio.in_cond=10%;mem_ratio.in_duration=0s";
    expect_fail(r,
                "policy seq=3: metrics mem_ratio.in_duration: \"0s\": "
                "shorter than 1s",
                true);
    /* nine metrics: one over the bound */
    static const char *const nine[] = {
        "mem_ratio",      "mem_usage",     "net_read_rate",
        "net_write_rate", "blk_read_rate", "blk_write_rate",
        "pids",           "mem_limit",     "cpu_limit_ratio"};
    char text[2048];
    size_t o = 0;
    for (size_t i = 0; i < 9; i++)
        o += (size_t)snprintf(text + o, sizeof text - o,
                              "%s.out_cond=9;%s.in_cond=1;", nine[i], nine[i]);
    r.col[POL_METRICS] = text;
    char err[512];
    struct policy p;
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), -1);
    assert_contains(err, "more than 8 conditions");
    static char big[POL_METRICS_TEXT_MAX + 2];
    memset(big, ';', sizeof big - 1);
    r.col[POL_METRICS] = big;
    expect_fail(r, "policy seq=3: metrics is 4097 bytes, longer than 4096",
                true);
}

/* A query metric: the operator's name, its PromQL and target; values in
 * UNIT_VALUE. */
static void test_query_conditions(void **state)
{
    struct pol_row r = good_row();
    struct policy p;
    char err[512] = "";
    (void)state;
    r.col[POL_METRICS] =
        "rps.query=sum(rate(http_requests_total{job=\"web\"}[1m])); "
        "rps.out_cond=2.5k; rps.in_cond=100; queue.query=max(queue_len); "
        "queue.target=service; queue.out_cond=50; queue.in_cond=250ms";
    if (pol_parse(&r, &p, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(p.nconds, 3);
    assert_string_equal(p.conds[1].name, "rps");
    assert_true(p.conds[1].metric == &pol_metric_query);
    const char *want = "sum(rate(http_requests_total{job=\"web\"}[1m]))";
    assert_int_equal(p.conds[1].query_len, strlen(want));
    assert_memory_equal(p.conds[1].query, want, strlen(want));
    assert_int_equal(p.conds[1].target, POL_TARGET_REPLICA);
    assert_true(p.conds[1].out_cond == 2500.0 && p.conds[1].in_cond == 100.0);
    assert_int_equal(p.conds[2].target, POL_TARGET_SERVICE);
    assert_true(p.conds[2].in_cond == 0.25);
    struct policy v;
    pol_cond_view(&p, 1, &v);
    assert_string_equal(pol_name(&v), "rps");
    assert_string_equal(pol_name(&p), "cpu_ratio");
    /* the text form carries the query and target back */
    char text[1200];
    pol_metrics_text(&p, 1, text, sizeof text);
    assert_contains(text, "rps.query=sum(rate(http_requests_total{job=\"web\"}"
                          "[1m])); rps.target=replica");
    struct policy back;
    r.col[POL_METRICS] = text;
    if (pol_parse(&r, &back, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(back.nconds, 3);
    assert_int_equal(back.conds[2].query_len, strlen("max(queue_len)"));
    assert_memory_equal(back.conds[2].query, "max(queue_len)",
                        strlen("max(queue_len)"));
    assert_true(back.conds[2].in_cond == 0.25);
}

static void test_query_conditions_bad(void **state)
{
    struct pol_row r = good_row();
    (void)state;
    r.col[POL_METRICS] = "rps.out_cond=10;rps.in_cond=1";
    expect_fail(r,
                "policy seq=3: metrics rps: unknown metric; use one of "
                "cpu_ratio",
                true);
    r.col[POL_METRICS] = "mem_ratio.query=up;mem_ratio.out_cond=1;"
                         "mem_ratio.in_cond=0";
    expect_fail(r,
                "policy seq=3: metrics mem_ratio.query: mem_ratio is a ds "
                "field: it takes no query; name a query metric otherwise, "
                "e.g. requests.query",
                false);
    r.col[POL_METRICS] = "rps.query= ;rps.out_cond=10;rps.in_cond=1";
    expect_fail(r, "policy seq=3: metrics rps.query: is empty", true);
    r.col[POL_METRICS] = "rps.query=up;rps.target=pod;rps.out_cond=10;"
                         "rps.in_cond=1";
    expect_fail(r,
                "policy seq=3: metrics rps.target: \"pod\": unknown; use "
                "replica",
                true);
    r.col[POL_METRICS] = "rps.query=up;rps.out_cond=10%;rps.in_cond=1";
    expect_fail(r, "policy seq=3: metrics rps.out_cond: \"10%\": unknown unit",
                true);
    /* labels: a control character or ';' in a query */
    struct pol_label l[] = {{"das.max_no", "5", false},
                            {"das.rps.query", "sum(x)\n", false},
                            {"das.rps.out_cond", "10", false},
                            {"das.rps.in_cond", "1", false}};
    expect_label_fail(l, 4,
                      "service web: label das.rps.query: a control character "
                      "not allowed; a query is one line of PromQL without "
                      "';'");
    l[1].value = "up; drop";
    expect_label_fail(l, 4,
                      "service web: label das.rps.query: ';' not allowed; a "
                      "query is one line of PromQL without ';'");
    static char big[POL_QUERY_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    l[1].value = big;
    expect_label_fail(l, 4,
                      "service web: label das.rps.query: is 2049 bytes, "
                      "longer than 2048; a query is one expression");
}

/* A table row whose cond_item names a query metric of its metrics
 * column: the thresholds and windows in the columns, the query there; its
 * text borrowed from the column's, not NUL-terminated. */
static void test_table_query_cond_item(void **state)
{
    struct pol_row r = good_row();
    struct policy p;
    char err[512] = "";
    (void)state;
    r.col[POL_MIN_NO] = "0";
    r.col[POL_COND_ITEM] = "queue";
    r.col[POL_OUT_COND] = "50";
    r.col[POL_IN_COND] = "2.5";
    r.col[POL_METRICS] = "queue.query= max(queue_length) ;queue.target=service";
    r.col[POL_IDLE_FOR] = "5m";
    if (pol_parse(&r, &p, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(p.nconds, 1);
    assert_true(p.metric == &pol_metric_query);
    assert_string_equal(pol_name(&p), "queue");
    assert_int_equal(p.conds[0].query_len, strlen("max(queue_length)"));
    assert_memory_equal(p.conds[0].query, "max(queue_length)",
                        p.conds[0].query_len);
    assert_true(p.conds[0].query >= r.col[POL_METRICS] &&
                p.conds[0].query < r.col[POL_METRICS] + 60);
    assert_int_equal(p.conds[0].target, POL_TARGET_SERVICE);
    assert_true(p.in_cond == 2.5);
    assert_int_equal(p.min_no, 0);
    assert_int_equal(p.idle_ms, 300000);
    /* its thresholds belong in the columns */
    r.col[POL_METRICS] = "queue.query=max(q); queue.out_cond=9";
    expect_fail(r,
                "policy seq=3: metrics queue.out_cond: queue is the "
                "policy's cond_item already; give its condition in one "
                "place",
                false);
}

/* Scale to zero: min_no 0 on query metrics only; idle_for and wake_no
 * with it, and only with it. */
static void test_scale_to_zero(void **state)
{
    struct pol_label l[] = {{"das.max_no", "5", false},
                            {"das.min_no", "0", false},
                            {"das.q.query", "max(queue)", false},
                            {"das.q.target", "service", false},
                            {"das.q.out_cond", "10", false},
                            {"das.q.in_cond", "1", false},
                            {"das.idle_for", "20m", false},
                            {"das.wake_no", "3", false}};
    struct policy p;
    char err[512] = "";
    (void)state;
    if (parse_labels(l, 8, &p, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(p.min_no, 0);
    assert_int_equal(p.idle_ms, 1200000);
    assert_int_equal(p.wake_no, 3);
    /* the defaults */
    if (parse_labels(l, 6, &p, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(p.idle_ms, POL_IDLE_DEFAULT_MS);
    assert_int_equal(p.wake_no, 1);
    l[7].value = "6";
    expect_label_fail(l, 8,
                      "service web: label das.wake_no: \"6\": out of range; "
                      "use 1..max_no (5)");
    l[7].value = "3";
    l[6].value = "10";
    expect_label_fail(l, 8,
                      "service web: label das.idle_for: \"10\": a bare "
                      "number is not a duration; use 30s, 10m, 1h30m or 2d");
    /* with a ds metric too: refused */
    l[6] = (struct pol_label){"das.out_cond", "80%", false};
    expect_label_fail(l, 7,
                      "service web: label das.min_no: 0 (scale to zero) "
                      "needs every metric to be a query metric "
                      "(<name>.query): at zero replicas cpu_ratio has no "
                      "replica to measure; use 1 or more, or a query");
    /* idle_for without min_no 0 */
    l[1].value = "1";
    l[6] = (struct pol_label){"das.idle_for", "20m", false};
    expect_label_fail(l, 7,
                      "service web: label das.idle_for: applies only to a "
                      "policy that scales to zero (min_no 0); leave it out, "
                      "or set min_no 0");
}

/* Labels naming metrics: exactly those, unless a one-metric label is set
 * too; then the one-metric condition comes first, with its defaults. */
static void test_labels_named(void **state)
{
    struct pol_label l[] = {{"das.max_no", "5", false},
                            {"das.mem_ratio.out_cond", "80%", false},
                            {"das.mem_ratio.in_cond", "20%", false},
                            {"das.mem_ratio.out_duration", "1m", false}};
    struct policy p;
    char err[512] = "";
    (void)state;
    if (parse_labels(l, 4, &p, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(p.nconds, 1);
    assert_string_equal(p.metric->field, "mem_ratio");
    assert_int_equal(p.out_ms, 60000);
    assert_int_equal(p.in_ms, 300000);
    assert_true(p.out_cond == 80.0);
    l[3] = (struct pol_label){"das.out_cond", "90%", false};
    if (parse_labels(l, 4, &p, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(p.nconds, 2);
    assert_string_equal(p.conds[0].metric->field, "cpu_ratio");
    assert_true(p.conds[0].out_cond == 90.0 && p.conds[0].in_cond == 30.0);
    assert_string_equal(p.conds[1].metric->field, "mem_ratio");
    l[3] = (struct pol_label){"das.mem_ratio.in_cond", "10%", true};
    l[2] = (struct pol_label){"das.mem_ratio.outcond", "10%", false};
    expect_label_fail(l, 4,
                      "service web: label das.mem_ratio.outcond: unknown "
                      "key; use out_cond, in_cond, out_duration, "
                      "in_duration, query or target");
    l[2] = (struct pol_label){"das.mem_ratio.in_duration", "10m", false};
    expect_label_fail(l, 4,
                      "service web: label das.mem_ratio.in_cond: value too "
                      "long; see `das policy add --help` for the forms "
                      "accepted");
}

/* A typo is not a default; seq, cur_no and service_id are not labels; a
 * policy needs das.max_no. */
static void test_labels_unknown_and_missing(void **state)
{
    struct pol_label l[2] = {{"das.max_no", "5", false},
                             {"das.out_cnd", "80%", false}};
    (void)state;
    const char *list = "use das.min_no, das.max_no, das.cond_item, "
                       "das.out_cond, das.in_cond, das.out_duration, "
                       "das.in_duration, das.scale_mode, das.warmup, "
                       "das.idle_for, das.wake_no, das.schedule, or "
                       "das.<metric>.<key> with a key of out_cond, in_cond, "
                       "out_duration, in_duration, query or target";
    char want[600];
    snprintf(want, sizeof want,
             "service web: label \"das.out_cnd\": "
             "unknown; %s",
             list);
    expect_label_fail(l, 2, want);
    const char *notlabels[] = {"das.seq", "das.cur_no", "das.service_id",
                               "das.", "das.MAX_NO"};
    for (size_t i = 0; i < sizeof notlabels / sizeof notlabels[0]; i++) {
        l[1] = (struct pol_label){notlabels[i], "1", false};
        snprintf(want, sizeof want, "service web: label \"%s\": unknown; %s",
                 notlabels[i], list);
        expect_label_fail(l, 2, want);
    }
    l[0] = (struct pol_label){"das.out_cond", "80%", false};
    expect_label_fail(l, 1,
                      "service web: label das.max_no: is missing: a service "
                      "has a label policy when it sets it");
    assert_true(pol_labels_have_policy(l, 1));
    l[0] = (struct pol_label){"dasx.max_no", "5", false};
    l[1] = (struct pol_label){"com.docker.stack.namespace", "app", false};
    assert_false(pol_labels_have_policy(l, 2));
    assert_false(pol_labels_have_policy(NULL, 0));
}

/* The label seq: stable, negative (never a `das policy add` seq), an int4
 * (das_events.seq), different for different services. */
/* The schedule column and the das.schedule label: sched_parse's form,
 * its windows within min_no..max_no; NULL or no label: none. */
static void test_schedule(void **state)
{
    struct pol_row r = good_row();
    struct policy p;
    char err[512] = "";
    (void)state;
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
    assert_int_equal(p.sched.n, 0);
    r.col[POL_SCHEDULE] = "Mon-Fri 08:00-18:00 min=4; Sat,Sun 00:00-24:00 "
                          "max=2; tz=Europe/Paris";
    assert_int_equal(pol_parse(&r, &p, err, sizeof err), 0);
    assert_int_equal(p.sched.n, 2);
    assert_string_equal(p.sched.zone, "Europe/Paris");
    assert_true(pol_col_label[POL_SCHEDULE]);
    assert_true(pol_col_optional[POL_SCHEDULE]);
    assert_null(pol_col_label_default[POL_SCHEDULE]);
    r.col[POL_SCHEDULE] = "Mon-Fry 08:00-18:00 min=4";
    expect_fail(r,
                "policy seq=3: schedule item 1 \"Mon-Fry 08:00-18:00 "
                "min=4\": \"Mon-Fry\": not a day; use Mon, Tue, Wed, Thu, "
                "Fri, Sat or Sun, a range Mon-Fri or a list Sat,Sun (no days: "
                "every day)",
                false);
    r.col[POL_SCHEDULE] = "Mon 08:00-09:00 min=12";
    expect_fail(r,
                "policy seq=3: schedule window 1 \"Mon 08:00-09:00 "
                "min=12\": min=12 is above max_no 10; a scheduled min must "
                "be at most max_no",
                false);
    r.col[POL_SCHEDULE] = "Sat,Sun 00:00-24:00 max=1";
    expect_fail(r,
                "policy seq=3: schedule window 1 \"Sat,Sun 00:00-24:00 "
                "max=1\": max=1 is below min_no 2",
                true);
    r.col[POL_SCHEDULE] = "";
    expect_fail(r, "policy seq=3: schedule no window; use windows like", true);

    struct pol_label l[2] = {{"das.max_no", "5", false},
                             {"das.schedule", "22:00-06:00 max=2", false}};
    assert_int_equal(pol_parse_labels("web", SID, 3, l, 2, &p, err, sizeof err),
                     0);
    assert_int_equal(p.sched.n, 1);
    assert_int_equal(p.sched.items[0].max_no, 2);
    l[1].value = "22:00-06:00 max=two";
    assert_int_equal(pol_parse_labels("web", SID, 3, l, 2, &p, err, sizeof err),
                     -1);
    assert_string_equal(err, "service web: label das.schedule: item 1 "
                             "\"22:00-06:00 max=two\": \"max=two\": not a "
                             "replica count; use min=N and/or max=N, N from 1 "
                             "to 10000");
    l[1].cut = true;
    assert_int_equal(pol_parse_labels("web", SID, 3, l, 2, &p, err, sizeof err),
                     -1);
    assert_contains(err, "service web: label das.schedule: value too long");
}

static void test_label_seq(void **state)
{
    (void)state;
    long a = pol_label_seq(SID), b = pol_label_seq("k3j9x2m4n5p6q7r8s9t0u1v2x");
    assert_int_equal(a, pol_label_seq(SID));
    assert_true(a < 0 && a >= -2147483647L - 1);
    assert_true(b < 0 && b >= -2147483647L - 1);
    assert_true(a != b);
    /* FNV-1a of "" is 2166136261 = 0x811c9dc5: 31 bits 0x011c9dc5 */
    assert_int_equal(pol_label_seq(""), -1L - 0x011c9dc5L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_col_names),
        cmocka_unit_test(test_optional_columns),
        cmocka_unit_test(test_optional_columns_bad),
        cmocka_unit_test(test_metric_table),
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_valid_units),
        cmocka_unit_test(test_bare_number_duration),
        cmocka_unit_test(test_bad_threshold),
        cmocka_unit_test(test_min_above_max),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_bad_bounds),
        cmocka_unit_test(test_bad_seq),
        cmocka_unit_test(test_thresholds_equal_or_inverted),
        cmocka_unit_test(test_unknown_cond_item),
        cmocka_unit_test(test_bad_durations),
        cmocka_unit_test(test_missing_service),
        cmocka_unit_test(test_hostile_service_ids),
        cmocka_unit_test(test_service_length),
        cmocka_unit_test(test_service_ref_check),
        cmocka_unit_test(test_first_problem_reported),
        cmocka_unit_test(test_small_err_buffer),
        cmocka_unit_test(test_labels_defaults),
        cmocka_unit_test(test_labels_all),
        cmocka_unit_test(test_labels_bad),
        cmocka_unit_test(test_labels_unknown_and_missing),
        cmocka_unit_test(test_metrics_column),
        cmocka_unit_test(test_metrics_column_bad),
        cmocka_unit_test(test_labels_named),
        cmocka_unit_test(test_query_conditions),
        cmocka_unit_test(test_query_conditions_bad),
        cmocka_unit_test(test_scale_to_zero),
        cmocka_unit_test(test_table_query_cond_item),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_label_seq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
