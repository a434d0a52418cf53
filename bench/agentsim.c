/* agentsim: many simulated ds agents in one process, for
 * bench/das-agents.sh. Each agent is a synthetic node serving GET /points
 * on a loopback port of its own, exactly as ds does: its containers'
 * points go into a struct keep with kp_add, kp_trim drops the old ones,
 * and the reply is kp_serve's, served by endpoint.c (ep_start, ep_route).
 *
 *   agentsim --services FILE [--per-service K] [--agents M]
 *            [--listen-addr ADDR] [--port-base P] [--interval D]
 *            [--keep D] [--keep-max-mb MB] [--ports-out FILE]
 *
 * FILE holds one service a line, its swarm id first (what das-scale.sh
 * lists: "id name"). Each service gets K containers with deterministic
 * fake 12-hex ids, the ones bench/das-scale.sh writes to InfluxDB:
 * container n (1-based, service by service) is %06x%06x of n and
 * n * 7919 mod 2^24, with the same load levels (cpu_ratio 5 + n * 37 mod
 * 90 plus noise, mem_ratio 10 + n * 53 mod 80 plus noise). Container n
 * lives on agent (n - 1) mod M, so a service's replicas spread over nodes.
 *
 * At start every agent is filled with --keep of history at --interval
 * (what a ds that has run that long holds); then every container gets a
 * fresh point each interval, stamped at the interval's wall-clock tick.
 * Once every agent listens and holds its history, the agents' ADDR:PORT
 * list (comma-separated, what `das run --agents` takes) is written to
 * --ports-out (or stdout) and the line "agentsim ready" is logged. Runs
 * until SIGTERM or SIGINT. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cfg.h"
#include "endpoint.h"
#include "keep.h"
#include "log.h"
#include "stats.h"
#include "xmalloc.h"

/* The largest /points reply (ds's DS_POINTS_MAX_BODY). */
#define SIM_MAX_BODY ((size_t)256 << 20)

static volatile sig_atomic_t sim_stop;

static void on_stop(int sig)
{
    (void)sig;
    sim_stop = 1;
}

struct sim_container {
    char id[13];
    const char *service; /* into the services' storage */
    unsigned long n;     /* 1-based, over every service */
};

struct sim_agent {
    struct endpoint *ep;
    struct keep keep;
    pthread_mutex_t lock; /* keep: the server thread reads it */
    char node[32];
    struct sim_container **c;
    size_t n, cap;
};

struct sim_conf {
    char *services;
    long per_service;
    long agents;
    char *listen_addr;
    long port_base;
    int64_t interval_ms;
    int64_t keep_ms;
    long keep_max_mb;
    char *ports_out;
    char *log_level;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: the noise, the same every run for a given tick */
static double noise(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

/* Container n's point at t_ms: every field ds writes. */
static void make_point(unsigned long n, int64_t t_ms, struct stats_point *p)
{
    uint64_t s = (uint64_t)t_ms * 1000003u + n * 7919u + 1;
    double cpu = 5.0 + (double)(n * 37 % 90) + noise(&s) * 4.0;
    double mu = (double)(10 + n * 53 % 80) * 671088.64 + noise(&s) * 100000.0;
    memset(p, 0, sizeof *p);
    p->have = STATS_F_CPU_RATIO | STATS_F_CPU_LIMIT_RATIO | STATS_F_MEM_USAGE |
              STATS_F_MEM_LIMIT | STATS_F_MEM_RATIO | STATS_F_NET |
              STATS_F_BLK | STATS_F_NET_READ_RATE | STATS_F_NET_WRITE_RATE |
              STATS_F_BLK_READ_RATE | STATS_F_BLK_WRITE_RATE | STATS_F_PIDS;
    p->time_ns = t_ms * 1000000;
    p->cpu_ratio = cpu;
    p->cpu_limit_ratio = cpu;
    p->mem_usage = (int64_t)mu;
    p->mem_limit = 67108864;
    p->mem_ratio = mu / 671088.64;
    p->net_read = t_ms / 10;
    p->net_write = t_ms / 20;
    p->blk_read = 4096;
    p->net_read_rate = 100.0 + noise(&s);
    p->net_write_rate = 50.0 + noise(&s);
    p->pids = 1;
}

/* GET /points?since=MS&fields=a,b: ds's serve_points. */
static unsigned serve_points(void *ud, struct ep_req *req, struct buf *body,
                             const char **type)
{
    struct sim_agent *a = ud;
    *type = "text/plain; charset=utf-8";
    pthread_mutex_lock(&a->lock);
    unsigned status =
        kp_answer(&a->keep, a->node, wall_ms(), ep_arg(req, "since"),
                  ep_arg(req, "fields"), body);
    pthread_mutex_unlock(&a->lock);
    return status;
}

/* The services' ids, one a line (first word). *ids heap, *n of them. */
static int read_services(const char *path, char ***ids, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "agentsim: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        char id[64];
        if (sscanf(line, "%63s", id) != 1)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            *ids = xrealloc(*ids, cap * sizeof **ids);
        }
        (*ids)[(*n)++] = xstrdup(id);
    }
    fclose(f);
    if (*n == 0) {
        fprintf(stderr, "agentsim: %s: no service ids\n", path);
        return -1;
    }
    return 0;
}

