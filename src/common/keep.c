/* The recent points ds keeps for das, and the text form they travel in
 * (keep.h). */
#include "keep.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void kp_init(struct keep *k, int64_t keep_ms, size_t max_bytes)
{
    memset(k, 0, sizeof *k);
    k->keep_ms = keep_ms > 0 ? keep_ms : KP_KEEP_MS_DEFAULT;
    k->max_bytes = max_bytes ? max_bytes : KP_MAX_BYTES_DEFAULT;
}

void kp_free(struct keep *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++)
        free(k->s[i].r);
    free(k->s);
    memset(k, 0, sizeof *k);
}

/* A run of 1..max characters of [0-9a-z] (short ids are hex, swarm ids
 * base 36). */
static bool id_ok(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n == max ||
            !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'z')))
            return false;
    return n > 0;
}

static struct kp_series *series_get(struct keep *k, const char *container,
                                    const char *service)
{
    /* ds adds a round's containers in the same order every round: the
     * series after the last one found is most often the one */
    if (k->hint < k->n && !strcmp(k->s[k->hint].container, container))
        return &k->s[k->hint++];
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->s[i].container, container)) {
            k->hint = i + 1;
            return &k->s[i];
        }
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 16;
        k->s = xrealloc(k->s, k->cap * sizeof *k->s);
    }
    struct kp_series *s = &k->s[k->n++];
    k->hint = k->n;
    memset(s, 0, sizeof *s);
    snprintf(s->container, sizeof s->container, "%s", container);
    snprintf(s->service, sizeof s->service, "%s", service);
    return s;
}

int kp_field_index(const char *name)
{
    for (size_t i = 0; i < stats_nfields && i < KP_FIELDS; i++)
        if (!strcmp(stats_fields[i].name, name))
            return (int)i;
    return -1;
}

bool kp_add(struct keep *k, const char *container, const char *service,
            const struct stats_point *p)
{
    if (!service || !service[0])
        return false;
    if (!container || !id_ok(container, 12) || !id_ok(service, 25)) {
        k->skipped++;
        return false;
    }
    struct kp_series *s = series_get(k, container, service);
    int64_t t = p->time_ns / 1000000;
    if (s->n && s->r[s->n - 1].t >= t)
        return false;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap + s->cap / 2 + 1 : 8;
        s->r = xrealloc(s->r, s->cap * sizeof *s->r);
    }
    struct kp_row *r = &s->r[s->n++];
    r->t = t;
    for (size_t f = 0; f < KP_FIELDS; f++) {
        double v;
        r->v[f] =
            f < stats_nfields && stats_field_value(p, &stats_fields[f], &v)
                ? (float)v
                : NAN;
    }
    k->rows++;
    return true;
}

static void series_drop_front(struct keep *k, struct kp_series *s, size_t m)
{
    if (m > s->n)
        m = s->n;
    memmove(s->r, s->r + m, (s->n - m) * sizeof *s->r);
    s->n -= m;
    k->rows -= m;
}

size_t kp_bytes(const struct keep *k)
{
    return k->rows * sizeof(struct kp_row);
}

void kp_trim(struct keep *k, int64_t now_ms)
{
    int64_t from = now_ms - k->keep_ms;
    size_t w = 0;
    for (size_t i = 0; i < k->n; i++) {
        struct kp_series *s = &k->s[i];
        size_t m = 0;
        while (m < s->n && s->r[m].t < from)
            m++;
        series_drop_front(k, s, m);
        if (s->n == 0) {
            free(s->r);
            continue;
        }
        if (s->cap > 2 * s->n + 8) { /* give back what a long gap left */
            s->cap = s->n;
            s->r = xrealloc(s->r, s->cap * sizeof *s->r);
        }
        k->s[w++] = *s;
    }
    k->n = w;
    if (kp_bytes(k) <= k->max_bytes || k->n == 0)
        return;
    /* over the cap: every series down to an equal share, the longest
     * first (a container that started lately keeps all it has) */
    size_t share = k->max_bytes / sizeof(struct kp_row) / k->n;
    if (share == 0)
        share = 1;
    for (size_t i = 0; i < k->n; i++)
        if (k->s[i].n > share) {
            size_t m = k->s[i].n - share;
            series_drop_front(k, &k->s[i], m);
            k->dropped += m;
        }
}

