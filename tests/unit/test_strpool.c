/* strpool.c: strings kept once, named by offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "strpool.h"

/* The same string, the same offset; "" is 0; every string reads back,
 * past several growths of the index and the buffer; an offset the pool
 * does not have reads as "". */
static void test_intern(void **state)
{
    (void)state;
    struct strpool p = {0};
    assert_int_equal(sp_intern(&p, ""), 0);
    assert_string_equal(sp_str(&p, 0), "");
    uint32_t a = sp_intern(&p, "no suitable node");
    uint32_t b = sp_intern(&p, "insufficient resources on 3 nodes");
    assert_true(a != 0 && b != 0 && a != b);
    assert_int_equal(sp_intern(&p, "no suitable node"), a);
    assert_string_equal(sp_str(&p, b), "insufficient resources on 3 nodes");
    uint32_t offs[500];
    for (int i = 0; i < 500; i++) {
        char s[32];
        snprintf(s, sizeof s, "service-%d", i);
        offs[i] = sp_intern(&p, s);
    }
    assert_int_equal(p.count, 502);
    for (int i = 0; i < 500; i++) {
        char s[32];
        snprintf(s, sizeof s, "service-%d", i);
        assert_string_equal(sp_str(&p, offs[i]), s);
        assert_int_equal(sp_intern(&p, s), offs[i]);
    }
    assert_int_equal(p.count, 502);
    assert_string_equal(sp_str(&p, (uint32_t)p.len), "");
    assert_string_equal(sp_str(&p, UINT32_MAX), "");
    sp_free(&p);
    assert_null(p.buf);
}

/* Without its index the pool still reads; interning again rebuilds the
 * index and finds the strings already held. */
static void test_unindex(void **state)
{
    (void)state;
    struct strpool p = {0};
    uint32_t a = sp_intern(&p, "svc-a");
    for (int i = 0; i < 100; i++) {
        char s[32];
        snprintf(s, sizeof s, "x%d", i);
        (void)sp_intern(&p, s);
    }
    sp_unindex(&p);
    assert_null(p.slots);
    assert_string_equal(sp_str(&p, a), "svc-a");
    assert_int_equal(sp_intern(&p, "svc-a"), a);
    assert_int_equal(p.count, 101);
    uint32_t b = sp_intern(&p, "svc-b");
    assert_string_equal(sp_str(&p, b), "svc-b");
    assert_int_equal(p.count, 102);
    sp_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intern),
        cmocka_unit_test(test_unindex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
