/* das simulate: what a policy would do to a load, before it is trusted
 * with one. Plays a trace under the load model (docs/decisions.md) with
 * das's own decision code, or with a reference rule beside it, and prints
 * the four scores and every action with the words `das run` would log. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "agents.h"
#include "buf.h"
#include "das.h"
#include "docker_svc.h"
#include "eval.h"
#include "influx.h"
#include "inputs.h"
#include "pg.h"
#include "plot.h"
#include "policy.h"
#include "prom.h"
#include "sim.h"
#include "zones.h"

#define ERRLEN 600
/* A trace file larger than this is not a trace. */
#define TRACE_MAX_BYTES (64u * 1024u * 1024u)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: das simulate --trace FILE.csv --min N --max N --item "
            "cpu_ratio --out 70%% --in 30%%\n"
            "                    --out-for 2m --in-for 5m "
            "[--mode auto|band|step] [--warmup 30s]\n"
            "                    [--rule das|step|hpa|hpa-eq] [--json] "
            "[--plot FILE.svg]\n"
            "       das simulate --trace FILE.csv --policy SEQ [...]\n"
            "       das simulate --service NAME --since 6h [policy flags | "
            "--policy SEQ] [...]\n"
            "\n"
            "Plays the trace (CSV \"t,demand\": t in seconds, evenly spaced; "
            "demand the\n"
            "service's total CPU in percent of one core) under das's load "
            "model\n"
            "(docs/decisions.md) with das's own decision code, and prints the "
            "scores\n"
            "(lower is better: under_min, replica_min, actions, flaps) and "
            "each action\n"
            "with its reason. --rule step|hpa|hpa-eq plays a reference rule "
            "instead;\n"
            "--policy SEQ takes the policy's row from the policy store.\n"
            "\n"
            "A trace whose header names several columns (t,cpu_ratio,mem_ratio,"
            "rps) plays\n"
            "every metric of the policy, each on the column of its name: a ds "
            "field's\n"
            "demand for the whole service, a query metric's value as its query "
            "would read\n"
            "it; with --min 0 the wake-ups and the replica-minutes saved, with "
            "--schedule\n"
            "the windows at the trace's times (t in Unix seconds). Without "
            "--item, --metrics\n"
            "names every metric (as labels das.<metric>.<key> do).\n"
            "\n"
            "--service NAME --since DUR: the what-if on the recorded past. "
            "The load is what\n"
            "ds recorded for the service (in InfluxDB, Prometheus or, by "
            "default, the\n"
            "agents' --keep; per --ds-interval, the sum over its containers), "
            "the replicas\n"
            "it really had come from the recorded events; it prints what "
            "happened beside\n"
            "what the policy (the flags, --policy SEQ, or the service's own "
            "policy) would\n"
            "have done.\n");
}

/* Reads the whole file into a NUL-terminated heap buffer; bounded. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct buf b;
    char chunk[65536];
    if (!f) {
        errf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    buf_init(&b, TRACE_MAX_BYTES);
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf_append(&b, chunk, n)) {
            errf(err, errlen, "%s: larger than %u MiB; not a trace", path,
                 TRACE_MAX_BYTES >> 20);
            fclose(f);
            buf_cleanup(&b);
            return NULL;
        }
    }
    if (ferror(f)) {
        errf(err, errlen, "%s: %s", path, strerror(errno));
        fclose(f);
        buf_cleanup(&b);
        return NULL;
    }
    fclose(f);
    *len = b.len;
    if (!b.ptr)
        return xstrdup("");
    return buf_take(&b);
}

/* The row of seq from the store. 0, 1 (store) or 2 (no such row / bad). */
static int policy_from_store(const struct das_conf *conf, long seq,
                             struct policy *p)
{
    int status = 0;
    struct pg *db = das_store_open("das simulate", conf->policy_db, &status);
    struct pg_rowset set = {0};
    char err[ERRLEN];
    if (!db)
        return status;
    if (pg_policy_rows(db, &set, err, sizeof err)) {
        fprintf(stderr, "das simulate: %s\n", err);
        pg_close(db);
        return 1;
    }
    status = 2;
    bool seen = false;
    for (size_t i = 0; i < set.n; i++) {
        const char *s = set.rows[i].col[POL_SEQ];
        if (!s || strtol(s, NULL, 10) != seq)
            continue;
        seen = true;
        if (pol_parse(&set.rows[i], p, err, sizeof err))
            fprintf(stderr, "das simulate: --policy %ld: %s\n", seq, err);
        else
            status = 0;
    }
    if (!seen)
        fprintf(stderr,
                "das simulate: --policy %ld: no such row (das policy list "
                "shows them)\n",
                seq);
    pg_rowset_free(&set);
    pg_close(db);
    return status;
}

/* ---- the recorded past (--service NAME --since DUR) ---- */

struct recorded {
    struct dsvc svc;
    struct sim_trace tr;
    struct sim_result happened; /* steps with the real replicas; actions */
    size_t filled;              /* intervals without points, carried over */
    double cap;                 /* a replica's capacity in the metric */
    bool cap_assumed;           /* no CPU limit: one core assumed */
};

static void recorded_free(struct recorded *rc)
{
    sim_trace_free(&rc->tr);
    sim_result_free(&rc->happened);
}

static bool is_change(const char *action)
{
    return das_event_changes(das_event_kind_of(action));
}

static bool is_sync(const char *action)
{
    return das_event_kind_of(action) == DAS_EV_SYNCED;
}

/* The policy store's row for the service (by its reference resolving to
 * the same service). 0, or 2 with a message. */
