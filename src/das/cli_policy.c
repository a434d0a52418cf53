/* das policy list | add | rm | check: the operator's view of the policy
 * table. Rows are validated with pol_parse, the same rules `das run`
 * applies; a bad row is shown with its reason, never hidden. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "das.h"
#include "docker.h"
#include "docker_svc.h"
#include "eval.h"
#include "log.h"
#include "pg.h"
#include "policy.h"
#include "table.h"

#define ERRLEN 600

static void policy_usage(FILE *f)
{
    fprintf(f,
            "usage: das policy list [--json]\n"
            "       das policy add SERVICE --min N --max N --item FIELD "
            "--out 70%% --in 10%%\n"
            "                      --out-for 10m --in-for 10m [--mode "
            "auto|band|step]\n"
            "                      [--warmup 30s] [--schedule WINDOWS] [--seq "
            "N] [--replace]\n"
            "       das policy rm SEQ\n"
            "       das policy check\n"
            "\n"
            "list   every policy, from the table and from service labels "
            "(das.max_no=N …),\n"
            "       with its source and status: \"ok\" or what is wrong\n"
            "add    validate and write a row (seq defaults to the next free "
            "one)\n"
            "rm     delete the row with that seq\n"
            "check  validate every row and label policy; exit status 1 when "
            "any is bad\n"
            "\n"
            "With --policy-db none there is no table: list and check show "
            "the label policies,\n"
            "add and rm refuse (set the service's labels instead).\n"
            "\n"
            "`das policy COMMAND --help` lists the command's options.\n");
}

/* ---- options and the store ---------------------------------------------- */

/* Parses options; returns -1 to go on, or the exit status. */
static int parse(const char *sub, const struct cfg_opt *opts, size_t nopts,
                 int argc, char **argv, char **pos, size_t maxpos, size_t *npos,
                 const struct das_conf *conf)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "das policy %s", sub);
    return das_parse_opts(cmd, policy_usage, opts, nopts, argc, argv, 2, pos,
                          maxpos, npos, (const char *const *)&conf->log_level);
}

/* Opens the store (das_store_open with this subcommand's name). */
static struct pg *store(const char *sub, const struct das_conf *conf, int *rc)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "das policy %s", sub);
    return das_store_open(cmd, conf->policy_db, rc);
}

/* add / rm with --policy-db none: there is no table to write. */
static int labels_only(const char *sub)
{
    fprintf(stderr,
            "das policy %s: --policy-db none: policies come from service "
            "labels, there is no policy table to %s; set the labels "
            "instead, e.g. docker service update --label-add das.max_no=5 "
            "--label-add das.out_cond=70%% SERVICE (or deploy.labels in a "
            "stack file; `das policy list` shows them)\n",
            sub, !strcmp(sub, "add") ? "add to" : "remove from");
    return 2;
}

/* pol_parse's message without its "policy seq=N: " prefix. */
static const char *without_seq(const char *msg)
{
    if (strncmp(msg, "policy seq=", 11) == 0) {
        const char *p = strstr(msg, ": ");
        if (p)
            return p + 2;
    }
    return msg;
}

/* ---- list and check ------------------------------------------------------ */

/* list's table: a policy's columns, its source and its status */
#define LIST_NCOLS 15

static json_t *json_int_or_text(const char *s)
{
    if (!s)
        return json_null();
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return json_string(s);
    return json_integer(v);
}

static json_t *json_text(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The label policies, from the engine's service listing into svcs (*lp
 * heap, *nl of them): a table row naming the same service shadows one.
 * false, with err, when the engine did not answer. */
