/* prom: the PromQL das sends (escaping), the replies it reads (bad ones
 * included) and the window aggregates it builds from raw samples. The
 * queries against a real Prometheus are in tests/integ/t_prometheus.sh. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"
#include "prom.h"
#include "qwin.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_quote(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 256);
    assert_int_equal(prom_quote("a\"b\\c\nd\te\r}", &b), 0);
    assert_string_equal(b.ptr, "\"a\\\"b\\\\c\\nd\\te\\r}\"");
    buf_reset(&b);
    assert_int_equal(prom_quote("", &b), 0);
    assert_string_equal(b.ptr, "\"\"");
    buf_reset(&b);
    assert_int_equal(prom_quote("bell\a", &b), -1);
    buf_cleanup(&b);
    buf_init(&b, 8);
    assert_int_equal(prom_quote("0123456789", &b), -1);
    buf_cleanup(&b);
}

static void test_selector(void **state)
{
    (void)state;
    struct buf b;
    char err[200];
    buf_init(&b, 4096);
    struct prom_matcher m[2] = {
        {"service", "!=", ""},
        {"service_name", "=", "web\"}[5m]) or vector(1"}};
    assert_int_equal(prom_selector("ds_container_cpu_usage_ratio", m, 1, 600000,
                                   &b, err, sizeof err),
                     0);
    assert_string_equal(
        b.ptr, "ds_container_cpu_usage_ratio{service!=\"\"}[600000ms]");
    buf_reset(&b);
    /* a value cannot end the string and inject PromQL */
    assert_int_equal(prom_selector("m", m, 2, 0, &b, err, sizeof err), 0);
    assert_string_equal(b.ptr, "m{service!=\"\",service_name=\"web\\\"}[5m]) "
                               "or vector(1\"}");
    buf_reset(&b);
    assert_int_equal(prom_selector("a-b", m, 1, 0, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "metric name \"a-b\""));
    struct prom_matcher bad[1] = {{"9x", "=", "v"}};
    assert_int_equal(prom_selector("m", bad, 1, 0, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "label name \"9x\""));
    struct prom_matcher badop[1] = {{"x", "==", "v"}};
    assert_int_equal(prom_selector("m", badop, 1, 0, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "operator \"==\""));
    struct prom_matcher ctl[1] = {{"x", "=", "a\x01"}};
    assert_int_equal(prom_selector("m", ctl, 1, 0, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "control byte"));
    buf_cleanup(&b);
}

static void test_cgroup_container(void **state)
{
    (void)state;
    char c[16];
    assert_true(prom_cgroup_container("/docker/" HEX64, c));
    assert_string_equal(c, "0123456789ab");
    assert_true(
        prom_cgroup_container("/system.slice/docker-" HEX64 ".scope", c));
    assert_string_equal(c, "0123456789ab");
    assert_false(prom_cgroup_container("/system.slice/docker.service", c));
    assert_false(prom_cgroup_container("/", c));
    assert_false(prom_cgroup_container("", c));
}

static void test_maps(void **state)
{
    (void)state;
    static const char *const fields[] = {"cpu_ratio",      "cpu_limit_ratio",
                                         "mem_usage",      "mem_limit",
                                         "mem_ratio",      "net_read",
                                         "net_write",      "blk_read",
                                         "blk_write",      "net_read_rate",
                                         "net_write_rate", "blk_read_rate",
                                         "blk_write_rate", "pids"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        assert_non_null(pol_metric_find(fields[i]));
        const struct prom_map *m = prom_map_find(PROM_NAMES_DS, fields[i]);
        assert_non_null(m);
        assert_non_null(m->metric);
        m = prom_map_find(PROM_NAMES_CADVISOR, fields[i]);
        assert_non_null(m);
        assert_true(m->metric || m->why_none);
    }
    assert_null(prom_map_find(PROM_NAMES_CADVISOR, "pids")->metric);
    assert_string_equal(prom_map_find(PROM_NAMES_CADVISOR, "cpu_ratio")->metric,
                        "container_cpu_usage_seconds_total");
    assert_null(prom_map_find(PROM_NAMES_DS, "nope"));
    assert_int_equal(prom_names_parse("ds"), PROM_NAMES_DS);
    assert_int_equal(prom_names_parse("cadvisor"), PROM_NAMES_CADVISOR);
    assert_int_equal(prom_names_parse("influx"), -1);
}

