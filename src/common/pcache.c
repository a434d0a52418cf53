/* The recent points das run keeps per field between cycles (pcache.h),
 * and the windows made from them. */
#include "pcache.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

void pc_init(struct pcache *c, int64_t base_ms)
{
    memset(c, 0, sizeof *c);
    c->base_ms = base_ms;
    c->max_bytes = PC_MAX_BYTES;
}

void pc_free(struct pcache *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->s[i].p);
    free(c->s);
    free(c->table);
    sp_free(&c->names);
    memset(c, 0, sizeof *c);
}

void pc_clear(struct pcache *c, int64_t base_ms)
{
    struct pcache keep = *c;
    pc_free(c);
    pc_init(c, base_ms);
    c->dropped = keep.dropped;
    c->max_bytes = keep.max_bytes;
}

size_t pc_bytes(const struct pcache *c)
{
    return c->point_bytes + c->cap * sizeof *c->s + c->tcap * sizeof *c->table +
           c->names.cap + c->names.nslots * sizeof *c->names.slots;
}

bool pc_full(const struct pcache *c)
{
    return pc_bytes(c) > (c->max_bytes ? c->max_bytes : PC_MAX_BYTES);
}

void pc_full_text(const struct pcache *c, const char *field, char *err,
                  size_t errlen)
{
    size_t cap = c->max_bytes ? c->max_bytes : PC_MAX_BYTES;
    snprintf(err, errlen,
             "%.64s: the points das keeps reached their cap of %.1f MiB "
             "(%zu points of %zu series held for this field; every "
             "field's together may take %zu MiB): das stops the read there "
             "to stay within its memory, and this field's policies get no "
             "decision (shorter out_for / in_for windows, or fewer "
             "containers, keep less)",
             field ? field : "", (double)cap / 1048576.0, c->points, c->n,
             PC_MAX_BYTES >> 20);
}

size_t pc_budget(size_t others)
{
    return others < PC_MAX_BYTES ? PC_MAX_BYTES - others : 1;
}

uint64_t win_key_hash(const char *svc, const char *ctr)
{
    /* the two strings, with a byte no tag holds between them */
    return sp_hash(sp_hash(sp_hash(SP_HASH_START, svc), "\xff"), ctr);
}

static void table_build(struct pcache *c, size_t cap)
{
    free(c->table);
    c->table = xcalloc(cap, sizeof *c->table);
    c->tcap = cap;
    for (size_t i = 0; i < c->n; i++) {
        size_t h = (size_t)win_key_hash(sp_str(&c->names, c->s[i].service),
                                        c->s[i].container);
        for (size_t j = h & (cap - 1);; j = (j + 1) & (cap - 1))
            if (!c->table[j]) {
                c->table[j] = i + 1;
                break;
            }
    }
}

/* The series of (service, container), made when new. */
static struct pc_series *series_get(struct pcache *c, const char *svc,
                                    const char *ctr)
{
    if ((c->n + 1) * 2 > c->tcap)
        table_build(c, c->tcap ? c->tcap * 2 : 1024);
    size_t j = (size_t)win_key_hash(svc, ctr) & (c->tcap - 1);
    for (; c->table[j]; j = (j + 1) & (c->tcap - 1)) {
        struct pc_series *s = &c->s[c->table[j] - 1];
        if (!strcmp(sp_str(&c->names, s->service), svc) &&
            !strcmp(s->container, ctr))
            return s;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->s = xrealloc(c->s, c->cap * sizeof *c->s);
    }
    struct pc_series *s = &c->s[c->n];
    memset(s, 0, sizeof *s);
    s->service = sp_intern(&c->names, svc);
    memcpy(s->container, ctr, strlen(ctr));
    c->table[j] = ++c->n;
    return s;
}

bool win_container_key(const char *ctr, char out[16])
{
    size_t n = strlen(ctr);
    if (n >= 16 && n <= 64 && strspn(ctr, "0123456789abcdef") == n)
        n = 12;
    if (n >= 16)
        return false;
    memset(out, 0, 16);
    memcpy(out, ctr, n);
    return true;
}

static void series_put(struct pcache *c, struct pc_series *s, int32_t t,
                       float v)
{
    /* where t goes: mostly after the last point */
    uint32_t lo = s->n, hi;
    if (s->n && s->p[s->n - 1].t >= t) {
        lo = 0;
        hi = s->n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (s->p[mid].t < t)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (s->p[lo].t == t) {
            s->p[lo].v = v;
            return;
        }
    }
    if (s->n == s->cap) {
        /* grow by an eighth: a series holds about one window of points
         * and takes one or two a cycle (a quarter left 10 of 72 unused
         * at a 10-minute window of 10 s points: 16 MB at 100,000) */
        uint32_t was = s->cap;
        s->cap = s->cap < 16 ? 16 : s->cap + (s->cap < 32 ? 4 : s->cap / 8);
        s->p = xrealloc(s->p, s->cap * sizeof *s->p);
        c->point_bytes += (size_t)(s->cap - was) * sizeof *s->p;
    }
    memmove(s->p + lo + 1, s->p + lo, (s->n - lo) * sizeof *s->p);
    s->p[lo] = (struct pc_point){t, v};
    s->n++;
    c->points++;
}

