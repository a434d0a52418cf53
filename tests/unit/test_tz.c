/* tz.h: TZif files and POSIX TZ rules, offsets at instants and the
 * instants of local times across daylight-saving changes. The zone files
 * are copies of the tz database's (tests/fixtures/tz, public domain). */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "tz.h"

#define assert_contains(hay, needle)                                           \
    do {                                                                       \
        if (!strstr((hay), (needle)))                                          \
            fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));       \
    } while (0)

/* 2026-03-29 01:00 UTC: Berlin 02:00 CET becomes 03:00 CEST; 2026-10-25
 * 01:00 UTC: 03:00 CEST becomes 02:00 CET. */
#define BER_SPRING 1774746000LL
#define BER_FALL 1792890000LL
/* New York: 2026-03-08 07:00 UTC (02:00 EST → 03:00 EDT), 2026-11-01
 * 06:00 UTC (02:00 EDT → 01:00 EST). */
#define NY_SPRING 1772953200LL
#define NY_FALL 1793512800LL
/* Berlin in 2040, past the file's last transition (2037): the footer's
 * rule. */
#define BER_SPRING_2040 2216250000LL
#define BER_FALL_2040 2234998800LL
#define H 3600

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    unsigned char *b = malloc(TZ_FILE_MAX + 1);
    *len = fread(b, 1, TZ_FILE_MAX + 1, f);
    fclose(f);
    return b;
}

static void load(const char *name, struct tz *z)
{
    size_t len;
    char path[256], err[256] = "";
    snprintf(path, sizeof path, FIXTURES "/tz/%s", name);
    unsigned char *b = slurp(path, &len);
    if (tz_parse(b, len, z, err, sizeof err))
        fail_msg("%s: %s", name, err);
    free(b);
}

