/* The per-policy rings of das run's live page (livehist.h). */
#include "livehist.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

uint32_t lh_cap(int64_t interval_ms, size_t npolicies)
{
    int64_t c = interval_ms > 0 ? LH_SPAN_MS / interval_ms : LH_RING_MAX;
    if (c > LH_RING_MAX)
        c = LH_RING_MAX;
    if (npolicies > 0 && (size_t)c > LH_BUDGET / npolicies)
        c = (int64_t)(LH_BUDGET / npolicies);
    if (c < LH_RING_MIN)
        c = LH_RING_MIN;
    return (uint32_t)c;
}

void lh_push(struct lh_ring *r, const struct lh_sample *s)
{
    if (r->cap == 0)
        return;
    if (r->n < r->cap && r->n == r->alloc) {
        /* not yet wrapped (head 0): the samples are v[0..n) */
        uint32_t a = r->alloc ? 2 * r->alloc : LH_RING_MIN;
        r->alloc = a < r->cap ? a : r->cap;
        r->v = xrealloc(r->v, r->alloc * sizeof *r->v);
    }
    if (r->n < r->cap) {
        r->v[(r->head + r->n) % r->cap] = *s;
        r->n++;
    } else {
        r->v[r->head] = *s;
        r->head = (r->head + 1) % r->cap;
    }
}

size_t lh_copy(const struct lh_ring *r, int64_t since_ms, struct lh_sample *out,
               size_t max)
{
    size_t k = 0;
    for (uint32_t i = 0; i < r->n && k < max; i++) {
        const struct lh_sample *s = &r->v[(r->head + i) % r->cap];
        if (s->t_ms >= since_ms)
            out[k++] = *s;
    }
    return k;
}

/* A ring of cap with the newest of old's samples; old is freed. */
static void resize(struct lh_ring *r, uint32_t cap)
{
    struct lh_ring nr = {NULL, cap, 0, 0, 0};
    uint32_t skip = r->n > cap ? r->n - cap : 0;
    for (uint32_t i = skip; i < r->n; i++)
        lh_push(&nr, &r->v[(r->head + i) % r->cap]);
    free(r->v);
    *r = nr;
}

static int by_seq(const void *a, const void *b)
{
    long x = ((const struct lh_entry *)a)->seq,
         y = ((const struct lh_entry *)b)->seq;
    return (x > y) - (x < y);
}

struct lh_ring *lh_find(const struct lh_set *set, long seq)
{
    struct lh_entry key = {.seq = seq};
    struct lh_entry *e =
        set->n ? bsearch(&key, set->v, set->n, sizeof *set->v, by_seq) : NULL;
    return e ? &e->ring : NULL;
}

void lh_set_keep(struct lh_set *set, const long *seqs, size_t n, uint32_t cap)
{
    struct lh_entry *nv = xcalloc(n ? n : 1, sizeof *nv);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        nv[m++].seq = seqs[i];
    qsort(nv, m, sizeof *nv, by_seq);
    size_t w = 0; /* one ring per seq */
    for (size_t i = 0; i < m; i++)
        if (w == 0 || nv[w - 1].seq != nv[i].seq)
            nv[w++] = nv[i];
    m = w;
    for (size_t i = 0; i < m; i++) {
        struct lh_ring *old = lh_find(set, nv[i].seq);
        if (old) {
            nv[i].ring = *old; /* moved: the old set no longer owns it */
            old->v = NULL;
            if (nv[i].ring.cap != cap)
                resize(&nv[i].ring, cap);
        } else {
            nv[i].ring = (struct lh_ring){NULL, cap, 0, 0, 0};
        }
    }
    lh_set_free(set);
    set->v = nv;
    set->n = m;
}

void lh_set_free(struct lh_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->v[i].ring.v);
    free(set->v);
    set->v = NULL;
    set->n = 0;
}
