/* jarray: a JSON array read element by element, in pieces of any size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jarray.h"

struct seen {
    char text[8][64]; /* each element, compact */
    size_t n;
    size_t stop_at; /* stop when this index arrives (0: never) */
};

static int each(const json_t *e, size_t index, void *ctx)
{
    struct seen *s = ctx;
    if (s->stop_at && index == s->stop_at)
        return -1;
    char *t = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s->n < 8)
        snprintf(s->text[s->n++], sizeof s->text[0], "%s", t);
    free(t);
    return 0;
}

/* Reads text in pieces of `piece` bytes; returns feed/end's result. */
static int read_in(const char *text, size_t piece, size_t max_elem,
                   struct seen *s, char *err, size_t errlen)
{
    struct jarray a;
    int rc = 0;
    jarray_init(&a, max_elem, each, s);
    size_t len = strlen(text);
    for (size_t i = 0; i < len && rc == 0; i += piece)
        rc = jarray_feed(&a, text + i, len - i < piece ? len - i : piece);
    if (rc == 0)
        rc = jarray_end(&a);
    snprintf(err, errlen, "%s", jarray_error(&a));
    jarray_cleanup(&a);
    return rc;
}

static void test_elements(void **state)
{
    (void)state;
    const char *text = " [ {\"a\":[1,{\"b\":\"]}\\\"\"}]} ,\n 2,\"x,]\" , [] ,"
                       "null,{}]  \n";
    for (size_t piece = 1; piece <= strlen(text); piece++) {
        struct seen s = {0};
        char err[256];
        assert_int_equal(read_in(text, piece, 1024, &s, err, sizeof err), 0);
        assert_int_equal(s.n, 6);
        assert_string_equal(s.text[0], "{\"a\":[1,{\"b\":\"]}\\\"\"}]}");
        assert_string_equal(s.text[1], "2");
        assert_string_equal(s.text[2], "\"x,]\"");
        assert_string_equal(s.text[3], "[]");
        assert_string_equal(s.text[4], "null");
        assert_string_equal(s.text[5], "{}");
    }
    struct seen s = {0};
    char err[256];
    assert_int_equal(read_in("[]", 1, 16, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 0);
}

static void expect_error(const char *text, size_t max_elem, const char *want)
{
    for (size_t piece = 1; piece <= strlen(text) + 1; piece += 3) {
        struct seen s = {0};
        char err[256];
        if (read_in(text, piece, max_elem, &s, err, sizeof err) == 0)
            fail_msg("no error for %s", text);
        if (!strstr(err, want))
            fail_msg("%s: error \"%s\" lacks \"%s\"", text, err, want);
    }
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("{\"message\":\"no\"}", 64, "not a JSON array");
    expect_error("[1,2", 64, "the array was cut short");
    expect_error("[{\"a\":1}", 64, "the array was cut short");
    expect_error("[1,]", 64, "a ',' before the array's end");
    expect_error("[,1]", 64, "a ',' without an element before it");
    expect_error("[1 2]", 64, "elements without a ',' between them");
    expect_error("[1] x", 64, "bytes after the array's end");
    expect_error("[{\"a\":tru}]", 64, "element 0 is not JSON");
    expect_error("[1,{\"a\":\"0123456789\"}]", 8,
                 "an element over the size taken (after 1 elements)");
    struct seen s = {.stop_at = 1};
    char err[256];
    assert_int_equal(read_in("[1,2,3]", 2, 16, &s, err, sizeof err), -1);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(err, "stopped by the reader"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elements),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("jarray", tests, NULL, NULL);
}
