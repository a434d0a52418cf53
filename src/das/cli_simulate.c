/* das simulate: what a policy would do to a load, before it is trusted
 * with one. Plays a trace under the shared load model (DECISIONS.md) with
 * das's own decision code, or with a reference rule beside it, and prints
 * the four scores and every action with the words `das run` would log. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "das.h"
#include "pg.h"
#include "plot.h"
#include "policy.h"
#include "sim.h"

#define ERRLEN 600
/* A trace file larger than this is not a trace. */
#define TRACE_MAX_BYTES (64u * 1024u * 1024u)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: das simulate --trace FILE.csv --min N --max N --item "
            "cpu_ratio --out 70%% --in 30%%\n"
            "                    --out-for 2m --in-for 5m [--mode auto|step] "
            "[--warmup 30s]\n"
            "                    [--rule das|step|hpa|hpa-eq] [--json] "
            "[--plot FILE.svg]\n"
            "       das simulate --trace FILE.csv --policy SEQ [...]\n"
            "\n"
            "Plays the trace (CSV \"t,demand\": t in seconds, evenly spaced; "
            "demand the\n"
            "service's total CPU in percent of one core) under the load model "
            "of\n"
            "DECISIONS.md with das's own decision code, and prints the scores "
            "(lower is\n"
            "better: under_min, replica_min, actions, flaps) and each action "
            "with its\n"
            "reason. --rule step|hpa|hpa-eq plays a reference rule instead; "
            "--policy SEQ\n"
            "takes the policy's row from the policy store.\n");
}

/* Reads the whole file into a NUL-terminated heap buffer; bounded. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct buf b;
    char chunk[65536];
    if (!f) {
        errf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    buf_init(&b, TRACE_MAX_BYTES);
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf_append(&b, chunk, n)) {
            errf(err, errlen, "%s: larger than %u MiB; not a trace", path,
                 TRACE_MAX_BYTES >> 20);
            fclose(f);
            buf_cleanup(&b);
            return NULL;
        }
    }
    if (ferror(f)) {
        errf(err, errlen, "%s: %s", path, strerror(errno));
        fclose(f);
        buf_cleanup(&b);
        return NULL;
    }
    fclose(f);
    *len = b.len;
    if (!b.ptr)
        return xstrdup("");
    return buf_take(&b);
}

/* The row of seq from the store. 0, 1 (store) or 2 (no such row / bad). */
static int policy_from_store(const struct das_conf *conf, long seq,
                             struct policy *p)
{
    int status = 0;
    struct pg *db = das_store_open("das simulate", conf->policy_db, &status);
    struct pg_rowset set = {0};
    char err[ERRLEN];
    if (!db)
        return status;
    if (pg_policy_rows(db, &set, err, sizeof err)) {
        fprintf(stderr, "das simulate: %s\n", err);
        pg_close(db);
        return 1;
    }
    status = 2;
    bool seen = false;
    for (size_t i = 0; i < set.n; i++) {
        const char *s = set.rows[i].col[POL_SEQ];
        if (!s || strtol(s, NULL, 10) != seq)
            continue;
        seen = true;
        if (pol_parse(&set.rows[i], p, err, sizeof err))
            fprintf(stderr, "das simulate: --policy %ld: %s\n", seq, err);
        else
            status = 0;
    }
    if (!seen)
        fprintf(stderr,
                "das simulate: --policy %ld: no such row (das policy list "
                "shows them)\n",
                seq);
    pg_rowset_free(&set);
    pg_close(db);
    return status;
}

static void fmt_t(int64_t ms, char *out, size_t len)
{
    int64_t s = ms / 1000;
    snprintf(out, len, "%" PRId64 ":%02" PRId64 ":%02" PRId64, s / 3600,
             s / 60 % 60, s % 60);
}

