/* The decision history kept on the service itself (the embedded default:
 * no store). In the one Engine API update that changes the replicas das
 * also sets two service labels:
 *
 *   das.last         t=<Unix
 * ms>;kind=<scale-out|scale-in|bound>;from=N;to=N;bet=0|1 das.last.reason  the
 * decision's reason (at most HL_REASON_MAX bytes)
 *
 * so there is no moment between an action and its record, and a das that
 * starts (a restart, a new leader) reads each policy's last action, and
 * whether it was a bet, from the service listing it reads anyway.
 *
 * Pure: text in, values out. */
#ifndef DAS_HIST_LABEL_H
#define DAS_HIST_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xmalloc.h"

#define HL_KEY "das.last"
#define HL_REASON_KEY "das.last.reason"
/* A label value das reads whole (docker_svc.h keeps 127 bytes). */
#define HL_REASON_MAX 127

struct hl_last {
    int64_t t_ms;
    char kind[24]; /* das_event_names */
    long from, to;
    bool bet;
};

/* The das.last value of l into out (at most 127 bytes). */
void hl_format(const struct hl_last *l, char *out, size_t outlen);
/* The reason cut to HL_REASON_MAX bytes on a UTF-8 boundary (a cut one
 * ends in "..."). */
void hl_reason(const char *reason, char *out, size_t outlen);
/* Parses a das.last value. -1 + err saying what was wrong and the form
 * accepted (a hand-edited label is refused, not guessed at). */
int hl_parse(const char *value, struct hl_last *out, char *err,
             size_t errlen) WUR;

#endif
