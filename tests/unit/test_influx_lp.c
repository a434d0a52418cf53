/* influx_lp: line protocol escaping and formatting, the point buffer and
 * the write policy (classify, backoff, batch size, 413 split). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>

#include "buf.h"
#include "influx_lp.h"
#include "log.h"

/* ---- helpers ----------------------------------------------------------- */

static char line_out[4096];

/* The encoded line of p without its '\n', or NULL with the error kept in
 * line_out. */
static const char *encode(const struct infl_point *p)
{
    struct buf b;
    char err[256];
    buf_init(&b, 1 << 16);
    if (infl_point_encode(p, &b, err, sizeof err)) {
        snprintf(line_out, sizeof line_out, "%s", err);
        buf_cleanup(&b);
        return NULL;
    }
    assert_true(b.len > 0 && b.ptr[b.len - 1] == '\n');
    snprintf(line_out, sizeof line_out, "%.*s", (int)(b.len - 1), b.ptr);
    buf_cleanup(&b);
    return line_out;
}

static char tok_out[1024];

static const char *tok(enum infl_token kind, const char *s)
{
    struct buf b;
    buf_init(&b, 1 << 12);
    assert_int_equal(infl_escape_token(kind, s, &b), 0);
    snprintf(tok_out, sizeof tok_out, "%s", b.ptr ? b.ptr : "");
    buf_cleanup(&b);
    return tok_out;
}

static const char *strfield(const char *s)
{
    struct buf b;
    buf_init(&b, 1 << 12);
    assert_int_equal(infl_escape_string_field(s, &b), 0);
    snprintf(tok_out, sizeof tok_out, "%s", b.ptr ? b.ptr : "");
    buf_cleanup(&b);
    return tok_out;
}

/* ---- line protocol ----------------------------------------------------- */

static void test_encode_basic(void **state)
{
    (void)state;
    struct infl_point p;
    infl_point_init(&p, "docker", 1700000000123456789LL);
    infl_point_tag(&p, "service", "k3x9q2w8e7r6t5y4u3i2o1p0a");
    infl_point_tag(&p, "container", "aaaaaaaaaaaa");
    infl_point_tag(&p, "node", "node1");
    infl_point_float(&p, "cpu_ratio", 12.5);
    infl_point_int(&p, "mem_usage", 1048576);
    infl_point_string(&p, "note", "hi");
    infl_point_bool(&p, "ok", true);
    infl_point_bool(&p, "bad", false);
    assert_string_equal(encode(&p),
                        "docker,container=aaaaaaaaaaaa,node=node1,"
                        "service=k3x9q2w8e7r6t5y4u3i2o1p0a cpu_ratio=12.5,"
                        "mem_usage=1048576i,note=\"hi\",ok=true,bad=false "
                        "1700000000123456789");
}

static void test_encode_tags_sorted_empty_omitted(void **state)
{
    (void)state;
    struct infl_point p;
    infl_point_init(&p, "m", 1);
    infl_point_tag(&p, "zz", "1");
    infl_point_tag(&p, "service", ""); /* non-swarm container */
    infl_point_tag(&p, "Upper", "2");  /* 'U' < 'a' bytewise */
    infl_point_tag(&p, "aa", NULL);
    infl_point_tag(&p, "b", "3");
    infl_point_int(&p, "v", -5);
    assert_string_equal(encode(&p), "m,Upper=2,b=3,zz=1 v=-5i 1");
}

static void test_escape_measurement(void **state)
{
    (void)state;
    assert_string_equal(tok(INFL_TOK_MEASUREMENT, "cpu load,x=1"),
                        "cpu\\ load\\,x=1"); /* '=' stays in measurements */
    struct infl_point p;
    infl_point_init(&p, "my meas,1", 5);
    infl_point_float(&p, "v", 1);
    assert_string_equal(encode(&p), "my\\ meas\\,1 v=1 5");
}

