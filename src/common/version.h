/* The version of ds and das: the project version from CMakeLists.txt and
 * the git revision the build was configured from, for --version, the
 * *_build_info gauge of /metrics and das status. */
#ifndef DAS_VERSION_H
#define DAS_VERSION_H

#include <stddef.h>

#include "buf.h"
#include "xmalloc.h"

/* "0.9.0": project(das VERSION ...) in CMakeLists.txt. */
const char *version_number(void);

/* `git describe --always --tags` of the checkout the build was configured
 * from ("74a9012", "v0.9.0-3-g74a9012"); "" when not built from git. */
const char *version_revision(void);

/* "PROG 0.9.0 (git 74a9012)", or "PROG 0.9.0" without a revision, into
 * out (truncated to outlen). Returns out. */
const char *version_line(const char *prog, char *out, size_t outlen);

/* Appends PREFIX_build_info, the Prometheus build-info gauge (always 1,
 * the version in its labels), with its HELP and TYPE lines. 0 ok, -1 when
 * out is full. */
int version_metric(struct buf *out, const char *prefix) WUR;

#endif
