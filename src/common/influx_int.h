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

/* A reader's first failure: its text kept, the reader failed; -1. */
int infl_reader_fail(bool *failed, char *err, size_t errlen, const char *fmt,
                     va_list ap) __attribute__((format(printf, 4, 0)));
/* A chunked reply (one JSON object a line) as it arrives: its first
 * bytes kept in head (InfluxDB's own words when it is no JSON), each whole
 * line handed to fn; a line split over pieces is gathered in line (at
 * most line->max bytes: -2 past it). -1 when fn fails. */
int infl_lines_feed(struct buf *line, char *head, size_t headsz,
                    size_t *head_len, const char *p, size_t n,
                    int (*fn)(void *ctx, const char *s, size_t n), void *ctx);
/* The last line of a reply, when it did not end in a newline. */
int infl_lines_end(struct buf *line,
                   int (*fn)(void *ctx, const char *s, size_t n), void *ctx);
/* "InfluxDB query at URL: HTTP 500: …" in InfluxDB's own words: its
 * "error" (server_msg), else the body's start (InfluxDB 3 refuses some
 * requests in plain text). */
void infl_status_error(const struct infl *c, long status,
                       const char *server_msg, const char *head, char *err,
                       size_t errlen);

#endif
