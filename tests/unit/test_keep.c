/* keep.c: the points ds keeps for das, their text form both ways;
 * hist_label.c: the last action on a service's labels; evlog.c: das
 * run's recent events and their JSON; agents.c's node address rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include "agents.h"
#include "evjson.h"
#include "evlog.h"
#include "hist_label.h"
#include "keep.h"
#include "pcache.h"

#define T0 1765000000000LL
#define SVC "abcdefghijklmnopqrstuvwxy" /* 25: a swarm id */

static struct stats_point point_at(int64_t ms, double cpu, bool with_mem)
{
    struct stats_point p;
    memset(&p, 0, sizeof p);
    p.time_ns = ms * 1000000;
    p.have = STATS_F_CPU_RATIO | (with_mem ? STATS_F_MEM_RATIO : 0);
    p.cpu_ratio = cpu;
    p.mem_ratio = 40.5;
    return p;
}

/* What ds serves is what das reads: every point after since, the field
 * asked for, a field the point lacks is no point. */
static void test_serve_parse_roundtrip(void **state)
{
    (void)state;
    struct keep k;
    kp_init(&k, 600000, 0);
    for (int i = 0; i < 6; i++) {
        struct stats_point p = point_at(T0 + i * 10000, 10.25 * i, i != 3);
        assert_true(kp_add(&k, "0123456789ab", SVC, &p));
    }
    struct stats_point p = point_at(T0 + 5000, 99, true);
    assert_true(kp_add(&k, "bbbbbbbbbbbb", SVC, &p));
    /* older than its container's last row: not kept */
    assert_false(kp_add(&k, "0123456789ab", SVC, &p));
    /* not a swarm container, or ids not of Docker's form */
    assert_false(kp_add(&k, "0123456789ab", NULL, &p));
    assert_false(kp_add(&k, "0123 456789a", SVC, &p));
    assert_false(kp_add(&k, "0123456789ab", "svc\nid", &p));
    assert_int_equal(k.skipped, 2);

    uint32_t mask;
    char err[400];
    assert_int_equal(
        kp_fields_mask("mem_ratio,cpu_ratio", &mask, err, sizeof err), 0);
    struct buf out;
    buf_init(&out, 1 << 20);
    assert_int_equal(kp_serve(&k, "node1", T0 + 60000, T0 + 20000, mask, &out),
                     0);
    assert_non_null(strstr(out.ptr, "ds-points 1 now=1765000060000 "
                                    "from=1765000000000 node=node1\n"
                                    "fields cpu_ratio mem_ratio\n"));
    assert_non_null(strstr(out.ptr, "1765000030000 30.75 -\n"));
    assert_null(strstr(out.ptr, "bbbbbbbbbbbb")); /* nothing since */

    struct pcache pc;
    pc_init(&pc, T0);
    struct kp_reply rep;
    assert_int_equal(
        kp_parse(out.ptr, out.len, "mem_ratio", 0, &pc, &rep, err, sizeof err),
        0);
    assert_int_equal(rep.now_ms, T0 + 60000);
    assert_string_equal(rep.node, "node1");
    assert_int_equal(rep.containers, 1);
    assert_int_equal(rep.points, 3); /* 20, 40, 50 s: 30 s had no mem */
    pc_free(&pc);
    pc_init(&pc, T0);
    /* shifted by the agent's clock */
    assert_int_equal(kp_parse(out.ptr, out.len, "cpu_ratio", 1000, &pc, &rep,
                              err, sizeof err),
                     0);
    assert_int_equal(rep.points, 4);
    int64_t dur = 60000;
    struct win_agg *w[1];
    size_t nw[1];
    unsigned long unusable = 0;
    pc_windows(&pc, T0 + 60000, &dur, 1, w, nw, &unusable);
    assert_int_equal(nw[0], 1);
    assert_int_equal(w[0][0].count, 4);
    assert_int_equal(w[0][0].first_ms, T0 + 19000);
    assert_true(fabs(w[0][0].max - 51.25) < 1e-4);
    free(w[0]);
    pc_free(&pc);
    /* a cache at its cap: the reply's read stops and says why */
    pc_init(&pc, T0);
    pc.max_bytes = 1;
    assert_int_equal(
        kp_parse(out.ptr, out.len, "cpu_ratio", 0, &pc, &rep, err, sizeof err),
        -1);
    if (!strstr(err, "cpu_ratio: the points das keeps reached their cap") ||
        !strstr(err, "das stops the read there to stay within its memory"))
        fail_msg("%s", err);
    assert_int_equal(pc.points, 1);
    pc_free(&pc);
    /* a field the reply does not carry */
    assert_int_equal(
        kp_parse(out.ptr, out.len, "pids", 0, &pc, &rep, err, sizeof err), -1);
    assert_non_null(strstr(err, "no field pids"));
    buf_cleanup(&out);
    kp_free(&k);
}

