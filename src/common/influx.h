/* InfluxDB 1.x HTTP API (docs/design.md §3, §4): line protocol encoding, a
 * bounded point buffer, the batch writer with its retry / split policy, and
 * InfluxQL queries, among them the one-request window query das decides on.
 *
 * Line protocol escaping (checked against influxd 1.6.7's parser):
 *  - measurement: ',' and ' ' are backslash-escaped; it may not start with
 *    '#' (that line would be a comment): error.
 *  - tag keys, tag values, field keys: ',', '=' and ' ' are escaped.
 *  - string field values: '"' and '\' are escaped.
 *  - Newline, carriage return and tab anywhere are written as the two
 *    characters "\n", "\r", "\t" (as Telegraf does), so no value can start a
 *    second line; other control bytes become '?'. Bytes >= 0x80 (UTF-8) pass
 *    through unchanged.
 *  - A backslash the 1.x parser would read as escaping what follows it
 *    (one that ends a measurement, tag key, tag value or field key; in a
 *    measurement or field key also one before ',', '=' or ' ') cannot be
 *    written: it becomes '_'. Every other backslash is kept and reads back
 *    unchanged (checked by writing and reading back on influxd 1.6.7).
 *  - Tags are sorted by key (bytewise, as InfluxDB recommends); tags with an
 *    empty value are left out (InfluxDB rejects them); duplicate keys are an
 *    error.
 *  - Floats use the shortest "%.{15,16,17}g" that reads back to the same
 *    double; NaN and ±Inf fields are skipped (line protocol has no spelling
 *    for them). Integers get the 'i' suffix. Booleans are true / false.
 */
#ifndef DAS_INFLUX_H
#define DAS_INFLUX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "metrics.h"
#include "xmalloc.h"

/* ---- points and line protocol ------------------------------------------ */

#define INFL_MAX_TAGS 16
#define INFL_MAX_FIELDS 32

enum infl_field_type { INFL_FLOAT, INFL_INT, INFL_STRING, INFL_BOOL };

struct infl_tag {
    const char *key;
    const char *value;
};

struct infl_field {
    const char *key;
    enum infl_field_type type;
    union {
        double f;
        int64_t i;
        const char *s;
        bool b;
    } v;
};

/* A point under construction. Every string is borrowed: keep it alive until
 * the point is encoded. Adding past INFL_MAX_TAGS / INFL_MAX_FIELDS marks
 * the point as overflowed and infl_point_encode() then fails. */
struct infl_point {
    const char *measurement;
    int64_t time_ns; /* the sample's time, Unix ns */
    size_t ntags, nfields;
    bool overflow;
    struct infl_tag tags[INFL_MAX_TAGS];
    struct infl_field fields[INFL_MAX_FIELDS];
};

void infl_point_init(struct infl_point *p, const char *measurement,
                     int64_t time_ns);
/* value NULL or "" → the tag is left out when encoding. */
void infl_point_tag(struct infl_point *p, const char *key, const char *value);
void infl_point_float(struct infl_point *p, const char *key, double v);
void infl_point_int(struct infl_point *p, const char *key, int64_t v);
void infl_point_string(struct infl_point *p, const char *key, const char *v);
void infl_point_bool(struct infl_point *p, const char *key, bool v);

/* Appends the point as one line, '\n' included, to out. 0 ok; -1 with err
 * when the point can't be written (no measurement, measurement starting
 * with '#', empty tag or field key, duplicate key, too many tags/fields, no
 * field left after skipping NaN/Inf) or out is full; out is then left as it
 * was. */
int infl_point_encode(const struct infl_point *p, struct buf *out, char *err,
                      size_t errlen) WUR;

/* The escaping rules above for one token, appended to out (0 / -1 full). */
enum infl_token { INFL_TOK_MEASUREMENT, INFL_TOK_TAG, INFL_TOK_FIELD_KEY };
int infl_escape_token(enum infl_token kind, const char *s, struct buf *out) WUR;
/* The body of a string field value, without the surrounding quotes. */
int infl_escape_string_field(const char *s, struct buf *out) WUR;
/* A float as line protocol writes it (shortest round-trip form); -1 for
 * NaN / Inf. */
int infl_format_float(double v, char *out, size_t outlen) WUR;

/* ---- point buffer ------------------------------------------------------ */

/* Bounded FIFO of encoded lines (ds --buffer N). When it is full, pushing
 * drops the oldest line and counts the drop; lines keep their own
 * timestamps, so late points land where they belong. */
struct infl_buffer;

/* What a buffer holds at most: capacity points, and capacity ×
 * INFL_BUFFER_POINT_BYTES bytes in all (a point of ds is about 500 bytes):
 * whichever comes first drops the oldest. A single line longer than
 * INFL_BUFFER_LINE_MAX is not taken (counted as dropped). */
#define INFL_BUFFER_POINT_BYTES 1024u
#define INFL_BUFFER_LINE_MAX (64u * 1024u)
/* capacity: points held (0 is taken as 1). */
struct infl_buffer *infl_buffer_new(size_t capacity);
void infl_buffer_free(struct infl_buffer *b);
/* Copies one line (a trailing '\n' is stripped: the writer adds it). */
void infl_buffer_push(struct infl_buffer *b, const char *line, size_t len);
/* Encodes p and pushes it. 0 ok; -1 with err (nothing pushed). */
int infl_buffer_push_point(struct infl_buffer *b, const struct infl_point *p,
                           char *err, size_t errlen) WUR;
