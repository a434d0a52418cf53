/* docker_svc: parsing recorded GET /services, /services/{id} and
 * /nodes/{id} replies of dockerd 20.10 (tests/fixtures/swarm), resolving
 * service references, and setting replicas in a full spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "docker_svc.h"

static json_t *load(const char *name)
{
    char path[512];
    json_error_t je;
    snprintf(path, sizeof path, "%s/swarm/%s", FIXTURES, name);
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        fail_msg("%s:%d: %s", path, je.line, je.text);
    return j;
}

static const struct dsvc *by_name(const struct dsvc_list *l, const char *n)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].name, n))
            return &l->v[i];
    return NULL;
}

static void test_parse_services(void **state)
{
    (void)state;
    json_t *j = load("services.json");
    struct dsvc_list l;
    char err[256];
    assert_int_equal(dsvc_parse_list(j, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 3);

    const struct dsvc *web = by_name(&l, "web");
    assert_non_null(web);
    assert_string_equal(web->id, "pc0q5jo4pwyhgr3pnphxe7w7m");
    assert_false(web->global);
    assert_int_equal(web->replicas, 2);
    assert_int_equal(web->version, 23);
    assert_true(web->updating); /* recorded mid rolling update */
    assert_string_equal(web->update_state, "updating");
    /* 2026-11-27T19:37:35.678714967Z; the previous spec had 2 replicas */
    assert_int_equal(web->updated_ms, 1795808255678LL);
    assert_int_equal(web->prev_replicas, 2);

    const struct dsvc *glob = by_name(&l, "glob");
    assert_non_null(glob);
    assert_true(glob->global);
    assert_int_equal(glob->replicas, -1);
    assert_false(glob->updating);

    const struct dsvc *web2 = by_name(&l, "web2");
    assert_non_null(web2);
    assert_int_equal(web2->replicas, 0);
    assert_false(web2->updating);
    assert_string_equal(web2->update_state, "");
    assert_int_equal(web2->prev_replicas, -1); /* never updated */

    dsvc_list_free(&l);
    json_decref(j);
}

/* Spec.Labels: those starting with "das." are kept (a label policy), the
 * others left; long values flagged, at most DSVC_LABELS_MAX kept. */
