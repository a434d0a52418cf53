/* Prometheus as das's metrics store (prom.h): PromQL range selectors per
 * window, replies summed into the same aggregates as InfluxDB's. */
#include "prom.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "qwin.h"

/* ---- vocabularies ---- */

static const struct prom_map ds_maps[] = {
    {"cpu_ratio", "ds_container_cpu_usage_ratio", false, 100.0, NULL, NULL,
     NULL},
    {"cpu_limit_ratio", "ds_container_cpu_limit_usage_ratio", false, 100.0,
     NULL, NULL, NULL},
    {"mem_usage", "ds_container_memory_usage_bytes", false, 1.0, NULL, NULL,
     NULL},
    {"mem_limit", "ds_container_memory_limit_bytes", false, 1.0, NULL, NULL,
     NULL},
    {"mem_ratio", "ds_container_memory_usage_ratio", false, 100.0, NULL, NULL,
     NULL},
    {"net_read", "ds_container_network_receive_bytes_total", false, 1.0, NULL,
     NULL, NULL},
    {"net_write", "ds_container_network_transmit_bytes_total", false, 1.0, NULL,
     NULL, NULL},
    {"blk_read", "ds_container_blkio_read_bytes_total", false, 1.0, NULL, NULL,
     NULL},
    {"blk_write", "ds_container_blkio_write_bytes_total", false, 1.0, NULL,
     NULL, NULL},
    {"net_read_rate", "ds_container_network_receive_bytes_total", true, 1.0,
     NULL, NULL, NULL},
    {"net_write_rate", "ds_container_network_transmit_bytes_total", true, 1.0,
     NULL, NULL, NULL},
    {"blk_read_rate", "ds_container_blkio_read_bytes_total", true, 1.0, NULL,
     NULL, NULL},
    {"blk_write_rate", "ds_container_blkio_write_bytes_total", true, 1.0, NULL,
     NULL, NULL},
    {"pids", "ds_container_pids", false, 1.0, NULL, NULL, NULL},
};

static const struct prom_map cadvisor_maps[] = {
    {"cpu_ratio", "container_cpu_usage_seconds_total", true, 100.0, NULL, NULL,
     NULL},
    {"cpu_limit_ratio", "container_cpu_usage_seconds_total", true, 100.0,
     "container_spec_cpu_quota", "container_spec_cpu_period", NULL},
    {"mem_usage", "container_memory_working_set_bytes", false, 1.0, NULL, NULL,
     NULL},
    {"mem_limit", "container_spec_memory_limit_bytes", false, 1.0, NULL, NULL,
     NULL},
    {"mem_ratio", "container_memory_working_set_bytes", false, 100.0,
     "container_spec_memory_limit_bytes", NULL, NULL},
    {"net_read", "container_network_receive_bytes_total", false, 1.0, NULL,
     NULL, NULL},
    {"net_write", "container_network_transmit_bytes_total", false, 1.0, NULL,
     NULL, NULL},
    {"blk_read", "container_fs_reads_bytes_total", false, 1.0, NULL, NULL,
     NULL},
    {"blk_write", "container_fs_writes_bytes_total", false, 1.0, NULL, NULL,
     NULL},
    {"net_read_rate", "container_network_receive_bytes_total", true, 1.0, NULL,
     NULL, NULL},
    {"net_write_rate", "container_network_transmit_bytes_total", true, 1.0,
     NULL, NULL, NULL},
    {"blk_read_rate", "container_fs_reads_bytes_total", true, 1.0, NULL, NULL,
     NULL},
    {"blk_write_rate", "container_fs_writes_bytes_total", true, 1.0, NULL, NULL,
     NULL},
    {"pids", NULL, false, 1.0, NULL, NULL,
     "cAdvisor counts processes only with its optional process metrics "
     "(container_processes), which das does not map"},
};

int prom_names_parse(const char *s)
{
    if (s && !strcmp(s, "ds"))
        return PROM_NAMES_DS;
    if (s && !strcmp(s, "cadvisor"))
        return PROM_NAMES_CADVISOR;
    return -1;
}

const char *prom_names_name(enum prom_names names)
{
    return names == PROM_NAMES_CADVISOR ? "cadvisor" : "ds";
}

const struct prom_map *prom_map_find(enum prom_names names, const char *field)
{
    const struct prom_map *v =
        names == PROM_NAMES_CADVISOR ? cadvisor_maps : ds_maps;
    size_t n = names == PROM_NAMES_CADVISOR
                   ? sizeof cadvisor_maps / sizeof cadvisor_maps[0]
                   : sizeof ds_maps / sizeof ds_maps[0];
    for (size_t i = 0; field && i < n; i++)
        if (!strcmp(v[i].field, field))
            return &v[i];
    return NULL;
}

const char *prom_service_label(enum prom_names names)
{
    return names == PROM_NAMES_CADVISOR
               ? "container_label_com_docker_swarm_service_id"
               : "service";
}

static const char *container_label(enum prom_names names)
{
    return names == PROM_NAMES_CADVISOR ? "id" : "container";
}

