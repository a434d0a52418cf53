/* health.h: the pure parts of `ds healthcheck` / `das healthcheck`: the
 * --listen value, the PATH argument, fd link targets and the lines of
 * /proc/net/tcp{,6} (copied from this machine's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "health.h"

static void test_listen(void **state)
{
    char host[64], err[256];
    unsigned port = 99;
    (void)state;
    assert_int_equal(hc_parse_listen("DAS_LISTEN", ":9102", host, sizeof host,
                                     &port, err, sizeof err),
                     0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9102);
    assert_int_equal(hc_parse_listen("DS_LISTEN", "0.0.0.0:0", host,
                                     sizeof host, &port, err, sizeof err),
                     0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 0);
    assert_int_equal(hc_parse_listen("DS_LISTEN", "10.0.3.7:9101", host,
                                     sizeof host, &port, err, sizeof err),
                     0);
    assert_string_equal(host, "10.0.3.7");
    assert_int_equal(port, 9101);
}

static void test_listen_bad(void **state)
{
    char host[64], err[256];
    unsigned port;
    (void)state;
    assert_int_equal(hc_parse_listen("DS_LISTEN", "", host, sizeof host, &port,
                                     err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "DS_LISTEN is empty"));
    assert_non_null(strstr(err, "ADDR:PORT"));
    assert_int_equal(hc_parse_listen("DS_LISTEN", NULL, host, sizeof host,
                                     &port, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "DS_LISTEN is empty"));
    assert_int_equal(hc_parse_listen("DAS_LISTEN", "9102", host, sizeof host,
                                     &port, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "DAS_LISTEN"));
    assert_non_null(strstr(err, "expected ADDR:PORT"));
    assert_int_equal(hc_parse_listen("DAS_LISTEN", ":65536", host, sizeof host,
                                     &port, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "0 to 65535"));
    assert_int_equal(hc_parse_listen("DAS_LISTEN", "*:9102", host, sizeof host,
                                     &port, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "not an IPv4 address"));
}

static void test_path(void **state)
{
    char err[256], long_path[HC_PATH_MAX + 2];
    (void)state;
    assert_int_equal(hc_check_path("/healthz", err, sizeof err), 0);
    assert_int_equal(hc_check_path("/metrics?x=1", err, sizeof err), 0);
    assert_int_equal(hc_check_path("healthz", err, sizeof err), -1);
    assert_non_null(strstr(err, "PATH \"healthz\""));
    assert_non_null(strstr(err, "/healthz or /metrics"));
    assert_int_equal(hc_check_path("", err, sizeof err), -1);
    assert_int_equal(hc_check_path("/a b", err, sizeof err), -1);
    assert_int_equal(hc_check_path("/a\r\nHost: x", err, sizeof err), -1);
    assert_int_equal(hc_check_path("/\xc3\xa9", err, sizeof err), -1);
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[HC_PATH_MAX] = '\0';
    assert_int_equal(hc_check_path(long_path, err, sizeof err), 0);
    long_path[HC_PATH_MAX] = 'a';
    long_path[HC_PATH_MAX + 1] = '\0';
    assert_int_equal(hc_check_path(long_path, err, sizeof err), -1);
}

static void test_socket_inode(void **state)
{
    unsigned long inode = 0;
    (void)state;
    assert_true(hc_socket_inode("socket:[2803976]", &inode));
    assert_int_equal(inode, 2803976);
    assert_false(hc_socket_inode("pipe:[2803976]", &inode));
    assert_false(hc_socket_inode("anon_inode:[eventpoll]", &inode));
    assert_false(hc_socket_inode("/dev/null", &inode));
    assert_false(hc_socket_inode("socket:[]", &inode));
    assert_false(hc_socket_inode("socket:[12x]", &inode));
    assert_false(hc_socket_inode("socket:[12]x", &inode));
    assert_false(hc_socket_inode("socket:[-1]", &inode));
    assert_false(hc_socket_inode("socket:[99999999999999999999999]", &inode));
}

/* Header, a listener of another process, an established connection of
 * ours, our listener; then an IPv6 listener. */
static const char net_tcp[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
    "retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:5F34 00000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000     0        0 2803976 1 00000000b891a28c 100 0 0 10 0\n"
    "   1: 0100007F:1F0A 0100007F:D2C4 01 00000000:00000000 00:00000000 "
    "00000000     0        0 2804308 1 000000004d491311 20 4 30 10 -1\n"
    "   2: 0100007F:8E6B 00000000:0000 0A 00000000:00000000 00:00000000 "
    "00000000   101        0 2803147 1 000000001d0c9690 100 0 0 10 0\n";
static const char net_tcp6[] =
    "  sl  local_address                         remote_address           "
    "             st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode\n"
    "   0: 00000000000000000000000000000000:2396 "
    "00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 "
    "10 0\n";

static void test_listen_port(void **state)
{
    (void)state;
    const unsigned long ours[] = {11, 2804308, 2803147};
    /* 2804308 is ours but not listening; 2803147 listens on 0x8E6B */
    assert_int_equal(hc_listen_port(net_tcp, ours, 3), 0x8E6B);
    const unsigned long other[] = {2803976};
    assert_int_equal(hc_listen_port(net_tcp, other, 1), 0x5F34);
    const unsigned long none[] = {2804308, 5};
    assert_int_equal(hc_listen_port(net_tcp, none, 2), 0);
    assert_int_equal(hc_listen_port(net_tcp, NULL, 0), 0);
    const unsigned long v6[] = {31337};
    assert_int_equal(hc_listen_port(net_tcp6, v6, 1), 9110);
    assert_int_equal(hc_listen_port(net_tcp, v6, 1), 0);
}

static void test_listen_port_malformed(void **state)
{
    (void)state;
    const unsigned long want[] = {7};
    assert_int_equal(hc_listen_port("", want, 1), 0);
    assert_int_equal(hc_listen_port("garbage\n\n", want, 1), 0);
    /* too few fields, a port that is not 4 hex digits, a bad inode */
    assert_int_equal(
        hc_listen_port("0: 0100007F:1F90 00000000:0000 0A\n", want, 1), 0);
    assert_int_equal(hc_listen_port("0: 0100007F:1G90 00000000:0000 0A 0:0 "
                                    "0:0 0 0 0 7\n",
                                    want, 1),
                     0);
    assert_int_equal(hc_listen_port("0: 0100007F:1F9 00000000:0000 0A 0:0 "
                                    "0:0 0 0 0 7\n",
                                    want, 1),
                     0);
    assert_int_equal(hc_listen_port("0: 0100007F:1F90 00000000:0000 0A 0:0 "
                                    "0:0 0 0 0 7x\n",
                                    want, 1),
                     0);
    /* a field longer than any of the table's is skipped, not overrun */
    char big[400];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(hc_listen_port(big, want, 1), 0);
    /* the same line well formed is found (no line end at the end) */
    assert_int_equal(hc_listen_port("0: 0100007F:1F90 00000000:0000 0A 0:0 "
                                    "0:0 0 0 0 7",
                                    want, 1),
                     0x1F90);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen),
        cmocka_unit_test(test_listen_bad),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_socket_inode),
        cmocka_unit_test(test_listen_port),
        cmocka_unit_test(test_listen_port_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
