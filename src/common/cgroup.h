/* Reading container stats straight from cgroupfs and /proc.
 *
 * A container's cgroup is found from its init process: /proc/<pid>/cgroup
 * (the pid from the Engine API, State.Pid). Both cgroup v1 (one line per
 * hierarchy, "N:cpu,cpuacct:/docker/<id>") and v2 ("0::/system.slice/
 * docker-<id>.scope") are handled, with the cgroupfs driver (/docker/<id>)
 * and the systemd driver (system.slice/docker-<id>.scope). When the pid's
 * path is not usable as seen from here — "/" or a "/.." path because the
 * reader sits in another cgroup namespace — the known layouts are tried by
 * container id. A path below the container's own cgroup (a process in a
 * sub-cgroup) is cut back to the component that names the container.
 *
 * Roots are configurable so that ds can run in a container with the host's
 * /proc and /sys/fs/cgroup mounted read-only elsewhere (e.g. "/host/proc",
 * "/host/sys/fs/cgroup").
 *
 * Files read per container and round (open/read/close each, one reused
 * 64 KiB buffer, paths resolved once per container):
 *   v1: cpuacct.usage, memory.usage_in_bytes, memory.limit_in_bytes,
 *       memory.stat, blkio.throttle.io_service_bytes, pids.current
 *   v2: cpu.stat, memory.current, memory.max, memory.stat, io.stat,
 *       pids.current
 *   and <proc>/<pid>/net/dev (the container's network namespace).
 *
 * Network: `docker stats` sums the interfaces of the container's network
 * endpoints (eth0, …); it never counts lo, and a container without a network
 * (--network none, bridge=none engines) shows 0B / 0B. So every interface
 * except lo is summed: with only lo, net_read = net_write = 0, as docker
 * shows. Containers on the host network show 0B / 0B in docker (no endpoint
 * of their own) while /proc/<pid>/net/dev would show the host's traffic: set
 * cg_container.no_net for them (NetworkMode "host"): 0 / 0 is reported, as
 * docker shows, and the file is not read.
 *
 * Memory limit: an unlimited cgroup (v1 9223372036854771712, v2 "max") and
 * any limit above the host's memory report the host's MemTotal, as dockerd
 * does (from <proc root>/meminfo).
 *
 * Block I/O: summed Read / Write over devices (v1: blkio.throttle.
 * io_service_bytes, falling back to blkio.io_service_bytes_recursive on CFQ
 * kernels; the "Total" lines are ignored; v2: io.stat rbytes / wbytes). When
 * the blkio/io file is missing (the controller isn't enabled) the sample has
 * no STATS_HAVE_BLK; the same for pids. */
#ifndef DAS_CGROUP_H
#define DAS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "xmalloc.h"

#define CG_FILE_MAX (64 * 1024) /* bytes read from one file at most */
#define CG_PATH_MAX 512         /* a cgroup path in /proc/<pid>/cgroup */

/* Return codes besides 0 (ok) and -1 (error, see err). */
#define CG_GONE (-2) /* the process or its cgroup vanished: re-resolve */

enum cg_version { CG_VUNKNOWN = 0, CG_V1 = 1, CG_V2 = 2 };

/* v1 controllers read. */
enum cg_ctrl { CG_CPUACCT = 0, CG_MEMORY, CG_BLKIO, CG_PIDS, CG_NCTRL };

/* /proc/<pid>/cgroup, parsed. */
struct cg_proc {
    enum cg_version version; /* V1 when a v1 hierarchy has cpuacct or memory
                              * (also on hybrid hosts), else V2 when a "0::"
                              * line exists */
    struct {
        bool found;
        char mount[64]; /* hierarchy's controller list: "cpu,cpuacct" */
        char path[CG_PATH_MAX];
    } ctrl[CG_NCTRL];
    bool has_unified;
    char unified[CG_PATH_MAX]; /* the "0::" path */
};

/* A container whose cgroup was resolved: keep one per container and reuse
 * it every round. Valid while the container's init pid stays the same (a
 * restarted container has a new pid: cg_read then returns CG_GONE once the
 * old pid is gone; resolve again). */
