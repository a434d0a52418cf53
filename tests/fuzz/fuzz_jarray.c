/* libFuzzer target: jarray (a JSON array read element by element, as
 * GET /tasks is). The bytes are read whole and in two pieces cut where
 * the first byte says. Invariants: no crash, no leak; both readings agree
 * (result, elements, their text); a success hands over exactly the
 * elements jansson finds in the whole array. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jarray.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct acc {
    size_t n;
    unsigned long hash;
};

static int each(const json_t *e, size_t index, void *ctx)
{
    struct acc *a = ctx;
    char *t = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    if (!t || index != a->n)
        abort();
    for (const char *p = t; *p; p++)
        a->hash = a->hash * 31 + (unsigned char)*p;
    free(t);
    a->n++;
    return 0;
}

static int read_cut(const char *d, size_t n, size_t cut, struct acc *a)
{
    struct jarray ja;
    jarray_init(&ja, 1u << 16, each, a);
    int rc = jarray_feed(&ja, d, cut);
    if (rc == 0)
        rc = jarray_feed(&ja, d + cut, n - cut);
    if (rc == 0)
        rc = jarray_end(&ja);
    if (rc && !jarray_error(&ja)[0])
        abort();
    jarray_cleanup(&ja);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data;
    size_t cut = size ? (size_t)data[0] * size / 256 : 0;
    struct acc a = {0, 0}, b = {0, 0};
    int ra = read_cut(d, size, size, &a);
    int rb = read_cut(d, size, cut, &b);
    if (ra != rb || (ra == 0 && (a.n != b.n || a.hash != b.hash)))
        abort();
    if (ra == 0) {
        /* the same elements as jansson's whole-array reading */
        json_error_t je;
        json_t *all = json_loadb(d, size, 0, &je);
        if (!json_is_array(all) || json_array_size(all) != a.n)
            abort();
        struct acc c = {0, 0};
        for (size_t i = 0; i < json_array_size(all); i++)
            each(json_array_get(all, i), i, &c);
        if (c.hash != a.hash)
            abort();
        json_decref(all);
    }
    return 0;
}
