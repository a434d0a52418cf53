/* influx against InfluxDB 2.x/3.x as their v1 API behaves, played by a small
 * HTTP server inside this test (no 2.x/3.x server is packaged here): it
 * records every request das sends (request line, Authorization header,
 * the q it carries) and answers fixed replies made from influxd 1.6.7's
 * recorded answers (tests/fixtures/influx). What it checks: the token goes
 * in "Authorization: Token …" on queries and writes, never in a URL, a
 * message or a log line; user and token together are refused; single
 * mode sends the windows query's three statements one per request and
 * merges them into exactly what the one-request answer gives; auto mode
 * falls back to that when a server refuses several statements (InfluxDB
 * 3's "must provide only one InfluxQl statement per query", HTTP 500 in
 * plain text) or answers fewer results than statements, and remembers;
 * 401 and transport errors are not taken for a refusal. The demand query
 * of `das simulate --service` is one statement in every mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>

#include "buf.h"
#include "cfg.h"
#include "fixture.h"
#include "influx.h"
#include "log.h"
#include "prom.h"

#define TOKEN "tok-3x9_QwErTy=="

/* ---- the server -------------------------------------------------------- */

enum srv_mode {
    SRV_V1,        /* answers any query with the whole recorded answer */
    SRV_V3,        /* one statement per request: several → HTTP 500 text */
    SRV_V3_SHORT,  /* several statements → only the first one's result */
    SRV_401,       /* every request: 401 */
    SRV_STMT_ERR,  /* 200, each statement's result an error (1.x's answer
                      for a missing database) */
    SRV_V3_BROKEN, /* several statements → HTTP 500 text, one → 400 */
};

#define MAX_REQS 32

struct req {
    char line[4096]; /* "POST /query?db=docker&epoch=ms HTTP/1.1" */
    char auth[256];  /* the Authorization header's value, or "" */
    char q[8192];    /* the decoded q of the body, or the raw body */
};

struct srv {
    int fd;
    unsigned port;
    pthread_t thread;
    volatile bool stop;
    enum srv_mode mode;
    json_t *windows; /* windows_cpu.json */
    json_t *demand;  /* demand.json */
    struct req reqs[MAX_REQS];
    size_t nreqs;
};

static char *read_fixture(const char *name, size_t *len)
{
    return fixture_read("influx", name, len);
}

static json_t *load_json(const char *name)
{
    size_t len;
    char *text = read_fixture(name, &len);
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    free(text);
    assert_non_null(j);
    return j;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The value of q= in a form body, percent-decoded, into out. */
static void form_q(const char *body, char *out, size_t outlen)
{
    const char *p = strncmp(body, "q=", 2) == 0 ? body + 2 : body;
    size_t o = 0;
    for (; *p && *p != '&' && o + 1 < outlen; p++) {
        if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            out[o++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            out[o++] = *p == '+' ? ' ' : *p;
        }
    }
    out[o] = '\0';
}

static void send_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, s, len, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        s += w;
        len -= (size_t)w;
    }
}

static void reply(int fd, int status, const char *ctype, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: "
                     "%zu\r\n\r\n",
                     status, ctype, strlen(body));
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

/* The recorded answer's result i as a one-statement answer. */
static char *one_result(json_t *whole, size_t i)
{
    json_t *r =
        json_deep_copy(json_array_get(json_object_get(whole, "results"), i));
    json_object_set_new(r, "statement_id", json_integer(0));
    json_t *root = json_pack("{s:[o]}", "results", r);
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return s;
}

/* Answers to a window set of one 1m window ending at W1 (see
 * test_set_modes); statement ids as in one request, rewritten to 0 when
 * sent alone. */
#define SET_SERIES(cols, vals)                                                 \
    "\"series\":[{\"name\":\"docker\",\"tags\":{\"container\":"                \
    "\"aaaaaaaaaaaa\",\"service\":\"s1\"},\"columns\":" cols                   \
    ",\"values\":" vals "}]"
