/* The Docker Engine API client (docker.h): version negotiation, requests
 * over a unix socket or TCP with TLS, the engine, its containers. */
#include "docker.h"

#include "jarray.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DKR_DEFAULT_HOST "unix:///var/run/docker.sock"

struct dkr {
    struct http *http;
    char *host;
    char prefix[16]; /* "/v1.41"; "" until negotiated */
    char version[8]; /* "1.41" */
};

/* ---- construction ---- */

static bool env_true(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0 && strcmp(v, "false") != 0 &&
           strcmp(v, "FALSE") != 0 && strcmp(v, "no") != 0;
}

/* "tcp://host" without a port gets docker's default port. */
static char *tcp_url(const char *host, bool tls)
{
    const char *hp = host + 6;
    const char *slash = strchr(hp, '/');
    size_t hlen = slash ? (size_t)(slash - hp) : strlen(hp);
    const char *rb = memchr(hp, ']', hlen); /* [::1]:2376 */
    const char *colon =
        memchr(rb ? rb : hp, ':', hlen - (size_t)((rb ? rb : hp) - hp));
    if (colon)
        return xasprintf("tcp://%.*s", (int)hlen, hp);
    return xasprintf("tcp://%.*s:%d", (int)hlen, hp, tls ? 2376 : 2375);
}

struct dkr *dkr_new_tls(const char *docker_host, const struct dkr_tls *tls,
                        char *err, size_t errlen)
{
    static const struct dkr_tls no_tls; /* none given: all off */
    struct http_conf conf;
    struct dkr *d = NULL;
    char *url = NULL, *ca = NULL, *cert = NULL, *key = NULL, *dir = NULL;

    if (!tls)
        tls = &no_tls;

    if (!docker_host || !*docker_host)
        docker_host = getenv("DOCKER_HOST");
    if (!docker_host || !*docker_host)
        docker_host = DKR_DEFAULT_HOST;
    memset(&conf, 0, sizeof conf);

    bool use_tls = false;
    if (strncmp(docker_host, "unix://", 7) == 0) {
        if (docker_host[7] != '/') {
            snprintf(err, errlen,
                     "Docker host \"%.200s\": use unix:///absolute/path.sock",
                     docker_host);
            goto out;
        }
        url = xstrdup(docker_host);
    } else if (strncmp(docker_host, "tcp://", 6) == 0) {
        if (docker_host[6] == '\0' || docker_host[6] == ':') {
            snprintf(err, errlen,
                     "Docker host \"%.200s\": no host name; use "
                     "tcp://HOST:PORT",
                     docker_host);
            goto out;
        }
        use_tls = tls && tls->enable;
        url = tcp_url(docker_host, use_tls);
    } else if (strncmp(docker_host, "http://", 7) == 0 ||
               strncmp(docker_host, "https://", 8) == 0) {
        url = xstrdup(docker_host);
        use_tls = strncmp(docker_host, "https://", 8) == 0;
    } else {
        snprintf(err, errlen,
                 "Docker host \"%.200s\" is not supported: use "
                 "unix:///var/run/docker.sock or tcp://HOST:PORT",
                 docker_host);
        goto out;
    }

    if (use_tls) {
        const char *cp =
            tls && tls->cert_path && *tls->cert_path ? tls->cert_path : NULL;
        if (!cp) {
            const char *home = getenv("HOME");
            dir = xasprintf("%s/.docker", home && *home ? home : "/root");
        } else {
            dir = xstrdup(cp);
        }
        ca = xasprintf("%s/ca.pem", dir);
        cert = xasprintf("%s/cert.pem", dir);
        key = xasprintf("%s/key.pem", dir);
        bool has_ca = access(ca, R_OK) == 0;
        bool has_cert = access(cert, R_OK) == 0;
        bool has_key = access(key, R_OK) == 0;
        if (tls->verify && !has_ca) {
            snprintf(err, errlen,
                     "TLS verification needs %s: set DOCKER_CERT_PATH to the "
                     "folder with ca.pem, cert.pem and key.pem",
                     ca);
            goto out;
        }
        if (has_cert != has_key) {
            snprintf(err, errlen, "TLS client certificate needs both %s and %s",
                     cert, key);
            goto out;
        }
        conf.tls = true;
        conf.tls_no_verify = !tls->verify;
        conf.ca = has_ca ? ca : NULL;
        conf.cert = has_cert ? cert : NULL;
        conf.key = has_key ? key : NULL;
    }
    conf.url = url;
    conf.max_body = 64u * 1024 * 1024; /* a /containers/json of many */
    char e2[512];
    struct http *h = http_new(&conf, e2, sizeof e2);
    if (!h) {
        snprintf(err, errlen, "Docker host %.200s: %s", docker_host, e2);
        goto out;
    }
    d = xcalloc(1, sizeof *d);
    d->http = h;
    d->host = xstrdup(docker_host);
out:
    free(url);
    free(ca);
    free(cert);
    free(key);
    free(dir);
    return d;
}

