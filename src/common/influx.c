/* The InfluxDB client (influx.h): requests, the batch writer, InfluxQL
 * quoting and queries in one or several requests, and reply helpers. */
#include "influx.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "influx_int.h"
#include "log.h"

struct infl *infl_new(const struct http_conf *conf, const char *db, char *err,
                      size_t errlen)
{
    struct buf enc;
    if (!db || !db[0]) {
        snprintf(err, errlen, "empty InfluxDB database name");
        return NULL;
    }
    struct http *h = http_new(conf, err, errlen);
    if (!h)
        return NULL;
    struct infl *c = xcalloc(1, sizeof *c);
    c->http = h;
    c->db = xstrdup(db);
    c->where = http_url_shown(conf->url ? conf->url : "");
    buf_init(&enc, 4096);
    if (http_urlencode(db, &enc)) {
        snprintf(err, errlen, "InfluxDB database name too long");
        buf_cleanup(&enc);
        infl_free(c);
        return NULL;
    }
    c->write_path = xasprintf("/write?db=%s&precision=ns", enc.ptr);
    c->query_path = xasprintf("/query?db=%s&epoch=ms", enc.ptr);
    c->chunked_path =
        xasprintf("/query?db=%s&epoch=ms&chunked=true&chunk_size=%d", enc.ptr,
                  INFL_SET_CHUNK_ROWS);
    buf_cleanup(&enc);
    c->max_bytes = INFL_BATCH_BYTES;
    c->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
             (uint64_t)(uintptr_t)c;
    if (c->rng == 0)
        c->rng = 0x9e3779b97f4a7c15u;
    /* a batch: at most INFL_BATCH_BYTES beyond its first line, which is
     * at most INFL_BUFFER_LINE_MAX (infl_batch_count, infl_buffer_push) */
    buf_init(&c->body, INFL_BATCH_BYTES + INFL_BUFFER_LINE_MAX + 64);
    return c;
}

void infl_free(struct infl *c)
{
    if (!c)
        return;
    http_free(c->http);
    free(c->db);
    free(c->where);
    free(c->write_path);
    free(c->query_path);
    free(c->chunked_path);
    buf_cleanup(&c->body);
    free(c);
}

const char *infl_where(const struct infl *c)
{
    return c->where;
}

void infl_get_stats(const struct infl *c, struct infl_stats *st)
{
    *st = c->stats;
}

unsigned long infl_query_count(const struct infl *c)
{
    return c->stats.queries;
}

void infl_set_post_hook(struct infl *c,
                        int (*post)(void *ctx, const char *body, size_t len,
                                    struct http_resp *resp, char *err,
                                    size_t errlen),
                        void *ctx)
{
    c->post = post;
    c->post_ctx = ctx;
}

/* InfluxDB's "error" text from a JSON body, else the body's start. */
static void server_message(const struct http_resp *resp, char *out,
                           size_t outlen)
{
    json_error_t jerr;
    const char *body = resp->body.ptr ? resp->body.ptr : "";
    json_t *root = json_loadb(body, resp->body.len, 0, &jerr);
    const char *msg = NULL;
    if (json_is_object(root))
        msg = json_string_value(json_object_get(root, "error"));
    if (msg)
        log_copy_oneline(out, outlen, msg, strlen(msg));
    else
        log_copy_oneline(out, outlen, body,
                         resp->body.len > 300 ? 300 : resp->body.len);
    json_decref(root);
}

void infl_ensure_database(struct infl *c)
{
    struct buf q;
    char err[512], qd[200], qe[600];
    json_t *res = NULL;
    buf_init(&q, 1024);
    log_quote(c->db, qd, sizeof qd);
    if (buf_puts(&q, "CREATE DATABASE ") || infl_quote_ident(c->db, &q)) {
        log_warn("database name not usable in InfluxQL", "db=%s", qd);
    } else if (infl_query(c, q.ptr, &res, err, sizeof err)) {
        log_warn("could not make sure the InfluxDB database exists: create "
                 "it as an admin (a user that may only write or read cannot)",
                 "db=%s err=%s", qd, log_quote(err, qe, sizeof qe));
    }
    json_decref(res);
    buf_cleanup(&q);
}

