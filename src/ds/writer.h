/* ds's InfluxDB writer: a thread of its own, so that a slow or hanging
 * InfluxDB (a write may wait up to its timeout) never delays collection.
 * The collecting loop hands each round's points over (ds_writer_put, which
 * never waits on the network); the thread sends them oldest first with
 * infl_flush's batching, retries and backoff. */
#ifndef DS_WRITER_H
#define DS_WRITER_H

#include <stddef.h>

#include "influx.h"

struct ds_writer;

/* Starts the thread. It owns infl from now on until ds_writer_stop.
 * capacity: points held waiting for InfluxDB, per stage (the queue the
 * loop fills and the batch being sent): at most twice that while a write
 * is in flight; beyond it the oldest are dropped (and counted). NULL with
 * err when the thread cannot be started. */
struct ds_writer *ds_writer_start(struct infl *infl, size_t capacity, char *err,
                                  size_t errlen);

/* Moves every line of b to the writer (b is left empty) and wakes it. */
void ds_writer_put(struct ds_writer *w, struct infl_buffer *b);

struct ds_writer_stats {
    struct infl_stats infl; /* as of the last write */
    size_t buffered;        /* points not yet taken by InfluxDB */
    unsigned long dropped;  /* oldest points dropped for lack of room */
};
void ds_writer_stats(struct ds_writer *w, struct ds_writer_stats *out);

/* Stops the thread (a write in flight ends at its timeout), then sends what
 * InfluxDB takes now, without backoff. Returns the points left unsent,
 * fills *last (may be NULL) with the final figures and frees w. */
size_t ds_writer_stop(struct ds_writer *w, struct ds_writer_stats *last);

#endif
