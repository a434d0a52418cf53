/* What every das command does first: its options, and the policy store. */
#include <stdio.h>
#include <string.h>

#include "das.h"
#include "log.h"
#include "pg.h"

int das_parse_opts(const char *cmd, void (*usage)(FILE *),
                   const struct cfg_opt *opts, size_t nopts, int argc,
                   char **argv, int first, char **pos, size_t maxpos,
                   size_t *npos, const char *const *log_level)
{
    struct buf errs;
    size_t none = 0;
    int status = -1;

    buf_init(&errs, 16 * 1024);
    int rc = cfg_parse(opts, nopts, argc, argv, first, pos, maxpos,
                       npos ? npos : &none, &errs);
    if (rc == 1) {
        usage(stdout);
        printf("\n");
        cfg_usage(stdout, opts, nopts);
        status = 0;
    } else if (rc < 0) {
        const char *line = errs.ptr ? errs.ptr : "";
        while (*line) {
            size_t len = strcspn(line, "\n");
            fprintf(stderr, "%s: %.*s\n", cmd, (int)len, line);
            line += len;
            if (*line)
                line++;
        }
        fprintf(stderr, "%s: see %s --help\n", cmd, cmd);
        status = 2;
    } else {
        int lvl = log_level_parse(*log_level);
        log_setup("das", lvl < 0 ? LOG_INFO : (enum log_level)lvl);
    }
    buf_cleanup(&errs);
    return status;
}

struct pg *das_store_open(const char *cmd, const char *policy_db, int *status)
{
    char err[512];
    if (policy_db && !strcmp(policy_db, "none")) {
        fprintf(stderr,
                "%s: --policy-db none: there is no policy table; policies "
                "come from service labels (das.max_no=N ...): give a "
                "libpq URI or conninfo to use the table\n",
                cmd);
        *status = 2;
        return NULL;
    }
    if (pg_conninfo_check(policy_db, err, sizeof err)) {
        fprintf(stderr, "%s: --policy-db / DAS_POLICY_DB: %s\n", cmd, err);
        *status = 2;
        return NULL;
    }
    struct pg *db = pg_open(policy_db, err, sizeof err);
    if (!db) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        *status = 1;
    }
    return db;
}
