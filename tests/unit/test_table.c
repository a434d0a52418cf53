/* table.c: the terminal table of `das policy list`, `das events` and `das
 * status`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table.h"

/* What table_print writes, as a heap string. */
static char *printed(const struct table *t)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    table_print(t, f);
    fclose(f);
    return out;
}

static void test_columns(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, 3);
    const char *head[] = {"SEQ", "SERVICE", "REASON"};
    const char *r1[] = {"1", "web", "mean 90% > 70%: 1 → 2"};
    const char *r2[] = {"12", "αβγ", NULL};
    table_add(&t, head, 0);
    table_add(&t, r1, 0);
    table_add(&t, r2, 0);
    char *s = printed(&t);
    /* columns as wide as their widest cell in code points, two spaces
     * apart; the last unpadded; NULL shows as "-" */
    assert_string_equal(s, "SEQ  SERVICE  REASON\n"
                           "1    web      mean 90% > 70%: 1 → 2\n"
                           "12   αβγ      -\n");
    free(s);
    table_free(&t);
    assert_int_equal(table_width("→αb"), 3);
}

/* A hostile cell (a service name, a label, a reason) can't steer the
 * terminal: its control bytes are shown escaped. */
static void test_control_bytes(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, 2);
    const char *r[] = {"a\x1b[2Jb", "line1\nline2\tx\x7f"};
    table_add(&t, r, 0);
    char *s = printed(&t);
    assert_string_equal(s, "a\\x1b[2Jb  line1\\nline2\\tx\\x7f\n");
    assert_null(strchr(s, '\x1b'));
    free(s);
    table_free(&t);

    /* a reason forged in the das measurement: a right-to-left override
     * (U+202E) would show "scale-in" where it says "ni-elacs", and a C1
     * CSI (U+009B) is ESC [ on some terminals; both are shown, not obeyed */
    table_init(&t, 2);
    const char *f[] = {"web\xe2\x80\xae", "ni-elacs\xc2\x9b"
                                          "2J \xe2\x81\xa6x"};
    table_add(&t, f, 0);
    s = printed(&t);
    assert_string_equal(s, "web\\u202e  ni-elacs\\u009b2J \\u2066x\n");
    assert_null(strstr(s, "\xe2\x80\xae"));
    free(s);
    table_free(&t);
}

/* Cells but the last are cut after max bytes, never inside a character. */
static void test_cut(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, 2);
    const char *r[] = {"abcdefgh", "the reason is never cut at all"};
    const char *u[] = {"abcαβγ", "x"}; /* α starts at byte 3, β at 5 */
    table_add(&t, r, 4);
    table_add(&t, u, 4);
    char *s = printed(&t);
    assert_string_equal(s, "abcd...  the reason is never cut at all\n"
                           "abc...   x\n");
    free(s);
    table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_control_bytes),
        cmocka_unit_test(test_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
