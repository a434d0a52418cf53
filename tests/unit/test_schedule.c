/* schedule.h: a policy's scheduled floors and ceilings, parsed and
 * evaluated, across Berlin's and New York's daylight-saving changes of
 * 2026 (zone files: tests/fixtures/tz). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schedule.h"

#define assert_contains(hay, needle)                                           \
    do {                                                                       \
        if (!strstr((hay), (needle)))                                          \
            fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));       \
    } while (0)

#define H 3600LL
/* Monday 2026-03-02 09:00 UTC; Saturday 2026-03-07 12:00 UTC */
#define MON_0900 1772442000LL
#define SAT_1200 1772884800LL
/* Berlin's changes (Sundays): 2026-03-29 01:00 UTC, 02:00 CET → 03:00
 * CEST; 2026-10-25 01:00 UTC, 03:00 CEST → 02:00 CET. */
#define BER_SPRING 1774746000LL
#define BER_FALL 1792890000LL

static void parse_ok(const char *text, struct sched *s)
{
    char err[512] = "";
    if (sched_parse(text, s, err, sizeof err))
        fail_msg("%s: %s", text, err);
}

static void parse_bad(const char *text, const char *want)
{
    struct sched s;
    char err[512] = "";
    if (!sched_parse(text, &s, err, sizeof err))
        fail_msg("%s accepted; want %s", text, want);
    if (!strstr(err, want))
        fail_msg("\n got  %s\n want ...%s...", err, want);
    for (const char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20)
            fail_msg("control byte in %s", err);
}

static void load(const char *name, struct tz *z)
{
    char path[256], err[256] = "";
    snprintf(path, sizeof path, FIXTURES "/tz/%s", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    unsigned char *b = malloc(TZ_FILE_MAX);
    size_t len = fread(b, 1, TZ_FILE_MAX, f);
    fclose(f);
    if (tz_parse(b, len, z, err, sizeof err))
        fail_msg("%s: %s", name, err);
    free(b);
}

static void test_parse(void **state)
{
    struct sched s;
    char t[SCHED_TEXT_MAX];
    (void)state;
    parse_ok("Mon-Fri 08:00-18:00 min=4; Sat,Sun 00:00-24:00 max=2; "
             "tz=Europe/Paris",
             &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.items[0].days, 0x1f);
    assert_int_equal(s.items[0].start, 8 * 60);
    assert_int_equal(s.items[0].end, 18 * 60);
    assert_int_equal(s.items[0].min_no, 4);
    assert_int_equal(s.items[0].max_no, 0);
    assert_int_equal(s.items[1].days, 0x60);
    assert_int_equal(s.items[1].end, 1440);
    assert_int_equal(s.items[1].max_no, 2);
    assert_string_equal(s.zone, "Europe/Paris");
    assert_string_equal(sched_text(&s, t, sizeof t),
                        "Mon-Fri 08:00-18:00 min=4; Sat,Sun 00:00-24:00 "
                        "max=2; tz=Europe/Paris");
    /* every day, across midnight, a wrapping range, lower case, newlines,
     * blanks, both bounds, midnight as the end */
    parse_ok("  22:00-06:00   max=2 \n\n fri-MON 10:00-11:00 max=3 min=2;"
             "Wed 20:00-00:00 min=2",
             &s);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.items[0].days, 0x7f);
    assert_int_equal(s.items[1].days, 0x71);
    assert_int_equal(s.items[2].end, 1440);
    assert_string_equal(sched_text(&s, t, sizeof t),
                        "22:00-06:00 max=2; Mon,Fri-Sun 10:00-11:00 min=2 "
                        "max=3; Wed 20:00-24:00 min=2");
    assert_string_equal(s.zone, "");
    parse_ok("Mon,Wed,Fri 09:00-10:00 min=2; tz=UTC", &s);
    assert_string_equal(sched_text(&s, t, sizeof t),
                        "Mon,Wed,Fri 09:00-10:00 min=2");
}