int infl_ping(struct infl *c, char *err, size_t errlen)
{
    struct http_resp resp;
    char e[512];
    int rc = -1;
    http_resp_init(&resp);
    if (http_request(c->http, "GET", "/ping", NULL, NULL, 0, &resp, e,
                     sizeof e)) {
        snprintf(err, errlen, "InfluxDB at %s: %s", c->where, e);
        goto out;
    }
    if (resp.status != 204 && resp.status != 200) {
        snprintf(err, errlen, "InfluxDB at %s: /ping answered HTTP %ld",
                 c->where, resp.status);
        goto out;
    }
    rc = 0;
out:
    http_resp_cleanup(&resp);
    return rc;
}

enum infl_verdict infl_write(struct infl *c, const char *body, size_t len,
                             char *err, size_t errlen)
{
    struct http_resp resp;
    char e[512] = "";
    int rc;
    http_resp_init(&resp);
    if (c->post)
        rc = c->post(c->post_ctx, body, len, &resp, e, sizeof e);
    else
        rc = http_request(c->http, "POST", c->write_path,
                          "text/plain; charset=utf-8", body, len, &resp, e,
                          sizeof e);
    c->stats.writes++;
    enum infl_verdict v = infl_classify(resp.status, rc != 0);
    if (v != INFL_OK) {
        if (rc != 0) {
            snprintf(err, errlen, "%s", e);
        } else {
            char msg[400];
            server_message(&resp, msg, sizeof msg);
            snprintf(err, errlen, "HTTP %ld%s%s", resp.status,
                     msg[0] ? ": " : "", msg);
        }
    } else if (errlen) {
        err[0] = '\0';
    }
    http_resp_cleanup(&resp);
    return v;
}

/* Complaint key: the text without digits, so "timed out after 3001 ms"
 * and "after 3002 ms" count as the same failure. */
static void complaint_key(const char *text, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; text[i] && o + 1 < outlen; i++)
        if (text[i] < '0' || text[i] > '9')
            out[o++] = text[i];
    out[o] = '\0';
}

static double next_jitter(struct infl *c)
{
    /* xorshift64: jitter only, no need for quality */
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return (double)(c->rng >> 11) / 9007199254740992.0;
}

static void note_rejected(struct infl *c, const char *why, size_t points)
{
    char key[256], q[600];
    c->stats.points_rejected += points;
    complaint_key(why, key, sizeof key);
    if (complain(&c->reject_cx, key))
        log_error("InfluxDB refused points; they are dropped",
                  "url=%s points=%zu err=%s", c->where, points,
                  log_quote(why, q, sizeof q));
}

static size_t build_body(struct infl *c, const struct infl_buffer *b, size_t n)
{
    buf_reset(&c->body);
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *line = infl_buffer_line(b, i, &len);
        if (buf_append(&c->body, line, len) || buf_append(&c->body, "\n", 1))
            abort(); /* a batch always fits (infl_new's cap) */
    }
    return c->body.len;
}

int infl_flush(struct infl *c, struct infl_buffer *b, int64_t now_ms,
               struct infl_flush_result *res)
{
    size_t max_lines = INFL_BATCH_LINES;
    bool learning = false; /* splitting after a 413 */
    char err[512], q[600], key[256];

