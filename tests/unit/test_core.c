/* buf, log quoting, complaints and cfg parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "cfg.h"
#include "log.h"

static void test_buf_cap(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_puts(&b, "abcd"), 0);
    assert_int_equal(buf_puts(&b, "efgh"), 0);
    assert_int_equal(b.len, 8);
    assert_int_equal(buf_puts(&b, "i"), -1); /* over the cap */
    assert_string_equal(b.ptr, "abcdefgh");  /* left unchanged */
    buf_reset(&b);
    assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
    assert_string_equal(b.ptr, "42-x");
    assert_int_equal(buf_printf(&b, "%s", "123456"), -1);
    char *p = buf_take(&b);
    assert_string_equal(p, "42-x");
    assert_null(b.ptr);
    free(p);
    buf_cleanup(&b);
}

static void test_log_quote(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(log_quote("a\"b\\c\nd\x01", out, sizeof out),
                        "\"a\\\"b\\\\c\\nd\\x01\"");
    /* truncation keeps the closing quote */
    char small[8];
    log_quote("abcdefghijkl", small, sizeof small);
    assert_int_equal(small[0], '"');
    assert_int_equal(small[strlen(small) - 1], '"');
    assert_true(strlen(small) < sizeof small);
}

static void test_log_quote_span(void **state)
{
    (void)state;
    char out[64];
    /* only len bytes are read: no NUL needed after them */
    const char line[] = {'a', '\t', 'b', 'X', 'X'};
    assert_string_equal(
        log_quote_span(line, 3, 40, out, sizeof out, LOG_QUOTE_VALUE),
        "\"a\\tb\"");
    /* over max bytes: cut there, and the reader sees it */
    assert_string_equal(
        log_quote_span("abcdef", 6, 4, out, sizeof out, LOG_QUOTE_VALUE),
        "\"abcd...\"");
    assert_string_equal(
        log_quote_span("abcd", 4, 4, out, sizeof out, LOG_QUOTE_VALUE),
        "\"abcd\"");
    /* a NUL ends the text as for log_quote_as */
    assert_string_equal(
        log_quote_span("ab\0cd", 5, 40, out, sizeof out, LOG_QUOTE_VALUE),
        "\"ab\"");
    /* the whole-string forms are the span's with no bound */
    char a[16], b[16];
    log_quote_as("0123456789abcdef", a, sizeof a, LOG_QUOTE_VALUE);
    log_quote_span("0123456789abcdef", SIZE_MAX, SIZE_MAX, b, sizeof b,
                   LOG_QUOTE_VALUE);
    assert_string_equal(a, b);
    assert_string_equal(a, "\"0123456789...\"");
}

static void test_log_oneline(void **state)
{
    (void)state;
    char s[] = "near \"timeNano\n\x7f\t end";
    assert_string_equal(log_oneline(s), "near \"timeNano\x3f\x3f\x3f end");
    /* a right-to-left override (U+202E) and a C1 NEL (U+0085): each byte
     * marked; other UTF-8 kept */
    char b[] = "web\xe2\x80\xaegpj.exe \xc2\x85x \xc3\xa9";
    assert_string_equal(log_oneline(b), "web???gpj.exe ??x \xc3\xa9");
}

/* The characters that reorder or control what a terminal shows, in every
 * form das writes outside text: a log field (log_quote), a terminal cell
 * (log_copy_printable) and a one-line message (log_copy_oneline). */
