/* The httpbin-like endpoints: the path says how to answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fakeweb.h"

enum { MAX_BYTES = 64 << 20, MAX_REDIRECTS = 1000, MAX_CHUNKS = 100000 };

static int bad_number(corio_http_resp *resp, const char *what)
{
    char msg[128];
    snprintf(msg, sizeof msg, "bad %s\n", what);
    return corio_http_resp_text(resp, 400, msg);
}

static int status(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    long code = fakeweb_number(corio_http_req_param(req, "code"), 999);
    int rc = fakeweb_query_delay(req);
    if (rc < 0)
        return rc;
    if (code < 200)
        return bad_number(resp, "status code (200-999)");
    /* A redirect status needs somewhere to go: httpbin sends it onwards too. */
    if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308)
        corio_http_resp_header(resp, "Location", "/status/200");
    if (code == 204 || code == 304)
        return corio_http_resp_send(resp, (int)code, NULL, NULL, 0);
    char body[64];
    snprintf(body, sizeof body, "%ld %s\n", code, corio_http_reason((int)code));
    return corio_http_resp_text(resp, (int)code, body);
}

static int delay(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    long ms = fakeweb_number(corio_http_req_param(req, "ms"), MAX_DELAY_MS);
    if (ms < 0)
        return bad_number(resp, "delay");
    int rc = corio_sleep(ms);
    if (rc == 0)
        rc = fakeweb_query_delay(req);
    return rc < 0 ? rc : corio_http_resp_text(resp, 200, "delayed\n");
}

static int bytes(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    const fakeweb_opts *o = arg;
    long n = fakeweb_number(corio_http_req_param(req, "n"), MAX_BYTES);
    int rc = fakeweb_query_delay(req);
    if (rc < 0)
        return rc;
    if (n < 0)
        return bad_number(resp, "byte count (up to 64 MiB)");
    unsigned char *buf = malloc(n ? (size_t)n : 1);
    if (!buf)
        return -ENOMEM;
    uint64_t s = o->seed;
    for (long i = 0; i < n; i += 8) {
        uint64_t r = fakeweb_rand(&s);
        memcpy(buf + i, &r, n - i < 8 ? (size_t)(n - i) : 8);
    }
    rc = corio_http_resp_send(resp, 200, "application/octet-stream", buf, (size_t)n);
    free(buf);
    return rc;
}

static int redirect(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    long n = fakeweb_number(corio_http_req_param(req, "n"), MAX_REDIRECTS);
    int rc = fakeweb_query_delay(req);
    if (rc < 0)
        return rc;
    if (n < 0)
        return bad_number(resp, "redirect count");
    if (n == 0)
        return corio_http_resp_text(resp, 200, "arrived\n");
    /* The query goes along, so every hop keeps its ?delay. */
    const char *q = corio_http_req_query_string(req);
    char loc[1024];
    snprintf(loc, sizeof loc, "/redirect/%ld%s%s", n - 1, q ? "?" : "", q ? q : "");
    if ((rc = corio_http_resp_header(resp, "Location", loc)) < 0)
        return rc;
    return corio_http_resp_text(resp, 302, "redirecting\n");
}

static int hang(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)resp, (void)arg;
    int rc;
    while ((rc = corio_sleep(MAX_DELAY_MS)) == 0) {
    }
    return rc;
}

static int reset(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)resp, (void)arg;
    int rc = fakeweb_query_delay(req);
    corio_fd *f = corio_http_req_fd(req);
    if (rc < 0 || !f)
        return rc < 0 ? rc : -ENOTSOCK;
    /* The server owns close(), and would send a 500 for a failed handler
     * first: disconnecting the socket (connect to AF_UNSPEC) aborts it now,
     * with an RST and no answer, as SO_LINGER 0 and close would. */
    struct sockaddr sa = {.sa_family = AF_UNSPEC};
    if (connect(corio_fd_fileno(f), &sa, sizeof sa) < 0)
        return -errno;
    return -ECONNRESET;
}

static int chunked(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    long n = fakeweb_number(corio_http_req_param(req, "n"), MAX_CHUNKS);
    int rc = fakeweb_query_delay(req);
    if (rc < 0)
        return rc;
    if (n < 0)
        return bad_number(resp, "chunk count");
    rc = corio_http_resp_start(resp, 200, "text/plain; charset=utf-8");
    for (long i = 0; rc == 0 && i < n; i++) {
        char part[32];
        int len = snprintf(part, sizeof part, "chunk %ld\n", i);
        rc = corio_http_resp_write_chunk(resp, part, (size_t)len);
    }
    return rc < 0 ? rc : corio_http_resp_end(resp);
}

static int index_page(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    int rc = fakeweb_query_delay(req);
    return rc < 0 ? rc
                  : corio_http_resp_text(resp, 200,
                                         "corio-fakeweb: /status/{code} /delay/{ms} /bytes/{n} "
                                         "/redirect/{n} /hang /reset /chunked/{n} "
                                         "/site/{i}/page/{j} /robots.txt; ?delay=MS anywhere\n");
}

static int not_found(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    int rc = fakeweb_query_delay(req);
    return rc < 0 ? rc : corio_http_resp_text(resp, 404, "Not Found\n");
}

int fakeweb_add_routes(corio_http_app *app, const fakeweb_opts *opts)
{
    static const struct {
        const char *pattern;
        corio_http_handler *fn;
    } routes[] = {
        {"/", index_page},     {"/status/{code}", status},  {"/delay/{ms}", delay},
        {"/bytes/{n}", bytes}, {"/redirect/{n}", redirect}, {"/hang", hang},
        {"/reset", reset},     {"/chunked/{n}", chunked},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = corio_http_route(app, "*", routes[i].pattern, routes[i].fn, (void *)opts);
        if (rc < 0)
            return rc;
    }
    int rc = fakeweb_add_graph(app, opts);
    /* Last: any other path still honours ?delay before its 404. */
    return rc < 0 ? rc : corio_http_route(app, "*", "/{rest...}", not_found, NULL);
}
