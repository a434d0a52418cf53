/* The InfluxDB replies recorded from influxd 1.6.7 (tests/fixtures/influx)
 * for the influx tests: read whole, or checked by infl_resp_parse. Include
 * after <cmocka.h>. */
#ifndef DAS_TEST_INFLUX_FIXTURE_H
#define DAS_TEST_INFLUX_FIXTURE_H

#include "fixture.h"
#include "influx.h"

static inline char *read_fixture(const char *name, size_t *len)
{
    return fixture_read("influx", name, len);
}

/* Parses fixture name as an answer with status; returns the rc and leaves
 * the message in err. */
static inline int parse_fixture(const char *name, long status, json_t **root,
                                char *err, size_t errlen)
{
    size_t len;
    char *body = read_fixture(name, &len);
    int rc = infl_resp_parse(status, body, len, root, err, errlen);
    free(body);
    return rc;
}

#endif
