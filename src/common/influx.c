/* The InfluxDB client (influx.h): line protocol, the point buffer and its
 * batch writer, InfluxQL window queries and their replies. */
#include "influx.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fmtnum.h"
#include "log.h"
#include "pcache.h"

#define INFL_MEASUREMENT "docker"
#define INFL_MAX_QUERY (1024u * 1024u) /* url-encoded statement text */
#define INFL_MAX_FIELD_NAME 64

/* ---- line protocol ----------------------------------------------------- */

void infl_point_init(struct infl_point *p, const char *measurement,
                     int64_t time_ns)
{
    p->measurement = measurement;
    p->time_ns = time_ns;
    p->ntags = 0;
    p->nfields = 0;
    p->overflow = false;
}

void infl_point_tag(struct infl_point *p, const char *key, const char *value)
{
    if (p->ntags >= INFL_MAX_TAGS) {
        p->overflow = true;
        return;
    }
    p->tags[p->ntags].key = key;
    p->tags[p->ntags].value = value;
    p->ntags++;
}

static struct infl_field *add_field(struct infl_point *p, const char *key,
                                    enum infl_field_type type)
{
    if (p->nfields >= INFL_MAX_FIELDS) {
        p->overflow = true;
        return NULL;
    }
    struct infl_field *f = &p->fields[p->nfields++];
    f->key = key;
    f->type = type;
    return f;
}

void infl_point_float(struct infl_point *p, const char *key, double v)
{
    struct infl_field *f = add_field(p, key, INFL_FLOAT);
    if (f)
        f->v.f = v;
}

void infl_point_int(struct infl_point *p, const char *key, int64_t v)
{
    struct infl_field *f = add_field(p, key, INFL_INT);
    if (f)
        f->v.i = v;
}

void infl_point_string(struct infl_point *p, const char *key, const char *v)
{
    struct infl_field *f = add_field(p, key, INFL_STRING);
    if (f)
        f->v.s = v ? v : "";
}

void infl_point_bool(struct infl_point *p, const char *key, bool v)
{
    struct infl_field *f = add_field(p, key, INFL_BOOL);
    if (f)
        f->v.b = v;
}

/* Undoes a partial append: the buffer is left as it was at len. */
static void buf_truncate(struct buf *b, size_t len)
{
    b->len = len;
    if (b->ptr)
        b->ptr[len] = '\0';
}

/* Control bytes: \n \r \t as two visible characters, others as '?'. Returns
 * the replacement, or NULL when ch is not a control byte. */
static const char *control_repl(unsigned char ch)
{
    if (ch == '\n')
        return "\\n";
    if (ch == '\r')
        return "\\r";
    if (ch == '\t')
        return "\\t";
    if (ch < 0x20 || ch == 0x7f)
        return "?";
    return NULL;
}

static bool token_escapes(enum infl_token kind, unsigned char ch)
{
    if (ch == ',' || ch == ' ')
        return true;
    return ch == '=' && kind != INFL_TOK_MEASUREMENT;
}

int infl_escape_token(enum infl_token kind, const char *s, struct buf *out)
{
    size_t start = out->len;
    for (size_t i = 0; s[i]; i++) {
        unsigned char ch = (unsigned char)s[i];
        unsigned char next = (unsigned char)s[i + 1];
        const char *repl = control_repl(ch);
        char two[2] = {'\\', (char)ch};
        int rc;
        if (repl) {
            rc = buf_puts(out, repl);
        } else if (token_escapes(kind, ch)) {
            rc = buf_append(out, two, 2);
        } else if (ch == '\\' &&
                   (next == '\0' ||
                    (kind != INFL_TOK_TAG &&
                     (next == ',' || next == ' ' || next == '=')))) {
            /* The 1.x parser would take it as escaping the separator after
             * it (or, in a measurement or field key, unescape the pair). */
            rc = buf_append(out, "_", 1);
        } else {
            rc = buf_append(out, &s[i], 1);
        }
        if (rc) {
            buf_truncate(out, start);
            return -1;
        }
    }
    return 0;
}

int infl_escape_string_field(const char *s, struct buf *out)
{
    size_t start = out->len;
    for (size_t i = 0; s[i]; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *repl = control_repl(ch);
        char two[2] = {'\\', (char)ch};
        int rc;
        if (repl)
            rc = buf_puts(out, repl);
        else if (ch == '"' || ch == '\\')
            rc = buf_append(out, two, 2);
        else
            rc = buf_append(out, &s[i], 1);
        if (rc) {
            buf_truncate(out, start);
            return -1;
        }
    }
    return 0;
}

int infl_format_float(double v, char *out, size_t outlen)
{
    return fmt_shortest(v, out, outlen);
}

static int cmp_tag_ptr(const void *a, const void *b)
{
    const struct infl_tag *x = *(const struct infl_tag *const *)a;
    const struct infl_tag *y = *(const struct infl_tag *const *)b;
    return strcmp(x->key, y->key); /* bytewise, as Go's bytes.Compare */
}

static bool field_kept(const struct infl_field *f)
{
    return f->key && (f->type != INFL_FLOAT || isfinite(f->v.f));
}

static int encode_field_value(const struct infl_field *f, struct buf *out)
{
    char num[40];
    switch (f->type) {
    case INFL_FLOAT:
        if (infl_format_float(f->v.f, num, sizeof num))
            return -1;
        return buf_puts(out, num);
    case INFL_INT:
        return buf_printf(out, "%" PRId64 "i", f->v.i);
    case INFL_BOOL:
        return buf_puts(out, f->v.b ? "true" : "false");
    case INFL_STRING:
        if (buf_append(out, "\"", 1) || infl_escape_string_field(f->v.s, out))
            return -1;
        return buf_append(out, "\"", 1);
    }
    return -1;
}

static int check_point(const struct infl_point *p, const struct infl_tag **tags,
                       size_t *ntags, char *err, size_t errlen)
{
    if (p->overflow) {
        snprintf(err, errlen, "point has more than %d tags or %d fields",
                 INFL_MAX_TAGS, INFL_MAX_FIELDS);
        return -1;
    }
    if (!p->measurement || !p->measurement[0]) {
        snprintf(err, errlen, "point has no measurement");
        return -1;
    }
    if (p->measurement[0] == '#') {
        snprintf(err, errlen,
                 "measurement may not start with '#' (it would be a comment)");
        return -1;
    }
    *ntags = 0;
    for (size_t i = 0; i < p->ntags; i++) {
        const struct infl_tag *t = &p->tags[i];
        if (!t->key || !t->key[0]) {
            snprintf(err, errlen, "tag with an empty key");
            return -1;
        }
        if (t->value && t->value[0])
            tags[(*ntags)++] = t;
    }
    qsort(tags, *ntags, sizeof *tags, cmp_tag_ptr);
    for (size_t i = 1; i < *ntags; i++) {
        if (strcmp(tags[i - 1]->key, tags[i]->key) == 0) {
            snprintf(err, errlen, "duplicate tag key \"%.64s\"", tags[i]->key);
            return -1;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < p->nfields; i++) {
        const struct infl_field *f = &p->fields[i];
        if (!f->key || !f->key[0]) {
            snprintf(err, errlen, "field with an empty key");
            return -1;
        }
        if (!field_kept(f))
            continue;
        kept++;
        for (size_t j = 0; j < i; j++) {
            if (field_kept(&p->fields[j]) &&
                strcmp(p->fields[j].key, f->key) == 0) {
                snprintf(err, errlen, "duplicate field key \"%.64s\"", f->key);
                return -1;
            }
        }
    }
    if (kept == 0) {
        snprintf(err, errlen, "point has no field%s",
                 p->nfields ? " left (NaN/Inf values are skipped)" : "");
        return -1;
    }
    return 0;
}

int infl_point_encode(const struct infl_point *p, struct buf *out, char *err,
                      size_t errlen)
{
    const struct infl_tag *tags[INFL_MAX_TAGS];
    size_t ntags;
    size_t start = out->len;
    bool first = true;

    if (check_point(p, tags, &ntags, err, errlen))
        return -1;
    if (infl_escape_token(INFL_TOK_MEASUREMENT, p->measurement, out))
        goto full;
    for (size_t i = 0; i < ntags; i++) {
        if (buf_append(out, ",", 1) ||
            infl_escape_token(INFL_TOK_TAG, tags[i]->key, out) ||
            buf_append(out, "=", 1) ||
            infl_escape_token(INFL_TOK_TAG, tags[i]->value, out))
            goto full;
    }
    for (size_t i = 0; i < p->nfields; i++) {
        const struct infl_field *f = &p->fields[i];
        if (!field_kept(f))
            continue;
        if (buf_append(out, first ? " " : ",", 1) ||
            infl_escape_token(INFL_TOK_FIELD_KEY, f->key, out) ||
            buf_append(out, "=", 1) || encode_field_value(f, out))
            goto full;
        first = false;
    }
    if (buf_printf(out, " %" PRId64 "\n", p->time_ns))
        goto full;
    return 0;
full:
    buf_truncate(out, start);
    snprintf(err, errlen, "line protocol buffer full (%zu bytes)", out->max);
    return -1;
}

/* ---- point buffer ------------------------------------------------------ */

struct infl_line {
    char *s;
    size_t len;
};

struct infl_buffer {
    struct infl_line *ring;
    size_t cap;   /* slots */
    size_t head;  /* index of the oldest line */
    size_t n;     /* lines held */
    size_t bytes; /* sum of their lengths */
    size_t max_bytes;
    unsigned long dropped;
};

struct infl_buffer *infl_buffer_new(size_t capacity)
{
    struct infl_buffer *b = xcalloc(1, sizeof *b);
    b->cap = capacity ? capacity : 1;
    b->max_bytes = b->cap > SIZE_MAX / INFL_BUFFER_POINT_BYTES
                       ? SIZE_MAX
                       : b->cap * INFL_BUFFER_POINT_BYTES;
    b->ring = xcalloc(b->cap, sizeof *b->ring);
    return b;
}

void infl_buffer_free(struct infl_buffer *b)
{
    if (!b)
        return;
    infl_buffer_pop(b, b->n);
    free(b->ring);
    free(b);
}

void infl_buffer_push(struct infl_buffer *b, const char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len > INFL_BUFFER_LINE_MAX || len > b->max_bytes) {
        b->dropped++; /* never held: it alone would be over the caps */
        return;
    }
    while (b->n > 0 && (b->n == b->cap || b->bytes + len > b->max_bytes)) {
        infl_buffer_pop(b, 1);
        b->dropped++;
    }
    struct infl_line *slot = &b->ring[(b->head + b->n) % b->cap];
    slot->s = xstrndup(line, len);
    slot->len = len;
    b->n++;
    b->bytes += len;
}

