/* Scheduled floors and ceilings: the schedule's text, and the bounds it
 * gives at an instant (docs/policies.md, "Schedules"). Pure. */
#include "schedule.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dur.h"

#define SCHED_FORMS                                                            \
    "use windows like \"Mon-Fri 08:00-18:00 min=4\" or \"Sat,Sun "             \
    "00:00-24:00 max=2\" and a zone \"tz=Europe/Paris\", separated by ';'"
#define DAY_FORMS                                                              \
    "use Mon, Tue, Wed, Thu, Fri, Sat or Sun, a range Mon-Fri or a list "      \
    "Sat,Sun (no days: every day)"
#define TIME_FORMS "use HH:MM-HH:MM from 00:00 to 24:00, e.g. 08:00-18:00"
#define BOUND_FORMS "use min=N and/or max=N, N from 1 to 10000"

static const char *const day_names[7] = {"Mon", "Tue", "Wed", "Thu",
                                         "Fri", "Sat", "Sun"};
#define WEEK_MIN (7 * 1440)

/* Names an item in a message: `item 2 "Sat 00:00-25:00 max=2": ...`. */
static int item_fail(char *err, size_t errlen, size_t k, const char *item,
                     const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int item_fail(char *err, size_t errlen, size_t k, const char *item,
                     const char *fmt, ...)
{
    char what[400], q[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    errf(err, errlen, "item %zu %s: %s", k, dur_quote(item, q, sizeof q), what);
    return -1;
}

/* A day name, case-insensitive; -1 when none. */
static int day_of(const char *s, size_t n)
{
    if (n != 3)
        return -1;
    for (int d = 0; d < 7; d++)
        if (!strncasecmp(s, day_names[d], 3))
            return d;
    return -1;
}

/* DAYS (n bytes at s) into a mask; -1 + err. */
static int parse_days(const char *s, size_t n, uint8_t *mask, char *why,
                      size_t whylen)
{
    char part[64], q[96];
    *mask = 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != ',')
            j++;
        snprintf(part, sizeof part, "%.*s", (int)(j - i < 60 ? j - i : 60),
                 s + i);
        const char *dash = strchr(part, '-');
        int a = day_of(part, dash ? (size_t)(dash - part) : strlen(part));
        int b = dash ? day_of(dash + 1, strlen(dash + 1)) : a;
        if (a < 0 || b < 0) {
            snprintf(why, whylen, "%s: not a day; " DAY_FORMS,
                     dur_quote(part, q, sizeof q));
            return -1;
        }
        for (int d = a;; d = (d + 1) % 7) {
            *mask = (uint8_t)(*mask | 1u << d);
            if (d == b)
                break;
        }
        i = j + 1;
    }
    return 0;
}

