/* The HTTP listener both programs serve /healthz, /metrics and their own
 * paths on (endpoint.h), on libmicrohttpd. */
#include "endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ep_route_def {
    const char *path;
    ep_handler fn;
    void *ud;
    size_t max_body;
};

struct ep_req {
    struct MHD_Connection *conn;
    const char *url;
};

struct endpoint {
    struct MHD_Daemon *mhd;
    struct ep_route_def routes[EP_ROUTES_MAX];
    size_t nroutes;
    unsigned port;
    pthread_mutex_t lock; /* guards the published state below */
    char *metrics;
    bool healthy;
    char reason[256];
    int64_t published_ms; /* monotonic time of the last ep_publish */
    int64_t stale_ms;
    ep_extra_fn extra; /* appended to /metrics (ep_metrics_extra) */
    void *extra_ud;
    size_t extra_max;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ep_set_stale_after(struct endpoint *ep, int64_t stale_ms)
{
    if (!ep)
        return;
    pthread_mutex_lock(&ep->lock);
    ep->stale_ms = stale_ms;
    pthread_mutex_unlock(&ep->lock);
}

void ep_metrics_extra(struct endpoint *ep, ep_extra_fn fn, void *ud, size_t max)
{
    if (!ep)
        return;
    pthread_mutex_lock(&ep->lock);
    ep->extra = fn;
    ep->extra_ud = ud;
    ep->extra_max = max;
    pthread_mutex_unlock(&ep->lock);
}

/* GET /metrics: the published text, then the extra series rendered now;
 * handed to libmicrohttpd without another copy. */
static enum MHD_Result serve_metrics(struct endpoint *ep,
                                     struct MHD_Connection *conn)
{
    struct buf m;
    pthread_mutex_lock(&ep->lock);
    const char *pub = ep->metrics ? ep->metrics : "";
    size_t n = strlen(pub);
    ep_extra_fn extra = ep->extra;
    void *ud = ep->extra_ud;
    buf_init(&m, n + ep->extra_max + 1);
    int full = buf_append(&m, pub, n);
    pthread_mutex_unlock(&ep->lock);
    if (!full && extra && extra(ud, &m)) {
        /* what fitted: whole lines (the fn appends whole lines) */
    }
    size_t len = m.len;
    char *text = buf_take(&m);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, text ? text : (char *)"",
        text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

void ep_publish(struct endpoint *ep, const char *metrics, bool healthy,
                const char *reason)
{
    if (!ep)
        return;
    char *copy = xstrdup(metrics ? metrics : "");
    pthread_mutex_lock(&ep->lock);
    free(ep->metrics);
    ep->metrics = copy;
    ep->healthy = healthy;
    ep->published_ms = mono_ms();
    snprintf(ep->reason, sizeof ep->reason, "%s", reason ? reason : "");
    pthread_mutex_unlock(&ep->lock);
}

int ep_parse_listen(const char *listen, char *addr, size_t addrlen,
                    unsigned *port, char *err, size_t errlen)
{
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    char *end;
    if (!colon) {
        snprintf(err, errlen,
                 "--listen \"%.100s\": expected ADDR:PORT, e.g. "
                 "127.0.0.1:9102 or :9102",
                 listen ? listen : "");
        return -1;
    }
    size_t alen = (size_t)(colon - listen);
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p < 0 || p > 65535) {
        snprintf(err, errlen,
                 "--listen \"%.100s\": the port must be a number from 0 to "
                 "65535",
                 listen);
        return -1;
    }
    if (alen >= addrlen) {
        snprintf(err, errlen, "--listen \"%.100s\": address too long", listen);
        return -1;
    }
    memcpy(addr, listen, alen);
    addr[alen] = '\0';
    if (alen == 0)
        snprintf(addr, addrlen, "0.0.0.0");
    struct in_addr ia;
    if (inet_pton(AF_INET, addr, &ia) != 1) {
        snprintf(err, errlen,
                 "--listen \"%.100s\": \"%.64s\" is not an IPv4 address",
                 listen, addr);
        return -1;
    }
    *port = (unsigned)p;
    return 0;
}

const char *ep_arg(struct ep_req *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *ep_path(struct ep_req *req)
{
    return req->url;
}

void ep_route(struct endpoint *ep, const char *path, ep_handler fn, void *ud,
              size_t max_body)
{
    if (!ep || ep->nroutes == EP_ROUTES_MAX)
        return;
    ep->routes[ep->nroutes++] = (struct ep_route_def){path, fn, ud, max_body};
}

static const struct ep_route_def *route_of(const struct endpoint *ep,
                                           const char *url)
{
    for (size_t i = 0; i < ep->nroutes; i++) {
        const char *p = ep->routes[i].path;
        size_t n = strlen(p);
        if (!strcmp(p, url) ||
            (n > 1 && p[n - 1] == '/' && !strncmp(p, url, n)))
            return &ep->routes[i];
    }
    return NULL;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
                             const char *type, struct buf *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        body->len, body->ptr ? body->ptr : (char *)"", MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* A request that announces a body (Content-Length above 0, or chunked). */
static bool has_body(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return te || (cl && strspn(cl, "0") != strlen(cl));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct endpoint *ep = cls;
    struct buf body;
    enum MHD_Result rc;
    (void)version;
    (void)upload;
    if (*con_cls == NULL && has_body(conn)) {
        /* nothing here takes a body: refused before any of it is read
         * (the connection is closed after the answer) */
        *con_cls = ep;
        buf_init(&body, 256);
        if (buf_puts(&body, "no request body is accepted here\n")) {
        }
        rc = reply(conn, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain", &body);
        buf_cleanup(&body);
        return rc;
    }
    if (*upload_size) {
        *upload_size = 0; /* a body after the refusal: dropped */
        return MHD_YES;
    }
    buf_init(&body, 4u * 1024);
    const struct ep_route_def *route = route_of(ep, url);
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        if (buf_puts(&body, "only GET\n")) {
        }
        rc = reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", &body);
    } else if (!strcmp(url, "/healthz")) {
        pthread_mutex_lock(&ep->lock);
        bool ok = ep->healthy;
        int64_t age = mono_ms() - ep->published_ms;
        if (ok && ep->stale_ms > 0 && ep->published_ms > 0 &&
            age > ep->stale_ms) {
            ok = false;
            if (buf_printf(&body, "stalled: no round finished for %llds\n",
                           (long long)(age / 1000))) {
            }
        } else if (buf_printf(&body, "%s\n", ep->reason)) {
        }
        pthread_mutex_unlock(&ep->lock);
        rc = reply(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                   "text/plain", &body);
    } else if (!strcmp(url, "/metrics")) {
        rc = serve_metrics(ep, conn);
    } else if (route) {
        struct ep_req req = {conn, url};
        const char *type = "text/plain";
        buf_cleanup(&body);
        buf_init(&body, route->max_body);
        unsigned status = route->fn(route->ud, &req, &body, &type);
        rc = reply(conn, status, type, &body);
    } else {
        if (buf_puts(&body, "not found: try /healthz or /metrics\n")) {
        }
        rc = reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", &body);
    }
    buf_cleanup(&body);
    return rc;
}

struct endpoint *ep_start(const char *listen, char *err, size_t errlen)
{
    char addr[64];
    unsigned port;
    if (ep_parse_listen(listen, addr, sizeof addr, &port, err, errlen))
        return NULL;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, addr, &sa.sin_addr);

    struct endpoint *ep = xcalloc(1, sizeof *ep);
    pthread_mutex_init(&ep->lock, NULL);
    snprintf(ep->reason, sizeof ep->reason, "starting");
    ep->mhd = MHD_start_daemon(
        /* poll/epoll, not select: ds keeps many files open, so accepted
         * sockets may be numbered past FD_SETSIZE */
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        on_request, ep, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        /* a few slow sockets must not starve the health check: many
         * connections in all, few from one address, idle ones closed */
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)EP_CONNECTIONS_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)EP_CONNECTIONS_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)EP_IDLE_TIMEOUT_S,
        MHD_OPTION_END);
    if (!ep->mhd) {
        snprintf(err, errlen,
                 "cannot listen on %.100s: address in use or not local",
                 listen);
        pthread_mutex_destroy(&ep->lock);
        free(ep);
        return NULL;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(ep->mhd, MHD_DAEMON_INFO_BIND_PORT);
    ep->port = info ? info->port : port;
    return ep;
}

unsigned ep_port(const struct endpoint *ep)
{
    return ep->port;
}

void ep_stop(struct endpoint *ep)
{
    if (!ep)
        return;
    MHD_stop_daemon(ep->mhd);
    pthread_mutex_destroy(&ep->lock);
    free(ep->metrics);
    free(ep);
}
