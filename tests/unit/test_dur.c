/* Durations and threshold units (dur.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "dur.h"

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

/* ---- dur_parse: accepted forms ---- */

static void test_dur_parse_valid(void **state)
{
    static const struct {
        const char *in;
        int64_t ms;
    } cases[] = {
        {"0s", 0},
        {"500ms", 500},
        {"1s", 1000},
        {"30s", 30000},
        {"10m", 600000},
        {"1m30s", 90000},
        {"1h", 3600000},
        {"1h30m", 5400000},
        {"1h30m15s", 5415000},
        {"2d", 172800000},
        {"2d12h", 216000000},
        {"1d1h1m1s1ms", 90061001},
        {"1s500ms", 1500},
        {"1.5h", 5400000},
        {"0.5s", 500},
        {"2.25m", 135000},
        {"1.500000000000s", 1500}, /* trailing zeros past 9 digits are fine */
        {"90m", 5400000},          /* a part may exceed the next unit up */
        {"007s", 7000},
        /* the largest: INT64_MAX ms */
        {"9223372036854775807ms", INT64_MAX},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ms = -7;
        char err[256] = "";
        if (dur_parse(cases[i].in, &ms, err, sizeof err) != 0)
            fail_msg("%s: unexpected error %s", cases[i].in, err);
        if (ms != cases[i].ms)
            fail_msg("%s: %lld ms, expected %lld", cases[i].in, (long long)ms,
                     (long long)cases[i].ms);
    }
}

/* ---- dur_parse: every error names the value and the accepted forms ---- */

static void test_dur_parse_bare_number(void **state)
{
    int64_t ms = 42;
    char err[256];
    (void)state;
    assert_int_equal(dur_parse("10", &ms, err, sizeof err), -1);
    assert_string_equal(err, "\"10\": a bare number is not a duration; use "
                             "30s, 10m, 1h30m or 2d");
    assert_int_equal(ms, 42); /* untouched on failure */
    assert_int_equal(dur_parse("1.5", &ms, err, sizeof err), -1);
    assert_contains(err, "a bare number is not a duration");
    assert_int_equal(dur_parse("0", &ms, err, sizeof err), -1);
    assert_contains(err, "a bare number is not a duration");
}