/* "HH:MM" (5 bytes at s) in minutes 0..1440; -1. */
static int parse_hm(const char *s)
{
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        s[2] != ':' || !isdigit((unsigned char)s[3]) ||
        !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

static int parse_times(const char *tok, struct sched_item *it, char *why,
                       size_t whylen)
{
    char q[96];
    int a = -1, b = -1;
    if (strlen(tok) == 11 && tok[5] == '-') {
        a = parse_hm(tok);
        b = parse_hm(tok + 6);
    }
    dur_quote(tok, q, sizeof q);
    if (a < 0 || b < 0) {
        snprintf(why, whylen, "%s: not a time range; " TIME_FORMS, q);
        return -1;
    }
    if (a == 1440) {
        snprintf(why, whylen, "%s: starts at 24:00; start at 00:00 instead", q);
        return -1;
    }
    if (a == b || (a == 0 && b == 0)) {
        snprintf(why, whylen,
                 "%s: starts where it ends; a whole day is 00:00-24:00", q);
        return -1;
    }
    it->start = (uint16_t)a;
    it->end = (uint16_t)(b == 0 ? 1440 : b);
    return 0;
}

static int parse_bound(const char *tok, struct sched_item *it, char *why,
                       size_t whylen)
{
    char q[96];
    bool is_min = !strncmp(tok, "min=", 4), is_max = !strncmp(tok, "max=", 4);
    const char *v = tok + 4;
    dur_quote(tok, q, sizeof q);
    if (!is_min && !is_max) {
        snprintf(why, whylen, "%s: not a bound; " BOUND_FORMS, q);
        return -1;
    }
    size_t nd = strspn(v, "0123456789");
    long n = nd >= 1 && nd <= 5 && !v[nd] ? strtol(v, NULL, 10) : -1;
    if (n < 1 || n > SCHED_REPLICAS_MAX) {
        snprintf(why, whylen, "%s: not a replica count; " BOUND_FORMS, q);
        return -1;
    }
    int32_t *slot = is_min ? &it->min_no : &it->max_no;
    if (*slot) {
        snprintf(why, whylen, "%s: %s given twice; give each once", q,
                 is_min ? "min" : "max");
        return -1;
    }
    *slot = (int32_t)n;
    return 0;
}

/* A window item (its blank-separated words in tok[0..ntok)). */
static int parse_window(char **tok, size_t ntok, struct sched_item *it,
                        char *why, size_t whylen)
{
    size_t t = 0;
    memset(it, 0, sizeof *it);
    it->days = 0x7f;
    if (ntok && isalpha((unsigned char)tok[0][0]) &&
        strncmp(tok[0], "min=", 4) && strncmp(tok[0], "max=", 4)) {
        if (parse_days(tok[0], strlen(tok[0]), &it->days, why, whylen))
            return -1;
        t++;
    }
    if (t == ntok) {
        snprintf(why, whylen, "no time range; " TIME_FORMS);
        return -1;
    }
    if (parse_times(tok[t++], it, why, whylen))
        return -1;
    if (t == ntok) {
        snprintf(why, whylen, "no min=N or max=N; " BOUND_FORMS);
        return -1;
    }
    for (; t < ntok; t++)
        if (parse_bound(tok[t], it, why, whylen))
            return -1;
    if (it->min_no && it->max_no && it->min_no > it->max_no) {
        snprintf(why, whylen, "min=%ld above max=%ld; use min <= max",
                 (long)it->min_no, (long)it->max_no);
        return -1;
    }
    return 0;
}

/* The first minute of the week (Monday 00:00 = 0) at which a and b both
 * hold, -1 when never (by local wall time). */
static int overlap_at(const struct sched_item *a, const struct sched_item *b)
{
    for (int da = 0; da < 7; da++) {
        if (!(a->days & 1u << da))
            continue;
        int as = da * 1440 + a->start;
        int ae = da * 1440 + a->end + (a->end <= a->start ? 1440 : 0);
        for (int db = 0; db < 7; db++) {
            if (!(b->days & 1u << db))
                continue;
            int bs0 = db * 1440 + b->start;
            int be0 = db * 1440 + b->end + (b->end <= b->start ? 1440 : 0);
            for (int w = -1; w <= 1; w++) {
                int bs = bs0 + w * WEEK_MIN, be = be0 + w * WEEK_MIN;
                int s = as > bs ? as : bs, e = ae < be ? ae : be;
                if (s < e)
                    return ((s % WEEK_MIN) + WEEK_MIN) % WEEK_MIN;
            }
        }
    }
    return -1;
}

/* Windows whose min and max would cross. */
static int check_cross(const struct sched *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = 0; j < s->n; j++) {
            const struct sched_item *a = &s->items[i], *b = &s->items[j];
            if (i == j || !a->min_no || !b->max_no || a->min_no <= b->max_no)
                continue;
            int at = overlap_at(a, b);
            if (at < 0)
                continue;
            char ta[64], tb[64], qa[96], qb[96];
            errf(err, errlen,
                 "items %zu %s and %zu %s both hold on %s at %02d:%02d with "
                 "min=%ld above max=%ld; give the time they share a max of "
                 "at least the min",
                 i + 1,
                 dur_quote(sched_item_text(a, ta, sizeof ta), qa, sizeof qa),
                 j + 1,
                 dur_quote(sched_item_text(b, tb, sizeof tb), qb, sizeof qb),
                 day_names[at / 1440], at % 1440 / 60, at % 60, (long)a->min_no,
                 (long)b->max_no);
            return -1;
        }
    return 0;
}

/* Splits an item into blank-separated words, in place. */
static size_t words(char *item, char **tok, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *w = strtok_r(item, " \t\r", &save); w;
         w = strtok_r(NULL, " \t\r", &save)) {
        if (n == max)
            return max + 1;
        tok[n++] = w;
    }
    return n;
}

