#include "eval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cycle.h"
#include "docker.h"
#include "hist_influx.h"
#include "influx.h"
#include "pg.h"
#include "prom.h"

bool das_influx_none(const struct das_conf *conf)
{
    return conf->influx_url && strcmp(conf->influx_url, "none") == 0;
}

bool das_store_none(const struct das_conf *conf)
{
    return conf->policy_db && !strcmp(conf->policy_db, "none");
}

size_t das_label_policies(const struct dsvc_list *svcs,
                          const char *const *table_refs, const long *table_seqs,
                          size_t ntable, struct das_label_pol **out)
{
    size_t n = 0;
    /* the services the table's rows name, each resolved once */
    bool *named = xcalloc(svcs->n ? svcs->n : 1, sizeof *named);
    long *named_by = xcalloc(svcs->n ? svcs->n : 1, sizeof *named_by);
    for (size_t t = 0; t < ntable; t++) {
        char e[256];
        const struct dsvc *s =
            table_refs[t] ? dsvc_resolve(svcs, table_refs[t], NULL, e, sizeof e)
                          : NULL;
        if (s && !named[s - svcs->v]) {
            named[s - svcs->v] = true;
            named_by[s - svcs->v] = table_seqs[t];
        }
    }
    *out = xcalloc(svcs->n ? svcs->n : 1, sizeof **out);
    for (size_t i = 0; i < svcs->n; i++) {
        const struct dsvc *s = &svcs->v[i];
        struct pol_label l[DSVC_LABELS_MAX];
        for (size_t k = 0; k < s->nlabels; k++)
            l[k] = (struct pol_label){s->labels[k].key, s->labels[k].value,
                                      s->labels[k].cut};
        if (!pol_labels_have_policy(l, s->nlabels))
            continue;
        struct das_label_pol *lp = &(*out)[n++];
        lp->svc = s;
        lp->valid = !pol_parse_labels(
            s->name, s->id, s->global ? -1 : s->replicas, l, s->nlabels,
            &lp->pol, lp->error, sizeof lp->error);
        lp->pol.seq = pol_label_seq(s->id);
        lp->shadowed = named[i];
        lp->shadowed_by = named_by[i];
    }
    free(named);
    free(named_by);
    return n;
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
    skew_observe(&cl->skew, server, local);
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
    hc.tls_verify = true; /* an https URL: always verified */
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
    return 0;
}

int das_clients_open(struct das_clients *cl, const struct das_conf *conf,
                     char *err, size_t errlen)
{
    memset(cl, 0, sizeof *cl);
    cl->conf = conf;

    cl->docker = dkr_new(conf->docker_host, err, errlen);
    if (!cl->docker)
        goto fail;

    const char *pw = getenv("DAS_INFLUX_PASSWORD");
    if (conf->influx_password_file && conf->influx_password_file[0]) {
        cl->influx_password =
            cfg_read_secret(conf->influx_password_file, err, errlen);
        if (!cl->influx_password)
            goto fail;
    } else if (pw && pw[0]) {
        cl->influx_password = xstrdup(pw);
    }
    cl->influx_token =
        cfg_secret(conf->influx_token_file, "DAS_INFLUX_TOKEN", err, errlen);
    if (!cl->influx_token && err[0])
        goto fail;
    /* --influx-url none: windows from Prometheus, history in the SQL
     * store, decisions in /metrics: no InfluxDB at all */
    bool no_influx = das_influx_none(conf);
    bool with_prom = conf->prometheus_url && conf->prometheus_url[0];
    if (no_influx && !with_prom) {
        snprintf(err, errlen,
                 "--influx-url none: the windows must come from somewhere: "
                 "give --prometheus-url (or an InfluxDB URL)");
        goto fail;
    }
    if (no_influx && das_store_none(conf)) {
        snprintf(err, errlen,
                 "--influx-url none with --policy-db none: the history of "
                 "label policies is kept in InfluxDB; give one of the two");
        goto fail;
    }
    if (!no_influx && influx_open(cl, conf, err, errlen))
        goto fail;
    if (with_prom) {
        char perr[256];
        struct http_conf pc;
        memset(&pc, 0, sizeof pc);
        pc.url = conf->prometheus_url;
        pc.connect_timeout_ms = 3000;
        pc.timeout_ms = 30000;
        pc.max_body = 256u * 1024u * 1024u;
        int names = prom_names_parse(conf->prometheus_names);
        /* a rate's first interval and a limit look back two collections */
        cl->prom = prom_new(
            &pc, names < 0 ? PROM_NAMES_DS : (enum prom_names)names,
            2 * (conf->ds_interval_ms > 0 ? conf->ds_interval_ms : 10000) +
                1000,
            perr, sizeof perr);
        if (!cl->prom) {
            snprintf(err, errlen, "--prometheus-url: %s", perr);
            goto fail;
        }
        prom_mstore(&cl->metrics, cl->prom);
    }
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
    infl_free(cl->influx);
    prom_free(cl->prom);
    pg_close(cl->pg);
    if (cl->influx_password) {
        memset(cl->influx_password, 0, strlen(cl->influx_password));
        free(cl->influx_password);
    }
    if (cl->influx_token) {
        memset(cl->influx_token, 0, strlen(cl->influx_token));
        free(cl->influx_token);
    }
    free(cl->extra_last);
    free(cl->sync_seen);
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

static long row_seq(const struct pol_row *row)
{
    const char *s = row->col[POL_SEQ];
    if (!s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    return v;
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
                snprintf(pe->error, sizeof pe->error,
                         "service %.63s: its label policy's seq %ld (from "
                         "the service id) is taken by another policy; "
                         "use a table row for it (das policy add)",
                         lp[k].svc->name, pe->seq);
                lp[k].valid = false;
            }
        /* the service is known either way (status names it) */
        pe->found = true;
        pe->svc = *lp[k].svc;
        if (!lp[k].valid) {
            if (!pe->error[0])
                snprintf(pe->error, sizeof pe->error, "%s", lp[k].error);
            ev->nbad++;
        } else {
            pe->valid = true;
        }
        ev->nlabels++;
        ev->n++;
    }
    free(lp);
}

