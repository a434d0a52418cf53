/* das run's notifications (notices.h): the events made from what the
 * cycle saw, handed to the senders (notify.h). */
#include "notices.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "dur.h"
#include "log.h"
#include "notify.h"

struct das_notices {
    struct notify *send;
    struct notify_watch watch;
    int64_t unavailable_ms;
};

/* The lines of the URL file that are URLs (not blank, not # comments),
 * into urls (pointers into text, which is changed). -1 + err when there
 * are more than max. */
static int file_urls(char *text, const char **urls, size_t *n, size_t max,
                     char *err, size_t errlen)
{
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
                       line[len - 1] == '\t'))
            line[--len] = '\0';
        line += strspn(line, " \t");
        if (*line && *line != '#') {
            if (*n == max) {
                snprintf(err, errlen,
                         "more than %zu notification URLs (flags and file "
                         "together)",
                         max);
                return -1;
            }
            urls[(*n)++] = line;
        }
        line = next;
    }
    return 0;
}

int das_notices_open(struct das_notices **out, const struct das_conf *conf,
                     char *err, size_t errlen)
{
    const char *urls[2 * CFG_LIST_MAX];
    size_t n = 0;
    char *text = NULL, e[400];
    int rc = -1;
    *out = NULL;
    for (size_t i = 0; i < conf->notify_urls.n; i++)
        urls[n++] = conf->notify_urls.v[i];
    if (conf->notify_url_file && conf->notify_url_file[0]) {
        text = cfg_read_secret(conf->notify_url_file, e, sizeof e);
        if (!text) {
            snprintf(err, errlen, "--notify-url-file: %s", e);
            return -1;
        }
        if (file_urls(text, urls, &n, sizeof urls / sizeof urls[0], e,
                      sizeof e)) {
            snprintf(err, errlen, "--notify-url-file: %s", e);
            goto out;
        }
    }
    if (n == 0) {
        rc = 0;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        size_t nflags = conf->notify_urls.n;
        if (notify_url_check(urls[i], e, sizeof e)) {
            if (i < nflags)
                snprintf(err, errlen, "--notify-url #%zu: %s", i + 1, e);
            else
                snprintf(err, errlen, "--notify-url-file, URL %zu: %s",
                         i - nflags + 1, e);
            goto out;
        }
    }
    struct notify_conf nc;
    memset(&nc, 0, sizeof nc);
    nc.urls = urls;
    nc.nurls = n;
    nc.format =
        !strcmp(conf->notify_format ? conf->notify_format : "json", "slack")
            ? NOTIFY_FMT_SLACK
            : NOTIFY_FMT_JSON;
    nc.timeout_ms = conf->notify_timeout_ms;
    nc.give_up_ms = conf->notify_give_up_ms;
    if (gethostname(nc.from.das, sizeof nc.from.das - 1))
        snprintf(nc.from.das, sizeof nc.from.das, "das");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    nc.from.start_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    nc.from.pid = (long)getpid();
    struct notify *s = notify_start(&nc, e, sizeof e);
    if (!s) {
        snprintf(err, errlen, "%s", e);
        goto out;
    }
    struct das_notices *dn = xcalloc(1, sizeof *dn);
    dn->send = s;
    dn->unavailable_ms = conf->notify_unavailable_ms;
    char iv[32], gu[32];
    for (size_t i = 0; i < notify_receivers(s); i++)
        log_info("notifying",
                 "receiver=%zu url=%s format=%s timeout=%s "
                 "give_up=%s",
                 i + 1, notify_receiver_shown(s, i),
                 nc.format == NOTIFY_FMT_SLACK ? "slack" : "json",
                 dur_format(nc.timeout_ms, iv, sizeof iv),
                 dur_format(nc.give_up_ms, gu, sizeof gu));
    *out = dn;
    rc = 0;
out:
    if (text) {
        memset(text, 0, strlen(text)); /* URLs may carry tokens */
        free(text);
    }
    return rc;
}

