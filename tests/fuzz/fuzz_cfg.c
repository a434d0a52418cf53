/* libFuzzer target: cfg_parse, the command line and environment of ds and
 * das, over a table with every kind of setting. The input is split at NUL
 * bytes: the first piece is the value of an environment variable
 * (FUZZ_CFG_INTERVAL), the others are argv[1..]. Invariants besides
 * memory safety: a setting only ever holds a valid value (an integer in its
 * range, a duration at least its minimum, an enum one of its choices),
 * whatever was rejected; a server's flag (CFG_SERVER) never holds a
 * password; -1 comes with messages and 0 without; each message
 * is a line of its own without control characters; positional arguments
 * are argv's own strings, at most maxpos of them. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

#define MAXARGS 24
#define MAXPOS 2

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    char *s = malloc(n + 1);
    char *argv[MAXARGS + 1], *pos[MAXPOS];
    int argc = 1;
    if (!s)
        return 0;
    memcpy(s, d, n);
    s[n] = '\0';
    argv[0] = "fuzz";
    /* pieces: env value, then arguments */
    const char *env = s;
    for (size_t i = 0; i < n && argc < MAXARGS; i++)
        if (s[i] == '\0')
            argv[argc++] = s + i + 1;
    argv[argc] = NULL;
    setenv("FUZZ_CFG_INTERVAL", env, 1);

    const char *host = NULL, *source = NULL, *db = NULL;
    int64_t interval = -1, timeout = -1;
    long buffer = -1, port = -1;
    bool once = false, stdout_ = false;
    const struct cfg_opt opts[] = {
        {"--docker-host", "FUZZ_CFG_HOST", CFG_STR, "unix:///x", NULL, 0, 0,
         "engine", &host},
        {"--interval", "FUZZ_CFG_INTERVAL", CFG_DUR, "10s", NULL, 1000, 0,
         "interval", &interval},
        {"--timeout", NULL, CFG_DUR, "5s", NULL, 0, 0, "timeout", &timeout},
        {"--buffer", "FUZZ_CFG_BUFFER", CFG_INT, "1000", NULL, 1, 1000000,
         "points", &buffer},
        {"--port", NULL, CFG_INT, NULL, NULL, -5, 65535, "port", &port},
        {"--source", NULL, CFG_ENUM, "auto", "auto|cgroup|api", 0, 0, "source",
         &source},
        {"--once", NULL, CFG_BOOL, NULL, NULL, 0, 0, "once", &once},
        {"--stdout", "FUZZ_CFG_STDOUT", CFG_BOOL, "false", NULL, 0, 0, "stdout",
         &stdout_},
        /* no environment: a password there would turn core dumps off */
        {"--db", NULL, CFG_SERVER, "none", "elsewhere", 0, 0, "store", &db},
    };
    struct buf errs;
    size_t npos = 99;
    buf_init(&errs, 1 << 20);
    int rc = cfg_parse(opts, sizeof opts / sizeof opts[0], argc, argv, 1, pos,
                       MAXPOS, &npos, &errs);

    if (rc != -1 && rc != 0 && rc != 1)
        abort();
    if ((rc == -1) != (errs.len > 0) && rc != 1)
        abort();
    /* only valid values are ever stored */
    if (!host || interval < 1000 || timeout < 0 || buffer < 1 ||
        buffer > 1000000 || (port != -1 && (port < -5 || port > 65535)))
        abort();
    if (!source || (strcmp(source, "auto") && strcmp(source, "cgroup") &&
                    strcmp(source, "api")))
        abort();
    if (npos > MAXPOS)
        abort();
    /* a server's flag never holds a password once taken */
    if (!db || cfg_has_password(db))
        abort();
    for (size_t i = 0; i < npos; i++) {
        bool found = false;
        for (int a = 1; a < argc; a++)
            found = found || pos[i] == argv[a];
        if (!found)
            abort();
    }
    /* messages: lines, each ended by '\n', no other control characters */
    if (errs.len) {
        if (errs.ptr[errs.len - 1] != '\n')
            abort();
        for (size_t i = 0; i < errs.len; i++) {
            unsigned char c = (unsigned char)errs.ptr[i];
            if ((c < 0x20 && c != '\n') || c == 0x7f)
                abort();
        }
    }
    buf_cleanup(&errs);
    unsetenv("FUZZ_CFG_INTERVAL");
    free(s);
    return 0;
}
