/* The crawl itself: workers (corio tasks) sharing one queue of URLs, one
 * seen-set of normalised URLs and one HTTP client (its pool keeps the
 * connections to each host alive), as seed 001's asyncio crawler, with host
 * rules, robots.txt, politeness, depth and page limits on top. */
#ifndef CORIO_CRAWL_CRAWL_H
#define CORIO_CRAWL_CRAWL_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <corio/corio.h>

#include "strmap.h"

#define CRAWL_AGENT             "corio-crawl"
#define CRAWL_WORKERS_DEFAULT   16
#define CRAWL_MAX_PAGES_DEFAULT 200
#define CRAWL_PER_HOST_DEFAULT  4
#define CRAWL_TIMEOUT_DEFAULT   10000      /* ms per request */
#define CRAWL_MAX_BODY_DEFAULT  (8u << 20) /* bytes per page */
#define CRAWL_MAX_REDIRECTS     10
#define CRAWL_ROBOTS_MAX_BODY   (512u << 10) /* bytes of robots.txt read */

typedef struct crawl_opts {
    char **start; /* start URLs, as given */
    int nstart;
    unsigned workers;
    long max_pages;
    long max_depth;       /* -1: unlimited */
    const regex_t *allow; /* hosts to follow; NULL: exactly the start URLs' hosts */
    unsigned per_host;    /* concurrent requests to one host */
    int64_t delay_ms;     /* between the starts of requests to one host */
    bool robots;
    int64_t timeout_ms;
    size_t max_body;
    FILE *out; /* JSON Lines, or NULL */
    /* A fleet (fleet.h): the Redis URL (NULL: this process alone), the job
     * naming its keys and the lease on a taken URL. */
    const char *redis;
    const char *job;
    int64_t lease_ms;
} crawl_opts;

/* What went wrong, by class (corio_http_error_class's names and ours). */
#define CRAWL_MAX_CLASSES 16
typedef struct crawl_class {
    const char *name; /* a static string */
    size_t count;
} crawl_class;

typedef struct crawl_stats {
    size_t fetched;        /* pages answered with a status (a record written) */
    size_t failed;         /* pages that got no answer (a record with an error) */
    size_t seen;           /* unique allowed URLs found (start URLs included) */
    size_t left;           /* queued but never fetched */
    size_t in_flight;      /* being fetched right now */
    size_t robots_skipped; /* not fetched: robots.txt disallows them */
    size_t http_errors;    /* pages answered with a status >= 400 */
    crawl_class classes[CRAWL_MAX_CLASSES];
    size_t nclasses;
} crawl_stats;

typedef struct host host;
typedef struct fleet fleet;

typedef struct crawler {
    const crawl_opts *o;
    crawl_stats stats;
    corio_http_client *client;
    corio_queue *queue;
    strmap seen;  /* normalised URLs ever queued */
    strmap hosts; /* "scheme://authority" -> host */
    strmap start_hosts;
    long started; /* pages whose fetch began, for --max-pages */
    bool stopping;
    fleet *fleet;    /* with opts.redis */
    int fleet_error; /* what stopped the fleet's worker, or 0 */
} crawler;

/* Checks that every start URL is an http(s) URL; the first that is not, or
 * NULL. */
const char *crawl_bad_start(const crawl_opts *o);

/* Runs the crawl to its end (queue drained, --max-pages reached) or until
 * the calling task is cancelled; stats are kept in c->stats as it goes (the
 * progress line reads them). 0, or -ENOMEM; cancellation still returns 0
 * after a clean stop. c is zeroed but for o. With opts.redis, the end is
 * the fleet's (no URL queued, no lease out, or the budget spent), and a
 * Redis that cannot be reached for a lease's time (at the start or later)
 * fails the run with the connection's error. */
int crawl_run(crawler *c);

/* Counts one failure of class name (a static string). */
void crawl_count_error(crawl_stats *s, const char *name);

#endif
