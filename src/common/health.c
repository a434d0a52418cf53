/* The images' health check, in the programs themselves (health.h): no shell
 * and no wget in the images. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endpoint.h"
#include "health.h"
#include "http.h"

/* Sockets of one program: a few dozen in practice; a cap so a process
 * with a huge fd table can't make the check grow without bound. */
#define HC_MAX_INODES 65536

int hc_parse_listen(const char *var, const char *listen, char *host,
                    size_t hostlen, unsigned *port, char *err, size_t errlen)
{
    char addr[64], why[256];
    if (!listen || !*listen) {
        snprintf(err, errlen,
                 "%s is empty: the program serves /healthz only with "
                 "--listen ADDR:PORT (set %s=ADDR:PORT, ADDR may be empty)",
                 var, var);
        return -1;
    }
    if (!strncmp(listen, EP_NODE_PREFIX, strlen(EP_NODE_PREFIX))) {
        /* node:PORT: the address is the node's, found by the caller */
        char probe[80];
        snprintf(probe, sizeof probe, "0.0.0.0:%s",
                 listen + strlen(EP_NODE_PREFIX));
        if (ep_parse_listen(probe, addr, sizeof addr, port, why, sizeof why)) {
            snprintf(err, errlen, "%s: %s", var, why);
            return -1;
        }
        host[0] = '\0';
        return 0;
    }
    if (ep_parse_listen(listen, addr, sizeof addr, port, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", var, why);
        return -1;
    }
    if (!strcmp(addr, "0.0.0.0"))
        snprintf(addr, sizeof addr, "127.0.0.1");
    if (strlen(addr) >= hostlen) {
        snprintf(err, errlen, "%s: address too long", var);
        return -1;
    }
    snprintf(host, hostlen, "%s", addr);
    return 0;
}

int hc_check_path(const char *path, char *err, size_t errlen)
{
    size_t n = strlen(path);
    bool ok = n > 0 && n <= HC_PATH_MAX && path[0] == '/';
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char ch = (unsigned char)path[i];
        if (ch <= 0x20 || ch >= 0x7f)
            ok = false;
    }
    if (!ok) {
        snprintf(err, errlen,
                 "PATH \"%.64s%s\": expected an absolute URL path of at most "
                 "%d printable characters without spaces, e.g. /healthz or "
                 "/metrics",
                 path, n > 64 ? "…" : "", HC_PATH_MAX);
        return -1;
    }
    return 0;
}

bool hc_socket_inode(const char *link, unsigned long *inode)
{
    static const char pre[] = "socket:[";
    if (strncmp(link, pre, sizeof pre - 1))
        return false;
    const char *p = link + sizeof pre - 1;
    if (*p < '0' || *p > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(p, &end, 10);
    if (errno || end[0] != ']' || end[1] != '\0')
        return false;
    *inode = v;
    return true;
}

/* The next whitespace-separated field of *s (bounded by out's size): its
 * length, 0 at the end of the line. */
static size_t next_field(const char **s, char *out, size_t outlen)
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = 0;
    while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
        if (n + 1 < outlen)
            out[n] = *p;
        n++;
        p++;
    }
    *s = p;
    if (n + 1 > outlen)
        return 0; /* too long for any field of this table */
    out[n] = '\0';
    return n;
}

