/* The ds agents as das's metrics store (agents.h): finding them, reading
 * each one's new points, and the windows from the cache. */
#include "agents.h"

#include <errno.h>
#include <jansson.h>
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
    struct complaint c;
};

struct agents {
    struct dkr *docker; /* NULL: a fixed list */
    int64_t overlap_ms;
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
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->v[i].key, key)) {
            if (strcmp(a->v[i].addr, addr)) { /* the node moved */
                agent_drop(&a->v[i]);
                memset(a->v[i].since, 0, sizeof a->v[i].since);
                snprintf(a->v[i].addr, sizeof a->v[i].addr, "%s", addr);
            }
            if (!a->v[i].h)
                break;
            return &a->v[i];
        }
    struct ag_agent *g = NULL;
    for (size_t i = 0; i < a->n && !g; i++)
        if (!strcmp(a->v[i].key, key))
            g = &a->v[i];
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
                           .connect_timeout_ms = 2000,
                           .timeout_ms = 15000,
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
                          int64_t overlap_ms, char *err, size_t errlen)
{
    struct agents *a = xcalloc(1, sizeof *a);
    a->overlap_ms = overlap_ms > 0 ? overlap_ms : 0;
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
    if (a && a[0] && strcmp(a, "0.0.0.0") && strlen(a) < addrlen) {
        snprintf(addr, addrlen, "%s", a);
        return true;
    }
    /* a manager may show 0.0.0.0: its advertised host:2377 */
    const char *colon = m ? strrchr(m, ':') : NULL;
    if (!colon || colon == m || (size_t)(colon - m) >= addrlen)
        return false;
    snprintf(addr, addrlen, "%.*s", (int)(colon - m), m);
    return true;
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
        if (!node_addr_of(nodes, node, addr, sizeof addr)) {
            log_warn("agent's node has no address: not read",
                     "node=%.40s service=%.40s", node, sid);
            continue;
        }
        snprintf(hostport, sizeof hostport, "%s:%u", addr, port);
        struct ag_agent *g = agent_get(a, node, hostport, e, sizeof e);
        if (g)
            g->seen = true;
        else
            log_warn("agent not usable", "node=%.40s address=%s error=%s", node,
                     hostport, e);
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

/* GET /points?since=since&fields=field of one agent into pc, its clock
 * measured on the way (g->offset_ms, said when it changes by a second).
 * 0 with *rep, or -1 + err. */
static int fetch_points(struct agents *a, struct ag_agent *g, const char *field,
                        int64_t since, struct pcache *pc, struct kp_reply *rep,
                        char *err, size_t errlen)
{
    char path[160];
    snprintf(path, sizeof path, "/points?since=%lld&fields=%s",
             (long long)since, field);
    struct http_resp resp;
    http_resp_init(&resp);
    int64_t t0 = wall_ms();
    a->requests++;
    int rc = http_request(g->h, "GET", path, NULL, NULL, 0, &resp, err, errlen);
    int64_t t1 = wall_ms();
    if (rc == 0 && resp.status != 200) {
        char q[200];
        snprintf(err, errlen, "GET %s: HTTP %ld: %s", path, resp.status,
                 log_quote_span(resp.body.ptr ? resp.body.ptr : "",
                                resp.body.len, 120, q, sizeof q,
                                LOG_QUOTE_VALUE));
        rc = -1;
    }
    if (rc == 0) {
        /* its clock against ours, from the middle of the request (the
         * header's now=, read before the points are shifted by it) */
        int64_t off = 0;
        const char *now = strstr(resp.body.ptr ? resp.body.ptr : "", " now=");
        if (now && now - resp.body.ptr < 64) {
            off = strtoll(now + 5, NULL, 10) - (t0 + t1) / 2;
            if (off > -AG_SKEW_MIN_MS && off < AG_SKEW_MIN_MS)
                off = 0;
        }
        if (off > g->offset_ms + 1000 || off < g->offset_ms - 1000)
            log_warn("agent's clock differs from das's: its points are "
                     "shifted to das's clock",
                     "agent=%s offset_ms=%lld", g->addr, (long long)off);
        if (off == 0 || off > g->offset_ms + 1000 || off < g->offset_ms - 1000)
            g->offset_ms = off;
        char perr[256];
        if (kp_parse(resp.body.ptr, resp.body.len, field, g->offset_ms, pc, rep,
                     perr, sizeof perr)) {
            snprintf(err, errlen, "GET %s: not a reply of ds: %s", path, perr);
            rc = -1;
        } else {
            a->unusable += rep->unusable;
        }
    }
    http_resp_cleanup(&resp);
    return rc;
}

/* One agent's points of field since its last read (from need_from the
 * first time, by das's clock). 0, or -1 + err. */
static int read_agent(struct agents *a, struct ag_agent *g, size_t fi,
                      struct pcache *pc, int64_t need_from, char *err,
                      size_t errlen)
{
    int64_t since =
        g->since[fi] ? g->since[fi] - a->overlap_ms : need_from + g->offset_ms;
    if (since < need_from + g->offset_ms)
        since = need_from + g->offset_ms;
    struct kp_reply rep;
    if (fetch_points(a, g, a->f[fi].name, since, pc, &rep, err, errlen))
        return -1;
    g->since[fi] = rep.now_ms;
    return 0;
}

/* Once per cycle (now_ms): the agents the Engine API shows. */
static int find_once(struct agents *a, int64_t now_ms, char *err, size_t errlen)
{
    if (a->docker && a->found_ms != now_ms) {
        a->found_ms = now_ms;
        a->found_err[0] = '\0';
        char e[256];
        if (discover(a, e, sizeof e)) {
            snprintf(a->found_err, sizeof a->found_err, "%s", e);
            if (complain(&a->c_find, e))
                log_error("cannot find the ds agents", "error=%s", e);
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
    size_t answering = 0;
    char first[256] = "";
    for (size_t i = 0; i < a->n; i++) {
        struct kp_reply rep;
        char e[256];
        if (fetch_points(a, &a->v[i], field, start_ms + a->v[i].offset_ms, &pc,
                         &rep, e, sizeof e)) {
            if (!first[0])
                snprintf(first, sizeof first, "%s: %s", a->v[i].addr, e);
            continue;
        }
        answering++;
    }
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
    size_t answering = 0;
    char first_err[256] = "";
    for (size_t i = 0; i < a->n; i++) {
        struct ag_agent *g = &a->v[i];
        char e[256], q[300];
        if (read_agent(a, g, fi, &f->pc, need_from, e, sizeof e)) {
            a->failures++;
            g->ok = false;
            if (!first_err[0])
                snprintf(first_err, sizeof first_err, "%s: %s", g->addr, e);
            if (complain(&g->c, e))
                log_warn("ds agent not read: its node's replicas count as "
                         "not reporting",
                         "agent=%s node=%.40s error=%s", g->addr, g->key,
                         log_quote(e, q, sizeof q));
            continue;
        }
        g->ok = true;
        answering++;
        if (complain_release(&g->c))
            log_info("ds agent read again", "agent=%s", g->addr);
    }
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
