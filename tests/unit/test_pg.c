/* pg: what the policy store module does without a server. Every query
 * needs one (integ.t_policy_store and the das tests run them against a real
 * PostgreSQL); here: the connection string check (pg_conninfo_check, no
 * I/O) and the messages of a failed connection (pg_open to a socket folder
 * where nothing listens), which must name the target, stay on one line and
 * never repeat a password: libpq quotes parts of a bad URI in its errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pg.h"

/* err must not hold the password in any spelling given */
static void assert_no_secret(const char *err, const char *const *spellings)
{
    for (size_t i = 0; spellings[i]; i++)
        if (strstr(err, spellings[i]))
            fail_msg("the message repeats the password \"%s\": %s",
                     spellings[i], err);
    if (strchr(err, '\n') || strchr(err, '\t'))
        fail_msg("the message is not one line: %s", err);
}

static void test_conninfo_good(void **state)
{
    (void)state;
    char err[512] = "";
    assert_int_equal(pg_conninfo_check("postgresql://crate@127.0.0.1:5432/doc",
                                       err, sizeof err),
                     0);
    assert_int_equal(pg_conninfo_check("host=127.0.0.1 port=5432 user=crate "
                                       "dbname=doc password='a b'",
                                       err, sizeof err),
                     0);
    assert_int_equal(pg_conninfo_check("", err, sizeof err), 0);
}

static void test_conninfo_bad_without_secret(void **state)
{
    (void)state;
    static const struct {
        const char *conninfo;
        const char *libpq_says; /* a part of libpq's reason */
        const char *secrets[4];
    } cases[] = {
        /* libpq quotes the whole URI: userinfo raw and percent-decoded */
        {"postgresql://crate:s3cr%65t@[::1/doc",
         "IPv6",
         {"s3cr%65t", "s3cret", NULL}},
        /* libpq quotes the bad token: the password= parameter */
        {"postgresql://crate@host/doc?password=pa%zzss",
         "percent-encoded",
         {"pa%zzss", NULL}},
        /* key=value form */
        {"host=h password=hunter2 dbname='doc",
         "unterminated",
         {"hunter2", NULL}},
        {"host=h password = 'hunter 2' nonsense=1",
         "nonsense",
         {"hunter 2", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        if (pg_conninfo_check(cases[i].conninfo, err, sizeof err) != -1)
            fail_msg("accepted: %s", cases[i].conninfo);
        if (!strstr(err, cases[i].libpq_says))
            fail_msg("case %zu: no \"%s\" in: %s", i, cases[i].libpq_says, err);
        assert_non_null(strstr(err, "invalid connection string"));
        assert_non_null(strstr(err, "postgresql://crate@HOST:5432/doc"));
        assert_no_secret(err, cases[i].secrets);
    }
    /* a password too long to keep: libpq's message is withheld whole
     * (review: its first 127 bytes were scrubbed, the rest printed) */
    char ci[700], err[512] = "";
    int n = snprintf(ci, sizeof ci, "postgresql://u:");
    memset(ci + n, 'A', 600);
    snprintf(ci + n + 600, sizeof ci - (size_t)n - 600, "%%zzSECRET@h/db");
    assert_int_equal(pg_conninfo_check(ci, err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid connection string"));
    assert_non_null(strstr(err, "withheld: the password is too long"));
    assert_null(strstr(err, "SECRET"));
    assert_null(strstr(err, "AAAA"));
}

/* A unix socket folder where no server listens: pg_open fails at once,
 * naming where it tried, with libpq's reason folded onto one line. */
static void test_open_no_server(void **state)
{
    (void)state;
    char dir[] = "/tmp/das-test-pg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char ci[256], err[512] = "";
    snprintf(ci, sizeof ci,
             "postgresql://crate:s3cr%%65t@/doc?host=%s&port=5999", dir);
    struct pg *db = pg_open(ci, err, sizeof err);
    assert_null(db);
    assert_non_null(strstr(err, "policy store "));
    assert_non_null(strstr(err, "cannot connect"));
    assert_non_null(strstr(err, dir));    /* where */
    assert_non_null(strstr(err, "5999")); /* which port */
    assert_non_null(strstr(err, "(user crate)"));
    /* das names the target itself, before libpq's words (which name the
     * socket too, so a target left out would not show above) */
    char head[512];
    snprintf(head, sizeof head, "%s", err);
    char *colon = strstr(head, ": cannot connect");
    assert_non_null(colon);
    *colon = '\0';
    assert_non_null(strstr(head, dir));
    assert_non_null(strstr(head, "5999"));
    static const char *const secrets[] = {"s3cr%65t", "s3cret", NULL};
    assert_no_secret(err, secrets);

    /* the password keyword too */
    snprintf(ci, sizeof ci,
             "host=%s port=5999 user=crate dbname=doc password=hunter2", dir);
    db = pg_open(ci, err, sizeof err);
    assert_null(db);
    assert_non_null(strstr(err, "cannot connect"));
    static const char *const secrets2[] = {"hunter2", NULL};
    assert_no_secret(err, secrets2);

    /* a bad string fails before any connection, with the same words as
     * pg_conninfo_check */
    db = pg_open("postgresql://crate:s3cr%65t@[::1/doc", err, sizeof err);
    assert_null(db);
    assert_non_null(strstr(err, "invalid connection string"));
    assert_no_secret(err, secrets);
    pg_close(NULL);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conninfo_good),
        cmocka_unit_test(test_conninfo_bad_without_secret),
        cmocka_unit_test(test_open_no_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
