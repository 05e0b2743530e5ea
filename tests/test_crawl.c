/* corio-crawl: its parts (the URL set, robots.txt rules, link extraction,
 * JSON output) and the program itself, run as a subprocess against an
 * in-test web server that serves corio-fakeweb's link graph plus the odd
 * pages a crawler meets: robots.txt, <base href>, malformed HTML, non-HTML,
 * redirects on and off host, slow and oversized pages. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corio/corio.h>

#include "fdcheck.h"
#include "run.h"
#include "jsonl.h"
#include "links.h"
#include "robots.h"
#include "strmap.h"

TestSuite(crawl, .init = fd_check_start, .fini = fd_check_end, .timeout = 60);

/* --- the parts --------------------------------------------------------------- */

Test(crawl, strmap_adds_each_key_once_and_grows)
{
    strmap m = {0};
    char key[64];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "http://127.0.0.1/site/0/page/%d", i);
        void **slot;
        cr_assert_eq(strmap_put(&m, key, &slot), 1);
        *slot = (void *)(intptr_t)(i + 1);
    }
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "http://127.0.0.1/site/0/page/%d", i);
        cr_assert_eq(strmap_put(&m, key, NULL), 0, "%s again", key);
        cr_assert_eq((intptr_t)strmap_get(&m, key), i + 1);
    }
    cr_assert_eq(m.len, 10000);
    cr_assert_not(strmap_contains(&m, "http://127.0.0.1/site/0/page/10000"));
    cr_assert_null(strmap_get(&m, "nope"));
    strmap_clear(&m, NULL);
    cr_assert_not(strmap_contains(&m, "http://127.0.0.1/site/0/page/1"));
}

Test(crawl, robots_groups_and_longest_match)
{
    static const char txt[] = "# comment\n"
                              "User-agent: other\n"
                              "Disallow: /\n"
                              "\n"
                              "User-agent: *\n"
                              "Disallow: /private/ # not for anyone\n"
                              "Allow: /private/open\n"
                              "Disallow:\n";
    robots *r;
    cr_assert_eq(robots_parse(txt, strlen(txt), "corio-crawl", &r), 0);
    cr_assert(robots_allowed(r, "/site/0/page/1"));
    cr_assert_not(robots_allowed(r, "/private/a"));
    cr_assert(robots_allowed(r, "/private/open/x"), "the longer Allow wins");
    cr_assert(robots_allowed(r, "/privatex"));
    robots_free(r);

    static const char ours[] = "User-agent: *\r\nDisallow: /\r\n\r\n"
                               "User-agent: Googlebot\r\nUser-Agent: CORIO-crawl/1.0\r\n"
                               "Disallow: /tmp\r\n";
    cr_assert_eq(robots_parse(ours, strlen(ours), "corio-crawl", &r), 0);
    cr_assert(robots_allowed(r, "/"), "our own group replaces *'s");
    cr_assert_not(robots_allowed(r, "/tmp/x"));
    robots_free(r);

    static const char empty_ours[] =
        "User-agent: corio-crawl\nCrawl-delay: 1\n\nUser-agent: *\nDisallow: /\n";
    cr_assert_eq(robots_parse(empty_ours, strlen(empty_ours), "corio-crawl", &r), 0);
    cr_assert_null(r, "an empty group of ours allows everything");
    cr_assert(robots_allowed(r, "/anything"));

    cr_assert_eq(robots_disallow_all(&r), 0);
    cr_assert_not(robots_allowed(r, "/"));
    robots_free(r);
}

typedef struct collected {
    char *urls[64];
    int n;
} collected;

static int collect(const char *url, void *arg)
{
    collected *c = arg;
    cr_assert_lt(c->n, 64);
    c->urls[c->n++] = strdup(url);
    return 0;
}

static void collected_free(collected *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->urls[i]);
}

