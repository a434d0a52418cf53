/* Time zones from TZif bytes (RFC 8536): offsets at instants, and the
 * instants of local times across daylight-saving changes. Pure: no I/O,
 * no TZ, no localtime(). */
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dur.h"

#define TZ_NAME_FORMS                                                          \
    "use a name of the tz database such as Europe/Paris, America/New_York "    \
    "or UTC"
/* The largest offset a zone may have: the database's stay within
 * -12h..+14h; a day and some allows for history. */
#define TZ_OFF_MAX (26 * 3600)
#define TZ_RULE_MAX 128

void tz_init_utc(struct tz *z)
{
    memset(z, 0, sizeof *z);
    z->ntypes = 1;
}

void tz_cleanup(struct tz *z)
{
    if (!z)
        return;
    free(z->at);
    free(z->type);
    z->at = NULL;
    z->type = NULL;
    z->ntrans = 0;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-';
}

int tz_name_check(const char *name, char *err, size_t errlen)
{
    char q[96];
    size_t n = name ? strlen(name) : 0;
    dur_quote(name, q, sizeof q);
    if (n == 0) {
        errf(err, errlen, "%s: empty; " TZ_NAME_FORMS, q);
        return -1;
    }
    if (n >= TZ_NAME_MAX) {
        errf(err, errlen, "%s: %zu bytes, longer than %d; " TZ_NAME_FORMS, q, n,
             TZ_NAME_MAX - 1);
        return -1;
    }
    if (!((name[0] >= 'a' && name[0] <= 'z') ||
          (name[0] >= 'A' && name[0] <= 'Z'))) {
        errf(err, errlen, "%s: does not start with a letter; " TZ_NAME_FORMS,
             q);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '/') {
            if (name[i + 1] == '/' || name[i + 1] == '\0') {
                errf(err, errlen,
                     "%s: an empty part between '/'; " TZ_NAME_FORMS, q);
                return -1;
            }
            continue;
        }
        if (!name_char(name[i])) {
            char c[2] = {name[i], '\0'}, qc[16];
            errf(err, errlen, "%s: %s not allowed; " TZ_NAME_FORMS, q,
                 dur_quote(c, qc, sizeof qc));
            return -1;
        }
    }
    return 0;
}

/* ---- calendar ------------------------------------------------------------ */

/* Days since 1970-01-01 of y-m-d: the year is counted from March (so that
 * February's leap day comes last), in 400-year eras of 146,097 days. */