    memset(res, 0, sizeof *res);
    if (infl_buffer_len(b) == 0)
        return 0;
    if (c->attempt > 0 && now_ms < c->retry_at_ms) {
        res->deferred = true;
        res->retry_at_ms = c->retry_at_ms;
        return -1;
    }
    while (infl_buffer_len(b) > 0) {
        size_t n = infl_batch_count(b, max_lines, c->max_bytes);
        size_t bytes = build_body(c, b, n);
        enum infl_verdict v =
            infl_write(c, c->body.ptr, bytes, err, sizeof err);
        res->requests++;
        switch (v) {
        case INFL_OK:
            infl_buffer_pop(b, n);
            res->written += n;
            c->stats.points_written += n;
            /* The first body taken after a 413 is a size the server takes:
             * later batches stay below it instead of meeting 413 again. */
            if (learning && bytes < c->max_bytes)
                c->max_bytes = bytes;
            learning = false;
            max_lines = INFL_BATCH_LINES;
            break;
        case INFL_DROP:
            note_rejected(c, err, n);
            infl_buffer_pop(b, n);
            res->rejected += n;
            break;
        case INFL_SPLIT: {
            size_t half = infl_split_lines(n);
            if (half == 0) {
                /* That one point was the trouble, not the batch size. */
                note_rejected(c,
                              "HTTP 413: a single point is larger than "
                              "InfluxDB's max-body-size",
                              1);
                infl_buffer_pop(b, 1);
                res->rejected += 1;
                learning = false;
                max_lines = INFL_BATCH_LINES;
                break;
            }
            max_lines = half;
            learning = true;
            log_info("InfluxDB answered 413 (body too large): halving the "
                     "batch",
                     "url=%s lines=%zu bytes=%zu next_lines=%zu", c->where, n,
                     bytes, half);
            break;
        }
        case INFL_RETRY: {
            int64_t delay = infl_backoff_ms(c->attempt, next_jitter(c));
            c->attempt++;
            c->stats.write_failures++;
            c->retry_at_ms = now_ms + delay;
            res->retry = true;
            res->retry_at_ms = c->retry_at_ms;
            complaint_key(err, key, sizeof key);
            if (complain(&c->fail_cx, key))
                log_warn("InfluxDB write failed; points kept for retry",
                         "url=%s buffered=%zu retry_in_ms=%" PRId64 " err=%s",
                         c->where, infl_buffer_len(b), delay,
                         log_quote(err, q, sizeof q));
            return -1;
        }
        }
    }
    c->attempt = 0;
    if (complain_release(&c->fail_cx))
        log_info("InfluxDB writes work again", "url=%s written=%zu", c->where,
                 res->written);
    if (res->rejected == 0 && res->written > 0 &&
        complain_release(&c->reject_cx))
        log_info("InfluxDB accepts points again", "url=%s", c->where);
    return 0;
}

/* ---- InfluxQL ---------------------------------------------------------- */

static int quote_with(const char *s, char quote, struct buf *out)
{
    size_t start = out->len;
    int rc = buf_append(out, &quote, 1);
    for (size_t i = 0; rc == 0 && s[i]; i++) {
        unsigned char ch = (unsigned char)s[i];
        char two[2] = {'\\', (char)ch};
        if (ch == '\n')
            rc = buf_append(out, "\\n", 2);
        else if (ch < 0x20 || ch == 0x7f)
            rc = -1;
        else if (ch == '\\' || ch == (unsigned char)quote)
            rc = buf_append(out, two, 2);
        else
            rc = buf_append(out, &s[i], 1);
    }
    if (rc == 0)
        rc = buf_append(out, &quote, 1);
    if (rc)
        buf_truncate(out, start);
    return rc;
}

int infl_quote_string(const char *s, struct buf *out)
{
    return quote_with(s, '\'', out);
}

int infl_quote_ident(const char *s, struct buf *out)
{
    if (!s[0])
        return -1;
    return quote_with(s, '"', out);
}

