/* The JSON form of das run's recent events (evlog.h): the objects GET
 * /events serves and `das events --json` prints, and their reading back
 * (das events asks the running das for them). */
#ifndef DAS_EVJSON_H
#define DAS_EVJSON_H

#include <jansson.h>
#include <stddef.h>

#include "pg.h"
#include "xmalloc.h"

/* An event as a JSON object (new reference). */
json_t *evlog_event_json(const struct pg_event *e);
/* A JSON array of such objects back into events (heap, *n of them). -1 +
 * err naming the element and member that is wrong. */
int evlog_events_parse(const json_t *arr, struct pg_event **out, size_t *n,
                       char *err, size_t errlen) WUR;

#endif
