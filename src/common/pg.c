/* The policy store over libpq. SQL in the dialect CrateDB and PostgreSQL
 * share (autocommit, no transactions, no sequences, ON CONFLICT on the
 * primary key); every value is a bound parameter and every result is read
 * as text. */
#include "pg.h"

/* The SQLSTATE codes das tells apart (PostgreSQL's errcodes; CrateDB's
 * PostgreSQL wire protocol reports the same for these). */
#define SQLSTATE_DUPLICATE_TABLE "42P07"
#define SQLSTATE_UNIQUE_VIOLATION "23505" /* a catalog race between two das */
#define SQLSTATE_DUPLICATE_COLUMN "42701" /* the column is there already */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "buf.h"
#include "cfg.h"
#include "decide.h"
#include "fmtnum.h"
#include "log.h"

/* The spellings of the password (raw, percent-decoded, as libpq read it)
 * that messages must not repeat. One too long to keep (PG_SECRET_MAX)
 * withholds libpq's messages whole: scrubbing a prefix would print the
 * rest. */
#define PG_SECRET_MAX 512
#define PG_SECRETS 3
struct pg_secrets {
    char s[PG_SECRETS][PG_SECRET_MAX];
    bool too_long;
};

struct pg {
    PGconn *conn;
    bool crate;       /* CrateDB: make writes visible with REFRESH TABLE */
    char target[200]; /* "host:port/db (user u)" for messages */
    struct pg_secrets secret; /* password spellings to scrub */
    char state[6];            /* SQLSTATE of the last failed statement */
    bool probed;              /* has_col[] known for this connection */
    bool has_col[POL_NCOLS];  /* the column is in table das */
};

/* SQL of table das, from its column list (policy.h): the seed's table,
 * TEXT for STRING (both stores accept TEXT), and das's optional columns.
 * what: 'c' create table, 's' select list, 'i' insert, 'u' on conflict
 * update. Only columns in `has` (NULL: all) are named; a select puts NULL
 * in place of a missing one, so rows always have POL_NCOLS columns. */
static int das_sql(struct buf *b, char what, const bool *has)
{
    bool first = true;
    int nparam = 0, bad = 0;
    if (what == 'c')
        bad |= buf_puts(b, "create table if not exists das (");
    else if (what == 's')
        bad |= buf_puts(b, "select ");
    else if (what == 'i')
        bad |= buf_puts(b, "insert into das (");
    else
        bad |= buf_puts(b, " on conflict (seq) do update set ");
    for (int c = 0; c < POL_NCOLS; c++) {
        bool present = !has || has[c];
        const char *name = pol_col_names[c];
        if (!present && what != 's')
            continue;
        if (what == 'u' && c == POL_SEQ)
            continue;
        bad |= buf_puts(b, first ? "" : ", ");
        first = false;
        if (what == 'c')
            bad |= buf_printf(b, "%s %s", name, pol_col_types[c]);
        else if (what == 's')
            bad |= buf_puts(b, present ? name : "null");
        else if (what == 'i')
            bad |= buf_puts(b, name);
        else
            bad |= buf_printf(b, "%s = excluded.%s", name, name);
    }
    if (what == 'c')
        bad |= buf_puts(b, ")");
    else if (what == 's')
        bad |= buf_puts(b, " from das order by seq");
    else if (what == 'i') {
        bad |= buf_puts(b, ") values (");
        for (int c = 0; c < POL_NCOLS; c++)
            if (!has || has[c]) {
                nparam++;
                bad |= buf_printf(b, "%s$%d", nparam > 1 ? ", " : "", nparam);
            }
        bad |= buf_puts(b, ")");
    }
    return bad ? -1 : 0;
}

/* No primary key: neither store has sequences, and two actions in the same
 * millisecond are legal. time_ms is milliseconds since the epoch (UTC). */
static const char sql_create_events[] =
    "create table if not exists das_events (time_ms bigint, seq int, "
    "service TEXT, action TEXT, from_no int, to_no int, metric TEXT, "
    "observed double precision, threshold double precision, "
    "window_ms bigint, reason TEXT, dry_run boolean)";