Test(crawl, links_resolve_base_relative_and_protocol_relative)
{
    static const char html[] =
        "<html><head><base href='/dir/sub/'></head><body>"
        "<a href='a'>1</a><a href='../b?x=1#frag'>2</a><a href='//EXAMPLE.com:80/c'>3</a>"
        "<a href='HTTPS://h.example:443/d/./e'>4</a><a href='#top'>5</a>"
        "<a href='mailto:x@example.com'>6</a><a href='ftp://h/x'>7</a><a href=' f g '>8</a>"
        "<a>no href</a><base href='/ignored/'></body></html>";
    collected c = {0};
    int n = links_extract(html, strlen(html), "http://host.example/page", collect, &c);
    cr_assert_eq(n, 6);
    cr_assert_eq(c.n, 6);
    cr_assert_str_eq(c.urls[0], "http://host.example/dir/sub/a");
    cr_assert_str_eq(c.urls[1], "http://host.example/dir/b?x=1");
    cr_assert_str_eq(c.urls[2], "http://example.com/c");
    cr_assert_str_eq(c.urls[3], "https://h.example/d/e");
    cr_assert_str_eq(c.urls[4], "http://host.example/dir/sub/");
    cr_assert_str_eq(c.urls[5], "http://host.example/dir/sub/f%20g");
    collected_free(&c);
}

/* The malformed page both the unit test and the server use, and the links a
 * browser finds in it. */
static const char malformed_html[] =
    "<HTML><body><p>unclosed <b>bold <A HREF=/site/3/page/1>upper</a>"
    "<div><span><a href=\"/site/3/page/2\">no end tags"
    "</td></table></span></div></div>"
    "<!-- <a href=\"/site/3/page/9\">commented out</a> -->"
    "<script>document.write('<a href=\"/site/3/page/8\">');</script>"
    "<a href='/site/3/page/4?a=1&amp;b=2'>entity</a>"
    "<table><tr><td><a href=/site/3/page/5>in a cell<td>"
    "<a href=\"/site/3/page/6\" href=\"/site/3/page/7\">duplicate attribute";
static const char *const malformed_links[] = {
    "/site/3/page/1", "/site/3/page/2", "/site/3/page/4?a=1&b=2",
    "/site/3/page/5", "/site/3/page/6",
};

Test(crawl, links_from_malformed_html)
{
    collected c = {0};
    int n = links_extract(malformed_html, strlen(malformed_html), "http://h/", collect, &c);
    cr_assert_eq(n, 5);
    for (int i = 0; i < 5; i++) {
        char want[128];
        snprintf(want, sizeof want, "http://h%s", malformed_links[i]);
        cr_assert_str_eq(c.urls[i], want);
    }
    collected_free(&c);
    c.n = 0;
    cr_assert_eq(links_extract("", 0, "http://h/", collect, &c), 0);
    cr_assert_eq(links_extract("\0\xff<a href=x>", 12, "http://h/", collect, &c), 1);
    collected_free(&c);
}

Test(crawl, json_strings_escaped_and_valid_utf8)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    page_record r = {.url = "http://h/\"q\"\\\x01\n\xc3\xa9\xff\xc0\xaf",
                     .status = 0,
                     .depth = 2,
                     .links = 3,
                     .ms = 4,
                     .bytes = 5,
                     .error = "timeout"};
    jsonl_record(f, &r);
    fclose(f);
    cr_assert_str_eq(buf, "{\"url\":\"http://h/\\\"q\\\"\\\\\\u0001\\u000a\xc3\xa9\\ufffd\\ufffd"
                          "\\ufffd\",\"status\":null,\"depth\":2,\"links\":3,\"ms\":4,\"bytes\":5,"
                          "\"error\":\"timeout\"}\n");
    json_error_t err;
    json_t *j = json_loads(buf, 0, &err);
    cr_assert_not_null(j, "%s", err.text);
    cr_assert_str_eq(json_string_value(json_object_get(j, "url")),
                     "http://h/\"q\"\\\x01\n\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    json_decref(j);
    free(buf);
}

