/* Load traces das's rule is tuned against besides the published ones:
 * shapes the published five do not show (loads that fall, bursts of other
 * heights and lengths, saw teeth, random walks, on/off), generated the
 * same way every time (fixed seeds, own PRNG). The goals of docs/decisions.md
 * are checked on these too, so a rule that only fits the five files
 * fails. Pure. */
#ifndef DAS_SIMGEN_H
#define DAS_SIMGEN_H

#include "sim.h"

#define SIMGEN_NTRACES 24

/* The name of generated trace i ("gen-burst", ...). */
const char *simgen_name(int i);
/* Generated trace i (0 <= i < SIMGEN_NTRACES): 3 hours, DT 10 s, demand
 * in percent of one core. *tr is heap (sim_trace_free). */
void simgen_trace(int i, struct sim_trace *tr);

#endif
