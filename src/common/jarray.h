/* A JSON array read element by element as its bytes arrive: each element
 * is parsed alone (jansson) and handed over, so a reply of 100,000 tasks
 * never becomes one tree (nor one buffer). The splitter only tracks
 * strings, escapes and nesting to find where an element ends; jansson
 * judges each element. */
#ifndef DAS_JARRAY_H
#define DAS_JARRAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "xmalloc.h"

/* each(elem, index, ctx): 0 to go on, -1 to stop (its reason in err of
 * its own, jarray_error() says "stopped by the reader"). */
typedef int (*jarray_each_fn)(const json_t *elem, size_t index, void *ctx);

struct jarray {
    jarray_each_fn each;
    void *ctx;
    int state; /* before '[', in the array, after ']', failed */
    int depth; /* nesting inside the current element */
    bool in_str, esc;
    bool elem_open; /* bytes of an element are buffered */
    size_t index;   /* elements handed over */
    struct buf elem;
    char err[256];
};

/* max_elem: the longest element taken (bytes). */
void jarray_init(struct jarray *a, size_t max_elem, jarray_each_fn each,
                 void *ctx);
void jarray_cleanup(struct jarray *a);
/* Feeds bytes; -1 once the input is known bad (jarray_error says why). */
int jarray_feed(struct jarray *a, const char *p, size_t n) WUR;
/* The end of the input: -1 unless the array was closed. */
int jarray_end(struct jarray *a) WUR;
const char *jarray_error(const struct jarray *a);

#endif