#define EV_SELECT                                                              \
    "select time_ms, seq, service, action, from_no, to_no, metric, "           \
    "observed, threshold, window_ms, reason, dry_run from das_events"

/* ---- messages without passwords ---------------------------------------- */

static void add_secret(struct pg_secrets *sec, const char *s, size_t len)
{
    if (len == 0)
        return;
    if (len >= PG_SECRET_MAX) {
        sec->too_long = true;
        return;
    }
    for (size_t i = 0; i < PG_SECRETS; i++) {
        if (!strncmp(sec->s[i], s, len) && sec->s[i][len] == '\0')
            return; /* this spelling is kept already */
        if (sec->s[i][0] == '\0') {
            memcpy(sec->s[i], s, len);
            sec->s[i][len] = '\0';
            return;
        }
    }
    sec->too_long = true; /* a fourth spelling: keep none of the text */
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Finds the password in a conninfo string by hand, so that even messages
 * about a conninfo libpq cannot parse never repeat it: the userinfo of a
 * URI (raw and percent-decoded), a `password=` URI parameter, and the
 * `password` keyword of the key=value form. */
static void pg_find_secrets(const char *ci, struct pg_secrets *secret)
{
    const char *scheme = strstr(ci, "://");
    if (scheme) {
        const char *auth = scheme + 3;
        size_t alen = strcspn(auth, "/?");
        const char *at = NULL;
        for (const char *p = auth; p < auth + alen; p++)
            if (*p == '@')
                at = p;
        if (at) {
            const char *colon = memchr(auth, ':', (size_t)(at - auth));
            if (colon) {
                const char *pw = colon + 1;
                size_t len = (size_t)(at - pw);
                add_secret(secret, pw, len);
                char dec[PG_SECRET_MAX];
                size_t o = 0;
                for (size_t i = 0; i < len && o + 1 < sizeof dec; i++) {
                    /* (decoded, never longer than raw: cut only when raw
                     * was already too long to keep) */
                    if (pw[i] == '%' && i + 2 < len && hexval(pw[i + 1]) >= 0 &&
                        hexval(pw[i + 2]) >= 0) {
                        dec[o++] =
                            (char)(hexval(pw[i + 1]) * 16 + hexval(pw[i + 2]));
                        i += 2;
                    } else {
                        dec[o++] = pw[i];
                    }
                }
                add_secret(secret, dec, o);
            }
        }
    }
    /* password=VALUE (keyword form or URI parameter), possibly quoted */
    for (const char *p = ci; (p = strstr(p, "password")) != NULL; p += 8) {
        const char *q = p + 8;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '=')
            continue;
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        size_t len;
        if (*q == '\'') {
            q++;
            len = 0;
            while (q[len] && q[len] != '\'')
                len++;
        } else {
            len = strcspn(q, " \t&");
        }
        add_secret(secret, q, len);
    }
}

/* Copies msg into out with every secret replaced by "***", newlines and
 * tabs folded into single spaces, and trailing space trimmed. */
