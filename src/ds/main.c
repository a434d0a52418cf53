/* ds: on every node, each interval, every running container's stats,
 * tagged with node, container and swarm service, into InfluxDB
 * (DESIGN.md §1, §3, §5). */
#include <errno.h>
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
#include "log.h"
#include "promexp.h"
#include "skew.h"
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
};

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
    char err[256];
    ds_point_build(c, s->node, sp, &p);
    if (s->clock_corr_ms != 0) {
        /* this host's clock is off: stamped by InfluxDB's, and said so */
        p.time_ns += s->clock_corr_ms * 1000000;
        infl_point_int(&p, "clock_offset_ms", s->clock_corr_ms);
    }
    if (s->export)
        sink_export(s, c, sp);
    if (log_enabled(LOG_DEBUG)) {
        char q[160];
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
                     err);
            return;
        }
        fwrite(s->line.ptr, 1, s->line.len, stdout);
    } else if (s->buffer &&
               infl_buffer_push_point(s->buffer, &p, err, sizeof err)) {
        s->encode_errors++;
        log_warn("point not encodable", "container=%s err=%s", c->short_id,
                 err);
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
                    const struct sink *s, const struct ds_collector *col,
                    double round_s, bool engine_ok, unsigned long rounds)
{
    if (!ep)
        return;
    struct ds_writer_stats ws;
    memset(&ws, 0, sizeof ws);
    struct infl_stats st = {0};
    struct buf m;
    buf_init(&m, 64u * 1024u * 1024u);
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
    if (pexp_containers(&m, s->ctrs, s->nctrs))
        log_warn("/metrics too large: containers left out", "containers=%zu",
                 s->nctrs);
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

/* CREATE DATABASE is idempotent in InfluxDB 1.x: ask once at start, so a
 * fresh InfluxDB needs no manual step. A refusal (no admin rights, or
 * InfluxDB not up yet) is only logged: writes show the real state. */
static void ensure_database(struct infl *infl, const char *db)
{
    struct buf q;
    char err[512];
    json_t *res = NULL;
    buf_init(&q, 1024);
    if (buf_puts(&q, "CREATE DATABASE ") || infl_quote_ident(db, &q)) {
        log_warn("database name not usable in InfluxQL", "db=%s", db);
    } else if (infl_query(infl, q.ptr, &res, err, sizeof err)) {
        log_warn("could not make sure the InfluxDB database exists", "err=%s",
                 err);
    }
    json_decref(res);
    buf_cleanup(&q);
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
           "DS_LISTEN\n\n"
           "Every interval, each running container's stats (CPU, memory, "
           "network,\nblock I/O) tagged with node, container and swarm "
           "service, into InfluxDB\nand/or on --listen's /metrics for "
           "Prometheus.\n\n");
    cfg_usage(stdout, opts, n);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "healthcheck"))
        return hc_main("ds", "DS_LISTEN", argc - 1, argv + 1);
    struct ds_conf conf = {0};
    const struct cfg_opt opts[] = {
        {"--once", NULL, CFG_BOOL, NULL, NULL, 0, 0,
         "one round (two samples one second apart), then exit", &conf.once},
        {"--stdout", NULL, CFG_BOOL, NULL, NULL, 0, 0,
         "print line protocol instead of writing to InfluxDB", &conf.to_stdout},
        {"--interval", "DS_INTERVAL", CFG_DUR, "10s", NULL, 1000, 0,
         "collection interval", &conf.interval_ms},
        {"--node", "DS_NODE", CFG_STR, NULL, NULL, 0, 0,
         "node tag (default: the engine's name from GET /info)", &conf.node},
        {"--source", "DS_SOURCE", CFG_ENUM, "auto", "auto|cgroup|api", 0, 0,
         "cgroupfs when readable, else the Docker stats API", &conf.source},
        {"--buffer", "DS_BUFFER", CFG_INT, "100000", NULL, 1, 100000000,
         "points held while InfluxDB is unreachable, and N KiB in all "
         "(oldest dropped)",
         &conf.buffer},
        {"--docker-host", "DOCKER_HOST", CFG_STR, "unix:///var/run/docker.sock",
         NULL, 0, 0,
         "Docker engine (unix:// or tcp://; TLS from DOCKER_TLS_VERIFY, "
         "DOCKER_CERT_PATH)",
         &conf.docker_host},
        {"--influx-url", "DAS_INFLUX_URL", CFG_STR, "http://127.0.0.1:8086",
         NULL, 0, 0,
         "InfluxDB 1.x HTTP API (or 2.x/3.x v1 API); none: no InfluxDB "
         "writes (Prometheus scrapes --listen's /metrics)",
         &conf.influx_url},
        {"--influx-db", "DAS_INFLUX_DB", CFG_STR, "docker", NULL, 0, 0,
         "InfluxDB database", &conf.influx_db},
        {"--influx-user", "DAS_INFLUX_USER", CFG_STR, NULL, NULL, 0, 0,
         "InfluxDB user", &conf.influx_user},
        {"--influx-password-file", "DAS_INFLUX_PASSWORD_FILE", CFG_STR, NULL,
         NULL, 0, 0,
         "file holding the InfluxDB password (or env DAS_INFLUX_PASSWORD)",
         &conf.influx_password_file},
        {"--influx-ca", "DAS_INFLUX_CA", CFG_STR, NULL, NULL, 0, 0,
         "CA certificates (PEM) for an https InfluxDB URL (default: the "
         "system's)",
         &conf.influx_ca},
        {"--influx-token-file", "DAS_INFLUX_TOKEN_FILE", CFG_STR, NULL, NULL, 0,
         0,
         "file holding an InfluxDB 2.x/3.x API token, sent as "
         "Authorization: Token (or env DAS_INFLUX_TOKEN); not with "
         "--influx-user",
         &conf.influx_token_file},
        {"--proc-root", "DS_PROC_ROOT", CFG_STR, "/proc", NULL, 0, 0,
         "the host's /proc (e.g. /host/proc when ds runs in a container)",
         &conf.proc_root},
        {"--cgroup-root", "DS_CGROUP_ROOT", CFG_STR, "/sys/fs/cgroup", NULL, 0,
         0, "the host's cgroupfs", &conf.cgroup_root},
        {"--listen", "DS_LISTEN", CFG_STR, NULL, NULL, 0, 0,
         "serve /healthz and /metrics on ADDR:PORT", &conf.listen},
        {"--log-level", "DAS_LOG_LEVEL", CFG_ENUM, "info",
         "debug|info|warn|error", 0, 0, "log level", &conf.log_level},
    };
    const size_t nopts = sizeof opts / sizeof opts[0];
    struct buf errs;
    char *pos[1];
    size_t npos;
    char err[512];
    int status = 1;
    struct dkr *dkr = NULL;
    struct cg *cg = NULL;
    struct infl *infl = NULL;
    struct ds_writer *writer = NULL;
    struct endpoint *ep = NULL;
    char *password = NULL;
    char *token = NULL;
    struct dkr_info info = {0};
    bool have_info = false;
    struct ds_collector col;
    bool col_init = false;
    struct sink sink = {0};

    signal(SIGPIPE, SIG_IGN);
    buf_init(&errs, 16 * 1024);
    buf_init(&sink.line, 64 * 1024);
    int rc = cfg_parse(opts, nopts, argc, argv, 1, pos, 0, &npos, &errs);
    if (rc == 1) {
        usage(opts, nopts);
        status = 0;
        goto out;
    }
    if (rc) {
        fprintf(stderr, "ds: bad configuration:\n%s", errs.ptr);
        fprintf(stderr, "see ds --help\n");
        status = 2;
        goto out;
    }
    log_setup("ds", (enum log_level)log_level_parse(conf.log_level));
    bool influx_off = !strcmp(conf.influx_url, "none");
    if (influx_off && !conf.to_stdout && !conf.listen) {
        fprintf(stderr,
                "ds: bad configuration: --influx-url none writes nowhere: "
                "give --listen ADDR:PORT (Prometheus scrapes /metrics) or "
                "--stdout\n");
        status = 2;
        goto out;
    }

    /* credentials: a file (Docker secret) or the environment, never argv */
    if (conf.influx_password_file) {
        password = cfg_read_secret(conf.influx_password_file, err, sizeof err);
        if (!password) {
            fprintf(stderr, "ds: bad configuration: %s\n", err);
            status = 2;
            goto out;
        }
    } else if (getenv("DAS_INFLUX_PASSWORD")) {
        password = xstrdup(getenv("DAS_INFLUX_PASSWORD"));
    }
    token =
        cfg_secret(conf.influx_token_file, "DAS_INFLUX_TOKEN", err, sizeof err);
    if (!token && err[0]) {
        fprintf(stderr, "ds: bad configuration: %s\n", err);
        status = 2;
        goto out;
    }
    if (token && conf.influx_user && conf.influx_user[0]) {
        fprintf(stderr,
                "ds: bad configuration: --influx-user and an InfluxDB token "
                "(--influx-token-file, DAS_INFLUX_TOKEN_FILE or "
                "DAS_INFLUX_TOKEN) both given: InfluxDB 1.x takes a user and "
                "password, 2.x/3.x a token; give one\n");
        status = 2;
        goto out;
    }

    dkr = dkr_new(conf.docker_host, err, sizeof err);
    if (!dkr) {
        fprintf(stderr, "ds: bad configuration: --docker-host: %s\n", err);
        status = 2;
        goto out;
    }
    if (dkr_info(dkr, &info, err, sizeof err)) {
        fprintf(stderr, "ds: %s\n", err);
        status = 1;
        goto out;
    }
    have_info = true;
    const char *node = conf.node && *conf.node ? conf.node : info.name;

    enum ds_source source = parse_source(conf.source);
    if (source != DS_SRC_API) {
        raise_nofile();
        cg = cg_new(conf.proc_root, conf.cgroup_root, err, sizeof err);
        if (!cg && source == DS_SRC_CGROUP) {
            fprintf(stderr, "ds: --source cgroup: %s\n", err);
            status = 1;
            goto out;
        }
        if (!cg)
            log_warn("cgroupfs not readable; using the Docker stats API",
                     "err=%s", err);
    }

    if (!conf.to_stdout && !influx_off) {
        const char *user =
            conf.influx_user && conf.influx_user[0] ? conf.influx_user : NULL;
        struct http_conf hc = {.url = conf.influx_url,
                               .user = user,
                               .password = user ? password : NULL,
                               .token = token,
                               .tls_verify = true, /* https: verified */
                               .ca = conf.influx_ca,
                               .timeout_ms = 10000};
        infl = infl_new(&hc, conf.influx_db, err, sizeof err);
        if (!infl) {
            fprintf(stderr, "ds: bad configuration: --influx-url: %s\n", err);
            status = 2;
            goto out;
        }
        sink.buffer = infl_buffer_new((size_t)conf.buffer);
        /* With a token (InfluxDB 2.x/3.x) the bucket and its DBRP mapping
         * are the operator's: their v1 API has no CREATE DATABASE. */
        if (!token)
            ensure_database(infl, conf.influx_db);
        /* from here on the writer thread alone talks to InfluxDB */
        writer = ds_writer_start(infl, (size_t)conf.buffer, err, sizeof err);
        if (!writer) {
            fprintf(stderr, "ds: %s\n", err);
            status = 1;
            goto out;
        }
    }
    if (conf.listen) {
        ep = ep_start(conf.listen, err, sizeof err);
        if (!ep) {
            fprintf(stderr, "ds: bad configuration: %s\n", err);
            status = 2;
            goto out;
        }
        int64_t stale = 4 * conf.interval_ms;
        ep_set_stale_after(ep, stale > 60000 ? stale : 60000);
    }
    sink.node = node;
    sink.to_stdout = conf.to_stdout;
    sink.export = ep != NULL;
    ds_collector_init(&col, dkr, cg, source);
    col_init = true;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    char qnode[160];
    log_info("ds started",
             "node=%s engine=%s api=%s source=%s interval=%lldms "
             "sink=%s",
             log_quote(node, qnode, sizeof qnode), dkr_host(dkr),
             dkr_api_version(dkr) ? dkr_api_version(dkr) : "?",
             cg ? (source == DS_SRC_API ? "api" : "cgroup") : "api",
             (long long)conf.interval_ms,
             conf.to_stdout ? "stdout"
             : infl         ? infl_where(infl)
                            : "none");

    struct complaint c_engine = {0};
    unsigned long rounds = 0;
    int64_t next = mono_ms();
    bool engine_ok = true;
    status = 0;
    if (conf.once) {
        /* CPU and rates need two samples: a silent first, one second
         * before the round that is printed or written */
        col.counters_only = true;
        int primed = ds_collect(&col, discard, NULL, err, sizeof err);
        col.counters_only = false;
        if (primed < 0) {
            fprintf(stderr, "ds: cannot list containers: %s\n", err);
            status = 1;
            goto out;
        }
        sleep_until(mono_ms() + 1000);
    }
    while (!ds_stop) {
        int64_t t0 = mono_ms();
        double c0 = cpu_seconds();
        if (writer)
            clock_follow(writer, &sink);
        sink_export_reset(&sink);
        int n = ds_collect(&col, emit, &sink, err, sizeof err);
        if (n < 0) {
            engine_ok = false;
            if (complain(&c_engine, err))
                log_error("docker engine unreachable", "host=%s err=%s",
                          dkr_host(dkr), err);
            if (conf.once) {
                fprintf(stderr, "ds: %s\n", err);
                status = 1;
                break;
            }
        } else {
            engine_ok = true;
            if (complain_release(&c_engine))
                log_info("docker engine reachable again", "host=%s",
                         dkr_host(dkr));
        }
        if (writer) {
            unsigned long dropped = infl_buffer_take_dropped(sink.buffer);
            if (dropped)
                log_warn("buffer full: dropped oldest points",
                         "dropped=%lu buffer=%ld", dropped, conf.buffer);
            /* never waits on InfluxDB: the writer thread sends them */
            ds_writer_put(writer, sink.buffer);
        }
        if (conf.to_stdout)
            fflush(stdout);
        rounds++;
        double round_s = (double)(mono_ms() - t0) / 1000.0;
        if (log_enabled(LOG_DEBUG)) {
            struct ds_writer_stats ws = {0};
            if (writer)
                ds_writer_stats(writer, &ws);
            log_debug("round",
                      "containers=%zu points=%d wall_s=%.3f cpu_s=%.4f "
                      "buffered=%zu",
                      col.n, n, round_s, cpu_seconds() - c0, ws.buffered);
        }
        publish(ep, writer, &sink, &col, round_s, engine_ok, rounds);
        if (conf.once)
            break;
        next += conf.interval_ms;
        if (next < mono_ms())
            next = mono_ms(); /* a round took longer than the interval */
        sleep_until(next);
    }

    /* SIGTERM (or --once): flush what InfluxDB takes, then exit 0 */
    struct ds_writer_stats last = {0};
    if (writer) {
        size_t left = ds_writer_stop(writer, &last);
        writer = NULL;
        if (left > 0) {
            log_warn("exiting with points InfluxDB did not take", "unsent=%zu",
                     left);
            if (conf.once)
                status = 1;
        }
    }
    if (ds_stop)
        log_info("ds stopping on signal",
                 "rounds=%lu points=%lu written=%lu rejected=%lu unsent=%zu",
                 rounds, sink.points, last.infl.points_written,
                 last.infl.points_rejected, last.buffered);

out:
    if (writer)
        (void)ds_writer_stop(writer, NULL); /* an error after it started */
    if (col_init)
        ds_collector_cleanup(&col);
    ep_stop(ep);
    infl_buffer_free(sink.buffer);
    sink_export_reset(&sink);
    free(sink.ctrs);
    infl_free(infl);
    cg_free(cg);
    if (have_info)
        dkr_info_cleanup(&info);
    dkr_free(dkr);
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    if (token) {
        memset(token, 0, strlen(token));
        free(token);
    }
    buf_cleanup(&sink.line);
    buf_cleanup(&errs);
    return status;
}