int sched_parse(const char *text, struct sched *s, char *err, size_t errlen)
{
    char buf[SCHED_TEXT_MAX + 1], why[400], e[256];
    size_t len = strlen(text), k = 0;
    memset(s, 0, sizeof *s);
    if (len > SCHED_TEXT_MAX) {
        errf(err, errlen,
             "is %zu bytes, longer than %d; give at most %d "
             "windows, " SCHED_FORMS,
             len, SCHED_TEXT_MAX, SCHED_ITEMS_MAX);
        return -1;
    }
    memcpy(buf, text, len + 1);
    bool zone_given = false;
    for (char *save = NULL, *item = strtok_r(buf, ";\n", &save); item;
         item = strtok_r(NULL, ";\n", &save)) {
        item += strspn(item, " \t\r");
        size_t il = strlen(item);
        while (il && strchr(" \t\r", item[il - 1]))
            item[--il] = '\0';
        if (!il)
            continue;
        k++;
        char whole[SCHED_TEXT_MAX + 1];
        memcpy(whole, item, il + 1);
        if (!strncmp(item, "tz=", 3)) {
            if (zone_given)
                return item_fail(err, errlen, k, whole,
                                 "a second zone; give tz= once");
            if (tz_name_check(item + 3, e, sizeof e))
                return item_fail(err, errlen, k, whole, "%s", e);
            snprintf(s->zone, sizeof s->zone, "%s", item + 3);
            zone_given = true;
            continue;
        }
        char *tok[5];
        size_t nt = words(item, tok, 4);
        if (nt > 4)
            return item_fail(err, errlen, k, whole,
                             "more than 4 words; use [DAYS] HH:MM-HH:MM "
                             "min=N max=N");
        if (s->n == SCHED_ITEMS_MAX)
            return item_fail(err, errlen, k, whole,
                             "more than %d windows; use at most %d",
                             SCHED_ITEMS_MAX, SCHED_ITEMS_MAX);
        if (parse_window(tok, nt, &s->items[s->n], why, sizeof why))
            return item_fail(err, errlen, k, whole, "%s", why);
        s->n++;
    }
    if (s->n == 0) {
        errf(err, errlen, "no window; %s", SCHED_FORMS);
        return -1;
    }
    return check_cross(s, err, errlen);
}

int sched_check_bounds(const struct sched *s, long min_no, long max_no,
                       char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct sched_item *it = &s->items[i];
        char t[64], q[96];
        sched_item_text(it, t, sizeof t);
        dur_quote(t, q, sizeof q);
        if (it->min_no && it->min_no > max_no) {
            errf(err, errlen,
                 "window %zu %s: min=%ld is above max_no %ld; a scheduled min "
                 "must be at most max_no",
                 i + 1, q, (long)it->min_no, max_no);
            return -1;
        }
        if (it->max_no && it->max_no < min_no) {
            errf(err, errlen,
                 "window %zu %s: max=%ld is below min_no %ld; a scheduled max "
                 "must be at least min_no",
                 i + 1, q, (long)it->max_no, min_no);
            return -1;
        }
    }
    return 0;
}

/* "Mon-Fri", "Sat,Sun", "Mon,Wed-Fri"; "" for every day. */
static void days_text(uint8_t days, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    if (days == 0x7f)
        return;
    for (int d = 0; d < 7;) {
        if (!(days & 1u << d)) {
            d++;
            continue;
        }
        int e = d;
        while (e + 1 < 7 && (days & 1u << (e + 1)))
            e++;
        int w;
        if (e - d >= 2)
            w = snprintf(buf + o, len - o, "%s%s-%s", o ? "," : "",
                         day_names[d], day_names[e]);
        else if (e > d)
            w = snprintf(buf + o, len - o, "%s%s,%s", o ? "," : "",
                         day_names[d], day_names[e]);
        else
            w = snprintf(buf + o, len - o, "%s%s", o ? "," : "", day_names[d]);
        if (w < 0 || (size_t)w >= len - o)
            return;
        o += (size_t)w;
        d = e + 1;
    }
}

char *sched_item_text(const struct sched_item *it, char *buf, size_t len)
{
    char days[40], mn[16] = "", mx[16] = "";
    days_text(it->days, days, sizeof days);
    if (it->min_no)
        snprintf(mn, sizeof mn, " min=%ld", (long)it->min_no);
    if (it->max_no)
        snprintf(mx, sizeof mx, " max=%ld", (long)it->max_no);
    snprintf(buf, len, "%s%s%02d:%02d-%02d:%02d%s%s", days, days[0] ? " " : "",
             it->start / 60, it->start % 60, it->end / 60, it->end % 60, mn,
             mx);
    return buf;
}

char *sched_text(const struct sched *s, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i <= s->n; i++) {
        char t[64];
        if (i == s->n && (!s->zone[0] || !strcmp(s->zone, SCHED_ZONE_DEFAULT)))
            break;
        if (i == s->n)
            snprintf(t, sizeof t, "tz=%s", s->zone);
        else
            sched_item_text(&s->items[i], t, sizeof t);
        int w = snprintf(buf + o, len - o, "%s%s", o ? "; " : "", t);
        if (w < 0 || (size_t)w >= len - o)
            break;
        o += (size_t)w;
    }
    return buf;
}

/* ---- evaluation ---------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The weekday of a day since 1970 (a Thursday), Monday 0. */
static int weekday(int64_t day)
{
    return (int)(day + 3 - floor_div(day + 3, 7) * 7);
}

/* The days around today whose windows are looked at: a window lasts
 * less than a day and a half of local time, and the next change is
 * looked for within a week. */
#define DAYS_BEFORE 2
#define DAYS_AFTER 8
#define OCC_MAX (SCHED_ITEMS_MAX * (DAYS_BEFORE + DAYS_AFTER + 1))

