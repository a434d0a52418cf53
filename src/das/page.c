/* das run's live page: the snapshot of each cycle and the two routes
 * (page.h); the HTML is livepage.c's. */
#include "page.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_svc.h"
#include "inputs.h"
#include "livehist.h"
#include "livepage.h"
#include "polexp.h"
#include "xmalloc.h"

/* The recent events shown on a service's page. */
#define PAGE_EVENTS 50

struct page {
    const struct das_conf *conf;
    const struct evlog *evlog;
    pthread_mutex_t *evlog_lock;
    pthread_mutex_t lock; /* guards view and hist */
    struct lp_view view;
    struct lh_set hist;
};

struct page *page_new(const struct das_conf *conf, unsigned port,
                      const char *metrics, const struct evlog *evlog,
                      pthread_mutex_t *evlog_lock)
{
    struct page *pg = xcalloc(1, sizeof *pg);
    pg->conf = conf;
    pg->evlog = evlog;
    pg->evlog_lock = evlog_lock;
    pthread_mutex_init(&pg->lock, NULL);
    pg->view.interval_ms = conf->interval_ms;
    pg->view.port = port;
    pg->view.metrics = metrics;
    pg->view.leader = true; /* until a cycle says: no rows yet */
    return pg;
}

void page_free(struct page *pg)
{
    if (!pg)
        return;
    lp_rows_free(pg->view.rows, pg->view.n);
    lh_set_free(&pg->hist);
    pthread_mutex_destroy(&pg->lock);
    free(pg);
}

/* ---- the snapshot ---------------------------------------------------- */

static void row_of(const struct das_eval *ev, const struct das_pol_eval *pe,
                   struct lp_row *r)
{
    char ref[48];
    memset(r, 0, sizeof *r);
    r->seq = pe->valid ? pe->pol.seq : pe->seq;
    snprintf(ref, sizeof ref, "seq %ld", r->seq);
    r->service = xstrdup(pe->found               ? pe->svc.name
                         : pe->pol.service_id[0] ? pe->pol.service_id
                                                 : ref);
    r->source = pe->pol.source;
    r->valid = pe->valid;
    r->replicas = pe->found ? pe->svc.replicas : -1;
    r->running = r->pending = -1;
    r->limit = NAN;
    r->outcome = -1;
    if (!pe->valid) {
        r->reason = xstrdup(das_pol_error(pe));
        return;
    }
    lp_row_policy(r, &pe->pol);
    if (pe->in.sched) {
        r->min_now = pe->in.sched->min_no;
        r->max_now = pe->in.sched->max_no;
    }
    if (pe->found && ev->tasks_ok) {
        r->running = pe->tasks.running;
        r->pending = pe->tasks.pending;
    }
    if (pe->found)
        r->limit = das_metric_limit(&pe->pol, &pe->svc);
    r->outcome = (int)pe->res.outcome;
    r->reason = xstrdup(pe->res.reason);
    r->last_action_ms = pe->in.last_action_ms;
    for (size_t k = 0; k < pe->pol.nconds; k++) {
        /* without conds, a several-metric policy's windows were not read:
         * metrics_ok is false */
        const struct das_pol_eval *c = das_cond_eval(pe, k);
        if (!c->metrics_ok)
            continue;
        if (c->in.out_win.has_data && isfinite(c->in.out_win.mean))
            r->conds[k].out_mean = c->in.out_win.mean;
        if (c->in.in_win.has_data && isfinite(c->in.in_win.mean))
            r->conds[k].in_mean = c->in.in_win.mean;
    }
}

/* The cycle's sample of a policy. The load: the mean over the out window
 * times the replicas reporting in it, when its windows were read; it
 * meets the scale-out line (out_cond × replicas) where the mean das
 * decides on meets out_cond. */
static struct lh_sample sample_of(const struct das_eval *ev,
                                  const struct das_pol_eval *pe)
{
    const struct dec_window *w = &pe->in.out_win;
    struct lh_sample s = {ev->now_ms, NAN, -1, -1};
    if (pe->evaluated && pe->metrics_ok && w->has_data && w->containers > 0)
        s.load = (float)(w->mean * (double)w->containers);
    if (pe->found) {
        s.replicas = lh_replicas(pe->svc.replicas);
        s.serving = ev->tasks_ok ? lh_replicas(pe->tasks.running) : s.replicas;
    }
    return s;
}

