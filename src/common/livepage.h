/* das run's live page (`--listen`: GET / and /service/<name>): every
 * policy at a glance and, per service, the chart of its last hour, as
 * server-rendered HTML with inline SVG — no script, no external asset, a
 * meta refresh every cycle, readable at a phone's width. The chart is
 * plot.h's, the one `das simulate --plot` draws.
 *
 * Pure: renders what it is given (the last cycle's snapshot, the ring of
 * samples, the recent events) into a buffer; das run's page.c takes the
 * snapshot and serves it. Every string from outside (a service name, a
 * label, a reason) is escaped: text, never markup. */
#ifndef DAS_LIVEPAGE_H
#define DAS_LIVEPAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "livehist.h"
#include "pg.h"
#include "policy.h"

/* Policies on one page of the overview. */
#define LP_PAGE 200

/* A condition of a policy as the page shows it, with the means the last
 * cycle compared (NAN: not read). */
struct lp_cond {
    char name[POL_COND_NAME_MAX + 1];
    const struct pol_metric *metric; /* its unit (metric->kind);
                                        &pol_metric_query: a query */
    enum pol_target target;          /* a query's */
    double out_cond, in_cond;
    int64_t out_ms, in_ms;
    double out_mean, in_mean;
};

/* One policy as the last cycle left it: what the page and /metrics show
 * of it, not the whole policy (10,000 of these are kept). */
struct lp_row {
    long seq;
    char *service; /* heap: the service's name, or the policy's reference */
    enum pol_source source;
    bool valid;
    /* when valid: */
    long min_no, max_no;   /* the policy's bounds */
    long min_now, max_now; /* the bounds in force (a schedule's) */
    enum pol_mode mode;
    int64_t warmup_ms;
    struct lp_cond *conds; /* heap: nconds */
    size_t nconds;
    long replicas;          /* the service's desired replicas; -1 unknown */
    long running, pending;  /* its tasks; -1 unknown */
    double limit;           /* a replica's ceiling in the metric; NAN none */
    int outcome;            /* enum dec_outcome; -1 when not valid */
    char *reason;           /* heap: the outcome's reason, or what is wrong */
    int64_t last_action_ms; /* the history's last action; 0 none known */
};

/* Fills r's policy part from p (valid rows): its bounds, settings and
 * conditions (conds allocated; their means NAN). */
void lp_row_policy(struct lp_row *r, const struct policy *p);

/* What the page shows: the last cycle's rows, or who leads. */
struct lp_view {
    int64_t at_ms;         /* when the cycle ended (Unix ms) */
    int64_t interval_ms;   /* the cycle interval: the page's refresh */
    bool leader;           /* false: a standby, the rows are not shown */
    char engine[160];      /* this das's engine, as the leader check said */
    char leader_node[160]; /* standby: the leading manager ("" unknown) */
    char leader_addr[64];  /* its address, without the port */
    char leader_err[200];  /* why it is unknown */
    unsigned port;         /* this das's --listen port */
    const char *metrics;   /* "InfluxDB", "Prometheus", "ds agents" */
    char trouble[256];     /* a dependency that did not answer, "" none */
    struct lp_row *rows;
    size_t n;
};

/* The state in das's words ("steady", "scaling out", "metrics
 * unavailable", "capacity-bound", "bad policy", …), how it joins the
 * reason (" because ", ": ") and its class for the page's colours ("ok",
 * "act", "wait", "warn", "bad"). */
const char *lp_state(const struct lp_row *r, const char **join,
                     const char **cls);

/* s as HTML text: &, <, >, " and ' as entities, a control byte as the
 * text \xNN; every other byte as it is. -1 when out's cap was reached. */
int lp_escape(struct buf *out, const char *s) WUR;
/* s as one URL path segment (percent-encoded but for A-Z a-z 0-9 - . _ ~). */
int lp_url_segment(struct buf *out, const char *s) WUR;

/* The overview, page number page (from 0) of LP_PAGE rows. last[i] is the
 * newest recorded event of the page's i-th row (time_ms 0: none), as many
 * as the page has rows. -1 when out's cap was reached. */
int lp_overview(const struct lp_view *v, size_t page,
                const struct pg_event *last, struct buf *out) WUR;

/* The page of one service: its state, its chart (s: ns samples, oldest
 * first), its settings and its recent events ev (newest first). */
int lp_service(const struct lp_view *v, const struct lp_row *r,
               const struct lh_sample *s, size_t ns, const struct pg_event *ev,
               size_t nev, struct buf *out) WUR;

/* A page saying no policy names the service. */
int lp_not_found(const struct lp_view *v, const char *name,
                 struct buf *out) WUR;

/* Frees the rows' strings and conditions, and the rows. */
void lp_rows_free(struct lp_row *rows, size_t n);

#endif
