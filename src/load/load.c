/* load: one replica of the test bed's trace-driven load service.
 *
 *   load [--file /load/share] [--period 100ms] [--log-level info]
 *
 * Every period it re-reads FILE, which scripts/load-driver rewrites
 * atomically (temp file + rename) several times a second: one number, the
 * percent of one core this replica is to burn now (the trace's demand,
 * scaled, divided by the service's running replicas). It then spins until
 * it has used that share of the period in CPU time, or the period is over,
 * and sleeps for the rest (duty cycling). The task's CPU limit
 * (`docker service create --limit-cpu`) caps it: a share above the limit
 * shows as a replica at its limit, as a saturated server would.
 *
 * * The spin counts this thread's CPU time, not wall time, so a replica that
 *   waits for a crowded CPU still burns its share when it runs; it never
 *   carries a shortfall over to the next period.
 * * One thread: a share above 100 burns one whole core.
 * * A missing, empty or unreadable file means 0 (idle); the complaint is
 *   logged when it starts, when it changes and when it ends.
 * * Serving: a replica takes the share it reads from its first period on,
 *   with no warm-up. The driver counts it among the running replicas from
 *   its next poll, so for a moment (at most one poll of the driver) a new
 *   replica burns the share meant for one replica fewer.
 * * SIGTERM and SIGINT end it with status 0 (as a container's PID 1 it has
 *   no default action for them).
 *
 * With --listen it is also an application's metrics, for policies that
 * scale on requests or a queue (a query metric): it serves GET /metrics
 * with load_requests_total, the requests a trace sent (the rate in
 * --requests-file, requests per second now, summed over time), and
 * load_queue_length (--queue-file); the test driver rewrites both files
 * as it does the share. One request at a time, each bounded (2 KiB, a
 * quarter second to arrive), between the periods' spins.
 *
 * It uses nothing but libc, so CMake links it static and the image
 * (scripts/build-load-image) is FROM scratch with this one file. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dur.h"
#include "log.h"

#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S INT64_C(1000000000)
/* The share file holds one number: anything longer is not ours. */
#define SHARE_MAX_BYTES 64

static volatile sig_atomic_t load_stop;

