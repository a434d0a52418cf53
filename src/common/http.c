/* HTTP on libcurl (http.h): unix socket, TCP and TLS, bounded bodies,
 * parallel requests through the multi interface. */
#include "http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HTTP_DEFAULT_MAX_BODY (16u * 1024 * 1024)

struct http {
    char *base;      /* http(s)://host:port, no trailing slash */
    char *shown;     /* base without userinfo, or the socket's path */
    char *unix_path; /* unix socket path or NULL */
    bool tls_verify;
    char *ca, *cert, *key;
    char *user, *password;
    char *auth_header; /* "Authorization: Token|Bearer …" or NULL */
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_body;
    CURL *easy;       /* reused: keeps the connection alive */
    int64_t date_ms;  /* the last response's Date header; 0: none */
    int64_t local_ms; /* this host's clock when it arrived */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct http *http_new(const struct http_conf *conf, char *err, size_t errlen)
{
    const char *url = conf->url;
    pthread_once(&curl_once, curl_init_once);
    if (!url || !*url) {
        snprintf(err, errlen, "empty URL");
        return NULL;
    }
    if (conf->token) {
        if (conf->user) {
            snprintf(err, errlen,
                     "a user (basic auth) and a token both given: use one");
            return NULL;
        }
        size_t tl = strlen(conf->token);
        bool bad = tl == 0;
        for (size_t i = 0; i < tl; i++) {
            unsigned char ch = (unsigned char)conf->token[i];
            if (ch <= 0x20 || ch == 0x7f)
                bad = true;
        }
        if (bad) {
            snprintf(err, errlen,
                     "the token is empty or has spaces or control bytes "
                     "(expected one line of printable characters)");
            return NULL;
        }
    }
    struct http *h = xcalloc(1, sizeof *h);
    if (strncmp(url, "unix://", 7) == 0) {
        if (url[7] != '/') {
            char *shown = http_url_shown(url);
            snprintf(err, errlen,
                     "bad unix socket URL \"%.200s\": use unix:///path/to.sock",
                     shown);
            free(shown);
            free(h);
            return NULL;
        }
        h->unix_path = xstrdup(url + 7);
        h->base = xstrdup("http://localhost");
    } else if (strncmp(url, "tcp://", 6) == 0) {
        h->base = xasprintf("%s://%s", conf->tls ? "https" : "http", url + 6);
    } else if (strncmp(url, "http://", 7) == 0 ||
               strncmp(url, "https://", 8) == 0) {
        h->base = xstrdup(url);
    } else {
        char *shown = http_url_shown(url);
        snprintf(err, errlen,
                 "bad URL \"%.200s\": use unix:///path, tcp://host:port, "
                 "http://host:port or https://host:port",
                 shown);
        free(shown);
        free(h);
        return NULL;
    }
    size_t bl = strlen(h->base);
    while (bl > 0 && h->base[bl - 1] == '/')
        h->base[--bl] = '\0';
    h->shown = h->unix_path ? xstrdup(h->unix_path) : http_url_shown(h->base);
    h->tls_verify = !conf->tls_no_verify;
    h->ca = xstrdup(conf->ca);
    h->cert = xstrdup(conf->cert);
    h->key = xstrdup(conf->key);
    h->user = xstrdup(conf->user);
    h->password = xstrdup(conf->password);
    if (conf->token)
        h->auth_header =
            xasprintf("Authorization: %s %s", conf->bearer ? "Bearer" : "Token",
                      conf->token);
    h->connect_timeout_ms =
        conf->connect_timeout_ms > 0 ? conf->connect_timeout_ms : 3000;
    h->timeout_ms = conf->timeout_ms > 0 ? conf->timeout_ms : 30000;
    h->max_body = conf->max_body ? conf->max_body : HTTP_DEFAULT_MAX_BODY;
    h->easy = curl_easy_init();
    if (!h->easy) {
        snprintf(err, errlen, "curl_easy_init failed");
        http_free(h);
        return NULL;
    }
    return h;
}

void http_free(struct http *h)
{
    if (!h)
        return;
    if (h->easy)
        curl_easy_cleanup(h->easy);
    free(h->base);
    free(h->shown);
    free(h->unix_path);
    free(h->ca);
    free(h->cert);
    free(h->key);
    free(h->user);
    if (h->password) {
        memset(h->password, 0, strlen(h->password));
        free(h->password);
    }
    if (h->auth_header) {
        memset(h->auth_header, 0, strlen(h->auth_header));
        free(h->auth_header);
    }
    free(h);
}

const char *http_base(const struct http *h)
{
    return h->shown;
}

char *http_url_shown(const char *url)
{
    const char *scheme = strstr(url, "://");
    if (!scheme)
        return xstrdup(url);
    const char *auth = scheme + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            at = p;
    if (!at)
        return xstrdup(url);
    return xasprintf("%.*s%s", (int)(auth - url), url, at + 1);
}

void http_resp_init(struct http_resp *r)
{
    r->status = 0;
    r->toobig = false;
    buf_init(&r->body, HTTP_DEFAULT_MAX_BODY);
}

void http_resp_cleanup(struct http_resp *r)
{
    if (r)
        buf_cleanup(&r->body);
}

struct sink {
    struct buf *body;
    bool toobig;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (buf_append(s->body, ptr, n)) {
        s->toobig = true;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    return n;
}

/* Sets every option of one request on an easy handle. */
static void setup_easy(struct http *h, CURL *c, const char *method,
                       const char *url, struct curl_slist *hdrs,
                       const char *body, size_t body_len, struct sink *sink,
                       char *errbuf)
{
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (h->unix_path) {
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->unix_path);
        curl_easy_setopt(c, CURLOPT_PROXY, "");
    } else if (!getenv("NO_PROXY") && !getenv("no_proxy")) {
        /* an http_proxy from the environment never carries loopback */
        curl_easy_setopt(c, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    }
    if (h->ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, h->ca);
    if (h->cert)
        curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert);
    if (h->key)
        curl_easy_setopt(c, CURLOPT_SSLKEY, h->key);
    if (strncmp(h->base, "https://", 8) == 0) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h->tls_verify ? 1L : 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h->tls_verify ? 2L : 0L);
    }
    if (h->user) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, h->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, h->password ? h->password : "");
    }
    if (hdrs)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(body ? body_len : 0));
    }
}