/* Every container's point at t_ms into its agent's keep, then the trim
 * (ds: kp_add per container under the lock, kp_trim once a round). */
static void add_round(struct sim_agent *ag, size_t m, int64_t t_ms,
                      int64_t now_ms)
{
    for (size_t i = 0; i < m; i++) {
        struct sim_agent *a = &ag[i];
        for (size_t j = 0; j < a->n; j++) {
            struct stats_point p;
            make_point(a->c[j]->n, t_ms, &p);
            pthread_mutex_lock(&a->lock);
            (void)kp_add(&a->keep, a->c[j]->id, a->c[j]->service, &p);
            pthread_mutex_unlock(&a->lock);
        }
        pthread_mutex_lock(&a->lock);
        kp_trim(&a->keep, now_ms);
        pthread_mutex_unlock(&a->lock);
    }
}

static size_t kept_bytes(struct sim_agent *ag, size_t m, size_t *rows)
{
    size_t b = 0;
    *rows = 0;
    for (size_t i = 0; i < m; i++) {
        pthread_mutex_lock(&ag[i].lock);
        b += kp_bytes(&ag[i].keep);
        *rows += ag[i].keep.rows;
        pthread_mutex_unlock(&ag[i].lock);
    }
    return b;
}

static int write_ports(const struct sim_conf *conf, struct sim_agent *ag,
                       size_t m)
{
    FILE *f = stdout;
    char tmp[4096];
    if (conf->ports_out) {
        snprintf(tmp, sizeof tmp, "%s.tmp", conf->ports_out);
        f = fopen(tmp, "w");
        if (!f) {
            fprintf(stderr, "agentsim: %s: %s\n", tmp, strerror(errno));
            return -1;
        }
    }
    for (size_t i = 0; i < m; i++)
        fprintf(f, "%s%s:%u", i ? "," : "", conf->listen_addr,
                ep_port(ag[i].ep));
    fprintf(f, "\n");
    if (!conf->ports_out)
        return fflush(f) ? -1 : 0;
    if (fclose(f) || rename(tmp, conf->ports_out)) {
        fprintf(stderr, "agentsim: %s: %s\n", conf->ports_out, strerror(errno));
        return -1;
    }
    return 0;
}

static int parse_conf(struct sim_conf *conf, int argc, char **argv)
{
    const struct cfg_opt opts[] = {
        {"--services", NULL, CFG_STR, NULL, NULL, 0, 0,
         "file of services, one a line, its swarm id first", &conf->services},
        {"--per-service", NULL, CFG_INT, "10", NULL, 1, 100000,
         "containers per service", &conf->per_service},
        {"--agents", NULL, CFG_INT, "100", NULL, 1, 4096,
         "simulated agents (nodes), each on a port of its own", &conf->agents},
        {"--listen-addr", NULL, CFG_STR, "127.0.0.1", NULL, 0, 0,
         "the agents' IPv4 address", &conf->listen_addr},
        {"--port-base", NULL, CFG_INT, "0", NULL, 0, 65535,
         "agent i listens on this port + i (0: any free port each)",
         &conf->port_base},
        {"--interval", NULL, CFG_DUR, "10s", NULL, 100, 0,
         "a fresh point per container this often", &conf->interval_ms},
        {"--keep", NULL, CFG_DUR, "10m", NULL, 60000, 0,
         "history each agent holds (filled at start), as ds --keep",
         &conf->keep_ms},
        {"--keep-max-mb", NULL, CFG_INT, "32", NULL, 1, 4096,
         "each agent's cap, as ds --keep-max-mb", &conf->keep_max_mb},
        {"--ports-out", NULL, CFG_STR, NULL, NULL, 0, 0,
         "write the ADDR:PORT list here once ready (default stdout)",
         &conf->ports_out},
        {"--log-level", NULL, CFG_ENUM, "info", "debug|info|warn|error", 0, 0,
         "log level", &conf->log_level},
    };
    const size_t nopts = sizeof opts / sizeof opts[0];
    struct buf errs;
    size_t npos;
    int status = -1;

    buf_init(&errs, 16 * 1024);
    int rc = cfg_parse(opts, nopts, argc, argv, 1, NULL, 0, &npos, &errs);
    if (rc == 1) {
        printf("usage: agentsim --services FILE [options]\n\n");
        cfg_usage(stdout, opts, nopts);
        status = 0;
    } else if (rc) {
        fprintf(stderr, "agentsim: bad configuration:\n%s", errs.ptr);
        status = 2;
    } else if (!conf->services) {
        fprintf(stderr, "agentsim: --services FILE is required\n");
        status = 2;
    } else {
        log_setup("agentsim", (enum log_level)log_level_parse(conf->log_level));
    }
    buf_cleanup(&errs);
    return status;
}

