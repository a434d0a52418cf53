/* Docker Engine API client on http.h (unix socket, or TCP with TLS).
 *
 * The API version is negotiated once, on the first call: GET /_ping (is it
 * there at all), then GET /version → ApiVersion; requests then go to
 * /v<min(server, 1.41)>/… (1.41 is what this code was written against:
 * dockerd 20.10). Servers older than 1.24 are refused (no swarm services).
 *
 * Generic calls (dkr_call, dkr_json) let other modules add endpoints
 * (services, nodes, tasks) in their own files. */
#ifndef DAS_DOCKER_H
#define DAS_DOCKER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "stats.h"
#include "xmalloc.h"

#define DKR_API_MAX_MAJOR 1
#define DKR_API_MAX_MINOR 41
#define DKR_API_MIN_MINOR 24

/* Return code besides 0 and -1: the container does not exist (404) or is
 * not running (it stopped between list and stats). */
#define DKR_GONE (-2)

struct dkr;

/* TLS settings for tcp:// hosts (ignored for unix://). */
struct dkr_tls {
    bool enable;           /* https */
    bool verify;           /* verify the daemon's certificate with ca.pem */
    const char *cert_path; /* dir with ca.pem, cert.pem, key.pem; NULL →
                            * $HOME/.docker */
};

/* Creates a client, docker CLI style. docker_host: "unix:///path",
 * "tcp://host:port" (port defaults to 2375, 2376 with TLS), or NULL/"" for
 * $DOCKER_HOST, then unix:///var/run/docker.sock. TLS comes from the
 * environment as the docker CLI reads it: DOCKER_TLS_VERIFY (set and not
 * "0"/"false": TLS with verification), DOCKER_TLS (TLS without
 * verification), DOCKER_CERT_PATH (default ~/.docker). Nothing is sent
 * yet. NULL + err on a bad host or missing certificate files. */
struct dkr *dkr_new(const char *docker_host, char *err, size_t errlen);
/* The same with TLS given explicitly (the environment is not read for
 * TLS; docker_host NULL still falls back to $DOCKER_HOST). tls NULL is
 * every setting off: an https:// host is then reached unverified. */
struct dkr *dkr_new_tls(const char *docker_host, const struct dkr_tls *tls,
                        char *err, size_t errlen);
void dkr_free(struct dkr *d);
/* The host as given (for messages). */
const char *dkr_host(const struct dkr *d);

/* Negotiates the API version now (every call does it when needed; a failed
 * negotiation is retried by the next call). 0 ok, -1 + err. */
int dkr_negotiate(struct dkr *d, char *err, size_t errlen) WUR;
/* "1.41" once negotiated, else NULL. */
const char *dkr_api_version(const struct dkr *d);

/* One request to /v1.xx<path_and_query> (path starts with '/').
 * json_body may be NULL (sent as application/json otherwise). Returns 0
 * when a response arrived, whatever its status (resp->status, resp->body);
 * -1 + err on a transport failure or a failed negotiation. resp must be
 * initialised (http_resp_init). */
int dkr_call(struct dkr *d, const char *method, const char *path_and_query,
             const char *json_body, struct http_resp *resp, char *err,
             size_t errlen) WUR;

/* dkr_call plus JSON: 0 when the status is 2xx and the body is JSON (or
 * empty: *out = NULL); *out is a new reference (json_decref it). Otherwise
 * -1 and err holds "METHOD path: <status> <Docker's message>" (or the
 * transport / JSON error with its position); *status is the HTTP status (0
 * when no response arrived), so callers can tell 404 from other errors.
 * status may be NULL. */
int dkr_json(struct dkr *d, const char *method, const char *path,
             const char *body, json_t **out, long *status, char *err,
             size_t errlen) WUR;

/* GET path whose answer is a JSON array, read as it arrives: each
 * element is parsed alone and handed to each() (jarray.h), so a listing
 * of 100,000 tasks is never held whole. 0 when the status is 2xx and the
 * whole array was read; -1 + err ("GET path: <status> <Docker's
 * message>", the transport error, or where the array went wrong). An
 * element over max_elem bytes is an error. */
int dkr_json_each(struct dkr *d, const char *path, size_t max_elem,
                  int (*each)(const json_t *elem, size_t index, void *ctx),
                  void *ctx, char *err, size_t errlen) WUR;

/* GET /info, the parts das and ds use. */
struct dkr_info {
    char *name;             /* engine name (hostname) */
    char *node_id;          /* Swarm.NodeID; "" outside a swarm */
    char *node_addr;        /* Swarm.NodeAddr: the node's advertised
                               address; "" outside a swarm */
    char *local_node_state; /* Swarm.LocalNodeState: "active", "inactive" … */
    bool control_available; /* Swarm.ControlAvailable: a manager */
    long ncpu;
    int64_t mem_total;
    char *server_version;
    char *cgroup_driver; /* "cgroupfs", "systemd" */
    int cgroup_version;  /* 1 or 2 (0 when the daemon doesn't say) */
};
void dkr_info_cleanup(struct dkr_info *info);
int dkr_info(struct dkr *d, struct dkr_info *out, char *err, size_t errlen) WUR;
/* Pure: parses a GET /info body into out (cleanup on success only). */
int dkr_parse_info(const char *json, size_t len, struct dkr_info *out,
                   char *err, size_t errlen) WUR;

