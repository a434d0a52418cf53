/* A container's stats from cgroupfs and /proc (cgroup.h): finding its
 * cgroup through its init process and reading v1 or v2 counters. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"

/* ---- text helpers (bounded by len; the text need not end in NUL) ---- */

struct span {
    const char *p;
    size_t n;
};

/* Takes the next line from *rest (without its '\n'). false at the end. */
static bool next_line(struct span *rest, struct span *line)
{
    if (rest->n == 0)
        return false;
    const char *nl = memchr(rest->p, '\n', rest->n);
    size_t n = nl ? (size_t)(nl - rest->p) : rest->n;
    line->p = rest->p;
    line->n = n;
    rest->p += nl ? n + 1 : n;
    rest->n -= nl ? n + 1 : n;
    return true;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Takes the next blank-separated word from *rest. false when none. */
static bool next_word(struct span *rest, struct span *word)
{
    while (rest->n > 0 && is_blank(*rest->p)) {
        rest->p++;
        rest->n--;
    }
    if (rest->n == 0)
        return false;
    size_t n = 0;
    while (n < rest->n && !is_blank(rest->p[n]))
        n++;
    word->p = rest->p;
    word->n = n;
    rest->p += n;
    rest->n -= n;
    return true;
}

static bool span_eq(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Decimal digits only, no sign, no overflow. */
static bool span_u64(struct span s, uint64_t *out)
{
    if (s.n == 0 || s.n > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c < '0' || c > '9')
            return false;
        uint64_t d = (uint64_t)(c - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Quotes at most 40 bytes of s for an error message ("…..." when longer). */
static const char *show(struct span s, char *out, size_t outlen)
{
    return log_quote_span(s.p, s.n, 40, out, outlen, LOG_QUOTE_VALUE);
}

/* Trims trailing blanks (also "\r"). */
static struct span rtrim(struct span s)
{
    while (s.n > 0 && is_blank(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* ---- pure parsers ---- */

static const char *const ctrl_names[CG_NCTRL] = {"cpuacct", "memory", "blkio",
                                                 "pids", "cpu"};

/* true when the comma-separated list contains name. */
static bool list_has(struct span list, const char *name)
{
    struct span rest = list;
    while (rest.n > 0) {
        const char *comma = memchr(rest.p, ',', rest.n);
        struct span item = {rest.p, comma ? (size_t)(comma - rest.p) : rest.n};
        if (span_eq(item, name))
            return true;
        if (!comma)
            break;
        rest.p = comma + 1;
        rest.n -= item.n + 1;
    }
    return false;
}

static int copy_span(char *dst, size_t dstlen, struct span s)
{
    if (s.n >= dstlen)
        return -1;
    memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
    return 0;
}

int cg_parse_proc_cgroup(const char *text, size_t len, struct cg_proc *out,
                         char *err, size_t errlen)
{
    char q[256];
    struct span rest = {text, len}, line;
    unsigned lineno = 0;

    memset(out, 0, sizeof *out);
    while (next_line(&rest, &line)) {
        lineno++;
        line = rtrim(line);
        if (line.n == 0)
            continue;
        /* hierarchy-ID:controller-list:cgroup-path; the path may hold ':' */
        const char *c1 = memchr(line.p, ':', line.n);
        const char *c2 =
            c1 ? memchr(c1 + 1, ':', line.n - (size_t)(c1 + 1 - line.p)) : NULL;
        if (!c1 || !c2) {
            snprintf(err, errlen, "line %u: %s is not \"id:controllers:path\"",
                     lineno, show(line, q, sizeof q));
            return -1;
        }
        struct span hid = {line.p, (size_t)(c1 - line.p)};
        struct span ctrls = {c1 + 1, (size_t)(c2 - c1 - 1)};
        struct span path = {c2 + 1, line.n - (size_t)(c2 + 1 - line.p)};
        uint64_t id;
        if (!span_u64(hid, &id)) {
            snprintf(err, errlen, "line %u: bad hierarchy id in %s", lineno,
                     show(line, q, sizeof q));
            return -1;
        }
        if (path.n == 0 || path.p[0] != '/') {
            snprintf(err, errlen,
                     "line %u: cgroup path in %s does not start with '/'",
                     lineno, show(line, q, sizeof q));
            return -1;
        }
        if (path.n >= CG_PATH_MAX) {
            snprintf(err, errlen, "line %u: cgroup path over %d bytes", lineno,
                     CG_PATH_MAX - 1);
            return -1;
        }
        if (id == 0 && ctrls.n == 0) {
            (void)copy_span(out->unified, sizeof out->unified, path);
            out->has_unified = true;
            continue;
        }
        for (int i = 0; i < CG_NCTRL; i++) {
            if (out->ctrl[i].found || !list_has(ctrls, ctrl_names[i]))
                continue;
            if (copy_span(out->ctrl[i].mount, sizeof out->ctrl[i].mount,
                          ctrls) != 0) {
                snprintf(err, errlen, "line %u: controller list too long",
                         lineno);
                return -1;
            }
            (void)copy_span(out->ctrl[i].path, sizeof out->ctrl[i].path, path);
            out->ctrl[i].found = true;
        }
    }
    if (out->ctrl[CG_CPUACCT].found || out->ctrl[CG_MEMORY].found)
        out->version = CG_V1;
    else if (out->has_unified)
        out->version = CG_V2;
    else {
        snprintf(
            err, errlen,
            "no cpuacct or memory hierarchy (v1) and no \"0::\" line (v2)");
        return -1;
    }
    return 0;
}

int cg_parse_u64(const char *text, size_t len, uint64_t *out, char *err,
                 size_t errlen)
{
    char q[256];
    struct span rest = {text, len}, line = {text, 0};
    (void)next_line(&rest, &line);
    line = rtrim(line);
    if (!span_u64(line, out)) {
        snprintf(err, errlen, "expected a number, found %s",
                 show(line, q, sizeof q));
        return -1;
    }
    return 0;
}

int cg_parse_limit(const char *text, size_t len, uint64_t *out, char *err,
                   size_t errlen)
{
    struct span rest = {text, len}, line = {text, 0};
    (void)next_line(&rest, &line);
    if (span_eq(rtrim(line), "max")) {
        *out = UINT64_MAX;
        return 0;
    }
    return cg_parse_u64(text, len, out, err, errlen);
}

int cg_parse_flat(const char *text, size_t len, const char *const *keys,
                  size_t nkeys, uint64_t *vals, uint32_t *found, char *err,
                  size_t errlen)
{
    char q[256];
    struct span rest = {text, len}, line;
    unsigned lineno = 0;

    *found = 0;
    if (nkeys > 32) {
        snprintf(err, errlen, "too many keys");
        return -1;
    }
    while (next_line(&rest, &line)) {
        lineno++;
        struct span words = line, key, val, extra;
        if (!next_word(&words, &key))
            continue;
        for (size_t i = 0; i < nkeys; i++) {
            if (!span_eq(key, keys[i]))
                continue;
            if (!next_word(&words, &val) || !span_u64(val, &vals[i]) ||
                next_word(&words, &extra)) {
                snprintf(err, errlen, "line %u: bad value for %s in %s", lineno,
                         keys[i], show(line, q, sizeof q));
                return -1;
            }
            *found |= 1u << i;
            break;
        }
    }
    return 0;
}

int cg_parse_blkio_v1(const char *text, size_t len, uint64_t *read_bytes,
                      uint64_t *write_bytes, char *err, size_t errlen)
{
    char q[256];
    struct span rest = {text, len}, line;
    unsigned lineno = 0;
    uint64_t rd = 0, wr = 0;

    while (next_line(&rest, &line)) {
        lineno++;
        struct span words = line, w1, w2, w3, extra;
        if (!next_word(&words, &w1))
            continue;
        if (span_eq(w1, "Total"))
            continue; /* the grand total line: "Total N" */
        if (!memchr(w1.p, ':', w1.n) || !next_word(&words, &w2) ||
            !next_word(&words, &w3) || next_word(&words, &extra)) {
            snprintf(err, errlen, "line %u: %s is not \"MAJ:MIN Op bytes\"",
                     lineno, show(line, q, sizeof q));
            return -1;
        }
        uint64_t v;
        if (!span_u64(w3, &v)) {
            snprintf(err, errlen, "line %u: bad number in %s", lineno,
                     show(line, q, sizeof q));
            return -1;
        }
        /* Overflow of a sum of 64-bit byte counters is not a real case;
         * saturate rather than wrap. */
        if (span_eq(w2, "Read"))
            rd = rd > UINT64_MAX - v ? UINT64_MAX : rd + v;
        else if (span_eq(w2, "Write"))
            wr = wr > UINT64_MAX - v ? UINT64_MAX : wr + v;
    }
    *read_bytes = rd;
    *write_bytes = wr;
    return 0;
}

int cg_parse_io_stat(const char *text, size_t len, uint64_t *read_bytes,
                     uint64_t *write_bytes, char *err, size_t errlen)
{
    char q[256];
    struct span rest = {text, len}, line;
    unsigned lineno = 0;
    uint64_t rd = 0, wr = 0;

    while (next_line(&rest, &line)) {
        lineno++;
        struct span words = line, dev, kv;
        if (!next_word(&words, &dev))
            continue;
        if (!memchr(dev.p, ':', dev.n)) {
            snprintf(err, errlen, "line %u: %s does not start with MAJ:MIN",
                     lineno, show(line, q, sizeof q));
            return -1;
        }
        while (next_word(&words, &kv)) {
            const char *eq = memchr(kv.p, '=', kv.n);
            if (!eq) {
                snprintf(err, errlen, "line %u: %s is not key=value", lineno,
                         show(kv, q, sizeof q));
                return -1;
            }
            struct span key = {kv.p, (size_t)(eq - kv.p)};
            struct span val = {eq + 1, kv.n - key.n - 1};
            uint64_t *sum = span_eq(key, "rbytes")   ? &rd
                            : span_eq(key, "wbytes") ? &wr
                                                     : NULL;
            if (!sum)
                continue; /* rios, wios, dbytes, dios, cost.* …: not needed */
            uint64_t v;
            if (!span_u64(val, &v)) {
                snprintf(err, errlen, "line %u: bad number in %s", lineno,
                         show(kv, q, sizeof q));
                return -1;
            }
            *sum = *sum > UINT64_MAX - v ? UINT64_MAX : *sum + v;
        }
    }
    *read_bytes = rd;
    *write_bytes = wr;
    return 0;
}

int cg_parse_net_dev(const char *text, size_t len, uint64_t *rx, uint64_t *tx,
                     char *err, size_t errlen)
{
    char q[256];
    struct span rest = {text, len}, line;
    unsigned lineno = 0;
    uint64_t srx = 0, stx = 0;

    while (next_line(&rest, &line)) {
        lineno++;
        if (memchr(line.p, '|', line.n))
            continue; /* the two header lines */
        struct span words = line, name;
        if (!next_word(&words, &name))
            continue;
        /* "eth0:" then 16 counters; a long name runs into the first one */
        const char *colon = memchr(line.p, ':', line.n);
        if (!colon) {
            snprintf(err, errlen, "line %u: %s has no \"name:\"", lineno,
                     show(line, q, sizeof q));
            return -1;
        }
        struct span ifname = {name.p, (size_t)(colon - name.p)};
        struct span nums = {colon + 1, line.n - (size_t)(colon + 1 - line.p)};
        uint64_t v[16];
        int nv = 0;
        struct span w;
        while (nv < 16 && next_word(&nums, &w)) {
            if (!span_u64(w, &v[nv])) {
                snprintf(err, errlen, "line %u: bad counter %s", lineno,
                         show(w, q, sizeof q));
                return -1;
            }
            nv++;
        }
        if (nv < 9) {
            snprintf(err, errlen, "line %u: %d counters, expected 16", lineno,
                     nv);
            return -1;
        }
        if (span_eq(ifname, "lo"))
            continue;
        srx = srx > UINT64_MAX - v[0] ? UINT64_MAX : srx + v[0];
        stx = stx > UINT64_MAX - v[8] ? UINT64_MAX : stx + v[8];
    }
    *rx = srx;
    *tx = stx;
    return 0;
}

int cg_parse_first_pid(const char *text, size_t len, int *pid, char *err,
                       size_t errlen)
{
    char q[256];
    struct span rest = {text, len}, line;
    unsigned lineno = 0;
    *pid = 0;
    while (next_line(&rest, &line)) {
        lineno++;
        line = rtrim(line);
        if (line.n == 0)
            continue;
        uint64_t v;
        if (!span_u64(line, &v) || v > INT_MAX) {
            snprintf(err, errlen, "line %u: %s is not a pid", lineno,
                     show(line, q, sizeof q));
            return -1;
        }
        if (v > 0) {
            *pid = (int)v;
            return 0;
        }
    }
    return 0;
}

/* A signed decimal number ("-1"), no overflow. */
static bool span_i64(struct span s, int64_t *out)
{
    bool neg = s.n > 0 && s.p[0] == '-';
    uint64_t v;
    if (neg) {
        s.p++;
        s.n--;
    }
    if (!span_u64(s, &v) || v > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* A CFS period in microseconds: the kernel takes 1 ms .. 1 s. */
static bool period_ok(uint64_t period)
{
    return period >= 1000 && period <= 1000000;
}

int cg_parse_cpu_max(const char *text, size_t len, double *cores, char *err,
                     size_t errlen)
{
    char q[256];
    struct span rest = {text, len}, line = {text, 0}, words, quota, period;
    (void)next_line(&rest, &line);
    words = rtrim(line);
    uint64_t p = 100000, v = 0;
    bool ok = next_word(&words, &quota) &&
              (span_eq(quota, "max") || span_u64(quota, &v));
    if (ok && next_word(&words, &period))
        ok =
            span_u64(period, &p) && period_ok(p) && !next_word(&words, &period);
    if (!ok || v > (uint64_t)INT64_MAX) {
        snprintf(err, errlen,
                 "%s is not \"max PERIOD\" or \"QUOTA PERIOD\" "
                 "(microseconds, period 1000..1000000)",
                 show(line, q, sizeof q));
        return -1;
    }
    *cores = stats_limit_cores(0, (int64_t)v, (int64_t)p);
    return 0;
}

int cg_parse_cfs(const char *quota, size_t quota_len, const char *period,
                 size_t period_len, double *cores, char *err, size_t errlen)
{
    char q[256];
    struct span rest = {quota, quota_len}, line = {quota, 0};
    int64_t qv;
    uint64_t pv;
    (void)next_line(&rest, &line);
    line = rtrim(line);
    if (!span_i64(line, &qv) || qv < -1) {
        snprintf(err, errlen,
                 "cpu.cfs_quota_us: %s is not -1 or a number of "
                 "microseconds",
                 show(line, q, sizeof q));
        return -1;
    }
    rest = (struct span){period, period_len};
    line = (struct span){period, 0};
    (void)next_line(&rest, &line);
    line = rtrim(line);
    if (!span_u64(line, &pv) || !period_ok(pv)) {
        snprintf(err, errlen,
                 "cpu.cfs_period_us: %s is not a period of 1000..1000000 "
                 "microseconds",
                 show(line, q, sizeof q));
        return -1;
    }
    *cores = stats_limit_cores(0, qv, (int64_t)pv);
    return 0;
}

int cg_parse_meminfo_total(const char *text, size_t len, uint64_t *bytes,
                           char *err, size_t errlen)
{
    char q[256];
    struct span rest = {text, len}, line;
    while (next_line(&rest, &line)) {
        struct span words = line, key, val, unit;
        if (!next_word(&words, &key) || !span_eq(key, "MemTotal:"))
            continue;
        uint64_t kb;
        if (!next_word(&words, &val) || !span_u64(val, &kb)) {
            snprintf(err, errlen, "bad MemTotal line %s",
                     show(line, q, sizeof q));
            return -1;
        }
        uint64_t mult = 1;
        if (next_word(&words, &unit)) {
            if (!span_eq(unit, "kB")) {
                snprintf(err, errlen, "MemTotal in unknown unit %s",
                         show(unit, q, sizeof q));
                return -1;
            }
            mult = 1024;
        }
        if (kb > UINT64_MAX / mult) {
            snprintf(err, errlen, "MemTotal out of range");
            return -1;
        }
        *bytes = kb * mult;
        return 0;
    }
    snprintf(err, errlen, "no MemTotal line");
    return -1;
}

/* ---- the reader ---- */

/* How the host's network namespace is told apart (cg_new). */
enum netid { NETID_NONE = 0, NETID_NS, NETID_NET_DEV };

struct cg {
    char *proc_root;
    char *cgroup_root;
    uint64_t host_mem;
    enum cg_version host_version;
    int fd_bound; /* a file stays open only when its fd is below this */
    /* cgroup.procs lists pids in this process's pid namespace: usable
     * under the proc root only when that shows the same namespace */
    bool procs_usable;
    enum netid host_net_kind; /* <proc>/1/ns/net, else <proc>/1/net/dev */
    dev_t host_net_dev;
    ino_t host_net_ino;
    char *buf; /* CG_FILE_MAX + 1, reused for every file */
};

static bool is_gone_errno(int e)
{
    return e == ENOENT || e == ESRCH || e == ENODEV;
}

/* Reads fd from offset 0 into cg->buf (NUL-terminated). A cgroup control
 * file is one record that one read returns whole (kernfs, like
 * single_open); other files (net/dev) are read until EOF. Returns the
 * length, CG_GONE (the cgroup or process vanished: ENODEV, ESRCH) or -1,
 * with err naming path. */
static long pread_whole(struct cg *cg, int fd, bool one_record,
                        const char *path, char *err, size_t errlen)
{
    size_t got = 0;
    for (;;) {
        ssize_t r = pread(fd, cg->buf + got, CG_FILE_MAX + 1 - got, (off_t)got);
        if (r < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            if (is_gone_errno(e)) {
                snprintf(err, errlen, "%s: gone (container stopped?)", path);
                return CG_GONE;
            }
            snprintf(err, errlen, "%s: %s", path, strerror(e));
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
        if (got > CG_FILE_MAX) {
            snprintf(err, errlen, "%s: over %d bytes, refused", path,
                     CG_FILE_MAX);
            return -1;
        }
        if (one_record)
            break;
    }
    cg->buf[got] = '\0';
    return (long)got;
}

/* Reads path into cg->buf (open, read, close). Returns the length, CG_GONE
 * when the file (or its process / cgroup) does not exist, or -1; err says
 * which. */
static long read_small(struct cg *cg, const char *path, char *err,
                       size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return is_gone_errno(e) ? CG_GONE : -1;
    }
    long n = pread_whole(cg, fd, false, path, err, errlen);
    close(fd);
    return n;
}

/* Reads file f of c into cg->buf: from its open fd, else opened now and
 * kept open when its fd is below the bound. A file that failed is closed
 * (a vanished cgroup's files stay ENODEV). Returns as pread_whole. */
static long read_file(struct cg *cg, struct cg_container *c, enum cg_file f,
                      char *err, size_t errlen)
{
    const char *path = c->path[f];
    int fd = c->fd[f];
    if (fd < 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            if (is_gone_errno(e)) {
                snprintf(err, errlen, "%s: gone (container stopped?)", path);
                return CG_GONE;
            }
            snprintf(err, errlen, "%s: %s", path, strerror(e));
            return -1;
        }
        if (fd < cg->fd_bound)
            c->fd[f] = fd;
    }
    long n = pread_whole(cg, fd, f != CG_F_NET_DEV, path, err, errlen);
    if (n < 0 || c->fd[f] != fd) {
        close(fd);
        c->fd[f] = -1;
    }
    return n;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* True when <proc_root>/self is this process: the proc root shows this
 * process's pid namespace. */
static bool proc_root_is_own(const char *proc_root)
{
    char link[32];
    char *path = xasprintf("%s/self", proc_root);
    ssize_t n = readlink(path, link, sizeof link - 1);
    free(path);
    if (n <= 0)
        return false;
    link[n] = '\0';
    char *end;
    errno = 0;
    long v = strtol(link, &end, 10);
    return errno == 0 && *end == '\0' && v == (long)getpid();
}

/* Notes how the host's network namespace is recognised: the identity of
 * <proc>/1/ns/net; where that may not be read (no ptrace access to pid 1),
 * that of <proc>/1/net/dev, an entry each network namespace has its own
 * of. */
static void host_net_setup(struct cg *cg)
{
    static const char *const rel[] = {"1/ns/net", "1/net/dev"};
    static const enum netid kind[] = {NETID_NS, NETID_NET_DEV};
    for (size_t i = 0; i < 2; i++) {
        struct stat st;
        char *path = xasprintf("%s/%s", cg->proc_root, rel[i]);
        int rc = stat(path, &st);
        free(path);
        if (rc == 0) {
            cg->host_net_kind = kind[i];
            cg->host_net_dev = st.st_dev;
            cg->host_net_ino = st.st_ino;
            return;
        }
    }
}

/* The fd number below which files stay open: RLIMIT_NOFILE's soft limit
 * minus a reserve for sockets, at most CG_FDS_MAX. */
static int fd_bound_from_rlimit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur >= (rlim_t)CG_FDS_MAX + CG_FD_RESERVE)
        return CG_FDS_MAX;
    if (rl.rlim_cur <= (rlim_t)CG_FD_RESERVE)
        return 0;
    return (int)(rl.rlim_cur - CG_FD_RESERVE);
}

struct cg *cg_new(const char *proc_root, const char *cgroup_root, char *err,
                  size_t errlen)
{
    char e2[256];
    struct cg *cg = NULL;

    if (!proc_root)
        proc_root = "/proc";
    if (!cgroup_root)
        cgroup_root = "/sys/fs/cgroup";
    if (!is_dir(proc_root)) {
        snprintf(err, errlen,
                 "proc root %s is not a directory: mount the host's /proc "
                 "there read-only (e.g. -v /proc:%s:ro)",
                 proc_root, proc_root);
        return NULL;
    }
    if (!is_dir(cgroup_root)) {
        snprintf(err, errlen,
                 "cgroup root %s is not a directory: mount the host's "
                 "/sys/fs/cgroup there read-only (e.g. -v "
                 "/sys/fs/cgroup:%s:ro)",
                 cgroup_root, cgroup_root);
        return NULL;
    }
    cg = xcalloc(1, sizeof *cg);
    cg->proc_root = xstrdup(proc_root);
    cg->cgroup_root = xstrdup(cgroup_root);
    cg->buf = xmalloc(CG_FILE_MAX + 1);
    cg->fd_bound = fd_bound_from_rlimit();
    cg->procs_usable = proc_root_is_own(proc_root);
    host_net_setup(cg);

    char *p = xasprintf("%s/cgroup.controllers", cgroup_root);
    cg->host_version = exists(p) ? CG_V2 : CG_V1;
    free(p);

    p = xasprintf("%s/meminfo", proc_root);
    long n = read_small(cg, p, e2, sizeof e2);
    if (n < 0) {
        snprintf(err, errlen, "%s: %s", p,
                 n == CG_GONE ? "missing: is the host's /proc mounted there?"
                              : e2);
        free(p);
        cg_free(cg);
        return NULL;
    }
    if (cg_parse_meminfo_total(cg->buf, (size_t)n, &cg->host_mem, e2,
                               sizeof e2) != 0) {
        snprintf(err, errlen, "%s: %s", p, e2);
        free(p);
        cg_free(cg);
        return NULL;
    }
    free(p);
    return cg;
}

void cg_free(struct cg *cg)
{
    if (!cg)
        return;
    free(cg->proc_root);
    free(cg->cgroup_root);
    free(cg->buf);
    free(cg);
}

uint64_t cg_host_mem(const struct cg *cg)
{
    return cg->host_mem;
}

enum cg_version cg_host_version(const struct cg *cg)
{
    return cg->host_version;
}

int cg_fd_bound(const struct cg *cg)
{
    return cg->fd_bound;
}

void cg_set_fd_bound(struct cg *cg, int bound)
{
    cg->fd_bound = bound < 0 ? 0 : bound > CG_FDS_MAX ? CG_FDS_MAX : bound;
}

void cg_container_init(struct cg_container *c)
{
    memset(c, 0, sizeof *c);
    for (int f = 0; f < CG_NFILES; f++)
        c->fd[f] = -1;
}

/* Closes the files and frees the paths; keeps id, pid and the caller's
 * cpu_limit_cores and no_net. */
static void container_reset(struct cg_container *c)
{
    for (int i = 0; i < CG_NCTRL; i++) {
        free(c->dir[i]);
        c->dir[i] = NULL;
    }
    free(c->unified);
    c->unified = NULL;
    for (int f = 0; f < CG_NFILES; f++) {
        if (c->fd[f] >= 0)
            close(c->fd[f]);
        c->fd[f] = -1;
        free(c->path[f]);
        c->path[f] = NULL;
    }
    c->version = CG_VUNKNOWN;
}

void cg_container_cleanup(struct cg_container *c)
{
    if (!c)
        return;
    container_reset(c);
    cg_container_init(c);
}

/* A path as the kernel showed it is usable when it is absolute, not the
 * namespace root "/" and has no ".." component (outside our namespace). */
static bool path_usable(const char *path)
{
    if (strcmp(path, "/") == 0)
        return false;
    for (const char *p = path; (p = strstr(p, "/..")) != NULL; p += 3)
        if (p[3] == '/' || p[3] == '\0')
            return false;
    return true;
}

/* Cuts path after the component naming the container (a process in a
 * sub-cgroup of the container, e.g. ".../docker-<id>.scope/init.scope"). */
static void cut_at_container(char *path, const char *id)
{
    char *hit = strstr(path, id);
    if (!hit)
        return;
    char *end = strchr(hit, '/');
    if (end)
        *end = '\0';
}

/* Keeps fd as file f of c when it is below the bound, else closes it. */
static void keep_fd(struct cg *cg, struct cg_container *c, enum cg_file f,
                    int fd)
{
    if (fd >= 0 && fd < cg->fd_bound && c->fd[f] < 0)
        c->fd[f] = fd;
    else if (fd >= 0)
        close(fd);
}

/* Tries cgroup_root/mount/path for each candidate path and mount name; the
 * first dir holding sentinel wins. Returns a heap path or NULL and appends
 * what was tried to tried. With fd, the sentinel is opened (one path walk
 * instead of a check now and an open at the first read) and its fd handed
 * over (-1 when none was found). */
static char *find_dir(struct cg *cg, const char *const *mounts, size_t nmounts,
                      const char *const *paths, size_t npaths,
                      const char *sentinel, char *tried, size_t triedlen,
                      int *fd)
{
    if (fd)
        *fd = -1;
    for (size_t i = 0; i < npaths; i++) {
        if (!paths[i])
            continue;
        for (size_t j = 0; j < nmounts; j++) {
            if (!mounts[j])
                continue;
            char *dir =
                mounts[j][0]
                    ? xasprintf("%s/%s%s", cg->cgroup_root, mounts[j], paths[i])
                    : xasprintf("%s%s", cg->cgroup_root, paths[i]);
            char *file = xasprintf("%s/%s", dir, sentinel);
            bool ok;
            if (fd) {
                *fd = open(file, O_RDONLY | O_CLOEXEC);
                ok = *fd >= 0;
            } else {
                ok = exists(file);
            }
            if (!ok) {
                size_t used = strlen(tried);
                if (used + 4 < triedlen)
                    snprintf(tried + used, triedlen - used, "%s%s",
                             used ? ", " : "", file);
            }
            free(file);
            if (ok)
                return dir;
            free(dir);
        }
    }
    return NULL;
}

/* v1: the file that shows a controller's dir is there, and the round's
 * file it is (CG_NFILES: none, only checked). */
static const char *const v1_sentinel[CG_NCTRL] = {
    "cpuacct.usage", "memory.usage_in_bytes", NULL, "pids.current",
    "cpu.cfs_period_us"};
static const enum cg_file v1_sentinel_file[CG_NCTRL] = {
    CG_F_CPU, CG_F_MEM_USAGE, CG_F_BLK, CG_F_PIDS, CG_NFILES};

/* v1: the dir of controller i, from the path proc shows for it when
 * usable, else the engine's layouts (paths[1..]). The blkio dir also sets
 * the blkio file to read. */
static void find_v1_dir(struct cg *cg, const struct cg_proc *proc, int i,
                        const char **paths, struct cg_container *c, char *tried,
                        size_t triedlen)
{
    static const char *const blk_names[] = {
        "blkio.throttle.io_service_bytes",
        "blkio.io_service_bytes_recursive", /* CFQ kernels */
    };
    bool found = proc && proc->ctrl[i].found;
    char *own = NULL;
    if (found && path_usable(proc->ctrl[i].path)) {
        own = xstrdup(proc->ctrl[i].path);
        cut_at_container(own, c->id);
    }
    paths[0] = own;
    const char *mounts[] = {found ? proc->ctrl[i].mount : NULL, ctrl_names[i]};
    if (mounts[0] && strcmp(mounts[0], ctrl_names[i]) == 0)
        mounts[1] = NULL;
    enum cg_file f = v1_sentinel_file[i];
    int fd = -1;
    if (i == CG_BLKIO) {
        for (size_t k = 0; k < 2 && !c->dir[i]; k++) {
            c->dir[i] = find_dir(cg, mounts, 2, paths, 3, blk_names[k], tried,
                                 triedlen, &fd);
            if (c->dir[i])
                c->path[CG_F_BLK] = xasprintf("%s/%s", c->dir[i], blk_names[k]);
        }
    } else {
        c->dir[i] = find_dir(cg, mounts, 2, paths, 3, v1_sentinel[i], tried,
                             triedlen, f < CG_NFILES ? &fd : NULL);
    }
    if (f < CG_NFILES)
        keep_fd(cg, c, f, fd);
    paths[0] = NULL;
    free(own);
}

/* Finds the container's cgroup dirs into c: from the paths proc shows for
 * its pid (NULL: none), else the engine's layouts for its id. The v1 cpu
 * controller's dir only when want_cpu. 0 or -1 with err listing what was
 * tried. */
static int find_dirs(struct cg *cg, const struct cg_proc *proc,
                     enum cg_version version, bool want_cpu,
                     struct cg_container *c, char *err, size_t errlen)
{
    char tried[1024] = "", who[64];
    char *docker_path = xasprintf("/docker/%s", c->id);
    char *systemd_path = xasprintf("/system.slice/docker-%s.scope", c->id);
    int rc = 0;

    if (c->pid > 0)
        snprintf(who, sizeof who, "container %.12s (pid %d)", c->id, c->pid);
    else
        snprintf(who, sizeof who, "container %.12s", c->id);
    if (version == CG_V1) {
        const char *paths[] = {NULL, docker_path, systemd_path};
        for (int i = 0; i < CG_NCTRL; i++)
            if (i != CG_CPU || want_cpu)
                find_v1_dir(cg, proc, i, paths, c, tried, sizeof tried);
        if (!c->dir[CG_CPUACCT] || !c->dir[CG_MEMORY]) {
            snprintf(err, errlen,
                     "%s: no cgroup v1 cpuacct/memory dir found; tried %s", who,
                     tried);
            rc = -1;
        }
    } else {
        char *own = NULL;
        if (proc && proc->has_unified && path_usable(proc->unified)) {
            own = xstrdup(proc->unified);
            cut_at_container(own, c->id);
        }
        const char *paths[] = {own, systemd_path, docker_path};
        const char *mounts[] = {""};
        int fd;
        c->unified = find_dir(cg, mounts, 1, paths, 3, "cpu.stat", tried,
                              sizeof tried, &fd);
        keep_fd(cg, c, CG_F_CPU, fd);
        free(own);
        if (!c->unified) {
            snprintf(err, errlen, "%s: no cgroup v2 dir found; tried %s", who,
                     tried);
            rc = -1;
        }
    }
    free(docker_path);
    free(systemd_path);
    return rc;
}

/* The files a round reads, from the dirs found. v2's io.stat and
 * pids.current exist only when those controllers are enabled for the
 * container: absent ones are not read (and not reported). */
static void set_files(struct cg *cg, struct cg_container *c)
{
    if (c->version == CG_V1) {
        const char *mem = c->dir[CG_MEMORY];
        c->path[CG_F_CPU] = xasprintf("%s/cpuacct.usage", c->dir[CG_CPUACCT]);
        c->path[CG_F_MEM_USAGE] = xasprintf("%s/memory.usage_in_bytes", mem);
        c->path[CG_F_MEM_LIMIT] = xasprintf("%s/memory.limit_in_bytes", mem);
        c->path[CG_F_MEM_STAT] = xasprintf("%s/memory.stat", mem);
        if (c->dir[CG_PIDS])
            c->path[CG_F_PIDS] = xasprintf("%s/pids.current", c->dir[CG_PIDS]);
    } else {
        const char *dir = c->unified;
        c->path[CG_F_CPU] = xasprintf("%s/cpu.stat", dir);
        c->path[CG_F_MEM_USAGE] = xasprintf("%s/memory.current", dir);
        c->path[CG_F_MEM_LIMIT] = xasprintf("%s/memory.max", dir);
        c->path[CG_F_MEM_STAT] = xasprintf("%s/memory.stat", dir);
        c->path[CG_F_BLK] = xasprintf("%s/io.stat", dir);
        c->path[CG_F_PIDS] = xasprintf("%s/pids.current", dir);
        for (int f = CG_F_BLK; f <= CG_F_PIDS; f++) {
            int fd = open(c->path[f], O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                free(c->path[f]);
                c->path[f] = NULL;
            }
            keep_fd(cg, c, (enum cg_file)f, fd);
        }
    }
    c->path[CG_F_NET_DEV] = xasprintf("%s/%d/net/dev", cg->proc_root, c->pid);
}

/* Checks id (a name, not a path) and notes it in c, reset. */
static int container_start(struct cg_container *c, const char *id, int pid,
                           char *err, size_t errlen)
{
    container_reset(c);
    size_t idlen = strlen(id);
    if (idlen == 0 || idlen >= sizeof c->id || strchr(id, '/') || pid < 0) {
        snprintf(err, errlen, "bad container id or pid (%d)", pid);
        return -1;
    }
    memcpy(c->id, id, idlen + 1);
    c->pid = pid;
    return 0;
}

int cg_resolve(struct cg *cg, const char *id, int pid, struct cg_container *c,
               char *err, size_t errlen)
{
    char e2[256];
    struct cg_proc *proc = NULL;
    char *path = NULL;
    int rc = -1;

    if (pid <= 0) {
        container_reset(c);
        snprintf(err, errlen, "bad container id or pid (%d)", pid);
        return -1;
    }
    if (container_start(c, id, pid, err, errlen))
        return -1;
    path = xasprintf("%s/%d/cgroup", cg->proc_root, pid);
    long n = read_small(cg, path, e2, sizeof e2);
    if (n == CG_GONE) {
        snprintf(err, errlen, "%s: no such process", path);
        rc = CG_GONE;
        goto out;
    }
    if (n < 0) {
        snprintf(err, errlen, "%s", e2);
        goto out;
    }
    proc = xmalloc(sizeof *proc);
    if (cg_parse_proc_cgroup(cg->buf, (size_t)n, proc, e2, sizeof e2) != 0) {
        snprintf(err, errlen, "%s: %s", path, e2);
        goto out;
    }
    if (find_dirs(cg, proc, proc->version, false, c, err, errlen))
        goto out;
    c->version = proc->version;
    set_files(cg, c);
    rc = 0;
out:
    if (rc != 0)
        container_reset(c);
    free(proc);
    free(path);
    return rc;
}

/* The first pid in dir/cgroup.procs into c->pid. 0, CG_GONE, CG_NEED_PID
 * or -1, with err. */
static int pid_from_procs(struct cg *cg, struct cg_container *c,
                          const char *dir, char *err, size_t errlen)
{
    char e2[256];
    if (!cg->procs_usable) {
        snprintf(err, errlen,
                 "%s/self is not this process: the proc root shows another "
                 "pid namespace, in which cgroup.procs' pids mean nothing",
                 cg->proc_root);
        return CG_NEED_PID;
    }
    char *path = xasprintf("%s/cgroup.procs", dir);
    long n = read_small(cg, path, err, errlen);
    int rc = n < 0 ? (int)n : 0;
    if (rc == 0 &&
        cg_parse_first_pid(cg->buf, (size_t)n, &c->pid, e2, sizeof e2)) {
        snprintf(err, errlen, "%s: %s", path, e2);
        rc = -1;
    }
    if (rc == 0 && c->pid <= 0) {
        snprintf(err, errlen,
                 "%s: no process (they are in sub-cgroups, or outside this "
                 "pid namespace)",
                 path);
        rc = CG_NEED_PID;
    }
    free(path);
    return rc;
}

/* Reads a small file in dir into cg->buf: 0, CG_GONE or -1 with err. */
static long read_in(struct cg *cg, const char *dir, const char *name, char *err,
                    size_t errlen)
{
    char *path = xasprintf("%s/%s", dir, name);
    long n = read_small(cg, path, err, errlen);
    free(path);
    return n;
}

/* The CPU limit from cgroupfs into c->cpu_limit_cores. 0, CG_GONE,
 * CG_NEED_PID or -1, with err. */
static int cpu_limit_from_cgroup(struct cg *cg, struct cg_container *c,
                                 char *err, size_t errlen)
{
    char e2[256];
    if (c->version == CG_V2) {
        long n = read_in(cg, c->unified, "cpu.max", err, errlen);
        if (n == CG_GONE) {
            /* the cpu controller is not enabled here: no limit is set */
            c->cpu_limit_cores = 0.0;
            return 0;
        }
        if (n < 0)
            return -1;
        if (cg_parse_cpu_max(cg->buf, (size_t)n, &c->cpu_limit_cores, e2,
                             sizeof e2)) {
            snprintf(err, errlen, "%s/cpu.max: %s", c->unified, e2);
            return -1;
        }
        return 0;
    }
    const char *dir = c->dir[CG_CPU];
    if (!dir) {
        snprintf(err, errlen,
                 "container %.12s: no cgroup v1 cpu controller dir (for "
                 "cpu.cfs_quota_us)",
                 c->id);
        return CG_NEED_PID;
    }
    long n = read_in(cg, dir, "cpu.cfs_quota_us", err, errlen);
    if (n < 0)
        return (int)n;
    char *quota = xmalloc((size_t)n + 1);
    memcpy(quota, cg->buf, (size_t)n + 1);
    long m = read_in(cg, dir, "cpu.cfs_period_us", err, errlen);
    int rc = m < 0 ? (int)m : 0;
    if (rc == 0 && cg_parse_cfs(quota, (size_t)n, cg->buf, (size_t)m,
                                &c->cpu_limit_cores, e2, sizeof e2)) {
        snprintf(err, errlen, "%s: %s", dir, e2);
        rc = -1;
    }
    free(quota);
    return rc;
}

/* Whether process pid is in the host's network namespace into c->no_net.
 * 0, CG_GONE, CG_NEED_PID or -1, with err. */
static int host_net_from_ns(struct cg *cg, struct cg_container *c, char *err,
                            size_t errlen)
{
    if (cg->host_net_kind == NETID_NONE) {
        snprintf(err, errlen,
                 "neither %s/1/ns/net nor %s/1/net/dev can be read: the "
                 "host's network namespace is unknown",
                 cg->proc_root, cg->proc_root);
        return CG_NEED_PID;
    }
    const char *rel = cg->host_net_kind == NETID_NS ? "ns/net" : "net/dev";
    char *path = xasprintf("%s/%d/%s", cg->proc_root, c->pid, rel);
    struct stat st;
    int rc = 0;
    if (stat(path, &st) != 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        rc = is_gone_errno(e) ? CG_GONE : CG_NEED_PID;
    } else {
        c->no_net =
            st.st_dev == cg->host_net_dev && st.st_ino == cg->host_net_ino;
    }
    free(path);
    return rc;
}

int cg_resolve_id(struct cg *cg, const char *id, struct cg_container *c,
                  char *err, size_t errlen)
{
    char e2[384];
    if (container_start(c, id, 0, err, errlen))
        return -1;
    c->version = cg->host_version;
    if (find_dirs(cg, NULL, c->version, true, c, e2, sizeof e2)) {
        snprintf(err, errlen, "not in the engine's known cgroup layouts: %s",
                 e2);
        container_reset(c);
        return CG_NEED_PID;
    }
    const char *dir = c->version == CG_V1 ? c->dir[CG_CPUACCT] : c->unified;
    int rc = pid_from_procs(cg, c, dir, err, errlen);
    if (rc == 0)
        rc = cpu_limit_from_cgroup(cg, c, err, errlen);
    if (rc == 0)
        rc = host_net_from_ns(cg, c, err, errlen);
    if (rc != 0) {
        container_reset(c);
        return rc;
    }
    set_files(cg, c);
    return 0;
}

/* Wraps a parser's message with the file it came from. */
static int parse_fail(char *err, size_t errlen, const char *path,
                      const char *msg)
{
    snprintf(err, errlen, "%s: %s", path, msg);
    return -1;
}

static int read_u64_file(struct cg *cg, struct cg_container *c, enum cg_file f,
                         bool limit, uint64_t *out, char *err, size_t errlen)
{
    char e2[256];
    long n = read_file(cg, c, f, err, errlen);
    if (n < 0)
        return (int)n;
    int rc = limit ? cg_parse_limit(cg->buf, (size_t)n, out, e2, sizeof e2)
                   : cg_parse_u64(cg->buf, (size_t)n, out, e2, sizeof e2);
    if (rc != 0)
        return parse_fail(err, errlen, c->path[f], e2);
    return 0;
}

/* memory.stat: v1 total_inactive_file, inactive_file, total_cache; v2
 * inactive_file, file (the page cache). */
static int read_mem_stat(struct cg *cg, struct cg_container *c,
                         struct stats_sample *out, char *err, size_t errlen)
{
    static const char *const v1_keys[] = {"inactive_file", "total_cache",
                                          "total_inactive_file"};
    static const char *const v2_keys[] = {"inactive_file", "file"};
    bool v1 = c->version == CG_V1;
    char e2[256];
    uint64_t vals[3] = {0, 0, 0};
    uint32_t found = 0;
    long n = read_file(cg, c, CG_F_MEM_STAT, err, errlen);
    if (n < 0)
        return (int)n;
    if (cg_parse_flat(cg->buf, (size_t)n, v1 ? v1_keys : v2_keys, v1 ? 3 : 2,
                      vals, &found, e2, sizeof e2) != 0)
        return parse_fail(err, errlen, c->path[CG_F_MEM_STAT], e2);
    out->have |= STATS_HAVE_MEM;
    if (found & 1u) {
        out->mem_inactive_file = vals[0];
        out->have |= STATS_HAVE_INACTIVE_FILE;
    }
    out->mem_cache = vals[1];
    if (found & 4u) {
        out->mem_total_inactive_file = vals[2];
        out->have |= STATS_HAVE_TOTAL_INACTIVE_FILE;
    }
    return 0;
}

static int read_cpu(struct cg *cg, struct cg_container *c,
                    struct stats_sample *out, char *err, size_t errlen)
{
    static const char *const cpu_keys[] = {"usage_usec"};
    const char *path = c->path[CG_F_CPU];
    char e2[256];
    uint64_t usec = 0;
    uint32_t found = 0;

    if (c->version == CG_V1) {
        int rc = read_u64_file(cg, c, CG_F_CPU, false, &out->cpu_usage_ns, err,
                               errlen);
        if (rc)
            return rc;
        out->have |= STATS_HAVE_CPU;
        return 0;
    }
    long n = read_file(cg, c, CG_F_CPU, err, errlen);
    if (n < 0)
        return (int)n;
    if (cg_parse_flat(cg->buf, (size_t)n, cpu_keys, 1, &usec, &found, e2,
                      sizeof e2) != 0)
        return parse_fail(err, errlen, path, e2);
    if (!(found & 1u))
        return parse_fail(err, errlen, path, "no usage_usec line");
    if (usec > UINT64_MAX / 1000)
        return parse_fail(err, errlen, path, "usage_usec out of range");
    out->cpu_usage_ns = usec * 1000;
    out->have |= STATS_HAVE_CPU;
    return 0;
}

/* The cgroup files of one sample; with counters_only, those a rate needs
 * (CPU, block I/O) and not memory or pids. */
static int read_cgroup_files(struct cg *cg, struct cg_container *c,
                             bool counters_only, struct stats_sample *out,
                             char *err, size_t errlen)
{
    char e2[256];
    int rc = read_cpu(cg, c, out, err, errlen);
    if (rc == 0 && !counters_only)
        rc = read_u64_file(cg, c, CG_F_MEM_USAGE, false, &out->mem_usage, err,
                           errlen);
    if (rc == 0 && !counters_only)
        rc = read_u64_file(cg, c, CG_F_MEM_LIMIT, true, &out->mem_limit, err,
                           errlen);
    if (rc == 0 && !counters_only)
        rc = read_mem_stat(cg, c, out, err, errlen);
    if (rc)
        return rc;
    if (c->path[CG_F_BLK]) {
        long n = read_file(cg, c, CG_F_BLK, err, errlen);
        if (n < 0)
            return (int)n;
        rc = c->version == CG_V1
                 ? cg_parse_blkio_v1(cg->buf, (size_t)n, &out->blk_read,
                                     &out->blk_write, e2, sizeof e2)
                 : cg_parse_io_stat(cg->buf, (size_t)n, &out->blk_read,
                                    &out->blk_write, e2, sizeof e2);
        if (rc)
            return parse_fail(err, errlen, c->path[CG_F_BLK], e2);
        out->have |= STATS_HAVE_BLK;
    }
    if (c->path[CG_F_PIDS] && !counters_only) {
        rc = read_u64_file(cg, c, CG_F_PIDS, false, &out->pids, err, errlen);
        if (rc)
            return rc;
        out->have |= STATS_HAVE_PIDS;
    }
    return 0;
}

static int read_sample(struct cg *cg, struct cg_container *c,
                       bool counters_only, int64_t time_ns,
                       struct stats_sample *out, char *err, size_t errlen)
{
    char e2[256];

    stats_sample_init(out);
    out->source = STATS_SRC_CGROUP;
    out->time_ns = time_ns;
    out->cpu_limit_cores = c->cpu_limit_cores;
    if (c->version != CG_V1 && c->version != CG_V2) {
        snprintf(err, errlen, "container %.12s: cgroup not resolved", c->id);
        return -1;
    }
    int rc = read_cgroup_files(cg, c, counters_only, out, err, errlen);
    if (rc)
        return rc;
    if (cg->host_mem > 0 && out->mem_limit > cg->host_mem)
        out->mem_limit = cg->host_mem; /* as dockerd: unlimited → host */

    if (c->no_net) {
        /* host network: docker shows 0B / 0B (no endpoint of its own) */
        out->net_rx = out->net_tx = 0;
        out->have |= STATS_HAVE_NET;
        return 0;
    }
    /* gone: the init process exited, the container stopped or restarted */
    long n = read_file(cg, c, CG_F_NET_DEV, err, errlen);
    if (n < 0)
        return (int)n;
    if (cg_parse_net_dev(cg->buf, (size_t)n, &out->net_rx, &out->net_tx, e2,
                         sizeof e2) != 0)
        return parse_fail(err, errlen, c->path[CG_F_NET_DEV], e2);
    out->have |= STATS_HAVE_NET;
    return 0;
}

int cg_read(struct cg *cg, struct cg_container *c, int64_t time_ns,
            struct stats_sample *out, char *err, size_t errlen)
{
    return read_sample(cg, c, false, time_ns, out, err, errlen);
}

int cg_read_counters(struct cg *cg, struct cg_container *c, int64_t time_ns,
                     struct stats_sample *out, char *err, size_t errlen)
{
    return read_sample(cg, c, true, time_ns, out, err, errlen);
}
