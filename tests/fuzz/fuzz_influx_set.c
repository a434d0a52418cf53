/* libFuzzer target: replies to a window set (infl_set_reader: chunked
 * JSON lines read as they arrive). The bytes are read whole and again in
 * two pieces cut where the first byte says. Invariants: no crash, no leak;
 * both readings agree (success or failure, the same rows); a failure
 * returns no rows; usable rows are sorted, NUL-terminated, counted and
 * come before the unusable ones, which carry no points. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "influx.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_set(const struct infl_set_plan *p, const char *d, size_t n,
                    size_t cut, struct infl_agg **o, size_t *ns)
{
    char err[512];
    struct infl_set_reader *r = infl_set_reader_new(p, 1u << 20);
    if (cut > n)
        cut = n;
    if (infl_set_reader_feed(r, 0, d, cut) == 0 &&
        infl_set_reader_feed(r, 0, d + cut, n - cut) == 0)
        (void)infl_set_reader_end(r, 0);
    int rc = infl_set_reader_result(r, o, ns, NULL, err, sizeof err);
    infl_set_reader_free(r);
    if (rc && !err[0])
        abort();
    return rc;
}

static void check_rows(const struct infl_agg *a, size_t n)
{
    bool in_bad = false;
    for (size_t i = 0; i < n; i++) {
        if (!memchr(a[i].service, '\0', sizeof a[i].service) ||
            !memchr(a[i].container, '\0', sizeof a[i].container) ||
            !a[i].service[0])
            abort();
        if (a[i].bad != WIN_OK) {
            in_bad = true;
            if (a[i].count != 0)
                abort();
            continue;
        }
        if (in_bad || a[i].count <= 0)
            abort();
        if (i > 0) {
            int c = strcmp(a[i - 1].service, a[i].service);
            if (c > 0 ||
                (c == 0 && strcmp(a[i - 1].container, a[i].container) >= 0))
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct infl_set_plan p;
    struct infl_agg *a[INFL_SET_MAX_DURS], *b[INFL_SET_MAX_DURS];
    size_t na[INFL_SET_MAX_DURS], nb[INFL_SET_MAX_DURS];
    const int64_t durs[] = {120000, 600000};
    char err[256];

    log_setup("fuzz", LOG_OFF);
    /* now = 1700000600000: buckets of 2m from 1700000000000 */
    if (infl_set_plan("cpu_ratio", durs, 2, 1700000600000LL, &p, err,
                      sizeof err))
        abort();
    const char *d = (const char *)data;
    size_t cut = size ? (size_t)data[0] * size / 256 : 0;
    int ra = read_set(&p, d, size, size, a, na);
    int rb = read_set(&p, d, size, cut, b, nb);
    if (ra != rb)
        abort();
    for (size_t w = 0; w < p.k; w++) {
        if (ra) {
            if (a[w] || b[w] || na[w] || nb[w])
                abort();
            continue;
        }
        if (na[w] != nb[w] ||
            (na[w] && memcmp(a[w], b[w], na[w] * sizeof *a[w])))
            abort();
        check_rows(a[w], na[w]);
        free(a[w]);
        free(b[w]);
    }
    return 0;
}
