/* InfluxDB readers of raw points (influx_points.c): the points written
 * since a time (das run's cache) and a service's recorded load (das
 * simulate --service). */
#ifndef DAS_INFLUX_POINTS_H
#define DAS_INFLUX_POINTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "xmalloc.h"

struct infl;
struct pcache;

/* ---- the points written since a time (das run's cache, pcache.h) ----
 * One statement, raw: `SELECT "field", "service", "container" FROM
 * "docker" WHERE "service" != '' AND time >= since`, the tags as columns
 * and no GROUP BY, the cheapest read of many series InfluxDB 1.x has
 * (about a third of one count() per series). */
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

/* ---- a service's recorded load, for das simulate --service ---- */

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

#endif
