/* libFuzzer target: Engine API task listings (GET /tasks:
 * stask_parse_list, stask_count, stask_started) and Docker's RFC 3339
 * times (stask_parse_time), and InfluxDB's per-interval load reply
 * (infl_demand_parse). Invariants: no crash, no leak; tasks are sorted,
 * NUL-terminated, without control bytes in their reasons; counts are
 * consistent; samples rise in time. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "influx.h"
#include "swarm_tasks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    char err[256];
    int64_t ms;
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    (void)stask_parse_time(s, &ms);

    json_error_t je;
    json_t *root = json_loadb((const char *)data, size, 0, &je);
    if (root) {
        struct stask_list l;
        if (stask_parse_list(root, &l, err, sizeof err) == 0) {
            for (size_t i = 0; i < l.n; i++) {
                const struct stask *t = &l.v[i];
                if (!memchr(t->service, '\0', sizeof t->service) ||
                    !memchr(t->container, '\0', sizeof t->container) ||
                    (t->running + t->pending + t->starting > 1))
                    abort();
                for (const char *p = stask_err(&l, t); *p; p++)
                    if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        abort();
                if (i > 0 && strcmp(l.v[i - 1].service, t->service) > 0)
                    abort();
                struct stask_count c;
                stask_count(&l, t->service, &c);
                if (c.running < 0 || c.pending < 0 ||
                    (size_t)(c.running + c.pending) > l.n)
                    abort();
                /* a running task's container is found, with its start or
                 * a later one (a hostile list may name it twice) */
                if (t->running && t->container[0] &&
                    stask_started(&l, t->service, t->container) < t->since_ms)
                    abort();
            }
            stask_list_free(&l);
        } else if (l.v || l.n) {
            abort();
        }
        struct infl_sample *v;
        size_t n;
        if (infl_demand_parse(root, &v, &n, err, sizeof err) == 0) {
            for (size_t i = 1; i < n; i++)
                if (v[i].t_ms <= v[i - 1].t_ms)
                    abort();
            free(v);
        }
        json_decref(root);
    }
    free(s);
    return 0;
}