static bool label_policies(const struct das_conf *conf,
                           const struct pg_rowset *set, struct dsvc_list *svcs,
                           struct das_label_pol **lp, size_t *nl, char *err,
                           size_t errlen)
{
    struct dkr *d = dkr_new(conf->docker_host, err, errlen);
    bool docker_ok = d && !dsvc_list(d, svcs, err, errlen);
    dkr_free(d);
    if (!docker_ok)
        return false;
    const char **refs = xcalloc(set->n ? set->n : 1, sizeof *refs);
    long *tseqs = xcalloc(set->n ? set->n : 1, sizeof *tseqs);
    for (size_t i = 0; i < set->n; i++) {
        refs[i] = set->rows[i].col[POL_SERVICE_ID];
        const char *sq = set->rows[i].col[POL_SEQ];
        char *end;
        tseqs[i] = sq ? strtol(sq, &end, 10) : -1;
    }
    *nl = das_label_policies(svcs, refs, tseqs, set->n, lp);
    free(refs);
    free(tseqs);
    return true;
}

/* One policy as list and check show it: a table row, or the row a
 * service's labels make, with whether it is valid and why not. */
struct listed {
    const struct pol_row *row;
    const struct das_label_pol *label; /* NULL: a table row */
    struct pol_row lrow;               /* a label policy's row */
    char lseq[24], lcur[24];           /* its seq and cur_no as text */
    struct policy p;
    bool ok;
    char perr[ERRLEN]; /* when not ok */
    char shadow[160];  /* a label policy the table overrides: why */
};

/* A valid policy whose schedule names a zone das cannot read is a bad
 * one, as das run sees it (eval.c check_zones). */
static void listed_zone(struct zones *zs, struct listed *x)
{
    char e[400];
    if (!x->ok || x->p.sched.n == 0 ||
        zones_get(zs, x->p.sched.zone, e, sizeof e))
        return;
    x->ok = false;
    if (x->label)
        snprintf(x->perr, sizeof x->perr,
                 "service %.63s: label " POL_LABEL_PREFIX "schedule: %s",
                 x->label->svc->name, e);
    else
        snprintf(x->perr, sizeof x->perr, "policy seq=%ld: schedule %s",
                 x->p.seq, e);
}

/* The i-th policy: the table's rows first, then the label policies. */
static void listed_at(const struct pg_rowset *set,
                      const struct das_label_pol *lp, size_t i,
                      struct listed *x)
{
    x->shadow[0] = '\0';
    if (i < set->n) {
        x->label = NULL;
        x->row = &set->rows[i];
        x->ok = pol_parse(x->row, &x->p, x->perr, sizeof x->perr) == 0;
        return;
    }
    const struct das_label_pol *l = &lp[i - set->n];
    const struct dsvc *svc = l->svc;
    struct pol_label pl[DSVC_LABELS_MAX];
    for (size_t k = 0; k < svc->nlabels; k++)
        pl[k] = (struct pol_label){svc->labels[k].key, svc->labels[k].value,
                                   svc->labels[k].cut};
    pol_labels_row(svc->id, svc->global ? -1 : svc->replicas, pl, svc->nlabels,
                   &x->lrow, x->lseq, x->lcur);
    x->lrow.col[POL_SERVICE_ID] = svc->name;
    x->label = l;
    x->row = &x->lrow;
    x->ok = l->valid;
    x->p = l->pol;
    snprintf(x->perr, sizeof x->perr, "%s", l->error);
    if (l->shadowed)
        snprintf(x->shadow, sizeof x->shadow,
                 "left out: table row seq=%ld names this service (the "
                 "table wins)",
                 l->shadowed_by);
}

