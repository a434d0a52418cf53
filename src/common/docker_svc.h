/* Swarm services and nodes on the Docker Engine API (docker.h): the one
 * service listing per das cycle, resolving a policy's service reference,
 * scaling with the full spec, and the leader check.
 *
 * The parsers (dsvc_parse_*) take already-decoded JSON and do no I/O, so
 * recorded fixtures test them; the rest call the engine. */
#ifndef DAS_DOCKER_SVC_H
#define DAS_DOCKER_SVC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xmalloc.h"

struct dkr;

#define DSVC_ID_MAX 72   /* swarm ids are 25 chars; room to spare */
#define DSVC_NAME_MAX 72 /* service names are at most 63 bytes */

/* A service label whose key starts with "das." (Spec.Labels): a label
 * policy (policy.h). Longer values are cut and flagged (refused there). */
#define DSVC_LABEL_PREFIX "das."
#define DSVC_LABELS_MAX 16
struct dsvc_label {
    char key[40];
    char value[128];
    bool cut; /* the value was longer than 127 bytes */
};

/* One swarm service as GET /services shows it. */
struct dsvc {
    char id[DSVC_ID_MAX];
    char name[DSVC_NAME_MAX];
    bool global;            /* Spec.Mode.Global (also "GlobalJob") */
    bool job;               /* ReplicatedJob / GlobalJob: not scalable */
    const char *unscalable; /* NULL, or why das cannot set its replicas
                               ("in global mode: one task per node", a
                               job, a mode das does not know): a static
                               string */
    long replicas;          /* Spec.Mode.Replicated.Replicas; -1 when global */
    uint64_t version;       /* Version.Index */
    bool updating;          /* an update or rollback is in progress or paused */
    char update_state[24];  /* UpdateStatus.State, "" when none */
    double cpu_limit;       /* Spec.TaskTemplate.Resources.Limits.NanoCPUs
                               in percent of one core (cpu_ratio's unit);
                               NAN when the service sets none */
    int64_t updated_ms;     /* UpdatedAt (Unix ms); 0 when absent */
    long prev_replicas;     /* PreviousSpec.Mode.Replicated.Replicas: the
                               replicas before the last update; -1 when there
                               is no previous spec or it is not replicated */
    size_t nlabels;         /* Spec.Labels starting with "das.", at most
                               DSVC_LABELS_MAX of them (in the order the
                               engine sends them) */
    struct dsvc_label *labels; /* nlabels of them on the heap, NULL when
                                  none (most services: 16 slots in every
                                  struct were 2.7 KB a service, 54 MB of
                                  das's peak at 10,000 services). Owned
                                  by the struct dsvc_parse_service filled
                                  (dsvc_free); a copy shares them and
                                  lives no longer than its original. */
};

/* The largest service object of GET /services taken. */
#define DSVC_MAX_SERVICE_BYTES (4u * 1024u * 1024u)

struct dsvc_list {
    struct dsvc *v;
    size_t n;
    size_t skipped;     /* elements that were no service das can read */
    char skip_why[160]; /* the first one's fault */
};

/* Parses one element of GET /services (or GET /services/{id}). -1 + err
 * when ID, Spec.Name or Version.Index is missing or of the wrong type
 * (nothing to free then); else free with dsvc_free. */
int dsvc_parse_service(const json_t *obj, struct dsvc *out, char *err,
                       size_t errlen) WUR;
/* Frees what dsvc_parse_service allocated (the labels). */
void dsvc_free(struct dsvc *s);
/* Parses the array of GET /services into *out (heap; free with
 * dsvc_list_free). A malformed element fails the whole listing. */
int dsvc_parse_list(const json_t *arr, struct dsvc_list *out, char *err,
                    size_t errlen) WUR;
void dsvc_list_free(struct dsvc_list *l);

/* GET /services, once per cycle. */
int dsvc_list(struct dkr *d, struct dsvc_list *out, char *err,
              size_t errlen) WUR;

/* Resolves a policy's service reference as Docker does: full id, then
 * exact name, then unique id prefix. Returns the service, or NULL with err
 * saying "no service ..." (*ambiguous false) or which services an id prefix
 * matches (*ambiguous true). ambiguous may be NULL. */
const struct dsvc *dsvc_resolve(const struct dsvc_list *l, const char *ref,
                                bool *ambiguous, char *err, size_t errlen);

/* Sets Spec.Mode.Replicated.Replicas of a service spec in place (the spec
 * object of GET /services/{id}); everything else is kept. -1 + err when
 * the spec is not replicated. *from gets the replicas it had. */
int dsvc_spec_set_replicas(json_t *spec, long replicas, long *from, char *err,
                           size_t errlen) WUR;

/* What must still hold when dsvc_scale sends its update: check(arg, err,
 * errlen) is called after each GET of the service and right before each
 * POST …/update, the last moment das can ask (a process stopped before it
 * may resume long after it decided). 0: send; non-zero: send nothing,
 * dsvc_scale returns DSVC_DROPPED with the guard's err. */
struct dsvc_guard {
    int (*check)(void *arg, char *err, size_t errlen);
    void *arg;
};

#define DSVC_DROPPED (-2) /* the guard refused: nothing was sent */

/* Scales service id to `replicas`: GET /services/{id} for the current spec
 * and version, set the replicas, POST /services/{id}/update?version=N with
 * the full spec. On "update out of sequence" re-reads and retries (at most
 * 3 attempts). When expect_from >= 0 and the service's current replicas
 * differ from it (someone scaled meanwhile), nothing is changed and -1 is
 * returned with err saying so. guard (may be NULL) is asked before each
 * POST (struct dsvc_guard). *from (may be NULL) gets the replicas before
 * the change. */
int dsvc_scale(struct dkr *d, const char *id, long replicas, long expect_from,
               const struct dsvc_guard *guard, long *from, char *err,
               size_t errlen) WUR;

/* dsvc_scale, setting these service labels (Spec.Labels) in the same
 * update: the record of the action travels with it (hist_label.h). */
struct dsvc_set_label {
    const char *key, *value;
};
int dsvc_scale_labeled(struct dkr *d, const char *id, long replicas,
                       long expect_from, const struct dsvc_set_label *labels,
                       size_t nlabels, const struct dsvc_guard *guard,
                       long *from, char *err, size_t errlen) WUR;

/* ManagerStatus.Leader of GET /nodes/{id}; false when absent (a worker). */
bool dsvc_parse_node_leader(const json_t *node);

/* The leading manager in GET /nodes's array: "node ID (hostname)" into
 * node and ManagerStatus.Addr without its port into addr (both cut to
 * size; outside text: escape it where it is shown). 0, or -1 when no node
 * of the array leads. */
int dsvc_parse_leader(const json_t *nodes, char *node, size_t nodelen,
                      char *addr, size_t addrlen);
/* Which manager leads the swarm, from GET /nodes (the managers only):
 * dsvc_parse_leader's. -1 + err when the engine could not be asked or
 * names no leader. */
int dsvc_swarm_leader(struct dkr *d, char *node, size_t nodelen, char *addr,
                      size_t addrlen, char *err, size_t errlen) WUR;

/* Is this engine the swarm leader? GET /info, then GET /nodes/{NodeID}.
 * 0 with *leader set and why (≥ 128 bytes) saying in words what this
 * engine is ("node ID: leader", "node ID: manager, not the leader",
 * "node ID: worker", "not in a swarm (state inactive)"); -1 + err when the
 * engine could not be asked. */
int dsvc_leader(struct dkr *d, bool *leader, char *why, size_t whylen,
                char *err, size_t errlen) WUR;

#endif