static void test_escape_tags_and_field_keys(void **state)
{
    (void)state;
    assert_string_equal(tok(INFL_TOK_TAG, "a b,c=d"), "a\\ b\\,c\\=d");
    assert_string_equal(tok(INFL_TOK_FIELD_KEY, "a b,c=d"), "a\\ b\\,c\\=d");
    struct infl_point p;
    infl_point_init(&p, "m", 7);
    infl_point_tag(&p, "k ey", "v,al=ue");
    infl_point_float(&p, "f=1,x y", 2.5);
    assert_string_equal(encode(&p), "m,k\\ ey=v\\,al\\=ue f\\=1\\,x\\ y=2.5 7");
}

static void test_escape_string_field(void **state)
{
    (void)state;
    assert_string_equal(strfield("say \"hi\""), "say \\\"hi\\\"");
    assert_string_equal(strfield("C:\\dir\\"), "C:\\\\dir\\\\");
    assert_string_equal(strfield("a,b c=d"), "a,b c=d"); /* inside quotes */
    struct infl_point p;
    infl_point_init(&p, "das", 1);
    infl_point_string(&p, "reason", "mean 84.2% > 70%: 3 → 4 \"x\"\\");
    assert_string_equal(encode(&p), "das reason=\"mean 84.2% > 70%: 3 → 4 "
                                    "\\\"x\\\"\\\\\" 1");
}

static void test_escape_newline_no_injection(void **state)
{
    (void)state;
    /* A label value trying to smuggle in a second point. */
    const char *evil = "web\ndocker,service=victim cpu_ratio=1000 1";
    struct infl_point p;
    infl_point_init(&p, "docker", 2);
    infl_point_tag(&p, "service_name", evil);
    infl_point_string(&p, "s", "x\r\ny");
    infl_point_float(&p, "cpu_ratio", 1);
    const char *l = encode(&p);
    assert_non_null(l);
    assert_null(strchr(l, '\n'));
    assert_null(strchr(l, '\r'));
    assert_string_equal(l, "docker,service_name=web\\ndocker\\,service\\=victim"
                           "\\ cpu_ratio\\=1000\\ 1 s=\"x\\r\\ny\","
                           "cpu_ratio=1 2");
    /* Tab as \t, other control bytes as '?'. */
    assert_string_equal(tok(INFL_TOK_TAG, "a\tb\x01"
                                          "c\x7f"),
                        "a\\tb?c?");
    assert_string_equal(tok(INFL_TOK_MEASUREMENT, "m\n"), "m\\n");
    assert_string_equal(strfield("a\tb\x02"), "a\\tb?");
}

/* What a token reads back as, by the rules of each parser: 1.x/2.x (Go:
 * a separator is escaped when the byte before it is a backslash, and only
 * "\," "\ " "\=" are unescaped; "\=" not in a measurement, and "\"" too
 * in a field key) and 3.x (Rust:
 * a backslash escapes a backslash, ',', ' ' or '=' anywhere, any other
 * backslash is itself; a token ending in one is refused). NULL when the
 * token is cut early by an unescaped separator or refused. */
static const char *read_back(const char *t, enum infl_token kind, bool v3,
                             char *out, size_t outlen)
{
    size_t o = 0, n = strlen(t);
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        bool sep =
            c == ',' || c == ' ' || (c == '=' && kind != INFL_TOK_MEASUREMENT);
        if (!v3 && sep && (i == 0 || t[i - 1] != '\\'))
            return NULL;
        if (v3 && sep)
            return NULL; /* an escaped one was consumed below */
        if (c == '\\' && i + 1 < n) {
            char d = t[i + 1];
            bool esc = v3 ? (d == '\\' || d == ',' || d == ' ' || d == '=')
                          : (d == ',' || d == ' ' ||
                             (d == '=' && kind != INFL_TOK_MEASUREMENT));
            /* Go unescapes \" in a field key too */
            esc = esc || (!v3 && d == '"' && kind == INFL_TOK_FIELD_KEY);
            if (esc) {
                out[o++] = d;
                i++;
                if (o + 1 >= outlen)
                    return NULL;
                continue;
            }
        }
        out[o++] = c;
        if (o + 1 >= outlen)
            return NULL;
    }
    out[o] = '\0';
    if (v3 && o > 0 && out[o - 1] == '\\')
        return NULL;
    return out;
}

