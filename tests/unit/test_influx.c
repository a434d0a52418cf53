/* influx: the client (flush through a scripted server, write verdicts,
 * its address for messages), InfluxQL quoting, and response parsing on
 * responses recorded from influxd 1.6.7 (tests/fixtures/influx). The
 * other parts have tests of their own (test_influx_lp, test_influx_set,
 * test_influx_points); the live group runs them all end to end.
 *
 * The test_live_* cases run against a real influxd, and only when
 * DAS_INFLUX_URL is set (DAS_INFLUX_USER / DAS_INFLUX_PASSWORD for auth):
 * integ.t_influx_live runs them on the test bed and checks that all of
 * them passed. DAS_INFLUX_URL_413 (a server started with a small [http]
 * max-body-size) is then required too: test_live_413 fails without it.
 * Without DAS_INFLUX_URL the live group is not run at all (and says so),
 * rather than run as skipped cases that would read as passed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>

#include "buf.h"
#include "influx.h"
#include "influx_fixture.h"
#include "log.h"
#include "mstore.h"
#include "pcache.h"

/* ---- helpers ----------------------------------------------------------- */

static struct infl *new_client(const char *url)
{
    struct http_conf conf = {0};
    char err[256];
    conf.url = url;
    struct infl *c = infl_new(&conf, "docker", err, sizeof err);
    assert_non_null(c);
    return c;
}

static void push_str(struct infl_buffer *b, const char *s)
{
    infl_buffer_push(b, s, strlen(s));
}

/* ---- flush through a scripted server ----------------------------------- */

struct fake {
    long script[16]; /* statuses to answer first; -1 = transport error */
    size_t nscript, next;
    size_t max_body; /* > 0: bigger bodies get 413 */
    const char *body_400;
    struct buf accepted; /* bodies answered 204, in order */
    size_t calls;
    size_t n413;
    size_t lines[64]; /* lines per call */
};

static int fake_post(void *ctx, const char *body, size_t len,
                     struct http_resp *resp, char *err, size_t errlen)
{
    struct fake *f = ctx;
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += body[i] == '\n';
    assert_true(len > 0 && body[len - 1] == '\n');
    if (f->calls < 64)
        f->lines[f->calls] = lines;
    f->calls++;
    long status = 204;
    if (f->next < f->nscript)
        status = f->script[f->next++];
    else if (f->max_body && len > f->max_body)
        status = 413;
    if (status == 413)
        f->n413++;
    if (status < 0) {
        snprintf(err, errlen, "http://127.0.0.1:9: Connection refused");
        return -1;
    }
    resp->status = status;
    if (status == 204)
        assert_int_equal(buf_append(&f->accepted, body, len), 0);
    else if (status == 400)
        assert_int_equal(buf_puts(&resp->body, f->body_400
                                                   ? f->body_400
                                                   : "{\"error\":\"bad\"}"),
                         0);
    else if (status == 413)
        assert_int_equal(
            buf_puts(&resp->body, "{\"error\":\"Request Entity Too Large\"}"),
            0);
    else if (status >= 500)
        assert_int_equal(buf_puts(&resp->body, "{\"error\":\"timeout\"}"), 0);
    return 0;
}

static void fake_init(struct fake *f)
{
    memset(f, 0, sizeof *f);
    buf_init(&f->accepted, (size_t)1 << 30);
}

/* Fills b with n numbered points, "m v=<i>i <i>". */
static void fill(struct infl_buffer *b, size_t from, size_t n)
{
    char line[64];
    for (size_t i = from; i < from + n; i++) {
        int k = snprintf(line, sizeof line, "m v=%zui %zu", i, i);
        infl_buffer_push(b, line, (size_t)k);
    }
}

/* The accepted bodies are exactly points [from, to), in order. */
static void assert_accepted_range(const struct fake *f, size_t from, size_t to)
{
    struct buf want;
    buf_init(&want, (size_t)1 << 30);
    for (size_t i = from; i < to; i++)
        assert_int_equal(buf_printf(&want, "m v=%zui %zu\n", i, i), 0);
    assert_int_equal(f->accepted.len, want.len);
    if (want.len)
        assert_memory_equal(f->accepted.ptr, want.ptr, want.len);
    buf_cleanup(&want);
}

static void test_flush_batches(void **state)
{
    (void)state;
    struct infl *c = new_client("http://127.0.0.1:9");
    struct infl_buffer *b = infl_buffer_new(20000);
    struct infl_flush_result r;
    struct fake f;
    fake_init(&f);
    infl_set_post_hook(c, fake_post, &f);

    assert_int_equal(infl_flush(c, b, 0, &r), 0); /* empty: nothing sent */
    assert_int_equal(f.calls, 0);

    fill(b, 0, 12000);
    assert_int_equal(infl_flush(c, b, 1000, &r), 0);
    assert_int_equal(r.written, 12000);
    assert_int_equal(r.requests, 3);
    assert_int_equal(f.lines[0], INFL_BATCH_LINES);
    assert_int_equal(f.lines[1], INFL_BATCH_LINES);
    assert_int_equal(f.lines[2], 2000);
    assert_false(r.retry);
    assert_int_equal(infl_buffer_len(b), 0);
    assert_accepted_range(&f, 0, 12000);

    struct infl_stats st;
    infl_get_stats(c, &st);
    assert_int_equal(st.writes, 3);
    assert_int_equal(st.points_written, 12000);
    assert_int_equal(st.queries, 0);
    assert_int_equal(infl_query_count(c), 0);
    buf_cleanup(&f.accepted);
    infl_buffer_free(b);
    infl_free(c);
}