#define SET_AGG                                                                \
    "{\"statement_id\":0," SET_SERIES("[\"time\",\"count\",\"sum\",\"max\"]",  \
                                      "[[1700000000000,6,60,12]]") "}"
#define SET_LAST                                                               \
    "{\"statement_id\":1," SET_SERIES("[\"time\",\"last\"]",                   \
                                      "[[1700000055000,11]]") "}"
#define SET_FIRST                                                              \
    "{\"statement_id\":2," SET_SERIES("[\"time\",\"first\"]",                  \
                                      "[[1700000003000,9]]") "}"
/* one statement alone: its id is 0 */
#define SET_ONE(x) "{\"results\":[" x "]}"

static void answer(struct srv *s, int fd, const struct req *r)
{
    bool query = strncmp(r->line, "POST /query", 11) == 0;
    if (s->mode == SRV_401) {
        reply(fd, 401, "application/json",
              "{\"error\":\"authorization failed\"}");
        return;
    }
    if (!query) { /* a write */
        reply(fd, 204, "text/plain", "");
        return;
    }
    bool several = strstr(r->q, "; ") != NULL;
    char *body = NULL;
    if (s->mode == SRV_STMT_ERR) {
        reply(fd, 200, "application/json",
              several ? "{\"results\":[{\"statement_id\":0,\"error\":"
                        "\"database not found: docker\"},{\"statement_id\":"
                        "1,\"error\":\"not executed\"},{\"statement_id\":2,"
                        "\"error\":\"not executed\"}]}"
                      : "{\"results\":[{\"statement_id\":0,\"error\":"
                        "\"database not found: docker\"}]}");
        return;
    }
    if (s->mode == SRV_V3_BROKEN) {
        if (several)
            reply(fd, 500, "text/plain; charset=utf-8",
                  "must provide only one InfluxQl statement per query");
        else
            reply(fd, 400, "application/json", "{\"error\":\"boom\"}");
        return;
    }
    if (strstr(r->line, "chunked=true")) {
        /* a window set (one 1m window): agg, last, first */
        if (several && s->mode == SRV_V3) {
            reply(fd, 500, "text/plain; charset=utf-8",
                  "must provide only one InfluxQl statement per query");
            return;
        }
        if (several) /* all three, not chunked: as a server ignoring it */
            body = strdup("{\"results\":[" SET_AGG "," SET_LAST "," SET_FIRST
                          "]}\n");
        else if (strstr(r->q, "count("))
            body = strdup("{\"results\":[" SET_AGG "]}\n");
        else if (strstr(r->q, "last("))
            body = strdup(SET_ONE(SET_LAST));
        else
            body = strdup(SET_ONE(SET_FIRST));
        if (!several) /* sent alone: the answer's statement_id is 0 */
            strstr(body, "\"statement_id\":")[15] = '0';
    } else if (strstr(r->q, "sum(")) {
        body = json_dumps(s->demand, JSON_COMPACT);
    } else if (s->mode == SRV_V1) {
        body = json_dumps(s->windows, JSON_COMPACT);
    } else if (several && s->mode == SRV_V3) {
        reply(fd, 500, "text/plain; charset=utf-8",
              "must provide only one InfluxQl statement per query");
        return;
    } else if (several || strstr(r->q, "mean(")) {
        body = one_result(s->windows, 0); /* SRV_V3_SHORT: the first only */
    } else if (strstr(r->q, "first(")) {
        body = one_result(s->windows, 1);
    } else if (strstr(r->q, "last(")) {
        body = one_result(s->windows, 2);
    }
    if (!body) {
        reply(fd, 400, "application/json", "{\"error\":\"unexpected query\"}");
        return;
    }
    reply(fd, 200, "application/json", body);
    free(body);
}

