/* Swarm services and nodes on the Engine API (docker_svc.h): the service
 * listing, resolving a policy's service, scaling, the leader check. */
#include "docker_svc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "docker.h"
#include "log.h"
#include "swarm_tasks.h"

/* Copies a JSON string member into a fixed buffer; -1 when it is missing,
 * not a string or does not fit. */
static int copy_str(const json_t *obj, const char *key, char *out,
                    size_t outlen)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return -1;
    size_t n = json_string_length(v);
    if (n + 1 > outlen)
        return -1;
    memcpy(out, json_string_value(v), n);
    out[n] = '\0';
    return 0;
}

/* The service's ID, Spec.Name and Version.Index; -1 + err when one is
 * missing or does not fit. */
static int parse_identity(const json_t *obj, struct dsvc *out, char *err,
                          size_t errlen)
{
    if (copy_str(obj, "ID", out->id, sizeof out->id) || !out->id[0]) {
        snprintf(err, errlen, "service: missing or over-long \"ID\"");
        return -1;
    }
    const json_t *spec = json_object_get(obj, "Spec");
    if (!json_is_object(spec) ||
        copy_str(spec, "Name", out->name, sizeof out->name)) {
        snprintf(err, errlen,
                 "service %.32s: missing or over-long "
                 "\"Spec.Name\"",
                 out->id);
        return -1;
    }
    const json_t *ver =
        json_object_get(json_object_get(obj, "Version"), "Index");
    if (!json_is_integer(ver) || json_integer_value(ver) < 0) {
        snprintf(err, errlen, "service %.32s: missing \"Version.Index\"",
                 out->id);
        return -1;
    }
    out->version = (uint64_t)json_integer_value(ver);
    return 0;
}

/* Spec.Mode: replicated (with its count), global, or a job of either. A
 * mode not known here (a newer engine's), or a count that is no count,
 * leaves the service listed and not scalable, saying why. */
static void parse_mode(const json_t *spec, struct dsvc *out)
{
    const json_t *mode = json_object_get(spec, "Mode");
    const json_t *repl = json_object_get(mode, "Replicated");
    if (json_is_object(repl)) {
        const json_t *r = json_object_get(repl, "Replicas");
        /* Docker omits Replicas when it is 0 in some versions */
        out->replicas = json_is_integer(r) ? (long)json_integer_value(r) : 0;
        if (out->replicas < 0 || (r && !json_is_integer(r))) {
            out->replicas = -1;
            out->unscalable = "replicated with a replica count that is no "
                              "whole number >= 0";
        }
    } else if (json_object_get(mode, "Global")) {
        out->global = true;
        out->unscalable = "in global mode: one task per node";
    } else if (json_object_get(mode, "GlobalJob")) {
        out->global = true;
        out->job = true;
        out->unscalable = "a global job: one run per node";
    } else if (json_object_get(mode, "ReplicatedJob")) {
        out->job = true;
        out->unscalable = "a replicated job: runs to completion";
    } else {
        out->unscalable = "in a \"Spec.Mode\" das does not know (only "
                          "Replicated services scale)";
    }
}

/* When the service last changed, and whether that was a scale: the
 * replicas before it (PreviousSpec), -1 when there is none. */
static void parse_history(const json_t *obj, struct dsvc *out)
{
    const json_t *upd = json_object_get(obj, "UpdatedAt");
    if (!json_is_string(upd) ||
        stask_parse_time(json_string_value(upd), &out->updated_ms))
        out->updated_ms = 0;
    const json_t *prepl = json_object_get(
        json_object_get(json_object_get(obj, "PreviousSpec"), "Mode"),
        "Replicated");
    out->prev_replicas = -1;
    if (json_is_object(prepl)) {
        const json_t *r = json_object_get(prepl, "Replicas");
        out->prev_replicas = json_is_integer(r) && json_integer_value(r) >= 0
                                 ? (long)json_integer_value(r)
                                 : 0;
    }
}

/* The Spec.Labels under DSVC_LABEL_PREFIX, up to DSVC_LABELS_MAX; a value
 * too long to hold is kept empty and marked cut. */
static void parse_labels(const json_t *spec, struct dsvc *out)
{
    const json_t *labels = json_object_get(spec, "Labels");
    if (!json_is_object(labels))
        return;
    const char *k;
    const json_t *v;
    const size_t plen = strlen(DSVC_LABEL_PREFIX);
    size_t n = 0;
    json_object_foreach((json_t *)labels, k, v)
    {
        if (strncmp(k, DSVC_LABEL_PREFIX, plen) == 0 && n < DSVC_LABELS_MAX)
            n++;
    }
    if (!n)
        return;
    out->labels = xcalloc(n, sizeof *out->labels);
    json_object_foreach((json_t *)labels, k, v)
    {
        if (strncmp(k, DSVC_LABEL_PREFIX, plen) != 0 || out->nlabels == n)
            continue;
        struct dsvc_label *l = &out->labels[out->nlabels++];
        snprintf(l->key, sizeof l->key, "%s", k);
        const char *val = json_is_string(v) ? json_string_value(v) : "";
        l->cut = strlen(val) >= sizeof l->value;
        snprintf(l->value, sizeof l->value, "%s", l->cut ? "" : val);
    }
}

