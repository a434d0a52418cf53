/* A plain text table for the terminal, as `das policy list`, `das events`
 * and `das status` print them: columns as wide as their widest cell (in
 * UTF-8 code points), two spaces apart, the last column unpadded. Every
 * cell is made safe for a terminal first (log_copy_printable): a hostile
 * service name, label or reason cannot move the cursor or clear the
 * screen. */
#ifndef DAS_TABLE_H
#define DAS_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table {
    size_t ncols, nrows, cap;
    char **cells; /* nrows × ncols heap strings */
};

void table_init(struct table *t, size_t ncols);
/* Adds a row of t->ncols cells. NULL shows as "-". Cells but the last are
 * cut after max bytes (at a character's start) with "..." (0: whole); the
 * last (a reason, a status) is shown whole. */
void table_add(struct table *t, const char *const *vals, size_t max);
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

/* Display width: one column per UTF-8 code point. */
size_t table_width(const char *s);

#endif