int64_t tz_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mar = m > 2 ? m - 3 : m + 9; /* months since March */
    int64_t doy = (153 * mar + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : md[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- POSIX TZ rules -------------------------------------------------------
 */

struct rp {
    const char *s;
    const char *why; /* the first problem */
};

static bool rp_digit(const struct rp *p)
{
    return *p->s >= '0' && *p->s <= '9';
}

/* A number of at most 3 digits. */
static int rp_num(struct rp *p, int lo, int hi, int *out)
{
    int v = 0, k = 0;
    while (rp_digit(p) && k < 4) {
        v = v * 10 + (*p->s++ - '0');
        k++;
    }
    if (k == 0 || k > 3 || v < lo || v > hi) {
        p->why = "a number out of range";
        return -1;
    }
    *out = v;
    return 0;
}

/* A zone abbreviation: <...> or 3 and more letters. */
static int rp_name(struct rp *p)
{
    size_t n = 0;
    if (*p->s == '<') {
        p->s++;
        while (*p->s && *p->s != '>') {
            if (!name_char(*p->s)) {
                p->why = "a bad byte in a <...> abbreviation";
                return -1;
            }
            p->s++;
            n++;
        }
        if (*p->s != '>' || n < 3) {
            p->why = "a <...> abbreviation not closed or shorter than 3";
            return -1;
        }
        p->s++;
        return 0;
    }
    while ((*p->s >= 'a' && *p->s <= 'z') || (*p->s >= 'A' && *p->s <= 'Z')) {
        p->s++;
        n++;
    }
    if (n < 3) {
        p->why = "an abbreviation shorter than 3 letters";
        return -1;
    }
    return 0;
}

/* [+-]hh[:mm[:ss]] in seconds, hours up to max_h. */
static int rp_time(struct rp *p, int max_h, int32_t *out)
{
    int sign = 1, h = 0, m = 0, s = 0;
    if (*p->s == '+' || *p->s == '-')
        sign = *p->s++ == '-' ? -1 : 1;
    if (rp_num(p, 0, max_h, &h))
        return -1;
    if (*p->s == ':') {
        p->s++;
        if (rp_num(p, 0, 59, &m))
            return -1;
        if (*p->s == ':') {
            p->s++;
            if (rp_num(p, 0, 59, &s))
                return -1;
        }
    }
    *out = (int32_t)(sign * (h * 3600 + m * 60 + s));
    return 0;
}

/* A rule's day, then its optional /time (default 02:00). */
static int rp_day(struct rp *p, struct tz_day *d, int32_t *secs)
{
    memset(d, 0, sizeof *d);
    if (*p->s == 'M') {
        p->s++;
        d->kind = 'M';
        if (rp_num(p, 1, 12, &d->month) || *p->s++ != '.' ||
            rp_num(p, 1, 5, &d->week) || *p->s++ != '.' ||
            rp_num(p, 0, 6, &d->wday)) {
            if (!p->why)
                p->why = "a day not Mm.w.d";
            return -1;
        }
    } else if (*p->s == 'J') {
        p->s++;
        d->kind = 'J';
        if (rp_num(p, 1, 365, &d->n))
            return -1;
    } else {
        d->kind = 'N';
        if (rp_num(p, 0, 365, &d->n))
            return -1;
    }
    *secs = 7200;
    if (*p->s == '/') {
        p->s++;
        return rp_time(p, 167, secs);
    }
    return 0;
}

int tz_rule_parse(const char *s, struct tz_rule *r, char *err, size_t errlen)
{
    struct rp p = {s, NULL};
    char q[TZ_RULE_MAX + 16];
    int32_t west;
    memset(r, 0, sizeof *r);
    if (rp_name(&p) || rp_time(&p, 24, &west))
        goto bad;
    r->std_off = -west;
    if (!*p.s)
        return 0;
    if (rp_name(&p))
        goto bad;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*p.s && *p.s != ',') {
        if (rp_time(&p, 24, &west))
            goto bad;
        r->dst_off = -west;
    }
    if (*p.s != ',') {
        p.why = "a daylight-saving time without its rule (,start,end)";
        goto bad;
    }
    p.s++;
    if (rp_day(&p, &r->start, &r->start_s))
        goto bad;
    if (*p.s++ != ',') {
        p.why = "no ',' between the rule's start and end";
        goto bad;
    }
    if (rp_day(&p, &r->end, &r->end_s))
        goto bad;
    if (*p.s) {
        p.why = "bytes after the rule";
        goto bad;
    }
    return 0;
bad:
    errf(err, errlen, "POSIX TZ string %s: %s", dur_quote(s, q, sizeof q),
         p.why ? p.why : "not std offset[dst[offset],start[/time],end[/time]]");
    return -1;
}

/* The first day (days since 1970) of d in year y. */
static int64_t rule_day(const struct tz_day *d, int64_t y)
{
    int64_t jan1 = tz_days_from_civil(y, 1, 1);
    if (d->kind == 'J')
        return jan1 + d->n - 1 + (leap_year(y) && d->n >= 60 ? 1 : 0);
    if (d->kind == 'N')
        return jan1 + d->n;
    int64_t first = tz_days_from_civil(y, d->month, 1);
    /* 1970-01-01 was a Thursday: Sunday is 0 */
    int64_t wd_first = first + 4 - floor_div(first + 4, 7) * 7;
    int64_t day = (d->wday - wd_first + 7) % 7 + (int64_t)(d->week - 1) * 7;
    while (day >= month_days(y, d->month))
        day -= 7;
    return first + day;
}

static int32_t rule_offset(const struct tz_rule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int64_t y;
    int m, d;
    tz_civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
    int64_t start = rule_day(&r->start, y) * 86400 + r->start_s - r->std_off;
    int64_t end = rule_day(&r->end, y) * 86400 + r->end_s - r->dst_off;
    bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? r->dst_off : r->std_off;
}

/* ---- TZif ---------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

/* The header at buf (44 bytes, checked by the caller). */
static void tzif_counts(const unsigned char *h, struct tzif_counts *c)
{
    c->isut = be32(h + 20);
    c->isstd = be32(h + 24);
    c->leap = be32(h + 28);
    c->time = be32(h + 32);
    c->type = be32(h + 36);
    c->chars = be32(h + 40);
}

/* The size of a data block whose times are tsize bytes; 0 when the counts
 * are out of bounds. */
static size_t tzif_block(const struct tzif_counts *c, size_t tsize)
{
    if (c->time > TZ_TRANS_MAX || c->type > 256 || c->chars > 4096 ||
        c->leap > 4096 || c->isstd > 256 || c->isut > 256)
        return 0;
    return c->time * tsize + c->time + c->type * 6 + c->chars +
           c->leap * (tsize + 4) + c->isstd + c->isut;
}

/* The data block at d (its size checked by the caller) into z. */
static int tzif_data(const unsigned char *d, const struct tzif_counts *c,
                     size_t tsize, struct tz *z, char *err, size_t errlen)
{
    if (c->type == 0) {
        errf(err, errlen, "no local time type");
        return -1;
    }
    if (c->leap) {
        errf(err, errlen,
             "leap seconds (a right/ zone): not supported; use the zone's "
             "plain name");
        return -1;
    }
    if ((c->isstd && c->isstd != c->type) || (c->isut && c->isut != c->type)) {
        errf(err, errlen, "indicator counts that are not the type count");
        return -1;
    }
    z->ntrans = c->time;
    z->ntypes = c->type;
    z->at = xcalloc(c->time ? c->time : 1, sizeof *z->at);
    z->type = xcalloc(c->time ? c->time : 1, sizeof *z->type);
    for (size_t i = 0; i < c->time; i++) {
        const unsigned char *p = d + i * tsize;
        z->at[i] = tsize == 8 ? be64(p) : (int64_t)(int32_t)be32(p);
        if (i && z->at[i] <= z->at[i - 1]) {
            errf(err, errlen, "transition %zu not after the one before", i);
            return -1;
        }
    }
    const unsigned char *idx = d + c->time * tsize;
    for (size_t i = 0; i < c->time; i++) {
        if (idx[i] >= c->type) {
            errf(err, errlen, "transition %zu: type %u of %u", i, idx[i],
                 c->type);
            return -1;
        }
        z->type[i] = idx[i];
    }
    const unsigned char *tt = idx + c->time;
    for (size_t i = 0; i < c->type; i++) {
        int32_t off = (int32_t)be32(tt + i * 6);
        if (off < -TZ_OFF_MAX || off > TZ_OFF_MAX) {
            errf(err, errlen, "type %zu: offset %ld s out of range", i,
                 (long)off);
            return -1;
        }
        z->off[i] = off;
    }
    return 0;
}

/* The footer at f (n bytes to the end): "\n" rule "\n". */
static int tzif_footer(const unsigned char *f, size_t n, struct tz *z,
                       char *err, size_t errlen)
{
    char rule[TZ_RULE_MAX + 1], e[256];
    const unsigned char *nl = n > 1 ? memchr(f + 1, '\n', n - 1) : NULL;
    if (n < 2 || f[0] != '\n' || !nl) {
        errf(err, errlen,
             "no footer (\"\\n\" TZ string \"\\n\") after the "
             "data");
        return -1;
    }
    size_t len = (size_t)(nl - f - 1);
    if (len > TZ_RULE_MAX) {
        errf(err, errlen, "footer of %zu bytes, longer than %d", len,
             TZ_RULE_MAX);
        return -1;
    }
    memcpy(rule, f + 1, len);
    rule[len] = '\0';
    if (len == 0)
        return 0;
    if (memchr(rule, '\0', len)) {
        errf(err, errlen, "a NUL byte in the footer");
        return -1;
    }
    if (tz_rule_parse(rule, &z->rule, e, sizeof e)) {
        errf(err, errlen, "footer: %s", e);
        return -1;
    }
    z->has_rule = true;
    return 0;
}

int tz_parse(const unsigned char *buf, size_t len, struct tz *z, char *err,
             size_t errlen)
{
    struct tzif_counts c;
    memset(z, 0, sizeof *z);
    if (len > TZ_FILE_MAX) {
        errf(err, errlen, "%zu bytes, more than a zone file's %d", len,
             TZ_FILE_MAX);
        return -1;
    }
    if (len < 44 || memcmp(buf, "TZif", 4) != 0) {
        errf(err, errlen, "not a TZif file (no \"TZif\" header)");
        return -1;
    }
    unsigned char version = buf[4];
    if (version != 0 && (version < '2' || version > '4')) {
        errf(err, errlen, "TZif version byte 0x%02x: use version 1 to 4",
             version);
        return -1;
    }
    tzif_counts(buf, &c);
    size_t v1 = tzif_block(&c, 4);
    if ((v1 == 0 && (c.time || c.type)) || c.type == 0) {
        errf(err, errlen,
             "header counts out of range (%u transitions, %u "
             "types)",
             c.time, c.type);
        return -1;
    }
    if (len < 44 + v1) {
        errf(err, errlen, "truncated: %zu bytes, the header says %zu", len,
             44 + v1);
        return -1;
    }
    if (version == 0) {
        if (tzif_data(buf + 44, &c, 4, z, err, errlen)) {
            tz_cleanup(z);
            return -1;
        }
        return 0;
    }
    const unsigned char *h2 = buf + 44 + v1;
    size_t left = len - 44 - v1;
    if (left < 44 || memcmp(h2, "TZif", 4) != 0) {
        errf(err, errlen, "no second (64-bit) header in a version %c file",
             version);
        return -1;
    }
    tzif_counts(h2, &c);
    size_t v2 = tzif_block(&c, 8);
    if (v2 == 0 || c.type == 0) {
        errf(err, errlen,
             "header counts out of range (%u transitions, %u "
             "types)",
             c.time, c.type);
        return -1;
    }
    if (left - 44 < v2) {
        errf(err, errlen,
             "truncated: %zu bytes of 64-bit data, the header "
             "says %zu",
             left - 44, v2);
        return -1;
    }
    if (tzif_data(h2 + 44, &c, 8, z, err, errlen) ||
        tzif_footer(h2 + 44 + v2, left - 44 - v2, z, err, errlen)) {
        tz_cleanup(z);
        return -1;
    }
    return 0;
}

int32_t tz_offset(const struct tz *z, int64_t t)
{
    if (z->ntrans == 0 || t < z->at[0])
        return z->ntrans == 0 && z->has_rule ? rule_offset(&z->rule, t)
                                             : z->off[0];
    if (t >= z->at[z->ntrans - 1])
        return z->has_rule ? rule_offset(&z->rule, t)
                           : z->off[z->type[z->ntrans - 1]];
    /* the last transition at or before t */
    size_t lo = 0, hi = z->ntrans - 1;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->off[z->type[lo]];
}

int64_t tz_local_to_utc(const struct tz *z, int64_t local)
{
    /* the offsets a day before and after: the candidates */
    int32_t oa = tz_offset(z, local - 86400), ob = tz_offset(z, local + 86400);
    int64_t ta = local - oa, tb = local - ob;
    bool va = tz_offset(z, ta) == oa, vb = tz_offset(z, tb) == ob;
    if (va && vb)
        return ta < tb ? ta : tb; /* twice: the first */
    if (va || vb)
        return va ? ta : tb;
    /* never: the clock jumped over it; the instant of the jump is the
     * first whose local time is past it */
    int64_t lo = ta < tb ? ta : tb, hi = ta < tb ? tb : ta;
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (mid + tz_offset(z, mid) >= local)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}
