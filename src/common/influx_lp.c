/* InfluxDB line protocol (influx_lp.h): points encoded and escaped, the
 * bounded point buffer and the pure write policy. No I/O: in dascore. */
#include "influx_lp.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmtnum.h"

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

/* Whether a backslash followed by next reads back as itself in every
 * version: not before what InfluxDB 3 takes as escaped (a backslash, ',',
 * ' ', '='; 1.x keeps \\ as two and reads a backslash before an escaped
 * separator differently), not before a control byte written as \n (that
 * would make \\n), and not last (1.x would escape the separator after it;
 * 3.x refuses a token ending in one). */
static bool backslash_kept(enum infl_token kind, unsigned char next)
{
    /* 1.x also unescapes \" in a field key */
    if (next == '"' && kind == INFL_TOK_FIELD_KEY)
        return false;
    return next != '\0' && next != '\\' && next != ',' && next != ' ' &&
           next != '=' && !control_repl(next);
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
        } else if (ch == '\\' && !backslash_kept(kind, next)) {
            /* no spelling every version reads as a backslash here */
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
