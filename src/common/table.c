/* The terminal table of das's command line (table.h). */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

void table_init(struct table *t, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
}

size_t table_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80)
            w++;
    return w;
}

static char *cell(const char *s, size_t max)
{
    if (!s)
        return xstrdup("-");
    size_t len = strlen(s);
    /* each byte at most 4 ("\xNN"), then "..." */
    char *out = xmalloc(4 * len + 4);
    log_copy_printable(out, 4 * len + 1, s);
    if (max && strlen(out) > max) {
        size_t cut = max;
        while (cut > 0 && ((unsigned char)out[cut] & 0xc0) == 0x80)
            cut--; /* not inside a character */
        memcpy(out + cut, "...", 4);
    }
    return out;
}

void table_add(struct table *t, const char *const *vals, size_t max)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
    }
    for (size_t c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] =
            cell(vals[c], c + 1 == t->ncols ? 0 : max);
    t->nrows++;
}

void table_print(const struct table *t, FILE *f)
{
    size_t *w = xcalloc(t->ncols ? t->ncols : 1, sizeof *w);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t cw = table_width(t->cells[r * t->ncols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            if (c + 1 == t->ncols)
                fprintf(f, "%s\n", s);
            else
                fprintf(f, "%s%*s", s, (int)(w[c] - table_width(s) + 2), "");
        }
    free(w);
}

void table_free(struct table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}
