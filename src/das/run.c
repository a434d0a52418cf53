/* das run: the autoscaler daemon (docs/design.md §4, §5).
 *
 * Each cycle: leader check (standby when this engine is not the swarm
 * leader, re-checked every cycle) → das_evaluate() (the same gathering and
 * decisions `das status` shows) → for each decision: scale the service,
 * write cur_no and an event row, and a point in InfluxDB measurement `das`.
 * What cannot be reached (store, engine, InfluxDB) means no action; it is
 * logged when it starts failing, when the failure changes and when it ends,
 * and the next cycle tries again without a restart. Right before each
 * change (the Engine API update, a cur_no sync) das asks again whether its
 * engine leads and whether the decision is still fresh (still_ours): a das
 * held up between deciding and acting drops what it decided. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents.h"
#include "das.h"
#include "docker_svc.h"
#include "endpoint.h"
#include "eval.h"
#include "evjson.h"
#include "evlog.h"
#include "hist_label.h"
#include "influx.h"
#include "log.h"
#include "notices.h"
#include "page.h"
#include "pg.h"
#include "prom.h"
#include "version.h"
#include "xmalloc.h"

static volatile sig_atomic_t run_stop;

static void on_stop(int sig)
{
    (void)sig;
    run_stop = 1;
}

/* A bad policy row already reported: (seq, message). */
struct bad_row {
    long seq;
    bool label; /* a label policy's */
    char msg[512];
};

/* Why a decision was not applied (still_ours); DROP_ENGINE is a failure
 * (the engine did not answer the check), not a drop. One names table. */
#define DROP_WHYS(X)                                                           \
    X(DROP_NONE, "none")                                                       \
    X(DROP_STALE, "stale")                                                     \
    X(DROP_NOT_LEADER, "not-leader")                                           \
    X(DROP_ENGINE, "engine")
#define DROP_ENUM(id, name) id,
enum drop_why { DROP_WHYS(DROP_ENUM) DROP_NWHY };
#undef DROP_ENUM
#define DROP_NAME(id, name) [id] = name,
static const char *const drop_why_names[DROP_NWHY] = {DROP_WHYS(DROP_NAME)};
#undef DROP_NAME

/* What /metrics and /healthz show, published after each cycle. */
struct run_pub {
    unsigned long cycles;
    unsigned long actions[DAS_NEVENT_KINDS]; /* by enum das_event_kind */
    unsigned long action_failures;
    unsigned long dropped[DROP_NWHY]; /* decisions not applied, by why */
    unsigned long influx_queries;
    unsigned long series_unusable;
    unsigned long policies, bad_policies;
    double last_cycle_s;
    int64_t clock_offset_ms; /* InfluxDB's clock - this host's */
    bool leader, store_ok, docker_ok, influx_ok;
    char unhealthy[256];
    unsigned long outcomes[DEC_NOUTCOMES]; /* last cycle */
};

struct run_state {
    struct das_conf *conf;
    struct das_clients cl;
    struct complaint c_docker, c_store, c_influx, c_write;
    struct pg_event *events; /* this cycle's, recorded at its end */
    size_t nevents, capevents;
    bool leader_known, leader;
    struct bad_row *bad;
    size_t nbad;
    struct das_dry_seen *dry;
    size_t ndry;
    long *bound_by_capacity;     /* seqs capacity-bound in the last cycle */
    unsigned long unusable_last; /* unusable series in the last cycle */
    size_t nbound_by_capacity;
    unsigned long actions, failures;
    int64_t decided_ms;     /* stall_clock_ms() as this cycle began to decide */
    enum drop_why dropping; /* why a decision of this cycle was dropped:
                               the rest go with it (they are as old, or no
                               longer ours); DROP_NONE: none was */
    struct run_pub pub;
    struct endpoint *ep;
    /* the recent events, served at /events (the endpoint's thread reads
     * them under the lock) */
    struct evlog evlog;
    pthread_mutex_t evlog_lock;
    struct das_notices *notices; /* NULL: no receiver */
    struct page *page;           /* GET / and /service/<name> (page.h) */
};

/* ---- /healthz and /metrics ------------------------------------------- */

