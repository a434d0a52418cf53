/* The backend-neutral window aggregate: what a metrics store (InfluxDB,
 * Prometheus; see mstore.h) sums up about one container's points of one
 * metric in one window. The pure decision core (cycle.h) works on this and
 * knows no client. */
#ifndef DAS_METRICS_H
#define DAS_METRICS_H

#include <stdint.h>

/* Why a series of a service could not be used (issue: nothing dropped in
 * silence). A metrics store hands such a series on as a row with count 0
 * and `bad` set, so the policy of that service can say its data was
 * present but unusable, and why, instead of "no points". */
enum win_bad {
    WIN_OK = 0,
    WIN_BAD_KEY,       /* the container tag is not a container id */
    WIN_BAD_VALUE,     /* no finite value or point count */
    WIN_BAD_TIMES,     /* the times of its first and last points are missing */
    WIN_BAD_LIMIT,     /* a ratio without a limit to divide by */
    WIN_BAD_SAMPLES,   /* samples malformed or out of time order */
    WIN_BAD_NOT_TASK,  /* a container that reports but no task of the
                          service runs: not a replica */
    WIN_BAD_DUPLICATE, /* the same container's series from two sources at
                          once (two Prometheus targets): which one is
                          real cannot be told */
};

static inline const char *win_bad_text(int bad)
{
    switch (bad) {
    case WIN_BAD_KEY:
        return "container tag neither a short id (at most 15 characters) "
               "nor a 64-hex id";
    case WIN_BAD_VALUE:
        return "value or point count not a finite number";
    case WIN_BAD_TIMES:
        return "times of the first and last points missing";
    case WIN_BAD_LIMIT:
        return "no limit to divide by for a ratio";
    case WIN_BAD_SAMPLES:
        return "samples not a time-ordered list of [seconds, \"value\"] "
               "pairs";
    case WIN_BAD_NOT_TASK:
        return "a container that reports but no running or starting task "
               "of the service runs (it carries the service's labels but is "
               "no replica)";
    case WIN_BAD_DUPLICATE:
        return "a container whose series two Prometheus targets expose at "
               "once (which one is real cannot be told; das logs both)";
    default:
        return "usable";
    }
}

struct win_agg {
    char service[64];   /* swarm service id */
    char container[16]; /* short container id (12 hex chars) */
    double mean;
    long count;
    int64_t first_ms, last_ms; /* times of the earliest and latest point */
    double last;               /* the latest point's value */
    double max;                /* the highest point's value */
    unsigned char bad;         /* enum win_bad; WIN_OK but for rows that
                                  stand for an unusable series (count 0) */
};

#endif
