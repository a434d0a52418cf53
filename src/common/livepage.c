/* das run's live page as HTML (livepage.h). */
#include "livepage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decide.h"
#include "plot.h"
#include "sim.h"
#include "xmalloc.h"

/* ---- words ----------------------------------------------------------- */

struct lp_word {
    const char *word, *join, *cls;
};

/* By outcome; one missing here shows as its name (dec_outcome_names). */
static const struct lp_word words[DEC_NOUTCOMES] = {
    [DEC_O_SCALE_OUT] = {"scaling out", " because ", "act"},
    [DEC_O_SCALE_IN] = {"scaling in", " because ", "act"},
    [DEC_O_BOUND] = {"bringing into its bounds", ": ", "act"},
    [DEC_O_STEADY] = {"steady", ": ", "ok"},
    [DEC_O_AT_MAX] = {"steady at its maximum", ": ", "ok"},
    [DEC_O_AT_MIN] = {"steady at its minimum", ": ", "ok"},
    [DEC_O_HOLD] = {"steady, holding", ": ", "ok"},
    [DEC_O_INSUFFICIENT] = {"metrics unavailable", " because ", "wait"},
    [DEC_O_SETTLING] = {"settling", ": ", "wait"},
    [DEC_O_NOT_FOUND] = {"service not found", ": ", "bad"},
    [DEC_O_NOT_SCALABLE] = {"not scalable", ": ", "bad"},
    [DEC_O_UPDATING] = {"updating", ": ", "wait"},
    [DEC_O_CAPACITY] = {"capacity-bound", ": ", "warn"},
    [DEC_O_STORE_DOWN] = {"policy store unavailable", ": ", "warn"},
    [DEC_O_DOCKER_DOWN] = {"Docker engine unavailable", ": ", "warn"},
    [DEC_O_METRICS_DOWN] = {"metrics unavailable", " because ", "warn"},
};

const char *lp_state(const struct lp_row *r, const char **join,
                     const char **cls)
{
    *join = ": ";
    *cls = "bad";
    if (!r->valid || r->outcome < 0 || r->outcome >= DEC_NOUTCOMES)
        return "bad policy";
    const struct lp_word *w = &words[r->outcome];
    if (!w->word)
        return dec_outcome_names[r->outcome];
    *join = w->join;
    *cls = w->cls;
    return w->word;
}

/* ---- escaping -------------------------------------------------------- */

int lp_escape(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    int bad = 0;
    for (; s && *s && !bad; s++) {
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
            bad = buf_puts(out, "&#39;");
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char x[5] = {'\\', 'x', hex[c >> 4], hex[c & 15], 0};
                bad = buf_puts(out, x);
            } else {
                bad = buf_append(out, s, 1);
            }
        }
    }
    return bad ? -1 : 0;
}

int lp_url_segment(struct buf *out, const char *s)
{
    int bad = 0;
    for (; s && *s && !bad; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
            c == '~')
            bad = buf_append(out, s, 1);
        else
            bad = buf_printf(out, "%%%02X", c);
    }
    return bad ? -1 : 0;
}

/* ---- pieces ---------------------------------------------------------- */

static void fmt_utc(int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || !gmtime_r(&t, &tm) ||
        !strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(out, len, "-");
}

static const char style[] =
    "body{font-family:sans-serif;margin:0 auto;max-width:1100px;"
    "padding:8px;color:#222}"
    "h1{font-size:1.3em;margin:.3em 0}h2{font-size:1.1em}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;"
    "vertical-align:top}"
    "td.reason,td.state,td.last{overflow-wrap:anywhere}"
    ".ok b{color:#1a7f45}.act b{color:#c05a00}.wait b{color:#666}"
    ".warn b,.bad b{color:#c22}"
    ".note{background:#fff4d6;padding:8px;border-left:4px solid #d90}"
    ".trouble{background:#fde2df;padding:6px;border-left:4px solid #c22}"
    "svg{max-width:100%;height:auto}"
    ".small{color:#666;font-size:.9em}"
    "@media (max-width:640px){thead{display:none}"
    "tr,td{display:block}td{border:0;padding:2px 0}"
    "tr{border-bottom:1px solid #ccc;padding:6px 0}"
    "td[data-h]::before{content:attr(data-h) \": \";color:#666}}";

