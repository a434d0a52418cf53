/* A JSON array read element by element as its bytes arrive (jarray.h),
 * each element parsed alone with jansson. */
#include "jarray.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

enum { JA_BEFORE, JA_IN, JA_AFTER, JA_FAILED };

void jarray_init(struct jarray *a, size_t max_elem, jarray_each_fn each,
                 void *ctx)
{
    memset(a, 0, sizeof *a);
    a->each = each;
    a->ctx = ctx;
    buf_init(&a->elem, max_elem ? max_elem : 1);
}

void jarray_cleanup(struct jarray *a)
{
    buf_cleanup(&a->elem);
}

const char *jarray_error(const struct jarray *a)
{
    return a->err;
}

static int ja_fail(struct jarray *a, const char *what)
{
    if (a->state != JA_FAILED)
        snprintf(a->err, sizeof a->err, "%s (after %zu elements)", what,
                 a->index);
    a->state = JA_FAILED;
    return -1;
}

static bool ja_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The buffered element is complete: parse it and hand it over. */
static int ja_emit(struct jarray *a)
{
    json_error_t je;
    json_t *e = json_loadb(a->elem.ptr, a->elem.len, JSON_DECODE_ANY, &je);
    buf_reset(&a->elem);
    a->elem_open = false;
    if (!e) {
        char m[200];
        snprintf(m, sizeof m, "element %zu is not JSON: %.120s", a->index,
                 log_oneline(je.text));
        return ja_fail(a, m);
    }
    int rc = a->each(e, a->index, a->ctx);
    json_decref(e);
    a->index++;
    if (rc)
        return ja_fail(a, "stopped by the reader");
    return 0;
}

int jarray_feed(struct jarray *a, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char c = p[i];
        if (a->state == JA_FAILED)
            return -1;
        if (a->state == JA_BEFORE) {
            i++;
            if (ja_space(c))
                continue;
            if (c != '[')
                return ja_fail(a, "not a JSON array");
            a->state = JA_IN;
            continue;
        }
        if (a->state == JA_AFTER) {
            i++;
            if (!ja_space(c))
                return ja_fail(a, "bytes after the array's end");
            continue;
        }
        /* JA_IN: outside an element, or inside one (elem_open) */
        if (!a->elem_open) {
            i++;
            if (ja_space(c))
                continue;
            if (c == ']') {
                if (a->index > 0 && a->depth == -1)
                    return ja_fail(a, "a ',' before the array's end");
                a->state = JA_AFTER;
                continue;
            }
            if (c == ',') {
                if (a->index == 0 || a->depth == -1)
                    return ja_fail(a, "a ',' without an element before it");
                a->depth = -1; /* an element must follow */
                continue;
            }
            if (a->index > 0 && a->depth != -1)
                return ja_fail(a, "elements without a ',' between them");
            a->elem_open = true;
            a->depth = 0;
            a->in_str = a->esc = false;
            i--; /* the element's first byte: read it below */
            continue;
        }
        /* inside an element: copy up to where it ends */
        size_t start = i;
        bool done = false;
        for (; i < n; i++) {
            c = p[i];
            if (a->in_str) {
                if (a->esc)
                    a->esc = false;
                else if (c == '\\')
                    a->esc = true;
                else if (c == '"')
                    a->in_str = false;
                continue;
            }
            if (c == '"') {
                a->in_str = true;
            } else if (c == '{' || c == '[') {
                a->depth++;
            } else if (c == '}' || c == ']') {
                if (a->depth == 0) {
                    done = true; /* the array's ']' after a scalar */
                    break;
                }
                if (--a->depth == 0) {
                    i++;
                    done = true;
                    break;
                }
            } else if (a->depth == 0 && (c == ',' || ja_space(c))) {
                done = true; /* the end of a scalar */
                break;
            }
        }
        if (buf_append(&a->elem, p + start, i - start))
            return ja_fail(a, "an element over the size taken");
        if (done && ja_emit(a))
            return -1;
    }
    return a->state == JA_FAILED ? -1 : 0;
}

int jarray_end(struct jarray *a)
{
    if (a->state == JA_FAILED)
        return -1;
    if (a->state != JA_AFTER)
        return ja_fail(a, "the array was cut short");
    return 0;
}
