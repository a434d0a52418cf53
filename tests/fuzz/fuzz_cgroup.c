/* libFuzzer target: the cgroupfs and /proc parsers (cgroup.h).
 *
 * The first byte picks the parser; the rest is the file's text, handed
 * over without a NUL terminator (the parsers must stop at len). Besides
 * memory safety it checks that messages are one NUL-terminated line and
 * that what /proc/<pid>/cgroup yields is consistent (absolute paths within
 * CG_PATH_MAX, a version that matches what was found). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_msg(const char *m, size_t cap)
{
    size_t len = strnlen(m, cap);
    if (len == 0 || len == cap || memchr(m, '\n', len))
        abort();
}

static void check_path(const char *p)
{
    size_t len = strnlen(p, CG_PATH_MAX);
    if (len == 0 || len == CG_PATH_MAX || p[0] != '/')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static const char *const keys[] = {"total_inactive_file", "inactive_file",
                                       "usage_usec", "file"};
    char err[256];
    uint64_t a = 0, b = 0, vals[4];
    uint32_t found = 0;
    if (n < 1)
        return 0;
    uint8_t which = d[0] % 8;
    size_t len = n - 1;
    char *t = malloc(len ? len : 1);
    if (!t)
        return 0;
    memcpy(t, d + 1, len);

    int rc = 0;
    switch (which) {
    case 0: {
        struct cg_proc pr;
        rc = cg_parse_proc_cgroup(t, len, &pr, err, sizeof err);
        if (rc == 0) {
            bool v1 = pr.ctrl[CG_CPUACCT].found || pr.ctrl[CG_MEMORY].found;
            if (pr.version != (v1 ? CG_V1 : CG_V2))
                abort();
            if (!v1 && !pr.has_unified)
                abort();
            for (int i = 0; i < CG_NCTRL; i++)
                if (pr.ctrl[i].found)
                    check_path(pr.ctrl[i].path);
            if (pr.has_unified)
                check_path(pr.unified);
        }
        break;
    }
    case 1:
        rc = cg_parse_u64(t, len, &a, err, sizeof err);
        break;
    case 2:
        rc = cg_parse_limit(t, len, &a, err, sizeof err);
        break;
    case 3:
        rc = cg_parse_flat(t, len, keys, 4, vals, &found, err, sizeof err);
        if (rc == 0 && (found & ~0xfu))
            abort();
        break;
    case 4:
        rc = cg_parse_blkio_v1(t, len, &a, &b, err, sizeof err);
        break;
    case 5:
        rc = cg_parse_io_stat(t, len, &a, &b, err, sizeof err);
        break;
    case 6:
        rc = cg_parse_net_dev(t, len, &a, &b, err, sizeof err);
        break;
    default:
        rc = cg_parse_meminfo_total(t, len, &a, err, sizeof err);
        break;
    }
    if (rc != 0 && rc != -1)
        abort();
    if (rc != 0)
        check_msg(err, sizeof err);
    free(t);
    return 0;
}
