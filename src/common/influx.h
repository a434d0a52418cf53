/* InfluxDB 1.x HTTP API (docs/design.md §3, §4): the client, its batch
 * writer with the retry / split policy, and InfluxQL queries. Its parts
 * have headers of their own, included here: the line protocol and point
 * buffer (influx_lp.h), the windows and window sets das decides on
 * (influx_set.h), the points and demand readers (influx_points.h). */
#ifndef DAS_INFLUX_H
#define DAS_INFLUX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "influx_lp.h"
#include "influx_points.h"
#include "influx_set.h"
#include "xmalloc.h"

/* ---- client ------------------------------------------------------------ */

struct infl;

/* A client for database db. conf is copied (user / password go to HTTP
 * basic auth, a token to "Authorization: Token …", never into URLs or
 * messages). NULL + err on a bad URL, an empty db or bad credentials (see
 * http_new). Requests name the database as db=DB and no rp (the
 * database's default retention policy; InfluxDB 2.x/3.x map that to a
 * bucket through their DBRP mapping marked default). */
struct infl *infl_new(const struct http_conf *conf, const char *db, char *err,
                      size_t errlen);
void infl_free(struct infl *c);
/* The server for messages: the URL without any user:password@ part. */
const char *infl_where(const struct infl *c);

struct infl_stats {
    unsigned long queries; /* /query requests sent */
    unsigned long writes;  /* /write requests sent */
    unsigned long points_written;
    unsigned long points_rejected; /* dropped on DROP / single-point 413 */
    unsigned long write_failures;  /* RETRY outcomes */
    unsigned long series_unusable; /* window series das could not use */
    /* AUTO: several statements refused, one per request worked */
    unsigned long statement_fallbacks;
};
void infl_get_stats(const struct infl *c, struct infl_stats *st);
/* InfluxDB's clock from its last reply's Date header, and this host's when
 * it arrived (http_server_clock). */
bool infl_server_clock(const struct infl *c, int64_t *server_ms,
                       int64_t *local_ms);
/* Number of /query requests sent so far (benchmarks report it). */
unsigned long infl_query_count(const struct infl *c);

/* CREATE DATABASE of the client's database (idempotent in InfluxDB 1.x):
 * asked once at start, so a fresh InfluxDB needs no manual step. A refusal
 * (no admin rights, or InfluxDB not up yet) is only logged: writes show
 * the real state. Not for 2.x/3.x with a token (their v1 API has no
 * CREATE DATABASE: the bucket and its DBRP mapping are the operator's). */
void infl_ensure_database(struct infl *c);

/* GET /ping: 0 when InfluxDB answers 204. */
int infl_ping(struct infl *c, char *err, size_t errlen) WUR;

/* One POST /write?db=DB&precision=ns of body (lines separated by '\n').
 * Returns the verdict; err gets the reason for anything but INFL_OK
 * (InfluxDB's own error text when it sent one). */
enum infl_verdict infl_write(struct infl *c, const char *body, size_t len,
                             char *err, size_t errlen);

struct infl_flush_result {
    size_t written;      /* points InfluxDB took */
    size_t rejected;     /* points of batches InfluxDB refused (DROP; with
                            a 400 "partial write" some of them were stored)
                            and single points too large (413) */
    size_t requests;     /* POSTs made */
    bool deferred;       /* nothing sent: still inside the backoff delay */
    bool retry;          /* stopped at a RETRY: the rest stays buffered */
    int64_t retry_at_ms; /* when retry/deferred: the earliest next attempt */
};

/* Sends the buffer oldest first in batches (INFL_BATCH_LINES /
 * INFL_BATCH_BYTES, smaller after a 413) until it is empty or a batch gets
 * RETRY; then the unsent points stay buffered, in order, and the next
 * attempt waits the backoff delay (now_ms is any monotonic clock in ms;
 * calls before the delay is over send nothing). Failures are logged when
 * they start, when their text changes and when they end, not every round.
 * Returns 0 when the buffer was emptied, -1 when points remain. */