static void test_escape_backslash_edges(void **state)
{
    (void)state;
    /* Kept where every version reads it back unchanged. */
    assert_string_equal(tok(INFL_TOK_TAG, "a\\b"), "a\\b");
    assert_string_equal(tok(INFL_TOK_TAG, "C:\\dir\\x"), "C:\\dir\\x");
    assert_string_equal(tok(INFL_TOK_TAG, "\\n"), "\\n");
    /* Before a backslash, a separator or a control byte: '_' (InfluxDB 3
     * reads "\\" as one backslash, and "\\," as a backslash and then a
     * separator, where 1.x reads both otherwise). */
    assert_string_equal(tok(INFL_TOK_TAG, "a\\ b"), "a_\\ b");
    assert_string_equal(tok(INFL_TOK_TAG, "a\\,b"), "a_\\,b");
    assert_string_equal(tok(INFL_TOK_TAG, "a\\=b"), "a_\\=b");
    assert_string_equal(tok(INFL_TOK_TAG, "a\\\\b"), "a_\\b");
    assert_string_equal(tok(INFL_TOK_MEASUREMENT, "a\\\\b"), "a_\\b");
    assert_string_equal(tok(INFL_TOK_MEASUREMENT, "a\\=b"), "a_=b");
    assert_string_equal(tok(INFL_TOK_TAG, "a\\\nb"), "a_\\nb");
    /* A trailing one would escape the separator (1.x) or be refused (3.x):
     * '_'. */
    assert_string_equal(tok(INFL_TOK_TAG, "a\\"), "a_");
    assert_string_equal(tok(INFL_TOK_TAG, "a\\\\"), "a__");
    assert_string_equal(tok(INFL_TOK_TAG, "\\"), "_");
    assert_string_equal(tok(INFL_TOK_MEASUREMENT, "m\\"), "m_");
    assert_string_equal(tok(INFL_TOK_FIELD_KEY, "f\\"), "f_");
    assert_string_equal(tok(INFL_TOK_MEASUREMENT, "a\\ b"), "a_\\ b");
    assert_string_equal(tok(INFL_TOK_FIELD_KEY, "a\\,b"), "a_\\,b");
    assert_string_equal(tok(INFL_TOK_FIELD_KEY, "a\\=b"), "a_\\=b");
    assert_string_equal(tok(INFL_TOK_FIELD_KEY, "a\\\"b"), "a_\"b");
    assert_string_equal(tok(INFL_TOK_TAG, "a\\\"b"), "a\\\"b");
    struct infl_point p;
    infl_point_init(&p, "m", 1);
    infl_point_tag(&p, "t", "x\\");
    infl_point_int(&p, "v", 1);
    assert_string_equal(encode(&p), "m,t=x_ v=1i 1");

    /* Whatever the value, both parsers read back the same text, with no
     * separator left unescaped: every pair of the bytes that matter, in
     * each kind of token. The same label t_ds_influx writes through a real
     * influxd reads back as its 1.x rule says here. */
    static const char alphabet[] = {'\\', ',', ' ', '=', 'a', '\n', '"'};
    const enum infl_token kinds[] = {INFL_TOK_MEASUREMENT, INFL_TOK_TAG,
                                     INFL_TOK_FIELD_KEY};
    for (size_t k = 0; k < 3; k++)
        for (size_t len = 1; len <= 4; len++) {
            size_t total = 1;
            for (size_t j = 0; j < len; j++)
                total *= sizeof alphabet;
            for (size_t code = 0; code < total; code++) {
                char in[8], b1[64], b3[64];
                size_t c = code;
                for (size_t j = 0; j < len; j++, c /= sizeof alphabet)
                    in[j] = alphabet[c % sizeof alphabet];
                in[len] = '\0';
                const char *t = tok(kinds[k], in);
                const char *r1 = read_back(t, kinds[k], false, b1, sizeof b1);
                const char *r3 = read_back(t, kinds[k], true, b3, sizeof b3);
                if (!r1 || !r3 || strcmp(r1, r3))
                    fail_msg("kind %zu: \"%s\" written \"%s\" reads back as "
                             "\"%s\" (1.x) and \"%s\" (3.x)",
                             k, in, t, r1 ? r1 : "(cut)", r3 ? r3 : "(cut)");
            }
        }
    char b1[64];
    assert_string_equal(read_back(tok(INFL_TOK_TAG, "a\\,b c=d\\\\e\\"),
                                  INFL_TOK_TAG, false, b1, sizeof b1),
                        "a_,b c=d_\\e_");
}

