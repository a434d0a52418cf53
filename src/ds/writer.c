/* ds's InfluxDB writer thread (writer.h). One mutex guards the queue the
 * collecting loop fills and the published figures; the batch being sent
 * and the InfluxDB client belong to the thread alone, so the network is
 * never waited on with the mutex held. */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "skew.h"
#include "xmalloc.h"

struct ds_writer {
    struct infl *infl;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct infl_buffer *queue; /* filled by the loop; under mu */
    struct infl_buffer *batch; /* the thread's */
    size_t batch_len;          /* len(batch), for the figures; under mu */
    bool stop, woken;          /* under mu */
    struct ds_writer_stats st; /* under mu */
    struct skew skew;          /* under mu */
    bool clock_refused;        /* the last reply's clock was not taken */
};

/* InfluxDB's clock from the last reply (under mu). */
static void note_clock(struct ds_writer *w)
{
    int64_t server, local;
    if (!infl_server_clock(w->infl, &server, &local))
        return;
    if (!skew_observe(&w->skew, server, local)) {
        if (!w->clock_refused)
            log_warn("InfluxDB's clock is a day or more off this host's: "
                     "not followed (points keep this host's times)",
                     "offset_ms=%lld", (long long)(server - local));
        w->clock_refused = true;
        return;
    }
    w->clock_refused = false;
    w->st.clock_offset_ms = skew_offset(&w->skew);
    w->st.clock_corr_ms = skew_correction(&w->skew);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Appends every line of from to to (to drops its oldest when full) and
 * empties from. */
static void move_lines(struct infl_buffer *from, struct infl_buffer *to)
{
    size_t n = infl_buffer_len(from);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *line = infl_buffer_line(from, i, &len);
        infl_buffer_push(to, line, len);
    }
    infl_buffer_pop(from, n);
}

static void *run(void *arg)
{
    struct ds_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        w->woken = false;
        move_lines(w->queue, w->batch);
        unsigned long dropped = infl_buffer_take_dropped(w->queue) +
                                infl_buffer_take_dropped(w->batch);
        w->st.dropped += dropped;
        w->batch_len = infl_buffer_len(w->batch);
        pthread_mutex_unlock(&w->mu);

        if (dropped)
            log_warn("buffer full: dropped oldest points", "dropped=%lu",
                     dropped);
        struct infl_flush_result fr;
        memset(&fr, 0, sizeof fr);
        int64_t now = mono_ms();
        if (infl_buffer_len(w->batch) > 0)
            infl_flush(w->infl, w->batch, now, &fr);

        pthread_mutex_lock(&w->mu);
        if (fr.requests > 0)
            note_clock(w);
        infl_get_stats(w->infl, &w->st.infl);
        w->batch_len = infl_buffer_len(w->batch);
        w->st.buffered = w->batch_len + infl_buffer_len(w->queue);
        /* the next round's points wake it (points left after a failure
         * go again then, once infl_flush's backoff is over): no timed
         * wait, so nothing here depends on a clock */
        while (!w->stop && !w->woken)
            pthread_cond_wait(&w->cv, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct ds_writer *ds_writer_start(struct infl *infl, size_t capacity, char *err,
                                  size_t errlen)
{
    struct ds_writer *w = xcalloc(1, sizeof *w);
    w->infl = infl;
    w->queue = infl_buffer_new(capacity);
    w->batch = infl_buffer_new(capacity);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    note_clock(w); /* from the reply before (CREATE DATABASE), if any */
    int rc = pthread_create(&w->thread, NULL, run, w);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the InfluxDB writer thread: %s",
                 strerror(rc));
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        infl_buffer_free(w->queue);
        infl_buffer_free(w->batch);
        free(w);
        return NULL;
    }
    return w;
}

void ds_writer_put(struct ds_writer *w, struct infl_buffer *b)
{
    pthread_mutex_lock(&w->mu);
    move_lines(b, w->queue);
    w->woken = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void ds_writer_stats(struct ds_writer *w, struct ds_writer_stats *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->st;
    pthread_mutex_unlock(&w->mu);
}

size_t ds_writer_stop(struct ds_writer *w, struct ds_writer_stats *last)
{
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);

    /* the thread is gone: everything is this thread's now */
    move_lines(w->queue, w->batch);
    if (infl_buffer_len(w->batch) > 0) {
        struct infl_flush_result fr;
        infl_flush(w->infl, w->batch, INT64_MAX / 2, &fr);
    }
    size_t left = infl_buffer_len(w->batch);
    if (last) {
        *last = w->st;
        infl_get_stats(w->infl, &last->infl);
        last->buffered = left;
    }
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    infl_buffer_free(w->queue);
    infl_buffer_free(w->batch);
    free(w);
    return left;
}
