/* docker: parsers over recorded Engine API replies, and the client against
 * a stand-in engine (libmicrohttpd on a unix socket) serving those replies:
 * version negotiation, error messages, a container gone between list and
 * stats (404), bad JSON; and dsvc_scale against the engine's
 * GET /services/{id} and POST /services/{id}/update?version=N, including
 * an "update out of sequence" (someone else updated the service between
 * our read and our write), replicas changed by someone else meanwhile,
 * and the guard asked right before each POST. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "docker.h"
#include "docker_svc.h"
#include "fixture.h"

#define BURN "e77e03a57ddc243f47f639d7aa8af3bdf825f8326bc21c1d7c9f5a0fd7f30bbe"
#define TASK "10804578d141ace80ac4b8f63d8fee1cfc80784b551432cf129c7089c2b06e0c"
#define GONE "0000000000000000000000000000000000000000000000000000000000000000"
#define STOPPED                                                                \
    "5555555555555555555555555555555555555555555555555555555555555555"
#define BADJSON                                                                \
    "badbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadb"
/* the service of tests/fixtures/swarm/service_web.json */
#define SVC "pc0q5jo4pwyhgr3pnphxe7w7m"
#define BOOM "b00b00b00b00b00b00b00b00b00b00b00b00b00b00b00b00b00b00b00b00b00b"

static char *slurp(const char *name, size_t *len)
{
    return fixture_read("docker", name, len);
}

/* ---- pure parsers on recorded replies ---- */

static void test_parse_stats_recorded_v1(void **state)
{
    (void)state;
    struct dkr_stats st;
    char err[256];
    size_t len;
    char *t = slurp("stats-v1-swarm.json", &len);
    assert_int_equal(dkr_parse_stats(t, len, &st, err, sizeof err), 0);
    assert_int_equal(st.rc, 0);
    assert_string_equal(st.id, TASK);
    assert_int_equal(st.cur.source, STATS_SRC_API);
    assert_true(st.cur.cpu_usage_ns == 2755683087ull);
    assert_true(st.cur.system_cpu_ns == 1253100000000ull);
    assert_int_equal(st.cur.online_cpus, 2);
    assert_true(st.has_pre);
    assert_true(st.pre.cpu_usage_ns == 2555030095ull);
    assert_true(st.pre.system_cpu_ns == 1251080000000ull);
    /* 2026-11-27T19:43:23.716808399Z */
    assert_true(st.cur.time_ns == 1795808603716808399LL);
    assert_true(st.pre.time_ns == 1795808602713445965LL);
    assert_true(st.cur.have & STATS_HAVE_TOTAL_INACTIVE_FILE);
    assert_true(st.cur.mem_usage == 327680);
    assert_true(st.cur.mem_limit == 25276510208ull); /* host: no limit */

    struct stats_point p;
    stats_compute(&st.pre, &st.cur, &p);
    /* docker/cli: (2755683087-2555030095)/(1253100000000-1251080000000)
     * * 2 * 100 = 19.86663… */
    assert_true(p.have & STATS_F_CPU_RATIO);
    assert_true(p.cpu_ratio > 19.86663 && p.cpu_ratio < 19.86664);
    assert_false(p.have & STATS_F_CPU_LIMIT_RATIO); /* limit set by caller */
    st.cur.cpu_limit_cores = 0.2;
    stats_compute(&st.pre, &st.cur, &p);
    assert_true(p.cpu_limit_ratio > 99.33 && p.cpu_limit_ratio < 99.34);
    assert_int_equal(p.mem_usage, 327680);
    /* no "networks" (container without network): 0B / 0B like docker */
    assert_true(p.have & STATS_F_NET);
    assert_int_equal(p.net_read, 0);
    assert_true(p.have & STATS_F_BLK);
    assert_int_equal(p.blk_read, 0);
    assert_int_equal(p.pids, 1);
    free(t);
}

static void test_parse_stats_oneshot_and_stopped(void **state)
{
    (void)state;
    struct dkr_stats st;
    char err[256];
    size_t len;
    char *t = slurp("stats-v1-oneshot.json", &len);
    assert_int_equal(dkr_parse_stats(t, len, &st, err, sizeof err), 0);
    assert_false(st.has_pre); /* one-shot: no precpu */
    assert_true(st.cur.have & STATS_HAVE_SYSTEM_CPU);
    free(t);
    t = slurp("stats-stopped.json", &len);
    assert_int_equal(dkr_parse_stats(t, len, &st, err, sizeof err), DKR_GONE);
    assert_int_equal(st.rc, DKR_GONE);
    assert_non_null(strstr(err, "not running"));
    free(t);
}

/* moby statsV2 shape: v2 memory keys, lowercase block ops, no percpu,
 * pids limit 2^64-1 (beyond int64: parsed through the real fallback). */
