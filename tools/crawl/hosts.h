/* Per-host politeness: each origin's robots.txt is fetched once (the first
 * worker to need it fetches, the others wait for it) and cached for the
 * crawl, and requests to one origin start at least --delay ms apart. */
#ifndef CORIO_CRAWL_HOSTS_H
#define CORIO_CRAWL_HOSTS_H

#include "crawl.h"

/* Waits until the normalised http(s) URL url may be fetched: 1 go ahead, 0
 * robots.txt disallows it, -ECANCELED / -ENOMEM. */
int host_admit(crawler *c, const char *url);

/* Frees one entry of c->hosts (a strmap value). */
void host_free(void *h);

#endif