/* The key of a series whose service tag can't name a row (none, or too
 * long): 15 hex digits of an FNV-1a hash of the tag, one series per tag. */
static void untold_key(const char *service, char key[16])
{
    uint64_t h = 14695981039346656037ULL;
    for (const char *p = service ? service : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    snprintf(key, 16, "%015llx",
             (unsigned long long)(h & 0xfffffffffffffffULL));
}

bool pc_add(struct pcache *c, const char *service, const char *container,
            int64_t t_ms, double v, bool number)
{
    int64_t off = t_ms - c->base_ms;
    if (off < INT32_MIN || off > INT32_MAX) {
        c->dropped++;
        return false;
    }
    char key[16];
    bool told = service && service[0] && strlen(service) < 64;
    bool usable = told && container && win_container_key(container, key);
    if (!told)
        untold_key(service, key);
    else if (!usable)
        key[0] = '\0';
    struct pc_series *s = series_get(c, told ? service : "", key);
    if (!usable)
        s->bad = WIN_BAD_KEY;
    /* a value that is no number is kept as NaN: a window holding it is
     * the container's unusable row (WIN_BAD_VALUE) */
    bool ok = number && isfinite(v) && isfinite((float)v);
    series_put(c, s, (int32_t)off, ok && !s->bad ? (float)v : NAN);
    return true;
}

void pc_trim(struct pcache *c, int64_t from_ms)
{
    int64_t off = from_ms - c->base_ms;
    int32_t from = off < INT32_MIN   ? INT32_MIN
                   : off > INT32_MAX ? INT32_MAX
                                     : (int32_t)off;
    size_t kept = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct pc_series *s = &c->s[i];
        uint32_t lo = 0;
        while (lo < s->n && s->p[lo].t < from)
            lo++;
        if (lo) {
            memmove(s->p, s->p + lo, (s->n - lo) * sizeof *s->p);
            s->n -= lo;
            c->points -= lo;
        }
        if (s->n == 0) {
            c->point_bytes -= (size_t)s->cap * sizeof *s->p;
            free(s->p);
            continue;
        }
        c->s[kept++] = *s;
    }
    if (kept != c->n) {
        c->n = kept;
        /* the names of the series kept, without those of the ones gone */
        struct strpool names = {0};
        for (size_t i = 0; i < c->n; i++)
            c->s[i].service =
                sp_intern(&names, sp_str(&c->names, c->s[i].service));
        sp_free(&c->names);
        c->names = names;
        table_build(c, c->tcap ? c->tcap : 1024);
    }
}

void pc_rebase(struct pcache *c, int64_t base_ms)
{
    int64_t d = c->base_ms - base_ms;
    for (size_t i = 0; i < c->n; i++) {
        struct pc_series *s = &c->s[i];
        uint32_t o = 0;
        for (uint32_t j = 0; j < s->n; j++) {
            int64_t t = (int64_t)s->p[j].t + d;
            if (t < INT32_MIN || t > INT32_MAX) {
                c->dropped++;
                c->points--;
                continue;
            }
            s->p[o++] = (struct pc_point){(int32_t)t, s->p[j].v};
        }
        s->n = o;
    }
    c->base_ms = base_ms;
}

int64_t pc_read_since(struct pc_reads *r, int64_t need_from, int64_t overlap_ms,
                      bool *whole)
{
    *whole = !r->filled || need_from < r->from_ms;
    if (*whole)
        return need_from;
    int64_t since = r->cut_ms - overlap_ms;
    /* the failure has left the longest window, or the agents have had
     * PC_RECOVER_MS of good reads to send their backlog */
    if (r->recover_from &&
        (r->recover_from < need_from ||
         (r->recover_until && r->cut_ms >= r->recover_until)))
        r->recover_from = r->recover_until = 0;
    if (r->recover_from && r->recover_from < since)
        since = r->recover_from;
    return since < need_from ? need_from : since;
}

void pc_read_done(struct pc_reads *r, bool ok, int64_t now_ms,
                  int64_t need_from, int64_t overlap_ms)
{
    if (!ok) {
        /* what the cache holds stays good: the next reads go back to the
         * last good one (and further while the failure lasts) */
        if (!r->recover_from)
            r->recover_from = r->filled ? r->cut_ms - overlap_ms : need_from;
        r->recover_until = 0; /* counted from the next good read */
        return;
    }
    if (r->recover_from && !r->recover_until)
        r->recover_until = now_ms + PC_RECOVER_MS;
    r->filled = true;
    r->from_ms = need_from;
    r->cut_ms = now_ms;
}

