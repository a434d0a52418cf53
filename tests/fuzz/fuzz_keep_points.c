/* libFuzzer target: an agent's reply to GET /points (keep.h), as das
 * reads it (kp_parse into a cache of recent points). Invariants: no crash,
 * no leak; a failure says why; a success counts what it kept, and the
 * cache holds at least that many points, each series in ascending time
 * with a service and a NUL-terminated container, and no point it did
 * not count (also when it failed part way). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keep.h"
#include "pcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct pcache *pc)
{
    size_t held = 0;
    for (size_t i = 0; i < pc->n; i++) {
        const struct pc_series *s = &pc->s[i];
        if (!s->n || !sp_str(&pc->names, s->service)[0] ||
            !memchr(s->container, '\0', sizeof s->container))
            abort();
        for (uint32_t j = 1; j < s->n; j++)
            if (s->p[j - 1].t >= s->p[j].t)
                abort();
        held += s->n;
    }
    if (held != pc->points)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const int64_t base = 1765000000000LL;
    struct pcache pc;
    struct kp_reply rep;
    char err[512] = "";
    pc_init(&pc, base);
    int rc = kp_parse(text, size, "cpu_ratio", (int64_t)(size % 3) * 1000, &pc,
                      &rep, err, sizeof err);
    if (rc && !err[0])
        abort();
    if (!memchr(err, '\0', sizeof err))
        abort();
    if (pc.points > rep.points)
        abort();
    if (rc == 0 && !memchr(rep.node, '\0', sizeof rep.node))
        abort();
    check(&pc);
    pc_free(&pc);
    return 0;
}