/* ---- PromQL ---- */

int prom_quote(const char *s, struct buf *out)
{
    if (buf_puts(out, "\""))
        return -1;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        int r;
        if (ch == '\\')
            r = buf_puts(out, "\\\\");
        else if (ch == '"')
            r = buf_puts(out, "\\\"");
        else if (ch == '\n')
            r = buf_puts(out, "\\n");
        else if (ch == '\r')
            r = buf_puts(out, "\\r");
        else if (ch == '\t')
            r = buf_puts(out, "\\t");
        else if (ch < 0x20 || ch == 0x7f)
            return -1;
        else
            r = buf_append(out, s, 1);
        if (r)
            return -1;
    }
    return buf_puts(out, "\"");
}

static bool name_ok(const char *s, bool colon)
{
    if (!s || !*s)
        return false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     c == '_' || (colon && c == ':');
        if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return strlen(s) <= 200;
}

int prom_selector(const char *metric, const struct prom_matcher *m, size_t nm,
                  int64_t range_ms, struct buf *out, char *err, size_t errlen)
{
    if (!name_ok(metric, true)) {
        snprintf(err, errlen,
                 "metric name \"%.64s\" is not [a-zA-Z_:][a-zA-Z0-9_:]*",
                 metric ? metric : "");
        return -1;
    }
    if (buf_printf(out, "%s{", metric))
        goto full;
    for (size_t i = 0; i < nm; i++) {
        const char *op = m[i].op;
        if (!name_ok(m[i].name, false)) {
            snprintf(err, errlen,
                     "label name \"%.64s\" is not [a-zA-Z_][a-zA-Z0-9_]*",
                     m[i].name ? m[i].name : "");
            return -1;
        }
        if (!op || (strcmp(op, "=") && strcmp(op, "!=") && strcmp(op, "=~") &&
                    strcmp(op, "!~"))) {
            snprintf(err, errlen,
                     "label matcher operator \"%.8s\" is not =, !=, =~ or !~",
                     op ? op : "");
            return -1;
        }
        if (buf_printf(out, "%s%s%s", i ? "," : "", m[i].name, op))
            goto full;
        if (prom_quote(m[i].value ? m[i].value : "", out)) {
            snprintf(err, errlen,
                     "label value for %s has a control byte or is too long",
                     m[i].name);
            return -1;
        }
    }
    if (buf_puts(out, "}"))
        goto full;
    if (range_ms > 0 && buf_printf(out, "[%" PRId64 "ms]", range_ms))
        goto full;
    return 0;
full:
    snprintf(err, errlen, "PromQL query too long");
    return -1;
}

bool prom_cgroup_container(const char *id, char out[16])
{
    const char *best = NULL;
    for (const char *p = id; p && *p;) {
        size_t run = strspn(p, "0123456789abcdef");
        if (run == 64)
            best = p;
        p += run ? run : 1;
    }
    if (!best)
        return false;
    memcpy(out, best, 12);
    out[12] = '\0';
    return true;
}

/* ---- replies ---- */

void prom_too_big_text(size_t cap, char *err, size_t errlen)
{
    snprintf(err, errlen,
             "the reply is over %zu MiB: das parses a Prometheus reply whole "
             "(about 12 times its size in memory) and refuses more to stay "
             "within its memory, so this field's policies get no decision; "
             "a window of some 5,000 containers' samples fits in 8 MiB "
             "(10-minute windows of 10 s points): for more, raise "
             "--prometheus-max-reply with das's memory limit, shorten the "
             "windows, or read them from InfluxDB or the ds agents",
             cap >> 20);
}

void prom_series_free(struct prom_series *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        free(s[i].t_ms);
        free(s[i].v);
    }
    free(s);
}

/* Series key from a result's "metric" object; false when unusable. */
static bool series_key(enum prom_names names, json_t *metric,
                       struct prom_series *s)
{
    const char *svc =
        json_string_value(json_object_get(metric, prom_service_label(names)));
    const char *ctr =
        json_string_value(json_object_get(metric, container_label(names)));
    if (!svc || !svc[0] || !ctr || strlen(svc) >= sizeof s->service)
        return false;
    memset(s->service, 0, sizeof s->service);
    memcpy(s->service, svc, strlen(svc));
    const char *job = json_string_value(json_object_get(metric, "job"));
    const char *inst = json_string_value(json_object_get(metric, "instance"));
    snprintf(s->source, sizeof s->source, "%.60s/%.60s", job ? job : "?",
             inst ? inst : "?");
    memset(s->container, 0, sizeof s->container);
    /* the parts of one container that cAdvisor reports apart */
    static const char *const parts[] = {"cpu", "interface", "device"};
    size_t pl = 0;
    memset(s->part, 0, sizeof s->part);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const char *pv = json_string_value(json_object_get(metric, parts[i]));
        if (!pv)
            continue;
        int w =
            snprintf(s->part + pl, sizeof s->part - pl, "%s=%s;", parts[i], pv);
        if (w < 0 || (size_t)w >= sizeof s->part - pl)
            return false; /* too long to tell apart */
        pl += (size_t)w;
    }
    if (names == PROM_NAMES_CADVISOR)
        return prom_cgroup_container(ctr, s->container);
    size_t clen = strlen(ctr);
    if (clen > 12 && clen <= 64 && strspn(ctr, "0123456789abcdef") == clen)
        clen = 12;
    if (clen == 0 || clen >= sizeof s->container)
        return false;
    memcpy(s->container, ctr, clen);
    return true;
}