static bool all_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F') ||
              (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

/* One line of /proc/net/tcp{,6}: "sl local rem st tx:rx tr:when retr uid
 * timeout inode ..."; the local port when the socket listens and its inode
 * is wanted, else 0. */
static unsigned tcp_line_port(const char *line, const unsigned long *inodes,
                              size_t n, char *addr, size_t addrlen)
{
    char f[10][64];
    const char *p = line;
    for (int i = 0; i < 10; i++)
        if (!next_field(&p, f[i], sizeof f[i]))
            return 0;
    if (strcmp(f[3], "0A")) /* TCP_LISTEN */
        return 0;
    char *end;
    errno = 0;
    unsigned long inode = strtoul(f[9], &end, 10);
    if (errno || end == f[9] || *end)
        return 0;
    bool wanted = !inodes; /* NULL: every listening socket */
    for (size_t i = 0; i < n && !wanted; i++)
        wanted = inodes[i] == inode;
    const char *colon = strrchr(f[1], ':');
    if (!wanted || !colon || strlen(colon + 1) != 4 || !all_hex(colon + 1))
        return 0;
    if (addr && addrlen) {
        /* IPv4 "0100007F": the address in the host's byte order */
        addr[0] = '\0';
        if (colon - f[1] == 8) {
            unsigned long a = strtoul(f[1], NULL, 16);
            snprintf(addr, addrlen, "%lu.%lu.%lu.%lu", a & 0xff, a >> 8 & 0xff,
                     a >> 16 & 0xff, a >> 24 & 0xff);
        }
    }
    return (unsigned)strtoul(colon + 1, NULL, 16);
}

unsigned hc_listen_port(const char *net_tcp, const unsigned long *inodes,
                        size_t n)
{
    if (!inodes || !n)
        return 0; /* no socket of the program's */
    for (const char *line = net_tcp; line && *line;) {
        unsigned port = tcp_line_port(line, inodes, n, NULL, 0);
        if (port)
            return port;
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return 0;
}

/* ---- I/O: this pid namespace's /proc ------------------------------- */

struct inode_set {
    unsigned long *v;
    size_t n, cap;
};

static void inode_add(struct inode_set *s, unsigned long inode)
{
    if (s->n == HC_MAX_INODES)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = inode;
}

/* True when /proc/PID/comm names prog. */
static bool comm_is(const char *pid, const char *prog)
{
    char path[64], comm[32];
    snprintf(path, sizeof path, "/proc/%s/comm", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(comm, sizeof comm, f) != NULL;
    fclose(f);
    if (!ok)
        return false;
    comm[strcspn(comm, "\n")] = '\0';
    return !strcmp(comm, prog);
}

/* The socket inodes of pid's open files; -1 with errno when its fd table
 * can't be read (another user's process). */
static int socket_inodes(const char *pid, struct inode_set *s)
{
    char dir[64], link[128], target[128];
    snprintf(dir, sizeof dir, "/proc/%s/fd", pid);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len < 0)
            continue;
        target[len] = '\0';
        unsigned long inode;
        if (hc_socket_inode(target, &inode))
            inode_add(s, inode);
    }
    closedir(d);
    return 0;
}

static unsigned port_in_file(const char *path, const struct inode_set *s,
                             char *addr, size_t addrlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[512];
    unsigned port = 0;
    while (!port && fgets(line, sizeof line, f))
        port = tcp_line_port(line, s->v, s->n, addr, addrlen);
    fclose(f);
    return port;
}

/* node:PORT: the address of the IPv4 socket listening on port in this
 * network namespace (/proc/net/tcp is readable by all; no /proc/PID/fd,
 * which a program holding a secret hides). False when none listens. */
static bool listener_addr(unsigned port, char *addr, size_t addrlen)
{
    char line[512];
    bool found = false;
    FILE *f = fopen("/proc/net/tcp", "re");
    if (!f)
        return false;
    while (!found && fgets(line, sizeof line, f))
        found = tcp_line_port(line, NULL, 0, addr, addrlen) == port;
    fclose(f);
    return found && addr[0];
}

/* Port 0: the port prog's processes listen on. 0 + a message when none. */
static unsigned lookup_port(const char *prog, const char *var,
                            const char *listen, char *addr, size_t addrlen,
                            char *err, size_t errlen)
{
    struct inode_set s = {0};
    unsigned port = 0;
    int procs = 0, unreadable = 0, unreadable_errno = 0;
    char self[24];
    snprintf(self, sizeof self, "%ld", (long)getpid());
    DIR *d = opendir("/proc");
    if (!d) {
        snprintf(err, errlen, "%s=%s: cannot read /proc: %s", var, listen,
                 strerror(errno));
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
            strspn(e->d_name, "0123456789") != strlen(e->d_name) ||
            !strcmp(e->d_name, self) || !comm_is(e->d_name, prog))
            continue;
        procs++;
        if (socket_inodes(e->d_name, &s)) {
            unreadable++;
            unreadable_errno = errno;
        }
    }
    closedir(d);
    if (s.n) {
        port = port_in_file("/proc/net/tcp", &s, addr, addrlen);
        if (!port)
            port = port_in_file("/proc/net/tcp6", &s, NULL, 0);
    }
    if (!port && !procs)
        snprintf(err, errlen,
                 "%s=%s (port 0: any free port) and no %s process in /proc "
                 "to find the port of",
                 var, listen, prog);
    else if (!port && unreadable)
        snprintf(err, errlen,
                 "%s=%s (port 0): cannot read the open files of %d %s "
                 "process(es) in /proc/PID/fd: %s (the health check must "
                 "run as the program's user, and as root when the program "
                 "holds a secret, which hides them; or set a fixed port)",
                 var, listen, unreadable, prog, strerror(unreadable_errno));
    else if (!port)
        snprintf(err, errlen,
                 "%s=%s (port 0) and no listening socket of %s found (not "
                 "started yet?)",
                 var, listen, prog);
    free(s.v);
    return port;
}

