/* A pool of strings kept once each and named by offset (strpool.h). */
#include "strpool.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

void sp_free(struct strpool *p)
{
    free(p->buf);
    free(p->slots);
    memset(p, 0, sizeof *p);
}

void sp_unindex(struct strpool *p)
{
    free(p->slots);
    p->slots = NULL;
    p->nslots = 0;
}

const char *sp_str(const struct strpool *p, uint32_t off)
{
    return off && off < p->len ? p->buf + off : "";
}

uint64_t sp_hash(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* s's slot, or the empty one it would take. */
static size_t slot_of(const struct strpool *p, const char *s)
{
    size_t j = (size_t)sp_hash(SP_HASH_START, s) & (p->nslots - 1);
    while (p->slots[j] && strcmp(p->buf + p->slots[j], s))
        j = (j + 1) & (p->nslots - 1);
    return j;
}

/* Builds the index anew, with room for twice the strings held and more. */
static void reindex(struct strpool *p)
{
    free(p->slots);
    p->nslots = 64;
    while (p->nslots < (p->count + 1) * 4)
        p->nslots *= 2;
    p->slots = xcalloc(p->nslots, sizeof *p->slots);
    for (size_t o = 1; o < p->len; o += strlen(p->buf + o) + 1)
        p->slots[slot_of(p, p->buf + o)] = (uint32_t)o;
}

uint32_t sp_intern(struct strpool *p, const char *s)
{
    size_t n = strlen(s) + 1;
    if (n == 1 || (p->len ? p->len : 1) + n > UINT32_MAX)
        return 0;
    if (!p->slots || (p->count + 1) * 2 > p->nslots)
        reindex(p);
    size_t j = slot_of(p, s);
    if (p->slots[j])
        return p->slots[j];
    if (!p->len)
        p->len = 1; /* offset 0 is "" */
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        while (cap < p->len + n)
            cap *= 2;
        p->buf = xrealloc(p->buf, cap);
        p->cap = cap;
        p->buf[0] = '\0';
    }
    memcpy(p->buf + p->len, s, n);
    p->slots[j] = (uint32_t)p->len;
    p->count++;
    p->len += n;
    return p->slots[j];
}
