/* The option tables (cfg.h) at work: parsing flags and environment
 * against one table, collecting every error, and printing --help. */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dur.h"
#include "log.h"

/* Adds one line to the error list (a full list just stops growing). */
__attribute__((format(printf, 2, 3))) static void addf(struct buf *errs,
                                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (buf_vprintf(errs, fmt, ap)) {
        /* over the cap: the first errors are the ones shown */
    }
    va_end(ap);
}

static const struct cfg_opt *find_flag(const struct cfg_opt *opts, size_t nopts,
                                       const char *name, size_t namelen)
{
    for (size_t i = 0; i < nopts; i++)
        if (strlen(opts[i].flag) == namelen &&
            strncmp(opts[i].flag, name, namelen) == 0)
            return &opts[i];
    return NULL;
}

static bool choice_ok(const char *choices, const char *v)
{
    size_t vl = strlen(v);
    const char *p = choices;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vl && strncmp(p, v, len) == 0)
            return true;
        if (!bar)
            break;
        p = bar + 1;
    }
    return false;
}

/* The byte "%XX" at p stands for, or -1 when p is no such escape. */
static int pct_byte(const char *p, const char *end)
{
    if (end - p < 3 || p[0] != '%' || !isxdigit((unsigned char)p[1]) ||
        !isxdigit((unsigned char)p[2]))
        return -1;
    char hex[3] = {p[1], p[2], '\0'};
    return (int)strtol(hex, NULL, 16);
}

/* True when [s, end) spells name once percent-decoded (as libpq decodes a
 * URI's parameter names). */
static bool pct_equal(const char *s, const char *end, const char *name)
{
    while (s < end && *name) {
        int c = pct_byte(s, end);
        if (c < 0)
            c = (unsigned char)*s++;
        else
            s += 3;
        if (c != (unsigned char)*name++)
            return false;
    }
    return s == end && !*name;
}

/* A URL (scheme://...): userinfo with a password, or a password=
 * parameter in the query. */
static bool url_has_password(const char *authority)
{
    size_t alen = strcspn(authority, "/?#");
    const char *at = NULL;
    for (const char *p = authority; p < authority + alen; p++)
        if (*p == '@')
            at = p;
    if (at) {
        const char *colon = memchr(authority, ':', (size_t)(at - authority));
        if (colon && colon + 1 < at)
            return true;
    }
    const char *rest = authority + alen;
    const char *hash = rest + strcspn(rest, "#");
    const char *q = memchr(rest, '?', (size_t)(hash - rest));
    while (q && q < hash) {
        const char *name = q + 1;
        const char *amp = memchr(name, '&', (size_t)(hash - name));
        const char *pend = amp ? amp : hash;
        const char *eq = memchr(name, '=', (size_t)(pend - name));
        if (eq && eq + 1 < pend && pct_equal(name, eq, "password"))
            return true;
        q = amp;
    }
    return false;
}

/* A libpq conninfo ("host=h password='p w' ..."): a password keyword with
 * a value. Read as libpq reads it; where it stops making sense, what came
 * before decides. */
static bool conninfo_has_password(const char *p)
{
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            return false;
        const char *key = p;
        while (*p && *p != '=' && !isspace((unsigned char)*p))
            p++;
        size_t klen = (size_t)(p - key);
        while (isspace((unsigned char)*p))
            p++;
        if (*p != '=')
            return false;
        p++;
        while (isspace((unsigned char)*p))
            p++;
        bool quoted = *p == '\'';
        bool value = false;
        if (quoted)
            p++;
        while (*p && (quoted ? *p != '\'' : !isspace((unsigned char)*p))) {
            if (*p == '\\' && p[1])
                p++;
            p++;
            value = true;
        }
        if (quoted && *p)
            p++;
        if (klen == 8 && !strncmp(key, "password", 8) && value)
            return true;
    }
}

bool cfg_has_password(const char *v)
{
    /* a URL begins with a scheme: a letter, then letters, digits, + - . */
    const char *p = v;
    if (isalpha((unsigned char)*p)) {
        while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
               *p == '.')
            p++;
        if (!strncmp(p, "://", 3))
            return url_has_password(p + 3);
    }
    return conninfo_has_password(v);
}