int infl_flush(struct infl *c, struct infl_buffer *b, int64_t now_ms,
               struct infl_flush_result *res);

/* Test seam: replaces the HTTP POST of infl_write(); post behaves like
 * http_request() (0 when a response arrived, status and body in resp).
 * NULL restores HTTP. */
void infl_set_post_hook(struct infl *c,
                        int (*post)(void *ctx, const char *body, size_t len,
                                    struct http_resp *resp, char *err,
                                    size_t errlen),
                        void *ctx);

/* ---- InfluxQL ---------------------------------------------------------- */

/* Appends s as a single-quoted InfluxQL string literal: backslash and quote
 * escaped, newline as \n. -1 on any other control byte (0x01-0x1f, 0x7f) or
 * a full out. */
int infl_quote_string(const char *s, struct buf *out) WUR;
/* Appends s as a double-quoted identifier (same escapes); -1 when s is
 * empty or has control bytes. */
int infl_quote_ident(const char *s, struct buf *out) WUR;

/* Checks a /query response: HTTP status, the top-level "error" and each
 * statement's "error" ("statement N: …"), a result cut short ("partial").
 * 0 → *root is the parsed response (caller json_decref()s it); -1 → err
 * says why (InfluxDB's own message when it gave one), *root NULL. */
int infl_resp_parse(long status, const char *body, size_t len, json_t **root,
                    char *err, size_t errlen) WUR;

/* Runs q (one or more statements separated by ';') against the client's
 * database, epoch=ms times, POST /query, as one request. 0 → *result is
 * the whole parsed response, to json_decref(); -1 → err, *result NULL. */
int infl_query(struct infl *c, const char *q, json_t **result, char *err,
               size_t errlen) WUR;

/* A query metric (policy.h pol_cond.query) read from InfluxDB: the
 * operator's InfluxQL with its window put in (qwin_influxql), its one
 * series' samples (infl_value_parse: exactly one statement result and one
 * series of [time, value]; null values, as fill(null) gives, are no
 * sample). 0 → *out heap (free); -1 + err. */
struct qwin_sample;
int infl_value_parse(json_t *root, struct qwin_sample **out, size_t *n,
                     char *err, size_t errlen) WUR;
int infl_query_value(struct infl *c, const char *query, int64_t start_ms,
                     int64_t end_ms, int64_t step_ms, struct qwin_sample **out,
                     size_t *n, char *err, size_t errlen) WUR;

/* How queries of several statements are sent (das --influx-statements):
 * MULTI, all in one request (InfluxDB 1.x, 2.x); SINGLE, one request per
 * statement, the answers merged (InfluxDB 3 answers one statement per
 * request on its v1 API); AUTO (the default), one request, and when the
 * server refuses it (any answer but 401/403 that is not a usable response
 * to every statement) the statements one by one; when that works the
 * client stays SINGLE for its life (logged once). The windows query
 * (three statements) and the demand query (one) go through here. */
enum infl_statements { INFL_STMT_AUTO, INFL_STMT_MULTI, INFL_STMT_SINGLE };
#define INFL_STATEMENTS_CHOICES "auto|multi|single"
/* "auto", "multi" or "single"; -1 for anything else. */
int infl_statements_parse(const char *s, enum infl_statements *out) WUR;
void infl_set_statements(struct infl *c, enum infl_statements mode);
/* True when statements go one per request (SINGLE, or AUTO after it fell
 * back). */
bool infl_single_statements(const struct infl *c);

/* Runs n statements (none holding a ';' of its own) as the client's mode
 * says. 0 → *result is {"results": [...]} with one entry per statement in
 * order (statement_id 0..n-1), to json_decref(); -1 → err, *result NULL.
 * In MULTI mode a response with fewer results than statements is returned
 * as it is (the caller tells). */
int infl_query_statements(struct infl *c, const char *const *stmts, size_t n,
                          json_t **result, char *err, size_t errlen) WUR;

#endif
