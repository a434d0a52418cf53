/* Doubles as text (fmtnum.h). */
#include "fmtnum.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fmt_shortest(double v, char *out, size_t outlen)
{
    if (!isfinite(v) || outlen < 2)
        return -1;
    for (int prec = 15; prec <= 17; prec++) {
        int n = snprintf(out, outlen, "%.*g", prec, v);
        if (n < 0 || (size_t)n >= outlen)
            return -1;
        if (strtod(out, NULL) == v)
            return 0;
    }
    return 0; /* %.17g always reads back */
}

int fmt_plain(double v, char *out, size_t outlen)
{
    if (fmt_shortest(v, out, outlen))
        return -1;
    if (!strchr(out, 'e'))
        return 0;
    for (int prec = 0; prec <= 340; prec++) {
        int n = snprintf(out, outlen, "%.*f", prec, v);
        if (n < 0 || (size_t)n >= outlen)
            return -1;
        if (strtod(out, NULL) == v)
            return 0;
    }
    return -1;
}
