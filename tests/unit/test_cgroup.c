/* cgroup: the parsers (v1 and v2 formats, garbage, truncation) and the
 * reader over recorded (v1) and format-exact (v2) fixture trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

#define V1ID "e77e03a57ddc243f47f639d7aa8af3bdf825f8326bc21c1d7c9f5a0fd7f30bbe"
#define V1PID 6004
#define V2ID "4a1f6c3e9b2d8f7a6c5e4d3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f"
#define V2PID 4242
#define V2_HOST_MEM (8131732ull * 1024)
#define V1_HOST_MEM (24684092ull * 1024)

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(CG_FILE_MAX + 1);
    assert_non_null(buf);
    *len = fread(buf, 1, CG_FILE_MAX, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

#define P(s) (s), (sizeof(s) - 1)

/* ---- /proc/<pid>/cgroup ---- */

static void test_proc_cgroup_v1_recorded(void **state)
{
    (void)state;
    struct cg_proc pr;
    char err[256];
    size_t len;
    char *t = slurp(FIXTURES "/cgroup/v1-burn/t0/proc/6004/cgroup", &len);
    assert_int_equal(cg_parse_proc_cgroup(t, len, &pr, err, sizeof err), 0);
    assert_int_equal(pr.version, CG_V1); /* hybrid: v1 wins */
    assert_true(pr.ctrl[CG_CPUACCT].found);
    assert_string_equal(pr.ctrl[CG_CPUACCT].mount, "cpuacct");
    assert_string_equal(pr.ctrl[CG_CPUACCT].path, "/docker/" V1ID);
    assert_string_equal(pr.ctrl[CG_MEMORY].path, "/docker/" V1ID);
    assert_string_equal(pr.ctrl[CG_BLKIO].mount, "blkio");
    assert_string_equal(pr.ctrl[CG_PIDS].mount, "pids");
    assert_true(pr.has_unified);
    assert_string_equal(pr.unified, "/docker/" V1ID);
    free(t);
}

static void test_proc_cgroup_v1_systemd(void **state)
{
    (void)state;
    struct cg_proc pr;
    char err[256];
    const char t[] = "12:pids:/system.slice/docker-abc.scope\n"
                     "4:cpu,cpuacct:/system.slice/docker-abc.scope\n"
                     "3:memory:/system.slice/docker-abc.scope\n"
                     "2:blkio:/system.slice/docker-abc.scope\n"
                     "1:name=systemd:/system.slice/docker-abc.scope\n";
    assert_int_equal(cg_parse_proc_cgroup(P(t), &pr, err, sizeof err), 0);
    assert_int_equal(pr.version, CG_V1);
    assert_string_equal(pr.ctrl[CG_CPUACCT].mount, "cpu,cpuacct");
    assert_string_equal(pr.ctrl[CG_CPUACCT].path,
                        "/system.slice/docker-abc.scope");
    assert_false(pr.has_unified);
}

static void test_proc_cgroup_v2(void **state)
{
    (void)state;
    struct cg_proc pr;
    char err[256];
    const char t[] = "0::/system.slice/docker-abc.scope\n";
    assert_int_equal(cg_parse_proc_cgroup(P(t), &pr, err, sizeof err), 0);
    assert_int_equal(pr.version, CG_V2);
    assert_string_equal(pr.unified, "/system.slice/docker-abc.scope");
    assert_false(pr.ctrl[CG_CPUACCT].found);
    /* namespaced view, no trailing newline, a ':' inside the path */
    const char t2[] = "0::/";
    assert_int_equal(cg_parse_proc_cgroup(P(t2), &pr, err, sizeof err), 0);
    assert_string_equal(pr.unified, "/");
    const char t3[] = "0::/a:b\r\n\n";
    assert_int_equal(cg_parse_proc_cgroup(P(t3), &pr, err, sizeof err), 0);
    assert_string_equal(pr.unified, "/a:b");
}

