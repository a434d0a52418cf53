/* The tasks of swarm services (GET /tasks, once per das cycle): when each
 * replica started running (so replicas still warming up are left out of
 * the means) and which tasks stay pending because no node can run them
 * (capacity-bound: adding replicas would not add capacity).
 *
 * The parsers take decoded JSON or text and do no I/O, so recorded
 * replies test them and a fuzzer drives them. */
#ifndef DAS_SWARM_TASKS_H
#define DAS_SWARM_TASKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strpool.h"
#include "xmalloc.h"

struct dkr;

/* One task that should be running (DesiredState running). */
/* The largest task object of GET /tasks taken (a task is a few KB). */
#define STASK_MAX_TASK_BYTES (1024u * 1024u)

struct stask {
    char service[72];   /* ServiceID */
    char container[16]; /* the container's short id (12 hex), "" when none */
    bool running;       /* Status.State running */
    bool pending;       /* new or pending: waiting for a node */
    bool starting;      /* assigned .. starting: on a node, not running
                           yet (a health check not passed yet) */
    int64_t since_ms;   /* Status.Timestamp: when it entered its state */
    uint32_t err;       /* Status.Err (why it is pending, on one line, at
                           most STASK_ERR_MAX bytes): stask_err; 0 when
                           none */
};

#define STASK_ERR_MAX 159

struct stask_list {
    struct stask *v; /* sorted by service, then container */
    size_t n;
    struct strpool texts; /* each distinct Status.Err once: 100,000
                             pending tasks mostly give one reason, and 160
                             bytes in every task were 16 MB of das's
                             peak */
};

/* A task's Status.Err, "" when none. */
const char *stask_err(const struct stask_list *l, const struct stask *t);

/* Parses RFC 3339 time as Docker writes it ("2026-11-28T22:30:00.123Z",
 * nanoseconds and a "+01:00" offset allowed) into Unix milliseconds. 0 /
 * -1 on anything else. */
int stask_parse_time(const char *s, int64_t *ms) WUR;

/* Parses the array of GET /tasks into *out (heap; stask_list_free). Tasks
 * whose DesiredState is not running are skipped; a task without ID,
 * ServiceID or Status is an error (-1 + err). */
int stask_parse_list(const json_t *arr, struct stask_list *out, char *err,
                     size_t errlen) WUR;
void stask_list_free(struct stask_list *l);

/* GET /tasks?filters={"desired-state":["running"]}. */
int stask_list(struct dkr *d, struct stask_list *out, char *err,
               size_t errlen) WUR;

/* A service's tasks: how many run and how many wait for a node (pending;
 * tasks on their way to running are neither), and in words why the first
 * waiting one waits ("insufficient resources on 3 nodes"; "" when
 * none waits or Docker gave no reason). */
struct stask_count {
    long running, pending;
    char why[160];
};
void stask_count(const struct stask_list *l, const char *service,
                 struct stask_count *out);

/* Is the service's container warming up, and is its task counted in
 * stask_count's running? STASK_STARTING: its task is on its way to running
 * (assigned .. starting), not counted; STASK_WARMING: it runs since less
 * than warmup_ms; STASK_MATURE otherwise; STASK_NONE: no running or
 * starting task of the service names it (a replica gone since, or a
 * container that only carries the service's labels). */
enum stask_age { STASK_MATURE, STASK_WARMING, STASK_STARTING, STASK_NONE };
enum stask_age stask_age(const struct stask_list *l, const char *service,
                         const char *container, int64_t now_ms,
                         int64_t warmup_ms);

/* When the service's container (short id, or a longer id of which the
 * first 12 characters are taken) started running (the later start when a
 * listing names it twice); -1 when no running task of the list has it. */
int64_t stask_started(const struct stask_list *l, const char *service,
                      const char *container);

#endif
