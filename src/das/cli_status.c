/* das status [--watch] [--json]: what `das run` sees and decides, one row
 * per policy. It runs the same gathering and evaluation as a run cycle
 * (das_evaluate) and changes nothing. */
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cycle.h"
#include "das.h"
#include "docker_svc.h"
#include "eval.h"
#include "influx.h"
#include "log.h"
#include "table.h"
#include "version.h"

static volatile sig_atomic_t status_stop;

static void on_stop(int sig)
{
    (void)sig;
    status_stop = 1;
}

/* What the engine itself is, asked the same way `das run` asks. */
struct leader_info {
    bool ok;
    bool leader;
    char why[160];
    char err[256];
};

enum { C_SEQ, C_SRC, C_SVC, C_REPL, C_OUT, C_IN, C_OUTCOME, C_REASON, NCOLS };
static const char *const col_head[NCOLS] = {
    "SEQ",
    "SOURCE",
    "SERVICE",
    "CUR/MIN/MAX",
    "OUT WINDOW (mean vs out_cond, coverage)",
    "IN WINDOW (mean vs in_cond, coverage)",
    "OUTCOME",
    "REASON"};

struct cell_row {
    char c[NCOLS][600];
};

/* "84.2% > 70% 10m/10m" for one window of a policy. */
static void window_cell(const struct das_pol_eval *pe,
                        const struct das_eval *ev, bool out_side, char *buf,
                        size_t len)
{
    const struct policy *p = &pe->pol;
    const struct dec_window *w = out_side ? &pe->in.out_win : &pe->in.in_win;
    double cond = out_side ? p->out_cond : p->in_cond;
    int64_t dur = out_side ? p->out_ms : p->in_ms;
    char mean[48], cs[48], cov[200];
    unit_format_exact(cond, p->metric->kind, cs, sizeof cs);
    if (!pe->found || pe->svc.unscalable) {
        snprintf(buf, len, "-");
        return;
    }
    if (!pe->evaluated || !pe->metrics_ok) {
        char d[32];
        snprintf(buf, len, "? vs %s over %s", cs, dur_format(dur, d, sizeof d));
        return;
    }
    cyc_coverage_text(w, dur, ev->now_ms, ev->ds_interval_ms,
                      pe->in.last_action_ms, dec_expected(&pe->in), cov,
                      sizeof cov);
    if (!w->has_data) {
        snprintf(buf, len, "- vs %s, %s", cs, cov);
        return;
    }
    unit_format(w->mean, p->metric->kind, mean, sizeof mean);
    const char *op;
    if (out_side)
        op = w->mean > cond ? ">" : "\u2264";
    else
        op = w->mean < cond ? "<" : "\u2265";
    snprintf(buf, len, "%s %s %s, %s", mean, op, cs, cov);
}

/* The schedule after CUR/MIN/MAX (which shows the bounds in force): "
 * (schedule: Mon-Fri 08:00-18:00 min=4 (Europe/Paris) until Mon 18:00)",
 * " (schedule: none now, next Mon 08:00 Europe/Paris)". */
static void sched_cell(const struct das_pol_eval *pe, char *buf, size_t len)
{
    const struct sched_now *s = &pe->sched;
    const struct sched *sc = &pe->pol.sched;
    size_t o = strlen(buf);
    if (!sc->n)
        return;
    const char *zone = sc->zone[0] ? sc->zone : SCHED_ZONE_DEFAULT;
    char what[200];
    if (sched_holds(sc, s, what, sizeof what)[0])
        snprintf(buf + o, len - o, " (schedule: %s%s%s)", what,
                 s->next_ms ? " until " : "", s->next_ms ? s->next_local : "");
    else if (s->active)
        snprintf(buf + o, len - o,
                 " (schedule: a window is on, not past min_no/max_no%s%s)",
                 s->next_ms ? ", next change " : "",
                 s->next_ms ? s->next_local : "");
    else
        snprintf(buf + o, len - o, " (schedule: none now%s%s %s)",
                 s->next_ms ? ", next " : "", s->next_ms ? s->next_local : "",
                 zone);
}