/* The document's start, with the refresh every cycle; title is escaped. */
static int head(struct buf *o, const struct lp_view *v, const char *title)
{
    int64_t refresh = (v->interval_ms + 999) / 1000;
    int bad = buf_printf(o,
                         "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                         "<meta charset=\"utf-8\">"
                         "<meta name=\"viewport\" content=\"width=device-width,"
                         " initial-scale=1\">"
                         "<meta http-equiv=\"refresh\" content=\"%lld\">"
                         "<title>",
                         (long long)(refresh > 0 ? refresh : 1));
    bad |= lp_escape(o, title);
    return bad |
           buf_printf(o, "</title><style>%s</style></head><body>\n", style);
}

/* Who acts: this das, or the leader's. */
static int who_leads(struct buf *o, const struct lp_view *v)
{
    int bad = 0;
    if (v->leader)
        return buf_puts(o, "");
    bad |= buf_puts(o, "<p class=\"note\" id=\"standby\">This das stands by: "
                       "its engine (");
    bad |= lp_escape(o, v->engine);
    bad |= buf_puts(o, ") is not the swarm leader, and only the leader's das "
                       "decides and acts. ");
    if (v->leader_node[0]) {
        bad |= buf_puts(o, "The leader is <b id=\"leader\">");
        bad |= lp_escape(o, v->leader_node);
        bad |= buf_puts(o, "</b>");
        if (v->leader_addr[0]) {
            bad |= buf_puts(o, " at ");
            bad |= lp_escape(o, v->leader_addr);
            bad |= buf_printf(o, "; its das's page (on the same port): "
                                 "<a href=\"http://");
            bad |= lp_escape(o, v->leader_addr);
            bad |= buf_printf(o, ":%u/\">http://", v->port);
            bad |= lp_escape(o, v->leader_addr);
            bad |= buf_printf(o, ":%u/</a>", v->port);
        }
        bad |= buf_puts(o, ".");
    } else {
        bad |= buf_puts(o, "Which manager leads is not known: ");
        bad |= lp_escape(o, v->leader_err[0] ? v->leader_err : "not read yet");
        bad |= buf_puts(o, ".");
    }
    return bad | buf_puts(o, "</p>\n");
}

/* "3 of 2..10 replicas, 3 running, 1 pending" */
static int replicas_cell(struct buf *o, const struct lp_row *r)
{
    int bad = buf_puts(o, "<td class=\"replicas\" data-h=\"replicas\">");
    if (r->replicas >= 0)
        bad |= buf_printf(o, "<b>%ld</b>", r->replicas);
    else
        bad |= buf_puts(o, "<b>?</b>");
    if (r->valid)
        bad |= buf_printf(o, " of %ld..%ld", r->min_no, r->max_no);
    if (r->running >= 0)
        bad |=
            buf_printf(o, "<br><span class=\"small\">%ld running", r->running);
    if (r->running >= 0 && r->pending > 0)
        bad |= buf_printf(o, ", %ld pending", r->pending);
    if (r->running >= 0)
        bad |= buf_puts(o, "</span>");
    return bad | buf_puts(o, "</td>");
}

static int state_cell(struct buf *o, const struct lp_row *r)
{
    const char *join, *cls;
    const char *word = lp_state(r, &join, &cls);
    int bad =
        buf_printf(o,
                   "<td class=\"state %s\" data-h=\"state\" "
                   "data-outcome=\"%s\"><b>%s</b>",
                   cls,
                   r->valid && r->outcome >= 0 && r->outcome < DEC_NOUTCOMES
                       ? dec_outcome_names[r->outcome]
                       : "bad-policy",
                   word);
    if (r->reason && r->reason[0]) {
        bad |= buf_puts(o, join);
        bad |= lp_escape(o, r->reason);
    }
    return bad | buf_puts(o, "</td>");
}

