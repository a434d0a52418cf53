/* libFuzzer target: pol_parse on a row (10 tab-separated columns, "\N" for
 * NULL), then dec_evaluate on that policy with windows drawn from the
 * bytes after the first newline. Checks the invariants: a valid policy
 * obeys every rule of docs/design.md §3, a message names its seq, and a
 * decision never moves a service without covered data or beyond its
 * bounds. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

struct tail {
    const uint8_t *p;
    size_t n;
};

static uint8_t take(struct tail *t)
{
    if (!t->n)
        return 0;
    t->n--;
    return *t->p++;
}

static int64_t take64(struct tail *t)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | take(t);
    return (int64_t)v;
}

/* A window: mostly sane (so decisions happen), sometimes hostile. */
static void make_window(struct tail *t, int64_t now, int64_t dur, int64_t iv,
                        long actual, double lo, double hi, struct dec_window *w)
{
    uint8_t mode = take(t);
    memset(w, 0, sizeof *w);
    w->start_ms = now - dur;
    w->has_data = (mode & 1) != 0;
    w->mean = lo + (hi - lo) * (double)take(t) / 128.0;
    w->first_ms = w->start_ms + (int64_t)(take(t) % 4) * iv;
    w->last_ms = now - (int64_t)(take(t) % 4) * iv;
    w->fresh = actual - (long)(take(t) % 3) + 1;
    w->containers = w->fresh;
    w->points = 1;
    if (mode & 0x80) { /* hostile */
        w->mean = (mode & 0x40) ? NAN : (double)take64(t);
        w->first_ms = take64(t);
        w->last_ms = take64(t);
        w->fresh = (long)take64(t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char *buf = malloc(n + 1), err[512];
    struct pol_row row;
    struct policy p;
    char *s, *nl;
    struct tail t = {NULL, 0};

    if (!buf)
        return 0;
    memcpy(buf, d, n);
    buf[n] = '\0';
    /* bytes after the first newline drive the decision */
    nl = memchr(buf, '\n', n);
    if (nl) {
        *nl = '\0';
        t.p = d + (size_t)(nl - buf) + 1;
        t.n = n - (size_t)(nl - buf) - 1;
    }
    s = buf;
    for (int c = 0; c < POL_NCOLS; c++) {
        row.col[c] = NULL;
        if (!s)
            continue;
        char *tab = strchr(s, '\t');
        if (tab)
            *tab = '\0';
        row.col[c] = strcmp(s, "\\N") == 0 ? NULL : s;
        s = tab ? tab + 1 : NULL;
    }

    memset(err, 0, sizeof err);
    if (pol_parse(&row, &p, err, sizeof err) != 0) {
        size_t len = strnlen(err, sizeof err);
        if (len == sizeof err || strncmp(err, "policy seq=", 11) != 0)
            abort();
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] == 0x7f)
                abort();
        free(buf);
        return 0;
    }

    /* a valid policy obeys the rules */
    if (p.min_no < 1 || p.min_no > p.max_no || p.max_no > POL_REPLICAS_MAX)
        abort();
    if (!p.metric || pol_metric_find(p.metric->field) != p.metric)
        abort();
    if (!(p.in_cond < p.out_cond) || !(p.in_cond >= 0) || !isfinite(p.out_cond))
        abort();
    if (p.out_ms < POL_WINDOW_MIN_MS || p.out_ms > POL_WINDOW_MAX_MS ||
        p.in_ms < POL_WINDOW_MIN_MS || p.in_ms > POL_WINDOW_MAX_MS)
        abort();
    if (pol_service_ref_check(p.service_id, err, sizeof err) != 0 ||
        strcmp(p.service_id, row.col[POL_SERVICE_ID]) != 0)
        abort();
    if (p.cur_no < -1)
        abort();

    /* decide on it */
    struct dec_input in;
    struct dec_result r;
    uint8_t flags = take(&t);
    int64_t now = 1700000000000LL + (int64_t)take(&t) * 1000;
    memset(&in, 0, sizeof in);
    in.pol = &p;
    in.now_ms = now;
    in.ds_interval_ms = (int64_t)(take(&t) % 31) * 1000;
    in.found = !(flags & 1);
    in.global = (flags & 2) != 0;
    in.updating = (flags & 4) != 0;
    in.actual = (long)take(&t) % (p.max_no + 3);
    in.last_action_ms = (flags & 8) ? now - (int64_t)take(&t) * 60000 : 0;
    in.last_out = (flags & 8) && (take(&t) & 1);
    in.limit = (flags & 32) ? (double)take(&t) : NAN;
    in.running = (flags & 64) ? (long)take(&t) % (p.max_no + 3) : -1;
    in.pending = (flags & 128) ? (long)(take(&t) % 4) : 0;
    in.pending_why = "insufficient resources on 3 nodes";
    double lo = p.in_cond * 0.5, hi = p.out_cond * 1.5 + 1;
    make_window(&t, now, p.out_ms, in.ds_interval_ms, in.actual, lo, hi,
                &in.out_win);
    make_window(&t, now, p.in_ms, in.ds_interval_ms, in.actual, lo, hi,
                &in.in_win);
    if (flags & 16)
        in.actual = (long)take64(&t);
    dec_evaluate(&in, &r);

    if (r.outcome >= DEC_NOUTCOMES ||
        strnlen(r.reason, sizeof r.reason) == sizeof r.reason)
        abort();
    long expect = in.running >= 0 ? in.running : in.actual;
    bool out_cov = dec_window_covered(&in.out_win, now, in.ds_interval_ms,
                                      in.last_action_ms, expect);
    bool in_cov = dec_window_covered(&in.in_win, now, in.ds_interval_ms,
                                     in.last_action_ms, expect);
    bool step = p.mode == POL_MODE_STEP;
    /* the trim (auto only): a mean above in_cond but below out_cond / 1.1,
     * never within DEC_TRIM_AFTER_OUT in_durations after a scale-out */
    bool trim = p.mode == POL_MODE_AUTO &&
                in.in_win.mean < p.out_cond / DEC_TOLERANCE &&
                !(in.last_out && in.last_action_ms > 0 &&
                  now - in.last_action_ms < DEC_TRIM_AFTER_OUT * p.in_ms);
    switch (r.action) {
    case DEC_NONE:
        if (r.to != r.from)
            abort();
        break;
    case DEC_SCALE_OUT:
        if (!in.found || in.global || in.updating || !out_cov ||
            !(in.out_win.mean > p.out_cond) || r.from != in.actual ||
            in.pending > 0 || (step ? r.to != r.from + 1 : r.to <= r.from) ||
            r.to > p.max_no)
            abort();
        break;
    case DEC_SCALE_IN:
        if (!in.found || in.global || in.updating || !out_cov || !in_cov ||
            !(in.in_win.mean < p.in_cond || trim) ||
            in.out_win.mean > p.out_cond || r.from != in.actual ||
            (step ? r.to != r.from - 1 : r.to >= r.from) || r.to < p.min_no ||
            in.in_win.mean * (double)r.from / (double)r.to >= p.out_cond)
            abort();
        break;
    case DEC_BOUND:
        if (!in.found || in.global || in.updating ||
            (in.actual >= p.min_no && in.actual <= p.max_no) ||
            (r.to != p.min_no && r.to != p.max_no))
            abort();
        break;
    }
    free(buf);
    return 0;
}
