/* libFuzzer target: replies to das run's read of recent points
 * (infl_pts_reader: chunked JSON lines read as they arrive), into a cache
 * (pcache.h). The bytes are read whole and again in two pieces cut where
 * the first byte says. Invariants: no crash, no leak; both readings agree
 * (success or failure, the same points held); a failure says why; the
 * cache counts what it holds; its windows' rows are NUL-terminated, the
 * usable ones sorted and counted, the unusable ones without points. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "influx.h"
#include "pcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_points(const char *d, size_t n, size_t cut, struct pcache *pc)
{
    char err[512] = "";
    size_t got = 0;
    struct infl_pts_reader *r = infl_pts_reader_new(pc, "cpu_ratio");
    if (cut > n)
        cut = n;
    if (infl_pts_reader_feed(r, d, cut) == 0)
        (void)infl_pts_reader_feed(r, d + cut, n - cut);
    int rc = infl_pts_reader_end(r, &got, err, sizeof err);
    infl_pts_reader_free(r);
    if (rc && !err[0])
        abort();
    return rc;
}

static void check(const struct pcache *pc)
{
    size_t held = 0;
    for (size_t i = 0; i < pc->n; i++) {
        const struct pc_series *s = &pc->s[i];
        /* a series whose service tag can't be told has service "" and
         * is unusable (pcache.c untold_key); every other names one */
        if (!s->n || (!sp_str(&pc->names, s->service)[0] && s->bad == WIN_OK) ||
            !memchr(s->container, '\0', sizeof s->container))
            abort();
        for (uint32_t j = 1; j < s->n; j++)
            if (s->p[j - 1].t >= s->p[j].t)
                abort();
        held += s->n;
    }
    if (held != pc->points)
        abort();
    const int64_t durs[] = {60000, 600000};
    struct win_agg *outs[2];
    size_t ns[2];
    pc_windows(pc, 1700000000000LL, durs, 2, outs, ns, NULL);
    for (size_t w = 0; w < 2; w++) {
        bool in_bad = false;
        for (size_t i = 0; i < ns[w]; i++) {
            const struct win_agg *a = &outs[w][i];
            if (!memchr(a->service, '\0', sizeof a->service) ||
                !memchr(a->container, '\0', sizeof a->container))
                abort();
            if (a->bad) {
                in_bad = true;
                if (a->count)
                    abort();
            } else if (in_bad || a->count <= 0 || a->first_ms > a->last_ms) {
                abort();
            }
        }
        free(outs[w]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data;
    size_t cut = size ? (size_t)data[0] * size / 256 : 0;
    struct pcache a, b;
    pc_init(&a, 1700000000000LL - 3600000);
    pc_init(&b, 1700000000000LL - 3600000);
    int ra = read_points(d, size, size, &a), rb = read_points(d, size, cut, &b);
    if (ra != rb || a.points != b.points || a.n != b.n)
        abort();
    for (size_t i = 0; i < a.n; i++)
        if (strcmp(sp_str(&a.names, a.s[i].service),
                   sp_str(&b.names, b.s[i].service)) ||
            strcmp(a.s[i].container, b.s[i].container) ||
            a.s[i].n != b.s[i].n ||
            memcmp(a.s[i].p, b.s[i].p, a.s[i].n * sizeof *a.s[i].p))
            abort();
    check(&a);
    pc_free(&a);
    pc_free(&b);
    return 0;
}