static void test_escape_utf8(void **state)
{
    (void)state;
    struct infl_point p;
    infl_point_init(&p, "métriques", 3);
    infl_point_tag(&p, "service_name", "服务 web-é");
    infl_point_string(&p, "note", "日本語 ü");
    infl_point_float(&p, "été", 1.5);
    assert_string_equal(encode(&p), "métriques,service_name=服务\\ web-é "
                                    "note=\"日本語 ü\",été=1.5 3");
}

static void test_encode_errors(void **state)
{
    (void)state;
    struct infl_point p;

    infl_point_init(&p, "", 1);
    infl_point_float(&p, "v", 1);
    assert_null(encode(&p));
    assert_non_null(strstr(line_out, "measurement"));

    infl_point_init(&p, "#comment", 1);
    infl_point_float(&p, "v", 1);
    assert_null(encode(&p));
    assert_non_null(strstr(line_out, "'#'"));

    infl_point_init(&p, "m", 1);
    assert_null(encode(&p)); /* no field */
    assert_non_null(strstr(line_out, "no field"));

    infl_point_init(&p, "m", 1);
    infl_point_tag(&p, "a", "1");
    infl_point_tag(&p, "a", "2");
    infl_point_float(&p, "v", 1);
    assert_null(encode(&p));
    assert_non_null(strstr(line_out, "duplicate tag"));

    infl_point_init(&p, "m", 1);
    infl_point_tag(&p, "a", "1");
    infl_point_tag(&p, "a", ""); /* omitted: no duplicate */
    infl_point_float(&p, "v", 1);
    assert_string_equal(encode(&p), "m,a=1 v=1 1");

    infl_point_init(&p, "m", 1);
    infl_point_float(&p, "v", 1);
    infl_point_int(&p, "v", 1);
    assert_null(encode(&p));
    assert_non_null(strstr(line_out, "duplicate field"));

    infl_point_init(&p, "m", 1);
    infl_point_tag(&p, "", "x");
    infl_point_float(&p, "v", 1);
    assert_null(encode(&p));

    infl_point_init(&p, "m", 1);
    infl_point_float(&p, "", 1);
    assert_null(encode(&p));

    infl_point_init(&p, "m", 1);
    for (int i = 0; i < INFL_MAX_TAGS + 1; i++)
        infl_point_tag(&p, "k", "v");
    infl_point_float(&p, "v", 1);
    assert_null(encode(&p));
    assert_non_null(strstr(line_out, "more than"));

    infl_point_init(&p, "m", 1);
    for (int i = 0; i < INFL_MAX_FIELDS + 1; i++)
        infl_point_float(&p, "f", 1);
    assert_null(encode(&p));

    /* A full output buffer is left as it was. */
    struct buf b;
    char err[128];
    buf_init(&b, 10);
    assert_int_equal(buf_puts(&b, "abc"), 0);
    infl_point_init(&p, "measurement", 1);
    infl_point_float(&p, "v", 1);
    assert_int_equal(infl_point_encode(&p, &b, err, sizeof err), -1);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.ptr, "abc");
    buf_cleanup(&b);
}

static void roundtrip_float(double v)
{
    char s[40];
    assert_int_equal(infl_format_float(v, s, sizeof s), 0);
    assert_true(strtod(s, NULL) == v);
    assert_null(strpbrk(s, "ni")); /* no nan / inf, no 'i' suffix */
}

