/* The backend-neutral window aggregate: what a metrics store (InfluxDB,
 * Prometheus; see mstore.h) sums up about one container's points of one
 * metric in one window. The pure decision core (cycle.h) works on this and
 * knows no client. */
#ifndef DAS_METRICS_H
#define DAS_METRICS_H

#include <stdint.h>

struct win_agg {
    char service[64];   /* swarm service id */
    char container[16]; /* short container id (12 hex chars) */
    double mean;
    long count;
    int64_t first_ms, last_ms; /* times of the earliest and latest point */
    double last;               /* the latest point's value */
    double max;                /* the highest point's value */
};

#endif
