/* The pure parts of notifications (notifyq.h): names, the queue, the retry
 * schedule, receiver URLs, the watch of missing metrics. */
#include "notifyq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define NOTIFY_EV_NAME(id, name) [id] = name,
const char *const notify_event_names[NOTIFY_NEVENTS] = {
    NOTIFY_EVENTS(NOTIFY_EV_NAME)};
#undef NOTIFY_EV_NAME

/* ---- the queue ------------------------------------------------------- */

void notify_queue_init(struct notify_queue *q, size_t cap)
{
    memset(q, 0, sizeof *q);
    q->cap = cap ? cap : NOTIFY_QUEUE_CAP;
    q->v = xcalloc(q->cap, sizeof *q->v);
}

void notify_queue_free(struct notify_queue *q)
{
    if (!q)
        return;
    free(q->v);
    memset(q, 0, sizeof *q);
}

bool notify_queue_push(struct notify_queue *q, const struct notify_item *it)
{
    if (q->n == q->cap)
        return false;
    q->v[(q->head + q->n) % q->cap] = *it;
    q->n++;
    return true;
}

const struct notify_item *notify_queue_front(const struct notify_queue *q)
{
    return q->n ? &q->v[q->head] : NULL;
}

void notify_queue_pop(struct notify_queue *q)
{
    if (!q->n)
        return;
    q->head = (q->head + 1) % q->cap;
    q->n--;
}

/* ---- retries --------------------------------------------------------- */

int64_t notify_backoff_ms(unsigned attempt)
{
    int64_t ms = NOTIFY_BACKOFF_FIRST_MS;
    for (unsigned i = 1; i < attempt && ms < NOTIFY_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < NOTIFY_BACKOFF_MAX_MS ? ms : NOTIFY_BACKOFF_MAX_MS;
}

int64_t notify_retry_at(unsigned attempt, int64_t now_ms, int64_t deadline_ms)
{
    int64_t at = now_ms + notify_backoff_ms(attempt);
    return at < deadline_ms ? at : -1;
}

/* ---- receiver URLs --------------------------------------------------- */

/* The length of the scheme and "://" of an http(s) URL, 0 otherwise. */
static size_t scheme_len(const char *url)
{
    if (!strncmp(url, "http://", 7))
        return 7;
    if (!strncmp(url, "https://", 8))
        return 8;
    return 0;
}

char *notify_url_shown(const char *url, char *out, size_t outlen)
{
    if (!outlen)
        return out;
    size_t sl = scheme_len(url);
    if (!sl) {
        snprintf(out, outlen, "(not an http or https URL)");
        return out;
    }
    const char *auth = url + sl;
    size_t alen = strcspn(auth, "/?#");
    const char *host = auth;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            host = p + 1; /* the userinfo goes */
    size_t hlen = (size_t)(auth + alen - host);
    /* a host is letters, digits, '.', '-', ':', '[' and ']': anything else
     * is shown as '?' (the URL may not have been checked yet) */
    size_t o = 0;
    o += (size_t)snprintf(out, outlen, "%.*s", (int)sl, url);
    for (size_t i = 0; i < hlen && o + 1 < outlen; i++) {
        char c = host[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
                  c == '[' || c == ']';
        out[o++] = ok ? c : '?';
    }
    out[o < outlen ? o : outlen - 1] = '\0';
    if (auth[alen] && auth[alen + strspn(auth + alen, "/")] &&
        o + 4 < outlen) /* a path or query: said, not shown */
        snprintf(out + o, outlen - o, "/...");
    return out;
}

int notify_url_check(const char *url, char *err, size_t errlen)
{
    char shown[300];
    const char *accepted = "expected http://HOST[:PORT]/PATH or "
                           "https://HOST[:PORT]/PATH";
    size_t len = strlen(url);
    size_t sl = scheme_len(url);
    if (!sl) {
        snprintf(err, errlen, "not an http or https URL: %s", accepted);
        return -1;
    }
    if (len > NOTIFY_URL_MAX) {
        snprintf(err, errlen, "%s: over %d bytes", accepted, NOTIFY_URL_MAX);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c == 0x7f) {
            snprintf(err, errlen,
                     "%s: a space or control byte at byte %zu (encode it "
                     "as %%XX)",
                     notify_url_shown(url, shown, sizeof shown), i + 1);
            return -1;
        }
    }
    const char *auth = url + sl;
    size_t alen = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', alen);
    const char *host = at ? at + 1 : auth;
    size_t hlen = (size_t)(auth + alen - host);
    if (hlen == 0 || host[0] == ':') {
        snprintf(err, errlen, "%s: no host; %s",
                 notify_url_shown(url, shown, sizeof shown), accepted);
        return -1;
    }
    return 0;
}

/* ---- missing metrics ------------------------------------------------- */

int notify_outcome_metrics(enum dec_outcome o)
{
    switch (o) {
    case DEC_O_METRICS_DOWN:
    case DEC_O_INSUFFICIENT:
        return 1;
    case DEC_O_SCALE_OUT:
    case DEC_O_SCALE_IN:
    case DEC_O_STEADY:
    case DEC_O_AT_MAX:
    case DEC_O_AT_MIN:
    case DEC_O_HOLD:
    case DEC_O_CAPACITY:
        return 0;
    default:
        return -1; /* bound, settling, not found, updating, store down ... */
    }
}

static struct notify_watch_entry *watch_find(struct notify_watch *w, long seq)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->v[i].seq == seq)
            return &w->v[i];
    return NULL;
}

void notify_watch_begin(struct notify_watch *w)
{
    for (size_t i = 0; i < w->n; i++)
        w->v[i].seen = false;
}

enum notify_watch_say notify_watch_update(struct notify_watch *w, long seq,
                                          bool missing, int64_t now_ms,
                                          int64_t after_ms)
{
    struct notify_watch_entry *e = watch_find(w, seq);
    if (!missing) {
        if (!e)
            return NOTIFY_SAY_NOTHING;
        bool said = e->notified;
        *e = w->v[--w->n]; /* gone: usable again */
        return said ? NOTIFY_SAY_AVAILABLE : NOTIFY_SAY_NOTHING;
    }
    if (!e) {
        w->v = xrealloc(w->v, (w->n + 1) * sizeof *w->v);
        e = &w->v[w->n++];
        *e = (struct notify_watch_entry){seq, now_ms, false, true};
    }
    e->seen = true;
    if (!e->notified && now_ms - e->since_ms >= after_ms) {
        e->notified = true;
        return NOTIFY_SAY_UNAVAILABLE;
    }
    return NOTIFY_SAY_NOTHING;
}

void notify_watch_keep(struct notify_watch *w, long seq)
{
    struct notify_watch_entry *e = watch_find(w, seq);
    if (e)
        e->seen = true;
}

void notify_watch_end(struct notify_watch *w)
{
    for (size_t i = 0; i < w->n;)
        if (!w->v[i].seen)
            w->v[i] = w->v[--w->n];
        else
            i++;
}

void notify_watch_free(struct notify_watch *w)
{
    if (!w)
        return;
    free(w->v);
    memset(w, 0, sizeof *w);
}
