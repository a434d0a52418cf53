/* The history stores behind hstore.h: the SQL store, InfluxDB's das
 * measurement and the services' labels, and the one choice among them. */
#include "hstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "das.h"
#include "eval.h"
#include "evjson.h"
#include "evlog.h"
#include "health.h"
#include "hist_influx.h"
#include "http.h"
#include "log.h"

/* The policies' seqs, for the stores that ask by seq (heap). */
static long *pol_seqs(const struct hstore_pol *pols, size_t n)
{
    long *seqs = xcalloc(n ? n : 1, sizeof *seqs);
    for (size_t i = 0; i < n; i++)
        seqs[i] = pols[i].seq;
    return seqs;
}

/* ---- the SQL store: das_events ---- */

static int sql_open(struct das_clients *cl, const char *cmd)
{
    int status = 0;
    if (!cl->pg)
        cl->pg = das_store_open(cmd, cl->conf->policy_db, &status);
    return cl->pg ? 0 : status;
}

/* The connection was readied by the evaluation's policy read. */
static int sql_last(struct das_clients *cl, const struct hstore_pol *pols,
                    size_t n, int64_t since_ms, int64_t until_ms,
                    struct hist_future *future, int64_t *times, bool *bets,
                    char *err, size_t errlen)
{
    long *seqs = pol_seqs(pols, n);
    int rc = pg_last_actions(cl->pg, seqs, n, since_ms, until_ms, future, times,
                             bets, err, errlen);
    if (rc)
        cl->schema_done = false;
    free(seqs);
    return rc;
}

static int sql_record(struct das_clients *cl, const struct pg_event *ev,
                      size_t n, char *err, size_t errlen)
{
    return pg_events_insert(cl->pg, ev, n, err, errlen);
}

static int sql_events(struct das_clients *cl, const char *service,
                      int64_t since_ms, size_t limit, struct pg_event **out,
                      size_t *n, char *err, size_t errlen)
{
    return pg_events(cl->pg, service, since_ms, limit, out, n, err, errlen);
}

static const struct hstore_ops sql_ops = {
    .name = "policy store",
    .where = "in the policy store",
    .down = "policy store",
    .in_points = false,
    .max_events = 0,
    .open = sql_open,
    .last = sql_last,
    .update = NULL,
    .record = sql_record,
    .events = sql_events,
};

/* ---- InfluxDB: the das measurement (das run writes its points in every
 * mode with InfluxDB; with no SQL store they are the record) ---- */

static int infl_open(struct das_clients *cl, const char *cmd)
{
    char err[600];
    if (cl->influx)
        return 0;
    if (das_clients_open(cl, cl->conf, err, sizeof err)) {
        fprintf(stderr, "%s: bad configuration: %s\n", cmd, err);
        return 2;
    }
    return 0;
}

static int infl_last(struct das_clients *cl, const struct hstore_pol *pols,
                     size_t n, int64_t since_ms, int64_t until_ms,
                     struct hist_future *future, int64_t *times, bool *bets,
                     char *err, size_t errlen)
{
    long *seqs = pol_seqs(pols, n);
    int rc = hist_last_actions(cl->history, seqs, n, since_ms, until_ms, future,
                               times, bets, err, errlen);
    free(seqs);
    return rc;
}

static int infl_events(struct das_clients *cl, const char *service,
                       int64_t since_ms, size_t limit, struct pg_event **out,
                       size_t *n, char *err, size_t errlen)
{
    return hist_events(cl->history, service, since_ms, limit, out, n, err,
                       errlen);
}

static const struct hstore_ops infl_ops = {
    .name = "InfluxDB",
    .where = "in InfluxDB",
    .down = "history (InfluxDB)",
    .in_points = true,
    .max_events = 0,
    .open = infl_open,
    .last = infl_last,
    .update = NULL,
    .record = NULL,
    .events = infl_events,
};

/* ---- the services' labels (hist_label.h); the events in das run's
 * memory ---- */

static int label_open(struct das_clients *cl, const char *cmd)
{
    (void)cl;
    (void)cmd;
    return 0; /* no store: the running das keeps the events */
}

/* A label das cannot read is said once per value and counts as no action
 * (the windows then start at the service's last update,
 * das_window_since). Never fails. */
static int label_last(struct das_clients *cl, const struct hstore_pol *pols,
                      size_t n, int64_t since_ms, int64_t until_ms,
                      struct hist_future *future, int64_t *times, bool *bets,
                      char *err, size_t errlen)
{
    static struct complaint bad_label; /* one das evaluates at a time */
    (void)cl;
    (void)err;
    (void)errlen;
    bool any_bad = false;
    for (size_t i = 0; i < n; i++) {
        const char *v = pols[i].last;
        struct hl_last l;
        char perr[300], q[120], qe[360];
        times[i] = 0;
        bets[i] = false;
        if (v && hl_parse(v, &l, perr, sizeof perr)) {
            any_bad = true;
            if (complain(&bad_label, perr))
                log_warn("service's last-action label not readable",
                         "service=%s error=%s",
                         log_quote(pols[i].service ? pols[i].service : "", q,
                                   sizeof q),
                         log_quote(perr, qe, sizeof qe));
        } else if (v && l.t_ms > until_ms) {
            if (future->n++ == 0) {
                future->first_seq = pols[i].seq;
                future->first_ms = l.t_ms;
            }
        } else if (v && l.t_ms >= since_ms) {
            times[i] = l.t_ms;
            bets[i] = l.bet;
        }
    }
    if (!any_bad && complain_release(&bad_label))
        log_info("every last-action label readable again", NULL);
    return 0;
}

