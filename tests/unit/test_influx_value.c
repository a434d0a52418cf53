/* A query metric read from InfluxDB: the window put into the operator's
 * InfluxQL, and the one series read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "buf.h"
#include "influx.h"
#include "qwin.h"

static void test_influxql_window(void **state)
{
    struct buf b;
    char err[300] = "";
    (void)state;
    buf_init(&b, 4096);
    assert_int_equal(
        qwin_influxql("  select max(\"queue\") FROM \"app\" WHERE $timeFilter "
                      "GROUP BY time($interval) fill(none)",
                      1000, 61000, 1000, &b, err, sizeof err),
        0);
    assert_string_equal(b.ptr, "select max(\"queue\") FROM \"app\" WHERE "
                               "time >= 1000ms AND time <= 61000ms GROUP BY "
                               "time(1000ms) fill(none)");
    buf_cleanup(&b);
    buf_init(&b, 4096);
    assert_int_equal(
        qwin_influxql("DROP MEASUREMENT app", 0, 1, 1, &b, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "one SELECT"));
    assert_int_equal(
        qwin_influxql("SELECT max(q) FROM app", 0, 1, 1, &b, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "needs $timeFilter"));
    buf_cleanup(&b);
    buf_init(&b, 40);
    assert_int_equal(qwin_influxql("SELECT x FROM y WHERE $timeFilter", 0,
                                   1000000000000, 1, &b, err, sizeof err),
                     -1);
    assert_string_equal(err, "the InfluxQL query is too long");
    buf_cleanup(&b);
}

static int parse(const char *text, struct qwin_sample **v, size_t *n, char *err,
                 size_t errlen)
{
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    assert_non_null(root);
    int rc = infl_value_parse(root, v, n, err, errlen);
    json_decref(root);
    return rc;
}

static void test_value_parse(void **state)
{
    struct qwin_sample *v = NULL;
    size_t n = 0;
    char err[300] = "";
    (void)state;
    assert_int_equal(parse("{\"results\":[{\"statement_id\":0,\"series\":[{"
                           "\"name\":\"app\",\"columns\":[\"time\",\"max\"],"
                           "\"values\":[[1000,3],[2000,null],[3000,4.5]]}]}]}",
                           &v, &n, err, sizeof err),
                     0);
    assert_int_equal(n, 2); /* the null is no sample */
    assert_int_equal(v[1].t_ms, 3000);
    assert_true(v[1].v == 4.5);
    free(v);
    const struct {
        const char *body, *want;
    } bad[] = {
        {"{\"results\":[{\"statement_id\":0}]}",
         "no series: the query matched nothing"},
        {"{\"results\":[{\"series\":[{\"columns\":[\"time\",\"v\"],"
         "\"values\":[]},{\"columns\":[\"time\",\"v\"],\"values\":[]}]}]}",
         "2 series where one was expected: aggregate them (no GROUP BY a "
         "tag)"},
        {"{\"results\":[{\"series\":[{\"columns\":[\"time\",\"a\",\"b\"],"
         "\"values\":[]}]}]}",
         "3 columns: select one value (time and one field or aggregate)"},
        {"{\"results\":[{\"series\":[{\"columns\":[\"time\",\"v\"],"
         "\"values\":[[2000,1],[1000,2]]}]}]}",
         "row 2 is not [epoch ms, number] in time order"},
        {"{\"results\":[{\"series\":[{\"columns\":[\"time\",\"v\"],"
         "\"values\":[[1000,\"x\"]]}]}]}",
         "row 1 is not [epoch ms, number] in time order"},
        {"{\"results\":[]}", "0 statement results where one was expected"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = NULL;
        assert_int_equal(parse(bad[i].body, &v, &n, err, sizeof err), -1);
        assert_null(v);
        assert_string_equal(err, bad[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_influxql_window),
        cmocka_unit_test(test_value_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