static void test_parse_bad(void **state)
{
    (void)state;
    parse_bad("Mon-Fry 08:00-18:00 min=2",
              "item 1 \"Mon-Fry 08:00-18:00 min=2\": \"Mon-Fry\": not a day; "
              "use Mon, Tue, Wed, Thu, Fri, Sat or Sun");
    parse_bad("tz=UTC; Mon 8:00-18:00 min=2",
              "item 2 \"Mon 8:00-18:00 min=2\": \"8:00-18:00\": not a time "
              "range; use HH:MM-HH:MM from 00:00 to 24:00");
    parse_bad("Mon 08:00-25:00 min=2", "not a time range");
    parse_bad("Mon 08:60-09:00 min=2", "not a time range");
    parse_bad("Mon 24:00-06:00 min=2", "starts at 24:00");
    parse_bad("Mon 08:00-08:00 min=2", "starts where it ends; a whole day is "
                                       "00:00-24:00");
    parse_bad("Mon 08:00-18:00", "no min=N or max=N");
    parse_bad("Mon", "no time range");
    parse_bad("Mon 08:00-18:00 min=0", "\"min=0\": not a replica count");
    parse_bad("Mon 08:00-18:00 min=10001", "not a replica count");
    parse_bad("Mon 08:00-18:00 min=x", "not a replica count");
    parse_bad("Mon 08:00-18:00 min=2 min=3", "min given twice");
    parse_bad("Mon 08:00-18:00 min=5 max=3", "min=5 above max=3");
    parse_bad("Mon 08:00-18:00 replicas=3", "not a bound; use min=N");
    parse_bad("Mon 08:00-18:00 min=2 max=3 now", "more than 4 words");
    parse_bad("tz=Europe/Paris; tz=UTC; Mon 08:00-18:00 min=2",
              "item 2 \"tz=UTC\": a second zone");
    parse_bad("tz=../etc/passwd; Mon 08:00-18:00 min=2",
              "item 1 \"tz=../etc/passwd\": \"../etc/passwd\": does not start "
              "with a letter");
    parse_bad("tz=Europe/Paris", "no window; use windows like");
    parse_bad("", "no window");
    parse_bad(" ; ;", "no window");
    char many[1024] = "";
    for (int i = 0; i < 13; i++)
        strcat(many, "Mon 08:00-09:00 min=2;");
    parse_bad(many, "item 13 \"Mon 08:00-09:00 min=2\": more than 12 windows");
    char *huge = malloc(SCHED_TEXT_MAX + 2);
    memset(huge, ' ', SCHED_TEXT_MAX + 1);
    huge[SCHED_TEXT_MAX + 1] = '\0';
    parse_bad(huge, "longer than 1024");
    free(huge);
}

/* A min above a max where two windows meet: refused, naming the first
 * minute they share. */
static void test_parse_cross(void **state)
{
    struct sched s;
    (void)state;
    parse_bad("Mon-Fri 08:00-18:00 min=6; 12:00-13:00 max=3",
              "items 1 \"Mon-Fri 08:00-18:00 min=6\" and 2 \"12:00-13:00 "
              "max=3\" both hold on Mon at 12:00 with min=6 above max=3");
    /* across midnight and the week's end: Sunday 22:00 to Monday 02:00 */
    parse_bad("Mon 01:00-03:00 max=2; Sun 22:00-02:00 min=5",
              "both hold on Mon at 01:00");
    /* apart, or not crossing: fine */
    parse_ok("Mon-Fri 08:00-18:00 min=6; Sat,Sun 00:00-24:00 max=2", &s);
    parse_ok("Mon-Fri 08:00-18:00 min=3; 12:00-13:00 max=3", &s);
    parse_ok("Mon 18:00-20:00 min=6; Mon 08:00-18:00 max=2", &s);
}

static void test_check_bounds(void **state)
{
    struct sched s;
    char err[512] = "";
    (void)state;
    parse_ok("Mon-Fri 08:00-18:00 min=12", &s);
    assert_int_equal(sched_check_bounds(&s, 1, 10, err, sizeof err), -1);
    assert_string_equal(err, "window 1 \"Mon-Fri 08:00-18:00 min=12\": min=12 "
                             "is above max_no 10; a scheduled min must be at "
                             "most max_no");
    assert_int_equal(sched_check_bounds(&s, 1, 12, err, sizeof err), 0);
    parse_ok("Sat,Sun 00:00-24:00 max=1; Mon 08:00-09:00 min=2", &s);
    assert_int_equal(sched_check_bounds(&s, 2, 10, err, sizeof err), -1);
    assert_contains(err, "max=1 is below min_no 2");
    assert_int_equal(sched_check_bounds(&s, 1, 10, err, sizeof err), 0);
}

static void eval_at(const struct sched *s, const struct tz *z, int64_t t,
                    long min_no, long max_no, struct sched_now *now)
{
    sched_eval(s, z, t * 1000, min_no, max_no, now);
}