/* Serves one connection's requests (keep-alive) until it closes. */
static void serve_conn(struct srv *s, int fd)
{
    static char in[1 << 17];
    size_t have = 0;
    while (!s->stop) {
        char *end = memmem(in, have, "\r\n\r\n", 4);
        if (!end) {
            struct pollfd pf = {fd, POLLIN, 0};
            if (poll(&pf, 1, 50) <= 0)
                continue;
            ssize_t r = recv(fd, in + have, sizeof in - 1 - have, 0);
            if (r <= 0)
                return;
            have += (size_t)r;
            continue;
        }
        size_t hlen = (size_t)(end - in) + 4;
        in[hlen - 2] = '\0';
        size_t clen = 0;
        struct req rq;
        memset(&rq, 0, sizeof rq);
        snprintf(rq.line, sizeof rq.line, "%.*s", (int)strcspn(in, "\r\n"), in);
        for (char *l = strstr(in, "\r\n"); l && l[2];
             l = strstr(l + 2, "\r\n")) {
            char *h = l + 2;
            size_t ll = strcspn(h, "\r\n");
            if (strncasecmp(h, "Content-Length:", 15) == 0)
                clen = strtoul(h + 15, NULL, 10);
            else if (strncasecmp(h, "Authorization:", 14) == 0)
                snprintf(rq.auth, sizeof rq.auth, "%.*s", (int)(ll - 15),
                         h + 15);
        }
        while (have < hlen + clen && !s->stop) {
            struct pollfd pf = {fd, POLLIN, 0};
            if (poll(&pf, 1, 50) <= 0)
                continue;
            ssize_t r = recv(fd, in + have, sizeof in - 1 - have, 0);
            if (r <= 0)
                return;
            have += (size_t)r;
        }
        char body[8192];
        snprintf(body, sizeof body, "%.*s", (int)clen, in + hlen);
        form_q(body, rq.q, sizeof rq.q);
        if (s->nreqs < MAX_REQS)
            s->reqs[s->nreqs++] = rq;
        answer(s, fd, &rq);
        memmove(in, in + hlen + clen, have - hlen - clen);
        have -= hlen + clen;
    }
}

static void *serve(void *arg)
{
    struct srv *s = arg;
    while (!s->stop) {
        struct pollfd pf = {s->fd, POLLIN, 0};
        if (poll(&pf, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        serve_conn(s, c);
        close(c);
    }
    return NULL;
}

static int srv_setup(void **state)
{
    struct srv *s = calloc(1, sizeof *s);
    struct sockaddr_in a = {0};
    socklen_t al = sizeof a;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) ||
        listen(s->fd, 4) || getsockname(s->fd, (struct sockaddr *)&a, &al))
        return -1;
    s->port = ntohs(a.sin_port);
    s->windows = load_json("windows_cpu.json");
    s->demand = load_json("demand.json");
    if (pthread_create(&s->thread, NULL, serve, s))
        return -1;
    *state = s;
    return 0;
}

static int srv_teardown(void **state)
{
    struct srv *s = *state;
    s->stop = true;
    pthread_join(s->thread, NULL);
    close(s->fd);
    json_decref(s->windows);
    json_decref(s->demand);
    free(s);
    return 0;
}

static struct infl *client(struct srv *s, const char *user, const char *token,
                           enum infl_statements mode)
{
    char url[64], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", s->port);
    struct http_conf hc = {.url = url,
                           .user = user,
                           .password = user ? "pw" : NULL,
                           .token = token,
                           .timeout_ms = 5000};
    struct infl *c = infl_new(&hc, "docker", err, sizeof err);
    assert_non_null(c);
    infl_set_statements(c, mode);
    s->nreqs = 0;
    return c;
}

/* The windows query's aggregates from the recorded one-request answer. */
static void expected_windows(struct srv *s, struct infl_agg **a, size_t *n)
{
    char err[256];
    assert_int_equal(infl_windows_parse(s->windows, a, n, err, sizeof err), 0);
    assert_int_equal(*n, 3);
}

