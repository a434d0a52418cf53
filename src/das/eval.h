/* One evaluation of every policy: gather the inputs (policy rows, the one
 * service listing, one InfluxDB query per distinct (cond_item, duration),
 * the last action times) and run the decision engine on each policy.
 *
 * `das run` acts on the result; `das status` prints it. Both go through
 * das_evaluate(), so what status shows is what run decides. das_evaluate()
 * itself changes nothing anywhere (with ensure_schema it may create the
 * tables when they are missing). */
#ifndef DAS_EVAL_H
#define DAS_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "das.h"
#include "decide.h"
#include "docker_svc.h"
#include "hstore.h"
#include "inputs.h"
#include "log.h"
#include "mstore.h"
#include "pg.h"
#include "policy.h"
#include "skew.h"
#include "swarm_tasks.h"
#include "zones.h"

/* The long-lived clients of a command. */
struct das_clients {
    const struct das_conf *conf;
    struct dkr *docker;
    struct infl *influx;          /* windows, unless metrics says otherwise */
    struct infl *history;         /* the das measurement: written, read back
                                     (influx, or a client of
                                     --influx-history-db) */
    struct mstore metrics;        /* where the windows are read from */
    struct mstore_points *points; /* das run: InfluxDB's recent points */
    struct prom *prom;            /* --prometheus-url: the windows' store */
    struct prom *qprom;           /* --query-url, when not prom's: the query
                                     metrics' Prometheus */
    struct agents *agents;        /* neither: the ds agents (agents.h) */
    struct pg *pg;                /* NULL until the store first answers */
    char *influx_password;        /* heap; never logged */
    char *influx_token;           /* heap; never logged */
    char *prom_password;          /* heap; never logged */
    char *prom_token;             /* heap; never logged */
    bool prom_secrets_read;       /* both read (every client shares them) */
    bool ensure_schema;           /* create das / das_events when missing */
    bool schema_done;             /* per connection: reset on a store failure */
    /* Extra last-action times consulted as well as the store's (dry run). */
    struct das_seq_time *extra_last;
    size_t nextra;
    struct das_sync_seen *sync_seen;
    size_t nsync_seen;
    struct skew skew;    /* this host's clock against InfluxDB's */
    struct hstore hist;  /* where the last actions and events are kept */
    struct zones *zones; /* the schedules' time zones, read once */
};

/* Creates the clients from the configuration, and the history store
 * (hstore.h) over them. A bad Docker host or InfluxDB URL, or an
 * unreadable password file, is a configuration error: -1 + err (exit 2).
 * The store is connected on first use. */
int das_clients_open(struct das_clients *cl, const struct das_conf *conf,
                     char *err, size_t errlen) WUR;
void das_clients_close(struct das_clients *cl);

/* The evaluation of one policy row. */
struct das_pol_eval {
    long seq;    /* -1 when the seq column itself is bad */
    bool valid;  /* the row parsed */
    char *error; /* why the row is skipped (pol_parse message; heap,
                    NULL when valid: das_pol_error) */
    struct policy pol;
    bool found;               /* service resolved (a label policy's: also
                                 when its labels are invalid) */
    struct dsvc svc;          /* when found */
    char *svc_err;            /* when not found: missing or ambiguous
                                 (heap; NULL when found). 768 bytes in
                                 every policy's record were 7.7 MB at
                                 10,000 policies. */
    bool metrics_ok;          /* InfluxDB answered for both windows */
    struct dec_input in;      /* in.pol points at pol: do not copy the struct */
    struct sched_now sched;   /* pol's schedule now (in.sched points here
                                 when pol has one) */
    struct stask_count tasks; /* the service's running and pending tasks */
    struct dec_result res;
    bool evaluated; /* res is a decision (inputs were available) */
    bool idle;      /* min_no 0: the query read 0 over idle_for */
    /* A policy with several conditions (pol.nconds > 1): each condition
     * evaluated as a policy of its own (pol_cond_view), conds[k] for
     * pol.conds[k] (heap; conds[0] a copy of this record's own decision
     * on the first); res above is their combination (dec_combine), and
     * res.cond the deciding one. NULL for a one-metric policy. */
    struct das_pol_eval *conds;
};