/* One window on one day, as instants (Unix seconds). */
struct occ {
    int64_t start, end;
    int item;
};

/* The windows of s on the local days around t's. */
static size_t occurrences(const struct sched *s, const struct tz *z, int64_t t,
                          struct occ *occ)
{
    int64_t today = floor_div(t + tz_offset(z, t), 86400);
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct sched_item *it = &s->items[i];
        int64_t end_min = it->end + (it->end <= it->start ? 1440 : 0);
        for (int64_t day = today - DAYS_BEFORE; day <= today + DAYS_AFTER;
             day++) {
            if (!(it->days & 1u << weekday(day)))
                continue;
            occ[n].start = tz_local_to_utc(z, day * 86400 + it->start * 60);
            occ[n].end = tz_local_to_utc(z, day * 86400 + end_min * 60);
            occ[n++].item = (int)i;
        }
    }
    return n;
}

/* The bounds at t, from the windows active then. */
static void bounds_at(const struct sched *s, const struct occ *occ, size_t n,
                      int64_t t, long min_no, long max_no,
                      struct sched_now *out)
{
    out->min_no = min_no;
    out->max_no = max_no;
    out->min_item = out->max_item = -1;
    out->active = 0;
    for (size_t k = 0; k < n; k++) {
        const struct sched_item *it = &s->items[occ[k].item];
        if (!(occ[k].start <= t && t < occ[k].end))
            continue;
        out->active |= 1u << occ[k].item;
        if (it->min_no > out->min_no) {
            out->min_no = it->min_no;
            out->min_item = occ[k].item;
        }
        if (it->max_no && it->max_no < out->max_no) {
            out->max_no = it->max_no;
            out->max_item = occ[k].item;
        }
    }
    /* cannot cross once parsed and checked; should they, the floor wins */
    if (out->max_no < out->min_no)
        out->max_no = out->min_no;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The first start or end after t at which the bounds change;
 * INT64_MAX when none does within the days looked at. */
static int64_t next_change(const struct sched *s, const struct occ *occ,
                           size_t n, int64_t t, long min_no, long max_no,
                           const struct sched_now *cur)
{
    int64_t at[2 * OCC_MAX];
    size_t na = 0;
    for (size_t k = 0; k < n; k++) {
        if (occ[k].start > t)
            at[na++] = occ[k].start;
        if (occ[k].end > t)
            at[na++] = occ[k].end;
    }
    /* cppcheck-suppress uninitvar ; qsort reads at[0..na), all set */
    qsort(at, na, sizeof at[0], cmp_i64);
    for (size_t k = 0; k < na; k++) {
        struct sched_now then;
        if (k && at[k] == at[k - 1])
            continue;
        bounds_at(s, occ, n, at[k], min_no, max_no, &then);
        if (then.min_no != cur->min_no || then.max_no != cur->max_no)
            return at[k];
    }
    return INT64_MAX;
}

char *sched_holds(const struct sched *s, const struct sched_now *now, char *buf,
                  size_t len)
{
    char a[64], b[64];
    const int min_i = now->min_item, max_i = now->max_item;
    buf[0] = '\0';
    if (min_i >= 0 && (size_t)min_i < s->n)
        sched_item_text(&s->items[min_i], a, sizeof a);
    else
        a[0] = '\0';
    if (max_i >= 0 && (size_t)max_i < s->n && max_i != min_i)
        sched_item_text(&s->items[max_i], b, sizeof b);
    else
        b[0] = '\0';
    if (a[0] || b[0])
        snprintf(buf, len, "%s%s%s (%s)", a, a[0] && b[0] ? "; " : "", b,
                 s->zone[0] ? s->zone : SCHED_ZONE_DEFAULT);
    return buf;
}

void sched_eval(const struct sched *s, const struct tz *zone, int64_t now_ms,
                long min_no, long max_no, struct sched_now *out)
{
    struct occ occ[OCC_MAX];
    memset(occ, 0, sizeof occ); /* gcc 12 cannot see occurrences fill it */
    memset(out, 0, sizeof *out);
    int64_t t = floor_div(now_ms, 1000);
    size_t n = occurrences(s, zone, t, occ);
    bounds_at(s, occ, n, t, min_no, max_no, out);
    int64_t next = next_change(s, occ, n, t, min_no, max_no, out);
    if (next != INT64_MAX) {
        int64_t local = next + tz_offset(zone, next);
        int64_t day = floor_div(local, 86400), sec = local - day * 86400;
        out->next_ms = next * 1000;
        snprintf(out->next_local, sizeof out->next_local, "%s %02d:%02d",
                 day_names[weekday(day)], (int)(sec / 3600),
                 (int)(sec % 3600 / 60));
    }
}