int infl_buffer_push_point(struct infl_buffer *b, const struct infl_point *p,
                           char *err, size_t errlen)
{
    struct buf line;
    buf_init(&line, INFL_BATCH_BYTES);
    int rc = infl_point_encode(p, &line, err, errlen);
    if (rc == 0)
        infl_buffer_push(b, line.ptr, line.len);
    buf_cleanup(&line);
    return rc;
}

size_t infl_buffer_len(const struct infl_buffer *b)
{
    return b->n;
}

size_t infl_buffer_capacity(const struct infl_buffer *b)
{
    return b->cap;
}

size_t infl_buffer_bytes(const struct infl_buffer *b)
{
    return b->bytes;
}

const char *infl_buffer_line(const struct infl_buffer *b, size_t i, size_t *len)
{
    if (i >= b->n)
        return NULL;
    const struct infl_line *l = &b->ring[(b->head + i) % b->cap];
    if (len)
        *len = l->len;
    return l->s;
}

void infl_buffer_pop(struct infl_buffer *b, size_t n)
{
    if (n > b->n)
        n = b->n;
    for (size_t i = 0; i < n; i++) {
        struct infl_line *l = &b->ring[b->head];
        b->bytes -= l->len;
        free(l->s);
        l->s = NULL;
        l->len = 0;
        b->head = (b->head + 1) % b->cap;
    }
    b->n -= n;
    if (b->n == 0)
        b->head = 0;
}

unsigned long infl_buffer_take_dropped(struct infl_buffer *b)
{
    unsigned long d = b->dropped;
    b->dropped = 0;
    return d;
}

/* ---- write policy ------------------------------------------------------ */

enum infl_verdict infl_classify(long status, bool transport_error)
{
    if (transport_error || status <= 0)
        return INFL_RETRY;
    if (status >= 200 && status < 300)
        return INFL_OK;
    if (status == 413)
        return INFL_SPLIT;
    if (status >= 500 || status == 429 || status == 408)
        return INFL_RETRY;
    /* Credentials and a missing database are the server's state, not the
     * points' fault: keep them until it is fixed. */
    if (status == 401 || status == 403 || status == 404)
        return INFL_RETRY;
    if (status >= 400)
        return INFL_DROP;
    /* 1xx/3xx: not InfluxDB's answer to a write (a proxy, a redirect);
     * keep the points. */
    return INFL_RETRY;
}

const char *infl_verdict_name(enum infl_verdict v)
{
    switch (v) {
    case INFL_OK:
        return "ok";
    case INFL_RETRY:
        return "retry";
    case INFL_DROP:
        return "drop";
    case INFL_SPLIT:
        return "split";
    }
    return "?";
}

int64_t infl_backoff_ms(unsigned attempt, double jitter)
{
    int64_t d = INFL_BACKOFF_MIN_MS;
    for (unsigned i = 0; i < attempt && d < INFL_BACKOFF_MAX_MS; i++)
        d *= 2;
    if (d > INFL_BACKOFF_MAX_MS)
        d = INFL_BACKOFF_MAX_MS;
    if (!(jitter > 0)) /* also NaN */
        return d;
    if (jitter > 1)
        jitter = 1;
    return d - (int64_t)((double)d * 0.5 * jitter);
}

size_t infl_batch_count(const struct infl_buffer *b, size_t max_lines,
                        size_t max_bytes)
{
    size_t n = 0, bytes = 0;
    if (max_lines == 0)
        max_lines = 1;
    while (n < b->n && n < max_lines) {
        size_t len;
        (void)infl_buffer_line(b, n, &len);
        if (n > 0 && bytes + len + 1 > max_bytes)
            break;
        bytes += len + 1;
        n++;
    }
    return n;
}

size_t infl_split_lines(size_t n)
{
    if (n <= 1)
        return 0;
    return (n + 1) / 2;
}

/* ---- client ------------------------------------------------------------ */

struct infl {
    struct http *http;
    char *db;
    char *where;        /* URL without userinfo, for messages */
    char *write_path;   /* /write?db=…&precision=ns */
    char *query_path;   /* /query?db=…&epoch=ms */
    char *chunked_path; /* the same, chunked=true&chunk_size=… */
    struct infl_stats stats;
    enum infl_statements stmt_mode;
    bool fell_back; /* AUTO: one statement per request from now on */
    /* writer state */
    unsigned attempt; /* consecutive RETRY outcomes */
    int64_t retry_at_ms;
    size_t max_bytes; /* lowered by 413s, kept for the client's life */
    uint64_t rng;
    struct complaint fail_cx;   /* RETRY: InfluxDB unreachable / failing */
    struct complaint reject_cx; /* DROP: InfluxDB refuses points */
    struct buf body;
    int (*post)(void *ctx, const char *body, size_t len, struct http_resp *resp,
                char *err, size_t errlen);
    void *post_ctx;
};

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
    char msg[400];

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
        const char *se = json_string_value(json_object_get(st, "error"));
        if (se) {
            log_copy_oneline(msg, sizeof msg, se, strlen(se));
            /* 1.6 answers several statements against a missing database
             * with just this. */
            snprintf(err, errlen, "statement %zu: %s%s", i, msg,
                     strcmp(se, "not executed") == 0
                         ? " (does the database exist?)"
                         : "");
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

/* How a query failed, for the AUTO fallback. */
enum q_fail {
    QF_NONE,
    QF_LOCAL,
    QF_TRANSPORT,
    QF_AUTH,      /* 401 / 403 */
    QF_STATEMENT, /* a 200 answer whose statements carry an error */
    QF_ANSWER     /* any other answer that is not a usable one */
};

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
    c->fell_back = true;
    c->stats.statement_fallbacks++;
    char qe[600];
    log_info("InfluxDB did not answer several statements in one request; "
             "sending one statement per request from now on",
             "url=%s statements=%zu err=%s", c->where, n,
             log_quote(e, qe, sizeof qe));
    return 0;
}

static bool field_name_ok(const char *f)
{
    size_t n = 0;
    for (; f[n]; n++)
        if (!((f[n] >= 'a' && f[n] <= 'z') || f[n] == '_'))
            return false;
    return n > 0 && n <= INFL_MAX_FIELD_NAME;
}

/* A metric field name das may put into a statement; -1 + err if not. */
static int field_check(const char *field, char *err, size_t errlen)
{
    if (field && field_name_ok(field))
        return 0;
    snprintf(err, errlen,
             "metric field name \"%.64s\" is not [a-z_]+ (at most %d "
             "characters)",
             field ? field : "", INFL_MAX_FIELD_NAME);
    return -1;
}

#define INFL_WINDOWS_STATEMENTS 3

