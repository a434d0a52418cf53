/* Clock skew against a server's Date header (skew.h): the median of the
 * recent offsets, and whether it is large enough to use. */
#include "skew.h"

#include <stdlib.h>

bool skew_observe(struct skew *s, int64_t server_ms, int64_t local_ms)
{
    /* the middle of the second the Date header names */
    if (server_ms > INT64_MAX / 2 || server_ms < INT64_MIN / 2 ||
        local_ms > INT64_MAX / 2 || local_ms < INT64_MIN / 2)
        return false;
    int64_t off = server_ms + 500 - local_ms;
    if (off >= SKEW_MAX_MS || off <= -SKEW_MAX_MS)
        return false;
    s->sample[s->next] = off;
    s->next = (s->next + 1) % SKEW_SAMPLES;
    if (s->n < SKEW_SAMPLES)
        s->n++;
    return true;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t skew_offset(const struct skew *s)
{
    int64_t v[SKEW_SAMPLES];
    if (s->n == 0)
        return 0;
    for (int i = 0; i < s->n; i++)
        v[i] = s->sample[i];
    qsort(v, (size_t)s->n, sizeof v[0], cmp64);
    return v[s->n / 2];
}

int64_t skew_correction(const struct skew *s)
{
    int64_t o = skew_offset(s);
    return llabs(o) >= SKEW_MIN_MS ? o : 0;
}