static void test_log_invisible(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        unsigned cp;
    } chars[] = {
        {"\xc2\x80", 0x80},       {"\xc2\x9b", 0x9b},
        {"\xc2\x9f", 0x9f},       {"\xd8\x9c", 0x061c},
        {"\xe2\x80\x8e", 0x200e}, {"\xe2\x80\x8f", 0x200f},
        {"\xe2\x80\xaa", 0x202a}, {"\xe2\x80\xae", 0x202e},
        {"\xe2\x81\xa6", 0x2066}, {"\xe2\x81\xa9", 0x2069},
    };
    for (size_t i = 0; i < sizeof chars / sizeof chars[0]; i++) {
        char in[32], want[32], out[64];
        unsigned cp = 0;
        assert_int_equal(log_invisible_len(chars[i].in, 3, &cp),
                         strlen(chars[i].in));
        assert_int_equal(cp, chars[i].cp);
        snprintf(in, sizeof in, "a%sb", chars[i].in);
        snprintf(want, sizeof want, "\"a\\u%04xb\"", chars[i].cp);
        assert_string_equal(log_quote(in, out, sizeof out), want);
        snprintf(want, sizeof want, "a\\u%04xb", chars[i].cp);
        log_copy_printable(out, sizeof out, in);
        assert_string_equal(out, want);
        log_copy_oneline(out, sizeof out, in, strlen(in));
        assert_string_equal(out, "a?b");
    }
    /* their neighbours are text: kept (log_quote keeps UTF-8 readable) */
    static const char *const kept[] = {
        "\xc2\xa0",     "\xc3\xa9",     "\xd8\x9b",
        "\xe2\x80\x8d", "\xe2\x80\x94", "\xe2\x80\xaf",
        "\xe2\x81\xa5", "\xe2\x81\xaa", "\xe2\x86\x92"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        char out[64], want[64];
        assert_int_equal(log_invisible_len(kept[i], 3, NULL), 0);
        snprintf(want, sizeof want, "\"%s\"", kept[i]);
        assert_string_equal(log_quote(kept[i], out, sizeof out), want);
        log_copy_printable(out, sizeof out, kept[i]);
        assert_string_equal(out, kept[i]);
    }
    /* a sequence cut by the end of the text or of a span is no character:
     * its bytes stay as they are (log_quote) */
    char out[64];
    assert_int_equal(log_invisible_len("\xe2\x80", 2, NULL), 0);
    assert_int_equal(log_invisible_len("\xe2\x80\xae", 2, NULL), 0);
    assert_string_equal(log_quote_span("a\xe2\x80\xae", 3, SIZE_MAX, out,
                                       sizeof out, LOG_QUOTE_LOG),
                        "\"a\xe2\x80\"");
    /* a value an operator typed escapes every byte over 0x7f, these too */
    assert_string_equal(
        log_quote_as("\xe2\x80\xae", out, sizeof out, LOG_QUOTE_VALUE),
        "\"\\xe2\\x80\\xae\"");
}

static void test_complain(void **state)
{
    (void)state;
    struct complaint c = {0};
    assert_true(complain(&c, "influx down"));
    assert_false(complain(&c, "influx down"));
    assert_false(complain(&c, "influx down"));
    assert_int_equal(c.count, 3);
    assert_true(complain(&c, "influx 500")); /* changed */
    assert_true(complain_release(&c));
    assert_false(complain_release(&c));
    assert_true(complain(&c, "influx down"));
}

struct conf {
    char *host;
    long buffer;
    bool once;
    char *source;
};

static const struct cfg_opt *table(struct conf *c, size_t *n)
{
    static struct cfg_opt opts[4];
    struct cfg_opt t[] = {
        {"--docker-host", "T_DOCKER_HOST", CFG_STR, "unix:///d.sock", NULL, 0,
         0, "engine", &c->host},
        {"--buffer", "T_BUFFER", CFG_INT, "100", NULL, 1, 1000, "points",
         &c->buffer},
        {"--once", NULL, CFG_BOOL, NULL, NULL, 0, 0, "one round", &c->once},
        {"--source", NULL, CFG_ENUM, "auto", "auto|cgroup|api", 0, 0, "src",
         &c->source},
    };
    memcpy(opts, t, sizeof t);
    *n = 4;
    return opts;
}

