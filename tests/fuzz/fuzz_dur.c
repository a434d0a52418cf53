/* libFuzzer target: dur_parse, unit_parse, their formatters and dur_quote.
 * Besides memory safety it checks the round trips: whatever is accepted
 * formats back to a string that parses to the same value. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dur.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* Every message is one NUL-terminated line of printable ASCII. */
static void check_msg(const char *m, size_t cap)
{
    size_t len = strnlen(m, cap);
    if (len == cap)
        abort();
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)m[i] < 0x20 || (unsigned char)m[i] >= 0x7f) {
            /* "→"-free: dur and unit messages are plain ASCII */
            abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char *s = malloc(n + 1);
    char err[320], out[128], q[64];
    int64_t ms, back_ms;
    double v, back;

    if (!s)
        return 0;
    memcpy(s, d, n);
    s[n] = '\0';

    memset(err, 0, sizeof err);
    if (dur_parse(s, &ms, err, sizeof err) == 0) {
        if (ms < 0)
            abort();
        dur_format(ms, out, sizeof out);
        if (dur_parse(out, &back_ms, err, sizeof err) != 0 || back_ms != ms)
            abort();
    } else {
        check_msg(err, sizeof err);
        if (err[0] == '\0')
            abort();
    }

    for (int k = UNIT_RATIO; k <= UNIT_COUNT; k++) {
        memset(err, 0, sizeof err);
        if (unit_parse(s, (enum unit_kind)k, &v, err, sizeof err) == 0) {
            if (!isfinite(v) || v < 0)
                abort();
            unit_format(v, (enum unit_kind)k, out, sizeof out);
            unit_format_exact(v, (enum unit_kind)k, out, sizeof out);
            if (unit_parse(out, (enum unit_kind)k, &back, err, sizeof err) ||
                back != v)
                abort();
        } else {
            check_msg(err, sizeof err);
        }
    }

    /* dur_quote at every small size: terminated, within bounds. */
    for (size_t cap = 0; cap < sizeof q; cap += 7) {
        memset(q, 'Z', sizeof q);
        dur_quote(s, q, cap);
        if (cap && strnlen(q, cap) == cap)
            abort();
    }
    /* and the formatters on arbitrary bit patterns */
    if (n >= 8) {
        int64_t raw;
        double dv;
        memcpy(&raw, d, sizeof raw);
        memcpy(&dv, d, sizeof dv);
        dur_format(raw, out, sizeof out);
        for (int k = UNIT_RATIO; k <= UNIT_COUNT; k++) {
            unit_format(dv, (enum unit_kind)k, out, sizeof out);
            unit_format_exact(dv, (enum unit_kind)k, out, sizeof out);
            unit_format_exact(dv, (enum unit_kind)k, out, 5);
        }
    }
    free(s);
    return 0;
}
