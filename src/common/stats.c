/* The metric fields of a point from raw container samples (stats.h):
 * CPU and memory ratios, rates between samples. Pure. */
#include "stats.h"

#include <stdint.h>
#include <string.h>

void stats_sample_init(struct stats_sample *s)
{
    memset(s, 0, sizeof *s);
    s->source = STATS_SRC_CGROUP;
}

static int64_t clamp_i64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

bool stats_cpu_ratio(const struct stats_sample *prev,
                     const struct stats_sample *cur, double *out)
{
    if (!prev || !cur || prev->source != cur->source)
        return false;
    if (!(prev->have & STATS_HAVE_CPU) || !(cur->have & STATS_HAVE_CPU))
        return false;
    /* A counter that went backwards means a new cgroup (restart). */
    if (cur->cpu_usage_ns < prev->cpu_usage_ns)
        return false;
    double cpu_delta = (double)(cur->cpu_usage_ns - prev->cpu_usage_ns);

    if (cur->source == STATS_SRC_API) {
        if (!(prev->have & STATS_HAVE_SYSTEM_CPU) ||
            !(cur->have & STATS_HAVE_SYSTEM_CPU))
            return false;
        if (cur->system_cpu_ns <= prev->system_cpu_ns || cur->online_cpus == 0)
            return false;
        double system_delta =
            (double)(cur->system_cpu_ns - prev->system_cpu_ns);
        /* docker/cli calculateCPUPercentUnix */
        *out = cpu_delta / system_delta * (double)cur->online_cpus * 100.0;
        return true;
    }
    if (cur->time_ns <= prev->time_ns)
        return false;
    double wall_delta = (double)(cur->time_ns - prev->time_ns);
    *out = cpu_delta / wall_delta * 100.0;
    return true;
}

bool stats_cpu_limit_ratio(double cpu_ratio, double limit_cores, double *out)
{
    if (!(limit_cores > 0.0))
        return false;
    *out = cpu_ratio / limit_cores;
    return true;
}

uint64_t stats_mem_usage(const struct stats_sample *s)
{
    if (!(s->have & STATS_HAVE_MEM))
        return 0;
    /* docker/cli calculateMemUsageUnixNoCache: v1 first, then v2. */
    if ((s->have & STATS_HAVE_TOTAL_INACTIVE_FILE) &&
        s->mem_total_inactive_file < s->mem_usage)
        return s->mem_usage - s->mem_total_inactive_file;
    if ((s->have & STATS_HAVE_INACTIVE_FILE) &&
        s->mem_inactive_file < s->mem_usage)
        return s->mem_usage - s->mem_inactive_file;
    return s->mem_usage;
}

bool stats_mem_ratio(uint64_t usage, uint64_t limit, double *out)
{
    if (limit == 0)
        return false;
    *out = (double)usage / (double)limit * 100.0;
    return true;
}

bool stats_rate(uint64_t prev, uint64_t cur, int64_t dt_ns, double *out)
{
    if (dt_ns <= 0 || cur < prev)
        return false;
    *out = (double)(cur - prev) / ((double)dt_ns / 1e9);
    return true;
}

double stats_limit_cores(int64_t nano_cpus, int64_t cpu_quota,
                         int64_t cpu_period)
{
    if (nano_cpus > 0)
        return (double)nano_cpus / 1e9;
    if (cpu_quota > 0) {
        int64_t period = cpu_period > 0 ? cpu_period : 100000;
        return (double)cpu_quota / (double)period;
    }
    return 0.0;
}

void stats_compute(const struct stats_sample *prev,
                   const struct stats_sample *cur, struct stats_point *out)
{
    memset(out, 0, sizeof *out);
    out->time_ns = cur->time_ns;
    if (prev && prev->source != cur->source)
        prev = NULL;

    if (cur->have & STATS_HAVE_MEM) {
        uint64_t usage = stats_mem_usage(cur);
        out->mem_usage = clamp_i64(usage);
        out->have |= STATS_F_MEM_USAGE;
        if (cur->mem_limit > 0) {
            out->mem_limit = clamp_i64(cur->mem_limit);
            out->have |= STATS_F_MEM_LIMIT;
        }
        if (stats_mem_ratio(usage, cur->mem_limit, &out->mem_ratio))
            out->have |= STATS_F_MEM_RATIO;
    }
    if (cur->have & STATS_HAVE_NET) {
        out->net_read = clamp_i64(cur->net_rx);
        out->net_write = clamp_i64(cur->net_tx);
        out->have |= STATS_F_NET;
    }
    if (cur->have & STATS_HAVE_BLK) {
        out->blk_read = clamp_i64(cur->blk_read);
        out->blk_write = clamp_i64(cur->blk_write);
        out->have |= STATS_F_BLK;
    }
    if (cur->have & STATS_HAVE_PIDS) {
        out->pids = clamp_i64(cur->pids);
        out->have |= STATS_F_PIDS;
    }
    if (!prev)
        return;

    if (stats_cpu_ratio(prev, cur, &out->cpu_ratio)) {
        out->have |= STATS_F_CPU_RATIO;
        if (stats_cpu_limit_ratio(out->cpu_ratio, cur->cpu_limit_cores,
                                  &out->cpu_limit_ratio))
            out->have |= STATS_F_CPU_LIMIT_RATIO;
    }
    int64_t dt = cur->time_ns - prev->time_ns;
    if ((cur->have & STATS_HAVE_NET) && (prev->have & STATS_HAVE_NET)) {
        if (stats_rate(prev->net_rx, cur->net_rx, dt, &out->net_read_rate))
            out->have |= STATS_F_NET_READ_RATE;
        if (stats_rate(prev->net_tx, cur->net_tx, dt, &out->net_write_rate))
            out->have |= STATS_F_NET_WRITE_RATE;
    }
    if ((cur->have & STATS_HAVE_BLK) && (prev->have & STATS_HAVE_BLK)) {
        if (stats_rate(prev->blk_read, cur->blk_read, dt, &out->blk_read_rate))
            out->have |= STATS_F_BLK_READ_RATE;
        if (stats_rate(prev->blk_write, cur->blk_write, dt,
                       &out->blk_write_rate))
            out->have |= STATS_F_BLK_WRITE_RATE;
    }
}

#define STATS_FIELD_ROW(name, bit, unit, isint)                                \
    {#name, bit, isint, offsetof(struct stats_point, name)},
const struct stats_field stats_fields[] = {STATS_FIELDS(STATS_FIELD_ROW)};
const size_t stats_nfields = sizeof stats_fields / sizeof stats_fields[0];

bool stats_field_value(const struct stats_point *p, const struct stats_field *f,
                       double *v)
{
    if (!(p->have & f->have))
        return false;
    const char *at = (const char *)p + f->offset;
    if (f->integer) {
        int64_t i;
        memcpy(&i, at, sizeof i);
        *v = (double)i;
    } else {
        memcpy(v, at, sizeof *v);
    }
    return true;
}
