#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Quotes at most 40 bytes of s for an error message. */
static const char *show(struct span s, char *out, size_t outlen)
{
    size_t j = 0;
    for (size_t i = 0; i < s.n && i < 40 && j + 5 < outlen; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out[j++] = (char)c;
        } else {
            int w = snprintf(out + j, outlen - j, "\\x%02x", c);
            if (w < 0 || (size_t)w >= outlen - j)
                break;
            j += (size_t)w;
        }
    }
    if (s.n > 40 && j + 4 < outlen) {
        memcpy(out + j, "...", 3);
        j += 3;
    }
    out[j] = '\0';
    return out;
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
                                                 "pids"};

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
            snprintf(err, errlen,
                     "line %u: \"%s\" is not \"id:controllers:path\"", lineno,
                     show(line, q, sizeof q));
            return -1;
        }
        struct span hid = {line.p, (size_t)(c1 - line.p)};
        struct span ctrls = {c1 + 1, (size_t)(c2 - c1 - 1)};
        struct span path = {c2 + 1, line.n - (size_t)(c2 + 1 - line.p)};
        uint64_t id;
        if (!span_u64(hid, &id)) {
            snprintf(err, errlen, "line %u: bad hierarchy id in \"%s\"", lineno,
                     show(line, q, sizeof q));
            return -1;
        }
        if (path.n == 0 || path.p[0] != '/') {
            snprintf(err, errlen,
                     "line %u: cgroup path in \"%s\" does not start with '/'",
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
        snprintf(err, errlen, "expected a number, found \"%s\"",
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
                snprintf(err, errlen, "line %u: bad value for %s in \"%s\"",
                         lineno, keys[i], show(line, q, sizeof q));
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
            snprintf(err, errlen, "line %u: \"%s\" is not \"MAJ:MIN Op bytes\"",
                     lineno, show(line, q, sizeof q));
            return -1;
        }
        uint64_t v;
        if (!span_u64(w3, &v)) {
            snprintf(err, errlen, "line %u: bad number in \"%s\"", lineno,
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
            snprintf(err, errlen, "line %u: \"%s\" does not start with MAJ:MIN",
                     lineno, show(line, q, sizeof q));
            return -1;
        }
        while (next_word(&words, &kv)) {
            const char *eq = memchr(kv.p, '=', kv.n);
            if (!eq) {
                snprintf(err, errlen, "line %u: \"%s\" is not key=value",
                         lineno, show(kv, q, sizeof q));
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
                snprintf(err, errlen, "line %u: bad number in \"%s\"", lineno,
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
            snprintf(err, errlen, "line %u: \"%s\" has no \"name:\"", lineno,
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
                snprintf(err, errlen, "line %u: bad counter \"%s\"", lineno,
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
            snprintf(err, errlen, "bad MemTotal line \"%s\"",
                     show(line, q, sizeof q));
            return -1;
        }
        uint64_t mult = 1;
        if (next_word(&words, &unit)) {
            if (!span_eq(unit, "kB")) {
                snprintf(err, errlen, "MemTotal in unknown unit \"%s\"",
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

struct cg {
    char *proc_root;
    char *cgroup_root;
    uint64_t host_mem;
    enum cg_version host_version;
    char *buf; /* CG_FILE_MAX + 1, reused for every file */
};

/* Reads path into cg->buf (NUL-terminated). Returns the length, CG_GONE
 * when the file (or its process / cgroup) does not exist, or -1 with err. */
static long read_small(struct cg *cg, const char *path, char *err,
                       size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ESRCH || e == ENODEV)
            return CG_GONE;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -1;
    }
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, cg->buf + got, CG_FILE_MAX + 1 - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            if (e == ENODEV || e == ESRCH)
                return CG_GONE; /* cgroup removed while reading */
            snprintf(err, errlen, "%s: %s", path, strerror(e));
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
        if (got > CG_FILE_MAX) {
            close(fd);
            snprintf(err, errlen, "%s: over %d bytes, refused", path,
                     CG_FILE_MAX);
            return -1;
        }
    }
    close(fd);
    cg->buf[got] = '\0';
    return (long)got;
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

void cg_container_init(struct cg_container *c)
{
    memset(c, 0, sizeof *c);
}

static void container_free_paths(struct cg_container *c)
{
    for (int i = 0; i < CG_NCTRL; i++) {
        free(c->dir[i]);
        c->dir[i] = NULL;
    }
    free(c->unified);
    free(c->net_dev);
    c->unified = NULL;
    c->net_dev = NULL;
}

void cg_container_cleanup(struct cg_container *c)
{
    if (!c)
        return;
    container_free_paths(c);
    memset(c, 0, sizeof *c);
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

/* Tries cgroup_root/mount/path for each candidate path and mount name; the
 * first dir holding sentinel wins. Returns a heap path or NULL and appends
 * what was tried to tried. */
static char *find_dir(struct cg *cg, const char *const *mounts, size_t nmounts,
                      const char *const *paths, size_t npaths,
                      const char *sentinel, char *tried, size_t triedlen)
{
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
            bool ok = exists(file);
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

static const char *const v1_sentinel[CG_NCTRL] = {
    "cpuacct.usage", "memory.usage_in_bytes", NULL, "pids.current"};

int cg_resolve(struct cg *cg, const char *id, int pid, struct cg_container *c,
               char *err, size_t errlen)
{
    char e2[256], tried[1024] = "";
    struct cg_proc *proc = NULL;
    char *path = NULL;
    int rc = -1;

    container_free_paths(c);
    c->version = CG_VUNKNOWN;
    c->blkio_recursive = false;
    size_t idlen = strlen(id);
    if (idlen == 0 || idlen >= sizeof c->id || strchr(id, '/') || pid <= 0) {
        snprintf(err, errlen, "bad container id or pid (%d)", pid);
        return -1;
    }
    memcpy(c->id, id, idlen + 1);
    c->pid = pid;

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

    char *docker_path = xasprintf("/docker/%s", id);
    char *systemd_path = xasprintf("/system.slice/docker-%s.scope", id);
    if (proc->version == CG_V1) {
        for (int i = 0; i < CG_NCTRL; i++) {
            char *own = NULL;
            if (proc->ctrl[i].found && path_usable(proc->ctrl[i].path)) {
                own = xstrdup(proc->ctrl[i].path);
                cut_at_container(own, id);
            }
            const char *paths[] = {own, docker_path, systemd_path};
            const char *mounts[] = {proc->ctrl[i].found ? proc->ctrl[i].mount
                                                        : NULL,
                                    ctrl_names[i]};
            if (mounts[0] && strcmp(mounts[0], ctrl_names[i]) == 0)
                mounts[1] = NULL;
            if (i == CG_BLKIO) {
                c->dir[i] = find_dir(cg, mounts, 2, paths, 3,
                                     "blkio.throttle.io_service_bytes", tried,
                                     sizeof tried);
                if (!c->dir[i]) {
                    c->dir[i] = find_dir(cg, mounts, 2, paths, 3,
                                         "blkio.io_service_bytes_recursive",
                                         tried, sizeof tried);
                    c->blkio_recursive = c->dir[i] != NULL;
                }
            } else {
                c->dir[i] = find_dir(cg, mounts, 2, paths, 3, v1_sentinel[i],
                                     tried, sizeof tried);
            }
            free(own);
        }
        if (!c->dir[CG_CPUACCT] || !c->dir[CG_MEMORY]) {
            snprintf(err, errlen,
                     "container %.12s (pid %d): no cgroup v1 cpuacct/memory "
                     "dir found; tried %s",
                     id, pid, tried);
            free(docker_path);
            free(systemd_path);
            goto out;
        }
    } else {
        char *own = NULL;
        if (proc->has_unified && path_usable(proc->unified)) {
            own = xstrdup(proc->unified);
            cut_at_container(own, id);
        }
        const char *paths[] = {own, systemd_path, docker_path};
        const char *mounts[] = {""};
        c->unified =
            find_dir(cg, mounts, 1, paths, 3, "cpu.stat", tried, sizeof tried);
        free(own);
        if (!c->unified) {
            snprintf(err, errlen,
                     "container %.12s (pid %d): no cgroup v2 dir found; "
                     "tried %s",
                     id, pid, tried);
            free(docker_path);
            free(systemd_path);
            goto out;
        }
    }
    free(docker_path);
    free(systemd_path);
    c->version = proc->version;
    c->net_dev = xasprintf("%s/%d/net/dev", cg->proc_root, pid);
    rc = 0;
out:
    if (rc != 0)
        container_free_paths(c);
    free(proc);
    free(path);
    return rc;
}

/* Reads dir/name into cg->buf. Returns length, CG_GONE or -1 (err set,
 * naming the file). */
static long read_in(struct cg *cg, const char *dir, const char *name, char *err,
                    size_t errlen)
{
    char path[PATH_MAX];
    int w = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (w < 0 || (size_t)w >= sizeof path) {
        snprintf(err, errlen, "%s/%s: path too long", dir, name);
        return -1;
    }
    long n = read_small(cg, path, err, errlen);
    if (n == CG_GONE)
        snprintf(err, errlen, "%s: gone (container stopped?)", path);
    return n;
}

/* Wraps a parser's message with the file it came from. */
static int parse_fail(char *err, size_t errlen, const char *dir,
                      const char *name, const char *msg)
{
    snprintf(err, errlen, "%s/%s: %s", dir, name, msg);
    return -1;
}

static int read_u64_in(struct cg *cg, const char *dir, const char *name,
                       bool limit, uint64_t *out, char *err, size_t errlen)
{
    char e2[256];
    long n = read_in(cg, dir, name, err, errlen);
    if (n < 0)
        return (int)n;
    int rc = limit ? cg_parse_limit(cg->buf, (size_t)n, out, e2, sizeof e2)
                   : cg_parse_u64(cg->buf, (size_t)n, out, e2, sizeof e2);
    if (rc != 0)
        return parse_fail(err, errlen, dir, name, e2);
    return 0;
}

static int read_v1(struct cg *cg, const struct cg_container *c,
                   struct stats_sample *out, char *err, size_t errlen)
{
    static const char *const mem_keys[] = {"total_inactive_file",
                                           "inactive_file", "total_cache"};
    char e2[256];
    uint64_t vals[3] = {0, 0, 0};
    uint32_t found = 0;
    int rc;
    long n;

    rc = read_u64_in(cg, c->dir[CG_CPUACCT], "cpuacct.usage", false,
                     &out->cpu_usage_ns, err, errlen);
    if (rc)
        return rc;
    out->have |= STATS_HAVE_CPU;

    const char *mem = c->dir[CG_MEMORY];
    rc = read_u64_in(cg, mem, "memory.usage_in_bytes", false, &out->mem_usage,
                     err, errlen);
    if (rc)
        return rc;
    rc = read_u64_in(cg, mem, "memory.limit_in_bytes", true, &out->mem_limit,
                     err, errlen);
    if (rc)
        return rc;
    n = read_in(cg, mem, "memory.stat", err, errlen);
    if (n < 0)
        return (int)n;
    if (cg_parse_flat(cg->buf, (size_t)n, mem_keys, 3, vals, &found, e2,
                      sizeof e2) != 0)
        return parse_fail(err, errlen, mem, "memory.stat", e2);
    out->have |= STATS_HAVE_MEM;
    if (found & 1u) {
        out->mem_total_inactive_file = vals[0];
        out->have |= STATS_HAVE_TOTAL_INACTIVE_FILE;
    }
    if (found & 2u) {
        out->mem_inactive_file = vals[1];
        out->have |= STATS_HAVE_INACTIVE_FILE;
    }
    out->mem_cache = vals[2];

    if (c->dir[CG_BLKIO]) {
        const char *name = c->blkio_recursive
                               ? "blkio.io_service_bytes_recursive"
                               : "blkio.throttle.io_service_bytes";
        n = read_in(cg, c->dir[CG_BLKIO], name, err, errlen);
        if (n < 0)
            return (int)n;
        if (cg_parse_blkio_v1(cg->buf, (size_t)n, &out->blk_read,
                              &out->blk_write, e2, sizeof e2) != 0)
            return parse_fail(err, errlen, c->dir[CG_BLKIO], name, e2);
        out->have |= STATS_HAVE_BLK;
    }
    if (c->dir[CG_PIDS]) {
        rc = read_u64_in(cg, c->dir[CG_PIDS], "pids.current", false, &out->pids,
                         err, errlen);
        if (rc)
            return rc;
        out->have |= STATS_HAVE_PIDS;
    }
    return 0;
}

static int read_v2(struct cg *cg, const struct cg_container *c,
                   struct stats_sample *out, char *err, size_t errlen)
{
    static const char *const cpu_keys[] = {"usage_usec"};
    static const char *const mem_keys[] = {"inactive_file", "file"};
    const char *dir = c->unified;
    char e2[256];
    uint64_t vals[2] = {0, 0};
    uint32_t found = 0;
    int rc;
    long n;

    n = read_in(cg, dir, "cpu.stat", err, errlen);
    if (n < 0)
        return (int)n;
    if (cg_parse_flat(cg->buf, (size_t)n, cpu_keys, 1, vals, &found, e2,
                      sizeof e2) != 0)
        return parse_fail(err, errlen, dir, "cpu.stat", e2);
    if (!(found & 1u))
        return parse_fail(err, errlen, dir, "cpu.stat", "no usage_usec line");
    if (vals[0] > UINT64_MAX / 1000)
        return parse_fail(err, errlen, dir, "cpu.stat",
                          "usage_usec out of range");
    out->cpu_usage_ns = vals[0] * 1000;
    out->have |= STATS_HAVE_CPU;

    rc = read_u64_in(cg, dir, "memory.current", false, &out->mem_usage, err,
                     errlen);
    if (rc)
        return rc;
    rc = read_u64_in(cg, dir, "memory.max", true, &out->mem_limit, err, errlen);
    if (rc)
        return rc;
    n = read_in(cg, dir, "memory.stat", err, errlen);
    if (n < 0)
        return (int)n;
    if (cg_parse_flat(cg->buf, (size_t)n, mem_keys, 2, vals, &found, e2,
                      sizeof e2) != 0)
        return parse_fail(err, errlen, dir, "memory.stat", e2);
    out->have |= STATS_HAVE_MEM;
    if (found & 1u) {
        out->mem_inactive_file = vals[0];
        out->have |= STATS_HAVE_INACTIVE_FILE;
    }
    out->mem_cache = vals[1];

    /* io.stat and pids.current exist only when those controllers are
     * enabled for the container: missing → not reported. */
    n = read_in(cg, dir, "io.stat", err, errlen);
    if (n >= 0) {
        if (cg_parse_io_stat(cg->buf, (size_t)n, &out->blk_read,
                             &out->blk_write, e2, sizeof e2) != 0)
            return parse_fail(err, errlen, dir, "io.stat", e2);
        out->have |= STATS_HAVE_BLK;
    } else if (n != CG_GONE) {
        return -1;
    }
    rc = read_u64_in(cg, dir, "pids.current", false, &out->pids, err, errlen);
    if (rc == 0)
        out->have |= STATS_HAVE_PIDS;
    else if (rc != CG_GONE)
        return rc;
    return 0;
}

int cg_read(struct cg *cg, const struct cg_container *c, int64_t time_ns,
            struct stats_sample *out, char *err, size_t errlen)
{
    char e2[256];
    int rc;

    stats_sample_init(out);
    out->source = STATS_SRC_CGROUP;
    out->time_ns = time_ns;
    out->cpu_limit_cores = c->cpu_limit_cores;
    if (c->version == CG_V1)
        rc = read_v1(cg, c, out, err, errlen);
    else if (c->version == CG_V2)
        rc = read_v2(cg, c, out, err, errlen);
    else {
        snprintf(err, errlen, "container %.12s: cgroup not resolved", c->id);
        return -1;
    }
    if (rc)
        return rc;
    if (cg->host_mem > 0 && out->mem_limit > cg->host_mem)
        out->mem_limit = cg->host_mem; /* as dockerd: unlimited → host */

    if (c->no_net) {
        /* host network: docker shows 0B / 0B (no endpoint of its own) */
        out->net_rx = out->net_tx = 0;
        out->have |= STATS_HAVE_NET;
    } else {
        long n = read_small(cg, c->net_dev, e2, sizeof e2);
        if (n == CG_GONE) {
            /* the init process exited: the container stopped or restarted */
            snprintf(err, errlen, "%s: gone (container stopped?)", c->net_dev);
            return CG_GONE;
        }
        if (n < 0) {
            snprintf(err, errlen, "%s", e2);
            return -1;
        }
        if (cg_parse_net_dev(cg->buf, (size_t)n, &out->net_rx, &out->net_tx, e2,
                             sizeof e2) != 0) {
            snprintf(err, errlen, "%s: %s", c->net_dev, e2);
            return -1;
        }
        out->have |= STATS_HAVE_NET;
    }
    return 0;
}