static const char *holds(const struct sched *s, const struct sched_now *now)
{
    static char buf[200];
    return sched_holds(s, now, buf, sizeof buf);
}

static void test_eval_utc(void **state)
{
    struct sched s;
    struct sched_now now;
    struct tz utc;
    (void)state;
    tz_init_utc(&utc);
    parse_ok("Mon-Fri 08:00-18:00 min=4; Sat,Sun 00:00-24:00 max=2", &s);
    eval_at(&s, &utc, MON_0900, 1, 10, &now);
    assert_int_equal(now.min_no, 4);
    assert_int_equal(now.max_no, 10);
    assert_int_equal(now.min_item, 0);
    assert_int_equal(now.max_item, -1);
    assert_int_equal(now.active, 1);
    assert_string_equal(holds(&s, &now), "Mon-Fri 08:00-18:00 min=4 (UTC)");
    assert_int_equal(now.next_ms, (MON_0900 + 9 * H) * 1000);
    assert_string_equal(now.next_local, "Mon 18:00");
    /* the end is not in the window */
    eval_at(&s, &utc, MON_0900 + 9 * H, 1, 10, &now);
    assert_int_equal(now.min_no, 1);
    assert_int_equal(now.active, 0);
    assert_string_equal(holds(&s, &now), "");
    assert_string_equal(now.next_local, "Tue 08:00");
    eval_at(&s, &utc, MON_0900 + 9 * H - 1, 1, 10, &now);
    assert_int_equal(now.min_no, 4);
    /* the weekend's ceiling; its next change is Monday 00:00 */
    eval_at(&s, &utc, SAT_1200, 1, 10, &now);
    assert_int_equal(now.min_no, 1);
    assert_int_equal(now.max_no, 2);
    assert_int_equal(now.max_item, 1);
    assert_string_equal(holds(&s, &now), "Sat,Sun 00:00-24:00 max=2 (UTC)");
    assert_string_equal(now.next_local, "Mon 00:00");
    /* a window that does not pass the policy's own bound holds nothing */
    eval_at(&s, &utc, MON_0900, 5, 10, &now);
    assert_int_equal(now.min_no, 5);
    assert_int_equal(now.min_item, -1);
    assert_int_equal(now.active, 1);
    assert_string_equal(holds(&s, &now), "");
    /* across midnight: Friday 22:00 to Saturday 06:00 */
    parse_ok("Fri 22:00-06:00 max=3; Sat 05:00-07:00 min=3", &s);
    eval_at(&s, &utc, SAT_1200 - 7 * H, 1, 10, &now); /* Sat 05:00 */
    assert_int_equal(now.max_no, 3);
    assert_int_equal(now.min_no, 3);
    assert_int_equal(now.active, 3);
    assert_string_equal(holds(&s, &now),
                        "Sat 05:00-07:00 min=3; Fri 22:00-06:00 "
                        "max=3 (UTC)");
    eval_at(&s, &utc, SAT_1200 - 6 * H, 1, 10, &now); /* Sat 06:00 */
    assert_int_equal(now.max_no, 10);
    assert_int_equal(now.min_no, 3);
    eval_at(&s, &utc, SAT_1200 - 14 * H, 1, 10, &now); /* Fri 22:00 */
    assert_int_equal(now.max_no, 3);
    eval_at(&s, &utc, SAT_1200 - 14 * H - 1, 1, 10, &now);
    assert_int_equal(now.max_no, 10);
}

/* A floor and a ceiling that would cross: the floor wins (sched_parse
 * refuses such a schedule; here it is built by hand). */
static void test_eval_floor_wins(void **state)
{
    struct sched s;
    struct sched_now now;
    struct tz utc;
    (void)state;
    tz_init_utc(&utc);
    memset(&s, 0, sizeof s);
    s.n = 2;
    s.items[0] = (struct sched_item){0x7f, 0, 1440, 6, 0};
    s.items[1] = (struct sched_item){0x7f, 0, 1440, 0, 3};
    eval_at(&s, &utc, MON_0900, 1, 10, &now);
    assert_int_equal(now.min_no, 6);
    assert_int_equal(now.max_no, 6);
}

static bool on_at(const struct sched *s, const struct tz *z, int64_t t)
{
    struct sched_now now;
    eval_at(s, z, t, 1, 10, &now);
    return now.min_no == 3 || now.max_no == 2;
}

/* Berlin, spring forward: a window starting in the skipped hour starts
 * at the change (03:00 CEST); one wholly inside it does not happen. */
