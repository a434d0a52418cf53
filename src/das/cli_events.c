/* das events [--service S] [--since DUR] [--limit N] [--json]: the scaling
 * history from the history store (hstore.h), newest first. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "das.h"
#include "dur.h"
#include "eval.h"
#include "evjson.h"
#include "evlog.h"
#include "log.h"
#include "pg.h"
#include "policy.h"
#include "table.h"

#define ERRLEN 600
#define NCOLS 11

static void events_usage(FILE *f)
{
    fprintf(f,
            "usage: das events [--service S] [--since DUR] [--limit N] "
            "[--json]\n"
            "\n"
            "The scaling actions das took (scale-out, scale-in, bound, "
            "synced), newest first;\n"
            "dry-run marks decisions of `das run --dry-run` that changed "
            "nothing.\n"
            "From the table das_events; with --policy-db none from the "
            "InfluxDB measurement das;\n"
            "with neither (the embedded default) from the recent events "
            "of the das run\n"
            "at DAS_LISTEN (port 0: the das process of this container).\n\n");
}

static void iso_time(int64_t ms, char *out, size_t outlen)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm) ||
        !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, outlen, "%lld", (long long)ms);
}

/* A value in its metric's unit: measured ones as people read them
 * ("84.2%", "512.0MiB"), thresholds as the policy spells them ("70%").
 * A threshold das derived (a trim's or a bet return's out_cond / 1.1) has
 * no spelling: it is read as a measured one ("63.6%", not
 * "63.63636363636363%"). */
static void value_text(double v, const char *metric, bool exact, char *out,
                       size_t outlen)
{
    if (!isfinite(v)) {
        snprintf(out, outlen, "-");
        return;
    }
    const struct pol_metric *m = pol_metric_find(metric);
    if (m && exact) {
        unit_format_exact(v, m->kind, out, outlen);
        if (strlen(out) > 12) /* no one typed that many digits */
            unit_format(v, m->kind, out, outlen);
    } else if (m) {
        unit_format(v, m->kind, out, outlen);
    } else {
        snprintf(out, outlen, "%g", v);
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void print_json(const struct pg_event *ev, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, evlog_event_json(&ev[i]));
    /* ASCII only, as das status --json: a reason's bidirectional or C1
     * characters reach a terminal as \uXXXX, read back the same */
    json_dumpf(arr, stdout,
               JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15) |
                   JSON_ENSURE_ASCII);
    printf("\n");
    json_decref(arr);
}

/* An empty text shows as "-". */
static const char *dash(const char *s)
{
    return s && *s ? s : "-";
}

static void print_table(const struct pg_event *ev, size_t n)
{
    struct table t;
    table_init(&t, NCOLS);
    const char *head[NCOLS] = {"TIME (UTC)", "SEQ",     "SERVICE",  "ACTION",
                               "FROM→TO",    "METRIC",  "OBSERVED", "THRESHOLD",
                               "WINDOW",     "DRY-RUN", "REASON"};
    table_add(&t, head, 0);
    for (size_t i = 0; i < n; i++) {
        const struct pg_event *e = &ev[i];
        char tm[40], seq[24], fromto[64], obs[40], thr[40], win[40];
        iso_time(e->time_ms, tm, sizeof tm);
        snprintf(seq, sizeof seq, "%ld", e->seq);
        if (e->from_no < 0) /* a sync of an empty cur_no */
            snprintf(fromto, sizeof fromto, "-→%ld", e->to_no);
        else
            snprintf(fromto, sizeof fromto, "%ld→%ld", e->from_no, e->to_no);
        value_text(e->observed, e->metric, false, obs, sizeof obs);
        value_text(e->threshold, e->metric, true, thr, sizeof thr);
        if (e->window_ms > 0) {
            dur_format(e->window_ms, win, sizeof win);
        } else {
            snprintf(win, sizeof win, "-");
        }
        const char *vals[NCOLS] = {tm,
                                   seq,
                                   dash(e->service),
                                   dash(e->action),
                                   fromto,
                                   dash(e->metric),
                                   dash(obs),
                                   dash(thr),
                                   win,
                                   e->dry_run ? "dry-run" : "",
                                   dash(e->reason)};
        table_add(&t, vals, 0);
    }
    table_print(&t, stdout);
    table_free(&t);
}

int das_cmd_events(int argc, char **argv)
{
    struct das_conf conf = {0};
    long limit = 100;
    struct cfg_opt opts[] = {
        DAS_COMMON_OPTS(&conf),
        {"--service", NULL, CFG_STR, NULL, NULL, 0, 0,
         "only this service (as the policy names it)", &conf.service},
        {"--since", NULL, CFG_DUR, NULL, NULL, 0, 0,
         "only events of the last DURATION, e.g. 1h or 2d", &conf.since_ms},
        {"--limit", NULL, CFG_INT, "100", NULL, 1, 100000, "at most N events",
         &limit},
        {"--json", NULL, CFG_BOOL, NULL, NULL, 0, 0, "print JSON", &conf.json},
    };
    size_t nopts = sizeof opts / sizeof opts[0];
    char *pos[1];
    size_t npos;
    int rc =
        das_parse_opts("das events", events_usage, opts, nopts, argc, argv, 1,
                       pos, 0, &npos, (const char *const *)&conf.log_level);
    if (rc >= 0)
        return rc;
    char err[ERRLEN];
    struct das_clients cl;
    memset(&cl, 0, sizeof cl);
    cl.conf = &conf;
    hstore_init(&cl.hist, &cl);
    rc = hstore_open(&cl.hist, "das events");
    if (rc)
        return rc;
    int64_t since = conf.since_ms > 0 ? now_ms() - conf.since_ms : 0;
    struct pg_event *ev = NULL;
    size_t n = 0;
    if (hstore_events(&cl.hist, conf.service, since, (size_t)limit, &ev, &n,
                      err, sizeof err)) {
        fprintf(stderr, "das events: %s\n", err);
        rc = 1;
    } else if (conf.json) {
        print_json(ev, n);
    } else if (n == 0) {
        char q[100] = "";
        if (conf.service)
            log_quote(conf.service, q, sizeof q);
        printf("no events%s%s%s\n", conf.service ? " for service " : "", q,
               conf.since_ms > 0 ? " in that time" : "");
    } else {
        print_table(ev, n);
    }
    free(ev);
    das_clients_close(&cl);
    return rc;
}
