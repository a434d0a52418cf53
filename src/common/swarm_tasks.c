/* Swarm tasks (swarm_tasks.h): each replica's start time and the tasks
 * left pending because no node can run them, from GET /tasks. */
#include "swarm_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker.h"
#include "log.h"

int stask_parse_time(const char *s, int64_t *ms)
{
    /* one RFC 3339 reader for everything the engine stamps (docker.c) */
    int64_t ns;
    if (dkr_parse_time(s, &ns))
        return -1;
    *ms = ns >= 0 ? ns / 1000000 : -((-ns + 999999) / 1000000);
    return 0;
}

static int cmp_task(const void *pa, const void *pb)
{
    const struct stask *a = pa, *b = pb;
    int c = strcmp(a->service, b->service);
    return c ? c : strcmp(a->container, b->container);
}

/* One task of GET /tasks into x and its Status.Err into etext: 1 kept, 0
 * left out (not desired running, or no swarm service id), -1 + err when
 * it is no task. */
static int stask_parse_one(const json_t *t, size_t i, struct stask *x,
                           char etext[STASK_ERR_MAX + 1], char *err,
                           size_t errlen)
{
    const json_t *id = json_object_get(t, "ID");
    const json_t *svc = json_object_get(t, "ServiceID");
    const json_t *st = json_object_get(t, "Status");
    const char *desired = json_string_value(json_object_get(t, "DesiredState"));
    /* a task meant to stop is left out whatever it holds (review: one
     * shut-down task without a Status failed the listing); one meant to
     * run must say what it is */
    if (!desired || strcmp(desired, "running"))
        return 0;
    if (!json_is_string(id) || !json_is_string(svc) || !json_is_object(st)) {
        errf(err, errlen, "GET /tasks: task %zu has no ID, ServiceID or Status",
             i);
        return -1;
    }
    memset(x, 0, sizeof *x);
    if (json_string_length(svc) >= sizeof x->service)
        return 0; /* not a swarm id */
    memcpy(x->service, json_string_value(svc), json_string_length(svc));
    const char *state = json_string_value(json_object_get(st, "State"));
    x->running = state && !strcmp(state, "running");
    /* new → pending → assigned → accepted → preparing → ready →
     * starting → running. Only new and pending wait for a node (the
     * scheduler's "no suitable node"); from assigned on the task has
     * one and is on its way (starting: its health check has not
     * passed yet): its container warms up. */
    x->pending = state && (!strcmp(state, "new") || !strcmp(state, "pending"));
    x->starting = state && !x->running && !x->pending &&
                  (!strcmp(state, "assigned") || !strcmp(state, "accepted") ||
                   !strcmp(state, "preparing") || !strcmp(state, "ready") ||
                   !strcmp(state, "starting"));
    const char *ts = json_string_value(json_object_get(st, "Timestamp"));
    if (!ts || stask_parse_time(ts, &x->since_ms))
        x->since_ms = -1;
    const char *cid = json_string_value(
        json_object_get(json_object_get(st, "ContainerStatus"), "ContainerID"));
    if (cid) {
        size_t cl = strlen(cid) < 12 ? strlen(cid) : 12;
        memcpy(x->container, cid, cl);
    }
    const char *e = json_string_value(json_object_get(st, "Err"));
    log_copy_oneline(etext, STASK_ERR_MAX + 1, e ? e : "", e ? strlen(e) : 0);
    return 1;
}

void stask_list_free(struct stask_list *l)
{
    if (!l)
        return;
    free(l->v);
    sp_free(&l->texts);
    memset(l, 0, sizeof *l);
}

const char *stask_err(const struct stask_list *l, const struct stask *t)
{
    return sp_str(&l->texts, t->err);
}

/* GET /tasks read task by task (dkr_json_each): with 100,000 tasks the
 * listing is tens of MB of JSON, never held whole. */
struct stask_reader {
    struct stask_list *out;
    size_t cap; /* of out->v */
    char *err;
    size_t errlen;
};

static int stask_each(const json_t *t, size_t i, void *ctx)
{
    struct stask_reader *r = ctx;
    struct stask x;
    char etext[STASK_ERR_MAX + 1];
    int k = stask_parse_one(t, i, &x, etext, r->err, r->errlen);
    if (k < 0)
        return -1;
    if (k == 0)
        return 0;
    if (r->out->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->out->v = xrealloc(r->out->v, r->cap * sizeof *r->out->v);
    }
    x.err = sp_intern(&r->out->texts, etext);
    r->out->v[r->out->n++] = x;
    return 0;
}