static void assert_same_aggs(const struct infl_agg *x, size_t nx,
                             const struct infl_agg *y, size_t ny)
{
    assert_int_equal(nx, ny);
    for (size_t i = 0; i < nx; i++) {
        assert_string_equal(x[i].service, y[i].service);
        assert_string_equal(x[i].container, y[i].container);
        assert_true(x[i].mean == y[i].mean);
        assert_int_equal(x[i].count, y[i].count);
        assert_int_equal(x[i].first_ms, y[i].first_ms);
        assert_int_equal(x[i].last_ms, y[i].last_ms);
        assert_true(x[i].last == y[i].last);
        assert_true(x[i].max == y[i].max);
    }
}

static const int64_t W0 = 1700000000000LL, W1 = 1700000060000LL;

/* ---- stderr capture ------------------------------------------------------ */

struct capture {
    char path[64];
    int fd, saved;
};

static void capture_start(struct capture *cp)
{
    snprintf(cp->path, sizeof cp->path, "/tmp/test_influx_v23_XXXXXX");
    cp->fd = mkstemp(cp->path);
    assert_true(cp->fd >= 0);
    fflush(stderr);
    cp->saved = dup(2);
    assert_int_equal(dup2(cp->fd, 2), 2);
    log_setup("test", LOG_DEBUG);
}

static void capture_end(struct capture *cp, char *text, size_t len)
{
    fflush(stderr);
    assert_int_equal(dup2(cp->saved, 2), 2);
    close(cp->saved);
    log_setup("test", LOG_OFF);
    FILE *f = fopen(cp->path, "rb");
    assert_non_null(f);
    size_t n = fread(text, 1, len - 1, f);
    text[n] = '\0';
    fclose(f);
    close(cp->fd);
    unlink(cp->path);
}

/* ---- the cases ----------------------------------------------------------- */

/* The token rides in the Authorization header of queries and writes, and
 * nowhere else: not in a URL, not in an error, not in a log line. */
static void test_token_header(void **state)
{
    struct srv *s = *state;
    char err[512];
    struct capture cp;
    char logs[16384];
    capture_start(&cp);

    struct infl *c = client(s, NULL, TOKEN, INFL_STMT_MULTI);
    struct infl_agg *a, *want;
    size_t n, nwant;
    assert_int_equal(
        infl_query_windows(c, "cpu_ratio", W0, W1, &a, &n, err, sizeof err), 0);
    expected_windows(s, &want, &nwant);
    assert_same_aggs(a, n, want, nwant);
    free(a);
    free(want);
    assert_int_equal(infl_write(c, "m v=1 1\n", 8, err, sizeof err), INFL_OK);
    assert_int_equal(s->nreqs, 2);
    assert_string_equal(s->reqs[0].line,
                        "POST /query?db=docker&epoch=ms HTTP/1.1");
    assert_string_equal(s->reqs[0].auth, "Token " TOKEN);
    assert_string_equal(s->reqs[1].line,
                        "POST /write?db=docker&precision=ns HTTP/1.1");
    assert_string_equal(s->reqs[1].auth, "Token " TOKEN);
    infl_free(c);

    /* refused: the message names the server, never the token */
    s->mode = SRV_401;
    c = client(s, NULL, TOKEN, INFL_STMT_AUTO);
    assert_int_equal(
        infl_query_windows(c, "cpu_ratio", W0, W1, &a, &n, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "authorization failed"));
    assert_null(strstr(err, TOKEN));
    assert_int_equal(s->nreqs, 1); /* a 401 is not a statement refusal */
    assert_false(infl_single_statements(c));
    struct infl_buffer *b = infl_buffer_new(10);
    infl_buffer_push(b, "m v=1 1", 7);
    struct infl_flush_result fr;
    assert_int_equal(infl_flush(c, b, 0, &fr), -1); /* logged: retry */
    infl_buffer_free(b);
    infl_free(c);
    s->mode = SRV_V1;

    capture_end(&cp, logs, sizeof logs);
    assert_non_null(strstr(logs, "InfluxDB write failed"));
    assert_null(strstr(logs, TOKEN));
    for (size_t i = 0; i < s->nreqs; i++)
        assert_null(strstr(s->reqs[i].line, "tok-"));
}

