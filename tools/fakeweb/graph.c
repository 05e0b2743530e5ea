/* The link graph the crawler is tested against: GET /site/{i}/page/{j}.
 *
 * Page j of site i (0 <= j < pages) links, in this order, to
 *   1. /site/i/page/((j+1) % pages)        absolute path: from page 0 every page
 *                                           of the site is reachable
 *   2. ../page/K1                          relative
 *   3. http://HOST/site/i/page/K2          absolute URL (HOST: the Host header)
 *   4. //HOST/site/i/page/K3#sec           protocol-relative, with a fragment
 *   5. #top                                fragment only
 *   6. https://offsite.example/page/K4     off-site
 *   7. mailto:someone@example.com
 *   8. a duplicate of link 1
 * with K1..K4 from fakeweb_graph_targets. The contract is shared with
 * corio-crawl: change it in both, and in docs/tools.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeweb.h"

uint64_t fakeweb_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint64_t fakeweb_rand_below(uint64_t *state, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)fakeweb_rand(state) * n) >> 64);
}

void fakeweb_graph_targets(uint64_t seed, uint64_t site, uint64_t page, uint64_t pages,
                           uint64_t k[4])
{
    /* Each (seed, site, page) gets its own stream: the state is the seed
     * mixed with the site, then with the page. */
    uint64_t s = seed;
    s = fakeweb_rand(&s) ^ site;
    s = fakeweb_rand(&s) ^ page;
    for (int t = 0; t < 4; t++)
        k[t] = fakeweb_rand_below(&s, pages);
}

/* A decimal index without sign, spaces or overflow. */
static int parse_index(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return -EINVAL;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* The Host header as it may appear inside a double-quoted attribute. */
static void host_attr(const char *host, char *out, size_t cap)
{
    size_t n = 0;
    for (; host && *host && n + 7 < cap; host++) {
        const char *rep = *host == '"'   ? "&quot;"
                          : *host == '&' ? "&amp;"
                          : *host == '<' ? "&lt;"
                          : *host == '>' ? "&gt;"
                                         : NULL;
        if (rep) {
            memcpy(out + n, rep, strlen(rep));
            n += strlen(rep);
        } else {
            out[n++] = *host;
        }
    }
    out[n] = '\0';
}

static int graph_page(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    const fakeweb_opts *o = arg;
    uint64_t site, page;
    int rc = fakeweb_query_delay(req);
    if (rc < 0)
        return rc;
    if (parse_index(corio_http_req_param(req, "i"), &site) < 0 ||
        parse_index(corio_http_req_param(req, "j"), &page) < 0 || page >= o->pages)
        return corio_http_resp_text(resp, 404, "no such page\n");
    if (o->page_delay > 0 && (rc = corio_sleep(o->page_delay)) < 0)
        return rc;
    uint64_t k[4], next = (page + 1) % o->pages;
    fakeweb_graph_targets(o->seed, site, page, o->pages, k);
    char host[512];
    host_attr(corio_http_req_header(req, "Host"), host, sizeof host);
    unsigned long long i = site, j = page, n = next;
    char *html;
    int len =
        asprintf(&html,
                 "<!DOCTYPE html>\n"
                 "<html><head><meta charset=\"utf-8\"><title>site %llu, page %llu</title>"
                 "</head>\n<body><h1 id=\"top\">site %llu, page %llu</h1>\n<ul>\n"
                 "<li><a href=\"/site/%llu/page/%llu\">next</a></li>\n"
                 "<li><a href=\"../page/%llu\">relative</a></li>\n"
                 "<li><a href=\"http://%s/site/%llu/page/%llu\">absolute</a></li>\n"
                 "<li><a href=\"//%s/site/%llu/page/%llu#sec\">protocol-relative</a></li>\n"
                 "<li><a href=\"#top\">top</a></li>\n"
                 "<li><a href=\"https://offsite.example/page/%llu\">off-site</a></li>\n"
                 "<li><a href=\"mailto:someone@example.com\">mail</a></li>\n"
                 "<li><a href=\"/site/%llu/page/%llu\">next again</a></li>\n"
                 "</ul></body></html>\n",
                 i, j, i, j, i, n, (unsigned long long)k[0], host, i, (unsigned long long)k[1],
                 host, i, (unsigned long long)k[2], (unsigned long long)k[3], i, n);
    if (len < 0)
        return -ENOMEM;
    rc = corio_http_resp_send(resp, 200, "text/html; charset=utf-8", html, (size_t)len);
    free(html);
    return rc;
}

static int robots(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    int rc = fakeweb_query_delay(req);
    return rc < 0 ? rc : corio_http_resp_text(resp, 200, "User-agent: *\nDisallow: /private/\n");
}

static int private_page(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    int rc = fakeweb_query_delay(req);
    static const char html[] = "<!DOCTYPE html>\n<html><body><p>private: robots.txt disallows "
                               "this page</p></body></html>\n";
    return rc < 0
               ? rc
               : corio_http_resp_send(resp, 200, "text/html; charset=utf-8", html, sizeof html - 1);
}

int fakeweb_add_graph(corio_http_app *app, const fakeweb_opts *opts)
{
    int rc = corio_http_route(app, "GET", "/site/{i}/page/{j}", graph_page, (void *)opts);
    if (rc == 0)
        rc = corio_http_route(app, "GET", "/robots.txt", robots, NULL);
    if (rc == 0)
        rc = corio_http_route(app, "GET", "/private/{rest...}", private_page, NULL);
    return rc;
}
