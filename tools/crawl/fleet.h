/* A crawl shared by a fleet of corio-crawl processes through one Redis
 * (--redis): the frontier, the seen set, robots.txt answers, the page budget
 * and the progress counters live under keys prefixed "corio-crawl:JOB:".
 * Every step that reads and writes them is one Lua script (EVALSHA), so two
 * workers never take the same URL and a budget is never overspent. A worker
 * takes a URL under a lease that runs out after --lease: a URL whose worker
 * died goes back to the front of the queue when any worker next takes one.
 * Every call retries a lost connection with backoff for as long as a lease
 * lasts (by then this worker's leases are others' to take), then fails with
 * the connection's error. */
#ifndef CORIO_CRAWL_FLEET_H
#define CORIO_CRAWL_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corio/corio.h>

#define FLEET_LEASE_DEFAULT 30000 /* ms */
#define FLEET_POLL_MS       100   /* an idle worker asks again after 1 to 2 times this */

typedef struct fleet fleet;

/* What fleet_take found. */
typedef enum fleet_take_result {
    FLEET_TAKEN = 1, /* *depth and *url (malloc'ed): yours for a lease */
    FLEET_EMPTY,     /* nothing queued now, but leases are out: ask again later */
    FLEET_DONE,      /* nothing queued, no lease out: the crawl is over */
    FLEET_SPENT,     /* the page budget is spent */
} fleet_take_result;

/* Connects to url (checking it answers); job names the keys. 0, or what
 * corio_redis_connect returns. */
int fleet_open(const char *url, const char *job, int64_t lease_ms, long max_pages, fleet **out);
void fleet_close(fleet *f);

/* Queues each of the n normalised URLs (at depth) that no worker has seen
 * yet. */
int fleet_add(fleet *f, const char *const *urls, size_t n, int depth);
/* Marks url seen: 1 if it was not yet, 0 if it was. */
int fleet_mark_seen(fleet *f, const char *url);
/* Takes the next URL (re-queueing the expired leases first). A positive
 * fleet_take_result, or a negative errno. */
int fleet_take(fleet *f, int *depth, char **url);
/* Ends this worker's lease on the URL taken at depth, counting it done,
 * failed, or skipped (robots.txt). */
typedef enum fleet_outcome { FLEET_OK, FLEET_FAILED, FLEET_SKIPPED } fleet_outcome;
int fleet_complete(fleet *f, int depth, const char *url, fleet_outcome how);

/* robots.txt answers, shared: *val (malloc'ed, *len bytes) or -ENOENT;
 * fleet_robots_put keeps the first answer stored. */
int fleet_robots_get(fleet *f, const char *origin, char **val, size_t *len);
int fleet_robots_put(fleet *f, const char *origin, const char *val, size_t len);

/* The job's progress as one JSON object, malloc'ed. */
int fleet_status(fleet *f, char **json);
/* Deletes the job's keys. */
int fleet_reset(fleet *f);

#endif