/* Basic auth without a token sends no Token header; both together, or a
 * token that would break the header line, are refused before any
 * request, and the message does not hold the token. */
static void test_token_config(void **state)
{
    struct srv *s = *state;
    char url[64], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", s->port);
    struct http_conf hc = {
        .url = url, .user = "u", .password = "pw", .token = TOKEN};
    assert_null(infl_new(&hc, "docker", err, sizeof err));
    assert_string_equal(err,
                        "a user (basic auth) and a token both given: use one");
    hc.user = NULL;
    hc.password = NULL;
    hc.token = "abc\r\nX-Evil: 1";
    assert_null(infl_new(&hc, "docker", err, sizeof err));
    assert_non_null(strstr(err, "spaces or control bytes"));
    assert_null(strstr(err, "Evil"));
    hc.token = "";
    assert_null(infl_new(&hc, "docker", err, sizeof err));

    struct infl *c = client(s, "u", NULL, INFL_STMT_MULTI);
    struct infl_agg *a;
    size_t n;
    assert_int_equal(
        infl_query_windows(c, "cpu_ratio", W0, W1, &a, &n, err, sizeof err), 0);
    free(a);
    assert_int_equal(s->nreqs, 1);
    assert_string_equal(s->reqs[0].auth, "Basic dTpwdw=="); /* u:pw */
    infl_free(c);

    /* the token's sources: a file first, else the environment */
    char path[] = "/tmp/test_influx_v23_tok_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, TOKEN "\n", strlen(TOKEN) + 1),
                     (ssize_t)strlen(TOKEN) + 1);
    close(fd);
    setenv("TEST_V23_TOKEN", "from-env", 1);
    char *t = cfg_secret(path, "TEST_V23_TOKEN", err, sizeof err);
    assert_string_equal(t, TOKEN);
    free(t);
    t = cfg_secret(NULL, "TEST_V23_TOKEN", err, sizeof err);
    assert_string_equal(t, "from-env");
    free(t);
    unsetenv("TEST_V23_TOKEN");
    assert_null(cfg_secret("", "TEST_V23_TOKEN", err, sizeof err));
    assert_string_equal(err, "");
    unlink(path);
    assert_null(cfg_secret(path, "TEST_V23_TOKEN", err, sizeof err));
    assert_non_null(strstr(err, "cannot read secret file"));

    /* bearer: the same token as "Authorization: Bearer" (Prometheus) */
    struct http_conf bc = {
        .url = url, .token = TOKEN, .bearer = true, .timeout_ms = 5000};
    struct prom *p = prom_new(&bc, PROM_NAMES_DS, 0, err, sizeof err);
    assert_non_null(p);
    s->nreqs = 0;
    struct win_agg *w = NULL;
    size_t nw = 0;
    /* this server is no Prometheus: the reply is refused, the request
     * went out */
    assert_int_equal(
        prom_query_windows(p, "cpu_ratio", W0, W1, &w, &nw, err, sizeof err),
        -1);
    free(w);
    assert_int_equal(s->nreqs, 1);
    assert_string_equal(s->reqs[0].auth, "Bearer " TOKEN);
    assert_null(strstr(s->reqs[0].line, "tok-"));
    assert_null(strstr(err, "tok-"));
    prom_free(p);
}

/* single: three requests of one statement each, merged into exactly the
 * aggregates of the one-request answer; with the token on each. */