static void usage(FILE *f, const char *prog, const char *var)
{
    fprintf(f,
            "usage: %s healthcheck [PATH]\n"
            "\n"
            "GETs PATH (default /healthz; /metrics also works) from this\n"
            "%s's --listen address, taken from %s (ADDR:PORT; ADDR empty or\n"
            "0.0.0.0 means 127.0.0.1; port 0 is looked up among the\n"
            "listening sockets of the %s processes in /proc). Prints the\n"
            "body and exits 0 on HTTP 200, 1 otherwise with the reason.\n"
            "The health check of the %s image.\n",
            prog, prog, var, prog, prog);
}

int hc_get(const char *prog, const char *listen_var, const char *path,
           struct http_resp *resp, char *base, size_t baselen, char *err,
           size_t errlen)
{
    char host[64];
    const char *listen = getenv(listen_var);
    unsigned port = 0;
    struct http *h = NULL;
    if (hc_check_path(path, err, errlen) ||
        hc_parse_listen(listen_var, listen, host, sizeof host, &port, err,
                        errlen))
        return -1;
    if (port == 0 || !host[0]) {
        /* port 0, or node:PORT (the node's address): both from the
         * program's listening socket */
        char addr[64] = "";
        unsigned found = lookup_port(prog, listen_var, listen, addr,
                                     sizeof addr, err, errlen);
        /* node:PORT and the program's sockets hidden (it holds a secret):
         * whoever listens on that port here */
        if (!found && port != 0 && listener_addr(port, addr, sizeof addr))
            found = port;
        if (!found)
            return -1;
        port = found;
        if (!host[0])
            snprintf(host, sizeof host, "%s",
                     addr[0] && strcmp(addr, "0.0.0.0") ? addr : "127.0.0.1");
    }
    /* Our own loopback or container address: never through a proxy. */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    snprintf(base, baselen, "http://%s:%u", host, port);
    const struct http_conf conf = {
        .url = base,
        .connect_timeout_ms = HC_CONNECT_TIMEOUT_MS,
        .timeout_ms = HC_TIMEOUT_MS,
        .max_body = HC_MAX_BODY,
    };
    char why[256];
    h = http_new(&conf, why, sizeof why);
    int rc = 0;
    if (!h ||
        http_request(h, "GET", path, NULL, NULL, 0, resp, why, sizeof why)) {
        snprintf(err, errlen, "GET %s: %s", path, why);
        rc = -1;
    }
    http_free(h);
    return rc;
}

int hc_main(const char *prog, const char *listen_var, int argc, char **argv)
{
    char err[512], base[96];
    const char *path = "/healthz";
    int rc = 1;
    struct http_resp resp;
    http_resp_init(&resp);

    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout, prog, listen_var);
        return 0;
    }
    if (argc > 2) {
        fprintf(stderr,
                "%s healthcheck: one argument at most, the PATH (%s "
                "healthcheck --help)\n",
                prog, prog);
        return 1;
    }
    if (argc == 2)
        path = argv[1];
    if (hc_get(prog, listen_var, path, &resp, base, sizeof base, err,
               sizeof err))
        goto out;
    if (resp.body.len)
        fwrite(resp.body.ptr, 1, resp.body.len, stdout);
    if (resp.body.len && resp.body.ptr[resp.body.len - 1] != '\n')
        fputc('\n', stdout);
    fflush(stdout);
    if (resp.status != 200) {
        snprintf(err, sizeof err, "GET %s%s: HTTP %ld (healthy is 200)", base,
                 path, resp.status);
        goto out;
    }
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "%s healthcheck: %s\n", prog, err);
    http_resp_cleanup(&resp);
    return rc;
}
