/* libFuzzer target: the decision history read back from InfluxDB
 * measurement `das` (hist_influx.h): hist_last_parse, the last action per
 * policy, and hist_events_parse, `das events` without a policy store. The
 * bytes are a /query response body.
 *
 * Invariants besides memory safety: a failure is one line and leaves no
 * result (times 0, no bets, no events); hist_last_parse gives the same
 * times with or without bets, the same for a seq asked twice, and the
 * same when InfluxDB returns the series and their rows in the other order
 * (it takes the latest, wherever it stands); hist_events_parse keeps the
 * rows' order (reversed rows give the events reversed), returns no more
 * events than rows, and its events written back as a response parse to
 * the same events. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist_influx.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

#define NSEQ 6
static const long seqs[NSEQ] = {3, -1492381327L, 0, 7, 3, 1};

static void check_msg(const char *m, size_t cap)
{
    size_t len = strnlen(m, cap);
    if (len == 0 || len == cap || memchr(m, '\n', len))
        abort();
}

/* results[0].series, when it is an array */
static json_t *series_of(json_t *root)
{
    json_t *s = json_object_get(
        json_array_get(json_object_get(root, "results"), 0), "series");
    return json_is_array(s) ? s : NULL;
}

static void reverse(json_t *a)
{
    size_t n = json_array_size(a);
    for (size_t i = 0; i < n / 2; i++) {
        json_t *x = json_incref(json_array_get(a, i));
        json_t *y = json_incref(json_array_get(a, n - 1 - i));
        json_array_set_new(a, i, y);
        json_array_set_new(a, n - 1 - i, x);
    }
}

static void check_last(json_t *root)
{
    int64_t times[NSEQ], t2[NSEQ];
    bool bets[NSEQ];
    char err[256] = "";
    int rc = hist_last_parse(root, seqs, NSEQ, times, bets, err, sizeof err);
    if (rc != 0 && rc != -1)
        abort();
    if (rc)
        check_msg(err, sizeof err);
    for (int i = 0; i < NSEQ; i++) {
        if (times[i] < 0 || (rc && (times[i] || bets[i])))
            abort();
        if (seqs[i] == seqs[0] && (times[i] != times[0] || bets[i] != bets[0]))
            abort();
    }
    if (hist_last_parse(root, seqs, NSEQ, t2, NULL, err, sizeof err) != rc ||
        memcmp(times, t2, sizeof times))
        abort();

    json_t *copy = json_deep_copy(root);
    json_t *series = series_of(copy);
    reverse(series);
    for (size_t s = 0; s < json_array_size(series); s++) {
        json_t *vals = json_object_get(json_array_get(series, s), "values");
        if (json_is_array(vals))
            reverse(vals);
    }
    if (hist_last_parse(copy, seqs, NSEQ, t2, NULL, err, sizeof err) != rc ||
        memcmp(times, t2, sizeof times))
        abort();
    json_decref(copy);
}

static bool same_num(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

static bool same_event(const struct pg_event *a, const struct pg_event *b)
{
    return a->time_ms == b->time_ms && a->seq == b->seq &&
           a->from_no == b->from_no && a->to_no == b->to_no &&
           a->window_ms == b->window_ms && a->dry_run == b->dry_run &&
           same_num(a->observed, b->observed) &&
           same_num(a->threshold, b->threshold) &&
           !strcmp(a->service, b->service) && !strcmp(a->action, b->action) &&
           !strcmp(a->metric, b->metric) && !strcmp(a->reason, b->reason);
}

static json_t *str(const char *s)
{
    return json_stringn_nocheck(s, strlen(s));
}

static json_t *num(double x)
{
    return isnan(x) ? json_null() : json_real(x);
}

/* ev as a /query response, its columns in another order than das asks */
static json_t *events_json(const struct pg_event *ev, size_t n)
{
    char seq[32];
    json_t *vals = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct pg_event *e = &ev[i];
        snprintf(seq, sizeof seq, "%ld", e->seq);
        json_array_append_new(
            vals,
            json_pack("[o,o,o,o,I,I,o,o,o,I,o,I]", json_boolean(e->dry_run),
                      str(e->reason), str(e->metric), str(e->action),
                      (json_int_t)e->from_no, (json_int_t)e->to_no,
                      num(e->observed), num(e->threshold), str(seq),
                      (json_int_t)e->window_ms, str(e->service),
                      (json_int_t)e->time_ms));
    }
    return json_pack("{s:[{s:[{s:[s,s,s,s,s,s,s,s,s,s,s,s],s:o}]}]}", "results",
                     "series", "columns", "dry_run", "reason", "metric",
                     "action", "from", "to", "observed", "threshold", "seq",
                     "window_ms", "service", "time", "values", vals);
}

static void check_events(json_t *root)
{
    struct pg_event *ev = NULL, *ev2 = NULL;
    size_t n = 99, n2 = 99;
    char err[256] = "";
    int rc = hist_events_parse(root, &ev, &n, err, sizeof err);
    if (rc != 0 && rc != -1)
        abort();
    if (rc) {
        check_msg(err, sizeof err);
        if (ev || n)
            abort();
        return;
    }
    const json_t *vals =
        json_object_get(json_array_get(series_of(root), 0), "values");
    if (n > json_array_size(vals) || (n && !ev))
        abort();
    for (size_t i = 0; i < n; i++)
        if (!memchr(ev[i].service, '\0', sizeof ev[i].service) ||
            !memchr(ev[i].action, '\0', sizeof ev[i].action) ||
            !memchr(ev[i].metric, '\0', sizeof ev[i].metric) ||
            !memchr(ev[i].reason, '\0', sizeof ev[i].reason))
            abort();

    /* written back and read again: the same events */
    json_t *back = events_json(ev, n);
    if (!back || hist_events_parse(back, &ev2, &n2, err, sizeof err) || n2 != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!same_event(&ev[i], &ev2[i]))
            abort();
    json_decref(back);
    free(ev2);

    /* the rows reversed: the events reversed */
    json_t *copy = json_deep_copy(root);
    reverse(json_object_get(json_array_get(series_of(copy), 0), "values"));
    if (hist_events_parse(copy, &ev2, &n2, err, sizeof err) || n2 != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!same_event(&ev[i], &ev2[n - 1 - i]))
            abort();
    json_decref(copy);
    free(ev2);
    free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)d, n, 0, &jerr);
    if (!root)
        return 0;
    check_last(root);
    check_events(root);
    json_decref(root);
    return 0;
}