static void test_flush_retry_keeps_order(void **state)
{
    (void)state;
    struct infl *c = new_client("http://127.0.0.1:9");
    struct infl_buffer *b = infl_buffer_new(20000);
    struct infl_flush_result r;
    struct fake f;
    fake_init(&f);
    f.script[0] = 204;
    f.script[1] = 503;
    f.script[2] = -1; /* then the server is gone */
    f.nscript = 3;
    infl_set_post_hook(c, fake_post, &f);

    fill(b, 0, 7000);
    assert_int_equal(infl_flush(c, b, 10000, &r), -1);
    assert_true(r.retry);
    assert_int_equal(r.written, 5000);
    assert_int_equal(r.requests, 2);
    assert_true(r.retry_at_ms >= 10500 && r.retry_at_ms <= 11000);
    assert_int_equal(infl_buffer_len(b), 2000);
    assert_string_equal(infl_buffer_line(b, 0, NULL), "m v=5000i 5000");

    /* Points arriving meanwhile queue behind; inside the backoff delay
     * nothing is sent. */
    fill(b, 7000, 10);
    int64_t at = r.retry_at_ms;
    assert_int_equal(infl_flush(c, b, at - 1, &r), -1);
    assert_true(r.deferred);
    assert_int_equal(r.requests, 0);
    assert_int_equal(f.calls, 2);

    /* Second failure (transport): longer delay. */
    assert_int_equal(infl_flush(c, b, at, &r), -1);
    assert_true(r.retry);
    assert_true(r.retry_at_ms - at >= 1000 && r.retry_at_ms - at <= 2000);
    assert_int_equal(infl_buffer_len(b), 2010);

    /* Back: everything goes, in order, nothing lost or duplicated. */
    assert_int_equal(infl_flush(c, b, r.retry_at_ms, &r), 0);
    assert_int_equal(r.written, 2010);
    assert_int_equal(infl_buffer_len(b), 0);
    assert_accepted_range(&f, 0, 7010);

    struct infl_stats st;
    infl_get_stats(c, &st);
    assert_int_equal(st.write_failures, 2);
    assert_int_equal(st.points_rejected, 0);

    /* After a success the backoff starts over. */
    f.script[3] = 500;
    f.nscript = 4;
    fill(b, 7010, 1);
    assert_int_equal(infl_flush(c, b, 100000, &r), -1);
    assert_true(r.retry_at_ms - 100000 <= 1000);
    buf_cleanup(&f.accepted);
    infl_buffer_free(b);
    infl_free(c);
}

static void test_flush_split_413(void **state)
{
    (void)state;
    struct infl *c = new_client("http://127.0.0.1:9");
    struct infl_buffer *b = infl_buffer_new(20000);
    struct infl_flush_result r;
    struct fake f;
    fake_init(&f);
    f.max_body = 20000; /* like [http] max-body-size: about 1000 lines */
    infl_set_post_hook(c, fake_post, &f);

    fill(b, 0, 6000);
    assert_int_equal(infl_flush(c, b, 0, &r), 0);
    assert_int_equal(r.written, 6000);
    assert_int_equal(r.rejected, 0);
    assert_accepted_range(&f, 0, 6000);
    /* 5000 → 413 → 2500 → 413 → 1250 taken; the rest below that size. */
    assert_int_equal(f.lines[0], 5000);
    assert_int_equal(f.lines[1], 2500);
    assert_int_equal(f.lines[2], 1250);
    assert_int_equal(f.n413, 2);
    for (size_t i = 3; i < f.calls && i < 64; i++)
        assert_true(f.lines[i] <= 1250);

    /* The size is remembered: no 413 on the next flush either. */
    fill(b, 6000, 3000);
    assert_int_equal(infl_flush(c, b, 0, &r), 0);
    assert_int_equal(f.n413, 2);
    assert_accepted_range(&f, 0, 9000);
    buf_cleanup(&f.accepted);
    infl_buffer_free(b);
    infl_free(c);
}

static void test_flush_single_point_413_dropped(void **state)
{
    (void)state;
    struct infl *c = new_client("http://127.0.0.1:9");
    struct infl_buffer *b = infl_buffer_new(100);
    struct infl_flush_result r;
    struct fake f;
    fake_init(&f);
    f.script[0] = 413; /* 3 lines */
    f.script[1] = 413; /* 2 lines */
    f.script[2] = 413; /* 1 line: dropped */
    f.nscript = 3;
    infl_set_post_hook(c, fake_post, &f);

    fill(b, 0, 3);
    assert_int_equal(infl_flush(c, b, 0, &r), 0);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.written, 2);
    assert_int_equal(f.lines[0], 3);
    assert_int_equal(f.lines[1], 2);
    assert_int_equal(f.lines[2], 1);
    assert_int_equal(f.lines[3], 2); /* no size learnt from that point */
    assert_accepted_range(&f, 1, 3);
    struct infl_stats st;
    infl_get_stats(c, &st);
    assert_int_equal(st.points_rejected, 1);
    buf_cleanup(&f.accepted);
    infl_buffer_free(b);
    infl_free(c);
}

static void test_flush_drop_400(void **state)
{
    (void)state;
    struct infl *c = new_client("http://127.0.0.1:9");
    struct infl_buffer *b = infl_buffer_new(20000);
    struct infl_flush_result r;
    struct fake f;
    size_t len;
    char *body = read_fixture("write_partial_400.json", &len);
    fake_init(&f);
    f.script[0] = 400;
    f.nscript = 1;
    f.body_400 = body;
    infl_set_post_hook(c, fake_post, &f);

    fill(b, 0, 5500);
    assert_int_equal(infl_flush(c, b, 0, &r), 0);
    assert_int_equal(r.rejected, 5000); /* that batch is gone for good */
    assert_int_equal(r.written, 500);
    assert_false(r.retry);
    assert_accepted_range(&f, 5000, 5500);

    /* The verdict and InfluxDB's own words. */
    char err[512];
    f.script[1] = 400;
    f.nscript = 2;
    assert_int_equal(infl_write(c, "m v=1 1\n", 8, err, sizeof err), INFL_DROP);
    assert_non_null(strstr(err, "HTTP 400: partial write: field type "
                                "conflict"));
    free(body);
    buf_cleanup(&f.accepted);
    infl_buffer_free(b);
    infl_free(c);
}

