/* das: the scaler and the operator's command line. */
#ifndef DAS_DAS_H
#define DAS_DAS_H

#include <stdbool.h>
#include <stdint.h>

#include <stdio.h>

#include "cfg.h"

/* Settings shared by every das command (docs/design.md §5). */
struct das_conf {
    char *docker_host;
    char *influx_url;
    char *influx_db;
    char *influx_history_db; /* the das measurement's; NULL/"": influx_db */
    char *influx_user;
    char *influx_password_file;
    char *prometheus_url; /* windows from Prometheus instead of InfluxDB */
    char *query_url; /* the query metrics' Prometheus; NULL: prometheus_url */
    char *prometheus_names; /* ds | cadvisor */
    char *prometheus_ca;
    char *prometheus_user;
    char *prometheus_password_file;
    char *prometheus_token_file;
    long prometheus_max_reply; /* MiB of one Prometheus reply */
    char *influx_ca;
    char *influx_token_file;
    char *influx_statements;
    char *policy_db;
    char *agents; /* the ds agents (agents.h): swarm or ADDR:PORT,... */
    int64_t interval_ms;
    int64_t ds_interval_ms;
    char *log_level;
    char *listen;
    bool once;
    bool dry_run;
    bool json;
    bool watch;
    char *service;    /* das events --service */
    int64_t since_ms; /* das events --since */
    /* das run's notifications (docs/notifications.md) */
    struct cfg_list notify_urls;
    char *notify_url_file; /* one URL a line: URLs that carry a token */
    char *notify_format;   /* json | slack */
    int64_t notify_timeout_ms;
    int64_t notify_give_up_ms;
    int64_t notify_unavailable_ms; /* metrics missing this long: notified */
};

/* Where a password goes instead of a server's flag (CFG_SERVER). */
#define DAS_INFLUX_URL_PW                                                      \
    "give the password in --influx-password-file with --influx-user, or "      \
    "the URL in DAS_INFLUX_URL"
#define DAS_PROMETHEUS_URL_PW                                                  \
    "give the password in --prometheus-password-file with "                    \
    "--prometheus-user, or the URL in DAS_PROMETHEUS_URL"
#define DAS_QUERY_URL_PW                                                       \
    "give the password in --prometheus-password-file with "                    \
    "--prometheus-user, or the URL in DAS_QUERY_URL"
#define DAS_POLICY_DB_PW                                                       \
    "give the password in a libpq password file (PGPASSFILE), or the "         \
    "connection string in DAS_POLICY_DB"

/* The common options; each command adds its own table after these (laid
 * out by hand, as a table). */
