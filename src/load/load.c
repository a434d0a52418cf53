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
 * It uses nothing but libc, so CMake links it static and the image
 * (scripts/build-load-image) is FROM scratch with this one file. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Reads the share (percent of one core, clamped to [0, 100]) from path into
 * *share. Returns 0, or -1 with err saying what is wrong (*share is then
 * left alone); err is unescaped: quote it to log it. */
static int share_read(const char *path, double *share, char *err, size_t errlen)
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
        errf(err, errlen, "%s is longer than %d bytes: not a share", path,
             SHARE_MAX_BYTES);
        return -1;
    }
    buf[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    while (*end == '\n' || *end == ' ' || *end == '\r' || *end == '\t')
        end++;
    if (end == buf || *end != '\0' || errno || !isfinite(v) || v < 0) {
        errf(err, errlen,
             "%s holds '%s': expected one number >= 0 (percent of one core)",
             path, log_oneline(buf));
        return -1;
    }
    *share = v > 100 ? 100 : v;
    return 0;
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
            "  --file PATH     the share: percent of one core to burn "
            "(default /load/share)\n"
            "  --period DUR    duty cycle and re-read period, 10ms..1s "
            "(default 100ms)\n"
            "  --log-level L   debug|info|warn|error (default info)\n");
}

struct load_opts {
    const char *path;  /* the share file */
    int64_t period_ms; /* duty cycle and re-read period */
    enum log_level level;
};

/* Parses argv into o (defaults first). Returns 0, 1 when --help was shown,
 * or 2 after reporting every bad option on stderr. */
static int opts_parse(int argc, char **argv, struct load_opts *o)
{
    char err[512];
    int bad = 0;

    *o = (struct load_opts){"/load/share", 100, LOG_INFO};
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
            usage(stdout);
            return 1;
        }
        if (strcmp(opt, "--file") && strcmp(opt, "--period") &&
            strcmp(opt, "--log-level")) {
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

/* Until SIGTERM or SIGINT: each period, read the share and burn it. */
static void load_run(const struct load_opts *o)
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
        sleep_until(next);
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
    load_run(&o);
    log_info("stopped", NULL);
    return 0;
}
