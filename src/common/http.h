/* HTTP on libcurl: unix socket, TCP, TLS; bounded response bodies;
 * parallel requests through the curl multi interface. */
#ifndef DAS_HTTP_H
#define DAS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct http_conf {
    /* "unix:///path/to.sock", "http://host:port", "https://host:port" or
     * "tcp://host:port" (→ http, or https when tls is set). */
    const char *url;
    bool tls; /* use https for tcp:// */
    /* An https server's certificate and host name are verified unless
     * this is set (only Docker's DOCKER_TLS_VERIFY unset asks for it), so
     * a zeroed configuration verifies. */
    bool tls_no_verify;
    const char *ca; /* PEM paths (DOCKER_CERT_PATH/{ca,cert,key}.pem) */
    const char *cert;
    const char *key;
    const char *user;     /* basic auth; NULL for none */
    const char *password; /* never logged */
    /* "Authorization: Token …" on every request (InfluxDB 2.x/3.x), or
     * "Authorization: Bearer …" when bearer is set (Prometheus); NULL for
     * none. Exclusive with user; never logged, never in a URL. */
    const char *token;
    bool bearer;
    long connect_timeout_ms; /* 0 → 3000 */
    long timeout_ms;         /* whole request; 0 → 30000 */
    size_t max_body;         /* cap on a response body; 0 → 16 MiB */
};

struct http;

struct http_resp {
    long status;     /* HTTP status; 0 when no response arrived */
    struct buf body; /* NUL-terminated, bounded by max_body */
    bool toobig;     /* the request failed on a body over max_body */
};

/* Creates a client; copies everything it needs from conf. NULL + err on a
 * bad url, on user and token both given, or on a token that is empty or
 * has spaces or control bytes (it would break the header); the message
 * never holds the token. */
struct http *http_new(const struct http_conf *conf, char *err, size_t errlen);
void http_free(struct http *h);
/* The Date header of the last response of http_request (the server's
 * clock, whole seconds) and this host's clock when it arrived, in Unix ms.
 * False when that response had none (or there was none). */
bool http_server_clock(const struct http *h, int64_t *server_ms,
                       int64_t *local_ms);

/* The base URL requests go to, for messages (no credentials in it). */
const char *http_base(const struct http *h);
/* url without its userinfo ("http://user:pw@host" → "http://host"), for
 * messages; a new string. */
char *http_url_shown(const char *url);

void http_resp_init(struct http_resp *r);
void http_resp_cleanup(struct http_resp *r);

/* One request. path starts with '/' and is appended to the base URL.
 * body may be NULL. Returns 0 when a response arrived (whatever its status:
 * check resp->status), -1 on a transport failure, an over-long body or a
 * timeout, with err saying which. */
int http_request(struct http *h, const char *method, const char *path,
                 const char *content_type, const char *body, size_t body_len,
                 struct http_resp *resp, char *err, size_t errlen) WUR;

/* One request whose response body goes to sink as it arrives, never held
 * whole: sink(ctx, bytes, n) returns 0 to go on, -1 to abort the transfer
 * (err then says "aborted by the reader"; the reader keeps its own
 * reason). accept, when not NULL, is sent as the Accept header. *status
 * gets the HTTP status (0 when no response arrived). Returns 0 when the
 * whole response arrived, -1 otherwise. max_body does not apply: the
 * reader bounds what it keeps. timeout_ms bounds a stall (no byte for
 * that long: "Operation timed out: nothing received for N ms"); the whole
 * request may take HTTP_STREAM_MAX_TIMEOUTS times as long while bytes keep
 * coming (a large reply of a busy server). */
#define HTTP_STREAM_MAX_TIMEOUTS 10
int http_request_stream(struct http *h, const char *method, const char *path,
                        const char *content_type, const char *accept,
                        const char *body, size_t body_len,
                        int (*sink)(void *ctx, const char *p, size_t n),
                        void *ctx, long *status, char *err, size_t errlen) WUR;
/* n GET requests in parallel (at most max_parallel at once). resps[i]
 * must be initialised; errs[i] (each errlen bytes) gets the transport error
 * of request i, or "" when a response arrived. Returns the number of
 * requests that got a response. */
size_t http_get_many(struct http *h, size_t n, const char *const *paths,
                     struct http_resp *resps, char (*errs)[256],
                     size_t max_parallel);

/* Percent-encodes s for a query string into out (bounded). */
int http_urlencode(const char *s, struct buf *out) WUR;

#endif
