/* Scheduled floors and ceilings of a policy (docs/policies.md,
 * "Schedules"): time windows in a named zone that raise min_no or lower
 * max_no while they last. Parsing and evaluation; pure (the zone comes in
 * parsed, tz.h; the time is a parameter). */
#ifndef DAS_SCHEDULE_H
#define DAS_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tz.h"
#include "xmalloc.h"

/* At most this many windows in a schedule, this many bytes of text. */
#define SCHED_ITEMS_MAX 12
#define SCHED_TEXT_MAX 1024
/* A scheduled min or max: 1..SCHED_REPLICAS_MAX (policy.h's bound). */
#define SCHED_REPLICAS_MAX 10000
/* The zone when the schedule names none. */
#define SCHED_ZONE_DEFAULT "UTC"

/* One window: on the days of `days` (bit 0 Monday .. bit 6 Sunday), from
 * start to end (minutes after local midnight, 0..1440; end <= start: it
 * ends on the next day), min_no and/or max_no (0: not set). */
struct sched_item {
    uint8_t days;
    uint16_t start, end;
    int32_t min_no, max_no;
};

/* A parsed schedule: n == 0 when the policy has none. zone "" is
 * SCHED_ZONE_DEFAULT. */
struct sched {
    size_t n;
    struct sched_item items[SCHED_ITEMS_MAX];
    char zone[TZ_NAME_MAX];
};

/* Parses a schedule: items separated by ';' or newlines, blanks around
 * them ignored, each either a window `[DAYS] HH:MM-HH:MM min=N max=N`
 * (DAYS: Mon..Sun, ranges Mon-Fri (Fri-Mon wraps), lists Sat,Sun; none:
 * every day; 00:00..24:00; one bound or both, min <= max) or the zone
 * `tz=Europe/Paris` (once; tz_name_check). Windows whose min and max
 * cross where they overlap (a min above a max at the same local time) are
 * refused. 0, or -1 and err saying which item, what was wrong and what is
 * accepted (`item 1 "Mon-Fry 08:00-18:00 min=4": "Fry": not a day; use
 * Mon, Tue, …`). */
int sched_parse(const char *text, struct sched *s, char *err,
                size_t errlen) WUR;

/* Checks a schedule against its policy's bounds: a scheduled min above
 * max_no or a max below min_no can never hold. 0, or -1 and err. */
int sched_check_bounds(const struct sched *s, long min_no, long max_no,
                       char *err, size_t errlen) WUR;

/* One window in the canonical form: "Mon-Fri 08:00-18:00 min=4",
 * "22:00-06:00 max=2" (every day). Returns buf. */
char *sched_item_text(const struct sched_item *it, char *buf, size_t len);
/* The whole schedule in the canonical form, items then "tz=…" (when not
 * UTC), joined by "; "; "" when none. Returns buf. */
char *sched_text(const struct sched *s, char *buf, size_t len);

/* The schedule at an instant. */
struct sched_now {
    long min_no, max_no; /* the bounds in force: the policy's, raised or
                            lowered by the windows active now */
    int min_item;        /* the window whose min holds, -1: min_no's own */
    int max_item;        /* the window whose max holds, -1: max_no's own */
    unsigned active;     /* bit i: items[i] is active */
    int64_t next_ms;     /* the next instant the bounds change (a
                            window's start or end; Unix ms), 0 when none
                            does within a week */
    char next_local[16]; /* next_ms as local wall time: "Mon 18:00" */
};

/* The bounds the schedule gives at now_ms (zone: the schedule's, parsed)
 * to a policy of min_no..max_no. A window on a day D is active from the
 * instant of D's start to the instant of its end, each a local time read
 * by tz_local_to_utc: a start or end that the clock skips (spring
 * forward) is the moment of the change; one that occurs twice (fall
 * back) is the first. Effective min = max(min_no, active mins), max =
 * min(max_no, active maxes); should they cross (sched_parse and
 * sched_check_bounds refuse every schedule that could), the floor wins. */
void sched_eval(const struct sched *s, const struct tz *zone, int64_t now_ms,
                long min_no, long max_no, struct sched_now *out);

/* The windows that hold a bound now, and the zone: "Mon-Fri 08:00-18:00
 * min=4 (Europe/Paris)", "Sat 05:00-07:00 min=3; Fri 22:00-06:00 max=3
 * (UTC)"; "" when none does. Returns buf. */
char *sched_holds(const struct sched *s, const struct sched_now *now, char *buf,
                  size_t len);

#endif