static void test_float_format(void **state)
{
    (void)state;
    char s[40];
    assert_int_equal(infl_format_float(0.1, s, sizeof s), 0);
    assert_string_equal(s, "0.1");
    assert_int_equal(infl_format_float(12.5, s, sizeof s), 0);
    assert_string_equal(s, "12.5");
    assert_int_equal(infl_format_float(100, s, sizeof s), 0);
    assert_string_equal(s, "100"); /* no 'i': read as a float */
    assert_int_equal(infl_format_float(0.1 + 0.2, s, sizeof s), 0);
    assert_string_equal(s, "0.30000000000000004");
    assert_int_equal(infl_format_float(1e300, s, sizeof s), 0);
    assert_string_equal(s, "1e+300");
    roundtrip_float(1.0 / 3.0);
    roundtrip_float(-2.0 / 3.0);
    roundtrip_float(DBL_MAX);
    roundtrip_float(-DBL_MAX);
    roundtrip_float(DBL_MIN);
    roundtrip_float(5e-324);
    roundtrip_float(123456789.123456789);
    roundtrip_float(-0.0);
    roundtrip_float(84.19999999999999);
    assert_int_equal(infl_format_float(NAN, s, sizeof s), -1);
    assert_int_equal(infl_format_float(INFINITY, s, sizeof s), -1);
    assert_int_equal(infl_format_float(-INFINITY, s, sizeof s), -1);
    assert_int_equal(infl_format_float(1.0 / 3.0, s, 5), -1); /* too small */
}

static void test_int_bool_format(void **state)
{
    (void)state;
    struct infl_point p;
    infl_point_init(&p, "m", -1);
    infl_point_int(&p, "max", INT64_MAX);
    infl_point_int(&p, "min", INT64_MIN);
    infl_point_int(&p, "zero", 0);
    assert_string_equal(encode(&p), "m max=9223372036854775807i,"
                                    "min=-9223372036854775808i,zero=0i -1");
}

static void test_encode_nan_inf_skipped(void **state)
{
    (void)state;
    struct infl_point p;
    infl_point_init(&p, "m", 9);
    infl_point_float(&p, "a", NAN);
    infl_point_float(&p, "b", 2);
    infl_point_float(&p, "c", INFINITY);
    infl_point_float(&p, "d", -INFINITY);
    assert_string_equal(encode(&p), "m b=2 9");
    infl_point_init(&p, "m", 9);
    infl_point_float(&p, "a", NAN);
    assert_null(encode(&p));
    assert_non_null(strstr(line_out, "NaN"));
    /* A skipped NaN doesn't count as a duplicate either. */
    infl_point_init(&p, "m", 9);
    infl_point_float(&p, "a", NAN);
    infl_point_float(&p, "a", 1);
    assert_string_equal(encode(&p), "m a=1 9");
}

/* ---- point buffer ------------------------------------------------------ */

static void push_str(struct infl_buffer *b, const char *s)
{
    infl_buffer_push(b, s, strlen(s));
}

static void test_buffer_fifo_drops_oldest(void **state)
{
    (void)state;
    struct infl_buffer *b = infl_buffer_new(3);
    size_t len;
    assert_int_equal(infl_buffer_capacity(b), 3);
    push_str(b, "m v=1 1\n"); /* newline stripped */
    push_str(b, "m v=2 2");
    push_str(b, "m v=3 3");
    assert_int_equal(infl_buffer_take_dropped(b), 0);
    push_str(b, "m v=4 4");
    push_str(b, "m v=5 5");
    assert_int_equal(infl_buffer_len(b), 3);
    assert_string_equal(infl_buffer_line(b, 0, &len), "m v=3 3");
    assert_int_equal(len, 7);
    assert_string_equal(infl_buffer_line(b, 1, NULL), "m v=4 4");
    assert_string_equal(infl_buffer_line(b, 2, NULL), "m v=5 5");
    assert_null(infl_buffer_line(b, 3, NULL));
    assert_int_equal(infl_buffer_bytes(b), 21);
    assert_int_equal(infl_buffer_take_dropped(b), 2);
    assert_int_equal(infl_buffer_take_dropped(b), 0); /* reset */
    infl_buffer_pop(b, 2);
    assert_int_equal(infl_buffer_len(b), 1);
    assert_string_equal(infl_buffer_line(b, 0, NULL), "m v=5 5");
    push_str(b, "m v=6 6");
    push_str(b, "m v=7 7");
    push_str(b, "m v=8 8"); /* wraps around the ring */
    assert_int_equal(infl_buffer_take_dropped(b), 1);
    assert_string_equal(infl_buffer_line(b, 0, NULL), "m v=6 6");
    assert_string_equal(infl_buffer_line(b, 2, NULL), "m v=8 8");
    infl_buffer_pop(b, 100);
    assert_int_equal(infl_buffer_len(b), 0);
    assert_int_equal(infl_buffer_bytes(b), 0);
    infl_buffer_free(b);
    infl_buffer_free(NULL);

    b = infl_buffer_new(0); /* taken as 1 */
    push_str(b, "a v=1 1");
    push_str(b, "b v=1 1");
    assert_int_equal(infl_buffer_len(b), 1);
    assert_string_equal(infl_buffer_line(b, 0, NULL), "b v=1 1");
    infl_buffer_free(b);
}