/* The answer to GET /points: 200, 400 saying what was wrong, 413 past
 * the body's cap. */
static void test_answer(void **state)
{
    (void)state;
    struct keep k;
    kp_init(&k, 600000, 0);
    struct stats_point p = point_at(T0, 12.5, true);
    assert_true(kp_add(&k, "0123456789ab", SVC, &p));
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(
        kp_answer(&k, "n", T0 + 1000, "1765000000000", "cpu_ratio", &b), 200);
    assert_non_null(strstr(b.ptr, "1765000000000 12.5\n"));
    buf_reset(&b);
    assert_int_equal(kp_answer(&k, "n", T0, "12abc", NULL, &b), 400);
    assert_non_null(strstr(b.ptr, "since: expected Unix milliseconds"));
    buf_reset(&b);
    assert_int_equal(kp_answer(&k, "n", T0, NULL, "cpu", &b), 400);
    assert_non_null(strstr(b.ptr, "no metric field"));
    buf_cleanup(&b);
    buf_init(&b, 100); /* the message fits, every field's header not */
    assert_int_equal(kp_answer(&k, "n", T0, NULL, NULL, &b), 413);
    assert_non_null(strstr(b.ptr, "fewer fields"));
    buf_cleanup(&b);
    kp_free(&k);
}

static void test_fields_mask(void **state)
{
    (void)state;
    uint32_t mask;
    char err[400];
    assert_int_equal(kp_fields_mask(NULL, &mask, err, sizeof err), 0);
    assert_int_equal(mask, (1u << KP_FIELDS) - 1);
    assert_int_equal(kp_fields_mask("cpu_ratio,bogus", &mask, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "\"bogus\" is no metric field"));
    assert_non_null(strstr(err, "accepted"));
    assert_int_equal(kp_fields_mask("cpu_ratio,", &mask, err, sizeof err), 0);
    assert_int_equal(mask, 1u);
}

/* The rows older than keep go; past the memory cap every container keeps
 * an equal share, the newest rows. */
static void test_trim_and_cap(void **state)
{
    (void)state;
    struct keep k;
    kp_init(&k, 60000, 10 * sizeof(struct kp_row));
    for (int i = 0; i < 12; i++) {
        struct stats_point p = point_at(T0 + i * 10000, i, false);
        assert_true(kp_add(&k, "aaaaaaaaaaaa", SVC, &p));
        if (i < 2)
            assert_true(kp_add(&k, "cccccccccccc", SVC, &p));
    }
    kp_trim(&k, T0 + 110000);      /* keep from T0 + 50 s */
    assert_int_equal(k.n, 1);      /* cccc's rows all left: the series too */
    assert_int_equal(k.s[0].n, 7); /* 50 s to 110 s */
    assert_int_equal(k.s[0].r[0].t, T0 + 50000);
    assert_int_equal(k.dropped, 0);
    for (int c = 0; c < 3; c++) {
        char id[13];
        snprintf(id, sizeof id, "%012d", c + 1);
        for (int i = 0; i < 6; i++) {
            struct stats_point p = point_at(T0 + 60000 + i * 10000, i, false);
            assert_true(kp_add(&k, id, SVC, &p));
        }
    }
    assert_int_equal(k.rows, 25);
    kp_trim(&k, T0 + 110000);
    assert_true(kp_bytes(&k) <= 10 * sizeof(struct kp_row));
    assert_int_equal(k.n, 4);
    for (size_t i = 0; i < k.n; i++) {
        assert_int_equal(k.s[i].n, 2); /* 10 / 4 */
        assert_int_equal(k.s[i].r[1].t, T0 + 110000);
    }
    assert_int_equal(k.dropped, 17);
    kp_free(&k);
}

/* Anything but ds's form is refused with the line and what was
 * expected, and a reply cut short is not read as a whole one. */
