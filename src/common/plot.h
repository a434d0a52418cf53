/* A picture of a simulation an operator would rather read than the table:
 * demand against serving capacity with the scale-out and scale-in lines,
 * and below it the replicas with every action marked. SVG, written by hand
 * (no dependency; text that any browser shows and a test can read). Pure:
 * builds the document in a buffer. */
#ifndef DAS_PLOT_H
#define DAS_PLOT_H

#include "buf.h"
#include "policy.h"
#include "sim.h"

/* What a chart shows besides its steps: the simulation's (plot_svg) or a
 * live service's (das run's page). One drawing for both. */
struct plot_spec {
    const char *title;    /* escaped */
    const char *subtitle; /* a line under it (escaped); NULL: scores */
    const struct sim_scores *scores;   /* with units, when no subtitle */
    const char *load_label;            /* the load line's legend: "demand" */
    const char *ylabel;                /* the load panel's axis */
    enum unit_kind unit;               /* of the load and the thresholds */
    double cap;                        /* a replica's capacity in the unit; NAN:
                                          unknown, no capacity line and no waits */
    double under_frac;                 /* users wait above this share of it */
    double action_lag_s;               /* an action is drawn this long after its
                                          t_ms (a simulation acts after a step) */
    const struct sim_result *recorded; /* NULL, or the replicas it had */
    bool whole;         /* the thresholds compare with the service's
                           whole load (a query of target service): flat
                           lines, not per replica */
    const long *min_no; /* per step, the bounds in force (a schedule's); */
    const long *max_no; /* NULL: the policy's own */
};

/* Appends the chart of r (steps: time, load (NAN: not measured, a gap),
 * replicas, serving; actions) with pol's thresholds and bounds as an SVG
 * document to out. 0, or -1 when out's cap was reached (out then holds a
 * partial document). */
int plot_chart(const struct sim_result *r, const struct policy *pol,
               const struct plot_spec *spec, struct buf *out) WUR;

/* plot_chart for a simulation: demand in percent of one core, the model's
 * capacity, the scores. title is escaped. recorded (may be NULL) is what
 * really happened over the same steps: its replicas are drawn beside the
 * simulated ones. */
int plot_svg(const struct sim_result *r, const struct policy *pol,
             const struct sim_model *m, const char *title,
             const struct sim_result *recorded, struct buf *out) WUR;

/* A simulation of several metrics (r->metrics.n > 0): one chart per
 * condition, stacked, each of its load (the trace's column) against its
 * lines (pol_cond_view), with the replicas and actions under it, and the
 * schedule's bounds when one played. 0 or -1 as plot_chart. */
int plot_metrics_svg(const struct sim_result *r, const struct policy *pol,
                     const struct sim_model *m, const char *title,
                     struct buf *out) WUR;

/* Writes s into out with &, <, >, " and ' as entities and control bytes
 * dropped, for SVG text and attributes. */
int plot_escape(struct buf *out, const char *s) WUR;

#endif