static void scrub(const struct pg_secrets *secret, const char *msg, char *out,
                  size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return;
    if (secret->too_long) {
        snprintf(out, outlen,
                 "libpq's message withheld: the password is too long "
                 "(over %d bytes) to be kept out of it",
                 PG_SECRET_MAX - 1);
        return;
    }
    for (const char *p = msg ? msg : ""; *p && o + 1 < outlen;) {
        bool hit = false;
        for (size_t i = 0; i < PG_SECRETS; i++) {
            size_t len = strlen(secret->s[i]);
            if (len && strncmp(p, secret->s[i], len) == 0) {
                for (const char *r = "***"; *r && o + 1 < outlen; r++)
                    out[o++] = *r;
                p += len;
                hit = true;
                break;
            }
        }
        if (hit)
            continue;
        char c = *p++;
        if (c == '\n') {
            /* libpq's second line ("\n\tIs the server running...") */
            while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
            if (*p && o + 3 < outlen) {
                out[o++] = ';';
                out[o++] = ' ';
            }
            continue;
        }
        if (c == '\t' || c == '\r') {
            if (o > 0 && out[o - 1] != ' ')
                out[o++] = ' ';
            continue;
        }
        out[o++] = c;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "relation already exists, skipping" and friends */
}

static void set_target(struct pg *db)
{
    const char *host = PQhost(db->conn);
    const char *port = PQport(db->conn);
    const char *name = PQdb(db->conn);
    const char *user = PQuser(db->conn);
    snprintf(db->target, sizeof db->target, "%s%s%s/%s (user %s)",
             host && *host ? host : "localhost", port && *port ? ":" : "",
             port ? port : "", name ? name : "", user ? user : "");
}

/* err = "policy store TARGET: WHAT: libpq's message" without secrets. */
static void fail(struct pg *db, const char *what, const char *msg, char *err,
                 size_t errlen)
{
    char clean[512];
    scrub(&db->secret, msg, clean, sizeof clean);
    snprintf(err, errlen, "policy store %s: %s%s%s", db->target, what,
             *clean ? ": " : "", clean);
}

static void after_connect(struct pg *db)
{
    PQsetNoticeProcessor(db->conn, quiet_notice, NULL);
    db->crate = PQparameterStatus(db->conn, "crate_version") != NULL;
    set_target(db);
}

/* Parses conninfo; NULL with err (scrubbed) when libpq cannot read it. */
static PQconninfoOption *parse_conninfo(const char *conninfo,
                                        const struct pg_secrets *secret,
                                        char *err, size_t errlen)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    if (!opts) {
        char clean[400];
        scrub(secret, perr ? perr : "out of memory", clean, sizeof clean);
        snprintf(err, errlen,
                 "policy store: invalid connection string (%s); use a URI "
                 "like postgresql://crate@HOST:5432/doc or key=value pairs "
                 "like \"host=HOST port=5432 user=crate dbname=doc\"",
                 clean);
        PQfreemem(perr);
    }
    return opts;
}

int pg_conninfo_check(const char *conninfo, char *err, size_t errlen)
{
    struct pg_secrets secret = {0};
    pg_find_secrets(conninfo, &secret);
    PQconninfoOption *opts = parse_conninfo(conninfo, &secret, err, errlen);
    memset(&secret, 0, sizeof secret);
    if (!opts)
        return -1;
    PQconninfoFree(opts);
    return 0;
}

struct pg *pg_open(const char *conninfo, char *err, size_t errlen)
{
    struct pg *db = xcalloc(1, sizeof *db);
    bool has_timeout = getenv("PGCONNECT_TIMEOUT") != NULL;

    pg_find_secrets(conninfo, &db->secret);
    PQconninfoOption *opts = parse_conninfo(conninfo, &db->secret, err, errlen);
    if (!opts) {
        memset(&db->secret, 0, sizeof db->secret);
        free(db);
        return NULL;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val)
            continue;
        if (!strcmp(o->keyword, "password"))
            add_secret(&db->secret, o->val, strlen(o->val));
        if (!strcmp(o->keyword, "connect_timeout"))
            has_timeout = true;
    }
    PQconninfoFree(opts);

    /* Defaults first: the expanded conninfo (dbname) overrides them. A
     * stopped store must fail fast, and a vanished peer must be noticed. */
    const char *keys[8], *vals[8];
    int k = 0;
    if (!has_timeout) {
        keys[k] = "connect_timeout";
        vals[k++] = "5";
    }
    keys[k] = "keepalives_idle";
    vals[k++] = "30";
    keys[k] = "keepalives_interval";
    vals[k++] = "10";
    keys[k] = "keepalives_count";
    vals[k++] = "3";
    keys[k] = "dbname";
    vals[k++] = conninfo;
    keys[k] = NULL;
    vals[k] = NULL;
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (!db->conn) {
        snprintf(err, errlen, "policy store: out of memory");
        free(db);
        return NULL;
    }
    /* libpq holds a password now when one was given (the conninfo's,
     * PGPASSWORD or the password file's): no core dump may carry it */
    const char *pw = PQpass(db->conn);
    if ((pw && pw[0]) || db->secret.s[0][0] || db->secret.too_long)
        cfg_nodump();
    set_target(db);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        fail(db, "cannot connect", PQerrorMessage(db->conn), err, errlen);
        pg_close(db);
        return NULL;
    }
    after_connect(db);
    return db;
}