struct dkr *dkr_new(const char *docker_host, char *err, size_t errlen)
{
    struct dkr_tls tls;
    tls.verify = env_true("DOCKER_TLS_VERIFY");
    tls.enable = tls.verify || env_true("DOCKER_TLS");
    tls.cert_path = getenv("DOCKER_CERT_PATH");
    return dkr_new_tls(docker_host, &tls, err, errlen);
}

void dkr_free(struct dkr *d)
{
    if (!d)
        return;
    http_free(d->http);
    free(d->host);
    free(d);
}

const char *dkr_host(const struct dkr *d)
{
    return d->host;
}

const char *dkr_api_version(const struct dkr *d)
{
    return d->prefix[0] ? d->version : NULL;
}

/* ---- JSON helpers ---- */

/* Loads JSON; on an integer beyond int64 retries with integers as reals.
 * NULL + err with the position. */
static json_t *load_json(const char *text, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (!j && strstr(je.text, "too big"))
        j = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, &je);
    if (!j)
        snprintf(err, errlen, "bad JSON at line %d column %d: %s", je.line,
                 je.column, log_oneline(je.text));
    return j;
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A non-negative number (integer, or real from the fallback). */
static bool ju64(const json_t *v, uint64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0)
            return false;
        *out = (uint64_t)i;
        return true;
    }
    if (json_is_real(v)) {
        double r = json_real_value(v);
        if (!(r >= 0.0) || r >= 18446744073709551615.0)
            return false;
        *out = (uint64_t)r;
        return true;
    }
    return false;
}

static int64_t ji64(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_real(v)) {
        double r = json_real_value(v);
        if (r > -9.2e18 && r < 9.2e18)
            return (int64_t)r;
    }
    return 0;
}

static bool valid_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

/* ---- calls ---- */

static void error_text(const struct http_resp *resp, char *out, size_t outlen);

static int parse_version(const char *s, int *major, int *minor)
{
    char *end;
    errno = 0;
    long ma = strtol(s, &end, 10);
    if (errno || end == s || *end != '.' || ma < 0 || ma > 100)
        return -1;
    const char *p = end + 1;
    long mi = strtol(p, &end, 10);
    if (errno || end == p || *end != '\0' || mi < 0 || mi > 1000)
        return -1;
    *major = (int)ma;
    *minor = (int)mi;
    return 0;
}

/* Why a unix socket that exists can't be used: a non-root process without
 * the socket's group (the images run as a non-root user). "" otherwise. */
static void socket_hint(const char *host, char *out, size_t outlen)
{
    struct stat st;
    out[0] = '\0';
    if (strncmp(host, "unix://", 7) || access(host + 7, R_OK | W_OK) == 0 ||
        errno != EACCES || stat(host + 7, &st))
        return;
    snprintf(out, outlen,
             " (permission denied: the socket is uid %u gid %u mode %03o "
             "and this process runs as uid %u without that group: give it "
             "group %u, e.g. DAS_DOCKER_GID=%u for deploy/docker-stack.yml, "
             "or run it as root)",
             (unsigned)st.st_uid, (unsigned)st.st_gid,
             (unsigned)(st.st_mode & 0777), (unsigned)geteuid(),
             (unsigned)st.st_gid, (unsigned)st.st_gid);
}