static void publish(struct run_state *st)
{
    const struct run_pub *p = &st->pub;
    if (!st->ep)
        return;
    struct buf out;
    /* grown as needed: ~20 KB, and ~100 bytes an agent (das_agent_up);
     * the series per policy are rendered when asked for (page_metrics) */
    buf_init(&out, (size_t)16 << 20);
    int rc = buf_printf(
        &out,
        "# HELP das_cycles_total Evaluation cycles run.\n"
        "# TYPE das_cycles_total counter\n"
        "das_cycles_total %lu\n"
        "# HELP das_leader 1 when this engine is the swarm leader (acting).\n"
        "# TYPE das_leader gauge\n"
        "das_leader %d\n"
        "# HELP das_up Whether each dependency answered in the last cycle.\n"
        "# TYPE das_up gauge\n"
        "das_up{dependency=\"policy_store\"} %d\n"
        "das_up{dependency=\"docker\"} %d\n"
        "das_up{dependency=\"%s\"} %d\n"
        "# HELP das_policies Policy rows by state in the last cycle.\n"
        "# TYPE das_policies gauge\n"
        "das_policies{state=\"valid\"} %lu\n"
        "das_policies{state=\"invalid\"} %lu\n"
        "# HELP das_action_failures_total Actions that failed.\n"
        "# TYPE das_action_failures_total counter\n"
        "das_action_failures_total %lu\n"
        "# HELP das_influx_queries_total InfluxDB queries sent.\n"
        "# TYPE das_influx_queries_total counter\n"
        "das_influx_queries_total %lu\n"
        "# HELP das_influx_series_unusable_total Window series das could "
        "not use (a service or container tag missing or too long, a value "
        "not a number, no first or last point).\n"
        "# TYPE das_influx_series_unusable_total counter\n"
        "das_influx_series_unusable_total %lu\n"
        "# HELP das_cycle_seconds Duration of the last cycle.\n"
        "# TYPE das_cycle_seconds gauge\n"
        "das_cycle_seconds %.6f\n"
        "# HELP das_clock_offset_seconds InfluxDB's clock minus this "
        "host's (from its replies' Date; das uses InfluxDB's at 5 s or "
        "more).\n"
        "# TYPE das_clock_offset_seconds gauge\n"
        "das_clock_offset_seconds %.3f\n",
        p->cycles, p->leader ? 1 : 0, p->store_ok ? 1 : 0, p->docker_ok ? 1 : 0,
        mstore_dep(&st->cl.metrics), p->influx_ok ? 1 : 0,
        p->policies - p->bad_policies, p->bad_policies, p->action_failures,
        p->influx_queries, p->series_unusable, p->last_cycle_s,
        (double)p->clock_offset_ms / 1000.0);
    /* by the names tables: a new kind or reason is counted by name */
    if (buf_puts(&out, "# HELP das_actions_total Actions taken (dry runs "
                       "included).\n"
                       "# TYPE das_actions_total counter\n"))
        rc = -1;
    for (int k = 0; k < DAS_NEVENT_KINDS; k++)
        if (das_event_changes(k) &&
            buf_printf(&out, "das_actions_total{action=\"%s\"} %lu\n",
                       das_event_names[k], p->actions[k]))
            rc = -1;
    if (buf_puts(&out,
                 "# HELP das_decisions_dropped_total Decisions not applied: "
                 "this engine no longer led the swarm, or das was held up "
                 "between deciding and acting (stale).\n"
                 "# TYPE das_decisions_dropped_total counter\n"))
        rc = -1;
    for (int w = DROP_NONE + 1; w < DROP_ENGINE; w++)
        if (buf_printf(&out, "das_decisions_dropped_total{reason=\"%s\"} %lu\n",
                       drop_why_names[w], p->dropped[w]))
            rc = -1;
    struct agents_stats as;
    agents_get_stats(st->cl.agents, &as);
    if (st->cl.agents &&
        buf_printf(&out,
                   "# HELP das_agents ds agents found in the last cycle.\n"
                   "# TYPE das_agents gauge\ndas_agents %zu\n"
                   "# HELP das_agents_answering ds agents that answered "
                   "their last read.\n"
                   "# TYPE das_agents_answering gauge\n"
                   "das_agents_answering %zu\n"
                   "# HELP das_agent_failures_total Reads of a ds agent "
                   "that failed (no answer, an error, or no reply of ds).\n"
                   "# TYPE das_agent_failures_total counter\n"
                   "das_agent_failures_total %lu\n"
                   "# HELP das_agent_requests_total Reads of ds agents.\n"
                   "# TYPE das_agent_requests_total counter\n"
                   "das_agent_requests_total %lu\n",
                   as.known, as.answering, as.failures, as.requests))
        rc = -1;
    if (agents_metrics(st->cl.agents, &out))
        rc = -1;
    if (version_metric(&out, "das"))
        rc = -1;
    if (das_notices_metrics(st->notices, &out))
        rc = -1;
    if (st->cl.prom &&
        buf_printf(&out,
                   "# HELP das_prometheus_queries_total Prometheus queries "
                   "sent.\n"
                   "# TYPE das_prometheus_queries_total counter\n"
                   "das_prometheus_queries_total %lu\n",
                   mstore_requests(&st->cl.metrics)))
        rc = -1;
    if (buf_puts(&out, "# HELP das_policy_outcomes Valid policies by the "
                       "outcome of the last cycle.\n"
                       "# TYPE das_policy_outcomes gauge\n"))
        rc = -1;
    for (size_t i = 0; i < DEC_NOUTCOMES; i++)
        if (buf_printf(&out, "das_policy_outcomes{outcome=\"%s\"} %lu\n",
                       dec_outcome_names[i], p->outcomes[i]))
            rc = -1;
    (void)rc; /* a full buffer serves what fitted */
    /* A dependency that is down is reported, not a reason to be
     * restarted: only a stalled loop fails /healthz (ep_set_stale_after). */
    char reason[300];
    snprintf(reason, sizeof reason, "%s%s%s", p->leader ? "leader" : "standby",
             p->unhealthy[0] ? "; degraded: " : "; ok", p->unhealthy);
    ep_publish(st->ep, out.ptr ? out.ptr : "", true, reason);
    buf_cleanup(&out);
}

/* ---- bad rows: reported when first seen and when the message changes -- */

static void report_bad_rows(struct run_state *st, const struct das_eval *ev)
{
    if (!ev->store_ok)
        return; /* rows unknown this cycle: keep what was reported */
    /* without the engine the labels are unknown: keep their reports */
    size_t kept = 0;
    for (size_t j = 0; j < st->nbad && !ev->docker_ok; j++)
        kept += st->bad[j].label;
    struct bad_row *now =
        xcalloc(ev->nbad + kept ? ev->nbad + kept : 1, sizeof *now);
    size_t n = 0;
    for (size_t j = 0; j < st->nbad && !ev->docker_ok; j++)
        if (st->bad[j].label)
            now[n++] = st->bad[j];
    for (size_t i = 0; i < ev->n; i++) {
        const struct das_pol_eval *pe = &ev->pols[i];
        if (pe->valid)
            continue;
        bool label = pe->pol.source == POL_SRC_LABELS;
        now[n].seq = pe->seq;
        now[n].label = label;
        const char *error = das_pol_error(pe);
        snprintf(now[n].msg, sizeof now[n].msg, "%s", error);
        bool known = false;
        for (size_t j = 0; j < st->nbad && !known; j++)
            known = st->bad[j].seq == pe->seq && !strcmp(st->bad[j].msg, error);
        if (!known) {
            char q[600];
            log_warn(label ? "label policy skipped" : "policy row skipped",
                     "seq=%ld error=%s", pe->seq,
                     log_quote(error, q, sizeof q));
            das_notice_policy(st->notices, pe, NOTIFY_POLICY_INVALID, error);
        }
        n++;
    }
    /* rows that were bad and now parse */
    for (size_t j = 0; j < st->nbad; j++) {
        for (size_t i = 0; i < ev->n; i++)
            if (ev->pols[i].valid && ev->pols[i].seq == st->bad[j].seq) {
                log_info(ev->pols[i].pol.source == POL_SRC_LABELS
                             ? "label policy valid again"
                             : "policy row valid again",
                         "seq=%ld", st->bad[j].seq);
                das_notice_policy(st->notices, &ev->pols[i],
                                  NOTIFY_POLICY_VALID, "valid again");
            }
    }
    free(st->bad);
    st->bad = now;
    st->nbad = n;
}

