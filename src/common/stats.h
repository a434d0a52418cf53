/* The docs/design.md §3 metric fields computed from raw container samples.
 *
 * Pure: no I/O and no clock reads (a sample's time is one of its fields).
 * A sample is read either from cgroupfs (cgroup.h) or from the Engine API
 * (docker.h, dkr_parse_stats); both fill the same struct, and one call turns
 * the previous and the current sample of a container into a point.
 *
 * Formula sources (checked against docker/cli
 * cli/command/container/stats_helpers.go and moby daemon statsV1/statsV2):
 *   cpu_ratio   API:    cpu_delta / system_delta * online_cpus * 100
 *               cgroup: cpu_delta_ns / wall_delta_ns * 100
 *               (100 = one full core, as `docker stats` shows it)
 *   mem_usage   usage - total_inactive_file (cgroup v1) when that is present
 *               and smaller than usage, else usage - inactive_file (v2)
 *               when smaller, else usage (calculateMemUsageUnixNoCache)
 *   mem_ratio   mem_usage / mem_limit * 100 (only when mem_limit > 0)
 *   net, blk    cumulative bytes; rates are bytes/s since the previous
 *               sample, omitted when a counter went backwards. */
#ifndef DAS_STATS_H
#define DAS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum stats_source {
    STATS_SRC_CGROUP = 0, /* cgroupfs: CPU per wall-clock time */
    STATS_SRC_API,        /* Engine API: CPU per system CPU time */
};

/* Which raw figures a sample holds (struct stats_sample.have). */
enum {
    STATS_HAVE_CPU = 1u << 0,        /* cpu_usage_ns */
    STATS_HAVE_SYSTEM_CPU = 1u << 1, /* system_cpu_ns + online_cpus (API) */
    STATS_HAVE_MEM = 1u << 2,        /* mem_usage + mem_limit */
    STATS_HAVE_TOTAL_INACTIVE_FILE = 1u << 3, /* v1 memory.stat */
    STATS_HAVE_INACTIVE_FILE = 1u << 4,       /* v1 and v2 memory.stat */
    STATS_HAVE_NET = 1u << 5,
    STATS_HAVE_BLK = 1u << 6,
    STATS_HAVE_PIDS = 1u << 7,
};

/* One raw reading of one container. Counters are cumulative. */
struct stats_sample {
    enum stats_source source;
    unsigned have;          /* STATS_HAVE_* bits */
    int64_t time_ns;        /* when it was read (Unix epoch ns) */
    uint64_t cpu_usage_ns;  /* container CPU time used */
    uint64_t system_cpu_ns; /* API: host CPU time (system_cpu_usage) */
    uint32_t online_cpus;   /* API: online_cpus (or len(percpu_usage)) */
    uint64_t mem_usage;     /* raw: usage_in_bytes / memory.current */
    uint64_t mem_total_inactive_file; /* v1 memory.stat */
    uint64_t mem_inactive_file;       /* memory.stat inactive_file */
    uint64_t mem_cache;      /* v1 total_cache / v2 file: for reference only,
                              * docker >= 19.03's cli no longer subtracts it */
    uint64_t mem_limit;      /* bytes; already min(cgroup limit, host memory)
                              * as dockerd reports it; 0 = unknown */
    uint64_t net_rx, net_tx; /* summed over interfaces except lo */
    uint64_t blk_read, blk_write; /* summed over devices */
    uint64_t pids;
    double cpu_limit_cores; /* from NanoCpus or CpuQuota/CpuPeriod; 0 = none */
};

/* Which fields a point holds (struct stats_point.have). */
enum {
    STATS_F_CPU_RATIO = 1u << 0,
    STATS_F_CPU_LIMIT_RATIO = 1u << 1,
    STATS_F_MEM_USAGE = 1u << 2,
    STATS_F_MEM_LIMIT = 1u << 3,
    STATS_F_MEM_RATIO = 1u << 4,
    STATS_F_NET = 1u << 5, /* net_read, net_write */
    STATS_F_BLK = 1u << 6, /* blk_read, blk_write */
    STATS_F_NET_READ_RATE = 1u << 7,
    STATS_F_NET_WRITE_RATE = 1u << 8,
    STATS_F_BLK_READ_RATE = 1u << 9,
    STATS_F_BLK_WRITE_RATE = 1u << 10,
    STATS_F_PIDS = 1u << 11,
};

/* Every field of docs/design.md §3, in its order: the one list the InfluxDB
 * schema ds writes (collect.c), the exporter (promexp.c) and the metrics a
 * policy may name (policy.c, with the unit its thresholds are read in)
 * come from. X(name, its STATS_F_* bit, its unit: RATIO, BYTES, RATE or
 * COUNT, whether it is an integer). The name is also the member of struct
 * stats_point. */