static void describe_failure(struct http *h, CURLcode rc, const struct sink *s,
                             const char *errbuf, char *err, size_t errlen)
{
    if (s->toobig)
        snprintf(err, errlen, "%s: response body over %zu bytes, refused",
                 http_base(h), h->max_body);
    else
        snprintf(err, errlen, "%s: %s", http_base(h),
                 errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

/* Keeps the server's clock from the response's Date header (RFC 9110:
 * whole seconds) and this host's clock when it arrived. */
static void note_date(struct http *h)
{
    struct curl_header *hd = NULL;
    struct timespec ts;
    h->date_ms = 0;
    if (curl_easy_header(h->easy, "Date", 0, CURLH_HEADER, -1, &hd) !=
            CURLHE_OK ||
        !hd || !hd->value)
        return;
    time_t t = curl_getdate(hd->value, NULL);
    if (t <= 0)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->date_ms = (int64_t)t * 1000;
    h->local_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A streamed reply: the Date header was written when the server began to
 * answer; pair it with when its first byte arrived here (the reply may
 * take many seconds to finish). */
static void note_date_at(struct http *h, int64_t first_byte_ms)
{
    note_date(h);
    if (h->date_ms && first_byte_ms > 0)
        h->local_ms = first_byte_ms;
}

bool http_server_clock(const struct http *h, int64_t *server_ms,
                       int64_t *local_ms)
{
    if (!h || h->date_ms == 0)
        return false;
    *server_ms = h->date_ms;
    *local_ms = h->local_ms;
    return true;
}

int http_request(struct http *h, const char *method, const char *path,
                 const char *content_type, const char *body, size_t body_len,
                 struct http_resp *resp, char *err, size_t errlen)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    char *url = xasprintf("%s%s", h->base, path);
    struct sink sink = {&resp->body, false};
    int rc = -1;

    buf_reset(&resp->body);
    resp->body.max = h->max_body;
    resp->status = 0;
    resp->toobig = false;
    h->date_ms = 0;
    if (content_type) {
        char *ct = xasprintf("Content-Type: %s", content_type);
        hdrs = curl_slist_append(hdrs, ct);
        free(ct);
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (h->auth_header)
        hdrs = curl_slist_append(hdrs, h->auth_header);
    setup_easy(h, h->easy, method, url, hdrs, body, body_len, &sink, errbuf);
    CURLcode cc = curl_easy_perform(h->easy);
    if (cc != CURLE_OK) {
        resp->toobig = sink.toobig;
        describe_failure(h, cc, &sink, errbuf, err, errlen);
        goto out;
    }
    curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &resp->status);
    note_date(h);
    if (!resp->body.ptr && buf_append(&resp->body, "", 0) != 0)
        goto out;
    rc = 0;
out:
    curl_slist_free_all(hdrs);
    free(url);
    return rc;
}

struct stream_sink {
    int (*fn)(void *ctx, const char *p, size_t n);
    void *ctx;
    bool aborted;
    bool got;         /* a byte of the body arrived */
    int64_t first_ms; /* when (this host's clock) */
    /* the stall watch: the bytes seen so far and when they last grew
     * (monotonic ms); stalled once nothing came for stall_ms */
    curl_off_t seen;
    int64_t since_ms, stall_ms;
    bool stalled;
};

static int64_t mono_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    struct stream_sink *s = userdata;
    (void)dltotal;
    (void)ultotal;
    (void)ulnow;
    int64_t now = mono_now_ms();
    if (dlnow != s->seen) {
        s->seen = dlnow;
        s->since_ms = now;
        return 0;
    }
    if (now - s->since_ms >= s->stall_ms) {
        s->stalled = true;
        return 1; /* CURLE_ABORTED_BY_CALLBACK */
    }
    return 0;
}

static size_t on_stream(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct stream_sink *s = userdata;
    size_t n = size * nmemb;
    if (!s->got) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s->first_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    s->got = true;
    if (s->fn(s->ctx, ptr, n)) {
        s->aborted = true;
        return 0; /* CURLE_WRITE_ERROR */
    }
    return n;
}

int http_request_stream(struct http *h, const char *method, const char *path,
                        const char *content_type, const char *accept,
                        const char *body, size_t body_len,
                        int (*sink)(void *ctx, const char *p, size_t n),
                        void *ctx, long *status, char *err, size_t errlen)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    char *url = xasprintf("%s%s", h->base, path);
    struct buf unused;
    struct sink plain = {&unused, false};
    struct stream_sink ss = {sink, ctx, false, false, 0, 0, 0, 0, false};
    int rc = -1;

    buf_init(&unused, 1);
    *status = 0;
    h->date_ms = 0;
    if (content_type) {
        char *ct = xasprintf("Content-Type: %s", content_type);
        hdrs = curl_slist_append(hdrs, ct);
        free(ct);
    }
    if (accept) {
        char *ac = xasprintf("Accept: %s", accept);
        hdrs = curl_slist_append(hdrs, ac);
        free(ac);
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (h->auth_header)
        hdrs = curl_slist_append(hdrs, h->auth_header);
    setup_easy(h, h->easy, method, url, hdrs, body, body_len, &plain, errbuf);
    curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, &ss);
    /* A reply read as it arrives may take longer than timeout_ms in all
     * while it keeps coming: what fails is a stall (no byte for
     * timeout_ms), and HTTP_STREAM_MAX_TIMEOUTS × timeout_ms in all. */
    ss.stall_ms = h->timeout_ms;
    ss.since_ms = mono_now_ms();
    curl_easy_setopt(h->easy, CURLOPT_TIMEOUT_MS,
                     h->timeout_ms * HTTP_STREAM_MAX_TIMEOUTS);
    curl_easy_setopt(h->easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h->easy, CURLOPT_XFERINFODATA, &ss);
    CURLcode cc = curl_easy_perform(h->easy);
    /* after a transfer that failed before any answer, libcurl may still
     * report the handle's previous status */
    if (cc == CURLE_OK || ss.got)
        curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, status);
    if (cc != CURLE_OK) {
        if (ss.aborted)
            snprintf(err, errlen, "%s: response aborted by the reader",
                     http_base(h));
        else if (ss.stalled)
            snprintf(err, errlen,
                     "%s: Operation timed out: nothing received for %ld ms",
                     http_base(h), h->timeout_ms);
        else
            describe_failure(h, cc, &plain, errbuf, err, errlen);
        goto out;
    }
    note_date_at(h, ss.first_ms);
    rc = 0;