struct cg_container {
    char id[65];
    int pid;
    enum cg_version version;
    char *dir[CG_NCTRL];  /* v1: absolute dirs; blkio/pids may be NULL */
    char *unified;        /* v2: absolute dir */
    char *net_dev;        /* <proc>/<pid>/net/dev */
    bool blkio_recursive; /* v1: read blkio.io_service_bytes_recursive */
    /* Set by the caller (from dkr_inspect); copied into every sample. */
    double cpu_limit_cores;
    bool no_net; /* host network: net counters 0, as docker shows */
};

struct cg;

/* Creates a reader over proc_root (NULL → "/proc") and cgroup_root (NULL →
 * "/sys/fs/cgroup"). Reads the host's MemTotal once. NULL + err (saying
 * what is missing and how to mount it) when a root is not there. */
struct cg *cg_new(const char *proc_root, const char *cgroup_root, char *err,
                  size_t errlen);
void cg_free(struct cg *cg);
/* Host memory in bytes (MemTotal), 0 when unknown. */
uint64_t cg_host_mem(const struct cg *cg);
/* CG_V2 when the cgroup root is a unified (v2-only) hierarchy, else CG_V1. */
enum cg_version cg_host_version(const struct cg *cg);

void cg_container_init(struct cg_container *c);
void cg_container_cleanup(struct cg_container *c);

/* Finds the cgroup dirs of container id (full 64-hex id) whose init
 * process is pid, into c (cleaned up first; cpu_limit_cores and no_net are
 * kept). 0 ok; CG_GONE when the process is gone; -1 with err naming the
 * file or the paths tried. */
int cg_resolve(struct cg *cg, const char *id, int pid, struct cg_container *c,
               char *err, size_t errlen) WUR;

/* Reads one sample of a resolved container; time_ns is the sample time
 * (the caller reads the clock). out->source = STATS_SRC_CGROUP. 0 ok;
 * CG_GONE when the cgroup or the process vanished (container stopped or
 * restarted); -1 with err naming the file and what was wrong. */
int cg_read(struct cg *cg, const struct cg_container *c, int64_t time_ns,
            struct stats_sample *out, char *err, size_t errlen) WUR;

/* Pure parsers over a text buffer (need not be NUL-terminated). Each
 * returns 0 or -1 with err saying which line and what was wrong; none
 * reads past len. */

/* /proc/<pid>/cgroup. An empty file or one without a usable line is an
 * error. Paths longer than CG_PATH_MAX are an error. */
int cg_parse_proc_cgroup(const char *text, size_t len, struct cg_proc *out,
                         char *err, size_t errlen) WUR;
/* A file holding one unsigned number (cpuacct.usage, memory.current, …). */
int cg_parse_u64(const char *text, size_t len, uint64_t *out, char *err,
                 size_t errlen) WUR;
/* A limit: a number, or "max" (v2) → UINT64_MAX. */
int cg_parse_limit(const char *text, size_t len, uint64_t *out, char *err,
                   size_t errlen) WUR;
/* Flat keyed file ("key value" lines: memory.stat, cpu.stat). For each of
 * keys[0..nkeys) found, sets vals[i] and bit i of *found (nkeys <= 32).
 * Other lines are skipped; a wanted key with a bad value is an error. */
int cg_parse_flat(const char *text, size_t len, const char *const *keys,
                  size_t nkeys, uint64_t *vals, uint32_t *found, char *err,
                  size_t errlen) WUR;
/* v1 blkio io_service_bytes: "MAJ:MIN Op value" lines plus "Total N";
 * sums Read and Write over devices. */
int cg_parse_blkio_v1(const char *text, size_t len, uint64_t *read_bytes,
                      uint64_t *write_bytes, char *err, size_t errlen) WUR;
/* v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N …"; sums rbytes and
 * wbytes over devices. An empty file is 0, 0. */
int cg_parse_io_stat(const char *text, size_t len, uint64_t *read_bytes,
                     uint64_t *write_bytes, char *err, size_t errlen) WUR;
/* /proc/<pid>/net/dev: sums receive and transmit bytes over all
 * interfaces except lo. */
int cg_parse_net_dev(const char *text, size_t len, uint64_t *rx, uint64_t *tx,
                     char *err, size_t errlen) WUR;
/* /proc/meminfo: MemTotal in bytes. */
int cg_parse_meminfo_total(const char *text, size_t len, uint64_t *bytes,
                           char *err, size_t errlen) WUR;

#endif