/* Stores value v of option o; `origin` names where it came from for
 * messages ("--interval", "DAS_INTERVAL", "default"), from_flag whether
 * it came from argv. */
static int set_value(const struct cfg_opt *o, const char *v, const char *origin,
                     bool from_flag, struct buf *errs)
{
    char err[256];
    char q[160];
    switch (o->type) {
    case CFG_STR:
        *(const char **)o->target = v;
        break;
    case CFG_SERVER:
        if (from_flag && cfg_has_password(v)) {
            /* never the value: it holds the password */
            addf(errs,
                 "%s: the value holds a password, and a command line is "
                 "seen by every user of this host (ps, /proc/PID/cmdline): "
                 "%s\n",
                 origin, o->choices ? o->choices : "give it in a file");
            return -1;
        }
        if (!from_flag && cfg_has_password(v))
            cfg_nodump(); /* the environment holds a password */
        *(const char **)o->target = v;
        break;
    case CFG_ENUM:
        if (!choice_ok(o->choices, v)) {
            log_quote(v, q, sizeof q);
            addf(errs, "%s %s: not one of %s\n", origin, q, o->choices);
            return -1;
        }
        *(const char **)o->target = v;
        break;
    case CFG_DUR: {
        int64_t ms;
        if (dur_parse(v, &ms, err, sizeof err)) {
            addf(errs, "%s: %s\n", origin, err);
            return -1;
        }
        if (o->min > 0 && ms < o->min) {
            char least[32];
            log_quote(v, q, sizeof q);
            addf(errs, "%s %s: must be at least %s\n", origin, q,
                 dur_format(o->min, least, sizeof least));
            return -1;
        }
        *(int64_t *)o->target = ms;
        break;
    }
    case CFG_INT: {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < o->min || n > o->max) {
            log_quote(v, q, sizeof q);
            addf(errs, "%s %s: expected a whole number from %ld to %ld\n",
                 origin, q, o->min, o->max);
            return -1;
        }
        *(long *)o->target = n;
        break;
    }
    case CFG_LIST: {
        struct cfg_list *l = o->target;
        bool flag = from_flag;
        if (flag && !l->from_flags) {
            l->n = 0; /* flags replace the environment's value */
            l->from_flags = true;
        } else if (!flag) {
            l->n = 0; /* the environment replaces the default */
        }
        if (l->n == CFG_LIST_MAX) {
            addf(errs, "%s: given more than %d times\n", origin, CFG_LIST_MAX);
            return -1;
        }
        l->v[l->n++] = v;
        break;
    }
    case CFG_BOOL:
        if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") ||
            !strcmp(v, "on")) {
            *(bool *)o->target = true;
        } else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no") ||
                   !strcmp(v, "off") || !*v) {
            *(bool *)o->target = false;
        } else {
            log_quote(v, q, sizeof q);
            addf(errs, "%s %s: expected true or false\n", origin, q);
            return -1;
        }
        break;
    }
    return 0;
}

int cfg_parse(const struct cfg_opt *opts, size_t nopts, int argc, char **argv,
              int first, char **pos, size_t maxpos, size_t *npos,
              struct buf *errs)
{
    int bad = 0;
    bool help = false;
    bool opts_done = false;