/* The three statements of the windows query, each in its own buffer. */
static int windows_statements(const char *field, int64_t start_ms,
                              int64_t end_ms, struct buf out[3], char *err,
                              size_t errlen)
{
    struct buf id, sel;
    int rc = -1;

    buf_init(&id, 256);
    buf_init(&sel, 512);
    if (field_check(field, err, errlen))
        goto out;
    if (start_ms < 0 || end_ms <= start_ms) {
        snprintf(err, errlen, "bad window [%" PRId64 ", %" PRId64 ") ms",
                 start_ms, end_ms);
        goto out;
    }
    if (infl_quote_ident(field, &id))
        goto full;
    /* first() and last() alone return the point's own time (mean and
     * count return the window start): hence three statements. */
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++) {
        int r;
        buf_reset(&sel);
        if (i == 0)
            r = buf_printf(&sel, "mean(%s), count(%s), max(%s)", id.ptr, id.ptr,
                           id.ptr);
        else if (i == 1)
            r = buf_printf(&sel, "first(%s)", id.ptr);
        else
            r = buf_printf(&sel, "last(%s)", id.ptr);
        if (r || buf_printf(&out[i],
                            "SELECT %s FROM \"" INFL_MEASUREMENT "\" WHERE "
                            "\"service\" != '' AND time >= %" PRId64
                            "ms AND time < %" PRId64
                            "ms GROUP BY \"service\", \"container\"",
                            sel.ptr, start_ms, end_ms))
            goto full;
    }
    rc = 0;
    goto out;
full:
    snprintf(err, errlen, "InfluxQL statement too long");
out:
    buf_cleanup(&id);
    buf_cleanup(&sel);
    return rc;
}

int infl_windows_statement(const char *field, int64_t start_ms, int64_t end_ms,
                           struct buf *out, char *err, size_t errlen)
{
    struct buf st[INFL_WINDOWS_STATEMENTS];
    int rc = -1;
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++)
        buf_init(&st[i], 8192);
    if (windows_statements(field, start_ms, end_ms, st, err, errlen))
        goto out;
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++) {
        if ((i > 0 && buf_puts(out, "; ")) || buf_puts(out, st[i].ptr)) {
            snprintf(err, errlen, "InfluxQL statement too long");
            goto out;
        }
    }
    rc = 0;
out:
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++)
        buf_cleanup(&st[i]);
    return rc;
}

/* The value of column `col` in a series' first row; NULL when missing. */
static json_t *series_value(json_t *series, const char *col)
{
    json_t *cols = json_object_get(series, "columns");
    json_t *rows = json_object_get(series, "values");
    json_t *row = json_array_get(rows, 0);
    if (!json_is_array(cols) || !json_is_array(row))
        return NULL;
    for (size_t i = 0; i < json_array_size(cols); i++) {
        const char *name = json_string_value(json_array_get(cols, i));
        if (name && strcmp(name, col) == 0)
            return json_array_get(row, i);
    }
    return NULL;
}

/* Copies the series' service and container tags into a; false when either
 * is missing, empty (service) or too long. */
static bool series_key(json_t *series, struct infl_agg *a)
{
    json_t *tags = json_object_get(series, "tags");
    const char *svc = json_string_value(json_object_get(tags, "service"));
    const char *ctr = json_string_value(json_object_get(tags, "container"));
    char key[16];
    if (!svc || !svc[0] || !ctr || strlen(svc) >= sizeof a->service ||
        !win_container_key(ctr, key))
        return false;
    memset(a->service, 0, sizeof a->service);
    memcpy(a->service, svc, strlen(svc));
    memcpy(a->container, key, sizeof a->container);
    return true;
}

static int cmp_agg(const void *x, const void *y)
{
    const struct infl_agg *a = x, *b = y;
    int c = strcmp(a->service, b->service);
    return c ? c : strcmp(a->container, b->container);
}

/* An epoch-ms time from JSON: an integer, or a real that is one. */
static bool json_ms(json_t *v, int64_t *ms)
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

int infl_windows_parse(const json_t *root, struct infl_agg **out, size_t *n,
                       char *err, size_t errlen)
{
    return infl_windows_parse_count(root, out, n, NULL, err, errlen);
}

/* Appends a row that stands for an unusable series of service (metrics.h);
 * none when the series' service tag can't be told. */
static void add_bad(const char *service, const char *container,
                    enum win_bad why, struct infl_agg **v, size_t *nv,
                    size_t *cap)
{
    struct infl_agg a;
    if (!service || !service[0] || strlen(service) >= sizeof a.service)
        return;
    memset(&a, 0, sizeof a);
    memcpy(a.service, service, strlen(service));
    if (container)
        memcpy(a.container, container, sizeof a.container);
    a.bad = (unsigned char)why;
    if (*nv == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        *v = xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*nv)++] = a;
}

static const char *series_service(json_t *series)
{
    return json_string_value(
        json_object_get(json_object_get(series, "tags"), "service"));
}

/* The rows being gathered from a reply: the usable ones, the rows that
 * stand for unusable series (add_bad), and the count of those dropped. */
struct win_rows {
    struct infl_agg *v, *bad;
    size_t nv, cap, nbad, capbad;
    unsigned long dropped;
};

/* One row per series of the first statement (mean, count, max); a series
 * without a usable key or values is dropped, kept as a bad row. */
static void windows_means(json_t *series, struct win_rows *r)
{
    for (size_t i = 0; i < json_array_size(series); i++) {
        json_t *s = json_array_get(series, i);
        struct infl_agg a;
        json_t *mean = series_value(s, "mean");
        json_t *count = series_value(s, "count");
        int64_t cnt;
        if (!series_key(s, &a)) {
            r->dropped++;
            add_bad(series_service(s), NULL, WIN_BAD_KEY, &r->bad, &r->nbad,
                    &r->capbad);
            continue;
        }
        if (!json_is_number(mean) || !json_ms(count, &cnt) || cnt <= 0 ||
            cnt > LONG_MAX || !isfinite(json_number_value(mean))) {
            r->dropped++;
            add_bad(a.service, a.container, WIN_BAD_VALUE, &r->bad, &r->nbad,
                    &r->capbad);
            continue;
        }
        a.mean = json_number_value(mean);
        a.bad = WIN_OK;
        a.count = (long)cnt;
        a.first_ms = a.last_ms = 0;
        a.last = a.mean;
        json_t *mx = series_value(s, "max");
        a.max = json_is_number(mx) ? json_number_value(mx) : a.mean;
        if (!isfinite(a.max) || a.max < a.mean)
            a.max = a.mean;
        if (r->nv == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 16;
            r->v = xrealloc(r->v, r->cap * sizeof *r->v);
        }
        r->v[r->nv++] = a;
    }
}

/* The point times of statement st (1: first, 2: last) into the sorted
 * rows v, marking bit st in seen for each row they reach. */
static void windows_point_times(json_t *series, int st, struct infl_agg *v,
                                size_t nv, unsigned char *seen)
{
    const char *col = st == 1 ? "first" : "last";
    for (size_t i = 0; i < json_array_size(series); i++) {
        json_t *s = json_array_get(series, i);
        struct infl_agg key;
        int64_t t;
        if (!series_key(s, &key) || !json_is_number(series_value(s, col)) ||
            !json_ms(series_value(s, "time"), &t))
            continue;
        struct infl_agg *hit = bsearch(&key, v, nv, sizeof *v, cmp_agg);
        if (!hit)
            continue;
        size_t k = (size_t)(hit - v);
        if (st == 1) {
            hit->first_ms = t;
        } else {
            hit->last_ms = t;
            hit->last = json_number_value(series_value(s, col));
            if (!isfinite(hit->last))
                hit->last = hit->mean;
        }
        seen[k] |= (unsigned char)st;
    }
}

/* Sorts the rows and gives each its first and last point times from the
 * second and third statements. Without both a window's coverage can't be
 * judged: the container is left out (a bad row) rather than guessed.
 * Duplicate keys: keep one. */
static void windows_times(json_t *results, struct win_rows *r)
{
    qsort(r->v, r->nv, sizeof *r->v, cmp_agg);
    unsigned char *seen = xcalloc(r->nv, 1); /* bit 1: first, bit 2: last */
    for (int st = 1; st <= 2; st++)
        windows_point_times(
            json_object_get(json_array_get(results, (size_t)st), "series"), st,
            r->v, r->nv, seen);
    size_t w = 0;
    for (size_t i = 0; i < r->nv; i++) {
        if (seen[i] != 3) {
            r->dropped++;
            add_bad(r->v[i].service, r->v[i].container, WIN_BAD_TIMES, &r->bad,
                    &r->nbad, &r->capbad);
            continue;
        }
        if (w > 0 && cmp_agg(&r->v[w - 1], &r->v[i]) == 0)
            continue;
        r->v[w++] = r->v[i];
    }
    free(seen);
    r->nv = w;
}

