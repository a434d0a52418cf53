/* ds: the stats agent. One module for the container set and its sources
 * (collect.c), one for the program (main.c). */
#ifndef DAS_DS_H
#define DAS_DS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cgroup.h"
#include "docker.h"
#include "influx.h"
#include "log.h"
#include "skew.h"
#include "stats.h"

enum ds_source { DS_SRC_AUTO = 0, DS_SRC_CGROUP, DS_SRC_API };

/* One container ds follows. */
struct ds_ctr {
    char id[65];
    char short_id[13];
    char *name;
    char *service_id; /* NULL for non-swarm containers */
    char *service_name;
    bool seen;               /* in this round's listing */
    bool ready;              /* set up for reading (ctr_setup) */
    struct dkr_inspect insp; /* when it had to be inspected */
    bool use_cgroup;         /* resolved in cgroupfs; else the stats API */
    struct cg_container cg;
    bool has_prev;
    struct stats_sample prev;
    /* its own failures, said when they start or change and when they end:
     * two failing containers do not take turns being new every round */
    struct complaint c_read;
};

struct ds_collector {
    struct dkr *dkr;
    struct cg *cg; /* NULL when cgroupfs is not used */
    enum ds_source source;
    struct ds_ctr *v;
    size_t n, cap;
    unsigned long inspects; /* containers inspected (cgroupfs fell short) */
    bool told_inspect;      /* why, said once at info level */
    /* the next round only primes the rates (ds --once's silent first
     * sample): cgroupfs counters only, no memory or pids */
    bool counters_only;
    /* Following the container set: a full listing at start, then only the
     * engine's start/die events since the last look (about 16x cheaper for
     * dockerd than GET /containers/json), with a full listing again on any
     * such event, on an events error and every DS_RELIST_ROUNDS rounds. */
    bool listed;
    unsigned rounds_since_list;
    int64_t events_since_ns; /* by the engine's clock */
    unsigned long listings, event_polls;
    struct skew engine_clock; /* the engine's clock against this host's */
};

#define DS_RELIST_ROUNDS 30

/* Sets up the collector; cg may be NULL (API only). Takes no ownership. */
void ds_collector_init(struct ds_collector *col, struct dkr *dkr, struct cg *cg,
                       enum ds_source source);
void ds_collector_cleanup(struct ds_collector *col);

/* One round: follows the running containers (new ones resolved in
 * cgroupfs, or inspected where it falls short; gone ones forgotten and
 * their files closed), reads a sample of each and computes its
 * point against the previous one. emit is called for each point with its
 * container. Returns the number of points, or -1 when the engine could
 * not be asked for its containers (err says why). */
typedef void (*ds_emit_fn)(const struct ds_ctr *c, const struct stats_point *p,
                           void *ud);
int ds_collect(struct ds_collector *col, ds_emit_fn emit, void *ud, char *err,
               size_t errlen);

/* Builds the line-protocol point of docs/design.md §3 (measurement "docker")
 * for a container's stats. Strings are borrowed from c and node. */
void ds_point_build(const struct ds_ctr *c, const char *node,
                    const struct stats_point *sp, struct infl_point *out);

#endif
