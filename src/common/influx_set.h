/* InfluxDB window queries (influx_set.c): the windows of one field as
 * das decides on them, one window a request (infl_query_windows) or
 * every window of a field in one request (window sets). */
#ifndef DAS_INFLUX_SET_H
#define DAS_INFLUX_SET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "metrics.h"
#include "xmalloc.h"

struct infl;

/* ---- windows: one window of one field ------------------------------- */

/* The window aggregate is backend-neutral (metrics.h); InfluxDB's name for
 * it stays as an alias so its callers keep compiling. */
#define infl_agg win_agg

/* A full 64-hex container tag counts as its first 12 characters (the short
 * id). One HTTP request for a metric field over [start_ms, end_ms): per
 * (service, container): mean, count, highest value, first and last point time
 * and the last point's value. *out heap (free). Points without a service tag
 * are left out. field must match [a-z_]+. */
int infl_query_windows(struct infl *c, const char *field, int64_t start_ms,
                       int64_t end_ms, struct infl_agg **out, size_t *n,
                       char *err, size_t errlen) WUR;

/* The InfluxQL infl_query_windows() sends (three statements). 0 / -1 with
 * err on a bad field name. */
int infl_windows_statement(const char *field, int64_t start_ms, int64_t end_ms,
                           struct buf *out, char *err, size_t errlen) WUR;
/* Merges a parsed response of that statement into aggregates sorted by
 * (service, container). Series it can't use (tags too long, no numbers) are
 * skipped. 0 → *out heap (free), *n entries; -1 → err. */
int infl_windows_parse(const json_t *root, struct infl_agg **out, size_t *n,
                       char *err, size_t errlen) WUR;
/* The same, counting in *unusable (may be NULL) the series left out: a
 * service or container tag missing or too long, a mean or count that is
 * not a number, a container without its first and last point. */
int infl_windows_parse_count(const json_t *root, struct infl_agg **out,
                             size_t *n, unsigned long *unusable, char *err,
                             size_t errlen) WUR;

/* Note: InfluxDB's [http] max-row-limit (0 = none, the 1.6 default) counts
 * the rows of all three statements: it must be at least 3 × the containers
 * reporting in a window, or the query fails (never silently short). */

/* ---- window sets: every window of one field in one request ------------ */

/* One metric field over several window lengths, [now − d, now + 1) each,
 * read in one request whose cost in InfluxDB does not grow with the
 * windows as much as one query per window does (InfluxDB 1.x spends per
 * series and per function call, not per point). The statements:
 *  - per group of durations whose longest is at most INFL_SET_MAX_BUCKETS
 *    times their greatest common divisor B: count, sum and max per
 *    (service, container) in buckets of B aligned on the windows' starts
 *    (GROUP BY time(B, offset)); a window sums its buckets;
 *  - last(field) over the longest window: each container's latest point
 *    and its time (the same point for every window it lies in);
 *  - first(field) per window: the time of its earliest point.
 * So one field with k windows costs (groups + 1 + k) statements where one
 * request per window cost 3k, with 5 function calls each (mean, count,
 * max, first, last) where now 3 + 1 + 1 per bucket group and window. The
 * reply is asked for in chunks (chunked=true) and read as it arrives:
 * neither the reply nor its JSON tree is ever held whole. */
#define INFL_SET_MAX_DURS 16
#define INFL_SET_MAX_BUCKETS 12
#define INFL_SET_CHUNK_ROWS 10000
/* The longest line (one chunk, or a whole reply from a server that does
 * not chunk) the reader takes: a line is parsed whole (jansson), at about
 * 10 times its size in memory (9 measured on a window set's reply), so 8
 * MiB costs about 80 MiB at once. A chunk of INFL_SET_CHUNK_ROWS rows is
 * about 1 MiB. */
#define INFL_SET_MAX_LINE (8u * 1024u * 1024u)
/* What a window set's reader may hold (its series' records, aggregates
 * and rows; the points reader's cap is the cache's, pcache.h): 96 MiB of
 * das's 256 MiB limit in the stack files. Each line of a reply is bounded
 * by INFL_SET_MAX_LINE; this bounds their sum. */