int infl_windows_parse_count(const json_t *root, struct infl_agg **out,
                             size_t *n, unsigned long *unusable, char *err,
                             size_t errlen)
{
    json_t *results = json_object_get(root, "results");
    struct win_rows r;

    *out = NULL;
    *n = 0;
    if (!json_is_array(results) || json_array_size(results) != 3) {
        /* max-row-limit counts rows over all statements: reached exactly,
         * the later statements are left out without a "partial" mark. */
        snprintf(err, errlen,
                 "InfluxDB answered %zu of the 3 statements (is [http] "
                 "max-row-limit below 3 rows per container?)",
                 json_array_size(results));
        return -1;
    }
    memset(&r, 0, sizeof r);
    windows_means(json_object_get(json_array_get(results, 0), "series"), &r);
    if (r.nv > 0)
        windows_times(results, &r);
    if (unusable)
        *unusable += r.dropped;
    /* the unusable series' rows go after the usable ones */
    if (r.nbad) {
        r.v = xrealloc(r.v, (r.nv + r.nbad) * sizeof *r.v);
        memcpy(r.v + r.nv, r.bad, r.nbad * sizeof *r.bad);
        r.nv += r.nbad;
    }
    free(r.bad);
    if (r.nv == 0) {
        free(r.v);
        return 0;
    }
    *out = r.v;
    *n = r.nv;
    return 0;
}

int infl_query_windows(struct infl *c, const char *field, int64_t start_ms,
                       int64_t end_ms, struct infl_agg **out, size_t *n,
                       char *err, size_t errlen)
{
    struct buf st[INFL_WINDOWS_STATEMENTS];
    const char *stmts[INFL_WINDOWS_STATEMENTS];
    json_t *root = NULL;
    int rc = -1;

    *out = NULL;
    *n = 0;
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++)
        buf_init(&st[i], 8192);
    if (windows_statements(field, start_ms, end_ms, st, err, errlen))
        goto out;
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++)
        stmts[i] = st[i].ptr;
    if (infl_query_statements(c, stmts, INFL_WINDOWS_STATEMENTS, &root, err,
                              errlen))
        goto out;
    rc = infl_windows_parse_count(root, out, n, &c->stats.series_unusable, err,
                                  errlen);
out:
    json_decref(root);
    for (int i = 0; i < INFL_WINDOWS_STATEMENTS; i++)
        buf_cleanup(&st[i]);
    return rc;
}

/* ---- window sets ------------------------------------------------------- */

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

int infl_set_plan(const char *field, const int64_t *dur_ms, size_t k,
                  int64_t now_ms, struct infl_set_plan *plan, char *err,
                  size_t errlen)
{
    int64_t d[INFL_SET_MAX_DURS];
    size_t n = 0;

    memset(plan, 0, sizeof *plan);
    plan->max_series = INFL_MAX_SERIES;
    if (field_check(field, err, errlen))
        return -1;
    if (k == 0 || now_ms <= 0) {
        snprintf(err, errlen, "no window to read");
        return -1;
    }
    for (size_t i = 0; i < k; i++) {
        if (dur_ms[i] <= 0 || dur_ms[i] > now_ms) {
            snprintf(err, errlen, "bad window length %" PRId64 " ms",
                     dur_ms[i]);
            return -1;
        }
        bool dup = false;
        for (size_t j = 0; j < n; j++)
            dup = dup || d[j] == dur_ms[i];
        if (dup)
            continue;
        if (n == INFL_SET_MAX_DURS) {
            snprintf(err, errlen,
                     "more than %d window lengths for one field in one "
                     "request",
                     INFL_SET_MAX_DURS);
            return -1;
        }
        d[n++] = dur_ms[i];
    }
    qsort(d, n, sizeof *d, cmp_i64);
    snprintf(plan->field, sizeof plan->field, "%s", field);
    plan->now_ms = now_ms;
    plan->k = n;
    memcpy(plan->dur_ms, d, n * sizeof *d);
    /* groups, shortest first: a window joins the open group while the
     * group's longest stays within INFL_SET_MAX_BUCKETS buckets */
    for (size_t i = 0; i < n; i++) {
        struct infl_set_group *g =
            plan->ngroups ? &plan->groups[plan->ngroups - 1] : NULL;
        if (g) {
            int64_t b = gcd64(g->bucket_ms, d[i]);
            if (d[i] / b <= INFL_SET_MAX_BUCKETS) {
                g->bucket_ms = b;
                g->hi = i + 1;
                continue;
            }
        }
        g = &plan->groups[plan->ngroups++];
        g->bucket_ms = d[i];
        g->lo = i;
        g->hi = i + 1;
    }
    return 0;
}

size_t infl_set_nstatements(const struct infl_set_plan *p)
{
    return p->ngroups + 1 + p->k;
}

/* The statements' common part: FROM, the service filter and the range
 * [now − dur, now + 1). */
static int set_from(const struct infl_set_plan *p, int64_t dur, struct buf *out)
{
    return buf_printf(out,
                      " FROM \"" INFL_MEASUREMENT "\" WHERE \"service\" != '' "
                      "AND time >= %" PRId64 "ms AND time < %" PRId64 "ms",
                      p->now_ms - dur, p->now_ms + 1);
}

int infl_set_statement(const struct infl_set_plan *p, size_t i, struct buf *out,
                       char *err, size_t errlen)
{
    struct buf id;
    int rc = -1;

    buf_init(&id, 256);
    if (i >= infl_set_nstatements(p) || field_check(p->field, err, errlen)) {
        if (i >= infl_set_nstatements(p))
            snprintf(err, errlen, "no statement %zu", i);
        goto out;
    }
    if (infl_quote_ident(p->field, &id))
        goto full;
    const char *f = id.ptr;
    if (i < p->ngroups) {
        const struct infl_set_group *g = &p->groups[i];
        int64_t longest = p->dur_ms[g->hi - 1];
        int64_t start = p->now_ms - longest;
        int64_t off = ((start % g->bucket_ms) + g->bucket_ms) % g->bucket_ms;
        if (buf_printf(out, "SELECT count(%s), sum(%s), max(%s)", f, f, f) ||
            set_from(p, longest, out) ||
            buf_printf(out,
                       " GROUP BY time(%" PRId64 "ms, %" PRId64
                       "ms), \"service\", \"container\" fill(none)",
                       g->bucket_ms, off))
            goto full;
    } else if (i == p->ngroups) {
        if (buf_printf(out, "SELECT last(%s)", f) ||
            set_from(p, p->dur_ms[p->k - 1], out) ||
            buf_puts(out, " GROUP BY \"service\", \"container\""))
            goto full;
    } else {
        if (buf_printf(out, "SELECT first(%s)", f) ||
            set_from(p, p->dur_ms[i - p->ngroups - 1], out) ||
            buf_puts(out, " GROUP BY \"service\", \"container\""))
            goto full;
    }
    rc = 0;
    goto out;
full:
    snprintf(err, errlen, "InfluxQL statement too long");
out:
    buf_cleanup(&id);
    return rc;
}

/* One container of the set: its fixed part; the per-window part is
 * dur[rec * k + i]. */
struct set_rec {
    char service[64];
    char container[16];
    int64_t last_ms;
    double last;
    int64_t latest_bucket; /* the latest bucket start with a row */
    unsigned char bad;     /* WIN_BAD_VALUE: a bucket without numbers */
    bool has_last;
};

struct set_dur {
    long count;
    double sum, max;
    int64_t first_ms;
    bool has_first;
};

/* A series whose tags can't be used (kept per window it has rows in). */
struct set_bad {
    char service[64];  /* "" when the tag can't name a row (untold) */
    uint64_t tag_hash; /* the untold tag's (FNV-1a), to tell them apart */
    int64_t latest;    /* its latest row time */
};

struct infl_set_reader {
    struct infl_set_plan plan;
    size_t nst;
    struct buf line;
    bool failed;
    char err[512];
    char head[301];
    size_t head_len;
    char server_msg[400]; /* a top-level "error" as InfluxDB gave it */
    /* per statement: answered, and whether its last chunk said more
     * was to come */
    bool *seen, *open;
    struct set_rec *recs;
    struct set_dur *durs;
    size_t nrec, caprec;
    size_t *table; /* open addressing: rec index + 1, 0 = empty */
    size_t tcap;
    struct set_bad *bad;
    size_t nbad, capbad;
};

static void table_grow(struct infl_set_reader *r)
{
    size_t cap = r->tcap ? r->tcap * 2 : 1024;
    size_t *t = xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < r->nrec; i++) {
        size_t h =
            (size_t)win_key_hash(r->recs[i].service, r->recs[i].container);
        for (size_t j = h & (cap - 1);; j = (j + 1) & (cap - 1))
            if (!t[j]) {
                t[j] = i + 1;
                break;
            }
    }
    free(r->table);
    r->table = t;
    r->tcap = cap;
}

/* The plan's series cap (a plan made by hand may leave it 0). */
static size_t set_max_series(const struct infl_set_reader *r)
{
    return r->plan.max_series ? r->plan.max_series : INFL_MAX_SERIES;
}