static int parse(enum prom_names names, long status, const char *body,
                 struct prom_series **s, size_t *n, unsigned long *unusable,
                 char *err)
{
    return prom_matrix_parse(names, status, body, strlen(body), s, n, unusable,
                             err, 300);
}

static void test_parse_good(void **state)
{
    (void)state;
    struct prom_series *s;
    size_t n;
    unsigned long unusable = 0;
    char err[300];
    const char *body =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
        "\"result\":["
        "{\"metric\":{\"__name__\":\"m\",\"service\":\"s2\",\"container\":"
        "\"" HEX64
        "\"},\"values\":[[100.5,\"1\"],[101,\"NaN\"],[102.25,\"3e2\"]]},"
        "{\"metric\":{\"service\":\"s1\",\"container\":\"aaaaaaaaaaaa\"},"
        "\"values\":[[100,\"7\"]]},"
        "{\"metric\":{\"container\":\"bbbbbbbbbbbb\"},\"values\":[[100,\"7\"]]}"
        ","
        "{\"metric\":{\"service\":\"s1\",\"container\":\"this-is-far-too-long"
        "-for-a-container\"},\"values\":[[100,\"7\"]]}"
        "]}}";
    assert_int_equal(parse(PROM_NAMES_DS, 200, body, &s, &n, &unusable, err),
                     0);
    assert_int_equal(n, 3);
    assert_int_equal(unusable, 2);
    /* sorted by service; s1's series with a container label too long is
     * kept empty, marked, so s1's policy can say its data was unusable */
    assert_string_equal(s[0].service, "s1");
    assert_int_equal(s[0].bad, WIN_BAD_KEY);
    assert_int_equal(s[0].n, 0);
    assert_string_equal(s[1].service, "s1");
    assert_int_equal(s[1].bad, WIN_OK);
    assert_string_equal(s[2].service, "s2");
    assert_string_equal(s[2].container, "0123456789ab");
    assert_int_equal(s[2].n, 2); /* NaN left out */
    assert_int_equal(s[2].t_ms[0], 100500);
    assert_int_equal(s[2].t_ms[1], 102250);
    assert_true(s[2].v[1] == 300.0);
    prom_series_free(s, n);

    /* cAdvisor: per-CPU series of one container summed at shared times */
    const char *cad =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
        "\"result\":["
        "{\"metric\":{\"container_label_com_docker_swarm_service_id\":\"sv\","
        "\"cpu\":\"cpu00\",\"id\":\"/docker/" HEX64 "\"},"
        "\"values\":[[10,\"1\"],[11,\"2\"],[12,\"3\"]]},"
        "{\"metric\":{\"container_label_com_docker_swarm_service_id\":\"sv\","
        "\"cpu\":\"cpu01\",\"id\":\"/docker/" HEX64 "\"},"
        "\"values\":[[11,\"10\"],[12,\"20\"]]},"
        "{\"metric\":{\"id\":\"/docker\"},\"values\":[[11,\"10\"]]}"
        "]}}";
    unusable = 0;
    assert_int_equal(
        parse(PROM_NAMES_CADVISOR, 200, cad, &s, &n, &unusable, err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(unusable, 1);
    assert_string_equal(s[0].service, "sv");
    assert_string_equal(s[0].container, "0123456789ab");
    assert_int_equal(s[0].n, 2);
    assert_true(s[0].v[0] == 12.0 && s[0].v[1] == 23.0);
    prom_series_free(s, n);

    /* one container from a target replaced by another (a ds on a new
     * address: the samples do not overlap): counted once, the series
     * with the latest sample, not summed */
    const char *moved =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
        "\"result\":["
        "{\"metric\":{\"instance\":\"a:1\",\"service\":\"s\",\"container\":"
        "\"c\"},\"values\":[[10,\"1\"],[20,\"2\"]]},"
        "{\"metric\":{\"instance\":\"b:2\",\"service\":\"s\",\"container\":"
        "\"c\"},\"values\":[[30,\"3\"],[40,\"4\"]]}"
        "]}}";
    unusable = 0;
    assert_int_equal(parse(PROM_NAMES_DS, 200, moved, &s, &n, &unusable, err),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(unusable, 0);
    assert_int_equal(s[0].bad, WIN_OK);
    assert_int_equal(s[0].n, 2);
    assert_true(s[0].v[0] == 3.0 && s[0].v[1] == 4.0);
    assert_string_equal(s[0].source, "?/b:2");
    prom_series_free(s, n);
}

/* The same container from two targets at once (issue 22: a second target
 * exposing a victim's series): neither is used, whichever came first or
 * has the latest sample, and both targets are named. */
static void test_parse_ambiguous(void **state)
{
    (void)state;
    struct prom_series *s;
    size_t n;
    unsigned long unusable = 0;
    char err[300];
#define SERIES(job, inst, ctr, vals)                                           \
    "{\"metric\":{\"job\":\"" job "\",\"instance\":\"" inst                    \
    "\",\"service\":\"s\",\"container\":\"" ctr "\"},\"values\":[" vals "]}"
#define REPLY(...)                                                             \
    "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","             \
    "\"result\":[" __VA_ARGS__ "]}}"
    /* the forged series first or last, later or not: the same outcome */
    const char *replies[] = {
        REPLY(SERIES("ds", "n1:9101", "c", "[10,\"5\"],[20,\"5\"]") "," SERIES(
            "evil", "x:1", "c",
            "[15,\"99\"],[25,\"99\"]") "," SERIES("ds", "n1:9101", "d",
                                                  "[10,"
                                                  "\"5\"]")),
        REPLY(SERIES("evil", "x:1", "c", "[10,\"99\"]") "," SERIES(
            "ds", "n1:9101", "c",
            "[10,\"5\"],[20,\"5\"]") "," SERIES("ds", "n1:9101", "d",
                                                "[10,"
                                                "\"5\"]")),
    };
    for (size_t i = 0; i < 2; i++) {
        unusable = 0;
        assert_int_equal(
            parse(PROM_NAMES_DS, 200, replies[i], &s, &n, &unusable, err), 0);
        assert_int_equal(n, 2);
        assert_int_equal(unusable, 1);
        assert_string_equal(s[0].container, "c");
        assert_int_equal(s[0].bad, WIN_BAD_DUPLICATE);
        assert_int_equal(s[0].n, 0);
        if (!strstr(s[0].source, "evil/x:1") ||
            !strstr(s[0].source, "ds/n1:9101") || !strstr(s[0].source, " and "))
            fail_msg("reply %zu: targets \"%s\"", i, s[0].source);
        /* the other container of the service is used as ever */
        assert_string_equal(s[1].container, "d");
        assert_int_equal(s[1].bad, WIN_OK);
        assert_int_equal(s[1].n, 1);

        /* its window: a row of the container, unusable, saying why */
        struct win_agg *w;
        size_t nw;
        unsigned long wu = 0;
        prom_windows_build(prom_map_find(PROM_NAMES_DS, "cpu_ratio"), s, n,
                           NULL, 0, NULL, 0, 0, 100000, &w, &nw, &wu);
        assert_int_equal(nw, 2);
        assert_string_equal(w[0].container, "c");
        assert_int_equal(w[0].bad, WIN_BAD_DUPLICATE);
        assert_int_equal(w[0].count, 0);
        assert_int_equal(w[1].bad, WIN_OK);
        assert_true(w[1].mean == 500.0);
        free(w);
        prom_series_free(s, n);
    }
    assert_non_null(strstr(win_bad_text(WIN_BAD_DUPLICATE),
                           "two Prometheus targets expose at once"));

    /* three targets: one row, still ambiguous */
    const char *three = REPLY(SERIES("a", "1", "c", "[10,\"1\"]") "," SERIES(
        "b", "2", "c", "[10,\"1\"]") "," SERIES("c", "3", "c", "[10,\"1\"]"));
    unusable = 0;
    assert_int_equal(parse(PROM_NAMES_DS, 200, three, &s, &n, &unusable, err),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].bad, WIN_BAD_DUPLICATE);
    assert_int_equal(unusable, 1);
    prom_series_free(s, n);
#undef SERIES
#undef REPLY

    /* cAdvisor: one CPU of a container from two targets makes the whole
     * container ambiguous, not a sum of the other CPUs */
    const char *cad =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
        "\"result\":["
        "{\"metric\":{\"container_label_com_docker_swarm_service_id\":\"sv\","
        "\"cpu\":\"cpu00\",\"instance\":\"a\",\"id\":\"/docker/" HEX64 "\"},"
        "\"values\":[[10,\"1\"],[11,\"2\"]]},"
        "{\"metric\":{\"container_label_com_docker_swarm_service_id\":\"sv\","
        "\"cpu\":\"cpu01\",\"instance\":\"a\",\"id\":\"/docker/" HEX64 "\"},"
        "\"values\":[[10,\"1\"],[11,\"2\"]]},"
        "{\"metric\":{\"container_label_com_docker_swarm_service_id\":\"sv\","
        "\"cpu\":\"cpu01\",\"instance\":\"b\",\"id\":\"/docker/" HEX64 "\"},"
        "\"values\":[[11,\"50\"]]}"
        "]}}";
    unusable = 0;
    assert_int_equal(
        parse(PROM_NAMES_CADVISOR, 200, cad, &s, &n, &unusable, err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(unusable, 1);
    assert_string_equal(s[0].container, "0123456789ab");
    assert_int_equal(s[0].bad, WIN_BAD_DUPLICATE);
    assert_int_equal(s[0].n, 0);
    prom_series_free(s, n);
}

/* A reply over the cap: das's own words, not the HTTP layer's. */
static void test_too_big_text(void **state)
{
    (void)state;
    char err[600];
    prom_too_big_text(PROM_MAX_BODY, err, sizeof err);
    if (!strstr(err, "the reply is over 8 MiB: das parses a Prometheus reply "
                     "whole (about 12 times its size in memory) and refuses "
                     "more to stay within its memory, so this field's "
                     "policies get no decision") ||
        !strstr(err, "raise --prometheus-max-reply with das's memory limit") ||
        !strstr(err, "read them from InfluxDB or the ds agents"))
        fail_msg("%s", err);
    assert_true(PROM_MAX_BODY * 12 < ((size_t)128 << 20));
}

static void test_parse_nothing(void **state)
{
    (void)state;
    struct prom_series *s;
    size_t n;
    char err[300];

    /* nothing matched: no rows, no error */
    assert_int_equal(parse(PROM_NAMES_DS, 200,
                           "{\"status\":\"success\",\"data\":{\"resultType\":"
                           "\"matrix\",\"result\":[]}}",
                           &s, &n, NULL, err),
                     0);
    assert_int_equal(n, 0);
    assert_null(s);
}

static void test_parse_bad(void **state)
{
    (void)state;
    struct prom_series *s;
    size_t n;
    char err[300];
    assert_int_equal(
        parse(PROM_NAMES_DS, 400,
              "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":"
              "\"1:5: parse error: unexpected \\\"}\\\"\"}",
              &s, &n, NULL, err),
        -1);
    assert_non_null(strstr(err, "HTTP 400"));
    assert_non_null(strstr(err, "bad_data: 1:5: parse error"));
    assert_null(s);

    assert_int_equal(
        parse(PROM_NAMES_DS, 502, "Bad Gateway\n", &s, &n, NULL, err), -1);
    assert_string_equal(err, "HTTP 502: Bad Gateway?");

    assert_int_equal(
        parse(PROM_NAMES_DS, 200, "{\"status\":\"succ", &s, &n, NULL, err), -1);
    assert_non_null(strstr(err, "not a JSON object"));

    assert_int_equal(parse(PROM_NAMES_DS, 200,
                           "{\"status\":\"success\",\"data\":{\"resultType\":"
                           "\"vector\",\"result\":[]}}",
                           &s, &n, NULL, err),
                     -1);
    assert_non_null(strstr(err, "expected data.resultType \"matrix\""));
    assert_non_null(strstr(err, "got \"vector\""));

    static const char *const bad_values[] = {
        "[[1,\"1\"],[2]]",           /* a pair of one */
        "[[1,\"1\"],[\"2\",\"1\"]]", /* time as a string */
        "[[1,1]]",                   /* value not a string */
        "[[1,\"x\"]]",               /* value not a number */
        "[[2,\"1\"],[1,\"1\"]]",     /* out of order */
        "[[-1,\"1\"]]",              /* before the epoch */
        "{}",                        /* not an array */
    };
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
                 "\"result\":[{\"metric\":{\"service\":\"s\",\"container\":"
                 "\"c\"},\"values\":%s}]}}",
                 bad_values[i]);
        unsigned long unusable = 0;
        int rc = parse(PROM_NAMES_DS, 200, body, &s, &n, &unusable, err);
        /* a result whose values das cannot use is counted, and kept as an
         * empty, marked series of its service (its policy says so); the
         * reply is not failed for it */
        bool last = i == sizeof bad_values / sizeof bad_values[0] - 1;
        assert_int_equal(rc, 0);
        assert_int_equal(unusable, 1);
        assert_int_equal(n, 1);
        assert_string_equal(s[0].service, "s");
        assert_int_equal(s[0].bad, last ? WIN_BAD_VALUE : WIN_BAD_SAMPLES);
        assert_int_equal(s[0].n, 0);
        prom_series_free(s, n);
    }
    /* one bad series does not cost the others: t's samples are used */
    static const char body2[] =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
        "\"result\":[{\"metric\":{\"service\":\"s\",\"container\":\"c\"},"
        "\"values\":[[1,\"x\"]]},{\"metric\":{\"service\":\"t\","
        "\"container\":\"d\"},\"values\":[[1,\"0.5\"],[2,\"0.7\"]]}]}}";
    unsigned long unusable = 0;
    assert_int_equal(parse(PROM_NAMES_DS, 200, body2, &s, &n, &unusable, err),
                     0);
    assert_int_equal(unusable, 1);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s[i].service, "s") == 0) {
            assert_int_equal(s[i].bad, WIN_BAD_SAMPLES);
            assert_int_equal(s[i].n, 0);
        } else {
            assert_string_equal(s[i].service, "t");
            assert_int_equal(s[i].bad, WIN_OK);
            assert_int_equal(s[i].n, 2);
            assert_true(s[i].v[1] == 0.7);
        }
    }
    prom_series_free(s, n);
    assert_string_equal(win_bad_text(WIN_BAD_SAMPLES),
                        "samples not a time-ordered list of [seconds, "
                        "\"value\"] pairs");
}