out:
    buf_cleanup(&unused);
    curl_slist_free_all(hdrs);
    free(url);
    return rc;
}

size_t http_get_many(struct http *h, size_t n, const char *const *paths,
                     struct http_resp *resps, char (*errs)[256],
                     size_t max_parallel)
{
    CURLM *m = curl_multi_init();
    CURL **easy = xcalloc(n ? n : 1, sizeof *easy);
    struct sink *sinks = xcalloc(n ? n : 1, sizeof *sinks);
    char(*errbufs)[CURL_ERROR_SIZE] = xcalloc(n ? n : 1, sizeof *errbufs);
    size_t next = 0, running = 0, ok = 0;

    struct curl_slist *hdrs = NULL;
    if (h->auth_header)
        hdrs = curl_slist_append(hdrs, h->auth_header);
    if (max_parallel == 0)
        max_parallel = 16;
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)max_parallel);
    while (next < n || running > 0) {
        while (next < n && running < max_parallel) {
            size_t i = next++;
            char *url = xasprintf("%s%s", h->base, paths[i]);
            buf_reset(&resps[i].body);
            resps[i].body.max = h->max_body;
            resps[i].status = 0;
            errs[i][0] = '\0';
            sinks[i].body = &resps[i].body;
            sinks[i].toobig = false;
            easy[i] = curl_easy_init();
            if (!easy[i]) {
                snprintf(errs[i], 256, "curl_easy_init failed");
                free(url);
                continue;
            }
            setup_easy(h, easy[i], "GET", url, hdrs, NULL, 0, &sinks[i],
                       errbufs[i]);
            curl_easy_setopt(easy[i], CURLOPT_PRIVATE, (void *)&sinks[i]);
            /* the URL is copied by libcurl */
            free(url);
            curl_multi_add_handle(m, easy[i]);
            running++;
        }
        int still = 0;
        curl_multi_perform(m, &still);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *c = msg->easy_handle;
            struct sink *sp = NULL;
            curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&sp);
            if (!sp)
                continue;
            size_t i = (size_t)(sp - sinks);
            if (msg->data.result == CURLE_OK) {
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resps[i].status);
                ok++;
            } else {
                describe_failure(h, msg->data.result, &sinks[i], errbufs[i],
                                 errs[i], 256);
            }
            curl_multi_remove_handle(m, c);
            curl_easy_cleanup(c);
            easy[i] = NULL;
            running--;
        }
        if (running > 0)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(hdrs);
    free(easy);
    free(sinks);
    free(errbufs);
    return ok;
}

int http_urlencode(const char *s, struct buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char enc[3];
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
            *p == '~') {
            if (buf_append(out, p, 1))
                return -1;
            continue;
        }
        enc[0] = '%';
        enc[1] = hex[*p >> 4];
        enc[2] = hex[*p & 15];
        if (buf_append(out, enc, 3))
            return -1;
    }
    return 0;
}