void pg_close(struct pg *db)
{
    if (!db)
        return;
    if (db->conn)
        PQfinish(db->conn);
    memset(&db->secret, 0, sizeof db->secret);
    free(db);
}

int pg_ensure(struct pg *db, char *err, size_t errlen)
{
    if (PQstatus(db->conn) == CONNECTION_OK)
        return 0;
    PQreset(db->conn);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        fail(db, "cannot reconnect", PQerrorMessage(db->conn), err, errlen);
        return -1;
    }
    after_connect(db);
    return 0;
}

/* True when res failed because the table does not exist (42P01 on both). */
static bool undefined_table(const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return state && !strcmp(state, "42P01");
}

/* Runs one statement with text parameters (NULL entries are SQL NULL).
 * A connection found dead is reset and the statement tried once more. On
 * failure returns NULL with err set, except that when the table is missing
 * and *missing is non-NULL it sets *missing and returns NULL silently. */
static PGresult *run(struct pg *db, const char *what, const char *sql,
                     int nparams, const char *const *params, bool *missing,
                     char *err, size_t errlen)
{
    if (missing)
        *missing = false;
    db->state[0] = '\0';
    for (int attempt = 0; attempt < 2; attempt++) {
        if (pg_ensure(db, err, errlen))
            return NULL;
        PGresult *res =
            PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
        ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
            return res;
        if (missing && undefined_table(res)) {
            *missing = true;
            PQclear(res);
            return NULL;
        }
        if (PQstatus(db->conn) != CONNECTION_OK && attempt == 0) {
            PQclear(res);
            continue; /* lost the connection: reconnect and retry once */
        }
        const char *primary =
            res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        const char *state =
            res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        snprintf(db->state, sizeof db->state, "%s", state ? state : "");
        fail(db, what, primary ? primary : PQerrorMessage(db->conn), err,
             errlen);
        PQclear(res);
        return NULL;
    }
    return NULL; /* not reached */
}

/* Runs a statement that returns no rows; 0 ok. */
static int run_cmd(struct pg *db, const char *what, const char *sql,
                   int nparams, const char *const *params, long *affected,
                   char *err, size_t errlen)
{
    PGresult *res = run(db, what, sql, nparams, params, NULL, err, errlen);
    if (!res)
        return -1;
    if (affected) {
        const char *t = PQcmdTuples(res);
        *affected = t && *t ? strtol(t, NULL, 10) : 0;
    }
    PQclear(res);
    return 0;
}

/* CrateDB shows a write to other statements only after the table's next
 * refresh (1 s by default): refresh now so that `das policy add` followed
 * by `das policy list` sees the row. PostgreSQL needs nothing. */
static void crate_refresh(struct pg *db, const char *sql)
{
    if (!db->crate)
        return;
    PGresult *res = PQexec(db->conn, sql);
    PQclear(res);
}

/* Which of das's columns table das has (a table made by the seed's SQL
 * has none of the optional ones). 0, or -1 + err; a missing table has all
 * (it will be created with them). */
static int probe_cols(struct pg *db, char *err, size_t errlen)
{
    bool missing;
    PGresult *res =
        run(db, "reading the columns of das", "select * from das limit 0", 0,
            NULL, &missing, err, errlen);
    for (int c = 0; c < POL_NCOLS; c++)
        db->has_col[c] = !res || PQfnumber(res, pol_col_names[c]) >= 0;
    if (!res)
        return missing ? 0 : -1;
    PQclear(res);
    db->probed = true;
    return 0;
}