/* The last action: the event das keeps, else the history's time alone. */
static int last_cell(struct buf *o, const struct lp_row *r,
                     const struct pg_event *e)
{
    char when[40];
    int bad = buf_puts(o, "<td class=\"last\" data-h=\"last action\">");
    if (e && e->time_ms > 0) {
        fmt_utc(e->time_ms, when, sizeof when);
        bad |= buf_puts(o, "<b>");
        bad |= lp_escape(o, e->action);
        bad |= buf_printf(o,
                          "</b> %ld → %ld%s <span class=\"small\">%s</span>"
                          "<br>",
                          e->from_no, e->to_no, e->dry_run ? " (dry run)" : "",
                          when);
        bad |= lp_escape(o, e->reason);
    } else if (r->last_action_ms > 0) {
        fmt_utc(r->last_action_ms, when, sizeof when);
        bad |= buf_printf(o,
                          "at %s <span class=\"small\">(before this das "
                          "started: das events has it)</span>",
                          when);
    } else {
        bad |= buf_puts(o, "<span class=\"small\">none</span>");
    }
    return bad | buf_puts(o, "</td>");
}

static int row_html(struct buf *o, const struct lp_row *r,
                    const struct pg_event *last)
{
    int bad = buf_printf(
        o,
        "<tr class=\"policy\" data-seq=\"%ld\">"
        "<td class=\"service\" data-h=\"service\"><a href=\"/service/",
        r->seq);
    bad |= lp_url_segment(o, r->service);
    bad |= buf_puts(o, "\">");
    bad |= lp_escape(o, r->service);
    bad |= buf_printf(o, "</a></td><td class=\"source\" data-h=\"policy\">%s",
                      pol_source_names[r->source == POL_SRC_LABELS]);
    for (size_t k = 0; r->valid && k < r->nconds; k++) {
        /* each condition: "cpu_ratio > 70% / < 30%" */
        const struct lp_cond *c = &r->conds[k];
        char out[48], in[48];
        unit_format_exact(c->out_cond, c->metric->kind, out, sizeof out);
        unit_format_exact(c->in_cond, c->metric->kind, in, sizeof in);
        bad |= buf_puts(o, "<br><span class=\"small\">");
        bad |= lp_escape(o, c->name);
        bad |= buf_printf(o, " &gt; %s / &lt; %s</span>", out, in);
    }
    bad |= buf_puts(o, "</td>");
    bad |= replicas_cell(o, r);
    bad |= state_cell(o, r);
    bad |= last_cell(o, r, last);
    return bad | buf_puts(o, "</tr>\n");
}

/* "12 policies: 8 steady, 2 settling, …" over every row, by word. */
static int summary(struct buf *o, const struct lp_view *v)
{
    const char *seen[DEC_NOUTCOMES + 1];
    size_t count[DEC_NOUTCOMES + 1], ns = 0;
    for (size_t i = 0; i < v->n; i++) {
        const char *join, *cls;
        const char *w = lp_state(&v->rows[i], &join, &cls);
        size_t k = 0;
        while (k < ns && strcmp(seen[k], w))
            k++;
        if (k == ns) {
            if (ns == DEC_NOUTCOMES + 1)
                continue;
            seen[ns] = w;
            count[ns++] = 0;
        }
        count[k]++;
    }
    int bad = buf_printf(o, "<p id=\"summary\">%zu %s", v->n,
                         v->n == 1 ? "policy" : "policies");
    for (size_t k = 0; k < ns; k++)
        bad |= buf_printf(o, "%s%s %zu", k ? " · " : " — ", seen[k], count[k]);
    return bad | buf_puts(o, "</p>\n");
}

static int status_line(struct buf *o, const struct lp_view *v)
{
    char when[40], iv[32];
    fmt_utc(v->at_ms, when, sizeof when);
    dur_format(v->interval_ms, iv, sizeof iv);
    int bad = buf_printf(o,
                         "<p class=\"small\" id=\"cycle\">%s · the last cycle "
                         "ended %s · a cycle every %s, this page with it · "
                         "metrics from %s</p>\n",
                         v->leader ? "leader: this das acts" : "standby", when,
                         iv, v->metrics ? v->metrics : "?");
    if (v->trouble[0]) {
        bad |= buf_puts(o, "<p class=\"trouble\" id=\"trouble\">");
        bad |= lp_escape(o, v->trouble);
        bad |= buf_puts(o, "</p>\n");
    }
    return bad;
}

