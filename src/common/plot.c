/* SVG of a simulation or of a live service's last hour (plot.h). Two
 * panels sharing the time axis: the load and the replicas. */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each panel's legend has a band of its own above it: no line is drawn
 * under a legend. */
#define W 1000
#define LEFT 70
#define RIGHT 20
#define LEG_Y 60   /* the load legend's first row (of three) */
#define TOP_Y 104  /* top of the load panel */
#define TOP_H 300  /* its height */
#define BLEG_Y 428 /* the replica legend's row */
#define BOT_Y 444  /* top of the replica panel */
#define BOT_H 150
#define H 638

int plot_escape(struct buf *out, const char *s)
{
    int bad = 0;
    for (; *s && !bad; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            bad = buf_puts(out, "&amp;");
            break;
        case '<':
            bad = buf_puts(out, "&lt;");
            break;
        case '>':
            bad = buf_puts(out, "&gt;");
            break;
        case '"':
            bad = buf_puts(out, "&quot;");
            break;
        case '\'':
            bad = buf_puts(out, "&apos;");
            break;
        default:
            if (c >= 0x20 && c != 0x7f)
                bad = buf_append(out, s, 1);
        }
    }
    return bad ? -1 : 0;
}

/* A "nice" axis step for a span: 1, 2 or 5 × 10^k, about n ticks. */
static double nice_step(double span, int n)
{
    double raw = span / n, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

struct frame {
    double t0, t1; /* seconds */
    bool clock;    /* t is Unix time: label by the clock (UTC) */
    double y0, y1; /* panel values */
    int py, ph;    /* panel top and height in pixels */
};

static double px(const struct frame *f, double t)
{
    return LEFT + (t - f->t0) / (f->t1 - f->t0) * (W - LEFT - RIGHT);
}

static double py(const struct frame *f, double v)
{
    return f->py + f->ph - (v - f->y0) / (f->y1 - f->y0) * f->ph;
}

/* A series as a step line (value holds for the step): one path. */
static int step_path(struct buf *o, const struct frame *f,
                     const struct sim_result *r,
                     double (*val)(const struct sim_step *, const void *),
                     const void *arg, double dt, const char *style)
{
    int bad = buf_printf(o, "<path %s d=\"", style);
    bool open = false; /* a value not measured breaks the line */
    for (size_t k = 0; k < r->nsteps && !bad; k++) {
        double t = (double)r->steps[k].t_ms / 1000.0,
               v = val(&r->steps[k], arg);
        if (!isfinite(v)) {
            open = false;
            continue;
        }
        bad |= buf_printf(o, "%s%.1f %.1f H%.1f", open ? " L" : " M", px(f, t),
                          py(f, v), px(f, t + dt));
        open = true;
    }
    return bad | buf_puts(o, "\"/>\n");
}

static double v_demand(const struct sim_step *s, const void *a)
{
    (void)a;
    return s->demand;
}

/* serving replicas × a per-replica level (cap, out_cond or in_cond) */
static double v_serving_times(const struct sim_step *s, const void *a)
{
    return (double)s->serving * *(const double *)a;
}

static double v_replicas_times(const struct sim_step *s, const void *a)
{
    return (double)s->replicas * *(const double *)a;
}

static double v_level(const struct sim_step *s, const void *a)
{
    (void)s;
    return *(const double *)a;
}

static double v_replicas(const struct sim_step *s, const void *a)
{
    (void)a;
    return (double)s->replicas;
}

static double v_serving(const struct sim_step *s, const void *a)
{
    (void)a;
    return (double)s->serving;
}

/* A tick's label: a plain number, or bytes and rates in their units. */
static void tick_label(double v, enum unit_kind unit, char *out, size_t len)
{
    if (unit == UNIT_BYTES || unit == UNIT_RATE)
        unit_format(v, unit, out, len);
    else
        snprintf(out, len, "%g", v);
}

static int axes(struct buf *o, const struct frame *f, const char *ylabel,
                enum unit_kind unit, double ystep, bool xlabels)
{
    char tick[48];
    int bad = buf_printf(o,
                         "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                         "fill=\"#fafafa\" stroke=\"#888\"/>\n",
                         LEFT, f->py, W - LEFT - RIGHT, f->ph);
    for (double v = f->y0; v <= f->y1 + 1e-9 && !bad; v += ystep) {
        tick_label(v, unit, tick, sizeof tick);
        bad |= buf_printf(o,
                          "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                          "stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" "
                          "text-anchor=\"end\" font-size=\"11\">%s</text>\n",
                          LEFT, W - RIGHT, py(f, v), py(f, v), LEFT - 5,
                          py(f, v) + 4, tick);
    }
    /* ticks in whole minutes; whole seconds on a span under 20 min */
    double span = f->t1 - f->t0;
    double tstep = span >= 1200 ? nice_step(span / 60.0, 10) * 60.0
                                : fmax(1, nice_step(span, 10));
    for (double t = ceil(f->t0 / tstep) * tstep; t <= f->t1 && !bad;
         t += tstep) {
        bad |= buf_printf(o,
                          "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" "
                          "stroke=\"#eee\"/>\n",
                          px(f, t), px(f, t), f->py, f->py + f->ph);
        if (!xlabels)
            continue;
        /* a recorded past (Unix time) by the clock, UTC; a trace file by
         * the time since its start */
        long v = f->clock ? (long)fmod(t, 86400) : (long)t;
        char lab[32];
        if (tstep < 60)
            snprintf(lab, sizeof lab, "%ld:%02ld:%02ld", v / 3600, v / 60 % 60,
                     v % 60);
        else
            snprintf(lab, sizeof lab, "%ld:%02ld", v / 3600, v / 60 % 60);
        bad |= buf_printf(o,
                          "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                          "font-size=\"11\">%s</text>\n",
                          px(f, t), f->py + f->ph + 15, lab);
    }
    bad |= buf_printf(o,
                      "<text transform=\"translate(16,%d) rotate(-90)\" "
                      "text-anchor=\"middle\" font-size=\"12\">",
                      f->py + f->ph / 2);
    bad |= plot_escape(o, ylabel);
    return bad | buf_puts(o, "</text>\n");
}

static int legend(struct buf *o, int x, int y, const char *style,
                  const char *label)
{
    int bad = buf_printf(o,
                         "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" %s/>"
                         "<text x=\"%d\" y=\"%d\" font-size=\"11\">",
                         x, x + 22, y, y, style, x + 27, y + 4);
    bad |= plot_escape(o, label);
    return bad | buf_puts(o, "</text>\n");
}

/* The load panel's frame: time over the steps, values up to the highest
 * of the load, full capacity and the scale-out line, rounded up to a whole
 * *ystep. */
static struct frame load_frame(const struct sim_result *r,
                               const struct policy *pol,
                               const struct plot_spec *spec, double dt,
                               double *ystep)
{
    struct frame top = {
        .t0 = (double)r->steps[0].t_ms / 1000.0,
        .t1 = (double)r->steps[r->nsteps - 1].t_ms / 1000.0 + dt,
        /* after 2001-09-09: a recorded past, not a trace file's seconds */
        .clock = r->steps[0].t_ms >= 1000000000000LL,
        .py = TOP_Y,
        .ph = TOP_H,
    };
    double ymax = 0;
    for (size_t k = 0; k < r->nsteps; k++) {
        const struct sim_step *s = &r->steps[k];
        double n = (double)s->replicas;
        /* fmax leaves out a NAN (a load not measured, no capacity) */
        double out = spec->whole ? pol->out_cond : n * pol->out_cond;
        ymax = fmax(ymax, fmax(s->demand, fmax(n * spec->cap, out)));
    }
    *ystep = nice_step(ymax > 0 ? ymax : 100, 6);
    top.y1 = ceil(ymax / *ystep) * *ystep;
    if (top.y1 <= 0)
        top.y1 = *ystep;
    return top;
}

/* The replica panel's frame: top's time axis, counts up to one above the
 * most replicas (simulated, recorded or the policy's max), rounded up to
 * a whole *rstep. */
static struct frame replica_frame(const struct frame *top,
                                  const struct sim_result *r,
                                  const struct policy *pol,
                                  const struct sim_result *recorded,
                                  double *rstep)
{
    double rmax = 1;
    for (size_t k = 0; k < r->nsteps; k++)
        rmax = fmax(rmax, (double)r->steps[k].replicas);
    for (size_t k = 0; recorded && k < recorded->nsteps; k++)
        rmax = fmax(rmax, (double)recorded->steps[k].replicas);
    struct frame bot = *top;
    bot.py = BOT_Y;
    bot.ph = BOT_H;
    bot.y1 = fmax(rmax, (double)pol->max_no) + 1;
    *rstep = nice_step(bot.y1, 5);
    if (*rstep < 1)
        *rstep = 1;
    bot.y1 = ceil(bot.y1 / *rstep) * *rstep;
    return bot;
}

/* The subtitle: the given line, or the scores with their units. */
static int subtitle(struct buf *o, const struct plot_spec *spec)
{
    int bad = buf_printf(o, "<text x=\"%d\" y=\"40\" font-size=\"12\">", LEFT);
    if (spec->subtitle) {
        bad |= plot_escape(o, spec->subtitle);
    } else if (spec->scores) {
        const struct sim_scores *sc = spec->scores;
        bad |=
            buf_printf(o,
                       "under_min %.1f min (users wait), replica_min "
                       "%.1f replica-minutes, actions %ld, flaps %ld "
                       "(opposite actions in quick succession)",
                       sc->under_min, sc->replica_min, sc->actions, sc->flaps);
    }
    return bad | buf_puts(o, "</text>\n");
}

/* The document's start: title, subtitle, both panels' axes. */
static int plot_head(struct buf *o, const struct plot_spec *spec,
                     const struct frame *top, double ystep,
                     const struct frame *bot, double rstep)
{
    int bad =
        buf_printf(o,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                   "height=\"%d\" viewBox=\"0 0 %d %d\" "
                   "font-family=\"sans-serif\">\n"
                   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
                   "<text x=\"%d\" y=\"22\" font-size=\"15\" "
                   "font-weight=\"bold\">",
                   W, H, W, H, LEFT);
    bad |= plot_escape(o, spec->title ? spec->title : "");
    bad |= buf_puts(o, "</text>\n");
    bad |= subtitle(o, spec);
    bad |= axes(o, top, spec->ylabel, spec->unit, ystep, false);
    bad |= axes(o, bot, "replicas", UNIT_COUNT, rstep, true);
    return bad | buf_printf(o,
                            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
                            "font-size=\"12\">%s</text>\n",
                            (LEFT + W - RIGHT) / 2, H - 12,
                            top->clock ? "time (UTC)" : "time since the start");
}

/* Users wait in a step: its load above under_frac of serving capacity. */
static bool waits(const struct sim_step *s, const struct plot_spec *spec)
{
    return s->demand > spec->under_frac * spec->cap * (double)s->serving;
}

/* Shades each run of steps where users wait in the load panel (none when
 * the capacity is unknown). */
static int shade_waits(struct buf *o, const struct frame *top,
                       const struct sim_result *r, const struct plot_spec *spec,
                       double dt)
{
    int bad = 0;
    if (!isfinite(spec->cap))
        return 0;
    for (size_t k = 0; k < r->nsteps && !bad;) {
        const struct sim_step *s0 = &r->steps[k];
        if (!waits(s0, spec)) {
            k++;
            continue;
        }
        size_t e = k;
        while (e < r->nsteps && waits(&r->steps[e], spec))
            e++;
        double x0 = px(top, (double)s0->t_ms / 1000.0);
        double x1 = px(top, (double)r->steps[e - 1].t_ms / 1000.0 + dt);
        bad |= buf_printf(o,
                          "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
                          "height=\"%d\" fill=\"#f6c9c4\"/>\n",
                          x0, top->py, x1 - x0 > 1 ? x1 - x0 : 1, top->ph);
        k = e;
    }
    return bad;
}

/* The load panel's lines: capacity (when known), the thresholds dashed,
 * the load on top. */
static int load_lines(struct buf *o, const struct frame *top,
                      const struct sim_result *r, const struct policy *pol,
                      const struct plot_spec *spec, double dt)
{
    double cap = spec->cap, out = pol->out_cond, in = pol->in_cond;
    int bad = 0;
    if (isfinite(cap))
        bad |= step_path(o, top, r, v_serving_times, &cap, dt,
                         "fill=\"none\" stroke=\"#2a7\" stroke-width=\"2\"");
    double (*line)(const struct sim_step *, const void *) =
        spec->whole ? v_level : v_replicas_times;
    bad |= step_path(o, top, r, line, &out, dt,
                     "fill=\"none\" stroke=\"#d60\" stroke-dasharray=\"6 4\"");
    bad |= step_path(o, top, r, line, &in, dt,
                     "fill=\"none\" stroke=\"#38c\" stroke-dasharray=\"2 4\"");
    return bad | step_path(o, top, r, v_demand, NULL, dt,
                           "fill=\"none\" stroke=\"#c22\" "
                           "stroke-width=\"1.5\"");
}

/* A schedule's bounds, step by step: one path each. */
static int bound_steps(struct buf *o, const struct frame *bot,
                       const struct sim_result *r, const struct plot_spec *spec,
                       double dt)
{
    int bad = 0;
    const long *b[2] = {spec->min_no, spec->max_no};
    for (int i = 0; i < 2 && !bad; i++) {
        bad |= buf_puts(o, "<path class=\"bound\" fill=\"none\" "
                           "stroke=\"#a6a\" stroke-dasharray=\"1 3\" "
                           "stroke-width=\"2\" d=\"");
        for (size_t k = 0; k < r->nsteps && !bad; k++) {
            double t = (double)r->steps[k].t_ms / 1000.0;
            bad |=
                buf_printf(o, "%s%.1f %.1f H%.1f", k ? " L" : "M", px(bot, t),
                           py(bot, (double)b[i][k]), px(bot, t + dt));
        }
        bad |= buf_puts(o, "\"/>\n");
    }
    return bad;
}

/* The policy's bounds across the replica panel, each named at its end
 * (a schedule's: step by step). */
static int bound_lines(struct buf *o, const struct frame *bot,
                       const struct sim_result *r, const struct policy *pol,
                       const struct plot_spec *spec, double dt)
{
    int bad = 0;
    if (spec->min_no && spec->max_no)
        return bound_steps(o, bot, r, spec, dt);
    long b[2] = {pol->min_no, pol->max_no};
    const char *name[2] = {"min", "max"};
    for (int i = 0; i < 2 && !bad; i++) {
        double y = py(bot, (double)b[i]);
        bad |= buf_printf(o,
                          "<line class=\"bound\" x1=\"%d\" x2=\"%d\" "
                          "y1=\"%.1f\" y2=\"%.1f\" stroke=\"#a6a\" "
                          "stroke-dasharray=\"1 3\" stroke-width=\"2\"/>"
                          "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
                          "font-size=\"10\" fill=\"#a6a\">%s %ld</text>\n",
                          LEFT, W - RIGHT, y, y, W - RIGHT - 3, y - 3, name[i],
                          b[i]);
    }
    return bad;
}

/* The replica panel's lines: replicas, serving, and what really happened
 * when there is a recording. */
static int replica_lines(struct buf *o, const struct frame *bot,
                         const struct sim_result *r,
                         const struct sim_result *recorded, double dt)
{
    int bad = step_path(o, bot, r, v_replicas, NULL, dt,
                        "fill=\"none\" stroke=\"#333\" stroke-width=\"2\"");
    bad |= step_path(o, bot, r, v_serving, NULL, dt,
                     "fill=\"none\" stroke=\"#2a7\" stroke-dasharray=\"4 3\"");
    if (recorded && recorded->nsteps)
        bad |= step_path(o, bot, recorded, v_replicas, NULL, dt,
                         "fill=\"none\" stroke=\"#999\" stroke-width=\"3\" "
                         "stroke-opacity=\"0.6\"");
    return bad;
}

/* A triangle per action in the replica panel, its reason as the tooltip. */
static int action_marks(struct buf *o, const struct frame *bot,
                        const struct sim_result *r, double lag)
{
    int bad = 0;
    for (size_t i = 0; i < r->nactions && !bad; i++) {
        const struct sim_action *a = &r->actions[i];
        double t = (double)a->t_ms / 1000.0 + lag, x = px(bot, t);
        bool up = a->to > a->from;
        double y = py(bot, (double)a->to);
        /* the apex points the way the count went */
        bad |= buf_printf(o,
                          "<path class=\"action %s\" d=\"M%.1f %.1f l-5 %d "
                          "h10 z\" fill=\"%s\"><title>",
                          up ? "out" : "in", x, up ? y - 12 : y + 12,
                          up ? 9 : -9, up ? "#c22" : "#38c");
        bad |= plot_escape(o, a->reason);
        bad |= buf_puts(o, "</title></path>\n");
    }
    return bad;
}

/* The load panel's legend, in its band above the panel. */
static int load_legend(struct buf *o, const struct policy *pol,
                       const struct plot_spec *spec)
{
    char lab[128], v[48];
    int lx = LEFT + 10, ly = LEG_Y;
    /* left: the load, capacity, waits; right: the two lines */
    int bad = legend(o, lx, ly, "stroke=\"#c22\" stroke-width=\"1.5\"",
                     spec->load_label);
    if (isfinite(spec->cap)) {
        unit_format_exact(spec->cap, spec->unit, v, sizeof v);
        snprintf(lab, sizeof lab, "serving capacity (%s per serving replica)",
                 v);
        bad |=
            legend(o, lx, ly + 16, "stroke=\"#2a7\" stroke-width=\"2\"", lab);
        bad |=
            buf_printf(o,
                       "<rect x=\"%d\" y=\"%d\" width=\"22\" height=\"10\" "
                       "fill=\"#f6c9c4\"/><text x=\"%d\" y=\"%d\" "
                       "font-size=\"11\">users wait (load above %.0f%% of "
                       "serving capacity)</text>\n",
                       lx, ly + 27, lx + 27, ly + 36, spec->under_frac * 100);
    }
    unit_format_exact(pol->out_cond, spec->unit, v, sizeof v);
    const char *per = spec->whole ? ", the service's whole" : " per replica";
    snprintf(lab, sizeof lab, "scale-out line (%s%s)", v, per);
    bad |= legend(o, lx + 520, ly, "stroke=\"#d60\" stroke-dasharray=\"6 4\"",
                  lab);
    unit_format_exact(pol->in_cond, spec->unit, v, sizeof v);
    snprintf(lab, sizeof lab, "scale-in line (%s%s)", v, per);
    return bad | legend(o, lx + 520, ly + 16,
                        "stroke=\"#38c\" stroke-dasharray=\"2 4\"", lab);
}

/* The replica panel's legend, in its band above the panel. */
static int replica_legend(struct buf *o, bool recorded, bool scheduled)
{
    const char *bounds_label =
        scheduled ? "the bounds in force (min_no, max_no, the schedule's)"
                  : "the policy's bounds (min_no, max_no)";
    int lx = LEFT + 10, ly = BLEG_Y;
    int bad =
        legend(o, lx, ly, "stroke=\"#333\" stroke-width=\"2\"", "replicas");
    bad |= legend(o, lx + 90, ly, "stroke=\"#2a7\" stroke-dasharray=\"4 3\"",
                  "serving");
    bad |= buf_printf(o,
                      "<path d=\"M%d %d l-5 9 h10 z\" fill=\"#c22\"/>"
                      "<text x=\"%d\" y=\"%d\" font-size=\"11\">scale "
                      "out</text><path d=\"M%d %d l-5 -9 h10 z\" "
                      "fill=\"#38c\"/><text x=\"%d\" y=\"%d\" "
                      "font-size=\"11\">scale in</text>\n",
                      lx + 190, ly - 5, lx + 200, ly + 4, lx + 270, ly + 5,
                      lx + 280, ly + 4);
    bad |= legend(o, lx + 350, ly,
                  "stroke=\"#a6a\" stroke-dasharray=\"1 3\" "
                  "stroke-width=\"2\"",
                  bounds_label);
    if (recorded)
        bad |= legend(o, lx + 610, ly,
                      "stroke=\"#999\" stroke-width=\"3\" "
                      "stroke-opacity=\"0.6\"",
                      "replicas it really had");
    return bad;
}

int plot_chart(const struct sim_result *r, const struct policy *pol,
               const struct plot_spec *spec, struct buf *o)
{
    if (r->nsteps == 0)
        return buf_puts(o, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
    double dt = r->nsteps > 1
                    ? (double)(r->steps[1].t_ms - r->steps[0].t_ms) / 1000.0
                    : 10.0;
    double ystep, rstep;
    struct frame top = load_frame(r, pol, spec, dt, &ystep);
    struct frame bot = replica_frame(&top, r, pol, spec->recorded, &rstep);

    int bad = plot_head(o, spec, &top, ystep, &bot, rstep);
    /* the steps that loop stop at a full buffer, and are not begun once
     * it is full: the partial document is what it always was */
    if (!bad)
        bad = shade_waits(o, &top, r, spec, dt);
    bad |= load_lines(o, &top, r, pol, spec, dt);
    bad |= bound_lines(o, &bot, r, pol, spec, dt);
    bad |= replica_lines(o, &bot, r, spec->recorded, dt);
    if (!bad)
        bad = action_marks(o, &bot, r, spec->action_lag_s);
    bad |= load_legend(o, pol, spec);
    bad |= replica_legend(o, spec->recorded != NULL, spec->min_no != NULL);
    bad |= buf_puts(o, "</svg>\n");
    return bad ? -1 : 0;
}

int plot_svg(const struct sim_result *r, const struct policy *pol,
             const struct sim_model *m, const char *title,
             const struct sim_result *recorded, struct buf *o)
{
    struct plot_spec spec = {
        .title = title,
        .scores = &r->scores,
        .load_label = "demand",
        .ylabel = "CPU, % of one core",
        .unit = UNIT_RATIO,
        .cap = m->cap,
        .under_frac = m->under_frac,
        /* the rule acts after a step's points */
        .action_lag_s =
            r->nsteps > 1
                ? (double)(r->steps[1].t_ms - r->steps[0].t_ms) / 1000.0
                : 10.0,
        .recorded = recorded,
    };
    return plot_chart(r, pol, &spec, o);
}

/* What chart c of a play of several metrics says about its metric. */
static void metric_words(const struct policy *view, size_t c, char *ylabel,
                         size_t ylen, char *label, size_t llen)
{
    const struct pol_cond *pc = &view->conds[c];
    if (view->metric != &pol_metric_query) {
        snprintf(ylabel, ylen, "%s, the service's", pc->name);
        snprintf(label, llen, "%s demand (the trace)", pc->name);
        return;
    }
    bool whole = pc->target == POL_TARGET_SERVICE;
    snprintf(ylabel, ylen, "%s (query)", pc->name);
    snprintf(label, llen, "%s: the query's value (the trace)%s", pc->name,
             whole ? ", compared whole" : "");
}

int plot_metrics_svg(const struct sim_result *r, const struct policy *pol,
                     const struct sim_model *m, const char *title,
                     struct buf *o)
{
    const struct sim_metrics *mt = &r->metrics;
    size_t n = mt->n ? mt->n : 1;
    int bad = buf_printf(o,
                         "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                         "width=\"%d\" height=\"%zu\" viewBox=\"0 0 %d "
                         "%zu\">\n<rect width=\"100%%\" height=\"100%%\" "
                         "fill=\"white\"/>\n",
                         W, (size_t)H * n, W, (size_t)H * n);
    struct sim_result one = *r;
    one.steps = xcalloc(r->nsteps ? r->nsteps : 1, sizeof *one.steps);
    for (size_t c = 0; c < n && !bad; c++) {
        struct policy view;
        char ylabel[80], label[120], t[300], sub[200];
        pol_cond_view(pol, c, &view);
        for (size_t k = 0; k < r->nsteps; k++) {
            one.steps[k] = r->steps[k];
            one.steps[k].demand = mt->load[k * mt->n + c];
        }
        metric_words(&view, c, ylabel, sizeof ylabel, label, sizeof label);
        double cap, limit;
        sim_caps(view.metric, m, &cap, &limit);
        snprintf(t, sizeof t, "%s: %s", title, view.conds[c].name);
        snprintf(sub, sizeof sub,
                 "metric %zu of %zu; the replicas and every action of the "
                 "policy under it",
                 c + 1, n);
        struct plot_spec spec = {
            .title = t,
            .subtitle = c ? sub : NULL,
            .scores = &r->scores,
            .load_label = label,
            .ylabel = ylabel,
            .unit = view.metric->kind,
            .cap = isfinite(cap) ? cap : NAN,
            .under_frac = m->under_frac,
            .action_lag_s =
                r->nsteps > 1
                    ? (double)(r->steps[1].t_ms - r->steps[0].t_ms) / 1000.0
                    : 10.0,
            .whole = view.metric == &pol_metric_query &&
                     view.conds[c].target == POL_TARGET_SERVICE,
            .min_no = mt->min_no,
            .max_no = mt->max_no,
        };
        bad |= buf_printf(o, "<g transform=\"translate(0,%zu)\">\n",
                          (size_t)H * c);
        bad |= plot_chart(&one, &view, &spec, o) ? 1 : 0;
        bad |= buf_puts(o, "</g>\n");
    }
    free(one.steps);
    bad |= buf_puts(o, "</svg>\n");
    return bad ? -1 : 0;
}