/* UpdateStatus.State, and whether an update is under way. */
static void parse_update_status(const json_t *obj, struct dsvc *out)
{
    const json_t *us = json_object_get(obj, "UpdateStatus");
    if (json_is_object(us) &&
        !copy_str(us, "State", out->update_state, sizeof out->update_state)) {
        /* completed / rollback_completed are finished; updating,
         * rollback_started and the paused states (a failed update waiting
         * for the operator) are left alone. */
        const char *s = out->update_state;
        out->updating = !strcmp(s, "updating") ||
                        !strcmp(s, "rollback_started") ||
                        !strcmp(s, "paused") || !strcmp(s, "rollback_paused");
    } else {
        out->update_state[0] = '\0';
    }
}

int dsvc_parse_service(const json_t *obj, struct dsvc *out, char *err,
                       size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->replicas = -1;
    if (!json_is_object(obj)) {
        snprintf(err, errlen, "service: expected a JSON object");
        return -1;
    }
    if (parse_identity(obj, out, err, errlen))
        return -1;
    const json_t *spec = json_object_get(obj, "Spec");
    parse_mode(spec, out);
    const json_t *nano = json_object_get(
        json_object_get(
            json_object_get(json_object_get(spec, "TaskTemplate"), "Resources"),
            "Limits"),
        "NanoCPUs");
    out->cpu_limit = json_is_integer(nano) && json_integer_value(nano) > 0
                         ? (double)json_integer_value(nano) / 1e7
                         : NAN;
    parse_history(obj, out);
    parse_labels(spec, out);
    parse_update_status(obj, out);
    return 0;
}

void dsvc_free(struct dsvc *s)
{
    free(s->labels);
    s->labels = NULL;
    s->nlabels = 0;
}

void dsvc_list_free(struct dsvc_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        dsvc_free(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

const struct dsvc *dsvc_resolve(const struct dsvc_list *l, const char *ref,
                                bool *ambiguous, char *err, size_t errlen)
{
    if (ambiguous)
        *ambiguous = false;
    if (!ref || !ref[0]) {
        snprintf(err, errlen, "empty service reference");
        return NULL;
    }
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].id, ref))
            return &l->v[i];
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].name, ref))
            return &l->v[i];
    size_t rl = strlen(ref);
    const struct dsvc *hit = NULL;
    size_t nhits = 0;
    char names[160] = "";
    size_t nl = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (strncmp(l->v[i].id, ref, rl) != 0)
            continue;
        hit = &l->v[i];
        nhits++;
        if (nl < sizeof names) {
            int w = snprintf(names + nl, sizeof names - nl, "%s%s",
                             nhits > 1 ? ", " : "", l->v[i].name);
            if (w > 0)
                nl += (size_t)w;
        }
    }
    if (nhits == 1)
        return hit;
    if (nhits > 1) {
        if (ambiguous)
            *ambiguous = true;
        snprintf(err, errlen,
                 "id prefix \"%.64s\" matches %zu services (%s): use the "
                 "full id or the service name",
                 ref, nhits, names);
        return NULL;
    }
    snprintf(err, errlen, "no service with id, id prefix or name \"%.64s\"",
             ref);
    return NULL;
}

int dsvc_spec_set_replicas(json_t *spec, long replicas, long *from, char *err,
                           size_t errlen)
{
    json_t *repl = json_object_get(json_object_get(spec, "Mode"), "Replicated");
    if (!json_is_object(repl)) {
        snprintf(err, errlen,
                 "service is not in replicated mode: only "
                 "replicated services can be scaled");
        return -1;
    }
    if (replicas < 0) {
        snprintf(err, errlen, "replicas %ld: must be 0 or more", replicas);
        return -1;
    }
    json_t *r = json_object_get(repl, "Replicas");
    if (from)
        *from = json_is_integer(r) ? (long)json_integer_value(r) : 0;
    if (json_object_set_new(repl, "Replicas", json_integer(replicas))) {
        snprintf(err, errlen, "could not set Spec.Mode.Replicated.Replicas");
        return -1;
    }
    return 0;
}

bool dsvc_parse_node_leader(const json_t *node)
{
    return json_is_true(
        json_object_get(json_object_get(node, "ManagerStatus"), "Leader"));
}

