/* Unit tests of the pure parts of notifications: the queue, the retry
 * schedule, receiver URLs checked and shown without their secrets, the
 * watch of missing metrics (notifyq.h), and the bodies (notify_fmt.h). */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notify_fmt.h"
#include "notifyq.h"

static struct notify_item item(uint64_t n, const char *action)
{
    struct notify_item it;
    memset(&it, 0, sizeof it);
    it.n = n;
    it.queued_ms = (int64_t)n * 10;
    snprintf(it.ev.action, sizeof it.ev.action, "%s", action);
    it.ev.observed = it.ev.threshold = NAN;
    return it;
}

static void test_queue_order_and_bound(void **state)
{
    (void)state;
    struct notify_queue q;
    notify_queue_init(&q, 3);
    assert_null(notify_queue_front(&q));
    notify_queue_pop(&q); /* empty: nothing */
    for (uint64_t i = 1; i <= 3; i++) {
        struct notify_item it = item(i, "scale-out");
        assert_true(notify_queue_push(&q, &it));
    }
    struct notify_item extra = item(4, "scale-in");
    assert_false(notify_queue_push(&q, &extra)); /* full: refused */
    assert_int_equal(q.n, 3);
    assert_int_equal(notify_queue_front(&q)->n, 1);
    notify_queue_pop(&q);
    /* room again: the ring wraps and keeps the order */
    assert_true(notify_queue_push(&q, &extra));
    uint64_t want[] = {2, 3, 4};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(notify_queue_front(&q)->n, want[i]);
        notify_queue_pop(&q);
    }
    assert_null(notify_queue_front(&q));
    notify_queue_free(&q);
}

static void test_backoff_schedule(void **state)
{
    (void)state;
    assert_int_equal(notify_backoff_ms(1), 500);
    assert_int_equal(notify_backoff_ms(2), 1000);
    assert_int_equal(notify_backoff_ms(3), 2000);
    assert_int_equal(notify_backoff_ms(7), 30000); /* 32 s, capped */
    assert_int_equal(notify_backoff_ms(1000), 30000);
    /* before the deadline: when; at or past it: give up */
    assert_int_equal(notify_retry_at(1, 10000, 20000), 10500);
    assert_int_equal(notify_retry_at(3, 10000, 12000), -1);
    assert_int_equal(notify_retry_at(3, 10000, 12001), 12000);
    /* a give-up time of 6 s allows tries at 0, .5, 1.5, 3.5 s: four */
    int64_t t = 0;
    unsigned tries = 1;
    for (unsigned a = 1; (t = notify_retry_at(a, t, 6000)) >= 0; a++)
        tries++;
    assert_int_equal(tries, 4);
}

static void test_url_shown_hides_secrets(void **state)
{
    (void)state;
    char out[300];
    assert_string_equal(
        notify_url_shown("https://hooks.example.com/services/T0/B0/s3cret", out,
                         sizeof out),
        "https://hooks.example.com/...");
    assert_string_equal(notify_url_shown("http://u:pw@127.0.0.1:9000/h?token=t",
                                         out, sizeof out),
                        "http://127.0.0.1:9000/...");
    assert_string_equal(
        notify_url_shown("http://127.0.0.1:9000?token=t", out, sizeof out),
        "http://127.0.0.1:9000/...");
    assert_string_equal(notify_url_shown("http://[::1]:80/", out, sizeof out),
                        "http://[::1]:80");
    assert_string_equal(notify_url_shown("ftp://x/y", out, sizeof out),
                        "(not an http or https URL)");
    /* a host of odd bytes is not echoed as it is */
    assert_string_equal(notify_url_shown("http://a\nb/", out, sizeof out),
                        "http://a?b");
    /* bounded */
    char small[12];
    notify_url_shown("http://averylonghostname.example/x", small, sizeof small);
    assert_true(strlen(small) < sizeof small);
}

static void test_url_check(void **state)
{
    (void)state;
    char err[400];
    assert_int_equal(
        notify_url_check("http://127.0.0.1:9/hook", err, sizeof err), 0);
    assert_int_equal(notify_url_check("https://h/x?token=1", err, sizeof err),
                     0);
    assert_int_equal(notify_url_check("ftp://h/x", err, sizeof err), -1);
    assert_non_null(strstr(err, "expected http://HOST[:PORT]/PATH"));
    assert_int_equal(notify_url_check("http:///path", err, sizeof err), -1);
    assert_non_null(strstr(err, "no host"));
    assert_int_equal(
        notify_url_check("http://user:s3cret@/path?t=tok", err, sizeof err),
        -1);
    assert_null(strstr(err, "s3cret"));
    assert_null(strstr(err, "tok"));
    assert_int_equal(
        notify_url_check("http://h/a b?token=s3cret", err, sizeof err), -1);
    assert_non_null(strstr(err, "space or control byte"));
    assert_null(strstr(err, "s3cret"));
    char *long_url = malloc(NOTIFY_URL_MAX + 20);
    memset(long_url, 'a', NOTIFY_URL_MAX + 19);
    memcpy(long_url, "http://h/", 9);
    long_url[NOTIFY_URL_MAX + 19] = '\0';
    assert_int_equal(notify_url_check(long_url, err, sizeof err), -1);
    assert_non_null(strstr(err, "over 2048 bytes"));
    free(long_url);
}

