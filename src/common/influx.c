#include "influx.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fmtnum.h"
#include "log.h"

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
    unsigned long dropped;
};

struct infl_buffer *infl_buffer_new(size_t capacity)
{
    struct infl_buffer *b = xcalloc(1, sizeof *b);
    b->cap = capacity ? capacity : 1;
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
    if (b->n == b->cap) {
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
    char *where;      /* URL without userinfo, for messages */
    char *write_path; /* /write?db=…&precision=ns */
    char *query_path; /* /query?db=…&epoch=ms */
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

static char *strip_userinfo(const char *url)
{
    const char *scheme = strstr(url, "://");
    if (!scheme)
        return xstrdup(url);
    const char *auth = scheme + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            at = p;
    if (!at)
        return xstrdup(url);
    return xasprintf("%.*s%s", (int)(auth - url), url, at + 1);
}

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
    c->where = strip_userinfo(conf->url ? conf->url : "");
    buf_init(&enc, 4096);
    if (http_urlencode(db, &enc)) {
        snprintf(err, errlen, "InfluxDB database name too long");
        buf_cleanup(&enc);
        infl_free(c);
        return NULL;
    }
    c->write_path = xasprintf("/write?db=%s&precision=ns", enc.ptr);
    c->query_path = xasprintf("/query?db=%s&epoch=ms", enc.ptr);
    buf_cleanup(&enc);
    c->max_bytes = INFL_BATCH_BYTES;
    c->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
             (uint64_t)(uintptr_t)c;
    if (c->rng == 0)
        c->rng = 0x9e3779b97f4a7c15u;
    buf_init(&c->body, (size_t)-1 / 2);
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
            abort(); /* the cap is half the address space */
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
    if (!svc || !svc[0] || !ctr)
        return false;
    size_t clen = strlen(ctr);
    /* A full container id (64 hex, as other collectors write it) is the
     * short id ds writes and Docker shows: its first 12 characters. */
    if (clen >= sizeof a->container && clen <= 64 &&
        strspn(ctr, "0123456789abcdef") == clen)
        clen = 12;
    if (strlen(svc) >= sizeof a->service || clen >= sizeof a->container)
        return false;
    memset(a->service, 0, sizeof a->service);
    memset(a->container, 0, sizeof a->container);
    memcpy(a->service, svc, strlen(svc));
    memcpy(a->container, ctr, clen);
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

int infl_windows_parse_count(const json_t *root, struct infl_agg **out,
                             size_t *n, unsigned long *unusable, char *err,
                             size_t errlen)
{
    json_t *results = json_object_get(root, "results");
    unsigned long dropped = 0;
    struct infl_agg *v = NULL, *bad = NULL;
    size_t nv = 0, cap = 0, nbad = 0, capbad = 0;
    unsigned char *seen = NULL; /* bit 1: first, bit 2: last */

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
    json_t *series = json_object_get(json_array_get(results, 0), "series");
    for (size_t i = 0; i < json_array_size(series); i++) {
        json_t *s = json_array_get(series, i);
        struct infl_agg a;
        json_t *mean = series_value(s, "mean");
        json_t *count = series_value(s, "count");
        int64_t cnt;
        if (!series_key(s, &a)) {
            dropped++;
            add_bad(series_service(s), NULL, WIN_BAD_KEY, &bad, &nbad, &capbad);
            continue;
        }
        if (!json_is_number(mean) || !json_ms(count, &cnt) || cnt <= 0 ||
            cnt > LONG_MAX || !isfinite(json_number_value(mean))) {
            dropped++;
            add_bad(a.service, a.container, WIN_BAD_VALUE, &bad, &nbad,
                    &capbad);
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
        if (nv == cap) {
            cap = cap ? cap * 2 : 16;
            v = xrealloc(v, cap * sizeof *v);
        }
        v[nv++] = a;
    }
    if (nv == 0)
        goto done;
    qsort(v, nv, sizeof *v, cmp_agg);
    seen = xcalloc(nv, 1);
    for (int st = 1; st <= 2; st++) {
        const char *col = st == 1 ? "first" : "last";
        series = json_object_get(json_array_get(results, (size_t)st), "series");
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
    /* Without both point times a window's coverage can't be judged: leave
     * the container out rather than guess. Duplicate keys: keep one. */
    size_t w = 0;
    for (size_t i = 0; i < nv; i++) {
        if (seen[i] != 3) {
            dropped++;
            add_bad(v[i].service, v[i].container, WIN_BAD_TIMES, &bad, &nbad,
                    &capbad);
            continue;
        }
        if (w > 0 && cmp_agg(&v[w - 1], &v[i]) == 0)
            continue;
        v[w++] = v[i];
    }
    free(seen);
    nv = w;
done:
    if (unusable)
        *unusable += dropped;
    /* the unusable series' rows go after the usable ones */
    if (nbad) {
        v = xrealloc(v, (nv + nbad) * sizeof *v);
        memcpy(v + nv, bad, nbad * sizeof *bad);
        nv += nbad;
    }
    free(bad);
    if (nv == 0) {
        free(v);
        return 0;
    }
    *out = v;
    *n = nv;
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
