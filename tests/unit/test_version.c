/* version.c: the version CMake configured (EXPECT_VERSION and
 * EXPECT_REVISION, passed by CMakeLists.txt from the same variables that
 * fill version_gen.h), as --version prints it and /metrics exports it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "version.h"

static void test_configured(void **state)
{
    (void)state;
    assert_string_equal(version_number(), EXPECT_VERSION);
    assert_string_equal(version_revision(), EXPECT_REVISION);
}

static void test_line(void **state)
{
    (void)state;
    char want[128], got[128];
    if (EXPECT_REVISION[0])
        snprintf(want, sizeof want, "ds %s (git %s)", EXPECT_VERSION,
                 EXPECT_REVISION);
    else
        snprintf(want, sizeof want, "ds %s", EXPECT_VERSION);
    assert_ptr_equal(version_line("ds", got, sizeof got), got);
    assert_string_equal(got, want);
    /* truncated, never overrun */
    char small[6];
    memset(small, 'x', sizeof small);
    version_line("das", small, sizeof small);
    assert_string_equal(small, "das 0");
}

static void test_metric(void **state)
{
    (void)state;
    struct buf b;
    char want[512];
    buf_init(&b, 4096);
    snprintf(want, sizeof want,
             "# HELP das_build_info The version running (always 1).\n"
             "# TYPE das_build_info gauge\n"
             "das_build_info{version=\"%s\",revision=\"%s\"} 1\n",
             EXPECT_VERSION, EXPECT_REVISION);
    assert_int_equal(version_metric(&b, "das"), 0);
    assert_string_equal(b.ptr, want);
    buf_cleanup(&b);
    /* a full buffer is an error, not a cut line */
    buf_init(&b, 64);
    assert_int_equal(version_metric(&b, "das"), -1);
    buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_configured),
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_metric),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
