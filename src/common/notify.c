/* Notification senders (notify.h): a thread, a queue and a curl handle per
 * receiver; the cycle only copies an event into each queue. */
#include "notify.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "version.h"

struct receiver {
    struct notify *parent;
    size_t index; /* from 1, as /metrics and the log name it */
    char *url;
    char shown[300];
    pthread_t thread;
    bool started;
    CURL *easy; /* the sender's alone */
    /* under mu: */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct notify_queue q;
    bool stop;
    int64_t stop_deadline_ms;    /* what is queued gets until then */
    _Atomic int64_t abort_at_ms; /* an attempt in flight ends then (0: no) */
    unsigned long sent, dropped, failures;
    struct complaint c_drop; /* the sender's alone */
};

struct notify {
    struct notify_conf conf; /* urls not kept: each receiver has its copy */
    struct receiver *r;
    size_t nr;
    pthread_mutex_t n_mu;
    uint64_t next_n;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits on r->cv until abs_ms (monotonic) or a signal; r->mu held. */
static void wait_until(struct receiver *r, int64_t abs_ms)
{
    struct timespec ts = {(time_t)(abs_ms / 1000),
                          (long)(abs_ms % 1000) * 1000000};
    int rc = pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    (void)rc; /* a timeout or a wake-up: the caller looks again */
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * nmemb; /* the answer's body means nothing; the timeout
                            bounds how long it may take */
}

/* Ends an attempt in flight once the stop's deadline passed. */
static int on_progress(void *ud, curl_off_t dlt, curl_off_t dln, curl_off_t ult,
                       curl_off_t uln)
{
    struct receiver *r = ud;
    (void)dlt;
    (void)dln;
    (void)ult;
    (void)uln;
    int64_t at = r->abort_at_ms;
    return at && mono_ms() >= at ? 1 : 0;
}

/* One POST of body. 0 on a 2xx answer, else -1 + err (never the URL). */
static int post(struct receiver *r, const char *body, int64_t timeout_ms,
                char *err, size_t errlen)
{
    char errbuf[CURL_ERROR_SIZE] = "", ua[64];
    struct curl_slist *hdrs = NULL;
    CURL *c = r->easy;
    curl_easy_reset(c);
    snprintf(ua, sizeof ua, "das/%s", version_number());
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* a 3xx is a failure */
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    if (!getenv("NO_PROXY") && !getenv("no_proxy"))
        curl_easy_setopt(c, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    int rc = -1;
    if (cc != CURLE_OK) {
        char line[CURL_ERROR_SIZE];
        log_copy_oneline(line, sizeof line,
                         errbuf[0] ? errbuf : curl_easy_strerror(cc),
                         CURL_ERROR_SIZE);
        snprintf(err, errlen, "%s", line);
    } else if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status),
               status < 200 || status > 299) {
        snprintf(err, errlen, "answered HTTP %ld (2xx expected%s)", status,
                 status >= 300 && status < 400 ? "; redirects are not followed"
                                               : "");
    } else {
        rc = 0;
    }
    curl_slist_free_all(hdrs);
    return rc;
}

/* Tries the front item until delivered, or its deadline (or the stop's)
 * passed; true when delivered. r->mu is not held. */
static bool deliver(struct receiver *r, const struct notify_item *it,
                    const char *body, char *err, size_t errlen)
{
    const struct notify_conf *conf = &r->parent->conf;
    int64_t deadline = it->queued_ms + conf->give_up_ms;
    snprintf(err, errlen, "not tried: queued longer than the give-up time");
    for (unsigned attempt = 1;; attempt++) {
        pthread_mutex_lock(&r->mu);
        if (r->stop && r->stop_deadline_ms < deadline)
            deadline = r->stop_deadline_ms;
        pthread_mutex_unlock(&r->mu);
        int64_t now = mono_ms();
        if (now >= deadline)
            return false;
        int64_t left = deadline - now;
        if (post(r, body, left < conf->timeout_ms ? left : conf->timeout_ms,
                 err, errlen) == 0)
            return true;
        pthread_mutex_lock(&r->mu);
        r->failures++;
        int64_t at = notify_retry_at(attempt, mono_ms(), deadline);
        while (at >= 0 && !r->stop && mono_ms() < at)
            wait_until(r, at);
        pthread_mutex_unlock(&r->mu);
        if (at < 0)
            return false; /* the next try would be past the deadline */
    }
}

/* A drop: counted; logged when drops start (until one is delivered). */
static void dropped(struct receiver *r, const struct pg_event *e,
                    const char *why)
{
    char q[600], q2[300];
    pthread_mutex_lock(&r->mu);
    r->dropped++;
    pthread_mutex_unlock(&r->mu);
    if (complain(&r->c_drop, "dropped"))
        log_warn("notification dropped; the next ones that are dropped are "
                 "counted (das_notifications_dropped_total), not logged, "
                 "until one is delivered",
                 "receiver=%zu url=%s event=%s service=%s error=%s", r->index,
                 r->shown, e->action, log_quote(e->service, q2, sizeof q2),
                 log_quote(why, q, sizeof q));
}