/* The containers, spread over the agents: ag[i].c. */
static struct sim_container *place(struct sim_agent *ag, size_t m, char **ids,
                                   size_t nsvc, size_t k)
{
    struct sim_container *all = xcalloc(nsvc * k, sizeof *all);
    for (size_t s = 0; s < nsvc; s++)
        for (size_t j = 0; j < k; j++) {
            unsigned long n = (unsigned long)(s * k + j + 1);
            struct sim_container *c = &all[n - 1];
            c->n = n;
            c->service = ids[s];
            snprintf(c->id, sizeof c->id, "%06lx%06lx", n & 0xffffffUL,
                     (n * 7919UL) % 16777216UL);
            struct sim_agent *a = &ag[(n - 1) % m];
            if (a->n == a->cap) {
                a->cap = a->cap ? 2 * a->cap : 64;
                a->c = xrealloc(a->c, a->cap * sizeof *a->c);
            }
            a->c[a->n++] = c;
        }
    return all;
}

static int start_agents(const struct sim_conf *conf, struct sim_agent *ag,
                        size_t m)
{
    for (size_t i = 0; i < m; i++) {
        char listen[96], err[512];
        snprintf(listen, sizeof listen, "%s:%ld", conf->listen_addr,
                 conf->port_base ? conf->port_base + (long)i : 0L);
        ag[i].ep = ep_start(listen, err, sizeof err);
        if (!ag[i].ep) {
            fprintf(stderr, "agentsim: agent %zu: %s\n", i, err);
            return -1;
        }
        ep_route(ag[i].ep, "/points", serve_points, &ag[i], SIM_MAX_BODY);
        ep_publish(ag[i].ep, "", true, "ok");
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sim_conf conf;
    memset(&conf, 0, sizeof conf);
    int status = parse_conf(&conf, argc, argv);
    if (status >= 0)
        return status;

    char **ids = NULL;
    size_t nsvc = 0;
    if (read_services(conf.services, &ids, &nsvc))
        return 2;
    size_t m = (size_t)conf.agents, k = (size_t)conf.per_service;
    struct sim_agent *ag = xcalloc(m, sizeof *ag);
    for (size_t i = 0; i < m; i++) {
        kp_init(&ag[i].keep, conf.keep_ms, (size_t)conf.keep_max_mb << 20);
        pthread_mutex_init(&ag[i].lock, NULL);
        snprintf(ag[i].node, sizeof ag[i].node, "simnode%04zu", i);
    }
    struct sim_container *all = place(ag, m, ids, nsvc, k);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    status = 1;
    if (start_agents(&conf, ag, m))
        goto out;

    /* the history: --keep of rounds, oldest first, up to the last tick */
    int64_t step = conf.interval_ms;
    int64_t t0 = wall_ms();
    int64_t tick = t0 / step * step;
    int64_t rounds = conf.keep_ms / step;
    for (int64_t r = rounds; r >= 0 && !sim_stop; r--)
        add_round(ag, m, tick - r * step, wall_ms());
    size_t rows, bytes = kept_bytes(ag, m, &rows);
    log_info("history filled",
             "agents=%zu containers=%zu rounds=%lld kept_rows=%zu "
             "kept_bytes=%zu ms=%lld",
             m, nsvc * k, (long long)rounds + 1, rows, bytes,
             (long long)(wall_ms() - t0));
    if (write_ports(&conf, ag, m))
        goto out;
    log_info("agentsim ready", "agents=%zu", m);

    while (!sim_stop) {
        tick += step;
        while (!sim_stop && wall_ms() < tick) {
            int64_t left = tick - wall_ms();
            struct timespec ts = {0, (long)(left > 200 ? 200 : left) * 1000000};
            nanosleep(&ts, NULL);
        }
        if (sim_stop)
            break;
        int64_t a0 = wall_ms();
        add_round(ag, m, tick, a0);
        bytes = kept_bytes(ag, m, &rows);
        log_debug("round", "t=%lld ms=%lld kept_rows=%zu kept_bytes=%zu",
                  (long long)tick, (long long)(wall_ms() - a0), rows, bytes);
    }
    status = 0;
out:
    for (size_t i = 0; i < m; i++) {
        ep_stop(ag[i].ep);
        kp_free(&ag[i].keep);
        pthread_mutex_destroy(&ag[i].lock);
        free(ag[i].c);
    }
    free(ag);
    free(all);
    for (size_t s = 0; s < nsvc; s++)
        free(ids[s]);
    free(ids);
    return status;
}