static struct prom_series mk(const char *svc, const char *ctr, size_t n,
                             const int64_t *t, const double *v)
{
    struct prom_series s;
    memset(&s, 0, sizeof s);
    snprintf(s.service, sizeof s.service, "%s", svc);
    snprintf(s.container, sizeof s.container, "%s", ctr);
    s.n = n;
    s.t_ms = (int64_t *)t;
    s.v = (double *)v;
    return s;
}

static void test_windows_gauge(void **state)
{
    (void)state;
    const struct prom_map *m = prom_map_find(PROM_NAMES_DS, "cpu_ratio");
    int64_t t[] = {9000, 10000, 20000, 30000, 40000};
    double v[] = {0.9, 0.5, 0.7, 0.3, 9.0};
    struct prom_series s = mk("svc", "c1", 5, t, v);
    struct win_agg *a;
    size_t n;
    unsigned long unusable = 0;
    /* [10 s, 40 s): 40 s and 9 s are outside */
    prom_windows_build(m, &s, 1, NULL, 0, NULL, 0, 10000, 40000, &a, &n,
                       &unusable);
    assert_int_equal(n, 1);
    assert_int_equal(a[0].count, 3);
    assert_true(fabs(a[0].mean - 50.0) < 1e-9);
    assert_true(fabs(a[0].max - 70.0) < 1e-9);
    assert_true(fabs(a[0].last - 30.0) < 1e-9);
    assert_int_equal(a[0].first_ms, 10000);
    assert_int_equal(a[0].last_ms, 30000);
    assert_string_equal(a[0].service, "svc");
    assert_string_equal(a[0].container, "c1");
    free(a);
    /* no sample in the window: no row */
    prom_windows_build(m, &s, 1, NULL, 0, NULL, 0, 50000, 60000, &a, &n,
                       &unusable);
    assert_int_equal(n, 0);
    assert_null(a);
}

