/* The bodies das POSTs to a notification receiver (docs/notifications.md):
 * the JSON of an event (the objects of GET /events and `das events --json`,
 * with what a receiver needs beside them), or the {"text": ...} that chat
 * tools take. */
#ifndef DAS_NOTIFY_FMT_H
#define DAS_NOTIFY_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "notifyq.h"

enum notify_format { NOTIFY_FMT_JSON, NOTIFY_FMT_SLACK };

/* Who sends: the das (its host name) and this process (its start, Unix
 * ms, and pid), for the event's id. */
struct notify_origin {
    char das[64];
    int64_t start_ms;
    long pid;
};

/* The body of it in format, a NUL-terminated heap string (free it). */
char *notify_body(const struct notify_item *it, enum notify_format format,
                  const struct notify_origin *from);
/* The kind of an event by its action name: "action" (a change das made or
 * would make), "leadership", or "state" (everything else). */
const char *notify_kind(const char *action);
/* s with &, < and > escaped as chat tools want them (&amp; &lt; &gt;),
 * appended to out (bounded). 0, or -1 when out is full. */
int notify_slack_escape(const char *s, struct buf *out);

#endif
