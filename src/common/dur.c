/* Durations ("1h30m") and threshold units ("70%", "512MiB", "10MiB/s") in
 * the policy forms of docs/design.md §3. Pure: no I/O. Every error message
 * starts with the quoted value and ends with what is accepted. */
#include "dur.h"
#include "fmtnum.h"
#include "log.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DUR_FORMS "use 30s, 10m, 1h30m or 2d"
#define DUR_UNITS "units are d, h, m, s and ms, largest first"

/* Longest number (digits and one '.') unit_parse reads; longer is junk. */
#define UNIT_NUM_MAX 40
/* Bytes and rates above 2^63 are refused: no counter reaches them. Ratios
 * and counts above 1e15 are typos too (and would not format back). */
#define UNIT_BYTES_MAX 9223372036854775808.0
#define UNIT_PLAIN_MAX 1e15

static const struct {
    const char *name;
    int64_t ms;
} dur_units[] = {
    {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1},
};
#define DUR_NUNITS (sizeof dur_units / sizeof dur_units[0])

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

char *dur_quote(const char *s, char *out, size_t outlen)
{
    return log_quote_as(s, out, outlen, LOG_QUOTE_VALUE);
}

/* The error for a value that is not a duration at all. */
/* "empty" or "only whitespace" when s is; NULL otherwise. */
static const char *blank_why(const char *s)
{
    if (!*s)
        return "empty";
    for (; *s; s++)
        if (!is_space(*s))
            return NULL;
    return "only whitespace";
}

static int dur_fail(const char *q, char *err, size_t errlen, const char *what)
{
    errf(err, errlen, "%s: %s; " DUR_FORMS, q, what);
    return -1;
}

/* A number of a duration: integer part, and up to 9 fraction digits as
 * frac / pow10. */
struct dur_num {
    int64_t ip, frac, pow10;
    bool overflow; /* the integer part does not fit */
};

/* Reads digits[.digits] at p (a digit); returns the end, or NULL with *why
 * when the number can't be one of a duration. */
static const char *read_number(const char *p, struct dur_num *n,
                               const char **why)
{
    int fdigits = 0;
    memset(n, 0, sizeof *n);
    n->pow10 = 1;
    for (; is_digit(*p); p++) {
        int d = *p - '0';
        if (n->ip > (INT64_MAX - d) / 10)
            n->overflow = true;
        else
            n->ip = n->ip * 10 + d;
    }
    if (*p != '.')
        return p;
    p++;
    if (!is_digit(*p)) {
        *why = "a '.' must be followed by digits";
        return NULL;
    }
    for (; is_digit(*p); p++) {
        if (fdigits < 9) {
            n->frac = n->frac * 10 + (*p - '0');
            n->pow10 *= 10;
            fdigits++;
        } else if (*p != '0') {
            *why = "finer than a millisecond";
            return NULL;
        }
    }
    return p;
}

/* The index in dur_units of the unit unit[0..len); -1 when none. */
static int find_unit(const char *unit, size_t len)
{
    for (size_t i = 0; i < DUR_NUNITS; i++)
        if (strlen(dur_units[i].name) == len &&
            memcmp(dur_units[i].name, unit, len) == 0)
            return (int)i;
    return -1;
}

/* n of a unit of u ms, in ms; -1 with *why when it does not fit or is
 * finer than a millisecond. */
static int number_ms(const struct dur_num *n, int64_t u, int64_t *ms,
                     const char **why)
{
    *why = "too large";
    if (n->overflow || n->ip > INT64_MAX / u)
        return -1;
    int64_t part = n->ip * u;
    /* frac < 1e9 and u <= 8.64e7: the product fits easily. */
    if ((n->frac * u) % n->pow10 != 0) {
        *why = "finer than a millisecond";
        return -1;
    }
    if (part > INT64_MAX - (n->frac * u) / n->pow10)
        return -1;
    *ms = part + (n->frac * u) / n->pow10;
    return 0;
}