static void trouble_of(const struct das_eval *ev, char *out, size_t len)
{
    /* names only, as /healthz: the errors (hosts, users) are in the log */
    out[0] = '\0';
    if (!ev->store_ok)
        snprintf(out, len, "The policy store did not answer this cycle.");
    else if (!ev->docker_ok)
        snprintf(out, len, "The Docker engine did not answer this cycle.");
    else if (!ev->influx_ok)
        snprintf(out, len, "%s did not answer this cycle.", ev->metrics_name);
    else if (!ev->tasks_ok)
        snprintf(out, len,
                 "GET /tasks failed this cycle: warm-up and "
                 "capacity are unknown.");
}

void page_cycle(struct page *pg, const struct das_eval *ev)
{
    if (!pg)
        return;
    struct lp_row *rows = xcalloc(ev->n ? ev->n : 1, sizeof *rows);
    long *seqs = xcalloc(ev->n ? ev->n : 1, sizeof *seqs);
    size_t nseq = 0;
    for (size_t i = 0; i < ev->n; i++) {
        row_of(ev, &ev->pols[i], &rows[i]);
        if (ev->pols[i].valid && ev->pols[i].found)
            seqs[nseq++] = ev->pols[i].pol.seq;
    }
    char trouble[sizeof pg->view.trouble];
    trouble_of(ev, trouble, sizeof trouble);

    pthread_mutex_lock(&pg->lock);
    struct lp_row *old = pg->view.rows;
    size_t nold = pg->view.n;
    pg->view.rows = rows;
    pg->view.n = ev->n;
    pg->view.at_ms = das_now_ms();
    pg->view.leader = true;
    pg->view.metrics = ev->metrics_name;
    snprintf(pg->view.trouble, sizeof pg->view.trouble, "%s", trouble);
    lh_set_keep(&pg->hist, seqs, nseq, lh_cap(pg->conf->interval_ms, nseq));
    for (size_t i = 0; i < ev->n; i++) {
        const struct das_pol_eval *pe = &ev->pols[i];
        if (!pe->valid || !pe->found)
            continue;
        struct lh_sample s = sample_of(ev, pe);
        lh_push(lh_find(&pg->hist, pe->pol.seq), &s);
    }
    pthread_mutex_unlock(&pg->lock);
    lp_rows_free(old, nold);
    free(seqs);
}

void page_standby(struct page *pg, struct dkr *docker, const char *engine)
{
    if (!pg)
        return;
    char node[160] = "", addr[64] = "", err[200] = "";
    if (dsvc_swarm_leader(docker, node, sizeof node, addr, sizeof addr, err,
                          sizeof err))
        node[0] = addr[0] = '\0';
    pthread_mutex_lock(&pg->lock);
    struct lp_row *old = pg->view.rows;
    size_t nold = pg->view.n;
    pg->view.rows = NULL; /* a standby decides nothing: no rows to show */
    pg->view.n = 0;
    pg->view.leader = false;
    pg->view.at_ms = das_now_ms();
    pg->view.trouble[0] = '\0';
    snprintf(pg->view.engine, sizeof pg->view.engine, "%s", engine);
    snprintf(pg->view.leader_node, sizeof pg->view.leader_node, "%s", node);
    snprintf(pg->view.leader_addr, sizeof pg->view.leader_addr, "%s", addr);
    snprintf(pg->view.leader_err, sizeof pg->view.leader_err, "%s", err);
    pthread_mutex_unlock(&pg->lock);
    lp_rows_free(old, nold);
}

int page_metrics(void *ud, struct buf *out)
{
    struct page *pg = ud;
    if (!pg)
        return 0;
    pthread_mutex_lock(&pg->lock);
    int rc =
        pg->view.leader ? pexp_policies(out, pg->view.rows, pg->view.n) : 0;
    pthread_mutex_unlock(&pg->lock);
    return rc;
}

/* ---- the routes ------------------------------------------------------ */

