/* The ds agents as das's metrics store (agents.h): finding them, reading
 * each one's new points, and the windows from the cache. */
#include "agents.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker.h"
#include "endpoint.h"
#include "http.h"
#include "keep.h"
#include "log.h"
#include "pcache.h"

#define AG_FIELDS 16 /* distinct fields read (stats.h has 14) */
#define AG_REBASE_MS (1LL << 30)
/* An agent's clock this far from das's is corrected for (as InfluxDB's
 * Date is: skew.h); closer, the difference is the request's own time. */
#define AG_SKEW_MIN_MS 2000

struct ag_field {
    char name[64];
    struct pcache pc;
};

struct ag_agent {
    char key[96];  /* node id (swarm) or ADDR:PORT (fixed) */
    char addr[80]; /* ADDR:PORT */
    struct http *h;
    bool seen;                /* in this cycle's discovery */
    int64_t since[AG_FIELDS]; /* the agent's clock: next read from;
                                 0: read the whole window */
    int64_t offset_ms;        /* its clock − das's */
    bool ok;                  /* it answered its last read */
    bool offset_said;         /* offset_ms moved: say so */
    char err[256];            /* why its last read failed */
    size_t points;            /* its last read's points kept */
    struct complaint c;
};

struct agents {
    struct dkr *docker; /* NULL: a fixed list */
    int64_t overlap_ms;
    int64_t timeout_ms; /* one agent's read */
    struct ag_agent *v;
    size_t n, cap;
    struct ag_field f[AG_FIELDS];
    size_t nf;
    int64_t found_ms; /* the cycle (now_ms) of the last discovery */
    char found_err[256];
    struct complaint c_find;
    unsigned long failures, requests, unusable;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void agent_drop(struct ag_agent *g)
{
    http_free(g->h);
    g->h = NULL;
}

/* The agent of key, added (its client made) when new; NULL + err when
 * its address makes no URL. */
static struct ag_agent *agent_get(struct agents *a, const char *key,
                                  const char *addr, char *err, size_t errlen)
{
    struct ag_agent *g = NULL;
    for (size_t i = 0; i < a->n && !g; i++)
        if (!strcmp(a->v[i].key, key))
            g = &a->v[i];
    if (g && strcmp(g->addr, addr)) { /* the node moved: read it whole */
        agent_drop(g);
        memset(g->since, 0, sizeof g->since);
        snprintf(g->addr, sizeof g->addr, "%s", addr);
    }
    if (g && g->h)
        return g;
    if (!g) {
        if (a->n == AGENTS_MAX) {
            snprintf(err, errlen, "more than %d agents", AGENTS_MAX);
            return NULL;
        }
        if (a->n == a->cap) {
            a->cap = a->cap ? 2 * a->cap : 8;
            a->v = xrealloc(a->v, a->cap * sizeof *a->v);
        }
        g = &a->v[a->n++];
        memset(g, 0, sizeof *g);
        snprintf(g->key, sizeof g->key, "%s", key);
        snprintf(g->addr, sizeof g->addr, "%s", addr);
    }
    char url[112];
    snprintf(url, sizeof url, "http://%s", g->addr);
    struct http_conf hc = {.url = url,
                           .connect_timeout_ms =
                               a->timeout_ms < 2000 ? a->timeout_ms : 2000,
                           .timeout_ms = a->timeout_ms,
                           .max_body = AGENTS_MAX_BODY};
    g->h = http_new(&hc, err, errlen);
    return g->h ? g : NULL;
}

/* "ADDR:PORT" with an IPv4 address and a port 1..65535. */
static bool addr_ok(const char *s, size_t n)
{
    char tmp[80], host[64], why[128];
    unsigned port;
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return ep_parse_listen(tmp, host, sizeof host, &port, why, sizeof why) ==
               0 &&
           port > 0 && tmp[0] != ':';
}

struct agents *agents_new(const char *spec, struct dkr *docker,
                          int64_t overlap_ms, int64_t timeout_ms, char *err,
                          size_t errlen)
{
    struct agents *a = xcalloc(1, sizeof *a);
    a->overlap_ms = overlap_ms > 0 ? overlap_ms : 0;
    a->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    if (!spec || !strcmp(spec, "swarm")) {
        a->docker = docker;
        return a;
    }
    for (const char *p = spec; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char key[80];
        if (!addr_ok(p, n)) {
            char q[120];
            snprintf(err, errlen,
                     "--agents: %s is not ADDR:PORT (an IPv4 address and a "
                     "port); accepted: swarm, or a comma-separated list such "
                     "as 10.0.0.5:9101,10.0.0.6:9101",
                     log_quote_span(p, n, 64, q, sizeof q, LOG_QUOTE_VALUE));
            agents_free(a);
            return NULL;
        }
        memcpy(key, p, n);
        key[n] = '\0';
        if (!agent_get(a, key, key, err, errlen)) {
            agents_free(a);
            return NULL;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (a->n == 0) {
        snprintf(err, errlen, "--agents: empty; give swarm or ADDR:PORT,...");
        agents_free(a);
        return NULL;
    }
    return a;
}

void agents_free(struct agents *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        agent_drop(&a->v[i]);
    for (size_t i = 0; i < a->nf; i++)
        pc_free(&a->f[i].pc);
    free(a->v);
    free(a);
}

/* ---- discovery through the Engine API --------------------------------- */

static const char *jstr_at(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

bool agents_node_addr(const json_t *node, char *id, size_t idlen, char *addr,
                      size_t addrlen)
{
    const char *nid = jstr_at(node, "ID");
    const char *a = jstr_at(json_object_get(node, "Status"), "Addr");
    const char *m = jstr_at(json_object_get(node, "ManagerStatus"), "Addr");
    if (!nid || strlen(nid) >= idlen)
        return false;
    snprintf(id, idlen, "%s", nid);
    /* a manager: its advertised address (host:2377), the one its ds binds
     * (Swarm.NodeAddr); Status.Addr is where the leader sees its
     * connection come from (behind NAT, or on engines that share one
     * host, not the node's own) */
    const char *colon = m ? strrchr(m, ':') : NULL;
    if (colon && colon != m && (size_t)(colon - m) < addrlen) {
        snprintf(addr, addrlen, "%.*s", (int)(colon - m), m);
        return true;
    }
    if (a && a[0] && strcmp(a, "0.0.0.0") && strlen(a) < addrlen) {
        snprintf(addr, addrlen, "%s", a);
        return true;
    }
    return false;
}

/* The address of node id in GET /nodes' answer; false when absent. */
static bool node_addr_of(const json_t *nodes, const char *id, char *addr,
                         size_t addrlen)
{
    size_t i;
    const json_t *n;
    json_array_foreach(nodes, i, n)
    {
        char nid[80];
        if (agents_node_addr(n, nid, sizeof nid, addr, addrlen) &&
            !strcmp(nid, id))
            return true;
    }
    return false;
}

/* The port of an agents' service (its AGENTS_LABEL), 0 when not a port. */
static unsigned label_port(const json_t *svc)
{
    const char *v = jstr_at(
        json_object_get(json_object_get(svc, "Spec"), "Labels"), AGENTS_LABEL);
    char *end;
    if (!v)
        return 0;
    errno = 0;
    long p = strtol(v, &end, 10);
    return errno || end == v || *end || p < 1 || p > 65535 ? 0 : (unsigned)p;
}

/* The running tasks of one agents' service: an agent per node. */
static int find_tasks(struct agents *a, const char *sid, unsigned port,
                      const json_t *nodes, char *err, size_t errlen)
{
    char path[256];
    json_t *tasks = NULL;
    snprintf(path, sizeof path,
             "/tasks?filters=%%7B%%22service%%22%%3A%%5B%%22%s%%22%%5D%%2C%%22"
             "desired-state%%22%%3A%%5B%%22running%%22%%5D%%7D",
             sid);
    if (dkr_json(a->docker, "GET", path, NULL, &tasks, NULL, err, errlen))
        return -1;
    size_t i;
    const json_t *t;
    json_array_foreach(tasks, i, t)
    {
        const char *state = jstr_at(json_object_get(t, "Status"), "State");
        const char *node = jstr_at(t, "NodeID");
        char addr[64], hostport[80], e[256];
        if (!state || strcmp(state, "running") || !node)
            continue;
        char q[120], q2[300];
        if (strspn(node, "0123456789abcdefghijklmnopqrstuvwxyz") !=
                strlen(node) ||
            strlen(node) > 64) {
            log_warn("agent's task names no node id das can read: not read",
                     "node=%s", log_quote(node, q, sizeof q));
            continue;
        }
        if (!node_addr_of(nodes, node, addr, sizeof addr) ||
            (snprintf(hostport, sizeof hostport, "%s:%u", addr, port),
             !addr_ok(hostport, strlen(hostport)))) {
            log_warn("agent's node has no IPv4 address das can reach: not "
                     "read",
                     "node=%s service=%s", log_quote(node, q, sizeof q),
                     log_quote(sid, q2, sizeof q2));
            continue;
        }
        struct ag_agent *g = agent_get(a, node, hostport, e, sizeof e);
        if (g)
            g->seen = true;
        else
            log_warn("agent not usable", "node=%s address=%s error=%s",
                     log_quote(node, q, sizeof q), hostport,
                     log_quote(e, q2, sizeof q2));
    }
    json_decref(tasks);
    return 0;
}

/* Once per cycle: the agents the Engine API shows now; agents no longer
 * there are forgotten (their points stay in the cache until they leave
 * the windows: silent replicas, as the coverage rules want them). */
static int discover(struct agents *a, char *err, size_t errlen)
{
    json_t *svcs = NULL, *nodes = NULL;
    int rc = -1;
    if (dkr_json(a->docker, "GET",
                 "/services?filters=%7B%22label%22%3A%5B%22" AGENTS_LABEL
                 "%22%5D%7D",
                 NULL, &svcs, NULL, err, errlen) ||
        dkr_json(a->docker, "GET", "/nodes", NULL, &nodes, NULL, err, errlen))
        goto out;
    for (size_t i = 0; i < a->n; i++)
        a->v[i].seen = false;
    size_t i;
    const json_t *s;
    size_t services = 0;
    json_array_foreach(svcs, i, s)
    {
        const char *sid = jstr_at(s, "ID");
        unsigned port = label_port(s);
        if (!sid || !port ||
            strspn(sid, "0123456789abcdefghijklmnopqrstuvwxyz") !=
                strlen(sid)) {
            log_warn("service labelled " AGENTS_LABEL " without a port (1 to "
                     "65535) or an id: not read",
                     "service=%.40s", sid ? sid : "?");
            continue;
        }
        services++;
        if (find_tasks(a, sid, port, nodes, err, errlen))
            goto out;
    }
    if (services == 0) {
        snprintf(err, errlen,
                 "no ds agents: no service is labelled " AGENTS_LABEL
                 "=PORT (deploy/das.yml sets it on ds); give --agents "
                 "ADDR:PORT,... or a store (--influx-url, --prometheus-url)");
        goto out;
    }
    size_t w = 0;
    for (size_t k = 0; k < a->n; k++) {
        if (a->v[k].seen)
            a->v[w++] = a->v[k];
        else
            agent_drop(&a->v[k]);
    }
    a->n = w;
    rc = 0;
out:
    json_decref(svcs);
    json_decref(nodes);
    return rc;
}

/* ---- reading the points ---------------------------------------------- */

static struct ag_field *field_get(struct agents *a, const char *name)
{
    for (size_t i = 0; i < a->nf; i++)
        if (!strcmp(a->f[i].name, name))
            return &a->f[i];
    if (a->nf == AG_FIELDS || strlen(name) >= sizeof a->f[0].name)
        return NULL;
    struct ag_field *f = &a->f[a->nf++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    return f;
}

/* One read of every agent: the bodies come in on up to AG_THREADS
 * threads at once (a slow or silent agent holds one thread up to the
 * request's timeout, not the others); each is parsed into the cache as it
 * arrives, one at a time, under the read's lock. */
#define AG_THREADS 8

struct ag_read {
    struct agents *a;
    const char *field;
    size_t fi;         /* the field's since slot; (size_t)-1: none */
    int64_t need_from; /* das's clock: the read goes no further back */
    struct pcache *pc;
    pthread_mutex_t lock; /* guards next, pc, the counters and each
                             agent's outcome */
    size_t next;
};

/* GET /points of agent g (no shared state touched). */
static int fetch_body(struct ag_agent *g, const char *field, int64_t since,
                      struct http_resp *resp, int64_t *t0, int64_t *t1,
                      char *err, size_t errlen)
{
    char path[160];
    snprintf(path, sizeof path, "/points?since=%lld&fields=%s",
             (long long)since, field);
    *t0 = wall_ms();
    int rc = http_request(g->h, "GET", path, NULL, NULL, 0, resp, err, errlen);
    *t1 = wall_ms();
    if (rc == 0 && resp->status != 200) {
        char q[200];
        snprintf(err, errlen, "GET /points: HTTP %ld: %s", resp->status,
                 log_quote_span(resp->body.ptr ? resp->body.ptr : "",
                                resp->body.len, 120, q, sizeof q,
                                LOG_QUOTE_VALUE));
        rc = -1;
    }
    return rc;
}

/* The body of g's answer into the cache, its clock measured from it
 * (g->offset_ms, said when it changes by a second or more). Under the
 * read's lock. 0, or -1 + err. */
static int take_body(struct ag_read *r, struct ag_agent *g,
                     const struct http_resp *resp, int64_t t0, int64_t t1,
                     char *err, size_t errlen)
{
    /* its clock against ours, from the middle of the request (the
     * header's now=, read before the points are shifted by it) */
    int64_t off = 0;
    const char *now = strstr(resp->body.ptr ? resp->body.ptr : "", " now=");
    if (now && now - resp->body.ptr < 64) {
        off = strtoll(now + 5, NULL, 10) - (t0 + t1) / 2;
        if (off > -AG_SKEW_MIN_MS && off < AG_SKEW_MIN_MS)
            off = 0;
    }
    if (off > g->offset_ms + 1000 || off < g->offset_ms - 1000) {
        g->offset_said = true;
        g->offset_ms = off;
    } else if (off == 0) {
        g->offset_ms = 0;
    }
    struct kp_reply rep;
    char perr[256];
    if (kp_parse(resp->body.ptr, resp->body.len, r->field, g->offset_ms, r->pc,
                 &rep, perr, sizeof perr)) {
        snprintf(err, errlen, "GET /points: not a reply of ds: %s", perr);
        return -1;
    }
    r->a->unusable += rep.unusable;
    if (r->fi != (size_t)-1)
        g->since[r->fi] = rep.now_ms;
    g->points = rep.points;
    return 0;
}

/* Where agent g's read starts, by its clock: after its last answer (less
 * the overlap), never before need_from. */
static int64_t read_since(const struct ag_read *r, const struct ag_agent *g)
{
    int64_t floor = r->need_from + g->offset_ms;
    int64_t since = r->fi != (size_t)-1 && g->since[r->fi]
                        ? g->since[r->fi] - r->a->overlap_ms
                        : floor;
    return since < floor ? floor : since;
}

static void *read_worker(void *arg)
{
    struct ag_read *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        size_t i = r->next++;
        struct ag_agent *g = i < r->a->n ? &r->a->v[i] : NULL;
        int64_t since = g ? read_since(r, g) : 0;
        if (g)
            r->a->requests++;
        pthread_mutex_unlock(&r->lock);
        if (!g)
            return NULL;
        struct http_resp resp;
        char err[256] = "";
        int64_t t0, t1;
        http_resp_init(&resp);
        int rc =
            fetch_body(g, r->field, since, &resp, &t0, &t1, err, sizeof err);
        pthread_mutex_lock(&r->lock);
        if (rc == 0)
            rc = take_body(r, g, &resp, t0, t1, err, sizeof err);
        g->ok = rc == 0;
        snprintf(g->err, sizeof g->err, "%s", rc ? err : "");
        if (rc)
            r->a->failures++;
        pthread_mutex_unlock(&r->lock);
        http_resp_cleanup(&resp);
    }
}

/* Reads every agent into pc; says (in this thread) what failed, what
 * came back and a clock that moved. The number that answered. */
static size_t read_all(struct agents *a, const char *field, size_t fi,
                       int64_t need_from, struct pcache *pc, char *first,
                       size_t firstlen)
{
    struct ag_read r = {a, field, fi, need_from, pc, PTHREAD_MUTEX_INITIALIZER,
                        0};
    pthread_t th[AG_THREADS];
    size_t nth = a->n < AG_THREADS ? a->n : AG_THREADS, started = 0;
    for (size_t t = 1; t < nth; t++)
        if (pthread_create(&th[started], NULL, read_worker, &r) == 0)
            started++;
    read_worker(&r); /* this thread reads too */
    for (size_t t = 0; t < started; t++)
        /* cppcheck-suppress uninitvar ; pthread_create set th[0..started) */
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&r.lock);
    size_t answering = 0;
    first[0] = '\0';
    for (size_t i = 0; i < a->n; i++) {
        struct ag_agent *g = &a->v[i];
        char q[300];
        if (g->offset_said) {
            g->offset_said = false;
            log_warn("agent's clock differs from das's: its points are "
                     "shifted to das's clock",
                     "agent=%s offset_ms=%lld", g->addr,
                     (long long)g->offset_ms);
        }
        if (!g->ok) {
            if (!first[0])
                snprintf(first, firstlen, "%s: %s", g->addr, g->err);
            /* the same failure with other figures (curl's "after 2001
             * milliseconds") is the same failure: said once */
            char key[sizeof g->err];
            size_t kn = 0;
            for (const char *c = g->err; *c && kn + 1 < sizeof key; c++)
                if (!(*c >= '0' && *c <= '9') || kn == 0 || key[kn - 1] != '#')
                    key[kn++] = *c >= '0' && *c <= '9' ? '#' : *c;
            key[kn] = '\0';
            if (complain(&g->c, key))
                log_warn("ds agent not read: its node's replicas count as "
                         "not reporting",
                         "agent=%s node=%.40s error=%s", g->addr, g->key,
                         log_quote(g->err, q, sizeof q));
            continue;
        }
        answering++;
        log_debug("agent read", "agent=%s field=%s points=%zu offset_ms=%lld",
                  g->addr, field, g->points, (long long)g->offset_ms);
        if (complain_release(&g->c))
            log_info("ds agent read again", "agent=%s", g->addr);
    }
    return answering;
}

/* Once per cycle (now_ms): the agents the Engine API shows. */
static int find_once(struct agents *a, int64_t now_ms, char *err, size_t errlen)
{
    if (a->docker && a->found_ms != now_ms) {
        a->found_ms = now_ms;
        a->found_err[0] = '\0';
        char e[256], q[300];
        if (discover(a, e, sizeof e)) {
            snprintf(a->found_err, sizeof a->found_err, "%s", e);
            if (complain(&a->c_find, e))
                log_error("cannot find the ds agents", "error=%s",
                          log_quote(e, q, sizeof q));
        } else if (complain_release(&a->c_find)) {
            log_info("ds agents found again", "agents=%zu", a->n);
        }
    }
    if (a->found_err[0]) {
        snprintf(err, errlen, "%s", a->found_err);
        return -1;
    }
    return 0;
}

int agents_demand(struct agents *a, const char *field, const char *service_id,
                  int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                  int64_t **t_ms, double **value, size_t *n, char *err,
                  size_t errlen)
{
    *t_ms = NULL;
    *value = NULL;
    *n = 0;
    if (kp_field_index(field) < 0) {
        snprintf(err, errlen, "ds agents keep no field %s", field);
        return -1;
    }
    if (find_once(a, end_ms, err, errlen))
        return -1;
    struct pcache pc;
    pc_init(&pc, start_ms);
    char first[300];
    size_t answering =
        read_all(a, field, (size_t)-1, start_ms, &pc, first, sizeof first);
    if (answering == 0) {
        snprintf(err, errlen, "no ds agent answered (%zu known)%s%s", a->n,
                 first[0] ? "; the first: " : "", first);
        pc_free(&pc);
        return -1;
    }
    size_t cap =
        interval_ms > 0 ? (size_t)((end_ms - start_ms) / interval_ms) + 2 : 1;
    *t_ms = xcalloc(cap, sizeof **t_ms);
    *value = xcalloc(cap, sizeof **value);
    *n = pc_demand(&pc, service_id, start_ms, end_ms, interval_ms, *t_ms,
                   *value, cap);
    pc_free(&pc);
    return 0;
}

static int ag_window_set(void *impl, const char *field, int64_t now_ms,
                         const int64_t *dur_ms, size_t k, struct win_agg **outs,
                         size_t *ns, char *err, size_t errlen)
{
    struct agents *a = impl;
    struct ag_field *f = field_get(a, field);
    if (!f) {
        snprintf(err, errlen, "more than %d metric fields", AG_FIELDS);
        return -1;
    }
    size_t fi = (size_t)(f - a->f);
    if (find_once(a, now_ms, err, errlen))
        return -1;
    int64_t longest = 0;
    for (size_t i = 0; i < k; i++)
        if (dur_ms[i] > longest)
            longest = dur_ms[i];
    int64_t need_from = now_ms - longest;
    if (f->pc.base_ms == 0 && f->pc.n == 0)
        pc_init(&f->pc, need_from);
    else if (now_ms - f->pc.base_ms > AG_REBASE_MS)
        pc_rebase(&f->pc, need_from);
    pc_trim(&f->pc, need_from);
    /* this field may fill what the others leave of das's budget */
    size_t others = 0;
    for (size_t i = 0; i < a->nf; i++)
        if (&a->f[i] != f)
            others += pc_bytes(&a->f[i].pc);
    f->pc.max_bytes = pc_budget(others);
    char first_err[300];
    size_t answering =
        read_all(a, field, fi, need_from, &f->pc, first_err, sizeof first_err);
    if (a->n > 0 && answering == 0) {
        snprintf(err, errlen, "no ds agent answered (%zu known); the first: %s",
                 a->n, first_err);
        return -1;
    }
    pc_windows(&f->pc, now_ms, dur_ms, k, outs, ns, &a->unusable);
    return 0;
}

/* One window alone: a window set of one length. */
static int ag_windows(void *impl, const char *field, int64_t start_ms,
                      int64_t end_ms, struct win_agg **out, size_t *n,
                      char *err, size_t errlen)
{
    int64_t dur = end_ms - 1 - start_ms;
    return ag_window_set(impl, field, end_ms - 1, &dur, 1, out, n, err, errlen);
}

static unsigned long ag_requests(const void *impl)
{
    const struct agents *a = impl;
    return a->requests;
}

static unsigned long ag_unusable(const void *impl)
{
    const struct agents *a = impl;
    return a->unusable;
}

static bool ag_supports(void *impl, const char *field, char *err, size_t errlen)
{
    (void)impl;
    if (kp_field_index(field) >= 0)
        return true;
    snprintf(err, errlen, "ds agents keep no field %s", field);
    return false;
}

static const struct mstore_ops ag_ops = {
    .name = "ds agents",
    .dep = "agents",
    .windows = ag_windows,
    .window_set = ag_window_set,
    .supports = ag_supports,
    .requests = ag_requests,
    .unusable = ag_unusable,
};

void agents_mstore(struct mstore *m, struct agents *a)
{
    m->ops = &ag_ops;
    m->impl = a;
}

void agents_get_stats(const struct agents *a, struct agents_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!a)
        return;
    st->known = a->n;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].ok)
            st->answering++;
    st->failures = a->failures;
    st->requests = a->requests;
    st->unusable = a->unusable;
}

int agents_metrics(const struct agents *a, struct buf *out)
{
    if (!a || a->n == 0)
        return 0;
    if (buf_puts(out, "# HELP das_agent_up 1 when the ds agent answered its "
                      "last read with a reply of ds.\n"
                      "# TYPE das_agent_up gauge\n"))
        return -1;
    for (size_t i = 0; i < a->n; i++)
        /* addresses and node ids are [0-9a-z.:] (checked when found) */
        if (buf_printf(out, "das_agent_up{agent=\"%s\",node=\"%s\"} %d\n",
                       a->v[i].addr, a->v[i].key, a->v[i].ok ? 1 : 0))
            return -1;
    return 0;
}