static void test_windows_rate_and_limit(void **state)
{
    (void)state;
    /* cAdvisor CPU seconds: 0.5 core, a reset, then 1 core; the sample
     * before the window is the first interval's base */
    const struct prom_map *m = prom_map_find(PROM_NAMES_CADVISOR, "cpu_ratio");
    int64_t t[] = {5000, 15000, 25000, 35000, 45000};
    double v[] = {100, 105, 110, 1, 11};
    struct prom_series s = mk("svc", "c1", 5, t, v);
    struct win_agg *a;
    size_t n;
    unsigned long unusable = 0;
    prom_windows_build(m, &s, 1, NULL, 0, NULL, 0, 10000, 50000, &a, &n,
                       &unusable);
    assert_int_equal(n, 1);
    assert_int_equal(a[0].count, 3); /* 15 s, 25 s, 45 s; 35 s was a reset */
    assert_int_equal(a[0].first_ms, 15000);
    assert_int_equal(a[0].last_ms, 45000);
    assert_true(fabs(a[0].mean - 200.0 / 3) < 1e-9);
    assert_true(fabs(a[0].last - 100.0) < 1e-9);
    assert_true(fabs(a[0].max - 100.0) < 1e-9);
    free(a);

    /* cpu_limit_ratio: ÷ quota/period (0.5 core); no quota → left out */
    m = prom_map_find(PROM_NAMES_CADVISOR, "cpu_limit_ratio");
    struct prom_series two[2] = {mk("svc", "c1", 5, t, v),
                                 mk("svc", "c2", 5, t, v)};
    int64_t tq[] = {1000, 2000};
    double q1[] = {100000, 50000}, qneg[] = {-1, -1}, per[] = {100000, 100000};
    struct prom_series quota[2] = {mk("svc", "c1", 2, tq, q1),
                                   mk("svc", "c2", 2, tq, qneg)};
    struct prom_series period[2] = {mk("svc", "c1", 2, tq, per),
                                    mk("svc", "c2", 2, tq, per)};
    prom_windows_build(m, two, 2, quota, 2, period, 2, 10000, 50000, &a, &n,
                       &unusable);
    assert_int_equal(n, 2);
    assert_int_equal(unusable, 1);
    assert_string_equal(a[0].container, "c1");
    assert_true(fabs(a[0].last - 200.0) < 1e-9); /* 1 core of 0.5 */
    /* c2 stays as an empty, marked row: its policy says why */
    assert_string_equal(a[1].container, "c2");
    assert_int_equal(a[1].bad, WIN_BAD_LIMIT);
    assert_int_equal(a[1].count, 0);
    free(a);

    /* mem_ratio: working set ÷ the latest limit */
    m = prom_map_find(PROM_NAMES_CADVISOR, "mem_ratio");
    int64_t tm[] = {20000};
    double ws[] = {256};
    double lim[] = {1024, 512};
    struct prom_series wss = mk("svc", "c1", 1, tm, ws);
    struct prom_series limits = mk("svc", "c1", 2, tq, lim);
    prom_windows_build(m, &wss, 1, &limits, 1, NULL, 0, 10000, 50000, &a, &n,
                       &unusable);
    assert_int_equal(n, 1);
    assert_true(fabs(a[0].mean - 50.0) < 1e-9);
    free(a);
}