static void test_parse_refuses(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"", "empty reply"},
        {"<html>oops</html>\n", "ds-points 1"},
        {"ds-points 2 now=1 from=1 node=x\nfields cpu_ratio\n", "ds-points 1"},
        {"ds-points 1 now=1 from=1 node=x\n", "before its fields"},
        {"ds-points 1 now=1 from=1 node=x\nfields cpu_ratio nope\n",
         "known metric fields"},
        {"ds-points 1 now=1 from=1 node=x\nfields cpu_ratio\n5 1\n",
         "a \"c CONTAINER SERVICE\" line"},
        {"ds-points 1 now=1 from=1 node=x\nfields cpu_ratio\nc ZZZ " SVC "\n",
         "c CONTAINER SERVICE"},
        {"ds-points 1 now=1 from=1 node=x\nfields cpu_ratio\nc "
         "aaaaaaaaaaaa " SVC "\n5 1 2\n",
         "one number or - per field"},
        {"ds-points 1 now=1 from=1 node=x\nfields cpu_ratio\nc "
         "aaaaaaaaaaaa " SVC "\n5 nan\n",
         "one number"},
        {"ds-points 1 now=1 from=1 node=x\nfields cpu_ratio\nc "
         "aaaaaaaaaaaa " SVC "\n5 1\n5 2\n",
         "ascending time"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pcache pc;
        struct kp_reply rep;
        char err[400] = "";
        pc_init(&pc, T0);
        assert_int_equal(kp_parse(cases[i].text, strlen(cases[i].text),
                                  "cpu_ratio", 0, &pc, &rep, err, sizeof err),
                         -1);
        if (!strstr(err, cases[i].want))
            fail_msg("case %zu: %s lacks %s", i, err, cases[i].want);
        pc_free(&pc);
    }
}

static void test_hist_label(void **state)
{
    (void)state;
    struct hl_last l = {T0, "scale-out", 2, 5, true}, back;
    char v[128], err[300];
    hl_format(&l, v, sizeof v);
    assert_string_equal(v, "t=1765000000000;kind=scale-out;from=2;to=5;bet=1");
    assert_int_equal(hl_parse(v, &back, err, sizeof err), 0);
    assert_int_equal(back.t_ms, T0);
    assert_string_equal(back.kind, "scale-out");
    assert_int_equal(back.from, 2);
    assert_int_equal(back.to, 5);
    assert_true(back.bet);
    static const char *const bad[] = {
        "",
        "t=1;kind=scale-in;from=2;to=1",
        "t=1;kind=scale-in;from=2;to=1;bet=2",
        "t=x;kind=scale-in;from=2;to=1;bet=0",
        "t=1;kind=scale-in;from=2;to=1;bet=0;more",
        "kind=scale-in;t=1;from=2;to=1;bet=0",
        "t=-5;kind=scale-in;from=2;to=1;bet=0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hl_parse(bad[i], &back, err, sizeof err), -1);
        assert_non_null(strstr(err, "expected t=<Unix ms>"));
    }
    char r[HL_REASON_MAX + 1];
    char longr[400];
    memset(longr, 'x', sizeof longr);
    memcpy(longr + 122, "\xe2\x86\x92", 3); /* → across the cut */
    longr[sizeof longr - 1] = '\0';
    hl_reason(longr, r, sizeof r);
    assert_true(strlen(r) <= HL_REASON_MAX);
    assert_non_null(strstr(r, "..."));
    assert_null(strstr(r, "\xe2\x86...")); /* no half character */
    hl_reason("short", r, sizeof r);
    assert_string_equal(r, "short");
}

static void test_evlog(void **state)
{
    (void)state;
    struct evlog l;
    evlog_init(&l, 3);
    for (int i = 0; i < 5; i++) {
        struct pg_event e;
        memset(&e, 0, sizeof e);
        e.time_ms = T0 + i * 1000;
        e.seq = i;
        snprintf(e.service, sizeof e.service, "%s", i % 2 ? "web" : "api");
        snprintf(e.action, sizeof e.action, "scale-out");
        snprintf(e.reason, sizeof e.reason, "because \"%d\"", i);
        e.observed = i == 4 ? NAN : 80.5;
        e.threshold = 70;
        evlog_add(&l, &e);
    }
    assert_int_equal(l.n, 3); /* the oldest two went */
    assert_false(evlog_has(&l, 1, T0 + 1000, "scale-out", 0));
    assert_true(evlog_has(&l, 3, T0 + 3000, "scale-out", 0));
    assert_false(evlog_has(&l, 3, T0 + 3000, "scale-in", 0));
    /* the record on the service is dated before its event: within the
     * tolerance it is the same action */
    assert_true(evlog_has(&l, 3, T0 + 2990, "scale-out", 100));
    assert_false(evlog_has(&l, 3, T0 + 2800, "scale-out", 100));
    struct pg_event *sel;
    size_t n = evlog_select(&l, NULL, 0, 10, &sel);
    assert_int_equal(n, 3);
    assert_int_equal(sel[0].seq, 4); /* newest first */
    assert_int_equal(sel[2].seq, 2);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, evlog_event_json(&sel[i]));
    free(sel);
    struct pg_event *back;
    size_t nb;
    char err[300];
    assert_int_equal(evlog_events_parse(arr, &back, &nb, err, sizeof err), 0);
    assert_int_equal(nb, 3);
    assert_string_equal(back[0].reason, "because \"4\"");
    assert_true(isnan(back[0].observed));
    assert_true(back[1].observed == 80.5);
    free(back);
    json_object_del(json_array_get(arr, 1), "action");
    assert_int_equal(evlog_events_parse(arr, &back, &nb, err, sizeof err), -1);
    assert_non_null(strstr(err, "event 1: action"));
    json_decref(arr);
    n = evlog_select(&l, "web", T0 + 3500, 10, &sel);
    assert_int_equal(n, 0); /* web's newest is at 3 s */
    free(sel);
    n = evlog_select(&l, "api", 0, 1, &sel);
    assert_int_equal(n, 1);
    assert_int_equal(sel[0].seq, 4);
    free(sel);
    evlog_free(&l);
}