static void fill_row(const struct das_pol_eval *pe, const struct das_eval *ev,
                     struct cell_row *r)
{
    memset(r, 0, sizeof *r);
    /* a label policy's seq is negative (derived from the service id) */
    if (pe->seq >= 0 || pe->pol.source == POL_SRC_LABELS)
        snprintf(r->c[C_SEQ], sizeof r->c[C_SEQ], "%ld", pe->seq);
    else
        snprintf(r->c[C_SEQ], sizeof r->c[C_SEQ], "?");
    snprintf(r->c[C_SRC], sizeof r->c[C_SRC], "%s",
             pol_source_names[pe->pol.source]);
    if (!pe->valid) {
        /* a label policy's service is known, a bad row's may not be */
        snprintf(r->c[C_SVC], sizeof r->c[C_SVC], "%s",
                 pe->found ? pe->svc.name : "-");
        snprintf(r->c[C_REPL], sizeof r->c[C_REPL], "-");
        snprintf(r->c[C_OUT], sizeof r->c[C_OUT], "-");
        snprintf(r->c[C_IN], sizeof r->c[C_IN], "-");
        snprintf(r->c[C_OUTCOME], sizeof r->c[C_OUTCOME], "invalid-row");
        /* the message may hold any byte of the row (the table shows its
         * control bytes escaped) */
        snprintf(r->c[C_REASON], sizeof r->c[C_REASON], "%s",
                 das_pol_error(pe));
        return;
    }
    const struct policy *p = &pe->pol;
    snprintf(r->c[C_SVC], sizeof r->c[C_SVC], "%s",
             pe->found ? pe->svc.name : p->service_id);
    if (pe->found && !pe->svc.global) {
        char cur[96] = "";
        if (p->cur_no < 0)
            snprintf(cur, sizeof cur, " (cur_no empty)");
        else if (p->cur_no != pe->svc.replicas)
            snprintf(cur, sizeof cur, " (cur_no %ld)", p->cur_no);
        if (pe->tasks.pending > 0)
            snprintf(cur + strlen(cur), sizeof cur - strlen(cur),
                     " (%ld pending)", pe->tasks.pending);
        snprintf(r->c[C_REPL], sizeof r->c[C_REPL], "%ld/%ld/%ld%s",
                 pe->svc.replicas, pe->sched.min_no, pe->sched.max_no, cur);
    } else {
        snprintf(r->c[C_REPL], sizeof r->c[C_REPL], "-/%ld/%ld",
                 pe->sched.min_no, pe->sched.max_no);
    }
    sched_cell(pe, r->c[C_REPL], sizeof r->c[C_REPL]);
    /* several metrics: the windows of the one that decided */
    const struct das_pol_eval *dp = das_cond_eval(pe, pe->res.cond);
    char wc[300], of[48] = "";
    if (p->nconds > 1)
        snprintf(of, sizeof of, " (decides, of %zu metrics)", p->nconds);
    window_cell(dp, ev, true, wc, sizeof wc);
    snprintf(r->c[C_OUT], sizeof r->c[C_OUT], "%s%s %s", pol_name(&dp->pol), of,
             wc);
    window_cell(dp, ev, false, wc, sizeof wc);
    snprintf(r->c[C_IN], sizeof r->c[C_IN], "%s", wc);
    const char *outcome = dec_outcome_names[pe->res.outcome];
    if (pe->res.sync && pe->res.action == DEC_NONE)
        snprintf(r->c[C_OUTCOME], sizeof r->c[C_OUTCOME], "%s+sync", outcome);
    else
        snprintf(r->c[C_OUTCOME], sizeof r->c[C_OUTCOME], "%s", outcome);
    if (!pe->found && pe->svc_err)
        snprintf(r->c[C_REASON], sizeof r->c[C_REASON], "%s", pe->svc_err);
    else
        snprintf(r->c[C_REASON], sizeof r->c[C_REASON], "%s", pe->res.reason);
}