/* das simulate --service's demand: per interval, the sum over containers
 * of each one's mean in it; intervals without a sample are left out. */
static void test_demand(void **state)
{
    (void)state;
    const struct prom_map *m = prom_map_find(PROM_NAMES_DS, "cpu_ratio");
    int64_t t1[] = {9000, 10000, 12000, 15000, 21000, 31000};
    double v1[] = {0.9, 0.2, 0.4, 0.6, 0.5, 0.1};
    int64_t t2[] = {11000, 14000, 22000};
    double v2[] = {0.3, 0.3, 0.8};
    struct prom_series s[2] = {mk("svc", "c1", 6, t1, v1),
                               mk("svc", "c2", 3, t2, v2)};
    struct prom_demand d[4];
    /* [10 s, 40 s) by 10 s: 10-20 s: c1 40% + c2 30%; 20-30 s: 50% + 80%;
     * 30-40 s: c1 alone 10% */
    size_t n =
        prom_demand_build(m, s, 2, NULL, 0, NULL, 0, 10000, 40000, 10000, d);
    assert_int_equal(n, 3);
    assert_int_equal(d[0].t_ms, 10000);
    assert_true(fabs(d[0].value - 70.0) < 1e-9);
    assert_int_equal(d[1].t_ms, 20000);
    assert_true(fabs(d[1].value - 130.0) < 1e-9);
    assert_int_equal(d[2].t_ms, 30000);
    assert_true(fabs(d[2].value - 10.0) < 1e-9);
    /* an interval with no sample is not 0: left out */
    n = prom_demand_build(m, s, 2, NULL, 0, NULL, 0, 30000, 60000, 10000, d);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].t_ms, 30000);
    /* a counter: per-second increase × scale (cAdvisor CPU seconds) */
    const struct prom_map *r = prom_map_find(PROM_NAMES_CADVISOR, "cpu_ratio");
    int64_t t3[] = {5000, 15000, 25000};
    double v3[] = {100, 105, 115};
    struct prom_series c = mk("svc", "c3", 3, t3, v3);
    n = prom_demand_build(r, &c, 1, NULL, 0, NULL, 0, 10000, 30000, 10000, d);
    assert_int_equal(n, 2);
    assert_true(fabs(d[0].value - 50.0) < 1e-9);  /* 0.5 s per s */
    assert_true(fabs(d[1].value - 100.0) < 1e-9); /* 1 s per s */
}

