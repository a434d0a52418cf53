/* libFuzzer target: tz_parse on a zone file's bytes, then offsets and
 * local times at instants drawn from its first bytes. Checks that every
 * message is one printable line, that offsets stay within the bounds
 * tz_parse allows, and that a local time maps to an instant within those
 * bounds of it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    struct tz z;
    char err[256];
    memset(err, 0, sizeof err);
    if (tz_parse(d, n, &z, err, sizeof err)) {
        size_t len = strnlen(err, sizeof err);
        if (len == sizeof err || len == 0)
            abort();
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] == 0x7f)
                abort();
        return 0;
    }
    for (size_t k = 0; k + 4 <= n && k < 64; k += 4) {
        int64_t t =
            (int64_t)(int32_t)((uint32_t)d[k] << 24 | (uint32_t)d[k + 1] << 16 |
                               (uint32_t)d[k + 2] << 8 | d[k + 3]);
        t *= 4; /* 1698..2242 */
        int32_t off = tz_offset(&z, t);
        if (off < -26 * 3600 || off > 26 * 3600)
            abort();
        int64_t u = tz_local_to_utc(&z, t + off);
        if (u < t + off - 2 * 26 * 3600 || u > t + off + 2 * 26 * 3600)
            abort();
    }
    tz_cleanup(&z);
    return 0;
}