int pg_ensure_schema(struct pg *db, char *err, size_t errlen)
{
    struct buf create;
    buf_init(&create, 4096);
    if (das_sql(&create, 'c', NULL)) {
        errf(err, errlen, "table das: statement too long");
        buf_cleanup(&create);
        return -1;
    }
    const char *sqls[2] = {create.ptr, sql_create_events};
    int rc = -1;
    for (int i = 0; i < 2; i++) {
        PGresult *res =
            run(db, i ? "creating table das_events" : "creating table das",
                sqls[i], 0, NULL, NULL, err, errlen);
        if (!res) {
            /* two das started at once may race on PostgreSQL's catalog:
             * the loser sees a duplicate; the table is there either way */
            if (!strcmp(db->state, SQLSTATE_DUPLICATE_TABLE) ||
                !strcmp(db->state, SQLSTATE_UNIQUE_VIOLATION))
                continue;
            goto out;
        }
        PQclear(res);
    }
    /* A table made by the seed's SQL: add das's optional columns (ALTER
     * TABLE ... ADD COLUMN works on PostgreSQL and CrateDB). Without the
     * right to, das works without them: their defaults apply. */
    if (probe_cols(db, err, errlen))
        goto out;
    for (int c = 0; c < POL_NCOLS; c++) {
        if (db->has_col[c] || !pol_col_optional[c])
            continue;
        char sql[128], what[64], q[600];
        snprintf(sql, sizeof sql, "alter table das add column %s %s",
                 pol_col_names[c], pol_col_types[c]);
        snprintf(what, sizeof what, "adding column %s to das",
                 pol_col_names[c]);
        PGresult *res = run(db, what, sql, 0, NULL, NULL, err, errlen);
        if (res) {
            PQclear(res);
            log_info("added a column to the policy table", "column=%s",
                     pol_col_names[c]);
        } else if (strcmp(db->state, SQLSTATE_DUPLICATE_COLUMN)) {
            log_warn("could not add a column to the policy table; its "
                     "default applies",
                     "column=%s error=%s", pol_col_names[c],
                     log_quote(err, q, sizeof q));
        }
    }
    if (probe_cols(db, err, errlen))
        goto out;
    rc = 0;
out:
    buf_cleanup(&create);
    return rc;
}

/* ---- policies ------------------------------------------------------------ */

int pg_policy_rows(struct pg *db, struct pg_rowset *set, char *err,
                   size_t errlen)
{
    bool missing;
    set->rows = NULL;
    set->n = 0;
    set->priv = NULL;
    /* look again while an optional column is missing: someone may add it
     * (das without the right to ALTER) */
    bool missing_col = false;
    for (int c = 0; c < POL_NCOLS; c++)
        missing_col |= !db->has_col[c];
    if ((!db->probed || missing_col) && probe_cols(db, err, errlen))
        return -1;
    struct buf sel;
    buf_init(&sel, 4096);
    if (das_sql(&sel, 's', db->has_col)) {
        errf(err, errlen, "reading policies: statement too long");
        buf_cleanup(&sel);
        return -1;
    }
    PGresult *res =
        run(db, "reading policies", sel.ptr, 0, NULL, &missing, err, errlen);
    buf_cleanup(&sel);
    if (!res) {
        /* a column went away (or came) under us: look again next time */
        db->probed = false;
        return missing ? 0 : -1;
    }
    if (PQnfields(res) != POL_NCOLS) {
        fail(db, "reading policies", "unexpected column count", err, errlen);
        PQclear(res);
        return -1;
    }
    int n = PQntuples(res);
    set->rows = xcalloc((size_t)(n > 0 ? n : 1), sizeof *set->rows);
    for (int r = 0; r < n; r++)
        for (int c = 0; c < POL_NCOLS; c++)
            set->rows[r].col[c] =
                PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
    set->n = (size_t)n;
    set->priv = res;
    return 0;
}