static void test_dur_parse_errors(void **state)
{
    static const struct {
        const char *in;
        const char *want; /* the whole message */
    } cases[] = {
        {"", "\"\": empty; use 30s, 10m, 1h30m or 2d"},
        {"   ", "\"   \": only whitespace; use 30s, 10m, 1h30m or 2d"},
        {"\t\n", "\"\\t\\n\": only whitespace; use 30s, 10m, 1h30m or 2d"},
        {"-5s", "\"-5s\": a duration cannot be negative; use 30s, 10m, 1h30m "
                "or 2d"},
        {"10x", "\"10x\": unknown unit \"x\" (units are d, h, m, s and ms, "
                "largest first); use 30s, 10m, 1h30m or 2d"},
        {"10M", "\"10M\": unknown unit \"M\" (units are d, h, m, s and ms, "
                "largest first); use 30s, 10m, 1h30m or 2d"},
        {"10sec", "\"10sec\": unknown unit \"sec\" (units are d, h, m, s and "
                  "ms, largest first); use 30s, 10m, 1h30m or 2d"},
        {"30m1h", "\"30m1h\": unit h out of order; each unit at most once, "
                  "largest first (d, h, m, s, ms); use 30s, 10m, 1h30m or "
                  "2d"},
        {"1h1h", "\"1h1h\": unit h repeated; each unit at most once, largest "
                 "first (d, h, m, s, ms); use 30s, 10m, 1h30m or 2d"},
        {"1m30", "\"1m30\": 30 has no unit (units are d, h, m, s and ms, "
                 "largest first); use 30s, 10m, 1h30m or 2d"},
        {"10m ", "\"10m \": unexpected \" \" after 10m; use 30s, 10m, 1h30m "
                 "or 2d"},
        {" 10m", "\" 10m\": does not start with a number; use 30s, 10m, "
                 "1h30m or 2d"},
        {"1h 30m", "\"1h 30m\": unexpected \" \" after 1h; use 30s, 10m, "
                   "1h30m or 2d"},
        {"10m;drop", "\"10m;drop\": unexpected \";\" after 10m; use 30s, "
                     "10m, 1h30m or 2d"},
        {"+5s", "\"+5s\": does not start with a number; use 30s, 10m, 1h30m "
                "or 2d"},
        {"1.s", "\"1.s\": a '.' must be followed by digits; use 30s, 10m, "
                "1h30m or 2d"},
        {".5s", "\".5s\": does not start with a number; use 30s, 10m, 1h30m "
                "or 2d"},
        {"1.0005s", "\"1.0005s\": finer than a millisecond; use 30s, 10m, "
                    "1h30m or 2d"},
        {"1.5ms", "\"1.5ms\": finer than a millisecond; use 30s, 10m, 1h30m "
                  "or 2d"},
        {"99999999999999999999d", "\"99999999999999999999d\": too large; "
                                  "use 30s, 10m, 1h30m or 2d"},
        {"106751991167301d", "\"106751991167301d\": too large; use 30s, "
                             "10m, 1h30m or 2d"},
        {"9223372036854775807ms1ms", "\"9223372036854775807ms1ms\": unit ms "
                                     "repeated; each unit at most once, "
                                     "largest first (d, h, m, s, ms); use "
                                     "30s, 10m, 1h30m or 2d"},
        {"106751991167d8h", "\"106751991167d8h\": too large; use 30s, 10m, "
                            "1h30m or 2d"},
        {"\x1b[31m5s", "\"\\x1b[31m5s\": does not start with a number; use "
                       "30s, 10m, 1h30m or 2d"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ms = -7;
        char err[256] = "";
        if (dur_parse(cases[i].in, &ms, err, sizeof err) != -1)
            fail_msg("case %zu accepted: %lld", i, (long long)ms);
        if (strcmp(err, cases[i].want) != 0)
            fail_msg("case %zu:\n got  %s\n want %s", i, err, cases[i].want);
        assert_int_equal(ms, -7);
    }
}

static void test_dur_parse_null_and_tiny_err(void **state)
{
    int64_t ms = 0;
    char err[8];
    (void)state;
    assert_int_equal(dur_parse(NULL, &ms, err, sizeof err), -1);
    assert_string_equal(err, "no valu"); /* truncated, terminated */
    assert_int_equal(dur_parse("10", &ms, NULL, 0), -1);
    assert_int_equal(dur_parse("10", &ms, err, 1), -1);
    assert_string_equal(err, "");
}

static void test_dur_parse_non_ascii_escaped(void **state)
{
    int64_t ms;
    char err[256];
    (void)state;
    assert_int_equal(dur_parse("5\xc3\xa9", &ms, err, sizeof err), -1);
    /* no raw control or non-ASCII byte reaches a message */
    for (const char *p = err; *p; p++)
        assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    assert_contains(err, "\"5\\xc3\\xa9\"");
}

/* ---- dur_format ---- */

static void test_dur_format(void **state)
{
    static const struct {
        int64_t ms;
        const char *want;
    } cases[] = {
        {0, "0s"},
        {1, "1ms"},
        {500, "500ms"},
        {1000, "1s"},
        {1500, "1s500ms"},
        {45000, "45s"},
        {90000, "1m30s"},
        {600000, "10m"},
        {5400000, "1h30m"},
        {86400000, "1d"},
        {172800000, "2d"},
        {90061001, "1d1h1m1s1ms"},
        {-90000, "-1m30s"},
        {INT64_MAX, "106751991167d7h12m55s807ms"},
        {INT64_MIN, "-106751991167d7h12m55s808ms"},
    };
    char out[64];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(dur_format(cases[i].ms, out, sizeof out),
                            cases[i].want);
    /* truncation keeps the string terminated */
    char small[4];
    assert_string_equal(dur_format(5400000, small, sizeof small), "1h3");
}

static void test_dur_roundtrip(void **state)
{
    char out[64], err[256];
    (void)state;
    /* a spread of values, including every unit boundary */
    for (int64_t ms = 1; ms < INT64_MAX / 7; ms = ms * 7 + 3) {
        int64_t back = -1;
        dur_format(ms, out, sizeof out);
        if (dur_parse(out, &back, err, sizeof err) != 0)
            fail_msg("%lld -> %s: %s", (long long)ms, out, err);
        assert_int_equal(back, ms);
    }
}

/* ---- dur_quote ---- */

static void test_dur_quote(void **state)
{
    char out[64];
    (void)state;
    assert_string_equal(dur_quote("web", out, sizeof out), "\"web\"");
    assert_string_equal(dur_quote("a\"b\\c", out, sizeof out),
                        "\"a\\\"b\\\\c\"");
    assert_string_equal(dur_quote("a\nb\tc\x7f", out, sizeof out),
                        "\"a\\nb\\tc\\x7f\"");
    assert_string_equal(dur_quote(NULL, out, sizeof out), "NULL");
    assert_string_equal(dur_quote("", out, sizeof out), "\"\"");
    /* long values end in ..." and stay within out */
    char small[12];
    assert_string_equal(dur_quote("abcdefghijklmnop", small, sizeof small),
                        "\"abcdef...\"");
    assert_string_equal(dur_quote("abcdef", small, sizeof small), "\"abcdef\"");
}

/* ---- unit_parse ---- */

static void test_unit_parse_valid(void **state)
{
    static const struct {
        const char *in;
        enum unit_kind kind;
        double want;
    } cases[] = {
        {"70%", UNIT_RATIO, 70.0},
        {"70", UNIT_RATIO, 70.0},
        {"12.5%", UNIT_RATIO, 12.5},
        {"0%", UNIT_RATIO, 0.0},
        {"350%", UNIT_RATIO, 350.0}, /* cpu_ratio on 4 cores */
        {"512MiB", UNIT_BYTES, 536870912.0},
        {"512mib", UNIT_BYTES, 536870912.0},
        {"1GB", UNIT_BYTES, 1e9},
        {"1gb", UNIT_BYTES, 1e9},
        {"1.5KiB", UNIT_BYTES, 1536.0},
        {"1048576", UNIT_BYTES, 1048576.0},
        {"100B", UNIT_BYTES, 100.0},
        {"2KB", UNIT_BYTES, 2000.0},
        {"3MB", UNIT_BYTES, 3e6},
        {"1TB", UNIT_BYTES, 1e12},
        {"2GiB", UNIT_BYTES, 2147483648.0},
        {"1TiB", UNIT_BYTES, 1099511627776.0},
        {"1PiB", UNIT_BYTES, 1125899906842624.0},
        {"10MiB/s", UNIT_RATE, 10485760.0},
        {"1MB/s", UNIT_RATE, 1e6},
        {"1048576", UNIT_RATE, 1048576.0},
        {"1048576/s", UNIT_RATE, 1048576.0},
        {"100B/s", UNIT_RATE, 100.0},
        {"100", UNIT_COUNT, 100.0},
        {"0", UNIT_COUNT, 0.0},
        {"2.5", UNIT_COUNT, 2.5},
        {"1000000000000000%", UNIT_RATIO, 1e15},
        {"9223372036854775808", UNIT_BYTES, 9223372036854775808.0},
        {"0.00000000000000000000000000000000000001", UNIT_COUNT, 1e-38},
        {"100", UNIT_VALUE, 100.0},
        {"2.5k", UNIT_VALUE, 2500.0},
        {"1M", UNIT_VALUE, 1e6},
        {"3G", UNIT_VALUE, 3e9},
        {"250ms", UNIT_VALUE, 0.25},
        {"2s", UNIT_VALUE, 2.0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -1;
        char err[320] = "";
        if (unit_parse(cases[i].in, cases[i].kind, &v, err, sizeof err))
            fail_msg("%s: unexpected error %s", cases[i].in, err);
        if (v != cases[i].want)
            fail_msg("%s: %.17g, expected %.17g", cases[i].in, v,
                     cases[i].want);
    }
}

static void test_unit_parse_errors(void **state)
{
    static const struct {
        const char *in;
        enum unit_kind kind;
        const char *want; /* the start of the message, before the forms */
    } cases[] = {
        {"abc%", UNIT_RATIO, "\"abc%\": not a number; use 70% or 70"},
        {"", UNIT_RATIO, "\"\": empty; use 70%"},
        {"  ", UNIT_RATIO, "\"  \": only whitespace; use 70%"},
        {"-5%", UNIT_RATIO, "\"-5%\": cannot be negative; use 70%"},
        {"nan", UNIT_RATIO, "\"nan\": not a number"},
        {"NaN%", UNIT_RATIO, "\"NaN%\": not a number"},
        {"inf", UNIT_RATIO, "\"inf\": not a number"},
        {"infinity", UNIT_BYTES, "\"infinity\": not a number"},
        {"0x10", UNIT_RATIO, "\"0x10\": not a decimal number"},
        {"0x10", UNIT_BYTES, "\"0x10\": not a decimal number"},
        {"1e5", UNIT_RATIO, "\"1e5\": exponents are not accepted"},
        {"1E+5", UNIT_COUNT, "\"1E+5\": exponents are not accepted"},
        {"70%%", UNIT_RATIO,
         "\"70%%\": a ratio takes only a % sign after the number"},
        {"70MiB", UNIT_RATIO,
         "\"70MiB\": a ratio takes only a % sign after the number"},
        {"70 %", UNIT_RATIO, "\"70 %\": no space allowed after the number"},
        {"5%", UNIT_BYTES, "\"5%\": bytes are not a percentage; use 512MiB"},
        {"5%", UNIT_RATE, "\"5%\": a rate is not a percentage; use 10MiB/s"},
        {"5%", UNIT_COUNT, "\"5%\": a count takes no unit"},
        {"5m", UNIT_VALUE,
         "\"5m\": unknown unit; a value takes k, M, G, s or ms (case "
         "matters: m is not M)"},
        {"5K", UNIT_VALUE, "\"5K\": unknown unit"},
        {"-1", UNIT_VALUE, "\"-1\": cannot be negative"},
        {"2000T", UNIT_VALUE, "\"2000T\": unknown unit"},
        {"512k", UNIT_BYTES,
         "\"512k\": \"k\" is ambiguous: say 512KiB (1024-based, as docker's "
         "512k) or 512KB (1000-based)"},
        {"512m", UNIT_BYTES,
         "\"512m\": \"m\" is ambiguous: say 512MiB (1024-based, as docker's "
         "512m) or 512MB (1000-based)"},
        {"1G", UNIT_BYTES, "\"1G\": \"G\" is ambiguous"},
        {"10XB", UNIT_BYTES, "\"10XB\": unknown unit \"XB\""},
        {"512 MiB", UNIT_BYTES, "\"512 MiB\": no space allowed"},
        {"10MiB", UNIT_RATE,
         "\"10MiB\": a rate needs /s after the unit, e.g. 10MiB/s"},
        {"10MiB/s", UNIT_BYTES,
         "\"10MiB/s\": this metric is bytes, not a rate: drop /s"},
        {"10MiB/h", UNIT_RATE, "\"10MiB/h\": unknown unit \"MiB/h\""},
        {"1.", UNIT_COUNT, "\"1.\": a '.' must be followed by digits"},
        {".5", UNIT_COUNT, "\".5\": not a number"},
        {"+5", UNIT_COUNT, "\"+5\": not a number"},
        {"1,5", UNIT_COUNT, "\"1,5\": a count takes no unit"},
        {"10000000000000000000", UNIT_BYTES,
         "\"10000000000000000000\": too large"},
        {"9000PiB", UNIT_BYTES, "\"9000PiB\": too large"},
        {"1000000000000001%", UNIT_RATIO, "\"1000000000000001%\": too large"},
        {"1000000000000000.5", UNIT_COUNT, "\"1000000000000000.5\": too large"},
        {"12345678901234567890123456789012345678901", UNIT_COUNT,
         "\"12345678901234567890123456789012345678901\": too many digits"},
        {"5\n", UNIT_COUNT, "\"5\\n\": no space allowed after the number"},
        {"5\xff", UNIT_BYTES, "\"5\\xff\": unknown unit \"\\xff\""},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -7;
        char err[320] = "";
        if (unit_parse(cases[i].in, cases[i].kind, &v, err, sizeof err) != -1)
            fail_msg("case %zu (%s) accepted: %g", i, cases[i].in, v);
        if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu:\n got  %s\n want %s...", i, err, cases[i].want);
        assert_dbl(v, -7);
    }
}

static void test_unit_parse_forms_in_message(void **state)
{
    double v;
    char err[320];
    (void)state;
    assert_int_equal(unit_parse("abc%", UNIT_RATIO, &v, err, sizeof err), -1);
    assert_string_equal(err, "\"abc%\": not a number; use 70% or 70 (a "
                             "percentage, 0 or more; 100 = one full core "
                             "for cpu_ratio)");
    assert_int_equal(unit_parse("x", UNIT_BYTES, &v, err, sizeof err), -1);
    assert_contains(err, unit_forms(UNIT_BYTES));
    assert_int_equal(unit_parse("x", UNIT_RATE, &v, err, sizeof err), -1);
    assert_contains(err, unit_forms(UNIT_RATE));
    assert_int_equal(unit_parse("x", UNIT_COUNT, &v, err, sizeof err), -1);
    assert_contains(err, unit_forms(UNIT_COUNT));
    assert_int_equal(unit_parse(NULL, UNIT_COUNT, &v, err, sizeof err), -1);
    assert_contains(err, "no value");
}

/* ---- unit_format / unit_format_exact ---- */

static void test_unit_format(void **state)
{
    char out[64];
    (void)state;
    assert_string_equal(unit_format(84.2, UNIT_RATIO, out, sizeof out),
                        "84.2%");
    assert_string_equal(unit_format(5, UNIT_RATIO, out, sizeof out), "5.0%");
    assert_string_equal(unit_format(84.25001, UNIT_RATIO, out, sizeof out),
                        "84.3%");
    assert_string_equal(unit_format(536870912, UNIT_BYTES, out, sizeof out),
                        "512.0MiB");
    assert_string_equal(unit_format(100, UNIT_BYTES, out, sizeof out), "100B");
    assert_string_equal(unit_format(1536, UNIT_BYTES, out, sizeof out),
                        "1.5KiB");
    assert_string_equal(unit_format(10485760, UNIT_RATE, out, sizeof out),
                        "10.0MiB/s");
    assert_string_equal(unit_format(12, UNIT_COUNT, out, sizeof out), "12.0");
    assert_string_equal(unit_format(NAN, UNIT_RATIO, out, sizeof out), "n/a");
    assert_string_equal(unit_format(INFINITY, UNIT_BYTES, out, sizeof out),
                        "n/a");
    assert_string_equal(unit_format(1e30, UNIT_BYTES, out, sizeof out),
                        "867361737988.4EiB");
}

static void test_unit_format_exact(void **state)
{
    static const struct {
        double v;
        enum unit_kind kind;
        const char *want;
    } cases[] = {
        {70, UNIT_RATIO, "70%"},
        {12.5, UNIT_RATIO, "12.5%"},
        {0.1, UNIT_RATIO, "0.1%"},
        {0.00001, UNIT_RATIO, "0.00001%"},
        {1e15, UNIT_RATIO, "1000000000000000%"},
        {1e-38, UNIT_COUNT, "0.00000000000000000000000000000000000001"},
        {9223372036854775808.0, UNIT_BYTES, "8EiB"},
        {536870912, UNIT_BYTES, "512MiB"},
        {1e9, UNIT_BYTES, "1GB"},
        {1536, UNIT_BYTES, "1.5KiB"},
        {1500, UNIT_BYTES, "1.5KB"},
        {1048576, UNIT_BYTES, "1MiB"},
        {1048577, UNIT_BYTES, "1048577B"},
        {100, UNIT_BYTES, "100B"},
        {0, UNIT_BYTES, "0B"},
        {10485760, UNIT_RATE, "10MiB/s"},
        {1e6, UNIT_RATE, "1MB/s"},
        {100, UNIT_COUNT, "100"},
        {2.5, UNIT_COUNT, "2.5"},
    };
    char out[64];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(
            unit_format_exact(cases[i].v, cases[i].kind, out, sizeof out),
            cases[i].want);
}

/* Whatever unit_parse accepts, unit_format_exact writes back so that it
 * reads as the same value; and the inputs each kind accepts are exactly the
 * expected ones, so a parser that started refusing them (and left the loop
 * nothing to check) fails here. */
static void test_unit_exact_roundtrip(void **state)
{
    static const char *const inputs[] = {
        "70%",    "0.3",    "33.333", "512MiB", "1GB",     "1.5KiB",
        "123456", "7.25TB", "0.5B",   "999KiB", "1.001MB", "4PiB",
    };
    static const struct {
        enum unit_kind kind;
        const char *accepted; /* the inputs that round-trip, in order */
    } kinds[] = {
        {UNIT_RATIO, "70% 0.3 33.333 123456"},
        {UNIT_BYTES, "0.3 33.333 512MiB 1GB 1.5KiB 123456 7.25TB 0.5B "
                     "999KiB 1.001MB 4PiB"},
        {UNIT_RATE, "0.3 33.333 512MiB/s 1GB/s 1.5KiB/s 123456 7.25TB/s "
                    "0.5B/s 999KiB/s 1.001MB/s 4PiB/s"},
        {UNIT_COUNT, "0.3 33.333 123456"},
    };
    (void)state;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char done[512] = "";
        for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
            char in[64], out[64], err[320];
            double v, back;
            snprintf(in, sizeof in, "%s", inputs[i]);
            if (kinds[k].kind == UNIT_RATE && strpbrk(in, "BKMGTP"))
                snprintf(in, sizeof in, "%s/s", inputs[i]);
            if (unit_parse(in, kinds[k].kind, &v, err, sizeof err))
                continue; /* not a form of this kind: checked below */
            unit_format_exact(v, kinds[k].kind, out, sizeof out);
            if (unit_parse(out, kinds[k].kind, &back, err, sizeof err))
                fail_msg("%s -> %s: %s", in, out, err);
            if (back != v)
                fail_msg("%s -> %s -> %.17g != %.17g", in, out, back, v);
            size_t len = strlen(done);
            snprintf(done + len, sizeof done - len, "%s%s", len ? " " : "", in);
        }
        assert_string_equal(done, kinds[k].accepted);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dur_parse_valid),
        cmocka_unit_test(test_dur_parse_bare_number),
        cmocka_unit_test(test_dur_parse_errors),
        cmocka_unit_test(test_dur_parse_null_and_tiny_err),
        cmocka_unit_test(test_dur_parse_non_ascii_escaped),
        cmocka_unit_test(test_dur_format),
        cmocka_unit_test(test_dur_roundtrip),
        cmocka_unit_test(test_dur_quote),
        cmocka_unit_test(test_unit_parse_valid),
        cmocka_unit_test(test_unit_parse_errors),
        cmocka_unit_test(test_unit_parse_forms_in_message),
        cmocka_unit_test(test_unit_format),
        cmocka_unit_test(test_unit_format_exact),
        cmocka_unit_test(test_unit_exact_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
