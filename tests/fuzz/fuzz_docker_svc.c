/* libFuzzer target: the Engine API parsers of swarm services and nodes
 * (dsvc_parse_list, dsvc_parse_service, dsvc_parse_node_leader) and
 * dsvc_spec_set_replicas, on any JSON document (GET /services,
 * GET /services/{id}, GET /nodes/{id} replies). Invariants besides memory
 * safety: a listing that is an array parses, each element into a service
 * or counted as skipped (with the first one's fault), else not at all; a
 * parsed service has an id, NUL-terminated strings, and replicas ≥ 0
 * exactly when it is scalable (no reason it is not: global, a job, a mode
 * not known here), a global service or a job never scalable; "updating"
 * only with an update state; a spec
 * whose replicas were set holds that number afterwards and nothing else of
 * it changed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker_svc.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_msg(const char *err, size_t cap)
{
    size_t len = strnlen(err, cap);
    if (len == 0 || len == cap)
        abort();
}

static void check_service(const struct dsvc *s)
{
    if (!memchr(s->id, '\0', sizeof s->id) || !s->id[0] ||
        !memchr(s->name, '\0', sizeof s->name) ||
        !memchr(s->update_state, '\0', sizeof s->update_state))
        abort();
    if ((s->replicas >= 0) != !s->unscalable)
        abort();
    if ((s->global || s->job) && !s->unscalable)
        abort();
    if (s->replicas < -1)
        abort();
    if (s->updating && !s->update_state[0])
        abort();
}

static void one_service(const json_t *obj)
{
    struct dsvc s;
    char err[256] = "";
    if (dsvc_parse_service(obj, &s, err, sizeof err) == 0) {
        check_service(&s);
        dsvc_free(&s);
    } else
        check_msg(err, sizeof err);
}

static void set_replicas(const json_t *spec, long replicas)
{
    json_t *copy = json_deep_copy(spec);
    char err[256] = "";
    long from = 0;
    if (!copy)
        return;
    json_t *orig_r = json_object_get(
        json_object_get(json_object_get(spec, "Mode"), "Replicated"),
        "Replicas");
    if (dsvc_spec_set_replicas(copy, replicas, &from, err, sizeof err) == 0) {
        const json_t *r = json_object_get(
            json_object_get(json_object_get(copy, "Mode"), "Replicated"),
            "Replicas");
        if (replicas < 0 || !json_is_integer(r) ||
            json_integer_value(r) != replicas)
            abort();
        /* *from: what the spec had (0 when Docker left it out) */
        if (from !=
            (json_is_integer(orig_r) ? (long)json_integer_value(orig_r) : 0))
            abort();
        /* put the old value back: the rest of the spec is unchanged */
        json_t *repl =
            json_object_get(json_object_get(copy, "Mode"), "Replicated");
        if (orig_r)
            json_object_set(repl, "Replicas", orig_r);
        else
            json_object_del(repl, "Replicas");
        if (!json_equal(copy, spec))
            abort();
    } else {
        check_msg(err, sizeof err);
    }
    json_decref(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)d, n, JSON_DECODE_ANY, &je);
    if (!j)
        return 0;
    long replicas = n ? (long)d[n - 1] - 8 : 3; /* sometimes negative */

    struct dsvc_list l;
    char err[256] = "";
    if (dsvc_parse_list(j, &l, err, sizeof err) == 0) {
        if (l.n + l.skipped != json_array_size(j) || (l.n && !l.v) ||
            (l.skipped && !l.skip_why[0]) ||
            !memchr(l.skip_why, '\0', sizeof l.skip_why))
            abort();
        for (size_t i = 0; i < l.n; i++)
            check_service(&l.v[i]);
        dsvc_list_free(&l);
    } else {
        check_msg(err, sizeof err);
        if (l.v || l.n)
            abort();
    }
    /* each element, and the document itself, as one service */
    for (size_t i = 0; i < json_array_size(j) && i < 8; i++) {
        const json_t *e = json_array_get(j, i);
        one_service(e);
        (void)dsvc_parse_node_leader(e);
        set_replicas(json_object_get(e, "Spec"), replicas);
    }
    one_service(j);
    (void)dsvc_parse_node_leader(j);
    set_replicas(json_object_get(j, "Spec"), replicas);
    set_replicas(j, replicas);
    json_decref(j);
    return 0;
}