/* The record of (service, container), made when new; (size_t)-1 past
 * INFL_MAX_SERIES records. */
static size_t rec_get(struct infl_set_reader *r, const struct infl_agg *key)
{
    if ((r->nrec + 1) * 2 > r->tcap)
        table_grow(r);
    size_t h = (size_t)win_key_hash(key->service, key->container);
    size_t j = h & (r->tcap - 1);
    for (; r->table[j]; j = (j + 1) & (r->tcap - 1)) {
        struct set_rec *x = &r->recs[r->table[j] - 1];
        if (!strcmp(x->service, key->service) &&
            !strcmp(x->container, key->container))
            return r->table[j] - 1;
    }
    if (r->nrec >= set_max_series(r))
        return (size_t)-1;
    if (r->nrec == r->caprec) {
        r->caprec = r->caprec ? r->caprec * 2 : 1024;
        r->recs = xrealloc(r->recs, r->caprec * sizeof *r->recs);
        r->durs = xrealloc(r->durs, r->caprec * r->plan.k * sizeof *r->durs);
    }
    size_t i = r->nrec++;
    struct set_rec *x = &r->recs[i];
    memset(x, 0, sizeof *x);
    memcpy(x->service, key->service, sizeof x->service);
    memcpy(x->container, key->container, sizeof x->container);
    x->latest_bucket = INT64_MIN;
    memset(&r->durs[i * r->plan.k], 0, r->plan.k * sizeof *r->durs);
    r->table[j] = i + 1;
    return i;
}

struct infl_set_reader *infl_set_reader_new(const struct infl_set_plan *p,
                                            size_t max_line)
{
    struct infl_set_reader *r = xcalloc(1, sizeof *r);
    r->plan = *p;
    r->nst = infl_set_nstatements(p);
    r->seen = xcalloc(r->nst, sizeof *r->seen);
    r->open = xcalloc(r->nst, sizeof *r->open);
    buf_init(&r->line, max_line ? max_line : INFL_SET_MAX_LINE);
    return r;
}

void infl_set_reader_reset(struct infl_set_reader *r)
{
    buf_reset(&r->line);
    r->failed = false;
    r->err[0] = '\0';
    r->head_len = 0;
    r->head[0] = '\0';
    r->server_msg[0] = '\0';
    memset(r->seen, 0, r->nst * sizeof *r->seen);
    memset(r->open, 0, r->nst * sizeof *r->open);
    r->nrec = 0;
    if (r->table)
        memset(r->table, 0, r->tcap * sizeof *r->table);
    r->nbad = 0;
}

void infl_set_reader_free(struct infl_set_reader *r)
{
    if (!r)
        return;
    buf_cleanup(&r->line);
    free(r->seen);
    free(r->open);
    free(r->recs);
    free(r->durs);
    free(r->table);
    free(r->bad);
    free(r);
}

const char *infl_set_reader_error(const struct infl_set_reader *r)
{
    return r->err;
}

const char *infl_set_reader_head(const struct infl_set_reader *r)
{
    return r->head;
}

size_t infl_set_reader_answered(const struct infl_set_reader *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nst; i++)
        n += r->seen[i];
    return n;
}

/* A reader's first failure: its text kept, the reader failed; -1. */
static int reader_fail(bool *failed, char *err, size_t errlen, const char *fmt,
                       va_list ap) __attribute__((format(printf, 4, 0)));

static int reader_fail(bool *failed, char *err, size_t errlen, const char *fmt,
                       va_list ap)
{
    if (!*failed)
        vsnprintf(err, errlen, fmt, ap);
    *failed = true;
    return -1;
}

