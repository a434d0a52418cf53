/* InfluxDB line protocol (docs/design.md §3): points, their encoding,
 * the bounded point buffer and the write policy, all pure (no I/O: the
 * writer that sends them is infl_flush, influx.h).
 *
 * Line protocol escaping, so that InfluxDB 1.x, 2.x (the same Go parser,
 * checked against influxd 1.6.7) and 3.x (its Rust parser, which also reads
 * the two bytes \\ as one backslash) all read the value written:
 *  - measurement: ',' and ' ' are backslash-escaped; it may not start with
 *    '#' (that line would be a comment): error.
 *  - tag keys, tag values, field keys: ',', '=' and ' ' are escaped.
 *  - string field values: '"' and '\' are escaped.
 *  - Newline, carriage return and tab anywhere are written as the two
 *    characters "\n", "\r", "\t" (as Telegraf does), so no value can start a
 *    second line; other control bytes become '?'. Bytes >= 0x80 (UTF-8) pass
 *    through unchanged.
 *  - A backslash that no spelling makes every version read back as a
 *    backslash becomes '_': one that ends a measurement, tag key, tag value
 *    or field key (1.x reads it as escaping the separator after it, 3.x
 *    refuses the token), and one before a backslash, ',', ' ', '=' or a
 *    control byte (1.x keeps \\ as two backslashes where 3.x reads one,
 *    and reads \\, as backslash-comma where 3.x reads an escaped
 *    backslash and a separator). Every other backslash is kept and reads
 *    back unchanged (checked by writing and reading back on influxd 1.6.7:
 *    t_ds_influx).
 *  - Tags are sorted by key (bytewise, as InfluxDB recommends); tags with an
 *    empty value are left out (InfluxDB rejects them); duplicate keys are an
 *    error.
 *  - Floats use the shortest "%.{15,16,17}g" that reads back to the same
 *    double; NaN and ±Inf fields are skipped (line protocol has no spelling
 *    for them). Integers get the 'i' suffix. Booleans are true / false.
 */
#ifndef DAS_INFLUX_LP_H
#define DAS_INFLUX_LP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
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

#endif
