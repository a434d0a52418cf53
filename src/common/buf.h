/* Bounded growable byte buffer (curl dynbuf): everything read from outside
 * goes into one of these, with a hard cap. The content is always
 * NUL-terminated. */
#ifndef DAS_BUF_H
#define DAS_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "xmalloc.h"

struct buf {
    char *ptr;
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len; appends beyond it fail */
};

void buf_init(struct buf *b, size_t max);
void buf_cleanup(struct buf *b);
void buf_reset(struct buf *b);
/* 0 ok; -1 when the result would exceed b->max (buffer left unchanged). */
int buf_append(struct buf *b, const void *data, size_t n) WUR;
int buf_puts(struct buf *b, const char *s) WUR;
int buf_printf(struct buf *b, const char *fmt, ...) WUR
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) WUR
    __attribute__((format(printf, 2, 0)));
/* Undoes a partial append: the content is cut back to its first len
 * bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);
/* Hands the content over to the caller (free it); b is left empty. */
char *buf_take(struct buf *b);

#endif