/* ---- dependencies: complain when failing starts, changes and ends ----- */

static void watch_dep(struct complaint *c, bool ok, const char *what,
                      const char *err)
{
    char q[300];
    if (!ok) {
        if (complain(c, err))
            log_error("unavailable: no action until it answers",
                      "dependency=%s error=%s", what,
                      log_quote(err, q, sizeof q));
    } else if (complain_release(c)) {
        log_info("available again", "dependency=%s", what);
    }
}

/* ---- actions --------------------------------------------------------- */

/* The cycle's events as points of the `das` measurement, one write. */
static void write_points(struct run_state *st, const struct pg_event *ev,
                         size_t n)
{
    if (!st->cl.history)
        return; /* --influx-url none: the store and /metrics have it */
    char err[256], q[300];
    struct buf b;
    buf_init(&b, (size_t)16 * 1024 * 1024);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const struct pg_event *e = &ev[i];
        struct infl_point p;
        char seq[24];
        snprintf(seq, sizeof seq, "%ld", e->seq);
        infl_point_init(&p, "das", e->time_ms * 1000000);
        infl_point_tag(&p, "service", e->service);
        infl_point_tag(&p, "seq", seq);
        infl_point_tag(&p, "action", e->action);
        infl_point_int(&p, "from", e->from_no);
        infl_point_int(&p, "to", e->to_no);
        infl_point_float(&p, "observed", e->observed);
        infl_point_float(&p, "threshold", e->threshold);
        infl_point_int(&p, "window_ms", e->window_ms);
        infl_point_bool(&p, "dry_run", e->dry_run);
        infl_point_string(&p, "reason", e->reason);
        /* with --policy-db none these points are the history: das events
         * shows them (hist_influx.h) */
        if (e->metric[0])
            infl_point_string(&p, "metric", e->metric);
        if (infl_point_encode(&p, &b, err, sizeof err))
            rc = -1; /* that one is left out (err says why); not the rest */
    }
    if (b.len > 0 &&
        infl_write(st->cl.history, b.ptr, b.len, err, sizeof err) != INFL_OK)
        rc = -1;
    buf_cleanup(&b);
    if (rc) {
        if (complain(&st->c_write, err))
            log_warn(hstore_in_points(&st->cl.hist)
                         ? "could not write the decisions to InfluxDB: with "
                           "--policy-db none they are the history, and only "
                           "this das process knows of them"
                         : "could not write the decisions to InfluxDB",
                     "measurement=das events=%zu error=%s", n,
                     log_quote(err, q, sizeof q));
    } else if (complain_release(&st->c_write)) {
        log_info("decisions written to InfluxDB again", "measurement=das");
    }
}

/* Records the cycle's events together (issue: one INSERT and one InfluxDB
 * write per cycle, not per decision): the history store's record
 * (hstore_record: das_events rows with the SQL store) and the InfluxDB
 * points (with --policy-db none the record itself: the history read back
 * after a restart or a leader change). What this process must know at once
 * (the last action) it knew when it acted (das_seq_time_set). */
static void flush_events(struct run_state *st)
{
    char err[512], q[600];
    if (st->nevents == 0)
        return;
    if (hstore_record(&st->cl.hist, st->events, st->nevents, err, sizeof err)) {
        log_error("could not record the events",
                  "events=%zu first_seq=%ld first_action=%s error=%s",
                  st->nevents, st->events[0].seq, st->events[0].action,
                  log_quote(err, q, sizeof q));
        st->failures++;
    }
    write_points(st, st->events, st->nevents);
    st->nevents = 0;
}

static void evlog_put(struct run_state *st, const struct pg_event *e)
{
    pthread_mutex_lock(&st->evlog_lock);
    evlog_add(&st->evlog, e);
    pthread_mutex_unlock(&st->evlog_lock);
}

/* Notes one event for the end of the cycle (flush_events), in the recent
 * events, and says it. */
static void record(struct run_state *st, const struct das_pol_eval *pe,
                   enum das_event_kind kind, long from, long to,
                   const char *reason, bool dry)
{
    const char *action = das_event_names[kind];
    char q[600], q2[300];
    if (st->nevents == st->capevents) {
        st->capevents = st->capevents ? st->capevents * 2 : 16;
        st->events = xrealloc(st->events, st->capevents * sizeof *st->events);
    }
    struct pg_event *e = &st->events[st->nevents++];
    memset(e, 0, sizeof *e);
    e->time_ms = das_now_ms();
    e->seq = pe->pol.seq;
    snprintf(e->service, sizeof e->service, "%.63s",
             pe->found ? pe->svc.name : pe->pol.service_id);
    snprintf(e->action, sizeof e->action, "%s", action);
    e->from_no = from;
    e->to_no = to;
    snprintf(e->metric, sizeof e->metric, "%s",
             pe->pol.conds[pe->res.cond].name);
    bool is_sync = kind == DAS_EV_SYNCED;
    e->observed = is_sync ? NAN : pe->res.observed;
    e->threshold = is_sync ? NAN : pe->res.threshold;
    e->window_ms = is_sync ? 0 : pe->res.window_ms;
    snprintf(e->reason, sizeof e->reason, "%s", reason);
    e->dry_run = dry;
    log_info(kind == DAS_EV_CAPACITY ? "noted"
             : dry                   ? "dry run: would act"
                                     : "acted",
             "seq=%ld service=%s action=%s from=%ld to=%ld reason=%s", e->seq,
             log_quote(e->service, q2, sizeof q2), action, from, to,
             log_quote(reason, q, sizeof q));
    if (kind != DAS_EV_CAPACITY) /* a state noted, not an action */
        st->pub.actions[kind]++;
    evlog_put(st, e);
    das_notice_event(st->notices, e);
}

