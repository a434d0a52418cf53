/* The policy store over the PostgreSQL wire protocol (libpq): CrateDB in
 * production, PostgreSQL in tests. SQL in the dialect both share:
 * autocommit, no transactions, no sequences, ON CONFLICT (pk) DO UPDATE,
 * every value a bound parameter. */
#ifndef DAS_PG_H
#define DAS_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "xmalloc.h"

struct pg;

/* Connects with a libpq conninfo string or URI. NULL + err when it fails;
 * err never contains a password. */
struct pg *pg_open(const char *conninfo, char *err, size_t errlen);
/* 0 when conninfo is a libpq conninfo string or URI libpq can read (bad
 * configuration otherwise: -1 and err, without any password). No I/O. */
int pg_conninfo_check(const char *conninfo, char *err, size_t errlen) WUR;
void pg_close(struct pg *db);
/* Reconnects when the connection was lost; 0 when usable. */
int pg_ensure(struct pg *db, char *err, size_t errlen) WUR;

/* Creates `das` (the seed's schema, TEXT for STRING) and `das_events` when
 * missing. */
int pg_ensure_schema(struct pg *db, char *err, size_t errlen) WUR;

/* All policy rows, raw text (validate with pol_parse), ordered by seq.
 * rows[i].col[] point into storage owned by *set. */
struct pg_rowset {
    struct pol_row *rows;
    size_t n;
    void *priv; /* the PGresult */
};
int pg_policy_rows(struct pg *db, struct pg_rowset *set, char *err,
                   size_t errlen) WUR;
void pg_rowset_free(struct pg_rowset *set);

/* Writes a row as given (raw text, NULL for SQL NULL; validate it with
 * pol_parse first), so the operator's spelling ("70%", "10m") is kept.
 * replace: ON CONFLICT (seq) DO UPDATE; otherwise ON CONFLICT DO NOTHING
 * and *written (may be NULL) tells whether the row went in. The table must
 * exist (pg_ensure_schema). */
int pg_policy_write(struct pg *db, const struct pol_row *row, bool replace,
                    bool *written, char *err, size_t errlen) WUR;
/* Deletes the row; *deleted tells whether one existed. */
int pg_policy_delete(struct pg *db, long seq, bool *deleted, char *err,
                     size_t errlen) WUR;
/* The next free seq (max + 1, 1 for an empty table). */
int pg_policy_next_seq(struct pg *db, long *seq, char *err, size_t errlen) WUR;
int pg_policy_set_cur_no(struct pg *db, long seq, long cur_no, char *err,
                         size_t errlen) WUR;

/* One row of das_events. */
struct pg_event {
    int64_t time_ms;
    long seq;
    char service[POL_SERVICE_MAX];
    char action[24]; /* scale-out, scale-in, bound, synced, capacity-bound
                        (a note: no change, not a last action) */
    long from_no, to_no;
    char metric[32];
    double observed;  /* NAN → NULL */
    double threshold; /* NAN → NULL */
    int64_t window_ms;
    char reason[256];
    bool dry_run;
};
/* n events in one INSERT (one per 1000 rows), then one refresh on CrateDB:
 * a cycle's events cost one round trip. 0, or -1 + err (then none of the
 * failing INSERT's rows were written). */
int pg_events_insert(struct pg *db, const struct pg_event *ev, size_t n,
                     char *err, size_t errlen) WUR;
/* Events newest first; service NULL for all; since_ms 0 for all; at most
 * limit rows. *out is heap (free it). */
int pg_events(struct pg *db, const char *service, int64_t since_ms,
              size_t limit, struct pg_event **out, size_t *n, char *err,
              size_t errlen) WUR;
/* Action records dated after until_ms (now and a tolerance): ignored by
 * the last-action readers, counted and the first named here. One forged
 * row or point dated in 2100 would otherwise keep its policy settling for
 * ever. */
struct hist_future {
    size_t n;       /* records in the future */
    long first_seq; /* the policy of the first of them */
    int64_t first_ms;
};
#define HIST_FUTURE_TOLERANCE_MS 60000

/* The time of the last non-dry-run action per policy seq, from das_events
 * (capacity-bound rows are notes, not actions),
 * so a restart or a new leader keeps its windows. Fills times[i] for
 * seqs[i] (0 when none since since_ms) and, when bets is not NULL,
 * bets[i]: that action was a bet (dec_reason_bet of its reason). Only actions
 * at or after since_ms are read: an older one cannot reach into any window, and
 * the table only grows. */
int pg_last_actions(struct pg *db, const long *seqs, size_t n, int64_t since_ms,
                    int64_t until_ms, struct hist_future *future,
                    int64_t *times, bool *bets, char *err, size_t errlen) WUR;

#endif
