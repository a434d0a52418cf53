/* Generated load traces (simgen.h): the shapes the published traces do
 * not show, the same every time (fixed seeds, splitmix64). */
#include "simgen.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define ROWS 1080 /* 3 h of 10 s steps */
#define PI 3.14159265358979323846

/* xorshift64*: the same numbers on every machine */
struct rng {
    uint64_t s;
};

static double uniform(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    uint64_t x = r->s * 2685821657736338717ULL;
    return (double)(x >> 11) / 9007199254740992.0; /* [0, 1) */
}

static double gauss(struct rng *r)
{
    double u = uniform(r), v = uniform(r);
    if (u < 1e-12)
        u = 1e-12;
    return sqrt(-2 * log(u)) * cos(2 * PI * v);
}

/* The second family: shapes with parameters and noise, drawn with
 * splitmix64 (seeded per trace). */
enum shape {
    SH_STEP,
    SH_WAVE,
    SH_SPIKES,
    SH_RAMP,
    SH_TRIANGLE,
    SH_BURSTS,
    SH_SQUARE
};
struct spec {
    const char *name;
    enum shape shape;
    uint64_t seed;
    double sigma;
    double a[6]; /* shape parameters, below */
    double t[4]; /* SH_STEP: the minutes at which a[1..] start */
};
static const struct spec specs[] = {
    /* SH_STEP a: levels; SH_WAVE a: mean, amplitude, period (min);
     * SH_SPIKES a: base, height, length, every, offset (min); SH_RAMP,
     * SH_TRIANGLE a: from, to; SH_BURSTS a: base, gap, shortest, longest
     * (min), lowest, highest; SH_SQUARE a: low, high, period (min) */
    {"g-step-up-down", SH_STEP, 101, 10, {80, 450, 150, -1}, {20, 100}},
    {"g-diurnal", SH_WAVE, 102, 20, {330, 270, 90}, {0}},
    {"g-spikes-short", SH_SPIKES, 103, 10, {80, 350, 3, 25, 7}, {0}},
    {"g-noisy-high", SH_STEP, 104, 90, {350, -1}, {0}},
    {"g-ramp-down", SH_RAMP, 105, 15, {700, 30}, {0}},
    {"g-triangle", SH_TRIANGLE, 106, 20, {50, 850}, {0}},
    {"g-steps-down",
     SH_STEP,
     107,
     10,
     {700, 500, 320, 160, 60, -1},
     {36, 72, 108, 144}},
    {"g-bursts", SH_BURSTS, 108, 25, {150, 15, 1, 10, 150, 550}, {0}},
    {"g-square", SH_SQUARE, 109, 15, {120, 420, 30}, {0}},
    {"g-low-noisy", SH_STEP, 110, 20, {45, -1}, {0}},
    {"g-spikes-long", SH_SPIKES, 111, 20, {200, 300, 15, 60, 20}, {0}},
    {"g-diurnal-slow", SH_WAVE, 112, 40, {200, 150, 180}, {0}},
};
#define NFIRST 12