/* A [time, "value"] pair; false when malformed. *v may be non-finite. */
static bool sample_parse(json_t *pair, int64_t *t_ms, double *v)
{
    json_t *t = json_array_get(pair, 0);
    const char *s = json_string_value(json_array_get(pair, 1));
    if (!json_is_array(pair) || json_array_size(pair) != 2 ||
        !json_is_number(t) || !s)
        return false;
    double sec = json_number_value(t);
    if (!(sec >= 0 && sec < 9.2e15))
        return false;
    *t_ms = (int64_t)llround(sec * 1000.0);
    char *end;
    *v = strtod(s, &end);
    return end != s && *end == '\0';
}

static int cmp_series(const void *x, const void *y)
{
    const struct prom_series *a = x, *b = y;
    int c = strcmp(a->service, b->service);
    return c ? c : strcmp(a->container, b->container);
}

static int cmp_series_part(const void *x, const void *y)
{
    const struct prom_series *a = x, *b = y;
    int c = cmp_series(a, b);
    return c ? c : strcmp(a->part, b->part);
}

static int64_t last_ms(const struct prom_series *s)
{
    return s->n ? s->t_ms[s->n - 1] : INT64_MIN;
}

/* a += b at the times both have; a keeps only those times. */
static void series_sum_into(struct prom_series *a, const struct prom_series *b)
{
    size_t i = 0, j = 0, w = 0;
    while (i < a->n && j < b->n) {
        if (a->t_ms[i] < b->t_ms[j]) {
            i++;
        } else if (a->t_ms[i] > b->t_ms[j]) {
            j++;
        } else {
            a->t_ms[w] = a->t_ms[i];
            a->v[w++] = a->v[i++] + b->v[j++];
        }
    }
    a->n = w;
}

/* Loads a reply and checks its envelope: status "success", a matrix.
 * On success *root holds the document (the caller frees it) and *result
 * its data.result array; on failure err says why and nothing is held. */
static int matrix_load(long status, const char *body, size_t len, json_t **root,
                       json_t **result, char *err, size_t errlen)
{
    json_error_t jerr;
    char msg[300];

    *root = NULL;
    *result = NULL;
    json_t *doc = json_loadb(body ? body : "", len, 0, &jerr);
    if (!json_is_object(doc)) {
        log_copy_oneline(msg, sizeof msg, body ? body : "",
                         len > 200 ? 200 : len);
        if (status != 200)
            snprintf(err, errlen, "HTTP %ld: %s", status, msg);
        else
            snprintf(err, errlen,
                     "reply is not a JSON object (%s at line %d column %d)",
                     jerr.text, jerr.line, jerr.column);
        json_decref(doc);
        return -1;
    }
    const char *st = json_string_value(json_object_get(doc, "status"));
    if (!st || strcmp(st, "success")) {
        const char *et = json_string_value(json_object_get(doc, "errorType"));
        const char *e = json_string_value(json_object_get(doc, "error"));
        log_copy_oneline(msg, sizeof msg, e ? e : "no error message",
                         e ? strlen(e) : 16);
        snprintf(err, errlen, "HTTP %ld, status \"%.16s\": %s%s%s", status,
                 st ? st : "(none)", et ? et : "", et ? ": " : "", msg);
        json_decref(doc);
        return -1;
    }
    json_t *data = json_object_get(doc, "data");
    const char *rt = json_string_value(json_object_get(data, "resultType"));
    json_t *res = json_object_get(data, "result");
    if (!rt || strcmp(rt, "matrix") || !json_is_array(res)) {
        snprintf(err, errlen,
                 "expected data.resultType \"matrix\" with a data.result "
                 "array, got \"%.16s\"",
                 rt ? rt : "(none)");
        json_decref(doc);
        return -1;
    }
    *root = doc;
    *result = res;
    return 0;
}

/* A result das can't use (its key, its values, its samples: `bad`) is
 * still kept, empty, when its service can be told: that policy then says
 * its data was present but unusable, and why. True when *s was filled
 * so. */
static bool series_unusable(enum prom_names names, json_t *r, int bad,
                            struct prom_series *s)
{
    const char *svc = json_string_value(json_object_get(
        json_object_get(r, "metric"), prom_service_label(names)));
    if (!svc || !svc[0] || strlen(svc) >= sizeof s->service)
        return false;
    memset(s, 0, sizeof *s);
    memcpy(s->service, svc, strlen(svc));
    s->bad = (unsigned char)bad;
    return true;
}

/* Fills s's samples from a "values" array, skipping non-finite values;
 * false when a pair is malformed or out of time order. s owns t_ms and v
 * either way. */
