/* The history store: where das keeps each policy's last action and the
 * events `das events` lists. One interface, three stores behind it, chosen
 * once from the configuration (hstore_init):
 *
 *   the SQL store (--policy-db):    das_events (pg.h)
 *   InfluxDB (--policy-db none):    the das measurement (hist_influx.h)
 *   neither (the embedded default): the services' das.last labels
 *                                   (hist_label.h), the events in das
 *                                   run's memory (GET /events)
 *
 * The callers (the evaluation, das run, das events, das simulate) use only
 * this; the store reads through the command's clients (eval.h), which
 * it borrows. */
#ifndef DAS_HSTORE_H
#define DAS_HSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docker_svc.h"
#include "hist_label.h"
#include "pg.h"

struct das_clients;

/* One policy whose last action is asked for. */
struct hstore_pol {
    long seq;
    const char *service; /* its service's name; NULL when not found */
    const char *last;    /* the service's das.last label; NULL when none */
};

/* What a scaling update carries of the action's record: the label store's
 * two labels (no moment between an action and its record); nothing for
 * the others. labels[i] point into last and reason. */
struct hstore_update {
    char last[128];
    char reason[HL_REASON_MAX + 1];
    struct dsvc_set_label labels[2];
    size_t n;
};

struct hstore_ops {
    const char *name;  /* for the start line: "policy store", "InfluxDB",
                          "service labels" */
    const char *where; /* for das status: "in the policy store", "in
                          InfluxDB", "on the services" */
    const char *down;  /* what a failed read makes unavailable: "policy
                          store", "history (InfluxDB)" */
    bool in_points;    /* the das measurement's points are the record */
    size_t max_events; /* most events one read may ask; 0: no bound */
    /* Readies the store for a command that reads its events: 0, or the
     * exit status with the message printed, prefixed with cmd. */
    int (*open)(struct das_clients *cl, const char *cmd);
    /* The last non-dry-run action of each of pols[0..n) in [since_ms,
     * until_ms] into times[i] / bets[i] (0 / false: none); records dated
     * after until_ms are counted in *future and left out. 0 / -1 + err. */
    int (*last)(struct das_clients *cl, const struct hstore_pol *pols, size_t n,
                int64_t since_ms, int64_t until_ms, struct hist_future *future,
                int64_t *times, bool *bets, char *err, size_t errlen);
    /* Optional: what the scaling update carries (NULL: nothing). */
    void (*update)(const struct hl_last *l, const char *reason,
                   struct hstore_update *u);
    /* Optional: records a cycle's events once it is over (NULL: the
     * record is made elsewhere, in the update or the points). */
    int (*record)(struct das_clients *cl, const struct pg_event *ev, size_t n,
                  char *err, size_t errlen);
    /* Events newest first: service NULL for all, since_ms 0 for all, at
     * most limit; *out heap (free). 0 / -1 + err. */
    int (*events)(struct das_clients *cl, const char *service, int64_t since_ms,
                  size_t limit, struct pg_event **out, size_t *n, char *err,
                  size_t errlen);
};

struct hstore {
    const struct hstore_ops *ops;
    struct das_clients *cl;
};

/* The store cl->conf names: the SQL store unless --policy-db none, then
 * InfluxDB unless --influx-url none, then the services' labels. */
void hstore_init(struct hstore *h, struct das_clients *cl);

static inline const char *hstore_name(const struct hstore *h)
{
    return h->ops->name;
}
/* True when the record travels on the services (a standby reads the
 * leader's actions from the service listing). */
static inline bool hstore_on_services(const struct hstore *h)
{
    return h->ops->update != NULL;
}
static inline bool hstore_in_points(const struct hstore *h)
{
    return h->ops->in_points;
}
static inline size_t hstore_max_events(const struct hstore *h)
{
    return h->ops->max_events;
}
int hstore_open(struct hstore *h, const char *cmd);
int hstore_last(struct hstore *h, const struct hstore_pol *pols, size_t n,
                int64_t since_ms, int64_t until_ms, struct hist_future *future,
                int64_t *times, bool *bets, char *err, size_t errlen) WUR;
void hstore_update(const struct hstore *h, const struct hl_last *l,
                   const char *reason, struct hstore_update *u);
int hstore_record(struct hstore *h, const struct pg_event *ev, size_t n,
                  char *err, size_t errlen) WUR;
/* limit as asked (a store with max_events refuses more). */
int hstore_events(struct hstore *h, const char *service, int64_t since_ms,
                  size_t limit, struct pg_event **out, size_t *n, char *err,
                  size_t errlen) WUR;

#endif
