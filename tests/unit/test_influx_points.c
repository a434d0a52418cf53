/* influx_points: the points statement and its streaming reader into das
 * run's cache, and a service's recorded load (das simulate --service).
 * Against a real influxd: test_influx's test_live_points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>

#include "buf.h"
#include "influx.h"
#include "influx_fixture.h"
#include "log.h"
#include "pcache.h"

/* ---- recent points (das run's cache) ---- */

static void test_points_statement_and_parse(void **state)
{
    (void)state;
    char err[512];
    struct buf q;
    buf_init(&q, 4096);
    assert_int_equal(infl_points_statement("cpu_ratio", 1700000000000LL, &q,
                                           err, sizeof err),
                     0);
    assert_string_equal(q.ptr, "SELECT \"cpu_ratio\", \"service\", "
                               "\"container\" FROM \"docker\" WHERE "
                               "\"service\" != '' AND time >= "
                               "1700000000000ms");
    buf_reset(&q);
    assert_int_equal(infl_points_statement("cpu\"x", 0, &q, err, sizeof err),
                     -1);
    buf_cleanup(&q);

    /* two chunks; a point of other fields only (null) is none of this
     * field's; a value that is no number marks its window */
    const char *body =
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"docker\","
        "\"columns\":[\"time\",\"cpu_ratio\",\"service\",\"container\"],"
        "\"values\":[[1000,12.5,\"s1\",\"0123456789ab\"],"
        "[2000,null,\"s1\",\"0123456789ab\"],"
        "[3000,\"x\",\"s1\",\"bbbbbbbbbbbb\"]]}],\"partial\":true}]}\n"
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"docker\","
        "\"columns\":[\"time\",\"cpu_ratio\",\"service\",\"container\"],"
        "\"values\":[[4000,14,\"s1\",\"0123456789ab\"]]}]}]}\n";
    struct pcache pc;
    size_t got = 0;
    pc_init(&pc, 0);
    assert_int_equal(infl_points_parse("cpu_ratio", body, strlen(body), &pc,
                                       &got, err, sizeof err),
                     0);
    assert_int_equal(got, 3);
    assert_int_equal(pc.n, 2);
    assert_int_equal(pc.points, 3);
    pc_free(&pc);

    /* a zeroed cache (as mstore.c keeps one a field) has the default
     * caps, not none */
    struct pcache z;
    memset(&z, 0, sizeof z);
    assert_int_equal(infl_points_parse("cpu_ratio", body, strlen(body), &z,
                                       &got, err, sizeof err),
                     0);
    assert_int_equal(z.points, 3);
    pc_free(&z);

    /* a reply past the cache's cap fails and says what is kept (the
     * default: PC_MAX_BYTES, every field's cache together); the cache
     * stops within one point of it */
    pc_init(&pc, 0);
    assert_int_equal(pc.max_bytes, PC_MAX_BYTES);
    assert_int_equal(infl_points_parse("cpu_ratio", body, strlen(body), &pc,
                                       &got, err, sizeof err),
                     0);
    size_t whole = pc_bytes(&pc);
    pc_free(&pc);
    pc_init(&pc, 0);
    pc.max_bytes = whole - 1;
    err[0] = '\0';
    assert_int_equal(infl_points_parse("cpu_ratio", body, strlen(body), &pc,
                                       &got, err, sizeof err),
                     -1);
    if (!strstr(err, "cpu_ratio: the points das keeps reached their cap") ||
        !strstr(err, "held for this field; every field's together may take "
                     "128 MiB)") ||
        !strstr(err, "this field's policies get no decision"))
        fail_msg("cap: %s", err);
    assert_int_equal(pc.points, 2); /* the third would pass it */
    pc_free(&pc);

    /* a reply cut after a partial chunk, an error, columns missing */
    const struct {
        const char *body, *says;
    } bad[] = {
        {"{\"results\":[{\"statement_id\":0,\"partial\":true}]}\n",
         "result cut short"},
        {"{\"results\":[{\"statement_id\":0,\"error\":\"\"}]}\n",
         "an error without text"},
        {"{\"results\":[{\"statement_id\":0,\"error\":\"not executed\"}]}",
         "not executed (does the database exist?)"},
        {"{\"error\":\"authorization failed\"}", "authorization failed"},
        {"{\"results\":[{\"statement_id\":0,\"series\":[{\"columns\":"
         "[\"time\",\"cpu_ratio\"],\"values\":[[1,2]]}]}]}",
         "columns time, cpu_ratio, service and container expected"},
        {"", "answered no statement"},
        {"{\"results\":[{\"statement_id\":1}]}", "a result of no statement"},
        {"not json\n", "bad JSON from InfluxDB"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pc_init(&pc, 0);
        err[0] = '\0';
        assert_int_equal(infl_points_parse("cpu_ratio", bad[i].body,
                                           strlen(bad[i].body), &pc, &got, err,
                                           sizeof err),
                         -1);
        if (!strstr(err, bad[i].says))
            fail_msg("case %zu: \"%s\" not in \"%s\"", i, bad[i].says, err);
        pc_free(&pc);
    }
}

/* das simulate --service: a service's load per interval, one statement */
static void test_demand(void **state)
{
    (void)state;
    struct buf b;
    char err[256];
    buf_init(&b, 4096);
    assert_int_equal(infl_demand_statement("cpu_ratio", "k3x9'x", 1000, 61000,
                                           10000, &b, err, sizeof err),
                     0);
    assert_string_equal(
        b.ptr, "SELECT sum(\"v\") FROM (SELECT mean(\"cpu_ratio\") AS \"v\" "
               "FROM \"docker\" WHERE \"service\" = 'k3x9\\'x' AND time >= "
               "1000ms AND time < 61000ms GROUP BY time(10000ms), "
               "\"container\" fill(none)) WHERE time >= 1000ms AND time < "
               "61000ms GROUP BY time(10000ms) fill(none)");
    buf_reset(&b);
    assert_int_equal(
        infl_demand_statement("cpu ratio", "s", 0, 1, 1, &b, err, sizeof err),
        -1);
    assert_int_equal(
        infl_demand_statement("cpu_ratio", "s", 10, 10, 1, &b, err, sizeof err),
        -1);
    assert_string_equal(err, "bad span [10, 10) ms every 1 ms");
    assert_int_equal(infl_demand_statement("cpu_ratio", "a\x01", 0, 10, 1, &b,
                                           err, sizeof err),
                     -1);
    buf_cleanup(&b);

    json_t *root;
    struct infl_sample *v;
    size_t n;
    assert_int_equal(parse_fixture("demand.json", 200, &root, err, sizeof err),
                     0);
    assert_int_equal(infl_demand_parse(root, &v, &n, err, sizeof err), 0);
    json_decref(root);
    assert_int_equal(n, 6);
    assert_int_equal(v[0].t_ms, 1700000000000LL);
    assert_true(v[0].value == 30.75); /* 10.5 + 20.25 */
    assert_int_equal(v[5].t_ms, 1700000050000LL);
    assert_true(v[5].value == 40.75);
    free(v);
    assert_int_equal(
        parse_fixture("demand_empty.json", 200, &root, err, sizeof err), 0);
    assert_int_equal(infl_demand_parse(root, &v, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    free(v);
    json_decref(root);
    /* nulls are gaps; times going back are refused */
    json_error_t je;
    root = json_loads("{\"results\":[{\"series\":[{\"values\":[[1000,1],"
                      "[2000,null],[3000,3]]}]}]}",
                      0, &je);
    assert_int_equal(infl_demand_parse(root, &v, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[1].t_ms, 3000);
    free(v);
    json_decref(root);
    root = json_loads("{\"results\":[{\"series\":[{\"values\":[[3000,1],"
                      "[2000,2]]}]}]}",
                      0, &je);
    assert_int_equal(infl_demand_parse(root, &v, &n, err, sizeof err), -1);
    assert_string_equal(err, "InfluxDB's intervals are out of order");
    json_decref(root);
}

int main(void)
{
    log_setup("test", LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_points_statement_and_parse),
        cmocka_unit_test(test_demand),
    };
    return cmocka_run_group_tests_name("influx_points", tests, NULL, NULL);
}
