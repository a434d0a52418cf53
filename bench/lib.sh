# shellcheck shell=bash
# Helpers for the benchmarks in bench/. Source it:
#
#   . "$(dirname "$0")/lib.sh"
#   bench_probe_build DIR        compiles DIR/probe (needs cc); sets PROBE
#   bench_daemon_pids BEDDIR OUT writes "group pid" lines for the bed's
#                                dockerd, containerd and containerd-shims
#   "$PROBE" run PIDS OUT -- CMD ARGS...
#   "$PROBE" cpu PIDS
#   median FILE COLUMN           median of a column (1-based) of numbers
#   minmax FILE COLUMN           "min–max" of a column
#   bench_policies_sql SVCS MAX CUR  the SQL that replaces the das table
#                                with one policy per "id name" line of SVCS
#
# `probe run` measures one command precisely:
#   * the command's own wall time (monotonic clock around fork/exec/wait4)
#     and its CPU time and peak RSS from wait4's rusage (µs, KiB) — the
#     command's children (if any) included once they are waited for;
#   * the CPU time that the processes listed in PIDS ("group pid" lines)
#     spent during that window, per group, read with clock_getcpuclockid(3)
#     before and after: the same per-process counter /proc/<pid>/stat shows
#     as utime+stime, without its 10 ms clock-tick truncation, and
#     process-wide (threads that ended count too).
# It appends one line to OUT:
#   wall_s user_s sys_s maxrss_kib cpu_<group1>_s cpu_<group2>_s ...
# in the order the groups first appear in PIDS. stdin/stdout/stderr are the
# command's. Exit status: the command's.
#
# `probe cpu PIDS` prints the same per-group CPU seconds, now (for rates).


