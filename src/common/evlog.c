/* The recent events of das run (evlog.h): a ring, no I/O. */
#include "evlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void evlog_init(struct evlog *l, size_t cap)
{
    memset(l, 0, sizeof *l);
    l->cap = cap ? cap : EVLOG_CAP;
    l->v = xcalloc(l->cap, sizeof *l->v);
}

void evlog_free(struct evlog *l)
{
    if (!l)
        return;
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* The i-th oldest event held. */
static const struct pg_event *at(const struct evlog *l, size_t i)
{
    return &l->v[(l->head + i) % l->cap];
}

void evlog_add(struct evlog *l, const struct pg_event *e)
{
    if (l->n < l->cap) {
        l->v[(l->head + l->n) % l->cap] = *e;
        l->n++;
        return;
    }
    l->v[l->head] = *e;
    l->head = (l->head + 1) % l->cap;
}

bool evlog_has(const struct evlog *l, long seq, int64_t time_ms,
               const char *action, int64_t tol_ms)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct pg_event *e = at(l, i);
        if (e->seq == seq && e->time_ms >= time_ms - tol_ms &&
            e->time_ms <= time_ms + tol_ms && !strcmp(e->action, action))
            return true;
    }
    return false;
}

size_t evlog_select(const struct evlog *l, const char *service,
                    int64_t since_ms, size_t limit, struct pg_event **out)
{
    *out = xcalloc(l->n ? l->n : 1, sizeof **out);
    size_t k = 0;
    for (size_t i = l->n; i-- > 0 && k < limit;) {
        const struct pg_event *e = at(l, i);
        if (e->time_ms < since_ms || (service && strcmp(e->service, service)))
            continue;
        (*out)[k++] = *e;
    }
    /* newest first by time, whatever order they were added in */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && (*out)[j].time_ms > (*out)[j - 1].time_ms;
             j--) {
            struct pg_event t = (*out)[j];
            (*out)[j] = (*out)[j - 1];
            (*out)[j - 1] = t;
        }
    return k;
}