static void label_update(const struct hl_last *l, const char *reason,
                         struct hstore_update *u)
{
    hl_format(l, u->last, sizeof u->last);
    hl_reason(reason, u->reason, sizeof u->reason);
    u->labels[0] = (struct dsvc_set_label){HL_KEY, u->last};
    u->labels[1] = (struct dsvc_set_label){HL_REASON_KEY, u->reason};
    u->n = 2;
}

/* The recent events of the running das run at DAS_LISTEN (GET /events):
 * service NULL for all, newest first, *ev heap. 0, or -1 + err. */
static int daemon_events(const char *service, int64_t since, long limit,
                         struct pg_event **ev, size_t *n, char *err,
                         size_t errlen)
{
    struct buf path;
    struct http_resp resp;
    char base[96], jerr[200];
    int rc = -1;
    buf_init(&path, 1024);
    http_resp_init(&resp);
    if (buf_printf(&path, "/events?limit=%ld&since=%lld", limit,
                   (long long)since) ||
        (service &&
         (buf_puts(&path, "&service=") || http_urlencode(service, &path)))) {
        snprintf(err, errlen, "--service: too long");
        goto out;
    }
    if (hc_get("das", "DAS_LISTEN", path.ptr, &resp, base, sizeof base, err,
               errlen)) {
        size_t l = strlen(err);
        snprintf(err + l, errlen - l,
                 " (with no store, the events are kept by the running das "
                 "run: set DAS_LISTEN to its --listen address)");
        goto out;
    }
    if (resp.status != 200) {
        snprintf(err, errlen, "GET %s/events: HTTP %ld: %.200s", base,
                 resp.status, resp.body.ptr ? resp.body.ptr : "");
        goto out;
    }
    json_error_t je;
    json_t *arr = json_loadb(resp.body.ptr, resp.body.len, 0, &je);
    if (!arr) {
        snprintf(err, errlen, "GET %s/events: not JSON: %s", base, je.text);
        goto out;
    }
    if (evlog_events_parse(arr, ev, n, jerr, sizeof jerr))
        snprintf(err, errlen, "GET %s/events: %s", base, jerr);
    else
        rc = 0;
    json_decref(arr);
out:
    buf_cleanup(&path);
    http_resp_cleanup(&resp);
    return rc;
}

static int label_events(struct das_clients *cl, const char *service,
                        int64_t since_ms, size_t limit, struct pg_event **out,
                        size_t *n, char *err, size_t errlen)
{
    (void)cl;
    return daemon_events(service, since_ms, (long)limit, out, n, err, errlen);
}

static const struct hstore_ops label_ops = {
    .name = "service labels",
    .where = "on the services",
    .down = "service labels",
    .in_points = false,
    .max_events = EVLOG_CAP,
    .open = label_open,
    .last = label_last,
    .update = label_update,
    .record = NULL,
    .events = label_events,
};

/* ---- the choice, and the calls ---- */

void hstore_init(struct hstore *h, struct das_clients *cl)
{
    h->cl = cl;
    if (!das_store_none(cl->conf))
        h->ops = &sql_ops;
    else if (!das_influx_none(cl->conf))
        h->ops = &infl_ops;
    else
        h->ops = &label_ops;
}

int hstore_open(struct hstore *h, const char *cmd)
{
    return h->ops->open(h->cl, cmd);
}

int hstore_last(struct hstore *h, const struct hstore_pol *pols, size_t n,
                int64_t since_ms, int64_t until_ms, struct hist_future *future,
                int64_t *times, bool *bets, char *err, size_t errlen)
{
    return h->ops->last(h->cl, pols, n, since_ms, until_ms, future, times, bets,
                        err, errlen);
}

void hstore_update(const struct hstore *h, const struct hl_last *l,
                   const char *reason, struct hstore_update *u)
{
    u->n = 0;
    if (h->ops->update)
        h->ops->update(l, reason, u);
}

int hstore_record(struct hstore *h, const struct pg_event *ev, size_t n,
                  char *err, size_t errlen)
{
    if (!h->ops->record || n == 0)
        return 0;
    return h->ops->record(h->cl, ev, n, err, errlen);
}

int hstore_events(struct hstore *h, const char *service, int64_t since_ms,
                  size_t limit, struct pg_event **out, size_t *n, char *err,
                  size_t errlen)
{
    *out = NULL;
    *n = 0;
    return h->ops->events(h->cl, service, since_ms, limit, out, n, err, errlen);
}
