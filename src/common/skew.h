/* Clock skew against a server's clock (the Date header of its replies).
 * Pure: observations in, an offset out. InfluxDB's clock is the reference
 * ds stamps its points by and das reads its windows by: a host whose clock
 * is off by more than SKEW_MIN_MS uses InfluxDB's instead, and says so. */
#ifndef DAS_SKEW_H
#define DAS_SKEW_H

#include <stdbool.h>
#include <stdint.h>

/* Below this the clocks are taken as agreeing: a Date header has whole
 * seconds and a reply takes its time, so smaller offsets are noise (and
 * within the windows' tolerance of two collection intervals). */
#define SKEW_MIN_MS 5000
#define SKEW_SAMPLES 5

struct skew {
    int64_t sample[SKEW_SAMPLES]; /* the last offsets seen, ms */
    int n, next;
};

/* The largest offset taken: a Date a day or more away from this host's
 * clock is a server's broken clock (or a forged reply), not skew to
 * follow; it would also carry the points' times past int64 ns. */
#define SKEW_MAX_MS (24LL * 3600 * 1000)

/* One reply: the server's Date (whole seconds, ms) and this host's clock
 * when it arrived. The server's true time was in [date, date + 1 s).
 * False (the reply's clock not taken) when they differ by SKEW_MAX_MS or
 * more: the caller says so. */
bool skew_observe(struct skew *s, int64_t server_ms, int64_t local_ms);

/* server clock - this host's clock, the median of the last samples (one
 * slow reply does not move it); 0 before any sample. */
int64_t skew_offset(const struct skew *s);

/* What to add to this host's clock: skew_offset when at least
 * SKEW_MIN_MS either way, else 0. */
int64_t skew_correction(const struct skew *s);

#endif
