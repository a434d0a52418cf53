/* One evaluation of every policy (eval.h), shared by das run and das
 * status: gather the inputs, then run the decision engine on each. */
#include "eval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents.h"
#include "cycle.h"
#include "docker.h"
#include "hist_label.h"
#include "influx.h"
#include "pg.h"
#include "prom.h"
#include "qwin.h"

bool das_influx_none(const struct das_conf *conf)
{
    return !conf->influx_url || !conf->influx_url[0] ||
           strcmp(conf->influx_url, "none") == 0;
}

bool das_store_none(const struct das_conf *conf)
{
    return !conf->policy_db || !conf->policy_db[0] ||
           !strcmp(conf->policy_db, "none");
}

/* What das_now_ms adds to this host's clock (one das per process). */
static int64_t clock_corr_ms;

int64_t das_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + clock_corr_ms;
}

/* Takes InfluxDB's clock from its last reply; says when das starts or stops
 * using it instead of this host's. */
static void clock_note(struct das_clients *cl)
{
    int64_t server, local;
    if (!cl->influx || !infl_server_clock(cl->influx, &server, &local))
        return;
    if (!skew_observe(&cl->skew, server, local)) {
        static struct complaint refused; /* one das per process */
        if (complain(&refused, "refused"))
            log_warn("InfluxDB's clock is a day or more off this host's: "
                     "not followed",
                     "offset_ms=%lld", (long long)(server - local));
        return;
    }
    int64_t corr = skew_correction(&cl->skew);
    if (corr != 0 && llabs(corr - clock_corr_ms) >= 1000)
        log_warn("clock off: this host's clock differs from InfluxDB's; "
                 "das reads windows and stamps events by InfluxDB's",
                 "offset_ms=%lld", (long long)corr);
    else if (corr == 0 && clock_corr_ms != 0)
        log_info("clock agrees with InfluxDB's again", "offset_ms=%lld",
                 (long long)skew_offset(&cl->skew));
    clock_corr_ms = corr;
}

void das_clock_sync(struct das_clients *cl)
{
    char err[256];
    if (cl->influx && infl_ping(cl->influx, err, sizeof err) == 0)
        clock_note(cl);
}

/* One agent's read at most half a cycle, from 2 to 10 s: a silent agent
 * then holds a cycle no longer than a decision may wait (run.c: two
 * intervals, at least 5 s). status and simulate (no interval): 10 s. */
static int64_t agents_timeout_ms(int64_t interval_ms)
{
    int64_t t = interval_ms > 0 ? interval_ms / 2 : 10000;
    return t < 2000 ? 2000 : t > 10000 ? 10000 : t;
}

/* The InfluxDB client of --influx-url (windows, history, decisions). */
static int influx_open(struct das_clients *cl, const struct das_conf *conf,
                       char *err, size_t errlen)
{
    struct http_conf hc;
    memset(&hc, 0, sizeof hc);
    hc.url = conf->influx_url;
    hc.user =
        conf->influx_user && conf->influx_user[0] ? conf->influx_user : NULL;
    hc.password = hc.user ? cl->influx_password : NULL;
    /* an https URL: always verified (tls_no_verify stays false) */
    hc.ca = conf->influx_ca;
    hc.token = cl->influx_token;
    if (hc.user && hc.token) {
        snprintf(err, errlen,
                 "--influx-user and an InfluxDB token (--influx-token-file, "
                 "DAS_INFLUX_TOKEN_FILE or DAS_INFLUX_TOKEN) both given: "
                 "InfluxDB 1.x takes a user and password, 2.x/3.x a token; "
                 "give one");
        return -1;
    }
    enum infl_statements smode = INFL_STMT_AUTO;
    if (infl_statements_parse(conf->influx_statements ? conf->influx_statements
                                                      : "auto",
                              &smode)) {
        snprintf(err, errlen,
                 "--influx-statements / DAS_INFLUX_STATEMENTS: not one "
                 "of " INFL_STATEMENTS_CHOICES);
        return -1;
    }
    hc.connect_timeout_ms = 3000;
    hc.timeout_ms = 30000;
    hc.max_body = 64u * 1024u * 1024u;
    char ierr[256];
    cl->influx = infl_new(&hc, conf->influx_db, ierr, sizeof ierr);
    if (!cl->influx) {
        snprintf(err, errlen, "--influx-url / --influx-db%s: %s",
                 hc.token ? " / InfluxDB token" : "", ierr);
        return -1;
    }
    infl_set_statements(cl->influx, smode);
    mstore_influx(&cl->metrics, cl->influx);
    cl->history = cl->influx;
    const char *hdb = conf->influx_history_db;
    if (hdb && hdb[0] && strcmp(hdb, conf->influx_db ? conf->influx_db : "")) {
        cl->history = infl_new(&hc, hdb, ierr, sizeof ierr);
        if (!cl->history) {
            snprintf(err, errlen, "--influx-history-db: %s", ierr);
            return -1;
        }
        infl_set_statements(cl->history, smode);
    }
    return 0;
}

/* The Prometheus credentials, read once for every Prometheus client:
 * basic auth from --prometheus-user and a password file, or a bearer
 * token from a file. */
static int prom_secrets(struct das_clients *cl, const struct das_conf *conf,
                        const char *user, char *err, size_t errlen)
{
    if (cl->prom_secrets_read)
        return 0;
    cl->prom_secrets_read = true;
    cl->prom_password = cfg_secret(conf->prometheus_password_file,
                                   "DAS_PROMETHEUS_PASSWORD", err, errlen);
    if (!cl->prom_password && err[0])
        return -1;
    cl->prom_token = cfg_secret(conf->prometheus_token_file,
                                "DAS_PROMETHEUS_TOKEN", err, errlen);
    if (!cl->prom_token && err[0])
        return -1;
    if (user && cl->prom_token) {
        snprintf(err, errlen,
                 "--prometheus-user and a Prometheus token "
                 "(--prometheus-token-file, DAS_PROMETHEUS_TOKEN_FILE or "
                 "DAS_PROMETHEUS_TOKEN) both given: give one");
        return -1;
    }
    if (!user && cl->prom_password) {
        snprintf(err, errlen,
                 "a Prometheus password (--prometheus-password-file, "
                 "DAS_PROMETHEUS_PASSWORD_FILE or DAS_PROMETHEUS_PASSWORD) "
                 "without --prometheus-user: give the user too");
        return -1;
    }
    return 0;
}

