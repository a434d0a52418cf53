/* The pure parts of gathering an evaluation's inputs (inputs.h): label
 * policies, window pairs, history reach, where windows start. */
#include "inputs.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "xmalloc.h"

size_t das_label_policies(const struct dsvc_list *svcs,
                          const char *const *table_refs, const long *table_seqs,
                          size_t ntable, struct das_label_pol **out)
{
    size_t n = 0;
    /* the services the table's rows name, each resolved once */
    bool *named = xcalloc(svcs->n ? svcs->n : 1, sizeof *named);
    long *named_by = xcalloc(svcs->n ? svcs->n : 1, sizeof *named_by);
    for (size_t t = 0; t < ntable; t++) {
        char e[256];
        const struct dsvc *s =
            table_refs[t] ? dsvc_resolve(svcs, table_refs[t], NULL, e, sizeof e)
                          : NULL;
        if (s && !named[s - svcs->v]) {
            named[s - svcs->v] = true;
            named_by[s - svcs->v] = table_seqs[t];
        }
    }
    *out = xcalloc(svcs->n ? svcs->n : 1, sizeof **out);
    for (size_t i = 0; i < svcs->n; i++) {
        const struct dsvc *s = &svcs->v[i];
        struct pol_label l[DSVC_LABELS_MAX];
        for (size_t k = 0; k < s->nlabels; k++)
            l[k] = (struct pol_label){s->labels[k].key, s->labels[k].value,
                                      s->labels[k].cut};
        if (!pol_labels_have_policy(l, s->nlabels))
            continue;
        struct das_label_pol *lp = &(*out)[n++];
        lp->svc = s;
        lp->valid = !pol_parse_labels(
            s->name, s->id, s->global ? -1 : s->replicas, l, s->nlabels,
            &lp->pol, lp->error, sizeof lp->error);
        lp->pol.seq = pol_label_seq(s->id);
        lp->shadowed = named[i];
        lp->shadowed_by = named_by[i];
    }
    free(named);
    free(named_by);
    return n;
}