static void test_single_merge(void **state)
{
    struct srv *s = *state;
    char err[512];
    struct buf all;
    s->mode = SRV_V3;
    struct infl *c = client(s, NULL, TOKEN, INFL_STMT_SINGLE);
    struct infl_agg *a, *want;
    size_t n, nwant;
    assert_int_equal(
        infl_query_windows(c, "cpu_ratio", W0, W1, &a, &n, err, sizeof err), 0);
    expected_windows(s, &want, &nwant);
    assert_same_aggs(a, n, want, nwant);
    free(a);
    free(want);
    assert_int_equal(s->nreqs, 3);
    assert_int_equal(infl_query_count(c), 3);
    /* the three statements are the ones the one-request form joins */
    buf_init(&all, 1 << 16);
    assert_int_equal(
        infl_windows_statement("cpu_ratio", W0, W1, &all, err, sizeof err), 0);
    char joined[8192];
    snprintf(joined, sizeof joined, "%s; %s; %s", s->reqs[0].q, s->reqs[1].q,
             s->reqs[2].q);
    assert_string_equal(joined, all.ptr);
    buf_cleanup(&all);
    for (size_t i = 0; i < 3; i++) {
        assert_null(strchr(s->reqs[i].q, ';'));
        assert_string_equal(s->reqs[i].auth, "Token " TOKEN);
    }
    assert_true(infl_single_statements(c));

    /* a statement that fails alone is named */
    s->mode = SRV_401;
    s->nreqs = 0;
    assert_int_equal(
        infl_query_windows(c, "cpu_ratio", W0, W1, &a, &n, err, sizeof err),
        -1);
    assert_int_equal(s->nreqs, 1);
    assert_non_null(strstr(err, "statement 1 of 3, sent alone: "));
    infl_free(c);

    /* multi against a one-statement server: refused, no second try */
    s->mode = SRV_V3;
    c = client(s, NULL, TOKEN, INFL_STMT_MULTI);
    assert_int_equal(
        infl_query_windows(c, "cpu_ratio", W0, W1, &a, &n, err, sizeof err),
        -1);
    assert_int_equal(s->nreqs, 1);
    assert_non_null(
        strstr(err, "HTTP 500: must provide only one InfluxQl statement"));
    infl_free(c);
    s->mode = SRV_V1;
}

/* auto: one request first; a server that refuses it (HTTP 500 in plain
 * text) or answers fewer results than statements gets the statements one
 * by one, once, and from then on only one by one; logged once. */
