/* The metrics store of the embedded default: the ds agents themselves.
 * Each ds keeps its node's recent points (keep.h) and serves them at
 * GET /points; das reads every agent each cycle, only what is new since
 * its last read of that agent, into a cache of recent points per field
 * (pcache.h), and makes the windows from it as from InfluxDB's points.
 *
 * Which agents: `swarm` finds them through the Engine API (the services
 * labelled AGENTS_LABEL with the port, their running tasks, the nodes'
 * addresses), so a ds that is not running is an agent not read, and its
 * node's containers fall silent (the coverage rules then hold back any
 * scale-in); or a fixed list "ADDR:PORT,ADDR:PORT" (tests, benchmarks,
 * a swarm whose agents das reaches another way).
 *
 * An agent that does not answer, or answers what is not a reply of ds,
 * is named in the log (when it starts failing, when the failure changes,
 * when it ends) and counted; the others are read as usual. Only when no
 * agent answers does the read fail. */
#ifndef DAS_AGENTS_H
#define DAS_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mstore.h"

/* The service label that marks ds's service, with the port its tasks
 * serve /points on (deploy/das.yml sets it). */
#define AGENTS_LABEL "das-agent.port"
/* The largest reply of one agent: a node of 2,000 containers × 15 minutes
 * at 10 s of one field is about 5 MiB. With AG_THREADS (8) reads at once,
 * at most 128 MiB of replies are held: half of das's 256 MiB limit in
 * the stack file. */
#define AGENTS_MAX_BODY ((size_t)16 << 20)
/* Agents at the most (nodes of a swarm). */
#define AGENTS_MAX 4096

struct dkr;
struct agents;

/* spec: "swarm" (docker needed) or "ADDR:PORT[,ADDR:PORT...]". NULL + err
 * for a spec that is neither (configuration error). overlap_ms: how far
 * before the agent's last answer each read goes back (a point a round
 * stamped before the answer but kept after it). timeout_ms bounds each
 * agent's read (a silent agent holds its cycle that long: keep it well
 * under the time a decision may wait, run.c send_limit_ms). */
struct agents *agents_new(const char *spec, struct dkr *docker,
                          int64_t overlap_ms, int64_t timeout_ms, char *err,
                          size_t errlen);
void agents_free(struct agents *a);
void agents_mstore(struct mstore *m, struct agents *a);

/* What the last reads found: agents known, answering, failing, and the
 * failures since start (for /metrics and status). */
struct agents_stats {
    size_t known, answering;
    unsigned long failures, requests, unusable;
};
void agents_get_stats(const struct agents *a, struct agents_stats *st);

/* A service's recorded load over [start_ms, end_ms) from every agent (what
 * they still keep: ds --keep), per interval_ms: the sum of its
 * containers' means, intervals without points left out, oldest first.
 * *t_ms / *value heap (free), *n of them. 0, or -1 + err when no agent
 * answered. */
int agents_demand(struct agents *a, const char *field, const char *service_id,
                  int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                  int64_t **t_ms, double **value, size_t *n, char *err,
                  size_t errlen) WUR;

/* das_agent_up{agent="ADDR:PORT",node="ID"} 0|1 per agent, for /metrics.
 * -1 when out's cap is reached. */
struct buf;
int agents_metrics(const struct agents *a, struct buf *out);

/* Pure: parses one element of GET /nodes into its id and address: a
 * manager's advertised one (ManagerStatus.Addr's host: what its ds binds
 * with node:PORT), else Status.Addr (a worker: where the managers see it
 * from; its own address unless behind NAT); false when neither is
 * there. */
struct json_t;
bool agents_node_addr(const struct json_t *node, char *id, size_t idlen,
                      char *addr, size_t addrlen);

#endif