static bool series_values(json_t *vals, struct prom_series *s)
{
    size_t k = json_array_size(vals);
    s->t_ms = xcalloc(k ? k : 1, sizeof *s->t_ms);
    s->v = xcalloc(k ? k : 1, sizeof *s->v);
    for (size_t j = 0; j < k; j++) {
        int64_t t;
        double x;
        if (!sample_parse(json_array_get(vals, j), &t, &x))
            return false;
        if (!isfinite(x))
            continue;
        /* Prometheus sends samples in time order; a reply that does
         * not is not trusted */
        if (s->n > 0 && t <= s->t_ms[s->n - 1])
            return false;
        s->t_ms[s->n] = t;
        s->v[s->n++] = x;
    }
    return true;
}

/* One series per result in v (room for every result). A result das
 * cannot use — no container key, no values array, or values that are not
 * time-ordered [seconds, "value"] pairs — is counted in *dropped and kept
 * as an empty series of its service marked `bad` (when it names one), so
 * that service's policy says why, and every other series is still used. */
static void matrix_series(enum prom_names names, json_t *result,
                          struct prom_series *v, size_t *nv,
                          unsigned long *dropped)
{
    for (size_t i = 0; i < json_array_size(result); i++) {
        json_t *r = json_array_get(result, i);
        json_t *vals = json_object_get(r, "values");
        struct prom_series s;
        int bad = WIN_OK;
        memset(&s, 0, sizeof s);
        if (!json_is_object(r) || !json_is_array(vals))
            bad = WIN_BAD_VALUE;
        else if (!series_key(names, json_object_get(r, "metric"), &s))
            bad = WIN_BAD_KEY;
        else if (!series_values(vals, &s)) {
            free(s.t_ms);
            free(s.v);
            bad = WIN_BAD_SAMPLES;
        }
        if (bad == WIN_OK) {
            v[(*nv)++] = s;
            continue;
        }
        (*dropped)++;
        if (series_unusable(names, r, bad, &s))
            v[(*nv)++] = s;
    }
}

/* Whether two series' samples overlap in time: two sources at once. */
static bool series_overlap(const struct prom_series *a,
                           const struct prom_series *b)
{
    if (a->n == 0 || b->n == 0)
        return false;
    int64_t from = a->t_ms[0] > b->t_ms[0] ? a->t_ms[0] : b->t_ms[0];
    int64_t to = last_ms(a) < last_ms(b) ? last_ms(a) : last_ms(b);
    return from <= to;
}

/* Makes s the empty series of an ambiguous container (WIN_BAD_DUPLICATE),
 * naming the other target too (once). */
static void series_ambiguous(struct prom_series *s,
                             const struct prom_series *other)
{
    if (s->bad != WIN_BAD_DUPLICATE) {
        char both[sizeof s->source];
        snprintf(both, sizeof both, "%.63s and %.60s", s->source,
                 other->bad == WIN_BAD_DUPLICATE ? "more" : other->source);
        memcpy(s->source, both, sizeof both);
    }
    free(s->t_ms);
    free(s->v);
    s->t_ms = NULL;
    s->v = NULL;
    s->n = 0;
    s->bad = WIN_BAD_DUPLICATE;
}

static void series_drop(struct prom_series *s)
{
    free(s->t_ms);
    free(s->v);
}

/* The same part of one container from two targets: kept (a replaced by b
 * when b is later and they do not overlap), or the container ambiguous
 * when they overlap (one more unusable series in *dropped). */
static void series_same_part(struct prom_series *keep, struct prom_series *b,
                             unsigned long *dropped)
{
    if (keep->bad == WIN_BAD_DUPLICATE) {
        series_drop(b); /* a third target: ambiguous already */
        return;
    }
    if (series_overlap(keep, b)) {
        series_ambiguous(keep, b);
        series_drop(b);
        (*dropped)++;
        return;
    }
    if (last_ms(b) > last_ms(keep)) {
        struct prom_series t = *keep;
        *keep = *b;
        *b = t;
    }
    series_drop(b);
}

/* Sorts v and leaves one series per container, in place; returns the
 * count left. The same part twice: series_same_part. Several parts (per
 * CPU, interface, device) are summed at the times they share; one part
 * ambiguous makes the container so. */
static size_t series_merge(struct prom_series *v, size_t nv,
                           unsigned long *dropped)
{
    if (nv > 1)
        qsort(v, nv, sizeof *v, cmp_series_part);
    size_t w = 0;
    for (size_t i = 0; i < nv; i++) {
        if (w > 0 && !v[i].bad &&
            (!v[w - 1].bad || v[w - 1].bad == WIN_BAD_DUPLICATE) &&
            !cmp_series_part(&v[w - 1], &v[i])) {
            series_same_part(&v[w - 1], &v[i], dropped);
            continue;
        }
        v[w++] = v[i];
    }
    nv = w;
    w = 0;
    for (size_t i = 0; i < nv; i++) {
        struct prom_series *a = w > 0 ? &v[w - 1] : NULL;
        bool dup =
            a && (a->bad == WIN_BAD_DUPLICATE || v[i].bad == WIN_BAD_DUPLICATE);
        if (a && (dup || (!v[i].bad && !a->bad)) && !cmp_series(a, &v[i])) {
            if (!dup)
                series_sum_into(a, &v[i]);
            else if (a->bad != WIN_BAD_DUPLICATE) {
                struct prom_series t = *a; /* the ambiguous part's row */
                /* (memcpy, not "*a = v[i]": clang's analyzer loses that
                 * assignment and reports a double free at the next part) */
                memcpy(a, &v[i], sizeof *a);
                v[i] = t;
            }
            series_drop(&v[i]);
            continue;
        }
        v[w++] = v[i];
    }
    return w;
}

