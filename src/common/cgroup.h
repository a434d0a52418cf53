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
 * Files read per container and round (each opened once and kept open: a
 * round pread()s them from offset 0, one reused 64 KiB buffer; an fd is
 * kept only while its number is below a bound taken from RLIMIT_NOFILE,
 * else the file is opened and closed around each read, as before):
 *   v1: cpuacct.usage, memory.usage_in_bytes, memory.limit_in_bytes,
 *       memory.stat, blkio.throttle.io_service_bytes, pids.current
 *   v2: cpu.stat, memory.current, memory.max, memory.stat, io.stat,
 *       pids.current
 *   and <proc>/<pid>/net/dev (the container's network namespace).
 * A container that goes away shows on its next read: a removed cgroup's
 * open files answer ENODEV (ENOENT/ESRCH on open): CG_GONE, and the
 * caller resolves again or drops the container (cg_container_cleanup
 * closes its fds).
 *
 * Without the engine (cg_resolve_id): the cgroup is found by the engine's
 * layouts for the id, the pid is the first one in its cgroup.procs, the CPU
 * limit comes from cpu.cfs_quota_us / cpu.cfs_period_us (v1) or cpu.max
 * (v2), and host networking from the network namespace: the pid's against
 * <proc>/1's (the ns/net links; where those may not be read, the
 * namespace's own /proc net/dev entry, which is one per namespace).
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

/* Return code of cg_resolve_id: a fact is not available from cgroupfs and
 * /proc (err says which); resolve with the engine's pid (cg_resolve). */
#define CG_NEED_PID (-3)

/* v1 controllers read (cpu: only for the CPU limit, cg_resolve_id). */
enum cg_ctrl { CG_CPUACCT = 0, CG_MEMORY, CG_BLKIO, CG_PIDS, CG_CPU, CG_NCTRL };

/* The files read every round. */
enum cg_file {
    CG_F_CPU = 0,   /* cpuacct.usage / cpu.stat */
    CG_F_MEM_USAGE, /* memory.usage_in_bytes / memory.current */
    CG_F_MEM_LIMIT, /* memory.limit_in_bytes / memory.max */
    CG_F_MEM_STAT,  /* memory.stat */
    CG_F_BLK,       /* blkio.throttle.io_service_bytes (or _recursive) /
                     * io.stat; may be absent */
    CG_F_PIDS,      /* pids.current; may be absent */
    CG_F_NET_DEV,   /* <proc>/<pid>/net/dev; absent with no_net */
    CG_NFILES
};

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
 * it every round (its files stay open). Valid while the container's cgroup
 * stays: a stopped or restarted container's reads return CG_GONE; resolve
 * again. */
struct cg_container {
    char id[65];
    int pid; /* a process of the container (host pid namespace as seen under
              * the proc root) */
    enum cg_version version;
    char *dir[CG_NCTRL];   /* v1: absolute dirs; blkio/pids/cpu may be NULL */
    char *unified;         /* v2: absolute dir */
    char *path[CG_NFILES]; /* NULL: not read */
    int fd[CG_NFILES];     /* -1: not open now */
    /* Set by the caller (from dkr_inspect) before cg_resolve, or by
     * cg_resolve_id; copied into every sample. */
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

/* Number of fds a reader keeps open at most: below this fd number a file
 * stays open between rounds (RLIMIT_NOFILE's soft limit at cg_new minus a
 * reserve for sockets, at most CG_FDS_MAX). Each kept file holds a page of
 * kernel memory (its seq_file buffer, charged to ds's memory cgroup;
 * measured: 1,000 open, read cgroup files = 3.9 MiB more Slab), so the cap
 * is ~35 MiB of it: 8,192 files, about 1,170 containers; beyond that,
 * files are opened around each read. */
#define CG_FDS_MAX 8192
#define CG_FD_RESERVE 256
int cg_fd_bound(const struct cg *cg);
/* For tests: another bound (0: open and close around every read). */
void cg_set_fd_bound(struct cg *cg, int bound);

void cg_container_init(struct cg_container *c);
/* Frees the paths and closes the open files; NULL is fine. */
void cg_container_cleanup(struct cg_container *c);

/* Finds the cgroup dirs of container id (full 64-hex id) whose init
 * process is pid, into c (cleaned up first; cpu_limit_cores and no_net are
 * kept). 0 ok; CG_GONE when the process is gone; -1 with err naming the
 * file or the paths tried. */
int cg_resolve(struct cg *cg, const char *id, int pid, struct cg_container *c,
               char *err, size_t errlen) WUR;

/* Finds the cgroup of container id (full 64-hex id) by the engine's
 * layouts alone (cgroupfs driver /docker/<id>, systemd driver
 * system.slice/docker-<id>.scope), with no pid to start from, and fills
 * in c (cleaned up first) the pid (from cgroup.procs), cpu_limit_cores and
 * no_net too. 0 ok; CG_NEED_PID with err naming the fact that is not
 * available (no cgroup in the known layouts — e.g. a --cgroup-parent —,
 * cgroup.procs empty or in another pid namespace than the proc root's, no
 * CPU controller dir on v1, neither kind of network namespace identity
 * readable): inspect the container and use cg_resolve; -1 with err. */
int cg_resolve_id(struct cg *cg, const char *id, struct cg_container *c,
                  char *err, size_t errlen) WUR;

/* Reads one sample of a resolved container; time_ns is the sample time
 * (the caller reads the clock). out->source = STATS_SRC_CGROUP. 0 ok;
 * CG_GONE when the cgroup or the process vanished (container stopped or
 * restarted; the file that said so is closed); -1 with err naming the file
 * and what was wrong. */
int cg_read(struct cg *cg, struct cg_container *c, int64_t time_ns,
            struct stats_sample *out, char *err, size_t errlen) WUR;

/* As cg_read, only the counters a rate is computed from (CPU, network,
 * block I/O): the earlier of two samples, as `ds --once` takes. */
int cg_read_counters(struct cg *cg, struct cg_container *c, int64_t time_ns,
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
/* cgroup.procs: the first pid in the list (one per line); 0 when the list
 * is empty or holds only 0s (processes outside the reader's pid
 * namespace, as v2 shows them). */
int cg_parse_first_pid(const char *text, size_t len, int *pid, char *err,
                       size_t errlen) WUR;
/* The CPU limit in cores from v2 cpu.max ("max 100000", "20000 100000"):
 * 0 when "max" (no limit). */
int cg_parse_cpu_max(const char *text, size_t len, double *cores, char *err,
                     size_t errlen) WUR;
/* The CPU limit in cores from v1 cpu.cfs_quota_us (a signed number, -1 for
 * none) and cpu.cfs_period_us: 0 when there is no limit. */
int cg_parse_cfs(const char *quota, size_t quota_len, const char *period,
                 size_t period_len, double *cores, char *err,
                 size_t errlen) WUR;
/* /proc/meminfo: MemTotal in bytes. */
int cg_parse_meminfo_total(const char *text, size_t len, uint64_t *bytes,
                           char *err, size_t errlen) WUR;

#endif