/* clang-format off */
#define DAS_COMMON_OPTS(c)                                                     \
    {"--docker-host", "DOCKER_HOST", CFG_STR, "unix:///var/run/docker.sock",   \
     NULL, 0, 0, "Docker engine (unix:// or tcp://)", &(c)->docker_host},      \
    {"--influx-url", "DAS_INFLUX_URL", CFG_SERVER, "none", DAS_INFLUX_URL_PW, \
     0, 0,                                                                     \
     "InfluxDB 1.x HTTP API (or 2.x/3.x v1 API), e.g. http://127.0.0.1:8086; " \
     "none: windows from the ds agents (or --prometheus-url)",                \
     &(c)->influx_url},                                                        \
    {"--influx-db", "DAS_INFLUX_DB", CFG_STR, "docker", NULL, 0, 0,           \
     "InfluxDB database", &(c)->influx_db},                                    \
    {"--influx-history-db", "DAS_INFLUX_HISTORY_DB", CFG_STR, NULL, NULL, 0,   \
     0,                                                                        \
     "InfluxDB database das writes its decisions to (measurement das) and "    \
     "reads its history from; default: --influx-db. One of its own keeps "     \
     "ds's user, which writes --influx-db, from writing das's history",        \
     &(c)->influx_history_db},                                                 \
    {"--influx-user", "DAS_INFLUX_USER", CFG_STR, NULL, NULL, 0, 0,           \
     "InfluxDB user", &(c)->influx_user},                                      \
    {"--influx-password-file", "DAS_INFLUX_PASSWORD_FILE", CFG_STR, NULL,     \
     NULL, 0, 0, "file holding the InfluxDB password (or DAS_INFLUX_PASSWORD)", \
     &(c)->influx_password_file},                                              \
    {"--prometheus-url", "DAS_PROMETHEUS_URL", CFG_SERVER, NULL,              \
     DAS_PROMETHEUS_URL_PW, 0, 0,                                              \
     "read the windows from this Prometheus server instead of InfluxDB",     \
     &(c)->prometheus_url},                                                    \
    {"--query-url", "DAS_QUERY_URL", CFG_SERVER, NULL, DAS_QUERY_URL_PW, 0,   \
     0,                                                                        \
     "the Prometheus server the query metrics' PromQL is sent to, when the "  \
     "windows come from elsewhere (the agents, InfluxDB); default: "          \
     "--prometheus-url; none or empty: none. The --prometheus-ca, -user, "    \
     "-password-file and -token-file options apply to it too",                \
     &(c)->query_url},                                                         \
    {"--prometheus-ca", "DAS_PROMETHEUS_CA", CFG_STR, NULL, NULL, 0, 0,        \
     "CA certificates (PEM) for an https Prometheus URL (default: the "       \
     "system's)",                                                              \
     &(c)->prometheus_ca},                                                     \
    {"--prometheus-user", "DAS_PROMETHEUS_USER", CFG_STR, NULL, NULL, 0, 0,    \
     "Prometheus basic-auth user (the password from "                         \
     "--prometheus-password-file)",                                           \
     &(c)->prometheus_user},                                                   \
    {"--prometheus-password-file", "DAS_PROMETHEUS_PASSWORD_FILE", CFG_STR,    \
     NULL, NULL, 0, 0,                                                         \
     "file holding the Prometheus basic-auth password (or "                   \
     "DAS_PROMETHEUS_PASSWORD)",                                              \
     &(c)->prometheus_password_file},                                          \
    {"--prometheus-token-file", "DAS_PROMETHEUS_TOKEN_FILE", CFG_STR, NULL,    \
     NULL, 0, 0,                                                               \
     "file holding a Prometheus bearer token, sent as Authorization: "        \
     "Bearer (or DAS_PROMETHEUS_TOKEN); not with --prometheus-user",          \
     &(c)->prometheus_token_file},                                             \
    {"--prometheus-max-reply", "DAS_PROMETHEUS_MAX_REPLY", CFG_INT, "8",      \
     NULL, 1, 4096,                                                            \
     "MiB of one Prometheus reply das parses (about 12 times that in "        \
     "memory; 8 holds a window of some 5,000 containers): raise it with "     \
     "das's memory limit", &(c)->prometheus_max_reply},                        \
    {"--prometheus-names", "DAS_PROMETHEUS_NAMES", CFG_ENUM, "ds",            \
     "ds|cadvisor", 0, 0,                                                      \
     "metric names in Prometheus: ds's own exporter or cAdvisor's",           \
     &(c)->prometheus_names},                                                  \
    {"--influx-ca", "DAS_INFLUX_CA", CFG_STR, NULL, NULL, 0, 0,                \
     "CA certificates (PEM) for an https InfluxDB URL (default: the system's)",\
     &(c)->influx_ca},                                                         \
    {"--influx-token-file", "DAS_INFLUX_TOKEN_FILE", CFG_STR, NULL, NULL, 0,   \
     0,                                                                        \
     "file holding an InfluxDB 2.x/3.x API token, sent as Authorization: "     \
     "Token (or DAS_INFLUX_TOKEN); not with --influx-user",                   \
     &(c)->influx_token_file},                                                 \
    {"--influx-statements", "DAS_INFLUX_STATEMENTS", CFG_ENUM, "auto",         \
     "auto|multi|single", 0, 0,                                                \
     "InfluxQL statements per /query request: multi (InfluxDB 1.x, 2.x), "     \
     "single (InfluxDB 3), auto (multi, single when refused)",                \
     &(c)->influx_statements},                                                 \
    {"--policy-db", "DAS_POLICY_DB", CFG_SERVER, "none", DAS_POLICY_DB_PW, 0, \
     0,                                                                        \
     "policy store: libpq conninfo or URI (CrateDB or PostgreSQL), e.g. "     \
     "postgresql://crate@127.0.0.1:5432/doc; none: policies from service "    \
     "labels, the history from InfluxDB or else on the services",             \
     &(c)->policy_db},                                                         \
    {"--agents", "DAS_AGENTS", CFG_STR, "swarm", NULL, 0, 0,                   \
     "the ds agents the windows are read from when no store is given: "       \
     "swarm (the tasks of the service labelled das-agent.port) or "          \
     "ADDR:PORT,...",                                                          \
     &(c)->agents},                                                            \
    {"--log-level", "DAS_LOG_LEVEL", CFG_ENUM, "info",                         \
     "debug|info|warn|error", 0, 0, "log level", &(c)->log_level}