/* When cur_no != replicas was first seen for this policy (now, the first
 * time; a different pair starts again). */
static int64_t sync_first_seen(struct das_clients *cl, long seq, long cur_no,
                               long replicas, int64_t now_ms)
{
    for (size_t i = 0; i < cl->nsync_seen; i++) {
        struct das_sync_seen *s = &cl->sync_seen[i];
        if (s->seq != seq)
            continue;
        if (s->cur_no != cur_no || s->replicas != replicas) {
            s->cur_no = cur_no;
            s->replicas = replicas;
            s->ms = now_ms;
        }
        return s->ms;
    }
    cl->sync_seen =
        xrealloc(cl->sync_seen, (cl->nsync_seen + 1) * sizeof *cl->sync_seen);
    cl->sync_seen[cl->nsync_seen] =
        (struct das_sync_seen){seq, cur_no, replicas, now_ms};
    cl->nsync_seen++;
    return now_ms;
}

/* A service update and das's record of it this close together are one
 * change (label policies: the history and UpdatedAt). */
#define DAS_SAME_CHANGE_MS 5000

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

/* The level at which a replica of the service is saturated, in the
 * policy's metric: its CPU limit for cpu_ratio, 100% for cpu_limit_ratio;
 * none for the other metrics. */
static double metric_limit(const struct policy *pol, const struct dsvc *svc)
{
    const char *f = pol->metric->field;
    if (!strcmp(f, "cpu_ratio"))
        return svc->cpu_limit;
    if (!strcmp(f, "cpu_limit_ratio"))
        return 100.0;
    return NAN;
}

/* Is a container of the service warming up (stask_young)? A container no
 * task names counts as old (it reports, so it counts). */
struct young_arg {
    const struct stask_list *tasks;
    const char *service;
    int64_t now_ms, warmup_ms;
};

