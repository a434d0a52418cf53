/* /healthz and /metrics (Prometheus text) on libmicrohttpd, for both
 * programs (`--listen ADDR:PORT`). */
#ifndef DAS_ENDPOINT_H
#define DAS_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct endpoint;

/* Connections at once in all and from one address, and the seconds an
 * idle one is kept: a client that opens many sockets and sends slowly
 * takes EP_CONNECTIONS_PER_IP of them, not the health check's. */
#define EP_CONNECTIONS_MAX 256
#define EP_CONNECTIONS_PER_IP 8
#define EP_IDLE_TIMEOUT_S 5

/* Parses "ADDR:PORT" ("127.0.0.1:9102", ":9102" = all addresses, port 0 =
 * any free port) and starts serving on a thread of its own. Until the
 * first ep_publish, /healthz answers 503 "starting". NULL + err on a bad
 * address or a port in use. */
struct endpoint *ep_start(const char *listen, char *err, size_t errlen);
/* Publishes what the endpoints serve: the Prometheus text for /metrics
 * (copied) and the health verdict with its reason for /healthz. The
 * program's loop calls it after each round; the server thread only reads
 * the published copy (under a mutex). */
void ep_publish(struct endpoint *ep, const char *metrics, bool healthy,
                const char *reason);
/* /healthz answers 503 "stalled" when nothing was published for stale_ms
 * (a loop that hangs), whatever the last verdict was. 0 turns it off. A
 * dependency being down is not a reason to restart the program, so the
 * programs publish healthy with a "degraded: …" reason for that, and only
 * a stalled loop fails the health check. */
void ep_set_stale_after(struct endpoint *ep, int64_t stale_ms);
/* A path served beside /healthz and /metrics: fn fills body (its cap
 * bounds the reply; max_body when the route is added) and returns the HTTP
 * status, on the server's thread: it takes whatever lock its data needs.
 * A path that ends in '/' (other than "/" itself) serves every path under
 * it ("/service/" serves "/service/web"). arg(req, "since") reads a query
 * argument (NULL when absent); ep_path(req) is the path asked for. At most
 * EP_ROUTES_MAX routes; add them before the first request may come. */
#define EP_ROUTES_MAX 8
struct ep_req;
const char *ep_arg(struct ep_req *req, const char *key);
const char *ep_path(struct ep_req *req);
typedef unsigned (*ep_handler)(void *ud, struct ep_req *req, struct buf *body,
                               const char **content_type);
void ep_route(struct endpoint *ep, const char *path, ep_handler fn, void *ud,
              size_t max_body);
/* Text appended to /metrics at each request, after what was published:
 * fn(ud, out) on the server's thread (it takes whatever lock its data
 * needs), out bounded by max bytes (a fn that returns -1 serves what
 * fitted). For series too many to copy at every publish: they cost
 * memory only while a scrape is answered. */
typedef int (*ep_extra_fn)(void *ud, struct buf *out);
void ep_metrics_extra(struct endpoint *ep, ep_extra_fn fn, void *ud,
                      size_t max);
/* The port actually bound (useful with port 0). */
unsigned ep_port(const struct endpoint *ep);
void ep_stop(struct endpoint *ep);

/* "node:PORT": listen on the node's swarm address (ds resolves it from
 * the engine's GET /info and passes ADDR:PORT to ep_start). */
#define EP_NODE_PREFIX "node:"

/* Parses "ADDR:PORT" into its parts; 0 ok, -1 with a message. */
int ep_parse_listen(const char *listen, char *addr, size_t addrlen,
                    unsigned *port, char *err, size_t errlen) WUR;

#endif