static void print_plain(const struct sim_result *r, const char *rule,
                        const struct policy *p)
{
    char oc[48], ic[48], od[32], id[32], wu[32];
    unit_format_exact(p->out_cond, p->metric->kind, oc, sizeof oc);
    unit_format_exact(p->in_cond, p->metric->kind, ic, sizeof ic);
    dur_format(p->out_ms, od, sizeof od);
    dur_format(p->in_ms, id, sizeof id);
    dur_format(p->warmup_ms, wu, sizeof wu);
    printf("rule %s: %ld..%ld replicas, %s out above %s for %s, in below %s "
           "for %s, mode %s, warmup %s\n",
           rule, p->min_no, p->max_no, p->metric->field, oc, od, ic, id,
           pol_mode_names[p->mode], wu);
    printf("under_min %.1f  replica_min %.1f  actions %ld  flaps %ld\n",
           r->scores.under_min, r->scores.replica_min, r->scores.actions,
           r->scores.flaps);
    for (size_t i = 0; i < r->nactions; i++) {
        const struct sim_action *a = &r->actions[i];
        char t[32];
        fmt_t(a->t_ms, t, sizeof t);
        printf("%s  %-9s %ld \u2192 %ld  %s\n", t, a->outcome, a->from, a->to,
               a->reason);
    }
}

static void print_json(const struct sim_result *r, const char *rule)
{
    json_t *root = json_object(), *sc = json_object(), *steps = json_array(),
           *acts = json_array();
    json_object_set_new(root, "rule", json_string(rule));
    json_object_set_new(sc, "under_min", json_real(r->scores.under_min));
    json_object_set_new(sc, "replica_min", json_real(r->scores.replica_min));
    json_object_set_new(sc, "actions", json_integer(r->scores.actions));
    json_object_set_new(sc, "flaps", json_integer(r->scores.flaps));
    json_object_set_new(root, "scores", sc);
    for (size_t k = 0; k < r->nsteps; k++) {
        const struct sim_step *s = &r->steps[k];
        json_t *o = json_object();
        json_object_set_new(o, "t", json_real((double)s->t_ms / 1000.0));
        json_object_set_new(o, "demand", json_real(s->demand));
        json_object_set_new(o, "replicas", json_integer(s->replicas));
        json_object_set_new(o, "serving", json_integer(s->serving));
        json_object_set_new(o, "observed",
                            isfinite(s->observed) ? json_real(s->observed)
                                                  : json_null());
        json_array_append_new(steps, o);
    }
    for (size_t i = 0; i < r->nactions; i++) {
        const struct sim_action *a = &r->actions[i];
        json_t *o = json_object();
        json_object_set_new(o, "t", json_real((double)a->t_ms / 1000.0));
        json_object_set_new(o, "from", json_integer(a->from));
        json_object_set_new(o, "to", json_integer(a->to));
        json_object_set_new(o, "outcome", json_string(a->outcome));
        json_object_set_new(o, "reason", json_string(a->reason));
        json_array_append_new(acts, o);
    }
    json_object_set_new(root, "steps", steps);
    json_object_set_new(root, "actions", acts);
    json_dumpf(root, stdout, JSON_COMPACT);
    printf("\n");
    json_decref(root);
}

