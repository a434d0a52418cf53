/* Durations and units in the policy forms of DESIGN.md §3.
 * Pure: no I/O. */
#ifndef DAS_DUR_H
#define DAS_DUR_H

#include <stddef.h>
#include <stdint.h>

#include "xmalloc.h"

/* Parses "30s", "10m", "1h30m", "2d", "500ms", "1h30m15s" into
 * milliseconds. A bare number, a negative value, an unknown unit, an empty
 * string or an overflow is an error: returns -1 and err says what was wrong
 * and what is accepted. */
int dur_parse(const char *s, int64_t *ms, char *err, size_t errlen) WUR;

/* Formats ms as the shortest policy form ("1h30m", "45s", "0s"). */
char *dur_format(int64_t ms, char *out, size_t outlen);

enum unit_kind {
    UNIT_RATIO, /* percent: "70%" or "70" → 70.0 */
    UNIT_BYTES, /* "512MiB", "1GB", "1048576", "1.5KiB" → bytes */
    UNIT_RATE,  /* "10MiB/s", "1MB/s", "1048576" → bytes per second */
    UNIT_COUNT, /* plain non-negative number, e.g. pids: "100" */
};

/* Parses a threshold in the unit its metric is measured in. Returns -1 and
 * a message on a bad value (what it was, and the accepted forms of kind). */
int unit_parse(const char *s, enum unit_kind kind, double *value, char *err,
               size_t errlen) WUR;

/* Formats a value of kind for people: "84.2%", "512MiB", "10.0MiB/s". */
char *unit_format(double value, enum unit_kind kind, char *out, size_t outlen);

#endif
