/* The pure parts of das's notifications (docs/notifications.md): the
 * events that exist only as notifications, the bounded queue a sender
 * drains, the retry schedule, a receiver's URL checked and shown without
 * its secrets, and the watch that says when a policy has had no usable
 * metrics for too long. No I/O, no clock reads, no locks: notify.c sends,
 * and guards the queue. */
#ifndef DAS_NOTIFYQ_H
#define DAS_NOTIFYQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "pg.h"

/* Events that are notified but not recorded as das_events (the action
 * field of their struct pg_event), one names table. The recorded ones
 * (scale-out, scale-in, bound, synced, capacity-bound) keep their names. */
#define NOTIFY_EVENTS(X)                                                       \
    X(NOTIFY_POLICY_INVALID, "policy-invalid")                                 \
    X(NOTIFY_POLICY_VALID, "policy-valid")                                     \
    X(NOTIFY_CAPACITY_ENDED, "capacity-bound-ended")                           \
    X(NOTIFY_METRICS_UNAVAILABLE, "metrics-unavailable")                       \
    X(NOTIFY_METRICS_AVAILABLE, "metrics-available")                           \
    X(NOTIFY_LEADER_GAINED, "leader-gained")                                   \
    X(NOTIFY_LEADER_LOST, "leader-lost")
#define NOTIFY_EV_ENUM(id, name) id,
enum notify_event { NOTIFY_EVENTS(NOTIFY_EV_ENUM) NOTIFY_NEVENTS };
#undef NOTIFY_EV_ENUM
extern const char *const notify_event_names[NOTIFY_NEVENTS];

/* An event of das as sent: what happened, its number in this process (the
 * id receivers may deduplicate on) and when it was queued (monotonic ms:
 * it is given up at queued_ms + the give-up time). */
struct notify_item {
    struct pg_event ev;
    uint64_t n;
    int64_t queued_ms;
};

/* A ring of at most cap items, oldest first. */
struct notify_queue {
    struct notify_item *v;
    size_t cap, n, head;
};

#define NOTIFY_QUEUE_CAP 1000

void notify_queue_init(struct notify_queue *q, size_t cap);
void notify_queue_free(struct notify_queue *q);
/* Adds a copy of it at the end; false (nothing added) when full. */
bool notify_queue_push(struct notify_queue *q, const struct notify_item *it);
/* The oldest item, NULL when empty (valid until the next push or pop). */
const struct notify_item *notify_queue_front(const struct notify_queue *q);
/* Removes the oldest item (none: nothing). */
void notify_queue_pop(struct notify_queue *q);

/* How long to wait after failed attempt number attempt (1, 2, ...):
 * NOTIFY_BACKOFF_FIRST_MS doubled each time, at most NOTIFY_BACKOFF_MAX_MS. */
#define NOTIFY_BACKOFF_FIRST_MS 500
#define NOTIFY_BACKOFF_MAX_MS 30000
int64_t notify_backoff_ms(unsigned attempt);
/* When to try again after failed attempt number attempt at now_ms, or -1
 * when that is at or past deadline_ms (the event is given up). */
int64_t notify_retry_at(unsigned attempt, int64_t now_ms, int64_t deadline_ms);

/* A receiver's URL: http:// or https://, a host, at most
 * NOTIFY_URL_MAX bytes, no spaces or control bytes. 0, or -1 + err saying
 * what is accepted (the URL itself shown as notify_url_shown does). */
#define NOTIFY_URL_MAX 2048
int notify_url_check(const char *url, char *err, size_t errlen);
/* The URL for logs and messages: scheme and host (and port) only, "/…"
 * when a path or query followed; user, password, path and query left out
 * (a webhook's token is in any of them). Bounded by outlen. Returns out. */
char *notify_url_shown(const char *url, char *out, size_t outlen);

/* Which policies have had no usable metrics (metrics-unavailable or
 * insufficient-data) since when, and whether that was notified. */
struct notify_watch_entry {
    long seq;
    int64_t since_ms;
    bool notified;
    bool seen; /* in this cycle */
};
struct notify_watch {
    struct notify_watch_entry *v;
    size_t n;
};

/* What notify_watch_update says to notify. */
enum notify_watch_say {
    NOTIFY_SAY_NOTHING,
    NOTIFY_SAY_UNAVAILABLE,
    NOTIFY_SAY_AVAILABLE
};
/* Whether an outcome says the metrics are missing (1), usable (0), or
 * does not say (-1: the store or engine down, settling, updating, ...). */
int notify_outcome_metrics(enum dec_outcome o);
/* Before a cycle's updates: every entry not updated in the cycle goes at
 * notify_watch_end (its policy is gone or was not evaluated). */
void notify_watch_begin(struct notify_watch *w);
/* One policy's state this cycle (missing: its metrics are not usable):
 * NOTIFY_SAY_UNAVAILABLE once it has been missing for after_ms,
 * NOTIFY_SAY_AVAILABLE when metrics return after that was said. */
enum notify_watch_say notify_watch_update(struct notify_watch *w, long seq,
                                          bool missing, int64_t now_ms,
                                          int64_t after_ms);
/* Keeps (unseen this cycle) the entry of seq: a policy whose state is not
 * known this cycle keeps its clock. */
void notify_watch_keep(struct notify_watch *w, long seq);
void notify_watch_end(struct notify_watch *w);
void notify_watch_free(struct notify_watch *w);

#endif
