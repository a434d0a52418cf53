/* ds's per-container metrics in Prometheus text exposition (promexp.h).
 * Pure: points in, text out. */
#include "promexp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmtnum.h"

const struct pexp_family pexp_families[] = {
    {"ds_container_cpu_usage_seconds_total", "counter",
     "CPU time the container used, seconds.", NULL, 1.0, 0},
    {"ds_container_cpu_usage_ratio", "gauge",
     "CPU the container used since ds's previous sample, in cores (1 = one "
     "full core; das cpu_ratio / 100).",
     "cpu_ratio", 100.0, STATS_F_CPU_RATIO},
    {"ds_container_cpu_limit_usage_ratio", "gauge",
     "CPU used as a fraction of the container's own CPU limit (das "
     "cpu_limit_ratio / 100); only containers with a limit.",
     "cpu_limit_ratio", 100.0, STATS_F_CPU_LIMIT_RATIO},
    {"ds_container_memory_usage_bytes", "gauge",
     "Memory used as docker stats shows it (usage minus inactive file), "
     "bytes.",
     "mem_usage", 1.0, STATS_F_MEM_USAGE},
    {"ds_container_memory_limit_bytes", "gauge",
     "Memory limit (or the host's memory), bytes.", "mem_limit", 1.0,
     STATS_F_MEM_LIMIT},
    {"ds_container_memory_usage_ratio", "gauge",
     "Memory used as a fraction of the limit (das mem_ratio / 100).",
     "mem_ratio", 100.0, STATS_F_MEM_RATIO},
    {"ds_container_network_receive_bytes_total", "counter",
     "Bytes received, all interfaces but lo.", "net_read", 1.0, STATS_F_NET},
    {"ds_container_network_transmit_bytes_total", "counter",
     "Bytes sent, all interfaces but lo.", "net_write", 1.0, STATS_F_NET},
    {"ds_container_blkio_read_bytes_total", "counter",
     "Bytes read from block devices.", "blk_read", 1.0, STATS_F_BLK},
    {"ds_container_blkio_write_bytes_total", "counter",
     "Bytes written to block devices.", "blk_write", 1.0, STATS_F_BLK},
    {"ds_container_pids", "gauge", "Processes in the container.", "pids", 1.0,
     STATS_F_PIDS},
};
const size_t pexp_nfamilies = sizeof pexp_families / sizeof pexp_families[0];

/* The length of the well-formed UTF-8 sequence at p (n bytes left), 0
 * when it is not one (a stray continuation byte, an overlong form, a
 * surrogate, past U+10FFFF, or cut short). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned cp;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        cp = p[0] & 0x1fu;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        cp = p[0] & 0x0fu;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return len;
}

int pexp_label_value(const char *s, struct buf *out)
{
    size_t n = s ? strlen(s) : 0;
    bool cut = n > PEXP_LABEL_MAX;
    if (cut) { /* at most PEXP_LABEL_MAX bytes, not inside a character */
        n = PEXP_LABEL_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq(p + i, n - i);
        int r;
        if (p[i] == '\\')
            r = buf_puts(out, "\\\\");
        else if (p[i] == '"')
            r = buf_puts(out, "\\\"");
        else if (p[i] == '\n')
            r = buf_puts(out, "\\n");
        else if (len == 0) /* label values are UTF-8 */
            r = buf_puts(out, "\xef\xbf\xbd");
        else
            r = buf_append(out, s + i, len);
        if (r)
            return -1;
        i += len ? len : 1;
    }
    return cut ? buf_puts(out, "...") : 0;
}

int pexp_float(double v, struct buf *out)
{
    if (isnan(v))
        return buf_puts(out, "NaN");
    if (isinf(v))
        return buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    char tmp[40];
    if (fmt_shortest(v, tmp, sizeof tmp))
        return -1;
    return buf_puts(out, tmp);
}

/* The value of family f for c; false when c has none. */
static bool family_value(const struct pexp_family *f, const struct pexp_ctr *c,
                         double *v)
{
    const struct stats_point *p = &c->pt;
    if (f->have == 0) {
        *v = c->cpu_seconds;
        return c->has_cpu_seconds;
    }
    const struct stats_field *sf = NULL;
    for (size_t i = 0; i < stats_nfields && !sf; i++)
        if (!strcmp(stats_fields[i].name, f->field))
            sf = &stats_fields[i];
    if (!sf || !stats_field_value(p, sf, v))
        return false;
    *v /= f->to_field;
    return isfinite(*v);
}

static int label(struct buf *out, bool *first, const char *key,
                 const char *value)
{
    if (!value || !value[0])
        return 0;
    if (buf_printf(out, "%s%s=\"", *first ? "" : ",", key) ||
        pexp_label_value(value, out) || buf_puts(out, "\""))
        return -1;
    *first = false;
    return 0;
}

int pexp_containers(struct buf *out, const struct pexp_ctr *v, size_t n)
{
    for (size_t f = 0; f < pexp_nfamilies; f++) {
        const struct pexp_family *fam = &pexp_families[f];
        if (buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", fam->name,
                       fam->help, fam->name, fam->type))
            return -1;
        for (size_t i = 0; i < n; i++) {
            const struct pexp_ctr *c = &v[i];
            double x;
            bool first = true;
            if (!family_value(fam, c, &x))
                continue;
            if (buf_printf(out, "%s{", fam->name) ||
                label(out, &first, "node", c->node) ||
                label(out, &first, "container", c->container) ||
                label(out, &first, "service", c->service) ||
                label(out, &first, "service_name", c->service_name) ||
                buf_puts(out, "} ") || pexp_float(x, out) ||
                buf_printf(out, " %lld\n",
                           (long long)(c->pt.time_ns / 1000000)))
                return -1;
        }
    }
    return 0;
}