int infl_resp_parse(long status, const char *body, size_t len, json_t **root,
                    char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *r = NULL;
    char msg[400], se[INFL_RESULT_ERROR_LEN];

    *root = NULL;
    if (len > 0)
        r = json_loadb(body, len, 0, &jerr);
    if (!json_is_object(r)) {
        if (status != 200)
            snprintf(err, errlen, "HTTP %ld%s", status,
                     len ? " (body is not InfluxDB JSON)" : "");
        else if (!r && len)
            snprintf(err, errlen, "bad JSON from InfluxDB: %.200s (line %d)",
                     log_oneline(jerr.text), jerr.line);
        else
            snprintf(err, errlen, "InfluxDB answer is not a JSON object");
        goto fail;
    }
    const char *top = json_string_value(json_object_get(r, "error"));
    if (top) {
        log_copy_oneline(msg, sizeof msg, top, strlen(top));
        snprintf(err, errlen, "HTTP %ld: %s", status, msg);
        goto fail;
    }
    if (status != 200) {
        snprintf(err, errlen, "HTTP %ld", status);
        goto fail;
    }
    json_t *results = json_object_get(r, "results");
    if (!json_is_array(results)) {
        snprintf(err, errlen, "InfluxDB answer has no \"results\" array");
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(results); i++) {
        json_t *st = json_array_get(results, i);
        if (!json_is_object(st)) {
            snprintf(err, errlen, "statement %zu: result is not an object", i);
            goto fail;
        }
        if (infl_result_error(st, se, sizeof se)) {
            snprintf(err, errlen, "statement %zu: %s", i, se);
            goto fail;
        }
        bool partial = json_is_true(json_object_get(st, "partial"));
        json_t *series = json_object_get(st, "series");
        for (size_t j = 0; j < json_array_size(series); j++)
            if (json_is_true(
                    json_object_get(json_array_get(series, j), "partial")))
                partial = true;
        if (partial) {
            snprintf(err, errlen,
                     "statement %zu: result cut short by InfluxDB "
                     "(partial; raise [http] max-row-limit)",
                     i);
            goto fail;
        }
    }
    *root = r;
    return 0;
fail:
    json_decref(r);
    return -1;
}

static int query_raw(struct infl *c, const char *q, json_t **result,
                     enum q_fail *why, char *err, size_t errlen)
{
    struct buf form;
    struct http_resp resp;
    char e[512];
    int rc = -1;

    *result = NULL;
    *why = QF_LOCAL;
    buf_init(&form, INFL_MAX_QUERY);
    http_resp_init(&resp);
    if (buf_puts(&form, "q=") || http_urlencode(q, &form)) {
        snprintf(err, errlen, "InfluxQL statement over %u bytes",
                 INFL_MAX_QUERY);
        goto out;
    }
    c->stats.queries++;
    if (http_request(c->http, "POST", c->query_path,
                     "application/x-www-form-urlencoded", form.ptr, form.len,
                     &resp, e, sizeof e)) {
        *why = QF_TRANSPORT;
        snprintf(err, errlen, "InfluxDB query: %s", e);
        goto out;
    }
    if (infl_resp_parse(resp.status, resp.body.ptr, resp.body.len, result, e,
                        sizeof e)) {
        *why = resp.status == 401 || resp.status == 403 ? QF_AUTH : QF_ANSWER;
        if (resp.status == 200) {
            json_error_t je;
            json_t *r = json_loadb(resp.body.ptr ? resp.body.ptr : "",
                                   resp.body.len, 0, &je);
            if (json_is_array(json_object_get(r, "results")))
                *why = QF_STATEMENT;
            json_decref(r);
        }
        if (resp.status != 200 && resp.body.len > 0 &&
            strstr(e, "not InfluxDB JSON")) {
            /* InfluxDB 3 answers some refusals in plain text */
            char msg[300];
            log_copy_oneline(msg, sizeof msg, resp.body.ptr,
                             resp.body.len > 200 ? 200 : resp.body.len);
            snprintf(err, errlen, "InfluxDB query at %s: HTTP %ld: %s",
                     c->where, resp.status, msg);
        } else {
            snprintf(err, errlen, "InfluxDB query at %s: %s", c->where, e);
        }
        goto out;
    }
    *why = QF_NONE;
    rc = 0;
out:
    buf_cleanup(&form);
    http_resp_cleanup(&resp);
    return rc;
}

int infl_query(struct infl *c, const char *q, json_t **result, char *err,
               size_t errlen)
{
    enum q_fail why;
    return query_raw(c, q, result, &why, err, errlen);
}