static void test_auto_fallback(void **state)
{
    struct srv *s = *state;
    char err[512];
    struct capture cp;
    char logs[16384];
    struct infl_agg *a, *want;
    size_t n, nwant;
    expected_windows(s, &want, &nwant);
    capture_start(&cp);
    const enum srv_mode modes[] = {SRV_V3, SRV_V3_SHORT};
    for (size_t m = 0; m < 2; m++) {
        s->mode = modes[m];
        struct infl *c = client(s, NULL, TOKEN, INFL_STMT_AUTO);
        assert_false(infl_single_statements(c));
        assert_int_equal(
            infl_query_windows(c, "cpu_ratio", W0, W1, &a, &n, err, sizeof err),
            0);
        assert_same_aggs(a, n, want, nwant);
        free(a);
        assert_int_equal(s->nreqs, 4); /* the refused one, then 3 */
        assert_non_null(strstr(s->reqs[0].q, "; "));
        assert_true(infl_single_statements(c));
        struct infl_stats st;
        infl_get_stats(c, &st);
        assert_int_equal(st.statement_fallbacks, 1);
        s->nreqs = 0;
        assert_int_equal(
            infl_query_windows(c, "cpu_ratio", W0, W1, &a, &n, err, sizeof err),
            0);
        assert_same_aggs(a, n, want, nwant);
        free(a);
        assert_int_equal(s->nreqs, 3); /* remembered */
        infl_free(c);
    }
    /* a server that takes several statements keeps getting one request */
    s->mode = SRV_V1;
    struct infl *c = client(s, NULL, TOKEN, INFL_STMT_AUTO);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(
            infl_query_windows(c, "cpu_ratio", W0, W1, &a, &n, err, sizeof err),
            0);
        free(a);
    }
    assert_int_equal(s->nreqs, 2);
    assert_false(infl_single_statements(c));
    infl_free(c);
    /* a statement's own error in a 200 answer (1.x, missing database):
     * not a refusal of several statements, one request */
    s->mode = SRV_STMT_ERR;
    c = client(s, NULL, TOKEN, INFL_STMT_AUTO);
    assert_int_equal(
        infl_query_windows(c, "cpu_ratio", W0, W1, &a, &n, err, sizeof err),
        -1);
    assert_int_equal(s->nreqs, 1);
    assert_non_null(strstr(err, "statement 0: database not found: docker"));
    assert_false(infl_single_statements(c));
    infl_free(c);
    /* refused, and the first statement alone fails too: the one request's
     * answer is the error, and nothing is remembered */
    s->mode = SRV_V3_BROKEN;
    c = client(s, NULL, TOKEN, INFL_STMT_AUTO);
    assert_int_equal(
        infl_query_windows(c, "cpu_ratio", W0, W1, &a, &n, err, sizeof err),
        -1);
    assert_int_equal(s->nreqs, 2);
    assert_non_null(
        strstr(err, "HTTP 500: must provide only one InfluxQl statement"));
    assert_false(infl_single_statements(c));
    infl_free(c);
    s->mode = SRV_V1;
    /* unreachable: not a refusal, one attempt */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:9");
    struct http_conf hc = {.url = url, .token = TOKEN, .timeout_ms = 2000};
    c = infl_new(&hc, "docker", err, sizeof err);
    assert_non_null(c);
    assert_int_equal(
        infl_query_windows(c, "cpu_ratio", W0, W1, &a, &n, err, sizeof err),
        -1);
    assert_int_equal(infl_query_count(c), 1);
    assert_false(infl_single_statements(c));
    assert_null(strstr(err, TOKEN));
    infl_free(c);
    capture_end(&cp, logs, sizeof logs);
    free(want);

    const char *line = "sending one statement per request from now on";
    const char *first = strstr(logs, line);
    assert_non_null(first);
    assert_non_null(strstr(first + 1, line)); /* one per client: 2 */
    assert_null(strstr(strstr(first + 1, line) + 1, line));
    assert_non_null(strstr(logs, "must provide only one InfluxQl statement"));
    assert_non_null(strstr(logs, "answered 1 of 3 statements"));
    assert_null(strstr(logs, TOKEN));
}

/* The demand query (das simulate --service) is one statement: one request
 * in every mode, with the token, and the same samples. */
static void test_demand_modes(void **state)
{
    struct srv *s = *state;
    char err[512];
    s->mode = SRV_V3;
    const enum infl_statements modes[] = {INFL_STMT_AUTO, INFL_STMT_MULTI,
                                          INFL_STMT_SINGLE};
    for (size_t m = 0; m < 3; m++) {
        struct infl *c = client(s, NULL, TOKEN, modes[m]);
        struct infl_sample *v;
        size_t n;
        assert_int_equal(infl_query_demand(c, "cpu_ratio", "svc", W0, W1, 10000,
                                           &v, &n, err, sizeof err),
                         0);
        assert_int_equal(n, 6);
        assert_true(v[0].value == 30.75);
        free(v);
        assert_int_equal(s->nreqs, 1);
        assert_string_equal(s->reqs[0].auth, "Token " TOKEN);
        assert_non_null(strstr(s->reqs[0].q, "SELECT sum("));
        assert_false(infl_single_statements(c) && modes[m] == INFL_STMT_AUTO);
        infl_free(c);
    }
    s->mode = SRV_V1;
}