/* --- the web the crawler runs against ------------------------------------------ */

#define SITES   4
#define MAXN    1000
#define SEED    7
#define CRAWLER CRAWL_BIN /* build/bin/corio-crawl, from CMake */

typedef struct web {
    corio_http_app *app;
    corio_fd *listener;
    corio_task *task;
    int port;
    int n;             /* pages per site */
    int page_delay_ms; /* before every graph page */
    int hits[SITES][MAXN];
    int robots_hits, private_hits, slow_hits, many_hits, other_hits;
} web;

/* fakeweb's K1..K4: deterministic pseudo-random pages in [0, n). */
static int pick(int i, int j, int k, int n)
{
    uint64_t h =
        (uint64_t)SEED * 0x9e3779b97f4a7c15u ^ (uint64_t)i << 40 ^ (uint64_t)j << 8 ^ (uint64_t)k;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 29;
    return (int)(h % (uint64_t)n);
}

static int html(corio_http_resp *resp, const char *body)
{
    return corio_http_resp_send(resp, 200, "text/html; charset=utf-8", body, strlen(body));
}

static int graph_page(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    web *w = arg;
    int i = atoi(corio_http_req_param(req, "i")), j = atoi(corio_http_req_param(req, "j"));
    if (i < 0 || i >= SITES || j < 0 || j >= w->n)
        return corio_http_resp_text(resp, 404, "no such page");
    w->hits[i][j]++;
    if (w->page_delay_ms) {
        int rc = corio_sleep(w->page_delay_ms);
        if (rc < 0)
            return rc;
    }
    const char *host = corio_http_req_header(req, "Host");
    int next = (j + 1) % w->n;
    char body[2048];
    snprintf(body, sizeof body,
             "<!DOCTYPE html><html><head><title>site %d page %d</title></head><body>\n"
             "<a href=\"/site/%d/page/%d\">next</a>\n<a href=\"../page/%d\">relative</a>\n"
             "<a href=\"http://%s/site/%d/page/%d\">absolute</a>\n"
             "<a href=\"//%s/site/%d/page/%d#sec\">protocol-relative</a>\n"
             "<a href=\"#top\">top</a>\n<a href=\"https://offsite.example/page/%d\">off</a>\n"
             "<a href=\"mailto:someone@example.com\">mail</a>\n"
             "<a href=\"/site/%d/page/%d\">next again</a>\n</body></html>\n",
             i, j, i, next, pick(i, j, 1, w->n), host, i, pick(i, j, 2, w->n), host, i,
             pick(i, j, 3, w->n), pick(i, j, 4, w->n), i, next);
    return html(resp, body);
}

static int robots_txt(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req;
    ((web *)arg)->robots_hits++;
    return corio_http_resp_text(resp, 200, "User-agent: *\nDisallow: /private/\n");
}

static int private_page(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req;
    ((web *)arg)->private_hits++;
    return html(resp, "<a href=\"/site/2/page/0\">secret</a>");
}

/* A fixed page: arg is its HTML. */
static int fixed(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req;
    return html(resp, arg);
}

static int not_html(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    static const char body[] = "<a href=\"/site/2/page/1\">looks like HTML, is not</a>";
    const char *type =
        strcmp(corio_http_req_path(req), "/img.png") == 0 ? "image/png" : "text/plain";
    return corio_http_resp_send(resp, 200, type, body, strlen(body));
}

static int redirect_to(corio_http_resp *resp, const char *location)
{
    corio_http_resp_header(resp, "Location", location);
    return corio_http_resp_text(resp, 302, "moved");
}

static int redir(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    web *w = arg;
    const char *to = corio_http_req_param(req, "to");
    if (strcmp(to, "on") == 0)
        return redirect_to(resp, "/site/1/page/7");
    if (strcmp(to, "off") == 0)
        return redirect_to(resp, "http://offsite.example/x");
    if (strcmp(to, "loop") == 0)
        return redirect_to(resp, "/redir/loop");
    w->other_hits++;
    return corio_http_resp_text(resp, 404, "no");
}