long das_row_seq(const char *s)
{
    if (!s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    return v;
}

double das_metric_limit(const struct policy *pol, const struct dsvc *svc)
{
    if (pol->metric->bit == STATS_F_CPU_RATIO)
        return svc->cpu_limit;
    if (pol->metric->bit == STATS_F_CPU_LIMIT_RATIO)
        return 100.0;
    return NAN;
}

size_t das_plan_pairs(const struct das_plan_pol *pols, size_t n,
                      struct cyc_pair *pairs, size_t (*idx)[2])
{
    size_t cap = 2 * n + 1, npairs = 0;
    for (size_t i = 0; i < n; i++) {
        const struct policy *pol = pols[i].pol;
        idx[i][0] = idx[i][1] = (size_t)-1;
        /* a query metric reads its own query (eval.c), no ds field */
        if (!pol || !pols[i].scalable || pol->metric == &pol_metric_query)
            continue;
        idx[i][0] =
            cyc_pair_add(pairs, &npairs, cap, pol->metric->field, pol->out_ms);
        idx[i][1] =
            cyc_pair_add(pairs, &npairs, cap, pol->metric->field, pol->in_ms);
    }
    return npairs;
}

int64_t das_lookback_ms(const struct das_plan_pol *pols, size_t n)
{
    int64_t longest = 0;
    for (size_t i = 0; i < n; i++) {
        const struct policy *pol = pols[i].pol;
        if (!pol)
            continue;
        if (pol->out_ms > longest)
            longest = pol->out_ms;
        if (pol->in_ms > longest)
            longest = pol->in_ms;
        if (pol->mode == POL_MODE_AUTO && pol->in_ms * DEC_BET_UNTIL > longest)
            longest = pol->in_ms * DEC_BET_UNTIL;
    }
    return longest;
}

int64_t das_sync_first_seen(struct das_sync_seen **v, size_t *n, long seq,
                            long cur_no, long replicas, int64_t now_ms)
{
    for (size_t i = 0; i < *n; i++) {
        struct das_sync_seen *s = &(*v)[i];
        if (s->seq != seq)
            continue;
        if (s->cur_no != cur_no || s->replicas != replicas) {
            s->cur_no = cur_no;
            s->replicas = replicas;
            s->ms = now_ms;
        }
        return s->ms;
    }
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[*n] = (struct das_sync_seen){seq, cur_no, replicas, now_ms};
    (*n)++;
    return now_ms;
}

bool das_scaled_outside(bool found, const struct dsvc *svc, long cur_no)
{
    return found && !svc->unscalable && cur_no != svc->replicas;
}

/* When the service's last update changed its replica count (PreviousSpec
 * against Spec, at UpdatedAt); 0 when that update changed something else,
 * or the engine did not say. */
static int64_t replicas_changed_at(const struct dsvc *s)
{
    if (s->prev_replicas >= 0 && s->prev_replicas != s->replicas &&
        s->updated_ms > 0)
        return s->updated_ms;
    return 0;
}

void das_window_since(const struct das_since_in *in, int64_t *since_ms,
                      bool *bet)
{
    int64_t last_ms = in->store_ms;
    bool b = in->store_bet;
    for (size_t e = 0; e < in->nextra; e++)
        if (in->extra[e].seq == in->seq && in->extra[e].ms > last_ms) {
            last_ms = in->extra[e].ms;
            b = in->extra[e].bet;
        }
    /* Scaled outside das (or never seen): the windows so far measured
     * another replica count, so they start again from the change, as after
     * one of das's own actions: from when the service's last update
     * changed its replicas (PreviousSpec, UpdatedAt) when it says so, else
     * from when das first saw the difference. (A one-shot `das status`
     * sees every difference for the first time: without UpdatedAt it
     * would say settling for as long as nobody syncs cur_no.) */
    const struct dsvc *s = in->svc;
    int64_t updated = replicas_changed_at(s);
    bool outside = das_scaled_outside(in->found, s, in->cur_no);
    if (outside) {
        int64_t changed = in->sync_seen_ms;
        if (updated > 0 && updated < changed)
            changed = updated;
        if (changed > last_ms) {
            last_ms = changed;
            b = false;
        }
    }
    /* A change das did not record: killed between its update and its
     * record (a table row's cur_no is written at once, its event at the
     * cycle's end), an event the store did not take, or — a label policy
     * has no cur_no of its own — one made by hand. The service itself
     * tells it: its last update changed the replicas (PreviousSpec) at
     * UpdatedAt, and the windows start after it. The record of das's own
     * action comes a moment after the update: within DAS_SAME_CHANGE_MS it
     * is that action (and keeps its bet mark). (A table row that differs
     * from the service was handled above.) */
    if (in->found && !outside && !s->unscalable && updated > 0 &&
        updated > last_ms) {
        if (updated - last_ms > DAS_SAME_CHANGE_MS)
            b = false;
        last_ms = updated;
    }
    *since_ms = last_ms;
    *bet = b;
}

void das_seq_time_set(struct das_seq_time **v, size_t *n, long seq, int64_t ms,
                      bool bet)
{
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i].seq == seq) {
            (*v)[i].ms = ms;
            (*v)[i].bet = bet;
            return;
        }
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[*n] = (struct das_seq_time){seq, ms, bet};
    (*n)++;
}

#define DAS_EV_NAME(id, name) name,
const char *const das_event_names[DAS_NEVENT_KINDS] = {
    DAS_EVENT_KINDS(DAS_EV_NAME)};
#undef DAS_EV_NAME

int das_event_of(enum dec_action a)
{
    switch (a) {
    case DEC_SCALE_OUT:
        return DAS_EV_SCALE_OUT;
    case DEC_SCALE_IN:
        return DAS_EV_SCALE_IN;
    case DEC_BOUND:
        return DAS_EV_BOUND;
    default:
        return -1;
    }
}

int das_event_kind_of(const char *name)
{
    for (int k = 0; name && k < DAS_NEVENT_KINDS; k++)
        if (!strcmp(name, das_event_names[k]))
            return k;
    return -1;
}

bool das_event_changes(int kind)
{
    return kind >= 0 && kind < DAS_NEVENT_KINDS && kind != DAS_EV_CAPACITY;
}

bool das_dry_seen(struct das_dry_seen **v, size_t *n, long seq,
                  enum das_event_kind kind, long from, long to)
{
    bool sync = kind == DAS_EV_SYNCED;
    for (size_t i = 0; i < *n; i++) {
        struct das_dry_seen *d = &(*v)[i];
        if (d->seq != seq || d->sync != sync)
            continue;
        if (d->kind == kind && d->from == from && d->to == to)
            return true;
        d->kind = kind;
        d->from = from;
        d->to = to;
        return false;
    }
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[*n] = (struct das_dry_seen){seq, sync, kind, from, to};
    (*n)++;
    return false;
}