static void test_proc_cgroup_garbage(void **state)
{
    (void)state;
    struct cg_proc pr;
    char err[256];
    assert_int_equal(cg_parse_proc_cgroup("", 0, &pr, err, sizeof err), -1);
    assert_non_null(strstr(err, "no cpuacct or memory"));
    const char t1[] = "4:memory\n"; /* truncated */
    assert_int_equal(cg_parse_proc_cgroup(P(t1), &pr, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 1"));
    assert_non_null(strstr(err, "id:controllers:path"));
    const char t2[] = "0::/ok\nx:memory:/docker/1\n";
    assert_int_equal(cg_parse_proc_cgroup(P(t2), &pr, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 2: bad hierarchy id"));
    /* the line is quoted, its control bytes escaped, cut after 40 bytes */
    const char t2b[] =
        "x\t:memory:/docker/0123456789012345678901234567890123\n";
    assert_int_equal(cg_parse_proc_cgroup(P(t2b), &pr, err, sizeof err), -1);
    assert_string_equal(err,
                        "line 1: bad hierarchy id in "
                        "\"x\\t:memory:/docker/0123456789012345678901...\"");
    const char t3[] = "3:memory:docker/1\n";
    assert_int_equal(cg_parse_proc_cgroup(P(t3), &pr, err, sizeof err), -1);
    assert_non_null(strstr(err, "does not start with '/'"));
    const char t4[] = "3:freezer:/docker/1\n"; /* nothing we can use */
    assert_int_equal(cg_parse_proc_cgroup(P(t4), &pr, err, sizeof err), -1);
    const char t5[] = "3:memory:/\x01\xff\n"; /* binary is quoted, not fatal */
    assert_int_equal(cg_parse_proc_cgroup(P(t5), &pr, err, sizeof err), 0);
    char *big = malloc(CG_PATH_MAX + 32);
    assert_non_null(big);
    memcpy(big, "0::/", 4);
    memset(big + 4, 'a', CG_PATH_MAX);
    assert_int_equal(
        cg_parse_proc_cgroup(big, CG_PATH_MAX + 4, &pr, err, sizeof err), -1);
    assert_non_null(strstr(err, "over"));
    free(big);
    /* the parser never reads past len: no NUL, garbage right after */
    const char t6[] = "0::/abcXXXX";
    assert_int_equal(cg_parse_proc_cgroup(t6, 7, &pr, err, sizeof err), 0);
    assert_string_equal(pr.unified, "/abc");
}

/* ---- single values, limits, flat files ---- */

static void test_u64_and_limit(void **state)
{
    (void)state;
    uint64_t v = 0;
    char err[256];
    assert_int_equal(cg_parse_u64(P("17744468600\n"), &v, err, sizeof err), 0);
    assert_true(v == 17744468600ull);
    assert_int_equal(
        cg_parse_u64(P("18446744073709551615"), &v, err, sizeof err), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(
        cg_parse_u64(P("18446744073709551616\n"), &v, err, sizeof err), -1);
    assert_int_equal(cg_parse_u64(P(""), &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "expected a number"));
    assert_int_equal(cg_parse_u64(P("-1\n"), &v, err, sizeof err), -1);
    assert_int_equal(cg_parse_u64(P("12abc\n"), &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "12abc"));
    assert_int_equal(cg_parse_u64(P("max\n"), &v, err, sizeof err), -1);
    assert_int_equal(cg_parse_limit(P("max\n"), &v, err, sizeof err), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(cg_parse_limit(P("67108864\n"), &v, err, sizeof err), 0);
    assert_true(v == 67108864);
    assert_int_equal(
        cg_parse_limit(P("9223372036854771712\n"), &v, err, sizeof err), 0);
    assert_true(v == 9223372036854771712ull);
    assert_int_equal(cg_parse_limit(P("maxi\n"), &v, err, sizeof err), -1);
}

static void test_flat_recorded_memory_stat(void **state)
{
    (void)state;
    static const char *const keys[] = {"total_inactive_file", "inactive_file",
                                       "total_cache", "no_such_key"};
    uint64_t vals[4] = {9, 9, 9, 9};
    uint32_t found = 0;
    char err[256];
    size_t len;
    char *t = slurp(FIXTURES "/cgroup/v1-burn/t0/cgroup/memory/docker/" V1ID
                             "/memory.stat",
                    &len);
    assert_int_equal(
        cg_parse_flat(t, len, keys, 4, vals, &found, err, sizeof err), 0);
    assert_int_equal(found, 7);
    assert_true(vals[0] == 0 && vals[1] == 0 && vals[2] == 8192);
    assert_true(vals[3] == 9);
    free(t);
}

static void test_flat_v2_and_garbage(void **state)
{
    (void)state;
    static const char *const keys[] = {"usage_usec", "nr_throttled"};
    uint64_t vals[2] = {0, 0};
    uint32_t found = 0;
    char err[256];
    size_t len;
    char *t = slurp(FIXTURES "/cgroup/v2-systemd/t0/cgroup/system.slice/"
                             "docker-" V2ID ".scope/cpu.stat",
                    &len);
    assert_int_equal(
        cg_parse_flat(t, len, keys, 2, vals, &found, err, sizeof err), 0);
    assert_int_equal(found, 3);
    assert_true(vals[0] == 1283104 && vals[1] == 158);
    free(t);
    /* unwanted garbage lines are skipped, a wanted key must be a number */
    const char g1[] = "junk junk junk\n\n  \nusage_usec 5\n";
    assert_int_equal(
        cg_parse_flat(P(g1), keys, 2, vals, &found, err, sizeof err), 0);
    assert_int_equal(found, 1);
    assert_true(vals[0] == 5);
    const char g2[] = "user_usec 1\nusage_usec twelve\n";
    assert_int_equal(
        cg_parse_flat(P(g2), keys, 2, vals, &found, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 2: bad value for usage_usec"));
    const char g3[] = "usage_usec\n"; /* truncated */
    assert_int_equal(
        cg_parse_flat(P(g3), keys, 2, vals, &found, err, sizeof err), -1);
    const char g4[] = "usage_usec 1 2\n";
    assert_int_equal(
        cg_parse_flat(P(g4), keys, 2, vals, &found, err, sizeof err), -1);
    /* a key that is a prefix of another is not confused with it */
    const char g5[] = "usage_usec_x 7\n";
    assert_int_equal(
        cg_parse_flat(P(g5), keys, 2, vals, &found, err, sizeof err), 0);
    assert_int_equal(found, 0);
}

/* ---- block I/O ---- */

static void test_blkio_v1(void **state)
{
    (void)state;
    uint64_t rd = 1, wr = 1;
    char err[256];
    /* recorded on this host: no block accounting, "Total 0" only */
    assert_int_equal(
        cg_parse_blkio_v1(P("Total 0\n"), &rd, &wr, err, sizeof err), 0);
    assert_true(rd == 0 && wr == 0);
    /* two devices, the per-device and grand Total lines ignored */
    const char t[] = "8:0 Read 1048576\n8:0 Write 4194304\n8:0 Sync 5242880\n"
                     "8:0 Async 0\n8:0 Discard 0\n8:0 Total 5242880\n"
                     "253:1 Read 4096\n253:1 Write 8192\n253:1 Sync 0\n"
                     "253:1 Async 12288\n253:1 Discard 0\n253:1 Total 12288\n"
                     "Total 5255168\n";
    assert_int_equal(cg_parse_blkio_v1(P(t), &rd, &wr, err, sizeof err), 0);
    assert_true(rd == 1052672 && wr == 4202496);
    assert_int_equal(cg_parse_blkio_v1(P(""), &rd, &wr, err, sizeof err), 0);
    assert_true(rd == 0 && wr == 0);
    assert_int_equal(
        cg_parse_blkio_v1(P("8:0 Read\n"), &rd, &wr, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(cg_parse_blkio_v1(P("8:0 Read 1\n8:0 Write x\n"), &rd, &wr,
                                       err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "line 2: bad number"));
    assert_int_equal(
        cg_parse_blkio_v1(P("garbage here now\n"), &rd, &wr, err, sizeof err),
        -1);
}

static void test_io_stat_v2(void **state)
{
    (void)state;
    uint64_t rd = 1, wr = 1;
    char err[256];
    size_t len;
    char *t = slurp(FIXTURES "/cgroup/v2-systemd/t1/cgroup/system.slice/"
                             "docker-" V2ID ".scope/io.stat",
                    &len);
    assert_int_equal(cg_parse_io_stat(t, len, &rd, &wr, err, sizeof err), 0);
    assert_true(rd == 6451200 && wr == 20971520);
    free(t);
    assert_int_equal(cg_parse_io_stat(P(""), &rd, &wr, err, sizeof err), 0);
    assert_true(rd == 0 && wr == 0);
    /* newer kernels add cost.* keys: skipped */
    const char t2[] = "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0 "
                      "cost.vrate=100.00 cost.usage=5\n";
    assert_int_equal(cg_parse_io_stat(P(t2), &rd, &wr, err, sizeof err), 0);
    assert_true(rd == 10 && wr == 20);
    assert_int_equal(
        cg_parse_io_stat(P("8:0 rbytes=1x\n"), &rd, &wr, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad number"));
    assert_int_equal(
        cg_parse_io_stat(P("8:0 rbytes\n"), &rd, &wr, err, sizeof err), -1);
    assert_int_equal(
        cg_parse_io_stat(P("rbytes=1\n"), &rd, &wr, err, sizeof err), -1);
}

/* ---- network, meminfo ---- */

static void test_net_dev(void **state)
{
    (void)state;
    uint64_t rx = 1, tx = 1;
    char err[256];
    size_t len;
    /* recorded: a container without network has lo only → 0B / 0B */
    char *t = slurp(FIXTURES "/cgroup/v1-burn/t0/proc/6004/net/dev", &len);
    assert_int_equal(cg_parse_net_dev(t, len, &rx, &tx, err, sizeof err), 0);
    assert_true(rx == 0 && tx == 0);
    free(t);
    t = slurp(FIXTURES "/cgroup/v2-systemd/t1/proc/4242/net/dev", &len);
    assert_int_equal(cg_parse_net_dev(t, len, &rx, &tx, err, sizeof err), 0);
    assert_true(rx == 3000 && tx == 1500); /* eth0 only, lo left out */
    free(t);
    /* a 15-character name runs into its first counter */
    const char t2[] =
        "Inter-|\n face |\nverylongname15c:123 1 0 0 0 0 0 0 456 2 0 0 0 0 "
        "0 0\n  eth1: 7 1 0 0 0 0 0 0 8 1 0 0 0 0 0 0\n";
    assert_int_equal(cg_parse_net_dev(P(t2), &rx, &tx, err, sizeof err), 0);
    assert_true(rx == 130 && tx == 464);
    const char t3[] = "  eth0: 1 2 3\n"; /* truncated */
    assert_int_equal(cg_parse_net_dev(P(t3), &rx, &tx, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 1"));
    const char t4[] = "  eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
    assert_int_equal(cg_parse_net_dev(P(t4), &rx, &tx, err, sizeof err), -1);
    const char t5[] = "  eth0: 1 2 3 4 5 6 7 8 x 10 11 12 13 14 15 16\n";
    assert_int_equal(cg_parse_net_dev(P(t5), &rx, &tx, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad counter"));
}

static void test_meminfo(void **state)
{
    (void)state;
    uint64_t b = 0;
    char err[256];
    size_t len;
    char *t = slurp(FIXTURES "/cgroup/v1-burn/t0/proc/meminfo", &len);
    assert_int_equal(cg_parse_meminfo_total(t, len, &b, err, sizeof err), 0);
    assert_true(b == V1_HOST_MEM);
    free(t);
    assert_int_equal(
        cg_parse_meminfo_total(P("MemFree: 1 kB\n"), &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "no MemTotal"));
    assert_int_equal(
        cg_parse_meminfo_total(P("MemTotal: x kB\n"), &b, err, sizeof err), -1);
    assert_int_equal(
        cg_parse_meminfo_total(P("MemTotal: 1 MB\n"), &b, err, sizeof err), -1);
}

/* ---- the reader over fixture trees ---- */

static struct cg *reader(const char *dir)
{
    char proc[512], root[512], err[512];
    snprintf(proc, sizeof proc, "%s/proc", dir);
    snprintf(root, sizeof root, "%s/cgroup", dir);
    struct cg *cg = cg_new(proc, root, err, sizeof err);
    if (!cg)
        fail_msg("cg_new(%s): %s", dir, err);
    return cg;
}

static void read_one(const char *dir, const char *id, int pid, int64_t t,
                     struct stats_sample *s, struct cg_container *c)
{
    char err[512];
    struct cg *cg = reader(dir);
    int rc = cg_resolve(cg, id, pid, c, err, sizeof err);
    if (rc != 0)
        fail_msg("resolve in %s: %s", dir, err);
    rc = cg_read(cg, c, t, s, err, sizeof err);
    if (rc != 0)
        fail_msg("read in %s: %s", dir, err);
    cg_free(cg);
}

/* Recorded v1 files of a --cpus 0.2 -m 64m busy loop, two snapshots; the
 * result is compared with the `docker stats` line recorded with them
 * (19.86%, 340KiB / 64MiB, 0B / 0B, 0B / 0B, 1). */
static void test_read_v1_recorded_vs_docker_stats(void **state)
{
    (void)state;
    struct stats_sample a, b;
    struct cg_container c;
    cg_container_init(&c);
    c.cpu_limit_cores = 0.2;
    read_one(FIXTURES "/cgroup/v1-burn/t0", V1ID, V1PID, 1795808339646112214,
             &a, &c);
    assert_int_equal(c.version, CG_V1);
    assert_non_null(strstr(c.dir[CG_CPUACCT], "/cpuacct/docker/" V1ID));
    read_one(FIXTURES "/cgroup/v1-burn/t1", V1ID, V1PID, 1795808340676378284,
             &b, &c);
    assert_int_equal(b.source, STATS_SRC_CGROUP);
    assert_true(b.cpu_usage_ns == 17951273742ull);
    assert_true(b.mem_usage == 348160 && b.mem_limit == 67108864);
    assert_true(b.have & STATS_HAVE_TOTAL_INACTIVE_FILE);
    assert_true(b.cpu_limit_cores == 0.2);

    struct stats_point p;
    stats_compute(&a, &b, &p);
    assert_true(p.have & STATS_F_CPU_RATIO);
    assert_true(p.cpu_ratio > 19.86 - 1.0 && p.cpu_ratio < 19.86 + 1.0);
    assert_true(p.cpu_limit_ratio > 99.0 && p.cpu_limit_ratio < 101.0);
    assert_int_equal(p.mem_usage, 340 * 1024);
    assert_int_equal(p.mem_limit, 64 * 1024 * 1024);
    assert_true(p.mem_ratio > 0.515 && p.mem_ratio < 0.525);
    assert_int_equal(p.net_read, 0);
    assert_int_equal(p.net_write, 0);
    assert_int_equal(p.blk_read, 0);
    assert_int_equal(p.blk_write, 0);
    assert_int_equal(p.pids, 1);
    cg_container_cleanup(&c);
}

/* No memory limit: 9223372036854771712 in the cgroup → the host's memory,
 * as docker shows it (recorded: 320KiB / 23.54GiB). */
static void test_read_v1_unlimited(void **state)
{
    (void)state;
    char id[80];
    int pid;
    FILE *f = fopen(FIXTURES "/cgroup/v1-idle/id", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%79s", id), 1);
    fclose(f);
    f = fopen(FIXTURES "/cgroup/v1-idle/pid", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    struct stats_sample s;
    struct cg_container c;
    cg_container_init(&c);
    read_one(FIXTURES "/cgroup/v1-idle/t1", id, pid, 1, &s, &c);
    assert_true(s.mem_limit == V1_HOST_MEM);
    struct stats_point p;
    stats_compute(NULL, &s, &p);
    assert_int_equal(p.mem_usage, 320 * 1024);
    assert_false(p.have & STATS_F_CPU_RATIO);
    cg_container_cleanup(&c);
}

static void test_read_v1_systemd_and_ns(void **state)
{
    (void)state;
    struct stats_sample s;
    struct cg_container c;
    cg_container_init(&c);
    read_one(FIXTURES "/cgroup/v1-systemd", V1ID, V1PID, 5, &s, &c);
    assert_non_null(strstr(c.dir[CG_CPUACCT],
                           "/cpu,cpuacct/system.slice/docker-" V1ID ".scope"));
    assert_non_null(strstr(c.dir[CG_MEMORY], "/memory/system.slice/"));
    assert_true(s.cpu_usage_ns == 17744468600ull);
    assert_true(s.mem_usage == 348160);
    assert_true(s.have & STATS_HAVE_BLK);
    assert_true(s.have & STATS_HAVE_PIDS);
    assert_true(s.time_ns == 5);
    /* every hierarchy shows "/": the known layouts by id are tried */
    read_one(FIXTURES "/cgroup/v1-ns", V1ID, V1PID, 5, &s, &c);
    assert_non_null(strstr(c.dir[CG_CPUACCT], "/cpuacct/docker/" V1ID));
    assert_true(s.cpu_usage_ns == 17744468600ull);
    cg_container_cleanup(&c);
}

static void test_read_v2_systemd_two_samples(void **state)
{
    (void)state;
    struct stats_sample a, b;
    struct cg_container c;
    cg_container_init(&c);
    c.cpu_limit_cores = 0.2;
    read_one(FIXTURES "/cgroup/v2-systemd/t0", V2ID, V2PID, 1795808339000000000,
             &a, &c);
    assert_int_equal(c.version, CG_V2);
    assert_non_null(strstr(c.unified, "/system.slice/docker-" V2ID ".scope"));
    read_one(FIXTURES "/cgroup/v2-systemd/t1", V2ID, V2PID, 1795808341000000000,
             &b, &c);
    assert_true(b.cpu_usage_ns == 1683104000ull);
    assert_true(b.mem_limit == V2_HOST_MEM); /* memory.max "max" */
    assert_false(b.have & STATS_HAVE_TOTAL_INACTIVE_FILE);
    assert_true(b.mem_cache == 3178496);
    struct stats_point p;
    stats_compute(&a, &b, &p);
    assert_true(p.cpu_ratio > 19.9999 && p.cpu_ratio < 20.0001);
    assert_true(p.cpu_limit_ratio > 99.999 && p.cpu_limit_ratio < 100.001);
    assert_int_equal(p.mem_usage, 5545984 - 2641920);
    assert_int_equal(p.mem_limit, (int64_t)V2_HOST_MEM);
    assert_int_equal(p.net_read, 3000);
    assert_int_equal(p.net_write, 1500);
    assert_true(p.net_read_rate == 1000.0 && p.net_write_rate == 500.0);
    assert_int_equal(p.blk_read, 6451200);
    assert_int_equal(p.blk_write, 20971520);
    assert_true(p.blk_read_rate == 524288.0);
    assert_true(p.blk_write_rate == 2097152.0);
    assert_int_equal(p.pids, 3);
    cg_container_cleanup(&c);
}

static void test_read_v2_cgroupfs_and_ns(void **state)
{
    (void)state;
    struct stats_sample s;
    struct cg_container c;
    cg_container_init(&c);
    read_one(FIXTURES "/cgroup/v2-cgroupfs", V2ID, V2PID, 1, &s, &c);
    assert_non_null(strstr(c.unified, "/cgroup/docker/" V2ID));
    assert_true(s.mem_limit == 67108864);
    /* "0::/" (pid in its own cgroup namespace) → known layouts */
    read_one(FIXTURES "/cgroup/v2-ns", V2ID, V2PID, 1, &s, &c);
    assert_non_null(strstr(c.unified, "/system.slice/docker-" V2ID ".scope"));
    /* "0::/../../system.slice/…" (reader in another namespace) */
    read_one(FIXTURES "/cgroup/v2-ns", V2ID, 4243, 1, &s, &c);
    assert_non_null(strstr(c.unified, "/system.slice/docker-" V2ID ".scope"));
    /* a process in a sub-cgroup: cut back to the container's cgroup */
    read_one(FIXTURES "/cgroup/v2-ns", V2ID, 4244, 1, &s, &c);
    size_t n = strlen(c.unified);
    assert_true(n > 6 && strcmp(c.unified + n - 6, ".scope") == 0);
    assert_null(strstr(c.unified, "init.scope"));
    assert_true(s.cpu_usage_ns == 1283104000ull);
    cg_container_cleanup(&c);
}

static void test_read_garbage_names_file(void **state)
{
    (void)state;
    char err[512];
    struct stats_sample s;
    struct cg_container c;
    cg_container_init(&c);
    struct cg *cg = reader(FIXTURES "/cgroup/v2-garbage");
    assert_int_equal(cg_resolve(cg, V2ID, V2PID, &c, err, sizeof err), 0);
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "cpu.stat: line 1: bad value for usage_usec"));
    cg_free(cg);
    cg_container_cleanup(&c);
}

static void test_missing_roots_and_pids(void **state)
{
    (void)state;
    char err[512];
    struct cg_container c;
    cg_container_init(&c);
    assert_null(cg_new("/nonexistent/proc", "/sys/fs/cgroup", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/proc"));
    assert_non_null(strstr(err, "mount"));
    assert_null(cg_new(FIXTURES "/cgroup/v2-ns/proc", "/nonexistent/cg", err,
                       sizeof err));
    assert_non_null(strstr(err, "/sys/fs/cgroup"));
    /* proc root without meminfo */
    assert_null(
        cg_new(FIXTURES "/cgroup", FIXTURES "/cgroup", err, sizeof err));
    assert_non_null(strstr(err, "meminfo"));

    struct cg *cg = reader(FIXTURES "/cgroup/v2-ns");
    assert_int_equal(cg_host_mem(cg), V2_HOST_MEM);
    assert_int_equal(cg_host_version(cg), CG_V2);
    /* a process that is gone */
    assert_int_equal(cg_resolve(cg, V2ID, 999999, &c, err, sizeof err),
                     CG_GONE);
    assert_non_null(strstr(err, "no such process"));
    /* a process whose cgroup is not a container of that id */
    assert_int_equal(
        cg_resolve(cg,
                   "0123456789abcdef0123456789abcdef0123456789abcdef"
                   "0123456789abcdef",
                   V2PID, &c, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "tried"));
    assert_null(c.unified);
    assert_int_equal(cg_resolve(cg, "", V2PID, &c, err, sizeof err), -1);
    assert_int_equal(cg_resolve(cg, "../x", V2PID, &c, err, sizeof err), -1);
    assert_int_equal(cg_resolve(cg, V2ID, 0, &c, err, sizeof err), -1);
    /* an unresolved container can't be read */
    struct stats_sample s;
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), -1);
    cg_free(cg);
    cg = reader(FIXTURES "/cgroup/v1-ns");
    assert_int_equal(cg_host_version(cg), CG_V1);
    cg_free(cg);
    cg_container_cleanup(&c);
    cg_container_cleanup(NULL);
    cg_free(NULL);
}

/* ---- a scratch tree: files disappearing, optional files missing ---- */

static char tmpdir[64];

static void put(const char *rel, const char *content)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    for (char *p = path + strlen(tmpdir) + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            fail_msg("mkdir %s: %s", path, strerror(errno));
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void rm(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    assert_int_equal(unlink(path), 0);
}

#define SCOPE "cgroup/system.slice/docker-" V2ID ".scope/"

/* Open files of this process. */
static int open_fds(void)
{
    int n = 0;
    char path[64];
    for (int fd = 0; fd < 4096; fd++) {
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        if (access(path, F_OK) == 0)
            n++;
    }
    return n;
}

static void rm_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    assert_int_equal(system(cmd), 0);
}

static void test_scratch_tree(void **state)
{
    (void)state;
    char err[512];
    struct stats_sample s;
    struct cg_container c;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/das-test-cgroup-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    put("proc/meminfo", "MemTotal: 1000 kB\n");
    put("proc/7/cgroup", "0::/system.slice/docker-" V2ID ".scope\n");
    put("proc/7/net/dev", "Inter-|\n face |\n    lo: 5 1 0 0 0 0 0 0 5 1 0 0 "
                          "0 0 0 0\n");
    put(SCOPE "cpu.stat", "usage_usec 10\n");
    put(SCOPE "memory.current", "4096\n");
    put(SCOPE "memory.max", "2048000\n");
    put(SCOPE "memory.stat", "anon 4096\n");

    int fds0 = open_fds();
    struct cg *cg = reader(tmpdir);
    assert_true(cg_fd_bound(cg) > 0);
    cg_container_init(&c);
    assert_int_equal(cg_resolve(cg, V2ID, 7, &c, err, sizeof err), 0);
    /* io.stat and pids.current missing: controllers not enabled */
    assert_null(c.path[CG_F_BLK]);
    assert_null(c.path[CG_F_PIDS]);
    /* cpu.stat, which showed the dir is there, is open already */
    assert_true(c.fd[CG_F_CPU] >= 0);
    assert_int_equal(open_fds(), fds0 + 1);
    /* the counters alone (a first sample that only primes the rates):
     * CPU and network, no memory file opened */
    assert_int_equal(cg_read_counters(cg, &c, 1, &s, err, sizeof err), 0);
    assert_true(s.have & STATS_HAVE_CPU);
    assert_true(s.have & STATS_HAVE_NET);
    assert_false(s.have & STATS_HAVE_MEM);
    assert_int_equal(c.fd[CG_F_MEM_STAT], -1);
    assert_int_equal(open_fds(), fds0 + 2);
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), 0);
    assert_true(s.have & STATS_HAVE_MEM);
    assert_false(s.have & STATS_HAVE_BLK);
    assert_false(s.have & STATS_HAVE_PIDS);
    assert_false(s.have & STATS_HAVE_INACTIVE_FILE);
    assert_true(s.have & STATS_HAVE_NET);
    assert_true(s.net_rx == 0);          /* lo only */
    assert_true(s.mem_limit == 1024000); /* above the host: host memory */
    assert_true(s.cpu_usage_ns == 10000);
    /* the five files read stay open, and are read again from offset 0 */
    for (int f = CG_F_CPU; f <= CG_F_MEM_STAT; f++)
        assert_true(c.fd[f] >= 0);
    assert_true(c.fd[CG_F_NET_DEV] >= 0);
    assert_int_equal(open_fds(), fds0 + 5);
    put(SCOPE "cpu.stat", "usage_usec 25\n"); /* same file, rewritten */
    put("proc/7/net/dev", "Inter-|\n face |\n  eth0: 9 1 0 0 0 0 0 0 4 1 0 0 "
                          "0 0 0 0\n");
    assert_int_equal(cg_read(cg, &c, 2, &s, err, sizeof err), 0);
    assert_true(s.cpu_usage_ns == 25000);
    assert_true(s.net_rx == 9 && s.net_tx == 4);
    assert_int_equal(open_fds(), fds0 + 5);
    /* resolving again closes what was open (and opens cpu.stat anew) */
    assert_int_equal(cg_resolve(cg, V2ID, 7, &c, err, sizeof err), 0);
    assert_int_equal(open_fds(), fds0 + 1);
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), 0);
    cg_container_cleanup(&c);
    assert_int_equal(open_fds(), fds0);

    /* bound 0: each file opened and closed around its read, as when the
     * open-file limit is reached */
    cg_set_fd_bound(cg, 0);
    cg_container_init(&c);
    assert_int_equal(cg_resolve(cg, V2ID, 7, &c, err, sizeof err), 0);
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), 0);
    assert_true(s.cpu_usage_ns == 25000);
    assert_int_equal(c.fd[CG_F_CPU], -1);
    assert_int_equal(open_fds(), fds0);
    /* host network: no /proc/<pid>/net/dev read, 0 as docker shows */
    c.no_net = true;
    rm("proc/7/net/dev");
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), 0);
    assert_true(s.have & STATS_HAVE_NET);
    assert_true(s.net_rx == 0 && s.net_tx == 0);
    /* the init process exited */
    c.no_net = false;
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), CG_GONE);
    assert_non_null(strstr(err, "net/dev"));
    /* the cgroup was removed: gone, naming the file */
    rm(SCOPE "memory.current");
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), CG_GONE);
    assert_non_null(strstr(err, "memory.current"));
    assert_int_equal(open_fds(), fds0);
    /* a file over the 64 KiB cap is refused, not truncated */
    char *big = malloc(CG_FILE_MAX + 100);
    assert_non_null(big);
    memset(big, 'x', CG_FILE_MAX + 99);
    big[CG_FILE_MAX + 99] = '\0';
    put(SCOPE "memory.current", big);
    free(big);
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "over 65536 bytes"));
    put(SCOPE "memory.current", "");
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "memory.current: expected a number"));
    /* bad content is no reason to close (read again next round); cleanup
     * closes what is open */
    cg_set_fd_bound(cg, CG_FDS_MAX);
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), -1);
    assert_true(c.fd[CG_F_MEM_USAGE] >= 0);
    assert_true(c.fd[CG_F_CPU] >= 0);
    assert_int_equal(open_fds(), fds0 + 2);
    cg_container_cleanup(&c);
    assert_int_equal(open_fds(), fds0);
    cg_free(cg);
    rm_tmpdir();
}