/* list --json: the row's columns as stored, its source and status. */
static json_t *listed_json(const struct listed *x)
{
    const struct pol_row *row = x->row;
    const struct das_label_pol *l = x->label;
    json_t *o = json_object();
    json_object_set_new(o, "seq", json_int_or_text(row->col[POL_SEQ]));
    json_object_set_new(o, "source", json_string(l ? "labels" : "table"));
    json_object_set_new(o, "service_id",
                        json_text(l ? l->svc->id : row->col[POL_SERVICE_ID]));
    if (l)
        json_object_set_new(o, "service", json_string(l->svc->name));
    for (int c = POL_MIN_NO; c <= POL_CUR_NO; c++)
        json_object_set_new(o, pol_col_names[c], json_int_or_text(row->col[c]));
    for (int c = POL_COND_ITEM; c <= POL_IN_DURATION; c++)
        json_object_set_new(o, pol_col_names[c], json_text(row->col[c]));
    if (l && x->ok) {
        /* a label policy's first condition as das reads it (labels naming
         * only further metrics have no cpu_ratio default) */
        const struct pol_cond *c = &x->p.conds[0];
        char b[48];
        json_object_set_new(o, "cond_item", json_string(c->name));
        json_object_set_new(o, "out_cond",
                            json_string(unit_format_exact(
                                c->out_cond, c->metric->kind, b, sizeof b)));
        json_object_set_new(o, "in_cond",
                            json_string(unit_format_exact(
                                c->in_cond, c->metric->kind, b, sizeof b)));
        json_object_set_new(o, "out_duration",
                            json_string(dur_format(c->out_ms, b, sizeof b)));
        json_object_set_new(o, "in_duration",
                            json_string(dur_format(c->in_ms, b, sizeof b)));
    }
    for (int c = POL_SEED_NCOLS; c < POL_NCOLS; c++)
        json_object_set_new(o, pol_col_names[c], json_text(row->col[c]));
    if (x->ok && x->p.nconds > 1) {
        /* a label policy's further metrics, as the column would hold them */
        char more[POL_METRICS_TEXT_MAX];
        pol_metrics_text(&x->p, 1, more, sizeof more);
        json_object_set_new(o, pol_col_names[POL_METRICS], json_string(more));
    }
    json_object_set_new(o, "ok", json_boolean(x->ok));
    json_object_set_new(o, "status",
                        json_string(!x->ok         ? x->perr
                                    : x->shadow[0] ? x->shadow
                                                   : "ok"));
    if (l)
        json_object_set_new(o, "shadowed", json_boolean(l->shadowed));
    return o;
}

/* list's METRICS cell: the further conditions, "mem_ratio 80%/20%
 * 2m/5m, …" (the whole keys in --json), "-" when none. */
static const char *more_brief(const struct policy *p, char *buf, size_t len)
{
    size_t o = 0;
    if (p->nconds < 2)
        return "-";
    buf[0] = '\0';
    for (size_t k = 1; k < p->nconds; k++) {
        const struct pol_cond *c = &p->conds[k];
        char oc[48], ic[48], od[32], id[32];
        int w = snprintf(
            buf + o, len - o, "%s%s %s/%s %s/%s", k > 1 ? ", " : "", c->name,
            unit_format_exact(c->out_cond, c->metric->kind, oc, sizeof oc),
            unit_format_exact(c->in_cond, c->metric->kind, ic, sizeof ic),
            dur_format(c->out_ms, od, sizeof od),
            dur_format(c->in_ms, id, sizeof id));
        if (w < 0 || (size_t)w >= len - o)
            break;
        o += (size_t)w;
    }
    return buf;
}

