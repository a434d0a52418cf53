/* ds: on every node, each interval, every running container's stats,
 * tagged with node, container and swarm service, into InfluxDB
 * (docs/design.md §1, §3, §5). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cfg.h"
#include "ds.h"
#include "dur.h"
#include "endpoint.h"
#include "health.h"
#include "keep.h"
#include "log.h"
#include "promexp.h"
#include "skew.h"
#include "version.h"
#include "writer.h"

struct ds_conf {
    bool once;
    bool to_stdout;
    int64_t interval_ms;
    char *node;
    char *source;
    long buffer;
    char *docker_host;
    char *influx_url;
    char *influx_db;
    char *influx_user;
    char *influx_password_file;
    char *influx_ca;
    char *influx_token_file;
    char *proc_root;
    char *cgroup_root;
    char *listen;
    int64_t keep_ms;
    long keep_max_mb;
    char *log_level;
};

static volatile sig_atomic_t ds_stop;

static void on_stop(int sig)
{
    (void)sig;
    ds_stop = 1;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps until the monotonic deadline or a stop signal. */
static void sleep_until(int64_t deadline_ms)
{
    while (!ds_stop) {
        int64_t left = deadline_ms - mono_ms();
        if (left <= 0)
            return;
        if (left > 500)
            left = 500;
        struct timespec ts = {(time_t)(left / 1000),
                              (long)(left % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}

/* Lets ds keep every container's cgroup files open: the soft limit on
 * open files up to the hard one (at most what the cgroup reader keeps plus
 * its reserve for sockets). Only a raise; a refusal is no error (files
 * beyond the limit are opened around each read). */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = (rlim_t)CG_FDS_MAX + CG_FD_RESERVE;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
        want = rl.rlim_max;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            log_debug("open file limit not raised", "err=%s", strerror(errno));
    }
}

/* Where the points of a round go. */
struct sink {
    const char *node;
    bool to_stdout;
    struct buf line;            /* --stdout: reused per point */
    struct infl_buffer *buffer; /* InfluxDB: points wait here */
    unsigned long points, encode_errors;
    int64_t clock_corr_ms; /* added to the points' times (skew.h) */
    /* --listen: this round's latest point per container, for /metrics
     * (strings are copies: the collector may forget a container) */
    bool export;
    struct pexp_ctr *ctrs;
    size_t nctrs, capctrs;
    /* --listen: the recent points das reads (GET /points), under lock:
     * the endpoint's thread serves them */
    struct keep *keep;
    pthread_mutex_t *keep_lock;
    unsigned long metrics_cut; /* rounds whose /metrics was cut */
    bool metrics_cut_said;
};

/* /metrics at most: about 3 KiB a container, so some 20,000 containers on
 * one node, ten times the largest node das is measured on; ds's own lines
 * take at most DS_METRICS_OWN of it. */
#define DS_METRICS_MAX ((size_t)64 << 20)
#define DS_METRICS_OWN ((size_t)64 << 10)

static void sink_export_reset(struct sink *s)
{
    for (size_t i = 0; i < s->nctrs; i++) {
        free((char *)s->ctrs[i].container);
        free((char *)s->ctrs[i].service);
        free((char *)s->ctrs[i].service_name);
    }
    s->nctrs = 0;
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void sink_export(struct sink *s, const struct ds_ctr *c,
                        const struct stats_point *sp)
{
    if (s->nctrs == s->capctrs) {
        s->capctrs = s->capctrs ? 2 * s->capctrs : 64;
        s->ctrs = xrealloc(s->ctrs, s->capctrs * sizeof *s->ctrs);
    }
    struct pexp_ctr *e = &s->ctrs[s->nctrs++];
    memset(e, 0, sizeof *e);
    e->node = s->node;
    e->container = xstrdup(c->short_id);
    e->service = dup_or_null(c->service_id);
    e->service_name = dup_or_null(c->service_name);
    e->pt = *sp;
    /* c->prev is this round's sample by now */
    if (c->has_prev && (c->prev.have & STATS_HAVE_CPU)) {
        e->has_cpu_seconds = true;
        e->cpu_seconds = (double)c->prev.cpu_usage_ns / 1e9;
    }
}

static void emit(const struct ds_ctr *c, const struct stats_point *sp, void *ud)
{
    struct sink *s = ud;
    struct infl_point p;
    char err[256], q[300];
    ds_point_build(c, s->node, sp, &p);
    if (s->clock_corr_ms != 0) {
        /* this host's clock is off: stamped by InfluxDB's, and said so */
        p.time_ns += s->clock_corr_ms * 1000000;
        infl_point_int(&p, "clock_offset_ms", s->clock_corr_ms);
    }
    if (s->export)
        sink_export(s, c, sp);
    if (s->keep && c->service_id) {
        pthread_mutex_lock(s->keep_lock);
        (void)kp_add(s->keep, c->short_id, c->service_id, sp);
        pthread_mutex_unlock(s->keep_lock);
    }
    if (log_enabled(LOG_DEBUG)) {
        log_debug(
            "point",
            "container=%s service_name=%s cpu_ratio=%.1f "
            "mem_usage=%lld pids=%lld",
            c->short_id,
            log_quote(c->service_name ? c->service_name : "", q, sizeof q),
            (sp->have & STATS_F_CPU_RATIO) ? sp->cpu_ratio : -1.0,
            (long long)sp->mem_usage, (long long)sp->pids);
    }
    if (s->to_stdout) {
        buf_reset(&s->line);
        if (infl_point_encode(&p, &s->line, err, sizeof err)) {
            s->encode_errors++;
            log_warn("point not encodable", "container=%s err=%s", c->short_id,
                     log_quote(err, q, sizeof q));
            return;
        }
        fwrite(s->line.ptr, 1, s->line.len, stdout);
    } else if (s->buffer &&
               infl_buffer_push_point(s->buffer, &p, err, sizeof err)) {
        s->encode_errors++;
        log_warn("point not encodable", "container=%s err=%s", c->short_id,
                 log_quote(err, q, sizeof q));
        return;
    }
    s->points++;
}

static void discard(const struct ds_ctr *c, const struct stats_point *sp,
                    void *ud)
{
    (void)c;
    (void)sp;
    (void)ud;
}

static void publish(struct endpoint *ep, struct ds_writer *writer,
                    struct sink *s, const struct ds_collector *col,
                    double round_s, bool engine_ok, unsigned long rounds)
{
    if (!ep)
        return;
    struct ds_writer_stats ws;
    memset(&ws, 0, sizeof ws);
    struct infl_stats st = {0};
    struct buf m;
    buf_init(&m, DS_METRICS_MAX);
    if (writer) {
        ds_writer_stats(writer, &ws);
        st = ws.infl;
    }
    if (buf_printf(
            &m,
            "# HELP ds_rounds_total Collection rounds run.\n"
            "# TYPE ds_rounds_total counter\nds_rounds_total %lu\n"
            "# HELP ds_points_total Container points collected.\n"
            "# TYPE ds_points_total counter\nds_points_total %lu\n"
            "# HELP ds_points_written_total Points InfluxDB took.\n"
            "# TYPE ds_points_written_total counter\n"
            "ds_points_written_total %lu\n"
            "# HELP ds_points_rejected_total Points InfluxDB refused for "
            "good.\n"
            "# TYPE ds_points_rejected_total counter\n"
            "ds_points_rejected_total %lu\n"
            "# HELP ds_points_buffered Points InfluxDB had not taken after the "
            "last write.\n"
            "# TYPE ds_points_buffered gauge\nds_points_buffered %zu\n"
            "# HELP ds_write_failures_total InfluxDB writes that failed "
            "and will be retried.\n"
            "# TYPE ds_write_failures_total counter\n"
            "ds_write_failures_total %lu\n"
            "# HELP ds_containers Containers followed.\n"
            "# TYPE ds_containers gauge\nds_containers %zu\n"
            "# HELP ds_round_duration_seconds Duration of the last round.\n"
            "# TYPE ds_round_duration_seconds gauge\n"
            "ds_round_duration_seconds %.6f\n"
            "# HELP ds_engine_up 1 when the Docker engine answered the last "
            "round.\n"
            "# TYPE ds_engine_up gauge\nds_engine_up %d\n"
            "# HELP ds_container_listings_total Full container listings "
            "asked of the engine.\n"
            "# TYPE ds_container_listings_total counter\n"
            "ds_container_listings_total %lu\n"
            "# HELP ds_event_polls_total Engine event polls made.\n"
            "# TYPE ds_event_polls_total counter\n"
            "ds_event_polls_total %lu\n"
            "# HELP ds_container_inspects_total Containers inspected (their "
            "pid, CPU limit or network not found in cgroupfs and /proc).\n"
            "# TYPE ds_container_inspects_total counter\n"
            "ds_container_inspects_total %lu\n"
            "# HELP ds_clock_offset_seconds InfluxDB's clock minus this "
            "host's (from its replies' Date; points are stamped by "
            "InfluxDB's at 5 s or more).\n"
            "# TYPE ds_clock_offset_seconds gauge\n"
            "ds_clock_offset_seconds %.3f\n",
            rounds, s->points, st.points_written, st.points_rejected,
            ws.buffered, st.write_failures, col->n, round_s, engine_ok ? 1 : 0,
            col->listings, col->event_polls, col->inspects,
            (double)ws.clock_offset_ms / 1000.0)) {
        /* 64 KiB is far more than these lines */
    }
    if (s->keep) {
        pthread_mutex_lock(s->keep_lock);
        size_t rows = s->keep->rows, bytes = kp_bytes(s->keep);
        unsigned long dropped = s->keep->dropped, skipped = s->keep->skipped;
        pthread_mutex_unlock(s->keep_lock);
        if (buf_printf(
                &m,
                "# HELP ds_kept_points Points held for das (GET /points), "
                "one a container and time.\n"
                "# TYPE ds_kept_points gauge\nds_kept_points %zu\n"
                "# HELP ds_kept_bytes Memory of the points held for das.\n"
                "# TYPE ds_kept_bytes gauge\nds_kept_bytes %zu\n"
                "# HELP ds_kept_dropped_total Points dropped before their "
                "time to stay under --keep-max-mb.\n"
                "# TYPE ds_kept_dropped_total counter\n"
                "ds_kept_dropped_total %lu\n"
                "# HELP ds_kept_skipped_total Points not kept: their "
                "container or service id is not of Docker's form.\n"
                "# TYPE ds_kept_skipped_total counter\n"
                "ds_kept_skipped_total %lu\n",
                rows, bytes, dropped, skipped)) {
        }
    }
    if (version_metric(&m, "ds")) {
        /* as above */
    }
    /* the containers' lines within the cap, whole lines only: past it the
     * last families are cut, said once when it starts and counted */
    struct buf c;
    buf_init(&c, DS_METRICS_MAX - DS_METRICS_OWN);
    if (pexp_containers(&c, s->ctrs, s->nctrs)) {
        char *nl = c.len ? memrchr(c.ptr, '\n', c.len) : NULL;
        c.len = nl ? (size_t)(nl - c.ptr) + 1 : 0;
        if (c.ptr)
            c.ptr[c.len] = '\0';
        s->metrics_cut++;
        if (!s->metrics_cut_said)
            log_warn("/metrics over its cap: the last containers' lines are "
                     "left out",
                     "containers=%zu cap_mib=%zu", s->nctrs,
                     (size_t)DS_METRICS_MAX >> 20);
        s->metrics_cut_said = true;
    } else if (s->metrics_cut_said) {
        s->metrics_cut_said = false;
        log_info("/metrics within its cap again", "containers=%zu", s->nctrs);
    }
    if (buf_printf(&m,
                   "# HELP ds_metrics_truncated_total Rounds whose /metrics "
                   "was cut at its cap.\n"
                   "# TYPE ds_metrics_truncated_total counter\n"
                   "ds_metrics_truncated_total %lu\n",
                   s->metrics_cut) ||
        (c.len && buf_append(&m, c.ptr, c.len))) {
        /* DS_METRICS_OWN is far more than ds's own lines */
    }
    buf_cleanup(&c);
    /* an unreachable engine or InfluxDB is reported, not a reason to be
     * restarted: only a stalled loop fails /healthz */
    char reason[160];
    snprintf(reason, sizeof reason, "%s%s",
             engine_ok ? "ok" : "degraded: docker engine unreachable",
             ws.buffered > 0 ? "; points waiting for InfluxDB" : "");
    ep_publish(ep, m.ptr, true, reason);
    buf_cleanup(&m);
}

/* The points' clock: this host's, or InfluxDB's when they differ by
 * SKEW_MIN_MS or more (the writer measures it from InfluxDB's replies).
 * Says so when it starts, changes by a second or more, and ends. */
static void clock_follow(struct ds_writer *w, struct sink *s)
{
    struct ds_writer_stats ws;
    ds_writer_stats(w, &ws);
    int64_t corr = ws.clock_corr_ms;
    if (corr != 0 && llabs(corr - s->clock_corr_ms) >= 1000)
        log_warn("clock off: this host's clock differs from InfluxDB's; "
                 "points are stamped by InfluxDB's",
                 "offset_ms=%lld", (long long)corr);
    else if (corr == 0 && s->clock_corr_ms != 0)
        log_info("clock agrees with InfluxDB's again", "offset_ms=%lld",
                 (long long)ws.clock_offset_ms);
    s->clock_corr_ms = corr;
}

static enum ds_source parse_source(const char *s)
{
    if (!strcmp(s, "cgroup"))
        return DS_SRC_CGROUP;
    if (!strcmp(s, "api"))
        return DS_SRC_API;
    return DS_SRC_AUTO;
}

static void usage(const struct cfg_opt *opts, size_t n)
{
    printf("usage: ds [options]\n"
           "       ds healthcheck [PATH]   GET /healthz (or PATH) from "
           "DS_LISTEN\n"
           "       ds --version            the version, and exit\n\n"
           "Every interval, each running container's stats (CPU, memory, "
           "network,\nblock I/O) tagged with node, container and swarm "
           "service, into InfluxDB\nand/or on --listen: /metrics for "
           "Prometheus, /points (the last --keep) for das.\n\n");
    cfg_usage(stdout, opts, n);
}

/* Everything ds holds while it runs, so that each step of main can be a
 * function of its own and agent_cleanup can free whatever was set up. */
struct agent {
    struct ds_conf conf;
    char *password;
    char *token;
    struct dkr *dkr;
    struct dkr_info info;
    bool have_info;
    const char *node; /* conf.node or info.name */
    enum ds_source source;
    struct cg *cg;
    struct infl *infl;
    struct ds_writer *writer;
    struct endpoint *ep;
    struct ds_collector col;
    bool col_init;
    struct sink sink;
    struct keep keep;
    pthread_mutex_t keep_lock;
    char node_listen[96]; /* --listen node:PORT, resolved */
    struct complaint c_engine;
    bool engine_ok; /* it answered the last round */
    unsigned long rounds;
};

/* What each step of main returns: ds goes on to the next step, or exits
 * with that status (the step has said why on stderr). */
enum { GO_ON = -1 };

static bool influx_off(const struct ds_conf *conf)
{
    return !conf->influx_url[0] || !strcmp(conf->influx_url, "none");
}

/* The options table, parsed from argv and the environment into conf, and
 * the log set up. 0 after --help, 2 for a bad configuration. */
static int parse_conf(struct ds_conf *conf, int argc, char **argv)
{
    const struct cfg_opt opts[] = {
        {"--once", NULL, CFG_BOOL, NULL, NULL, 0, 0,
         "one round (two samples one second apart), then exit", &conf->once},
        {"--stdout", NULL, CFG_BOOL, NULL, NULL, 0, 0,
         "print line protocol instead of writing to InfluxDB",
         &conf->to_stdout},
        {"--interval", "DS_INTERVAL", CFG_DUR, "10s", NULL, 1000, 0,
         "collection interval", &conf->interval_ms},
        {"--node", "DS_NODE", CFG_STR, NULL, NULL, 0, 0,
         "node tag (default: the engine's name from GET /info)", &conf->node},
        {"--source", "DS_SOURCE", CFG_ENUM, "auto", "auto|cgroup|api", 0, 0,
         "cgroupfs when readable, else the Docker stats API", &conf->source},
        {"--buffer", "DS_BUFFER", CFG_INT, "100000", NULL, 1, 100000000,
         "points held while InfluxDB is unreachable, and N KiB in all "
         "(oldest dropped)",
         &conf->buffer},
        {"--docker-host", "DOCKER_HOST", CFG_STR, "unix:///var/run/docker.sock",
         NULL, 0, 0,
         "Docker engine (unix:// or tcp://; TLS from DOCKER_TLS_VERIFY, "
         "DOCKER_CERT_PATH)",
         &conf->docker_host},
        {"--influx-url", "DAS_INFLUX_URL", CFG_SERVER, "none",
         "give the password in --influx-password-file with --influx-user, or "
         "the URL in DAS_INFLUX_URL",
         0, 0,
         "InfluxDB 1.x HTTP API (or 2.x/3.x v1 API), e.g. "
         "http://127.0.0.1:8086; none: no InfluxDB (das reads --listen's "
         "/points, Prometheus scrapes its /metrics)",
         &conf->influx_url},
        {"--influx-db", "DAS_INFLUX_DB", CFG_STR, "docker", NULL, 0, 0,
         "InfluxDB database", &conf->influx_db},
        {"--influx-user", "DAS_INFLUX_USER", CFG_STR, NULL, NULL, 0, 0,
         "InfluxDB user", &conf->influx_user},
        {"--influx-password-file", "DAS_INFLUX_PASSWORD_FILE", CFG_STR, NULL,
         NULL, 0, 0,
         "file holding the InfluxDB password (or env DAS_INFLUX_PASSWORD)",
         &conf->influx_password_file},
        {"--influx-ca", "DAS_INFLUX_CA", CFG_STR, NULL, NULL, 0, 0,
         "CA certificates (PEM) for an https InfluxDB URL (default: the "
         "system's)",
         &conf->influx_ca},
        {"--influx-token-file", "DAS_INFLUX_TOKEN_FILE", CFG_STR, NULL, NULL, 0,
         0,
         "file holding an InfluxDB 2.x/3.x API token, sent as "
         "Authorization: Token (or env DAS_INFLUX_TOKEN); not with "
         "--influx-user",
         &conf->influx_token_file},
        {"--proc-root", "DS_PROC_ROOT", CFG_STR, "/proc", NULL, 0, 0,
         "the host's /proc (e.g. /host/proc when ds runs in a container)",
         &conf->proc_root},
        {"--cgroup-root", "DS_CGROUP_ROOT", CFG_STR, "/sys/fs/cgroup", NULL, 0,
         0, "the host's cgroupfs", &conf->cgroup_root},
        {"--listen", "DS_LISTEN", CFG_STR, NULL, NULL, 0, 0,
         "serve /healthz, /metrics and /points on ADDR:PORT (node:PORT: "
         "on the node's swarm address)",
         &conf->listen},
        {"--keep", "DS_KEEP", CFG_DUR, "15m", NULL, 60000, 0,
         "how long the points das reads from /points are kept (at least "
         "the longest window of any policy)",
         &conf->keep_ms},
        {"--keep-max-mb", "DS_KEEP_MAX_MB", CFG_INT, "32", NULL, 1, 4096,
         "memory for the kept points, MiB (64 bytes a container and round: "
         "past it each container keeps a shorter history)",
         &conf->keep_max_mb},
        {"--log-level", "DAS_LOG_LEVEL", CFG_ENUM, "info",
         "debug|info|warn|error", 0, 0, "log level", &conf->log_level},
    };
    const size_t nopts = sizeof opts / sizeof opts[0];
    struct buf errs;
    char *pos[1];
    size_t npos;
    int status = GO_ON;

    buf_init(&errs, 16 * 1024);
    int rc = cfg_parse(opts, nopts, argc, argv, 1, pos, 0, &npos, &errs);
    if (rc == 1) {
        usage(opts, nopts);
        status = 0;
    } else if (rc) {
        fprintf(stderr, "ds: bad configuration:\n%s", errs.ptr);
        fprintf(stderr, "see ds --help\n");
        status = 2;
    } else {
        log_setup("ds", (enum log_level)log_level_parse(conf->log_level));
    }
    buf_cleanup(&errs);
    return status;
}

/* Options that are each fine but say nothing together. */
static int check_conf(const struct ds_conf *conf)
{
    if (influx_off(conf) && !conf->to_stdout && !conf->listen) {
        fprintf(stderr,
                "ds: bad configuration: without InfluxDB (--influx-url "
                "none, the default) the points go nowhere: give --listen "
                "ADDR:PORT (das reads /points, Prometheus scrapes /metrics), "
                "--influx-url URL or --stdout\n");
        return 2;
    }
    return GO_ON;
}

/* The InfluxDB password and token: from a file (a Docker secret) or the
 * environment, never argv. 2 when unreadable, or when both a user and a
 * token are given. */
static int read_credentials(struct agent *a)
{
    const struct ds_conf *conf = &a->conf;
    char err[512];

    a->password = cfg_secret(conf->influx_password_file, "DAS_INFLUX_PASSWORD",
                             err, sizeof err);
    if (!a->password && err[0]) {
        fprintf(stderr, "ds: bad configuration: %s\n", err);
        return 2;
    }
    a->token = cfg_secret(conf->influx_token_file, "DAS_INFLUX_TOKEN", err,
                          sizeof err);
    if (!a->token && err[0]) {
        fprintf(stderr, "ds: bad configuration: %s\n", err);
        return 2;
    }
    if (a->token && conf->influx_user && conf->influx_user[0]) {
        fprintf(stderr,
                "ds: bad configuration: --influx-user and an InfluxDB token "
                "(--influx-token-file, DAS_INFLUX_TOKEN_FILE or "
                "DAS_INFLUX_TOKEN) both given: InfluxDB 1.x takes a user and "
                "password, 2.x/3.x a token; give one\n");
        return 2;
    }
    return GO_ON;
}

/* The Docker engine, asked for its name (the node tag unless --node).
 * 2 for a bad --docker-host, 1 when the engine does not answer. */
static int connect_engine(struct agent *a)
{
    char err[512];

    a->dkr = dkr_new(a->conf.docker_host, err, sizeof err);
    if (!a->dkr) {
        fprintf(stderr, "ds: bad configuration: --docker-host: %s\n", err);
        return 2;
    }
    if (dkr_info(a->dkr, &a->info, err, sizeof err)) {
        fprintf(stderr, "ds: %s\n", err);
        return 1;
    }
    a->have_info = true;
    a->node = a->conf.node && *a->conf.node ? a->conf.node : a->info.name;
    return GO_ON;
}

/* cgroupfs, unless --source api. Unreadable, ds falls back to the stats
 * API, except with --source cgroup: then 1. */
static int open_cgroupfs(struct agent *a)
{
    char err[512], q[600];

    a->source = parse_source(a->conf.source);
    if (a->source == DS_SRC_API)
        return GO_ON;
    raise_nofile();
    a->cg = cg_new(a->conf.proc_root, a->conf.cgroup_root, err, sizeof err);
    if (!a->cg && a->source == DS_SRC_CGROUP) {
        fprintf(stderr, "ds: --source cgroup: %s\n", err);
        return 1;
    }
    if (!a->cg)
        log_warn("cgroupfs not readable; using the Docker stats API", "err=%s",
                 log_quote(err, q, sizeof q));
    return GO_ON;
}

/* The InfluxDB client, the points' buffer and the writer thread, unless
 * --stdout or --influx-url none. 2 for a bad --influx-url, 1 when the
 * thread does not start. */
static int start_influx(struct agent *a)
{
    const struct ds_conf *conf = &a->conf;
    char err[512];

    if (conf->to_stdout || influx_off(conf))
        return GO_ON;
    const char *user =
        conf->influx_user && conf->influx_user[0] ? conf->influx_user : NULL;
    struct http_conf hc = {.url = conf->influx_url,
                           .user = user,
                           .password = user ? a->password : NULL,
                           .token = a->token,
                           .ca = conf->influx_ca,
                           .timeout_ms = 10000};
    a->infl = infl_new(&hc, conf->influx_db, err, sizeof err);
    if (!a->infl) {
        fprintf(stderr, "ds: bad configuration: --influx-url: %s\n", err);
        return 2;
    }
    a->sink.buffer = infl_buffer_new((size_t)conf->buffer);
    /* With a token (InfluxDB 2.x/3.x) the bucket and its DBRP mapping
     * are the operator's: their v1 API has no CREATE DATABASE. */
    if (!a->token)
        infl_ensure_database(a->infl);
    /* from here on the writer thread alone talks to InfluxDB */
    a->writer = ds_writer_start(a->infl, (size_t)conf->buffer, err, sizeof err);
    if (!a->writer) {
        fprintf(stderr, "ds: %s\n", err);
        return 1;
    }
    return GO_ON;
}

/* The largest /points reply: the kept rows at --keep-max-mb's most (4096
 * MiB) are more, so a reply that would pass it says so (413) and das asks
 * for fewer fields or a later time. */
#define DS_POINTS_MAX_BODY ((size_t)256 << 20)

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* GET /points?since=MS&fields=a,b (keep.h), on the endpoint's thread. */
static unsigned serve_points(void *ud, struct ep_req *req, struct buf *body,
                             const char **type)
{
    struct agent *a = ud;
    *type = "text/plain; charset=utf-8";
    pthread_mutex_lock(&a->keep_lock);
    unsigned status =
        kp_answer(&a->keep, a->info.node_id, wall_ms(), ep_arg(req, "since"),
                  ep_arg(req, "fields"), body);
    pthread_mutex_unlock(&a->keep_lock);
    return status;
}

/* /healthz, /metrics and /points on --listen, if given. 2 when it cannot
 * listen. */
static int start_listen(struct agent *a)
{
    char err[512];

    if (!a->conf.listen)
        return GO_ON;
    const char *listen = a->conf.listen;
    if (!strncmp(listen, EP_NODE_PREFIX, strlen(EP_NODE_PREFIX))) {
        if (!a->info.node_addr || !a->info.node_addr[0]) {
            fprintf(stderr,
                    "ds: bad configuration: --listen %s: the engine is in no "
                    "swarm, so there is no node address (give ADDR:PORT)\n",
                    listen);
            return 2;
        }
        snprintf(a->node_listen, sizeof a->node_listen, "%s:%s",
                 a->info.node_addr, listen + strlen(EP_NODE_PREFIX));
        listen = a->node_listen;
    }
    a->ep = ep_start(listen, err, sizeof err);
    if (!a->ep) {
        fprintf(stderr, "ds: bad configuration: %s\n", err);
        return 2;
    }
    int64_t stale = 4 * a->conf.interval_ms;
    ep_set_stale_after(a->ep, stale > 60000 ? stale : 60000);
    kp_init(&a->keep, a->conf.keep_ms, (size_t)a->conf.keep_max_mb << 20);
    pthread_mutex_init(&a->keep_lock, NULL);
    a->sink.keep = &a->keep;
    a->sink.keep_lock = &a->keep_lock;
    ep_route(a->ep, "/points", serve_points, a, DS_POINTS_MAX_BODY);
    log_info("listening", "address=%s keep_ms=%lld keep_max_mb=%ld", listen,
             (long long)a->conf.keep_ms, a->conf.keep_max_mb);
    return GO_ON;
}

/* The sink and the collector over what the steps before set up; SIGTERM
 * and SIGINT end the rounds from now on. */
static void start_collector(struct agent *a)
{
    a->sink.node = a->node;
    a->sink.to_stdout = a->conf.to_stdout;
    a->sink.export = a->ep != NULL;
    ds_collector_init(&a->col, a->dkr, a->cg, a->source);
    a->col_init = true;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    char qnode[160];
    log_info("ds started",
             "node=%s engine=%s api=%s source=%s interval=%lldms "
             "sink=%s",
             log_quote(a->node, qnode, sizeof qnode), dkr_host(a->dkr),
             dkr_api_version(a->dkr) ? dkr_api_version(a->dkr) : "?",
             a->cg ? (a->source == DS_SRC_API ? "api" : "cgroup") : "api",
             (long long)a->conf.interval_ms,
             a->conf.to_stdout ? "stdout"
             : a->infl         ? infl_where(a->infl)
                               : "none");
}

/* --once: CPU and rates need two samples: a silent first, one second
 * before the round that is printed or written. 1 when the engine cannot
 * list its containers. */
static int prime_rates(struct agent *a)
{
    char err[512];

    a->col.counters_only = true;
    int primed = ds_collect(&a->col, discard, NULL, err, sizeof err);
    a->col.counters_only = false;
    if (primed < 0) {
        fprintf(stderr, "ds: cannot list containers: %s\n", err);
        return 1;
    }
    sleep_until(mono_ms() + 1000);
    return GO_ON;
}

/* Whether the engine answered this round, said when that changes. */
static void note_engine(struct agent *a, bool answered, const char *err)
{
    a->engine_ok = answered;
    char q[600];
    if (!answered) {
        if (complain(&a->c_engine, err))
            log_error("docker engine unreachable", "host=%s err=%s",
                      dkr_host(a->dkr), log_quote(err, q, sizeof q));
    } else if (complain_release(&a->c_engine)) {
        log_info("docker engine reachable again", "host=%s", dkr_host(a->dkr));
    }
}

/* This round's points to the writer thread (which sends them; the rounds
 * never wait on InfluxDB), saying what a full buffer dropped. */
static void hand_to_writer(struct agent *a)
{
    unsigned long dropped = infl_buffer_take_dropped(a->sink.buffer);
    if (dropped)
        log_warn("buffer full: dropped oldest points", "dropped=%lu buffer=%ld",
                 dropped, a->conf.buffer);
    ds_writer_put(a->writer, a->sink.buffer);
}

/* One round: every container's point to the sink, then /metrics. 1 when
 * the engine did not answer a --once round (the round ends there). */
static int run_round(struct agent *a)
{
    char err[512];
    int64_t t0 = mono_ms();
    double c0 = cpu_seconds();

    if (a->writer)
        clock_follow(a->writer, &a->sink);
    sink_export_reset(&a->sink);
    int n = ds_collect(&a->col, emit, &a->sink, err, sizeof err);
    note_engine(a, n >= 0, err);
    if (n < 0 && a->conf.once) {
        fprintf(stderr, "ds: %s\n", err);
        return 1;
    }
    if (a->writer)
        hand_to_writer(a);
    if (a->sink.keep) {
        pthread_mutex_lock(&a->keep_lock);
        kp_trim(&a->keep, wall_ms());
        pthread_mutex_unlock(&a->keep_lock);
    }
    if (a->conf.to_stdout)
        fflush(stdout);
    a->rounds++;
    double round_s = (double)(mono_ms() - t0) / 1000.0;
    if (log_enabled(LOG_DEBUG)) {
        struct ds_writer_stats ws = {0};
        if (a->writer)
            ds_writer_stats(a->writer, &ws);
        log_debug("round",
                  "containers=%zu points=%d wall_s=%.3f cpu_s=%.4f "
                  "buffered=%zu",
                  a->col.n, n, round_s, cpu_seconds() - c0, ws.buffered);
    }
    publish(a->ep, a->writer, &a->sink, &a->col, round_s, a->engine_ok,
            a->rounds);
    return GO_ON;
}

/* Rounds every interval until a stop signal (one round with --once). 0,
 * or 1 when a --once round failed. */
static int run_rounds(struct agent *a)
{
    int64_t next = mono_ms();

    while (!ds_stop) {
        if (run_round(a) != GO_ON)
            return 1;
        if (a->conf.once)
            break;
        next += a->conf.interval_ms;
        if (next < mono_ms())
            next = mono_ms(); /* a round took longer than the interval */
        sleep_until(next);
    }
    return 0;
}

/* SIGTERM (or --once): flush what InfluxDB takes, then exit 0 (1 when a
 * --once round's points are left unsent). */
static int stop_rounds(struct agent *a, int status)
{
    struct ds_writer_stats last = {0};
    if (a->writer) {
        size_t left = ds_writer_stop(a->writer, &last);
        a->writer = NULL;
        if (left > 0) {
            log_warn("exiting with points InfluxDB did not take", "unsent=%zu",
                     left);
            if (a->conf.once)
                status = 1;
        }
    }
    if (ds_stop)
        log_info("ds stopping on signal",
                 "rounds=%lu points=%lu written=%lu rejected=%lu unsent=%zu",
                 a->rounds, a->sink.points, last.infl.points_written,
                 last.infl.points_rejected, last.buffered);
    return status;
}

/* A secret's bytes do not outlive it in freed memory. */
static void wipe_free(char *secret)
{
    if (secret) {
        memset(secret, 0, strlen(secret));
        free(secret);
    }
}

/* Frees whatever the steps set up (accepts any step's failure). */
static void agent_cleanup(struct agent *a)
{
    if (a->writer)
        (void)ds_writer_stop(a->writer, NULL); /* an error after it started */
    if (a->col_init)
        ds_collector_cleanup(&a->col);
    ep_stop(a->ep);
    if (a->sink.keep) {
        kp_free(&a->keep);
        pthread_mutex_destroy(&a->keep_lock);
    }
    infl_buffer_free(a->sink.buffer);
    sink_export_reset(&a->sink);
    free(a->sink.ctrs);
    infl_free(a->infl);
    cg_free(a->cg);
    if (a->have_info)
        dkr_info_cleanup(&a->info);
    dkr_free(a->dkr);
    wipe_free(a->password);
    wipe_free(a->token);
    buf_cleanup(&a->sink.line);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "healthcheck"))
        return hc_main("ds", "DS_LISTEN", argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        char v[128];
        printf("%s\n", version_line("ds", v, sizeof v));
        return 0;
    }
    struct agent a = {0};

    signal(SIGPIPE, SIG_IGN);
    buf_init(&a.sink.line, 64 * 1024);
    int status = parse_conf(&a.conf, argc, argv);
    if (status == GO_ON)
        status = check_conf(&a.conf);
    if (status == GO_ON)
        status = read_credentials(&a);
    if (status == GO_ON)
        status = connect_engine(&a);
    if (status == GO_ON)
        status = open_cgroupfs(&a);
    if (status == GO_ON)
        status = start_influx(&a);
    if (status == GO_ON)
        status = start_listen(&a);
    if (status == GO_ON) {
        start_collector(&a);
        if (a.conf.once)
            status = prime_rates(&a);
    }
    if (status == GO_ON)
        status = stop_rounds(&a, run_rounds(&a));
    agent_cleanup(&a);
    return status;
}
