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

/* Appends the SVG document to out. title is escaped. recorded (may be
 * NULL) is what really happened over the same steps: its replicas are
 * drawn beside the simulated ones. 0, or -1 when out's cap was reached
 * (out then holds a partial document). */
int plot_svg(const struct sim_result *r, const struct policy *pol,
             const struct sim_model *m, const char *title,
             const struct sim_result *recorded, struct buf *out) WUR;

/* Writes s into out with &, <, >, " and ' as entities and control bytes
 * dropped, for SVG text and attributes. */
int plot_escape(struct buf *out, const char *s) WUR;

#endif