static void print_header(FILE *f, const struct das_eval *ev,
                         const struct leader_info *li, bool dry)
{
    char ts[40];
    time_t t = (time_t)(ev->now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S UTC", &tm);
    (void)dry;
    char ver[128];
    fprintf(f, "das status  %s  %s\n", ts,
            version_line("das", ver, sizeof ver));
    if (!li->ok) {
        char e[300];
        log_copy_printable(e, sizeof e, li->err);
        fprintf(f, "engine: UNREACHABLE (%s)", e);
    } else
        fprintf(f, "engine: %s%s", li->why,
                li->leader ? " (acts)" : " (standby: another manager acts)");
    fprintf(f, "\n");
    const struct {
        const char *name;
        bool ok;
        const char *err;
    } deps[3] = {{"policy store", ev->store_ok, ev->store_err},
                 {"docker", ev->docker_ok, ev->docker_err},
                 {ev->metrics_dep, ev->influx_ok, ev->influx_err}};
    for (int i = 0; i < 3; i++) {
        char e[300];
        log_copy_printable(e, sizeof e, deps[i].err);
        if (i == 0 && ev->store_none && deps[i].ok)
            fprintf(f, "policy store: none (labels only, history %s)",
                    ev->hist->ops->where);
        else if (i == 0 && ev->store_none)
            fprintf(f,
                    "policy store: none (labels only); history %s: "
                    "UNAVAILABLE (%s)",
                    ev->hist->ops->where, e);
        else if (deps[i].ok)
            fprintf(f, "%s%s: ok", i ? "  " : "", deps[i].name);
        else
            fprintf(f, "%s%s: UNAVAILABLE (%s)", i ? "  " : "", deps[i].name,
                    e);
    }
    fprintf(f, "\n");
    if (ev->store_ok) {
        char iv[32];
        char sh[96] = "";
        if (ev->nshadowed)
            snprintf(sh, sizeof sh,
                     "; %zu label %s left out: a table row names the service",
                     ev->nshadowed, ev->nshadowed == 1 ? "policy" : "policies");
        fprintf(f,
                "%zu %s (%zu from labels, %zu invalid%s), %zu %s %s, "
                "agents collect every %s\n\n",
                ev->n, ev->n == 1 ? "policy" : "policies", ev->nlabels,
                ev->nbad, sh, ev->queries, ev->metrics_name,
                ev->queries == 1 ? "read" : "reads",
                dur_format(ev->ds_interval_ms, iv, sizeof iv));
    } else {
        fprintf(f, "\n");
    }
}

static void print_table(FILE *f, const struct das_eval *ev)
{
    if (!ev->store_ok)
        return;
    if (ev->n == 0 && !ev->docker_ok) {
        fprintf(f, "no policies known: the label policies come from the "
                   "Docker engine's service listing, unavailable\n");
        return;
    }
    if (ev->n == 0) {
        fprintf(f, ev->store_none
                       ? "no policies: label a service, e.g. docker service "
                         "update --label-add das.max_no=5 SERVICE\n"
                       : "no policies: add one with `das policy add` or "
                         "label a service (das.max_no=N)\n");
        return;
    }
    struct table t;
    table_init(&t, NCOLS);
    table_add(&t, col_head, 0);
    struct cell_row row;
    for (size_t i = 0; i < ev->n; i++) {
        fill_row(&ev->pols[i], ev, &row);
        const char *vals[NCOLS];
        for (int c = 0; c < NCOLS; c++)
            vals[c] = row.c[c];
        table_add(&t, vals, 0);
    }
    table_print(&t, f);
    table_free(&t);
}

/* ---- --json ---------------------------------------------------------- */

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *window_json(const struct das_pol_eval *pe,
                           const struct das_eval *ev, bool out_side)
{
    const struct policy *p = &pe->pol;
    const struct dec_window *w = out_side ? &pe->in.out_win : &pe->in.in_win;
    double cond = out_side ? p->out_cond : p->in_cond;
    int64_t dur = out_side ? p->out_ms : p->in_ms;
    char d[32], cov[200], cs[48];
    json_t *o = json_object();
    json_object_set_new(o, "duration",
                        json_string(dur_format(dur, d, sizeof d)));
    json_object_set_new(o, "duration_ms", json_integer(dur));
    json_object_set_new(o, "cond", json_real(cond));
    json_object_set_new(
        o, "cond_text",
        json_string(unit_format_exact(cond, p->metric->kind, cs, sizeof cs)));
    if (!pe->evaluated || !pe->metrics_ok) {
        json_object_set_new(o, "mean", json_null());
        json_object_set_new(o, "covered", json_false());
        json_object_set_new(o, "coverage", json_null());
        return o;
    }
    json_object_set_new(o, "mean",
                        w->has_data ? num_or_null(w->mean) : json_null());
    json_object_set_new(o, "points", json_integer(w->points));
    json_object_set_new(o, "containers", json_integer(w->containers));
    json_object_set_new(o, "fresh", json_integer(w->fresh));
    if (w->has_data) {
        json_object_set_new(o, "first_ms", json_integer(w->first_ms));
        json_object_set_new(o, "last_ms", json_integer(w->last_ms));
    }
    json_object_set_new(o, "covered",
                        json_boolean(dec_window_covered(
                            w, ev->now_ms, ev->ds_interval_ms,
                            pe->in.last_action_ms, dec_expected(&pe->in))));
    cyc_coverage_text(w, dur, ev->now_ms, ev->ds_interval_ms,
                      pe->in.last_action_ms, dec_expected(&pe->in), cov,
                      sizeof cov);
    json_object_set_new(o, "coverage", json_string(cov));
    return o;
}

/* A policy's schedule now: null when it has none; else its text, zone,
 * the windows active now, the bounds in force and the next change. */
static json_t *schedule_json(const struct das_pol_eval *pe)
{
    const struct sched *sc = &pe->pol.sched;
    const struct sched_now *s = &pe->sched;
    char t[SCHED_TEXT_MAX];
    if (!sc->n)
        return json_null();
    json_t *o = json_object(), *act = json_array();
    json_object_set_new(o, "text", json_string(sched_text(sc, t, sizeof t)));
    json_object_set_new(
        o, "zone", json_string(sc->zone[0] ? sc->zone : SCHED_ZONE_DEFAULT));
    for (size_t i = 0; i < sc->n; i++)
        if (s->active & 1u << i)
            json_array_append_new(
                act, json_string(sched_item_text(&sc->items[i], t, sizeof t)));
    json_object_set_new(o, "active", act);
    json_object_set_new(o, "min_no", json_integer(s->min_no));
    json_object_set_new(o, "max_no", json_integer(s->max_no));
    json_object_set_new(o, "holds",
                        sched_holds(sc, s, t, sizeof t)[0] ? json_string(t)
                                                           : json_null());
    json_object_set_new(o, "next_change_ms",
                        s->next_ms ? json_integer(s->next_ms) : json_null());
    json_object_set_new(o, "next_change_local",
                        s->next_ms ? json_string(s->next_local) : json_null());
    return o;
}

/* One policy as das status --json shows it: an invalid one with its
 * error; a valid one with its service, windows and decision. */
static json_t *policy_json(const struct das_pol_eval *pe,
                           const struct das_eval *ev)
{
    json_t *o = json_object();
    json_object_set_new(o, "seq",
                        pe->seq >= 0 || pe->pol.source == POL_SRC_LABELS
                            ? json_integer(pe->seq)
                            : json_null());
    json_object_set_new(o, "valid", json_boolean(pe->valid));
    json_object_set_new(o, "source",
                        json_string(pol_source_names[pe->pol.source]));
    if (!pe->valid) {
        if (pe->found)
            json_object_set_new(o, "service", json_string(pe->svc.name));
        json_object_set_new(o, "outcome", json_string("invalid-row"));
        json_object_set_new(o, "error", json_string(das_pol_error(pe)));
        return o;
    }
    const struct policy *p = &pe->pol;
    json_object_set_new(o, "service_ref", json_string(p->service_id));
    json_object_set_new(o, "service",
                        pe->found ? json_string(pe->svc.name) : json_null());
    json_object_set_new(o, "service_id",
                        pe->found ? json_string(pe->svc.id) : json_null());
    json_object_set_new(o, "replicas",
                        pe->found && !pe->svc.global
                            ? json_integer(pe->svc.replicas)
                            : json_null());
    json_object_set_new(o, "cur_no",
                        p->cur_no >= 0 ? json_integer(p->cur_no) : json_null());
    json_object_set_new(o, "min_no", json_integer(p->min_no));
    json_object_set_new(o, "max_no", json_integer(p->max_no));
    json_object_set_new(o, "schedule", schedule_json(pe));
    json_object_set_new(o, "cond_item", json_string(pol_name(p)));
    json_object_set_new(o, "scale_mode", json_string(pol_mode_names[p->mode]));
    json_object_set_new(o, "warmup_ms", json_integer(p->warmup_ms));
    json_object_set_new(o, "tasks_running",
                        pe->in.running >= 0 ? json_integer(pe->in.running)
                                            : json_null());
    json_object_set_new(o, "tasks_pending", json_integer(pe->tasks.pending));
    json_object_set_new(o, "pending_why",
                        pe->tasks.pending ? json_string(pe->tasks.why)
                                          : json_null());
    json_object_set_new(o, "warming", json_integer(pe->in.out_win.warming));
    json_object_set_new(o, "out", window_json(pe, ev, true));
    json_object_set_new(o, "in", window_json(pe, ev, false));
    json_object_set_new(o, "outcome",
                        json_string(dec_outcome_names[pe->res.outcome]));
    json_object_set_new(
        o, "reason",
        json_string(!pe->found && pe->svc_err ? pe->svc_err : pe->res.reason));
    json_object_set_new(o, "sync", json_boolean(pe->res.sync));
    if (pe->res.action != DEC_NONE) {
        json_object_set_new(o, "from", json_integer(pe->res.from));
        json_object_set_new(o, "to", json_integer(pe->res.to));
    }
    json_object_set_new(o, "last_action_ms",
                        pe->in.last_action_ms
                            ? json_integer(pe->in.last_action_ms)
                            : json_null());
    /* every condition with its windows and its own proposal; out, in and
     * cond_item above are the first's */
    json_t *conds = json_array();
    for (size_t c = 0; c < p->nconds; c++) {
        const struct das_pol_eval *ce = das_cond_eval(pe, c);
        const struct dec_result *r = &ce->res;
        json_t *co = json_object();
        json_object_set_new(co, "cond_item", json_string(p->conds[c].name));
        json_object_set_new(co, "out", window_json(ce, ev, true));
        json_object_set_new(co, "in", window_json(ce, ev, false));
        json_object_set_new(co, "outcome",
                            json_string(dec_outcome_names[r->outcome]));
        json_object_set_new(co, "proposes", json_integer(r->to));
        json_object_set_new(co, "reason", json_string(r->reason));
        json_array_append_new(conds, co);
    }
    json_object_set_new(o, "conditions", conds);
    json_object_set_new(o, "decided_by",
                        json_string(p->conds[pe->res.cond].name));
    return o;
}

static json_t *status_json(const struct das_eval *ev,
                           const struct leader_info *li)
{
    json_t *root = json_object();
    json_object_set_new(root, "time_ms", json_integer(ev->now_ms));
    json_object_set_new(root, "version", json_string(version_number()));
    json_object_set_new(root, "revision", json_string(version_revision()));
    json_object_set_new(root, "leader", json_boolean(li->ok && li->leader));
    json_object_set_new(root, "engine",
                        json_string(li->ok ? li->why : li->err));
    const struct {
        const char *name;
        bool ok;
        const char *err;
    } deps[3] = {{"policy_store", ev->store_ok, ev->store_err},
                 {"docker", ev->docker_ok, ev->docker_err},
                 {ev->metrics_dep, ev->influx_ok, ev->influx_err}};
    for (int i = 0; i < 3; i++) {
        json_t *d = json_object();
        json_object_set_new(d, "ok", json_boolean(deps[i].ok));
        json_object_set_new(
            d, "error", deps[i].ok ? json_null() : json_string(deps[i].err));
        json_object_set_new(root, deps[i].name, d);
    }
    json_object_set_new(root, "labels_only", json_boolean(ev->store_none));
    json_object_set_new(root, "label_policies_shadowed",
                        json_integer((json_int_t)ev->nshadowed));
    json_object_set_new(root, "influx_queries",
                        json_integer((json_int_t)ev->queries));
    json_object_set_new(root, "ds_interval_ms",
                        json_integer(ev->ds_interval_ms));
    json_t *arr = json_array();
    for (size_t i = 0; i < ev->n; i++)
        json_array_append_new(arr, policy_json(&ev->pols[i], ev));
    json_object_set_new(root, "policies", arr);
    return root;
}

/* Nodes whose ds found its clock off InfluxDB's by SKEW_MIN_MS or more in
 * the last 10 minutes: ds then stamps its points by InfluxDB's clock and
 * writes the offset with them (clock_offset_ms). One query, for status
 * only. */
struct node_clock {
    char node[64];
    int64_t offset_ms;
};

static size_t nodes_clock_off(struct das_clients *cl, struct node_clock *out,
                              size_t max)
{
    json_t *res = NULL;
    char err[256];
    size_t n = 0;
    if (!cl->influx ||
        infl_query(cl->influx,
                   "SELECT last(clock_offset_ms) FROM docker WHERE time > "
                   "now() - 10m GROUP BY node",
                   &res, err, sizeof err))
        return 0;
    json_t *series = json_object_get(
        json_array_get(json_object_get(res, "results"), 0), "series");
    size_t i;
    json_t *se;
    json_array_foreach(series, i, se)
    {
        const char *node = json_string_value(
            json_object_get(json_object_get(se, "tags"), "node"));
        json_t *v =
            json_array_get(json_array_get(json_object_get(se, "values"), 0), 1);
        if (!node || !json_is_number(v) || n >= max)
            continue;
        int64_t off = (int64_t)json_number_value(v);
        if (llabs(off) < SKEW_MIN_MS)
            continue;
        log_copy_printable(out[n].node, sizeof out[n].node, node);
        out[n].offset_ms = off;
        n++;
    }
    json_decref(res);
    return n;
}

/* "40 s behind" / "40 s ahead" of InfluxDB's clock, for an offset of
 * InfluxDB's clock minus the host's. */
static const char *clock_words(int64_t offset_ms, char *out, size_t outlen)
{
    char d[32];
    dur_format(llabs(offset_ms) - llabs(offset_ms) % 1000, d, sizeof d);
    snprintf(out, outlen, "%s %s", d, offset_ms > 0 ? "behind" : "ahead of");
    return out;
}

/* One look: leader, evaluation, print. Returns the exit status. */
static int show(struct das_clients *cl, const struct das_conf *conf, bool clear)
{
    struct leader_info li;
    memset(&li, 0, sizeof li);
    li.ok = !dsvc_leader(cl->docker, &li.leader, li.why, sizeof li.why, li.err,
                         sizeof li.err);
    struct das_eval ev;
    if (cl->skew.n == 0)
        das_clock_sync(cl); /* InfluxDB's clock, before the windows */
    das_evaluate(cl, das_now_ms(), &ev);
    int rc = ev.store_ok && ev.docker_ok && ev.influx_ok ? 0 : 1;
    struct node_clock nc[32];
    size_t nnc = ev.influx_ok ? nodes_clock_off(cl, nc, 32) : 0;
    if (conf->json) {
        json_t *root = status_json(&ev, &li);
        json_object_set_new(root, "clock_offset_ms",
                            json_integer(ev.clock_offset_ms));
        json_object_set_new(root, "clock_corrected",
                            json_boolean(ev.clock_corrected));
        json_t *nodes = json_array();
        for (size_t i = 0; i < nnc; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "node", json_string(nc[i].node));
            json_object_set_new(o, "offset_ms", json_integer(nc[i].offset_ms));
            json_array_append_new(nodes, o);
        }
        json_object_set_new(root, "nodes_clock_off", nodes);
        char *s = json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        if (s) {
            printf("%s\n", s);
            free(s);
        }
        json_decref(root);
    } else {
        if (clear)
            fputs("\033[H\033[2J", stdout);
        print_header(stdout, &ev, &li, false);
        char w[64];
        if (ev.clock_corrected)
            printf("clock: this host's is %s InfluxDB's: das uses "
                   "InfluxDB's\n\n",
                   clock_words(ev.clock_offset_ms, w, sizeof w));
        for (size_t i = 0; i < nnc; i++)
            printf("clock: node %s is %s InfluxDB's: its ds stamps points by "
                   "InfluxDB's%s",
                   nc[i].node, clock_words(nc[i].offset_ms, w, sizeof w),
                   i + 1 == nnc ? "\n\n" : "\n");
        print_table(stdout, &ev);
    }
    fflush(stdout);
    das_eval_free(&ev);
    return rc;
}

