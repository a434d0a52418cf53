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
#include "evlog.h"
#include "hist_influx.h"
#include "influx.h"
#include "inputs.h"
#include "pg.h"
#include "plot.h"
#include "policy.h"
#include "prom.h"
#include "sim.h"

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

/* The service's das_events since start, newest first (*ev heap); opens
 * the store when no policy came from it. 0, or 1 with the message
 * printed. */
/* The most events of one service read for "what happened": a service
 * scaled every 15 s cycle for a week has ~40,000. */
#define SIM_EVENTS_MAX 100000

static int replica_events(struct das_clients *cl, const struct dsvc *svc,
                          int64_t start, struct pg_event **ev, size_t *nev)
{
    char err[ERRLEN];
    if (das_store_none(cl->conf)) {
        /* no das_events table: InfluxDB's das measurement, or the events
         * the running das keeps */
        if (cl->history ? hist_events(cl->history, svc->name, start,
                                      SIM_EVENTS_MAX, ev, nev, err, sizeof err)
                        : das_daemon_events(svc->name, start, EVLOG_CAP, ev,
                                            nev, err, sizeof err)) {
            fprintf(stderr, "das simulate: what happened: %s\n", err);
            return 1;
        }
        return 0;
    }
    if (!cl->pg) {
        cl->pg = pg_open(cl->conf->policy_db, err, sizeof err);
        if (!cl->pg) {
            fprintf(stderr, "das simulate: %s\n", err);
            return 1;
        }
    }
    if (pg_events(cl->pg, svc->name, start, SIM_EVENTS_MAX, ev, nev, err,
                  sizeof err)) {
        fprintf(stderr, "das simulate: %s\n", err);
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

static void print_json(const struct sim_result *r, const char *rule,
                       const struct recorded *rec)
{
    json_t *root = result_json(r);
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
    if (plot_svg(res, pol, m, title, recorded, &svg)) {
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
    struct sim_trace tr; /* --trace: the file's load */
};

static void simulate_input_cleanup(struct simulate_input *in)
{
    sim_trace_free(&in->tr);
    if (in->have_rec)
        recorded_free(&in->rec);
    dsvc_list_free(&in->services);
    if (in->have_cl)
        das_clients_close(&in->cl);
}

static bool policy_flags_given(const struct das_pol_flags *f)
{
    return f->min_no >= 0 || f->max_no >= 0 || f->item || f->out || f->in ||
           f->out_for || f->in_for || f->mode || f->warmup;
}

/* The load model is CPU: a policy on another metric has nothing to play. */
static bool cpu_policy(const struct policy *p)
{
    return p->metric->bit == STATS_F_CPU_RATIO ||
           p->metric->bit == STATS_F_CPU_LIMIT_RATIO;
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

/* --trace FILE: the file's load. 0 or 2, with the message printed. */
static int trace_load(const struct simulate_args *a, struct simulate_input *in)
{
    if (!cpu_policy(&in->pol)) {
        fprintf(stderr, "das simulate: the load model is CPU: use --item "
                        "cpu_ratio (or cpu_limit_ratio)\n");
        return 2;
    }
    return file_trace(a->trace, &in->tr);
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
         "the load: CSV t,demand (demand in percent of one core)", &a.trace},
        {"--service", NULL, CFG_STR, NULL, NULL, 0, 0,
         "the load ds recorded for this service (with --since)",
         &a.conf.service},
        {"--since", NULL, CFG_DUR, NULL, NULL, 0, 0,
         "how far back --service's record goes, e.g. 6h", &a.since_ms},
        DAS_DS_INTERVAL_OPT(&a.conf, "--service: one step each"),
        {"--policy", NULL, CFG_INT, NULL, NULL, 1, INT32_MAX,
         "take the policy from this row of the store (seq)", &a.seq},
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
    sim_run(play, &in.pol, (enum sim_rule)sim_rule_find(a.rule_s), &m, &res);
    if (a.conf.json) {
        print_json(&res, a.rule_s, rec);
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