int kp_fields_mask(const char *list, uint32_t *mask, char *err, size_t errlen)
{
    *mask = 0;
    if (!list || !list[0]) {
        for (size_t f = 0; f < stats_nfields && f < KP_FIELDS; f++)
            *mask |= 1u << f;
        return 0;
    }
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char name[32];
        int idx = -1;
        if (n > 0 && n < sizeof name) {
            memcpy(name, p, n);
            name[n] = '\0';
            idx = kp_field_index(name);
        }
        if (idx < 0) {
            char q[80];
            snprintf(err, errlen,
                     "fields: %s is no metric field; accepted: a comma-"
                     "separated list of cpu_ratio, cpu_limit_ratio, "
                     "mem_usage, mem_limit, mem_ratio, net_read, net_write, "
                     "blk_read, blk_write, net_read_rate, net_write_rate, "
                     "blk_read_rate, blk_write_rate, pids",
                     log_quote_span(p, n, n, q, sizeof q, LOG_QUOTE_VALUE));
            return -1;
        }
        *mask |= 1u << idx;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* A float as das reads it back exactly (9 significant digits). */
static int put_value(struct buf *out, float v)
{
    if (isnan(v))
        return buf_puts(out, " -");
    return buf_printf(out, " %.9g", (double)v);
}

int kp_serve(const struct keep *k, const char *node, int64_t now_ms,
             int64_t since_ms, uint32_t mask, struct buf *out)
{
    int64_t from = now_ms;
    for (size_t i = 0; i < k->n; i++)
        if (k->s[i].n && k->s[i].r[0].t < from)
            from = k->s[i].r[0].t;
    if (buf_printf(out, "ds-points %d now=%lld from=%lld node=%s\nfields",
                   KP_VERSION, (long long)now_ms, (long long)from,
                   node && node[0] ? node : "-"))
        return -1;
    for (size_t f = 0; f < KP_FIELDS; f++)
        if ((mask >> f & 1u) && buf_printf(out, " %s", stats_fields[f].name))
            return -1;
    if (buf_puts(out, "\n"))
        return -1;
    for (size_t i = 0; i < k->n; i++) {
        const struct kp_series *s = &k->s[i];
        size_t j = s->n;
        while (j > 0 && s->r[j - 1].t >= since_ms)
            j--;
        if (j == s->n)
            continue;
        if (buf_printf(out, "c %s %s\n", s->container, s->service))
            return -1;
        for (; j < s->n; j++) {
            if (buf_printf(out, "%lld", (long long)s->r[j].t))
                return -1;
            for (size_t f = 0; f < KP_FIELDS; f++)
                if ((mask >> f & 1u) && put_value(out, s->r[j].v[f]))
                    return -1;
            if (buf_puts(out, "\n"))
                return -1;
        }
    }
    return 0;
}

unsigned kp_answer(const struct keep *k, const char *node, int64_t now_ms,
                   const char *since_arg, const char *fields_arg,
                   struct buf *body)
{
    char err[512];
    uint32_t mask;
    long long since = 0;
    char *end = NULL;
    if (since_arg) {
        errno = 0;
        since = strtoll(since_arg, &end, 10);
    }
    if (since_arg && (errno || end == since_arg || *end)) {
        if (buf_puts(body, "since: expected Unix milliseconds, e.g. "
                           "since=1765000000000\n")) {
        }
        return 400;
    }
    if (kp_fields_mask(fields_arg, &mask, err, sizeof err)) {
        if (buf_printf(body, "%s\n", err)) {
        }
        return 400;
    }
    if (kp_serve(k, node, now_ms, since, mask, body)) {
        buf_reset(body);
        if (buf_printf(body,
                       "reply over %zu MiB: ask for fewer fields or a later "
                       "since\n",
                       body->max >> 20)) {
        }
        return 413;
    }
    return 200;
}

/* ---- reading a reply back (das) ---- */

struct kp_in {
    const char *p, *end;
    size_t lineno;
    const char *line;
    size_t len;
};

static bool next_line(struct kp_in *in)
{
    if (in->p >= in->end)
        return false;
    const char *nl = memchr(in->p, '\n', (size_t)(in->end - in->p));
    in->line = in->p;
    in->len = nl ? (size_t)(nl - in->p) : (size_t)(in->end - in->p);
    in->p = nl ? nl + 1 : in->end;
    in->lineno++;
    return true;
}

static int bad_line(const struct kp_in *in, const char *expected, char *err,
                    size_t errlen)
{
    char q[120];
    snprintf(
        err, errlen, "line %zu %s: expected %s", in->lineno,
        log_quote_span(in->line, in->len, 80, q, sizeof q, LOG_QUOTE_VALUE),
        expected);
    return -1;
}

/* The next space-separated token of [*p, end) into tok (NUL-terminated);
 * false when there is none or it does not fit. */
static bool token(const char **p, const char *end, char *tok, size_t toklen)
{
    const char *s = *p;
    while (s < end && *s == ' ')
        s++;
    const char *e = s;
    while (e < end && *e != ' ')
        e++;
    if (e == s || (size_t)(e - s) >= toklen)
        return false;
    memcpy(tok, s, (size_t)(e - s));
    tok[e - s] = '\0';
    *p = e;
    return true;
}

static bool parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return false;
    *v = x;
    return true;
}

static bool kv_i64(const char *tok, const char *key, int64_t *v)
{
    size_t n = strlen(key);
    return !strncmp(tok, key, n) && tok[n] == '=' && parse_i64(tok + n + 1, v);
}

