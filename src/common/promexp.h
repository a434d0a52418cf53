/* Prometheus text exposition (format 0.0.4) of the containers ds follows
 * (ds --listen /metrics), in Prometheus conventions: base units (seconds,
 * bytes; ratios 0..1), `_total` for counters, gauges otherwise, a HELP and
 * a TYPE line per family, labels node, container, service, service_name.
 *
 * Each sample carries the time ds read it (milliseconds), so a Prometheus
 * server that scrapes more often than ds collects stores each of ds's
 * points once, at its own time, as InfluxDB does: das's windows from
 * Prometheus then count the same points (see prom.h).
 *
 * Pure: no I/O. */
#ifndef DAS_PROMEXP_H
#define DAS_PROMEXP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "stats.h"

/* One container's latest point. Strings are borrowed; NULL or "" labels
 * are left out (Prometheus reads an empty label as no label). */
struct pexp_ctr {
    const char *node, *container, *service, *service_name;
    struct stats_point pt;
    bool has_cpu_seconds;
    double cpu_seconds; /* cumulative CPU time used, seconds */
};

/* The families ds exports, with the das cond_item each one carries (NULL:
 * none) and the factor from the metric to the cond_item's unit. */
struct pexp_family {
    const char *name;
    const char *type; /* "counter" / "gauge" */
    const char *help;
    const char *field; /* das cond_item whose values these are */
    double to_field;   /* cond_item = value × to_field */
    unsigned have;     /* STATS_F_* bit the point needs (0: cpu seconds) */
};
extern const struct pexp_family pexp_families[];
extern const size_t pexp_nfamilies;

/* Appends every family (HELP, TYPE, then one line per container that has
 * the value). 0 / -1 when out is full (out then holds what fitted). */
int pexp_containers(struct buf *out, const struct pexp_ctr *v, size_t n) WUR;

/* Appends s as the inside of a quoted label value: backslash, double quote
 * and newline escaped (\\, \", \n), as the text format requires, and a
 * byte that is not well-formed UTF-8 as U+FFFD (Prometheus label values
 * are Unicode text in UTF-8); at most PEXP_LABEL_MAX bytes of s (a longer one
 * ends in "..."). */
#define PEXP_LABEL_MAX 256
int pexp_label_value(const char *s, struct buf *out) WUR;
/* A float in the shortest form that reads back to the same double; NaN and
 * ±Inf as the text format spells them. */
int pexp_float(double v, struct buf *out) WUR;

#endif
