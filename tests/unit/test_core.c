/* buf, log quoting, complaints and cfg parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
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

/* A list option: the environment's one value, replaced by the flags,
 * which add up to CFG_LIST_MAX values; one more is an error. */
static void test_cfg_list(void **state)
{
    (void)state;
    struct cfg_list urls;
    struct cfg_opt t[] = {
        {"--url", "T_URL", CFG_LIST, NULL, NULL, 0, 0, "receiver", &urls}};
    size_t npos;
    char *pos[1];
    struct buf errs;
    buf_init(&errs, 4096);
    char *a0[] = {"x", NULL};
    unsetenv("T_URL");
    assert_int_equal(cfg_parse(t, 1, 1, a0, 1, pos, 0, &npos, &errs), 0);
    assert_int_equal(urls.n, 0);
    setenv("T_URL", "http://env/", 1);
    assert_int_equal(cfg_parse(t, 1, 1, a0, 1, pos, 0, &npos, &errs), 0);
    assert_int_equal(urls.n, 1);
    assert_string_equal(urls.v[0], "http://env/");
    char *a1[] = {"x", "--url", "http://a/", "--url=http://b/", NULL};
    assert_int_equal(cfg_parse(t, 1, 4, a1, 1, pos, 0, &npos, &errs), 0);
    assert_int_equal(urls.n, 2);
    assert_string_equal(urls.v[0], "http://a/");
    assert_string_equal(urls.v[1], "http://b/");
    unsetenv("T_URL");
    char *a2[2 * (CFG_LIST_MAX + 1) + 2];
    int argc = 1;
    a2[0] = "x";
    for (int i = 0; i <= CFG_LIST_MAX; i++) {
        a2[argc++] = "--url";
        a2[argc++] = "http://c/";
    }
    a2[argc] = NULL;
    assert_int_equal(cfg_parse(t, 1, argc, a2, 1, pos, 0, &npos, &errs), -1);
    assert_non_null(strstr(errs.ptr, "--url: given more than 8 times"));
    assert_int_equal(urls.n, CFG_LIST_MAX);
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

/* Where a password hides in a server's URL or connection string, and
 * where it does not. */
static void test_has_password(void **state)
{
    (void)state;
    static const char *const with[] = {
        "http://u:pw@127.0.0.1:8086",
        "https://u:p@w@h:9090/x",
        "postgresql://crate:s3cret@127.0.0.1:5432/doc",
        "postgres://u:pw@h1,h2/doc?sslmode=require",
        "postgresql://crate@h/doc?sslmode=verify-full&password=s3cret",
        "postgresql://crate@h/doc?pass%77ord=s3cret",
        "postgresql://crate@h/doc?%70%61ssword=s3cret#frag",
        "host=h port=5432 user=crate password=s3cret dbname=doc",
        "password = 's3 cret' host=h",
        "host=h password='it\\'s'",
        "  password=x",
    };
    static const char *const without[] = {
        "none",
        "",
        "http://127.0.0.1:8086",
        "http://u@127.0.0.1:8086",
        "http://u:@127.0.0.1:8086",
        "https://h:9090/x?y=a:b@c",
        "postgresql://crate@127.0.0.1:5432/doc?sslmode=verify-full",
        "postgresql://crate@h/doc?password=",
        "postgresql://crate@h/doc#password=x",
        "postgresql://crate@h/doc?xpassword=s3cret",
        "host=h user=crate dbname=doc",
        "host=h password='' user=u",
        "host=h application_name='password=x'",
        "host=h passwordx=y",
    };
    for (size_t i = 0; i < sizeof with / sizeof with[0]; i++) {
        if (!cfg_has_password(with[i]))
            fail_msg("no password found in \"%s\"", with[i]);
    }
    for (size_t i = 0; i < sizeof without / sizeof without[0]; i++) {
        if (cfg_has_password(without[i]))
            fail_msg("a password found in \"%s\"", without[i]);
    }
}

/* A server's flag that holds a password is refused (argv is public), with
 * where to put it instead and never the password; the same value from
 * the environment is taken. */
static void test_cfg_server_flag(void **state)
{
    (void)state;
    char *db = NULL;
    const struct cfg_opt t[] = {
        {"--policy-db", "T_POLICY_DB", CFG_SERVER, "none",
         "give the password in a libpq password file (PGPASSFILE)", 0, 0,
         "store", &db},
    };
    size_t npos;
    char *pos[1];
    struct buf errs;
    buf_init(&errs, 4096);
    unsetenv("T_POLICY_DB");

    char *a[] = {"x", "--policy-db", "postgresql://crate:s3cret@h/doc", NULL};
    assert_int_equal(cfg_parse(t, 1, 3, a, 1, pos, 1, &npos, &errs), -1);
    assert_non_null(
        strstr(errs.ptr, "--policy-db: the value holds a password"));
    assert_non_null(strstr(errs.ptr, "/proc/PID/cmdline"));
    assert_non_null(strstr(errs.ptr, "PGPASSFILE"));
    assert_null(strstr(errs.ptr, "s3cret"));
    assert_string_equal(db, "none"); /* not taken */

    buf_reset(&errs);
    char *b[] = {"x", "--policy-db=host=h password=s3cret", NULL};
    assert_int_equal(cfg_parse(t, 1, 2, b, 1, pos, 1, &npos, &errs), -1);
    assert_non_null(strstr(errs.ptr, "holds a password"));
    assert_null(strstr(errs.ptr, "s3cret"));

    buf_reset(&errs);
    char *c[] = {"x", "--policy-db", "postgresql://crate@h/doc", NULL};
    assert_int_equal(cfg_parse(t, 1, 3, c, 1, pos, 1, &npos, &errs), 0);
    assert_string_equal(db, "postgresql://crate@h/doc");

    /* from the environment: taken (not world-readable) */
    setenv("T_POLICY_DB", "postgresql://crate:s3cret@h/doc", 1);
    char *d[] = {"x", NULL};
    assert_int_equal(cfg_parse(t, 1, 1, d, 1, pos, 1, &npos, &errs), 0);
    assert_string_equal(db, "postgresql://crate:s3cret@h/doc");
    unsetenv("T_POLICY_DB");
    buf_cleanup(&errs);
}

/* In a child (the state is the process's): 0 when core dumps are on, or
 * the first step that failed. */
static int dumpable_now(void)
{
    struct rlimit rl;
    int d = prctl(PR_GET_DUMPABLE, 0L, 0L, 0L, 0L);
    if (getrlimit(RLIMIT_CORE, &rl))
        return -1;
    return d == 1 && rl.rlim_cur > 0                        ? 1
           : d == 0 && rl.rlim_cur == 0 && rl.rlim_max == 0 ? 0
                                                            : -1;
}

/* Runs what(arg) in a child whose core dumps are on, and returns what
 * dumpable_now says after it (10 + ... when the child could not start
 * with them on). */
static int after_in_child(void (*what)(const char *), const char *arg)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl;
        if (prctl(PR_SET_DUMPABLE, 1L, 0L, 0L, 0L) ||
            getrlimit(RLIMIT_CORE, &rl))
            _exit(10);
        if (rl.rlim_max == 0)
            rl.rlim_max = RLIM_INFINITY; /* root may raise it */
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_CORE, &rl))
            _exit(11); /* cannot tell: the hard limit is 0 for good */
        if (dumpable_now() != 1)
            _exit(12);
        what(arg);
        int d = dumpable_now();
        _exit(d == 1 ? 1 : d == 0 ? 0 : 2);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void read_file_secret(const char *path)
{
    char err[256];
    free(cfg_read_secret(path, err, sizeof err));
}

