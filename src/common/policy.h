/* Policy rows of the seed's `das` table: parsing and validation.
 * Pure: no I/O. See docs/design.md §3. */
#ifndef DAS_POLICY_H
#define DAS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dur.h"
#include "schedule.h"
#include "stats.h"

/* The columns of the `das` table: the seed's ten, in the seed's order,
 * then the optional ones das adds (NULL or missing: the default). One
 * list: the names table, the store's SQL (pg.c), the command line
 * (cli_policy.c) and the service labels (pol_parse_labels) are all derived
 * from it.
 * X(id, name, sql type, optional, label, label default)
 * label: 1 when a service label `das.<name>` sets the column (seq, cur_no
 * and service_id come from the service itself); label default: the value a
 * missing label takes, NULL when the label is required (max_no: its
 * presence makes the policy). */
#define POL_COLUMNS(X)                                                         \
    X(POL_SEQ, "seq", "int primary key", 0, 0, NULL)                           \
    X(POL_MIN_NO, "min_no", "int", 0, 1, "1")                                  \
    X(POL_MAX_NO, "max_no", "int", 0, 1, NULL)                                 \
    X(POL_CUR_NO, "cur_no", "int", 0, 0, NULL)                                 \
    X(POL_COND_ITEM, "cond_item", "TEXT", 0, 1, "cpu_ratio")                   \
    X(POL_OUT_COND, "out_cond", "TEXT", 0, 1, "70%")                           \
    X(POL_IN_COND, "in_cond", "TEXT", 0, 1, "30%")                             \
    X(POL_OUT_DURATION, "out_duration", "TEXT", 0, 1, "2m")                    \
    X(POL_IN_DURATION, "in_duration", "TEXT", 0, 1, "5m")                      \
    X(POL_SERVICE_ID, "service_id", "TEXT", 0, 0, NULL)                        \
    X(POL_SCALE_MODE, "scale_mode", "TEXT", 1, 1, "auto")                      \
    X(POL_WARMUP, "warmup", "TEXT", 1, 1, "30s")                               \
    X(POL_METRICS, "metrics", "TEXT", 1, 0, NULL)                              \
    X(POL_IDLE_FOR, "idle_for", "TEXT", 1, 1, NULL)                            \
    X(POL_WAKE_NO, "wake_no", "int", 1, 1, NULL)                               \
    X(POL_SCHEDULE, "schedule", "TEXT", 1, 1, NULL)

#define POL_COL_ENUM(id, name, type, opt, label, ldef) id,
enum pol_col { POL_COLUMNS(POL_COL_ENUM) POL_NCOLS };
#undef POL_COL_ENUM
/* The seed's columns come first: POL_SEED_NCOLS of them. */
#define POL_SEED_NCOLS (POL_SERVICE_ID + 1)
/* Column names, SQL types and whether optional, indexed by enum pol_col. */
extern const char *const pol_col_names[POL_NCOLS];
extern const char *const pol_col_types[POL_NCOLS];
extern const bool pol_col_optional[POL_NCOLS];
/* Whether a service label sets the column, and the default of a missing
 * label (NULL: required), indexed by enum pol_col. */
extern const bool pol_col_label[POL_NCOLS];
extern const char *const pol_col_label_default[POL_NCOLS];

/* How a policy sizes its step (column scale_mode). */
enum pol_mode {
    POL_MODE_AUTO =
        0, /* the default: proportional to the load (docs/policies.md) */
    POL_MODE_STEP, /* the seed's literal +1 / -1 per window */
    POL_MODE_BAND, /* auto, but scales in only below in_cond: the
                      replicas are kept while the mean is in the band
                      between in_cond and out_cond (no trim) */
    POL_NMODES
};
extern const char *const pol_mode_names[POL_NMODES];
/* The default warm-up (column warmup): replicas younger than this are left
 * out of the means. */
#define POL_WARMUP_DEFAULT_MS 30000
#define POL_WARMUP_MAX_MS (3600LL * 1000)

/* A row as the store returns it: text of each column, NULL for SQL NULL. */
struct pol_row {
    const char *col[POL_NCOLS];
};

/* A metric field of docs/design.md §3 that a policy may name as cond_item. */
struct pol_metric {
    const char *field;   /* "cpu_ratio" */
    enum unit_kind kind; /* how thresholds for it are read */
    unsigned bit;        /* its STATS_F_* bit (stats.h), to tell a field
                            by its bit, not its name (net_read and
                            net_write share one, as blk_read and
                            blk_write do) */
};
/* NULL when field is not a known metric. */
const struct pol_metric *pol_metric_find(const char *field);
/* "cpu_ratio, cpu_limit_ratio, mem_usage, …" for messages. */
const char *pol_metric_list(void);

#define POL_SERVICE_MAX 64
/* Scale to zero (min_no 0): the default idle_for. */
#define POL_IDLE_DEFAULT_MS (15LL * 60000)
/* Upper bound of max_no: a row asking for more is a typo. */
#define POL_REPLICAS_MAX 10000
/* Window bounds of out_duration / in_duration: shorter than one second is
 * below any collection interval; longer than 31 days is a mistake. */