#define STATS_FIELDS(X)                                                        \
    X(cpu_ratio, STATS_F_CPU_RATIO, RATIO, 0)                                  \
    X(cpu_limit_ratio, STATS_F_CPU_LIMIT_RATIO, RATIO, 0)                      \
    X(mem_usage, STATS_F_MEM_USAGE, BYTES, 1)                                  \
    X(mem_limit, STATS_F_MEM_LIMIT, BYTES, 1)                                  \
    X(mem_ratio, STATS_F_MEM_RATIO, RATIO, 0)                                  \
    X(net_read, STATS_F_NET, BYTES, 1)                                         \
    X(net_write, STATS_F_NET, BYTES, 1)                                        \
    X(blk_read, STATS_F_BLK, BYTES, 1)                                         \
    X(blk_write, STATS_F_BLK, BYTES, 1)                                        \
    X(net_read_rate, STATS_F_NET_READ_RATE, RATE, 0)                           \
    X(net_write_rate, STATS_F_NET_WRITE_RATE, RATE, 0)                         \
    X(blk_read_rate, STATS_F_BLK_READ_RATE, RATE, 0)                           \
    X(blk_write_rate, STATS_F_BLK_WRITE_RATE, RATE, 0)                         \
    X(pids, STATS_F_PIDS, COUNT, 1)

/* The docs/design.md §3 fields of one container at one time. Integers are int64
 * (InfluxDB's integer type); values above INT64_MAX are clamped. */
struct stats_point {
    unsigned have; /* STATS_F_* bits: only those fields are meaningful */
    int64_t time_ns;
    double cpu_ratio;
    double cpu_limit_ratio;
    int64_t mem_usage;
    int64_t mem_limit;
    double mem_ratio;
    int64_t net_read, net_write;
    int64_t blk_read, blk_write;
    double net_read_rate, net_write_rate;
    double blk_read_rate, blk_write_rate;
    int64_t pids;
};

/* One field of STATS_FIELDS, and where a point holds it. */
struct stats_field {
    const char *name;
    unsigned have; /* its STATS_F_* bit */
    bool integer;  /* int64_t in the point (else double) */
    size_t offset; /* in struct stats_point */
};
extern const struct stats_field stats_fields[];
extern const size_t stats_nfields;
/* The field's value in p as a double; false when p does not hold it. */
bool stats_field_value(const struct stats_point *p, const struct stats_field *f,
                       double *v);

/* Zeroes a sample (source cgroup, nothing present). */
void stats_sample_init(struct stats_sample *s);

/* Computes the point for cur. prev is the same container's previous sample
 * or NULL for a first sample: then the point holds the cumulative and gauge
 * fields (mem, net, blk, pids) but no CPU ratios and no rates. A prev from
 * another source than cur is treated as absent. */
void stats_compute(const struct stats_sample *prev,
                   const struct stats_sample *cur, struct stats_point *out);

/* The single formulas (stats_compute uses these). Each returns false when
 * the value can't be computed (and leaves *out alone). */

/* CPU % (100 = one core) between two samples of the same source. false when
 * a figure is missing, time or system CPU didn't advance, or the CPU counter
 * went backwards (the container restarted). An idle container gives 0. */
bool stats_cpu_ratio(const struct stats_sample *prev,
                     const struct stats_sample *cur, double *out);
/* cpu_ratio / limit_cores: % of the container's own CPU limit. false when
 * limit_cores <= 0 (no limit). */
bool stats_cpu_limit_ratio(double cpu_ratio, double limit_cores, double *out);
/* Memory usage as `docker stats` shows it (see the top of this file).
 * Needs STATS_HAVE_MEM; 0 without it. */
uint64_t stats_mem_usage(const struct stats_sample *s);
/* usage / limit * 100; false when limit is 0. */
bool stats_mem_ratio(uint64_t usage, uint64_t limit, double *out);
/* (cur - prev) / dt in units per second. false when dt_ns <= 0 or the
 * counter went backwards. */
bool stats_rate(uint64_t prev, uint64_t cur, int64_t dt_ns, double *out);
/* CPU limit in cores from HostConfig: NanoCpus (1e9 = one core) wins, else
 * CpuQuota / CpuPeriod (period 0 means the kernel default 100000 us).
 * 0 = no limit. */
double stats_limit_cores(int64_t nano_cpus, int64_t cpu_quota,
                         int64_t cpu_period);

#endif