static void env_secret(const char *value)
{
    char err[256];
    setenv("T_SECRET", value, 1);
    free(cfg_secret(NULL, "T_SECRET", err, sizeof err));
}

static void env_server(const char *value)
{
    char *db = NULL;
    const struct cfg_opt t[] = {
        {"--policy-db", "T_POLICY_DB", CFG_SERVER, "none", "elsewhere", 0, 0,
         "store", &db},
    };
    size_t npos;
    char *pos[1];
    char *a[] = {"x", NULL};
    struct buf errs;
    buf_init(&errs, 4096);
    setenv("T_POLICY_DB", value, 1);
    if (cfg_parse(t, 1, 1, a, 1, pos, 1, &npos, &errs))
        _exit(13);
    buf_cleanup(&errs);
}

/* A process that holds a secret turns its core dumps off (no core, no
 * ptrace by the same user); one that holds none keeps them. */
static void test_cfg_nodump(void **state)
{
    (void)state;
    char path[] = "/tmp/das-secret-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "s3cret\n", 7), 7);
    close(fd);
    int r = after_in_child(read_file_secret, path);
    if (r == 11)
        skip(); /* core dumps are off for good here: nothing to see */
    assert_int_equal(r, 0);
    unlink(path);
    /* an unreadable file: no secret held */
    assert_int_equal(after_in_child(read_file_secret, path), 1);
    assert_int_equal(after_in_child(env_secret, "s3cret"), 0);
    assert_int_equal(after_in_child(env_secret, ""), 1);
    assert_int_equal(after_in_child(env_server, "host=h password=s3cret"), 0);
    assert_int_equal(after_in_child(env_server, "https://u:s3cret@h:9090"), 0);
    assert_int_equal(after_in_child(env_server, "postgresql://crate@h/doc"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* first: the cases after it turn this process's core dumps off */
        cmocka_unit_test(test_cfg_nodump),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_log_quote),
        cmocka_unit_test(test_log_quote_span),
        cmocka_unit_test(test_log_oneline),
        cmocka_unit_test(test_log_invisible),
        cmocka_unit_test(test_complain),
        cmocka_unit_test(test_cfg_precedence),
        cmocka_unit_test(test_cfg_errors_collected),
        cmocka_unit_test(test_cfg_list),
        cmocka_unit_test(test_cfg_secret),
        cmocka_unit_test(test_has_password),
        cmocka_unit_test(test_cfg_server_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
