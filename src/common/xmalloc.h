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

/* For a long-lived process that allocates and frees large blocks every
 * cycle (das run): blocks of 128 KiB and more are always their own
 * mappings, so freeing one gives it back (glibc otherwise raises that
 * threshold to the largest block freed, up to 32 MiB, and a cycle's
 * arrays then stay in the heap, fragmented: das run's peak RSS at
 * 100,000 containers was 24 MiB above a single cycle's). No-op without
 * glibc. */
void xmalloc_tune_cycles(void);
/* Gives the heap's free pages back to the system (after a cycle). */
void xmalloc_release(void);

/* Formats a message into a caller's error buffer (err may be NULL or
 * errlen 0: nothing is written). */
void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define WUR __attribute__((warn_unused_result))

#endif
