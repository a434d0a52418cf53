/* The time zones of the policies' schedules: each read from its file of
 * the tz database (ZONES_DIR) the first time a schedule names it, then
 * kept for the life of the process. The I/O edge of tz.h. */
#ifndef DAS_ZONES_H
#define DAS_ZONES_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "schedule.h"
#include "tz.h"

#define ZONES_DIR "/usr/share/zoneinfo"
/* The most zones kept: the database has about 600 names. */
#define ZONES_MAX 600

struct zones;
struct zones *zones_new(void);
void zones_free(struct zones *zs);

/* The zone named name: "" or SCHED_ZONE_DEFAULT is UTC itself (no file
 * needed); any other is read from ZONES_DIR/name once (tz_name_check,
 * at most TZ_FILE_MAX bytes). Owned by zs. NULL and err when it cannot be
 * had (`tz=Mars/Olympus: no such zone in /usr/share/zoneinfo; use a name
 * of the tz database such as Europe/Paris`); a missing file is tried
 * again at the next call. */
const struct tz *zones_get(struct zones *zs, const char *name, char *err,
                           size_t errlen);

/* The schedule of p at now_ms (sched_eval in its zone); 0, or -1 and err
 * when its zone cannot be had. A policy without a schedule: its own
 * bounds, nothing active. */
int zones_sched_now(struct zones *zs, const struct policy *p, int64_t now_ms,
                    struct sched_now *out, char *err, size_t errlen);

#endif