    *npos = 0;
    /* defaults, then environment */
    for (size_t i = 0; i < nopts; i++) {
        const struct cfg_opt *o = &opts[i];
        if (o->type == CFG_LIST)
            memset(o->target, 0, sizeof(struct cfg_list));
        if (o->def && set_value(o, o->def, "default", false, errs))
            bad = 1; /* a programming error, but report it */
        if (!o->env)
            continue;
        const char *v = getenv(o->env);
        if (v && *v && set_value(o, v, o->env, false, errs))
            bad = 1;
    }
    /* flags */
    for (int i = first; i < argc; i++) {
        char *a = argv[i];
        if (opts_done || a[0] != '-' || a[1] == '\0') {
            if (*npos < maxpos) {
                pos[(*npos)++] = a;
            } else {
                char q[160];
                log_quote(a, q, sizeof q);
                addf(errs, "unexpected argument %s\n", q);
                bad = 1;
            }
            continue;
        }
        if (!strcmp(a, "--")) {
            opts_done = true;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help = true;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t namelen = eq ? (size_t)(eq - a) : strlen(a);
        const struct cfg_opt *o = find_flag(opts, nopts, a, namelen);
        if (!o) {
            /* its name only: a mistyped --…-password=… or --…-password …
             * must not print the password (the next word, when it is no
             * option, is taken as its value and not shown either) */
            char name[80], q[200];
            snprintf(name, sizeof name, "%.*s",
                     (int)(namelen < sizeof name ? namelen : sizeof name - 1),
                     a);
            log_quote(name, q, sizeof q);
            addf(errs, "unknown option %s (see --help)\n", q);
            bad = 1;
            if (!eq && i + 1 < argc && argv[i + 1][0] != '-')
                i++;
            continue;
        }
        const char *v;
        if (o->type == CFG_BOOL && !eq) {
            v = "true";
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            addf(errs, "%s needs a value\n", o->flag);
            bad = 1;
            continue;
        }
        if (set_value(o, v, o->flag, true, errs))
            bad = 1;
    }
    if (help)
        return 1;
    return bad ? -1 : 0;
}

void cfg_usage(FILE *f, const struct cfg_opt *opts, size_t nopts)
{
    fprintf(f, "Options (flags override environment, which overrides "
               "defaults):\n");
    for (size_t i = 0; i < nopts; i++) {
        const struct cfg_opt *o = &opts[i];
        const char *arg = "";
        switch (o->type) {
        case CFG_STR:
        case CFG_SERVER:
            arg = " VALUE";
            break;
        case CFG_DUR:
            arg = " DURATION";
            break;
        case CFG_INT:
            arg = " N";
            break;
        case CFG_ENUM:
            arg = " CHOICE";
            break;
        case CFG_LIST:
            arg = " VALUE";
            break;
        case CFG_BOOL:
            arg = "";
            break;
        }
        fprintf(f, "  %s%s\n      %s", o->flag, arg, o->help);
        if (o->type == CFG_ENUM)
            fprintf(f, " (%s)", o->choices);
        if (o->type == CFG_INT)
            fprintf(f, " (%ld..%ld)", o->min, o->max);
        if (o->type == CFG_LIST)
            fprintf(f, " (up to %d times)", CFG_LIST_MAX);
        if (o->env)
            fprintf(f, "; env %s", o->env);
        if (o->def)
            fprintf(f, "; default %s", o->def);
        fputc('\n', f);
    }
}

void cfg_nodump(void)
{
    const struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none))
        log_warn("cannot set the core size limit to 0 while a secret is held",
                 "err=%s", strerror(errno));
    if (prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L))
        log_warn("cannot make this process undumpable while a secret is "
                 "held",
                 "err=%s", strerror(errno));
}

char *cfg_read_secret(const char *path, char *err, size_t errlen)
{
    char data[4097];
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot read secret file %.200s: %s", path,
                 strerror(errno));
        return NULL;
    }
    for (;;) {
        ssize_t r = read(fd, data + len, sizeof data - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "cannot read secret file %.200s: %s", path,
                     strerror(errno));
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == sizeof data) {
            snprintf(err, errlen,
                     "secret file %.200s is over 4 KiB: expected a password",
                     path);
            close(fd);
            memset(data, 0, sizeof data);
            return NULL;
        }
    }
    close(fd);
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    cfg_nodump();
    char *s = xstrndup(data, len);
    memset(data, 0, sizeof data);
    return s;
}

char *cfg_secret(const char *path, const char *env, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (path && path[0])
        return cfg_read_secret(path, err, errlen);
    const char *v = env ? getenv(env) : NULL;
    if (!v || !v[0])
        return NULL;
    cfg_nodump();
    return xstrdup(v);
}
