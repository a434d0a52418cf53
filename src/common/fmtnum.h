/* The one way das and ds write a double as text: the shortest of "%.15g",
 * "%.16g" and "%.17g" that strtod reads back as the same double (so 0.1 is
 * "0.1", 100 is "100", 0.1 + 0.2 is "0.30000000000000004"). Used by the
 * line protocol, the Prometheus exposition, the policy store's parameters
 * and the policy's own forms. */
#ifndef DAS_FMTNUM_H
#define DAS_FMTNUM_H

#include <stddef.h>

/* 0, or -1 when v is not finite or out (at least 32 bytes will do) is too
 * short. */
int fmt_shortest(double v, char *out, size_t outlen);
/* The same without an exponent ("0.00001", "1000000000000000000000"): the
 * form unit_parse reads. 0 / -1 as above (out: 400 bytes for any double). */
int fmt_plain(double v, char *out, size_t outlen);

#endif