static void on_signal(int sig)
{
    (void)sig;
    load_stop = 1;
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Reads one number >= 0 (what it is: for the message) from path into *out.
 * Returns 0, or -1 with err saying what is wrong (*out is then left
 * alone); err is unescaped: quote it to log it. */
static int number_read(const char *path, const char *what, double *out,
                       char *err, size_t errlen)
{
    char buf[SHARE_MAX_BYTES + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errf(err, errlen, "can't open %s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    int read_errno = errno;
    close(fd);
    if (n < 0) {
        errf(err, errlen, "can't read %s: %s", path, strerror(read_errno));
        return -1;
    }
    if (n > SHARE_MAX_BYTES) {
        errf(err, errlen, "%s is longer than %d bytes: not %s", path,
             SHARE_MAX_BYTES, what);
        return -1;
    }
    buf[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    while (*end == '\n' || *end == ' ' || *end == '\r' || *end == '\t')
        end++;
    if (end == buf || *end != '\0' || errno || !isfinite(v) || v < 0) {
        errf(err, errlen, "%s holds '%s': expected one number >= 0 (%s)", path,
             log_oneline(buf), what);
        return -1;
    }
    *out = v;
    return 0;
}

/* The share (percent of one core, clamped to [0, 100]). */
static int share_read(const char *path, double *share, char *err, size_t errlen)
{
    if (number_read(path, "percent of one core", share, err, errlen))
        return -1;
    if (*share > 100)
        *share = 100;
    return 0;
}

/* ---- the application's metrics (--listen) ---- */

struct app {
    int fd;                 /* listening socket, -1 without --listen */
    const char *req_path;   /* requests per second now */
    const char *queue_path; /* queue length now */
    double requests;        /* load_requests_total */
    double queue;
    int64_t last_ns; /* when requests was last summed */
};

/* "127.0.0.1:9100" → a listening socket, or -1 with err. */
static int app_listen(const char *addr, char *err, size_t errlen)
{
    char host[64];
    const char *colon = strrchr(addr, ':');
    struct sockaddr_in sa = {.sin_family = AF_INET};
    long port = colon ? strtol(colon + 1, NULL, 10) : 0;
    if (!colon || (size_t)(colon - addr) >= sizeof host || port < 1 ||
        port > 65535) {
        errf(err, errlen, "--listen %s: use HOST:PORT, e.g. 127.0.0.1:9100",
             addr);
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        errf(err, errlen, "--listen %s: %s is not an IPv4 address", addr, host);
        return -1;
    }
    sa.sin_port = htons((uint16_t)port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 16)) {
        errf(err, errlen, "--listen %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Adds the requests sent since the last call at the file's rate, and
 * reads the queue. A file that cannot be read counts as 0. */
static void app_update(struct app *a)
{
    char err[512];
    double rate = 0, queue = 0;
    int64_t now = clock_ns(CLOCK_MONOTONIC);
    if (a->req_path &&
        number_read(a->req_path, "requests per second", &rate, err, sizeof err))
        rate = 0;
    if (a->queue_path &&
        number_read(a->queue_path, "a queue length", &queue, err, sizeof err))
        queue = 0;
    if (a->last_ns)
        a->requests += rate * (double)(now - a->last_ns) / (double)NS_PER_S;
    a->last_ns = now;
    a->queue = queue;
}

/* One client: its request (at most 2 KiB, a quarter second to arrive),
 * then /metrics or 404. */
static void app_serve(struct app *a, int c)
{
    char req[2048], body[512], head[160];
    size_t got = 0;
    int64_t until = clock_ns(CLOCK_MONOTONIC) + NS_PER_S / 4;
    req[0] = '\0'; /* strstr reads it before anything came */
    while (got < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
        int64_t left = (until - clock_ns(CLOCK_MONOTONIC)) / NS_PER_MS;
        struct pollfd p = {c, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)left) != 1)
            return;
        ssize_t n = read(c, req + got, sizeof req - 1 - got);
        if (n <= 0)
            return;
        got += (size_t)n;
        req[got] = '\0';
    }
    req[got] = '\0';
    bool metrics = !strncmp(req, "GET /metrics ", 13);
    int blen = metrics
                   ? snprintf(body, sizeof body,
                              "# HELP load_requests_total Requests the trace "
                              "sent.\n"
                              "# TYPE load_requests_total counter\n"
                              "load_requests_total %.3f\n"
                              "# HELP load_queue_length Requests waiting.\n"
                              "# TYPE load_queue_length gauge\n"
                              "load_queue_length %.3f\n",
                              a->requests, a->queue)
                   : snprintf(body, sizeof body, "not found\n");
    int hlen = snprintf(head, sizeof head,
                        "HTTP/1.0 %s\r\nContent-Type: text/plain; "
                        "version=0.0.4\r\nContent-Length: %d\r\n"
                        "Connection: close\r\n\r\n",
                        metrics ? "200 OK" : "404 Not Found", blen);
    if (write(c, head, (size_t)hlen) == hlen)
        (void)!write(c, body, (size_t)blen);
}

/* Sleeps until deadline_ns, serving the clients that come meanwhile. */
static void app_sleep_until(struct app *a, int64_t deadline_ns)
{
    while (!load_stop) {
        int64_t left = (deadline_ns - clock_ns(CLOCK_MONOTONIC)) / NS_PER_MS;
        if (left <= 0)
            return;
        struct pollfd p = {a->fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) != 1)
            continue;
        /* cppcheck-suppress nullPointer ; accept4 takes a NULL length
         * with a NULL address (cppcheck's gnu.cfg says it may not) */
        int c = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        app_update(a);
        app_serve(a, c);
        close(c);
    }
}

/* Spins until this thread has used cpu_ns of CPU time or the monotonic
 * clock reaches deadline_ns, whichever comes first. */
static void burn(int64_t cpu_ns, int64_t deadline_ns)
{
    int64_t start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    while (!load_stop && clock_ns(CLOCK_THREAD_CPUTIME_ID) - start < cpu_ns &&
           clock_ns(CLOCK_MONOTONIC) < deadline_ns) {
    }
}

static void sleep_until(int64_t deadline_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline_ns / NS_PER_S),
                          .tv_nsec = (long)(deadline_ns % NS_PER_S)};
    while (!load_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
                                         NULL) == EINTR) {
    }
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: load [--file PATH] [--period DUR] [--log-level LEVEL]\n"
            "            [--listen HOST:PORT [--requests-file PATH] "
            "[--queue-file PATH]]\n"
            "  --file PATH     the share: percent of one core to burn "
            "(default /load/share)\n"
            "  --listen H:P    serve GET /metrics (load_requests_total, "
            "load_queue_length)\n"
            "  --requests-file PATH  requests per second now (default "
            "none: 0)\n"
            "  --queue-file PATH     queue length now (default none: 0)\n"
            "  --period DUR    duty cycle and re-read period, 10ms..1s "
            "(default 100ms)\n"
            "  --log-level L   debug|info|warn|error (default info)\n");
}