int prom_matrix_parse(enum prom_names names, long status, const char *body,
                      size_t len, struct prom_series **out, size_t *n,
                      unsigned long *unusable, char *err, size_t errlen)
{
    json_t *root, *result;
    size_t nv = 0;
    unsigned long dropped = 0;

    *out = NULL;
    *n = 0;
    if (matrix_load(status, body, len, &root, &result, err, errlen))
        return -1;
    size_t nr = json_array_size(result);
    struct prom_series *v = xcalloc(nr ? nr : 1, sizeof *v);
    matrix_series(names, result, v, &nv, &dropped);
    json_decref(root);
    size_t w = series_merge(v, nv, &dropped);
    if (unusable)
        *unusable += dropped;
    if (w == 0) {
        free(v);
        return 0;
    }
    *out = v;
    *n = w;
    return 0;
}

/* ---- aggregates ---- */

static const struct prom_series *find_series(const struct prom_series *v,
                                             size_t n,
                                             const struct prom_series *key)
{
    return n ? bsearch(key, v, n, sizeof *v, cmp_series) : NULL;
}

/* The latest sample's value of key's container in v; NAN when none. */
static double latest(const struct prom_series *v, size_t n,
                     const struct prom_series *key)
{
    const struct prom_series *s = find_series(v, n, key);
    return s && s->n ? s->v[s->n - 1] : NAN;
}

/* What one container's samples are multiplied by: the map's scale, over
 * its latest limit for a ratio; NaN when it has no usable limit (0, or
 * cAdvisor's -1 quota: no ratio, as ds writes no cpu_limit_ratio for a
 * container without one). */
static double series_factor(const struct prom_map *map,
                            const struct prom_series *s,
                            const struct prom_series *den, size_t nden,
                            const struct prom_series *den2, size_t nden2)
{
    double factor = map->scale;
    if (map->den) {
        double d = latest(den, nden, s);
        if (map->den2) {
            double d2 = latest(den2, nden2, s);
            d = d2 > 0 ? d / d2 : NAN;
        }
        if (!(d > 0) || !isfinite(d))
            return NAN;
        factor /= d;
    }
    return factor;
}

/* Sample j of s as das counts it (a rate: the per-second increase from
 * sample j - 1, j >= 1), times factor; false when there is none (outside
 * [start_ms, end_ms), a counter reset, not finite). */
static bool sample_at(const struct prom_map *map, const struct prom_series *s,
                      size_t j, double factor, int64_t start_ms, int64_t end_ms,
                      double *x)
{
    int64_t t = s->t_ms[j];
    if (t < start_ms || t >= end_ms)
        return false;
    double v = s->v[j];
    if (map->rate) {
        int64_t dt = t - s->t_ms[j - 1];
        double dv = s->v[j] - s->v[j - 1];
        if (dt <= 0 || dv < 0) /* a counter reset */
            return false;
        v = dv * 1000.0 / (double)dt;
    }
    v *= factor;
    if (!isfinite(v))
        return false;
    *x = v;
    return true;
}

void prom_windows_build(const struct prom_map *map,
                        const struct prom_series *num, size_t nnum,
                        const struct prom_series *den, size_t nden,
                        const struct prom_series *den2, size_t nden2,
                        int64_t start_ms, int64_t end_ms, struct win_agg **out,
                        size_t *n, unsigned long *unusable)
{
    struct win_agg *v = xcalloc(nnum ? nnum : 1, sizeof *v);
    size_t nv = 0;
    unsigned long dropped = 0;
    for (size_t i = 0; i < nnum; i++) {
        const struct prom_series *s = &num[i];
        struct win_agg a;
        memset(&a, 0, sizeof a);
        memcpy(a.service, s->service, sizeof a.service);
        memcpy(a.container, s->container, sizeof a.container);
        /* an unusable series stays a row (count 0), so its policy can say
         * so (metrics.h) */
        double factor =
            s->bad ? NAN : series_factor(map, s, den, nden, den2, nden2);
        if (isnan(factor)) {
            dropped += !s->bad; /* counted by the parser already */
            a.bad = s->bad ? s->bad : WIN_BAD_LIMIT;
            v[nv++] = a;
            continue;
        }
        double sum = 0;
        for (size_t j = map->rate ? 1 : 0; j < s->n; j++) {
            double x;
            if (!sample_at(map, s, j, factor, start_ms, end_ms, &x))
                continue;
            int64_t t = s->t_ms[j];
            if (a.count == 0) {
                a.first_ms = t;
                a.max = x;
            }
            if (x > a.max)
                a.max = x;
            a.last_ms = t;
            a.last = x;
            sum += x;
            a.count++;
        }
        if (a.count == 0)
            continue; /* no point in the window: like InfluxDB, no row */
        a.mean = sum / (double)a.count;
        if (a.max < a.mean)
            a.max = a.mean;
        v[nv++] = a;
    }
    if (unusable)
        *unusable += dropped;
    if (nv == 0) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = nv;
}