int dkr_negotiate(struct dkr *d, char *err, size_t errlen)
{
    struct http_resp resp;
    char e2[512];
    json_t *j = NULL;
    int rc = -1;

    if (d->prefix[0])
        return 0;
    http_resp_init(&resp);
    if (http_request(d->http, "GET", "/_ping", NULL, NULL, 0, &resp, e2,
                     sizeof e2) != 0) {
        char hint[256];
        socket_hint(d->host, hint, sizeof hint);
        snprintf(err, errlen, "cannot reach Docker at %s: %s%s", d->host, e2,
                 hint);
        goto out;
    }
    if (resp.status != 200) {
        char body[160];
        error_text(&resp, body, sizeof body);
        snprintf(err, errlen,
                 "Docker at %s: GET /_ping answered %ld (%s): is this a "
                 "Docker engine%s?",
                 d->host, resp.status, body,
                 resp.status == 400 && strncmp(d->host, "tcp://", 6) == 0
                     ? ", or a TLS port (set DOCKER_TLS_VERIFY=1 and "
                       "DOCKER_CERT_PATH)"
                     : "");
        goto out;
    }
    if (http_request(d->http, "GET", "/version", NULL, NULL, 0, &resp, e2,
                     sizeof e2) != 0) {
        snprintf(err, errlen, "Docker at %s: GET /version: %s", d->host, e2);
        goto out;
    }
    if (resp.status != 200) {
        snprintf(err, errlen, "Docker at %s: GET /version answered %ld",
                 d->host, resp.status);
        goto out;
    }
    j = load_json(resp.body.ptr, resp.body.len, e2, sizeof e2);
    if (!j) {
        snprintf(err, errlen, "Docker at %s: GET /version: %s", d->host, e2);
        goto out;
    }
    const char *av = jstr(j, "ApiVersion");
    int ma, mi;
    if (!av || parse_version(av, &ma, &mi) != 0) {
        snprintf(err, errlen, "Docker at %s: GET /version: no ApiVersion",
                 d->host);
        goto out;
    }
    if (ma > DKR_API_MAX_MAJOR ||
        (ma == DKR_API_MAX_MAJOR && mi > DKR_API_MAX_MINOR)) {
        ma = DKR_API_MAX_MAJOR;
        mi = DKR_API_MAX_MINOR;
    }
    if (ma < 1 || (ma == 1 && mi < DKR_API_MIN_MINOR)) {
        snprintf(err, errlen,
                 "Docker at %s speaks API %d.%d; at least 1.%d (Docker "
                 "1.12) is needed",
                 d->host, ma, mi, DKR_API_MIN_MINOR);
        goto out;
    }
    snprintf(d->version, sizeof d->version, "%d.%d", ma, mi);
    snprintf(d->prefix, sizeof d->prefix, "/v%d.%d", ma, mi);
    rc = 0;
out:
    json_decref(j);
    http_resp_cleanup(&resp);
    return rc;
}

int dkr_call(struct dkr *d, const char *method, const char *path_and_query,
             const char *json_body, struct http_resp *resp, char *err,
             size_t errlen)
{
    char e2[512];
    if (dkr_negotiate(d, err, errlen) != 0)
        return -1;
    if (!path_and_query || path_and_query[0] != '/') {
        snprintf(err, errlen, "%s %s: path must start with '/'", method,
                 path_and_query ? path_and_query : "(null)");
        return -1;
    }
    char *path = xasprintf("%s%s", d->prefix, path_and_query);
    int rc = http_request(
        d->http, method, path, json_body ? "application/json" : NULL, json_body,
        json_body ? strlen(json_body) : 0, resp, e2, sizeof e2);
    free(path);
    if (rc != 0) {
        snprintf(err, errlen, "%s %s: %s", method, path_and_query, e2);
        return -1;
    }
    return 0;
}

/* Docker's error text from a non-2xx body ({"message": …}), else the
 * body's start. */
static void error_text(const struct http_resp *resp, char *out, size_t outlen)
{
    char e2[64];
    json_t *j = resp->body.len
                    ? load_json(resp->body.ptr, resp->body.len, e2, sizeof e2)
                    : NULL;
    const char *m = j ? jstr(j, "message") : NULL;
    if (m)
        snprintf(out, outlen, "%s", m);
    else if (resp->body.len)
        snprintf(out, outlen, "%.200s", resp->body.ptr);
    else
        snprintf(out, outlen, "(no message)");
    json_decref(j);
    /* one line: bodies may end in a newline */
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == ' ')
        out[--n] = '\0';
}

int dkr_json(struct dkr *d, const char *method, const char *path,
             const char *body, json_t **out, long *status, char *err,
             size_t errlen)
{
    struct http_resp resp;
    char e2[512];
    int rc = -1;

    *out = NULL;
    if (status)
        *status = 0;
    http_resp_init(&resp);
    if (dkr_call(d, method, path, body, &resp, err, errlen) != 0)
        goto out;
    if (status)
        *status = resp.status;
    if (resp.status < 200 || resp.status > 299) {
        error_text(&resp, e2, sizeof e2);
        snprintf(err, errlen, "%s %s: %ld %s", method, path, resp.status, e2);
        goto out;
    }
    if (resp.body.len == 0) {
        rc = 0;
        goto out;
    }
    *out = load_json(resp.body.ptr, resp.body.len, e2, sizeof e2);
    if (!*out) {
        snprintf(err, errlen, "%s %s: %s", method, path, e2);
        goto out;
    }
    rc = 0;
out:
    http_resp_cleanup(&resp);
    return rc;
}

