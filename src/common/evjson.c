/* The JSON form of das run's recent events (evjson.h): what GET /events
 * serves and `das events --json` prints, and its reading back. */
#include "evjson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dur.h"

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *evlog_event_json(const struct pg_event *e)
{
    char t[40], win[40];
    time_t secs = (time_t)(e->time_ms / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm) ||
        !strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(t, sizeof t, "%lld", (long long)e->time_ms);
    dur_format(e->window_ms, win, sizeof win);
    json_t *o = json_object();
    json_object_set_new(o, "time", json_string(t));
    json_object_set_new(o, "time_ms", json_integer(e->time_ms));
    json_object_set_new(o, "seq", json_integer(e->seq));
    json_object_set_new(o, "service", json_string(e->service));
    json_object_set_new(o, "action", json_string(e->action));
    json_object_set_new(o, "from", json_integer(e->from_no));
    json_object_set_new(o, "to", json_integer(e->to_no));
    json_object_set_new(o, "metric",
                        e->metric[0] ? json_string(e->metric) : json_null());
    json_object_set_new(o, "observed", num_or_null(e->observed));
    json_object_set_new(o, "threshold", num_or_null(e->threshold));
    json_object_set_new(o, "window_ms", json_integer(e->window_ms));
    json_object_set_new(o, "window",
                        e->window_ms > 0 ? json_string(win) : json_null());
    json_object_set_new(o, "reason", json_string(e->reason));
    json_object_set_new(o, "dry_run", json_boolean(e->dry_run));
    return o;
}

static bool get_str(const json_t *o, const char *k, char *out, size_t outlen,
                    bool null_ok)
{
    const json_t *v = json_object_get(o, k);
    if (null_ok && (!v || json_is_null(v))) {
        out[0] = '\0';
        return true;
    }
    if (!json_is_string(v))
        return false;
    snprintf(out, outlen, "%s", json_string_value(v));
    return true;
}

static bool get_int(const json_t *o, const char *k, int64_t *v)
{
    const json_t *j = json_object_get(o, k);
    if (!json_is_integer(j))
        return false;
    *v = json_integer_value(j);
    return true;
}

static bool get_num(const json_t *o, const char *k, double *v)
{
    const json_t *j = json_object_get(o, k);
    if (!j || json_is_null(j)) {
        *v = NAN;
        return true;
    }
    if (!json_is_number(j))
        return false;
    *v = json_number_value(j);
    return true;
}

int evlog_events_parse(const json_t *arr, struct pg_event **out, size_t *n,
                       char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (!json_is_array(arr)) {
        snprintf(err, errlen, "expected a JSON array of events");
        return -1;
    }
    size_t cnt = json_array_size(arr);
    struct pg_event *v = xcalloc(cnt ? cnt : 1, sizeof *v);
    for (size_t i = 0; i < cnt; i++) {
        const json_t *o = json_array_get(arr, i);
        struct pg_event *e = &v[i];
        int64_t seq = 0, from = 0, to = 0, win = 0;
        const char *bad = NULL;
        if (!json_is_object(o))
            bad = "(the element)";
        else if (!get_int(o, "time_ms", &e->time_ms))
            bad = "time_ms";
        else if (!get_int(o, "seq", &seq))
            bad = "seq";
        else if (!get_str(o, "service", e->service, sizeof e->service, false))
            bad = "service";
        else if (!get_str(o, "action", e->action, sizeof e->action, false))
            bad = "action";
        else if (!get_int(o, "from", &from) || !get_int(o, "to", &to))
            bad = "from/to";
        else if (!get_str(o, "metric", e->metric, sizeof e->metric, true))
            bad = "metric";
        else if (!get_num(o, "observed", &e->observed) ||
                 !get_num(o, "threshold", &e->threshold))
            bad = "observed/threshold";
        else if (!get_int(o, "window_ms", &win))
            bad = "window_ms";
        else if (!get_str(o, "reason", e->reason, sizeof e->reason, false))
            bad = "reason";
        if (bad) {
            snprintf(err, errlen,
                     "event %zu: %s missing or of the wrong type (expected "
                     "the objects of das events --json)",
                     i, bad);
            free(v);
            return -1;
        }
        e->seq = (long)seq;
        e->from_no = (long)from;
        e->to_no = (long)to;
        e->window_ms = win;
        e->dry_run = json_is_true(json_object_get(o, "dry_run"));
    }
    *out = v;
    *n = cnt;
    return 0;
}
