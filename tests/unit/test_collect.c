/* collect.c's pure part: the InfluxDB point ds writes for one container
 * (the schema of docs/design.md §3, from the one field list of stats.h). The
 * collection itself runs against a real engine (t_ds_stats, t_ds_influx). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "ds.h"
#include "influx.h"

static char *encode(const struct ds_ctr *c, const char *node,
                    const struct stats_point *sp)
{
    struct infl_point p;
    struct buf b;
    char err[256];
    buf_init(&b, 64 * 1024);
    ds_point_build(c, node, sp, &p);
    assert_int_equal(infl_point_encode(&p, &b, err, sizeof err), 0);
    return buf_take(&b);
}

static void test_point_fields(void **state)
{
    (void)state;
    struct ds_ctr c;
    memset(&c, 0, sizeof c);
    snprintf(c.short_id, sizeof c.short_id, "0123456789ab");
    c.service_id = "svc1";
    c.service_name = "web";
    struct stats_point sp;
    memset(&sp, 0, sizeof sp);
    sp.time_ns = 1700000000000000000LL;
    sp.have =
        STATS_F_CPU_RATIO | STATS_F_MEM_USAGE | STATS_F_NET | STATS_F_PIDS;
    sp.cpu_ratio = 12.5;
    sp.mem_usage = 1048576;
    sp.net_read = 10;
    sp.net_write = 20;
    sp.pids = 3;
    sp.blk_read = 99; /* not held (no STATS_F_BLK): not written */
    char *line = encode(&c, "node1", &sp);
    /* tags sorted by key, fields in the list's order; integers with i */
    assert_string_equal(line, "docker,container=0123456789ab,node=node1,"
                              "service=svc1,service_name=web "
                              "cpu_ratio=12.5,mem_usage=1048576i,"
                              "net_read=10i,net_write=20i,pids=3i "
                              "1700000000000000000\n");
    free(line);
}

/* A plain container (no swarm service): its service tags are left out,
 * and a point with every field writes each of them once. */
static void test_point_plain_container(void **state)
{
    (void)state;
    struct ds_ctr c;
    memset(&c, 0, sizeof c);
    snprintf(c.short_id, sizeof c.short_id, "abcdefabcdef");
    struct stats_point sp;
    memset(&sp, 0, sizeof sp);
    sp.time_ns = 1;
    sp.have = ~0u;
    char *line = encode(&c, "n", &sp);
    assert_non_null(strstr(line, "docker,container=abcdefabcdef,node=n "));
    assert_null(strstr(line, "service"));
    for (size_t i = 0; i < stats_nfields; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s=", stats_fields[i].name);
        const char *at = strstr(line, key);
        assert_non_null(at);
    }
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_fields),
        cmocka_unit_test(test_point_plain_container),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
