/* The version of ds and das, from the header CMake generates at configure
 * time (version_gen.h.in): the only file that includes it, so a new
 * revision rebuilds this file alone. */
#include <stdio.h>

#include "promexp.h"
#include "version.h"
#include "version_gen.h"

const char *version_number(void)
{
    return DAS_VERSION;
}

const char *version_revision(void)
{
    return DAS_REVISION;
}

const char *version_line(const char *prog, char *out, size_t outlen)
{
    if (DAS_REVISION[0])
        snprintf(out, outlen, "%s %s (git %s)", prog, DAS_VERSION,
                 DAS_REVISION);
    else
        snprintf(out, outlen, "%s %s", prog, DAS_VERSION);
    return out;
}

int version_metric(struct buf *out, const char *prefix)
{
    if (buf_printf(out,
                   "# HELP %s_build_info The version running (always 1).\n"
                   "# TYPE %s_build_info gauge\n"
                   "%s_build_info{version=\"",
                   prefix, prefix, prefix) ||
        pexp_label_value(DAS_VERSION, out) || buf_puts(out, "\",revision=\"") ||
        pexp_label_value(DAS_REVISION, out) || buf_puts(out, "\"} 1\n"))
        return -1;
    return 0;
}
