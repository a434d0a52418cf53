/* libFuzzer target: Prometheus /api/v1/query replies (prom_matrix_parse in
 * both vocabularies, then the window aggregates), and the PromQL / text
 * exposition escapers with the same bytes. Invariants: no crash, no leak;
 * a failed parse returns nothing; series are sorted, NUL-terminated, with
 * samples in time order; aggregates count at least one point; a quoted
 * PromQL string or an escaped label value holds no raw newline and no
 * unescaped double quote. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prom.h"
#include "promexp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_series(const struct prom_series *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!memchr(s[i].service, '\0', sizeof s[i].service) ||
            !memchr(s[i].container, '\0', sizeof s[i].container) ||
            !s[i].service[0])
            abort();
        for (size_t j = 1; j < s[i].n; j++)
            if (s[i].t_ms[j] <= s[i].t_ms[j - 1])
                abort();
        if (s[i].bad && (s[i].n != 0 || (s[i].bad > WIN_BAD_SAMPLES &&
                                         s[i].bad != WIN_BAD_DUPLICATE)))
            abort();
        /* an ambiguous container is one row, with its container */
        if (s[i].bad == WIN_BAD_DUPLICATE && !s[i].container[0])
            abort();
        if (i > 0 &&
            (s[i].bad == WIN_BAD_DUPLICATE ||
             s[i - 1].bad == WIN_BAD_DUPLICATE) &&
            !strcmp(s[i - 1].service, s[i].service) &&
            !strcmp(s[i - 1].container, s[i].container))
            abort();
        if (i > 0) {
            /* sorted; unique but for the empty series kept for unusable
             * ones (container "") */
            int c = strcmp(s[i - 1].service, s[i].service);
            int d = strcmp(s[i - 1].container, s[i].container);
            if (c > 0 || (c == 0 && d > 0) ||
                (c == 0 && d == 0 && !s[i - 1].bad && !s[i].bad))
                abort();
        }
    }
}

static void check_escaped(const char *s)
{
    struct buf out;
    buf_init(&out, 1 << 20);
    if (prom_quote(s, &out) == 0) {
        if (memchr(out.ptr, '\n', out.len) || out.ptr[0] != '"' ||
            out.ptr[out.len - 1] != '"')
            abort();
        for (size_t i = 1; i + 1 < out.len; i++)
            if (out.ptr[i] == '\\')
                i++; /* an escape pair */
            else if (out.ptr[i] == '"')
                abort();
    }
    buf_reset(&out);
    if (pexp_label_value(s, &out) == 0 && out.len &&
        memchr(out.ptr, '\n', out.len))
        abort();
    buf_cleanup(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[300];
    log_setup("fuzz", LOG_OFF);
    for (int v = 0; v < 2; v++) {
        enum prom_names names = v ? PROM_NAMES_CADVISOR : PROM_NAMES_DS;
        struct prom_series *s = NULL;
        size_t n = 0;
        unsigned long unusable = 0;
        if (prom_matrix_parse(names, 200, (const char *)data, size, &s, &n,
                              &unusable, err, sizeof err) != 0) {
            if (s || n)
                abort();
            continue;
        }
        check_series(s, n);
        const struct prom_map *m =
            prom_map_find(names, v ? "cpu_limit_ratio" : "cpu_ratio");
        struct win_agg *a = NULL;
        size_t na = 0;
        prom_windows_build(m, s, n, s, n, s, n, 0, INT64_MAX, &a, &na,
                           &unusable);
        for (size_t i = 0; i < na; i++)
            if (a[i].bad ? a[i].count != 0
                         : a[i].count <= 0 || a[i].first_ms > a[i].last_ms)
                abort();
        free(a);
        prom_series_free(s, n);
    }
    char *str = malloc(size + 1);
    if (!str)
        return 0;
    memcpy(str, data, size);
    str[size] = '\0';
    check_escaped(str);
    free(str);
    return 0;
}