/* ---- client ---- */

#define PROM_MAX_QUERY 4096

struct prom {
    struct http *http;
    char *where;
    enum prom_names names;
    int64_t lookback_ms;
    unsigned long queries, unusable;
    struct complaint ambiguous; /* containers two targets expose */
    char ambiguous_metric[64];  /* the metric it was seen in */
};

struct prom *prom_new(const struct http_conf *conf, enum prom_names names,
                      int64_t lookback_ms, char *err, size_t errlen)
{
    struct http *h = http_new(conf, err, errlen);
    if (!h)
        return NULL;
    struct prom *c = xcalloc(1, sizeof *c);
    c->http = h;
    c->where = xstrdup(http_base(h));
    c->names = names;
    c->lookback_ms = lookback_ms > 0 ? lookback_ms : 0;
    return c;
}

void prom_free(struct prom *c)
{
    if (!c)
        return;
    http_free(c->http);
    free(c->where);
    free(c);
}

const char *prom_where(const struct prom *c)
{
    return c->where;
}

unsigned long prom_query_count(const struct prom *c)
{
    return c->queries;
}

/* Containers two targets expose at once, in a reply of metric: the first
 * named (with both targets) when they are first seen and when the first
 * changes; said gone when a reply of that metric has none. */
static void say_ambiguous(struct prom *c, const char *metric,
                          const struct prom_series *s, size_t n)
{
    const struct prom_series *first = NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i].bad == WIN_BAD_DUPLICATE && k++ == 0)
            first = &s[i];
    if (!first) {
        if (!strcmp(c->ambiguous_metric, metric) &&
            complain_release(&c->ambiguous))
            log_info("no container exposed by two Prometheus targets any "
                     "more",
                     "metric=%s", metric);
        return;
    }
    char text[256], q1[160], q2[80], q3[300];
    snprintf(text, sizeof text, "%s %s %s", first->service, first->container,
             first->source);
    snprintf(c->ambiguous_metric, sizeof c->ambiguous_metric, "%s", metric);
    if (complain(&c->ambiguous, text))
        log_warn("two Prometheus targets expose the same container at once: "
                 "neither is used (which one is real cannot be told)",
                 "metric=%s containers=%zu service=%s container=%s "
                 "targets=%s",
                 metric, k, log_quote(first->service, q1, sizeof q1),
                 log_quote(first->container, q2, sizeof q2),
                 log_quote(first->source, q3, sizeof q3));
}

/* One instant query of metric's samples over range_ms before end_ms, of
 * every service (service NULL) or of one. */
static int query_series(struct prom *c, const char *metric, const char *service,
                        int64_t end_ms, int64_t range_ms,
                        struct prom_series **out, size_t *n, char *err,
                        size_t errlen)
{
    struct buf q, form;
    struct http_resp resp;
    char e[400];
    int rc = -1;
    struct prom_matcher m = {prom_service_label(c->names),
                             service ? "=" : "!=", service ? service : ""};

    buf_init(&q, PROM_MAX_QUERY);
    buf_init(&form, 3 * PROM_MAX_QUERY);
    http_resp_init(&resp);
    if (prom_selector(metric, &m, 1, range_ms, &q, e, sizeof e)) {
        snprintf(err, errlen, "Prometheus query: %s", e);
        goto out;
    }
    if (buf_puts(&form, "query=") || http_urlencode(q.ptr, &form) ||
        buf_printf(&form, "&time=%" PRId64 ".%03" PRId64, end_ms / 1000,
                   end_ms % 1000)) {
        snprintf(err, errlen, "Prometheus query too long");
        goto out;
    }
    c->queries++;
    log_debug("prometheus query", "query=%s", q.ptr);
    if (http_request(c->http, "POST", "/api/v1/query",
                     "application/x-www-form-urlencoded", form.ptr, form.len,
                     &resp, e, sizeof e)) {
        if (resp.toobig)
            prom_too_big_text(resp.body.max, e, sizeof e);
        snprintf(err, errlen, "Prometheus at %s: %s", c->where, e);
        goto out;
    }
    if (prom_matrix_parse(c->names, resp.status, resp.body.ptr, resp.body.len,
                          out, n, &c->unusable, e, sizeof e)) {
        snprintf(err, errlen, "Prometheus at %s, query %.200s: %s", c->where,
                 q.ptr, e);
        goto out;
    }
    say_ambiguous(c, metric, *out, *n);
    rc = 0;
out:
    buf_cleanup(&q);
    buf_cleanup(&form);
    http_resp_cleanup(&resp);
    return rc;
}

