/* What das run tells the notification receivers (docs/notifications.md),
 * in das's words: its recorded events, a policy turning bad or good, a
 * service no longer capacity-bound, a policy without usable metrics for
 * too long, leadership gained or lost. The sending is notify.h's. */
#ifndef DAS_NOTICES_H
#define DAS_NOTICES_H

#include <stdbool.h>

#include "buf.h"
#include "das.h"
#include "eval.h"
#include "notifyq.h"

/* The options of das run that set them up. */
/* clang-format off */
#define DAS_NOTIFY_OPTS(c)                                                     \
    {"--notify-url", "DAS_NOTIFY_URL", CFG_LIST, NULL, NULL, 0, 0,             \
     "POST a JSON event to this http(s) URL for every action and every "      \
     "change of state (docs/notifications.md); a URL that carries a token "   \
     "belongs in --notify-url-file",                                          \
     &(c)->notify_urls},                                                       \
    {"--notify-url-file", "DAS_NOTIFY_URL_FILE", CFG_STR, NULL, NULL, 0, 0,   \
     "file of notification URLs, one a line (# comments), also notified; "    \
     "never logged",                                                          \
     &(c)->notify_url_file},                                                   \
    {"--notify-format", "DAS_NOTIFY_FORMAT", CFG_ENUM, "json", "json|slack",  \
     0, 0, "what is POSTed: the event as JSON, or {\"text\": ...} for chat "  \
     "tools (Slack, Mattermost, Rocket.Chat)", &(c)->notify_format},         \
    {"--notify-timeout", "DAS_NOTIFY_TIMEOUT", CFG_DUR, "5s", NULL, 100, 0,   \
     "how long one delivery attempt may take", &(c)->notify_timeout_ms},     \
    {"--notify-give-up", "DAS_NOTIFY_GIVE_UP", CFG_DUR, "2m", NULL, 100, 0,   \
     "retry a notification with backoff for this long after it happened, "    \
     "then drop it (counted in das_notifications_dropped_total)",            \
     &(c)->notify_give_up_ms},                                                 \
    {"--notify-unavailable-after", "DAS_NOTIFY_UNAVAILABLE_AFTER", CFG_DUR,   \
     "10m", NULL, 1000, 0,                                                     \
     "notify a policy without usable metrics (metrics-unavailable, "          \
     "insufficient-data) for this long", &(c)->notify_unavailable_ms}
/* clang-format on */

struct das_notices;

/* Starts the senders of conf's URLs (--notify-url and the file's). 0 with
 * *out NULL when there is none; -1 + err on a bad URL, format or file
 * (never showing a URL's secrets). */
int das_notices_open(struct das_notices **out, const struct das_conf *conf,
                     char *err, size_t errlen) WUR;
/* Stops the senders (notify_stop); n may be NULL. */
void das_notices_close(struct das_notices *n);

/* An event das records (scale-out, scale-in, bound, synced,
 * capacity-bound), as recorded. */
void das_notice_event(struct das_notices *n, const struct pg_event *e);
/* A policy's change of state: policy-invalid, policy-valid,
 * capacity-bound-ended; reason in das's words. */
void das_notice_policy(struct das_notices *n, const struct das_pol_eval *pe,
                       enum notify_event what, const char *reason);
/* This das leads the swarm now (gained) or no longer; engine: what its
 * engine said of itself. */
void das_notice_leader(struct das_notices *n, bool gained, const char *engine);
/* After an evaluation: the policies whose metrics have been missing for
 * --notify-unavailable-after, and those whose metrics are back. */
void das_notice_metrics(struct das_notices *n, const struct das_eval *ev);
/* The senders' counters for /metrics. 0, or -1 when out is full. */
int das_notices_metrics(struct das_notices *n, struct buf *out) WUR;

#endif