static void test_write_verdicts(void **state)
{
    (void)state;
    struct infl *c = new_client("http://127.0.0.1:9");
    struct fake f;
    char err[512];
    fake_init(&f);
    f.script[0] = -1;
    f.script[1] = 413;
    f.script[2] = 503;
    f.script[3] = 204;
    f.nscript = 4;
    infl_set_post_hook(c, fake_post, &f);
    assert_int_equal(infl_write(c, "m v=1 1\n", 8, err, sizeof err),
                     INFL_RETRY);
    assert_non_null(strstr(err, "Connection refused"));
    assert_int_equal(infl_write(c, "m v=1 1\n", 8, err, sizeof err),
                     INFL_SPLIT);
    assert_string_equal(err, "HTTP 413: Request Entity Too Large");
    assert_int_equal(infl_write(c, "m v=1 1\n", 8, err, sizeof err),
                     INFL_RETRY);
    assert_string_equal(err, "HTTP 503: timeout");
    assert_int_equal(infl_write(c, "m v=1 1\n", 8, err, sizeof err), INFL_OK);
    assert_string_equal(err, "");
    buf_cleanup(&f.accepted);
    infl_free(c);
}

/* Counts the lines of text containing needle. */
static int count_lines(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* A failing InfluxDB is logged when it starts failing, when the failure
 * changes and when it recovers, not every round; rejections likewise. */
static void test_flush_logs_changes_only(void **state)
{
    (void)state;
    char path[] = "/tmp/test_influx_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, 2), 2);
    log_setup("test", LOG_INFO);

    struct infl *c = new_client("http://admin:s3cr3t@127.0.0.1:9");
    struct infl_buffer *b = infl_buffer_new(100);
    struct infl_flush_result r;
    struct fake f;
    fake_init(&f);
    long script[] = {500, 500, 500, -1, -1, 204, 400, 204, 400, 400};
    memcpy(f.script, script, sizeof script);
    f.nscript = sizeof script / sizeof *script;
    infl_set_post_hook(c, fake_post, &f);
    fill(b, 0, 1);
    int64_t now = 0;
    for (int round = 0; round < 5; round++) { /* 500 ×3, refused ×2 */
        assert_int_equal(infl_flush(c, b, now, &r), -1);
        now = r.retry_at_ms;
    }
    assert_int_equal(infl_flush(c, b, now, &r), 0); /* 204: recovered */
    fill(b, 1, 1);
    assert_int_equal(infl_flush(c, b, now, &r), 0); /* 400 */
    fill(b, 2, 1);
    assert_int_equal(infl_flush(c, b, now, &r), 0); /* 204 */
    fill(b, 3, 1);
    assert_int_equal(infl_flush(c, b, now, &r), 0); /* 400 */
    fill(b, 4, 1);
    assert_int_equal(infl_flush(c, b, now, &r), 0); /* 400 again: quiet */

    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    log_setup("test", LOG_OFF);
    size_t len;
    FILE *lf = fopen(path, "rb");
    assert_non_null(lf);
    char text[8192];
    len = fread(text, 1, sizeof text - 1, lf);
    text[len] = '\0';
    fclose(lf);
    close(fd);
    unlink(path);

    assert_int_equal(count_lines(text, "InfluxDB write failed"), 2);
    assert_int_equal(count_lines(text, "HTTP 500"), 1);
    assert_int_equal(count_lines(text, "Connection refused"), 1);
    assert_int_equal(count_lines(text, "InfluxDB writes work again"), 1);
    assert_int_equal(count_lines(text, "InfluxDB refused points"), 2);
    assert_int_equal(count_lines(text, "InfluxDB accepts points again"), 1);
    assert_null(strstr(text, "s3cr3t")); /* never the password */
    assert_int_equal(count_lines(text, "url=http://127.0.0.1:9"), 6);
    buf_cleanup(&f.accepted);
    infl_buffer_free(b);
    infl_free(c);
}

/* ---- client ------------------------------------------------------------ */

static void test_new_where(void **state)
{
    (void)state;
    struct http_conf conf = {0};
    char err[256];
    conf.url = "http://admin:s3cr3t@127.0.0.1:8086/";
    struct infl *c = infl_new(&conf, "docker", err, sizeof err);
    assert_non_null(c);
    assert_string_equal(infl_where(c), "http://127.0.0.1:8086/");
    assert_null(strstr(infl_where(c), "s3cr3t"));
    infl_free(c);
    conf.url = "https://influx.example:8086";
    c = infl_new(&conf, "my db", err, sizeof err);
    assert_non_null(c);
    assert_string_equal(infl_where(c), "https://influx.example:8086");
    infl_free(c);
    assert_null(infl_new(&conf, "", err, sizeof err));
    assert_non_null(strstr(err, "database"));
    conf.url = "ftp://x";
    assert_null(infl_new(&conf, "docker", err, sizeof err));
    infl_free(NULL);
}

/* ---- InfluxQL ---------------------------------------------------------- */

static char q_out[1024];

static const char *qs(const char *s, bool ident)
{
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(buf_puts(&b, "<"), 0);
    int rc = ident ? infl_quote_ident(s, &b) : infl_quote_string(s, &b);
    if (rc) {
        assert_string_equal(b.ptr, "<"); /* left as it was */
        buf_cleanup(&b);
        return NULL;
    }
    snprintf(q_out, sizeof q_out, "%s", b.ptr + 1);
    buf_cleanup(&b);
    return q_out;
}

static void test_quote_string(void **state)
{
    (void)state;
    assert_string_equal(qs("web", false), "'web'");
    assert_string_equal(qs("", false), "''");
    assert_string_equal(qs("x' or service =~ /.*/ or '", false),
                        "'x\\' or service =~ /.*/ or \\''");
    assert_string_equal(qs("a\\b", false), "'a\\\\b'");
    assert_string_equal(qs("a\\'", false), "'a\\\\\\''");
    assert_string_equal(qs("trailing\\", false), "'trailing\\\\'");
    assert_string_equal(qs("two\nlines", false), "'two\\nlines'");
    assert_string_equal(qs("say \"hi\"", false), "'say \"hi\"'");
    assert_string_equal(qs("服务", false), "'服务'");
    assert_null(qs("tab\there", false));
    assert_null(qs("cr\r", false));
    assert_null(qs("esc\x1b[0m", false));
    assert_null(qs("del\x7f", false));
    /* A full buffer is left as it was. */
    struct buf b;
    buf_init(&b, 4);
    assert_int_equal(infl_quote_string("abcdef", &b), -1);
    assert_int_equal(b.len, 0);
    buf_cleanup(&b);
}

static void test_quote_ident(void **state)
{
    (void)state;
    assert_string_equal(qs("cpu_ratio", true), "\"cpu_ratio\"");
    assert_string_equal(qs("a\"b", true), "\"a\\\"b\"");
    assert_string_equal(qs("a\\b", true), "\"a\\\\b\"");
    assert_string_equal(qs("it's", true), "\"it's\"");
    assert_string_equal(qs("x\" FROM y; DROP DATABASE docker; --", true),
                        "\"x\\\" FROM y; DROP DATABASE docker; --\"");
    assert_null(qs("", true));
    assert_null(qs("a\tb", true));
}

/* ---- responses --------------------------------------------------------- */

static void test_resp_parse_errors(void **state)
{
    (void)state;
    json_t *root = (json_t *)1;
    char err[512];

    assert_int_equal(
        parse_fixture("db_not_found.json", 200, &root, err, sizeof err), -1);
    assert_null(root);
    assert_string_equal(err, "statement 0: database not found: nosuch");

    assert_int_equal(
        parse_fixture("db_not_found_multi.json", 200, &root, err, sizeof err),
        -1);
    assert_string_equal(err, "statement 0: not executed (does the database "
                             "exist?)");

    assert_int_equal(
        parse_fixture("parse_error_400.json", 400, &root, err, sizeof err), -1);
    assert_non_null(strstr(err, "HTTP 400: error parsing query: found SELEC"));

    assert_int_equal(
        parse_fixture("auth_failed_401.json", 401, &root, err, sizeof err), -1);
    assert_string_equal(err, "HTTP 401: authorization failed");

    assert_int_equal(parse_fixture("partial_max_row_limit.json", 200, &root,
                                   err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "partial"));
    assert_int_equal(
        parse_fixture("partial_series.json", 200, &root, err, sizeof err), -1);
    assert_non_null(strstr(err, "max-row-limit"));

    /* Not InfluxDB's JSON. */
    assert_int_equal(infl_resp_parse(502, "<html>Bad Gateway</html>", 24, &root,
                                     err, sizeof err),
                     -1);
    assert_string_equal(err, "HTTP 502 (body is not InfluxDB JSON)");
    assert_int_equal(infl_resp_parse(503, "", 0, &root, err, sizeof err), -1);
    assert_string_equal(err, "HTTP 503");
    assert_int_equal(
        infl_resp_parse(200, "{\"results\":[", 12, &root, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad JSON"));
    assert_int_equal(infl_resp_parse(200, "[]", 2, &root, err, sizeof err), -1);
    assert_int_equal(infl_resp_parse(200, "{}", 2, &root, err, sizeof err), -1);
    assert_non_null(strstr(err, "results"));
    assert_int_equal(
        infl_resp_parse(200, "{\"results\":[1]}", 15, &root, err, sizeof err),
        -1);
    assert_int_equal(
        infl_resp_parse(500, "{\"results\":[]}", 14, &root, err, sizeof err),
        -1);
    assert_string_equal(err, "HTTP 500");
    /* Control bytes in InfluxDB's message don't reach the caller raw. */
    const char *evil = "{\"error\":\"bad\\nline\\u001b[31m\"}";
    assert_int_equal(
        infl_resp_parse(400, evil, strlen(evil), &root, err, sizeof err), -1);
    assert_string_equal(err, "HTTP 400: bad?line?[31m");
    /* A NUL inside the body. */
    assert_int_equal(
        infl_resp_parse(200, "{\"results\":[]}\0x", 16, &root, err, sizeof err),
        -1);

    assert_int_equal(
        parse_fixture("windows_empty.json", 200, &root, err, sizeof err), 0);
    assert_non_null(root);
    json_decref(root);
}

/* ---- live: a real influxd ---------------------------------------------- */

struct live {
    struct http_conf conf;
    struct infl *admin; /* no database of its own: for CREATE / DROP */
    struct infl *c;
    char db[64];
};

static int live_setup(void **state)
{
    const char *url = getenv("DAS_INFLUX_URL");
    if (!url || !*url)
        fail_msg("DAS_INFLUX_URL is not set");
    struct live *l = calloc(1, sizeof *l);
    char err[512];
    json_t *res = NULL;
    struct buf q;
    l->conf.url = url;
    l->conf.user = getenv("DAS_INFLUX_USER");
    l->conf.password = getenv("DAS_INFLUX_PASSWORD");
    snprintf(l->db, sizeof l->db, "das_unit_%ld", (long)getpid());
    l->admin = infl_new(&l->conf, "_internal", err, sizeof err);
    if (!l->admin)
        fail_msg("%s", err);
    buf_init(&q, 1024);
    assert_int_equal(buf_puts(&q, "CREATE DATABASE "), 0);
    assert_int_equal(infl_quote_ident(l->db, &q), 0);
    if (infl_query(l->admin, q.ptr, &res, err, sizeof err))
        fail_msg("%s", err);
    json_decref(res);
    buf_cleanup(&q);
    l->c = infl_new(&l->conf, l->db, err, sizeof err);
    assert_non_null(l->c);
    *state = l;
    return 0;
}

static int live_teardown(void **state)
{
    struct live *l = *state;
    if (!l)
        return 0;
    char err[512];
    json_t *res = NULL;
    struct buf q;
    buf_init(&q, 1024);
    if (buf_puts(&q, "DROP DATABASE ") == 0 &&
        infl_quote_ident(l->db, &q) == 0 &&
        infl_query(l->admin, q.ptr, &res, err, sizeof err) == 0)
        json_decref(res);
    buf_cleanup(&q);
    infl_free(l->c);
    infl_free(l->admin);
    free(l);
    return 0;
}

#define LIVE(l) struct live *l = *state

static void flush_all(struct infl *c, struct infl_buffer *b)
{
    struct infl_flush_result r;
    if (infl_flush(c, b, 0, &r) != 0)
        fail_msg("flush left %zu points (retry=%d)", infl_buffer_len(b),
                 (int)r.retry);
    assert_int_equal(r.rejected, 0);
}

/* Sorts rows by (bad, service, container) so two answers compare as sets. */
static int cmp_rows(const void *x, const void *y)
{
    const struct infl_agg *a = x, *b = y;
    if (a->bad != b->bad)
        return a->bad < b->bad ? -1 : 1;
    int c = strcmp(a->service, b->service);
    return c ? c : strcmp(a->container, b->container);
}

/* The window set against the real influxd gives, for every window, what
 * one query per window (infl_query_windows, three statements) gives: the
 * same containers, counts, highest and last values, point times, and the
 * mean to the rounding of a different summation order. The points: 3
 * services × 5 containers at irregular times over 14 minutes, one
 * container starting late, one gone quiet 6 minutes ago, one with a gap,
 * one writing a 64-hex id, one with a container tag that is no id; the
 * windows 30s, 2m, 5m, 10m (bucket groups of 30 s and of 10m/… ) and 1h
 * (a group of its own: 120 buckets of 30 s would be too many). */
/* Three services of five containers each (one written under its 64-hex
 * id, one with a tag that is no container id, one late, one quiet, one
 * with a gap), a point every 10 s with up to 3 s of jitter, 14 minutes up
 * to now: those whose time lies in (after, upto]. */
static void write_set_points(struct infl *cl, int64_t now, int64_t after,
                             int64_t upto)
{
    char err[512];
    struct infl_buffer *b = infl_buffer_new(100000);
    struct infl_point p;
    unsigned rnd = 12345;
    for (int s = 0; s < 3; s++) {
        char svc[16];
        snprintf(svc, sizeof svc, "svc%d", s);
        for (int c = 0; c < 5; c++) {
            char ctr[80];
            if (s == 1 && c == 3)
                snprintf(ctr, sizeof ctr, "%012x%052x", 0xabcdefu + (unsigned)c,
                         7u);
            else if (s == 2 && c == 4)
                snprintf(ctr, sizeof ctr, "not-a-container-id");
            else
                snprintf(ctr, sizeof ctr, "%06x%06x", s + 1, c + 1);
            int64_t from = now - 840000, to = now;
            if (c == 1)
                from = now - 200000; /* late */
            if (c == 2)
                to = now - 360000; /* quiet */
            for (int64_t t = from; t <= to; t += 10000) {
                rnd = rnd * 1103515245u + 12345u;
                if (c == 0 && t > now - 500000 && t < now - 430000)
                    continue; /* a gap */
                int64_t jitter = (int64_t)(rnd >> 16) % 3000;
                if (t + jitter <= after || t + jitter > upto)
                    continue;
                infl_point_init(&p, "docker", (t + jitter) * 1000000);
                infl_point_tag(&p, "service", svc);
                infl_point_tag(&p, "container", ctr);
                infl_point_float(&p, "cpu_ratio",
                                 (double)((rnd >> 8) % 10000) / 37.0);
                assert_int_equal(infl_buffer_push_point(b, &p, err, sizeof err),
                                 0);
            }
        }
    }
    flush_all(cl, b);
    infl_buffer_free(b);
}

static void test_live_window_set(void **state)
{
    LIVE(l);
    char err[512];
    const int64_t now = 1700000900000LL; /* ms */
    write_set_points(l->c, now, INT64_MIN, INT64_MAX);

    const int64_t durs[] = {600000, 30000, 120000, 3600000, 300000};
    struct infl_set_plan plan;
    if (infl_set_plan("cpu_ratio", durs, 5, now, &plan, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(plan.k, 5);
    assert_int_equal(plan.ngroups, 2);
    for (int mode = 0; mode < 2; mode++) {
        struct infl_agg *outs[INFL_SET_MAX_DURS];
        size_t ns[INFL_SET_MAX_DURS];
        infl_set_statements(l->c, mode ? INFL_STMT_SINGLE : INFL_STMT_MULTI);
        unsigned long q0 = infl_query_count(l->c);
        if (infl_query_window_set(l->c, &plan, outs, ns, err, sizeof err))
            fail_msg("%s", err);
        /* one request, or one per statement */
        assert_int_equal(infl_query_count(l->c) - q0,
                         mode ? infl_set_nstatements(&plan) : 1);
        for (size_t w = 0; w < plan.k; w++) {
            struct infl_agg *a = NULL;
            size_t n = 0;
            if (infl_query_windows(l->c, "cpu_ratio", now - plan.dur_ms[w],
                                   now + 1, &a, &n, err, sizeof err))
                fail_msg("%s", err);
            assert_true(n > 0);
            assert_int_equal(ns[w], n);
            qsort(a, n, sizeof *a, cmp_rows);
            qsort(outs[w], n, sizeof *a, cmp_rows);
            for (size_t i = 0; i < n; i++) {
                const struct infl_agg *x = &a[i], *y = &outs[w][i];
                assert_string_equal(y->service, x->service);
                assert_string_equal(y->container, x->container);
                assert_int_equal(y->bad, x->bad);
                assert_int_equal(y->count, x->count);
                assert_true(fabs(y->mean - x->mean) <=
                            1e-9 * fmax(1, fabs(x->mean)));
                assert_true(y->max == x->max);
                assert_true(y->last == x->last);
                assert_int_equal(y->first_ms, x->first_ms);
                assert_int_equal(y->last_ms, x->last_ms);
            }
            free(a);
            free(outs[w]);
        }
    }
    infl_set_statements(l->c, INFL_STMT_AUTO);
}

/* das run's cache of recent points (mstore_influx_points) against the
 * real influxd: a whole read, then points written after it (one of them
 * late: before the read's time, inside the overlap), an incremental read;
 * every window as the window set gives it (values as float). */
static void test_live_points(void **state)
{
    LIVE(l);
    char err[512];
    const int64_t now = 1700000900000LL, cut = now - 60000;
    const int64_t durs[] = {600000, 30000, 120000, 300000};
    const size_t k = 4;
    struct win_agg *outs[4], *want[4];
    size_t ns[4], nwant[4];
    struct mstore m;
    struct mstore_points *mp = mstore_points_new(l->c, 30000);
    mstore_influx_points(&m, mp);

    /* up to the first read, but for the points of 10 s written late (one
     * a container) */
    const int64_t late = cut - 20000;
    write_set_points(l->c, now, INT64_MIN, late - 10000);
    write_set_points(l->c, now, late, cut);
    unsigned long q0 = infl_query_count(l->c);
    if (mstore_window_set(&m, "cpu_ratio", cut, durs, k, outs, ns, err,
                          sizeof err))
        fail_msg("%s", err);
    assert_int_equal(infl_query_count(l->c) - q0, 1);
    for (size_t w = 0; w < k; w++)
        free(outs[w]);
    /* after it: the late point, and the points since */
    write_set_points(l->c, now, late - 10000, late);
    write_set_points(l->c, now, cut, INT64_MAX);
    q0 = infl_query_count(l->c);
    if (mstore_window_set(&m, "cpu_ratio", now, durs, k, outs, ns, err,
                          sizeof err))
        fail_msg("%s", err);
    assert_int_equal(infl_query_count(l->c) - q0, 1);

    struct infl_set_plan plan;
    if (infl_set_plan("cpu_ratio", durs, k, now, &plan, err, sizeof err))
        fail_msg("%s", err);
    if (infl_query_window_set(l->c, &plan, want, nwant, err, sizeof err))
        fail_msg("%s", err);
    size_t bad_rows = 0;
    for (size_t w = 0; w < k; w++) {
        /* the plan's order is ascending; durs is not */
        size_t pw = 0;
        while (plan.dur_ms[pw] != durs[w])
            pw++;
        const struct win_agg *x0 = want[pw];
        assert_true(nwant[pw] > 0);
        assert_int_equal(ns[w], nwant[pw]);
        qsort(want[pw], nwant[pw], sizeof *x0, cmp_rows);
        qsort(outs[w], ns[w], sizeof *x0, cmp_rows);
        for (size_t i = 0; i < ns[w]; i++) {
            const struct win_agg *x = &want[pw][i], *y = &outs[w][i];
            assert_string_equal(y->service, x->service);
            assert_string_equal(y->container, x->container);
            assert_int_equal(y->bad, x->bad);
            bad_rows += y->bad != 0;
            assert_int_equal(y->count, x->count);
            assert_int_equal(y->first_ms, x->first_ms);
            assert_int_equal(y->last_ms, x->last_ms);
            double tol = 1e-5 * fmax(1, fabs(x->mean));
            assert_true(fabs(y->mean - x->mean) <= tol);
            assert_true(fabs(y->max - x->max) <= 1e-5 * fmax(1, fabs(x->max)));
            assert_true(fabs(y->last - x->last) <=
                        1e-5 * fmax(1, fabs(x->last)));
        }
        free(outs[w]);
    }
    for (size_t w = 0; w < plan.k; w++)
        free(want[w]);
    assert_true(bad_rows > 0); /* the tag that is no container id */
    mstore_points_free(mp);
}

static void test_live_windows(void **state)
{
    LIVE(l);
    char err[512];
    struct infl_buffer *b = infl_buffer_new(1000);
    struct infl_point p;
    const int64_t base = 1700000000000LL; /* ms */
    assert_int_equal(infl_ping(l->c, err, sizeof err), 0);
    for (int i = 0; i < 6; i++) {
        int64_t t = (base + i * 10000) * 1000000;
        infl_point_init(&p, "docker", t);
        infl_point_tag(&p, "service", "svcA");
        infl_point_tag(&p, "service_name", "web é");
        infl_point_tag(&p, "container", "aaaaaaaaaaaa");
        infl_point_float(&p, "cpu_ratio", 10.0 + i);
        infl_point_int(&p, "mem_usage", 1000 + i);
        assert_int_equal(infl_buffer_push_point(b, &p, err, sizeof err), 0);
        infl_point_init(&p, "docker", t + 2000000);
        infl_point_tag(&p, "service", "svcA");
        infl_point_tag(&p, "container", "bbbbbbbbbbbb");
        infl_point_float(&p, "cpu_ratio", 20.0);
        infl_point_int(&p, "mem_usage", 2000);
        assert_int_equal(infl_buffer_push_point(b, &p, err, sizeof err), 0);
        infl_point_init(&p, "docker", t + 3000000);
        infl_point_tag(&p, "service", ""); /* non-swarm: tag left out */
        infl_point_tag(&p, "container", "cccccccccccc");
        infl_point_float(&p, "cpu_ratio", 50.0);
        assert_int_equal(infl_buffer_push_point(b, &p, err, sizeof err), 0);
    }
    /* Outside [base, base + 60000): before the start and at the end. */
    infl_point_init(&p, "docker", (base - 1) * 1000000);
    infl_point_tag(&p, "service", "svcA");
    infl_point_tag(&p, "container", "aaaaaaaaaaaa");
    infl_point_float(&p, "cpu_ratio", 99);
    assert_int_equal(infl_buffer_push_point(b, &p, err, sizeof err), 0);
    infl_point_init(&p, "docker", (base + 60000) * 1000000);
    infl_point_tag(&p, "service", "svcA");
    infl_point_tag(&p, "container", "aaaaaaaaaaaa");
    infl_point_float(&p, "cpu_ratio", 99);
    assert_int_equal(infl_buffer_push_point(b, &p, err, sizeof err), 0);
    flush_all(l->c, b);

    unsigned long q0 = infl_query_count(l->c);
    struct infl_agg *a = NULL;
    size_t n = 0;
    if (infl_query_windows(l->c, "cpu_ratio", base, base + 60000, &a, &n, err,
                           sizeof err))
        fail_msg("%s", err);
    assert_int_equal(infl_query_count(l->c), q0 + 1); /* one request */
    assert_int_equal(n, 2);
    assert_string_equal(a[0].service, "svcA");
    assert_string_equal(a[0].container, "aaaaaaaaaaaa");
    assert_true(a[0].mean == 12.5);
    assert_int_equal(a[0].count, 6);
    assert_int_equal(a[0].first_ms, base);
    assert_int_equal(a[0].last_ms, base + 50000);
    assert_string_equal(a[1].container, "bbbbbbbbbbbb");
    assert_int_equal(a[1].first_ms, base + 2);
    assert_int_equal(a[1].last_ms, base + 50002);

    /* One statement per request (InfluxDB 3's way): three requests, the
     * same aggregates to the bit. */
    struct infl_agg *s1 = NULL;
    size_t ns1 = 0;
    infl_set_statements(l->c, INFL_STMT_SINGLE);
    q0 = infl_query_count(l->c);
    if (infl_query_windows(l->c, "cpu_ratio", base, base + 60000, &s1, &ns1,
                           err, sizeof err))
        fail_msg("single: %s", err);
    assert_int_equal(infl_query_count(l->c), q0 + 3);
    assert_int_equal(ns1, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(s1[i].service, a[i].service);
        assert_string_equal(s1[i].container, a[i].container);
        assert_true(s1[i].mean == a[i].mean && s1[i].max == a[i].max &&
                    s1[i].last == a[i].last);
        assert_int_equal(s1[i].count, a[i].count);
        assert_int_equal(s1[i].first_ms, a[i].first_ms);
        assert_int_equal(s1[i].last_ms, a[i].last_ms);
    }
    free(s1);
    infl_set_statements(l->c, INFL_STMT_AUTO);
    free(a);

    /* An integer field; a window with nothing in it. */
    if (infl_query_windows(l->c, "mem_usage", base, base + 60000, &a, &n, err,
                           sizeof err))
        fail_msg("%s", err);
    assert_int_equal(n, 2);
    assert_true(a[0].mean == 1002.5);
    free(a);
    if (infl_query_windows(l->c, "cpu_ratio", base + 3600000, base + 7200000,
                           &a, &n, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(n, 0);
    assert_null(a);
    /* A field that doesn't exist: no rows, no error. */
    if (infl_query_windows(l->c, "no_such_field", base, base + 60000, &a, &n,
                           err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(n, 0);
    infl_buffer_free(b);
}

/* Hostile names written with the escaping rules and read back. */
static void test_live_roundtrip(void **state)
{
    LIVE(l);
    /* in → as stored: tag value, string field, measurement and field key
     * (the last two, and the tag value, follow the same rules: a backslash
     * no version reads back as itself becomes '_'). */
    static const struct {
        const char *in, *tag, *str, *name;
    } cases[] = {
        {"a b", "a b", "a b", "a b"},
        {"a,b", "a,b", "a,b", "a,b"},
        {"a=b", "a=b", "a=b", "a=b"},
        {"a\\b", "a\\b", "a\\b", "a\\b"},
        {"a\\", "a_", "a\\", "a_"},
        {"a\\ b", "a_ b", "a\\ b", "a_ b"},
        {"a\\,b", "a_,b", "a\\,b", "a_,b"},
        {"a\\=b", "a_=b", "a\\=b", "a_=b"},
        {"a\"b", "a\"b", "a\"b", "a\"b"},
        {"it's", "it's", "it's", "it's"},
        {"two\nlines", "two\\nlines", "two\\nlines", "two\\nlines"},
        {"tab\there", "tab\\there", "tab\\there", "tab\\there"},
        {"x' or service =~ /.*/ or '", "x' or service =~ /.*/ or '",
         "x' or service =~ /.*/ or '", "x' or service =~ /.*/ or '"},
        {"服务 é", "服务 é", "服务 é", "服务 é"},
        {" lead", " lead", " lead", " lead"},
        {"trail ", "trail ", "trail ", "trail "},
        {"#hash", "#hash", "#hash", NULL}, /* no such measurement */
    };
    size_t ncases = sizeof cases / sizeof *cases;
    char err[512], idx[16];
    struct infl_buffer *b = infl_buffer_new(100);
    struct infl_point p;
    for (size_t i = 0; i < ncases; i++) {
        snprintf(idx, sizeof idx, "%02zu", i);
        infl_point_init(&p, "rt", 1000000000LL + (int64_t)i);
        infl_point_tag(&p, "i", idx);
        infl_point_tag(&p, "t", cases[i].in);
        infl_point_string(&p, "s", cases[i].in);
        assert_int_equal(infl_buffer_push_point(b, &p, err, sizeof err), 0);
        if (!cases[i].name)
            continue;
        infl_point_init(&p, cases[i].in, 1000000000LL + (int64_t)i);
        infl_point_tag(&p, "i", idx);
        infl_point_float(&p, cases[i].in, 1.0);
        assert_int_equal(infl_buffer_push_point(b, &p, err, sizeof err), 0);
    }
    flush_all(l->c, b);
    json_t *res;
    if (infl_query(l->c, "SELECT \"i\", \"t\", \"s\" FROM \"rt\"", &res, err,
                   sizeof err))
        fail_msg("%s", err);
    json_t *rows = json_object_get(
        json_array_get(
            json_object_get(json_array_get(json_object_get(res, "results"), 0),
                            "series"),
            0),
        "values");
    assert_int_equal(json_array_size(rows), ncases);
    for (size_t i = 0; i < ncases; i++) {
        json_t *row = json_array_get(rows, i);
        const char *t = json_string_value(json_array_get(row, 2));
        const char *s = json_string_value(json_array_get(row, 3));
        assert_non_null(t);
        assert_non_null(s);
        if (strcmp(t, cases[i].tag) || strcmp(s, cases[i].str))
            fail_msg("case %zu: tag \"%s\" string \"%s\"", i, t, s);
    }
    json_decref(res);

    /* Each measurement holds its one field key, both named as expected. */
    if (infl_query(l->c, "SHOW FIELD KEYS", &res, err, sizeof err))
        fail_msg("%s", err);
    json_t *series = json_object_get(
        json_array_get(json_object_get(res, "results"), 0), "series");
    for (size_t i = 0; i < ncases; i++) {
        bool found = false;
        if (!cases[i].name)
            continue;
        for (size_t j = 0; j < json_array_size(series); j++) {
            json_t *sr = json_array_get(series, j);
            json_t *keys = json_object_get(sr, "values");
            const char *name = json_string_value(json_object_get(sr, "name"));
            const char *key =
                json_string_value(json_array_get(json_array_get(keys, 0), 0));
            if (name && key && strcmp(name, cases[i].name) == 0 &&
                strcmp(key, cases[i].name) == 0 && json_array_size(keys) == 1)
                found = true;
        }
        if (!found)
            fail_msg("case %zu: no measurement / field key \"%s\"", i,
                     cases[i].name);
    }
    json_decref(res);

    /* The hostile literal matches nothing, the plain one its row. */
    struct buf q;
    buf_init(&q, 4096);
    assert_int_equal(buf_puts(&q, "SELECT \"s\" FROM \"rt\" WHERE \"t\" = "),
                     0);
    assert_int_equal(infl_quote_string("x' or t =~ /.*/ or '", &q), 0);
    if (infl_query(l->c, q.ptr, &res, err, sizeof err))
        fail_msg("%s", err);
    assert_null(json_object_get(
        json_array_get(json_object_get(res, "results"), 0), "series"));
    json_decref(res);
    buf_reset(&q);
    assert_int_equal(buf_puts(&q, "SELECT \"s\" FROM \"rt\" WHERE \"t\" = "),
                     0);
    assert_int_equal(infl_quote_string("a\\b", &q), 0);
    assert_int_equal(buf_puts(&q, " OR \"t\" = "), 0);
    assert_int_equal(infl_quote_string("x' or service =~ /.*/ or '", &q), 0);
    if (infl_query(l->c, q.ptr, &res, err, sizeof err))
        fail_msg("%s", err);
    json_t *vals = json_object_get(
        json_array_get(
            json_object_get(json_array_get(json_object_get(res, "results"), 0),
                            "series"),
            0),
        "values");
    assert_int_equal(json_array_size(vals), 2);
    json_decref(res);
    buf_cleanup(&q);
    infl_buffer_free(b);
}

static void test_live_errors(void **state)
{
    LIVE(l);
    char err[512];
    json_t *res;
    struct infl_agg *a;
    size_t n;
    assert_int_equal(infl_query(l->c, "SELEC x", &res, err, sizeof err), -1);
    assert_null(res);
    assert_non_null(strstr(err, "HTTP 400: error parsing query"));
    /* A database that isn't there: the window query says so. */
    struct infl *none = infl_new(&l->conf, "das_no_such_db", err, sizeof err);
    assert_non_null(none);
    assert_int_equal(
        infl_query_windows(none, "cpu_ratio", 0, 1000, &a, &n, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "does the database exist?"));
    /* A write there is kept for retry (404), not dropped. */
    struct infl_buffer *b = infl_buffer_new(10);
    struct infl_flush_result r;
    push_str(b, "m v=1 1");
    assert_int_equal(infl_flush(none, b, 0, &r), -1);
    assert_true(r.retry);
    assert_int_equal(infl_buffer_len(b), 1);
    infl_buffer_free(b);
    infl_free(none);
    /* A bad point among good ones: the batch is dropped (400), counted. */
    b = infl_buffer_new(10);
    push_str(b, "typed v=1i 1");
    flush_all(l->c, b);
    push_str(b, "typed v=2i 2");
    push_str(b, "typed v=2.5 3"); /* type conflict */
    assert_int_equal(infl_flush(l->c, b, 0, &r), 0);
    assert_int_equal(r.rejected, 2);
    infl_buffer_free(b);
}

/* A server with a small [http] max-body-size: the 413 split, for real. */
static void test_live_413(void **state)
{
    (void)state;
    const char *url = getenv("DAS_INFLUX_URL_413");
    if (!url || !*url)
        fail_msg("DAS_INFLUX_URL_413 is not set: the live cases need an "
                 "influxd with a small [http] max-body-size too "
                 "(tests/integ/t_influx_live.sh starts one)");
    struct http_conf conf = {0};
    char err[512];
    json_t *res;
    conf.url = url;
    struct infl *c = infl_new(&conf, "das_unit_413", err, sizeof err);
    assert_non_null(c);
    assert_int_equal(
        infl_query(c, "CREATE DATABASE das_unit_413", &res, err, sizeof err),
        0);
    json_decref(res);
    struct infl_buffer *b = infl_buffer_new(1000);
    fill(b, 0, 300);
    /* One point far larger than any small max-body-size. */
    char big[8192];
    memset(big, 'x', sizeof big);
    memcpy(big, "m s=\"", 5);
    memcpy(big + sizeof big - 10, "\" 1000000", 9);
    big[sizeof big - 1] = '\0';
    push_str(b, big);
    fill(b, 300, 10);
    struct infl_flush_result r;
    assert_int_equal(infl_flush(c, b, 0, &r), 0);
    assert_int_equal(r.written, 310);
    assert_int_equal(r.rejected, 1);
    assert_true(r.requests > 2);
    assert_int_equal(
        infl_query(c, "SELECT count(\"v\") FROM \"m\"", &res, err, sizeof err),
        0);
    json_t *row = json_array_get(
        json_object_get(
            json_array_get(
                json_object_get(
                    json_array_get(json_object_get(res, "results"), 0),
                    "series"),
                0),
            "values"),
        0);
    assert_int_equal(json_integer_value(json_array_get(row, 1)), 310);
    json_decref(res);
    assert_int_equal(
        infl_query(c, "DROP DATABASE das_unit_413", &res, err, sizeof err), 0);
    json_decref(res);
    infl_buffer_free(b);
    infl_free(c);
}

int main(void)
{
    log_setup("test", LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flush_batches),
        cmocka_unit_test(test_flush_retry_keeps_order),
        cmocka_unit_test(test_flush_split_413),
        cmocka_unit_test(test_flush_single_point_413_dropped),
        cmocka_unit_test(test_flush_drop_400),
        cmocka_unit_test(test_write_verdicts),
        cmocka_unit_test(test_flush_logs_changes_only),
        cmocka_unit_test(test_new_where),
        cmocka_unit_test(test_quote_string),
        cmocka_unit_test(test_quote_ident),
        cmocka_unit_test(test_resp_parse_errors),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test_setup_teardown(test_live_windows, live_setup,
                                        live_teardown),
        cmocka_unit_test_setup_teardown(test_live_points, live_setup,
                                        live_teardown),
        cmocka_unit_test_setup_teardown(test_live_window_set, live_setup,
                                        live_teardown),
        cmocka_unit_test_setup_teardown(test_live_roundtrip, live_setup,
                                        live_teardown),
        cmocka_unit_test_setup_teardown(test_live_errors, live_setup,
                                        live_teardown),
        cmocka_unit_test(test_live_413),
    };
    const char *url = getenv("DAS_INFLUX_URL");
    bool live_on = url && *url;
    if (!live_on) {
        printf("influx live: not run (DAS_INFLUX_URL unset; "
               "integ.t_influx_live runs them against a real influxd)\n");
        fflush(stdout);
    }
    int failed = cmocka_run_group_tests_name("influx", tests, NULL, NULL);
    if (live_on)
        failed += cmocka_run_group_tests_name("influx live", live, NULL, NULL);
    return failed;
}
