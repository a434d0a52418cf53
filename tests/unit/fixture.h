/* Recorded replies for the unit tests: tests/fixtures/<dir>/<name>, read
 * whole (any size), NUL-terminated; the test fails when it is missing.
 * And count_of, for tests of text output. Include after <cmocka.h>. */
#ifndef DAS_TEST_FIXTURE_H
#define DAS_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "buf.h"

/* How many times needle occurs in hay (overlapping ones too). */
static inline size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static inline char *fixture_read(const char *dir, const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", FIXTURES, dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open the fixture %s", path);
    struct buf b;
    buf_init(&b, (size_t)1 << 26);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_int_equal(buf_append(&b, chunk, n), 0);
    fclose(f);
    if (!b.ptr)
        assert_int_equal(buf_append(&b, "", 0), 0);
    *len = b.len;
    return buf_take(&b);
}

#endif
