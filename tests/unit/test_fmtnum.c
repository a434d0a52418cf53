/* fmtnum.c: the one shortest-float formatter. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fmtnum.h"

static void test_shortest(void **state)
{
    (void)state;
    char s[40];
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0.1, "0.1"},
        {100, "100"},
        {12.5, "12.5"},
        {-3, "-3"},
        {1e-5, "1e-05"},
        {1e300, "1e+300"},
        {0.1 + 0.2, "0.30000000000000004"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(fmt_shortest(cases[i].v, s, sizeof s), 0);
        assert_string_equal(s, cases[i].text);
        assert_true(strtod(s, NULL) == cases[i].v);
    }
    assert_int_equal(fmt_shortest(NAN, s, sizeof s), -1);
    assert_int_equal(fmt_shortest(INFINITY, s, sizeof s), -1);
    assert_int_equal(fmt_shortest(0.1 + 0.2, s, 8), -1); /* no room */
}

static void test_plain(void **state)
{
    (void)state;
    char s[400];
    assert_int_equal(fmt_plain(1e-5, s, sizeof s), 0);
    assert_string_equal(s, "0.00001");
    assert_int_equal(fmt_plain(1e21, s, sizeof s), 0);
    assert_string_equal(s, "1000000000000000000000");
    assert_int_equal(fmt_plain(70, s, sizeof s), 0);
    assert_string_equal(s, "70");
    assert_int_equal(fmt_plain(5e-324, s, sizeof s), 0); /* the least */
    assert_true(strtod(s, NULL) == 5e-324);
    char small[16];
    assert_int_equal(fmt_plain(1e-300, small, sizeof small), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shortest),
        cmocka_unit_test(test_plain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