/* list's table: the row as stored, its source and status. */
static void listed_cells(const struct listed *x, struct table *t)
{
    const struct pol_row *row = x->row;
    /* the optional columns as they apply: NULL is the default */
    char wu[32], oc[48], ic[48], od[32], id[32], more[POL_METRICS_TEXT_MAX];
    const char *mode = row->col[POL_SCALE_MODE], *warmup = row->col[POL_WARMUP];
    const char *cond[5] = {row->col[POL_COND_ITEM], row->col[POL_OUT_COND],
                           row->col[POL_IN_COND], row->col[POL_OUT_DURATION],
                           row->col[POL_IN_DURATION]};
    const char *metrics = row->col[POL_METRICS];
    if (x->ok) {
        /* as das reads it: a label policy naming only further metrics has
         * no cpu_ratio condition, whatever the defaults say */
        const struct pol_cond *c = &x->p.conds[0];
        mode = pol_mode_names[x->p.mode];
        warmup = dur_format(x->p.warmup_ms, wu, sizeof wu);
        cond[0] = c->name;
        cond[1] =
            unit_format_exact(c->out_cond, c->metric->kind, oc, sizeof oc);
        cond[2] = unit_format_exact(c->in_cond, c->metric->kind, ic, sizeof ic);
        cond[3] = dur_format(c->out_ms, od, sizeof od);
        cond[4] = dur_format(c->in_ms, id, sizeof id);
        metrics = more_brief(&x->p, more, sizeof more);
    }
    const char *vals[LIST_NCOLS] = {row->col[POL_SEQ],
                                    x->label ? "labels" : "table",
                                    row->col[POL_SERVICE_ID],
                                    row->col[POL_MIN_NO],
                                    row->col[POL_MAX_NO],
                                    row->col[POL_CUR_NO],
                                    cond[0],
                                    cond[1],
                                    cond[2],
                                    cond[3],
                                    cond[4],
                                    mode,
                                    warmup,
                                    metrics,
                                    !x->ok         ? without_seq(x->perr)
                                    : x->shadow[0] ? x->shadow
                                                   : "ok"};
    table_add(t, vals, 64);
}

