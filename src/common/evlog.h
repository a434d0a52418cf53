/* The recent events a running das keeps in memory (every mode; the only
 * record in the embedded default, where no store holds das_events): a
 * ring of the last EVLOG_CAP, served as JSON at GET /events (evjson.h)
 * and read back by `das events`.
 *
 * No I/O and no locks: das run guards it. */
#ifndef DAS_EVLOG_H
#define DAS_EVLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg.h"

#define EVLOG_CAP 2000

struct evlog {
    struct pg_event *v; /* ring of cap; the oldest at head once full */
    size_t cap, n, head;
};

void evlog_init(struct evlog *l, size_t cap);
void evlog_free(struct evlog *l);
/* Adds e (the oldest goes when full). */
void evlog_add(struct evlog *l, const struct pg_event *e);
/* Is an event of seq with this action held at time_ms, give or take
 * tol_ms? (An action's record on the service is dated just before the
 * update that carries it, its event just after.) */
bool evlog_has(const struct evlog *l, long seq, int64_t time_ms,
               const char *action, int64_t tol_ms);
/* Newest first: those of service (NULL: all) at or after since_ms, at most
 * limit, into *out (heap; free). Returns the count. */
size_t evlog_select(const struct evlog *l, const char *service,
                    int64_t since_ms, size_t limit, struct pg_event **out);

#endif
