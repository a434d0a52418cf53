/* The link-time check of the pure core (CMakeLists.txt, dascore): this
 * program is linked with every object of dascore and nothing but libc and
 * libm, so a core module that calls into an I/O library (curl, jansson,
 * libpq, libmicrohttpd) or into an I/O module does not link. Running it
 * checks one core function end to end. */
#include <stdio.h>

#include "dur.h"

int main(void)
{
    int64_t ms = 0;
    char err[128];
    if (dur_parse("10m", &ms, err, sizeof err) || ms != 600000) {
        fprintf(stderr, "core_check: dur_parse(\"10m\") gave %lld\n",
                (long long)ms);
        return 1;
    }
    printf("core_check: the core links alone\n");
    return 0;
}
