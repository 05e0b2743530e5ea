/* Links out of an HTML page: <a href> values (and the page's <base href>)
 * parsed with gumbo, resolved per RFC 3986, normalised; only http and https
 * survive. Pure functions: no loop needed. */
#ifndef CORIO_CRAWL_LINKS_H
#define CORIO_CRAWL_LINKS_H

#include <stddef.h>

/* Resolves reference ref (an href as written: surrounding spaces, tabs and
 * newlines are dropped, inner spaces escaped, as browsers do) against the
 * absolute URL base and normalises the result (fragment dropped, scheme
 * and host lower-cased, default port removed) into *out (malloc'ed). 1 when
 * it is an http(s) URL, 0 when it is not or does not parse (*out NULL),
 * -ENOMEM. */
int link_resolve(const char *base, const char *ref, char **out);

/* Called once per http(s) link, in document order, with the normalised URL
 * (valid during the call). A negative return stops the walk and is passed
 * on. */
typedef int links_fn(const char *url, void *arg);

/* Parses len bytes of HTML fetched from page_url and calls fn for each link.
 * The first <base href> in the document, if any, is the base of the others.
 * Malformed HTML is parsed as browsers do. Returns the number of links
 * passed to fn, -ENOMEM, or fn's error. */
int links_extract(const char *html, size_t len, const char *page_url, links_fn *fn, void *arg);

#endif
