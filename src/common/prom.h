/* Prometheus as the store das reads its windows from (das run
 * --prometheus-url URL, --prometheus-names ds|cadvisor).
 *
 * One query per (metric field, window) pair, whatever the number of
 * policies, grouped by service and container: an instant query (POST
 * /api/v1/query) of a range selector, `METRIC{SERVICE_LABEL!=""}[Rms]` at
 * time = the window's end, which returns every stored sample of every
 * container in the window with its own time. das sums them up in C into the
 * same aggregates InfluxDB gives (mean, count, max, first and last point
 * time, last value: metrics.h), so the coverage rules are the same. Why raw
 * samples and not avg_over_time() and friends: the *_over_time functions
 * give mean, count and max, but no function gives a window's first sample
 * time (timestamp() of a function's result is the evaluation time), so
 * coverage could not be judged without a second kind of query; and a
 * counter's per-interval rate between ds's own samples (cpu from cAdvisor's
 * CPU seconds, net/blk rates) is exact only from the samples themselves.
 * The cost is the samples' bytes on the wire (about 60 bytes a sample).
 *
 * A field whose value is a rate (cAdvisor CPU, the *_rate fields) reads its
 * counter over the window plus a look-back (two collection intervals) so
 * the first interval of the window has its earlier sample; a ratio to a
 * limit (cAdvisor mem_ratio, cpu_limit_ratio) asks for the limit metric(s)
 * in one more query each: at most three queries per pair. Series of one
 * container (cAdvisor: per CPU, per interface, per device) are summed at
 * equal sample times. */
#ifndef DAS_PROM_H
#define DAS_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "metrics.h"
#include "mstore.h"

enum prom_names { PROM_NAMES_DS, PROM_NAMES_CADVISOR };

/* "ds" / "cadvisor"; -1 otherwise. */
int prom_names_parse(const char *s);
const char *prom_names_name(enum prom_names names);

/* How one das cond_item is read in one vocabulary. */
struct prom_map {
    const char *field;  /* das cond_item */
    const char *metric; /* NULL: no equivalent (why_none says why) */
    bool rate;          /* per-second increase between samples (counter) */
    double scale;       /* value (or rate) × scale … */
    const char *den;    /* … ÷ the container's latest den (NULL: none) … */
    const char *den2;   /* … × its latest den2 (den/den2 is the divisor) */
    const char *why_none;
};
/* NULL when field is no das cond_item at all. */
const struct prom_map *prom_map_find(enum prom_names names, const char *field);

/* The labels a vocabulary groups by: the swarm service id, and the
 * container (ds: the short id; cAdvisor: the cgroup path in "id", whose
 * 64-hex container id is cut to the short id). */
const char *prom_service_label(enum prom_names names);

/* Appends s as a double-quoted PromQL string: backslash, double quote,
 * newline, carriage return and tab escaped; -1 on another control byte or
 * a full out. */
int prom_quote(const char *s, struct buf *out) WUR;
/* A label matcher. */
struct prom_matcher {
    const char *name; /* [a-zA-Z_][a-zA-Z0-9_]* */
    const char *op;   /* "=", "!=", "=~", "!~" */
    const char *value;
};
/* Appends `metric{m…}[RANGEms]` (range_ms 0: no range). -1 + err on a bad
 * metric or label name, operator or value, or a full out. */
int prom_selector(const char *metric, const struct prom_matcher *m, size_t nm,
                  int64_t range_ms, struct buf *out, char *err,
                  size_t errlen) WUR;

/* A container's short id from a cAdvisor cgroup path ("/docker/<64 hex>",
 * "/system.slice/docker-<64 hex>.scope", …): the first 12 hex chars of the
 * last 64-hex run. false when there is none. */
bool prom_cgroup_container(const char *id, char out[16]);

/* The largest reply das takes from Prometheus. A reply is parsed whole
 * (jansson), at about 12 times its size in memory (measured: a 14 MiB
 * reply of 10,000 containers' 60 samples took 168 MiB), so 8 MiB costs
 * about 100 MiB of das's 256 MiB limit in the stack files: one window's
 * samples of some 5,000 containers at 10-minute windows of 10 s points.
 * A larger reply is refused (prom_too_big_text): das stays well away from
 * the OOM killer, and that field's policies get no decision. The default
 * of das --prometheus-max-reply, which a larger swarm raises with das's
 * memory limit. */
#define PROM_MAX_BODY ((size_t)8 << 20)
/* What das says of a reply over cap bytes. */
void prom_too_big_text(size_t cap, char *err, size_t errlen);