struct each_sink {
    struct jarray ja;
    char head[512]; /* the body's start, for an error's message */
    size_t head_len;
};

static int each_sink(void *ctx, const char *p, size_t n)
{
    struct each_sink *s = ctx;
    if (s->head_len + 1 < sizeof s->head) {
        size_t c = sizeof s->head - 1 - s->head_len;
        if (c > n)
            c = n;
        memcpy(s->head + s->head_len, p, c);
        s->head_len += c;
        s->head[s->head_len] = '\0';
    }
    /* a refusal's body is no array: the reader remembers that, and the
     * body is read on for its message */
    if (jarray_feed(&s->ja, p, n))
        return 0;
    return 0;
}

int dkr_json_each(struct dkr *d, const char *path, size_t max_elem,
                  int (*each)(const json_t *elem, size_t index, void *ctx),
                  void *ctx, char *err, size_t errlen)
{
    struct each_sink s;
    char e2[512];
    long status = 0;
    int rc = -1;

    if (dkr_negotiate(d, err, errlen) != 0)
        return -1;
    memset(&s, 0, sizeof s);
    jarray_init(&s.ja, max_elem, each, ctx);
    char *full = xasprintf("%s%s", d->prefix, path);
    int hr = http_request_stream(d->http, "GET", full, NULL, NULL, NULL, 0,
                                 each_sink, &s, &status, e2, sizeof e2);
    free(full);
    if (hr != 0) {
        snprintf(err, errlen, "GET %s: %s", path, e2);
        goto out;
    }
    if (status < 200 || status > 299) {
        struct http_resp resp;
        http_resp_init(&resp);
        if (buf_append(&resp.body, s.head, s.head_len) == 0)
            error_text(&resp, e2, sizeof e2);
        else
            e2[0] = '\0';
        http_resp_cleanup(&resp);
        snprintf(err, errlen, "GET %s: %ld %s", path, status, e2);
        goto out;
    }
    if (jarray_end(&s.ja)) {
        snprintf(err, errlen, "GET %s: %s", path, jarray_error(&s.ja));
        goto out;
    }
    rc = 0;
out:
    jarray_cleanup(&s.ja);
    return rc;
}

/* ---- /info ---- */

void dkr_info_cleanup(struct dkr_info *info)
{
    if (!info)
        return;
    free(info->name);
    free(info->node_id);
    free(info->node_addr);
    free(info->local_node_state);
    free(info->server_version);
    free(info->cgroup_driver);
    memset(info, 0, sizeof *info);
}

static int info_from_json(const json_t *j, struct dkr_info *out, char *err,
                          size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(j)) {
        snprintf(err, errlen, "GET /info: not a JSON object");
        return -1;
    }
    const char *name = jstr(j, "Name");
    if (!name) {
        snprintf(err, errlen, "GET /info: no Name");
        return -1;
    }
    const json_t *sw = json_object_get(j, "Swarm");
    out->name = xstrdup(name);
    out->node_id = xstrdup(jstr(sw, "NodeID") ? jstr(sw, "NodeID") : "");
    out->node_addr = xstrdup(jstr(sw, "NodeAddr") ? jstr(sw, "NodeAddr") : "");
    out->local_node_state =
        xstrdup(jstr(sw, "LocalNodeState") ? jstr(sw, "LocalNodeState") : "");
    out->control_available =
        json_is_true(json_object_get(sw, "ControlAvailable"));
    out->ncpu = (long)ji64(j, "NCPU");
    out->mem_total = ji64(j, "MemTotal");
    out->server_version =
        xstrdup(jstr(j, "ServerVersion") ? jstr(j, "ServerVersion") : "");
    out->cgroup_driver =
        xstrdup(jstr(j, "CgroupDriver") ? jstr(j, "CgroupDriver") : "");
    const char *cv = jstr(j, "CgroupVersion");
    out->cgroup_version = cv ? (strcmp(cv, "2") == 0 ? 2 : 1) : 0;
    return 0;
}

int dkr_parse_info(const char *json, size_t len, struct dkr_info *out,
                   char *err, size_t errlen)
{
    char e2[256];
    json_t *j = load_json(json, len, e2, sizeof e2);
    if (!j) {
        memset(out, 0, sizeof *out);
        snprintf(err, errlen, "GET /info: %s", e2);
        return -1;
    }
    int rc = info_from_json(j, out, err, errlen);
    json_decref(j);
    return rc;
}

int dkr_info(struct dkr *d, struct dkr_info *out, char *err, size_t errlen)
{
    json_t *j = NULL;
    memset(out, 0, sizeof *out);
    if (dkr_json(d, "GET", "/info", NULL, &j, NULL, err, errlen) != 0)
        return -1;
    int rc = info_from_json(j, out, err, errlen);
    json_decref(j);
    return rc;
}