struct load_opts {
    const char *path; /* the share file */
    const char *listen, *req_path, *queue_path;
    int64_t period_ms; /* duty cycle and re-read period */
    enum log_level level;
};

/* Parses argv into o (defaults first). Returns 0, 1 when --help was shown,
 * or 2 after reporting every bad option on stderr. */
static int opts_parse(int argc, char **argv, struct load_opts *o)
{
    char err[512];
    int bad = 0;

    *o = (struct load_opts){
        .path = "/load/share", .period_ms = 100, .level = LOG_INFO};
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
            usage(stdout);
            return 1;
        }
        if (strcmp(opt, "--file") && strcmp(opt, "--period") &&
            strcmp(opt, "--log-level") && strcmp(opt, "--listen") &&
            strcmp(opt, "--requests-file") && strcmp(opt, "--queue-file")) {
            fprintf(stderr, "load: unknown option %s\n", opt);
            bad = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "load: %s needs a value\n", opt);
            bad = 1;
            break;
        }
        const char *val = argv[++i];
        if (!strcmp(opt, "--file")) {
            o->path = val;
        } else if (!strcmp(opt, "--listen")) {
            o->listen = val;
        } else if (!strcmp(opt, "--requests-file")) {
            o->req_path = val;
        } else if (!strcmp(opt, "--queue-file")) {
            o->queue_path = val;
        } else if (!strcmp(opt, "--period")) {
            if (dur_parse(val, &o->period_ms, err, sizeof err)) {
                fprintf(stderr, "load: --period %s\n", err);
                bad = 1;
            } else if (o->period_ms < 10 || o->period_ms > 1000) {
                fprintf(stderr, "load: --period %s: must be 10ms..1s\n", val);
                bad = 1;
            }
        } else {
            int level = log_level_parse(val);
            if (level < 0) {
                fprintf(stderr,
                        "load: --log-level %s: use debug|info|warn|error\n",
                        val);
                bad = 1;
            } else {
                o->level = (enum log_level)level;
            }
        }
    }
    if (bad) {
        usage(stderr);
        return 2;
    }
    return 0;
}

/* Until SIGTERM or SIGINT: each period, read the share and burn it (and
 * serve the metrics between). */
static void load_run(const struct load_opts *o, struct app *a)
{
    char err[512], qerr[640];
    struct complaint bad_file = {0};
    int64_t period_ns = o->period_ms * NS_PER_MS;
    int64_t next = clock_ns(CLOCK_MONOTONIC);
    double share = 0, last_logged = -1;

    while (!load_stop) {
        next += period_ns;
        if (share_read(o->path, &share, err, sizeof err)) {
            share = 0;
            if (complain(&bad_file, err))
                log_warn("no share: idle until the file is readable", "err=%s",
                         log_quote(err, qerr, sizeof qerr));
        } else if (complain_release(&bad_file)) {
            log_info("share readable again", "share=%.2f", share);
        }
        if (share != last_logged && log_enabled(LOG_DEBUG)) {
            log_debug("share", "share=%.2f", share);
            last_logged = share;
        }
        burn((int64_t)(share / 100 * (double)period_ns), next);
        if (a->fd >= 0) {
            app_update(a);
            app_sleep_until(a, next);
        } else {
            sleep_until(next);
        }
        /* Behind by a whole period (stopped, starved): start afresh
         * rather than burn the missed periods back to back. */
        int64_t now = clock_ns(CLOCK_MONOTONIC);
        if (now - next > period_ns)
            next = now;
    }
}

int main(int argc, char **argv)
{
    struct load_opts o;
    int rc = opts_parse(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    log_setup("load", o.level);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char qpath[256];
    log_info("started", "file=%s period_ms=%lld",
             log_quote(o.path, qpath, sizeof qpath), (long long)o.period_ms);
    struct app a = {
        .fd = -1, .req_path = o.req_path, .queue_path = o.queue_path};
    if (o.listen) {
        char err[300];
        a.fd = app_listen(o.listen, err, sizeof err);
        if (a.fd < 0) {
            fprintf(stderr, "load: %s\n", err);
            return 2;
        }
        log_info("serving /metrics", "listen=%s",
                 log_quote(o.listen, qpath, sizeof qpath));
    }
    load_run(&o, &a);
    log_info("stopped", NULL);
    return 0;
}