/* ---- cgroup.procs, cpu.max, cfs quota ---- */

static void test_first_pid_and_cpu_limits(void **state)
{
    (void)state;
    char err[256];
    int pid = -1;
    double cores = -1;
    assert_int_equal(
        cg_parse_first_pid(P("4242\n4250\n"), &pid, err, sizeof err), 0);
    assert_int_equal(pid, 4242);
    /* v2 shows processes outside the reader's pid namespace as 0 */
    assert_int_equal(cg_parse_first_pid(P("0\n0\n77\n"), &pid, err, sizeof err),
                     0);
    assert_int_equal(pid, 77);
    assert_int_equal(cg_parse_first_pid(P("0\n"), &pid, err, sizeof err), 0);
    assert_int_equal(pid, 0);
    assert_int_equal(cg_parse_first_pid(P(""), &pid, err, sizeof err), 0);
    assert_int_equal(pid, 0);
    assert_int_equal(cg_parse_first_pid(P("12x\n"), &pid, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(
        cg_parse_first_pid(P("99999999999\n"), &pid, err, sizeof err), -1);

    /* v2 cpu.max as the kernel shows it */
    assert_int_equal(
        cg_parse_cpu_max(P("max 100000\n"), &cores, err, sizeof err), 0);
    assert_true(cores == 0.0);
    assert_int_equal(
        cg_parse_cpu_max(P("20000 100000\n"), &cores, err, sizeof err), 0);
    assert_true(cores > 0.19999 && cores < 0.20001);
    assert_int_equal(
        cg_parse_cpu_max(P("150000 50000\n"), &cores, err, sizeof err), 0);
    assert_true(cores == 3.0);
    assert_int_equal(cg_parse_cpu_max(P("20000\n"), &cores, err, sizeof err),
                     0); /* period left out: the kernel's default */
    assert_true(cores > 0.19999 && cores < 0.20001);
    assert_int_equal(cg_parse_cpu_max(P("max 0\n"), &cores, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "QUOTA PERIOD"));
    assert_int_equal(
        cg_parse_cpu_max(P("-1 100000\n"), &cores, err, sizeof err), -1);
    assert_int_equal(
        cg_parse_cpu_max(P("1 100000 9\n"), &cores, err, sizeof err), -1);
    assert_int_equal(cg_parse_cpu_max(P(""), &cores, err, sizeof err), -1);

    /* v1 cfs quota / period */
    assert_int_equal(
        cg_parse_cfs(P("-1\n"), P("100000\n"), &cores, err, sizeof err), 0);
    assert_true(cores == 0.0);
    assert_int_equal(
        cg_parse_cfs(P("20000\n"), P("100000\n"), &cores, err, sizeof err), 0);
    assert_true(cores > 0.19999 && cores < 0.20001);
    assert_int_equal(
        cg_parse_cfs(P("-2\n"), P("100000\n"), &cores, err, sizeof err), -1);
    assert_non_null(strstr(err, "cpu.cfs_quota_us"));
    assert_int_equal(
        cg_parse_cfs(P("20000\n"), P("10\n"), &cores, err, sizeof err), -1);
    assert_non_null(strstr(err, "cpu.cfs_period_us"));
    assert_int_equal(
        cg_parse_cfs(P("x\n"), P("100000\n"), &cores, err, sizeof err), -1);
}

/* ---- resolving by id alone (no engine): pid, CPU limit, network ---- */

#define V1DIR(ctrl) "cgroup/" ctrl "/docker/" V1ID "/"

static void put_pid_self(void)
{
    char path[512], target[32];
    snprintf(path, sizeof path, "%s/proc/self", tmpdir);
    snprintf(target, sizeof target, "%d", (int)getpid());
    (void)unlink(path);
    assert_int_equal(symlink(target, path), 0);
}

static void hardlink(const char *from, const char *to)
{
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/%s", tmpdir, from);
    snprintf(b, sizeof b, "%s/%s", tmpdir, to);
    (void)unlink(b);
    assert_int_equal(link(a, b), 0);
}

static void test_resolve_id_v2(void **state)
{
    (void)state;
    char err[512];
    struct stats_sample s;
    struct cg_container c;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/das-test-cgroup-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    put("proc/meminfo", "MemTotal: 1000 kB\n");
    put("proc/1/ns/net", "host netns\n");
    put("proc/7/ns/net", "a netns of its own\n");
    put("proc/7/net/dev", "Inter-|\n face |\n  eth0: 9 1 0 0 0 0 0 0 4 1 0 0 "
                          "0 0 0 0\n");
    put("cgroup/cgroup.controllers", "cpu io memory pids\n");
    put(SCOPE "cgroup.procs", "7\n8\n");
    put(SCOPE "cpu.max", "20000 100000\n");
    put(SCOPE "cpu.stat", "usage_usec 10\n");
    put(SCOPE "memory.current", "4096\n");
    put(SCOPE "memory.max", "max\n");
    put(SCOPE "memory.stat", "anon 4096\nfile 100\ninactive_file 50\n");
    put(SCOPE "pids.current", "2\n");

    /* proc root without "self" for this process: another pid namespace */
    struct cg *cg = reader(tmpdir);
    cg_container_init(&c);
    assert_int_equal(cg_resolve_id(cg, V2ID, &c, err, sizeof err), CG_NEED_PID);
    assert_non_null(strstr(err, "pid namespace"));
    cg_free(cg);

    put_pid_self();
    int fds0 = open_fds();
    cg = reader(tmpdir);
    assert_int_equal(cg_resolve_id(cg, V2ID, &c, err, sizeof err), 0);
    assert_int_equal(c.version, CG_V2);
    assert_int_equal(c.pid, 7);
    assert_true(c.cpu_limit_cores > 0.19999 && c.cpu_limit_cores < 0.20001);
    assert_false(c.no_net);
    assert_null(c.path[CG_F_BLK]);
    assert_non_null(c.path[CG_F_PIDS]);
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), 0);
    assert_true(s.cpu_limit_cores == c.cpu_limit_cores);
    assert_true(s.net_rx == 9 && s.pids == 2 && s.mem_limit == 1024000);
    assert_true(s.mem_inactive_file == 50 && s.mem_cache == 100);

    /* the host's network namespace (the same identity as pid 1's) */
    hardlink("proc/1/ns/net", "proc/7/ns/net");
    put(SCOPE "cpu.max", "max 100000\n");
    assert_int_equal(cg_resolve_id(cg, V2ID, &c, err, sizeof err), 0);
    assert_true(c.no_net);
    assert_true(c.cpu_limit_cores == 0.0);
    /* no cpu.max: the cpu controller is not enabled, so no limit */
    rm(SCOPE "cpu.max");
    assert_int_equal(cg_resolve_id(cg, V2ID, &c, err, sizeof err), 0);
    assert_true(c.cpu_limit_cores == 0.0);
    put(SCOPE "cpu.max", "lots\n");
    assert_int_equal(cg_resolve_id(cg, V2ID, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "cpu.max"));
    put(SCOPE "cpu.max", "max 100000\n");
    cg_free(cg);

    /* ns/net of pid 1 not readable: the namespace's own net/dev entry */
    rm("proc/1/ns/net");
    put("proc/1/net/dev", "Inter-|\n face |\n");
    cg = reader(tmpdir);
    assert_int_equal(cg_resolve_id(cg, V2ID, &c, err, sizeof err), 0);
    assert_false(c.no_net);
    hardlink("proc/1/net/dev", "proc/7/net/dev");
    assert_int_equal(cg_resolve_id(cg, V2ID, &c, err, sizeof err), 0);
    assert_true(c.no_net);
    cg_free(cg);
    /* neither: the engine must say */
    rm("proc/1/net/dev");
    cg = reader(tmpdir);
    assert_int_equal(cg_resolve_id(cg, V2ID, &c, err, sizeof err), CG_NEED_PID);
    assert_non_null(strstr(err, "network namespace is unknown"));
    put("proc/1/ns/net", "host netns\n");
    cg_free(cg);

    cg = reader(tmpdir);
    /* processes only in sub-cgroups (or invisible): no pid */
    put(SCOPE "cgroup.procs", "0\n");
    assert_int_equal(cg_resolve_id(cg, V2ID, &c, err, sizeof err), CG_NEED_PID);
    assert_non_null(strstr(err, "no process"));
    /* a pid that is gone by the time it is looked at */
    put(SCOPE "cgroup.procs", "9\n");
    assert_int_equal(cg_resolve_id(cg, V2ID, &c, err, sizeof err), CG_GONE);
    /* not in the engine's layouts (e.g. --cgroup-parent) */
    assert_int_equal(cg_resolve_id(cg,
                                   "0123456789abcdef0123456789abcdef0123456789"
                                   "abcdef0123456789abcdef",
                                   &c, err, sizeof err),
                     CG_NEED_PID);
    assert_non_null(strstr(err, "tried"));
    assert_int_equal(cg_resolve_id(cg, "../x", &c, err, sizeof err), -1);
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), -1);
    cg_container_cleanup(&c);
    assert_int_equal(open_fds(), fds0);
    cg_free(cg);
    rm_tmpdir();
}

