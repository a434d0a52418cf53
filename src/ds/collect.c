/* The container set and its stats sources. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds.h"
#include "log.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ds_collector_init(struct ds_collector *col, struct dkr *dkr, struct cg *cg,
                       enum ds_source source)
{
    memset(col, 0, sizeof *col);
    col->dkr = dkr;
    col->cg = cg;
    col->source = source;
}

static void ctr_cleanup(struct ds_ctr *c)
{
    free(c->name);
    free(c->service_id);
    free(c->service_name);
    cg_container_cleanup(&c->cg);
}

void ds_collector_cleanup(struct ds_collector *col)
{
    for (size_t i = 0; i < col->n; i++)
        ctr_cleanup(&col->v[i]);
    free(col->v);
    col->v = NULL;
    col->n = col->cap = 0;
}

static struct ds_ctr *find(struct ds_collector *col, const char *id)
{
    for (size_t i = 0; i < col->n; i++)
        if (!strcmp(col->v[i].id, id))
            return &col->v[i];
    return NULL;
}

/* Inspects a container (pid, CPU limit, host network) and finds its
 * cgroup from the pid when the cgroup source is in use. A failure leaves
 * it for the next round. */
static void ctr_setup_inspect(struct ds_collector *col, struct ds_ctr *c)
{
    char err[512], q[600];
    col->inspects++;
    int rc = dkr_inspect(col->dkr, c->id, &c->insp, err, sizeof err);
    if (rc) {
        if (rc != DKR_GONE && complain(&c->c_read, err))
            log_warn("cannot inspect container", "container=%s err=%s",
                     c->short_id, log_quote(err, q, sizeof q));
        return;
    }
    c->ready = true;
    if (!col->cg || col->source == DS_SRC_API || c->insp.pid <= 0)
        return;
    c->cg.cpu_limit_cores = c->insp.cpu_limit_cores;
    c->cg.no_net = c->insp.host_network;
    rc = cg_resolve(col->cg, c->id, c->insp.pid, &c->cg, err, sizeof err);
    if (rc == 0) {
        c->use_cgroup = true;
    } else if (rc != CG_GONE) {
        log_warn("cgroup not found; using the Docker stats API for it",
                 "container=%s err=%s", c->short_id,
                 log_quote(err, q, sizeof q));
    }
}

/* Sets a container up for reading: from cgroupfs and /proc alone when they
 * tell its pid, CPU limit and network (no engine call), else through an
 * inspect. A failure leaves it for the next round. */
static void ctr_setup(struct ds_collector *col, struct ds_ctr *c)
{
    char err[512];
    c->use_cgroup = false;
    c->has_prev = false;
    if (col->cg && col->source != DS_SRC_API) {
        int rc = cg_resolve_id(col->cg, c->id, &c->cg, err, sizeof err);
        if (rc == 0) {
            c->ready = true;
            c->use_cgroup = true;
            return;
        }
        if (rc == CG_GONE)
            return; /* stopped meanwhile: the next listing tells */
        char q[600];
        if (!col->told_inspect) {
            log_info("container facts not all in cgroupfs; asking the engine",
                     "container=%s err=%s", c->short_id,
                     log_quote(err, q, sizeof q));
            col->told_inspect = true;
        } else {
            log_debug("container facts not all in cgroupfs; asking the engine",
                      "container=%s err=%s", c->short_id,
                      log_quote(err, q, sizeof q));
        }
    }
    ctr_setup_inspect(col, c);
}

/* Now by the engine's clock (its replies' Date): /events takes the
 * engine's times, and an engine reached over tcp:// may keep another
 * clock (until in its future would hold the call open). */
static int64_t engine_now_ns(struct ds_collector *col)
{
    int64_t server, local;
    if (dkr_server_clock(col->dkr, &server, &local) &&
        !skew_observe(&col->engine_clock, server, local))
        log_debug("the engine's clock is a day or more off: not followed",
                  "offset_ms=%lld", (long long)(server - local));
    return now_ns() + skew_correction(&col->engine_clock) * 1000000;
}

/* True when the container set may have changed since the last look: a
 * start or die event, an events call that failed, or a listing due. */
static bool set_changed(struct ds_collector *col)
{
    char err[256], q[300];
    if (!col->listed || ++col->rounds_since_list >= DS_RELIST_ROUNDS)
        return true;
    struct dkr_event_list ev = {0};
    int64_t until = engine_now_ns(col);
    col->event_polls++;
    if (dkr_events_since(col->dkr, col->events_since_ns, until, &ev, err,
                         sizeof err)) {
        log_debug("events unavailable; listing containers", "err=%s",
                  log_quote(err, q, sizeof q));
        return true;
    }
    bool changed = ev.n > 0;
    dkr_event_list_cleanup(&ev);
    col->events_since_ns = until;
    return changed;
}

/* Replaces the container list with the engine's, keeping what ds knows of
 * containers that are still there. */