#define POL_WINDOW_MIN_MS 1000
#define POL_WINDOW_MAX_MS (31LL * 86400000)

/* Where a policy comes from: a row of the `das` table, or a service's
 * labels `das.<column>`. */
enum pol_source { POL_SRC_TABLE = 0, POL_SRC_LABELS };
extern const char *const pol_source_names[2]; /* "table", "labels" */

/* The pseudo-metric of a condition read by a query (pol_cond.query):
 * field "query", thresholds UNIT_VALUE, no STATS_F_* bit. */
extern const struct pol_metric pol_metric_query;
/* The longest name of a named condition and the longest query. */
#define POL_COND_NAME_MAX 32
#define POL_QUERY_MAX 2048
/* What a query's value is compared with the thresholds as (key target):
 * per replica (the value divided by the replicas, as HPA's AverageValue:
 * requests/s per replica) or the service's whole (HPA's Value: a queue
 * length). */
enum pol_target { POL_TARGET_REPLICA = 0, POL_TARGET_SERVICE };
extern const char *const pol_target_names[2]; /* "replica", "service" */

/* One condition of a policy: a metric, its thresholds and windows. */
struct pol_cond {
    const struct pol_metric *metric;  /* a ds field, or &pol_metric_query */
    char name[POL_COND_NAME_MAX + 1]; /* the field, or the operator's name */
    const char *query; /* the PromQL or InfluxQL of a query metric,
                          NULL for a ds field: query_len bytes
                          borrowed from the row's or the labels' text
                          (valid while they are; not NUL-terminated
                          in a table's metrics column) */
    size_t query_len;
    enum pol_target target;   /* a query metric's */
    double out_cond, in_cond; /* in the metric's unit (% or bytes or B/s) */
    int64_t out_ms, in_ms;    /* windows */
};

/* A policy's conditions: the one-metric columns' (cond_item, out_cond,
 * in_cond, out_duration, in_duration), then the further metrics named
 * `<metric>.<key>` (the table's `metrics` column, labels
 * `das.<metric>.<key>`), at most POL_CONDS_MAX in all. */
#define POL_CONDS_MAX 8
/* The keys of a named condition, `<metric>.<key>`: the two thresholds
 * (required) and the two windows (default: the one-metric defaults). */
#define POL_COND_KEYS(X)                                                       \
    X(POL_CK_OUT_COND, "out_cond")                                             \
    X(POL_CK_IN_COND, "in_cond")                                               \
    X(POL_CK_OUT_DURATION, "out_duration")                                     \
    X(POL_CK_IN_DURATION, "in_duration")                                       \
    X(POL_CK_QUERY, "query")                                                   \
    X(POL_CK_TARGET, "target")
#define POL_CK_ENUM(id, name) id,
enum pol_cond_key { POL_COND_KEYS(POL_CK_ENUM) POL_NCOND_KEYS };
#undef POL_CK_ENUM
extern const char *const pol_cond_key_names[POL_NCOND_KEYS];
/* The longest `metrics` column / key=value text das reads. */
#define POL_METRICS_TEXT_MAX 4096

/* A valid policy. */
struct policy {
    long seq;
    long min_no, max_no;
    long cur_no; /* -1 when the column is NULL */
    /* The first condition (conds[0]), where the one-metric code reads it. */
    const struct pol_metric *metric;
    double out_cond, in_cond; /* in the metric's unit (% or bytes or B/s) */
    int64_t out_ms, in_ms;    /* windows */
    size_t nconds;            /* 1..POL_CONDS_MAX */
    int64_t idle_ms; /* min_no 0: how long every metric reads 0 before the
                        service goes to zero (idle_for; NULL: the default) */
    long wake_no;    /* min_no 0: replicas at wake-up (NULL: 1) */
    struct pol_cond conds[POL_CONDS_MAX];
    enum pol_mode mode; /* scale_mode; NULL → auto */
    int64_t warmup_ms;  /* warmup; NULL → POL_WARMUP_DEFAULT_MS */
    char service_id[POL_SERVICE_MAX]; /* id, id prefix or name */
    enum pol_source source;           /* a table row or service labels */
    struct sched sched;               /* schedule; NULL → none (sched.n 0) */
};

/* The name of the policy's (first) condition: its ds field, or the
 * operator's name of a query metric. For reasons and messages. */
const char *pol_name(const struct policy *p);

/* The policy as if conds[k] were its only condition (k < nconds): the
 * one-metric engine decides each condition of a policy through it. */
void pol_cond_view(const struct policy *p, size_t k, struct policy *view);

/* conds[from..] in the metrics column's form, each key given:
 * "mem_ratio.out_cond=80%; mem_ratio.in_cond=40%; …" ("" when none):
 * what pol_parse reads back to the same conditions. Cut to len. */