static int many(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    web *w = arg;
    w->many_hits++;
    char loc[64];
    snprintf(loc, sizeof loc, "/many/%d", atoi(corio_http_req_param(req, "n")) + 1);
    return redirect_to(resp, loc);
}

static int slow(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req;
    ((web *)arg)->slow_hits++;
    int rc = corio_sleep(20000);
    return rc ? rc : html(resp, "late");
}

static int big(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    size_t n = 100000;
    char *b = malloc(n);
    memset(b, ' ', n);
    memcpy(b, "<a href=/site/2/page/2>", 23);
    int rc = corio_http_resp_send(resp, 200, "text/html", b, n);
    free(b);
    return rc;
}

static int other(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req;
    ((web *)arg)->other_hits++;
    return corio_http_resp_text(resp, 404, "not here");
}

static const char base_html[] =
    "<html><head><base href=\"/site/1/page/\"></head><body><a href=\"3\">relative to base</a>"
    "<a href=\"../page/4\">dot-dot</a><a href=\"//127.0.0.1:%d/site/2/page/5#frag\">p-r</a>"
    "<a href=\"https://offsite.example/\">off</a></body></html>";
static char base_page[512];

static const char mixed_html[] =
    "<a href=/img.png>image</a><a href=/notes.txt>text</a><a href=/private/a>private</a>"
    "<a href=/site/0/page/0>graph</a>";
static const char redirects_html[] =
    "<a href=/redir/on>on</a><a href=/redir/off>off</a><a href=/redir/loop>loop</a>"
    "<a href=/many/0>many</a>";
static const char slow_html[] = "<a href=/slow>slow</a><a href=/site/0/page/0>fast</a>";

static intptr_t serve_task(void *arg)
{
    web *w = arg;
    return corio_http_serve(w->app, w->listener, NULL, -1);
}

static void web_start(web *w, int n)
{
    w->n = n;
    cr_assert_eq(corio_http_app_new(&w->app), 0);
    corio_http_route(w->app, "GET", "/site/{i}/page/{j}", graph_page, w);
    corio_http_route(w->app, "GET", "/robots.txt", robots_txt, w);
    corio_http_route(w->app, "GET", "/private/{x...}", private_page, w);
    corio_http_route(w->app, "GET", "/base", fixed, base_page);
    corio_http_route(w->app, "GET", "/malformed", fixed, (void *)malformed_html);
    corio_http_route(w->app, "GET", "/mixed", fixed, (void *)mixed_html);
    corio_http_route(w->app, "GET", "/redirects", fixed, (void *)redirects_html);
    corio_http_route(w->app, "GET", "/slow-start", fixed, (void *)slow_html);
    corio_http_route(w->app, "GET", "/img.png", not_html, w);
    corio_http_route(w->app, "GET", "/notes.txt", not_html, w);
    corio_http_route(w->app, "GET", "/redir/{to}", redir, w);
    corio_http_route(w->app, "GET", "/many/{n}", many, w);
    corio_http_route(w->app, "GET", "/slow", slow, w);
    corio_http_route(w->app, "GET", "/big", big, w);
    corio_http_route(w->app, "*", "/{rest...}", other, w);
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &w->listener), 0);
    w->port = corio_tcp_local_port(w->listener);
    snprintf(base_page, sizeof base_page, base_html, w->port);
    cr_assert_eq(corio_spawn(NULL, serve_task, w, &w->task), 0);
    corio_yield();
}

static void web_stop(web *w)
{
    corio_task_cancel(w->task);
    corio_join(w->task, NULL, -1);
    corio_fd_close(w->listener);
    corio_http_app_free(w->app);
}

static char *url_of(const web *w, const char *path)
{
    char *u;
    cr_assert_gt(asprintf(&u, "http://127.0.0.1:%d%s", w->port, path), 0);
    return u;
}