/* --ds-interval, with what it is for in this command. */
#define DAS_DS_INTERVAL_OPT(c, what)                                           \
    {"--ds-interval", "DS_INTERVAL", CFG_DUR, "10s", NULL, 1000, 0,           \
     "the ds agents' collection interval (" what ")", &(c)->ds_interval_ms}
/* clang-format on */

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
struct pg *das_store_open(const char *cmd, const char *policy_db, int *status);

/* The policy flags of `das policy add` and `das simulate`, one per column:
 * the values as given (NULL when not given). */
struct das_pol_flags {
    long min_no, max_no; /* -1 when not given */
    const char *item, *out, *in, *out_for, *in_for, *mode, *warmup, *metrics;
    const char *idle_for, *wake_no;
    const char *schedule; /* das policy add only */
};
/* clang-format off */
#define DAS_POLICY_FLAG_OPTS(f)                                                \
    {"--min", NULL, CFG_INT, NULL, NULL, 0, INT32_MAX,                         \
     "fewest replicas (min_no); 0 scales to zero (query metrics only)",       \
     &(f)->min_no},                                                            \
    {"--max", NULL, CFG_INT, NULL, NULL, 1, INT32_MAX,                         \
     "most replicas (max_no)", &(f)->max_no},                                  \
    {"--item", NULL, CFG_STR, NULL, NULL, 0, 0,                                \
     "metric field (cond_item), e.g. cpu_ratio or mem_ratio", &(f)->item},     \
    {"--out", NULL, CFG_STR, NULL, NULL, 0, 0,                                 \
     "scale out above this mean (out_cond), e.g. 70% or 512MiB", &(f)->out},   \
    {"--in", NULL, CFG_STR, NULL, NULL, 0, 0,                                  \
     "scale in below this mean (in_cond), e.g. 10%", &(f)->in},                \
    {"--out-for", NULL, CFG_STR, NULL, NULL, 0, 0,                             \
     "window of the scale-out mean (out_duration), e.g. 10m", &(f)->out_for},  \
    {"--in-for", NULL, CFG_STR, NULL, NULL, 0, 0,                              \
     "window of the scale-in mean (in_duration), e.g. 10m", &(f)->in_for},     \
    {"--mode", NULL, CFG_STR, NULL, NULL, 0, 0,                                \
     "scale_mode: auto (sized to the load, the default) or step (+1/-1)",     \
     &(f)->mode},                                                              \
    {"--warmup", NULL, CFG_STR, NULL, NULL, 0, 0,                              \
     "warmup: replicas younger than this are left out of the means "          \
     "(default 30s)", &(f)->warmup},                                         \
    {"--metrics", NULL, CFG_STR, NULL, NULL, 0, 0,                             \
     "further metrics, each with its condition (column metrics): "           \
     "'mem_ratio.out_cond=80%; mem_ratio.in_cond=40%' (keys out_cond, "       \
     "in_cond, out_duration, in_duration, query, target)", &(f)->metrics},    \
    {"--idle-for", NULL, CFG_STR, NULL, NULL, 0, 0,                            \
     "with --min 0: how long every metric reads 0 before the service goes "   \
     "to zero (idle_for, default 15m)", &(f)->idle_for},                       \
    {"--wake-no", NULL, CFG_STR, NULL, NULL, 0, 0,                             \
     "with --min 0: replicas at wake-up (wake_no, default 1)", &(f)->wake_no}
/* clang-format on */

/* The row the flags describe for service (seq_text its seq): every
 * missing required flag and a row pol_parse refuses are reported on
 * stderr, prefixed with cmd and naming the flag, then 2 is returned; 0
 * when *p holds the valid policy. row's strings point into f, service and
 * seq_text. */
struct pol_row;
struct policy;
int das_policy_from_flags(const char *cmd, const struct das_pol_flags *f,
                          const char *service, const char *seq_text,
                          char *min_text, char *max_text, size_t textlen,
                          struct pol_row *row, struct policy *p);

/* Subcommands; each returns the process exit status (0, 1 or 2). */
int das_cmd_run(int argc, char **argv);
int das_cmd_policy(int argc, char **argv);
int das_cmd_status(int argc, char **argv);
int das_cmd_events(int argc, char **argv);
int das_cmd_simulate(int argc, char **argv);

#endif