/* ---- /containers/json ---- */

void dkr_container_list_cleanup(struct dkr_container_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].service_id);
        free(l->v[i].service_name);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int containers_from_json(const json_t *j, struct dkr_container_list *out,
                                char *err, size_t errlen)
{
    out->v = NULL;
    out->n = 0;
    if (!json_is_array(j)) {
        snprintf(err, errlen, "GET /containers/json: not a JSON array");
        return -1;
    }
    size_t n = json_array_size(j);
    out->v = xcalloc(n ? n : 1, sizeof *out->v);
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(j, i);
        const char *id = jstr(c, "Id");
        if (!valid_id(id) || strlen(id) != 64)
            continue;
        struct dkr_container *dc = &out->v[out->n++];
        memcpy(dc->id, id, 65);
        const char *name =
            json_string_value(json_array_get(json_object_get(c, "Names"), 0));
        if (name && name[0] == '/')
            name++;
        dc->name = xstrdup(name ? name : "");
        const json_t *labels = json_object_get(c, "Labels");
        dc->service_id = xstrdup(jstr(labels, "com.docker.swarm.service.id"));
        dc->service_name =
            xstrdup(jstr(labels, "com.docker.swarm.service.name"));
    }
    return 0;
}

int dkr_parse_containers(const char *json, size_t len,
                         struct dkr_container_list *out, char *err,
                         size_t errlen)
{
    char e2[256];
    json_t *j = load_json(json, len, e2, sizeof e2);
    if (!j) {
        out->v = NULL;
        out->n = 0;
        snprintf(err, errlen, "GET /containers/json: %s", e2);
        return -1;
    }
    int rc = containers_from_json(j, out, err, errlen);
    json_decref(j);
    return rc;
}

int dkr_containers(struct dkr *d, struct dkr_container_list *out, char *err,
                   size_t errlen)
{
    json_t *j = NULL;
    out->v = NULL;
    out->n = 0;
    if (dkr_json(d, "GET", "/containers/json", NULL, &j, NULL, err, errlen))
        return -1;
    int rc = containers_from_json(j, out, err, errlen);
    json_decref(j);
    return rc;
}

/* ---- /containers/{id}/json ---- */

static int inspect_from_json(const json_t *j, struct dkr_inspect *out,
                             char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *id = jstr(j, "Id");
    if (!json_is_object(j) || !valid_id(id)) {
        snprintf(err, errlen, "container inspect: no valid Id");
        return -1;
    }
    snprintf(out->id, sizeof out->id, "%s", id);
    const json_t *st = json_object_get(j, "State");
    const json_t *hc = json_object_get(j, "HostConfig");
    out->running = json_is_true(json_object_get(st, "Running"));
    int64_t pid = ji64(st, "Pid");
    out->pid = pid > 0 && pid < INT32_MAX ? (int)pid : 0;
    const char *started = jstr(st, "StartedAt");
    snprintf(out->started_at, sizeof out->started_at, "%s",
             started ? started : "");
    out->nano_cpus = ji64(hc, "NanoCpus");
    out->cpu_quota = ji64(hc, "CpuQuota");
    out->cpu_period = ji64(hc, "CpuPeriod");
    out->memory = ji64(hc, "Memory");
    out->cpu_limit_cores =
        stats_limit_cores(out->nano_cpus, out->cpu_quota, out->cpu_period);
    const char *nm = jstr(hc, "NetworkMode");
    out->host_network = nm && strcmp(nm, "host") == 0;
    return 0;
}

int dkr_parse_inspect(const char *json, size_t len, struct dkr_inspect *out,
                      char *err, size_t errlen)
{
    char e2[256];
    json_t *j = load_json(json, len, e2, sizeof e2);
    if (!j) {
        memset(out, 0, sizeof *out);
        snprintf(err, errlen, "container inspect: %s", e2);
        return -1;
    }
    int rc = inspect_from_json(j, out, err, errlen);
    json_decref(j);
    return rc;
}

int dkr_inspect(struct dkr *d, const char *id, struct dkr_inspect *out,
                char *err, size_t errlen)
{
    json_t *j = NULL;
    long status = 0;
    memset(out, 0, sizeof *out);
    if (!valid_id(id)) {
        snprintf(err, errlen, "bad container id");
        return -1;
    }
    char *path = xasprintf("/containers/%s/json", id);
    int rc = dkr_json(d, "GET", path, NULL, &j, &status, err, errlen);
    free(path);
    if (rc != 0)
        return status == 404 ? DKR_GONE : -1;
    rc = inspect_from_json(j, out, err, errlen);
    json_decref(j);
    return rc;
}