void das_notices_close(struct das_notices *n)
{
    if (!n)
        return;
    notify_stop(n->send);
    notify_watch_free(&n->watch);
    free(n);
}

void das_notice_event(struct das_notices *n, const struct pg_event *e)
{
    if (n)
        notify_send(n->send, e);
}

/* An event of a policy, its service and replicas filled in. */
static void policy_event(const struct das_pol_eval *pe, enum notify_event what,
                         const char *reason, int64_t now_ms, struct pg_event *e)
{
    memset(e, 0, sizeof *e);
    e->time_ms = now_ms;
    e->seq = pe->valid ? pe->pol.seq : pe->seq;
    snprintf(e->service, sizeof e->service, "%.63s",
             pe->found ? pe->svc.name : pe->pol.service_id);
    snprintf(e->action, sizeof e->action, "%s", notify_event_names[what]);
    e->from_no = e->to_no = pe->found ? pe->svc.replicas : -1;
    if (pe->valid && pe->pol.metric)
        snprintf(e->metric, sizeof e->metric, "%s",
                 pe->pol.conds[pe->res.cond].name);
    e->observed = e->threshold = NAN;
    snprintf(e->reason, sizeof e->reason, "%s", reason ? reason : "");
}

void das_notice_policy(struct das_notices *n, const struct das_pol_eval *pe,
                       enum notify_event what, const char *reason)
{
    if (!n)
        return;
    struct pg_event e;
    policy_event(pe, what, reason, das_now_ms(), &e);
    notify_send(n->send, &e);
}

void das_notice_leader(struct das_notices *n, bool gained, const char *engine)
{
    if (!n)
        return;
    struct pg_event e;
    memset(&e, 0, sizeof e);
    e.time_ms = das_now_ms();
    e.from_no = e.to_no = -1;
    e.observed = e.threshold = NAN;
    snprintf(
        e.action, sizeof e.action, "%s",
        notify_event_names[gained ? NOTIFY_LEADER_GAINED : NOTIFY_LEADER_LOST]);
    snprintf(e.reason, sizeof e.reason, "%s: %s",
             gained ? "this das acts: its engine leads the swarm"
                    : "this das stands by: its engine no longer leads",
             engine);
    if (!gained)
        notify_watch_free(&n->watch); /* the next leader's clocks count */
    notify_send(n->send, &e);
}

void das_notice_metrics(struct das_notices *n, const struct das_eval *ev)
{
    if (!n || !ev->store_ok || !ev->docker_ok)
        return; /* the policies are not known: the clocks run on */
    char after[32], why[256];
    dur_format(n->unavailable_ms, after, sizeof after);
    notify_watch_begin(&n->watch);
    for (size_t i = 0; i < ev->n; i++) {
        const struct das_pol_eval *pe = &ev->pols[i];
        if (!pe->valid)
            continue;
        int missing = notify_outcome_metrics(pe->res.outcome);
        if (missing < 0) {
            notify_watch_keep(&n->watch, pe->pol.seq);
            continue;
        }
        enum notify_watch_say say = notify_watch_update(
            &n->watch, pe->pol.seq, missing, ev->now_ms, n->unavailable_ms);
        if (say == NOTIFY_SAY_UNAVAILABLE) {
            snprintf(why, sizeof why, "no usable metrics for %s or more: %s",
                     after, pe->res.reason);
            das_notice_policy(n, pe, NOTIFY_METRICS_UNAVAILABLE, why);
        } else if (say == NOTIFY_SAY_AVAILABLE) {
            das_notice_policy(n, pe, NOTIFY_METRICS_AVAILABLE,
                              "usable metrics again");
        }
    }
    notify_watch_end(&n->watch);
}

int das_notices_metrics(struct das_notices *n, struct buf *out)
{
    return n ? notify_metrics(n->send, out) : 0;
}