int prom_value_parse(long status, const char *body, size_t len,
                     struct qwin_sample **out, size_t *n, char *err,
                     size_t errlen)
{
    json_t *root, *result;
    *out = NULL;
    *n = 0;
    if (matrix_load(status, body, len, &root, &result, err, errlen))
        return -1;
    int rc = -1;
    size_t ns = json_array_size(result);
    json_t *vals = json_object_get(json_array_get(result, 0), "values");
    size_t k = json_array_size(vals);
    if (ns == 0) {
        snprintf(err, errlen, "no series: the query matched nothing");
        goto out;
    }
    if (ns > 1) {
        snprintf(err, errlen,
                 "%zu series where one was expected: aggregate them, e.g. "
                 "sum(...) or max(...)",
                 ns);
        goto out;
    }
    if (!json_is_array(vals)) {
        snprintf(err, errlen, "the series has no values array");
        goto out;
    }
    if (k > QWIN_SAMPLES_MAX) {
        snprintf(err, errlen, "%zu samples, more than %d", k, QWIN_SAMPLES_MAX);
        goto out;
    }
    struct qwin_sample *v = xcalloc(k ? k : 1, sizeof *v);
    for (size_t j = 0; j < k; j++) {
        if (!sample_parse(json_array_get(vals, j), &v[j].t_ms, &v[j].v) ||
            (j > 0 && v[j].t_ms <= v[j - 1].t_ms)) {
            snprintf(err, errlen,
                     "sample %zu is not a [seconds, \"value\"] pair in "
                     "time order",
                     j + 1);
            free(v);
            goto out;
        }
    }
    *out = v;
    *n = k;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

int prom_query_value(struct prom *c, const char *query, int64_t start_ms,
                     int64_t end_ms, int64_t step_ms, struct qwin_sample **out,
                     size_t *n, char *err, size_t errlen)
{
    struct buf form;
    struct http_resp resp;
    char e[400];
    int rc = -1;
    buf_init(&form, 3 * PROM_MAX_QUERY + 256);
    http_resp_init(&resp);
    if (buf_puts(&form, "query=") || http_urlencode(query, &form) ||
        buf_printf(&form,
                   "&start=%" PRId64 ".%03" PRId64 "&end=%" PRId64 ".%03" PRId64
                   "&step=%" PRId64 ".%03" PRId64,
                   start_ms / 1000, start_ms % 1000, end_ms / 1000,
                   end_ms % 1000, step_ms / 1000, step_ms % 1000)) {
        snprintf(err, errlen, "Prometheus query too long");
        goto out;
    }
    c->queries++;
    log_debug("prometheus query_range", "query=%s", query);
    if (http_request(c->http, "POST", "/api/v1/query_range",
                     "application/x-www-form-urlencoded", form.ptr, form.len,
                     &resp, e, sizeof e)) {
        snprintf(err, errlen, "Prometheus at %s: %s", c->where, e);
        goto out;
    }
    if (prom_value_parse(resp.status, resp.body.ptr, resp.body.len, out, n, e,
                         sizeof e)) {
        snprintf(err, errlen, "Prometheus at %s, query %.200s: %s", c->where,
                 query, e);
        goto out;
    }
    rc = 0;
out:
    buf_cleanup(&form);
    http_resp_cleanup(&resp);
    return rc;
}

/* The samples a map needs over [start_ms, end_ms), of every service
 * (service NULL) or one: the metric's (from one interval earlier for a
 * rate) and its limits'. */
struct fetched {
    const struct prom_map *map;
    struct prom_series *num, *den, *den2;
    size_t nnum, nden, nden2;
};

static void fetched_free(struct fetched *f)
{
    prom_series_free(f->num, f->nnum);
    prom_series_free(f->den, f->nden);
    prom_series_free(f->den2, f->nden2);
}

static int fetch(struct prom *c, const char *field, const char *service,
                 int64_t start_ms, int64_t end_ms, struct fetched *f, char *err,
                 size_t errlen)
{
    memset(f, 0, sizeof *f);
    const struct prom_map *map = prom_map_find(c->names, field);
    if (!map || !map->metric) {
        snprintf(err, errlen,
                 "cond_item %.40s has no Prometheus metric in the %s "
                 "vocabulary%s%s",
                 field ? field : "", prom_names_name(c->names), map ? ": " : "",
                 map ? map->why_none : "");
        return -1;
    }
    if (start_ms < 0 || end_ms <= start_ms) {
        snprintf(err, errlen, "bad span [%" PRId64 ", %" PRId64 ") ms",
                 start_ms, end_ms);
        return -1;
    }
    f->map = map;
    /* the query's range ends at end_ms inclusive: ask up to end_ms - 1 so
     * that [start, end) is all there is, as with InfluxDB */
    int64_t t_end = end_ms - 1;
    int64_t range = t_end - start_ms + 1;
    int64_t wide = range + c->lookback_ms;
    if (query_series(c, map->metric, service, t_end, map->rate ? wide : range,
                     &f->num, &f->nnum, err, errlen) ||
        (map->den && query_series(c, map->den, service, t_end, wide, &f->den,
                                  &f->nden, err, errlen)) ||
        (map->den2 && query_series(c, map->den2, service, t_end, wide, &f->den2,
                                   &f->nden2, err, errlen))) {
        fetched_free(f);
        return -1;
    }
    return 0;
}

int prom_query_windows(struct prom *c, const char *field, int64_t start_ms,
                       int64_t end_ms, struct win_agg **out, size_t *n,
                       char *err, size_t errlen)
{
    struct fetched f;
    *out = NULL;
    *n = 0;
    if (fetch(c, field, NULL, start_ms, end_ms, &f, err, errlen))
        return -1;
    prom_windows_build(f.map, f.num, f.nnum, f.den, f.nden, f.den2, f.nden2,
                       start_ms, end_ms, out, n, &c->unusable);
    fetched_free(&f);
    return 0;
}

/* ---- the demand of one service, per interval (das simulate) ---- */

size_t prom_demand_build(const struct prom_map *map,
                         const struct prom_series *num, size_t nnum,
                         const struct prom_series *den, size_t nden,
                         const struct prom_series *den2, size_t nden2,
                         int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                         struct prom_demand *out)
{
    if (interval_ms <= 0 || end_ms <= start_ms)
        return 0;
    size_t nb = (size_t)((end_ms - start_ms + interval_ms - 1) / interval_ms);
    double *total = xcalloc(nb, sizeof *total);
    bool *have = xcalloc(nb, sizeof *have);
    for (size_t i = 0; i < nnum; i++) {
        const struct prom_series *s = &num[i];
        double factor = series_factor(map, s, den, nden, den2, nden2);
        if (isnan(factor))
            continue;
        /* each container's mean in each interval, added to the interval */
        size_t cur = SIZE_MAX;
        double sum = 0;
        long count = 0;
        for (size_t j = map->rate ? 1 : 0; j <= s->n; j++) {
            size_t b = SIZE_MAX;
            double x = NAN;
            if (j < s->n) {
                if (!sample_at(map, s, j, factor, start_ms, end_ms, &x))
                    continue;
                b = (size_t)((s->t_ms[j] - start_ms) / interval_ms);
            }
            if (b != cur) {
                if (cur != SIZE_MAX && count > 0) {
                    total[cur] += sum / (double)count;
                    have[cur] = true;
                }
                cur = b;
                sum = 0;
                count = 0;
            }
            if (b != SIZE_MAX) {
                sum += x;
                count++;
            }
        }
    }
    size_t n = 0;
    for (size_t b = 0; b < nb; b++)
        if (have[b]) {
            out[n].t_ms = start_ms + (int64_t)b * interval_ms;
            out[n].value = total[b];
            n++;
        }
    free(total);
    free(have);
    return n;
}

int prom_query_demand(struct prom *c, const char *field, const char *service,
                      int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                      struct prom_demand **out, size_t *n, char *err,
                      size_t errlen)
{
    struct fetched f;
    *out = NULL;
    *n = 0;
    if (interval_ms <= 0) {
        snprintf(err, errlen, "bad interval %" PRId64 " ms", interval_ms);
        return -1;
    }
    if (fetch(c, field, service, start_ms, end_ms, &f, err, errlen))
        return -1;
    size_t nb = (size_t)((end_ms - start_ms + interval_ms - 1) / interval_ms);
    *out = xcalloc(nb ? nb : 1, sizeof **out);
    *n = prom_demand_build(f.map, f.num, f.nnum, f.den, f.nden, f.den2, f.nden2,
                           start_ms, end_ms, interval_ms, *out);
    fetched_free(&f);
    return 0;
}

/* ---- as a metrics store ---- */

static int st_windows(void *impl, const char *field, int64_t start_ms,
                      int64_t end_ms, struct win_agg **out, size_t *n,
                      char *err, size_t errlen)
{
    return prom_query_windows(impl, field, start_ms, end_ms, out, n, err,
                              errlen);
}

static bool st_supports(void *impl, const char *field, char *err, size_t errlen)
{
    struct prom *c = impl;
    const struct prom_map *map = prom_map_find(c->names, field);
    if (map && map->metric)
        return true;
    snprintf(err, errlen,
             "cond_item %.40s has no Prometheus metric with "
             "--prometheus-names %s%s%.300s",
             field ? field : "", prom_names_name(c->names), map ? ": " : "",
             map ? map->why_none : "");
    return false;
}

static unsigned long st_requests(const void *impl)
{
    return ((const struct prom *)impl)->queries;
}

static unsigned long st_unusable(const void *impl)
{
    return ((const struct prom *)impl)->unusable;
}

static const struct mstore_ops prom_ops = {
    .name = "Prometheus",
    .dep = "prometheus",
    .windows = st_windows,
    .window_set = NULL,
    .supports = st_supports,
    .requests = st_requests,
    .unusable = st_unusable,
};

void prom_mstore(struct mstore *m, struct prom *c)
{
    m->ops = &prom_ops;
    m->impl = c;
}
