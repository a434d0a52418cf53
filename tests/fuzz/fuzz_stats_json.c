/* libFuzzer target: the Engine API reply parsers (docker.h) and the stats
 * formulas fed with whatever they accept.
 *
 * The first byte picks the parser (stats, containers, inspect, info,
 * events, time); the rest is the reply. Besides memory safety it checks
 * that every message is one NUL-terminated line, that a parsed stats
 * reply gives a point whose ratios are finite and non-negative, and that
 * rates are only reported with a previous sample. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_msg(const char *m, size_t cap)
{
    size_t len = strnlen(m, cap);
    if (len == cap)
        abort();
    if (memchr(m, '\n', len))
        abort();
}

static void check_point(const struct stats_point *p)
{
    if ((p->have & STATS_F_CPU_RATIO) &&
        (!isfinite(p->cpu_ratio) || p->cpu_ratio < 0))
        abort();
    if ((p->have & STATS_F_CPU_LIMIT_RATIO) &&
        (!isfinite(p->cpu_limit_ratio) || p->cpu_limit_ratio < 0))
        abort();
    if ((p->have & STATS_F_MEM_RATIO) &&
        (!isfinite(p->mem_ratio) || p->mem_ratio < 0))
        abort();
    if (p->mem_usage < 0 || p->mem_limit < 0 || p->net_read < 0 ||
        p->blk_write < 0 || p->pids < 0)
        abort();
    double rates[] = {p->net_read_rate, p->net_write_rate, p->blk_read_rate,
                      p->blk_write_rate};
    for (size_t i = 0; i < 4; i++)
        if (!isfinite(rates[i]) || rates[i] < 0)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char err[256];
    if (n < 1)
        return 0;
    uint8_t which = d[0] % 6;
    /* no NUL terminator on purpose: the parsers must honour len */
    char *t = malloc(n - 1 ? n - 1 : 1);
    if (!t)
        return 0;
    memcpy(t, d + 1, n - 1);
    size_t len = n - 1;

    memset(err, 0, sizeof err);
    switch (which) {
    case 0: {
        struct dkr_stats st;
        int rc = dkr_parse_stats(t, len, &st, err, sizeof err);
        if (rc != st.rc || (rc != 0 && rc != -1 && rc != DKR_GONE))
            abort();
        if (rc != 0) {
            check_msg(err, sizeof err);
            check_msg(st.err, sizeof st.err);
            break;
        }
        struct stats_point p;
        stats_compute(NULL, &st.cur, &p);
        if (p.have &
            (STATS_F_CPU_RATIO | STATS_F_NET_READ_RATE | STATS_F_BLK_READ_RATE))
            abort(); /* a first sample has no CPU ratio and no rates */
        check_point(&p);
        st.cur.cpu_limit_cores = 0.25;
        if (st.has_pre) {
            stats_compute(&st.pre, &st.cur, &p);
            check_point(&p);
        }
        stats_compute(&st.cur, &st.cur, &p); /* same time: no CPU, no rate */
        if (p.have & (STATS_F_CPU_RATIO | STATS_F_NET_READ_RATE))
            abort();
        check_point(&p);
        break;
    }
    case 1: {
        struct dkr_container_list l;
        if (dkr_parse_containers(t, len, &l, err, sizeof err) == 0) {
            for (size_t i = 0; i < l.n; i++)
                if (strlen(l.v[i].id) != 64 || !l.v[i].name)
                    abort();
            dkr_container_list_cleanup(&l);
        } else {
            check_msg(err, sizeof err);
        }
        break;
    }
    case 2: {
        struct dkr_inspect in;
        if (dkr_parse_inspect(t, len, &in, err, sizeof err) == 0) {
            if (in.cpu_limit_cores < 0 || in.pid < 0)
                abort();
        } else {
            check_msg(err, sizeof err);
        }
        break;
    }
    case 3: {
        struct dkr_info info;
        if (dkr_parse_info(t, len, &info, err, sizeof err) == 0)
            dkr_info_cleanup(&info);
        else
            check_msg(err, sizeof err);
        break;
    }
    case 4: {
        struct dkr_event_list l;
        if (dkr_parse_events(t, len, &l, err, sizeof err) == 0)
            dkr_event_list_cleanup(&l);
        else
            check_msg(err, sizeof err);
        break;
    }
    default: {
        char s[64];
        size_t m = len < sizeof s - 1 ? len : sizeof s - 1;
        memcpy(s, t, m);
        s[m] = '\0';
        int64_t ns;
        (void)dkr_parse_time(s, &ns);
        break;
    }
    }
    free(t);
    return 0;
}