static void test_cfg_precedence(void **state)
{
    (void)state;
    struct conf c = {0};
    size_t n, npos;
    char *pos[4];
    struct buf errs;
    buf_init(&errs, 4096);
    const struct cfg_opt *t = table(&c, &n);

    unsetenv("T_DOCKER_HOST");
    char *a1[] = {"x", NULL};
    assert_int_equal(cfg_parse(t, n, 1, a1, 1, pos, 4, &npos, &errs), 0);
    assert_string_equal(c.host, "unix:///d.sock");
    assert_int_equal(c.buffer, 100);

    setenv("T_DOCKER_HOST", "tcp://env:2375", 1);
    assert_int_equal(cfg_parse(t, n, 1, a1, 1, pos, 4, &npos, &errs), 0);
    assert_string_equal(c.host, "tcp://env:2375");

    char *a2[] = {"x",      "add",        "--docker-host", "tcp://flag:1",
                  "--once", "--buffer=7", "web",           NULL};
    assert_int_equal(cfg_parse(t, n, 7, a2, 1, pos, 4, &npos, &errs), 0);
    assert_string_equal(c.host, "tcp://flag:1");
    assert_true(c.once);
    assert_int_equal(c.buffer, 7);
    assert_int_equal(npos, 2);
    assert_string_equal(pos[0], "add");
    assert_string_equal(pos[1], "web");
    unsetenv("T_DOCKER_HOST");
    buf_cleanup(&errs);
}

static void test_cfg_errors_collected(void **state)
{
    (void)state;
    struct conf c = {0};
    size_t n, npos;
    char *pos[1];
    struct buf errs;
    buf_init(&errs, 4096);
    const struct cfg_opt *t = table(&c, &n);
    setenv("T_BUFFER", "lots", 1);
    char *a[] = {"x", "--bogus", "--source", "magic", "--buffer", NULL};
    assert_int_equal(cfg_parse(t, n, 5, a, 1, pos, 1, &npos, &errs), -1);
    assert_non_null(strstr(errs.ptr, "T_BUFFER \"lots\": expected a whole "
                                     "number from 1 to 1000"));
    assert_non_null(strstr(errs.ptr, "unknown option \"--bogus\""));
    assert_non_null(strstr(errs.ptr, "\"magic\": not one of auto|cgroup|api"));
    assert_non_null(strstr(errs.ptr, "--buffer needs a value"));
    unsetenv("T_BUFFER");
    /* a mistyped option's value is never printed (review: a mistyped
     * --influx-password=… echoed the password) */
    buf_reset(&errs);
    char *b[] = {"x", "--pasword=s3cret", "--pasword", "s3cret2", NULL};
    assert_int_equal(cfg_parse(t, n, 4, b, 1, pos, 1, &npos, &errs), -1);
    assert_non_null(strstr(errs.ptr, "unknown option \"--pasword\""));
    assert_null(strstr(errs.ptr, "s3cret"));
    assert_int_equal(npos, 0);

    buf_reset(&errs);
    char *h[] = {"x", "--help", NULL};
    assert_int_equal(cfg_parse(t, n, 2, h, 1, pos, 1, &npos, &errs), 1);
    buf_cleanup(&errs);
}

static void test_cfg_secret(void **state)
{
    (void)state;
    char err[256];
    char path[] = "/tmp/das-secret-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "s3cret\n", 7), 7);
    close(fd);
    char *s = cfg_read_secret(path, err, sizeof err);
    assert_non_null(s);
    assert_string_equal(s, "s3cret");
    free(s);
    unlink(path);
    assert_null(cfg_read_secret(path, err, sizeof err));
    assert_non_null(strstr(err, "cannot read secret file"));
    assert_null(strstr(err, "s3cret"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_log_quote),
        cmocka_unit_test(test_log_quote_span),
        cmocka_unit_test(test_log_oneline),
        cmocka_unit_test(test_log_invisible),
        cmocka_unit_test(test_complain),
        cmocka_unit_test(test_cfg_precedence),
        cmocka_unit_test(test_cfg_errors_collected),
        cmocka_unit_test(test_cfg_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