static void test_parse_labels(void **state)
{
    (void)state;
    json_t *j = load("service_web.json");
    json_t *spec = json_object_get(j, "Spec");
    char longv[200];
    memset(longv, '7', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    json_object_set_new(spec, "Labels",
                        json_pack("{s:s, s:s, s:s, s:s}", "das.max_no", "5",
                                  "com.docker.stack.namespace", "app",
                                  "das.out_cond", longv, "das.in_cond", ""));
    struct dsvc s;
    char err[256];
    assert_int_equal(dsvc_parse_service(j, &s, err, sizeof err), 0);
    assert_int_equal(s.nlabels, 3);
    bool seen[3] = {false, false, false};
    for (size_t i = 0; i < s.nlabels; i++) {
        const struct dsvc_label *l = &s.labels[i];
        if (!strcmp(l->key, "das.max_no")) {
            assert_string_equal(l->value, "5");
            assert_false(l->cut);
            seen[0] = true;
        } else if (!strcmp(l->key, "das.out_cond")) {
            assert_true(l->cut);
            seen[1] = true;
        } else if (!strcmp(l->key, "das.in_cond")) {
            assert_string_equal(l->value, "");
            assert_false(l->cut);
            seen[2] = true;
        } else {
            fail_msg("unexpected label %s", l->key);
        }
    }
    assert_true(seen[0] && seen[1] && seen[2]);
    dsvc_free(&s);
    assert_null(s.labels);

    /* no Labels, or null: none */
    json_object_del(spec, "Labels");
    assert_int_equal(dsvc_parse_service(j, &s, err, sizeof err), 0);
    assert_int_equal(s.nlabels, 0);
    json_object_set_new(spec, "Labels", json_null());
    assert_int_equal(dsvc_parse_service(j, &s, err, sizeof err), 0);
    assert_int_equal(s.nlabels, 0);

    /* more das.* labels than kept: the first DSVC_LABELS_MAX */
    json_t *many = json_object();
    for (int i = 0; i < 40; i++) {
        char k[32];
        snprintf(k, sizeof k, "das.x%d", i);
        json_object_set_new(many, k, json_string("1"));
    }
    json_object_set_new(spec, "Labels", many);
    assert_int_equal(dsvc_parse_service(j, &s, err, sizeof err), 0);
    assert_int_equal(s.nlabels, DSVC_LABELS_MAX);
    dsvc_free(&s);
    json_decref(j);
}

static void test_update_states(void **state)
{
    (void)state;
    const char *states[] = {"updating",        "paused",
                            "completed",       "rollback_started",
                            "rollback_paused", "rollback_completed"};
    const bool want[] = {true, true, false, true, true, false};
    for (size_t i = 0; i < 6; i++) {
        json_t *j = load("service_web.json");
        json_object_set_new(j, "UpdateStatus",
                            json_pack("{s:s}", "State", states[i]));
        struct dsvc s;
        char err[256];
        assert_int_equal(dsvc_parse_service(j, &s, err, sizeof err), 0);
        assert_int_equal(s.updating, want[i]);
        json_decref(j);
    }
}

static void test_parse_bad(void **state)
{
    (void)state;
    struct dsvc_list l;
    struct dsvc s;
    char err[256];
    json_t *j = json_loads("{\"ID\":\"x\"}", 0, NULL);
    assert_int_equal(dsvc_parse_list(j, &l, err, sizeof err), -1);
    assert_int_equal(dsvc_parse_service(j, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "Spec.Name"));
    json_decref(j);
    /* one service das cannot read, or cannot scale, costs the others
     * nothing (review: one mode of a newer engine failed the listing, and
     * with it every policy): a mode not known here is listed, not
     * scalable, saying why; an element with no ID is left out, counted */
    j = json_loads("[{\"ID\":\"abc\",\"Version\":{\"Index\":3},"
                   "\"Spec\":{\"Name\":\"n\",\"Mode\":{\"Weird\":{}}}},"
                   "{\"ID\":\"def\",\"Version\":{\"Index\":4},"
                   "\"Spec\":{\"Name\":\"m\",\"Mode\":{\"Replicated\":"
                   "{\"Replicas\":2}}}},"
                   "{\"Spec\":{\"Name\":\"noid\"}},"
                   "{\"ID\":\"ghi\",\"Version\":{\"Index\":5},"
                   "\"Spec\":{\"Name\":\"k\",\"Mode\":{\"Replicated\":"
                   "{\"Replicas\":-2}}}}]",
                   0, NULL);
    assert_int_equal(dsvc_parse_list(j, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].name, "n");
    assert_non_null(l.v[0].unscalable);
    assert_non_null(strstr(l.v[0].unscalable, "Spec.Mode"));
    assert_false(l.v[0].global || l.v[0].job);
    assert_string_equal(l.v[1].name, "m");
    assert_null(l.v[1].unscalable);
    assert_int_equal(l.v[1].replicas, 2);
    assert_string_equal(l.v[2].name, "k");
    assert_non_null(l.v[2].unscalable);
    assert_int_equal(l.v[2].replicas, -1);
    assert_int_equal(l.skipped, 1);
    assert_non_null(strstr(l.skip_why, "element 2: "));
    assert_non_null(strstr(l.skip_why, "\"ID\""));
    dsvc_list_free(&l);
    json_decref(j);
    /* a job is not scalable */
    j = json_loads("{\"ID\":\"abc\",\"Version\":{\"Index\":3},"
                   "\"Spec\":{\"Name\":\"n\",\"Mode\":{\"ReplicatedJob\":{}}}}",
                   0, NULL);
    assert_int_equal(dsvc_parse_service(j, &s, err, sizeof err), 0);
    assert_true(s.job);
    assert_string_equal(s.unscalable, "a replicated job: runs to completion");
    json_decref(j);
    j = json_loads("[]", 0, NULL);
    assert_int_equal(dsvc_parse_list(j, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 0);
    dsvc_list_free(&l);
    json_decref(j);
}

static void add(struct dsvc_list *l, const char *id, const char *name)
{
    l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    snprintf(l->v[l->n].id, sizeof l->v[l->n].id, "%s", id);
    snprintf(l->v[l->n].name, sizeof l->v[l->n].name, "%s", name);
    l->n++;
}

static void test_resolve(void **state)
{
    (void)state;
    struct dsvc_list l = {0};
    add(&l, "pc0q5jo4pwyhgr3pnphxe7w7m", "web");
    add(&l, "pc0zzzzzzzzzzzzzzzzzzzzzz", "api");
    add(&l, "mvhutq5ee66c73rqhkdcopria", "pc0q"); /* name = a prefix */
    char err[256];
    bool amb;
    const struct dsvc *s;

    s = dsvc_resolve(&l, "pc0q5jo4pwyhgr3pnphxe7w7m", &amb, err, sizeof err);
    assert_non_null(s);
    assert_string_equal(s->name, "web");
    s = dsvc_resolve(&l, "api", &amb, err, sizeof err);
    assert_non_null(s);
    assert_string_equal(s->id, "pc0zzzzzzzzzzzzzzzzzzzzzz");
    /* exact name wins over an id prefix, as in Docker */
    s = dsvc_resolve(&l, "pc0q", &amb, err, sizeof err);
    assert_non_null(s);
    assert_string_equal(s->id, "mvhutq5ee66c73rqhkdcopria");
    /* unique prefix */
    s = dsvc_resolve(&l, "pc0q5j", &amb, err, sizeof err);
    assert_non_null(s);
    assert_string_equal(s->name, "web");
    s = dsvc_resolve(&l, "mvh", &amb, err, sizeof err);
    assert_non_null(s);
    /* ambiguous prefix */
    s = dsvc_resolve(&l, "pc0", &amb, err, sizeof err);
    assert_null(s);
    assert_true(amb);
    assert_non_null(strstr(err, "matches 2 services"));
    assert_non_null(strstr(err, "web"));
    assert_non_null(strstr(err, "api"));
    /* missing */
    s = dsvc_resolve(&l, "nosuch", &amb, err, sizeof err);
    assert_null(s);
    assert_false(amb);
    assert_non_null(strstr(err, "no service"));
    s = dsvc_resolve(&l, "", &amb, err, sizeof err);
    assert_null(s);
    /* hostile values simply match nothing */
    s = dsvc_resolve(&l, "x' or '1'='1", &amb, err, sizeof err);
    assert_null(s);
    dsvc_list_free(&l);
}

static void test_set_replicas(void **state)
{
    (void)state;
    json_t *j = load("service_web.json");
    json_t *spec = json_object_get(j, "Spec");
    char *before = json_dumps(spec, JSON_SORT_KEYS);
    long from = -1;
    char err[256];
    assert_int_equal(dsvc_spec_set_replicas(spec, 5, &from, err, sizeof err),
                     0);
    assert_int_equal(from, 2);
    assert_int_equal(
        json_integer_value(json_object_get(
            json_object_get(json_object_get(spec, "Mode"), "Replicated"),
            "Replicas")),
        5);
    /* everything else is kept: setting it back gives the same spec */
    assert_int_equal(dsvc_spec_set_replicas(spec, 2, &from, err, sizeof err),
                     0);
    char *after = json_dumps(spec, JSON_SORT_KEYS);
    assert_string_equal(before, after);
    assert_non_null(strstr(after, "TaskTemplate"));
    free(before);
    free(after);
    assert_int_equal(dsvc_spec_set_replicas(spec, -1, &from, err, sizeof err),
                     -1);
    json_decref(j);

    /* global mode is refused */
    j = json_loads("{\"Mode\":{\"Global\":{}}}", 0, NULL);
    assert_int_equal(dsvc_spec_set_replicas(j, 3, &from, err, sizeof err), -1);
    assert_non_null(strstr(err, "replicated"));
    json_decref(j);
}

static void test_node_leader(void **state)
{
    (void)state;
    json_t *j = load("node_leader.json");
    assert_true(dsvc_parse_node_leader(j));
    json_object_set_new(json_object_get(j, "ManagerStatus"), "Leader",
                        json_false());
    assert_false(dsvc_parse_node_leader(j));
    json_object_del(j, "ManagerStatus"); /* a worker */
    assert_false(dsvc_parse_node_leader(j));
    json_decref(j);
}

static void test_swarm_leader(void **state)
{
    (void)state;
    char node[96], addr[64];
    json_t *arr = json_array();
    json_t *lead = load("node_leader.json");
    json_t *other = json_deep_copy(lead);
    json_object_set_new(json_object_get(other, "ManagerStatus"), "Leader",
                        json_false());
    json_array_append_new(arr, other);
    assert_int_equal(
        dsvc_parse_leader(arr, node, sizeof node, addr, sizeof addr), -1);
    json_array_append_new(arr, lead);
    assert_int_equal(
        dsvc_parse_leader(arr, node, sizeof node, addr, sizeof addr), 0);
    assert_string_equal(node, "node iuddhoeshnw5rot8ajzbwbqga (vm)");
    assert_string_equal(addr, "127.0.0.1");
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_services),
        cmocka_unit_test(test_swarm_leader),
        cmocka_unit_test(test_parse_labels),
        cmocka_unit_test(test_update_states),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_set_replicas),
        cmocka_unit_test(test_node_leader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