/* The last actions recorded on the services (das.last): those not among
 * the recent events yet are added, so every das (a standby, one that just
 * started) shows the actions its peers took. */
static void observe_labels(struct run_state *st, const struct dsvc_list *svcs)
{
    for (size_t i = 0; i < svcs->n; i++) {
        const struct dsvc *s = &svcs->v[i];
        const char *v = das_svc_label(s, HL_KEY);
        const char *why = das_svc_label(s, HL_REASON_KEY);
        const char *item = das_svc_label(s, "das.cond_item");
        struct hl_last l;
        char err[300];
        if (!v || hl_parse(v, &l, err, sizeof err))
            continue; /* said by the evaluation */
        long seq = pol_label_seq(s->id);
        pthread_mutex_lock(&st->evlog_lock);
        bool known =
            evlog_has(&st->evlog, seq, l.t_ms, l.kind, DAS_SAME_CHANGE_MS);
        pthread_mutex_unlock(&st->evlog_lock);
        if (known)
            continue;
        struct pg_event e;
        memset(&e, 0, sizeof e);
        e.time_ms = l.t_ms;
        e.seq = seq;
        snprintf(e.service, sizeof e.service, "%.63s", s->name);
        snprintf(e.action, sizeof e.action, "%s", l.kind);
        e.from_no = l.from;
        e.to_no = l.to;
        snprintf(e.metric, sizeof e.metric, "%s", item ? item : "cpu_ratio");
        e.observed = e.threshold = NAN;
        snprintf(e.reason, sizeof e.reason, "%s", why ? why : "");
        evlog_put(st, &e);
    }
}

/* GET /events?service=S&since=MS&limit=N: the recent events, newest
 * first, as `das events --json` prints them. */
static unsigned serve_events(void *ud, struct ep_req *req, struct buf *body,
                             const char **type)
{
    struct run_state *st = ud;
    const char *svc = ep_arg(req, "service");
    const char *since_s = ep_arg(req, "since");
    const char *limit_s = ep_arg(req, "limit");
    long long since = 0, limit = 100;
    char *end;
    if (since_s) {
        errno = 0;
        since = strtoll(since_s, &end, 10);
        if (errno || end == since_s || *end || since < 0) {
            if (buf_puts(body, "since: expected Unix milliseconds\n")) {
            }
            return 400;
        }
    }
    if (limit_s) {
        errno = 0;
        limit = strtoll(limit_s, &end, 10);
        if (errno || end == limit_s || *end || limit < 1 || limit > EVLOG_CAP) {
            if (buf_printf(body, "limit: expected a number from 1 to %d\n",
                           EVLOG_CAP)) {
            }
            return 400;
        }
    }
    struct pg_event *ev = NULL;
    pthread_mutex_lock(&st->evlog_lock);
    size_t n = evlog_select(&st->evlog, svc, since, (size_t)limit, &ev);
    pthread_mutex_unlock(&st->evlog_lock);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, evlog_event_json(&ev[i]));
    free(ev);
    char *text = json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(arr);
    *type = "application/json";
    int rc = text ? buf_puts(body, text) : -1;
    free(text);
    if (rc) {
        buf_reset(body);
        if (buf_puts(body, "[]")) {
        }
        return 500;
    }
    return 200;
}

/* Series InfluxDB returned that das could not use: counted in /metrics,
 * said when they start (and when their number per cycle changes) and when
 * they stop, never every cycle. */
static void watch_unusable(struct run_state *st)
{
    unsigned long total = mstore_unusable(&st->cl.metrics);
    unsigned long now = total - st->pub.series_unusable;
    st->pub.series_unusable = total;
    if (now && now != st->unusable_last)
        log_warn(st->cl.prom
                     ? "Prometheus returned series das cannot use: a service "
                       "or container label missing or too long, or no limit "
                       "for a ratio"
                     : "InfluxDB returned series das cannot use: a service or "
                       "container tag missing or too long, a value not a "
                       "number, or no first or last point",
                 "series=%lu", now);
    else if (!now && st->unusable_last)
        log_info(st->cl.prom
                     ? "every series Prometheus returned is usable again"
                     : "every series InfluxDB returned is usable again",
                 "series=0");
    st->unusable_last = now;
}

/* Capacity-bound (tasks no node can run, more load than the replicas
 * carry): an event row and a warning when it starts for a policy, one line
 * when it ends; the outcome says it every cycle (status, /metrics). */
static void watch_capacity(struct run_state *st, const struct das_pol_eval *pe)
{
    if (!pe->valid || !pe->evaluated)
        return; /* not known this cycle: as it was */
    bool now = pe->res.outcome == DEC_O_CAPACITY;
    size_t i = 0;
    while (i < st->nbound_by_capacity &&
           st->bound_by_capacity[i] != pe->pol.seq)
        i++;
    bool before = i < st->nbound_by_capacity;
    if (now == before)
        return;
    char q[300], q2[300];
    if (now) {
        st->bound_by_capacity =
            xrealloc(st->bound_by_capacity, (st->nbound_by_capacity + 1) *
                                                sizeof *st->bound_by_capacity);
        st->bound_by_capacity[st->nbound_by_capacity++] = pe->pol.seq;
        log_warn("capacity-bound: replicas wanted, but tasks are pending",
                 "seq=%ld service=%s reason=%s", pe->pol.seq,
                 log_quote(pe->svc.name, q2, sizeof q2),
                 log_quote(pe->res.reason, q, sizeof q));
        record(st, pe, DAS_EV_CAPACITY, pe->res.from, pe->res.from,
               pe->res.reason, st->conf->dry_run);
    } else {
        st->bound_by_capacity[i] =
            st->bound_by_capacity[--st->nbound_by_capacity];
        log_info("no longer capacity-bound", "seq=%ld service=%s", pe->pol.seq,
                 log_quote(pe->pol.service_id, q2, sizeof q2));
        das_notice_policy(st->notices, pe, NOTIFY_CAPACITY_ENDED,
                          pe->res.reason);
    }
}