int infl_statements_parse(const char *s, enum infl_statements *out)
{
    if (s && strcmp(s, "auto") == 0)
        *out = INFL_STMT_AUTO;
    else if (s && strcmp(s, "multi") == 0)
        *out = INFL_STMT_MULTI;
    else if (s && strcmp(s, "single") == 0)
        *out = INFL_STMT_SINGLE;
    else
        return -1;
    return 0;
}

void infl_set_statements(struct infl *c, enum infl_statements mode)
{
    c->stmt_mode = mode;
    c->fell_back = false;
}

bool infl_single_statements(const struct infl *c)
{
    return c->stmt_mode == INFL_STMT_SINGLE ||
           (c->stmt_mode == INFL_STMT_AUTO && c->fell_back);
}

/* One request per statement; the answers' first results, in order, under
 * one "results" array. */
static int query_each(struct infl *c, const char *const *stmts, size_t n,
                      json_t **result, char *err, size_t errlen)
{
    json_t *results = json_array();
    *result = NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *one = NULL;
        enum q_fail why;
        char e[512];
        if (query_raw(c, stmts[i], &one, &why, e, sizeof e)) {
            if (n > 1)
                snprintf(err, errlen, "statement %zu of %zu, sent alone: %s",
                         i + 1, n, e);
            else
                snprintf(err, errlen, "%s", e);
            json_decref(results);
            return -1;
        }
        json_t *r = json_array_get(json_object_get(one, "results"), 0);
        json_t *st = json_is_object(r) ? json_deep_copy(r) : json_object();
        json_object_set_new(st, "statement_id", json_integer((json_int_t)i));
        json_array_append_new(results, st);
        json_decref(one);
    }
    *result = json_pack("{s:o}", "results", results);
    return 0;
}

int infl_query_statements(struct infl *c, const char *const *stmts, size_t n,
                          json_t **result, char *err, size_t errlen)
{
    struct buf q;
    enum q_fail why;
    char e[512];
    int rc;

    *result = NULL;
    if (n == 0) {
        snprintf(err, errlen, "no InfluxQL statement to send");
        return -1;
    }
    if (n == 1 || infl_single_statements(c))
        return query_each(c, stmts, n, result, err, errlen);
    buf_init(&q, INFL_MAX_QUERY);
    for (size_t i = 0; i < n; i++) {
        if ((i > 0 && buf_puts(&q, "; ")) || buf_puts(&q, stmts[i])) {
            snprintf(err, errlen, "InfluxQL statements over %u bytes",
                     INFL_MAX_QUERY);
            buf_cleanup(&q);
            return -1;
        }
    }
    rc = query_raw(c, q.ptr, result, &why, e, sizeof e);
    buf_cleanup(&q);
    if (c->stmt_mode == INFL_STMT_MULTI) {
        if (rc)
            snprintf(err, errlen, "%s", e);
        return rc;
    }
    if (rc == 0) {
        size_t got = json_array_size(json_object_get(*result, "results"));
        if (got >= n)
            return 0;
        snprintf(e, sizeof e,
                 "InfluxDB at %s answered %zu of %zu statements sent in one "
                 "request",
                 c->where, got, n);
        json_decref(*result);
        *result = NULL;
    } else if (why != QF_ANSWER) {
        /* unreachable, or refused credentials: not about statements */
        snprintf(err, errlen, "%s", e);
        return -1;
    }
    /* AUTO: the server did not take several statements in one request;
     * try them one by one, and keep to that if it works. When that fails
     * too the trouble was not the statements: say what the one request
     * got. */
    if (query_each(c, stmts, n, result, err, errlen)) {
        snprintf(err, errlen, "%s", e);
        return -1;
    }
    infl_fall_back(c, n, e);
    return 0;
}

void infl_fall_back(struct infl *c, size_t n, const char *why)
{
    char q[600];
    c->fell_back = true;
    c->stats.statement_fallbacks++;
    log_info("InfluxDB did not answer several statements in one request; "
             "sending one statement per request from now on",
             "url=%s statements=%zu err=%s", c->where, n,
             log_quote(why, q, sizeof q));
}

