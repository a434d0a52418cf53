/* promexp: ds's per-container exposition in Prometheus text format. (That
 * the whole of ds's /metrics passes promtool check metrics is shown on a
 * real ds by tests/integ/t_prometheus.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "promexp.h"

static void test_label_escaping(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(pexp_label_value("a\\b\"c\nd'e{f}", &b), 0);
    assert_string_equal(b.ptr, "a\\\\b\\\"c\\nd'e{f}");
    buf_reset(&b);
    assert_int_equal(pexp_label_value("", &b), 0);
    assert_int_equal(b.len, 0);
    buf_cleanup(&b);
    /* a value over PEXP_LABEL_MAX bytes is cut (not inside a character)
     * and says so */
    char longv[PEXP_LABEL_MAX + 40];
    memset(longv, 'a', sizeof longv);
    memcpy(longv + PEXP_LABEL_MAX - 1, "\xc3\xa9", 2); /* é across the cut */
    longv[sizeof longv - 1] = '\0';
    buf_reset(&b);
    assert_int_equal(pexp_label_value(longv, &b), 0);
    assert_int_equal(b.len, PEXP_LABEL_MAX - 1 + 3);
    assert_string_equal(b.ptr + b.len - 4, "a...");
    buf_cleanup(&b);
    /* a byte that is not well-formed UTF-8 becomes U+FFFD; characters of
     * two, three and four bytes are kept */
    static const struct {
        const char *in, *out;
    } utf8[] = {
        {"caf\xc3\xa9 \xe6\x9c\x8d \xf0\x9f\x93\x88",
         "caf\xc3\xa9 \xe6\x9c\x8d \xf0\x9f\x93\x88"},
        {"a\xff"
         "b",
         "a\xef\xbf\xbd"
         "b"}, /* never UTF-8 */
        {"a\x80"
         "b",
         "a\xef\xbf\xbd"
         "b"},                                    /* stray continuation */
        {"a\xc3", "a\xef\xbf\xbd"},               /* cut short */
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong '/' */
        {"\xed\xa0\x80",
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
        {"\xf4\x90\x80\x80x",
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx"}, /* > U+10FFFF */
        {"\xe6\x9c\"", "\xef\xbf\xbd\xef\xbf\xbd\\\""}, /* cut, then a quote */
    };
    buf_init(&b, 1024);
    for (size_t i = 0; i < sizeof utf8 / sizeof *utf8; i++) {
        buf_reset(&b);
        assert_int_equal(pexp_label_value(utf8[i].in, &b), 0);
        if (strcmp(b.ptr, utf8[i].out))
            fail_msg("case %zu: got \"%s\"", i, b.ptr);
    }
    buf_cleanup(&b);
    buf_init(&b, 1024);
    /* bounded: a value that does not fit is an error */
    buf_init(&b, 4);
    assert_int_equal(pexp_label_value("abcdefgh", &b), -1);
    buf_cleanup(&b);
}

static void test_floats(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(pexp_float(0.1, &b), 0);
    assert_int_equal(pexp_float(1e21, &b), 0);
    assert_int_equal(pexp_float(0.0 / 0.0, &b), 0);
    assert_int_equal(pexp_float(-1.0 / 0.0, &b), 0);
    assert_string_equal(b.ptr, "0.11e+21NaN-Inf");
    buf_cleanup(&b);
}

static void test_containers(void **state)
{
    (void)state;
    struct pexp_ctr c[2];
    memset(c, 0, sizeof c);
    c[0].node = "n1";
    c[0].container = "0123456789ab";
    c[0].service = "svc1";
    c[0].service_name = "web \"x\"";
    c[0].pt.have = STATS_F_CPU_RATIO | STATS_F_MEM_USAGE | STATS_F_NET;
    c[0].pt.time_ns = 1700000000123456789LL;
    c[0].pt.cpu_ratio = 42.5;
    c[0].pt.mem_usage = 1048576;
    c[0].pt.net_read = 7;
    c[0].pt.net_write = 8;
    c[0].has_cpu_seconds = true;
    c[0].cpu_seconds = 12.25;
    /* not a swarm task: no service labels; only pids */
    c[1].node = "n1";
    c[1].container = "ba9876543210";
    c[1].pt.have = STATS_F_PIDS;
    c[1].pt.time_ns = 1700000000000000000LL;
    c[1].pt.pids = 3;

    struct buf b;
    buf_init(&b, 1u << 20);
    assert_int_equal(pexp_containers(&b, c, 2), 0);
    const char *t = b.ptr;
    /* every family has HELP and TYPE, counters end in _total */
    for (size_t f = 0; f < pexp_nfamilies; f++) {
        char want[200];
        snprintf(want, sizeof want, "# TYPE %s %s\n", pexp_families[f].name,
                 pexp_families[f].type);
        assert_non_null(strstr(t, want));
        snprintf(want, sizeof want, "# HELP %s ", pexp_families[f].name);
        assert_non_null(strstr(t, want));
        size_t len = strlen(pexp_families[f].name);
        bool total =
            len > 6 && !strcmp(pexp_families[f].name + len - 6, "_total");
        assert_int_equal(total, !strcmp(pexp_families[f].type, "counter"));
    }
    assert_non_null(strstr(
        t,
        "\nds_container_cpu_usage_ratio{node=\"n1\",container=\"0123456789ab\","
        "service=\"svc1\",service_name=\"web \\\"x\\\"\"} 0.425 "
        "1700000000123\n"));
    assert_non_null(strstr(t, "\nds_container_cpu_usage_seconds_total{node="
                              "\"n1\",container=\"0123456789ab\",service="
                              "\"svc1\",service_name=\"web \\\"x\\\"\"} 12.25 "
                              "1700000000123\n"));
    assert_non_null(strstr(t, "\nds_container_memory_usage_bytes{node=\"n1\","
                              "container=\"0123456789ab\",service=\"svc1\","
                              "service_name=\"web \\\"x\\\"\"} 1048576 "
                              "1700000000123\n"));
    assert_non_null(strstr(t, "\nds_container_pids{node=\"n1\",container="
                              "\"ba9876543210\"} 3 1700000000000\n"));
    /* values a container does not have are left out, not written as 0 */
    assert_null(strstr(t, "ds_container_pids{node=\"n1\",container="
                          "\"0123456789ab\""));
    assert_null(strstr(t, "ds_container_memory_limit_bytes{"));
    assert_null(strstr(t, "ds_container_cpu_usage_ratio{node=\"n1\","
                          "container=\"ba9876543210\""));
    buf_cleanup(&b);

    /* a full buffer is an error */
    buf_init(&b, 100);
    assert_int_equal(pexp_containers(&b, c, 2), -1);
    buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_escaping),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_containers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