static int pager(struct buf *o, const struct lp_view *v, size_t page)
{
    size_t pages = (v->n + LP_PAGE - 1) / LP_PAGE;
    if (pages <= 1)
        return 0;
    int bad = buf_printf(
        o, "<p id=\"pager\">policies %zu–%zu of %zu · ", page * LP_PAGE + 1,
        page * LP_PAGE + LP_PAGE < v->n ? page * LP_PAGE + LP_PAGE : v->n,
        v->n);
    if (page > 0)
        bad |=
            buf_printf(o, "<a href=\"/?page=%zu\">‹ previous</a> ", page - 1);
    if (page + 1 < pages)
        bad |= buf_printf(o, "<a href=\"/?page=%zu\">next ›</a>", page + 1);
    return bad | buf_puts(o, "</p>\n");
}

int lp_overview(const struct lp_view *v, size_t page,
                const struct pg_event *last, struct buf *o)
{
    int bad = head(o, v, "das — live");
    bad |= buf_puts(o, "<h1>das — every policy at a glance</h1>\n");
    bad |= status_line(o, v);
    bad |= who_leads(o, v);
    if (!v->leader)
        return bad | buf_puts(o, "</body></html>\n") ? -1 : 0;
    bad |= summary(o, v);
    bad |= pager(o, v, page);
    bad |= buf_puts(o, "<table id=\"policies\"><thead><tr><th>service</th>"
                       "<th>policy</th><th>replicas</th><th>state</th>"
                       "<th>last action</th></tr></thead><tbody>\n");
    size_t first = page * LP_PAGE;
    for (size_t i = first; i < v->n && i < first + LP_PAGE && !bad; i++)
        bad |= row_html(o, &v->rows[i], &last[i - first]);
    bad |= buf_puts(o, "</tbody></table>\n");
    bad |= pager(o, v, page);
    return bad | buf_puts(o, "</body></html>\n") ? -1 : 0;
}

/* ---- one service ----------------------------------------------------- */

static bool is_change(const struct pg_event *e)
{
    return e->from_no != e->to_no && strcmp(e->action, "synced") &&
           strcmp(e->action, "capacity-bound");
}

/* The chart: the samples as steps, the changes among ev as actions. */
static int chart(struct buf *o, const struct lp_row *r,
                 const struct lh_sample *s, size_t ns,
                 const struct pg_event *ev, size_t nev)
{
    struct sim_result res = {0};
    res.steps = xcalloc(ns ? ns : 1, sizeof *res.steps);
    res.actions = xcalloc(nev ? nev : 1, sizeof *res.actions);
    for (size_t k = 0; k < ns; k++) {
        struct sim_step *st = &res.steps[res.nsteps++];
        st->t_ms = s[k].t_ms;
        st->demand = isnan(s[k].load) ? NAN : (double)s[k].load;
        st->replicas = s[k].replicas >= 0 ? s[k].replicas : 0;
        st->serving = s[k].serving >= 0 ? s[k].serving : st->replicas;
        st->observed = NAN;
    }
    for (size_t i = nev; i-- > 0;) { /* oldest first */
        const struct pg_event *e = &ev[i];
        if (!is_change(e) || !ns || e->time_ms < s[0].t_ms)
            continue;
        struct sim_action *a = &res.actions[res.nactions++];
        a->t_ms = e->time_ms;
        a->from = e->from_no;
        a->to = e->to_no;
        a->outcome = "";
        snprintf(a->reason, sizeof a->reason, "%s%s %ld → %ld: %s",
                 e->dry_run ? "dry run: " : "", e->action, e->from_no, e->to_no,
                 e->reason);
    }
    /* the chart is of the first condition: the policy as plot.h takes it */
    const struct lp_cond *c = &r->conds[0];
    struct policy pol;
    memset(&pol, 0, sizeof pol);
    pol.min_no = r->min_no;
    pol.max_no = r->max_no;
    pol.metric = c->metric;
    pol.out_cond = c->out_cond;
    pol.in_cond = c->in_cond;
    pol.out_ms = c->out_ms;
    pol.in_ms = c->in_ms;
    char ylabel[96], load[160], sub[200], iv[32], of[32];
    snprintf(ylabel, sizeof ylabel, "%s × replicas", c->name);
    dur_format(c->out_ms, of, sizeof of);
    snprintf(load, sizeof load,
             "load: the mean %s over the out window (%s) × the replicas "
             "reporting",
             c->name, of);
    int64_t span = ns > 1 ? s[ns - 1].t_ms - s[0].t_ms : 0;
    dur_format(span - span % 1000, iv, sizeof iv); /* whole seconds */
    snprintf(sub, sizeof sub,
             "the last %s as das run saw it, one step a cycle; a gap: "
             "not measured",
             iv);
    struct plot_spec spec = {
        .title = r->service,
        .subtitle = sub,
        .load_label = load,
        .ylabel = ylabel,
        .unit = c->metric->kind,
        .cap = r->limit,
        .under_frac = 0.9,
        .action_lag_s = 0,
    };
    int bad = buf_puts(o, "<figure id=\"chart\">");
    bad |= plot_chart(&res, &pol, &spec, o);
    bad |= buf_puts(o, "</figure>\n");
    free(res.steps);
    free(res.actions);
    return bad;
}