static void test_dst_spring(void **state)
{
    struct sched s;
    struct sched_now now;
    struct tz z;
    (void)state;
    load("Europe_Berlin", &z);
    parse_ok("Sun 02:30-04:00 min=3; tz=Europe/Berlin", &s);
    assert_false(on_at(&s, &z, BER_SPRING - 1)); /* 01:59:59 CET */
    assert_true(on_at(&s, &z, BER_SPRING));      /* 03:00 CEST */
    assert_true(on_at(&s, &z, BER_SPRING + H - 1));
    assert_false(on_at(&s, &z, BER_SPRING + H)); /* 04:00 CEST */
    eval_at(&s, &z, BER_SPRING - 600, 1, 10, &now);
    assert_int_equal(now.next_ms, BER_SPRING * 1000);
    assert_string_equal(now.next_local, "Sun 03:00");
    /* the week before, the window is its 90 minutes in CET */
    assert_false(on_at(&s, &z, BER_SPRING - 7 * 86400 + 1800 - 1));
    assert_true(on_at(&s, &z, BER_SPRING - 7 * 86400 + 1800));
    assert_false(on_at(&s, &z, BER_SPRING - 7 * 86400 + 3 * H));
    parse_ok("Sun 02:00-02:30 min=3; tz=Europe/Berlin", &s);
    for (int64_t t = BER_SPRING - H; t <= BER_SPRING + H; t += 300)
        assert_false(on_at(&s, &z, t));
    tz_cleanup(&z);
}

/* Berlin, fall back: 02:00-03:00 occurs twice; a start or end in it is
 * its first occurrence, so a window across it runs without a break and
 * one that ended in its first pass does not come back in its second. */
static void test_dst_fall(void **state)
{
    struct sched s;
    struct tz z;
    (void)state;
    load("Europe_Berlin", &z);
    parse_ok("Sun 02:30-04:00 min=3; tz=Europe/Berlin", &s);
    assert_false(on_at(&s, &z, BER_FALL - 1801)); /* 02:29:59 CEST */
    assert_true(on_at(&s, &z, BER_FALL - 1800));  /* 02:30 CEST */
    for (int64_t t = BER_FALL - 1800; t < BER_FALL + 2 * H; t += 60)
        assert_true(on_at(&s, &z, t));             /* no break at 02:xx CET */
    assert_false(on_at(&s, &z, BER_FALL + 2 * H)); /* 04:00 CET */
    parse_ok("Sun 00:00-02:30 max=2; tz=Europe/Berlin", &s);
    assert_true(on_at(&s, &z, BER_FALL - 1801));
    assert_false(on_at(&s, &z, BER_FALL - 1800));
    for (int64_t t = BER_FALL - 1800; t < BER_FALL + 2 * H; t += 60)
        assert_false(on_at(&s, &z, t));
    tz_cleanup(&z);
}

/* New York: office hours stay 09:00-17:00 local across the change. */
static void test_dst_new_york(void **state)
{
    struct sched s;
    struct tz z;
    (void)state;
    load("America_New_York", &z);
    parse_ok("Mon-Fri 09:00-17:00 min=3; tz=America/New_York", &s);
    const int64_t fri_est = 1772805600; /* Fri 2026-03-06 14:00 UTC */
    const int64_t mon_edt = 1773061200; /* Mon 2026-03-09 13:00 UTC */
    assert_false(on_at(&s, &z, fri_est - 1));
    assert_true(on_at(&s, &z, fri_est));
    assert_true(on_at(&s, &z, fri_est + 8 * H - 1));
    assert_false(on_at(&s, &z, fri_est + 8 * H));
    assert_false(on_at(&s, &z, mon_edt - 1));
    assert_true(on_at(&s, &z, mon_edt));
    assert_false(on_at(&s, &z, mon_edt + 8 * H));
    struct sched_now now;
    eval_at(&s, &z, fri_est + 8 * H, 1, 10, &now);
    assert_int_equal(now.next_ms, mon_edt * 1000);
    assert_string_equal(now.next_local, "Mon 09:00");
    tz_cleanup(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_parse_cross),
        cmocka_unit_test(test_check_bounds),
        cmocka_unit_test(test_eval_utc),
        cmocka_unit_test(test_eval_floor_wins),
        cmocka_unit_test(test_dst_spring),
        cmocka_unit_test(test_dst_fall),
        cmocka_unit_test(test_dst_new_york),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