/* ---- time ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool digits(const char *s, int n, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

int dkr_parse_time(const char *s, int64_t *ns)
{
    int64_t y, mo, d, h, mi, sec, frac = 0;
    if (!s || strlen(s) < 20)
        return -1;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (*p >= '0' && *p <= '9') {
            if (nd < 9) {
                frac = frac * 10 + (*p - '0');
                nd++;
            }
            p++;
        }
        if (nd == 0)
            return -1;
        while (nd++ < 9)
            frac *= 10;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int64_t oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) ||
            oh > 23 || om > 59)
            return -1;
        off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    int64_t secs =
        days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    /* int64 ns covers 1677..2262 */
    if (secs < -9223372036LL || secs > 9223372035LL)
        return -1;
    *ns = secs * 1000000000LL + frac;
    return 0;
}

/* ---- stats ---- */

/* Fills the CPU part of a sample from a cpu_stats object. */
static void cpu_from_json(const json_t *cs, struct stats_sample *s)
{
    const json_t *cu = json_object_get(cs, "cpu_usage");
    uint64_t v;
    if (ju64(json_object_get(cu, "total_usage"), &v)) {
        s->cpu_usage_ns = v;
        s->have |= STATS_HAVE_CPU;
    }
    uint64_t online = 0;
    if (!ju64(json_object_get(cs, "online_cpus"), &online) || online == 0)
        online = json_array_size(json_object_get(cu, "percpu_usage"));
    if (ju64(json_object_get(cs, "system_cpu_usage"), &v) && v > 0 &&
        online > 0 && online < UINT32_MAX) {
        s->system_cpu_ns = v;
        s->online_cpus = (uint32_t)online;
        s->have |= STATS_HAVE_SYSTEM_CPU;
    }
}

/* Fills the memory part of a sample from a memory_stats object. */
static void mem_from_json(const json_t *ms, struct stats_sample *s)
{
    uint64_t v;
    if (!ju64(json_object_get(ms, "usage"), &s->mem_usage))
        return;
    s->have |= STATS_HAVE_MEM;
    if (!ju64(json_object_get(ms, "limit"), &s->mem_limit))
        s->mem_limit = 0;
    const json_t *st = json_object_get(ms, "stats");
    if (ju64(json_object_get(st, "total_inactive_file"), &v)) {
        s->mem_total_inactive_file = v;
        s->have |= STATS_HAVE_TOTAL_INACTIVE_FILE;
    }
    if (ju64(json_object_get(st, "inactive_file"), &v)) {
        s->mem_inactive_file = v;
        s->have |= STATS_HAVE_INACTIVE_FILE;
    }
    if (ju64(json_object_get(st, "total_cache"), &v) ||
        ju64(json_object_get(st, "file"), &v))
        s->mem_cache = v;
}

/* Fills the network, block I/O and pids parts of a sample from a stats
 * reply. */
static void io_from_json(const json_t *j, struct stats_sample *s)
{
    uint64_t v;
    /* docker stats shows 0B / 0B when there is no network at all */
    const json_t *nets = json_object_get(j, "networks");
    const char *ifname;
    const json_t *nif;
    json_object_foreach((json_t *)nets, ifname, nif)
    {
        if (ju64(json_object_get(nif, "rx_bytes"), &v))
            s->net_rx += v;
        if (ju64(json_object_get(nif, "tx_bytes"), &v))
            s->net_tx += v;
    }
    s->have |= STATS_HAVE_NET;

    const json_t *blk = json_object_get(json_object_get(j, "blkio_stats"),
                                        "io_service_bytes_recursive");
    size_t i;
    const json_t *e;
    json_array_foreach(blk, i, e)
    {
        const char *op = jstr(e, "op");
        if (!op || !ju64(json_object_get(e, "value"), &v))
            continue;
        if (op[0] == 'r' || op[0] == 'R')
            s->blk_read += v;
        else if (op[0] == 'w' || op[0] == 'W')
            s->blk_write += v;
    }
    s->have |= STATS_HAVE_BLK;

    const json_t *ps = json_object_get(j, "pids_stats");
    if (json_is_object(ps)) {
        if (!ju64(json_object_get(ps, "current"), &s->pids))
            s->pids = 0; /* omitted when zero */
        s->have |= STATS_HAVE_PIDS;
    }
}