static int service_policy(struct pg *db, const struct dsvc_list *services,
                          const struct dsvc *svc, struct policy *p)
{
    struct pg_rowset set = {0};
    char err[ERRLEN];
    int status = 2;
    if (pg_policy_rows(db, &set, err, sizeof err)) {
        fprintf(stderr, "das simulate: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < set.n && status; i++) {
        struct policy q;
        char e[ERRLEN], se[256];
        if (pol_parse(&set.rows[i], &q, e, sizeof e))
            continue;
        const struct dsvc *s =
            dsvc_resolve(services, q.service_id, NULL, se, sizeof se);
        if (s && !strcmp(s->id, svc->id)) {
            *p = q;
            status = 0;
        }
    }
    if (status)
        fprintf(stderr,
                "das simulate: service %s has no valid policy in the store: "
                "give the policy flags or --policy SEQ\n",
                svc->name);
    pg_rowset_free(&set);
    return status;
}

/* The service's demand as recorded, at most one point an interval, oldest
 * first (*v heap). 0, or 1 (a server failed) with the message printed. */
static int demand_points(struct das_clients *cl, const struct dsvc *svc,
                         const struct policy *pol, int64_t start, int64_t end,
                         int64_t interval_ms, struct infl_sample **v,
                         size_t *nv)
{
    char err[ERRLEN];
    if (cl->prom) {
        /* the windows' store: the demand from the same samples */
        struct prom_demand *pd = NULL;
        if (prom_query_demand(cl->prom, pol->metric->field, svc->id, start, end,
                              interval_ms, &pd, nv, err, sizeof err)) {
            fprintf(stderr, "das simulate: %s\n", err);
            return 1;
        }
        struct infl_sample *pts = xcalloc(*nv ? *nv : 1, sizeof *pts);
        for (size_t i = 0; i < *nv; i++) {
            pts[i].t_ms = pd[i].t_ms;
            pts[i].value = pd[i].value;
        }
        free(pd);
        *v = pts;
        return 0;
    }
    if (cl->agents) {
        /* the embedded default: what the agents still keep (ds --keep) */
        int64_t *t = NULL;
        double *val = NULL;
        if (agents_demand(cl->agents, pol->metric->field, svc->id, start, end,
                          interval_ms, &t, &val, nv, err, sizeof err)) {
            fprintf(stderr, "das simulate: ds agents: %s\n", err);
            return 1;
        }
        struct infl_sample *pts = xcalloc(*nv ? *nv : 1, sizeof *pts);
        for (size_t i = 0; i < *nv; i++) {
            pts[i].t_ms = t[i];
            pts[i].value = val[i];
        }
        free(t);
        free(val);
        *v = pts;
        return 0;
    }
    if (infl_query_demand(cl->influx, pol->metric->field, svc->id, start, end,
                          interval_ms, v, nv, err, sizeof err)) {
        fprintf(stderr, "das simulate: InfluxDB: %s\n", err);
        return 1;
    }
    return 0;
}

/* Lays the nv (> 0) points on n even steps from start. An interval without
 * a point carries the one before it over (counted in rc->filled), and
 * steps before the first point take its value: a gap in the record is not
 * a drop in load. A negative demand is 0. */
static void demand_trace(const struct infl_sample *v, size_t nv, int64_t start,
                         int64_t interval_ms, size_t n, struct recorded *rc)
{
    rc->tr.demand = xcalloc(n, sizeof *rc->tr.demand);
    rc->tr.n = n;
    rc->tr.t0_ms = start;
    rc->tr.dt_ms = interval_ms;
    size_t j = 0;
    double prev = v[0].value;
    for (size_t k = 0; k < n; k++) {
        int64_t t = start + (int64_t)k * interval_ms;
        while (j < nv && v[j].t_ms < t)
            j++;
        if (j < nv && v[j].t_ms == t) {
            prev = v[j].value;
        } else {
            rc->filled++;
        }
        rc->tr.demand[k] = prev < 0 ? 0 : prev;
    }
}

/* A replica's capacity in the metric: its CPU limit for cpu_ratio (one
 * core assumed without one), 100 for a ratio of the limit itself. */
static void replica_capacity(const struct dsvc *svc, const struct policy *pol,
                             struct recorded *rc)
{
    rc->cap = 100;
    if (pol->metric->bit == STATS_F_CPU_RATIO) {
        if (isfinite(svc->cpu_limit) && svc->cpu_limit > 0)
            rc->cap = svc->cpu_limit;
        else
            rc->cap_assumed = true;
    }
}

/* The most events of one service read for "what happened": a service
 * scaled every 15 s cycle for a week has ~40,000. */
#define SIM_EVENTS_MAX 100000

/* The service's events since start from the history store (hstore.h),
 * newest first (*ev heap); opens the store when no policy came from it.
 * 0, or 1 (2: a malformed --policy-db) with the message printed. */
static int replica_events(struct das_clients *cl, const struct dsvc *svc,
                          int64_t start, struct pg_event **ev, size_t *nev)
{
    char err[ERRLEN];
    int rc = hstore_open(&cl->hist, "das simulate");
    if (rc)
        return rc;
    size_t limit = SIM_EVENTS_MAX, cap = hstore_max_events(&cl->hist);
    if (cap && cap < limit)
        limit = cap; /* the running das keeps no more */
    if (hstore_events(&cl->hist, svc->name, start, limit, ev, nev, err,
                      sizeof err)) {
        fprintf(stderr, "das simulate: what happened: %s\n", err);
        return 1;
    }
    if (*nev == SIM_EVENTS_MAX)
        fprintf(stderr,
                "das simulate: %s has more than %d recorded events in the "
                "window; what happened is replayed from the newest %d (a "
                "shorter --since reads them all)\n",
                svc->name, SIM_EVENTS_MAX, SIM_EVENTS_MAX);
    return 0;
}

/* The replicas the service had when the window opened: what its oldest
 * change there started from, or what it has now when nothing changed. */
static long replicas_at_start(const struct dsvc *svc, const struct pg_event *ev,
                              size_t nev)
{
    for (size_t i = 0; i < nev; i++) { /* newest first: find the oldest */
        const struct pg_event *e = &ev[nev - 1 - i];
        if (e->dry_run || !is_change(e->action))
            continue;
        /* a sync's from is cur_no as the table said (anyone may have
         * written it): the service had its to */
        return is_sync(e->action) ? e->to_no : e->from_no;
    }
    return svc->replicas;
}

/* What happened, one step per interval of rc->tr: the replicas after the
 * interval's changes, and das's changes as actions (a sync only corrects
 * the count). ev newest first; count the replicas at the start. */
static void happened_steps(const struct pg_event *ev, size_t nev, long count,
                           struct recorded *rc)
{
    const struct sim_trace *tr = &rc->tr;
    struct sim_result *h = &rc->happened;
    h->steps = xcalloc(tr->n, sizeof *h->steps);
    h->nsteps = tr->n;
    h->actions = xcalloc(nev ? nev : 1, sizeof *h->actions);
    size_t e = nev; /* next event, walking from the oldest */
    for (size_t k = 0; k < tr->n; k++) {
        int64_t t = tr->t0_ms + (int64_t)k * tr->dt_ms;
        while (e > 0 && ev[e - 1].time_ms < t + tr->dt_ms) {
            const struct pg_event *x = &ev[--e];
            if (x->dry_run || !is_change(x->action))
                continue;
            if (!is_sync(x->action)) {
                struct sim_action *a = &h->actions[h->nactions++];
                a->t_ms = x->time_ms;
                a->from = x->from_no;
                a->to = x->to_no;
                a->outcome = das_event_names[das_event_kind_of(x->action)];
                snprintf(a->reason, sizeof a->reason, "%s", x->reason);
            }
            count = x->to_no;
        }
        struct sim_step *st = &h->steps[k];
        st->t_ms = t;
        st->demand = tr->demand[k];
        st->replicas = count;
        st->serving = count;
        st->observed = count > 0 ? st->demand / (double)count : NAN;
    }
}

/* Reads the service's load and replica history. 0, 1 (a server failed) or
 * 2 (nothing to replay), with the message printed. */
static int recorded_read(struct das_clients *cl, const struct dsvc *svc,
                         const struct policy *pol, int64_t since_ms,
                         int64_t interval_ms, struct recorded *rc)
{
    int64_t now = das_now_ms();
    int64_t end = now - now % interval_ms; /* whole intervals only */
    int64_t start = end - since_ms;
    start -= start % interval_ms;
    struct infl_sample *v = NULL;
    size_t nv = 0;

    memset(rc, 0, sizeof *rc);
    rc->svc = *svc;
    if ((end - start) / interval_ms > SIM_TRACE_MAX_ROWS) {
        char d[32], iv[32];
        fprintf(stderr,
                "das simulate: --since %s is more than %d steps of %s; ask for "
                "less, or a longer --ds-interval\n",
                dur_format(since_ms, d, sizeof d), SIM_TRACE_MAX_ROWS,
                dur_format(interval_ms, iv, sizeof iv));
        return 2;
    }
    if (demand_points(cl, svc, pol, start, end, interval_ms, &v, &nv))
        return 1;
    if (nv == 0) {
        char d[32];
        fprintf(stderr,
                "das simulate: no %s points of service %s in the last %s "
                "(is ds writing to this %s?)\n",
                pol->metric->field, svc->name,
                dur_format(since_ms, d, sizeof d),
                cl->prom ? "Prometheus" : "InfluxDB");
        free(v);
        return 2;
    }
    demand_trace(v, nv, start, interval_ms,
                 (size_t)((end - start) / interval_ms), rc);
    free(v);
    replica_capacity(svc, pol, rc);

    /* the replicas it had: das_events */
    struct pg_event *ev = NULL;
    size_t nev = 0;
    if (replica_events(cl, svc, start, &ev, &nev))
        return 1;
    happened_steps(ev, nev, replicas_at_start(svc, ev, nev), rc);
    free(ev);
    return 0;
}

static void print_scores(const char *label, const struct sim_scores *s)
{
    printf("%-18s under_min %.1f  replica_min %.1f  actions %ld  flaps %ld\n",
           label, s->under_min, s->replica_min, s->actions, s->flaps);
}

static void fmt_clock(int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static json_t *result_json(const struct sim_result *r)
{
    json_t *o = json_object(), *sc = json_object(), *steps = json_array(),
           *acts = json_array();
    json_object_set_new(sc, "under_min", json_real(r->scores.under_min));
    json_object_set_new(sc, "replica_min", json_real(r->scores.replica_min));
    json_object_set_new(sc, "actions", json_integer(r->scores.actions));
    json_object_set_new(sc, "flaps", json_integer(r->scores.flaps));
    json_object_set_new(o, "scores", sc);
    for (size_t k = 0; k < r->nsteps; k++) {
        const struct sim_step *s = &r->steps[k];
        json_t *x = json_object();
        json_object_set_new(x, "t", json_real((double)s->t_ms / 1000.0));
        json_object_set_new(x, "demand", json_real(s->demand));
        json_object_set_new(x, "replicas", json_integer(s->replicas));
        json_object_set_new(x, "serving", json_integer(s->serving));
        json_object_set_new(x, "observed",
                            isfinite(s->observed) ? json_real(s->observed)
                                                  : json_null());
        json_array_append_new(steps, x);
    }
    for (size_t i = 0; i < r->nactions; i++) {
        const struct sim_action *a = &r->actions[i];
        json_t *x = json_object();
        json_object_set_new(x, "t", json_real((double)a->t_ms / 1000.0));
        json_object_set_new(x, "from", json_integer(a->from));
        json_object_set_new(x, "to", json_integer(a->to));
        json_object_set_new(x, "outcome", json_string(a->outcome));
        json_object_set_new(x, "reason", json_string(a->reason));
        json_array_append_new(acts, x);
    }
    json_object_set_new(o, "steps", steps);
    json_object_set_new(o, "actions", acts);
    return o;
}

/* An action's time: by the clock (UTC) in a recorded past, else the time
 * since the trace's start. */
static void fmt_t(int64_t ms, char *out, size_t len)
{
    if (ms >= 1000000000000LL) {
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(out, len, "%H:%M:%S", &tm);
        return;
    }
    int64_t s = ms / 1000;
    snprintf(out, len, "%" PRId64 ":%02" PRId64 ":%02" PRId64, s / 3600,
             s / 60 % 60, s % 60);
}

static void print_plain(const struct sim_result *r, const char *rule,
                        const struct policy *p)
{
    char oc[48], ic[48], od[32], id[32], wu[32];
    unit_format_exact(p->out_cond, p->metric->kind, oc, sizeof oc);
    unit_format_exact(p->in_cond, p->metric->kind, ic, sizeof ic);
    dur_format(p->out_ms, od, sizeof od);
    dur_format(p->in_ms, id, sizeof id);
    dur_format(p->warmup_ms, wu, sizeof wu);
    printf("rule %s: %ld..%ld replicas, %s out above %s for %s, in below %s "
           "for %s, mode %s, warmup %s\n",
           rule, p->min_no, p->max_no, p->metric->field, oc, od, ic, id,
           pol_mode_names[p->mode], wu);
    printf("under_min %.1f  replica_min %.1f  actions %ld  flaps %ld\n",
           r->scores.under_min, r->scores.replica_min, r->scores.actions,
           r->scores.flaps);
    for (size_t i = 0; i < r->nactions; i++) {
        const struct sim_action *a = &r->actions[i];
        char t[32];
        fmt_t(a->t_ms, t, sizeof t);
        printf("%s  %-9s %ld \u2192 %ld  %s\n", t, a->outcome, a->from, a->to,
               a->reason);
    }
}

/* A condition in words: "rps (query, per replica): out above 100 for 1m,
 * in below 30 for 5m". */
static void print_cond(const struct pol_cond *c)
{
    char oc[48], ic[48], od[32], id[32];
    unit_format_exact(c->out_cond, c->metric->kind, oc, sizeof oc);
    unit_format_exact(c->in_cond, c->metric->kind, ic, sizeof ic);
    dur_format(c->out_ms, od, sizeof od);
    dur_format(c->in_ms, id, sizeof id);
    printf("  %s%s: out above %s for %s, in below %s for %s\n", c->name,
           !c->query                         ? ""
           : c->target == POL_TARGET_SERVICE ? " (query, the service's)"
                                             : " (query, per replica)",
           oc, od, ic, id);
}

/* A play of several metrics (a trace naming them): the policy, each
 * metric, the way to zero and the schedule, the scores, the actions. */
static void print_metrics(const struct sim_result *r, const char *rule,
                          const struct policy *p)
{
    char wu[32], idle[32], st[SCHED_TEXT_MAX + 64];
    dur_format(p->warmup_ms, wu, sizeof wu);
    printf("rule %s: %ld..%ld replicas, mode %s, warmup %s, %zu metric%s\n",
           rule, p->min_no, p->max_no, pol_mode_names[p->mode], wu, p->nconds,
           p->nconds > 1 ? "s" : "");
    for (size_t c = 0; c < p->nconds; c++)
        print_cond(&p->conds[c]);
    if (p->min_no == 0)
        printf("  to zero after %s of 0 on %s, waking to %ld\n",
               dur_format(p->idle_ms, idle, sizeof idle),
               p->nconds > 1 ? "every metric" : p->conds[0].name, p->wake_no);
    if (p->sched.n)
        printf("  schedule: %s (played at the trace's t, Unix seconds)\n",
               sched_text(&p->sched, st, sizeof st));
    const struct sim_scores *sc = &r->scores;
    printf("under_min %.1f  replica_min %.1f  actions %ld  flaps %ld\n",
           sc->under_min, sc->replica_min, sc->actions, sc->flaps);
    if (sc->zero)
        printf("wakes %ld  wake_delay max %.0fs mean %.0fs  saved_min %.1f "
               "(replica_min %.1f with min_no 1)\n",
               sc->wakes, sc->wake_max_s, sc->wake_mean_s, sc->saved_min,
               sc->floor_min);
    for (size_t i = 0; i < r->nactions; i++) {
        const struct sim_action *a = &r->actions[i];
        char t[32];
        fmt_t(a->t_ms, t, sizeof t);
        printf("%s  %-9s %ld \u2192 %ld  %s\n", t, a->outcome, a->from, a->to,
               a->reason);
    }
}

/* What each metric read at each step, and the zero scores, into a play
 * of several metrics' JSON. */
static void metrics_json(const struct sim_result *r, json_t *o)
{
    const struct sim_metrics *mt = &r->metrics;
    json_t *sc = json_object_get(o, "scores"),
           *steps = json_object_get(o, "steps");
    if (r->scores.zero) {
        json_object_set_new(sc, "wakes", json_integer(r->scores.wakes));
        json_object_set_new(sc, "wake_max_s", json_real(r->scores.wake_max_s));
        json_object_set_new(sc, "wake_mean_s",
                            json_real(r->scores.wake_mean_s));
        json_object_set_new(sc, "saved_min", json_real(r->scores.saved_min));
        json_object_set_new(sc, "floor_min", json_real(r->scores.floor_min));
    }
    for (size_t k = 0; k < r->nsteps; k++) {
        json_t *x = json_array_get(steps, k), *ms = json_object();
        for (size_t c = 0; c < mt->n; c++) {
            double v = mt->load[k * mt->n + c], seen = mt->seen[k * mt->n + c];
            json_t *one = json_object();
            json_object_set_new(one, "value",
                                isfinite(v) ? json_real(v) : json_null());
            json_object_set_new(one, "seen",
                                isfinite(seen) ? json_real(seen) : json_null());
            json_object_set_new(ms, mt->name[c], one);
        }
        json_object_set_new(x, "metrics", ms);
        if (mt->min_no) {
            json_object_set_new(x, "min_no", json_integer(mt->min_no[k]));
            json_object_set_new(x, "max_no", json_integer(mt->max_no[k]));
        }
    }
}

static void print_json(const struct sim_result *r, const char *rule,
                       const struct recorded *rec)
{
    json_t *root = result_json(r);
    if (r->metrics.n)
        metrics_json(r, root);
    json_object_set_new(root, "rule", json_string(rule));
    if (rec) {
        json_t *h = result_json(&rec->happened);
        json_object_set_new(h, "service", json_string(rec->svc.name));
        json_object_set_new(h, "filled", json_integer((json_int_t)rec->filled));
        json_object_set_new(h, "capacity", json_real(rec->cap));
        json_object_set_new(root, "recorded", h);
    }
    json_dumpf(root, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    printf("\n");
    json_decref(root);
}

/* The trace of --trace FILE. 0 or 2 (message printed). */
static int file_trace(const char *path, struct sim_trace *tr)
{
    char err[ERRLEN];
    size_t len = 0;
    char *text = read_file(path, &len, err, sizeof err);
    if (!text) {
        fprintf(stderr, "das simulate: --trace %s\n", err);
        return 2;
    }
    int rc = sim_trace_parse(text, len, tr, err, sizeof err);
    if (rc)
        fprintf(stderr, "das simulate: --trace %s: %s\n", path, err);
    free(text);
    return rc ? 2 : 0;
}

static int write_plot(const char *plot, const struct sim_result *res,
                      const struct policy *pol, const struct sim_model *m,
                      const char *title, const struct sim_result *recorded)
{
    struct buf svg;
    int rc = 0;
    buf_init(&svg, 64u * 1024u * 1024u);
    int bad = res->metrics.n ? plot_metrics_svg(res, pol, m, title, &svg)
                             : plot_svg(res, pol, m, title, recorded, &svg);
    if (bad) {
        fprintf(stderr, "das simulate: --plot %s: the picture is too large\n",
                plot);
        rc = 1;
    } else {
        FILE *out = fopen(plot, "wb");
        bool ok = out && fwrite(svg.ptr, 1, svg.len, out) == svg.len;
        if (out && fclose(out))
            ok = false;
        if (!ok) {
            fprintf(stderr, "das simulate: --plot %s: %s\n", plot,
                    strerror(errno));
            rc = 1;
        }
    }
    buf_cleanup(&svg);
    return rc;
}

/* --plot: the picture, titled with what was played. */
static int plot_result(const char *plot, const char *rule, const char *trace,
                       const struct sim_result *res, const struct policy *pol,
                       const struct sim_model *m, const struct recorded *rec)
{
    char title[200];
    if (rec)
        snprintf(title, sizeof title,
                 "das simulate --rule %s: service %s, what happened and "
                 "what the policy would do",
                 rule, rec->svc.name);
    else
        snprintf(title, sizeof title, "das simulate --rule %s: %s", rule,
                 trace);
    return write_plot(plot, res, pol, m, title, rec ? &rec->happened : NULL);
}

/* The recorded past's window, the model's capacity, and the scores of what
 * happened, above what the policy would have done. */
static void print_recorded(const struct recorded *rec, const struct policy *pol)
{
    const struct sim_trace *tr = &rec->tr;
    char a[40], b[40], iv[32];
    fmt_clock(tr->t0_ms, a, sizeof a);
    fmt_clock(tr->t0_ms + (int64_t)tr->n * tr->dt_ms, b, sizeof b);
    printf("service %s, %s to %s: %s summed over its replicas every "
           "%s (%zu intervals, %zu without points carried over)\n",
           rec->svc.name, a, b, pol->metric->field,
           dur_format(tr->dt_ms, iv, sizeof iv), tr->n, rec->filled);
    printf("a replica's capacity %.1f%%%s; the load is what the "
           "replicas used, so load beyond their limits is not in it\n",
           rec->cap, rec->cap_assumed ? " (no CPU limit: one core taken)" : "");
    print_scores("what happened:", &rec->happened.scores);
}

/* ---- the command ---- */

/* What the command line asked for; the options table writes here. */
struct simulate_args {
    struct das_conf conf; /* conf.service: --service, the recorded past */
    struct das_pol_flags f;
    const char *trace, *rule_s, *plot;
    long seq;
    int64_t model_warm, since_ms;
};

/* The policy and the load to play it on, with what was opened to find
 * them; simulate_input_cleanup frees it whichever step stopped. */
struct simulate_input {
    struct policy pol;
    bool have_pol;
    struct das_clients cl;
    bool have_cl;
    struct dsvc_list services;
    struct recorded rec; /* --service: the recorded past */
    bool have_rec;
    struct sim_trace tr;       /* --trace: the file's load */
    size_t col[POL_CONDS_MAX]; /* each condition's column */
    bool named;                /* the trace names the policy's metrics */
    struct zones *zones;       /* a schedule's zone */
};

static void simulate_input_cleanup(struct simulate_input *in)
{
    sim_trace_free(&in->tr);
    zones_free(in->zones);
    if (in->have_rec)
        recorded_free(&in->rec);
    dsvc_list_free(&in->services);
    if (in->have_cl)
        das_clients_close(&in->cl);
}

static bool policy_flags_given(const struct das_pol_flags *f)
{
    return f->min_no >= 0 || f->max_no >= 0 || f->item || f->out || f->in ||
           f->out_for || f->in_for || f->mode || f->warmup || f->metrics ||
           f->idle_for || f->wake_no || f->schedule;
}

/* The load model is CPU: a policy on another metric has nothing to play. */
static bool cpu_metric(const struct pol_metric *m)
{
    return m->bit == STATS_F_CPU_RATIO || m->bit == STATS_F_CPU_LIMIT_RATIO;
}

/* The load model is CPU: a policy with several metrics is played on its
 * CPU condition (said on stderr, with the metrics left out), or on its
 * first when it has none (refused by the caller). True when the policy
 * plays a CPU metric. */
static bool cpu_policy(struct policy *p)
{
    if (p->nconds > 1) {
        size_t k = 0;
        while (k < p->nconds && !cpu_metric(p->conds[k].metric))
            k++;
        if (k < p->nconds) {
            fprintf(stderr,
                    "das simulate: the policy has %zu metrics; the load "
                    "model is CPU: playing %s alone (",
                    p->nconds, p->conds[k].metric->field);
            for (size_t c = 0, n = 0; c < p->nconds; c++)
                if (c != k)
                    fprintf(stderr, "%s%s", n++ ? ", " : "",
                            p->conds[c].metric->field);
            fprintf(stderr, " not played)\n");
        }
        struct policy one;
        pol_cond_view(p, k < p->nconds ? k : 0, &one);
        *p = one;
    }
    return cpu_metric(p->metric);
}

/* What the options table cannot check: one load (a trace or the recorded
 * past, with its --since), the policy from the store or the flags, and an
 * SVG to draw. 0, or 2 with the message printed. */
static int args_check(const struct simulate_args *a)
{
    bool past = a->conf.service != NULL;
    if (!a->trace == !past) {
        fprintf(stderr, "das simulate: give --trace FILE.csv (a load to play) "
                        "or --service NAME --since DUR (the recorded past), "
                        "one of them\n");
        return 2;
    }
    if (past != (a->since_ms > 0)) {
        fprintf(stderr, "das simulate: --service and --since go together: "
                        "--service NAME --since 6h\n");
        return 2;
    }
    if (a->seq > 0 && policy_flags_given(&a->f)) {
        fprintf(stderr, "das simulate: --policy takes the whole policy from "
                        "the store; give it or the policy flags, not both\n");
        return 2;
    }
    if (a->plot) {
        size_t n = strlen(a->plot);
        if (n < 5 || strcmp(a->plot + n - 4, ".svg")) {
            fprintf(stderr,
                    "das simulate: --plot %s: das draws SVG (any browser "
                    "shows it): name the file FILE.svg; for a PNG, convert "
                    "it: rsvg-convert FILE.svg -o FILE.png (Debian "
                    "librsvg2-bin)\n",
                    a->plot);
            return 2;
        }
    }
    return 0;
}

/* The label form of the flags: --metrics without --item names every
 * metric of the policy, as labels das.<metric>.<key> do (a query metric
 * can only be a further metric of a table row, so a policy that goes to
 * zero is written this way). 0, or 2 with the message printed. */
static int policy_from_labels(const struct das_pol_flags *f, struct policy *p)
{
    enum { NLAB = POL_CONDS_MAX * POL_NCOND_KEYS + 8 };
    struct pol_label lab[NLAB];
    char keys[NLAB][POL_COND_NAME_MAX + 40], text[POL_METRICS_TEXT_MAX + 1];
    char mins[24], maxs[24], err[600], q[96];
    size_t n = 0;
    if (f->out || f->in || f->out_for || f->in_for || f->max_no < 0) {
        fprintf(stderr, "das simulate: %s\n",
                f->max_no < 0 ? "missing --max N"
                              : "--out, --in, --out-for and --in-for are the "
                                "--item metric's: give --item too, or name "
                                "every metric in --metrics");
        return 2;
    }
    if (strlen(f->metrics) > POL_METRICS_TEXT_MAX) {
        fprintf(stderr, "das simulate: --metrics: longer than %d bytes\n",
                POL_METRICS_TEXT_MAX);
        return 2;
    }
    snprintf(text, sizeof text, "%s", f->metrics);
    const struct {
        const char *key, *value;
    } cols[] = {
        {"das.min_no", f->min_no >= 0 ? mins : NULL},
        {"das.max_no", maxs},
        {"das.scale_mode", f->mode},
        {"das.warmup", f->warmup},
        {"das.idle_for", f->idle_for},
        {"das.wake_no", f->wake_no},
        {"das.schedule", f->schedule},
    };
    snprintf(mins, sizeof mins, "%ld", f->min_no);
    snprintf(maxs, sizeof maxs, "%ld", f->max_no);
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        if (cols[i].value)
            lab[n++] = (struct pol_label){cols[i].key, cols[i].value, false};
    for (char *save = NULL, *tok = strtok_r(text, ";\n", &save); tok;
         tok = strtok_r(NULL, ";\n", &save)) {
        tok += strspn(tok, " \t\r");
        size_t tl = strlen(tok);
        while (tl && strchr(" \t\r", tok[tl - 1]))
            tok[--tl] = '\0';
        if (!tl)
            continue;
        char *eq = strchr(tok, '=');
        char *ke = eq;
        while (ke && ke > tok && strchr(" \t", ke[-1]))
            ke--;
        if (!eq || !memchr(tok, '.', (size_t)(ke - tok)) ||
            (size_t)(ke - tok) > POL_COND_NAME_MAX + 20 || n == NLAB) {
            fprintf(stderr,
                    "das simulate: --metrics: %s: not <metric>.<key>=<value> "
                    "(at most %d metrics); e.g. 'rps.query=sum(rate(x[1m])); "
                    "rps.out_cond=100; rps.in_cond=30'\n",
                    dur_quote(tok, q, sizeof q), POL_CONDS_MAX);
            return 2;
        }
        snprintf(keys[n], sizeof keys[n], "das.%.*s", (int)(ke - tok), tok);
        lab[n] =
            (struct pol_label){keys[n], eq + 1 + strspn(eq + 1, " \t"), false};
        n++;
    }
    if (pol_parse_labels("simulated", "simulated", -1, lab, n, p, err,
                         sizeof err)) {
        fprintf(stderr,
                "das simulate: the policy (--metrics without --item, "
                "read as labels): %s\n",
                err);
        return 2;
    }
    return 0;
}

/* The policy of --policy SEQ or of the flags. With neither (--service
 * alone) there is none yet: the service's own row is looked up once the
 * service is known. 0, 1 or 2, with the message printed. */
static int policy_given(const struct simulate_args *a,
                        struct simulate_input *in)
{
    bool past = a->conf.service != NULL;
    int rc;
    if (a->seq > 0) {
        rc = policy_from_store(&a->conf, a->seq, &in->pol);
    } else if (!a->f.item && a->f.metrics && !past) {
        rc = policy_from_labels(&a->f, &in->pol);
    } else if (policy_flags_given(&a->f) || !past) {
        char mins[24], maxs[24];
        struct pol_row row;
        rc = das_policy_from_flags("das simulate", &a->f,
                                   past ? a->conf.service : "simulated", "1",
                                   mins, maxs, sizeof mins, &row, &in->pol);
    } else {
        return 0;
    }
    in->have_pol = rc == 0;
    return rc;
}

/* With no store: the service's label policy. 0, or 2 with a message. */
static int label_policy(const struct dsvc_list *services,
                        const struct dsvc *svc, struct policy *p)
{
    struct das_label_pol *lp = NULL;
    size_t n = das_label_policies(services, NULL, NULL, 0, &lp);
    int status = 2;
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(lp[i].svc->id, svc->id))
            continue;
        found = true;
        if (lp[i].valid) {
            *p = lp[i].pol;
            status = 0;
        } else {
            fprintf(stderr, "das simulate: %s\n", lp[i].error);
        }
    }
    if (!found)
        fprintf(stderr,
                "das simulate: service %s has no das. labels (no policy): "
                "give the policy flags\n",
                svc->name);
    free(lp);
    return status;
}

/* --service NAME --since DUR: the service from the engine, its own policy
 * from the store unless one was given, and its recorded past. 0, 1 (a
 * server failed) or 2, with the message printed. */
static int past_load(const struct simulate_args *a, struct simulate_input *in)
{
    char err[ERRLEN];
    if (das_clients_open(&in->cl, &a->conf, err, sizeof err)) {
        fprintf(stderr, "das simulate: %s\n", err);
        return 2;
    }
    in->have_cl = true;
    if (dsvc_list(in->cl.docker, &in->services, err, sizeof err)) {
        fprintf(stderr, "das simulate: Docker engine: %s\n", err);
        return 1;
    }
    const struct dsvc *svc =
        dsvc_resolve(&in->services, a->conf.service, NULL, err, sizeof err);
    if (!svc) {
        fprintf(stderr, "das simulate: --service: %s\n", err);
        return 2;
    }
    if (svc->unscalable) {
        fprintf(stderr, "das simulate: --service %s is %s: not scalable\n",
                svc->name, svc->unscalable);
        return 2;
    }
    if (!in->have_pol && das_store_none(&a->conf)) {
        int rc = label_policy(&in->services, svc, &in->pol);
        if (rc)
            return rc;
        in->have_pol = true;
    }
    if (!in->have_pol) {
        in->cl.pg = pg_open(a->conf.policy_db, err, sizeof err);
        if (!in->cl.pg) {
            fprintf(stderr, "das simulate: %s\n", err);
            return 1;
        }
        int rc = service_policy(in->cl.pg, &in->services, svc, &in->pol);
        if (rc)
            return rc;
        in->have_pol = true;
    }
    if (!cpu_policy(&in->pol)) {
        fprintf(stderr, "das simulate: the load model is CPU: the policy "
                        "must use cpu_ratio or cpu_limit_ratio\n");
        return 2;
    }
    int rc = recorded_read(&in->cl, svc, &in->pol, a->since_ms,
                           a->conf.ds_interval_ms, &in->rec);
    in->have_rec = true;
    return rc;
}

/* --trace FILE: the file's load, and which of its columns plays each
 * metric: a trace that names the policy's metrics plays them all; a
 * one-column trace that does not is the CPU demand of one of them. 0 or
 * 2, with the message printed. */
static int trace_load(const struct simulate_args *a, struct simulate_input *in)
{
    char err[ERRLEN];
    int rc = file_trace(a->trace, &in->tr);
    if (rc)
        return rc;
    rc = sim_bind(&in->tr, &in->pol, in->col, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "das simulate: --trace %s: %s\n", a->trace, err);
        return 2;
    }
    in->named = rc == 0;
    if (!in->named && !cpu_policy(&in->pol)) {
        fprintf(stderr,
                "das simulate: the load model is CPU: use --item "
                "cpu_ratio (or cpu_limit_ratio), or name the "
                "policy's metrics in the trace's header "
                "(t,%s,...)\n",
                pol_name(&in->pol));
        return 2;
    }
    bool ref = !strcmp(a->rule_s, "hpa") || !strcmp(a->rule_s, "hpa-eq");
    if (in->named && ref &&
        (in->pol.nconds > 1 || in->pol.metric == &pol_metric_query)) {
        fprintf(stderr,
                "das simulate: --rule %s plays one CPU metric; a "
                "policy of several metrics or a query plays das or "
                "step\n",
                a->rule_s);
        return 2;
    }
    return 0;
}