int dsvc_parse_leader(const json_t *nodes, char *node, size_t nodelen,
                      char *addr, size_t addrlen)
{
    size_t i;
    const json_t *n;
    json_array_foreach(nodes, i, n)
    {
        if (!dsvc_parse_node_leader(n))
            continue;
        const json_t *id = json_object_get(n, "ID");
        const json_t *host =
            json_object_get(json_object_get(n, "Description"), "Hostname");
        const json_t *a =
            json_object_get(json_object_get(n, "ManagerStatus"), "Addr");
        const char *as = json_is_string(a) ? json_string_value(a) : "";
        const char *colon = strrchr(as, ':');
        int alen = colon ? (int)(colon - as) : (int)strlen(as);
        snprintf(node, nodelen, "node %.32s (%.64s)",
                 json_is_string(id) ? json_string_value(id) : "?",
                 json_is_string(host) ? json_string_value(host) : "?");
        snprintf(addr, addrlen, "%.*s", alen < 63 ? alen : 63, as);
        return 0;
    }
    return -1;
}

int dsvc_swarm_leader(struct dkr *d, char *node, size_t nodelen, char *addr,
                      size_t addrlen, char *err, size_t errlen)
{
    json_t *nodes = NULL;
    /* {"role":["manager"]} */
    if (dkr_json(d, "GET",
                 "/nodes?filters=%7B%22role%22%3A%5B%22manager%22%5D%7D", NULL,
                 &nodes, NULL, err, errlen))
        return -1;
    int rc = dsvc_parse_leader(nodes, node, nodelen, addr, addrlen);
    if (rc)
        snprintf(err, errlen, "the engine names no leading manager");
    json_decref(nodes);
    return rc;
}

/* GET /services read service by service (dkr_json_each): 10,000
 * services are ~10 MB of JSON, never held whole. */
struct dsvc_reader {
    struct dsvc_list *out;
    size_t cap;
};

/* One element of the listing: a service that cannot be read (no ID, no
 * name: no service a policy could name) is counted and left out; the
 * others are kept. */
static int dsvc_each(const json_t *s, size_t i, void *ctx)
{
    struct dsvc_reader *r = ctx;
    if (r->out->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->out->v = xrealloc(r->out->v, r->cap * sizeof *r->out->v);
    }
    char e[160];
    if (dsvc_parse_service(s, &r->out->v[r->out->n], e, sizeof e)) {
        if (r->out->skipped++ == 0)
            snprintf(r->out->skip_why, sizeof r->out->skip_why,
                     "element %zu: %s", i, e);
        return 0;
    }
    r->out->n++;
    return 0;
}

int dsvc_parse_list(const json_t *arr, struct dsvc_list *out, char *err,
                    size_t errlen)
{
    struct dsvc_reader r = {out, 0};
    memset(out, 0, sizeof *out);
    if (!json_is_array(arr)) {
        snprintf(err, errlen, "GET /services: expected a JSON array");
        return -1;
    }
    /* the element reader of the live listing (dsvc_list), on a tree */
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (dsvc_each(json_array_get(arr, i), i, &r)) {
            dsvc_list_free(out);
            return -1;
        }
    return 0;
}

int dsvc_list(struct dkr *d, struct dsvc_list *out, char *err, size_t errlen)
{
    struct dsvc_reader r = {out, 0};
    memset(out, 0, sizeof *out);
    if (dkr_json_each(d, "/services", DSVC_MAX_SERVICE_BYTES, dsvc_each, &r,
                      err, errlen)) {
        dsvc_list_free(out);
        return -1;
    }
    return 0;
}

/* Percent-encodes an id for a path segment (ids are [a-z0-9] already; this
 * keeps a hostile value from changing the path). */
static int path_id(const char *id, char *out, size_t outlen, char *err,
                   size_t errlen)
{
    size_t n = strlen(id);
    if (n == 0 || n >= DSVC_ID_MAX) {
        snprintf(err, errlen, "bad service id (empty or too long)");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok) {
            char q[96];
            snprintf(err, errlen,
                     "bad service id %s: letters, digits, "
                     "'_', '.' and '-' only",
                     log_quote(id, q, sizeof q));
            return -1;
        }
    }
    snprintf(out, outlen, "%s", id);
    return 0;
}

#define DSVC_SCALE_ATTEMPTS 3

int dsvc_scale(struct dkr *d, const char *id, long replicas, long expect_from,
               const struct dsvc_guard *guard, long *from, char *err,
               size_t errlen)
{
    return dsvc_scale_labeled(d, id, replicas, expect_from, NULL, 0, guard,
                              from, err, errlen);
}

