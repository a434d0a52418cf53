/* One-line logs on stderr (log.h): the level check first, then time,
 * level, component, message and escaped key=value fields. */
#include "log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *log_comp = "das";
static enum log_level log_min = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_setup(const char *component, enum log_level level)
{
    log_comp = component;
    log_min = level;
}

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, level_names[i]) == 0)
            return i;
    if (strcasecmp(s, "warning") == 0)
        return LOG_WARN;
    return -1;
}

bool log_enabled(enum log_level level)
{
    return level >= log_min && level < LOG_OFF;
}

size_t log_invisible_len(const char *s, size_t n, unsigned *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned c = 0;
    size_t len = 0;
    if (n >= 2 && p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
        c = p[1]; /* C1: U+0080..U+009F */
        len = 2;
    } else if (n >= 2 && p[0] == 0xd8 && p[1] == 0x9c) {
        c = 0x061c; /* ARABIC LETTER MARK */
        len = 2;
    } else if (n >= 3 && p[0] == 0xe2 && (p[1] == 0x80 || p[1] == 0x81) &&
               (p[2] & 0xc0) == 0x80) {
        c = 0x2000u | ((unsigned)(p[1] & 0x3f) << 6) | (p[2] & 0x3fu);
        if (c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
            (c >= 0x2066 && c <= 0x2069))
            len = 3;
    }
    if (len && cp)
        *cp = c;
    return len;
}

char *log_quote_span(const char *s, size_t len, size_t max, char *out,
                     size_t outlen, enum log_quote_style style)
{
    static const char ell[] = "...\"";
    bool value = style == LOG_QUOTE_VALUE;
    size_t o = 0;
    if (!out || !outlen)
        return out;
    if (!s && value) {
        snprintf(out, outlen, "NULL");
        return out;
    }
    if (outlen < (value ? sizeof ell + 1 : 3)) {
        out[0] = '\0';
        return out;
    }
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    if (!s)
        len = 0;
    out[o++] = '"';
    size_t i = 0;
    for (; i < len && p[i]; i++) {
        char tmp[8];
        size_t n, skip;
        unsigned cp;
        if (i == max && value) {
            memcpy(out + o, ell, sizeof ell); /* fits: checked last byte */
            return out;
        }
        if (i == max)
            break;
        if (!value &&
            (skip = log_invisible_len((const char *)p + i, len - i, &cp))) {
            /* readable, not obeyed: \u202e */
            n = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", cp);
            i += skip - 1;
        } else if (p[i] == '"' || p[i] == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)p[i];
            n = 2;
        } else if (p[i] == '\n') {
            memcpy(tmp, "\\n", 2);
            n = 2;
        } else if (p[i] == '\t' && value) {
            memcpy(tmp, "\\t", 2);
            n = 2;
        } else if (p[i] < 0x20 || p[i] == 0x7f || (value && p[i] > 0x7f)) {
            snprintf(tmp, sizeof tmp, "\\x%02x", p[i]);
            n = 4;
        } else {
            tmp[0] = (char)p[i];
            n = 1;
        }
        if (value && o + n + sizeof ell > outlen) {
            /* room for `..."` + NUL: the reader sees the value was cut */
            memcpy(out + o, ell, sizeof ell);
            return out;
        }
        if (o + n + 2 > outlen)
            break;
        memcpy(out + o, tmp, n);
        o += n;
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

char *log_quote_as(const char *s, char *out, size_t outlen,
                   enum log_quote_style style)
{
    return log_quote_span(s, SIZE_MAX, SIZE_MAX, out, outlen, style);
}

char *log_quote(const char *s, char *out, size_t outlen)
{
    return log_quote_as(s, out, outlen, LOG_QUOTE_LOG);
}

void log_msg(enum log_level level, const char *msg, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char ts[40], qmsg[1024], fields[2048] = "";
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03ldZ", now.tv_nsec / 1000000);
    log_quote(msg, qmsg, sizeof qmsg);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(fields, sizeof fields, fmt, ap);
        va_end(ap);
    }
    fprintf(stderr, "ts=%s level=%s comp=%s msg=%s%s%s\n", ts,
            level_names[level], log_comp, qmsg, fields[0] ? " " : "", fields);
}

void log_copy_oneline(char *out, size_t outlen, const char *s, size_t len)
{
    size_t o = 0;
    if (outlen == 0)
        return;
    for (size_t i = 0; i < len && s[i] && o + 1 < outlen; i++) {
        unsigned char ch = (unsigned char)s[i];
        size_t skip = log_invisible_len(s + i, len - i, NULL);
        if (skip) {
            out[o++] = '?'; /* one mark for the whole character */
            i += skip - 1;
            continue;
        }
        out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    out[o] = '\0';
}

void log_copy_printable(char *out, size_t outlen, const char *s)
{
    size_t o = 0;
    if (!outlen)
        return;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
         p++) {
        char tmp[8];
        size_t n, skip;
        unsigned cp;
        if ((skip = log_invisible_len((const char *)p, 3, &cp))) {
            /* a C1 control or a bidirectional override: shown, not obeyed
             * (it could reorder what the terminal shows after it) */
            n = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", cp);
            p += skip - 1;
        } else if (*p == '\n')
            n = (size_t)snprintf(tmp, sizeof tmp, "\\n");
        else if (*p == '\t')
            n = (size_t)snprintf(tmp, sizeof tmp, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            n = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", *p);
        else {
            tmp[0] = (char)*p;
            n = 1;
        }
        if (o + n + 1 > outlen)
            break;
        memcpy(out + o, tmp, n);
        o += n;
    }
    out[o] = '\0';
}

char *log_oneline(char *s)
{
    for (unsigned char *p = (unsigned char *)s; *p; p++) {
        size_t skip = log_invisible_len((const char *)p, 3, NULL);
        if (skip) {
            memset(p, '?', skip);
            p += skip - 1;
        } else if (*p < 0x20 || *p == 0x7f) {
            *p = '?';
        }
    }
    return s;
}

bool complain(struct complaint *c, const char *text)
{
    bool changed = !c->active || strncmp(c->last, text, sizeof c->last - 1);
    c->active = true;
    c->count++;
    if (changed) {
        snprintf(c->last, sizeof c->last, "%s", text);
        return true;
    }
    return false;
}

bool complain_release(struct complaint *c)
{
    bool was = c->active;
    c->active = false;
    c->count = 0;
    c->last[0] = '\0';
    return was;
}