static int follow(struct ds_collector *col, char *err, size_t errlen)
{
    struct dkr_container_list l = {0};
    bool retry_setup = false;
    for (size_t i = 0; i < col->n; i++)
        if (!col->v[i].ready)
            retry_setup = true;
    if (!set_changed(col) && !retry_setup)
        return 0;
    /* events from this moment on are seen by the next look */
    int64_t since = engine_now_ns(col);
    if (dkr_containers(col->dkr, &l, err, errlen))
        return -1;
    col->listed = true;
    col->rounds_since_list = 0;
    col->events_since_ns = since;
    col->listings++;
    for (size_t i = 0; i < col->n; i++)
        col->v[i].seen = false;
    for (size_t i = 0; i < l.n; i++) {
        struct ds_ctr *c = find(col, l.v[i].id);
        if (!c) {
            if (col->n == col->cap) {
                col->cap = col->cap ? col->cap * 2 : 32;
                col->v = xrealloc(col->v, col->cap * sizeof *col->v);
            }
            c = &col->v[col->n++];
            memset(c, 0, sizeof *c);
            cg_container_init(&c->cg);
            snprintf(c->id, sizeof c->id, "%s", l.v[i].id);
            snprintf(c->short_id, sizeof c->short_id, "%.12s", l.v[i].id);
            c->name = xstrdup(l.v[i].name);
            c->service_id = xstrdup(l.v[i].service_id);
            c->service_name = xstrdup(l.v[i].service_name);
        }
        c->seen = true;
    }
    dkr_container_list_cleanup(&l);
    /* forget the containers that are gone (order is not kept) */
    for (size_t i = 0; i < col->n;) {
        if (col->v[i].seen) {
            i++;
            continue;
        }
        ctr_cleanup(&col->v[i]);
        col->v[i] = col->v[--col->n];
    }
    for (size_t i = 0; i < col->n; i++)
        if (!col->v[i].ready)
            ctr_setup(col, &col->v[i]);
    return 0;
}

static void sample_done(struct ds_ctr *c, const struct stats_sample *cur,
                        ds_emit_fn emit, void *ud, int *points)
{
    struct stats_point p;
    if (complain_release(&c->c_read))
        log_info("container stats readable again", "container=%s", c->short_id);
    stats_compute(c->has_prev ? &c->prev : NULL, cur, &p);
    c->prev = *cur;
    c->has_prev = true;
    emit(c, &p, ud);
    (*points)++;
}

int ds_collect(struct ds_collector *col, ds_emit_fn emit, void *ud, char *err,
               size_t errlen)
{
    int points = 0;
    char rerr[512], q[600];
    if (follow(col, err, errlen))
        return -1;

    /* cgroupfs: read each container's files directly */
    size_t napi = 0;
    for (size_t i = 0; i < col->n; i++) {
        struct ds_ctr *c = &col->v[i];
        if (!c->ready)
            continue;
        if (!c->use_cgroup) {
            napi++;
            continue;
        }
        struct stats_sample s;
        int rc =
            col->counters_only
                ? cg_read_counters(col->cg, &c->cg, now_ns(), &s, rerr,
                                   sizeof rerr)
                : cg_read(col->cg, &c->cg, now_ns(), &s, rerr, sizeof rerr);
        if (rc == CG_GONE) {
            /* stopped or restarted: its files closed now, set up again */
            cg_container_cleanup(&c->cg);
            c->ready = false;
            continue;
        }
        if (rc) {
            if (complain(&c->c_read, rerr))
                log_warn("cannot read container stats", "container=%s err=%s",
                         c->short_id, log_quote(rerr, q, sizeof q));
            continue;
        }
        sample_done(c, &s, emit, ud, &points);
    }

    /* the Docker stats API, in parallel, for the others */
    if (napi) {
        const char **ids = xcalloc(napi, sizeof *ids);
        struct ds_ctr **who = xcalloc(napi, sizeof *who);
        struct dkr_stats *st = xcalloc(napi, sizeof *st);
        size_t k = 0;
        for (size_t i = 0; i < col->n; i++) {
            struct ds_ctr *c = &col->v[i];
            if (c->ready && !c->use_cgroup) {
                ids[k] = c->id;
                who[k++] = c;
            }
        }
        dkr_stats_many(col->dkr, ids, napi, st,
                       0); /* 0: the default, 64 at once */
        for (size_t j = 0; j < napi; j++) {
            if (st[j].rc == DKR_GONE) {
                who[j]->ready = false;
                continue;
            }
            if (st[j].rc) {
                if (complain(&who[j]->c_read, st[j].err))
                    log_warn("cannot read container stats",
                             "container=%s err=%s", who[j]->short_id,
                             log_quote(st[j].err, q, sizeof q));
                continue;
            }
            st[j].cur.cpu_limit_cores = who[j]->insp.cpu_limit_cores;
            sample_done(who[j], &st[j].cur, emit, ud, &points);
        }
        free(ids);
        free(who);
        free(st);
    }
    return points;
}

void ds_point_build(const struct ds_ctr *c, const char *node,
                    const struct stats_point *sp, struct infl_point *out)
{
    infl_point_init(out, "docker", sp->time_ns);
    infl_point_tag(out, "node", node);
    infl_point_tag(out, "container", c->short_id);
    infl_point_tag(out, "service", c->service_id);
    infl_point_tag(out, "service_name", c->service_name);
    for (size_t i = 0; i < stats_nfields; i++) {
        const struct stats_field *f = &stats_fields[i];
        double v;
        if (!stats_field_value(sp, f, &v))
            continue;
        if (f->integer) {
            int64_t n;
            memcpy(&n, (const char *)sp + f->offset, sizeof n);
            infl_point_int(out, f->name, n);
        } else {
            infl_point_float(out, f->name, v);
        }
    }
}