#define INFL_SET_MAX_BYTES ((size_t)96 << 20)
/* The (service, container) series a reply for k window lengths may name
 * within INFL_SET_MAX_BYTES (about 215,000 at 2 lengths, twice the
 * largest swarm measured). Past it the read fails and says so: the
 * policies of that field get no decision. */
size_t infl_set_max_series(size_t k);

struct infl_set_group {
    int64_t bucket_ms; /* B */
    size_t lo, hi;     /* the durations [lo, hi) of dur_ms */
};

struct infl_set_plan {
    char field[65];
    int64_t now_ms;
    size_t k;                          /* windows */
    int64_t dur_ms[INFL_SET_MAX_DURS]; /* ascending, distinct, > 0 */
    size_t ngroups;
    struct infl_set_group groups[INFL_SET_MAX_DURS];
    size_t max_series; /* series the reply may name; 0:
                          infl_set_max_series(k), the default */
};

/* Plans the statements for field over the windows of dur_ms (any order,
 * duplicates allowed; at most INFL_SET_MAX_DURS distinct). 0 / -1 + err
 * (bad field name, a duration <= 0, too many). */
int infl_set_plan(const char *field, const int64_t *dur_ms, size_t k,
                  int64_t now_ms, struct infl_set_plan *plan, char *err,
                  size_t errlen) WUR;
/* Statements: the groups' aggregates (0 .. ngroups−1), last (ngroups),
 * first of window i (ngroups + 1 + i). */
size_t infl_set_nstatements(const struct infl_set_plan *p);
int infl_set_statement(const struct infl_set_plan *p, size_t i, struct buf *out,
                       char *err, size_t errlen) WUR;

/* The reader of replies to those statements: newline-separated JSON
 * objects (InfluxDB's chunks) or one object, fed in pieces of any size. */
struct infl_set_reader;
struct infl_set_reader *infl_set_reader_new(const struct infl_set_plan *p,
                                            size_t max_line);
void infl_set_reader_free(struct infl_set_reader *r);
/* Forgets what was read (a retry from scratch). */
void infl_set_reader_reset(struct infl_set_reader *r);
/* Bytes of a reply whose statement_id 0 is statement `base` of the plan
 * (one request per statement: base = its index). -1 once the reply is
 * known bad; infl_set_reader_error() says why. */
int infl_set_reader_feed(struct infl_set_reader *r, size_t base, const char *p,
                         size_t n);
/* The end of that reply: reads what is left. 0 / -1. */
int infl_set_reader_end(struct infl_set_reader *r, size_t base);
const char *infl_set_reader_error(const struct infl_set_reader *r);
/* The first bytes of the last reply (for a message about a refusal). */
const char *infl_set_reader_head(const struct infl_set_reader *r);
/* Statements answered so far (distinct statement ids seen). */
size_t infl_set_reader_answered(const struct infl_set_reader *r);
/* After every reply: outs[i] / ns[i] for window i of the plan (heap, to
 * free; usable rows sorted by (service, container), then the rows of
 * unusable series, as infl_windows_parse_count), *unusable += their count.
 * -1 + err when a statement was not answered or was cut short. */
int infl_set_reader_result(struct infl_set_reader *r, struct infl_agg **outs,
                           size_t *ns, unsigned long *unusable, char *err,
                           size_t errlen) WUR;
/* The whole pipeline on one reply body (tests, fuzzing). */
int infl_set_parse(const struct infl_set_plan *p, const char *body, size_t len,
                   struct infl_agg **outs, size_t *ns, unsigned long *unusable,
                   char *err, size_t errlen) WUR;

/* Runs the plan against the client (the statements mode decides one
 * request or one per statement, as infl_query_statements). outs / ns
 * have room for the plan's windows, in the order of plan->dur_ms. */
int infl_query_window_set(struct infl *c, const struct infl_set_plan *plan,
                          struct infl_agg **outs, size_t *ns, char *err,
                          size_t errlen) WUR;

#endif