static int by_seq(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* The newest event (not a note) of each of the n rows from first, one
 * pass over the recent events. */
static void last_events(struct page *pg, size_t first, size_t n,
                        struct pg_event *last)
{
    /* (seq, row) pairs sorted by seq */
    long(*ix)[2] = xcalloc(n ? n : 1, sizeof *ix);
    for (size_t i = 0; i < n; i++) {
        ix[i][0] = pg->view.rows[first + i].seq;
        ix[i][1] = (long)i;
    }
    qsort(ix, n, sizeof *ix, by_seq);
    const struct evlog *l = pg->evlog;
    pthread_mutex_lock(pg->evlog_lock);
    for (size_t k = 0; k < l->n; k++) { /* newest first */
        const struct pg_event *e = &l->v[(l->head + l->n - 1 - k) % l->cap];
        if (!strcmp(e->action, "capacity-bound"))
            continue;
        long(*hit)[2] = n ? bsearch(&e->seq, ix, n, sizeof *ix, by_seq) : NULL;
        /* every row of that seq (one, but for a duplicated seq) */
        while (hit && hit > ix && hit[-1][0] == e->seq)
            hit--;
        for (; hit && hit < ix + n && (*hit)[0] == e->seq; hit++)
            if (last[(*hit)[1]].time_ms == 0)
                last[(*hit)[1]] = *e;
    }
    pthread_mutex_unlock(pg->evlog_lock);
    free(ix);
}

/* GET /?page=N */
static unsigned serve_overview(void *ud, struct ep_req *req, struct buf *body,
                               const char **type)
{
    struct page *pg = ud;
    const char *ps = ep_arg(req, "page");
    long long page = 0;
    char *end;
    if (ps) {
        errno = 0;
        page = strtoll(ps, &end, 10);
        if (errno || end == ps || *end || page < 0 || page > 1000000) {
            if (buf_puts(body, "page: expected a page number, 0 and up\n")) {
            }
            return 400;
        }
    }
    pthread_mutex_lock(&pg->lock);
    size_t first = (size_t)page * LP_PAGE;
    if (first > 0 && first >= pg->view.n) {
        pthread_mutex_unlock(&pg->lock);
        if (buf_printf(body, "page: there are %zu policies, %zu a page\n",
                       pg->view.n, (size_t)LP_PAGE)) {
        }
        return 404;
    }
    size_t n = pg->view.n - first < LP_PAGE ? pg->view.n - first : LP_PAGE;
    struct pg_event *last = xcalloc(n ? n : 1, sizeof *last);
    last_events(pg, first, n, last);
    int rc = lp_overview(&pg->view, (size_t)page, last, body);
    pthread_mutex_unlock(&pg->lock);
    free(last);
    *type = "text/html; charset=utf-8";
    return rc ? 500 : 200;
}

/* GET /service/<name> */
static unsigned serve_service(void *ud, struct ep_req *req, struct buf *body,
                              const char **type)
{
    struct page *pg = ud;
    const char *name = ep_path(req) + strlen("/service/");
    *type = "text/html; charset=utf-8";
    pthread_mutex_lock(&pg->lock);
    const struct lp_row *r = NULL;
    for (size_t i = 0; i < pg->view.n && !r; i++)
        if (!strcmp(pg->view.rows[i].service, name))
            r = &pg->view.rows[i];
    if (!r && pg->view.leader) {
        int rc = lp_not_found(&pg->view, name, body);
        pthread_mutex_unlock(&pg->lock);
        return rc ? 500 : 404;
    }
    struct lh_sample *s = NULL;
    size_t ns = 0;
    struct lh_ring *ring = r ? lh_find(&pg->hist, r->seq) : NULL;
    if (ring) {
        s = xcalloc(ring->n ? ring->n : 1, sizeof *s);
        ns = lh_copy(ring, 0, s, ring->n);
    }
    struct pg_event *ev = NULL;
    pthread_mutex_lock(pg->evlog_lock);
    size_t nev = evlog_select(pg->evlog, name, 0, PAGE_EVENTS, &ev);
    pthread_mutex_unlock(pg->evlog_lock);
    struct lp_row none = {.service = (char *)name, .outcome = -1};
    int rc = lp_service(&pg->view, r ? r : &none, s, ns, ev, nev, body);
    pthread_mutex_unlock(&pg->lock);
    free(s);
    free(ev);
    return rc ? 500 : 200;
}

void page_routes(struct page *pg, struct endpoint *ep)
{
    if (!pg || !ep)
        return;
    /* 200 rows of at most a few KB each; one chart and 50 events */
    ep_route(ep, "/", serve_overview, pg, (size_t)8 << 20);
    ep_route(ep, "/service/", serve_service, pg, (size_t)4 << 20);
}
