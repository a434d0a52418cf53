/* The short history das run keeps per policy for its live page (the chart
 * of /service/<name>): one sample per cycle — the time, the load, the
 * replicas, the serving replicas — in a ring per policy, the newest
 * replacing the oldest. The rings of a set are kept by the policy's seq
 * across cycles; a policy gone is forgotten.
 *
 * Bounded: a ring holds at most an hour at the cycle interval and at most
 * LH_RING_MAX samples, and all of a set's rings together LH_BUDGET
 * samples (10,000 policies keep a few minutes each). Pure: no I/O, no
 * locks (das run's page guards it). */
#ifndef DAS_LIVEHIST_H
#define DAS_LIVEHIST_H

#include <stddef.h>
#include <stdint.h>

/* One cycle of one policy. load: the policy's metric summed over its
 * replicas (the metric's unit; das run's page.c says how), NAN when it
 * was not measured. */
struct lh_sample {
    int64_t t_ms;
    float load;
    int16_t replicas; /* the service's desired replicas; -1 unknown (at
                         most LH_REPLICAS_MAX: lh_replicas) */
    int16_t serving;  /* running tasks; -1 unknown */
};
/* 16 bytes a sample. Replicas above this are drawn at it. */
#define LH_REPLICAS_MAX INT16_MAX
/* n as a sample's replicas: -1 (unknown) for a negative n, at most
 * LH_REPLICAS_MAX. */
static inline int16_t lh_replicas(long n)
{
    return (int16_t)(n < 0 ? -1 : n > LH_REPLICAS_MAX ? LH_REPLICAS_MAX : n);
}

#define LH_SPAN_MS (3600LL * 1000) /* an hour */
#define LH_RING_MAX 720            /* an hour at a 5 s interval */
#define LH_RING_MIN 8
/* Samples in all: 8 MiB. An hour at 15 s for up to 2,184 policies (728
 * at 5 s); 13 minutes each at 10,000, where das's whole budget is tight
 * (BENCHMARKS.md, the embedded default at 100,000 containers). */
#define LH_BUDGET ((size_t)1 << 19)

/* A ring's memory grows with its samples (doubling, up to cap): a das
 * that starts does not take the whole budget at its first cycle. */
struct lh_ring {
    struct lh_sample *v;          /* heap, alloc of them */
    uint32_t cap, n, head, alloc; /* the oldest at head once full */
};

/* The samples a ring of each policy holds for npolicies at interval_ms:
 * an hour's, at most LH_RING_MAX, at most LH_BUDGET / npolicies, at least
 * LH_RING_MIN. */
uint32_t lh_cap(int64_t interval_ms, size_t npolicies);

/* Adds s (the oldest goes when full). */
void lh_push(struct lh_ring *r, const struct lh_sample *s);
/* Copies up to max samples, oldest first, of those at or after since_ms
 * into out; returns the count. */
size_t lh_copy(const struct lh_ring *r, int64_t since_ms, struct lh_sample *out,
               size_t max);

struct lh_entry {
    long seq;
    struct lh_ring ring;
};

/* The rings by seq, sorted. A zeroed struct is an empty set. */
struct lh_set {
    struct lh_entry *v;
    size_t n;
};

/* The set becomes exactly the seqs given (any order; a seq given twice is
 * one ring), each ring of cap samples: a known seq keeps its samples (the
 * newest, when cap shrank), a new one starts empty, one not given is
 * freed. */
void lh_set_keep(struct lh_set *set, const long *seqs, size_t n, uint32_t cap);
/* The ring of seq, NULL when the set has none. */
struct lh_ring *lh_find(const struct lh_set *set, long seq);
void lh_set_free(struct lh_set *set);

#endif
