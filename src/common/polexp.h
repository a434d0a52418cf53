/* das's series per policy on its /metrics (das run --listen), from the
 * snapshot the last cycle left for the live page (livepage.h lp_row):
 * what a dashboard needs to draw each service against its own policy —
 * the replicas and the bounds in force, each condition's thresholds and
 * the means das compared with them, the outcome, the last action's time.
 *
 * Only the leader evaluates, so only the leader's /metrics has them.
 * Labels: service (the service's name, or the policy's reference when it
 * was not found) and seq (the policy's, unique among valid policies), and
 * metric for a condition's series. Values are in the unit of the policy's
 * thresholds (percent for the *_ratio fields, as das compares them).
 *
 * Pure: rows in, Prometheus text out. */
#ifndef DAS_POLEXP_H
#define DAS_POLEXP_H

#include <stddef.h>

#include "buf.h"
#include "livepage.h"

/* Valid policies given series; the others are counted in
 * das_policy_series_omitted. At about 1 KB a one-metric policy, 10,000
 * policies make some 10 MB of text. */
#define PEXP_POLICIES_MAX 10000

/* Appends each family (HELP, TYPE, one line per valid policy or per
 * condition) for the valid rows among rows[0..n). 0, or -1 when out is
 * full (out then holds what fitted). */
int pexp_policies(struct buf *out, const struct lp_row *rows, size_t n) WUR;

#endif
