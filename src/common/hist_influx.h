/* The decision history read back from InfluxDB: the points `das run`
 * writes to measurement `das` (one per event: tags service, seq, action;
 * fields from, to, observed, threshold, window_ms, dry_run, reason,
 * metric). With `--policy-db none` there is no das_events table: the last
 * action per policy (and whether it was a bet, told by its reason as
 * pg_last_actions tells it) and `das events` come from here, so a restart
 * or a new leader keeps its windows without a second action.
 *
 * Statement builders and parsers are pure (unit tests); the two query
 * functions make one request each through infl_query(). */
#ifndef DAS_HIST_INFLUX_H
#define DAS_HIST_INFLUX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "influx.h"
#include "pg.h"

#define HIST_MEASUREMENT "das"

/* The latest non-dry-run action per seq in [since_ms, until_ms]
 * (capacity-bound points are notes, not actions): one statement, GROUP BY
 * seq. */
int hist_last_statement(int64_t since_ms, int64_t until_ms, struct buf *out,
                        char *err, size_t errlen) WUR;
/* The points dated after until_ms, per seq (a forged or mis-stamped
 * record): one statement. */
int hist_future_statement(int64_t until_ms, struct buf *out, char *err,
                          size_t errlen) WUR;
/* Its response into *future (the count of such points, the first seq and
 * time). */
int hist_future_parse(const json_t *root, struct hist_future *future, char *err,
                      size_t errlen) WUR;
/* Fills times[i] / bets[i] (bets may be NULL) for seqs[i] from a parsed
 * response of that statement: 0 and false when the seq has none. */
int hist_last_parse(const json_t *root, const long *seqs, size_t n,
                    int64_t *times, bool *bets, char *err, size_t errlen) WUR;
/* Both, against the server: like pg_last_actions. */
int hist_last_actions(struct infl *c, const long *seqs, size_t n,
                      int64_t since_ms, int64_t until_ms,
                      struct hist_future *future, int64_t *times, bool *bets,
                      char *err, size_t errlen) WUR;

/* Events newest first, like pg_events: service NULL for all (else the
 * service as the events name it), since_ms 0 for all, at most limit. */
int hist_events_statement(const char *service, int64_t since_ms, size_t limit,
                          struct buf *out, char *err, size_t errlen) WUR;
int hist_events_parse(const json_t *root, struct pg_event **out, size_t *n,
                      char *err, size_t errlen) WUR;
int hist_events(struct infl *c, const char *service, int64_t since_ms,
                size_t limit, struct pg_event **out, size_t *n, char *err,
                size_t errlen) WUR;

#endif
