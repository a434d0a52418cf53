/* Table-driven configuration: each setting's flag, environment variable,
 * type, default and help in one table, so --help, parsing and validation
 * cannot drift apart. Flags override environment, which overrides
 * defaults. All errors are collected and reported together. */
#ifndef DAS_CFG_H
#define DAS_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

enum cfg_type {
    CFG_STR,  /* target: char ** (points into argv/environ or the default) */
    CFG_DUR,  /* target: int64_t * milliseconds (dur_parse forms) */
    CFG_INT,  /* target: long * within [min, max] */
    CFG_BOOL, /* target: bool *; a flag without value; env "1/true/yes" */
    CFG_ENUM, /* target: char **; value must be one of choices "a|b|c" */
    CFG_LIST, /* target: struct cfg_list *; the flag may be given up to
                 CFG_LIST_MAX times, each value added; the environment
                 gives one value, replaced by the flags when any is given */
    /* target: char **; a server's URL or libpq connection string. Given
     * as a flag, a value that holds a password (cfg_has_password) is
     * refused: argv is readable by every user of the host (ps,
     * /proc/PID/cmdline), the environment is not. choices says where the
     * password goes instead ("give ... instead"), for the message. */
    CFG_SERVER,
};

#define CFG_LIST_MAX 8
struct cfg_list {
    const char *v[CFG_LIST_MAX]; /* point into argv/environ or the default */
    size_t n;
    bool from_flags; /* a flag gave the first value: the rest add to it */
};

struct cfg_opt {
    const char *flag; /* "--interval" */
    const char *env;  /* "DAS_INTERVAL" or NULL */
    enum cfg_type type;
    const char *def;     /* default as text, or NULL for none */
    const char *choices; /* CFG_ENUM: "auto|cgroup|api"; CFG_SERVER: where
                            the password goes instead */
    long min, max;       /* CFG_INT bounds; CFG_DUR: min in ms (0: none) */
    const char *help;
    void *target;
};

/* Parses argv[first..argc). Options may come before or after positional
 * arguments; "--" ends options. Positional arguments are stored in pos
 * (at most maxpos, pointers into argv) and counted in *npos.
 * Returns 0 ok, 1 when --help/-h was given, -1 on errors: errs holds one
 * line per problem (what was wrong, what is accepted). */
int cfg_parse(const struct cfg_opt *opts, size_t nopts, int argc, char **argv,
              int first, char **pos, size_t maxpos, size_t *npos,
              struct buf *errs);

/* Prints the options table: flag, env, default, help. */
void cfg_usage(FILE *f, const struct cfg_opt *opts, size_t nopts);

/* True when v, a server's URL or libpq connection string, holds a
 * password: a URL's userinfo "user:PASSWORD@" (non-empty), a "password"
 * query parameter (libpq URIs; the name may be percent-encoded), or a
 * "password = VALUE" keyword of a conninfo (a value quoted or not). */
bool cfg_has_password(const char *v);

/* Turns core dumps off for the rest of the process, which holds a
 * secret: RLIMIT_CORE 0 (soft and hard) and PR_SET_DUMPABLE 0 (no core
 * even through a core_pattern pipe; other processes of the same user can
 * no longer attach to it or read its memory, and its /proc/PID/fd and
 * environ become root's). A failure is logged, not fatal. Called by
 * cfg_read_secret and cfg_secret when they return a secret, by cfg_parse
 * for a CFG_SERVER value from the environment that holds a password, and
 * by the policy store once libpq holds one. */
void cfg_nodump(void);

/* Reads a secret (password) from path into a heap string with trailing
 * newlines removed, and turns core dumps off (cfg_nodump). NULL + err
 * when unreadable or over 4 KiB; the message names the path, never the
 * content. */
char *cfg_read_secret(const char *path, char *err, size_t errlen);

/* A secret from the file path when path is set and not empty, else from
 * the environment variable env when set and not empty, else none; core
 * dumps off when there is one (cfg_nodump). NULL with err "" for none;
 * NULL with err set when the file is unreadable. */
char *cfg_secret(const char *path, const char *env, char *err, size_t errlen);

#endif
