/* corio-fakeweb: a local web whose answers are set by the URL path, so a URL
 * list fully determines what a checker or crawler must find. */
#ifndef CORIO_TOOLS_FAKEWEB_H
#define CORIO_TOOLS_FAKEWEB_H

#include <stdint.h>

#include <corio/corio.h>

typedef struct fakeweb_opts {
    uint64_t seed;  /* link graph and /bytes content (default 1) */
    uint64_t pages; /* pages per site of the link graph (default 1000) */
    int page_delay; /* ms before every graph page answer (default 0) */
} fakeweb_opts;

/* Adds the httpbin-like endpoints (routes.c) and the link graph (graph.c)
 * to app; opts must outlive it. -ENOMEM. */
int fakeweb_add_routes(corio_http_app *app, const fakeweb_opts *opts);
int fakeweb_add_graph(corio_http_app *app, const fakeweb_opts *opts);

#define MAX_DELAY_MS (3600 * 1000) /* the longest delay an endpoint takes */

/* query.c: sleeps for the request's ?delay=MS, if any: every endpoint
 * honours it. */
int fakeweb_query_delay(corio_http_req *req);
/* A whole number in [0, max] from a path parameter or query value; -1 if
 * it is none. */
long fakeweb_number(const char *s, long max);

/* The graph's K1..K4 of page j of site i (each in [0, pages)). */
void fakeweb_graph_targets(uint64_t seed, uint64_t site, uint64_t page, uint64_t pages,
                           uint64_t k[4]);

/* splitmix64: the one PRNG of the fake web (graph, /bytes, url lists). */
uint64_t fakeweb_rand(uint64_t *state);
/* A value in [0, n) from the next PRNG output (multiply-shift, no modulo). */
uint64_t fakeweb_rand_below(uint64_t *state, uint64_t n);

/* `corio-fakeweb urls ...` (urls.c): prints a URL list; returns the exit
 * status. */
int fakeweb_urls_main(int argc, char **argv);

#endif