static void test_node_addr(void **state)
{
    (void)state;
    char id[64], addr[64];
    json_t *n =
        json_pack("{s:s, s:{s:s}}", "ID", "n1", "Status", "Addr", "10.0.0.5");
    assert_true(agents_node_addr(n, id, sizeof id, addr, sizeof addr));
    assert_string_equal(id, "n1");
    assert_string_equal(addr, "10.0.0.5");
    json_decref(n);
    /* a manager showing 0.0.0.0: its advertised address */
    n = json_pack("{s:s, s:{s:s}, s:{s:s}}", "ID", "n2", "Status", "Addr",
                  "0.0.0.0", "ManagerStatus", "Addr", "127.0.0.2:2377");
    assert_true(agents_node_addr(n, id, sizeof id, addr, sizeof addr));
    assert_string_equal(addr, "127.0.0.2");
    json_decref(n);
    /* a manager seen from another address (engines sharing a host): the
     * advertised one, which its ds binds */
    n = json_pack("{s:s, s:{s:s}, s:{s:s}}", "ID", "n4", "Status", "Addr",
                  "127.0.0.1", "ManagerStatus", "Addr", "127.0.0.5:2377");
    assert_true(agents_node_addr(n, id, sizeof id, addr, sizeof addr));
    assert_string_equal(addr, "127.0.0.5");
    json_decref(n);
    n = json_pack("{s:s, s:{s:s}}", "ID", "n3", "Status", "Addr", "0.0.0.0");
    assert_false(agents_node_addr(n, id, sizeof id, addr, sizeof addr));
    json_decref(n);
}

/* das simulate --service from the agents: per interval, the sum of the
 * containers' means; an interval with no point is left out. */
static void test_demand(void **state)
{
    (void)state;
    struct pcache c;
    pc_init(&c, T0);
    assert_true(pc_add(&c, "s1", "aaaaaaaaaaaa", T0 + 1000, 10, true));
    assert_true(pc_add(&c, "s1", "aaaaaaaaaaaa", T0 + 6000, 30, true));
    assert_true(pc_add(&c, "s1", "bbbbbbbbbbbb", T0 + 2000, 5, true));
    assert_true(pc_add(&c, "s2", "cccccccccccc", T0 + 2000, 500, true));
    assert_true(pc_add(&c, "s1", "aaaaaaaaaaaa", T0 + 25000, 7, true));
    int64_t t[8];
    double v[8];
    size_t n = pc_demand(&c, "s1", T0, T0 + 30000, 10000, t, v, 8);
    assert_int_equal(n, 2);
    assert_int_equal(t[0], T0);
    assert_true(fabs(v[0] - 25.0) < 1e-9); /* mean(10, 30) + 5 */
    assert_int_equal(t[1], T0 + 20000);    /* 10..20 s: no point */
    assert_true(fabs(v[1] - 7.0) < 1e-9);
    assert_int_equal(pc_demand(&c, "s1", T0, T0 + 30000, 10000, t, v, 1), 1);
    pc_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serve_parse_roundtrip),
        cmocka_unit_test(test_fields_mask),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_trim_and_cap),
        cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_hist_label),
        cmocka_unit_test(test_evlog),
        cmocka_unit_test(test_node_addr),
        cmocka_unit_test(test_demand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
