/* das: the scaler and the operator's command line. */
#ifndef DAS_DAS_H
#define DAS_DAS_H

#include <stdbool.h>
#include <stdint.h>

#include <stdio.h>

#include "cfg.h"

/* Settings shared by every das command (DESIGN.md §5). */
struct das_conf {
    char *docker_host;
    char *influx_url;
    char *influx_db;
    char *influx_user;
    char *influx_password_file;
    char *policy_db;
    int64_t interval_ms;
    int64_t ds_interval_ms;
    char *log_level;
    char *listen;
    bool once;
    bool dry_run;
    bool json;
    bool watch;
    char *service;   /* das events --service */
    int64_t since_ms; /* das events --since */
};

/* The common options; each command adds its own table after these. */
#define DAS_COMMON_OPTS(c)                                                     \
    {"--docker-host", "DOCKER_HOST", CFG_STR, "unix:///var/run/docker.sock",   \
     NULL, 0, 0, "Docker engine (unix:// or tcp://)", &(c)->docker_host},      \
    {"--influx-url", "DAS_INFLUX_URL", CFG_STR, "http://127.0.0.1:8086",      \
     NULL, 0, 0, "InfluxDB 1.x HTTP API", &(c)->influx_url},                   \
    {"--influx-db", "DAS_INFLUX_DB", CFG_STR, "docker", NULL, 0, 0,           \
     "InfluxDB database", &(c)->influx_db},                                    \
    {"--influx-user", "DAS_INFLUX_USER", CFG_STR, NULL, NULL, 0, 0,           \
     "InfluxDB user", &(c)->influx_user},                                      \
    {"--influx-password-file", "DAS_INFLUX_PASSWORD_FILE", CFG_STR, NULL,     \
     NULL, 0, 0, "file holding the InfluxDB password (or DAS_INFLUX_PASSWORD)", \
     &(c)->influx_password_file},                                              \
    {"--policy-db", "DAS_POLICY_DB", CFG_STR,                                  \
     "postgresql://crate@127.0.0.1:5432/doc", NULL, 0, 0,                      \
     "policy store: libpq conninfo or URI (CrateDB or PostgreSQL)",            \
     &(c)->policy_db},                                                         \
    {"--log-level", "DAS_LOG_LEVEL", CFG_ENUM, "info",                         \
     "debug|info|warn|error", 0, 0, "log level", &(c)->log_level}

/* Parses a command's options (cfg_parse from argv[first]) and sets up
 * logging from *log_level. Returns -1 to go on, or the exit status to
 * return at once: 0 after --help (usage, then the options table), 2 after
 * bad configuration (every problem on its own line, prefixed with cmd,
 * e.g. "das policy add"). Positional arguments beyond maxpos are errors. */
int das_parse_opts(const char *cmd, void (*usage)(FILE *),
                   const struct cfg_opt *opts, size_t nopts, int argc,
                   char **argv, int first, char **pos, size_t maxpos,
                   size_t *npos, const char *const *log_level);

struct pg;
/* Opens the policy store. NULL with the message printed and *status set:
 * 2 for a connection string libpq cannot read, 1 for a store that cannot
 * be reached. */
struct pg *das_store_open(const char *cmd, const char *policy_db,
                          int *status);

/* Subcommands; each returns the process exit status (0, 1 or 2). */
int das_cmd_run(int argc, char **argv);
int das_cmd_policy(int argc, char **argv);
int das_cmd_status(int argc, char **argv);
int das_cmd_events(int argc, char **argv);

#endif