int dur_parse(const char *s, int64_t *ms, char *err, size_t errlen)
{
    char q[96], msg[128];
    const char *p;
    int64_t total = 0;
    int last_unit = -1;

    if (!s) {
        errf(err, errlen, "no value; " DUR_FORMS);
        return -1;
    }
    dur_quote(s, q, sizeof q);
    if (blank_why(s))
        return dur_fail(q, err, errlen, blank_why(s));
    if (*s == '-')
        return dur_fail(q, err, errlen, "a duration cannot be negative");

    p = s;
    while (*p) {
        const char *num = p, *unit, *why;
        struct dur_num n;
        int64_t part;
        int idx;
        size_t ulen;

        if (!is_digit(*p)) {
            char c[2] = {*p, '\0'}, qc[16];
            if (p == s)
                snprintf(msg, sizeof msg, "does not start with a number");
            else
                snprintf(msg, sizeof msg, "unexpected %s after %.*s",
                         dur_quote(c, qc, sizeof qc), (int)(p - s), s);
            return dur_fail(q, err, errlen, msg);
        }
        p = read_number(p, &n, &why);
        if (!p)
            return dur_fail(q, err, errlen, why);
        unit = p;
        while (is_alpha(*p))
            p++;
        ulen = (size_t)(p - unit);
        if (ulen == 0) {
            if (num == s && !*p)
                return dur_fail(q, err, errlen,
                                "a bare number is not a duration");
            if (!*p) {
                snprintf(msg, sizeof msg, "%.*s has no unit (" DUR_UNITS ")",
                         (int)(p - num), num);
                return dur_fail(q, err, errlen, msg);
            }
            char c[2] = {*p, '\0'}, qc[16];
            snprintf(msg, sizeof msg, "unexpected %s after %.*s",
                     dur_quote(c, qc, sizeof qc), (int)(p - num), num);
            return dur_fail(q, err, errlen, msg);
        }
        idx = find_unit(unit, ulen);
        if (idx < 0) {
            snprintf(msg, sizeof msg, "unknown unit \"%.*s\" (" DUR_UNITS ")",
                     ulen > 16 ? 16 : (int)ulen, unit);
            return dur_fail(q, err, errlen, msg);
        }
        if (idx <= last_unit) {
            snprintf(msg, sizeof msg,
                     "unit %s %s; each unit at most once, largest first "
                     "(d, h, m, s, ms)",
                     dur_units[idx].name,
                     idx == last_unit ? "repeated" : "out of order");
            return dur_fail(q, err, errlen, msg);
        }
        last_unit = idx;

        if (number_ms(&n, dur_units[idx].ms, &part, &why))
            return dur_fail(q, err, errlen, why);
        if (total > INT64_MAX - part)
            return dur_fail(q, err, errlen, "too large");
        total += part;
    }
    *ms = total;
    return 0;
}

char *dur_format(int64_t ms, char *out, size_t outlen)
{
    uint64_t v;
    size_t o = 0;

    if (!out || !outlen)
        return out;
    out[0] = '\0';
    if (ms == 0) {
        snprintf(out, outlen, "0s");
        return out;
    }
    if (ms < 0) {
        v = (uint64_t)(-(ms + 1)) + 1; /* no overflow at INT64_MIN */
        o += (size_t)snprintf(out, outlen, "-");
    } else {
        v = (uint64_t)ms;
    }
    for (size_t i = 0; i < DUR_NUNITS && o < outlen; i++) {
        uint64_t u = (uint64_t)dur_units[i].ms, n = v / u;
        if (!n)
            continue;
        v -= n * u;
        int w = snprintf(out + o, outlen - o, "%llu%s", (unsigned long long)n,
                         dur_units[i].name);
        if (w < 0)
            break;
        o += (size_t)w;
    }
    return out;
}

/* ---- units ---- */

struct byte_unit {
    const char *name; /* lower case */
    double mult;
};

static const struct byte_unit byte_units[] = {
    {"b", 1.0},
    {"kb", 1e3},
    {"mb", 1e6},
    {"gb", 1e9},
    {"tb", 1e12},
    {"pb", 1e15},
    {"kib", 1024.0},
    {"mib", 1048576.0},
    {"gib", 1073741824.0},
    {"tib", 1099511627776.0},
    {"pib", 1125899906842624.0},
    {"eb", 1e18},
    {"eib", 1152921504606846976.0},
};
#define NBYTE_UNITS (sizeof byte_units / sizeof byte_units[0])

const char *unit_forms(enum unit_kind kind)
{
    switch (kind) {
    case UNIT_RATIO:
        return "use 70% or 70 (a percentage, 0 or more; 100 = one full core "
               "for cpu_ratio)";
    case UNIT_BYTES:
        return "use 512MiB, 1GB, 1.5KiB or 1048576 (bytes; KiB MiB GiB TiB "
               "are 1024-based, KB MB GB TB 1000-based)";
    case UNIT_RATE:
        return "use 10MiB/s, 1MB/s or 1048576 (bytes per second; KiB MiB "
               "GiB are 1024-based, KB MB GB 1000-based)";
    case UNIT_COUNT:
        return "use a plain number 0 or more, e.g. 100";
    case UNIT_VALUE:
        return "use a number 0 or more, e.g. 100, with k, M or G for "
               "thousands, millions, billions (2.5k), or ms or s for a time "
               "in seconds (250ms)";
    }
    return "use a number";
}

static int unit_fail(const char *q, enum unit_kind kind, char *err,
                     size_t errlen, const char *what)
{
    errf(err, errlen, "%s: %s; %s", q, what, unit_forms(kind));
    return -1;
}

