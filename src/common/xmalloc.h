/* Allocation that never returns NULL: out of memory aborts (as tmux, Redis). */
#ifndef DAS_XMALLOC_H
#define DAS_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Returns a heap copy of s (s may be NULL: returns NULL). */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Heap-allocated formatted string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Formats a message into a caller's error buffer (err may be NULL or
 * errlen 0: nothing is written). */
void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define WUR __attribute__((warn_unused_result))

#endif