/* A mean of the last cycle in the condition's unit, "–" when not read. */
static void mean_text(double v, enum unit_kind kind, char *out, size_t len)
{
    if (isnan(v))
        snprintf(out, len, "–");
    else
        unit_format(v, kind, out, len);
}

/* The policy's bounds and settings, then each condition: its thresholds
 * and windows, and the means the last cycle compared with them. */
static int settings(struct buf *o, const struct lp_row *r)
{
    char wu[32], now[64] = "";
    dur_format(r->warmup_ms, wu, sizeof wu);
    if (r->min_now != r->min_no || r->max_now != r->max_no)
        snprintf(now, sizeof now, " (%ld..%ld now, by its schedule)",
                 r->min_now, r->max_now);
    int bad =
        buf_printf(o,
                   "<p id=\"policy\">Policy %ld (%s): %ld..%ld "
                   "replicas%s; scale_mode %s, warmup %s. Out when "
                   "any condition's mean is above its line for its "
                   "window, in when every one is below.</p>\n",
                   r->seq, pol_source_names[r->source == POL_SRC_LABELS],
                   r->min_no, r->max_no, now, pol_mode_names[r->mode], wu);
    bad |= buf_puts(o, "<table id=\"conditions\"><thead><tr><th>metric</th>"
                       "<th>out above</th><th>for</th><th>in below</th>"
                       "<th>for</th><th>mean over the out window</th>"
                       "<th>mean over the in window</th></tr></thead>"
                       "<tbody>\n");
    for (size_t k = 0; k < r->nconds && !bad; k++) {
        const struct lp_cond *c = &r->conds[k];
        enum unit_kind kind = c->metric->kind;
        char out[48], in[48], of[32], inf[32], mo[48], mi[48];
        unit_format_exact(c->out_cond, kind, out, sizeof out);
        unit_format_exact(c->in_cond, kind, in, sizeof in);
        dur_format(c->out_ms, of, sizeof of);
        dur_format(c->in_ms, inf, sizeof inf);
        mean_text(c->out_mean, kind, mo, sizeof mo);
        mean_text(c->in_mean, kind, mi, sizeof mi);
        bad |= buf_puts(o, "<tr class=\"condition\"><td data-h=\"metric\">");
        bad |= lp_escape(o, c->name);
        if (c->metric == &pol_metric_query)
            bad |= buf_puts(o, c->target == POL_TARGET_SERVICE
                                   ? " (query, for the service)"
                                   : " (query, per replica)");
        bad |= buf_printf(o,
                          "</td><td data-h=\"out above\">%s</td>"
                          "<td data-h=\"for\">%s</td>"
                          "<td data-h=\"in below\">%s</td>"
                          "<td data-h=\"for\">%s</td>"
                          "<td data-h=\"mean, out window\">%s</td>"
                          "<td data-h=\"mean, in window\">%s</td></tr>\n",
                          out, of, in, inf, mo, mi);
    }
    return bad | buf_puts(o, "</tbody></table>\n");
}

