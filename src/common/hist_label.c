/* The last action recorded on a service's labels (hist_label.h). */
#include "hist_label.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void hl_format(const struct hl_last *l, char *out, size_t outlen)
{
    snprintf(out, outlen, "t=%lld;kind=%s;from=%ld;to=%ld;bet=%d",
             (long long)l->t_ms, l->kind, l->from, l->to, l->bet ? 1 : 0);
}

void hl_reason(const char *reason, char *out, size_t outlen)
{
    size_t max = outlen - 1 < HL_REASON_MAX ? outlen - 1 : HL_REASON_MAX;
    size_t n = strlen(reason);
    if (n <= max) {
        snprintf(out, outlen, "%s", reason);
        return;
    }
    n = max - 3;
    while (n > 0 && ((unsigned char)reason[n] & 0xc0) == 0x80)
        n--; /* not inside a UTF-8 character */
    snprintf(out, outlen, "%.*s...", (int)n, reason);
}

static bool num(const char *s, const char *end, long long *v)
{
    char tmp[24];
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *e;
    errno = 0;
    *v = strtoll(tmp, &e, 10);
    return !errno && *e == '\0' && e != tmp;
}

int hl_parse(const char *value, struct hl_last *out, char *err, size_t errlen)
{
    static const char *const keys[] = {"t", "kind", "from", "to", "bet"};
    memset(out, 0, sizeof *out);
    const char *p = value ? value : "";
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        size_t kl = strlen(keys[k]);
        const char *end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        long long v = 0;
        bool ok = !strncmp(p, keys[k], kl) && p[kl] == '=';
        const char *val = p + kl + 1;
        if (ok && k == 1) {
            size_t n = (size_t)(end - val);
            ok = n > 0 && n < sizeof out->kind;
            if (ok)
                snprintf(out->kind, sizeof out->kind, "%.*s", (int)n, val);
        } else if (ok) {
            ok = num(val, end, &v);
        }
        if (ok && k == 0)
            out->t_ms = v, ok = v > 0;
        else if (ok && k == 2)
            out->from = (long)v, ok = v >= -1 && v <= 1000000000;
        else if (ok && k == 3)
            out->to = (long)v, ok = v >= 0 && v <= 1000000000;
        else if (ok && k == 4)
            out->bet = v == 1, ok = v == 0 || v == 1;
        if (!ok || (k < 4 && *end != ';') || (k == 4 && *end)) {
            char q[160];
            snprintf(
                err, errlen,
                "label " HL_KEY " %s: expected t=<Unix ms>;kind=<action>;"
                "from=N;to=N;bet=0|1 (das writes it; remove the label to "
                "forget the last action)",
                log_quote_as(value ? value : "", q, sizeof q, LOG_QUOTE_VALUE));
            return -1;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}