static bool field_name_ok(const char *f)
{
    size_t n = 0;
    for (; f[n]; n++)
        if (!((f[n] >= 'a' && f[n] <= 'z') || f[n] == '_'))
            return false;
    return n > 0 && n <= INFL_MAX_FIELD_NAME;
}

int infl_field_check(const char *field, char *err, size_t errlen)
{
    if (field && field_name_ok(field))
        return 0;
    snprintf(err, errlen,
             "metric field name \"%.64s\" is not [a-z_]+ (at most %d "
             "characters)",
             field ? field : "", INFL_MAX_FIELD_NAME);
    return -1;
}

bool infl_server_clock(const struct infl *c, int64_t *server_ms,
                       int64_t *local_ms)
{
    return http_server_clock(c->http, server_ms, local_ms);
}

/* ---- reply helpers ------------------------------------------------- */

bool infl_json_ms(json_t *v, int64_t *ms)
{
    if (json_is_integer(v)) {
        *ms = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!(d >= -9.2e18 && d <= 9.2e18) || d != floor(d))
            return false;
        *ms = (int64_t)d;
        return true;
    }
    return false;
}

int infl_col_index(json_t *series, const char *name)
{
    json_t *cols = json_object_get(series, "columns");
    for (size_t i = 0; i < json_array_size(cols); i++) {
        const char *c = json_string_value(json_array_get(cols, i));
        if (c && !strcmp(c, name))
            return (int)i;
    }
    return -1;
}

/* ---- replies read as they arrive ------------------------------------ */

void infl_stream_init(struct infl_stream *s, size_t max_line,
                      int (*result)(void *ctx, json_t *res), void *ctx)
{
    memset(s, 0, sizeof *s);
    buf_init(&s->line, max_line ? max_line : INFL_SET_MAX_LINE);
    s->result = result;
    s->ctx = ctx;
}

void infl_stream_cleanup(struct infl_stream *s)
{
    buf_cleanup(&s->line);
}

void infl_stream_reset(struct infl_stream *s)
{
    buf_reset(&s->line);
    s->failed = false;
    s->err[0] = '\0';
    s->head_len = 0;
    s->head[0] = '\0';
    s->server_msg[0] = '\0';
}

int infl_stream_fail(struct infl_stream *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!s->failed)
        vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    s->failed = true;
    return -1;
}

bool infl_result_error(json_t *res, char *msg, size_t msglen)
{
    const char *se = json_string_value(json_object_get(res, "error"));
    char one[400];
    if (!se)
        return false;
    log_copy_oneline(one, sizeof one, se, strlen(se));
    /* 1.6 answers several statements against a missing database with
     * just this. */
    snprintf(msg, msglen, "%s%s", one,
             strcmp(se, "not executed") == 0 ? " (does the database exist?)"
                                             : "");
    return true;
}

/* One line of a reply: {"results": [...]}, each result to the reader, or
 * {"error": "..."}. */
static int stream_line(struct infl_stream *s, const char *p, size_t n)
{
    json_error_t je;
    char msg[400];
    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r')) {
        p++;
        n--;
    }
    if (n == 0)
        return 0;
    json_t *o = json_loadb(p, n, 0, &je);
    int rc = 0;
    if (!json_is_object(o)) {
        rc = infl_stream_fail(s, "bad JSON from InfluxDB: %.200s",
                              o ? "not an object" : log_oneline(je.text));
        goto out;
    }
    const char *top = json_string_value(json_object_get(o, "error"));
    json_t *results = json_object_get(o, "results");
    if (top) {
        log_copy_oneline(msg, sizeof msg, top, strlen(top));
        snprintf(s->server_msg, sizeof s->server_msg, "%s", msg);
        rc = infl_stream_fail(s, "InfluxDB: %s",
                              msg[0] ? msg : "an error without text");
    } else if (!json_is_array(results)) {
        rc = infl_stream_fail(s, "InfluxDB answer has no \"results\" array");
    }
    for (size_t i = 0; !rc && i < json_array_size(results); i++)
        rc = s->result(s->ctx, json_array_get(results, i));
out:
    json_decref(o);
    return rc;
}