static int stats_from_json(const json_t *j, struct dkr_stats *out, char *err,
                           size_t errlen)
{
    struct stats_sample *s = &out->cur;

    if (!json_is_object(j)) {
        snprintf(err, errlen, "stats: not a JSON object");
        return -1;
    }
    const char *id = jstr(j, "id");
    if (id && valid_id(id))
        snprintf(out->id, sizeof out->id, "%s", id);
    const char *read = jstr(j, "read");
    int64_t t;
    /* Go's zero time: the daemon had no sample (container not running) */
    if (read && strncmp(read, "0001-01-01T00:00:00", 19) == 0) {
        snprintf(err, errlen, "stats: container not running");
        return DKR_GONE;
    }
    if (!read || dkr_parse_time(read, &t) != 0 || t <= 0) {
        snprintf(err, errlen, "stats: \"read\" is missing or not a time");
        return -1;
    }
    s->time_ns = t;

    const json_t *cs = json_object_get(j, "cpu_stats");
    if (!json_is_object(cs)) {
        snprintf(err, errlen, "stats: no cpu_stats object");
        return -1;
    }
    cpu_from_json(cs, s);

    mem_from_json(json_object_get(j, "memory_stats"), s);
    io_from_json(j, s);

    /* the previous CPU reading (stream=false without one-shot) */
    const char *preread = jstr(j, "preread");
    const json_t *pcs = json_object_get(j, "precpu_stats");
    int64_t pt;
    if (preread && dkr_parse_time(preread, &pt) == 0 && pt > 0 &&
        json_is_object(pcs)) {
        stats_sample_init(&out->pre);
        out->pre.source = STATS_SRC_API;
        out->pre.time_ns = pt;
        cpu_from_json(pcs, &out->pre);
        out->has_pre = (out->pre.have & STATS_HAVE_SYSTEM_CPU) != 0;
    }
    return 0;
}

static void stats_init_out(struct dkr_stats *out)
{
    memset(out, 0, sizeof *out);
    stats_sample_init(&out->cur);
    stats_sample_init(&out->pre);
    out->cur.source = STATS_SRC_API;
    out->pre.source = STATS_SRC_API;
}

int dkr_parse_stats(const char *json, size_t len, struct dkr_stats *out,
                    char *err, size_t errlen)
{
    char e2[256];
    stats_init_out(out);
    json_t *j = load_json(json, len, e2, sizeof e2);
    int rc;
    if (!j) {
        snprintf(err, errlen, "stats: %s", e2);
        rc = -1;
    } else {
        rc = stats_from_json(j, out, err, errlen);
        json_decref(j);
    }
    out->rc = rc;
    if (rc != 0)
        snprintf(out->err, sizeof out->err, "%s", err);
    return rc;
}

size_t dkr_stats_many(struct dkr *d, const char *const *ids, size_t n,
                      struct dkr_stats *out, size_t max_parallel)
{
    char e2[512];
    size_t ok = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        stats_init_out(&out[i]);
    if (dkr_negotiate(d, e2, sizeof e2) != 0) {
        for (size_t i = 0; i < n; i++) {
            out[i].rc = -1;
            snprintf(out[i].err, sizeof out[i].err, "%.250s", e2);
        }
        return 0;
    }
    char **paths = xcalloc(n, sizeof *paths);
    struct http_resp *resps = xcalloc(n, sizeof *resps);
    char(*errs)[256] = xcalloc(n, sizeof *errs);
    size_t *map = xcalloc(n, sizeof *map); /* request → ids index */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!valid_id(ids[i])) {
            out[i].rc = -1;
            snprintf(out[i].err, sizeof out[i].err, "bad container id");
            continue;
        }
        snprintf(out[i].id, sizeof out[i].id, "%s", ids[i]);
        paths[m] =
            xasprintf("%s/containers/%s/stats?stream=false&one-shot=true",
                      d->prefix, ids[i]);
        http_resp_init(&resps[m]);
        map[m++] = i;
    }
    /* The daemon answers each one after its next 1 s collection tick:
     * waiting is cheap, so many at once keep a round near 1 s. */
    (void)http_get_many(d->http, m, (const char *const *)paths, resps, errs,
                        max_parallel ? max_parallel : 64);
    for (size_t k = 0; k < m; k++) {
        struct dkr_stats *o = &out[map[k]];
        struct http_resp *r = &resps[k];
        if (errs[k][0]) {
            o->rc = -1;
            snprintf(o->err, sizeof o->err, "stats %.12s: %.200s", o->id,
                     errs[k]);
        } else if (r->status == 404) {
            o->rc = DKR_GONE;
            snprintf(o->err, sizeof o->err, "stats %.12s: no such container",
                     o->id);
        } else if (r->status != 200) {
            error_text(r, e2, sizeof e2);
            o->rc = -1;
            snprintf(o->err, sizeof o->err, "stats %.12s: %ld %.200s", o->id,
                     r->status, e2);
        } else {
            char id[65];
            memcpy(id, o->id, sizeof id);
            int rc =
                dkr_parse_stats(r->body.ptr, r->body.len, o, e2, sizeof e2);
            if (!o->id[0])
                memcpy(o->id, id, sizeof id);
            if (rc != 0)
                snprintf(o->err, sizeof o->err, "stats %.12s: %.200s", id, e2);
            else
                ok++;
        }
        http_resp_cleanup(r);
        free(paths[k]);
    }
    free(paths);
    free(resps);
    free(errs);
    free(map);
    return ok;
}

