/* robots.txt (RFC 9309, the prefix subset): the crawler honours the group for
 * its own product token if the file has one, else the "*" group, and within
 * it the longest matching Allow or Disallow prefix (Allow wins a tie).
 * Pure functions: no loop needed. */
#ifndef CORIO_CRAWL_ROBOTS_H
#define CORIO_CRAWL_ROBOTS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct robots robots;

/* Parses len bytes of a robots.txt for the product token agent (e.g.
 * "corio-crawl"). *out NULL means no rules apply. 0 or -ENOMEM. */
int robots_parse(const char *text, size_t len, const char *agent, robots **out);
/* Rules that disallow everything (RFC 9309 for a server error). */
int robots_disallow_all(robots **out);
/* Whether path (with its query, as sent in the request line) may be
 * fetched; NULL rules allow everything. */
bool robots_allowed(const robots *r, const char *path);
void robots_free(robots *r);

#endif
