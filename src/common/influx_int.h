/* What the parts of the InfluxDB client share (influx.c, influx_set.c,
 * influx_points.c) and no caller sees: the client's state and the helpers
 * of statements and replies. */
#ifndef DAS_INFLUX_INT_H
#define DAS_INFLUX_INT_H

#include <stdarg.h>

#include "influx.h"
#include "log.h"

#define INFL_MEASUREMENT "docker"
#define INFL_MAX_QUERY (1024u * 1024u) /* url-encoded statement text */
#define INFL_MAX_FIELD_NAME 64

struct infl {
    struct http *http;
    char *db;
    char *where;        /* URL without userinfo, for messages */
    char *write_path;   /* /write?db=…&precision=ns */
    char *query_path;   /* /query?db=…&epoch=ms */
    char *chunked_path; /* the same, chunked=true&chunk_size=… */
    struct infl_stats stats;
    enum infl_statements stmt_mode;
    bool fell_back; /* AUTO: one statement per request from now on */
    /* writer state */
    unsigned attempt; /* consecutive RETRY outcomes */
    int64_t retry_at_ms;
    size_t max_bytes; /* lowered by 413s, kept for the client's life */
    uint64_t rng;
    struct complaint fail_cx;   /* RETRY: InfluxDB unreachable / failing */
    struct complaint reject_cx; /* DROP: InfluxDB refuses points */
    struct buf body;
    int (*post)(void *ctx, const char *body, size_t len, struct http_resp *resp,
                char *err, size_t errlen);
    void *post_ctx;
};

/* How a query failed, for the AUTO fallback. */
enum q_fail {
    QF_NONE,
    QF_LOCAL,
    QF_TRANSPORT,
    QF_AUTH,      /* 401 / 403 */
    QF_STATEMENT, /* a 200 answer whose statements carry an error */
    QF_ANSWER     /* any other answer that is not a usable one */
};

/* A metric field name das may put into a statement ([a-z_]+, at most
 * INFL_MAX_FIELD_NAME); -1 + err if not. */
int infl_field_check(const char *field, char *err, size_t errlen) WUR;
/* An epoch-ms time from JSON: an integer, or a real that is one. */
bool infl_json_ms(json_t *v, int64_t *ms);
/* The index of column name in a series' columns; -1 when absent. */
int infl_col_index(json_t *series, const char *name);

/* AUTO found one request of n statements refused where one a request
 * works: the client stays SINGLE for its life (logged once, with why). */
void infl_fall_back(struct infl *c, size_t n, const char *why);

/* A result's "error" on one line, with a hint when it is 1.6's "not
 * executed" (a missing database), into msg (INFL_RESULT_ERROR_LEN bytes
 * hold it whole); false when the result has none. */
#define INFL_RESULT_ERROR_LEN 440
bool infl_result_error(json_t *res, char *msg, size_t msglen);

/* ---- replies read as they arrive ---------------------------------------
 * The skeleton of the window set and points readers: a reply to a chunked
 * query (one JSON object a line, or one object) fed in pieces of any
 * size, holding no more than one line (at most line.max bytes). An
 * object's top-level "error" fails the read (InfluxDB's words kept in
 * server_msg); each of its results goes to result(ctx, res), which
 * returns -1, after infl_stream_fail, to stop. The first failure's text
 * is kept in err. */
struct infl_stream {
    struct buf line;
    char head[301]; /* the reply's first bytes, for a message */
    size_t head_len;
    bool failed;
    char err[512];
    char server_msg[400];
    int (*result)(void *ctx, json_t *res);
    void *ctx;
};

/* max_line 0: INFL_SET_MAX_LINE. */
void infl_stream_init(struct infl_stream *s, size_t max_line,
                      int (*result)(void *ctx, json_t *res), void *ctx);
void infl_stream_cleanup(struct infl_stream *s);
/* Forgets what was read (a retry from scratch). */
void infl_stream_reset(struct infl_stream *s);
/* The read's first failure: its text kept, the read failed; -1. */
int infl_stream_fail(struct infl_stream *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Bytes of the reply; -1 once it is known bad. */
int infl_stream_feed(struct infl_stream *s, const char *p, size_t n);
/* The end of the reply: reads a last line without a newline. 0 / -1. */
int infl_stream_end(struct infl_stream *s);
/* POSTs q (statements) to c's chunked query path, the reply into s as it
 * arrives, to its end. 0 ok; -1 + *why and err ("InfluxDB query at URL:
 * …", in InfluxDB's own words when it gave some). */
int infl_stream_query(struct infl *c, const char *q, struct infl_stream *s,
                      enum q_fail *why, char *err, size_t errlen) WUR;

#endif