void pol_metrics_text(const struct policy *p, size_t from, char *buf,
                      size_t len);

/* Validates a service reference: a Docker service name or id
 * ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 63 bytes). Anything else (quotes,
 * spaces, regex, newlines) is refused with a message that starts with the
 * quoted value, like dur_parse's. Returns 0 or -1. */
int pol_service_ref_check(const char *s, char *err, size_t errlen) WUR;

/* Parses and validates a row. On failure returns -1 and err names the seq,
 * the column, the value and what is accepted, e.g.
 * `policy seq=3: out_duration "10": a bare number is not a duration; use
 * 30s, 10m, 1h30m or 2d`. Only the first problem of the row is reported,
 * checking columns in table order (seq, min_no, max_no, cur_no, cond_item,
 * out_cond, in_cond, then in_cond < out_cond, out_duration, in_duration,
 * service_id, scale_mode, warmup, metrics, schedule). Rules: seq an int4; 1 <=
 * min_no <= max_no <= POL_REPLICAS_MAX; cur_no NULL or -1 (both read as -1:
 * unknown) or 0..2^31-1; cond_item a known metric; thresholds in its unit with
 * in_cond < out_cond; windows POL_WINDOW_MIN_MS..POL_WINDOW_MAX_MS; scale_mode
 * NULL, "auto", "step" or "band"; warmup NULL or a duration 0s..1h; metrics
 * NULL or `<metric>.<key>=<value>` items separated by ';' or newlines
 * (pol_cond_key_names; out_cond and in_cond required, each metric once,
 * POL_CONDS_MAX conditions in all); min_no 0 (scale to zero) only when
 * every condition is a query metric; idle_for (1s..31d, NULL: 15m) and
 * wake_no (1..max_no, NULL: 1) only with min_no 0; schedule NULL or
 * sched_parse's form, its windows within min_no..max_no
 * (sched_check_bounds). On failure
 * *p is partly filled: p->seq is meaningful only when the message is not about
 * seq.
 */
int pol_parse(const struct pol_row *row, struct policy *p, char *err,
              size_t errlen) WUR;

/* ---- policies from service labels -----------------------------------------
 */

#define POL_LABEL_PREFIX "das."
/* das's own record on a service (hist_label.h): "das.last" and
 * "das.last.reason", written by das in the update that scales it; not a
 * policy column, and no policy by itself. */
#define POL_LABEL_STATE "das.last"
bool pol_label_is_state(const char *key);
/* The label that makes a service's labels a policy. */
#define POL_LABEL_KEY "das.max_no"

/* One label of a service (Spec.Labels); cut: the value was longer than the
 * reader kept (docker_svc.h) and is refused. */
struct pol_label {
    const char *key;
    const char *value;
    bool cut;
};

/* True when any label starts with POL_LABEL_PREFIX: the service has a
 * label policy (valid when it sets POL_LABEL_KEY; without it
 * pol_parse_labels says that it is missing, so a forgotten das.max_no is
 * not a silent no-policy). */
bool pol_labels_have_policy(const struct pol_label *labels, size_t n);

/* The seq of a label policy: its identity where a table row has its seq
 * (events, last actions). Derived from the service's full id (FNV-1a, 31
 * bits), negative so `das policy add`'s seqs (1 and up) never meet it:
 * -2147483648..-1. Stable across updates of the service, restarts of das
 * and leader changes; a service removed and created again is a new
 * service with a new id. */
long pol_label_seq(const char *service_id);

/* The row a service's labels make: `das.<column>` values, the default
 * (pol_col_label_default) for a missing one, seq pol_label_seq(service_id)
 * and cur_no replicas (NULL when < 0) as text in seqbuf / curbuf (24 bytes
 * each), service_id the id; other labels ignored. Strings are borrowed. */
void pol_labels_row(const char *service_id, long replicas,
                    const struct pol_label *labels, size_t n,
                    struct pol_row *row, char *seqbuf, char *curbuf);

/* Parses a label policy with the rules of pol_parse, through the same
 * code: the labels `das.<column>` (pol_col_label) make a row, missing ones
 * take pol_col_label_default; labels `das.<metric>.<key>` name further
 * conditions, as the table's metrics column does. A policy that names
 * metrics that way and sets none of the one-metric labels (das.cond_item,
 * das.out_cond, das.in_cond, das.out_duration, das.in_duration) has
 * exactly the named conditions: the one-metric defaults (cpu_ratio,
 * 70%/30%) apply only to a policy that names none; seq is
 * pol_label_seq(service_id), cur_no the service's replicas, service_id the
 * service's id. Any other `das.` label is an error (a typo must not pass for a
 * default). The message names the service and the label, e.g. `service web:
 * label das.out_cond: "70 percent": ...`. p->source is POL_SRC_LABELS. Labels
 * without the prefix are ignored. */
int pol_parse_labels(const char *service_name, const char *service_id,
                     long replicas, const struct pol_label *labels, size_t n,
                     struct policy *p, char *err, size_t errlen) WUR;

#endif
