/* The recent points of one metric field, per (service, container), kept by
 * `das run` between its cycles so that each cycle asks InfluxDB only for
 * the points written since the last one (InfluxDB 1.x spends its
 * time per series and per function call; a raw read of the new points
 * costs less than one call, the window set a dozen). The windows are then
 * made here, with the rows InfluxDB's window set gives (metrics.h
 * win_agg): the same counts, means, highs, first and last points.
 *
 * Pure: no I/O. Times are kept as int32 milliseconds from a base and
 * values as float (8 bytes a point: 100,000 containers × 10 minutes at
 * 10 s are 50 MB a field). */
#ifndef DAS_PCACHE_H
#define DAS_PCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "strpool.h"

struct pc_point {
    int32_t t; /* ms from the cache's base */
    float v;
};

struct pc_series {
    uint32_t service;   /* in the cache's names (a service's series share
                           it: 64 bytes in each were 13 MB at 100,000) */
    char container[16]; /* "" for a service's series with no usable key */
    unsigned char bad;  /* WIN_BAD_KEY for a service's series with no
                           usable container tag (times kept, values
                           not), else WIN_OK */
    uint32_t n, cap;
    struct pc_point *p; /* ascending t, one point a time */
};

struct pcache {
    int64_t base_ms;
    struct strpool names; /* the series' service ids */
    struct pc_series *s;
    size_t n, cap;
    size_t *table; /* open addressing: series index + 1, 0 = empty */
    size_t tcap;
    size_t points;
    size_t point_bytes;    /* held by the series' point arrays */
    unsigned long dropped; /* points too far from the base to keep */
    size_t max_bytes;      /* what a read may fill it to (pc_bytes; the
                              readers fail past it); 0: PC_MAX_BYTES (a
                              zeroed struct is an empty cache) */
};

/* What all of das's kept points may take, every field's cache together
 * (each read gets what the others leave: pc_budget): 128 MiB of das's 256
 * MiB limit in the stack files. Measured (8 bytes a point and the growth
 * slack, about 200 bytes a series): a 100,000-container swarm's two
 * fields over 10-minute windows of 10 s points take about 110 MiB. Past
 * it a read fails and says so (pc_full_text): the policies of that field
 * get no decision, and das stays well away from the OOM killer. */
#define PC_MAX_BYTES ((size_t)128 << 20)

/* An empty cache with the default cap. */
void pc_init(struct pcache *c, int64_t base_ms);
void pc_free(struct pcache *c);
/* Empties the cache (its caps and dropped count stay); its base becomes
 * base_ms. */
void pc_clear(struct pcache *c, int64_t base_ms);

/* A point of (service, container): a time already held takes the new
 * value (InfluxDB keeps the last write of a series and time too). The
 * container is ds's short id; a 64-hex id is taken by its first 12
 * characters (another collector's spelling of the same container). A
 * container that is no id makes the service's unusable series
 * (WIN_BAD_KEY); a value that is no finite number (number false: not a
 * JSON number) makes a window holding it the container's unusable row
 * (WIN_BAD_VALUE). A service tag that is missing, empty or too long for
 * a row (64 bytes) makes an unusable series of its own, keyed by the tag
 * (service "" in the cache): counted by pc_windows, never a row. False
 * when the point is not kept (a time too far from the base: counted in
 * dropped). */
bool pc_add(struct pcache *c, const char *service, const char *container,
            int64_t t_ms, double v, bool number);

/* The bytes the cache holds: its points' arrays, its series, their table
 * and names. */
size_t pc_bytes(const struct pcache *c);
/* True when it holds more than its cap (max_bytes, or PC_MAX_BYTES). */
bool pc_full(const struct pcache *c);
/* The reader's message for a full cache: what field, how much is held and
 * how to keep less. */
void pc_full_text(const struct pcache *c, const char *field, char *err,
                  size_t errlen);
/* The cap of a cache read while the other fields' caches hold others
 * bytes: what is left of PC_MAX_BYTES (at least 1: a cap, not the
 * default). */
size_t pc_budget(size_t others);

/* Drops the points before from_ms, and the series left without any. */
void pc_trim(struct pcache *c, int64_t from_ms);

/* Moves the base to base_ms (int32 offsets span ±24 days: das run moves it
 * every few days). */
void pc_rebase(struct pcache *c, int64_t base_ms);

/* The rows of each window [now − dur_ms[i], now + 1), as
 * infl_query_window_set gives them: usable rows sorted by (service,
 * container), then one row per unusable series with points in the window
 * (count 0, bad set; *unusable += their number). outs[i] NULL when
 * nothing lies in it. */
void pc_windows(const struct pcache *c, int64_t now_ms, const int64_t *dur_ms,
                size_t k, struct win_agg **outs, size_t *ns,
                unsigned long *unusable);

/* A service's recorded load, as infl_query_demand gives it: per interval
 * of interval_ms in [start_ms, end_ms), the sum over its containers of
 * each one's mean (intervals without points left out), oldest first, at
 * most cap into t_ms / value. Returns the count. */
size_t pc_demand(const struct pcache *c, const char *service, int64_t start_ms,
                 int64_t end_ms, int64_t interval_ms, int64_t *t_ms,
                 double *value, size_t cap);

/* The container key of a series' container tag, into out: ds's short id,
 * or a 64-hex id's first 12 characters (another collector's spelling of
 * the same container); false when the tag is neither (no key). */
bool win_container_key(const char *container, char out[16]);

/* A hash of a series' (service, container) key (FNV-1a), for tables of
 * series. */
uint64_t win_key_hash(const char *service, const char *container);

/* A window's rows as a store gives them: v (room for nv + nb rows) sorted
 * by (service, container), then the nb unusable rows of bad (freed);
 * *unusable += nb. *out = v and *n = nv + nb, or NULL and 0 (v freed)
 * when there are none. */
void win_rows_take(struct win_agg *v, size_t nv, struct win_agg *bad, size_t nb,
                   struct win_agg **out, size_t *n, unsigned long *unusable);

/* When to read from, for a cache read every cycle. */
struct pc_reads {
    bool filled;           /* the cache holds every point at or after from */
    int64_t from_ms;       /* (as of the last read) */
    int64_t cut_ms;        /* the time of the last read */
    int64_t recover_from;  /* 0, or reads go back to it (a failed read) */
    int64_t recover_until; /* … until a read at or after this time */
};
/* How long after the first good read that follows a failure the reads
 * still go back to it: the agents' backlog (ds retries within a minute)
 * arrives in that time. */
#define PC_RECOVER_MS 180000
/* The start of the read for windows back to need_from: from need_from
 * when the cache does not hold them (*whole: empty it first); else from
 * the last read less overlap_ms, or back to the last good read before a
 * failure while that lies in the windows, for PC_RECOVER_MS of good reads
 * at most. */
int64_t pc_read_since(struct pc_reads *r, int64_t need_from, int64_t overlap_ms,
                      bool *whole);
/* After the read: ok, or it failed (the reads after it go back to the last
 * good one, for as long as that lies in the windows: they see what the
 * failure kept from das, and a backlog collectors send on their recovery
 * with its old times). */
void pc_read_done(struct pc_reads *r, bool ok, int64_t now_ms,
                  int64_t need_from, int64_t overlap_ms);

#endif
