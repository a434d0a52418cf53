/* Notification bodies (notify_fmt.h): JSON on top of evjson's, or the
 * text form for chat tools. */
#include "notify_fmt.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "evjson.h"

static bool is_action(const char *a)
{
    return !strcmp(a, "scale-out") || !strcmp(a, "scale-in") ||
           !strcmp(a, "bound") || !strcmp(a, "synced");
}

static bool is_leadership(const char *a)
{
    return !strcmp(a, notify_event_names[NOTIFY_LEADER_GAINED]) ||
           !strcmp(a, notify_event_names[NOTIFY_LEADER_LOST]);
}

const char *notify_kind(const char *action)
{
    if (is_action(action))
        return "action";
    return is_leadership(action) ? "leadership" : "state";
}

static char *json_body(const struct notify_item *it,
                       const struct notify_origin *from)
{
    const struct pg_event *e = &it->ev;
    char id[96];
    snprintf(id, sizeof id, "%lld-%ld-%llu", (long long)from->start_ms,
             from->pid, (unsigned long long)it->n);
    json_t *o = evlog_event_json(e);
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "das", json_string(from->das));
    json_object_set_new(o, "kind", json_string(notify_kind(e->action)));
    /* what an event does not have is null, not a made-up 0 */
    if (e->from_no < 0 || e->to_no < 0) {
        json_object_set_new(o, "from", json_null());
        json_object_set_new(o, "to", json_null());
    }
    if (is_leadership(e->action)) {
        json_object_set_new(o, "seq", json_null());
        json_object_set_new(o, "service", json_null());
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(o);
    return text ? text : xstrdup("{}");
}

int notify_slack_escape(const char *s, struct buf *out)
{
    for (const char *p = s; *p; p++) {
        const char *rep = *p == '&'   ? "&amp;"
                          : *p == '<' ? "&lt;"
                          : *p == '>' ? "&gt;"
                                      : NULL;
        int rc = rep ? buf_puts(out, rep) : buf_append(out, p, 1);
        if (rc)
            return -1;
    }
    return 0;
}

/* "das HOST: web: scale-out 2 → 3 (dry run): REASON" */
static char *slack_body(const struct notify_item *it,
                        const struct notify_origin *from)
{
    const struct pg_event *e = &it->ev;
    bool replicas = e->from_no >= 0 && e->to_no >= 0;
    struct buf t;
    buf_init(&t, 8192);
    /* bounded fields: the text fits (a failed append leaves it out) */
    int rc = buf_printf(&t, "das %s: ", from->das);
    if (!is_leadership(e->action) && e->service[0])
        rc |= buf_printf(&t, "%s: ", e->service);
    rc |= buf_puts(&t, e->action);
    if (replicas && e->from_no != e->to_no)
        rc |= buf_printf(&t, " %ld \xe2\x86\x92 %ld", e->from_no, e->to_no);
    else if (replicas)
        rc |= buf_printf(&t, " at %ld replicas", e->from_no);
    if (e->dry_run)
        rc |= buf_puts(&t, " (dry run)");
    if (e->reason[0])
        rc |= buf_printf(&t, ": %s", e->reason);
    (void)rc;
    struct buf esc;
    buf_init(&esc, 16384);
    if (notify_slack_escape(t.ptr ? t.ptr : "", &esc)) {
    }
    json_t *o = json_object();
    json_object_set_new(o, "text", json_string(esc.ptr ? esc.ptr : ""));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    buf_cleanup(&esc);
    buf_cleanup(&t);
    return text ? text : xstrdup("{}");
}

char *notify_body(const struct notify_item *it, enum notify_format format,
                  const struct notify_origin *from)
{
    return format == NOTIFY_FMT_SLACK ? slack_body(it, from)
                                      : json_body(it, from);
}
