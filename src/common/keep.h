/* The recent points ds keeps in memory for das (the embedded default: no
 * database). Each swarm container's points of the last --keep, with every
 * metric field, in rows of one time each; `GET /points` serves them in a
 * compact text form that das reads incrementally ("every point since T,
 * only the fields asked for"), and kp_parse reads that form back.
 *
 * The form, one record a line, fields separated by one space:
 *
 *   ds-points 1 now=<ms> from=<ms> node=<node>
 *   fields <name> <name> ...
 *   c <container> <service id>
 *   <t ms> <value> <value> ...
 *
 * now is the agent's clock when it answered, from the oldest time it still
 * holds; a `c` line starts a container, its rows follow in ascending time;
 * a value is a number or `-` (the point has no such field). Nothing in it
 * is escaped: the container is a short id and the service a swarm id (ds
 * leaves out any container whose ids are not of that form).
 *
 * Pure: no I/O, no clock, no locks (ds serves from another thread under a
 * lock of its own). */
#ifndef DAS_KEEP_H
#define DAS_KEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "pcache.h"
#include "stats.h"

#define KP_VERSION 1
/* Every field of stats.h a row holds (stats_nfields). */
#define KP_FIELDS 14
/* A row: its time and one float per field (64 bytes). */
struct kp_row {
    int64_t t;
    float v[KP_FIELDS]; /* NAN: the point had no such field */
};

struct kp_series {
    char container[13]; /* short id */
    char service[26];   /* swarm service id (25 characters) */
    size_t n, cap;      /* rows [0, n) ascending */
    struct kp_row *r;
};

struct keep {
    int64_t keep_ms;  /* how long a point is kept */
    size_t max_bytes; /* rows' memory at most (kp_fit) */
    struct kp_series *s;
    size_t n, cap;
    size_t rows;           /* held, over every series */
    size_t hint;           /* where the next container's series most
                              likely is (series_get) */
    unsigned long dropped; /* rows dropped to stay under max_bytes */
    unsigned long skipped; /* points left out: ids not of the form */
};

/* The defaults of ds's --keep and --keep-max-mb. */
#define KP_KEEP_MS_DEFAULT (15 * 60 * 1000)
#define KP_MAX_BYTES_DEFAULT ((size_t)32 << 20)

void kp_init(struct keep *k, int64_t keep_ms, size_t max_bytes);
void kp_free(struct keep *k);

/* Keeps a point of a swarm container (time from the point); false when
 * it is not kept: no service, an id not of the form (counted in
 * skipped), or a time older than the container's last row. */
bool kp_add(struct keep *k, const char *container, const char *service,
            const struct stats_point *p);

/* Drops the rows older than now_ms − keep_ms and the series left without
 * any, then rows from the oldest end of the longest series until the rows
 * fit max_bytes (counted in dropped): a node with more containers than the
 * cap holds keeps a shorter history of each, never a container less. */
void kp_trim(struct keep *k, int64_t now_ms);

/* The bytes the rows take (what max_bytes bounds). */
size_t kp_bytes(const struct keep *k);

/* The field's index in stats_fields, or -1. */
int kp_field_index(const char *name);

/* Parses a `fields` query value ("cpu_ratio,mem_ratio"; NULL or "" for
 * every field) into a mask of stats_fields indexes. -1 + err naming the
 * first unknown field and what is accepted. */
int kp_fields_mask(const char *list, uint32_t *mask, char *err,
                   size_t errlen) WUR;

/* The reply to GET /points?since=since_ms&fields=mask, into out (its own
 * cap bounds it): the rows with a time at or after since_ms. -1 when out's
 * cap is reached (out then holds a partial reply: do not send it). */
int kp_serve(const struct keep *k, const char *node, int64_t now_ms,
             int64_t since_ms, uint32_t mask, struct buf *out) WUR;

/* The whole answer to GET /points with these query arguments (NULL when
 * absent): since (Unix ms, default 0) and fields (kp_fields_mask). The
 * HTTP status: 200 with the reply in body; 400 with what was wrong and
 * what is accepted; 413 when the reply would pass body's cap (the body
 * then says to ask for fewer fields or a later since). ds and the
 * benchmarks' simulated agents answer with it. */
unsigned kp_answer(const struct keep *k, const char *node, int64_t now_ms,
                   const char *since_arg, const char *fields_arg,
                   struct buf *body);

/* What kp_parse read. */
struct kp_reply {
    int64_t now_ms;  /* the agent's clock */
    int64_t from_ms; /* the oldest time it held */
    char node[64];
    size_t containers, points;
    unsigned long unusable; /* points kp_add to the cache refused */
};

/* Reads a reply of kp_serve: each point of field (which the reply must
 * name in its fields line) goes into cache, with its time shifted by
 * shift_ms (the agent's clock against das's). A value `-` is no point.
 * -1 + err on anything that is not that form: the line and what was
 * expected; the cache may then hold the points before it (the caller
 * reads the agent whole again). */
int kp_parse(const char *text, size_t len, const char *field, int64_t shift_ms,
             struct pcache *cache, struct kp_reply *out, char *err,
             size_t errlen) WUR;

#endif