/* The zone of the policy's schedule (none: UTC). 0 or 2, with the
 * message printed. */
static int schedule_zone(struct simulate_input *in, const struct tz **zone)
{
    char err[ERRLEN];
    *zone = NULL;
    if (!in->pol.sched.n)
        return 0;
    in->zones = zones_new();
    *zone = zones_get(in->zones, in->pol.sched.zone, err, sizeof err);
    if (*zone)
        return 0;
    fprintf(stderr, "das simulate: schedule %s\n", err);
    return 2;
}

/* docs/decisions.md's load model with --start-up; on the recorded past
 * (rec not NULL), the service's capacity and its replicas at the start. */
static void model_of(int64_t start_up_ms, const struct recorded *rec,
                     struct sim_model *m)
{
    sim_model_default(m);
    m->warm_ms = start_up_ms;
    if (!rec)
        return;
    m->cap = rec->cap;
    /* no CPU limit: as das run, nothing to be saturated at */
    m->limit = rec->cap_assumed ? NAN : rec->cap;
    m->start = rec->happened.nsteps ? rec->happened.steps[0].replicas : 1;
    if (m->start < 1)
        m->start = 1;
    if (m->start > POL_REPLICAS_MAX)
        m->start = POL_REPLICAS_MAX;
}

int das_cmd_simulate(int argc, char **argv)
{
    struct simulate_args a = {.f = {.min_no = -1, .max_no = -1},
                              .rule_s = "das",
                              .model_warm = 20000};
    struct cfg_opt opts[] = {
        DAS_COMMON_OPTS(&a.conf),
        DAS_POLICY_FLAG_OPTS(&a.f),
        {"--trace", NULL, CFG_STR, NULL, NULL, 0, 0,
         "the load: CSV t,demand (demand in percent of one core), or t and "
         "a column per metric (t,cpu_ratio,rps)",
         &a.trace},
        {"--service", NULL, CFG_STR, NULL, NULL, 0, 0,
         "the load ds recorded for this service (with --since)",
         &a.conf.service},
        {"--since", NULL, CFG_DUR, NULL, NULL, 0, 0,
         "how far back --service's record goes, e.g. 6h", &a.since_ms},
        DAS_DS_INTERVAL_OPT(&a.conf, "--service: one step each"),
        {"--policy", NULL, CFG_INT, NULL, NULL, 1, INT32_MAX,
         "take the policy from this row of the store (seq)", &a.seq},
        {"--schedule", NULL, CFG_STR, NULL, NULL, 0, 0,
         "windows that raise min or lower max (column schedule), played at "
         "the trace's t (Unix seconds): 'Mon-Fri 08:00-18:00 min=4'",
         &a.f.schedule},
        {"--rule", NULL, CFG_ENUM, "das", "das|step|hpa|hpa-eq", 0, 0,
         "das's rule, or a reference rule (docs/decisions.md)", &a.rule_s},
        {"--json", NULL, CFG_BOOL, NULL, NULL, 0, 0,
         "scores, every step and every action as JSON", &a.conf.json},
        {"--plot", NULL, CFG_STR, NULL, NULL, 0, 0,
         "draw demand, capacity, replicas and actions to FILE.svg", &a.plot},
        {"--start-up", NULL, CFG_DUR, "20s", NULL, 0, 0,
         "the model's start-up: a new replica serves this long after it "
         "exists (docs/decisions.md: 20s)",
         &a.model_warm},
    };
    size_t nopts = sizeof opts / sizeof opts[0];
    const char *const *lvl = (const char *const *)&a.conf.log_level;
    int rc = das_parse_opts("das simulate", usage, opts, nopts, argc, argv, 1,
                            NULL, 0, NULL, lvl);
    if (rc >= 0)
        return rc;
    rc = args_check(&a);
    if (rc)
        return rc;

    bool past = a.conf.service != NULL;
    struct simulate_input in;
    struct sim_result res = {0};
    memset(&in, 0, sizeof in);
    rc = policy_given(&a, &in);
    if (rc)
        goto out;
    rc = past ? past_load(&a, &in) : trace_load(&a, &in);
    if (rc)
        goto out;

    const struct recorded *rec = past ? &in.rec : NULL;
    const struct sim_trace *play = past ? &in.rec.tr : &in.tr;
    struct sim_model m;
    model_of(a.model_warm, rec, &m);
    if (past) {
        struct sim_result *h = &in.rec.happened;
        sim_score(h->steps, h->nsteps, h->actions, h->nactions, play->dt_ms, &m,
                  &h->scores);
    }
    const struct tz *zone;
    rc = schedule_zone(&in, &zone);
    if (rc)
        goto out;
    sim_play(play, &in.pol, in.named ? in.col : NULL,
             (enum sim_rule)sim_rule_find(a.rule_s), &m, zone, &res);
    if (a.conf.json) {
        print_json(&res, a.rule_s, rec);
    } else if (in.named) {
        print_metrics(&res, a.rule_s, &in.pol);
    } else {
        if (rec)
            print_recorded(rec, &in.pol);
        print_plain(&res, a.rule_s, &in.pol);
    }
    rc = 0;
    if (a.plot)
        rc = plot_result(a.plot, a.rule_s, a.trace, &res, &in.pol, &m, rec);
out:
    sim_result_free(&res);
    simulate_input_cleanup(&in);
    return rc;
}