static void test_watch_missing_metrics(void **state)
{
    (void)state;
    struct notify_watch w = {0};
    const int64_t after = 600000; /* 10m */
    assert_int_equal(notify_outcome_metrics(DEC_O_METRICS_DOWN), 1);
    assert_int_equal(notify_outcome_metrics(DEC_O_INSUFFICIENT), 1);
    assert_int_equal(notify_outcome_metrics(DEC_O_STEADY), 0);
    assert_int_equal(notify_outcome_metrics(DEC_O_SETTLING), -1);
    assert_int_equal(notify_outcome_metrics(DEC_O_STORE_DOWN), -1);

    /* missing from t=0: said once, at 10m, not before and not again */
    int64_t t = 0;
    for (; t < after; t += 15000) {
        notify_watch_begin(&w);
        assert_int_equal(notify_watch_update(&w, 7, true, t, after),
                         NOTIFY_SAY_NOTHING);
        notify_watch_end(&w);
    }
    notify_watch_begin(&w);
    assert_int_equal(notify_watch_update(&w, 7, true, t, after),
                     NOTIFY_SAY_UNAVAILABLE);
    notify_watch_end(&w);
    notify_watch_begin(&w);
    assert_int_equal(notify_watch_update(&w, 7, true, t + 15000, after),
                     NOTIFY_SAY_NOTHING);
    /* a cycle where its state is not known keeps it */
    notify_watch_end(&w);
    notify_watch_begin(&w);
    notify_watch_keep(&w, 7);
    notify_watch_end(&w);
    /* back: said once */
    notify_watch_begin(&w);
    assert_int_equal(notify_watch_update(&w, 7, false, t + 30000, after),
                     NOTIFY_SAY_AVAILABLE);
    notify_watch_end(&w);
    notify_watch_begin(&w);
    assert_int_equal(notify_watch_update(&w, 7, false, t + 45000, after),
                     NOTIFY_SAY_NOTHING);
    notify_watch_end(&w);

    /* missing for less than the threshold, then back: nothing at all */
    notify_watch_begin(&w);
    assert_int_equal(notify_watch_update(&w, 8, true, 0, after),
                     NOTIFY_SAY_NOTHING);
    notify_watch_end(&w);
    notify_watch_begin(&w);
    assert_int_equal(notify_watch_update(&w, 8, false, after - 1, after),
                     NOTIFY_SAY_NOTHING);
    notify_watch_end(&w);

    /* a policy gone (not updated in a cycle) starts again from zero */
    notify_watch_begin(&w);
    assert_int_equal(notify_watch_update(&w, 9, true, 0, after),
                     NOTIFY_SAY_NOTHING);
    notify_watch_end(&w);
    notify_watch_begin(&w);
    notify_watch_end(&w); /* 9 not seen */
    assert_int_equal(w.n, 0);
    notify_watch_begin(&w);
    assert_int_equal(notify_watch_update(&w, 9, true, after, after),
                     NOTIFY_SAY_NOTHING);
    notify_watch_end(&w);
    notify_watch_free(&w);
}

static const struct notify_origin origin = {"mgr-1", 1700000000000, 42};

static json_t *body_json(const struct notify_item *it)
{
    char *body = notify_body(it, NOTIFY_FMT_JSON, &origin);
    json_error_t je;
    json_t *o = json_loads(body, 0, &je);
    free(body);
    assert_non_null(o);
    return o;
}

static void test_json_action(void **state)
{
    (void)state;
    struct notify_item it = item(5, "scale-out");
    struct pg_event *e = &it.ev;
    e->time_ms = 1700000123456;
    e->seq = 3;
    snprintf(e->service, sizeof e->service, "web");
    e->from_no = 2;
    e->to_no = 4;
    snprintf(e->metric, sizeof e->metric, "cpu_ratio");
    e->observed = 85.5;
    e->threshold = 70;
    e->window_ms = 120000;
    snprintf(e->reason, sizeof e->reason, "mean cpu_ratio 85.5%% > 70%%");
    json_t *o = body_json(&it);
    assert_string_equal(json_string_value(json_object_get(o, "id")),
                        "1700000000000-42-5");
    assert_string_equal(json_string_value(json_object_get(o, "das")), "mgr-1");
    assert_string_equal(json_string_value(json_object_get(o, "kind")),
                        "action");
    assert_string_equal(json_string_value(json_object_get(o, "action")),
                        "scale-out");
    assert_string_equal(json_string_value(json_object_get(o, "service")),
                        "web");
    assert_int_equal(json_integer_value(json_object_get(o, "seq")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "from")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "to")), 4);
    assert_string_equal(json_string_value(json_object_get(o, "metric")),
                        "cpu_ratio");
    assert_true(json_real_value(json_object_get(o, "observed")) == 85.5);
    assert_true(json_real_value(json_object_get(o, "threshold")) == 70.0);
    assert_string_equal(json_string_value(json_object_get(o, "window")), "2m");
    assert_int_equal(json_integer_value(json_object_get(o, "window_ms")),
                     120000);
    assert_string_equal(json_string_value(json_object_get(o, "time")),
                        "2023-11-14T22:15:23Z");
    assert_string_equal(json_string_value(json_object_get(o, "reason")),
                        "mean cpu_ratio 85.5% > 70%");
    assert_true(json_is_false(json_object_get(o, "dry_run")));
    json_decref(o);
}