int das_cmd_simulate(int argc, char **argv)
{
    struct das_conf conf = {0};
    struct das_pol_flags f = {.min_no = -1, .max_no = -1};
    const char *trace = NULL, *rule_s = "das", *plot = NULL;
    long seq = 0;
    int64_t model_warm = 20000;
    struct cfg_opt opts[] = {
        DAS_COMMON_OPTS(&conf),
        DAS_POLICY_FLAG_OPTS(&f),
        {"--trace", NULL, CFG_STR, NULL, NULL, 0, 0,
         "the load: CSV t,demand (demand in percent of one core)", &trace},
        {"--policy", NULL, CFG_INT, NULL, NULL, 1, INT32_MAX,
         "take the policy from this row of the store (seq)", &seq},
        {"--rule", NULL, CFG_ENUM, "das", "das|step|hpa|hpa-eq", 0, 0,
         "das's rule, or a reference rule of DECISIONS.md", &rule_s},
        {"--json", NULL, CFG_BOOL, NULL, NULL, 0, 0,
         "scores, every step and every action as JSON", &conf.json},
        {"--plot", NULL, CFG_STR, NULL, NULL, 0, 0,
         "draw demand, capacity, replicas and actions to FILE.svg", &plot},
        {"--start-up", NULL, CFG_DUR, "20s", NULL, 0, 0,
         "the model's start-up: a new replica serves this long after it "
         "exists (DECISIONS.md: 20s)",
         &model_warm},
    };
    size_t nopts = sizeof opts / sizeof opts[0];
    const char *const *lvl = (const char *const *)&conf.log_level;
    int rc = das_parse_opts("das simulate", usage, opts, nopts, argc, argv, 1,
                            NULL, 0, NULL, lvl);
    if (rc >= 0)
        return rc;

    bool flags_given = f.min_no >= 0 || f.max_no >= 0 || f.item || f.out ||
                       f.in || f.out_for || f.in_for;
    if (!trace) {
        fprintf(stderr, "das simulate: missing --trace FILE.csv (the load to "
                        "play)\n");
        return 2;
    }
    if (seq > 0 && flags_given) {
        fprintf(stderr, "das simulate: --policy takes the whole policy from "
                        "the store; give it or the policy flags, not both\n");
        return 2;
    }
    if (plot) {
        size_t n = strlen(plot);
        if (n < 5 || strcmp(plot + n - 4, ".svg")) {
            fprintf(stderr,
                    "das simulate: --plot %s: draws SVG; name the "
                    "file FILE.svg\n",
                    plot);
            return 2;
        }
    }
    struct policy pol;
    if (seq > 0) {
        rc = policy_from_store(&conf, seq, &pol);
        if (rc)
            return rc;
    } else {
        char mins[24], maxs[24];
        struct pol_row row;
        rc = das_policy_from_flags("das simulate", &f, "simulated", "1", mins,
                                   maxs, sizeof mins, &row, &pol);
        if (rc)
            return rc;
    }
    if (strcmp(pol.metric->field, "cpu_ratio") &&
        strcmp(pol.metric->field, "cpu_limit_ratio")) {
        fprintf(stderr, "das simulate: the load model is CPU: use --item "
                        "cpu_ratio (or cpu_limit_ratio)\n");
        return 2;
    }

    char err[ERRLEN];
    size_t len = 0;
    char *text = read_file(trace, &len, err, sizeof err);
    if (!text) {
        fprintf(stderr, "das simulate: --trace %s\n", err);
        return 2;
    }
    struct sim_trace tr;
    if (sim_trace_parse(text, len, &tr, err, sizeof err)) {
        fprintf(stderr, "das simulate: --trace %s: %s\n", trace, err);
        free(text);
        return 2;
    }
    free(text);

    struct sim_model m;
    sim_model_default(&m);
    m.warm_ms = model_warm;
    struct sim_result res;
    int rule = sim_rule_find(rule_s);
    sim_run(&tr, &pol, (enum sim_rule)rule, &m, &res);
    if (conf.json)
        print_json(&res, rule_s);
    else
        print_plain(&res, rule_s, &pol);
    rc = 0;
    if (plot) {
        struct buf svg;
        buf_init(&svg, 64u * 1024u * 1024u);
        char title[160];
        snprintf(title, sizeof title, "das simulate --rule %s: %s", rule_s,
                 trace);
        if (plot_svg(&res, &pol, &m, title, &svg)) {
            fprintf(stderr,
                    "das simulate: --plot %s: the picture is too "
                    "large\n",
                    plot);
            rc = 1;
        } else {
            FILE *out = fopen(plot, "wb");
            if (!out || fwrite(svg.ptr, 1, svg.len, out) != svg.len ||
                fclose(out)) {
                fprintf(stderr, "das simulate: --plot %s: %s\n", plot,
                        strerror(errno));
                rc = 1;
            }
        }
        buf_cleanup(&svg);
    }
    sim_result_free(&res);
    sim_trace_free(&tr);
    return rc;
}