static int parse_header(struct kp_in *in, struct kp_reply *out, char *err,
                        size_t errlen)
{
    const char *want = "\"ds-points 1 now=MS from=MS node=NODE\" (is this a "
                       "ds agent of this version?)";
    char tok[80];
    int64_t ver;
    if (!next_line(in))
        return snprintf(err, errlen, "empty reply: expected %s", want), -1;
    const char *p = in->line, *end = in->line + in->len;
    if (!token(&p, end, tok, sizeof tok) || strcmp(tok, "ds-points") ||
        !token(&p, end, tok, sizeof tok) || !parse_i64(tok, &ver) ||
        ver != KP_VERSION || !token(&p, end, tok, sizeof tok) ||
        !kv_i64(tok, "now", &out->now_ms) || !token(&p, end, tok, sizeof tok) ||
        !kv_i64(tok, "from", &out->from_ms) ||
        !token(&p, end, tok, sizeof tok) || strncmp(tok, "node=", 5))
        return bad_line(in, want, err, errlen);
    snprintf(out->node, sizeof out->node, "%s", tok + 5);
    return 0;
}

/* The fields line: the column of field (-1 when the reply lacks it) and
 * how many columns a row has. */
static int parse_fields(struct kp_in *in, const char *field, int *col,
                        int *ncol, char *err, size_t errlen)
{
    const char *want = "\"fields NAME ...\"";
    char tok[40];
    if (!next_line(in))
        return snprintf(err, errlen, "reply ends before its fields line"), -1;
    const char *p = in->line, *end = in->line + in->len;
    if (!token(&p, end, tok, sizeof tok) || strcmp(tok, "fields"))
        return bad_line(in, want, err, errlen);
    *col = -1;
    *ncol = 0;
    while (token(&p, end, tok, sizeof tok)) {
        if (kp_field_index(tok) < 0)
            return bad_line(in, "known metric fields", err, errlen);
        if (!strcmp(tok, field))
            *col = *ncol;
        (*ncol)++;
    }
    if (p < end || *ncol > KP_FIELDS)
        return bad_line(in, want, err, errlen);
    if (*col < 0) {
        char q[240];
        snprintf(err, errlen, "the reply has no field %s (its fields line: %s)",
                 field,
                 log_quote_span(in->line, in->len, 200, q, sizeof q,
                                LOG_QUOTE_VALUE));
        return -1;
    }
    return 0;
}

/* A row: "<t> <v> ..."; the value of column col into *v (*have false for
 * `-`). */
static bool parse_row(const char *p, const char *end, int col, int ncol,
                      int64_t *t, double *v, bool *have)
{
    char tok[40];
    if (!token(&p, end, tok, sizeof tok) || !parse_i64(tok, t))
        return false;
    *have = false;
    for (int c = 0; c < ncol; c++) {
        if (!token(&p, end, tok, sizeof tok))
            return false;
        if (c != col)
            continue;
        if (!strcmp(tok, "-"))
            continue;
        char *e;
        errno = 0;
        *v = strtod(tok, &e);
        if (errno || e == tok || *e || !isfinite(*v))
            return false;
        *have = true;
    }
    return p == end;
}

int kp_parse(const char *text, size_t len, const char *field, int64_t shift_ms,
             struct pcache *cache, struct kp_reply *out, char *err,
             size_t errlen)
{
    struct kp_in in = {text, text + len, 0, text, 0};
    memset(out, 0, sizeof *out);
    int col, ncol;
    if (parse_header(&in, out, err, errlen) ||
        parse_fields(&in, field, &col, &ncol, err, errlen))
        return -1;
    char container[16] = "", service[32] = "";
    int64_t last_t = 0;
    while (next_line(&in)) {
        if (in.len == 0)
            continue;
        const char *p = in.line, *end = in.line + in.len;
        if (in.line[0] == 'c' && in.len > 1 && in.line[1] == ' ') {
            p += 2;
            if (!token(&p, end, container, sizeof container) ||
                !token(&p, end, service, sizeof service) || p != end ||
                !id_ok(container, 12) || !id_ok(service, 25))
                return bad_line(&in,
                                "\"c CONTAINER SERVICE\" (a short id and a "
                                "swarm service id)",
                                err, errlen);
            out->containers++;
            last_t = INT64_MIN;
            continue;
        }
        int64_t t;
        double v;
        bool have;
        if (!container[0] || !parse_row(p, end, col, ncol, &t, &v, &have))
            return bad_line(&in,
                            container[0] ? "\"TIME VALUE ...\" with one number "
                                           "or - per field"
                                         : "a \"c CONTAINER SERVICE\" line",
                            err, errlen);
        if (t <= last_t)
            return bad_line(&in, "rows of a container in ascending time", err,
                            errlen);
        last_t = t;
        if (!have)
            continue;
        if (pc_full(cache)) {
            pc_full_text(cache, field, err, errlen);
            return -1;
        }
        if (pc_add(cache, service, container, t - shift_ms, v, true))
            out->points++;
        else
            out->unusable++;
    }
    return 0;
}
