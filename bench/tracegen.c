/* tracegen: writes the generated load traces of simgen.h as CSV files, so
 * `das simulate` and bench/decide.sh can play the traces das's rule was
 * checked on besides the published ones.
 *
 *   tracegen DIR     writes DIR/<name>.csv for each generated trace
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "simgen.h"

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: tracegen DIR\n");
        return 2;
    }
    for (int i = 0; i < SIMGEN_NTRACES; i++) {
        struct sim_trace tr;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.csv", argv[1], simgen_name(i));
        FILE *f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "tracegen: %s: %s\n", path, strerror(errno));
            return 1;
        }
        simgen_trace(i, &tr);
        fprintf(f, "t,demand\n");
        for (size_t k = 0; k < tr.n; k++)
            fprintf(f, "%lld,%.2f\n",
                    (long long)((tr.t0_ms + (int64_t)k * tr.dt_ms) / 1000),
                    tr.demand[k]);
        sim_trace_free(&tr);
        if (fclose(f)) {
            fprintf(stderr, "tracegen: %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    return 0;
}