/* Finds the multiplier of a bytes suffix (case insensitive); 0 if none. */
static double byte_mult(const char *suf, size_t len)
{
    for (size_t i = 0; i < NBYTE_UNITS; i++)
        if (strlen(byte_units[i].name) == len &&
            strncasecmp(byte_units[i].name, suf, len) == 0)
            return byte_units[i].mult;
    return 0;
}

/* The multiplier of the suffix suf[0..slen) after the number s[0..nlen)
 * of a bytes or rate value (kind); -1 with msg when it isn't one. */
static int byte_suffix(const char *s, size_t nlen, const char *suf, size_t slen,
                       enum unit_kind kind, double *mult, char *msg,
                       size_t msglen)
{
    bool per_s = slen >= 2 && strcmp(suf + slen - 2, "/s") == 0;
    if (per_s)
        slen -= 2;
    *mult = 1.0;
    if (kind == UNIT_BYTES && per_s) {
        snprintf(msg, msglen, "this metric is bytes, not a rate: drop /s");
        return -1;
    }
    if (slen == 0)
        return 0;
    if (suf[0] == '%') {
        snprintf(msg, msglen, "%s",
                 kind == UNIT_BYTES ? "bytes are not a percentage"
                                    : "a rate is not a percentage");
        return -1;
    }
    *mult = byte_mult(suf, slen);
    if (*mult == 0) {
        if (slen == 1 && strchr("kKmMgGtTpP", suf[0])) {
            char up = (char)(suf[0] & ~0x20);
            snprintf(msg, msglen,
                     "\"%c\" is ambiguous: say %.*s%ciB (1024-based, "
                     "as docker's %.*s%c) or %.*s%cB (1000-based)",
                     suf[0], (int)nlen, s, up, (int)nlen, s, suf[0], (int)nlen,
                     s, up);
        } else {
            /* The suffix may hold any byte: quote it safely. */
            char us[20], qu[96];
            size_t n = slen > 16 ? 16 : slen;
            memcpy(us, suf, n);
            us[n] = '\0';
            snprintf(msg, msglen, "unknown unit %s",
                     dur_quote(us, qu, sizeof qu));
        }
        return -1;
    }
    if (kind == UNIT_RATE && !per_s) {
        snprintf(msg, msglen, "a rate needs /s after the unit, e.g. 10MiB/s");
        return -1;
    }
    return 0;
}

int unit_parse(const char *s, enum unit_kind kind, double *value, char *err,
               size_t errlen)
{
    char q[96], msg[160], num[UNIT_NUM_MAX + 1];
    const char *p, *suf;
    size_t nlen, slen;
    double v, mult = 1.0;
    char *end;

    if (!s) {
        errf(err, errlen, "no value; %s", unit_forms(kind));
        return -1;
    }
    dur_quote(s, q, sizeof q);
    if (blank_why(s))
        return unit_fail(q, kind, err, errlen, blank_why(s));
    if (*s == '-')
        return unit_fail(q, kind, err, errlen, "cannot be negative");

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return unit_fail(q, kind, err, errlen, "not a decimal number");
    /* The number: digits, optionally '.' and digits. */
    p = s;
    while (is_digit(*p))
        p++;
    if (p == s)
        return unit_fail(q, kind, err, errlen, "not a number");
    if (*p == '.') {
        p++;
        if (!is_digit(*p))
            return unit_fail(q, kind, err, errlen,
                             "a '.' must be followed by digits");
        while (is_digit(*p))
            p++;
    }
    nlen = (size_t)(p - s);
    if (nlen > UNIT_NUM_MAX)
        return unit_fail(q, kind, err, errlen, "too many digits");
    memcpy(num, s, nlen);
    num[nlen] = '\0';
    errno = 0;
    v = strtod(num, &end);
    if (end != num + nlen || errno == ERANGE || !isfinite(v))
        return unit_fail(q, kind, err, errlen, "not a usable number");

    suf = p;
    slen = strlen(suf);
    if ((suf[0] == 'e' || suf[0] == 'E') &&
        (is_digit(suf[1]) || suf[1] == '+' || suf[1] == '-'))
        return unit_fail(q, kind, err, errlen,
                         "exponents are not accepted; write the digits out");
    if (is_space(suf[0]))
        return unit_fail(q, kind, err, errlen,
                         "no space allowed after the number");
    switch (kind) {
    case UNIT_RATIO:
        if (slen && strcmp(suf, "%") != 0)
            return unit_fail(q, kind, err, errlen,
                             "a ratio takes only a % sign after the number");
        break;
    case UNIT_COUNT:
        if (slen)
            return unit_fail(q, kind, err, errlen, "a count takes no unit");
        break;
    case UNIT_VALUE: {
        static const struct {
            const char *name;
            double mult;
        } vs[] = {{"", 1.0},  {"k", 1e3}, {"M", 1e6},
                  {"G", 1e9}, {"s", 1.0}, {"ms", 1e-3}};
        size_t i = 0;
        while (i < sizeof vs / sizeof vs[0] && strcmp(suf, vs[i].name))
            i++;
        if (i == sizeof vs / sizeof vs[0])
            return unit_fail(q, kind, err, errlen,
                             "unknown unit; a value takes k, M, G, s or ms "
                             "(case matters: m is not M)");
        mult = vs[i].mult;
        break;
    }
    case UNIT_BYTES:
    case UNIT_RATE:
        if (byte_suffix(s, nlen, suf, slen, kind, &mult, msg, sizeof msg))
            return unit_fail(q, kind, err, errlen, msg);
        break;
    }
    v *= mult;
    if (!isfinite(v) ||
        v > (kind == UNIT_BYTES || kind == UNIT_RATE ? UNIT_BYTES_MAX
                                                     : UNIT_PLAIN_MAX))
        return unit_fail(q, kind, err, errlen, "too large");
    *value = v;
    return 0;
}

