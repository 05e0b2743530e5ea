/* libFuzzer target for the crawler's link extraction and URL resolution
 * (tools/crawl/links.c). The input is a page URL on its first line and the
 * page's HTML after it. Besides crashes and sanitizer reports it aborts
 * when a link handed out is not a normalised http(s) URL: every link must
 * parse, have an http(s) scheme and a host, carry no fragment, and resolve
 * against itself to itself. The same is asked of link_resolve on the first
 * line against a fixed base. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <corio/url.h>

#include "links.h"

#define BASE "http://example.com/a/b/c?q"

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_link(const char *url)
{
    corio_url u;
    check(corio_url_parse(url, &u) == 0);
    check(u.scheme && (!strcmp(u.scheme, "http") || !strcmp(u.scheme, "https")));
    check(u.host && *u.host);
    check(!u.fragment);
    corio_url_free(&u);
    char *again;
    check(link_resolve(url, url, &again) == 1);
    check(!strcmp(again, url));
    free(again);
}

static int on_link(const char *url, void *arg)
{
    (*(int *)arg)++;
    check_link(url);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 200000)
        return 0;
    const char *nl = memchr(data, '\n', size);
    size_t first = nl ? (size_t)(nl - (const char *)data) : size;
    char *line = strndup((const char *)data, first);
    if (!line)
        return 0;
    char *out;
    int rc = link_resolve(BASE, line, &out);
    check(rc == 1 || rc == 0 || rc == -ENOMEM);
    if (rc == 1) {
        check_link(out);
        free(out);
    } else {
        check(rc != 0 || out == NULL);
    }
    /* The first line as the page's URL when it is one, else the base. */
    char *page = NULL;
    if (link_resolve(BASE, line, &page) != 1)
        page = NULL;
    const char *html = nl ? nl + 1 : "";
    size_t len = nl ? size - first - 1 : 0;
    int n = 0;
    rc = links_extract(html, len, page ? page : BASE, on_link, &n);
    check(rc == n || rc == -ENOMEM);
    free(page);
    free(line);
    return 0;
}
