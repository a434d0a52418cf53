/* libFuzzer target: InfluxDB /query responses (infl_resp_parse, then the
 * window merge), and the line protocol encoder with the same bytes as
 * every kind of name and value. Invariants: no crash, no leak; a non-200
 * status never parses as success; aggregates are sorted, NUL-terminated
 * and counted; an encoded point is exactly one line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "influx.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_windows(const json_t *root)
{
    struct infl_agg *a = NULL;
    size_t n = 0;
    char err[256];
    if (infl_windows_parse(root, &a, &n, err, sizeof err) != 0) {
        if (a || n)
            abort();
        return;
    }
    /* the usable rows, sorted and unique; then one row (count 0, a cause)
     * per unusable series whose service could be told */
    size_t usable = 0;
    while (usable < n && a[usable].bad == WIN_OK)
        usable++;
    for (size_t i = 0; i < n; i++) {
        if (!memchr(a[i].service, '\0', sizeof a[i].service) ||
            !memchr(a[i].container, '\0', sizeof a[i].container) ||
            !a[i].service[0])
            abort();
        if (i >= usable) {
            if (a[i].bad == WIN_OK || a[i].bad > WIN_BAD_LIMIT ||
                a[i].count != 0)
                abort();
            continue;
        }
        if (a[i].count <= 0)
            abort();
        if (i > 0) {
            int c = strcmp(a[i - 1].service, a[i].service);
            if (c > 0 ||
                (c == 0 && strcmp(a[i - 1].container, a[i].container) >= 0))
                abort();
        }
    }
    free(a);
}

static void check_line(const char *s)
{
    struct infl_point p;
    struct buf out;
    char err[256];
    buf_init(&out, 1 << 20);
    infl_point_init(&p, s[0] == '#' ? "m" : s, 1);
    infl_point_tag(&p, "t", s);
    infl_point_tag(&p, s[0] ? s : "k", "v");
    infl_point_string(&p, "s", s);
    infl_point_float(&p, s[0] ? s : "f", 1.5);
    if (infl_point_encode(&p, &out, err, sizeof err) == 0) {
        /* One line: the only newline is the last byte. */
        char *nl = memchr(out.ptr, '\n', out.len);
        if (!nl || nl != out.ptr + out.len - 1 ||
            memchr(out.ptr, '\r', out.len))
            abort();
    }
    buf_cleanup(&out);

    /* A token holds no two backslashes in a row (InfluxDB 3 would read one
     * where 1.x reads two) and does not end in one. */
    for (int kind = INFL_TOK_MEASUREMENT; kind <= INFL_TOK_FIELD_KEY; kind++) {
        buf_init(&out, 1 << 20);
        if (infl_escape_token((enum infl_token)kind, s, &out) == 0 &&
            out.len > 0 &&
            (out.ptr[out.len - 1] == '\\' || strstr(out.ptr, "\\\\")))
            abort();
        buf_cleanup(&out);
    }

    buf_init(&out, 1 << 20);
    if (infl_quote_string(s, &out) == 0 &&
        (memchr(out.ptr, '\n', out.len) || out.ptr[0] != '\''))
        abort();
    buf_cleanup(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = NULL;
    char err[256];

    log_setup("fuzz", LOG_OFF);
    if (infl_resp_parse(200, (const char *)data, size, &root, err,
                        sizeof err) == 0) {
        check_windows(root);
        json_decref(root);
    } else if (root) {
        abort();
    }
    if (infl_resp_parse(400, (const char *)data, size, &root, err,
                        sizeof err) == 0)
        abort();

    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_line(s);
    free(s);
    return 0;
}