/* A Prometheus client of url (flag names it in messages): its
 * certificate verified (--prometheus-ca, else the system's CAs), with
 * the credentials of prom_secrets. NULL with err. */
static struct prom *prom_client(struct das_clients *cl,
                                const struct das_conf *conf, const char *url,
                                const char *flag, char *err, size_t errlen)
{
    const char *user = conf->prometheus_user && conf->prometheus_user[0]
                           ? conf->prometheus_user
                           : NULL;
    if (prom_secrets(cl, conf, user, err, errlen))
        return NULL;
    struct http_conf pc;
    memset(&pc, 0, sizeof pc); /* tls_no_verify false: https verified */
    pc.url = url;
    pc.ca = conf->prometheus_ca && conf->prometheus_ca[0] ? conf->prometheus_ca
                                                          : NULL;
    pc.user = user;
    pc.password = cl->prom_password;
    pc.token = cl->prom_token;
    pc.bearer = true;
    pc.connect_timeout_ms = 3000;
    pc.timeout_ms = 30000;
    pc.max_body = conf->prometheus_max_reply > 0
                      ? (size_t)conf->prometheus_max_reply << 20
                      : PROM_MAX_BODY;
    int names = prom_names_parse(conf->prometheus_names);
    char perr[256];
    /* a rate's first interval and a limit look back two collections */
    struct prom *p = prom_new(
        &pc, names < 0 ? PROM_NAMES_DS : (enum prom_names)names,
        2 * (conf->ds_interval_ms > 0 ? conf->ds_interval_ms : 10000) + 1000,
        perr, sizeof perr);
    if (!p)
        snprintf(err, errlen, "%s%s: %s", flag,
                 pc.token ? " / Prometheus token" : "", perr);
    return p;
}