void pg_rowset_free(struct pg_rowset *set)
{
    if (!set)
        return;
    free(set->rows);
    PQclear(set->priv);
    set->rows = NULL;
    set->priv = NULL;
    set->n = 0;
}

int pg_policy_write(struct pg *db, const struct pol_row *row, bool replace,
                    bool *written, char *err, size_t errlen)
{
    const char *params[POL_NCOLS];
    int np = 0, rc = -1;
    long affected = 0;
    struct buf sql;

    if (!db->probed && probe_cols(db, err, errlen))
        return -1;
    for (int c = 0; c < POL_NCOLS; c++) {
        if (db->has_col[c]) {
            params[np++] = row->col[c];
        } else if (row->col[c]) {
            errf(err, errlen,
                 "table das has no column %s (it was made without das's "
                 "SQL): let das run add it, or add it yourself: alter table "
                 "das add column %s %s",
                 pol_col_names[c], pol_col_names[c], pol_col_types[c]);
            return -1;
        }
    }
    buf_init(&sql, 8192);
    if (das_sql(&sql, 'i', db->has_col) ||
        (replace ? das_sql(&sql, 'u', db->has_col)
                 : buf_puts(&sql, " on conflict (seq) do nothing"))) {
        errf(err, errlen, "writing the policy: statement too long");
        goto out;
    }
    if (run_cmd(db, "writing the policy", sql.ptr, np, params, &affected, err,
                errlen)) {
        db->probed = false;
        goto out;
    }
    if (written)
        *written = affected > 0;
    crate_refresh(db, "refresh table das");
    rc = 0;
out:
    buf_cleanup(&sql);
    return rc;
}

int pg_policy_delete(struct pg *db, long seq, bool *deleted, char *err,
                     size_t errlen)
{
    char s[24];
    const char *params[1] = {s};
    long affected = 0;
    bool missing;
    snprintf(s, sizeof s, "%ld", seq);
    *deleted = false;
    PGresult *res =
        run(db, "deleting the policy", "delete from das where seq = $1", 1,
            params, &missing, err, errlen);
    if (!res)
        return missing ? 0 : -1;
    const char *t = PQcmdTuples(res);
    affected = t && *t ? strtol(t, NULL, 10) : 0;
    PQclear(res);
    *deleted = affected > 0;
    if (*deleted)
        crate_refresh(db, "refresh table das");
    return 0;
}

int pg_policy_next_seq(struct pg *db, long *seq, char *err, size_t errlen)
{
    bool missing;
    *seq = 1;
    PGresult *res =
        run(db, "finding the next free seq", "select max(seq) from das", 0,
            NULL, &missing, err, errlen);
    if (!res)
        return missing ? 0 : -1;
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        *seq = strtol(PQgetvalue(res, 0, 0), NULL, 10) + 1;
    PQclear(res);
    return 0;
}

int pg_policy_set_cur_no(struct pg *db, long seq, long cur_no, char *err,
                         size_t errlen)
{
    char s[24], c[24];
    const char *params[2] = {c, s};
    snprintf(s, sizeof s, "%ld", seq);
    snprintf(c, sizeof c, "%ld", cur_no);
    if (run_cmd(db, "updating cur_no",
                "update das set cur_no = $1 where seq = $2", 2, params, NULL,
                err, errlen))
        return -1;
    crate_refresh(db, "refresh table das");
    return 0;
}

/* ---- events -------------------------------------------------------------- */

/* One event's parameters as text (the column order of the INSERT). */
struct ev_text {
    char t[24], seq[24], from[24], to[24], obs[40], thr[40], win[24];
};

#define EV_COLS 12
/* Rows per INSERT: 12 parameters each, well under the protocol's 65535. */
#define EV_ROWS_MAX 1000