/* One running container from GET /containers/json. */
struct dkr_container {
    char id[65];        /* full id */
    char *name;         /* without the leading '/' */
    char *service_id;   /* label com.docker.swarm.service.id, or NULL */
    char *service_name; /* label com.docker.swarm.service.name, or NULL */
};
struct dkr_container_list {
    struct dkr_container *v;
    size_t n;
};
void dkr_container_list_cleanup(struct dkr_container_list *l);
/* Running containers. 0 ok (out owns the list; clean it up), -1 + err. */
int dkr_containers(struct dkr *d, struct dkr_container_list *out, char *err,
                   size_t errlen) WUR;
/* Pure: parses a GET /containers/json body. Entries without a valid id are
 * skipped. */
int dkr_parse_containers(const char *json, size_t len,
                         struct dkr_container_list *out, char *err,
                         size_t errlen) WUR;

/* GET /containers/{id}/json, the parts ds uses. */
struct dkr_inspect {
    char id[65];
    bool running;
    int pid;                /* State.Pid (host pid namespace); 0 when stopped */
    char started_at[40];    /* State.StartedAt: changes when it restarts */
    int64_t nano_cpus;      /* HostConfig.NanoCpus */
    int64_t cpu_quota;      /* HostConfig.CpuQuota (us) */
    int64_t cpu_period;     /* HostConfig.CpuPeriod (us) */
    int64_t memory;         /* HostConfig.Memory (bytes; 0 = none) */
    double cpu_limit_cores; /* stats_limit_cores of the above; 0 = none */
    bool host_network;      /* HostConfig.NetworkMode == "host" */
};
/* 0 ok, DKR_GONE when there is no such container, -1 + err. */
int dkr_inspect(struct dkr *d, const char *id, struct dkr_inspect *out,
                char *err, size_t errlen) WUR;
int dkr_parse_inspect(const char *json, size_t len, struct dkr_inspect *out,
                      char *err, size_t errlen) WUR;

/* One container's GET /containers/{id}/stats?stream=false reply. */
struct dkr_stats {
    int rc; /* 0 ok, DKR_GONE (404, or not running), -1 (see err) */
    char err[256];
    char id[65];
    struct stats_sample cur; /* source STATS_SRC_API; cpu_limit_cores 0:
                              * the caller sets it from dkr_inspect */
    struct stats_sample pre; /* precpu_stats + preread, when has_pre */
    bool has_pre;            /* false with one-shot=true */
};
/* Pure: parses one stats reply (the JSON object docker sends) into out
 * (out->rc and out->err are set too). Returns 0, DKR_GONE for a container
 * that is not running (zero "read" time) or -1 with err saying what was
 * wrong and where (JSON line/column or field). Sums networks over all
 * reported interfaces; block I/O over io_service_bytes_recursive entries
 * whose op starts with r/R or w/W, as docker/cli does. */
int dkr_parse_stats(const char *json, size_t len, struct dkr_stats *out,
                    char *err, size_t errlen) WUR;
/* GET /containers/{id}/stats?stream=false&one-shot=true for ids[0..n) in
 * parallel (at most max_parallel at once; 0 → 64), each parsed into
 * out[i]. A container that stopped meanwhile gets rc DKR_GONE. Returns the
 * number of containers with rc 0.
 * Cost (measured, dockerd 20.10, 32 containers): the daemon answers each
 * request at its next 1 s collection tick (one-shot skips the second
 * sample, not the tick), so a round takes ~1 s per max_parallel batch and
 * ~50 ms of daemon CPU; the cgroup reader does the same round in ~2 ms. */
size_t dkr_stats_many(struct dkr *d, const char *const *ids, size_t n,
                      struct dkr_stats *out, size_t max_parallel);

/* Container lifecycle events from GET /events (type container, actions
 * start and die) between since_ns and until_ns (Unix ns; until_ns must not
 * be in the future or the daemon waits for it).
 * Which is cheaper, measured (dockerd 20.10, 32 running containers, 200
 * calls each): GET /containers/json costs 1.65 ms of dockerd CPU + 0.35 ms
 * of client CPU per call and grows with the containers; GET /events with
 * since/until and no news costs 0.10 ms + 0.03 ms. So poll events each
 * round and relist only when one arrives — plus now and then as a safety
 * net: events are not replayed across a daemon restart. */
struct dkr_event {
    char id[65];
    char action[16]; /* "start" or "die" */
    int64_t time_ns;
};
struct dkr_event_list {
    struct dkr_event *v;
    size_t n;
};
void dkr_event_list_cleanup(struct dkr_event_list *l);
int dkr_events_since(struct dkr *d, int64_t since_ns, int64_t until_ns,
                     struct dkr_event_list *out, char *err, size_t errlen) WUR;
/* Pure: parses the concatenated JSON objects GET /events sends. */
int dkr_parse_events(const char *text, size_t len, struct dkr_event_list *out,
                     char *err, size_t errlen) WUR;

/* Pure: RFC 3339 time ("2026-11-27T19:37:49.086643536Z", offsets too) →
 * Unix ns. -1 when malformed or out of range. */
int dkr_parse_time(const char *s, int64_t *ns) WUR;

/* The engine's clock from its last reply's Date header, and this host's
 * when it arrived (http_server_clock): for calls that name the engine's
 * times (GET /events since/until) from a host whose clock differs. */
bool dkr_server_clock(const struct dkr *d, int64_t *server_ms,
                      int64_t *local_ms);

#endif