static int cmd_list(int argc, char **argv, bool check)
{
    const char *sub = check ? "check" : "list";
    struct das_conf conf = {0};
    struct cfg_opt opts[] = {
        DAS_COMMON_OPTS(&conf),
        {"--json", NULL, CFG_BOOL, NULL, NULL, 0, 0,
         "print JSON (an array of rows with their status)", &conf.json},
    };
    size_t nopts = sizeof opts / sizeof opts[0] - (check ? 1 : 0);
    char *pos[1];
    size_t npos;
    int rc = parse(sub, opts, nopts, argc, argv, pos, 0, &npos, &conf);
    if (rc >= 0)
        return rc;

    bool none = das_store_none(&conf);
    struct pg *db = NULL;
    struct pg_rowset set = {0};
    char err[ERRLEN];
    if (!none) {
        db = store(sub, &conf, &rc);
        if (!db)
            return rc;
        if (pg_policy_rows(db, &set, err, sizeof err)) {
            fprintf(stderr, "das policy %s: %s\n", sub, err);
            pg_close(db);
            return 1;
        }
    }
    struct dsvc_list svcs = {0};
    struct das_label_pol *lp = NULL;
    size_t nl = 0;
    bool docker_ok =
        label_policies(&conf, &set, &svcs, &lp, &nl, err, sizeof err);
    if (!docker_ok) {
        fprintf(stderr,
                "das policy %s: label policies unknown: Docker engine: %s\n",
                sub, err);
        if (none) {
            pg_close(db);
            return 1;
        }
    }

    size_t bad = 0;
    struct zones *zones = zones_new();
    json_t *arr = conf.json ? json_array() : NULL;
    struct table t;
    table_init(&t, LIST_NCOLS);
    const char *head[LIST_NCOLS] = {"SEQ",    "SOURCE",  "SERVICE", "MIN",
                                    "MAX",    "CUR",     "ITEM",    "OUT",
                                    "IN",     "OUT-FOR", "IN-FOR",  "MODE",
                                    "WARMUP", "METRICS", "STATUS"};
    table_add(&t, head, 64);
    for (size_t i = 0; i < set.n + nl; i++) {
        struct listed x;
        listed_at(&set, lp, i, &x);
        listed_zone(zones, &x);
        if (!x.ok) {
            bad++;
            if (check)
                printf("%s\n", x.perr);
        }
        if (arr)
            json_array_append_new(arr, listed_json(&x));
        else if (!check)
            listed_cells(&x, &t);
    }
    if (arr) {
        json_dumpf(arr, stdout,
                   JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        printf("\n");
        json_decref(arr);
    } else if (check) {
        size_t all = set.n + nl;
        printf("%zu %s checked: %zu ok, %zu bad\n", all,
               all == 1 ? "policy" : "policies", all - bad, bad);
    } else if (set.n + nl == 0) {
        printf(none ? "no policies (label a service: docker service update "
                      "--label-add das.max_no=5 SERVICE)\n"
                    : "no policies (add one with das policy add, or label a "
                      "service with das.max_no=N)\n");
    } else {
        table_print(&t, stdout);
    }
    table_free(&t);
    zones_free(zones);
    free(lp);
    dsvc_list_free(&svcs);
    pg_rowset_free(&set);
    pg_close(db);
    return check && (bad || (none && !docker_ok)) ? 1 : 0;
}

/* ---- add ----------------------------------------------------------------- */

static const char *flag_of_column(const char *msg)
{
    static const struct {
        enum pol_col col;
        const char *flag;
    } map[] = {
        {POL_MIN_NO, "--min"},         {POL_MAX_NO, "--max"},
        {POL_COND_ITEM, "--item"},     {POL_OUT_COND, "--out"},
        {POL_IN_COND, "--in"},         {POL_OUT_DURATION, "--out-for"},
        {POL_IN_DURATION, "--in-for"}, {POL_SERVICE_ID, "SERVICE"},
        {POL_SCALE_MODE, "--mode"},    {POL_WARMUP, "--warmup"},
        {POL_METRICS, "--metrics"},    {POL_IDLE_FOR, "--idle-for"},
        {POL_WAKE_NO, "--wake-no"},    {POL_SCHEDULE, "--schedule"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        const char *name = pol_col_names[map[i].col];
        size_t len = strlen(name);
        if (strncmp(msg, name, len) == 0 &&
            (msg[len] == ' ' || msg[len] == ':'))
            return map[i].flag;
    }
    return NULL;
}

int das_policy_from_flags(const char *cmd, const struct das_pol_flags *f,
                          const char *service, const char *seq_text,
                          char *min_text, char *max_text, size_t textlen,
                          struct pol_row *row, struct policy *p)
{
    /* every missing piece at once */
    struct {
        bool missing;
        const char *what;
    } need[] = {
        {!service, "SERVICE (a service name, id or id prefix)"},
        {f->min_no < 0, "--min N"},
        {f->max_no < 0, "--max N"},
        {!f->item, "--item FIELD"},
        {!f->out, "--out THRESHOLD"},
        {!f->in, "--in THRESHOLD"},
        {!f->out_for, "--out-for DURATION"},
        {!f->in_for, "--in-for DURATION"},
    };
    bool incomplete = false;
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        if (need[i].missing) {
            fprintf(stderr, "%s: missing %s\n", cmd, need[i].what);
            incomplete = true;
        }
    }
    if (incomplete)
        return 2;

    char err[ERRLEN];
    if (pol_service_ref_check(service, err, sizeof err)) {
        fprintf(stderr, "%s: SERVICE: %s\n", cmd, err);
        return 2;
    }
    snprintf(min_text, textlen, "%ld", f->min_no);
    snprintf(max_text, textlen, "%ld", f->max_no);
    row->col[POL_SEQ] = seq_text;
    row->col[POL_MIN_NO] = min_text;
    row->col[POL_MAX_NO] = max_text;
    row->col[POL_CUR_NO] = NULL; /* das run fills it from the service */
    row->col[POL_COND_ITEM] = f->item;
    row->col[POL_OUT_COND] = f->out;
    row->col[POL_IN_COND] = f->in;
    row->col[POL_OUT_DURATION] = f->out_for;
    row->col[POL_IN_DURATION] = f->in_for;
    row->col[POL_SERVICE_ID] = service;
    row->col[POL_SCALE_MODE] = f->mode;
    row->col[POL_WARMUP] = f->warmup;
    row->col[POL_METRICS] = f->metrics;
    row->col[POL_IDLE_FOR] = f->idle_for;
    row->col[POL_WAKE_NO] = f->wake_no;
    row->col[POL_SCHEDULE] = f->schedule;
    if (pol_parse(row, p, err, sizeof err)) {
        const char *msg = without_seq(err);
        const char *flag = flag_of_column(msg);
        fprintf(stderr, "%s: %s%s%s\n", cmd, flag ? flag : "", flag ? ": " : "",
                msg);
        return 2;
    }
    return 0;
}

/* Writes row at seq (> 0; replace: over a row there), or at the next free
 * seq (0), whose text goes to seqs (row->col[POL_SEQ] points at it). 0
 * written; 1 not, said on stderr; -1 + err. */
static int write_row(struct pg *db, struct pol_row *row, long seq, bool replace,
                     char *seqs, size_t seqslen, char *err, size_t errlen)
{
    bool written = false;
    if (seq > 0) {
        if (pg_policy_write(db, row, replace, &written, err, errlen))
            return -1;
        if (!written) {
            fprintf(stderr,
                    "das policy add: seq %ld is taken; leave --seq out for "
                    "the next free one, or add --replace to overwrite it "
                    "(das policy list shows it)\n",
                    seq);
            return 1;
        }
        return 0;
    }
    /* next free seq; another writer may take it first: try again */
    for (int attempt = 0; attempt < 5 && !written; attempt++) {
        if (pg_policy_next_seq(db, &seq, err, errlen))
            return -1;
        snprintf(seqs, seqslen, "%ld", seq);
        if (pg_policy_write(db, row, false, &written, err, errlen))
            return -1;
    }
    if (!written) {
        fprintf(stderr, "das policy add: could not find a free seq "
                        "(others are adding policies); give --seq\n");
        return 1;
    }
    return 0;
}

static int cmd_add(int argc, char **argv)
{
    struct das_conf conf = {0};
    struct das_pol_flags f = {.min_no = -1, .max_no = -1};
    long seq = 0;
    bool replace = false;
    struct cfg_opt opts[] = {
        DAS_COMMON_OPTS(&conf),
        DAS_POLICY_FLAG_OPTS(&f),
        {"--seq", NULL, CFG_INT, NULL, NULL, 1, INT32_MAX,
         "the row's seq (default: the next free one)", &seq},
        {"--replace", NULL, CFG_BOOL, NULL, NULL, 0, 0,
         "overwrite the row when --seq is taken", &replace},
        {"--schedule", NULL, CFG_STR, NULL, NULL, 0, 0,
         "windows that raise min or lower max (column schedule): "
         "'Mon-Fri 08:00-18:00 min=4; Sat,Sun 00:00-24:00 max=2; "
         "tz=Europe/Paris'",
         &f.schedule},
    };
    char *pos[1];
    size_t npos;
    int rc = parse("add", opts, sizeof opts / sizeof opts[0], argc, argv, pos,
                   1, &npos, &conf);
    if (rc >= 0)
        return rc;

    if (das_store_none(&conf))
        return labels_only("add");
    char err[ERRLEN];
    const char *service = npos ? pos[0] : NULL;
    char seqs[24], mins[24], maxs[24];
    snprintf(seqs, sizeof seqs, "%ld", seq > 0 ? seq : 1L);
    struct pol_row row;
    struct policy p;
    rc = das_policy_from_flags("das policy add", &f, service, seqs, mins, maxs,
                               sizeof mins, &row, &p);
    if (rc) {
        if (!service || f.min_no < 0 || f.max_no < 0 || !f.item || !f.out ||
            !f.in || !f.out_for || !f.in_for)
            fprintf(stderr,
                    "usage: das policy add SERVICE --min N --max N --item "
                    "FIELD --out 70%% --in 10%% --out-for 10m --in-for 10m "
                    "[--mode auto|band|step] [--warmup 30s] [--schedule "
                    "WINDOWS] [--seq N]\n");
        return rc;
    }

    if (p.sched.n) {
        struct zones *zones = zones_new();
        const struct tz *z = zones_get(zones, p.sched.zone, err, sizeof err);
        zones_free(zones);
        if (!z) {
            fprintf(stderr, "das policy add: --schedule: %s\n", err);
            return 2;
        }
    }
    struct pg *db = store("add", &conf, &rc);
    if (!db)
        return rc;
    rc = 1;
    if (pg_ensure_schema(db, err, sizeof err))
        goto fail;
    int w =
        write_row(db, &row, seq, replace, seqs, sizeof seqs, err, sizeof err);
    if (w < 0)
        goto fail;
    if (w > 0)
        goto out;
    char wu[32], more[POL_METRICS_TEXT_MAX];
    printf("%s policy seq=%s: service %s, %s..%s replicas, %s: out above %s "
           "for %s, in below %s for %s, mode %s, warmup %s",
           replace ? "wrote" : "added", seqs, service, mins, maxs, f.item,
           f.out, f.out_for, f.in, f.in_for, pol_mode_names[p.mode],
           dur_format(p.warmup_ms, wu, sizeof wu));
    if (p.nconds > 1)
        printf("; further metrics: %s", more_brief(&p, more, sizeof more));
    if (p.sched.n) {
        char st[SCHED_TEXT_MAX];
        printf("; schedule: %s", sched_text(&p.sched, st, sizeof st));
    }
    printf("\n");
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "das policy add: %s\n", err);
out:
    pg_close(db);
    return rc;
}

