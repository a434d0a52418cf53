/* das run's live page on --listen: GET / (every policy, paged) and
 * GET /service/<name> (one service and the chart of its last hour),
 * rendered by livepage.h from what the last cycle left.
 *
 * The cycle hands its evaluation over at its end (page_cycle): the rows
 * and one sample per policy are copied under the page's lock, so a request
 * never waits on a cycle nor a cycle on a request's rendering longer than
 * that copy, and a request's work is bounded (200 policies a page, one
 * ring, the recent events das keeps). */
#ifndef DAS_PAGE_H
#define DAS_PAGE_H

#include <pthread.h>
#include <stdbool.h>

#include "das.h"
#include "docker.h"
#include "endpoint.h"
#include "eval.h"
#include "evlog.h"

struct page;

/* A page of das run with conf's interval, serving on port, whose metrics
 * come from metrics ("InfluxDB", …), reading the last actions from evlog
 * (under evlog_lock). */
struct page *page_new(const struct das_conf *conf, unsigned port,
                      const char *metrics, const struct evlog *evlog,
                      pthread_mutex_t *evlog_lock);
/* Adds the routes / and /service/ to ep. */
void page_routes(struct page *pg, struct endpoint *ep);
/* The leader's cycle ended with ev: its snapshot, and a sample per
 * policy. */
void page_cycle(struct page *pg, const struct das_eval *ev);
/* A standby's cycle: this engine is engine (the leader check's words);
 * asks the engine which manager leads. */
void page_standby(struct page *pg, struct dkr *docker, const char *engine);
/* Appends the series per policy (polexp.h) of the last cycle's snapshot
 * to out: none on a standby. 0, or -1 when out is full. An ep_extra_fn
 * (ud: the page): rendered when /metrics is asked for, not kept. */
int page_metrics(void *pg, struct buf *out);
void page_free(struct page *pg);

#endif