static void *sender_main(void *arg)
{
    struct receiver *r = arg;
    const struct notify_conf *conf = &r->parent->conf;
    char err[CURL_ERROR_SIZE + 64];
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->stop && r->q.n == 0)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->q.n == 0)
            break; /* stopping, and nothing is left */
        struct notify_item it = *notify_queue_front(&r->q);
        pthread_mutex_unlock(&r->mu);
        char *body = notify_body(&it, conf->format, &conf->from);
        bool ok = deliver(r, &it, body, err, sizeof err);
        free(body);
        if (ok) {
            pthread_mutex_lock(&r->mu);
            r->sent++;
            unsigned long lost = r->dropped;
            pthread_mutex_unlock(&r->mu);
            if (complain_release(&r->c_drop))
                log_info("notifications delivered again",
                         "receiver=%zu url=%s dropped_total=%lu", r->index,
                         r->shown, lost);
        } else {
            dropped(r, &it.ev, err);
        }
        pthread_mutex_lock(&r->mu);
        notify_queue_pop(&r->q);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT); /* counted: http.c's too */
}

struct notify *notify_start(const struct notify_conf *conf, char *err,
                            size_t errlen)
{
    char e[400];
    pthread_once(&curl_once, curl_init_once);
    for (size_t i = 0; i < conf->nurls; i++)
        if (notify_url_check(conf->urls[i], e, sizeof e)) {
            snprintf(err, errlen, "notification URL %zu: %s", i + 1, e);
            return NULL;
        }
    struct notify *n = xcalloc(1, sizeof *n);
    n->conf = *conf;
    n->conf.urls = NULL;
    pthread_mutex_init(&n->n_mu, NULL);
    n->r = xcalloc(conf->nurls ? conf->nurls : 1, sizeof *n->r);
    for (size_t i = 0; i < conf->nurls; i++) {
        struct receiver *r = &n->r[i];
        r->parent = n;
        r->index = i + 1;
        r->url = xstrdup(conf->urls[i]);
        notify_url_shown(r->url, r->shown, sizeof r->shown);
        pthread_mutex_init(&r->mu, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&r->cv, &ca);
        pthread_condattr_destroy(&ca);
        notify_queue_init(&r->q, conf->queue_cap);
        n->nr++;
        r->easy = curl_easy_init();
        int rc =
            r->easy ? pthread_create(&r->thread, NULL, sender_main, r) : ENOMEM;
        if (rc) {
            snprintf(err, errlen,
                     "notification URL %zu: cannot start its sender: %s", i + 1,
                     strerror(rc));
            notify_stop(n);
            return NULL;
        }
        r->started = true;
    }
    return n;
}

void notify_send(struct notify *n, const struct pg_event *e)
{
    if (!n)
        return;
    struct notify_item it;
    it.ev = *e;
    it.queued_ms = mono_ms();
    pthread_mutex_lock(&n->n_mu);
    it.n = ++n->next_n;
    pthread_mutex_unlock(&n->n_mu);
    for (size_t i = 0; i < n->nr; i++) {
        struct receiver *r = &n->r[i];
        pthread_mutex_lock(&r->mu);
        bool queued = notify_queue_push(&r->q, &it);
        if (queued)
            pthread_cond_signal(&r->cv);
        else
            r->dropped++;
        pthread_mutex_unlock(&r->mu);
        /* the sender logs its own drops; a full queue is said here, once
         * per run of them (the sender is stuck on one receiver) */
        if (!queued) {
            char q[300];
            log_debug("notification dropped: the receiver's queue is full",
                      "receiver=%zu url=%s event=%s service=%s", r->index,
                      r->shown, e->action, log_quote(e->service, q, sizeof q));
        }
    }
}

int notify_metrics(struct notify *n, struct buf *out)
{
    if (!n)
        return 0;
    static const char *const names[] = {
        "das_notifications_sent_total",
        "das_notifications_dropped_total",
        "das_notification_failures_total",
        "das_notifications_queued",
    };
    static const char *const helps[] = {
        "Notifications delivered (a 2xx answer), by receiver.",
        "Notifications given up (not delivered within the give-up time, "
        "or the receiver's queue full), by receiver.",
        "Delivery attempts that failed (no answer in time, not a 2xx "
        "answer), by receiver.",
        "Notifications waiting for their receiver.",
    };
    int rc = 0;
    for (size_t m = 0; m < 4; m++) {
        rc |= buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", names[m],
                         helps[m], names[m], m == 3 ? "gauge" : "counter");
        for (size_t i = 0; i < n->nr; i++) {
            struct receiver *r = &n->r[i];
            pthread_mutex_lock(&r->mu);
            unsigned long v = m == 0   ? r->sent
                              : m == 1 ? r->dropped
                              : m == 2 ? r->failures
                                       : (unsigned long)r->q.n;
            pthread_mutex_unlock(&r->mu);
            rc |= buf_printf(out, "%s{receiver=\"%zu\"} %lu\n", names[m],
                             r->index, v);
        }
    }
    return rc ? -1 : 0;
}

size_t notify_receivers(const struct notify *n)
{
    return n ? n->nr : 0;
}

const char *notify_receiver_shown(const struct notify *n, size_t i)
{
    return n && i < n->nr ? n->r[i].shown : "";
}

void notify_stop(struct notify *n)
{
    if (!n)
        return;
    int64_t deadline = mono_ms() + n->conf.timeout_ms;
    for (size_t i = 0; i < n->nr; i++) {
        struct receiver *r = &n->r[i];
        pthread_mutex_lock(&r->mu);
        r->stop = true;
        r->stop_deadline_ms = deadline;
        r->abort_at_ms = deadline;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
    for (size_t i = 0; i < n->nr; i++) {
        struct receiver *r = &n->r[i];
        if (r->started)
            pthread_join(r->thread, NULL);
        if (r->easy)
            curl_easy_cleanup(r->easy);
        notify_queue_free(&r->q);
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        if (r->url) {
            memset(r->url, 0, strlen(r->url)); /* it may carry a token */
            free(r->url);
        }
    }
    pthread_mutex_destroy(&n->n_mu);
    free(n->r);
    free(n);
}