/* Zeroes and frees a secret. */
static void secret_free(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

int das_clients_open(struct das_clients *cl, const struct das_conf *conf,
                     char *err, size_t errlen)
{
    memset(cl, 0, sizeof *cl);
    cl->conf = conf;
    cl->zones = zones_new();

    cl->docker = dkr_new(conf->docker_host, err, errlen);
    if (!cl->docker)
        goto fail;

    cl->influx_password = cfg_secret(conf->influx_password_file,
                                     "DAS_INFLUX_PASSWORD", err, errlen);
    if (!cl->influx_password && err[0])
        goto fail;
    cl->influx_token =
        cfg_secret(conf->influx_token_file, "DAS_INFLUX_TOKEN", err, errlen);
    if (!cl->influx_token && err[0])
        goto fail;
    /* --influx-url none: windows from Prometheus, history in the SQL
     * store, decisions in /metrics: no InfluxDB at all */
    bool no_influx = das_influx_none(conf);
    bool with_prom = conf->prometheus_url && conf->prometheus_url[0];
    if (!no_influx && influx_open(cl, conf, err, errlen))
        goto fail;
    if (no_influx && !with_prom) {
        /* the embedded default: the agents' own recent points; a read
         * goes back 3 agent intervals for the points of a round that
         * was stamped before an answer but kept after it */
        char aerr[256];
        int64_t ds = conf->ds_interval_ms > 0 ? conf->ds_interval_ms : 10000;
        cl->agents =
            agents_new(conf->agents, cl->docker, 3 * ds,
                       agents_timeout_ms(conf->interval_ms), aerr, sizeof aerr);
        if (!cl->agents) {
            snprintf(err, errlen, "%s", aerr);
            goto fail;
        }
        agents_mstore(&cl->metrics, cl->agents);
    }
    if (with_prom) {
        cl->prom = prom_client(cl, conf, conf->prometheus_url,
                               "--prometheus-url", err, errlen);
        if (!cl->prom)
            goto fail;
        prom_mstore(&cl->metrics, cl->prom);
    }
    /* the query metrics' own Prometheus, unless it is the windows' */
    if (conf->query_url && conf->query_url[0] &&
        strcmp(conf->query_url, "none") &&
        !(with_prom && !strcmp(conf->query_url, conf->prometheus_url))) {
        cl->qprom =
            prom_client(cl, conf, conf->query_url, "--query-url", err, errlen);
        if (!cl->qprom)
            goto fail;
    }
    hstore_init(&cl->hist, cl);
    return 0;
fail:
    das_clients_close(cl);
    return -1;
}

void das_clients_close(struct das_clients *cl)
{
    if (!cl)
        return;
    dkr_free(cl->docker);
    if (cl->history != cl->influx)
        infl_free(cl->history);
    infl_free(cl->influx);
    prom_free(cl->prom);
    prom_free(cl->qprom);
    agents_free(cl->agents);
    mstore_points_free(cl->points);
    pg_close(cl->pg);
    secret_free(cl->influx_password);
    secret_free(cl->influx_token);
    secret_free(cl->prom_password);
    secret_free(cl->prom_token);
    free(cl->extra_last);
    free(cl->sync_seen);
    zones_free(cl->zones);
    memset(cl, 0, sizeof *cl);
}

/* Connects (or reconnects) the store and makes sure of the schema. */
static int store_ready(struct das_clients *cl, char *err, size_t errlen)
{
    if (!cl->pg) {
        cl->pg = pg_open(cl->conf->policy_db, err, errlen);
        if (!cl->pg)
            return -1;
        cl->schema_done = false;
    } else if (pg_ensure(cl->pg, err, errlen)) {
        cl->schema_done = false;
        return -1;
    }
    if (cl->ensure_schema && !cl->schema_done) {
        if (pg_ensure_schema(cl->pg, err, errlen))
            return -1;
        cl->schema_done = true;
    }
    return 0;
}

/* Appends the label policies (das_label_policies) to ev->pols: valid ones
 * found with their service; a seq already taken (a table row's, or another
 * service's hash) is reported and skipped. */
static void add_label_policies(struct das_eval *ev,
                               const struct pg_rowset *rows)
{
    const char **refs = xcalloc(rows->n ? rows->n : 1, sizeof *refs);
    long *tseqs = xcalloc(rows->n ? rows->n : 1, sizeof *tseqs);
    for (size_t i = 0; i < rows->n; i++) {
        refs[i] = rows->rows[i].col[POL_SERVICE_ID];
        tseqs[i] = ev->pols[i].seq;
    }
    struct das_label_pol *lp = NULL;
    size_t nl = das_label_policies(&ev->services, refs, tseqs, rows->n, &lp);
    free(refs);
    free(tseqs);
    if (nl) {
        ev->pols = xrealloc(ev->pols, (ev->n + nl) * sizeof *ev->pols);
        memset(ev->pols + ev->n, 0, nl * sizeof *ev->pols);
    }
    for (size_t k = 0; k < nl; k++) {
        if (lp[k].shadowed) {
            ev->nshadowed++;
            continue;
        }
        struct das_pol_eval *pe = &ev->pols[ev->n];
        pe->seq = lp[k].pol.seq;
        pe->pol = lp[k].pol;
        pe->pol.source = POL_SRC_LABELS;
        for (size_t j = 0; j < ev->n && lp[k].valid; j++)
            if (ev->pols[j].seq == pe->seq) {
                pe->error = xasprintf(
                    "service %.63s: its label policy's seq %ld (from the "
                    "service id) is taken by another policy; use a table "
                    "row for it (das policy add)",
                    lp[k].svc->name, pe->seq);
                lp[k].valid = false;
            }
        /* the service is known either way (status names it) */
        pe->found = true;
        pe->svc = *lp[k].svc;
        if (!lp[k].valid) {
            if (!pe->error)
                pe->error = xstrdup(lp[k].error);
            ev->nbad++;
        } else {
            pe->valid = true;
        }
        ev->nlabels++;
        ev->n++;
    }
    free(lp);
}

static void set_unavailable(struct das_pol_eval *pe, enum dec_outcome outcome,
                            const char *what)
{
    pe->evaluated = false;
    memset(&pe->res, 0, sizeof pe->res);
    pe->res.action = DEC_NONE;
    pe->res.outcome = outcome;
    pe->res.from = pe->res.to = pe->found ? pe->svc.replicas : -1;
    pe->res.observed = NAN;
    pe->res.threshold = NAN;
    /* the evaluation carries the error itself once, not per policy */
    snprintf(pe->res.reason, sizeof pe->res.reason,
             "no decision this cycle: %s unavailable", what);
}

/* Is a container of the service warming up (stask_age), or no replica at
 * all? Only a running or starting task's container is a replica: one that
 * still reports but no such task runs carries the service's labels
 * without being its replica, and is left out (named once). One that no
 * longer reports is a replica gone since (a scale-in): its points in the
 * window count as before. Without the task listing every container
 * counts (that cycle's status says the listing failed). */
struct young_arg {
    const struct stask_list *tasks;
    const char *service;
    const char *service_name;
    int64_t now_ms, warmup_ms;
    struct das_eval *ev; /* counts and names the containers no task runs */
};

/* A container no task runs, for the cycle's one log line (the first one
 * named, and how many). */
static void note_not_task(struct young_arg *a, const char *container)
{
    if (a->ev->not_tasks++ == 0)
        snprintf(a->ev->not_task_first, sizeof a->ev->not_task_first,
                 "%.63s/%.15s", a->service_name, container);
}

static enum cyc_age young(const char *container, bool fresh, void *arg)
{
    struct young_arg *a = arg;
    if (!a->tasks)
        return CYC_MATURE;
    switch (
        stask_age(a->tasks, a->service, container, a->now_ms, a->warmup_ms)) {
    case STASK_STARTING:
        return CYC_STARTING;
    case STASK_WARMING:
        return CYC_WARMING;
    case STASK_NONE:
        if (!fresh)
            return CYC_MATURE;
        note_not_task(a, container);
        return CYC_NOT_TASK;
    default:
        return CYC_MATURE;
    }
}

/* The evaluation's steps at debug level, with their duration (a
 * monotonic clock; benchmarks read them). */
static int64_t step_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void step_done(const char *step, int64_t *t, size_t n)
{
    int64_t now = step_mono_ms();
    log_debug("evaluation step", "step=%s n=%zu ms=%lld", step, n,
              (long long)(now - *t));
    *t = now;
}

/* 1. The policy rows (none with --policy-db none), parsed; false when
 * the store did not answer (ev->store_err says why). */
static bool read_policies(struct das_clients *cl, struct das_eval *ev,
                          struct pg_rowset *rows)
{
    char err[512];
    ev->store_none = das_store_none(cl->conf);
    if (!ev->store_none && (store_ready(cl, err, sizeof err) ||
                            pg_policy_rows(cl->pg, rows, err, sizeof err))) {
        cl->schema_done = false;
        snprintf(ev->store_err, sizeof ev->store_err, "%.255s", err);
        return false;
    }
    ev->store_ok = true;
    ev->n = rows->n;
    ev->pols = xcalloc(rows->n ? rows->n : 1, sizeof *ev->pols);
    for (size_t i = 0; i < rows->n; i++) {
        struct das_pol_eval *pe = &ev->pols[i];
        pe->seq = das_row_seq(rows->rows[i].col[POL_SEQ]);
        char e[512] = "";
        if (pol_parse(&rows->rows[i], &pe->pol, e, sizeof e)) {
            pe->error = xstrdup(e);
            ev->nbad++;
            continue;
        }
        pe->valid = true;
    }
    return true;
}

/* 2. One service listing: the label policies of the services (after the
 * rows, left out where a row names the same service: the table wins),
 * each policy's service; then one task listing (replica ages for the
 * warm-up, and waiting tasks). */
static void read_services(struct das_clients *cl, struct das_eval *ev,
                          const struct pg_rowset *rows, int64_t *t_step)
{
    char err[512];
    static struct complaint skipped; /* one das evaluates at a time */
    if (dsvc_list(cl->docker, &ev->services, err, sizeof err)) {
        ev->docker_ok = false;
        snprintf(ev->docker_err, sizeof ev->docker_err, "%.255s", err);
    } else if (ev->services.skipped) {
        char q[400];
        snprintf(err, sizeof err, "%zu not read; the first: %s",
                 ev->services.skipped, ev->services.skip_why);
        if (complain(&skipped, err))
            log_warn("GET /services: elements that are no service left out",
                     "error=%s", log_quote(err, q, sizeof q));
    } else if (complain_release(&skipped)) {
        log_info("GET /services: every element read again", NULL);
    }
    step_done("services", t_step, ev->services.n);
    if (ev->docker_ok)
        add_label_policies(ev, rows);
    for (size_t i = 0; i < ev->n; i++)
        ev->pols[i].in.pol = &ev->pols[i].pol;
    for (size_t i = 0; i < ev->n && ev->docker_ok; i++) {
        struct das_pol_eval *pe = &ev->pols[i];
        if (!pe->valid || pe->found)
            continue;
        char e[256];
        const struct dsvc *s =
            dsvc_resolve(&ev->services, pe->pol.service_id, NULL, e, sizeof e);
        if (s) {
            pe->found = true;
            pe->svc = *s;
        } else {
            pe->svc_err = xstrdup(e);
        }
    }
    if (ev->docker_ok) {
        ev->tasks_ok = !stask_list(cl->docker, &ev->tasks, err, sizeof err);
        if (!ev->tasks_ok)
            snprintf(ev->tasks_err, sizeof ev->tasks_err, "%.255s", err);
    }
    step_done("tasks", t_step, ev->tasks.n);
}

/* 2b. The zone of every schedule: a policy whose zone cannot be read is
 * a bad one, as a schedule that does not parse is (the zones are kept,
 * so each file is read once). */
static void check_zones(struct das_clients *cl, struct das_eval *ev)
{
    for (size_t i = 0; i < ev->n; i++) {
        struct das_pol_eval *pe = &ev->pols[i];
        char e[400];
        if (!pe->valid || pe->pol.sched.n == 0 ||
            zones_get(cl->zones, pe->pol.sched.zone, e, sizeof e))
            continue;
        if (pe->pol.source == POL_SRC_LABELS)
            pe->error = xasprintf("service %.63s: label " POL_LABEL_PREFIX
                                  "schedule: %s",
                                  pe->svc.name, e);
        else
            pe->error = xasprintf("policy seq=%ld: schedule %s", pe->seq, e);
        pe->valid = false;
        ev->nbad++;
    }
}

/* The records a cycle decides (heap, *nall of them): every policy, then
 * the further conditions of the policies that have several (conds[1..],
 * each a policy of its own for the engine: its windows, its decision). */
static struct das_pol_eval **all_of(struct das_eval *ev, size_t *nall)
{
    size_t n = ev->n;
    for (size_t i = 0; i < ev->n; i++)
        if (ev->pols[i].valid && ev->pols[i].pol.nconds > 1)
            n += ev->pols[i].pol.nconds - 1;
    struct das_pol_eval **all = xcalloc(n ? n : 1, sizeof *all);
    size_t k = ev->n;
    for (size_t i = 0; i < ev->n; i++) {
        struct das_pol_eval *pe = &ev->pols[i];
        all[i] = pe;
        if (!pe->valid || pe->pol.nconds < 2)
            continue;
        pe->conds = xcalloc(pe->pol.nconds, sizeof *pe->conds);
        for (size_t c = 0; c < pe->pol.nconds; c++) {
            struct das_pol_eval *ce = &pe->conds[c];
            ce->seq = pe->seq;
            ce->valid = true;
            pol_cond_view(&pe->pol, c, &ce->pol);
            ce->in.pol = &ce->pol;
            ce->found = pe->found;
            ce->svc = pe->svc; /* borrowed: pe owns the names */
            if (c > 0)
                all[k++] = ce;
        }
    }
    *nall = n;
    return all;
}

/* Each record as the plan of the cycle sees it (heap). */
static struct das_plan_pol *plan_of(struct das_pol_eval *const *all,
                                    size_t nall)
{
    struct das_plan_pol *plan = xcalloc(nall ? nall : 1, sizeof *plan);
    for (size_t i = 0; i < nall; i++) {
        const struct das_pol_eval *pe = all[i];
        plan[i].pol = pe->valid ? &pe->pol : NULL;
        plan[i].scalable = pe->found && !pe->svc.unscalable;
    }
    return plan;
}

/* A policy with several conditions: its decision from theirs. */
static void combine_conds(struct das_pol_eval *pe)
{
    size_t n = pe->pol.nconds;
    struct dec_result res[POL_CONDS_MAX];
    const char *fields[POL_CONDS_MAX];
    struct das_pol_eval *first = &pe->conds[0];
    /* conds[0]: this record's own decision on the first condition */
    first->in = pe->in;
    first->in.pol = &first->pol;
    first->res = pe->res;
    first->metrics_ok = pe->metrics_ok;
    first->evaluated = pe->evaluated;
    first->idle = pe->idle;
    first->tasks = pe->tasks;
    bool any = false, all_ok = true;
    for (size_t c = 0; c < n; c++) {
        res[c] = pe->conds[c].res;
        fields[c] = pe->conds[c].pol.conds[0].name;
        any = any || pe->conds[c].evaluated;
        all_ok = all_ok && pe->conds[c].metrics_ok;
    }
    dec_combine(res, n, fields, &pe->res);
    pe->evaluated = any;
    pe->metrics_ok = all_ok;
}

/* What the metrics store said for the cycle's (field, duration) pairs. */
struct windows {
    struct cyc_pair *pairs;
    size_t npairs;
    size_t (*idx)[2]; /* per policy: its out and in pair (das_plan_pairs) */
    struct win_agg **aggs;
    size_t *naggs;
    struct cyc_index *ix;
    bool *ok;   /* the store answered for the pair */
    bool *none; /* the store has no such metric (cAdvisor's pids): those
                   policies get no decision and say why; the others go on */
};

static void windows_free(struct windows *w)
{
    for (size_t p = 0; p < w->npairs && w->aggs; p++)
        free(w->aggs[p]);
    free(w->pairs);
    free(w->idx);
    free(w->aggs);
    free(w->naggs);
    free(w->ix);
    free(w->ok);
    free(w->none);
}

/* Asks the store for every window of pairs[p]'s field at once (window
 * sets: one request per field), marking each pair it answers. */
static int read_window_set(struct das_clients *cl, struct windows *w, size_t p,
                           bool *done, int64_t now_ms, char *err, size_t errlen)
{
    size_t set[MSTORE_SET_MAX], k = 0;
    int64_t durs[MSTORE_SET_MAX];
    struct win_agg *outs[MSTORE_SET_MAX];
    size_t nouts[MSTORE_SET_MAX];
    for (size_t q = p; q < w->npairs && k < MSTORE_SET_MAX; q++)
        if (!done[q] && !strcmp(w->pairs[q].field, w->pairs[p].field)) {
            set[k] = q;
            durs[k++] = w->pairs[q].dur_ms;
        }
    int rc = mstore_window_set(&cl->metrics, w->pairs[p].field, now_ms, durs, k,
                               outs, nouts, err, errlen);
    for (size_t i = 0; i < k && rc == 0; i++) {
        size_t q = set[i];
        w->aggs[q] = outs[i];
        w->naggs[q] = nouts[i];
        done[q] = true;
        if (q != p) {
            w->ok[q] = true;
            cyc_index_init(&w->ix[q], w->aggs[q], w->naggs[q]);
        }
    }
    return rc;
}

/* The pairs of the cycle (das_plan_pairs), with room for their rows. */
static void windows_plan(size_t nall, const struct das_plan_pol *plan,
                         struct windows *w)
{
    w->pairs = xcalloc(2 * nall + 1, sizeof *w->pairs);
    w->idx = xcalloc(nall ? nall : 1, sizeof *w->idx);
    w->npairs = das_plan_pairs(plan, nall, w->pairs, w->idx);
    size_t np = w->npairs ? w->npairs : 1;
    w->aggs = xcalloc(np, sizeof *w->aggs);
    w->naggs = xcalloc(np, sizeof *w->naggs);
    w->ok = xcalloc(np, sizeof *w->ok);
    w->ix = xcalloc(np, sizeof *w->ix);
    w->none = xcalloc(np, sizeof *w->none);
}

/* Reads every pair of pairs[p]'s field not read yet: one metrics-store
 * query per (field, duration), or per field where the store reads window
 * sets. 0, or -1 + err at the first failure (the pairs read before it
 * stay ok); a field the store does not have marks its pairs none. */
static int read_field(struct das_clients *cl, struct das_eval *ev,
                      struct windows *w, size_t p, bool *done, int64_t *t_step,
                      char *err, size_t errlen)
{
    const char *field = w->pairs[p].field;
    for (size_t q = p; q < w->npairs; q++) {
        if (done[q] || strcmp(w->pairs[q].field, field))
            continue;
        if (!mstore_supports(&cl->metrics, field, err, errlen)) {
            w->none[q] = done[q] = true;
            continue;
        }
        ev->queries++;
        int64_t now_ms = ev->now_ms;
        int qrc = mstore_has_window_set(&cl->metrics)
                      ? read_window_set(cl, w, q, done, now_ms, err, errlen)
                      : mstore_windows(&cl->metrics, field,
                                       now_ms - w->pairs[q].dur_ms, now_ms + 1,
                                       &w->aggs[q], &w->naggs[q], err, errlen);
        if (qrc) {
            w->aggs[q] = NULL;
            w->naggs[q] = 0;
            return -1;
        }
        done[q] = w->ok[q] = true;
        cyc_index_init(&w->ix[q], w->aggs[q], w->naggs[q]);
        char stepname[96];
        snprintf(stepname, sizeof stepname, "windows:%s", field);
        step_done(stepname, t_step, w->naggs[q]);
    }
    return 0;
}

/* Frees the rows of field's pairs: its policies' windows are made. */
static void field_free(struct windows *w, const char *field, bool *done)
{
    for (size_t q = 0; q < w->npairs; q++)
        if (!strcmp(w->pairs[q].field, field)) {
            free(w->aggs[q]);
            w->aggs[q] = NULL;
            w->naggs[q] = 0;
            w->ix[q] = (struct cyc_index){0};
            done[q] = true;
        }
}

/* The label of key on a service, NULL when it has none. */
const char *das_svc_label(const struct dsvc *s, const char *key)
{
    for (size_t i = 0; i < s->nlabels; i++)
        if (!strcmp(s->labels[i].key, key))
            return s->labels[i].value;
    return NULL;
}

/* Says when action records dated in the future (past the tolerance) are
 * seen, when their count or first changes, and when they are gone: they
 * are no action of das's (a forged record, or a writer's clock far ahead)
 * and are left out of every policy's history. */
static void report_future(const struct hist_future *f)
{
    static struct complaint c; /* one das evaluates at a time */
    char text[160];
    if (f->n == 0) {
        if (complain_release(&c))
            log_info("no action recorded in the future any more", NULL);
        return;
    }
    snprintf(text, sizeof text, "%zu, the first seq %ld at %lld", f->n,
             f->first_seq, (long long)f->first_ms);
    if (complain(&c, text))
        log_warn("actions recorded in the future are left out of the "
                 "history (not das's; a forged record or a clock far "
                 "ahead)",
                 "records=%zu first_seq=%ld first_ms=%lld", f->n, f->first_seq,
                 (long long)f->first_ms);
}

/* 3. The last action per valid policy, in ev->pols' order (so restarts
 * keep their windows), from the history store (hstore.h). */
static void read_last_actions(struct das_clients *cl, struct das_eval *ev,
                              const struct das_plan_pol *plan, size_t nall,
                              int64_t *last, bool *bets, int64_t *t_step)
{
    char err[512];
    struct hstore_pol *pols = xcalloc(ev->n ? ev->n : 1, sizeof *pols);
    size_t npol = 0;
    for (size_t i = 0; i < ev->n; i++) {
        if (!plan[i].pol)
            continue;
        const struct das_pol_eval *pe = &ev->pols[i];
        pols[npol].seq = plan[i].pol->seq;
        pols[npol].service = pe->found ? pe->svc.name : NULL;
        pols[npol].last = pe->found ? das_svc_label(&pe->svc, HL_KEY) : NULL;
        npol++;
    }
    int64_t since = ev->now_ms - das_lookback_ms(plan, nall) - 60000;
    int64_t until = ev->now_ms + HIST_FUTURE_TOLERANCE_MS;
    struct hist_future future = {0};
    if (hstore_last(&cl->hist, pols, npol, since, until, &future, last, bets,
                    err, sizeof err)) {
        ev->store_ok = false;
        snprintf(ev->store_err, sizeof ev->store_err, "%.255s", err);
    }
    report_future(&future);
    free(pols);
    step_done("last_actions", t_step, npol);
}

/* The decision input of policy i: the service, its tasks, when its
 * windows start, its limit. The windows are left empty. */
static void fill_input(struct das_clients *cl, struct das_eval *ev,
                       struct das_pol_eval *pe, int64_t store_ms,
                       bool store_bet)
{
    int64_t now_ms = ev->now_ms;
    struct das_since_in si = {
        .seq = pe->pol.seq,
        .store_ms = store_ms,
        .store_bet = store_bet,
        .extra = cl->extra_last,
        .nextra = cl->nextra,
        .found = pe->found,
        .svc = &pe->svc,
        .cur_no = pe->pol.cur_no,
    };
    if (das_scaled_outside(pe->found, &pe->svc, pe->pol.cur_no))
        si.sync_seen_ms =
            das_sync_first_seen(&cl->sync_seen, &cl->nsync_seen, pe->pol.seq,
                                pe->pol.cur_no, pe->svc.replicas, now_ms);
    struct dec_input *in = &pe->in;
    in->pol = &pe->pol;
    in->now_ms = now_ms;
    in->ds_interval_ms = ev->ds_interval_ms;
    in->found = pe->found;
    in->global = pe->found && pe->svc.unscalable;
    in->unscalable = pe->found ? pe->svc.unscalable : NULL;
    in->updating = pe->found && pe->svc.updating;
    in->actual = pe->found ? pe->svc.replicas : 0;
    das_window_since(&si, &in->last_action_ms, &in->last_bet);
    /* the direction of the service's last replica change (its
     * PreviousSpec): a trim waits after a scale-out */
    in->last_out = pe->found && pe->svc.prev_replicas >= 0 &&
                   pe->svc.prev_replicas < pe->svc.replicas;
    in->limit = pe->found ? das_metric_limit(&pe->pol, &pe->svc) : NAN;
    in->running = -1;
    if (pe->found && ev->tasks_ok) {
        stask_count(&ev->tasks, pe->svc.id, &pe->tasks);
        in->running = pe->tasks.running;
        in->pending = pe->tasks.pending;
        in->pending_why = pe->tasks.why;
    }
    cyc_window_init(&in->out_win, now_ms - pe->pol.out_ms);
    cyc_window_init(&in->in_win, now_ms - pe->pol.in_ms);
    /* its zone was read by check_zones, so this cannot fail */
    char e[400];
    in->sched = NULL;
    if (!zones_sched_now(cl->zones, &pe->pol, now_ms, &pe->sched, e,
                         sizeof e) &&
        pe->pol.sched.n)
        in->sched = &pe->sched;
}

/* Fills policy i's windows from the store's answer; false (and the
 * outcome set) when its metrics are unavailable. */
static bool fill_windows(struct das_clients *cl, struct das_eval *ev,
                         struct das_pol_eval *pe, const struct windows *w,
                         size_t i)
{
    size_t po = w->idx[i][0], pi = w->idx[i][1];
    if (po == (size_t)-1)
        return true;
    int64_t now_ms = ev->now_ms;
    struct young_arg ya = {ev->tasks_ok ? &ev->tasks : NULL,
                           pe->svc.id,
                           pe->svc.name,
                           now_ms,
                           pe->pol.warmup_ms,
                           ev};
    struct dec_input *in = &pe->in;
    pe->metrics_ok = w->ok[po] && w->ok[pi];
    if (w->ok[po])
        cyc_index_window(&w->ix[po], pe->svc.id, now_ms, pe->pol.out_ms,
                         ev->ds_interval_ms, young, &ya, &in->out_win);
    if (w->ok[pi])
        cyc_index_window(&w->ix[pi], pe->svc.id, now_ms, pe->pol.in_ms,
                         ev->ds_interval_ms, young, &ya, &in->in_win);
    if (w->none[po] || w->none[pi]) {
        set_unavailable(pe, DEC_O_METRICS_DOWN, mstore_name(&cl->metrics));
        pe->metrics_ok = false;
        char e2[400];
        if (!mstore_supports(&cl->metrics, pe->pol.metric->field, e2,
                             sizeof e2))
            snprintf(pe->res.reason, sizeof pe->res.reason, "no decision: %s",
                     e2);
        return false;
    }
    if (!pe->metrics_ok) {
        set_unavailable(pe, DEC_O_METRICS_DOWN, mstore_name(&cl->metrics));
        return false;
    }
    return true;
}

/* A query metric unavailable this cycle: why, in its reason, and counted
 * for report_queries. */
static void query_unavailable(struct das_eval *ev, struct das_pol_eval *pe,
                              const char *what, const char *why)
{
    set_unavailable(pe, DEC_O_METRICS_DOWN, what);
    snprintf(pe->res.reason, sizeof pe->res.reason, "no decision: %s: %s",
             pe->pol.conds[0].name, why);
    if (ev->query_bad++ == 0)
        snprintf(ev->query_bad_first, sizeof ev->query_bad_first,
                 "%s of seq %ld: %.200s", pe->pol.conds[0].name, pe->pol.seq,
                 why);
}

/* A query metric's decision: its query over qwin_span (one request for
 * both windows, and idle_for), read from Prometheus or else InfluxDB,
 * then qwin_decide (the rule das simulate plays too). */
static void decide_query(struct das_clients *cl, struct das_eval *ev,
                         struct das_pol_eval *pe)
{
    struct dec_input *in = &pe->in;
    const struct pol_cond *c = &pe->pol.conds[0];
    if (!pe->found || pe->svc.unscalable || pe->svc.updating) {
        dec_evaluate(in, &pe->res); /* the service's own outcome */
        pe->evaluated = true;
        return;
    }
    struct prom *qp = das_query_prom(cl); /* NULL: InfluxQL */
    if (!qp && !cl->influx) {
        query_unavailable(ev, pe, "Prometheus or InfluxDB",
                          "a query metric is read from Prometheus (PromQL) or "
                          "InfluxDB (InfluxQL): give --query-url, "
                          "--prometheus-url or --influx-url (the agents "
                          "carry only ds's fields)");
        return;
    }
    int64_t now = ev->now_ms, win = qwin_span(&pe->pol);
    int64_t step = qwin_step(win, in->ds_interval_ms);
    struct qwin_sample *s = NULL;
    size_t n = 0;
    char err[600], why[200];
    ev->queries++;
    /* PromQL with --prometheus-url, else InfluxQL; the text as a string
     * (a table's is not NUL-terminated in its column) */
    char query[POL_QUERY_MAX + 1];
    snprintf(query, sizeof query, "%.*s", (int)c->query_len, c->query);
    if (qp ? prom_query_value(qp, query, now - win, now, step, &s, &n, err,
                              sizeof err)
           : infl_query_value(cl->influx, query, now - win, now, step, &s, &n,
                              err, sizeof err)) {
        query_unavailable(ev, pe, qp ? "Prometheus" : "InfluxDB", err);
        return;
    }
    int rc = qwin_decide(in, c->name, c->target, s, n, &pe->res, &pe->idle, why,
                         sizeof why);
    free(s);
    if (rc) {
        query_unavailable(ev, pe, qp ? "Prometheus" : "InfluxDB", why);
        return;
    }
    pe->metrics_ok =
        !(pe->res.outcome == DEC_O_INSUFFICIENT && pe->in.actual == 0);
    pe->evaluated = true;
}

/* min_no 0: after the decision on one or more replicas, to zero when
 * every condition was idle for idle_for. */
static void idle_to_zero(struct das_pol_eval *pe)
{
    bool idle = pe->idle;
    for (size_t c = 0; pe->conds && c < pe->pol.nconds; c++)
        idle = idle && pe->conds[c].idle;
    dec_idle(&pe->in,
             pe->pol.nconds > 1 ? "every metric" : pe->pol.conds[0].name, idle,
             &pe->res);
}

/* Says when query metrics start being unavailable, when their number or
 * the first changes, and when every one reads again. */
static void report_queries(const struct das_eval *ev)
{
    static struct complaint c; /* one das evaluates at a time */
    char text[300], q[400];
    if (ev->query_bad == 0) {
        if (complain_release(&c))
            log_info("every query metric reads again", NULL);
        return;
    }
    snprintf(text, sizeof text, "%zu, the first: %s", ev->query_bad,
             ev->query_bad_first);
    if (complain(&c, text))
        log_warn("query metrics unavailable: no decision on them",
                 "metrics=%zu first=%s", ev->query_bad,
                 log_quote(ev->query_bad_first, q, sizeof q));
}

/* Policy i's windows from the rows read, and its decision when they are
 * available. */
static void decide_one(struct das_clients *cl, struct das_eval *ev,
                       struct das_pol_eval *pe, const struct windows *w,
                       size_t i)
{
    if (pe->pol.metric == &pol_metric_query) {
        decide_query(cl, ev, pe);
        return;
    }
    if (!fill_windows(cl, ev, pe, w, i))
        return;
    dec_evaluate(&pe->in, &pe->res);
    pe->evaluated = true;
}

/* 4. The inputs of every valid policy (and of its further conditions,
 * with its history); true in wait[i] for those whose decision waits on
 * the windows (the others have their outcome). */
static void inputs_all(struct das_clients *cl, struct das_eval *ev, size_t nall,
                       const int64_t *last, const bool *bets, bool *wait)
{
    size_t k = 0;
    for (size_t i = 0; i < ev->n; i++) {
        struct das_pol_eval *pe = &ev->pols[i];
        if (!pe->valid)
            continue;
        fill_input(cl, ev, pe, last[k], bets[k]);
        for (size_t c = 1; pe->conds && c < pe->pol.nconds; c++)
            fill_input(cl, ev, &pe->conds[c], last[k], bets[k]);
        k++;
        if (!ev->store_ok)
            set_unavailable(pe, DEC_O_STORE_DOWN, ev->hist->ops->down);
        else if (!ev->docker_ok)
            set_unavailable(pe, DEC_O_DOCKER_DOWN, "Docker engine");
        else
            wait[i] = true;
    }
    for (size_t i = ev->n; i < nall; i++)
        wait[i] = ev->store_ok && ev->docker_ok;
}

/* 5. The windows field by field, and the decisions of the policies that
 * wait on them: once a field is read its policies are decided and its
 * rows freed, so das holds one field's rows at a time (27 MB a field at
 * 100,000 containers). The first failed read ends the reads: the server
 * is most likely down, so das does not wait on it again; the policies of
 * the fields not read say the metrics are unavailable. */
static void windows_decide(struct das_clients *cl, struct das_eval *ev,
                           struct das_pol_eval *const *all, size_t nall,
                           const struct das_plan_pol *plan, bool *wait,
                           int64_t *t_step)
{
    struct windows w = {0};
    windows_plan(nall, plan, &w);
    bool *done = xcalloc(w.npairs ? w.npairs : 1, sizeof *done);
    bool failed = false;
    char err[512];
    for (size_t p = 0; p < w.npairs; p++) {
        if (done[p])
            continue;
        const char *field = w.pairs[p].field;
        if (!failed &&
            read_field(cl, ev, &w, p, done, t_step, err, sizeof err)) {
            if (ev->influx_ok)
                snprintf(ev->influx_err, sizeof ev->influx_err, "%.255s", err);
            ev->influx_ok = false;
            failed = true;
        }
        for (size_t i = 0; i < nall; i++)
            if (wait[i] && w.idx[i][0] != (size_t)-1 &&
                !strcmp(w.pairs[w.idx[i][0]].field, field)) {
                wait[i] = false;
                decide_one(cl, ev, all[i], &w, i);
            }
        field_free(&w, field, done);
    }
    /* the policies that read nothing (service not found, not scalable) */
    for (size_t i = 0; i < nall; i++)
        if (wait[i])
            decide_one(cl, ev, all[i], &w, i);
    free(done);
    windows_free(&w);
}

/* Says when containers that are no task's start being seen, when their
 * number or the first of them changes, and when they are gone (each
 * window counts them: a container in both of a policy's windows counts
 * twice). */
static void report_not_tasks(const struct das_eval *ev)
{
    static struct complaint c; /* one das evaluates at a time */
    char text[200], q[240];
    if (ev->not_tasks == 0) {
        if (complain_release(&c))
            log_info("no container with a service's labels outside its tasks "
                     "any more",
                     NULL);
        return;
    }
    snprintf(text, sizeof text, "%zu, the first: %s", ev->not_tasks,
             ev->not_task_first);
    if (complain(&c, text))
        log_warn("containers with a service's labels that no task of it "
                 "runs: their points are left out (not replicas)",
                 "windows=%zu first=%s", ev->not_tasks,
                 log_quote(ev->not_task_first, q, sizeof q));
}

void das_evaluate(struct das_clients *cl, int64_t now_ms, struct das_eval *ev)
{
    int64_t t_step = step_mono_ms();
    memset(ev, 0, sizeof *ev);
    ev->now_ms = now_ms;
    ev->ds_interval_ms = cl->conf->ds_interval_ms;
    ev->docker_ok = true;
    ev->influx_ok = true;
    ev->metrics_dep = mstore_dep(&cl->metrics);
    ev->metrics_name = mstore_name(&cl->metrics);
    ev->hist = &cl->hist;

    struct pg_rowset rows = {0};
    if (!read_policies(cl, ev, &rows)) {
        pg_rowset_free(&rows);
        return;
    }
    step_done("policies", &t_step, rows.n);
    read_services(cl, ev, &rows, &t_step);
    check_zones(cl, ev);
    /* the rows' text is no longer needed (policies were copied) unless a
     * query metric's text points into it: then it is kept with ev */
    bool queries = false;
    for (size_t i = 0; i < ev->n && !queries; i++)
        for (size_t k = 0; ev->pols[i].valid && k < ev->pols[i].pol.nconds; k++)
            queries = queries || (ev->pols[i].pol.source == POL_SRC_TABLE &&
                                  ev->pols[i].pol.conds[k].query);
    if (queries) {
        ev->rows = xmalloc(sizeof *ev->rows);
        *ev->rows = rows;
    } else {
        pg_rowset_free(&rows);
    }

    size_t nall;
    struct das_pol_eval **all = all_of(ev, &nall);
    struct das_plan_pol *plan = plan_of(all, nall);
    int64_t *last = xcalloc(ev->n ? ev->n : 1, sizeof *last);
    bool *bets = xcalloc(ev->n ? ev->n : 1, sizeof *bets);
    bool *wait = xcalloc(nall ? nall : 1, sizeof *wait);
    read_last_actions(cl, ev, plan, nall, last, bets, &t_step);
    inputs_all(cl, ev, nall, last, bets, wait);
    windows_decide(cl, ev, all, nall, plan, wait, &t_step);
    for (size_t i = 0; i < ev->n; i++) {
        struct das_pol_eval *pe = &ev->pols[i];
        if (pe->conds)
            combine_conds(pe);
        if (pe->valid && pe->evaluated && pe->pol.min_no == 0)
            idle_to_zero(pe);
    }
    report_not_tasks(ev);
    report_queries(ev);
    clock_note(cl); /* for the next cycle */
    ev->clock_offset_ms = skew_offset(&cl->skew);
    ev->clock_corrected = skew_correction(&cl->skew) != 0;
    step_done("decide", &t_step, ev->n);
    free(all);
    free(plan);
    free(last);
    free(bets);
    free(wait);
}

void das_eval_free(struct das_eval *ev)
{
    if (!ev)
        return;
    dsvc_list_free(&ev->services);
    if (ev->rows) {
        pg_rowset_free(ev->rows);
        free(ev->rows);
        ev->rows = NULL;
    }
    stask_list_free(&ev->tasks);
    for (size_t i = 0; i < ev->n && ev->pols; i++) {
        free(ev->pols[i].error);
        free(ev->pols[i].svc_err);
        free(ev->pols[i].conds);
    }
    free(ev->pols);
    ev->pols = NULL;
    ev->n = 0;
}
