/* Notifications of das's events to webhook receivers
 * (docs/notifications.md): each receiver has a bounded queue and a sender
 * thread of its own, so a receiver that hangs, fails or is absent costs
 * the cycle nothing but a copy into its queue. An event is tried with
 * backoff (notifyq.h) until it is delivered (a 2xx answer) or give_up_ms
 * after it was queued; then it is dropped, counted (/metrics) and, the
 * first of a run of drops, logged. Redirects are not followed. */
#ifndef DAS_NOTIFY_H
#define DAS_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "notify_fmt.h"
#include "notifyq.h"

struct notify_conf {
    const char *const *urls; /* checked by notify_url_check; copied */
    size_t nurls;
    enum notify_format format;
    int64_t timeout_ms; /* one attempt, connecting included */
    int64_t give_up_ms; /* after queueing: dropped then */
    size_t queue_cap;   /* per receiver; 0: NOTIFY_QUEUE_CAP */
    struct notify_origin from;
};

struct notify;

/* Starts one sender per URL. NULL + err on a bad URL (said without its
 * secrets) or when a thread cannot start. */
struct notify *notify_start(const struct notify_conf *conf, char *err,
                            size_t errlen);
/* Queues e for every receiver; never waits on one (n may be NULL). */
void notify_send(struct notify *n, const struct pg_event *e);
/* The counters as Prometheus text, receivers numbered from 1 as in the
 * log line that names them. 0, or -1 when out is full. */
int notify_metrics(struct notify *n, struct buf *out) WUR;
/* How many receivers, and the URL of receiver i as notify_url_shown
 * says it. */
size_t notify_receivers(const struct notify *n);
const char *notify_receiver_shown(const struct notify *n, size_t i);
/* Stops the senders: what is queued gets until one timeout from now (an
 * attempt in flight then ends); what is left is dropped and counted.
 * Frees n. */
void notify_stop(struct notify *n);

#endif