static void ev_params(const struct pg_event *ev, struct ev_text *x,
                      const char **params)
{
    snprintf(x->t, sizeof x->t, "%lld", (long long)ev->time_ms);
    snprintf(x->seq, sizeof x->seq, "%ld", ev->seq);
    snprintf(x->from, sizeof x->from, "%ld", ev->from_no);
    snprintf(x->to, sizeof x->to, "%ld", ev->to_no);
    snprintf(x->win, sizeof x->win, "%lld", (long long)ev->window_ms);
    /* non-finite values are not numbers either store accepts */
    if (isfinite(ev->observed))
        (void)fmt_shortest(ev->observed, x->obs, sizeof x->obs);
    if (isfinite(ev->threshold))
        (void)fmt_shortest(ev->threshold, x->thr, sizeof x->thr);
    const char *p[EV_COLS] = {
        x->t,
        x->seq,
        ev->service,
        ev->action,
        x->from,
        x->to,
        ev->metric[0] ? ev->metric : NULL,
        isfinite(ev->observed) ? x->obs : NULL,
        isfinite(ev->threshold) ? x->thr : NULL,
        x->win,
        ev->reason,
        ev->dry_run ? "true" : "false",
    };
    memcpy(params, p, sizeof p);
}

int pg_events_insert(struct pg *db, const struct pg_event *ev, size_t n,
                     char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    size_t rows = n < EV_ROWS_MAX ? n : EV_ROWS_MAX;
    struct ev_text *x = xcalloc(rows, sizeof *x);
    const char **params = xcalloc(rows * EV_COLS, sizeof *params);
    struct buf sql;
    /* 1000 rows of "($1, …, $12)": about 100 KB */
    buf_init(&sql, 512 * 1024);
    int rc = 0;
    for (size_t done = 0; done < n && rc == 0; done += rows) {
        size_t k = n - done < rows ? n - done : rows;
        int full = 0;
        buf_reset(&sql);
        full |= buf_puts(&sql, "insert into das_events (time_ms, seq, "
                               "service, action, from_no, to_no, metric, "
                               "observed, threshold, window_ms, reason, "
                               "dry_run) values ");
        for (size_t i = 0; i < k; i++) {
            ev_params(&ev[done + i], &x[i], params + i * EV_COLS);
            size_t p = i * EV_COLS;
            full |=
                buf_printf(&sql,
                           "%s($%zu, $%zu, $%zu, $%zu, $%zu, $%zu, $%zu, "
                           "$%zu, $%zu, $%zu, $%zu, $%zu)",
                           i ? ", " : "", p + 1, p + 2, p + 3, p + 4, p + 5,
                           p + 6, p + 7, p + 8, p + 9, p + 10, p + 11, p + 12);
        }
        if (full) {
            snprintf(err, errlen,
                     "recording the events: the statement "
                     "for %zu rows outgrew its buffer",
                     k);
            rc = -1;
        } else if (run_cmd(db,
                           n > 1 ? "recording the events"
                                 : "recording the event",
                           sql.ptr, (int)(k * EV_COLS), params, NULL, err,
                           errlen)) {
            rc = -1;
        }
    }
    buf_cleanup(&sql);
    free(params);
    free(x);
    if (rc == 0)
        crate_refresh(db, "refresh table das_events");
    return rc;
}

static long text_long(const PGresult *res, int r, int c)
{
    if (PQgetisnull(res, r, c))
        return 0;
    return strtol(PQgetvalue(res, r, c), NULL, 10);
}

static double text_double(const PGresult *res, int r, int c)
{
    if (PQgetisnull(res, r, c))
        return NAN;
    return strtod(PQgetvalue(res, r, c), NULL);
}

static void text_copy(const PGresult *res, int r, int c, char *out,
                      size_t outlen)
{
    snprintf(out, outlen, "%s",
             PQgetisnull(res, r, c) ? "" : PQgetvalue(res, r, c));
}

