/* The pure parts of gathering an evaluation's inputs (eval.c): which
 * policies come from service labels, which (cond_item, duration) pairs
 * the metrics store is asked for, how far back the action history is
 * read, and when each policy's windows start. No I/O, no clock reads:
 * eval.c reads the servers and passes what they said; test_inputs checks
 * these rules on their own. */
#ifndef DAS_INPUTS_H
#define DAS_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cycle.h"
#include "decide.h"
#include "docker_svc.h"
#include "policy.h"

/* A time kept in memory per policy (dry-run actions, which are not in the
 * store's "last action" on purpose). */
struct das_seq_time {
    long seq;
    int64_t ms;
    bool bet; /* that action was a bet (dec_result.bet) */
};

/* Remembers ms (and whether it was a bet) as seq's latest in-memory
 * action in *v (*n entries, grown on the heap). */
void das_seq_time_set(struct das_seq_time **v, size_t *n, long seq, int64_t ms,
                      bool bet);

/* The kinds of event das records (das_events.action, the `das`
 * measurement's action tag), one names table. A capacity-bound event
 * notes a state, not an action. */
#define DAS_EVENT_KINDS(X)                                                     \
    X(DAS_EV_SCALE_OUT, "scale-out")                                           \
    X(DAS_EV_SCALE_IN, "scale-in")                                             \
    X(DAS_EV_BOUND, "bound")                                                   \
    X(DAS_EV_SYNCED, "synced")                                                 \
    X(DAS_EV_CAPACITY, "capacity-bound")
#define DAS_EV_ENUM(id, name) id,
enum das_event_kind { DAS_EVENT_KINDS(DAS_EV_ENUM) DAS_NEVENT_KINDS };
#undef DAS_EV_ENUM
extern const char *const das_event_names[DAS_NEVENT_KINDS];
/* The event of a scaling decision (DEC_SCALE_OUT, DEC_SCALE_IN,
 * DEC_BOUND); -1 for DEC_NONE. */
int das_event_of(enum dec_action a);
/* The kind a recorded action names (das_events.action); -1 for a name
 * das does not write. */
int das_event_kind_of(const char *name);
/* A recorded action that changed the replica count, or set cur_no to it
 * (a scale, a bound, a sync); not a capacity-bound note. */
bool das_event_changes(int kind);

/* The last dry-run decision recorded for a policy, per kind (a cur_no
 * sync, or a scale/bound action), so that a --dry-run daemon records a
 * decision once, not every cycle (the service never changes, so the
 * decision repeats). */
struct das_dry_seen {
    long seq;
    bool sync;
    enum das_event_kind kind;
    long from, to;
};
/* True when this dry-run decision was recorded already; else remembers it
 * in *v (*n entries, grown on the heap) as the policy's latest of its
 * kind (sync or not). */
bool das_dry_seen(struct das_dry_seen **v, size_t *n, long seq,
                  enum das_event_kind kind, long from, long to);

/* A difference between cur_no and the service's replicas, and when it was
 * first seen: the replica count changed outside das then, so the windows
 * must start after it (rule 6), in dry runs too, where cur_no is not
 * written. */
struct das_sync_seen {
    long seq;
    long cur_no, replicas;
    int64_t ms;
};

/* A label policy of one service (policy.h, pol_parse_labels). */
struct das_label_pol {
    const struct dsvc *svc; /* into the listing */
    bool valid;
    char error[512];   /* when not valid */
    struct policy pol; /* when valid; pol.seq is set either way */
    long shadowed_by;  /* a table row names the service: its seq (else 0;
                          -1 when that row's seq is unreadable) */
    bool shadowed;
};
/* The label policies of every service with "das." labels. A table row
 * whose service_id (table_refs[i], NULL skipped; table_seqs[i] its seq)
 * resolves to the same service wins: the label policy is marked shadowed.
 * *out heap (free); returns the count. */
size_t das_label_policies(const struct dsvc_list *svcs,
                          const char *const *table_refs, const long *table_seqs,
                          size_t ntable, struct das_label_pol **out);

/* A policy row's seq column as a number; -1 when missing or not a whole
 * number (the row is reported by pol_parse either way). */
long das_row_seq(const char *seq_col);

/* The level at which a replica of the service is saturated, in the
 * policy's metric: its CPU limit for cpu_ratio, 100% for cpu_limit_ratio;
 * NAN for the other metrics. */
double das_metric_limit(const struct policy *pol, const struct dsvc *svc);

/* One policy as the plan of a cycle sees it. */
struct das_plan_pol {
    const struct policy *pol; /* NULL: the row is not valid */
    bool scalable;            /* its service was found, replicated, not a job */
};
/* The queries of a cycle: the distinct (field, duration) pairs of the
 * scalable policies' out and in windows, in order of first appearance,
 * into pairs (capacity 2 · n + 1); idx[i][0] / idx[i][1] is policy i's
 * out / in pair, (size_t)-1 for a policy that asks nothing. Returns the
 * pair count. */
size_t das_plan_pairs(const struct das_plan_pol *pols, size_t n,
                      struct cyc_pair *pairs, size_t (*idx)[2]);

/* How far back the action history is read: an action before now − that is
 * in no window of any valid policy, and no bet older than DEC_BET_UNTIL
 * in_durations is returned (auto mode). 0 with no valid policy. */
int64_t das_lookback_ms(const struct das_plan_pol *pols, size_t n);

/* When cur_no != replicas was first seen for policy seq: now_ms the first
 * time, and again whenever the pair changes. *v (*n entries) is the
 * memory of what was seen, grown on the heap. */
int64_t das_sync_first_seen(struct das_sync_seen **v, size_t *n, long seq,
                            long cur_no, long replicas, int64_t now_ms);

/* A service update and das's record of it this close together are one
 * change (label policies: the history and UpdatedAt). */
#define DAS_SAME_CHANGE_MS 5000

/* Where a policy's last action may be read from, and the service as the
 * engine shows it now. */
struct das_since_in {
    long seq;
    int64_t store_ms; /* the store's last action (0: none) */
    bool store_bet;
    const struct das_seq_time *extra; /* in-memory actions (dry run) */
    size_t nextra;
    bool found; /* the service was resolved */
    const struct dsvc *svc;
    long cur_no;
    int64_t sync_seen_ms; /* das_sync_first_seen's answer; read only when
                             das_scaled_outside */
};
/* Does the replica count differ from what das last set (cur_no), on a
 * service das could scale? Then the caller asks das_sync_first_seen. */
bool das_scaled_outside(bool found, const struct dsvc *svc, long cur_no);
/* When the policy's windows start (rule 6: after its last action), and
 * whether that action was a bet:
 * - the latest of the store's record and an in-memory one;
 * - a change made outside das (cur_no != replicas), as after das's own
 *   action (and not a bet): from the service's UpdatedAt when that update
 *   changed the replicas (PreviousSpec), else from when it was first seen;
 * - otherwise, a service updated to another replica count (PreviousSpec)
 *   at UpdatedAt after the record (a label policy's hand scale, or das's
 *   own action whose record was lost): from then; within
 *   DAS_SAME_CHANGE_MS of the record it is das's own action and keeps its
 *   bet mark. */
void das_window_since(const struct das_since_in *in, int64_t *since_ms,
                      bool *bet);

#endif