static void test_json_states(void **state)
{
    (void)state;
    /* leadership: no policy, no replicas */
    struct notify_item it = item(1, "leader-gained");
    it.ev.from_no = it.ev.to_no = -1;
    snprintf(it.ev.reason, sizeof it.ev.reason, "this das acts");
    json_t *o = body_json(&it);
    assert_string_equal(json_string_value(json_object_get(o, "kind")),
                        "leadership");
    assert_true(json_is_null(json_object_get(o, "seq")));
    assert_true(json_is_null(json_object_get(o, "service")));
    assert_true(json_is_null(json_object_get(o, "from")));
    assert_true(json_is_null(json_object_get(o, "observed")));
    assert_true(json_is_null(json_object_get(o, "window")));
    json_decref(o);
    /* a policy turned bad: its service, its replicas, the error */
    it = item(2, "policy-invalid");
    it.ev.seq = -77;
    snprintf(it.ev.service, sizeof it.ev.service, "api");
    it.ev.from_no = it.ev.to_no = 3;
    snprintf(it.ev.reason, sizeof it.ev.reason, "label das.out_cond: bad");
    o = body_json(&it);
    assert_string_equal(json_string_value(json_object_get(o, "kind")), "state");
    assert_int_equal(json_integer_value(json_object_get(o, "seq")), -77);
    assert_int_equal(json_integer_value(json_object_get(o, "from")), 3);
    assert_true(json_is_null(json_object_get(o, "metric")));
    json_decref(o);
    assert_string_equal(notify_kind("capacity-bound"), "state");
    assert_string_equal(notify_kind("synced"), "action");
    assert_string_equal(notify_kind("leader-lost"), "leadership");
}

static char *slack_text(const struct notify_item *it)
{
    char *body = notify_body(it, NOTIFY_FMT_SLACK, &origin);
    json_error_t je;
    json_t *o = json_loads(body, 0, &je);
    free(body);
    assert_non_null(o);
    assert_int_equal(json_object_size(o), 1);
    char *t = strdup(json_string_value(json_object_get(o, "text")));
    json_decref(o);
    return t;
}

static void test_slack(void **state)
{
    (void)state;
    struct notify_item it = item(1, "scale-in");
    snprintf(it.ev.service, sizeof it.ev.service, "web<b>&");
    it.ev.from_no = 4;
    it.ev.to_no = 2;
    it.ev.dry_run = true;
    snprintf(it.ev.reason, sizeof it.ev.reason, "mean 5%% < 30%%");
    char *t = slack_text(&it);
    assert_string_equal(t,
                        "das mgr-1: web&lt;b&gt;&amp;: scale-in 4 \xe2\x86\x92"
                        " 2 (dry run): mean 5% &lt; 30%");
    free(t);
    it = item(2, "capacity-bound");
    snprintf(it.ev.service, sizeof it.ev.service, "api");
    it.ev.from_no = it.ev.to_no = 3;
    snprintf(it.ev.reason, sizeof it.ev.reason, "1 task pending");
    t = slack_text(&it);
    assert_string_equal(t, "das mgr-1: api: capacity-bound at 3 replicas: 1 "
                           "task pending");
    free(t);
    it = item(3, "leader-lost");
    it.ev.from_no = it.ev.to_no = -1;
    snprintf(it.ev.reason, sizeof it.ev.reason, "stands by");
    t = slack_text(&it);
    assert_string_equal(t, "das mgr-1: leader-lost: stands by");
    free(t);
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(notify_slack_escape("<<<", &b), -1); /* bounded */
    buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_order_and_bound),
        cmocka_unit_test(test_backoff_schedule),
        cmocka_unit_test(test_url_shown_hides_secrets),
        cmocka_unit_test(test_url_check),
        cmocka_unit_test(test_watch_missing_metrics),
        cmocka_unit_test(test_json_action),
        cmocka_unit_test(test_json_states),
        cmocka_unit_test(test_slack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