int infl_stream_feed(struct infl_stream *s, const char *p, size_t n)
{
    if (s->failed)
        return -1;
    if (s->head_len + 1 < sizeof s->head) {
        size_t c = sizeof s->head - 1 - s->head_len;
        if (c > n)
            c = n;
        memcpy(s->head + s->head_len, p, c);
        s->head_len += c;
        s->head[s->head_len] = '\0';
    }
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        if (s->line.len == 0 && nl) {
            /* a whole line in this piece: no copy */
            if (stream_line(s, p, take))
                return -1;
        } else {
            if (buf_append(&s->line, p, take))
                return infl_stream_fail(
                    s,
                    "a line of InfluxDB's reply is over %zu bytes: das "
                    "parses a line whole (about 10 times its size in "
                    "memory) and stops there to stay within its memory; "
                    "chunked replies (InfluxDB's, of %d rows) are far "
                    "smaller",
                    s->line.max, INFL_SET_CHUNK_ROWS);
            if (nl) {
                int rc = stream_line(s, s->line.ptr, s->line.len);
                buf_reset(&s->line);
                if (rc)
                    return -1;
            }
        }
        if (!nl)
            break;
        p += take + 1;
        n -= take + 1;
    }
    return 0;
}

int infl_stream_end(struct infl_stream *s)
{
    if (s->failed)
        return -1;
    if (s->line.len == 0)
        return 0;
    int rc = stream_line(s, s->line.ptr, s->line.len);
    buf_reset(&s->line);
    return rc ? -1 : 0;
}

/* "InfluxDB query at URL: HTTP 500: …" in InfluxDB's own words: its
 * "error" (server_msg), else the body's start (InfluxDB 3 refuses some
 * requests in plain text). */
static void status_error(const struct infl *c, long status,
                         const char *server_msg, const char *head, char *err,
                         size_t errlen)
{
    char msg[420];
    if (server_msg[0])
        snprintf(msg, sizeof msg, "%s", server_msg);
    else
        log_copy_oneline(msg, sizeof msg, head, strlen(head));
    snprintf(err, errlen, "InfluxDB query at %s: HTTP %ld%s%s", c->where,
             status, msg[0] ? ": " : "", msg);
}

static int stream_sink(void *ctx, const char *p, size_t n)
{
    return infl_stream_feed(ctx, p, n);
}

int infl_stream_query(struct infl *c, const char *q, struct infl_stream *s,
                      enum q_fail *why, char *err, size_t errlen)
{
    struct buf form;
    char e[512];
    long status = 0;
    int rc = -1;

    *why = QF_LOCAL;
    buf_init(&form, INFL_MAX_QUERY);
    if (buf_puts(&form, "q=") || http_urlencode(q, &form)) {
        snprintf(err, errlen, "InfluxQL statement over %u bytes",
                 INFL_MAX_QUERY);
        goto out;
    }
    c->stats.queries++;
    int hr = http_request_stream(c->http, "POST", c->chunked_path,
                                 "application/x-www-form-urlencoded",
                                 "application/json", form.ptr, form.len,
                                 stream_sink, s, &status, e, sizeof e);
    if (hr == 0 && status == 200)
        hr = infl_stream_end(s);
    if (hr && !s->failed && (status == 0 || status == 200)) {
        /* no (whole) answer: unreachable, or it stopped sending */
        *why = QF_TRANSPORT;
        snprintf(err, errlen, "InfluxDB query: %s", e);
        goto out;
    }
    if (status == 401 || status == 403)
        *why = QF_AUTH;
    else if (status != 200)
        *why = QF_ANSWER;
    else if (hr || s->failed)
        *why = QF_STATEMENT;
    if (status != 200) {
        status_error(c, status, s->server_msg, s->head, err, errlen);
        goto out;
    }
    if (hr || s->failed) {
        snprintf(err, errlen, "InfluxDB query at %s: %s", c->where,
                 s->failed ? s->err : e);
        goto out;
    }
    *why = QF_NONE;
    rc = 0;
out:
    buf_cleanup(&form);
    return rc;
}
