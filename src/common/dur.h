/* Durations and units in the policy forms of docs/design.md §3.
 * Pure: no I/O. */
#ifndef DAS_DUR_H
#define DAS_DUR_H

#include <stddef.h>
#include <stdint.h>

#include "xmalloc.h"

/* Parses "30s", "10m", "1h30m", "2d", "500ms", "1h30m15s" into
 * milliseconds. Units d, h, m, s, ms, each at most once, largest first; a
 * part may have a decimal fraction when the result is a whole number of
 * milliseconds ("1.5h"). No spaces, no sign. A bare number, a negative
 * value, an unknown unit, an empty string or an overflow is an error:
 * returns -1 and err says what was wrong and what is accepted, starting
 * with the quoted value (`"10": a bare number is not a duration; use 30s,
 * 10m, 1h30m or 2d`), so a caller can prefix where the value came from. */
int dur_parse(const char *s, int64_t *ms, char *err, size_t errlen) WUR;

/* Formats ms as the shortest policy form ("1h30m", "45s", "0s",
 * "1s500ms"; negative values get a leading "-"). Returns out. */
char *dur_format(int64_t ms, char *out, size_t outlen);

/* Writes s double-quoted for a message, with quotes, backslashes, control
 * and non-ASCII bytes escaped (\n, \x1b, \xc3); a value too long for
 * out ends in `..."`. NULL is written as NULL (unquoted). Returns out. */
char *dur_quote(const char *s, char *out, size_t outlen);

enum unit_kind {
    UNIT_RATIO, /* percent: "70%" or "70" → 70.0 */
    UNIT_BYTES, /* "512MiB", "1GB", "1048576", "1.5KiB" → bytes */
    UNIT_RATE,  /* "10MiB/s", "1MB/s", "1048576" → bytes per second */
    UNIT_COUNT, /* plain non-negative number, e.g. pids: "100" */
    UNIT_VALUE, /* an application metric's value: "100", "2.5k", "1M",
                   "250ms" (seconds: a latency) */
};

/* Parses a threshold in the unit its metric is measured in: a plain
 * non-negative decimal number (no sign, exponent, hex, inf or nan) and a
 * suffix. UNIT_RATIO: none or "%". UNIT_BYTES: none (bytes), B, KB, MB,
 * GB, TB, PB, EB (1000-based) or KiB, MiB, GiB, TiB, PiB, EiB
 * (1024-based), case insensitive; a lone K/M/G/T is refused as ambiguous.
 * UNIT_RATE: a bytes form followed by "/s", or a bare number (bytes/s).
 * UNIT_COUNT: no suffix. UNIT_VALUE: none, k, M, G (1000-based: 2.5k is
 * 2500) or ms, s (seconds: 250ms is 0.25). Bytes and rates may reach
 * 2^63, ratios, counts and values 1e15. Returns -1 and a message on a bad value
 * (the quoted value first, then what is wrong and the accepted forms of kind).
 */
int unit_parse(const char *s, enum unit_kind kind, double *value, char *err,
               size_t errlen) WUR;

/* Formats a measured value of kind for people, one decimal: "84.2%",
 * "512.0MiB", "10.0MiB/s", "12.0"; bytes below 1KiB as "100B"; a
 * non-finite value as "n/a". Returns out. */
char *unit_format(double value, enum unit_kind kind, char *out, size_t outlen);

/* Formats a threshold in its shortest form that unit_parse reads back as
 * the same value where one exists: "70%", "12.5%", "512MiB", "1GB",
 * "1.5KiB", "10MiB/s", "1048577B", "100". For messages about thresholds and
 * for writing a policy row back. Returns out. */
char *unit_format_exact(double value, enum unit_kind kind, char *out,
                        size_t outlen);

/* The accepted forms of kind, for messages and help: "70% or 70 (percent)". */
const char *unit_forms(enum unit_kind kind);

#endif