/* ---- an operator's query (query_range) ---- */

static int value_parse(const char *body, struct qwin_sample **v, size_t *n,
                       char *err, size_t errlen)
{
    return prom_value_parse(200, body, strlen(body), v, n, err, errlen);
}

static void test_value_parse(void **state)
{
    struct qwin_sample *v = NULL;
    size_t n = 0;
    char err[300] = "";
    (void)state;
    const char *one =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
        "\"result\":[{\"metric\":{},\"values\":[[1700000000,\"12.5\"],"
        "[1700000001.5,\"NaN\"],[1700000003,\"+Inf\"]]}]}}";
    if (value_parse(one, &v, &n, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(n, 3);
    assert_int_equal(v[0].t_ms, 1700000000000LL);
    assert_true(v[0].v == 12.5);
    assert_int_equal(v[1].t_ms, 1700000001500LL);
    assert_true(isnan(v[1].v)); /* kept: the window says unavailable */
    assert_true(isinf(v[2].v));
    free(v);
    const struct {
        const char *body;
        const char *want;
    } bad[] = {
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
         "\"result\":[]}}",
         "no series: the query matched nothing"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
         "\"result\":[{\"metric\":{\"a\":\"1\"},\"values\":[]},"
         "{\"metric\":{\"a\":\"2\"},\"values\":[]}]}}",
         "2 series where one was expected: aggregate them, e.g. sum(...) or "
         "max(...)"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
         "\"result\":[{\"metric\":{},\"values\":[[2,\"1\"],[1,\"2\"]]}]}}",
         "sample 2 is not a [seconds, \"value\"] pair in time order"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
         "\"result\":[{\"metric\":{},\"values\":[[1,2]]}]}}",
         "sample 1 is not a [seconds, \"value\"] pair in time order"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
         "\"result\":[{\"metric\":{}}]}}",
         "the series has no values array"},
        {"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse "
         "error\"}",
         "HTTP 200, status \"error\": bad_data: parse error"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = NULL;
        if (value_parse(bad[i].body, &v, &n, err, sizeof err) != -1)
            fail_msg("accepted: %s", bad[i].body);
        assert_null(v);
        assert_string_equal(err, bad[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_selector),
        cmocka_unit_test(test_cgroup_container),
        cmocka_unit_test(test_maps),
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_ambiguous),
        cmocka_unit_test(test_too_big_text),
        cmocka_unit_test(test_parse_nothing),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_windows_gauge),
        cmocka_unit_test(test_windows_rate_and_limit),
        cmocka_unit_test(test_demand),
        cmocka_unit_test(test_value_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