static int events_table(struct buf *o, const struct pg_event *ev, size_t nev)
{
    char when[40];
    int bad = buf_puts(o, "<h2>Recent events</h2>\n");
    if (nev == 0)
        return bad | buf_puts(o, "<p class=\"small\" id=\"events\">none that "
                                 "this das keeps</p>\n");
    bad |= buf_puts(o, "<table id=\"events\"><thead><tr><th>time</th>"
                       "<th>action</th><th>replicas</th><th>reason</th></tr>"
                       "</thead><tbody>\n");
    for (size_t i = 0; i < nev && !bad; i++) {
        const struct pg_event *e = &ev[i];
        fmt_utc(e->time_ms, when, sizeof when);
        bad |= buf_printf(o,
                          "<tr class=\"event\"><td data-h=\"time\">%s</td>"
                          "<td data-h=\"action\">",
                          when);
        bad |= lp_escape(o, e->action);
        bad |= buf_printf(o,
                          "%s</td><td data-h=\"replicas\">%ld → %ld</td>"
                          "<td class=\"reason\" data-h=\"reason\">",
                          e->dry_run ? " (dry run)" : "", e->from_no, e->to_no);
        bad |= lp_escape(o, e->reason);
        bad |= buf_puts(o, "</td></tr>\n");
    }
    return bad | buf_puts(o, "</tbody></table>\n");
}

int lp_service(const struct lp_view *v, const struct lp_row *r,
               const struct lh_sample *s, size_t ns, const struct pg_event *ev,
               size_t nev, struct buf *o)
{
    char title[128];
    snprintf(title, sizeof title, "das — %.64s", r->service);
    int bad = head(o, v, title);
    bad |= buf_puts(o, "<p><a href=\"/\">‹ every policy</a></p><h1>");
    bad |= lp_escape(o, r->service);
    bad |= buf_puts(o, "</h1>\n");
    bad |= status_line(o, v);
    bad |= who_leads(o, v);
    if (!v->leader)
        return bad | buf_puts(o, "</body></html>\n") ? -1 : 0;
    bad |= buf_puts(o, "<table><tbody>");
    bad |= replicas_cell(o, r);
    bad |= state_cell(o, r);
    bad |= buf_puts(o, "</tbody></table>\n");
    if (r->valid) {
        bad |= settings(o, r);
        if (ns)
            bad |= chart(o, r, s, ns, ev, nev);
        else
            bad |= buf_puts(o, "<p id=\"chart\">No cycle has measured it "
                               "yet.</p>\n");
    }
    bad |= events_table(o, ev, nev);
    return bad | buf_puts(o, "</body></html>\n") ? -1 : 0;
}

int lp_not_found(const struct lp_view *v, const char *name, struct buf *o)
{
    int bad = head(o, v, "das — not found");
    bad |= buf_puts(o, "<p><a href=\"/\">‹ every policy</a></p>"
                       "<p id=\"not-found\">No policy of the last cycle names "
                       "the service “");
    bad |= lp_escape(o, name);
    return bad | buf_puts(o, "”.</p></body></html>\n") ? -1 : 0;
}

void lp_row_policy(struct lp_row *r, const struct policy *p)
{
    r->min_no = p->min_no;
    r->max_no = p->max_no;
    r->min_now = p->min_no;
    r->max_now = p->max_no;
    r->mode = p->mode;
    r->warmup_ms = p->warmup_ms;
    r->nconds = p->nconds;
    r->conds = xcalloc(p->nconds ? p->nconds : 1, sizeof *r->conds);
    for (size_t k = 0; k < p->nconds; k++) {
        const struct pol_cond *pc = &p->conds[k];
        struct lp_cond *c = &r->conds[k];
        snprintf(c->name, sizeof c->name, "%s", pc->name);
        c->metric = pc->metric;
        c->target = pc->target;
        c->out_cond = pc->out_cond;
        c->in_cond = pc->in_cond;
        c->out_ms = pc->out_ms;
        c->in_ms = pc->in_ms;
        c->out_mean = c->in_mean = NAN;
    }
}

void lp_rows_free(struct lp_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].service);
        free(rows[i].reason);
        free(rows[i].conds);
    }
    free(rows);
}