static void status_usage(FILE *f)
{
    fprintf(f, "usage: das status [--watch] [--json] [options]\n");
}

int das_cmd_status(int argc, char **argv)
{
    struct das_conf conf;
    memset(&conf, 0, sizeof conf);
    const struct cfg_opt opts[] = {
        DAS_COMMON_OPTS(&conf),
        {"--interval", "DAS_INTERVAL", CFG_DUR, "15s", NULL, 1000, 0,
         "--watch: time between redraws", &conf.interval_ms},
        DAS_DS_INTERVAL_OPT(&conf, "for the coverage rule"),
        {"--watch", NULL, CFG_BOOL, NULL, NULL, 0, 0,
         "redraw every interval until interrupted", &conf.watch},
        {"--json", NULL, CFG_BOOL, NULL, NULL, 0, 0,
         "print JSON instead of a table", &conf.json},
    };
    const size_t nopts = sizeof opts / sizeof opts[0];
    char *pos[1];
    size_t npos = 0;
    char err[512];
    int status = 1;
    struct das_clients cl;
    memset(&cl, 0, sizeof cl);

    int prc =
        das_parse_opts("das status", status_usage, opts, nopts, argc, argv, 1,
                       pos, 0, &npos, (const char *const *)&conf.log_level);
    if (prc >= 0) {
        status = prc;
        goto out;
    }
    if (das_clients_open(&cl, &conf, err, sizeof err)) {
        fprintf(stderr, "das status: bad configuration: %s\n", err);
        status = 2;
        goto out;
    }
    cl.ensure_schema = false; /* looking changes nothing */

    if (!conf.watch) {
        status = show(&cl, &conf, false);
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    while (!status_stop) {
        show(&cl, &conf, true);
        struct timespec t0, now;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            if (status_stop)
                break;
            clock_gettime(CLOCK_MONOTONIC, &now);
            int64_t el = (now.tv_sec - t0.tv_sec) * 1000 +
                         (now.tv_nsec - t0.tv_nsec) / 1000000;
            if (el >= conf.interval_ms)
                break;
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    status = 0;
out:
    das_clients_close(&cl);
    return status;
}