/* ---- rm ------------------------------------------------------------------ */

static int cmd_rm(int argc, char **argv)
{
    struct das_conf conf = {0};
    struct cfg_opt opts[] = {DAS_COMMON_OPTS(&conf)};
    char *pos[1];
    size_t npos;
    int rc = parse("rm", opts, sizeof opts / sizeof opts[0], argc, argv, pos, 1,
                   &npos, &conf);
    if (rc >= 0)
        return rc;
    if (das_store_none(&conf))
        return labels_only("rm");
    if (npos != 1) {
        fprintf(stderr, "das policy rm: missing SEQ (das policy list shows "
                        "each row's seq)\nusage: das policy rm SEQ\n");
        return 2;
    }
    char *end;
    errno = 0;
    long seq = strtol(pos[0], &end, 10);
    if (errno || end == pos[0] || *end || seq < 1 || seq > INT32_MAX) {
        char q[80];
        fprintf(stderr,
                "das policy rm: SEQ %s: expected a whole number from 1 to "
                "%ld (das policy list shows each row's seq)\n",
                log_quote(pos[0], q, sizeof q), (long)INT32_MAX);
        return 2;
    }
    struct pg *db = store("rm", &conf, &rc);
    if (!db)
        return rc;
    char err[ERRLEN];
    bool deleted = false;
    rc = 0;
    if (pg_policy_delete(db, seq, &deleted, err, sizeof err)) {
        fprintf(stderr, "das policy rm: %s\n", err);
        rc = 1;
    } else if (!deleted) {
        fprintf(stderr,
                "das policy rm: no policy with seq %ld (das policy "
                "list shows the rows)\n",
                seq);
        rc = 1;
    } else {
        printf("removed policy seq=%ld\n", seq);
    }
    pg_close(db);
    return rc;
}

int das_cmd_policy(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (!sub) {
        fprintf(stderr, "das policy: missing command: list, add, rm or "
                        "check\n");
        policy_usage(stderr);
        return 2;
    }
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
        policy_usage(stdout);
        return 0;
    }
    if (!strcmp(sub, "list"))
        return cmd_list(argc, argv, false);
    if (!strcmp(sub, "check"))
        return cmd_list(argc, argv, true);
    if (!strcmp(sub, "add"))
        return cmd_add(argc, argv);
    if (!strcmp(sub, "rm"))
        return cmd_rm(argc, argv);
    char q[80];
    fprintf(stderr,
            "das policy: unknown command %s: use list, add, rm or "
            "check\n",
            log_quote(sub, q, sizeof q));
    return 2;
}
