/* The pure parts of a das cycle (cycle.h): window pairs, folding
 * per-container aggregates into a service's window, coverage in words. */
#include "cycle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dur.h"

size_t cyc_pair_add(struct cyc_pair *pairs, size_t *n, size_t cap,
                    const char *field, int64_t dur_ms)
{
    for (size_t i = 0; i < *n; i++)
        if (pairs[i].dur_ms == dur_ms && !strcmp(pairs[i].field, field))
            return i;
    if (*n >= cap)
        return (size_t)-1;
    pairs[*n].field = field;
    pairs[*n].dur_ms = dur_ms;
    return (*n)++;
}

void cyc_window_init(struct dec_window *w, int64_t start_ms)
{
    memset(w, 0, sizeof *w);
    w->start_ms = start_ms;
}

void cyc_window_add(struct dec_window *w, const struct cyc_ctr *c,
                    int64_t fresh_ms)
{
    double mean = c->mean;
    long count = c->count;
    int64_t first_ms = c->first_ms, last_ms = c->last_ms;

    if (count <= 0)
        return;
    if (!w->has_data) {
        w->has_data = true;
        w->mean = mean;
        w->points = count;
        w->first_ms = first_ms;
        w->last_ms = last_ms;
    } else {
        /* running weighted mean: Σ mean·count / Σ count */
        double total = (double)w->points + (double)count;
        w->mean = (w->mean * (double)w->points + mean * (double)count) / total;
        w->points += count;
        if (first_ms < w->first_ms)
            w->first_ms = first_ms;
        if (last_ms > w->last_ms)
            w->last_ms = last_ms;
    }
    w->containers++;
    /* a container gone quiet (stopped by a scale-in, replaced) says
     * nothing about the load now */
    if (last_ms >= fresh_ms) {
        w->fresh++;
        w->last_sum += isfinite(c->last) ? c->last : mean;
        w->max_sum += isfinite(c->max) ? c->max : mean;
    }
}

static const char *agg_service(const struct win_agg *a)
{
    return a->service;
}

static int agg_cmp(const void *pa, const void *pb)
{
    const struct win_agg *a = pa, *b = pb;
    int c = strcmp(agg_service(a), agg_service(b));
    if (c)
        return c;
    return strcmp(a->container, b->container);
}

void cyc_index_init(struct cyc_index *ix, struct win_agg *rows, size_t n)
{
    ix->rows = rows;
    ix->n = n;
    if (n > 1)
        qsort(rows, n, sizeof *rows, agg_cmp);
}

void cyc_index_window(const struct cyc_index *ix, const char *service_id,
                      int64_t now_ms, int64_t dur_ms, int64_t ds_interval_ms,
                      enum cyc_age (*young)(const char *container, bool fresh,
                                            void *arg),
                      void *young_arg, struct dec_window *w)
{
    cyc_window_init(w, now_ms - dur_ms);
    /* lower bound of service_id */
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(agg_service(&ix->rows[mid]), service_id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t fresh_ms = now_ms - 2 * ds_interval_ms;
    for (size_t i = lo;
         i < ix->n && !strcmp(agg_service(&ix->rows[i]), service_id); i++) {
        const struct win_agg *a = &ix->rows[i];
        if (a->bad != WIN_OK) {
            if (w->unusable++ == 0)
                w->unusable_why = a->bad;
            continue;
        }
        enum cyc_age age =
            young ? young(a->container, a->last_ms >= fresh_ms, young_arg)
                  : CYC_MATURE;
        if (age == CYC_NOT_TASK) {
            if (w->unusable++ == 0)
                w->unusable_why = WIN_BAD_NOT_TASK;
            continue;
        }
        if (age != CYC_MATURE) {
            w->warming++;
            w->starting += age == CYC_STARTING;
            continue;
        }
        struct cyc_ctr c = {a->mean,    a->count, a->first_ms,
                            a->last_ms, a->last,  a->max};
        cyc_window_add(w, &c, fresh_ms);
    }
}

char *cyc_coverage_text(const struct dec_window *w, int64_t dur_ms,
                        int64_t now_ms, int64_t ds_interval_ms,
                        int64_t last_action_ms, long actual, char *out,
                        size_t outlen)
{
    static const char prefix[] = "insufficient data: ";
    char why[200], d[32];
    /* the engine's own test and words, so status and decisions agree */
    if (dec_window_check(w, now_ms, ds_interval_ms, last_action_ms, actual, why,
                         sizeof why) == DEC_COVERED) {
        dur_format(dur_ms, d, sizeof d);
        snprintf(out, outlen, "%s/%s", d, d);
        return out;
    }
    const char *t = why;
    if (!strncmp(t, prefix, sizeof prefix - 1))
        t += sizeof prefix - 1;
    snprintf(out, outlen, "%s", t);
    return out;
}
