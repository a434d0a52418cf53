/* libFuzzer target: sched_parse and sched_check_bounds on a schedule's
 * text, then sched_eval in UTC at an instant drawn from the bytes. Checks
 * that every message is one printable line, that an accepted schedule's
 * canonical text parses back to the same windows, and that the bounds in
 * force stay within the policy's and never cross. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_msg(const char *m, size_t cap)
{
    size_t len = strnlen(m, cap);
    if (len == cap)
        abort();
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)m[i] < 0x20 || (unsigned char)m[i] == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    struct sched s, back;
    struct sched_now now;
    struct tz utc;
    char err[512], text[SCHED_TEXT_MAX];
    uint64_t u = 0; /* unsigned: a shift of a signed value overflows */
    if (n < 8)
        return 0;
    for (int i = 0; i < 8; i++)
        u = u << 8 | d[i];
    int64_t t = (int64_t)u;
    char *str = malloc(n - 8 + 1);
    if (!str)
        return 0;
    memcpy(str, d + 8, n - 8);
    str[n - 8] = '\0';
    memset(err, 0, sizeof err);
    if (sched_parse(str, &s, err, sizeof err)) {
        check_msg(err, sizeof err);
        free(str);
        return 0;
    }
    if (s.n < 1 || s.n > SCHED_ITEMS_MAX)
        abort();
    sched_text(&s, text, sizeof text);
    if (sched_parse(text, &back, err, sizeof err) || back.n != s.n ||
        memcmp(back.items, s.items, s.n * sizeof s.items[0]) ||
        strcmp(back.zone[0] ? back.zone : SCHED_ZONE_DEFAULT,
               s.zone[0] ? s.zone : SCHED_ZONE_DEFAULT))
        abort();
    long min_no = 1 + (long)(d[0] % 4), max_no = min_no + (long)(d[1] % 20);
    if (sched_check_bounds(&s, min_no, max_no, err, sizeof err)) {
        check_msg(err, sizeof err);
        free(str);
        return 0;
    }
    tz_init_utc(&utc);
    /* instants within a few thousand years either side */
    sched_eval(&s, &utc, t % (100000LL * 365 * 86400 * 1000), min_no, max_no,
               &now);
    if (now.min_no < min_no || now.max_no > max_no || now.min_no > now.max_no)
        abort();
    free(str);
    return 0;
}