/* --- running the crawler --------------------------------------------------------- */

typedef struct run {
    int status;     /* exit status */
    char err[8192]; /* its stderr */
    json_t *pages[MAXN * 2];
    int npages;
    int64_t ms;
    int sigint_after_ms; /* > 0: send SIGINT that long after the start */
} run;

/* Runs corio-crawl with args (NULL-terminated, the start URL among them)
 * plus -o FILE --no-progress, collects its stderr and its JSON lines, each
 * of which must parse. */
static void crawl(run *r, const char *const *args)
{
    char out[] = "/tmp/test_crawl_XXXXXX";
    int fd = mkstemp(out);
    cr_assert_geq(fd, 0);
    close(fd);
    const char *argv[32] = {CRAWLER, "--no-progress", "-o", out};
    int argc = 4;
    for (; *args; args++)
        argv[argc++] = *args;
    argv[argc] = NULL;
    corio_process *p;
    corio_process_opts po = {.err = CORIO_STDIO_PIPE};
    int64_t t0 = corio_now();
    cr_assert_eq(corio_process_spawn(argv, &po, &p), 0);
    size_t n = 0;
    bool signalled = false;
    for (;;) {
        int64_t deadline = -1;
        if (r->sigint_after_ms > 0 && !signalled)
            deadline = t0 + r->sigint_after_ms;
        ssize_t got =
            corio_stream_read(corio_process_stderr(p), r->err + n, sizeof r->err - 1 - n, deadline);
        if (got == -ETIMEDOUT) {
            corio_process_kill(p, SIGINT);
            signalled = true;
            continue;
        }
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    r->err[n] = '\0';
    r->status = corio_process_wait(p, corio_now() + 20000);
    r->ms = corio_now() - t0;
    corio_process_free(p);
    FILE *f = fopen(out, "r");
    cr_assert_not_null(f);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t e;
        json_t *j = json_loads(line, 0, &e);
        cr_assert_not_null(j, "line %d is not JSON (%s): %s", r->npages + 1, e.text, line);
        cr_assert_lt(r->npages, MAXN * 2);
        r->pages[r->npages++] = j;
    }
    free(line);
    fclose(f);
    unlink(out);
}

static void run_free(run *r)
{
    for (int i = 0; i < r->npages; i++)
        json_decref(r->pages[i]);
}

static const char *page_url(const run *r, int i)
{
    return json_string_value(json_object_get(r->pages[i], "url"));
}

/* The record for the URL with path, or NULL. */
static json_t *find(const run *r, const web *w, const char *path)
{
    char *u = url_of(w, path);
    json_t *found = NULL;
    for (int i = 0; i < r->npages && !found; i++)
        if (strcmp(page_url(r, i), u) == 0)
            found = r->pages[i];
    free(u);
    return found;
}

static int integer(const json_t *page, const char *key)
{
    return (int)json_integer_value(json_object_get(page, key));
}

static const char *error_of(const json_t *page)
{
    return json_string_value(json_object_get(page, "error")); /* NULL for null */
}

/* Each record names a different URL. */
static void assert_no_duplicates(const run *r)
{
    for (int i = 0; i < r->npages; i++)
        for (int k = i + 1; k < r->npages; k++)
            cr_assert_str_neq(page_url(r, i), page_url(r, k), "fetched twice");
}

/* --- the program ------------------------------------------------------------------ */