static void test_parse_stats_v2(void **state)
{
    (void)state;
    struct dkr_stats st;
    char err[256];
    size_t len;
    char *t = slurp("stats-v2.json", &len);
    assert_int_equal(dkr_parse_stats(t, len, &st, err, sizeof err), 0);
    assert_false(st.cur.have & STATS_HAVE_TOTAL_INACTIVE_FILE);
    assert_true(st.cur.have & STATS_HAVE_INACTIVE_FILE);
    assert_int_equal(st.cur.online_cpus, 4);
    struct stats_point p;
    stats_compute(&st.pre, &st.cur, &p);
    /* (1683104000-1483104000)/(721500000000-717500000000)*4*100 = 20 */
    assert_true(p.cpu_ratio > 19.9999 && p.cpu_ratio < 20.0001);
    assert_int_equal(p.mem_usage, 5541888 - 2641920);
    assert_int_equal(p.mem_limit, 8326893568);
    assert_int_equal(p.blk_read, 5402624);
    assert_int_equal(p.blk_write, 16777216);
    assert_int_equal(p.net_read, 3700); /* eth0 + eth1 */
    assert_int_equal(p.net_write, 1800);
    assert_int_equal(p.pids, 3);
    free(t);
}

static void test_parse_stats_bad(void **state)
{
    (void)state;
    struct dkr_stats st;
    char err[256];
    const char *bad[] = {
        "",
        "{",
        "{\"read\": }",
        "[1,2]",
        "{\"cpu_stats\":{}}",
        "{\"read\":\"yesterday\",\"cpu_stats\":{}}",
        "{\"read\":\"2026-11-27T19:43:23Z\"}",
        "{\"read\":\"2026-11-27T19:43:23Z\",\"cpu_stats\":[]}",
    };
    const char *want[] = {
        "bad JSON at line",  "bad JSON at line 1", "bad JSON at line 1",
        "not a JSON object", "\"read\"",           "\"read\"",
        "no cpu_stats",      "no cpu_stats",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(
            dkr_parse_stats(bad[i], strlen(bad[i]), &st, err, sizeof err), -1);
        if (!strstr(err, want[i]))
            fail_msg("input %zu: error \"%s\" lacks \"%s\"", i, err, want[i]);
        assert_int_equal(st.rc, -1);
        assert_string_equal(st.err, err);
    }
    /* wrong types inside are ignored, not fatal; negative numbers dropped */
    const char odd[] =
        "{\"read\":\"2026-11-27T19:43:23Z\",\"cpu_stats\":{\"cpu_usage\":"
        "{\"total_usage\":-5,\"percpu_usage\":[1,2,3]},\"system_cpu_usage\":9},"
        "\"memory_stats\":{\"usage\":\"x\"},\"networks\":[1],"
        "\"blkio_stats\":{\"io_service_bytes_recursive\":[{\"op\":\"Read\"},"
        "{\"op\":\"Write\",\"value\":7},{\"value\":1},3]},\"pids_stats\":{}}";
    assert_int_equal(dkr_parse_stats(odd, strlen(odd), &st, err, sizeof err),
                     0);
    assert_false(st.cur.have & STATS_HAVE_CPU);
    assert_true(st.cur.have & STATS_HAVE_SYSTEM_CPU);
    assert_int_equal(st.cur.online_cpus, 3); /* len(percpu_usage) */
    assert_false(st.cur.have & STATS_HAVE_MEM);
    assert_true(st.cur.blk_write == 7 && st.cur.blk_read == 0);
    assert_true(st.cur.have & STATS_HAVE_PIDS);
    assert_true(st.cur.pids == 0);
    /* the parser stops at len */
    char cut[] = "{\"read\":\"2026-11-27T19:43:23Z\",\"cpu_stats\":{}}GARBAGE";
    assert_int_equal(
        dkr_parse_stats(cut, strlen(cut) - 7, &st, err, sizeof err), 0);
}