/* Sets labels[0..n) in spec's Labels (made when missing). */
static int spec_set_labels(json_t *spec, const struct dsvc_set_label *labels,
                           size_t n, char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    json_t *l = json_object_get(spec, "Labels");
    if (!json_is_object(l)) {
        l = json_object();
        if (json_object_set_new(spec, "Labels", l)) {
            snprintf(err, errlen, "could not add Labels to the service spec");
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (json_object_set_new(l, labels[i].key,
                                json_string(labels[i].value))) {
            snprintf(err, errlen, "label %s: not UTF-8", labels[i].key);
            return -1;
        }
    return 0;
}

int dsvc_scale_labeled(struct dkr *d, const char *id, long replicas,
                       long expect_from, const struct dsvc_set_label *labels,
                       size_t nlabels, const struct dsvc_guard *guard,
                       long *from, char *err, size_t errlen)
{
    char sid[DSVC_ID_MAX], path[160];
    int rc = -1;
    if (path_id(id, sid, sizeof sid, err, errlen))
        return -1;
    for (int attempt = 1; attempt <= DSVC_SCALE_ATTEMPTS; attempt++) {
        json_t *svc = NULL;
        char *body = NULL;
        long status = 0, before = 0;
        snprintf(path, sizeof path, "/services/%s", sid);
        if (dkr_json(d, "GET", path, NULL, &svc, NULL, err, errlen))
            return -1;
        json_t *spec = json_object_get(svc, "Spec");
        const json_t *ver =
            json_object_get(json_object_get(svc, "Version"), "Index");
        if (!json_is_object(spec) || !json_is_integer(ver)) {
            snprintf(err, errlen, "GET %s: no Spec or Version.Index", path);
            json_decref(svc);
            return -1;
        }
        json_int_t version = json_integer_value(ver);
        if (dsvc_spec_set_replicas(spec, replicas, &before, err, errlen) ||
            spec_set_labels(spec, labels, nlabels, err, errlen)) {
            json_decref(svc);
            return -1;
        }
        if (from)
            *from = before;
        if (expect_from >= 0 && before != expect_from) {
            snprintf(err, errlen,
                     "service has %ld replicas now, not %ld: "
                     "it was scaled meanwhile; left as it is",
                     before, expect_from);
            json_decref(svc);
            return -1;
        }
        body = json_dumps(spec, JSON_COMPACT);
        json_decref(svc);
        if (!body) {
            snprintf(err, errlen, "could not encode the service spec");
            return -1;
        }
        /* last: nothing between this and the POST can wait on anything */
        if (guard && guard->check(guard->arg, err, errlen)) {
            free(body);
            return DSVC_DROPPED;
        }
        snprintf(path, sizeof path, "/services/%s/update?version=%lld", sid,
                 (long long)version);
        json_t *resp = NULL;
        rc = dkr_json(d, "POST", path, body, &resp, &status, err, errlen);
        free(body);
        json_decref(resp);
        if (rc == 0)
            return 0;
        /* someone else updated the service between our read and write */
        if (status == 500 && strstr(err, "update out of sequence") &&
            attempt < DSVC_SCALE_ATTEMPTS) {
            log_info("update out of sequence: another writer changed the "
                     "service; reading it again",
                     "service=%s attempt=%d", sid, attempt);
            continue;
        }
        return -1;
    }
    return rc;
}

int dsvc_leader(struct dkr *d, bool *leader, char *why, size_t whylen,
                char *err, size_t errlen)
{
    struct dkr_info info;
    char path[160], sid[DSVC_ID_MAX];
    *leader = false;
    memset(&info, 0, sizeof info);
    if (dkr_info(d, &info, err, errlen))
        return -1;
    int rc = 0;
    if (!info.node_id || !info.node_id[0] || !info.local_node_state ||
        strcmp(info.local_node_state, "active") != 0) {
        snprintf(why, whylen, "not in a swarm (state %s)",
                 info.local_node_state && info.local_node_state[0]
                     ? info.local_node_state
                     : "inactive");
        goto out;
    }
    if (!info.control_available) {
        snprintf(why, whylen, "node %.32s: worker", info.node_id);
        goto out;
    }
    if (path_id(info.node_id, sid, sizeof sid, err, errlen)) {
        rc = -1;
        goto out;
    }
    snprintf(path, sizeof path, "/nodes/%s", sid);
    json_t *node = NULL;
    if (dkr_json(d, "GET", path, NULL, &node, NULL, err, errlen)) {
        rc = -1;
        goto out;
    }
    *leader = dsvc_parse_node_leader(node);
    json_decref(node);
    snprintf(why, whylen, "node %.32s: %s", info.node_id,
             *leader ? "leader" : "manager, not the leader");
out:
    dkr_info_cleanup(&info);
    return rc;
}