RUN(whole_site)
{
    (void)arg;
    static web w;
    static run r;
    web_start(&w, 60);
    char *start = url_of(&w, "/site/0/page/0");
    crawl(&r, (const char *[]){start, "-w", "8", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(r.npages, 60, "exactly the reachable pages: %s", r.err);
    assert_no_duplicates(&r);
    for (int j = 0; j < 60; j++) {
        char path[64];
        snprintf(path, sizeof path, "/site/0/page/%d", j);
        json_t *p = find(&r, &w, path);
        cr_assert_not_null(p, "%s fetched", path);
        cr_assert_eq(integer(p, "status"), 200);
        cr_assert_eq(integer(p, "links"), 7, "every http(s) link counted (not mailto)");
        cr_assert_gt(integer(p, "bytes"), 0);
        cr_assert_null(error_of(p));
        cr_assert_eq(w.hits[0][j], 1, "%s requested once", path);
    }
    cr_assert_eq(w.robots_hits, 1, "robots.txt fetched once");
    cr_assert_eq(w.other_hits, 0);
    for (int i = 1; i < SITES; i++)
        for (int j = 0; j < 60; j++)
            cr_assert_eq(w.hits[i][j], 0, "no other site");
    cr_assert(strstr(r.err, "60 pages fetched, 0 failed, 60 unique URLs seen, 0 left in queue"),
              "%s", r.err);
    cr_assert(strstr(r.err, "errors by class: none"), "%s", r.err);
    run_free(&r);
    free(start);
    web_stop(&w);
    return 0;
}
Test(crawl, fetches_exactly_the_reachable_pages_once)
{
    whole_site_run();
}

RUN(max_pages)
{
    (void)arg;
    static web w;
    static run r;
    web_start(&w, 200);
    char *start = url_of(&w, "/site/0/page/0");
    crawl(&r, (const char *[]){start, "-n", "7", "-w", "4", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(r.npages, 7, "%s", r.err);
    assert_no_duplicates(&r);
    int total = 0;
    for (int j = 0; j < 200; j++)
        total += w.hits[0][j];
    cr_assert_eq(total, 7, "no request beyond the limit");
    cr_assert(strstr(r.err, "7 pages fetched"), "%s", r.err);
    run_free(&r);
    free(start);
    web_stop(&w);
    return 0;
}
Test(crawl, max_pages_respected)
{
    max_pages_run();
}

RUN(max_depth)
{
    (void)arg;
    static web w;
    static run r;
    web_start(&w, 500);
    char *start = url_of(&w, "/site/0/page/0");
    crawl(&r, (const char *[]){start, "--max-depth", "1", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    int want[] = {0, 1, pick(0, 0, 1, 500), pick(0, 0, 2, 500), pick(0, 0, 3, 500)};
    int distinct = 0;
    for (int k = 0; k < 5; k++) {
        bool dup = false;
        for (int m = 0; m < k; m++)
            dup = dup || want[m] == want[k];
        distinct += !dup;
        char path[64];
        snprintf(path, sizeof path, "/site/0/page/%d", want[k]);
        json_t *p = find(&r, &w, path);
        cr_assert_not_null(p, "%s fetched", path);
        cr_assert_eq(integer(p, "depth"), k == 0 && want[k] == 0 ? 0 : want[k] == 0 ? 0 : 1);
    }
    cr_assert_eq(r.npages, distinct, "%s", r.err);
    assert_no_duplicates(&r);
    run_free(&r);
    free(start);
    web_stop(&w);
    return 0;
}
Test(crawl, max_depth_respected)
{
    max_depth_run();
}

/* The records of a crawl from path with --max-depth 1 must be exactly the
 * paths in want (start first). */
static void assert_fetched(const run *r, const web *w, const char *const *want, int n)
{
    for (int i = 0; i < n; i++)
        cr_assert_not_null(find(r, w, want[i]), "%s fetched\n%s", want[i], r->err);
    cr_assert_eq(r->npages, n, "only those: %s", r->err);
    assert_no_duplicates(r);
}

RUN(base_href)
{
    (void)arg;
    static web w;
    static run r;
    web_start(&w, 10);
    char *start = url_of(&w, "/base");
    crawl(&r, (const char *[]){start, "--max-depth", "1", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    assert_fetched(
        &r, &w, (const char *[]){"/base", "/site/1/page/3", "/site/1/page/4", "/site/2/page/5"}, 4);
    cr_assert_eq(integer(find(&r, &w, "/base"), "links"), 4);
    cr_assert_eq(integer(find(&r, &w, "/site/2/page/5"), "depth"), 1);
    run_free(&r);
    free(start);
    web_stop(&w);
    return 0;
}
Test(crawl, base_href_relative_and_protocol_relative_links)
{
    base_href_run();
}

RUN(malformed)
{
    (void)arg;
    static web w;
    static run r;
    web_start(&w, 10);
    char *start = url_of(&w, "/malformed");
    crawl(&r, (const char *[]){start, "--max-depth", "1", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *want[] = {"/malformed",       malformed_links[0], malformed_links[1],
                          malformed_links[2], malformed_links[3], malformed_links[4]};
    assert_fetched(&r, &w, want, 6);
    cr_assert_eq(w.hits[3][8] + w.hits[3][9] + w.hits[3][7], 0, "no links from scripts, comments");
    run_free(&r);
    free(start);
    web_stop(&w);
    return 0;
}
Test(crawl, malformed_html_parsed_as_browsers_do)
{
    malformed_run();
}

RUN(non_html_and_robots)
{
    (void)arg;
    static web w;
    static run r;
    web_start(&w, 10);
    char *start = url_of(&w, "/mixed");
    crawl(&r, (const char *[]){start, "--max-depth", "1", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    assert_fetched(&r, &w, (const char *[]){"/mixed", "/img.png", "/notes.txt", "/site/0/page/0"},
                   4);
    cr_assert_eq(integer(find(&r, &w, "/img.png"), "links"), 0, "not parsed");
    cr_assert_eq(integer(find(&r, &w, "/notes.txt"), "links"), 0, "not parsed");
    cr_assert_eq(w.hits[2][1], 0);
    cr_assert_eq(w.private_hits, 0, "robots.txt disallows /private/");
    cr_assert_eq(w.robots_hits, 1);
    cr_assert(strstr(r.err, "1 disallowed by robots.txt"), "%s", r.err);
    run_free(&r);

    memset(&r, 0, sizeof r);
    crawl(&r, (const char *[]){start, "--max-depth", "1", "--no-robots", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(r.npages, 5, "%s", r.err);
    cr_assert_eq(w.private_hits, 1, "--no-robots");
    cr_assert_eq(w.robots_hits, 1, "not asked for robots.txt");
    run_free(&r);
    free(start);
    web_stop(&w);
    return 0;
}
Test(crawl, non_html_skipped_and_robots_txt_honoured)
{
    non_html_and_robots_run();
}

RUN(redirects)
{
    (void)arg;
    static web w;
    static run r;
    web_start(&w, 10);
    char *start = url_of(&w, "/redirects");
    crawl(&r, (const char *[]){start, "--max-depth", "1", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* /redir/on is recorded under the URL it ended at. */
    assert_fetched(
        &r, &w,
        (const char *[]){"/redirects", "/site/1/page/7", "/redir/off", "/redir/loop", "/many/10"},
        5);
    json_t *on = find(&r, &w, "/site/1/page/7");
    cr_assert_eq(integer(on, "status"), 200);
    cr_assert_eq(integer(on, "depth"), 1);
    cr_assert_eq(w.hits[1][7], 1);
    json_t *off = find(&r, &w, "/redir/off");
    cr_assert_eq(integer(off, "status"), 302);
    cr_assert_str_eq(error_of(off), "redirect-off-host");
    cr_assert_eq(integer(find(&r, &w, "/redir/loop"), "status"), 302);
    cr_assert_null(error_of(find(&r, &w, "/redir/loop")), "a redirect to itself just stops");
    cr_assert_str_eq(error_of(find(&r, &w, "/many/10")), "too-many-redirects");
    cr_assert_eq(w.many_hits, 11, "the first request and 10 redirects");
    cr_assert_null(strstr(r.err, "dns"), "offsite.example never looked up: %s", r.err);
    run_free(&r);
    free(start);
    web_stop(&w);
    return 0;
}
Test(crawl, redirects_followed_on_host_only)
{
    redirects_run();
}

RUN(timeouts)
{
    (void)arg;
    static web w;
    static run r;
    web_start(&w, 10);
    char *start = url_of(&w, "/slow-start"), *big_url = url_of(&w, "/big");
    crawl(&r, (const char *[]){start, big_url, "--max-depth", "1", "-t", "0.4", "--max-bytes",
                               "50000", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_lt(r.ms, 5000, "the slow page does not hold the crawl");
    assert_fetched(&r, &w, (const char *[]){"/slow-start", "/slow", "/site/0/page/0", "/big"}, 4);
    json_t *s = find(&r, &w, "/slow");
    cr_assert_str_eq(error_of(s), "timeout");
    cr_assert(json_is_null(json_object_get(s, "status")));
    cr_assert_str_eq(error_of(find(&r, &w, "/big")), "too-large");
    cr_assert_eq(w.hits[2][2], 0, "nothing parsed from a page over the cap");
    cr_assert(strstr(r.err, "timeout 1"), "%s", r.err);
    cr_assert(strstr(r.err, "too-large 1"), "%s", r.err);
    run_free(&r);
    free(start);
    free(big_url);
    web_stop(&w);
    return 0;
}
Test(crawl, timeouts_and_size_cap)
{
    timeouts_run();
}

RUN(sigint)
{
    (void)arg;
    static web w;
    static run r;
    web_start(&w, 1000);
    w.page_delay_ms = 50;
    char *start = url_of(&w, "/site/0/page/0");
    r.sigint_after_ms = 700;
    crawl(&r, (const char *[]){start, "-w", "4", "-n", "1000", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_lt(r.ms, 3000, "stopped promptly");
    cr_assert_gt(r.npages, 0, "%s", r.err);
    cr_assert_lt(r.npages, 200, "%s", r.err);
    assert_no_duplicates(&r);
    cr_assert(strstr(r.err, "interrupted: "), "%s", r.err);
    char want[64];
    snprintf(want, sizeof want, "%d pages fetched", r.npages);
    cr_assert(strstr(r.err, want), "every fetched page is in the output: %s", r.err);
    run_free(&r);
    free(start);
    web_stop(&w);
    return 0;
}
Test(crawl, sigint_stops_cleanly_with_valid_jsonl)
{
    sigint_run();
}

RUN(usage)
{
    (void)arg;
    static run r;
    crawl(&r, (const char *[]){"--bogus", "http://127.0.0.1:9/", NULL});
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "unknown option '--bogus'"), "%s", r.err);
    crawl(&r, (const char *[]){"-w", NULL});
    cr_assert_eq(r.status, 2);
    crawl(&r, (const char *[]){"-w", "0", "http://127.0.0.1:9/", NULL});
    cr_assert_eq(r.status, 2);
    crawl(&r, (const char *[]){"mailto:x@example.com", NULL});
    cr_assert_eq(r.status, 2);
    crawl(&r, (const char *[]){"--allow-host", "(", "http://127.0.0.1:9/", NULL});
    cr_assert_eq(r.status, 2);
    crawl(&r, (const char *[]){"--version", NULL});
    cr_assert_eq(r.status, 0);
    /* A refused connection is a failed page, not a failed crawl. */
    crawl(&r, (const char *[]){"http://127.0.0.1:9/", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(r.npages, 1);
    cr_assert_str_eq(error_of(r.pages[0]), "refused");
    cr_assert(strstr(r.err, "0 pages fetched, 1 failed"), "%s", r.err);
    cr_assert(strstr(r.err, "corio-crawl: http://127.0.0.1:9/: refused"), "names the URL: %s",
              r.err);
    run_free(&r);
    return 0;
}
Test(crawl, usage_errors_exit_2)
{
    usage_run();
}
