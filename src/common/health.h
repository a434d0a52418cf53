/* `ds healthcheck` and `das healthcheck`: the images' health check. GETs
 * a path (default /healthz) from the program's own --listen address, taken
 * from its environment (DS_LISTEN, DAS_LISTEN), prints the body and exits
 * 0 on HTTP 200, 1 otherwise with the reason. Port 0 ("any free port") is
 * looked up among the listening TCP sockets of the program's processes in
 * this pid namespace (/proc/PID/fd and /proc/net/tcp): swarms whose nodes
 * share one network namespace (the test bed) can't use a fixed port.
 *
 * The parsers below are pure (text in, values out); hc_main does the I/O. */
#ifndef DAS_HEALTH_H
#define DAS_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "xmalloc.h"

/* The reply is printed whole: /metrics of a large node or policy table
 * runs to a few MiB; more than this is not an answer of ours. */
#define HC_MAX_BODY ((size_t)16 << 20)
#define HC_CONNECT_TIMEOUT_MS 2000L
/* Under Docker's default probe timeout (5 s in the images), so the reason
 * is ours, not "timed out". */
#define HC_TIMEOUT_MS 4000L
#define HC_PATH_MAX 256

/* The address to ask, from the program's --listen value (var names the
 * environment variable it came from, for messages): "ADDR:PORT", ADDR
 * empty or 0.0.0.0 meaning 127.0.0.1 (what a wildcard listener answers
 * on). *port may be 0: look it up (hc_listen_port). 0 ok; -1 with a
 * message naming var and what is accepted. */
int hc_parse_listen(const char *var, const char *listen, char *host,
                    size_t hostlen, unsigned *port, char *err,
                    size_t errlen) WUR;

/* The PATH argument: starts with '/', at most HC_PATH_MAX bytes, printable
 * ASCII without spaces (it goes into a URL as is). 0 ok; -1 with a
 * message. */
int hc_check_path(const char *path, char *err, size_t errlen) WUR;

/* A /proc/PID/fd/N link target "socket:[INODE]": true and *inode set; false
 * for anything else (files, pipes, anon inodes). */
bool hc_socket_inode(const char *link, unsigned long *inode);

/* The text of /proc/net/tcp or /proc/net/tcp6: the local port of the first
 * socket in state LISTEN (0A) whose inode is one of inodes[0..n). 0 when
 * none (a malformed line is skipped). */
unsigned hc_listen_port(const char *net_tcp, const unsigned long *inodes,
                        size_t n);

/* GET path from the program's own --listen address (from listen_var, as
 * the subcommand finds it; base gets "http://ADDR:PORT"): 0 when an
 * answer came (resp->status says which), -1 + err otherwise. */
struct http_resp;
int hc_get(const char *prog, const char *listen_var, const char *path,
           struct http_resp *resp, char *base, size_t baselen, char *err,
           size_t errlen) WUR;

/* The subcommand. prog is "ds" or "das" (the process name to look for
 * with port 0, and the prefix of messages), listen_var the environment
 * variable holding its --listen value; argv[0] is "healthcheck". Returns
 * the exit status: 0 healthy (HTTP 200, body on stdout), 1 otherwise (the
 * reason on stderr, any body on stdout). Never 2: Docker reserves it. */
int hc_main(const char *prog, const char *listen_var, int argc, char **argv);

#endif