/* The buffer's bytes are capped too: capacity × INFL_BUFFER_POINT_BYTES
 * in all (long lines drop the oldest before the count does), and a line
 * over INFL_BUFFER_LINE_MAX is never held. */
static void test_buffer_byte_cap(void **state)
{
    (void)state;
    struct infl_buffer *b = infl_buffer_new(4); /* 4 points, 4 KiB */
    size_t big = 1500;
    char *line = malloc(INFL_BUFFER_LINE_MAX + 2);
    assert_non_null(line);
    memset(line, 'x', INFL_BUFFER_LINE_MAX + 1);
    for (int i = 0; i < 3; i++)
        infl_buffer_push(b, line, big);
    /* three of 1500 bytes are over 4096: the first went */
    assert_int_equal(infl_buffer_len(b), 2);
    assert_int_equal(infl_buffer_bytes(b), 2 * big);
    assert_int_equal(infl_buffer_take_dropped(b), 1);
    push_str(b, "m v=1 1");
    assert_int_equal(infl_buffer_len(b), 3);
    assert_true(infl_buffer_bytes(b) <= 4 * INFL_BUFFER_POINT_BYTES);
    infl_buffer_free(b);

    b = infl_buffer_new(1000);
    infl_buffer_push(b, line, INFL_BUFFER_LINE_MAX + 1);
    assert_int_equal(infl_buffer_len(b), 0);
    assert_int_equal(infl_buffer_take_dropped(b), 1);
    infl_buffer_push(b, line, INFL_BUFFER_LINE_MAX); /* just fits */
    assert_int_equal(infl_buffer_len(b), 1);
    infl_buffer_free(b);
    free(line);
}

static void test_buffer_push_point(void **state)
{
    (void)state;
    struct infl_buffer *b = infl_buffer_new(10);
    struct infl_point p;
    char err[128];
    infl_point_init(&p, "docker", 42);
    infl_point_tag(&p, "container", "abc");
    infl_point_float(&p, "cpu_ratio", 3.25);
    assert_int_equal(infl_buffer_push_point(b, &p, err, sizeof err), 0);
    assert_string_equal(infl_buffer_line(b, 0, NULL),
                        "docker,container=abc cpu_ratio=3.25 42");
    infl_point_init(&p, "docker", 43);
    assert_int_equal(infl_buffer_push_point(b, &p, err, sizeof err), -1);
    assert_int_equal(infl_buffer_len(b), 1);
    infl_buffer_free(b);
}

/* ---- write policy ------------------------------------------------------ */

static void test_classify(void **state)
{
    (void)state;
    assert_int_equal(infl_classify(204, false), INFL_OK);
    assert_int_equal(infl_classify(200, false), INFL_OK);
    assert_int_equal(infl_classify(0, true), INFL_RETRY);
    assert_int_equal(infl_classify(204, true), INFL_RETRY); /* transport */
    assert_int_equal(infl_classify(0, false), INFL_RETRY);
    assert_int_equal(infl_classify(500, false), INFL_RETRY);
    assert_int_equal(infl_classify(502, false), INFL_RETRY);
    assert_int_equal(infl_classify(503, false), INFL_RETRY);
    assert_int_equal(infl_classify(429, false), INFL_RETRY);
    assert_int_equal(infl_classify(408, false), INFL_RETRY);
    assert_int_equal(infl_classify(401, false), INFL_RETRY);
    assert_int_equal(infl_classify(403, false), INFL_RETRY);
    assert_int_equal(infl_classify(404, false), INFL_RETRY);
    assert_int_equal(infl_classify(413, false), INFL_SPLIT);
    assert_int_equal(infl_classify(400, false), INFL_DROP);
    assert_int_equal(infl_classify(422, false), INFL_DROP);
    assert_int_equal(infl_classify(415, false), INFL_DROP);
    assert_int_equal(infl_classify(301, false), INFL_RETRY);
    assert_string_equal(infl_verdict_name(INFL_OK), "ok");
    assert_string_equal(infl_verdict_name(INFL_RETRY), "retry");
    assert_string_equal(infl_verdict_name(INFL_DROP), "drop");
    assert_string_equal(infl_verdict_name(INFL_SPLIT), "split");
}