static bool young(const char *container, void *arg)
{
    const struct young_arg *a = arg;
    return a->tasks && stask_young(a->tasks, a->service, container, a->now_ms,
                                   a->warmup_ms);
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

void das_evaluate(struct das_clients *cl, int64_t now_ms, struct das_eval *ev)
{
    int64_t t_step = step_mono_ms();
    memset(ev, 0, sizeof *ev);
    ev->now_ms = now_ms;
    ev->ds_interval_ms = cl->conf->ds_interval_ms;
    ev->docker_ok = true;
    ev->influx_ok = true;
    ev->metrics_dep = mstore_dep(&cl->metrics);

    struct pg_rowset rows = {0};
    struct cyc_pair *pairs = NULL;
    struct win_agg **aggs = NULL;
    size_t *naggs = NULL;
    bool *pair_ok = NULL;
    long *seqs = NULL;
    int64_t *last = NULL;
    bool *bets = NULL;
    char err[512];

    /* 1. the policy rows (none with --policy-db none) */
    ev->store_none = das_store_none(cl->conf);
    if (!ev->store_none && (store_ready(cl, err, sizeof err) ||
                            pg_policy_rows(cl->pg, &rows, err, sizeof err))) {
        cl->schema_done = false;
        snprintf(ev->store_err, sizeof ev->store_err, "%.255s", err);
        goto out;
    }
    ev->store_ok = true;
    ev->n = rows.n;
    ev->pols = xcalloc(rows.n ? rows.n : 1, sizeof *ev->pols);
    for (size_t i = 0; i < rows.n; i++) {
        struct das_pol_eval *pe = &ev->pols[i];
        pe->seq = row_seq(&rows.rows[i]);
        if (pol_parse(&rows.rows[i], &pe->pol, pe->error, sizeof pe->error)) {
            ev->nbad++;
            continue;
        }
        pe->valid = true;
    }
    step_done("policies", &t_step, rows.n);

    /* 2. one service listing */
    if (dsvc_list(cl->docker, &ev->services, err, sizeof err)) {
        ev->docker_ok = false;
        snprintf(ev->docker_err, sizeof ev->docker_err, "%.255s", err);
    }
    step_done("services", &t_step, ev->services.n);
    /* 2a. the label policies of the services: after the rows, left out
     * where a row names the same service (the table wins) */
    if (ev->docker_ok)
        add_label_policies(ev, &rows);
    for (size_t i = 0; i < ev->n; i++)
        ev->pols[i].in.pol = &ev->pols[i].pol;
    for (size_t i = 0; i < ev->n && ev->docker_ok; i++) {
        struct das_pol_eval *pe = &ev->pols[i];
        if (!pe->valid || pe->found)
            continue;
        const struct dsvc *s =
            dsvc_resolve(&ev->services, pe->pol.service_id, NULL, pe->svc_err,
                         sizeof pe->svc_err);
        if (s) {
            pe->found = true;
            pe->svc = *s;
        }
    }

    /* 2b. one task listing: replica ages (warm-up) and waiting tasks */
    if (ev->docker_ok) {
        ev->tasks_ok = !stask_list(cl->docker, &ev->tasks, err, sizeof err);
        if (!ev->tasks_ok)
            snprintf(ev->tasks_err, sizeof ev->tasks_err, "%.255s", err);
    }
    step_done("tasks", &t_step, ev->tasks.n);

    /* 3. one metrics-store query per distinct (cond_item, duration) */
    size_t cap = 2 * ev->n + 1, npairs = 0;
    pairs = xcalloc(cap, sizeof *pairs);
    size_t(*pidx)[2] = xcalloc(ev->n ? ev->n : 1, sizeof *pidx);
    for (size_t i = 0; i < ev->n; i++) {
        struct das_pol_eval *pe = &ev->pols[i];
        pidx[i][0] = pidx[i][1] = (size_t)-1;
        if (!pe->valid || !pe->found || pe->svc.global || pe->svc.job)
            continue;
        pidx[i][0] = cyc_pair_add(pairs, &npairs, cap, pe->pol.metric->field,
                                  pe->pol.out_ms);
        pidx[i][1] = cyc_pair_add(pairs, &npairs, cap, pe->pol.metric->field,
                                  pe->pol.in_ms);
    }
    aggs = xcalloc(npairs ? npairs : 1, sizeof *aggs);
    naggs = xcalloc(npairs ? npairs : 1, sizeof *naggs);
    pair_ok = xcalloc(npairs ? npairs : 1, sizeof *pair_ok);
    struct cyc_index *ix = xcalloc(npairs ? npairs : 1, sizeof *ix);
    /* a cond_item the store's vocabulary has no metric for (cAdvisor's
     * pids): those policies get no decision and say why; the others go on */
    bool *pair_none = xcalloc(npairs ? npairs : 1, sizeof *pair_none);
    bool *pair_done = xcalloc(npairs ? npairs : 1, sizeof *pair_done);
    for (size_t p = 0; p < npairs; p++) {
        if (pair_done[p])
            continue;
        if (!mstore_supports(&cl->metrics, pairs[p].field, err, sizeof err)) {
            pair_none[p] = true;
            continue;
        }
        ev->queries++;
        int qrc;
        if (mstore_has_window_set(&cl->metrics)) {
            /* every window of this field in one request */
            size_t set[MSTORE_SET_MAX], k = 0;
            int64_t durs[MSTORE_SET_MAX];
            struct win_agg *outs[MSTORE_SET_MAX];
            size_t nouts[MSTORE_SET_MAX];
            for (size_t q = p; q < npairs && k < MSTORE_SET_MAX; q++)
                if (!pair_done[q] && !strcmp(pairs[q].field, pairs[p].field)) {
                    set[k] = q;
                    durs[k++] = pairs[q].dur_ms;
                }
            qrc = mstore_window_set(&cl->metrics, pairs[p].field, now_ms, durs,
                                    k, outs, nouts, err, sizeof err);
            for (size_t i = 0; i < k && qrc == 0; i++) {
                size_t q = set[i];
                aggs[q] = outs[i];
                naggs[q] = nouts[i];
                pair_done[q] = true;
                if (q != p) {
                    pair_ok[q] = true;
                    cyc_index_init(&ix[q], aggs[q], naggs[q]);
                }
            }
        } else {
            qrc = mstore_windows(&cl->metrics, pairs[p].field,
                                 now_ms - pairs[p].dur_ms, now_ms + 1, &aggs[p],
                                 &naggs[p], err, sizeof err);
        }
        if (qrc) {
            if (ev->influx_ok)
                snprintf(ev->influx_err, sizeof ev->influx_err, "%.255s", err);
            ev->influx_ok = false;
            aggs[p] = NULL;
            naggs[p] = 0;
            /* the server is most likely down: don't wait on it again */
            for (size_t q = p + 1; q < npairs; q++)
                pair_ok[q] = false;
            break;
        }
        pair_ok[p] = true;
        cyc_index_init(&ix[p], aggs[p], naggs[p]);
        char stepname[96];
        snprintf(stepname, sizeof stepname, "windows:%s", pairs[p].field);
        step_done(stepname, &t_step, naggs[p]);
    }

    clock_note(cl); /* for the next cycle */
    ev->clock_offset_ms = skew_offset(&cl->skew);
    ev->clock_corrected = skew_correction(&cl->skew) != 0;

    /* 4. the last action per policy (so restarts keep their windows) */
    seqs = xcalloc(ev->n ? ev->n : 1, sizeof *seqs);
    last = xcalloc(ev->n ? ev->n : 1, sizeof *last);
    bets = xcalloc(ev->n ? ev->n : 1, sizeof *bets);
    size_t nseq = 0;
    /* an action before now - longest is in no window, and no bet older
     * than DEC_BET_UNTIL in_durations is returned */
    int64_t longest = 0;
    for (size_t i = 0; i < ev->n; i++)
        if (ev->pols[i].valid) {
            const struct policy *pol = &ev->pols[i].pol;
            seqs[nseq++] = pol->seq;
            if (pol->out_ms > longest)
                longest = pol->out_ms;
            if (pol->in_ms > longest)
                longest = pol->in_ms;
            if (pol->mode == POL_MODE_AUTO &&
                pol->in_ms * DEC_BET_UNTIL > longest)
                longest = pol->in_ms * DEC_BET_UNTIL;
        }
    if (ev->store_none
            ? hist_last_actions(cl->influx, seqs, nseq,
                                now_ms - longest - 60000, last, bets, err,
                                sizeof err)
            : pg_last_actions(cl->pg, seqs, nseq, now_ms - longest - 60000,
                              last, bets, err, sizeof err)) {
        ev->store_ok = false;
        cl->schema_done = false;
        snprintf(ev->store_err, sizeof ev->store_err, "%.255s", err);
    }
    step_done("last_actions", &t_step, nseq);

    /* 5. decide */
    size_t k = 0;
    for (size_t i = 0; i < ev->n; i++) {
        struct das_pol_eval *pe = &ev->pols[i];
        if (!pe->valid)
            continue;
        bool bet = bets[k];
        int64_t last_ms = last[k++];
        for (size_t e = 0; e < cl->nextra; e++)
            if (cl->extra_last[e].seq == pe->pol.seq &&
                cl->extra_last[e].ms > last_ms) {
                last_ms = cl->extra_last[e].ms;
                bet = cl->extra_last[e].bet;
            }
        /* Scaled outside das (or never seen): the windows so far measured
         * another replica count, so they start again from when the change
         * was first seen, as after one of das's own actions. */
        if (pe->found && !pe->svc.global && !pe->svc.job &&
            pe->pol.cur_no != pe->svc.replicas) {
            int64_t seen = sync_first_seen(cl, pe->pol.seq, pe->pol.cur_no,
                                           pe->svc.replicas, now_ms);
            if (seen > last_ms) {
                last_ms = seen;
                bet = false;
            }
        }
        /* A label policy has no cur_no of its own to tell a change das
         * did not record (killed between its update and its record, or an
         * event InfluxDB did not take) or one made by hand: the service
         * itself tells it. Its last update changed the replicas
         * (PreviousSpec) at UpdatedAt: the windows start after it. The
         * record of das's own action comes a moment after the update:
         * within DAS_SAME_CHANGE_MS it is that action (and keeps its bet
         * mark). */
        if (pe->found && pe->pol.source == POL_SRC_LABELS && !pe->svc.global &&
            !pe->svc.job && pe->svc.prev_replicas >= 0 &&
            pe->svc.prev_replicas != pe->svc.replicas &&
            pe->svc.updated_ms > last_ms) {
            if (pe->svc.updated_ms - last_ms > DAS_SAME_CHANGE_MS)
                bet = false;
            last_ms = pe->svc.updated_ms;
        }
        struct dec_input *in = &pe->in;
        in->pol = &pe->pol;
        in->now_ms = now_ms;
        in->ds_interval_ms = ev->ds_interval_ms;
        in->found = pe->found;
        in->global = pe->found && (pe->svc.global || pe->svc.job);
        in->updating = pe->found && pe->svc.updating;
        in->actual = pe->found ? pe->svc.replicas : 0;
        in->last_action_ms = last_ms;
        in->last_bet = bet;
        in->limit = pe->found ? metric_limit(&pe->pol, &pe->svc) : NAN;
        in->running = -1;
        if (pe->found && ev->tasks_ok) {
            stask_count(&ev->tasks, pe->svc.id, &pe->tasks);
            in->running = pe->tasks.running;
            in->pending = pe->tasks.pending;
            in->pending_why = pe->tasks.why;
        }
        struct young_arg ya = {ev->tasks_ok ? &ev->tasks : NULL, pe->svc.id,
                               now_ms, pe->pol.warmup_ms};
        cyc_window_init(&in->out_win, now_ms - pe->pol.out_ms);
        cyc_window_init(&in->in_win, now_ms - pe->pol.in_ms);

        if (!ev->store_ok) {
            set_unavailable(pe, DEC_O_STORE_DOWN,
                            ev->store_none ? "history (InfluxDB)"
                                           : "policy store");
            continue;
        }
        if (!ev->docker_ok) {
            set_unavailable(pe, DEC_O_DOCKER_DOWN, "Docker engine");
            continue;
        }
        size_t po = pidx[i][0], pi = pidx[i][1];
        if (po != (size_t)-1) {
            pe->metrics_ok = pair_ok[po] && pair_ok[pi];
            if (pair_ok[po])
                cyc_index_window(&ix[po], pe->svc.id, now_ms, pe->pol.out_ms,
                                 ev->ds_interval_ms, young, &ya, &in->out_win);
            if (pair_ok[pi])
                cyc_index_window(&ix[pi], pe->svc.id, now_ms, pe->pol.in_ms,
                                 ev->ds_interval_ms, young, &ya, &in->in_win);
            if (pair_none[po] || pair_none[pi]) {
                set_unavailable(pe, DEC_O_METRICS_DOWN,
                                mstore_name(&cl->metrics));
                pe->metrics_ok = false;
                char e2[400];
                if (!mstore_supports(&cl->metrics, pe->pol.metric->field, e2,
                                     sizeof e2))
                    snprintf(pe->res.reason, sizeof pe->res.reason,
                             "no decision: %s", e2);
                continue;
            }
            if (!pe->metrics_ok) {
                set_unavailable(pe, DEC_O_METRICS_DOWN,
                                mstore_name(&cl->metrics));
                continue;
            }
        }
        dec_evaluate(in, &pe->res);
        pe->evaluated = true;
    }
    free(pidx);
    free(pair_none);
    free(pair_done);
    step_done("decide", &t_step, ev->n);
    for (size_t p = 0; p < npairs; p++)
        free(aggs[p]);
    free(ix);
out:
    /* the rows' text is no longer needed: policies were copied */
    pg_rowset_free(&rows);
    free(pairs);
    free(aggs);
    free(naggs);
    free(pair_ok);
    free(seqs);
    free(last);
    free(bets);
}

void das_eval_free(struct das_eval *ev)
{
    if (!ev)
        return;
    dsvc_list_free(&ev->services);
    stask_list_free(&ev->tasks);
    free(ev->pols);
    ev->pols = NULL;
    ev->n = 0;
}