/* The listing as every reader leaves it: no room to spare (the array
 * doubled as it grew), sorted by service; -1 (the list freed) when the
 * reader failed. */
static int stask_done(struct stask_reader *r, int rc)
{
    struct stask_list *l = r->out;
    sp_unindex(&l->texts);
    if (rc) {
        stask_list_free(l);
        return -1;
    }
    if (l->n && l->n < r->cap)
        l->v = xrealloc(l->v, l->n * sizeof *l->v);
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, cmp_task);
    return 0;
}

int stask_parse_list(const json_t *arr, struct stask_list *out, char *err,
                     size_t errlen)
{
    struct stask_reader r = {.out = out, .err = err, .errlen = errlen};
    memset(out, 0, sizeof *out);
    if (!json_is_array(arr)) {
        errf(err, errlen, "GET /tasks: expected a JSON array");
        return -1;
    }
    /* the element reader of the live listing (stask_list), on a tree */
    int rc = 0;
    for (size_t i = 0; i < json_array_size(arr) && !rc; i++)
        rc = stask_each(json_array_get(arr, i), i, &r);
    return stask_done(&r, rc);
}

int stask_list(struct dkr *d, struct stask_list *out, char *err, size_t errlen)
{
    char e2[512] = "";
    struct stask_reader r = {.out = out, .err = e2, .errlen = sizeof e2};
    memset(out, 0, sizeof *out);
    /* filters={"desired-state":["running"]}; a task is a few KB */
    int rc = dkr_json_each(d,
                           "/tasks?filters=%7B%22desired-state%22%3A%5B%22"
                           "running%22%5D%7D",
                           STASK_MAX_TASK_BYTES, stask_each, &r, err, errlen);
    if (rc && e2[0]) /* the task that was wrong, in its words */
        errf(err, errlen, "%s", e2);
    return stask_done(&r, rc);
}

/* The first task of service (lower bound). */
static size_t first_of(const struct stask_list *l, const char *service)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(l->v[mid].service, service) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void stask_count(const struct stask_list *l, const char *service,
                 struct stask_count *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = first_of(l, service);
         i < l->n && !strcmp(l->v[i].service, service); i++) {
        const struct stask *t = &l->v[i];
        if (t->running)
            out->running++;
        const char *e = stask_err(l, t);
        if (t->pending) {
            if (out->pending++ == 0 && e[0]) {
                /* "no suitable node (insufficient resources on 3 nodes)":
                 * the part in parentheses says it best */
                const char *o = strchr(e, '('), *c = strrchr(e, ')');
                if (o && c && c > o + 1)
                    snprintf(out->why, sizeof out->why, "%.*s",
                             (int)(c - o - 1), o + 1);
                else
                    snprintf(out->why, sizeof out->why, "%s", e);
            }
        }
    }
}

enum stask_age stask_age(const struct stask_list *l, const char *service,
                         const char *container, int64_t now_ms,
                         int64_t warmup_ms)
{
    char key[16] = "";
    size_t cl = strlen(container) < 12 ? strlen(container) : 12;
    memcpy(key, container, cl);
    for (size_t i = first_of(l, service);
         i < l->n && !strcmp(l->v[i].service, service); i++)
        if (l->v[i].starting && !strcmp(l->v[i].container, key))
            return STASK_STARTING;
    int64_t since = stask_started(l, service, container);
    if (since < 0)
        return STASK_NONE;
    return warmup_ms > 0 && since > 0 && now_ms - since < warmup_ms
               ? STASK_WARMING
               : STASK_MATURE;
}

int64_t stask_started(const struct stask_list *l, const char *service,
                      const char *container)
{
    char key[16] = "";
    size_t cl = strlen(container) < 12 ? strlen(container) : 12;
    memcpy(key, container, cl);
    int64_t since = -1;
    for (size_t i = first_of(l, service);
         i < l->n && !strcmp(l->v[i].service, service); i++)
        if (l->v[i].running && !strcmp(l->v[i].container, key) &&
            l->v[i].since_ms > since)
            since = l->v[i].since_ms; /* named twice: the later start */
    return since;
}