static void test_backoff(void **state)
{
    (void)state;
    const int64_t want[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    for (unsigned i = 0; i < sizeof want / sizeof *want; i++)
        assert_int_equal(infl_backoff_ms(i, 0), want[i]);
    assert_int_equal(infl_backoff_ms(1000, 0), INFL_BACKOFF_MAX_MS);
    assert_int_equal(infl_backoff_ms(~0u, 0), INFL_BACKOFF_MAX_MS);
    assert_int_equal(infl_backoff_ms(0, 1), 500);
    assert_int_equal(infl_backoff_ms(3, 0.5), 6000);
    assert_int_equal(infl_backoff_ms(20, 1), 30000);
    assert_int_equal(infl_backoff_ms(2, 7), 2000);  /* clamped to 1 */
    assert_int_equal(infl_backoff_ms(2, -1), 4000); /* ≤ 0: none */
    assert_int_equal(infl_backoff_ms(2, NAN), 4000);
}

static void test_batch_count_and_split(void **state)
{
    (void)state;
    struct infl_buffer *b = infl_buffer_new(100);
    assert_int_equal(infl_batch_count(b, 10, 1000), 0);
    for (int i = 0; i < 10; i++)
        push_str(b, "123456789"); /* 9 bytes + '\n' = 10 */
    assert_int_equal(infl_batch_count(b, 100, 1000), 10);
    assert_int_equal(infl_batch_count(b, 4, 1000), 4);
    assert_int_equal(infl_batch_count(b, 100, 35), 3);
    assert_int_equal(infl_batch_count(b, 100, 30), 3);
    assert_int_equal(infl_batch_count(b, 100, 29), 2);
    assert_int_equal(infl_batch_count(b, 100, 1), 1); /* always one */
    assert_int_equal(infl_batch_count(b, 0, 1000), 1);
    infl_buffer_free(b);

    assert_int_equal(infl_split_lines(0), 0);
    assert_int_equal(infl_split_lines(1), 0); /* drop that point */
    assert_int_equal(infl_split_lines(2), 1);
    assert_int_equal(infl_split_lines(3), 2);
    assert_int_equal(infl_split_lines(5000), 2500);
    /* Halving always reaches one line. */
    size_t n = 5000, steps = 0;
    while (n > 1) {
        n = infl_split_lines(n);
        steps++;
    }
    assert_int_equal(n, 1);
    assert_true(steps <= 13);
}

int main(void)
{
    log_setup("test", LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_basic),
        cmocka_unit_test(test_encode_tags_sorted_empty_omitted),
        cmocka_unit_test(test_escape_measurement),
        cmocka_unit_test(test_escape_tags_and_field_keys),
        cmocka_unit_test(test_escape_string_field),
        cmocka_unit_test(test_escape_newline_no_injection),
        cmocka_unit_test(test_escape_backslash_edges),
        cmocka_unit_test(test_escape_utf8),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_float_format),
        cmocka_unit_test(test_int_bool_format),
        cmocka_unit_test(test_encode_nan_inf_skipped),
        cmocka_unit_test(test_buffer_fifo_drops_oldest),
        cmocka_unit_test(test_buffer_byte_cap),
        cmocka_unit_test(test_buffer_push_point),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_batch_count_and_split),
    };
    return cmocka_run_group_tests_name("influx_lp", tests, NULL, NULL);
}
