/* das: the Docker Swarm autoscaler and the operator's command line. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "das.h"
#include "health.h"
#include "version.h"

static void usage(FILE *f)
{
    fprintf(
        f, "usage: das COMMAND [options]\n"
           "\n"
           "commands:\n"
           "  run                 the autoscaler daemon (--once, --dry-run)\n"
           "  policy list|add|rm|check\n"
           "                      read and change the policy table\n"
           "  status [--watch]    each policy's windows, coverage and outcome\n"
           "  events [--service S] [--since DUR]\n"
           "                      the scaling history\n"
           "  simulate --trace FILE.csv [policy flags | --policy SEQ]\n"
           "                      what a policy would do to a load\n"
           "  healthcheck [PATH]  GET /healthz (or PATH) from DAS_LISTEN\n"
           "  version             the version (also --version)\n"
           "\n"
           "`das COMMAND --help` lists a command's options.\n");
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        char v[128];
        printf("%s\n", version_line("das", v, sizeof v));
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return das_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "policy"))
        return das_cmd_policy(argc - 1, argv + 1);
    if (!strcmp(cmd, "status"))
        return das_cmd_status(argc - 1, argv + 1);
    if (!strcmp(cmd, "events"))
        return das_cmd_events(argc - 1, argv + 1);
    if (!strcmp(cmd, "simulate"))
        return das_cmd_simulate(argc - 1, argv + 1);
    if (!strcmp(cmd, "healthcheck"))
        return hc_main("das", "DAS_LISTEN", argc - 1, argv + 1);
    fprintf(stderr,
            "das: unknown command \"%.64s\": use run, policy, status, "
            "events, simulate, healthcheck or version (das --help)\n",
            cmd);
    return 2;
}