static void test_resolve_id_v1(void **state)
{
    (void)state;
    char err[512];
    struct stats_sample s;
    struct cg_container c;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/das-test-cgroup-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    put("proc/meminfo", "MemTotal: 1000 kB\n");
    put("proc/1/ns/net", "host netns\n");
    put("proc/6004/ns/net", "own netns\n");
    put("proc/6004/net/dev", "Inter-|\n face |\n");
    put_pid_self();
    put(V1DIR("cpuacct") "cpuacct.usage", "17951273742\n");
    put(V1DIR("cpuacct") "cgroup.procs", "6004\n");
    put(V1DIR("memory") "memory.usage_in_bytes", "4096\n");
    put(V1DIR("memory") "memory.limit_in_bytes", "9223372036854771712\n");
    put(V1DIR("memory") "memory.stat", "total_inactive_file 10\n");
    put(V1DIR("blkio") "blkio.io_service_bytes_recursive",
        "8:0 Read 5\n8:0 Write 6\nTotal 11\n");

    struct cg *cg = reader(tmpdir);
    cg_container_init(&c);
    /* no cpu controller dir: the CPU limit is not known */
    assert_int_equal(cg_resolve_id(cg, V1ID, &c, err, sizeof err), CG_NEED_PID);
    assert_non_null(strstr(err, "cpu controller"));
    put(V1DIR("cpu") "cpu.cfs_quota_us", "50000\n");
    put(V1DIR("cpu") "cpu.cfs_period_us", "100000\n");
    assert_int_equal(cg_resolve_id(cg, V1ID, &c, err, sizeof err), 0);
    assert_int_equal(c.version, CG_V1);
    assert_int_equal(c.pid, 6004);
    assert_true(c.cpu_limit_cores == 0.5);
    assert_false(c.no_net);
    assert_null(c.path[CG_F_PIDS]);
    assert_non_null(strstr(c.path[CG_F_BLK], "_recursive"));
    assert_int_equal(cg_read(cg, &c, 1, &s, err, sizeof err), 0);
    assert_true(s.cpu_usage_ns == 17951273742ull);
    assert_true(s.blk_read == 5 && s.blk_write == 6);
    assert_true(s.mem_total_inactive_file == 10);
    assert_true(s.mem_limit == 1024000);
    put(V1DIR("cpu") "cpu.cfs_quota_us", "-1\n");
    assert_int_equal(cg_resolve_id(cg, V1ID, &c, err, sizeof err), 0);
    assert_true(c.cpu_limit_cores == 0.0);
    put(V1DIR("cpu") "cpu.cfs_period_us", "0\n");
    assert_int_equal(cg_resolve_id(cg, V1ID, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "cpu.cfs_period_us"));
    cg_container_cleanup(&c);
    cg_free(cg);
    rm_tmpdir();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proc_cgroup_v1_recorded),
        cmocka_unit_test(test_proc_cgroup_v1_systemd),
        cmocka_unit_test(test_proc_cgroup_v2),
        cmocka_unit_test(test_proc_cgroup_garbage),
        cmocka_unit_test(test_u64_and_limit),
        cmocka_unit_test(test_flat_recorded_memory_stat),
        cmocka_unit_test(test_flat_v2_and_garbage),
        cmocka_unit_test(test_blkio_v1),
        cmocka_unit_test(test_io_stat_v2),
        cmocka_unit_test(test_net_dev),
        cmocka_unit_test(test_meminfo),
        cmocka_unit_test(test_read_v1_recorded_vs_docker_stats),
        cmocka_unit_test(test_read_v1_unlimited),
        cmocka_unit_test(test_read_v1_systemd_and_ns),
        cmocka_unit_test(test_read_v2_systemd_two_samples),
        cmocka_unit_test(test_read_v2_cgroupfs_and_ns),
        cmocka_unit_test(test_read_garbage_names_file),
        cmocka_unit_test(test_missing_roots_and_pids),
        cmocka_unit_test(test_scratch_tree),
        cmocka_unit_test(test_first_pid_and_cpu_limits),
        cmocka_unit_test(test_resolve_id_v2),
        cmocka_unit_test(test_resolve_id_v1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