size_t infl_buffer_len(const struct infl_buffer *b);
size_t infl_buffer_capacity(const struct infl_buffer *b);
/* Total bytes of the lines held, without newlines. */
size_t infl_buffer_bytes(const struct infl_buffer *b);
/* Line i, 0 = oldest; NULL past the end. *len gets its length. */
const char *infl_buffer_line(const struct infl_buffer *b, size_t i,
                             size_t *len);
/* Removes the n oldest lines (all of them when n > len). */
void infl_buffer_pop(struct infl_buffer *b, size_t n);
/* Oldest lines dropped for lack of room since the last call; resets the
 * count (log "dropped N oldest points"). */
unsigned long infl_buffer_take_dropped(struct infl_buffer *b);

/* ---- write policy (pure) ----------------------------------------------- */

enum infl_verdict {
    INFL_OK,    /* 2xx: written */
    INFL_RETRY, /* transport error, 5xx, 429, 408, 401/403/404: keep, retry */
    INFL_DROP,  /* other 4xx (400 parse error / partial write / type
                   conflict): InfluxDB won't take these points, ever */
    INFL_SPLIT  /* 413: halve the batch; a single point that gets it: drop */
};

/* What to do with a batch after one POST /write. 401/403 (credentials) and
 * 404 (database not found) are retried rather than dropped: fixing the
 * server must not have cost the buffered points. */
enum infl_verdict infl_classify(long status, bool transport_error);
const char *infl_verdict_name(enum infl_verdict v);

#define INFL_BACKOFF_MIN_MS 1000
#define INFL_BACKOFF_MAX_MS 60000
/* Delay before retry number attempt+1 after attempt+1 consecutive failures:
 * 1 s, 2 s, 4 s … capped at 60 s. jitter in [0, 1] takes up to half off
 * (so agents restarted together don't retry in step); 0 → exact. */
int64_t infl_backoff_ms(unsigned attempt, double jitter);

#define INFL_BATCH_LINES 5000
#define INFL_BATCH_BYTES (1024u * 1024u)
/* Lines from the head of the buffer that go in the next batch: at most
 * max_lines and, beyond the first line, at most max_bytes (newlines
 * counted). At least 1 when the buffer isn't empty. */
size_t infl_batch_count(const struct infl_buffer *b, size_t max_lines,
                        size_t max_bytes);
/* The 413 rule: lines for the next try after a batch of n lines got 413
 * (n/2, rounded up); 0 when n is 1 (that point can't be written: drop it). */
size_t infl_split_lines(size_t n);

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
/* A service's recorded load: per interval of interval_ms in [start_ms,
 * end_ms), the sum over its containers of each one's mean of field (what
 * the replicas used together). One statement (a subquery); intervals
 * without points are left out (gaps), in time order. */
struct infl_sample {
    int64_t t_ms; /* the interval's start */
    double value;
};
int infl_demand_statement(const char *field, const char *service_id,
                          int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                          struct buf *out, char *err, size_t errlen) WUR;
int infl_demand_parse(const json_t *root, struct infl_sample **out, size_t *n,
                      char *err, size_t errlen) WUR;
int infl_query_demand(struct infl *c, const char *field, const char *service_id,
                      int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                      struct infl_sample **out, size_t *n, char *err,
                      size_t errlen) WUR;

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
 * not chunk) the reader takes. */
#define INFL_SET_MAX_LINE (64u * 1024u * 1024u)
/* The (service, container) series a window set's reply may name (4 M, 40
 * times the largest swarm known; the points reader's caps are the
 * cache's, pcache.h). Each line of a reply is bounded by
 * INFL_SET_MAX_LINE; this bounds their sum. Past it the read fails and
 * says so: the policies of that field get no decision. */
#define INFL_MAX_SERIES (1u << 22)

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
    size_t max_series; /* series the reply may name; 0 or INFL_MAX_SERIES:
                          the default */
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

/* ---- the points written since a time (das run's cache, pcache.h) ----
 * One statement, raw: `SELECT "field", "service", "container" FROM
 * "docker" WHERE "service" != '' AND time >= since`, the tags as columns
 * and no GROUP BY, the cheapest read of many series InfluxDB 1.x has
 * (about a third of one count() per series). */
struct pcache;
int infl_points_statement(const char *field, int64_t since_ms, struct buf *out,
                          char *err, size_t errlen) WUR;
/* A reply to it, read as it arrives (chunked or whole): each point into
 * pc (pc_add). A points reader holds no more than one line of the
 * reply. */
struct infl_pts_reader;
struct infl_pts_reader *infl_pts_reader_new(struct pcache *pc,
                                            const char *field);
int infl_pts_reader_feed(struct infl_pts_reader *r, const char *p, size_t n);
/* 0 when the reply was whole (its statement answered, no part left to
 * come); -1 + err. *points: the points read. */
int infl_pts_reader_end(struct infl_pts_reader *r, size_t *points, char *err,
                        size_t errlen) WUR;
void infl_pts_reader_free(struct infl_pts_reader *r);
/* The reader over one body (tests, fuzzing). */
int infl_points_parse(const char *field, const char *body, size_t len,
                      struct pcache *pc, size_t *points, char *err,
                      size_t errlen) WUR;
/* Asks c for the points of field at or after since_ms into pc. */
int infl_query_points(struct infl *c, const char *field, int64_t since_ms,
                      struct pcache *pc, size_t *points, char *err,
                      size_t errlen) WUR;

/* Note: InfluxDB's [http] max-row-limit (0 = none, the 1.6 default) counts
 * the rows of all three statements: it must be at least 3 × the containers
 * reporting in a window, or the query fails (never silently short). */

#endif