/* One container's samples, sorted by time. */
struct prom_series {
    char service[64];
    char container[16];
    size_t n;
    int64_t *t_ms;
    double *v;         /* NaN / ±Inf samples are left out */
    char part[96];     /* the cpu / interface / device labels (cAdvisor's
                          parts of one container), "" when none */
    char source[128];  /* the target that exposed it: "job/instance" of
                          its labels ("?" for one missing); for a
                          WIN_BAD_DUPLICATE series, the two targets */
    unsigned char bad; /* WIN_BAD_KEY: a series of service whose other
                          labels could not be used (n 0, no container);
                          WIN_BAD_DUPLICATE: a container two targets
                          expose at once (n 0, container set) */
};
void prom_series_free(struct prom_series *s, size_t n);

/* Parses a /api/v1/query reply (HTTP status and body) holding a matrix:
 * one series per (service, container) of the vocabulary (several series of
 * one container summed at equal times). Two series of the same part (the
 * same container from two targets) whose samples overlap in time make the
 * container ambiguous: whichever is real, the other could steer its
 * service, so neither is used: the container is one empty series marked
 * WIN_BAD_DUPLICATE (counted in *unusable; source names both targets).
 * Two that do not overlap (a target replaced by another, as a ds on a new
 * address) count once: the one with the latest sample. Series without the
 * service label, with a label too long or without a usable container are
 * left out and counted in *unusable (may be NULL). 0 → *out heap
 * (prom_series_free); -1 → err: Prometheus's own error ("bad_data: …"), an HTTP
 * status without one, or what is wrong with the JSON. */
int prom_matrix_parse(enum prom_names names, long status, const char *body,
                      size_t len, struct prom_series **out, size_t *n,
                      unsigned long *unusable, char *err, size_t errlen) WUR;

/* The window aggregates of map over [start_ms, end_ms) from the parsed
 * series: num the metric's, den / den2 the limits' (n 0 when the map has
 * none). A container without a usable limit is left out (counted). */
void prom_windows_build(const struct prom_map *map,
                        const struct prom_series *num, size_t nnum,
                        const struct prom_series *den, size_t nden,
                        const struct prom_series *den2, size_t nden2,
                        int64_t start_ms, int64_t end_ms, struct win_agg **out,
                        size_t *n, unsigned long *unusable);

/* A service's demand in one interval: the sum over its containers of each
 * one's mean in [t_ms, t_ms + interval) (what `das simulate --service`
 * replays; InfluxDB's infl_sample). */
struct prom_demand {
    int64_t t_ms;
    double value;
};
/* Fills out (room for one per interval of [start_ms, end_ms)) with the
 * intervals that have a sample, oldest first; returns how many. The
 * series are one service's (num, and den / den2 as for windows). */
size_t prom_demand_build(const struct prom_map *map,
                         const struct prom_series *num, size_t nnum,
                         const struct prom_series *den, size_t nden,
                         const struct prom_series *den2, size_t nden2,
                         int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                         struct prom_demand *out);

/* ---- query metrics (policy.h pol_cond.query) ---- */
struct qwin_sample;
/* Parses a /api/v1/query_range reply of an operator's query: exactly one
 * series, its samples in time order (NaN and ±Inf kept: the window says
 * the metric is unavailable), at most QWIN_SAMPLES_MAX. 0 → *out heap
 * (free); -1 → err: Prometheus's own error, no series ("the query
 * matched nothing"), several series (aggregate them), or what is wrong
 * with the reply. */
int prom_value_parse(long status, const char *body, size_t len,
                     struct qwin_sample **out, size_t *n, char *err,
                     size_t errlen) WUR;

/* ---- client ---- */
struct prom;
/* lookback_ms: how far before a window rates and limits look for their
 * earlier sample (two collection intervals). NULL + err on a bad URL. */
struct prom *prom_new(const struct http_conf *conf, enum prom_names names,
                      int64_t lookback_ms, char *err, size_t errlen);
void prom_free(struct prom *c);
const char *prom_where(const struct prom *c);
/* The windows query (see the top). */
int prom_query_windows(struct prom *c, const char *field, int64_t start_ms,
                       int64_t end_ms, struct win_agg **out, size_t *n,
                       char *err, size_t errlen) WUR;
unsigned long prom_query_count(const struct prom *c);
/* The operator's query over [start_ms, end_ms] at step_ms (query_range):
 * its one series' samples (prom_value_parse). */
int prom_query_value(struct prom *c, const char *query, int64_t start_ms,
                     int64_t end_ms, int64_t step_ms, struct qwin_sample **out,
                     size_t *n, char *err, size_t errlen) WUR;
/* A store (mstore.h) that reads from c. */
void prom_mstore(struct mstore *m, struct prom *c);
/* The demand of service (its id) per interval over [start_ms, end_ms):
 * one query of the metric's raw samples (and of its limits for a ratio).
 * 0 → *out heap (free); -1 + err. */
int prom_query_demand(struct prom *c, const char *field, const char *service,
                      int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                      struct prom_demand **out, size_t *n, char *err,
                      size_t errlen) WUR;

#endif
