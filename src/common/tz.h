/* Time zones from the tz database's TZif files (RFC 8536), for the
 * schedules of policies (schedule.h): the UTC offset at an instant, and the
 * instant of a local wall-clock time. Pure: the caller reads the file
 * (bytes in, offsets out); nothing here touches TZ or the C library's
 * zone state, which a threaded das must not change. */
#ifndef DAS_TZ_H
#define DAS_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xmalloc.h"

/* The caps of what das reads: the largest zone file of the database is
 * under 4 KiB ("fat" ones included); anything far larger is not one. */
#define TZ_FILE_MAX (64 * 1024)
#define TZ_TRANS_MAX 2000
/* A zone name: "Europe/Paris", at most TZ_NAME_MAX - 1 bytes. */
#define TZ_NAME_MAX 48

/* A day of a POSIX TZ rule: Jn (1..365, February 29 never counted), n
 * (0..365, counted) or Mm.w.d (month 1..12, week 1..5 where 5 is the
 * last, day 0..6 from Sunday). */
struct tz_day {
    char kind; /* 'J', 'N' or 'M' */
    int n, month, week, wday;
};

/* The POSIX TZ string of a TZif footer ("CET-1CEST,M3.5.0,M10.5.0/3"):
 * local time after the file's last transition. Offsets in seconds east
 * of UTC (the string's sign is the other way round). */
struct tz_rule {
    int32_t std_off, dst_off;
    bool has_dst;
    struct tz_day start, end;
    int32_t start_s, end_s; /* seconds after local midnight; may be
                               negative or past a day (-167h..167h) */
};

/* A zone: its transitions and their offsets, then its rule. */
struct tz {
    size_t ntrans;
    int64_t *at;      /* transition instants, Unix seconds, ascending */
    uint8_t *type;    /* the offset index in force from at[i] on */
    size_t ntypes;    /* 1..256 */
    int32_t off[256]; /* seconds east of UTC */
    bool has_rule;    /* the footer holds a rule: after the last transition */
    struct tz_rule rule;
};

/* UTC itself: no transitions, offset 0 (tz_cleanup not needed but
 * harmless). */
void tz_init_utc(struct tz *z);
/* Frees what tz_parse allocated; accepts a zeroed struct. */
void tz_cleanup(struct tz *z);

/* Checks a zone name: 1..TZ_NAME_MAX-1 bytes, components of letters,
 * digits, '_', '+' and '-' separated by single '/', the first byte a
 * letter (no '.', so no "..", and no absolute path). 0, or -1 and err
 * (`"../etc/passwd": '.' not allowed; use a name of the tz database such
 * as Europe/Paris or America/New_York`). */
int tz_name_check(const char *name, char *err, size_t errlen) WUR;

/* Parses a TZif file (version 1, 2, 3 or 4; of version 2 and later the
 * 64-bit data and the footer). At most TZ_FILE_MAX bytes, TZ_TRANS_MAX
 * transitions. 0 and *z filled (tz_cleanup frees it), or -1 and err
 * saying what is wrong (`truncated: 44 bytes of the header, 120 of
 * data`). */
int tz_parse(const unsigned char *buf, size_t len, struct tz *z, char *err,
             size_t errlen) WUR;

/* Parses a POSIX TZ string as TZif footers hold it: "UTC0",
 * "EST5EDT,M3.2.0,M11.1.0", "<+0330>-3:30", "<-03>3<-02>,M3.2.0/-2,
 * M11.1.0/-1" (RFC 8536 §3.3). A DST part without its rule is refused.
 * 0, or -1 and err. */
int tz_rule_parse(const char *s, struct tz_rule *r, char *err,
                  size_t errlen) WUR;

/* The offset of the zone at instant t (Unix seconds), in seconds east of
 * UTC: before the first transition the first type's, after the last the
 * rule's (or the last transition's when there is no rule). */
int32_t tz_offset(const struct tz *z, int64_t t);

/* The instant of a local wall-clock time (seconds since 1970-01-01 00:00
 * as if local time were UTC):
 * - a time that occurs once: that instant;
 * - a time that occurs twice (the clock was set back): the first;
 * - a time that never occurs (the clock was set forward over it): the
 *   first instant after the gap, the moment of the change. */
int64_t tz_local_to_utc(const struct tz *z, int64_t local);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian), and back. */
int64_t tz_days_from_civil(int64_t y, int m, int d);
void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

#endif