/* ---- the last check before a change ---------------------------------- */

/* A clock that runs on while das is stopped (SIGSTOP, a debugger) or the
 * host sleeps: how long a decision waited is measured on it. */
static int64_t stall_clock_ms(void)
{
    struct timespec ts;
#ifdef CLOCK_BOOTTIME
    clock_gettime(CLOCK_BOOTTIME, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How long a decision may wait for its change: two intervals (by then the
 * next cycle is overdue too, and would decide on newer data), and never
 * less than DAS_SEND_MIN_MS, so that a busy host at a 1 s interval is not
 * taken for a stalled das. */
#define DAS_SEND_MIN_MS 5000

static int64_t send_limit_ms(const struct das_conf *conf)
{
    int64_t limit = 2 * conf->interval_ms;
    return limit > DAS_SEND_MIN_MS ? limit : DAS_SEND_MIN_MS;
}

struct send_check {
    struct run_state *st;
    bool check_age; /* a scale (a cur_no sync: the leader check only) */
    enum drop_why why;
    char engine[160]; /* what the engine said it is */
};

/* The guard of every change (struct dsvc_guard; also before a cur_no sync):
 * this engine still leads the swarm, and a scale decision has not waited
 * longer than send_limit_ms. A das stopped between deciding and acting
 * (SIGSTOP, a paused VM, an engine that hung and answered late) resumes
 * into a world that may have moved on: leadership gone, the load gone, the
 * service changed by someone whose change is not yet in the replica count.
 * What it decided then is dropped; the next cycle (at once: it is overdue)
 * decides on what is true now. The leader check comes first, the age last:
 * nothing that can wait lies between it and the update. A cur_no sync
 * changes no replicas and a late one is put right by the next cycle's: it
 * needs the leader check only (only the leader writes). */
static int still_ours(void *arg, char *err, size_t errlen)
{
    struct send_check *c = arg;
    struct run_state *st = c->st;
    bool leader = false;
    char e[512], age[32], lim[32];

    c->why = DROP_NONE;
    if (dsvc_leader(st->cl.docker, &leader, c->engine, sizeof c->engine, e,
                    sizeof e)) {
        c->why = DROP_ENGINE;
        snprintf(err, errlen,
                 "could not check that this engine still leads the swarm: %s",
                 e);
        return -1;
    }
    if (!leader) {
        c->why = DROP_NOT_LEADER;
        snprintf(err, errlen,
                 "this engine no longer leads the swarm (%s): the leader's "
                 "das decides",
                 c->engine);
        return -1;
    }
    int64_t waited = stall_clock_ms() - st->decided_ms;
    int64_t limit = send_limit_ms(st->conf);
    if (c->check_age && waited > limit) {
        c->why = DROP_STALE;
        dur_format(waited, age, sizeof age);
        dur_format(limit, lim, sizeof lim);
        snprintf(err, errlen,
                 "decided %s ago, more than the %s a decision may wait (two "
                 "intervals, at least 5s): das or its engine was held up, "
                 "and the load or the service may have changed since",
                 age, lim);
        return -1;
    }
    return 0;
}

/* A decision not applied (still_ours said no): said once with the reason;
 * the cycle's other decisions go with it (as old, or no longer ours). */
static void drop(struct run_state *st, const struct das_pol_eval *pe,
                 const struct send_check *c, const char *action, long from,
                 long to, const char *why)
{
    char q[600], q2[300];
    st->dropping = c->why;
    st->pub.dropped[c->why]++;
    log_warn(
        "decision dropped, nothing changed: the next cycle decides again",
        "seq=%ld service=%s action=%s from=%ld to=%ld why=%s", pe->pol.seq,
        log_quote(pe->found ? pe->svc.name : pe->pol.service_id, q2, sizeof q2),
        action, from, to, log_quote(why, q, sizeof q));
    if (c->why == DROP_NOT_LEADER && st->leader) {
        st->leader = false; /* as the next cycle's check would say it */
        st->pub.leader = false;
        log_info("standby: this engine is not the swarm leader", "engine=%s",
                 log_quote(c->engine, q, sizeof q));
        das_notice_leader(st->notices, false, c->engine);
    }
}

/* A later decision of a cycle whose earlier one was dropped. */
static bool dropped_with_cycle(struct run_state *st,
                               const struct das_pol_eval *pe,
                               const char *action, long from, long to)
{
    if (st->dropping == DROP_NONE)
        return false;
    st->pub.dropped[st->dropping]++;
    char q[300];
    log_debug(
        "decision dropped with this cycle's earlier one",
        "seq=%ld service=%s action=%s from=%ld to=%ld", pe->pol.seq,
        log_quote(pe->found ? pe->svc.name : pe->pol.service_id, q, sizeof q),
        action, from, to);
    return true;
}

/* cur_no follows the service's replicas (a change made outside das):
 * written and recorded; false when the rest of the policy's decision must
 * wait (the store failed, or the cycle's decisions are dropped). */
static bool act_sync(struct run_state *st, struct das_pol_eval *pe)
{
    char err[512], q[600];
    long seq = pe->pol.seq;
    long from = pe->pol.cur_no, to = pe->svc.replicas;
    const char *name = das_event_names[DAS_EV_SYNCED];
    char why[256];
    if (from < 0)
        snprintf(why, sizeof why,
                 "cur_no was empty: follows the "
                 "service's %ld replicas",
                 to);
    else
        snprintf(why, sizeof why,
                 "service scaled outside das (or das stopped before "
                 "recording its own change): cur_no %ld follows the "
                 "service's %ld replicas",
                 from, to);
    struct send_check sc = {st, false, DROP_NONE, ""};
    if (st->conf->dry_run) {
        if (!das_dry_seen(&st->dry, &st->ndry, seq, DAS_EV_SYNCED, from, to))
            record(st, pe, DAS_EV_SYNCED, from, to, why, true);
        return true;
    }
    if (dropped_with_cycle(st, pe, name, from, to))
        return false;
    if (still_ours(&sc, err, sizeof err)) {
        if (sc.why == DROP_ENGINE) {
            log_error("could not write cur_no", "seq=%ld error=%s", seq,
                      log_quote(err, q, sizeof q));
            st->failures++;
        } else {
            drop(st, pe, &sc, name, from, to, err);
        }
        return false;
    }
    if (pg_policy_set_cur_no(st->cl.pg, seq, to, err, sizeof err)) {
        log_error("could not write cur_no", "seq=%ld error=%s", seq,
                  log_quote(err, q, sizeof q));
        st->failures++;
        return false; /* the store is failing: act next cycle */
    }
    /* a sync starts the windows again, as an action does: known here
     * whatever the record's fate */
    das_seq_time_set(&st->cl.extra_last, &st->cl.nextra, seq, das_now_ms(),
                     false);
    record(st, pe, DAS_EV_SYNCED, from, to, why, false);
    return true;
}

static void act(struct run_state *st, struct das_pol_eval *pe)
{
    const struct dec_result *r = &pe->res;
    bool dry = st->conf->dry_run;
    char err[512], q[600];
    long seq = pe->pol.seq;

    if (!pe->valid || !pe->evaluated)
        return;
    if (r->sync && !act_sync(st, pe))
        return;
    if (r->action == DEC_NONE)
        return;
    enum das_event_kind kind = (enum das_event_kind)das_event_of(r->action);
    const char *name = das_event_names[kind];
    if (dry) {
        if (!das_dry_seen(&st->dry, &st->ndry, seq, kind, r->from, r->to)) {
            record(st, pe, kind, r->from, r->to, r->reason, true);
            /* as if it acted */
            das_seq_time_set(&st->cl.extra_last, &st->cl.nextra, seq,
                             das_now_ms(), r->bet);
        }
        return;
    }
    if (dropped_with_cycle(st, pe, name, r->from, r->to))
        return;
    long before = -1;
    struct send_check sc = {st, true, DROP_NONE, ""};
    struct dsvc_guard guard = {still_ours, &sc};
    /* with no store, the action's record travels in the same update */
    struct hl_last hl = {das_now_ms(), "", r->from, r->to, r->bet};
    snprintf(hl.kind, sizeof hl.kind, "%s", name);
    struct hstore_update hu;
    hstore_update(&st->cl.hist, &hl, r->reason, &hu);
    int src =
        dsvc_scale_labeled(st->cl.docker, pe->svc.id, r->to, r->from, hu.labels,
                           hu.n, &guard, &before, err, sizeof err);
    if (src == DSVC_DROPPED && sc.why != DROP_ENGINE) {
        drop(st, pe, &sc, name, r->from, r->to, err);
        return;
    }
    if (src) {
        char q2[300];
        log_error("scaling failed",
                  "seq=%ld service=%s from=%ld to=%ld "
                  "error=%s",
                  seq, log_quote(pe->svc.name, q2, sizeof q2), r->from, r->to,
                  log_quote(err, q, sizeof q));
        st->failures++;
        st->pub.action_failures++;
        return;
    }
    st->actions++;
    /* known here whatever the record's fate (a failed write must not
     * cost a second action in this process) */
    das_seq_time_set(&st->cl.extra_last, &st->cl.nextra, seq, das_now_ms(),
                     r->bet);
    /* a label policy has no cur_no of its own: the service's replicas */
    if (pe->pol.source == POL_SRC_TABLE &&
        pg_policy_set_cur_no(st->cl.pg, seq, r->to, err, sizeof err)) {
        log_error("scaled, but could not write cur_no (it will be synced)",
                  "seq=%ld error=%s", seq, log_quote(err, q, sizeof q));
        st->failures++;
    }
    record(st, pe, kind, r->from, r->to, r->reason, false);
}

/* ---- the cycle ------------------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The leader check that opens a cycle: true when this engine leads and
 * das acts; otherwise what it found is published and *rc says how the
 * cycle went (1: the engine did not answer). */
static bool cycle_leads(struct run_state *st, int *rc)
{
    bool leader = false;
    char why[160], err[512], q[600];
    if (dsvc_leader(st->cl.docker, &leader, why, sizeof why, err, sizeof err)) {
        watch_dep(&st->c_docker, false, "docker", err);
        st->pub.docker_ok = false;
        st->pub.leader = false;
        snprintf(st->pub.unhealthy, sizeof st->pub.unhealthy,
                 "Docker engine unavailable");
        st->pub.cycles++;
        publish(st);
        *rc = 1;
        return false;
    }
    if (!st->leader_known || leader != st->leader) {
        if (leader)
            log_info("acting: this engine is the swarm leader", "engine=%s",
                     log_quote(why, q, sizeof q));
        else
            log_info("standby: this engine is not the swarm leader",
                     "engine=%s", log_quote(why, q, sizeof q));
        /* a das that starts as a standby lost nothing */
        if (leader || st->leader_known)
            das_notice_leader(st->notices, leader, why);
        st->leader_known = true;
        st->leader = leader;
    }
    if (!leader) {
        if (hstore_on_services(&st->cl.hist)) {
            /* the leader's actions, from the services' labels */
            struct dsvc_list svcs = {0};
            if (dsvc_list(st->cl.docker, &svcs, err, sizeof err) == 0)
                observe_labels(st, &svcs);
            dsvc_list_free(&svcs);
        }
        watch_dep(&st->c_docker, true, "docker", "");
        page_standby(st->page, st->cl.docker, why);
        st->pub.leader = false;
        st->pub.docker_ok = true;
        st->pub.unhealthy[0] = '\0';
        st->pub.cycles++;
        publish(st);
        *rc = 0;
        return false;
    }
    return true;
}

/* Acts on each policy's decision, in order, until a stop signal. */
static void cycle_act(struct run_state *st, struct das_eval *ev)
{
    char q[600], q2[300];
    memset(st->pub.outcomes, 0, sizeof st->pub.outcomes);
    for (size_t i = 0; i < ev->n; i++)
        if (ev->pols[i].valid)
            st->pub.outcomes[ev->pols[i].res.outcome]++;
    for (size_t i = 0; i < ev->n; i++) {
        if (run_stop)
            break; /* the action in flight was finished; stop here */
        struct das_pol_eval *pe = &ev->pols[i];
        if (pe->valid && pe->evaluated && !pe->res.sync &&
            pe->res.action == DEC_NONE)
            log_debug("no action", "seq=%ld service=%s outcome=%s reason=%s",
                      pe->pol.seq, log_quote(pe->pol.service_id, q2, sizeof q2),
                      dec_outcome_names[pe->res.outcome],
                      log_quote(pe->res.reason, q, sizeof q));
        if (pe->valid)
            watch_capacity(st, pe);
        act(st, pe);
    }
}

/* What the cycle found, for /metrics and /healthz. */
static void cycle_publish(struct run_state *st, const struct das_eval *ev,
                          int64_t ms)
{
    st->pub.cycles++;
    st->pub.leader = st->leader; /* false if a check before a change said so */
    st->pub.store_ok = ev->store_ok;
    st->pub.docker_ok = ev->docker_ok;
    st->pub.influx_ok = ev->influx_ok;
    st->pub.policies = ev->n;
    st->pub.bad_policies = ev->nbad;
    st->pub.influx_queries =
        st->cl.influx ? infl_query_count(st->cl.influx) : 0;
    st->pub.clock_offset_ms = ev->clock_offset_ms;
    watch_unusable(st);
    st->pub.last_cycle_s = (double)ms / 1000.0;
    st->pub.unhealthy[0] = '\0';
    /* /healthz answers anyone who reaches the port: the dependency's name
     * only; its error (a store's host, database and user) is in the log
     * and in das status */
    if (!ev->store_ok)
        snprintf(st->pub.unhealthy, sizeof st->pub.unhealthy,
                 "policy store unavailable");
    else if (!ev->docker_ok)
        snprintf(st->pub.unhealthy, sizeof st->pub.unhealthy,
                 "Docker engine unavailable");
    else if (!ev->influx_ok)
        snprintf(st->pub.unhealthy, sizeof st->pub.unhealthy, "%s unavailable",
                 mstore_name(&st->cl.metrics));
    publish(st);
}

/* One cycle. Returns 0 when every dependency answered, 1 otherwise. */
static int cycle(struct run_state *st)
{
    int64_t t0 = mono_ms(); /* a duration: not the (corrected) clock */
    int rc = 0;
    if (!cycle_leads(st, &rc))
        return rc;

    struct das_eval ev;
    /* the time of the evaluation itself: the leader check may have waited
     * out an election (its calls block until a leader exists) */
    st->decided_ms = stall_clock_ms();
    st->dropping = DROP_NONE;
    das_evaluate(&st->cl, das_now_ms(), &ev);
    watch_dep(&st->c_store, ev.store_ok, "policy_store", ev.store_err);
    watch_dep(&st->c_docker, ev.docker_ok, "docker", ev.docker_err);
    watch_dep(&st->c_influx, ev.influx_ok, mstore_dep(&st->cl.metrics),
              ev.influx_err);
    if (!ev.store_ok || !ev.docker_ok || !ev.influx_ok)
        rc = 1;
    das_notice_metrics(st->notices, &ev);
    report_bad_rows(st, &ev);
    if (hstore_on_services(&st->cl.hist) && ev.docker_ok)
        observe_labels(st, &ev.services);
    cycle_act(st, &ev);
    flush_events(st);

    int64_t t1 = mono_ms();
    cycle_publish(st, &ev, t1 - t0);
    page_cycle(st->page, &ev);
    log_debug("cycle done", "policies=%zu invalid=%zu queries=%zu ms=%lld",
              ev.n, ev.nbad, ev.queries, (long long)(t1 - t0));
    das_eval_free(&ev);
    xmalloc_release(); /* what the cycle freed, back to the system */
    return rc;
}

/* Sleeps until the monotonic deadline or a stop signal. */
static void sleep_until(const struct timespec *deadline)
{
    while (!run_stop) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t left = (deadline->tv_sec - now.tv_sec) * 1000 +
                       (deadline->tv_nsec - now.tv_nsec) / 1000000;
        if (left <= 0)
            return;
        if (left > 200)
            left = 200; /* wake often enough to see the flag */
        struct timespec ts = {left / 1000, (left % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}

static void run_usage(FILE *f)
{
    fprintf(f, "usage: das run [options]\n");
}

/* Opens the clients, the signal handlers and --listen's endpoint, and says
 * how das runs. 0, or the exit status of a configuration error (said on
 * stderr). */
static int run_start(struct run_state *st, struct das_conf *conf)
{
    char err[512];
    st->conf = conf;
    evlog_init(&st->evlog, EVLOG_CAP);
    pthread_mutex_init(&st->evlog_lock, NULL);
    xmalloc_tune_cycles(); /* a cycle's large arrays go back when freed */
    if (das_clients_open(&st->cl, conf, err, sizeof err)) {
        fprintf(stderr, "das run: bad configuration: %s\n", err);
        return 2;
    }
    if (das_notices_open(&st->notices, conf, err, sizeof err)) {
        fprintf(stderr, "das run: bad configuration: %s\n", err);
        return 2;
    }
    st->cl.ensure_schema = true;
    /* A process that reads every cycle keeps InfluxDB's recent points
     * and asks only for the new ones (mstore.h): from 3 collection
     * intervals back, at least 30 s, for points written late. */
    if (!st->cl.prom && st->cl.influx) {
        int64_t iv = conf->ds_interval_ms > 0 ? conf->ds_interval_ms : 10000;
        st->cl.points =
            mstore_points_new(st->cl.influx, 3 * iv > 30000 ? 3 * iv : 30000);
        mstore_influx_points(&st->cl.metrics, st->cl.points);
    }
    /* a history database of das's own: made if missing (as ds makes its
     * own), when das may (not with a 2.x/3.x token: the operator's) */
    if (st->cl.history && st->cl.history != st->cl.influx &&
        !st->cl.influx_token)
        infl_ensure_database(st->cl.history);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (conf->listen && conf->listen[0]) {
        st->ep = ep_start(conf->listen, err, sizeof err);
        if (!st->ep) {
            fprintf(stderr, "das run: --listen: %s\n", err);
            return 2;
        }
        int64_t stale = 4 * conf->interval_ms;
        ep_set_stale_after(st->ep, stale > 60000 ? stale : 60000);
        ep_route(st->ep, "/events", serve_events, st, (size_t)4 << 20);
        st->page = page_new(conf, ep_port(st->ep), mstore_name(&st->cl.metrics),
                            &st->evlog, &st->evlog_lock);
        page_routes(st->page, st->ep);
        /* ~1 KB a policy (polexp.h; at most 8 KB for one of 8 conditions) */
        ep_metrics_extra(st->ep, page_metrics, st->page, (size_t)96 << 20);
        log_info("serving /healthz, /metrics, /events and the live page /",
                 "listen=%s port=%u", conf->listen, ep_port(st->ep));
    }

    char iv[32], dsiv[32], q1[300], q2[300];
    dur_format(conf->interval_ms, iv, sizeof iv);
    dur_format(conf->ds_interval_ms, dsiv, sizeof dsiv);
    log_info("starting",
             "interval=%s ds_interval=%s dry_run=%s once=%s "
             "policies=%s docker=%s influxdb=%s prometheus=%s agents=%s "
             "queries=%s history=%s",
             iv, dsiv, conf->dry_run ? "true" : "false",
             conf->once ? "true" : "false",
             das_store_none(conf) ? "labels" : "table+labels",
             log_quote(conf->docker_host, q1, sizeof q1),
             log_quote(st->cl.influx ? infl_where(st->cl.influx) : "none", q2,
                       sizeof q2),
             st->cl.prom ? prom_where(st->cl.prom) : "none",
             st->cl.agents ? conf->agents : "none",
             das_query_prom(&st->cl) ? prom_where(das_query_prom(&st->cl))
             : st->cl.influx         ? "influxdb"
                                     : "none",
             hstore_name(&st->cl.hist));
    return 0;
}

/* Cycles every --interval (at once when one ran over) until a stop
 * signal; with --once, one cycle. Returns the exit status. */
static int run_loop(struct run_state *st)
{
    const struct das_conf *conf = st->conf;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    int status = 0;
    while (!run_stop) {
        int crc = cycle(st);
        if (conf->once) {
            status = crc || st->failures ? 1 : 0;
            break;
        }
        next.tv_sec += (time_t)(conf->interval_ms / 1000);
        next.tv_nsec += (long)(conf->interval_ms % 1000) * 1000000;
        if (next.tv_nsec >= 1000000000) {
            next.tv_sec++;
            next.tv_nsec -= 1000000000;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > next.tv_sec ||
            (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec))
            next = now; /* a cycle ran over its interval: start again now */
        sleep_until(&next);
    }
    if (run_stop)
        log_info("stopping on signal", "actions=%lu", st->actions);
    return status;
}

int das_cmd_run(int argc, char **argv)
{
    struct das_conf conf;
    memset(&conf, 0, sizeof conf);
    const struct cfg_opt opts[] = {
        DAS_COMMON_OPTS(&conf),
        {"--interval", "DAS_INTERVAL", CFG_DUR, "15s", NULL, 1000, 0,
         "time between cycles", &conf.interval_ms},
        DAS_DS_INTERVAL_OPT(&conf, "for the coverage rule"),
        {"--once", NULL, CFG_BOOL, NULL, NULL, 0, 0, "run one cycle, then exit",
         &conf.once},
        {"--dry-run", NULL, CFG_BOOL, NULL, NULL, 0, 0,
         "decide and record events as dry runs; change no service",
         &conf.dry_run},
        {"--listen", "DAS_LISTEN", CFG_STR, NULL, NULL, 0, 0,
         "serve /healthz, /metrics, /events (the recent events) and the "
         "live page / on ADDR:PORT",
         &conf.listen},
        DAS_NOTIFY_OPTS(&conf),
    };
    const size_t nopts = sizeof opts / sizeof opts[0];
    char *pos[1];
    size_t npos = 0;
    int status;
    struct run_state st;

    memset(&st, 0, sizeof st);
    int prc =
        das_parse_opts("das run", run_usage, opts, nopts, argc, argv, 1, pos, 0,
                       &npos, (const char *const *)&conf.log_level);
    if (prc >= 0)
        status = prc;
    else if ((status = run_start(&st, &conf)) == 0)
        status = run_loop(&st);

    ep_stop(st.ep);
    das_notices_close(st.notices);
    page_free(st.page);
    das_clients_close(&st.cl);
    free(st.bad);
    free(st.dry);
    free(st.events);
    free(st.bound_by_capacity);
    if (st.evlog.v) {
        evlog_free(&st.evlog);
        pthread_mutex_destroy(&st.evlog_lock);
    }
    return status;
}
