/* Policy rows of the seed's `das` table: parsing and validation.
 * Pure: no I/O. See DESIGN.md §3. */
#ifndef DAS_POLICY_H
#define DAS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dur.h"

/* Column order of the seed schema. */
enum pol_col {
    POL_SEQ = 0, POL_MIN_NO, POL_MAX_NO, POL_CUR_NO, POL_COND_ITEM,
    POL_OUT_COND, POL_IN_COND, POL_OUT_DURATION, POL_IN_DURATION,
    POL_SERVICE_ID, POL_NCOLS
};
/* Column names, indexed by enum pol_col. */
extern const char *const pol_col_names[POL_NCOLS];

/* A row as the store returns it: text of each column, NULL for SQL NULL. */
struct pol_row {
    const char *col[POL_NCOLS];
};

/* A metric field of DESIGN.md §3 that a policy may name as cond_item. */
struct pol_metric {
    const char *field;   /* "cpu_ratio" */
    enum unit_kind kind; /* how thresholds for it are read */
};
/* NULL when field is not a known metric. */
const struct pol_metric *pol_metric_find(const char *field);
/* "cpu_ratio, cpu_limit_ratio, mem_usage, …" for messages. */
const char *pol_metric_list(void);

#define POL_SERVICE_MAX 64
/* Upper bound of max_no: a row asking for more is a typo. */
#define POL_REPLICAS_MAX 10000
/* Window bounds of out_duration / in_duration: shorter than one second is
 * below any collection interval; longer than 31 days is a mistake. */
#define POL_WINDOW_MIN_MS 1000
#define POL_WINDOW_MAX_MS (31LL * 86400000)

/* A valid policy. */
struct policy {
    long seq;
    long min_no, max_no;
    long cur_no;      /* -1 when the column is NULL */
    const struct pol_metric *metric;
    double out_cond, in_cond; /* in the metric's unit (% or bytes or B/s) */
    int64_t out_ms, in_ms;    /* windows */
    char service_id[POL_SERVICE_MAX]; /* id, id prefix or name */
};

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
 * service_id). Rules: seq an int4; 1 <= min_no <= max_no <=
 * POL_REPLICAS_MAX; cur_no NULL or -1 (both read as -1: unknown) or
 * 0..2^31-1; cond_item a known metric; thresholds in its unit with
 * in_cond < out_cond; windows POL_WINDOW_MIN_MS..POL_WINDOW_MAX_MS. On failure *p is partly filled:
 * p->seq is meaningful only when the message is not about seq. */
int pol_parse(const struct pol_row *row, struct policy *p, char *err,
              size_t errlen) WUR;

#endif