static int set_fail(struct infl_set_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int set_fail(struct infl_set_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reader_fail(&r->failed, r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int set_too_many(struct infl_set_reader *r)
{
    return set_fail(r,
                    "the reply names more than %zu (service, container) "
                    "series; das reads at most that many",
                    set_max_series(r));
}

/* The index of column name in a series' columns; -1 when absent. */
static int col_index(json_t *series, const char *name)
{
    json_t *cols = json_object_get(series, "columns");
    for (size_t i = 0; i < json_array_size(cols); i++) {
        const char *c = json_string_value(json_array_get(cols, i));
        if (c && !strcmp(c, name))
            return (int)i;
    }
    return -1;
}

/* A series without a usable key. One whose service tag can't name a row
 * (none, empty, too long) is still an unusable series: kept with service
 * "" and its tag's hash, counted by infl_set_reader_result, never a row. */
static void set_add_bad(struct infl_set_reader *r, const char *service,
                        int64_t latest)
{
    bool told =
        service && service[0] && strlen(service) < sizeof r->bad[0].service;
    uint64_t h = 14695981039346656037ULL;
    for (const char *p = told || !service ? "" : service; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    /* the same series over several chunks: one entry */
    if (r->nbad > 0) {
        struct set_bad *last = &r->bad[r->nbad - 1];
        bool same = told ? !strcmp(last->service, service)
                         : !last->service[0] && last->tag_hash == h;
        if (same) {
            if (latest > last->latest)
                last->latest = latest;
            return;
        }
    }
    if (r->nbad == r->capbad) {
        r->capbad = r->capbad ? r->capbad * 2 : 8;
        r->bad = xrealloc(r->bad, r->capbad * sizeof *r->bad);
    }
    struct set_bad *b = &r->bad[r->nbad++];
    memset(b, 0, sizeof *b);
    if (told)
        memcpy(b->service, service, strlen(service));
    b->tag_hash = h;
    b->latest = latest;
}

/* One row of an aggregate statement (group g) into record i. */
static int set_agg_row(struct infl_set_reader *r, size_t g, size_t i,
                       json_t *row, int ct, int cc, int cs, int cm)
{
    const struct infl_set_group *gr = &r->plan.groups[g];
    struct set_rec *x = &r->recs[i];
    int64_t t, cnt;
    if (!json_ms(json_array_get(row, (size_t)ct), &t))
        return set_fail(r, "statement %zu: a bucket without its time", g);
    int64_t start = r->plan.now_ms - r->plan.dur_ms[gr->hi - 1];
    if (t < start || (t - start) % gr->bucket_ms != 0)
        return set_fail(r,
                        "statement %zu: InfluxDB's bucket at %" PRId64
                        " ms is not one of [%" PRId64 " ms + n × %" PRId64
                        " ms]",
                        g, t, start, gr->bucket_ms);
    if (t > x->latest_bucket)
        x->latest_bucket = t;
    json_t *sum = json_array_get(row, (size_t)cs);
    json_t *mx = cm >= 0 ? json_array_get(row, (size_t)cm) : NULL;
    if (!json_ms(json_array_get(row, (size_t)cc), &cnt) || cnt <= 0 ||
        cnt > LONG_MAX / 2 || !json_is_number(sum) ||
        !isfinite(json_number_value(sum))) {
        x->bad = WIN_BAD_VALUE;
        return 0;
    }
    double m = json_is_number(mx) ? json_number_value(mx) : NAN;
    for (size_t j = gr->lo; j < gr->hi; j++) {
        if (t < r->plan.now_ms - r->plan.dur_ms[j])
            continue;
        struct set_dur *d = &r->durs[i * r->plan.k + j];
        if (d->count > LONG_MAX / 2)
            return set_fail(r, "statement %zu: point count overflow", g);
        if (d->count == 0)
            d->max = m;
        else if (isfinite(m) && (!isfinite(d->max) || m > d->max))
            d->max = m;
        d->count += (long)cnt;
        d->sum += json_number_value(sum);
    }
    return 0;
}

/* One series of statement st. */
static int set_series(struct infl_set_reader *r, size_t st, json_t *s)
{
    const struct infl_set_plan *p = &r->plan;
    struct infl_agg key;
    json_t *rows = json_object_get(s, "values");
    int ct = col_index(s, "time");
    if (!series_key(s, &key)) {
        if (st < p->ngroups) {
            int64_t latest = INT64_MIN, t;
            for (size_t j = 0; j < json_array_size(rows); j++)
                if (json_ms(json_array_get(json_array_get(rows, j),
                                           (size_t)(ct < 0 ? 0 : ct)),
                            &t) &&
                    t > latest)
                    latest = t;
            set_add_bad(r, series_service(s), latest);
        }
        return 0;
    }
    if (st < p->ngroups) {
        int cc = col_index(s, "count"), cs = col_index(s, "sum"),
            cm = col_index(s, "max");
        if (ct < 0 || cc < 0 || cs < 0)
            return set_fail(r,
                            "statement %zu: columns time, count and sum "
                            "expected",
                            st);
        size_t i = rec_get(r, &key);
        if (i == (size_t)-1)
            return set_too_many(r);
        for (size_t j = 0; j < json_array_size(rows); j++)
            if (set_agg_row(r, st, i, json_array_get(rows, j), ct, cc, cs, cm))
                return -1;
        return 0;
    }
    const char *col = st == p->ngroups ? "last" : "first";
    int cv = col_index(s, col);
    json_t *row = json_array_get(rows, 0);
    int64_t t;
    if (ct < 0 || cv < 0 || !json_ms(json_array_get(row, (size_t)ct), &t))
        return 0; /* no time: the container's times stay unknown */
    json_t *v = json_array_get(row, (size_t)cv);
    if (!json_is_number(v))
        return 0;
    /* Two series of one container (its 12-character and its 64-hex id,
     * written by two collectors) are one record, as their aggregates
     * are: the latest of their last points, the earliest first. */
    size_t i = rec_get(r, &key);
    if (i == (size_t)-1)
        return set_too_many(r);
    if (st == p->ngroups) {
        struct set_rec *x = &r->recs[i];
        if (!x->has_last || t > x->last_ms) {
            x->has_last = true;
            x->last_ms = t;
            x->last = json_number_value(v);
        }
    } else {
        struct set_dur *d = &r->durs[i * p->k + (st - p->ngroups - 1)];
        if (!d->has_first || t < d->first_ms) {
            d->has_first = true;
            d->first_ms = t;
        }
    }
    return 0;
}

/* One JSON object of a reply: {"results": [...]} or {"error": "..."}. */
static int set_object(struct infl_set_reader *r, size_t base, json_t *o)
{
    char msg[400];
    const char *top = json_string_value(json_object_get(o, "error"));
    if (top) {
        log_copy_oneline(msg, sizeof msg, top, strlen(top));
        snprintf(r->server_msg, sizeof r->server_msg, "%s", msg);
        return set_fail(r, "InfluxDB: %s",
                        msg[0] ? msg : "an error without text");
    }
    json_t *results = json_object_get(o, "results");
    if (!json_is_array(results))
        return set_fail(r, "InfluxDB answer has no \"results\" array");
    for (size_t i = 0; i < json_array_size(results); i++) {
        json_t *res = json_array_get(results, i);
        json_t *sid = json_object_get(res, "statement_id");
        size_t st;
        if (!json_is_integer(sid) || json_integer_value(sid) < 0 ||
            (uint64_t)json_integer_value(sid) >= r->nst - base)
            return set_fail(r,
                            "a result without a statement_id of the %zu "
                            "statements sent",
                            r->nst - base);
        st = base + (size_t)json_integer_value(sid);
        const char *se = json_string_value(json_object_get(res, "error"));
        if (se) {
            log_copy_oneline(msg, sizeof msg, se, strlen(se));
            return set_fail(r, "statement %zu: %s%s", st, msg,
                            !strcmp(se, "not executed")
                                ? " (does the database exist?)"
                                : "");
        }
        r->seen[st] = true;
        /* chunked: "partial" means more of it follows */
        r->open[st] = json_is_true(json_object_get(res, "partial"));
        json_t *series = json_object_get(res, "series");
        for (size_t j = 0; j < json_array_size(series); j++)
            if (set_series(r, st, json_array_get(series, j)))
                return -1;
    }
    return 0;
}

static int set_line(struct infl_set_reader *r, size_t base, const char *s,
                    size_t n)
{
    json_error_t je;
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r')) {
        s++;
        n--;
    }
    if (n == 0)
        return 0;
    json_t *o = json_loadb(s, n, 0, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return set_fail(r, "bad JSON from InfluxDB: %.200s",
                        o ? "not an object" : log_oneline(je.text));
    }
    int rc = set_object(r, base, o);
    json_decref(o);
    return rc;
}

/* A chunked reply (one JSON object a line) as it arrives: its first
 * bytes kept in head (InfluxDB's own words when it is no JSON), each whole
 * line handed to fn; a line split over pieces is gathered in line (at
 * most line->max bytes: -2 past it). -1 when fn fails. */
static int lines_feed(struct buf *line, char *head, size_t headsz,
                      size_t *head_len, const char *p, size_t n,
                      int (*fn)(void *ctx, const char *s, size_t n), void *ctx)
{
    if (*head_len + 1 < headsz) {
        size_t c = headsz - 1 - *head_len;
        if (c > n)
            c = n;
        memcpy(head + *head_len, p, c);
        *head_len += c;
        head[*head_len] = '\0';
    }
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        if (line->len == 0 && nl) {
            /* a whole line in this piece: no copy */
            if (fn(ctx, p, take))
                return -1;
        } else {
            if (buf_append(line, p, take))
                return -2;
            if (nl) {
                int rc = fn(ctx, line->ptr, line->len);
                buf_reset(line);
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

/* The last line of a reply, when it did not end in a newline. */
static int lines_end(struct buf *line,
                     int (*fn)(void *ctx, const char *s, size_t n), void *ctx)
{
    if (line->len == 0)
        return 0;
    int rc = fn(ctx, line->ptr, line->len);
    buf_reset(line);
    return rc;
}

struct set_line_ctx {
    struct infl_set_reader *r;
    size_t base;
};

static int set_line_fn(void *ctx, const char *s, size_t n)
{
    struct set_line_ctx *x = ctx;
    return set_line(x->r, x->base, s, n);
}

int infl_set_reader_feed(struct infl_set_reader *r, size_t base, const char *p,
                         size_t n)
{
    if (r->failed)
        return -1;
    if (base >= r->nst)
        return set_fail(r, "no statement %zu", base);
    struct set_line_ctx x = {r, base};
    int rc = lines_feed(&r->line, r->head, sizeof r->head, &r->head_len, p, n,
                        set_line_fn, &x);
    if (rc == -2)
        return set_fail(r, "a line of InfluxDB's reply is over %zu bytes",
                        r->line.max);
    return rc;
}

int infl_set_reader_end(struct infl_set_reader *r, size_t base)
{
    if (r->failed)
        return -1;
    struct set_line_ctx x = {r, base};
    return lines_end(&r->line, set_line_fn, &x) ? -1 : 0;
}

int infl_set_reader_result(struct infl_set_reader *r, struct infl_agg **outs,
                           size_t *ns, unsigned long *unusable, char *err,
                           size_t errlen)
{
    const struct infl_set_plan *p = &r->plan;
    for (size_t w = 0; w < p->k; w++) {
        outs[w] = NULL;
        ns[w] = 0;
    }
    if (r->failed) {
        snprintf(err, errlen, "%s", r->err);
        return -1;
    }
    for (size_t st = 0; st < r->nst; st++) {
        if (!r->seen[st]) {
            /* max-row-limit counts rows over all statements: reached,
             * the later statements are left out */
            snprintf(err, errlen,
                     "InfluxDB answered %zu of the %zu statements (is "
                     "[http] max-row-limit too low?)",
                     infl_set_reader_answered(r), r->nst);
            return -1;
        }
        if (r->open[st]) {
            snprintf(err, errlen,
                     "statement %zu: result cut short by InfluxDB "
                     "(partial; raise [http] max-row-limit)",
                     st);
            return -1;
        }
    }
    for (size_t w = 0; w < p->k; w++) {
        int64_t start = p->now_ms - p->dur_ms[w];
        size_t cap = r->nrec + r->nbad, nv = 0, nb = 0;
        struct infl_agg *v = xcalloc(cap ? cap : 1, sizeof *v);
        struct infl_agg *bad = xcalloc(cap ? cap : 1, sizeof *bad);
        for (size_t i = 0; i < r->nrec; i++) {
            const struct set_rec *x = &r->recs[i];
            const struct set_dur *d = &r->durs[i * p->k + w];
            struct infl_agg a;
            memset(&a, 0, sizeof a);
            memcpy(a.service, x->service, sizeof a.service);
            memcpy(a.container, x->container, sizeof a.container);
            if (x->bad) {
                if (x->latest_bucket >= start) {
                    a.bad = x->bad;
                    bad[nb++] = a;
                }
                continue;
            }
            if (d->count <= 0)
                continue;
            if (!d->has_first || !x->has_last) {
                a.bad = WIN_BAD_TIMES;
                bad[nb++] = a;
                continue;
            }
            a.count = d->count;
            a.mean = d->sum / (double)d->count;
            a.max = isfinite(d->max) && d->max >= a.mean ? d->max : a.mean;
            a.first_ms = d->first_ms;
            a.last_ms = x->last_ms;
            a.last = isfinite(x->last) ? x->last : a.mean;
            if (!isfinite(a.mean)) {
                a.bad = WIN_BAD_VALUE;
                bad[nb++] = a;
                continue;
            }
            v[nv++] = a;
        }
        unsigned long untold = 0;
        for (size_t i = 0; i < r->nbad; i++) {
            if (r->bad[i].latest < start)
                continue;
            if (!r->bad[i].service[0]) {
                untold++; /* counted, but no row: no service to name */
                continue;
            }
            struct infl_agg a;
            memset(&a, 0, sizeof a);
            memcpy(a.service, r->bad[i].service, sizeof a.service);
            a.bad = WIN_BAD_KEY;
            bad[nb++] = a;
        }
        win_rows_take(v, nv, bad, nb, &outs[w], &ns[w], unusable);
        if (unusable)
            *unusable += untold;
    }
    return 0;
}

int infl_set_parse(const struct infl_set_plan *p, const char *body, size_t len,
                   struct infl_agg **outs, size_t *ns, unsigned long *unusable,
                   char *err, size_t errlen)
{
    struct infl_set_reader *r = infl_set_reader_new(p, 0);
    int rc = -1;
    if (infl_set_reader_feed(r, 0, body, len) == 0)
        (void)infl_set_reader_end(r, 0);
    rc = infl_set_reader_result(r, outs, ns, unusable, err, errlen);
    infl_set_reader_free(r);
    return rc;
}

static int set_sink(void *ctx, const char *p, size_t n)
{
    struct set_line_ctx *x = ctx;
    return infl_set_reader_feed(x->r, x->base, p, n);
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

/* One request of statements [base, base + n) of the plan into r. 0 ok;
 * -1 + *why (as query_raw) and err. */
static int set_request(struct infl *c, const struct infl_set_plan *plan,
                       struct infl_set_reader *r, size_t base, size_t n,
                       enum q_fail *why, char *err, size_t errlen)
{
    struct buf q, form;
    char e[512];
    long status = 0;
    int rc = -1;
    struct set_line_ctx ctx = {r, base};

    *why = QF_LOCAL;
    buf_init(&q, INFL_MAX_QUERY);
    buf_init(&form, INFL_MAX_QUERY);
    for (size_t i = base; i < base + n; i++)
        if ((i > base && buf_puts(&q, "; ")) ||
            infl_set_statement(plan, i, &q, err, errlen))
            goto out;
    if (buf_puts(&form, "q=") || http_urlencode(q.ptr, &form)) {
        snprintf(err, errlen, "InfluxQL statement over %u bytes",
                 INFL_MAX_QUERY);
        goto out;
    }
    c->stats.queries++;
    size_t answered = infl_set_reader_answered(r);
    int hr = http_request_stream(c->http, "POST", c->chunked_path,
                                 "application/x-www-form-urlencoded",
                                 "application/json", form.ptr, form.len,
                                 set_sink, &ctx, &status, e, sizeof e);
    if (hr == 0 && status == 200)
        hr = infl_set_reader_end(r, base);
    if (hr && !r->failed && (status == 0 || status == 200)) {
        /* no (whole) answer: unreachable, or it stopped sending */
        *why = QF_TRANSPORT;
        snprintf(err, errlen, "InfluxDB query: %s", e);
        goto out;
    }
    if (status == 401 || status == 403) {
        *why = QF_AUTH;
    } else if (status != 200) {
        *why = QF_ANSWER;
    } else if (hr || r->failed) {
        *why = QF_STATEMENT;
    }
    if (status != 200) {
        status_error(c, status, r->server_msg, infl_set_reader_head(r), err,
                     errlen);
        goto out;
    }
    if (hr || r->failed) {
        snprintf(err, errlen, "InfluxDB query at %s: %s", c->where,
                 r->failed ? infl_set_reader_error(r) : e);
        goto out;
    }
    if (infl_set_reader_answered(r) - answered < n) {
        *why = QF_ANSWER;
        snprintf(err, errlen,
                 "InfluxDB at %s answered %zu of %zu statements sent in one "
                 "request",
                 c->where, infl_set_reader_answered(r) - answered, n);
        goto out;
    }
    *why = QF_NONE;
    rc = 0;
out:
    buf_cleanup(&q);
    buf_cleanup(&form);
    return rc;
}

int infl_query_window_set(struct infl *c, const struct infl_set_plan *plan,
                          struct infl_agg **outs, size_t *ns, char *err,
                          size_t errlen)
{
    struct infl_set_reader *r = infl_set_reader_new(plan, 0);
    size_t n = infl_set_nstatements(plan);
    enum q_fail why;
    char e[512];
    int rc = -1;

    for (size_t w = 0; w < plan->k; w++) {
        outs[w] = NULL;
        ns[w] = 0;
    }
    if (!infl_single_statements(c)) {
        if (set_request(c, plan, r, 0, n, &why, e, sizeof e) == 0)
            goto done;
        if (c->stmt_mode == INFL_STMT_MULTI || why != QF_ANSWER) {
            snprintf(err, errlen, "%s", e);
            goto out;
        }
        /* AUTO: as infl_query_statements, one statement per request */
        infl_set_reader_reset(r);
    }
    for (size_t i = 0; i < n; i++) {
        char e1[512];
        if (set_request(c, plan, r, i, 1, &why, e1, sizeof e1)) {
            if (!infl_single_statements(c))
                snprintf(err, errlen, "%s", e);
            else
                snprintf(err, errlen, "statement %zu of %zu, sent alone: %s",
                         i + 1, n, e1);
            goto out;
        }
    }
    if (!infl_single_statements(c)) {
        char qe[600];
        c->fell_back = true;
        c->stats.statement_fallbacks++;
        log_info("InfluxDB did not answer several statements in one "
                 "request; sending one statement per request from now on",
                 "url=%s statements=%zu err=%s", c->where, n,
                 log_quote(e, qe, sizeof qe));
    }
done:
    rc = infl_set_reader_result(r, outs, ns, &c->stats.series_unusable, err,
                                errlen);
out:
    infl_set_reader_free(r);
    return rc;
}

/* ---- the points written since a time (das run's cache) ---- */

int infl_points_statement(const char *field, int64_t since_ms, struct buf *out,
                          char *err, size_t errlen)
{
    struct buf id;
    buf_init(&id, 256);
    int rc = -1;
    if (field_check(field, err, errlen))
        goto out;
    if (infl_quote_ident(field, &id) ||
        buf_printf(
            out,
            "SELECT %s, \"service\", \"container\" FROM \"" INFL_MEASUREMENT
            "\" WHERE \"service\" != '' AND time >= %" PRId64 "ms",
            id.ptr, since_ms)) {
        snprintf(err, errlen, "InfluxQL statement too long");
        goto out;
    }
    rc = 0;
out:
    buf_cleanup(&id);
    return rc;
}

struct infl_pts_reader {
    struct pcache *pc;
    char field[64];
    struct buf line;
    char head[301];
    size_t head_len;
    bool failed, seen, open;
    size_t points;
    char err[512];
    char server_msg[400];
};

static int pts_fail(struct infl_pts_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int pts_fail(struct infl_pts_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reader_fail(&r->failed, r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return -1;
}

struct infl_pts_reader *infl_pts_reader_new(struct pcache *pc,
                                            const char *field)
{
    struct infl_pts_reader *r = xcalloc(1, sizeof *r);
    r->pc = pc;
    snprintf(r->field, sizeof r->field, "%s", field);
    buf_init(&r->line, INFL_SET_MAX_LINE);
    return r;
}

void infl_pts_reader_free(struct infl_pts_reader *r)
{
    if (!r)
        return;
    buf_cleanup(&r->line);
    free(r);
}

/* One series of the reply: columns time, the field, service, container. */
static int pts_series(struct infl_pts_reader *r, json_t *series)
{
    int ct = col_index(series, "time"), cv = col_index(series, r->field),
        cs = col_index(series, "service"), cc = col_index(series, "container");
    if (ct < 0 || cv < 0 || cs < 0 || cc < 0)
        return pts_fail(r, "columns time, %s, service and container expected",
                        r->field);
    json_t *rows = json_object_get(series, "values");
    for (size_t j = 0; j < json_array_size(rows); j++) {
        size_t maxp = r->pc->max_points ? r->pc->max_points : PC_MAX_POINTS,
               maxs = r->pc->max_series ? r->pc->max_series : PC_MAX_SERIES;
        if (r->pc->points >= maxp || r->pc->n >= maxs)
            return pts_fail(r,
                            "%s: more than %zu points or %zu series; das "
                            "keeps at most that many a field (shorter out_for "
                            "/ in_for windows keep fewer)",
                            r->field, maxp, maxs);
        json_t *row = json_array_get(rows, j);
        json_t *v = json_array_get(row, (size_t)cv);
        int64_t t;
        if (json_is_null(v) || !json_ms(json_array_get(row, (size_t)ct), &t))
            continue; /* a point of other fields only, or no time */
        if (pc_add(r->pc, json_string_value(json_array_get(row, (size_t)cs)),
                   json_string_value(json_array_get(row, (size_t)cc)), t,
                   json_is_number(v) ? json_number_value(v) : NAN,
                   json_is_number(v)))
            r->points++;
    }
    return 0;
}

static int pts_line(void *ctx, const char *s, size_t n)
{
    struct infl_pts_reader *r = ctx;
    json_error_t je;
    char msg[400];
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0)
        return 0;
    json_t *o = json_loadb(s, n, 0, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return pts_fail(r, "bad JSON from InfluxDB: %.200s",
                        o ? "not an object" : log_oneline(je.text));
    }
    int rc = 0;
    const char *top = json_string_value(json_object_get(o, "error"));
    json_t *results = json_object_get(o, "results");
    if (top) {
        log_copy_oneline(msg, sizeof msg, top, strlen(top));
        snprintf(r->server_msg, sizeof r->server_msg, "%s", msg);
        rc =
            pts_fail(r, "InfluxDB: %s", msg[0] ? msg : "an error without text");
    } else if (!json_is_array(results)) {
        rc = pts_fail(r, "InfluxDB answer has no \"results\" array");
    }
    for (size_t i = 0; !rc && i < json_array_size(results); i++) {
        json_t *res = json_array_get(results, i);
        json_t *sid = json_object_get(res, "statement_id");
        const char *se = json_string_value(json_object_get(res, "error"));
        if (!json_is_integer(sid) || json_integer_value(sid) != 0) {
            rc = pts_fail(r, "a result of no statement sent");
        } else if (se) {
            log_copy_oneline(msg, sizeof msg, se, strlen(se));
            rc = pts_fail(r, "%s%s", msg[0] ? msg : "an error without text",
                          !strcmp(se, "not executed")
                              ? " (does the database exist?)"
                              : "");
        } else {
            r->seen = true;
            r->open = json_is_true(json_object_get(res, "partial"));
            json_t *series = json_object_get(res, "series");
            for (size_t j = 0; !rc && j < json_array_size(series); j++)
                rc = pts_series(r, json_array_get(series, j));
        }
    }
    json_decref(o);
    return rc;
}

int infl_pts_reader_feed(struct infl_pts_reader *r, const char *p, size_t n)
{
    if (r->failed)
        return -1;
    int rc = lines_feed(&r->line, r->head, sizeof r->head, &r->head_len, p, n,
                        pts_line, r);
    if (rc == -2)
        return pts_fail(r, "a line of InfluxDB's reply is over %zu bytes",
                        r->line.max);
    return rc;
}

int infl_pts_reader_end(struct infl_pts_reader *r, size_t *points, char *err,
                        size_t errlen)
{
    if (!r->failed)
        (void)lines_end(&r->line, pts_line, r);
    if (!r->failed && !r->seen)
        pts_fail(r, "InfluxDB answered no statement");
    if (!r->failed && r->open)
        pts_fail(r, "result cut short by InfluxDB (partial; raise [http] "
                    "max-row-limit)");
    if (points)
        *points = r->points;
    if (r->failed) {
        snprintf(err, errlen, "%s", r->err);
        return -1;
    }
    return 0;
}

int infl_points_parse(const char *field, const char *body, size_t len,
                      struct pcache *pc, size_t *points, char *err,
                      size_t errlen)
{
    struct infl_pts_reader *r = infl_pts_reader_new(pc, field);
    (void)infl_pts_reader_feed(r, body, len);
    int rc = infl_pts_reader_end(r, points, err, errlen);
    infl_pts_reader_free(r);
    return rc;
}

static int pts_sink(void *ctx, const char *p, size_t n)
{
    return infl_pts_reader_feed(ctx, p, n);
}

int infl_query_points(struct infl *c, const char *field, int64_t since_ms,
                      struct pcache *pc, size_t *points, char *err,
                      size_t errlen)
{
    struct buf q, form;
    char e[512];
    long status = 0;
    int rc = -1;
    struct infl_pts_reader *r = infl_pts_reader_new(pc, field);

    *points = 0;
    buf_init(&q, INFL_MAX_QUERY);
    buf_init(&form, INFL_MAX_QUERY);
    if (infl_points_statement(field, since_ms, &q, err, errlen))
        goto out;
    if (buf_puts(&form, "q=") || http_urlencode(q.ptr, &form)) {
        snprintf(err, errlen, "InfluxQL statement over %u bytes",
                 INFL_MAX_QUERY);
        goto out;
    }
    c->stats.queries++;
    int hr = http_request_stream(c->http, "POST", c->chunked_path,
                                 "application/x-www-form-urlencoded",
                                 "application/json", form.ptr, form.len,
                                 pts_sink, r, &status, e, sizeof e);
    if (hr && !r->failed && (status == 0 || status == 200)) {
        snprintf(err, errlen, "InfluxDB query: %s", e);
        goto out;
    }
    if (status != 200) {
        status_error(c, status, r->server_msg, r->head, err, errlen);
        goto out;
    }
    if (infl_pts_reader_end(r, points, e, sizeof e)) {
        snprintf(err, errlen, "InfluxDB query at %s: %s", c->where, e);
        goto out;
    }
    rc = 0;
out:
    buf_cleanup(&q);
    buf_cleanup(&form);
    infl_pts_reader_free(r);
    return rc;
}

/* ---- a service's recorded load, for das simulate --service ---- */

int infl_demand_statement(const char *field, const char *service_id,
                          int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                          struct buf *out, char *err, size_t errlen)
{
    struct buf id, svc;
    int rc = -1;

    buf_init(&id, 256);
    buf_init(&svc, 512);
    if (field_check(field, err, errlen))
        goto out;
    if (start_ms < 0 || end_ms <= start_ms || interval_ms <= 0) {
        snprintf(err, errlen,
                 "bad span [%" PRId64 ", %" PRId64 ") ms every %" PRId64 " ms",
                 start_ms, end_ms, interval_ms);
        goto out;
    }
    if (infl_quote_ident(field, &id) || infl_quote_string(service_id, &svc)) {
        snprintf(err, errlen, "service id: control bytes");
        goto out;
    }
    /* each container's mean per interval, summed over the containers */
    if (buf_printf(out,
                   "SELECT sum(\"v\") FROM (SELECT mean(%s) AS \"v\" FROM "
                   "\"" INFL_MEASUREMENT
                   "\" WHERE \"service\" = %s AND time >= %" PRId64
                   "ms AND time < %" PRId64 "ms GROUP BY time(%" PRId64
                   "ms), \"container\" fill(none)) WHERE time >= %" PRId64
                   "ms AND time < %" PRId64 "ms GROUP BY time(%" PRId64
                   "ms) fill(none)",
                   id.ptr, svc.ptr, start_ms, end_ms, interval_ms, start_ms,
                   end_ms, interval_ms)) {
        snprintf(err, errlen, "InfluxQL statement too long");
        goto out;
    }
    rc = 0;
out:
    buf_cleanup(&id);
    buf_cleanup(&svc);
    return rc;
}

int infl_demand_parse(const json_t *root, struct infl_sample **out, size_t *n,
                      char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    json_t *results = json_object_get(root, "results");
    json_t *series = json_object_get(json_array_get(results, 0), "series");
    if (!json_is_array(results)) {
        snprintf(err, errlen, "InfluxDB answered without \"results\"");
        return -1;
    }
    json_t *values = json_object_get(json_array_get(series, 0), "values");
    size_t nv = json_array_size(values), k = 0;
    struct infl_sample *v = xcalloc(nv ? nv : 1, sizeof *v);
    for (size_t i = 0; i < nv; i++) {
        json_t *row = json_array_get(values, i);
        json_t *val = json_array_get(row, 1);
        int64_t t;
        if (!json_ms(json_array_get(row, 0), &t) || !json_is_number(val) ||
            !isfinite(json_number_value(val)))
            continue; /* an interval without a number: a gap */
        if (k > 0 && t <= v[k - 1].t_ms) {
            free(v);
            snprintf(err, errlen, "InfluxDB's intervals are out of order");
            return -1;
        }
        v[k].t_ms = t;
        v[k].value = json_number_value(val);
        k++;
    }
    *out = v;
    *n = k;
    return 0;
}

int infl_query_demand(struct infl *c, const char *field, const char *service_id,
                      int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                      struct infl_sample **out, size_t *n, char *err,
                      size_t errlen)
{
    struct buf q;
    json_t *root = NULL;
    int rc = -1;

    *out = NULL;
    *n = 0;
    buf_init(&q, 8192);
    if (infl_demand_statement(field, service_id, start_ms, end_ms, interval_ms,
                              &q, err, errlen))
        goto out;
    const char *stmt = q.ptr;
    if (infl_query_statements(c, &stmt, 1, &root, err, errlen))
        goto out;
    rc = infl_demand_parse(root, out, n, err, errlen);
out:
    json_decref(root);
    buf_cleanup(&q);
    return rc;
}

bool infl_server_clock(const struct infl *c, int64_t *server_ms,
                       int64_t *local_ms)
{
    return http_server_clock(c->http, server_ms, local_ms);
}