static const char *const bin_names[] = {"KiB", "MiB", "GiB",
                                        "TiB", "PiB", "EiB"};

char *unit_format(double value, enum unit_kind kind, char *out, size_t outlen)
{
    if (!out || !outlen)
        return out;
    if (!isfinite(value)) {
        snprintf(out, outlen, "n/a");
        return out;
    }
    switch (kind) {
    case UNIT_RATIO:
        snprintf(out, outlen, "%.1f%%", value);
        break;
    case UNIT_COUNT:
        snprintf(out, outlen, "%.1f", value);
        break;
    case UNIT_VALUE:
        if (value != 0 && fabs(value) < 1.0)
            snprintf(out, outlen, "%.3g", value);
        else
            snprintf(out, outlen, "%.1f", value);
        break;
    case UNIT_BYTES:
    case UNIT_RATE: {
        const char *rate = kind == UNIT_RATE ? "/s" : "";
        double a = fabs(value), v = value;
        int i = -1;
        while (a >= 1024.0 && i < 5) {
            a /= 1024.0;
            v /= 1024.0;
            i++;
        }
        if (i < 0)
            snprintf(out, outlen, "%.0fB%s", value, rate);
        else
            snprintf(out, outlen, "%.1f%s%s", v, bin_names[i], rate);
        break;
    }
    }
    return out;
}

/* Shortest plain decimal of v that strtod reads back as v ("70", "12.5",
 * "0.00001"; never an exponent, which unit_parse refuses). */
static void shortest(double v, char *out, size_t outlen)
{
    if (fmt_plain(v, out, outlen))
        snprintf(out, outlen, "%g", v); /* not finite, or no room */
}

char *unit_format_exact(double value, enum unit_kind kind, char *out,
                        size_t outlen)
{
    /* By size, the binary unit first where both are close. */
    static const struct {
        const char *name;
        double mult;
    } units[] = {
        {"EiB", 1152921504606846976.0},
        {"EB", 1e18},
        {"PiB", 1125899906842624.0},
        {"PB", 1e15},
        {"TiB", 1099511627776.0},
        {"TB", 1e12},
        {"GiB", 1073741824.0},
        {"GB", 1e9},
        {"MiB", 1048576.0},
        {"MB", 1e6},
        {"KiB", 1024.0},
        {"KB", 1e3},
    };
    char num[64];

    if (!out || !outlen)
        return out;
    if (!isfinite(value)) {
        snprintf(out, outlen, "n/a");
        return out;
    }
    switch (kind) {
    case UNIT_RATIO:
        shortest(value, num, sizeof num);
        snprintf(out, outlen, "%s%%", num);
        return out;
    case UNIT_COUNT:
    case UNIT_VALUE:
        shortest(value, num, sizeof num);
        snprintf(out, outlen, "%s", num);
        return out;
    case UNIT_BYTES:
    case UNIT_RATE:
        break;
    }
    const char *rate = kind == UNIT_RATE ? "/s" : "";
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        double q = value / units[i].mult, back;
        char cand[96], e[8];
        /* "1.5KiB", "512MiB"; not "1048.577KB" (then plain bytes). */
        if (q < 1.0 || q >= 10000.0 || q * 100.0 != floor(q * 100.0))
            continue;
        shortest(q, num, sizeof num);
        if (strchr(num, 'e'))
            continue;
        snprintf(cand, sizeof cand, "%s%s%s", num, units[i].name, rate);
        if (unit_parse(cand, kind, &back, e, sizeof e) == 0 && back == value) {
            snprintf(out, outlen, "%s", cand);
            return out;
        }
    }
    if (value >= 0 && value < 1e17 && value == floor(value))
        snprintf(num, sizeof num, "%.0f", value);
    else
        shortest(value, num, sizeof num);
    snprintf(out, outlen, "%sB%s", num, rate);
    return out;
}
