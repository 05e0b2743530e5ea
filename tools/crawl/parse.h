/* links_extract on the thread pool: gumbo's parse is most of a crawler's
 * CPU, so it runs on another core while the loop goes on fetching. */
#ifndef CORIO_CRAWL_PARSE_H
#define CORIO_CRAWL_PARSE_H

#include <stddef.h>

#include "links.h"

/* Sizes the pool for parsing (one thread per core but the loop's, at least
 * one). Call before the first parse_links. */
void parse_setup(void);

/* As links_extract (same contract and result), but the parse runs on a pool
 * thread and fn is called afterwards, on the calling task's loop. A
 * cancelled caller gets -ECANCELED at once; the parse finishes in the
 * background and its results are dropped. */
int parse_links(const char *html, size_t len, const char *page_url, links_fn *fn, void *arg);

#endif