/* ---- /events ---- */

void dkr_event_list_cleanup(struct dkr_event_list *l)
{
    if (!l)
        return;
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int dkr_parse_events(const char *text, size_t len, struct dkr_event_list *out,
                     char *err, size_t errlen)
{
    size_t cap = 0, pos = 0;
    out->v = NULL;
    out->n = 0;
    while (pos < len) {
        while (pos < len && (text[pos] == '\n' || text[pos] == '\r' ||
                             text[pos] == ' ' || text[pos] == '\t'))
            pos++;
        if (pos >= len)
            break;
        json_error_t je;
        json_t *j =
            json_loadb(text + pos, len - pos, JSON_DISABLE_EOF_CHECK, &je);
        if (!j) {
            snprintf(err, errlen, "events: bad JSON at byte %zu: %s",
                     pos + (size_t)(je.position > 0 ? je.position : 0),
                     log_oneline(je.text));
            dkr_event_list_cleanup(out);
            return -1;
        }
        size_t used = je.position > 0 ? (size_t)je.position : len - pos;
        pos += used;
        const char *type = jstr(j, "Type");
        const char *action = jstr(j, "Action");
        const char *id = jstr(json_object_get(j, "Actor"), "ID");
        if (!id)
            id = jstr(j, "id");
        if (type && strcmp(type, "container") == 0 && action &&
            (strcmp(action, "start") == 0 || strcmp(action, "die") == 0) &&
            valid_id(id)) {
            if (out->n == cap) {
                cap = cap ? cap * 2 : 16;
                out->v = xrealloc(out->v, cap * sizeof *out->v);
            }
            struct dkr_event *ev = &out->v[out->n++];
            memset(ev, 0, sizeof *ev);
            snprintf(ev->id, sizeof ev->id, "%s", id);
            snprintf(ev->action, sizeof ev->action, "%s", action);
            ev->time_ns = ji64(j, "timeNano");
            int64_t sec = ji64(j, "time");
            if (ev->time_ns == 0 && sec > 0 && sec < INT64_MAX / 1000000000)
                ev->time_ns = sec * 1000000000;
        }
        json_decref(j);
    }
    return 0;
}

int dkr_events_since(struct dkr *d, int64_t since_ns, int64_t until_ns,
                     struct dkr_event_list *out, char *err, size_t errlen)
{
    struct http_resp resp;
    char e2[512];
    int rc = -1;

    out->v = NULL;
    out->n = 0;
    if (since_ns < 0 || until_ns < since_ns) {
        snprintf(err, errlen, "events: bad time range");
        return -1;
    }
    const int64_t NS = 1000000000;
    /* filters={"type":["container"],"event":["start","die"]} */
    char *path = xasprintf(
        "/events?since=%" PRId64 ".%09" PRId64 "&until=%" PRId64 ".%09" PRId64
        "&filters=%%7B%%22type%%22%%3A%%5B%%22container%%22%%5D%%2C%%22event"
        "%%22%%3A%%5B%%22start%%22%%2C%%22die%%22%%5D%%7D",
        (int64_t)(since_ns / NS), (int64_t)(since_ns % NS),
        (int64_t)(until_ns / NS), (int64_t)(until_ns % NS));
    http_resp_init(&resp);
    if (dkr_call(d, "GET", path, NULL, &resp, err, errlen) != 0)
        goto out;
    if (resp.status != 200) {
        error_text(&resp, e2, sizeof e2);
        snprintf(err, errlen, "GET /events: %ld %s", resp.status, e2);
        goto out;
    }
    rc = dkr_parse_events(resp.body.ptr, resp.body.len, out, err, errlen);
out:
    http_resp_cleanup(&resp);
    free(path);
    return rc;
}

bool dkr_server_clock(const struct dkr *d, int64_t *server_ms,
                      int64_t *local_ms)
{
    return http_server_clock(d->http, server_ms, local_ms);
}