static void test_civil(void **state)
{
    (void)state;
    assert_int_equal(tz_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(tz_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(tz_days_from_civil(1969, 12, 31), -1);
    for (int64_t d = -800000; d < 800000; d += 37) {
        int64_t y;
        int m, dd;
        tz_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(tz_days_from_civil(y, m, dd), d);
    }
}

static void test_berlin_2026(void **state)
{
    struct tz z;
    (void)state;
    load("Europe_Berlin", &z);
    assert_true(z.has_rule);
    assert_true(z.ntrans > 100);
    assert_int_equal(tz_offset(&z, BER_SPRING - 1), 1 * H);
    assert_int_equal(tz_offset(&z, BER_SPRING), 2 * H);
    assert_int_equal(tz_offset(&z, BER_FALL - 1), 2 * H);
    assert_int_equal(tz_offset(&z, BER_FALL), 1 * H);
    /* before the first transition: its first type (local mean time) */
    assert_int_equal(tz_offset(&z, -5000000000LL), z.off[0]);
    /* after the last: the footer "CET-1CEST,M3.5.0,M10.5.0/3" */
    assert_int_equal(tz_offset(&z, BER_SPRING_2040 - 1), 1 * H);
    assert_int_equal(tz_offset(&z, BER_SPRING_2040), 2 * H);
    assert_int_equal(tz_offset(&z, BER_FALL_2040 - 1), 2 * H);
    assert_int_equal(tz_offset(&z, BER_FALL_2040), 1 * H);
    tz_cleanup(&z);
}

static void test_new_york_2026(void **state)
{
    struct tz z;
    (void)state;
    load("America_New_York", &z);
    assert_int_equal(tz_offset(&z, NY_SPRING - 1), -5 * H);
    assert_int_equal(tz_offset(&z, NY_SPRING), -4 * H);
    assert_int_equal(tz_offset(&z, NY_FALL - 1), -4 * H);
    assert_int_equal(tz_offset(&z, NY_FALL), -5 * H);
    tz_cleanup(&z);
}

/* The rule alone (a zone with no transitions) gives the same instants. */
static void test_rule_alone(void **state)
{
    struct tz z;
    char err[256] = "";
    (void)state;
    tz_init_utc(&z);
    assert_int_equal(
        tz_rule_parse("CET-1CEST,M3.5.0,M10.5.0/3", &z.rule, err, sizeof err),
        0);
    z.has_rule = true;
    assert_int_equal(z.rule.std_off, H);
    assert_int_equal(z.rule.dst_off, 2 * H);
    assert_int_equal(tz_offset(&z, BER_SPRING - 1), 1 * H);
    assert_int_equal(tz_offset(&z, BER_SPRING), 2 * H);
    assert_int_equal(tz_offset(&z, BER_FALL - 1), 2 * H);
    assert_int_equal(tz_offset(&z, BER_FALL), 1 * H);
    assert_int_equal(
        tz_rule_parse("EST5EDT,M3.2.0,M11.1.0", &z.rule, err, sizeof err), 0);
    assert_int_equal(tz_offset(&z, NY_SPRING - 1), -5 * H);
    assert_int_equal(tz_offset(&z, NY_SPRING), -4 * H);
    assert_int_equal(tz_offset(&z, NY_FALL - 1), -4 * H);
    assert_int_equal(tz_offset(&z, NY_FALL), -5 * H);
}

static int32_t rule_off(const char *rule, int64_t t)
{
    struct tz z;
    char err[256] = "";
    tz_init_utc(&z);
    if (tz_rule_parse(rule, &z.rule, err, sizeof err))
        fail_msg("%s", err);
    z.has_rule = true;
    return tz_offset(&z, t);
}

/* The other forms a footer takes. */
static void test_rule_forms(void **state)
{
    (void)state;
    /* 2026-01-15 and 2026-07-15, noon UTC */
    const int64_t jan = 1768478400, jul = 1784116800;
    /* southern hemisphere: daylight time across the new year */
    assert_int_equal(rule_off("AEST-10AEDT,M10.1.0,M4.1.0/3", jan), 11 * H);
    assert_int_equal(rule_off("AEST-10AEDT,M10.1.0,M4.1.0/3", jul), 10 * H);
    assert_int_equal(rule_off("<+0330>-3:30", jan), 3 * H + 1800);
    assert_int_equal(rule_off("UTC0", jul), 0);
    /* RFC 8536's extensions: negative and past-24h times; all-year DST */
    assert_int_equal(rule_off("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", jul), -2 * H);
    assert_int_equal(rule_off("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", jan), -3 * H);
    assert_int_equal(rule_off("EST5EDT4,0/0,J365/25", jan), -4 * H);
    assert_int_equal(rule_off("EST5EDT4,0/0,J365/25", jul), -4 * H);
    /* Julian days: J60 is March 1 in every year; 59 (0-based) Feb 29 in a
     * leap year. 2028-03-01 00:00 UTC is 1835481600. */
    assert_int_equal(rule_off("XXX0YYY,J60/0,J300", 1835481600 - 1), 0);
    assert_int_equal(rule_off("XXX0YYY,J60/0,J300", 1835481600), H);
    assert_int_equal(rule_off("XXX0YYY,59/0,300", 1835481600 - 86400), H);
    assert_int_equal(rule_off("XXX0YYY,59/0,300", 1835481600 - 86401), 0);
}

static void rule_bad(const char *rule, const char *want)
{
    struct tz_rule r;
    char err[256] = "";
    if (!tz_rule_parse(rule, &r, err, sizeof err))
        fail_msg("%s accepted", rule);
    assert_contains(err, want);
}

static void test_rule_bad(void **state)
{
    (void)state;
    rule_bad("CET-1CEST", "without its rule");
    rule_bad("XX-1", "shorter than 3");
    rule_bad("CET", "a number out of range");
    rule_bad("CET-1CEST,M13.5.0,M10.5.0", "out of range");
    rule_bad("CET-1CEST,M3.5.0", "no ','");
    rule_bad("CET-1CEST,M3.5.0,M10.5.0/3x", "bytes after the rule");
    rule_bad("<+03-3", "not closed");
    rule_bad("CET-25", "out of range");
}

/* Local time to instants: once, twice (the first), never (the change). */
static void test_local_to_utc(void **state)
{
    struct tz z;
    (void)state;
    load("Europe_Berlin", &z);
    /* 2026-03-29 local midnight, as if UTC */
    const int64_t mar29 = 1774742400, oct25 = 1792886400;
    assert_int_equal(tz_local_to_utc(&z, mar29 + 1 * H + 59 * 60),
                     BER_SPRING - 60);
    assert_int_equal(tz_local_to_utc(&z, mar29 + 2 * H), BER_SPRING);
    assert_int_equal(tz_local_to_utc(&z, mar29 + 2 * H + 1800), BER_SPRING);
    assert_int_equal(tz_local_to_utc(&z, mar29 + 3 * H), BER_SPRING);
    assert_int_equal(tz_local_to_utc(&z, mar29 + 3 * H + 60), BER_SPRING + 60);
    /* 02:00-03:00 twice on October 25: the first, in CEST */
    assert_int_equal(tz_local_to_utc(&z, oct25 + 2 * H), BER_FALL - H);
    assert_int_equal(tz_local_to_utc(&z, oct25 + 2 * H + 1800),
                     BER_FALL - 1800);
    assert_int_equal(tz_local_to_utc(&z, oct25 + 3 * H), BER_FALL + H);
    assert_int_equal(tz_local_to_utc(&z, oct25 + 1 * H + 1800),
                     BER_FALL - 2 * H + 1800);
    tz_cleanup(&z);
    load("America_New_York", &z);
    /* 2026-03-08 02:30 never; 2026-11-01 01:30 twice */
    assert_int_equal(tz_local_to_utc(&z, 1772937000), NY_SPRING);
    assert_int_equal(tz_local_to_utc(&z, 1793496600), NY_FALL - 1800);
    tz_cleanup(&z);
}

static void tzif_bad(const unsigned char *b, size_t len, const char *want)
{
    struct tz z;
    char err[256] = "";
    if (!tz_parse(b, len, &z, err, sizeof err))
        fail_msg("accepted; want %s", want);
    assert_contains(err, want);
}

static void test_tzif_bad(void **state)
{
    size_t len;
    (void)state;
    unsigned char *b = slurp(FIXTURES "/tz/Europe_Berlin", &len);
    tzif_bad(b, 30, "not a TZif file");
    tzif_bad(b, 200, "truncated");
    tzif_bad(b, len - 3, "footer");
    tzif_bad((const unsigned char *)"TZiX", 4, "not a TZif file");
    unsigned char *c = malloc(len);
    memcpy(c, b, len);
    c[4] = 'X';
    tzif_bad(c, len, "version byte");
    /* the 64-bit block's first two transitions swapped round */
    memcpy(c, b, len);
    uint32_t timecnt = (uint32_t)b[32] << 24 | (uint32_t)b[33] << 16 |
                       (uint32_t)b[34] << 8 | b[35];
    uint32_t typecnt = (uint32_t)b[36] << 24 | (uint32_t)b[37] << 16 |
                       (uint32_t)b[38] << 8 | b[39];
    uint32_t charcnt = (uint32_t)b[40] << 24 | (uint32_t)b[41] << 16 |
                       (uint32_t)b[42] << 8 | b[43];
    uint32_t isstd = (uint32_t)b[27], isut = (uint32_t)b[23];
    size_t v1 = timecnt * 5 + typecnt * 6 + charcnt + isstd + isut;
    unsigned char *t2 = c + 44 + v1 + 44;
    memcpy(t2, b + 44 + v1 + 44 + 8, 8);
    memcpy(t2 + 8, b + 44 + v1 + 44, 8);
    tzif_bad(c, len, "not after the one before");
    /* a transition's type past the types */
    memcpy(c, b, len);
    t2[timecnt * 8] = 200;
    tzif_bad(c, len, "type 200 of");
    free(c);
    free(b);
    unsigned char big[TZ_FILE_MAX + 1] = "TZif2";
    tzif_bad(big, sizeof big, "more than a zone file's");
}

/* A version 1 file (32-bit data, no footer), made here: one transition
 * at 1000 s from +1h to +2h. */
static void test_tzif_v1(void **state)
{
    unsigned char f[44 + 4 + 1 + 12 + 8] = "TZif";
    struct tz z;
    char err[256] = "";
    (void)state;
    f[35] = 1; /* timecnt */
    f[39] = 2; /* typecnt */
    f[43] = 8; /* charcnt */
    unsigned char *d = f + 44;
    d[2] = 0x03, d[3] = 0xe8;                 /* 1000 */
    d[4] = 1;                                 /* type 1 */
    d[5 + 2] = 0x0e, d[5 + 3] = 0x10;         /* 3600 */
    d[5 + 6 + 2] = 0x1c, d[5 + 6 + 3] = 0x20; /* 7200 */
    d[5 + 6 + 4] = 1;
    memcpy(d + 17, "AAA\0BBB", 8);
    assert_int_equal(tz_parse(f, sizeof f, &z, err, sizeof err), 0);
    assert_false(z.has_rule);
    assert_int_equal(tz_offset(&z, 999), H);
    assert_int_equal(tz_offset(&z, 1000), 2 * H);
    assert_int_equal(tz_offset(&z, 5000000000LL), 2 * H);
    tz_cleanup(&z);
}

static void name_bad(const char *name, const char *want)
{
    char err[256] = "";
    if (!tz_name_check(name, err, sizeof err))
        fail_msg("%s accepted", name);
    assert_contains(err, want);
    assert_contains(err, "use a name of the tz database");
}

static void test_name_check(void **state)
{
    char err[256];
    (void)state;
    assert_int_equal(tz_name_check("Europe/Paris", err, sizeof err), 0);
    assert_int_equal(
        tz_name_check("America/Argentina/Buenos_Aires", err, sizeof err), 0);
    assert_int_equal(tz_name_check("Etc/GMT+5", err, sizeof err), 0);
    assert_int_equal(tz_name_check("UTC", err, sizeof err), 0);
    name_bad("../etc/passwd", "does not start with a letter");
    name_bad("Europe/../../etc/passwd", "\".\" not allowed");
    name_bad("/etc/passwd", "does not start with a letter");
    name_bad("Europe//Paris", "an empty part");
    name_bad("Europe/", "an empty part");
    name_bad("", "empty");
    name_bad("Europe/Pa ris", "\" \" not allowed");
    name_bad("Europe/Parisxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
             "longer than 47");
}

/* Every zone file of this machine's database parses, and local times map
 * back: the instant of an instant's own local time is at or before it,
 * with that local time. */
static size_t nzones;
static int check_zone(const char *path, const struct stat *st, int type,
                      struct FTW *ftw)
{
    (void)ftw;
    if (type != FTW_F || !S_ISREG(st->st_mode) || strstr(path, "/right/"))
        return 0;
    size_t len;
    unsigned char *b = slurp(path, &len);
    struct tz z;
    char err[256] = "";
    if (len < 4 || memcmp(b, "TZif", 4)) {
        free(b);
        return 0;
    }
    if (tz_parse(b, len, &z, err, sizeof err))
        fail_msg("%s: %s", path, err);
    free(b);
    for (int64_t t = 1767225600; t < 1830297600; t += 86400 * 7 + 3607) {
        int64_t local = t + tz_offset(&z, t);
        int64_t u = tz_local_to_utc(&z, local);
        if (u > t || u + tz_offset(&z, u) != local)
            fail_msg("%s: %lld local %lld gave %lld", path, (long long)t,
                     (long long)local, (long long)u);
    }
    tz_cleanup(&z);
    nzones++;
    return 0;
}

static void test_all_zones(void **state)
{
    (void)state;
    struct stat st;
    if (stat("/usr/share/zoneinfo/Europe/Berlin", &st)) {
        skip(); /* no tzdata here */
        return;
    }
    nftw("/usr/share/zoneinfo", check_zone, 16, FTW_PHYS);
    if (nzones < 300)
        fail_msg("only %zu zone files", nzones);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil),
        cmocka_unit_test(test_berlin_2026),
        cmocka_unit_test(test_new_york_2026),
        cmocka_unit_test(test_rule_alone),
        cmocka_unit_test(test_rule_forms),
        cmocka_unit_test(test_rule_bad),
        cmocka_unit_test(test_local_to_utc),
        cmocka_unit_test(test_tzif_bad),
        cmocka_unit_test(test_tzif_v1),
        cmocka_unit_test(test_name_check),
        cmocka_unit_test(test_all_zones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
