/* libFuzzer target: the parsers of the facts cg_resolve_id reads without
 * the engine (cgroup.h): v2 cpu.max, v1 cpu.cfs_quota_us with
 * cpu.cfs_period_us, and cgroup.procs' first pid.
 *
 * The first byte picks the parser (and, for the CFS pair, where the bytes
 * are cut into the two files); the rest is the file's text, without a NUL
 * terminator. Invariants besides memory safety: 0 or -1, a failure is one
 * line; a CPU limit is finite, not negative, 0 for "max" or quota -1, and
 * quota / period otherwise (period 1000..1000000 µs), the same from the
 * v1 pair as from cpu.max "QUOTA PERIOD"; only the first line
 * of a limit file counts (more lines after it change nothing); a pid is
 * 0..INT_MAX, one of the lines (0 only when all are blank or zeros),
 * blank and "0" lines before the list change nothing, and
 * neither do lines after the first pid found. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_msg(int rc, const char *m, size_t cap)
{
    if (rc != 0 && rc != -1)
        abort();
    if (rc == 0)
        return;
    size_t len = strnlen(m, cap);
    if (len == 0 || len == cap || memchr(m, '\n', len))
        abort();
}

/* t + tail, in a new buffer (free it) */
static char *join(const char *t, size_t len, const char *tail, size_t *out_len)
{
    size_t tl = strlen(tail);
    char *j = malloc(len + tl + 1);
    if (!j)
        abort();
    memcpy(j, t, len);
    memcpy(j + len, tail, tl);
    *out_len = len + tl;
    return j;
}

static void check_cores(double c)
{
    if (!isfinite(c) || c < 0)
        abort();
}

/* The first line's first word, when the line has exactly two words. */
static bool words(const char *t, size_t len, const char *first)
{
    size_t fl = strlen(first);
    return len > fl && !memcmp(t, first, fl) && (t[fl] == ' ');
}

static void fuzz_cpu_max(const char *t, size_t len)
{
    char err[256];
    double cores = -1, again = -1;
    int rc = cg_parse_cpu_max(t, len, &cores, err, sizeof err);
    check_msg(rc, err, sizeof err);
    if (rc == 0) {
        check_cores(cores);
        if (words(t, len, "max") && cores != 0)
            abort();
        /* quota / period <= (2^63 - 1) / 1000 */
        if (cores > 9.3e15)
            abort();
    }
    if (memchr(t, '\n', len))
        return;
    size_t jl;
    char *j = join(t, len, "\nmax x y z\n", &jl);
    int rc2 = cg_parse_cpu_max(j, jl, &again, err, sizeof err);
    free(j);
    if (rc2 != rc || (rc == 0 && again != cores))
        abort();
}

/* The first line of t without trailing blanks, as the parsers read it. */
static size_t first_line(const char *t, size_t len)
{
    const char *nl = memchr(t, '\n', len);
    size_t n = nl ? (size_t)(nl - t) : len;
    while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r'))
        n--;
    return n;
}

/* v1 and v2 say the same limit: a CFS pair that parses, its quota not
 * negative, gives the cores cpu.max "QUOTA PERIOD" gives. */
static void cross_check(const char *q, size_t ql, const char *p, size_t pl,
                        double cores)
{
    char err[256];
    double v2 = -1;
    ql = first_line(q, ql);
    pl = first_line(p, pl);
    if (ql > 0 && q[0] == '-')
        return;
    char *m = malloc(ql + 1 + pl);
    if (!m)
        abort();
    memcpy(m, q, ql);
    m[ql] = ' ';
    memcpy(m + ql + 1, p, pl);
    if (cg_parse_cpu_max(m, ql + 1 + pl, &v2, err, sizeof err) != 0 ||
        v2 != cores)
        abort();
    free(m);
}

static void fuzz_cfs(const char *t, size_t len, size_t cut)
{
    char err[256];
    double cores = -1, again = -1;
    if (cut > len)
        cut = len;
    int rc = cg_parse_cfs(t, cut, t + cut, len - cut, &cores, err, sizeof err);
    check_msg(rc, err, sizeof err);
    if (rc == 0) {
        check_cores(cores);
        if (cut >= 2 && !memcmp(t, "-1", 2) && cores != 0)
            abort();
        /* a quota of at most 2^63 - 1 µs over a period of >= 1000 µs */
        if (cores > 9.3e15)
            abort();
        cross_check(t, cut, t + cut, len - cut, cores);
    }
    if (memchr(t, '\n', len))
        return;
    size_t ql, pl;
    char *q = join(t, cut, "\n-5\n", &ql);
    char *p = join(t + cut, len - cut, "\n0\n", &pl);
    int rc2 = cg_parse_cfs(q, ql, p, pl, &again, err, sizeof err);
    free(q);
    free(p);
    if (rc2 != rc || (rc == 0 && again != cores))
        abort();
}

/* 0 when every line of t is blank or zeros; else whether one line reads
 * pid (leading zeros and trailing blanks aside). */
static bool pid_in(const char *t, size_t len, int pid)
{
    char want[16];
    size_t wl = (size_t)snprintf(want, sizeof want, "%d", pid);
    bool all_zero = true, found = false;
    while (len > 0) {
        size_t n = first_line(t, len), z = 0;
        while (z < n && t[z] == '0')
            z++;
        all_zero &= z == n;
        found |= n - z == wl && !memcmp(t + z, want, wl);
        const char *nl = memchr(t, '\n', len);
        if (!nl)
            break;
        len -= (size_t)(nl - t) + 1;
        t = nl + 1;
    }
    return pid == 0 ? all_zero : found;
}

static void fuzz_first_pid(const char *t, size_t len)
{
    char err[256];
    int pid = -1, again = -1;
    int rc = cg_parse_first_pid(t, len, &pid, err, sizeof err);
    check_msg(rc, err, sizeof err);
    if (rc == 0 && (pid < 0 || !pid_in(t, len, pid)))
        abort();
    /* zeros and blank lines first: the same answer */
    static const char lead[] = "0\n\n  \n0\r\n";
    size_t jl = sizeof lead - 1 + len;
    char *j = malloc(jl ? jl : 1);
    if (!j)
        abort();
    memcpy(j, lead, sizeof lead - 1);
    memcpy(j + sizeof lead - 1, t, len);
    int rc2 = cg_parse_first_pid(j, jl, &again, err, sizeof err);
    free(j);
    if (rc2 != rc || again != pid)
        abort();
    /* after the first pid, nothing more is read */
    if (rc == 0 && pid > 0) {
        j = join(t, len, "\nnot a pid\n-1\n", &jl);
        rc2 = cg_parse_first_pid(j, jl, &again, err, sizeof err);
        free(j);
        if (rc2 != 0 || again != pid)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1)
        return 0;
    size_t len = n - 1;
    char *t = malloc(len ? len : 1);
    if (!t)
        return 0;
    memcpy(t, d + 1, len);
    switch (d[0] % 3) {
    case 0:
        fuzz_cpu_max(t, len);
        break;
    case 1:
        fuzz_cfs(t, len, (size_t)(d[0] / 3));
        break;
    default:
        fuzz_first_pid(t, len);
        break;
    }
    free(t);
    return 0;
}