static void test_statements_parse(void **state)
{
    (void)state;
    enum infl_statements m;
    assert_int_equal(infl_statements_parse("auto", &m), 0);
    assert_int_equal(m, INFL_STMT_AUTO);
    assert_int_equal(infl_statements_parse("multi", &m), 0);
    assert_int_equal(m, INFL_STMT_MULTI);
    assert_int_equal(infl_statements_parse("single", &m), 0);
    assert_int_equal(m, INFL_STMT_SINGLE);
    assert_int_equal(infl_statements_parse("Single", &m), -1);
    assert_int_equal(infl_statements_parse(NULL, &m), -1);
}

/* The window set through the v1 API of 2.x/3.x: one request where a
 * server takes several statements (answering them in one unchunked
 * object), one per statement where it refuses (InfluxDB 3; AUTO falls
 * back and stays); the same aggregates either way, the token on every
 * request, chunked=true asked for. */
static void test_set_modes(void **state)
{
    struct srv *s = *state;
    char err[512];
    struct infl_set_plan plan;
    struct infl_agg *a[INFL_SET_MAX_DURS], *b[INFL_SET_MAX_DURS];
    size_t na[INFL_SET_MAX_DURS], nb[INFL_SET_MAX_DURS];
    /* one 1m window ending at W1: its bucket starts at W0 */
    const int64_t d60 = 60000;
    assert_int_equal(
        infl_set_plan("cpu_ratio", &d60, 1, W1, &plan, err, sizeof err), 0);
    assert_int_equal(infl_set_nstatements(&plan), 3);

    s->mode = SRV_V1;
    struct infl *c = client(s, NULL, TOKEN, INFL_STMT_AUTO);
    if (infl_query_window_set(c, &plan, a, na, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(s->nreqs, 1);
    assert_non_null(strstr(s->reqs[0].line, "chunked=true"));
    assert_int_equal(na[0], 1);
    assert_int_equal(a[0][0].count, 6);
    assert_true(a[0][0].mean == 10 && a[0][0].max == 12 && a[0][0].last == 11);
    assert_int_equal(a[0][0].first_ms, 1700000003000);
    assert_int_equal(a[0][0].last_ms, 1700000055000);
    infl_free(c);

    s->mode = SRV_V3;
    c = client(s, NULL, TOKEN, INFL_STMT_AUTO);
    if (infl_query_window_set(c, &plan, b, nb, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(s->nreqs, 1 + 3); /* refused, then one by one */
    assert_true(infl_single_statements(c));
    assert_same_aggs(a[0], na[0], b[0], nb[0]);
    free(b[0]);
    if (infl_query_window_set(c, &plan, b, nb, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(s->nreqs, 4 + 3); /* remembered */
    assert_same_aggs(a[0], na[0], b[0], nb[0]);
    for (size_t i = 0; i < s->nreqs; i++) {
        assert_string_equal(s->reqs[i].auth, "Token " TOKEN);
        assert_null(strstr(s->reqs[i].line, TOKEN));
    }
    free(b[0]);
    infl_free(c);

    /* MULTI on a server that refuses several: the refusal, in its words */
    c = client(s, NULL, TOKEN, INFL_STMT_MULTI);
    assert_int_equal(infl_query_window_set(c, &plan, b, nb, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "HTTP 500: must provide only one InfluxQl"));
    assert_null(b[0]);
    infl_free(c);
    free(a[0]);
    s->mode = SRV_V1;
}

int main(void)
{
    log_setup("test", LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statements_parse),
        cmocka_unit_test(test_token_header),
        cmocka_unit_test(test_token_config),
        cmocka_unit_test(test_single_merge),
        cmocka_unit_test(test_auto_fallback),
        cmocka_unit_test(test_demand_modes),
        cmocka_unit_test(test_set_modes),
    };
    return cmocka_run_group_tests_name("influx v2/v3", tests, srv_setup,
                                       srv_teardown);
}