static void test_parse_time(void **state)
{
    (void)state;
    int64_t ns = 0;
    assert_int_equal(dkr_parse_time("1970-01-01T00:00:00Z", &ns), 0);
    assert_true(ns == 0);
    assert_int_equal(dkr_parse_time("2026-11-27T19:39:00.671661228Z", &ns), 0);
    assert_true(ns == 1795808340671661228LL);
    assert_int_equal(dkr_parse_time("2026-11-27T19:39:00.5Z", &ns), 0);
    assert_true(ns == 1795808340500000000LL);
    /* more than 9 digits: truncated to ns */
    assert_int_equal(dkr_parse_time("2026-11-27T19:39:00.1234567891Z", &ns), 0);
    assert_true(ns == 1795808340123456789LL);
    assert_int_equal(dkr_parse_time("2026-11-27T21:39:00+02:00", &ns), 0);
    assert_true(ns == 1795808340000000000LL);
    assert_int_equal(dkr_parse_time("2026-11-27T17:09:00-02:30", &ns), 0);
    assert_true(ns == 1795808340000000000LL);
    assert_int_equal(dkr_parse_time("2000-02-29T00:00:00Z", &ns), 0);
    assert_true(ns == 951782400000000000LL);
    assert_int_equal(dkr_parse_time("0001-01-01T00:00:00Z", &ns), -1);
    const char *bad[] = {"",
                         "2026-11-27",
                         "2026-11-27T19:39:00",
                         "2026-13-27T19:39:00Z",
                         "2026-11-27T19:39:00.Z",
                         "2026-11-27T19:39:00Zjunk",
                         "2026-11-27 19:39:00Z",
                         "2026-11-27T19:39:00+0200",
                         "x026-11-27T19:39:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (dkr_parse_time(bad[i], &ns) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(dkr_parse_time(NULL, &ns), -1);
}

static void test_parse_containers(void **state)
{
    (void)state;
    struct dkr_container_list l;
    char err[256];
    size_t len;
    char *t = slurp("containers.json", &len);
    assert_int_equal(dkr_parse_containers(t, len, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.v[0].id, TASK);
    assert_string_equal(l.v[0].name, "burnsvc.1.xrwt9j7uh938al54ose2b4kav");
    assert_string_equal(l.v[0].service_id, "ttu7796h95o7pdcug9a7u1g5e");
    assert_string_equal(l.v[0].service_name, "burnsvc");
    assert_string_equal(l.v[3].name, "burn");
    assert_null(l.v[3].service_id);
    assert_null(l.v[3].service_name);
    dkr_container_list_cleanup(&l);
    free(t);
    const char odd[] = "[{\"Id\":\"short\"},{\"Names\":[]},3,{\"Id\":\"" BURN
                       "\",\"Names\":null,\"Labels\":null}]";
    assert_int_equal(
        dkr_parse_containers(odd, sizeof odd - 1, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].name, "");
    dkr_container_list_cleanup(&l);
    assert_int_equal(dkr_parse_containers("{}", 2, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a JSON array"));
    assert_int_equal(dkr_parse_containers("[", 1, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad JSON"));
    dkr_container_list_cleanup(NULL);
}

static void test_parse_inspect_and_info(void **state)
{
    (void)state;
    struct dkr_inspect in;
    struct dkr_info info;
    char err[256];
    size_t len;
    char *t = slurp("inspect-burn.json", &len);
    assert_int_equal(dkr_parse_inspect(t, len, &in, err, sizeof err), 0);
    assert_string_equal(in.id, BURN);
    assert_true(in.running);
    assert_int_equal(in.pid, 6004);
    assert_true(in.nano_cpus == 200000000);
    assert_true(in.memory == 67108864);
    assert_true(in.cpu_limit_cores == 0.2);
    assert_false(in.host_network);
    assert_string_equal(in.started_at, "2026-11-27T19:37:31.090840776Z");
    free(t);
    t = slurp("inspect-swarm-task.json", &len);
    assert_int_equal(dkr_parse_inspect(t, len, &in, err, sizeof err), 0);
    assert_true(in.cpu_limit_cores == 0.2); /* --limit-cpu 0.2 */
    free(t);
    const char host[] = "{\"Id\":\"" BURN "\",\"State\":{\"Running\":false,"
                        "\"Pid\":0},\"HostConfig\":{\"NetworkMode\":\"host\","
                        "\"CpuQuota\":50000,\"CpuPeriod\":100000}}";
    assert_int_equal(
        dkr_parse_inspect(host, strlen(host), &in, err, sizeof err), 0);
    assert_true(in.host_network);
    assert_false(in.running);
    assert_true(in.cpu_limit_cores == 0.5);
    assert_int_equal(dkr_parse_inspect("{}", 2, &in, err, sizeof err), -1);
    assert_non_null(strstr(err, "no valid Id"));

    t = slurp("info.json", &len);
    assert_int_equal(dkr_parse_info(t, len, &info, err, sizeof err), 0);
    assert_string_equal(info.name, "vm");
    assert_string_equal(info.node_id, "b03zi6nm0mpktkcvp7g5tc8rl");
    assert_string_equal(info.local_node_state, "active");
    assert_true(info.control_available);
    assert_int_equal(info.ncpu, 2);
    assert_true(info.mem_total == 25276510208LL);
    assert_string_equal(info.cgroup_driver, "cgroupfs");
    assert_int_equal(info.cgroup_version, 1);
    dkr_info_cleanup(&info);
    free(t);
    const char nosw[] = "{\"Name\":\"n\"}";
    assert_int_equal(dkr_parse_info(nosw, strlen(nosw), &info, err, sizeof err),
                     0);
    assert_string_equal(info.node_id, "");
    assert_false(info.control_available);
    dkr_info_cleanup(&info);
    assert_int_equal(dkr_parse_info("[]", 2, &info, err, sizeof err), -1);
    assert_int_equal(dkr_parse_info("{\"Name\"", 7, &info, err, sizeof err),
                     -1);
    dkr_info_cleanup(NULL);
}

static void test_parse_events(void **state)
{
    (void)state;
    struct dkr_event_list l;
    char err[256];
    size_t len;
    char *t = slurp("events-all.txt", &len);
    assert_int_equal(dkr_parse_events(t, len, &l, err, sizeof err), 0);
    /* starts of burn, idle, io, the task, and io's stop: die + start */
    assert_int_equal(l.n, 6);
    assert_string_equal(l.v[0].action, "start");
    assert_string_equal(l.v[0].id, BURN);
    assert_string_equal(l.v[4].action, "die");
    assert_string_equal(l.v[5].action, "start");
    assert_true(l.v[4].time_ns > 1795808000000000000LL);
    dkr_event_list_cleanup(&l);
    free(t);
    assert_int_equal(dkr_parse_events("", 0, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 0);
    const char bad[] = "{\"Type\":\"container\"}\n{\"Type\":";
    assert_int_equal(dkr_parse_events(bad, sizeof bad - 1, &l, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "events: bad JSON"));
    assert_null(l.v);
}

static void test_new_hosts(void **state)
{
    (void)state;
    char err[512];
    struct dkr *d;
    const char *bad[] = {"unix://relative.sock",
                         "ssh://user@host",
                         "npipe:////./pipe/docker_engine",
                         "tcp://",
                         "tcp://:2375",
                         "/var/run/docker.sock"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        d = dkr_new(bad[i], err, sizeof err);
        if (d)
            fail_msg("accepted %s", bad[i]);
        assert_non_null(strstr(err, "Docker host"));
    }
    unsetenv("DOCKER_TLS_VERIFY");
    unsetenv("DOCKER_TLS");
    d = dkr_new("tcp://127.0.0.1", err, sizeof err);
    assert_non_null(d);
    assert_string_equal(dkr_host(d), "tcp://127.0.0.1");
    assert_null(dkr_api_version(d));
    dkr_free(d);
    setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock", 1);
    d = dkr_new(NULL, err, sizeof err);
    assert_non_null(d);
    assert_string_equal(dkr_host(d), "unix:///nonexistent/docker.sock");
    /* nothing listens there: a clear error, and no version */
    assert_int_equal(dkr_negotiate(d, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot reach Docker at unix:///nonexistent"));
    struct dkr_info info;
    assert_int_equal(dkr_info(d, &info, err, sizeof err), -1);
    dkr_free(d);
    unsetenv("DOCKER_HOST");
    /* TLS verification without ca.pem: names the file and the variable */
    setenv("DOCKER_TLS_VERIFY", "1", 1);
    setenv("DOCKER_CERT_PATH", "/nonexistent/certs", 1);
    d = dkr_new("tcp://10.0.0.1:2376", err, sizeof err);
    assert_null(d);
    assert_non_null(strstr(err, "/nonexistent/certs/ca.pem"));
    assert_non_null(strstr(err, "DOCKER_CERT_PATH"));
    /* "0" turns it off; unix sockets ignore TLS */
    setenv("DOCKER_TLS_VERIFY", "0", 1);
    d = dkr_new("tcp://10.0.0.1:2376", err, sizeof err);
    assert_non_null(d);
    dkr_free(d);
    setenv("DOCKER_TLS_VERIFY", "1", 1);
    d = dkr_new("unix:///run/docker.sock", err, sizeof err);
    assert_non_null(d);
    dkr_free(d);
    unsetenv("DOCKER_TLS_VERIFY");
    unsetenv("DOCKER_CERT_PATH");
    /* a cert without its key */
    char dir[] = "/tmp/das-test-certs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char f[128];
    snprintf(f, sizeof f, "%s/cert.pem", dir);
    FILE *fp = fopen(f, "w");
    assert_non_null(fp);
    fclose(fp);
    struct dkr_tls tls = {true, false, dir};
    d = dkr_new_tls("tcp://h:1", &tls, err, sizeof err);
    assert_null(d);
    assert_non_null(strstr(err, "key.pem"));
    unlink(f);
    rmdir(dir);
    /* no TLS settings at all (NULL) with an https:// host: every one off,
     * and no ~/.docker (it dereferenced NULL) */
    const char *home = getenv("HOME");
    char *saved = home ? strdup(home) : NULL;
    setenv("HOME", "/nonexistent", 1);
    d = dkr_new_tls("https://10.0.0.1:2376", NULL, err, sizeof err);
    assert_non_null(d);
    assert_string_equal(dkr_host(d), "https://10.0.0.1:2376");
    dkr_free(d);
    if (saved)
        setenv("HOME", saved, 1);
    else
        unsetenv("HOME");
    free(saved);
    dkr_free(NULL);
}

/* ---- a stand-in engine ---- */

struct fake {
    struct MHD_Daemon *mhd;
    char sock[108];
    char dir[64];
    const char *api; /* what /version says */
    char last_url[512];
    char last_body[256];
    char last_ctype[64];
    int requests;
    /* the service SVC as the engine holds it */
    long svc_replicas;
    long svc_version;
    int svc_gets, svc_posts;
    long posted_version;  /* ?version= of the last POST .../update */
    long posted_replicas; /* Mode.Replicated.Replicas it sent; -2: bad body */
    /* the next oos POSTs lose a race: someone else updates the service
     * first (version + 1, replicas become meanwhile unless it is -1), and
     * the engine answers 500 "update out of sequence" */
    int oos;
    long meanwhile;
};
static struct fake fk;

struct upload {
    char body[16384]; /* a full service spec fits */
    size_t len;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
                             const char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_file(struct MHD_Connection *c, unsigned status,
                                  const char *name)
{
    size_t len;
    char *t = slurp(name, &len);
    enum MHD_Result ret = reply(c, status, t, len);
    free(t);
    return ret;
}

/* GET /services/SVC: the recorded service with the engine's current
 * version and replica count. */
static enum MHD_Result reply_service(struct MHD_Connection *c)
{
    char path[512];
    json_error_t je;
    fk.svc_gets++;
    snprintf(path, sizeof path, "%s/swarm/service_web.json", FIXTURES);
    json_t *svc = json_load_file(path, 0, &je);
    if (!svc)
        return reply(c, 500, "{\"message\":\"no fixture\"}", 24);
    json_object_set_new(json_object_get(svc, "Version"), "Index",
                        json_integer(fk.svc_version));
    json_object_set_new(
        json_object_get(json_object_get(json_object_get(svc, "Spec"), "Mode"),
                        "Replicated"),
        "Replicas", json_integer(fk.svc_replicas));
    char *body = json_dumps(svc, JSON_COMPACT);
    json_decref(svc);
    enum MHD_Result ret = reply(c, 200, body, strlen(body));
    free(body);
    return ret;
}

/* POST /services/SVC/update?version=N with the full spec, as swarmkit
 * does it: a version other than the current one is "update out of
 * sequence" (500), otherwise the spec is taken and the version moves. */
static enum MHD_Result update_service(struct MHD_Connection *c,
                                      const struct upload *up)
{
    static const char oos[] = "{\"message\":\"rpc error: code = Unknown "
                              "desc = update out of sequence\"}";
    const char *v =
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "version");
    fk.svc_posts++;
    fk.posted_version = v ? strtol(v, NULL, 10) : -1;
    json_t *spec = json_loadb(up->body, up->len, 0, NULL);
    const json_t *r = json_object_get(
        json_object_get(json_object_get(spec, "Mode"), "Replicated"),
        "Replicas");
    fk.posted_replicas = json_is_integer(r) ? (long)json_integer_value(r) : -2;
    json_decref(spec);
    if (fk.oos > 0) {
        fk.oos--;
        fk.svc_version++;
        if (fk.meanwhile >= 0)
            fk.svc_replicas = fk.meanwhile;
        return reply(c, 500, oos, sizeof oos - 1);
    }
    if (fk.posted_version != fk.svc_version)
        return reply(c, 500, oos, sizeof oos - 1);
    if (fk.posted_replicas < 0)
        return reply(c, 400, "{\"message\":\"bad spec\"}", 22);
    fk.svc_replicas = fk.posted_replicas;
    fk.svc_version++;
    return reply(c, 200, "{\"Warnings\":null}", 17);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
                               const char *url, const char *method,
                               const char *version, const char *upload_data,
                               size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct upload *up = *con_cls;
    if (!up) {
        up = calloc(1, sizeof *up);
        *con_cls = up;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        if (up->len + n >= sizeof up->body)
            n = sizeof up->body - 1 - up->len;
        memcpy(up->body + up->len, upload_data, n);
        up->len += n;
        *upload_size = 0;
        return MHD_YES;
    }
    fk.requests++;
    snprintf(fk.last_url, sizeof fk.last_url, "%s", url);
    snprintf(fk.last_body, sizeof fk.last_body, "%s", up->body);
    const char *ct =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    snprintf(fk.last_ctype, sizeof fk.last_ctype, "%s", ct ? ct : "");
    char buf[512];
    if (strcmp(url, "/_ping") == 0)
        return reply(c, 200, "OK", 2);
    if (strcmp(url, "/version") == 0) {
        int n = snprintf(buf, sizeof buf, "{\"ApiVersion\":\"%s\"}", fk.api);
        return reply(c, 200, buf, (size_t)n);
    }
    const char *p = url;
    if (strncmp(p, "/v1.", 4) != 0)
        return reply(c, 400, "{\"message\":\"no version\"}", 24);
    p = strchr(p + 1, '/');
    if (!p)
        return reply(c, 404, "", 0);
    if (strcmp(p, "/info") == 0)
        return reply_file(c, 200, "info.json");
    if (strcmp(p, "/containers/json") == 0)
        return reply_file(c, 200, "containers.json");
    if (strcmp(p, "/events") == 0)
        return reply_file(c, 200, "events-all.txt");
    if (strcmp(p, "/echo") == 0 && strcmp(method, "POST") == 0)
        return reply(c, 201, up->body, up->len);
    if (strcmp(p, "/empty") == 0)
        return reply(c, 204, "", 0);
    if (strcmp(p, "/plain-error") == 0)
        return reply(c, 500, "page not found\n", 15);
    if (strcmp(p, "/services/" SVC) == 0 && strcmp(method, "GET") == 0)
        return reply_service(c);
    if (strcmp(p, "/services/" SVC "/update") == 0 &&
        strcmp(method, "POST") == 0)
        return update_service(c, up);
    char id[80];
    if (sscanf(p, "/containers/%64[0-9a-z]/", id) == 1) {
        const char *what = p + strlen("/containers/") + strlen(id);
        if (strcmp(id, BURN) == 0 && strcmp(what, "/json") == 0)
            return reply_file(c, 200, "inspect-burn.json");
        if (strcmp(what, "/stats") == 0) {
            if (strcmp(id, TASK) == 0)
                return reply_file(c, 200, "stats-v1-swarm.json");
            if (strcmp(id, STOPPED) == 0)
                return reply_file(c, 200, "stats-stopped.json");
            if (strcmp(id, BADJSON) == 0)
                return reply(c, 200, "{\"read\": nope", 13);
            if (strcmp(id, BOOM) == 0)
                return reply(c, 500, "{\"message\":\"boom\"}", 18);
        }
        int n = snprintf(buf, sizeof buf,
                         "{\"message\":\"No such container: %s\"}\n", id);
        return reply(c, 404, buf, (size_t)n);
    }
    return reply(c, 404, "{\"message\":\"page not found\"}", 28);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static int fake_start(void **state)
{
    (void)state;
    memset(&fk, 0, sizeof fk);
    fk.api = "1.43";
    snprintf(fk.dir, sizeof fk.dir, "/tmp/das-test-docker-XXXXXX");
    if (!mkdtemp(fk.dir))
        return -1;
    snprintf(fk.sock, sizeof fk.sock, "%s/docker.sock", fk.dir);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", fk.sock);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(fd, 64) != 0)
        return -1;
    fk.mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        handler, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    return fk.mhd ? 0 : -1;
}

static int fake_stop(void **state)
{
    (void)state;
    MHD_stop_daemon(fk.mhd);
    unlink(fk.sock);
    rmdir(fk.dir);
    return 0;
}

static struct dkr *fake_client(void)
{
    char host[200], err[512];
    snprintf(host, sizeof host, "unix://%s", fk.sock);
    struct dkr *d = dkr_new(host, err, sizeof err);
    if (!d)
        fail_msg("dkr_new: %s", err);
    return d;
}

static void test_negotiation(void **state)
{
    (void)state;
    char err[512];
    struct http_resp r;
    http_resp_init(&r);

    fk.api = "1.43"; /* newer than us: we speak 1.41 */
    struct dkr *d = fake_client();
    assert_int_equal(dkr_call(d, "GET", "/info", NULL, &r, err, sizeof err), 0);
    assert_string_equal(dkr_api_version(d), "1.41");
    assert_string_equal(fk.last_url, "/v1.41/info");
    assert_int_equal(r.status, 200);
    int before = fk.requests;
    assert_int_equal(dkr_call(d, "GET", "/info", NULL, &r, err, sizeof err), 0);
    assert_int_equal(fk.requests, before + 1); /* negotiated once */
    dkr_free(d);

    fk.api = "1.30"; /* older: use its version */
    d = fake_client();
    assert_int_equal(dkr_negotiate(d, err, sizeof err), 0);
    assert_string_equal(dkr_api_version(d), "1.30");
    assert_int_equal(dkr_call(d, "GET", "/info", NULL, &r, err, sizeof err), 0);
    assert_string_equal(fk.last_url, "/v1.30/info");
    dkr_free(d);

    fk.api = "1.12"; /* too old */
    d = fake_client();
    assert_int_equal(dkr_negotiate(d, err, sizeof err), -1);
    assert_non_null(strstr(err, "at least 1.24"));
    fk.api = "garbage";
    assert_int_equal(dkr_call(d, "GET", "/info", NULL, &r, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "no ApiVersion"));
    fk.api = "1.41"; /* the next call negotiates again */
    assert_int_equal(dkr_call(d, "GET", "/info", NULL, &r, err, sizeof err), 0);
    assert_int_equal(dkr_call(d, "GET", "info", NULL, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "must start with '/'"));
    dkr_free(d);
    http_resp_cleanup(&r);
}

static void test_json_calls(void **state)
{
    (void)state;
    char err[512];
    long status = -1;
    json_t *j = NULL;
    fk.api = "1.41";
    struct dkr *d = fake_client();

    /* a body is sent as application/json */
    assert_int_equal(dkr_json(d, "POST", "/echo", "{\"Replicas\":3}", &j,
                              &status, err, sizeof err),
                     0);
    assert_int_equal(status, 201);
    assert_string_equal(fk.last_ctype, "application/json");
    assert_int_equal(json_integer_value(json_object_get(j, "Replicas")), 3);
    json_decref(j);
    /* no content */
    assert_int_equal(
        dkr_json(d, "POST", "/empty", NULL, &j, &status, err, sizeof err), 0);
    assert_null(j);
    assert_int_equal(status, 204);
    /* Docker's {"message"} becomes the error text, with method and path */
    assert_int_equal(dkr_json(d, "GET", "/containers/" GONE "/json", NULL, &j,
                              &status, err, sizeof err),
                     -1);
    assert_int_equal(status, 404);
    assert_non_null(strstr(err, "GET /containers/" GONE "/json: 404 No such "
                                "container: " GONE));
    assert_null(strchr(err, '\n'));
    /* a non-JSON error body is shown as text */
    assert_int_equal(
        dkr_json(d, "GET", "/plain-error", NULL, &j, NULL, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "500 page not found"));

    struct dkr_info info;
    assert_int_equal(dkr_info(d, &info, err, sizeof err), 0);
    assert_string_equal(info.node_id, "b03zi6nm0mpktkcvp7g5tc8rl");
    dkr_info_cleanup(&info);

    struct dkr_container_list l;
    assert_int_equal(dkr_containers(d, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 4);
    dkr_container_list_cleanup(&l);

    struct dkr_inspect in;
    assert_int_equal(dkr_inspect(d, BURN, &in, err, sizeof err), 0);
    assert_int_equal(in.pid, 6004);
    assert_int_equal(dkr_inspect(d, GONE, &in, err, sizeof err), DKR_GONE);
    assert_int_equal(dkr_inspect(d, "../../info", &in, err, sizeof err), -1);

    struct dkr_event_list ev;
    assert_int_equal(dkr_events_since(d, 1795808000000000000LL,
                                      1795808700123456789LL, &ev, err,
                                      sizeof err),
                     0);
    assert_int_equal(ev.n, 6);
    dkr_event_list_cleanup(&ev);
    assert_int_equal(dkr_events_since(d, 5, 4, &ev, err, sizeof err), -1);
    dkr_free(d);
}

/* A container that stopped between list and stats (404), one not running,
 * one with bad JSON, one with a server error: each gets its own result and
 * the others are still parsed. */
static void test_stats_many(void **state)
{
    (void)state;
    fk.api = "1.41";
    struct dkr *d = fake_client();
    const char *ids[] = {TASK, GONE, STOPPED, BADJSON, BOOM, "nothex!", TASK};
    struct dkr_stats st[7];
    size_t ok = dkr_stats_many(d, ids, 7, st, 3);
    assert_int_equal(ok, 2);
    assert_int_equal(st[0].rc, 0);
    assert_string_equal(st[0].id, TASK);
    assert_true(st[0].has_pre);
    assert_true(st[0].cur.mem_usage == 327680);
    assert_int_equal(st[1].rc, DKR_GONE);
    assert_non_null(strstr(st[1].err, "no such container"));
    assert_int_equal(st[2].rc, DKR_GONE);
    assert_non_null(strstr(st[2].err, "not running"));
    assert_int_equal(st[3].rc, -1);
    assert_non_null(strstr(st[3].err, "bad JSON at line 1"));
    assert_string_equal(st[3].id, BADJSON);
    assert_int_equal(st[4].rc, -1);
    assert_non_null(strstr(st[4].err, "500 boom"));
    assert_int_equal(st[5].rc, -1);
    assert_non_null(strstr(st[5].err, "bad container id"));
    assert_int_equal(st[6].rc, 0);
    assert_int_equal(dkr_stats_many(d, ids, 0, st, 0), 0);
    dkr_free(d);

    /* nothing listening: every entry says so */
    struct dkr_stats one;
    char err[256];
    struct dkr *nd = dkr_new("unix:///nonexistent/d.sock", err, sizeof err);
    assert_non_null(nd);
    assert_int_equal(dkr_stats_many(nd, ids, 1, &one, 0), 0);
    assert_int_equal(one.rc, -1);
    assert_non_null(strstr(one.err, "cannot reach Docker"));
    dkr_free(nd);
}

/* The engine's service SVC: `replicas` replicas at version 40; the next
 * `oos` updates lose a race to someone who sets `meanwhile` replicas. */
static void svc_reset(long replicas, int oos, long meanwhile)
{
    fk.api = "1.41";
    fk.svc_replicas = replicas;
    fk.svc_version = 40;
    fk.svc_gets = fk.svc_posts = 0;
    fk.posted_version = fk.posted_replicas = -1;
    fk.oos = oos;
    fk.meanwhile = meanwhile;
}

static void test_scale_plain(void **state)
{
    (void)state;
    char err[512] = "";
    long from = -1;
    struct dkr *d = fake_client();
    svc_reset(2, 0, -1);
    if (dsvc_scale(d, SVC, 3, 2, NULL, &from, err, sizeof err) != 0)
        fail_msg("dsvc_scale: %s", err);
    assert_int_equal(from, 2);
    assert_int_equal(fk.svc_replicas, 3);
    assert_int_equal(fk.svc_gets, 1);
    assert_int_equal(fk.svc_posts, 1);
    assert_int_equal(fk.posted_version, 40); /* the version it read */
    assert_int_equal(fk.posted_replicas, 3);
    /* expect_from -1: no check of the replicas it finds */
    svc_reset(5, 0, -1);
    assert_int_equal(dsvc_scale(d, SVC, 4, -1, NULL, &from, err, sizeof err),
                     0);
    assert_int_equal(from, 5);
    assert_int_equal(fk.svc_replicas, 4);
    dkr_free(d);
}

/* Someone else updated the service (not its replicas) between our GET and
 * our POST: the engine says "update out of sequence"; dsvc_scale reads the
 * service again and posts with the new version. */
static void test_scale_out_of_sequence_retried(void **state)
{
    (void)state;
    char err[512] = "";
    long from = -1;
    struct dkr *d = fake_client();
    svc_reset(2, 1, -1);
    if (dsvc_scale(d, SVC, 3, 2, NULL, &from, err, sizeof err) != 0)
        fail_msg("dsvc_scale after one out-of-sequence: %s", err);
    assert_int_equal(fk.svc_gets, 2);
    assert_int_equal(fk.svc_posts, 2);
    assert_int_equal(fk.posted_version, 41); /* read again, not 40 */
    assert_int_equal(fk.svc_replicas, 3);
    assert_int_equal(fk.svc_version, 42);
    assert_int_equal(from, 2);
    /* losing every race: it gives up after 3 attempts, with the reason */
    svc_reset(2, 100, -1);
    assert_int_equal(dsvc_scale(d, SVC, 3, 2, NULL, &from, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "update out of sequence"));
    assert_int_equal(fk.svc_posts, 3);
    assert_int_equal(fk.svc_gets, 3);
    assert_int_equal(fk.svc_replicas, 2);
    dkr_free(d);
}

/* The replica count changed between our GET and our POST (someone scaled
 * it by hand): the POST is out of sequence, the second GET sees 4 where
 * das expected 2, and dsvc_scale leaves the service as it is. */
static void test_scale_scaled_meanwhile(void **state)
{
    (void)state;
    char err[512] = "";
    long from = -1;
    struct dkr *d = fake_client();
    svc_reset(2, 1, 4);
    assert_int_equal(dsvc_scale(d, SVC, 3, 2, NULL, &from, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "scaled meanwhile; left as it is"));
    assert_non_null(strstr(err, "has 4 replicas now, not 2"));
    assert_int_equal(from, 4);
    assert_int_equal(fk.svc_gets, 2);
    assert_int_equal(fk.svc_posts, 1); /* no second POST */
    assert_int_equal(fk.svc_replicas, 4);
    /* already different at the first read: no POST at all */
    svc_reset(5, 0, -1);
    assert_int_equal(dsvc_scale(d, SVC, 3, 2, NULL, &from, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "scaled meanwhile"));
    assert_int_equal(fk.svc_posts, 0);
    assert_int_equal(fk.svc_replicas, 5);
    dkr_free(d);
}

/* The guard (struct dsvc_guard) counts its calls; it refuses from call
 * number `refuse_at` on (0: never). */
struct guard_log {
    int calls, refuse_at;
    long gets_seen; /* fk.svc_gets at the last call */
};

static int guard_check(void *arg, char *err, size_t errlen)
{
    struct guard_log *g = arg;
    g->calls++;
    g->gets_seen = fk.svc_gets;
    if (g->refuse_at && g->calls >= g->refuse_at) {
        snprintf(err, errlen, "decided too long ago");
        return 1;
    }
    return 0;
}

/* A guard that refuses: no POST, DSVC_DROPPED with the guard's reason, the
 * service untouched; one that agrees: asked once per POST, after the GET
 * of the same attempt (so a retry on a new version asks again). */
static void test_scale_guard(void **state)
{
    (void)state;
    char err[512] = "";
    long from = -1;
    struct dkr *d = fake_client();
    struct guard_log g = {0, 1, -1};
    struct dsvc_guard guard = {guard_check, &g};
    svc_reset(2, 0, -1);
    assert_int_equal(dsvc_scale(d, SVC, 3, 2, &guard, &from, err, sizeof err),
                     DSVC_DROPPED);
    assert_string_equal(err, "decided too long ago");
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.gets_seen, 1); /* asked after reading the service */
    assert_int_equal(fk.svc_posts, 0);
    assert_int_equal(fk.svc_replicas, 2);
    assert_int_equal(from, 2);
    /* agrees: scaled, asked once */
    g = (struct guard_log){0, 0, -1};
    svc_reset(2, 0, -1);
    assert_int_equal(dsvc_scale(d, SVC, 3, 2, &guard, &from, err, sizeof err),
                     0);
    assert_int_equal(g.calls, 1);
    assert_int_equal(fk.svc_replicas, 3);
    /* out of sequence once: asked again before the second POST, after the
     * second GET; refusing then leaves the other writer's version alone */
    g = (struct guard_log){0, 2, -1};
    svc_reset(2, 1, -1);
    assert_int_equal(dsvc_scale(d, SVC, 3, 2, &guard, &from, err, sizeof err),
                     DSVC_DROPPED);
    assert_int_equal(g.calls, 2);
    assert_int_equal(g.gets_seen, 2);
    assert_int_equal(fk.svc_posts, 1);
    assert_int_equal(fk.svc_replicas, 2);
    /* scaled meanwhile: refused before the guard is asked */
    g = (struct guard_log){0, 0, -1};
    svc_reset(5, 0, -1);
    assert_int_equal(dsvc_scale(d, SVC, 3, 2, &guard, &from, err, sizeof err),
                     -1);
    assert_int_equal(g.calls, 0);
    dkr_free(d);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_parse_stats_recorded_v1),
        cmocka_unit_test(test_parse_stats_oneshot_and_stopped),
        cmocka_unit_test(test_parse_stats_v2),
        cmocka_unit_test(test_parse_stats_bad),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_parse_containers),
        cmocka_unit_test(test_parse_inspect_and_info),
        cmocka_unit_test(test_parse_events),
        cmocka_unit_test(test_new_hosts),
    };
    const struct CMUnitTest engine[] = {
        cmocka_unit_test(test_negotiation),
        cmocka_unit_test(test_json_calls),
        cmocka_unit_test(test_stats_many),
        cmocka_unit_test(test_scale_plain),
        cmocka_unit_test(test_scale_out_of_sequence_retried),
        cmocka_unit_test(test_scale_scaled_meanwhile),
        cmocka_unit_test(test_scale_guard),
    };
    int failed =
        cmocka_run_group_tests_name("docker parsers", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("docker client", engine, fake_start,
                                          fake_stop);
    return failed;
}