int pg_events(struct pg *db, const char *service, int64_t since_ms,
              size_t limit, struct pg_event **out, size_t *n, char *err,
              size_t errlen)
{
    char since[24], lim[24];
    const char *params[3];
    int np = 0;
    bool missing;
    *out = NULL;
    *n = 0;
    if (limit == 0 || limit > 1000000)
        limit = 1000000;
    snprintf(since, sizeof since, "%lld", (long long)since_ms);
    snprintf(lim, sizeof lim, "%zu", limit);
    params[np++] = since;
    if (service)
        params[np++] = service;
    params[np++] = lim;
    const char *sql = service ? EV_SELECT
                          " where time_ms >= $1 and service = $2"
                          " order by time_ms desc limit $3"
                              : EV_SELECT " where time_ms >= $1"
                                          " order by time_ms desc limit $2";
    PGresult *res =
        run(db, "reading events", sql, np, params, &missing, err, errlen);
    if (!res)
        return missing ? 0 : -1;
    int rows = PQntuples(res);
    struct pg_event *ev = xcalloc((size_t)(rows > 0 ? rows : 1), sizeof *ev);
    for (int r = 0; r < rows; r++) {
        struct pg_event *e = &ev[r];
        e->time_ms = PQgetisnull(res, r, 0)
                         ? 0
                         : (int64_t)strtoll(PQgetvalue(res, r, 0), NULL, 10);
        e->seq = text_long(res, r, 1);
        text_copy(res, r, 2, e->service, sizeof e->service);
        text_copy(res, r, 3, e->action, sizeof e->action);
        e->from_no = text_long(res, r, 4);
        e->to_no = text_long(res, r, 5);
        text_copy(res, r, 6, e->metric, sizeof e->metric);
        e->observed = text_double(res, r, 7);
        e->threshold = text_double(res, r, 8);
        e->window_ms = PQgetisnull(res, r, 9)
                           ? 0
                           : (int64_t)strtoll(PQgetvalue(res, r, 9), NULL, 10);
        text_copy(res, r, 10, e->reason, sizeof e->reason);
        const char *b = PQgetisnull(res, r, 11) ? "" : PQgetvalue(res, r, 11);
        e->dry_run = b[0] == 't' || b[0] == 'T' || b[0] == '1';
    }
    PQclear(res);
    *out = ev;
    *n = (size_t)rows;
    return 0;
}

int pg_last_actions(struct pg *db, const long *seqs, size_t n, int64_t since_ms,
                    int64_t until_ms, struct hist_future *future,
                    int64_t *times, bool *bets, char *err, size_t errlen)
{
    memset(future, 0, sizeof *future);
    bool missing;
    char since[32];
    const char *params[1] = {since};
    snprintf(since, sizeof since, "%lld", (long long)since_ms);
    for (size_t i = 0; i < n; i++) {
        times[i] = 0;
        if (bets)
            bets[i] = false;
    }
    if (n == 0)
        return 0;
    /* one query for all policies rather than one per policy; the rows of
     * the span are few (actions, not decisions), and the latest of each
     * policy is picked here: its reason says whether it was a bet */
    PGresult *res = run(db, "reading the last actions",
                        "select seq, time_ms, reason from das_events "
                        "where dry_run = false and time_ms >= $1 "
                        "and action <> 'capacity-bound'",
                        1, params, &missing, err, errlen);
    if (!res)
        return missing ? 0 : -1;
    int rows = PQntuples(res);
    for (int r = 0; r < rows; r++) {
        if (PQgetisnull(res, r, 0) || PQgetisnull(res, r, 1))
            continue;
        long seq = strtol(PQgetvalue(res, r, 0), NULL, 10);
        int64_t t = (int64_t)strtoll(PQgetvalue(res, r, 1), NULL, 10);
        const char *why = PQgetisnull(res, r, 2) ? "" : PQgetvalue(res, r, 2);
        if (t > until_ms) { /* from the future: not an action of ours */
            if (future->n++ == 0) {
                future->first_seq = seq;
                future->first_ms = t;
            }
            continue;
        }
        for (size_t i = 0; i < n; i++)
            if (seqs[i] == seq && t >= times[i]) {
                times[i] = t;
                if (bets)
                    bets[i] = dec_reason_bet(why);
            }
    }
    PQclear(res);
    return 0;
}
