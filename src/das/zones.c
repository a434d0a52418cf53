/* The schedules' time zones, read from the tz database's files and kept
 * (zones.h). */
#include "zones.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dur.h"
#include "xmalloc.h"

struct zone_entry {
    char name[TZ_NAME_MAX];
    struct tz tz;
};

struct zones {
    struct tz utc;
    struct zone_entry **v; /* each its own allocation: a zone handed out
                              stays where it is */
    size_t n;
};

struct zones *zones_new(void)
{
    struct zones *zs = xcalloc(1, sizeof *zs);
    tz_init_utc(&zs->utc);
    return zs;
}

void zones_free(struct zones *zs)
{
    if (!zs)
        return;
    for (size_t i = 0; i < zs->n; i++) {
        tz_cleanup(&zs->v[i]->tz);
        free(zs->v[i]);
    }
    free(zs->v);
    free(zs);
}

/* The file of a checked name into buf (at most TZ_FILE_MAX bytes). The
 * length, or -1 and err. */
static long read_zone(const char *name, unsigned char *buf, char *err,
                      size_t errlen)
{
    char path[sizeof ZONES_DIR + TZ_NAME_MAX + 1];
    snprintf(path, sizeof path, "%s/%s", ZONES_DIR, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            errf(err, errlen,
                 "no such zone in " ZONES_DIR "; use a name of the tz "
                 "database such as Europe/Paris, America/New_York or UTC "
                 "(package tzdata)");
        else
            errf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    long n = -1;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        errf(err, errlen, "%s is not a zone file", path);
        goto out;
    }
    size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, TZ_FILE_MAX + 1 - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            errf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        have += (size_t)r;
        if (have > TZ_FILE_MAX) {
            errf(err, errlen, "%s is larger than %d bytes: not a zone file",
                 path, TZ_FILE_MAX);
            goto out;
        }
    }
    n = (long)have;
out:
    close(fd);
    return n;
}

const struct tz *zones_get(struct zones *zs, const char *name, char *err,
                           size_t errlen)
{
    char e[256];
    if (!name[0] || !strcmp(name, SCHED_ZONE_DEFAULT))
        return &zs->utc;
    for (size_t i = 0; i < zs->n; i++)
        if (!strcmp(zs->v[i]->name, name))
            return &zs->v[i]->tz;
    if (tz_name_check(name, e, sizeof e)) {
        errf(err, errlen, "zone %s", e);
        return NULL;
    }
    if (zs->n == ZONES_MAX) {
        errf(err, errlen, "tz=%s: more than %d zones in use; use fewer", name,
             ZONES_MAX);
        return NULL;
    }
    unsigned char *buf = xmalloc(TZ_FILE_MAX + 1);
    long n = read_zone(name, buf, e, sizeof e);
    struct tz z;
    char pe[256];
    if (n >= 0 && tz_parse(buf, (size_t)n, &z, pe, sizeof pe)) {
        snprintf(e, sizeof e, "%s/%s: %s", ZONES_DIR, name, pe);
        n = -1;
    }
    free(buf);
    if (n < 0) {
        errf(err, errlen, "tz=%s: %s", name, e);
        return NULL;
    }
    zs->v = xrealloc(zs->v, (zs->n + 1) * sizeof *zs->v);
    struct zone_entry *ze = xcalloc(1, sizeof *ze);
    zs->v[zs->n++] = ze;
    snprintf(ze->name, sizeof ze->name, "%s", name);
    ze->tz = z;
    return &ze->tz;
}

int zones_sched_now(struct zones *zs, const struct policy *p, int64_t now_ms,
                    struct sched_now *out, char *err, size_t errlen)
{
    const struct tz *z = zones_get(zs, p->sched.zone, err, errlen);
    if (!z) {
        memset(out, 0, sizeof *out);
        out->min_no = p->min_no;
        out->max_no = p->max_no;
        out->min_item = out->max_item = -1;
        return -1;
    }
    sched_eval(&p->sched, z, now_ms, p->min_no, p->max_no, out);
    return 0;
}