/* The Prometheus the query metrics' PromQL goes to: --query-url's, else
 * --prometheus-url's; NULL: InfluxQL on InfluxDB, if any. */
static inline struct prom *das_query_prom(const struct das_clients *cl)
{
    return cl->qprom ? cl->qprom : cl->prom;
}

/* The record of pe's condition k: conds[k] when its conditions were
 * evaluated each on its own, else pe itself (a one-metric policy, or
 * one not evaluated this cycle: its windows were not read). */
static inline const struct das_pol_eval *
das_cond_eval(const struct das_pol_eval *pe, size_t k)
{
    return pe->conds ? &pe->conds[k] : pe;
}

/* Why the policy's row is skipped, "" when it is valid. */
static inline const char *das_pol_error(const struct das_pol_eval *pe)
{
    return pe->error ? pe->error : "";
}

struct das_eval {
    int64_t now_ms;          /* by InfluxDB's clock when this host's is off */
    int64_t clock_offset_ms; /* InfluxDB's clock - this host's (skew.h) */
    bool clock_corrected;    /* at least SKEW_MIN_MS: InfluxDB's is used */
    int64_t ds_interval_ms;
    bool store_none;           /* --policy-db none: label policies only */
    const struct hstore *hist; /* where the history was read (hstore.h) */
    bool store_ok;             /* the policies and their history were read */
    char store_err[256];
    bool docker_ok;
    char docker_err[256];
    bool influx_ok;           /* every query of this cycle answered (the metrics
                                 store: InfluxDB, or Prometheus) */
    const char *metrics_dep;  /* "influxdb" / "prometheus" / "agents" */
    const char *metrics_name; /* "InfluxDB", "Prometheus", "ds agents" */
    char influx_err[256];
    struct dsvc_list services;
    bool tasks_ok; /* GET /tasks answered (warm-up, capacity-bound) */
    char tasks_err[256];
    struct stask_list tasks;
    struct das_pol_eval *pols; /* the table's rows by seq, then the label
                                  policies in the engine's service order */
    size_t n;
    size_t nbad;
    size_t nlabels;          /* of n, label policies (valid or not) */
    size_t nshadowed;        /* label policies left out: a table row names the
                                service */
    size_t queries;          /* InfluxDB requests made */
    size_t not_tasks;        /* window rows of containers no task runs (each
                                left out; cycle.h CYC_NOT_TASK) */
    char not_task_first[96]; /* "service/container" of the first */
    struct pg_rowset *rows;  /* the table's rows, kept while a query
                                metric's text points into them (policy.h
                                pol_cond.query); NULL otherwise */
    size_t query_bad;        /* query metrics unavailable this cycle */
    char query_bad_first[280];
};

/* --policy-db none: no SQL store at all. */
bool das_store_none(const struct das_conf *conf);
/* --influx-url none (DAS_INFLUX_URL=none): no InfluxDB; the windows from
 * --prometheus-url, the decisions only in the store and /metrics. */
bool das_influx_none(const struct das_conf *conf);

/* Gathers and evaluates. Never fails as a whole: what could not be read is
 * recorded in store_ok / docker_ok / influx_ok with its message, and the
 * policies it concerns get an outcome saying so and no action. */
void das_evaluate(struct das_clients *cl, int64_t now_ms, struct das_eval *ev);
void das_eval_free(struct das_eval *ev);
/* The service label of key (das. labels only), NULL when absent. */
const char *das_svc_label(const struct dsvc *s, const char *key);

/* Wall clock in Unix milliseconds. */
/* Unix ms by this host's clock, corrected to InfluxDB's once that was
 * seen to differ by SKEW_MIN_MS or more (das_evaluate measures it). */
int64_t das_now_ms(void);
/* Asks InfluxDB's clock once (GET /ping) so that das_now_ms is corrected
 * before a one-shot evaluation (das status); das run learns it from the
 * replies of its queries, from its second cycle on. */
void das_clock_sync(struct das_clients *cl);

#endif