bench_probe_build() {
  local dir=$1 cc=${CC:-cc}
  command -v "$cc" >/dev/null 2>&1 || { echo "bench: no C compiler ($cc)" >&2; return 1; }
  cat >"$dir/probe.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXP 4096
#define MAXG 8
static char groups[MAXG][64];
static int ngroups;
static int gidx[MAXP];
static pid_t pids[MAXP];
static int npids;
static int warned[MAXP];

static void load(const char *file)
{
    FILE *f = fopen(file, "r");
    char g[64];
    long p;
    if (!f) { perror(file); exit(125); }
    while (npids < MAXP && fscanf(f, "%63s %ld", g, &p) == 2) {
        int k;
        for (k = 0; k < ngroups; k++)
            if (!strcmp(groups[k], g)) break;
        if (k == ngroups) {
            if (ngroups == MAXG) { fprintf(stderr, "probe: too many groups\n"); exit(125); }
            snprintf(groups[ngroups++], sizeof groups[0], "%s", g);
        }
        gidx[npids] = k;
        pids[npids++] = (pid_t)p;
    }
    fclose(f);
}

static double ts(const struct timespec *t) { return (double)t->tv_sec + (double)t->tv_nsec / 1e9; }

static void snap(double *out)
{
    for (int k = 0; k < ngroups; k++) out[k] = 0;
    for (int i = 0; i < npids; i++) {
        clockid_t clk;
        struct timespec t;
        if (clock_getcpuclockid(pids[i], &clk) || clock_gettime(clk, &t)) {
            if (!warned[i]++)
                fprintf(stderr, "probe: pid %d (%s) is gone: not counted\n", (int)pids[i], groups[gidx[i]]);
            continue;
        }
        out[gidx[i]] += ts(&t);
    }
}

int main(int argc, char **argv)
{
    double a[MAXG], b[MAXG];
    if (argc >= 3 && !strcmp(argv[1], "cpu")) {
        load(argv[2]);
        snap(a);
        for (int k = 0; k < ngroups; k++) printf("%s%.6f", k ? " " : "", a[k]);
        printf("\n");
        return 0;
    }
    if (argc < 6 || strcmp(argv[1], "run") || strcmp(argv[4], "--")) {
        fprintf(stderr, "usage: probe run PIDS OUT -- CMD...\n       probe cpu PIDS\n");
        return 125;
    }
    load(argv[2]);
    FILE *out = fopen(argv[3], "a");
    if (!out) { perror(argv[3]); return 125; }
    struct timespec t0, t1;
    snap(a);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t c = fork();
    if (c < 0) { perror("fork"); return 125; }
    if (c == 0) {
        execvp(argv[5], argv + 5);
        fprintf(stderr, "probe: %s: %s\n", argv[5], strerror(errno));
        _exit(127);
    }
    int st;
    struct rusage ru;
    while (wait4(c, &st, 0, &ru) < 0)
        if (errno != EINTR) { perror("wait4"); return 125; }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    snap(b);
    fprintf(out, "%.6f %.6f %.6f %ld", ts(&t1) - ts(&t0),
            (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
            ru.ru_maxrss);
    for (int k = 0; k < ngroups; k++) fprintf(out, " %.6f", b[k] - a[k]);
    fprintf(out, "\n");
    fclose(out);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
EOF
  "$cc" -O2 -Wall -o "$dir/probe" "$dir/probe.c" || return 1
  # shellcheck disable=SC2034  # for the sourcing script
  PROBE=$dir/probe
}

# bench_daemon_pids BEDDIR OUT: the bed's dockerd and containerd (from their
# pid files) and every containerd-shim whose command line names the bed's
# folder (they serve its containers: `docker stats` reaches each container's
# cgroup through containerd and its shim).
bench_daemon_pids() {
  local bed=$1 out=$2 f p cmd
  : >"$out"
  for f in "$bed"/engine*/dockerd.pid; do
    echo "dockerd $(tr -dc 0-9 <"$f")" >>"$out"
  done
  for f in "$bed"/engine*/containerd.pid; do
    echo "containerd $(tr -dc 0-9 <"$f")" >>"$out"
  done
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    [[ "$cmd" == *containerd-shim*"$bed/"* ]] && echo "shims ${p#/proc/}" >>"$out"
  done
  return 0
}

# median FILE COL: the median of column COL (1-based) of FILE's lines.
median() {
  awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# minmax FILE COL: "min–max" of column COL.
minmax() {
  awk -v c="$2" 'NR == 1 || $c < lo { lo = $c } NR == 1 || $c > hi { hi = $c }
    END { printf "%s–%s", lo, hi }' "$1"
}

# bench_policies_sql SVCS MAX_NO CUR_NO: the SQL (for psql -f -) that
# empties das_events and replaces the das table with one policy per line
# ("id name") of SVCS: four kinds of policy in turn (two metrics, four
# threshold pairs, three window lengths), naming their service by full id,
# name or a 12-character id prefix. One INSERT … SELECT: seconds at 10k.
bench_policies_sql() {
  local svcs=$1 max=$2 cur=$3
  echo "create temp table bench_svc (n int, id text, name text);"
  echo "copy bench_svc (n, id, name) from stdin with (delimiter ' ');"
  awk '{ print NR, $1, $2 }' "$svcs"
  echo '\.'
  cat <<EOF
delete from das;
-- truncate, not delete: the dead rows of a previous size's history would
-- still be scanned by das's last-actions query until a vacuum
truncate das_events;
insert into das (seq, min_no, max_no, cur_no, cond_item, out_cond, in_cond,
                 out_duration, in_duration, service_id)
select n, 1, $max, $cur,
  (array['cpu_ratio', 'cpu_ratio', 'mem_ratio', 'mem_ratio'])[n % 4 + 1],
  (array['70%', '80%', '80%', '90%'])[n % 4 + 1],
  (array['20%', '30%', '40%', '50%'])[n % 4 + 1],
  (array['2m', '2m', '5m', '10m'])[n % 4 + 1],
  (array['10m', '2m', '10m', '10m'])[n % 4 + 1],
  case when n % 4 in (0, 1) then id when n % 4 = 2 then name else left(id, 12) end
from bench_svc;
EOF
}