static uint64_t splitmix(uint64_t *s)
{
    *s += 0x9E3779B97F4A7C15ULL;
    uint64_t z = *s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double sm_uniform(uint64_t *s)
{
    return ((double)(splitmix(s) >> 11) + 0.5) / 9007199254740992.0;
}

static double sm_gauss(uint64_t *s)
{
    double u1 = sm_uniform(s), u2 = sm_uniform(s);
    return sqrt(-2 * log(u1)) * cos(2 * PI * u2);
}

static void spec_trace(const struct spec *sp, struct sim_trace *tr)
{
    uint64_t st = sp->seed;
    /* bursts first: (start, length in steps, height) until the end */
    int bs[ROWS], bl[ROWS];
    double bh[ROWS];
    int nb = 0;
    if (sp->shape == SH_BURSTS) {
        int k = 0;
        for (;;) {
            k += (int)(sp->a[1] * 6 * (0.5 + sm_uniform(&st)));
            if (k >= ROWS)
                break;
            bs[nb] = k;
            bl[nb] = (int)(sp->a[2] * 6 +
                           sm_uniform(&st) * (sp->a[3] - sp->a[2]) * 6);
            bh[nb] = sp->a[4] + sm_uniform(&st) * (sp->a[5] - sp->a[4]);
            nb++;
        }
    }
    for (int k = 0; k < ROWS; k++) {
        double m = k / 6.0, base = 0;
        switch (sp->shape) {
        case SH_STEP:
            base = sp->a[0];
            for (int j = 0; j < 4 && sp->a[j + 1] >= 0; j++)
                if (m >= sp->t[j])
                    base = sp->a[j + 1];
            break;
        case SH_WAVE:
            base = sp->a[0] + sp->a[1] * sin(2 * PI * m / sp->a[2]);
            break;
        case SH_SPIKES: {
            double mm = fmod(m - sp->a[4], sp->a[3]);
            bool on = m >= sp->a[4] && mm < sp->a[2];
            base = sp->a[0] + (on ? sp->a[1] : 0);
            break;
        }
        case SH_RAMP:
            base = sp->a[0] + (sp->a[1] - sp->a[0]) * k / (ROWS - 1);
            break;
        case SH_TRIANGLE: {
            double x = (double)k / (ROWS - 1);
            base = sp->a[0] + (sp->a[1] - sp->a[0]) * (1 - fabs(2 * x - 1));
            break;
        }
        case SH_SQUARE:
            base = ((int)floor(m / (sp->a[2] / 2)) % 2) ? sp->a[1] : sp->a[0];
            break;
        case SH_BURSTS:
            base = sp->a[0];
            for (int j = 0; j < nb; j++)
                if (bs[j] <= k && k < bs[j] + bl[j])
                    base += bh[j];
            break;
        }
        double d = base + (sp->sigma > 0 ? sp->sigma * sm_gauss(&st) : 0);
        tr->demand[k] = d < 0 ? 0 : round(d * 100) / 100;
    }
}

static const char *const names[NFIRST] = {
    "gen-dip",        "gen-burst",     "gen-tall-spikes", "gen-slow-wave",
    "gen-fast-wave",  "gen-ramp-down", "gen-saw",         "gen-noisy-low",
    "gen-noisy-high", "gen-walk",      "gen-stairs",      "gen-on-off",
};

const char *simgen_name(int i)
{
    if (i >= 0 && i < NFIRST)
        return names[i];
    if (i >= NFIRST && i < SIMGEN_NTRACES)
        return specs[i - NFIRST].name;
    return "?";
}

void simgen_trace(int i, struct sim_trace *tr)
{
    struct rng r = {0x9E3779B97F4A7C15ULL ^
                    ((uint64_t)i + 1) * 0x100000001B3ULL};
    double walk = 250;
    memset(tr, 0, sizeof *tr);
    tr->demand = xcalloc(ROWS, sizeof *tr->demand);
    tr->n = ROWS;
    tr->dt_ms = 10000;
    if (i >= NFIRST) {
        spec_trace(&specs[i - NFIRST], tr);
        return;
    }
    for (int k = 0; k < ROWS; k++) {
        double m = k / 6.0, d; /* minutes */
        switch (i) {
        case 0: /* a level that dips and comes back */
            d = (m >= 45 && m < 120) ? 80 : 300;
            break;
        case 1: /* short bursts: 80, 400 for 2 min every 25 min */
            d = fmod(m, 25) >= 20 && fmod(m, 25) < 22 ? 400 : 80;
            break;
        case 2: /* tall bursts: 150, 800 for 3 min every 30 min */
            d = fmod(m, 30) >= 10 && fmod(m, 30) < 13 ? 800 : 150;
            break;
        case 3: /* one slow wave with noise */
            d = 200 + 150 * sin(2 * PI * m / 180) + 20 * gauss(&r);
            break;
        case 4: /* fast waves */
            d = 250 + 150 * sin(2 * PI * m / 40);
            break;
        case 5: /* a ramp down */
            d = 600 - 550 * m / 180;
            break;
        case 6: /* saw teeth: 100 → 500 over 20 min, then back at once */
            d = 100 + 400 * fmod(m, 20) / 20;
            break;
        case 7: /* low and noisy */
            d = 120 + 40 * gauss(&r);
            break;
        case 8: /* high and noisy */
            d = 450 + 90 * gauss(&r);
            break;
        case 9: /* a bounded random walk */
            walk += 15 * gauss(&r);
            walk = walk < 50 ? 50 : walk > 700 ? 700 : walk;
            d = walk;
            break;
        case 10: /* stairs: +80 every 20 min */
            d = 80 + 80 * floor(m / 20);
            break;
        default: /* on and off every 15 min */
            d = fmod(m, 30) < 15 ? 40 : 350;
            break;
        }
        tr->demand[k] = d < 0 ? 0 : d;
    }
}