static int cmp_rows(const void *x, const void *y)
{
    const struct win_agg *a = x, *b = y;
    int r = strcmp(a->service, b->service);
    return r ? r : strcmp(a->container, b->container);
}

void win_rows_take(struct win_agg *v, size_t nv, struct win_agg *bad, size_t nb,
                   struct win_agg **out, size_t *n, unsigned long *unusable)
{
    qsort(v, nv, sizeof *v, cmp_rows);
    if (nb)
        memcpy(v + nv, bad, nb * sizeof *bad);
    free(bad);
    if (unusable)
        *unusable += nb;
    *out = NULL;
    *n = 0;
    if (nv + nb == 0) {
        free(v);
        return;
    }
    *out = v;
    *n = nv + nb;
}

/* Series s over [from, to) (offsets) into a; false when no point is. */
static bool series_window(const struct pcache *c, const struct pc_series *s,
                          int64_t from, int64_t to, struct win_agg *a)
{
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->p[mid].t < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t end = lo;
    while (end < s->n && s->p[end].t < to)
        end++;
    if (end == lo)
        return false;
    memset(a, 0, sizeof *a);
    const char *svc = sp_str(&c->names, s->service);
    memcpy(a->service, svc, strlen(svc));
    memcpy(a->container, s->container, sizeof a->container);
    if (s->bad) {
        a->bad = s->bad;
        return true;
    }
    double sum = 0, max = -INFINITY;
    for (uint32_t j = lo; j < end; j++) {
        if (isnan(s->p[j].v)) {
            a->bad = WIN_BAD_VALUE;
            return true;
        }
        sum += s->p[j].v;
        if (s->p[j].v > max)
            max = s->p[j].v;
    }
    a->count = (long)(end - lo);
    a->mean = sum / (double)a->count;
    a->max = max >= a->mean ? max : a->mean;
    a->first_ms = c->base_ms + s->p[lo].t;
    a->last_ms = c->base_ms + s->p[end - 1].t;
    a->last = s->p[end - 1].v;
    return true;
}

void pc_windows(const struct pcache *c, int64_t now_ms, const int64_t *dur_ms,
                size_t k, struct win_agg **outs, size_t *ns,
                unsigned long *unusable)
{
    for (size_t w = 0; w < k; w++) {
        outs[w] = NULL;
        ns[w] = 0;
        int64_t from = now_ms - dur_ms[w] - c->base_ms;
        int64_t to = now_ms + 1 - c->base_ms;
        size_t nv = 0, nb = 0, bcap = 0;
        struct win_agg *v = xcalloc(c->n ? c->n : 1, sizeof *v);
        struct win_agg *bad = NULL; /* few: grown as found */
        unsigned long untold = 0;
        for (size_t i = 0; i < c->n; i++) {
            struct win_agg a;
            if (!series_window(c, &c->s[i], from, to, &a))
                continue;
            if (!a.service[0]) {
                untold++; /* counted, but no row: no service to name */
                continue;
            }
            if (!a.bad) {
                v[nv++] = a;
                continue;
            }
            if (nb == bcap) {
                bcap = bcap ? bcap * 2 : 16;
                bad = xrealloc(bad, bcap * sizeof *bad);
            }
            bad[nb++] = a;
        }
        win_rows_take(v, nv, bad, nb, &outs[w], &ns[w], unusable);
        if (unusable)
            *unusable += untold;
    }
}

size_t pc_demand(const struct pcache *c, const char *service, int64_t start_ms,
                 int64_t end_ms, int64_t interval_ms, int64_t *t_ms,
                 double *value, size_t cap)
{
    if (interval_ms <= 0 || end_ms <= start_ms)
        return 0;
    size_t nint = (size_t)((end_ms - start_ms + interval_ms - 1) / interval_ms);
    double *sum = xcalloc(nint, sizeof *sum);
    bool *have = xcalloc(nint, sizeof *have);
    for (size_t i = 0; i < c->n; i++) {
        const struct pc_series *s = &c->s[i];
        if (s->bad != WIN_OK || strcmp(sp_str(&c->names, s->service), service))
            continue;
        /* this container's mean in each interval, added to the sum */
        size_t j = 0;
        while (j < s->n) {
            int64_t t = c->base_ms + s->p[j].t;
            if (t < start_ms || t >= end_ms) {
                j++;
                continue;
            }
            size_t k = (size_t)((t - start_ms) / interval_ms);
            int64_t kend = start_ms + (int64_t)(k + 1) * interval_ms;
            double acc = 0;
            size_t m = 0;
            while (j < s->n && c->base_ms + s->p[j].t < kend) {
                acc += s->p[j].v;
                m++;
                j++;
            }
            sum[k] += acc / (double)m;
            have[k] = true;
        }
    }
    size_t n = 0;
    for (size_t k = 0; k < nint && n < cap; k++)
        if (have[k]) {
            t_ms[n] = start_ms + (int64_t)k * interval_ms;
            value[n++] = sum[k];
        }
    free(sum);
    free(have);
    return n;
}
