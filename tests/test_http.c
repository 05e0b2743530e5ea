/* HTTP/1.1 server and client conformance, on loopback with kernel-chosen
 * ports: routing, keep-alive and pipelining, chunked both ways, HEAD,
 * 100-continue, limits, request smuggling, timeouts, graceful stop, SSE;
 * the client's pool, redirects, gzip, error classes and TLS. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <corio/corio.h>

#include "certs.h"
#include "fdcheck.h"
#include "http_fixture.h"
#include "run.h"

TestSuite(http, .init = fd_check_start, .fini = fd_check_end, .timeout = 60);

/* --- the app under test ---------------------------------------------------- */

static int hello(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    return corio_http_resp_text(resp, 200, "Hello, World!");
}

static int animal(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    char json[256];
    snprintf(json, sizeof json, "{\"animal\":\"%s\"}", corio_http_req_param(req, "name"));
    return corio_http_resp_json(resp, 200, json);
}

static int rest(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    return corio_http_resp_text(resp, 200, corio_http_req_param(req, "p"));
}

static int query(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    const char *q = corio_http_req_query(req, "q");
    return corio_http_resp_text(resp, 200, q ? q : "(none)");
}

static int chunked(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    int rc = corio_http_resp_start(resp, 200, "text/plain");
    for (int i = 0; rc == 0 && i < 3; i++) {
        char part[16];
        snprintf(part, sizeof part, "part%d;", i);
        rc = corio_http_resp_write_chunk(resp, part, strlen(part));
    }
    return rc ? rc : corio_http_resp_end(resp);
}

static int sse(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    int rc = corio_http_sse_start(resp);
    rc = rc ? rc : corio_http_sse_send(resp, "1", NULL, "first");
    rc = rc ? rc : corio_http_sse_comment(resp, "heartbeat");
    rc = rc ? rc : corio_http_sse_send(resp, "2", "note", "two\nlines");
    return rc ? rc : corio_http_resp_end(resp);
}

static int slow(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    int rc = corio_sleep(1000); /* still in flight when the test stops the server */
    return rc ? rc : corio_http_resp_text(resp, 200, "slow done");
}

static int hang(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)resp, (void)arg;
    return corio_sleep(60000);
}

static int redirect(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    int n = atoi(corio_http_req_param(req, "n"));
    if (n <= 0)
        return corio_http_resp_text(resp, 200, "arrived");
    char loc[64];
    snprintf(loc, sizeof loc, "/redirect/%d", n - 1);
    corio_http_resp_header(resp, "Location", loc);
    return corio_http_resp_text(resp, 302, "moved");
}

static int see_other(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    corio_http_resp_header(resp, "Location", "/method");
    return corio_http_resp_send(resp, 303, NULL, NULL, 0);
}

static int method(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    return corio_http_resp_text(resp, 200, corio_http_req_method(req));
}

static int loop_redirect(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    corio_http_resp_header(resp, "Location", "/loop");
    return corio_http_resp_send(resp, 302, NULL, NULL, 0);
}

static int gzipped(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    char plain[4000], packed[4096];
    for (size_t i = 0; i < sizeof plain; i++)
        plain[i] = (char)('a' + i % 26);
    z_stream z = {0};
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (Bytef *)plain;
    z.avail_in = sizeof plain;
    z.next_out = (Bytef *)packed;
    z.avail_out = sizeof packed;
    deflate(&z, Z_FINISH);
    size_t n = z.total_out;
    deflateEnd(&z);
    corio_http_resp_header(resp, "Content-Encoding", "gzip");
    return corio_http_resp_send(resp, 200, "text/plain", packed, n);
}

static int big(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    size_t n = 1 << 20;
    char *b = malloc(n);
    for (size_t i = 0; i < n; i++)
        b[i] = (char)(i * 7);
    int rc = corio_http_resp_send(resp, 200, "application/octet-stream", b, n);
    free(b);
    return rc;
}

/* Requests in /busy now and the most there ever were at once. */
static int busy_now, busy_max;

static int busy(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    if (++busy_now > busy_max)
        busy_max = busy_now;
    int rc = corio_sleep(30);
    busy_now--;
    return rc ? rc : corio_http_resp_text(resp, 200, "done");
}

static int started_hook(corio_http_app *app, void *arg)
{
    (void)arg;
    corio_http_app_set_state(app, (void *)"ready");
    return 0;
}

static int state(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    return corio_http_resp_text(resp, 200, corio_http_app_state(corio_http_req_app(req)));
}

/* The request as the handler sees it: target, query, and the headers the
 * test asks about, each in brackets ("-" for a missing one). */
static int spans(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    static const char *const names[] = {"x-a", "X-B", "X-C", "X-A-Longer", "X"};
    char out[512];
    const char *q = corio_http_req_query_string(req);
    int n = snprintf(out, sizeof out, "[%s][%s][%zu]", corio_http_req_target(req), q ? q : "-",
                     corio_http_req_header_count(req));
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *v = corio_http_req_header(req, names[i]);
        n += snprintf(out + n, sizeof out - (size_t)n, "[%s]", v ? v : "-");
    }
    const char *name, *value;
    for (size_t i = 0; corio_http_req_header_at(req, i, &name, &value) == 0; i++)
        n += snprintf(out + n, sizeof out - (size_t)n, "%s=%s;", name, value);
    return corio_http_resp_text(resp, 200, out);
}

static corio_http_app *make_app(void)
{
    corio_http_app *app;
    cr_assert_eq(corio_http_app_new(&app), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/", hello, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/animals/{name}", animal, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/rest/{p...}", rest, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/query", query, NULL), 0);
    cr_assert_eq(corio_http_route(app, "POST", "/echo", fixture_echo, NULL), 0);
    cr_assert_eq(corio_http_route(app, "PUT", "/echo", fixture_echo, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/chunked", chunked, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/sse", sse, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/slow", slow, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/hang", hang, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/redirect/{n}", redirect, NULL), 0);
    cr_assert_eq(corio_http_route(app, "POST", "/see-other", see_other, NULL), 0);
    cr_assert_eq(corio_http_route(app, "*", "/method", method, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/loop", loop_redirect, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/gzip", gzipped, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/big", big, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/state", state, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/busy", busy, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/spans", spans, NULL), 0);
    cr_assert_eq(corio_http_on_startup(app, started_hook, NULL), 0);
    cr_assert_eq(corio_http_route(app, "GET", "/{bad", hello, NULL), -EINVAL);
    cr_assert_eq(corio_http_route(app, "GET", "nope", hello, NULL), -EINVAL);
    return app;
}

/* --- running it -------------------------------------------------------------- */

static void start(fixture *f, const corio_http_limits *limits)
{
    if (!f->app)
        f->app = make_app();
    fixture_serve(f, limits);
}

static char *url(const fixture *f, const char *path)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s://127.0.0.1:%d%s", f->tls ? "https" : "http", f->port, path);
    return buf;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* --- server ---------------------------------------------------------------------- */

RUN(basic)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    corio_http_response *r;
    cr_assert_eq(corio_http_get(url(&f, "/"), NULL, &r, -1), 0);
    cr_assert_eq(corio_http_response_status(r), 200);
    const char *body;
    size_t len;
    cr_assert_eq(corio_http_response_body(r, &body, &len), 0);
    cr_assert_str_eq(body, "Hello, World!");
    cr_assert_eq(len, 13);
    cr_assert_not_null(corio_http_response_header(r, "date"));
    cr_assert_str_eq(corio_http_response_header(r, "SERVER"), "corio/" CORIO_VERSION_STRING);
    cr_assert_str_eq(corio_http_response_header(r, "content-type"), "text/plain; charset=utf-8");
    corio_http_response_free(r);

    cr_assert_eq(corio_http_get(url(&f, "/animals/cow%20bell"), NULL, &r, -1), 0);
    corio_http_response_body(r, &body, NULL);
    cr_assert_str_eq(body, "{\"animal\":\"cow bell\"}");
    cr_assert_str_eq(corio_http_response_header(r, "Content-Type"), "application/json");
    corio_http_response_free(r);

    cr_assert_eq(corio_http_get(url(&f, "/rest/a/b/c"), NULL, &r, -1), 0);
    corio_http_response_body(r, &body, NULL);
    cr_assert_str_eq(body, "a/b/c");
    corio_http_response_free(r);

    cr_assert_eq(corio_http_get(url(&f, "/query?x=1&q=hello+world%21"), NULL, &r, -1), 0);
    corio_http_response_body(r, &body, NULL);
    cr_assert_str_eq(body, "hello world!");
    corio_http_response_free(r);

    cr_assert_eq(corio_http_get(url(&f, "/state"), NULL, &r, -1), 0);
    corio_http_response_body(r, &body, NULL);
    cr_assert_str_eq(body, "ready", "the startup hook ran first");
    corio_http_response_free(r);
    stop(&f);
    cr_assert_eq(f.result, -ECANCELED);
    return 0;
}
Test(http, routes_params_query_state_hooks)
{
    basic_run();
}

RUN(not_found)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    char *out = raw(&f,
                    "GET /nope HTTP/1.1\r\nHost: x\r\n\r\nDELETE / HTTP/1.1\r\nHost: x\r\n"
                    "Connection: close\r\n\r\n",
                    5000);
    cr_assert(strstr(out, "HTTP/1.1 404 Not Found\r\n") == out, "%s", out);
    const char *second = strstr(out + 1, "HTTP/1.1 405 Method Not Allowed\r\n");
    cr_assert_not_null(second, "a 404 keeps the connection: %s", out);
    cr_assert_not_null(strstr(second, "Allow: GET, HEAD\r\n"), "%s", out);
    free(out);
    stop(&f);
    return 0;
}
Test(http, not_found_and_method_not_allowed_with_allow)
{
    not_found_run();
}

/* Header names and values end where the request said, values without the
 * whitespace around them; a name is matched whole, not by its prefix. */
RUN(header_spans)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    char *out = raw(&f,
                    "GET /spans?k=v&e= HTTP/1.1\r\nHost: x\r\nX-A:  spaced out \t \r\n"
                    "X-B:\r\nX-A-Longer:long\r\nConnection: close\r\n\r\n",
                    5000);
    cr_assert_not_null(strstr(out, "HTTP/1.1 200 OK\r\n"), "%s", out);
    cr_assert_not_null(strstr(out, "\r\n\r\n[/spans?k=v&e=][k=v&e=][5][spaced out][][-][long][-]"
                                   "Host=x;X-A=spaced out;X-B=;X-A-Longer=long;Connection=close;"),
                       "%s", out);
    free(out);
    out = raw(&f, "GET /spans HTTP/1.0\r\nx-c: \t\r\n\r\n", 5000);
    cr_assert_not_null(strstr(out, "\r\n\r\n[/spans][-][1][-][-][][-][-]x-c=;"), "%s", out);
    free(out);
    stop(&f);
    return 0;
}
Test(http, header_spans_as_sent)
{
    header_spans_run();
}

RUN(pipelining)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    char req[2048] = "";
    for (int i = 0; i < 16; i++) {
        char one[128];
        snprintf(one, sizeof one, "GET /query?q=r%02d HTTP/1.1\r\nHost: x\r\n%s\r\n", i,
                 i == 15 ? "Connection: close\r\n" : "");
        strcat(req, one);
    }
    char *out = raw(&f, req, 5000);
    cr_assert_eq(count(out, "HTTP/1.1 200 OK"), 16, "%s", out);
    const char *p = out;
    for (int i = 0; i < 16; i++) {
        char want[8];
        snprintf(want, sizeof want, "r%02d", i);
        const char *at = strstr(p, want);
        cr_assert_not_null(at, "response %d in order", i);
        p = at;
    }
    cr_assert_not_null(strstr(out, "Connection: close\r\n"));
    free(out);
    stop(&f);
    return 0;
}
Test(http, pipelined_requests_answered_in_order)
{
    pipelining_run();
}

RUN(http10_head)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    char *out = raw(&f, "GET / HTTP/1.0\r\n\r\n", 5000);
    cr_assert(strstr(out, "Connection: close\r\n"), "%s", out);
    cr_assert(strstr(out, "\r\n\r\nHello, World!"), "%s", out);
    free(out);
    out = raw(&f, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 300);
    cr_assert(strstr(out, "Connection: keep-alive\r\n"), "%s", out);
    free(out);
    out = raw(&f, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
    cr_assert(strstr(out, "Content-Length: 13\r\n"), "%s", out);
    cr_assert(strstr(out, "\r\n\r\n")[4] == '\0', "HEAD has no body: %s", out);
    free(out);
    out = raw(&f, "GET /chunked HTTP/1.0\r\n\r\n", 5000);
    cr_assert_null(strstr(out, "chunked"), "no chunked for 1.0: %s", out);
    cr_assert(strstr(out, "\r\n\r\npart0;part1;part2;"), "close-delimited: %s", out);
    free(out);
    stop(&f);
    return 0;
}
Test(http, http10_close_semantics_and_head_without_body)
{
    http10_head_run();
}

RUN(chunked_both_ways)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    static const char req[] =
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
    char *out = raw(&f, req, 5000);
    cr_assert(strstr(out, "Content-Length: 11\r\n"), "%s", out);
    cr_assert(strstr(out, "\r\n\r\nhello world"), "%s", out);
    free(out);
    out = raw(&f, "GET /chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
    cr_assert(strstr(out, "Transfer-Encoding: chunked\r\n"), "%s", out);
    cr_assert(strstr(out, "6\r\npart0;\r\n6\r\npart1;\r\n6\r\npart2;\r\n0\r\n\r\n"), "%s", out);
    free(out);
    corio_http_response *r;
    cr_assert_eq(corio_http_get(url(&f, "/chunked"), NULL, &r, -1), 0);
    const char *body;
    corio_http_response_body(r, &body, NULL);
    cr_assert_str_eq(body, "part0;part1;part2;");
    corio_http_response_free(r);
    stop(&f);
    return 0;
}
Test(http, chunked_request_and_response_bodies)
{
    chunked_both_ways_run();
}

RUN(expect_continue)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    corio_fd *fd;
    cr_assert_eq(corio_tcp_connect("127.0.0.1", f.port, &fd, -1), 0);
    static const char head[] = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                               "Expect: 100-continue\r\n\r\n";
    cr_assert_eq(corio_fd_write_all(fd, head, sizeof head - 1, -1), 0);
    char buf[512];
    ssize_t n = corio_fd_read(fd, buf, sizeof buf - 1, corio_now() + 5000);
    cr_assert_gt(n, 0);
    buf[n] = '\0';
    cr_assert_str_eq(buf, "HTTP/1.1 100 Continue\r\n\r\n");
    cr_assert_eq(corio_fd_write_all(fd, "ping", 4, -1), 0);
    n = corio_fd_read(fd, buf, sizeof buf - 1, corio_now() + 5000);
    buf[n > 0 ? n : 0] = '\0';
    cr_assert(strstr(buf, "HTTP/1.1 200 OK") && strstr(buf, "\r\n\r\nping"), "%s", buf);
    corio_fd_close(fd);
    stop(&f);
    return 0;
}
Test(http, expect_100_continue)
{
    expect_continue_run();
}

RUN(limits)
{
    (void)arg;
    fixture f = {0};
    corio_http_limits l = {
        .max_request_line = 256, .max_header_bytes = 512, .max_body = 100, .max_headers = 10};
    start(&f, &l);
    char req[2048];
    snprintf(req, sizeof req, "GET /%0300d HTTP/1.1\r\nHost: x\r\n\r\n", 0);
    char *out = raw(&f, req, 5000);
    cr_assert(strstr(out, "HTTP/1.1 414 "), "%s", out);
    free(out);
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: x\r\nX: %0600d\r\n\r\n", 0);
    out = raw(&f, req, 5000);
    cr_assert(strstr(out, "HTTP/1.1 431 "), "%s", out);
    free(out);
    strcpy(req, "GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 12; i++)
        strcat(req, "A: b\r\n");
    strcat(req, "\r\n");
    out = raw(&f, req, 5000);
    cr_assert(strstr(out, "HTTP/1.1 431 "), "too many headers: %s", out);
    free(out);
    snprintf(req, sizeof req, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n");
    out = raw(&f, req, 5000);
    cr_assert(strstr(out, "HTTP/1.1 413 "), "%s", out);
    free(out);
    snprintf(req, sizeof req,
             "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "40\r\n%064d\r\n40\r\n%064d\r\n0\r\n\r\n",
             0, 0);
    out = raw(&f, req, 5000);
    cr_assert(strstr(out, "HTTP/1.1 413 "), "chunked over the limit: %s", out);
    free(out);
    /* The server still serves. */
    out = raw(&f, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
    cr_assert(strstr(out, "Hello, World!"), "%s", out);
    free(out);
    stop(&f);
    return 0;
}
Test(http, limits_answer_414_431_413)
{
    limits_run();
}

RUN(smuggling)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    static const char *const bad[] = {
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nab\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nX: y\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n",
        "GARBAGE\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nBad\x01Name: x\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *out = raw(&f, bad[i], 5000);
        cr_assert(strncmp(out, "HTTP/1.1 400 ", 13) == 0, "case %zu: %s", i, out);
        cr_assert(strstr(out, "Connection: close\r\n"), "case %zu: %s", i, out);
        cr_assert_eq(count(out, "HTTP/1.1"), 1, "case %zu: nothing smuggled: %s", i, out);
        free(out);
    }
    char *out = raw(&f, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
    cr_assert(strstr(out, "Hello, World!"), "%s", out);
    free(out);
    stop(&f);
    return 0;
}
Test(http, request_smuggling_vectors_get_400_and_close)
{
    smuggling_run();
}

/* A slowloris client sends part of a head and stalls. */
static intptr_t slowloris(void *arg)
{
    fixture *f = arg;
    corio_fd *fd;
    cr_assert_eq(corio_tcp_connect("127.0.0.1", f->port, &fd, -1), 0);
    corio_fd_write_all(fd, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ", 33, -1);
    char buf[512];
    int64_t t0 = corio_now();
    ssize_t n = corio_fd_read(fd, buf, sizeof buf - 1, corio_now() + 5000);
    int64_t took = corio_now() - t0;
    cr_assert_gt(n, 0);
    buf[n] = '\0';
    cr_assert(strstr(buf, "408 Request Timeout"), "%s", buf);
    cr_assert_geq(took, 1400);
    corio_fd_close(fd);
    return 0;
}

RUN(timeouts)
{
    (void)arg;
    fixture f = {0};
    corio_http_limits l = {.header_timeout_ms = 1500, .idle_timeout_ms = 300};
    start(&f, &l);
    corio_task *slow[5];
    for (int i = 0; i < 5; i++)
        corio_spawn(NULL, slowloris, &f, &slow[i]);
    corio_sleep(20);
    /* Others are served meanwhile. */
    corio_http_response *r;
    int64_t t0 = corio_now();
    cr_assert_eq(corio_http_get(url(&f, "/"), NULL, &r, -1), 0);
    cr_assert_lt(corio_now() - t0, 750, "not held up by the stalled heads");
    corio_http_response_free(r);
    for (int i = 0; i < 5; i++) {
        corio_join(slow[i], NULL, -1);
        corio_task_release(slow[i]);
    }
    /* An idle keep-alive connection is closed after idle_timeout_ms. */
    corio_fd *fd;
    cr_assert_eq(corio_tcp_connect("127.0.0.1", f.port, &fd, -1), 0);
    char buf[256];
    t0 = corio_now();
    cr_assert_eq(corio_fd_read(fd, buf, sizeof buf, corio_now() + 5000), 0);
    cr_assert_geq(corio_now() - t0, 250);
    corio_fd_close(fd);
    stop(&f);
    return 0;
}
Test(http, slowloris_and_idle_connections_are_closed)
{
    timeouts_run();
}

RUN(max_connections)
{
    (void)arg;
    fixture f = {0};
    corio_http_limits l = {.max_connections = 2};
    start(&f, &l);
    corio_fd *a, *b;
    cr_assert_eq(corio_tcp_connect("127.0.0.1", f.port, &a, -1), 0);
    cr_assert_eq(corio_tcp_connect("127.0.0.1", f.port, &b, -1), 0);
    corio_sleep(20);
    char *out = raw(&f, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
    cr_assert(strstr(out, "HTTP/1.1 503 "), "%s", out);
    free(out);
    corio_fd_close(a);
    corio_fd_close(b);
    corio_sleep(20);
    out = raw(&f, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
    cr_assert(strstr(out, "Hello, World!"), "%s", out);
    free(out);
    stop(&f);
    return 0;
}
Test(http, over_max_connections_answers_503)
{
    max_connections_run();
}

static intptr_t slow_get(void *arg)
{
    fixture *f = arg;
    corio_http_response *r;
    int rc = corio_http_get(url(f, "/slow"), NULL, &r, -1);
    if (rc < 0)
        return rc;
    rc = corio_http_response_status(r);
    corio_http_response_free(r);
    return rc;
}

RUN(graceful)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    corio_fd *idle;
    cr_assert_eq(corio_tcp_connect("127.0.0.1", f.port, &idle, -1), 0);
    corio_task *t;
    corio_spawn(NULL, slow_get, &f, &t);
    corio_sleep(200);
    cr_assert_eq(corio_http_app_connections(f.app), 2);
    corio_http_stop(f.app, 5000);
    char buf[16];
    cr_assert_eq(corio_fd_read(idle, buf, sizeof buf, corio_now() + 1000), 0,
                 "idle connections are closed at once");
    corio_fd_close(idle);
    intptr_t status;
    corio_join(t, &status, -1);
    corio_task_release(t);
    cr_assert_eq(status, 200, "the request in flight finished");
    corio_join(f.task, &f.result, -1);
    cr_assert_eq(f.result, 0);
    corio_fd_close(f.listener);
    corio_http_app_free(f.app);
    return 0;
}
Test(http, graceful_stop_finishes_requests_in_flight)
{
    graceful_run();
}

/* Served with a deadline: past it the server stops as when cancelled (the
 * request in flight is cancelled, every connection closed, the shutdown
 * hooks run) and returns -ETIMEDOUT. */
static int shutdowns;

static int count_shutdown(corio_http_app *app, void *arg)
{
    (void)app, (void)arg;
    shutdowns++;
    return 0;
}

typedef struct timed {
    fixture f;
    int64_t deadline, returned_at;
} timed;

static intptr_t serve_until(void *arg)
{
    timed *t = arg;
    int rc = corio_http_serve(t->f.app, t->f.listener, NULL, t->deadline);
    t->returned_at = corio_now();
    return rc;
}

/* What a connection reads until the server closes it: 0 or a reset. */
static ssize_t read_to_end(corio_fd *fd)
{
    char buf[4096];
    ssize_t n;
    while ((n = corio_fd_read(fd, buf, sizeof buf, -1)) > 0)
        ;
    return n;
}

RUN(serve_deadline)
{
    (void)arg;
    static const char hang_req[] = "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n";
    timed t = {.f.app = make_app()};
    shutdowns = 0;
    cr_assert_eq(corio_http_on_shutdown(t.f.app, count_shutdown, NULL), 0);
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &t.f.listener), 0);
    t.f.port = corio_tcp_local_port(t.f.listener);
    t.deadline = corio_now() + 300;
    cr_assert_eq(corio_spawn(NULL, serve_until, &t, &t.f.task), 0);
    corio_fd *idle, *inflight;
    cr_assert_eq(corio_tcp_connect("127.0.0.1", t.f.port, &idle, -1), 0);
    cr_assert_eq(corio_tcp_connect("127.0.0.1", t.f.port, &inflight, -1), 0);
    cr_assert_eq(corio_fd_write_all(inflight, hang_req, sizeof hang_req - 1, -1), 0);
    ssize_t n = read_to_end(inflight);
    cr_assert(n == 0 || n == -ECONNRESET, "the request in flight is cut: %zd", n);
    n = read_to_end(idle);
    cr_assert(n == 0 || n == -ECONNRESET, "the idle connection is closed: %zd", n);
    cr_assert_eq(corio_join(t.f.task, &t.f.result, -1), 0);
    cr_assert_eq(t.f.result, -ETIMEDOUT);
    cr_assert_geq(t.returned_at, t.deadline, "not before its deadline");
    cr_assert_eq(shutdowns, 1);
    cr_assert_eq(corio_http_app_connections(t.f.app), 0);
    corio_fd_close(idle);
    corio_fd_close(inflight);

    /* -1: serves until cancelled, as before. */
    fixture f = {.app = t.f.app};
    fixture_serve(&f, NULL);
    char *out = raw(&f, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
    cr_assert(strstr(out, "Hello, World!"), "%s", out);
    free(out);
    stop(&f);
    cr_assert_eq(f.result, -ECANCELED);
    corio_fd_close(t.f.listener);
    return 0;
}
Test(http, serve_deadline_stops_and_closes_connections)
{
    serve_deadline_run();
}

RUN(sse_events)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    corio_http_response *r;
    cr_assert_eq(corio_http_get(url(&f, "/sse"), NULL, &r, -1), 0);
    cr_assert_str_eq(corio_http_response_header(r, "Content-Type"), "text/event-stream");
    cr_assert_str_eq(corio_http_response_header(r, "Cache-Control"), "no-cache");
    const char *body;
    corio_http_response_body(r, &body, NULL);
    cr_assert_str_eq(body, "id: 1\ndata: first\n\n: heartbeat\n\nid: 2\nevent: note\ndata: two\n"
                           "data: lines\n\n");
    corio_http_response_free(r);
    stop(&f);
    return 0;
}
Test(http, server_sent_events)
{
    sse_events_run();
}

/* --- client ------------------------------------------------------------------- */

RUN(pool)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    corio_http_client *c;
    cr_assert_eq(corio_http_client_new(NULL, &c), 0);
    for (int i = 0; i < 3; i++) {
        corio_http_response *r;
        cr_assert_eq(corio_http_client_request(c, url(&f, "/"), NULL, &r, -1), 0);
        cr_assert_eq(corio_http_response_reused(r), i > 0, "request %d", i);
        corio_http_response_free(r);
    }
    cr_assert_eq(corio_http_app_connections(f.app), 1);
    /* A body posted, streamed back in pieces. */
    char big[100000];
    memset(big, 'z', sizeof big);
    corio_http_request_opts o = {.method = "PUT", .body = big, .body_len = sizeof big};
    corio_http_response *r;
    corio_http_limits l;
    corio_http_app_limits(f.app, &l);
    cr_assert_eq(corio_http_client_open(c, url(&f, "/echo"), &o, &r, -1), 0);
    size_t total = 0;
    char buf[7000];
    ssize_t n;
    while ((n = corio_http_response_read(r, buf, sizeof buf)) > 0)
        total += (size_t)n;
    cr_assert_eq(n, 0);
    cr_assert_eq(total, sizeof big);
    corio_http_response_free(r);
    /* A 1 MiB body over the size limit. */
    corio_http_request_opts small = {.max_body = 1000};
    cr_assert_eq(corio_http_client_request(c, url(&f, "/big"), &small, &r, -1), -EMSGSIZE);
    cr_assert_eq(corio_http_client_request(c, url(&f, "/big"), NULL, &r, -1), 0);
    size_t len;
    const char *body;
    corio_http_response_body(r, &body, &len);
    cr_assert_eq(len, 1u << 20);
    cr_assert_eq(body[12345], (char)(12345 * 7));
    corio_http_response_free(r);
    corio_http_client_free(c);
    stop(&f);
    return 0;
}
Test(http, client_reuses_connections_and_streams_bodies)
{
    pool_run();
}

typedef struct fetch {
    corio_http_client *c;
    char url[256];
} fetch;

static intptr_t fetch_task(void *arg)
{
    fetch *f = arg;
    corio_http_response *r;
    int rc = corio_http_client_request(f->c, f->url, NULL, &r, -1);
    if (rc < 0)
        return rc;
    rc = corio_http_response_status(r);
    corio_http_response_free(r);
    return rc == 200 ? 0 : -EPROTO;
}

/* n concurrent GETs of /busy, spread over the fixtures; the most that were
 * in the handlers at once. */
static int fetch_all(corio_http_client *c, fixture *fs, int nfs, int n)
{
    fetch jobs[8];
    corio_nursery *nur;
    busy_max = 0;
    cr_assert_eq(corio_nursery_open(&nur), 0);
    for (int i = 0; i < n; i++) {
        jobs[i].c = c;
        snprintf(jobs[i].url, sizeof jobs[i].url, "%s", url(&fs[i % nfs], "/busy"));
        corio_spawn(nur, fetch_task, &jobs[i], NULL);
    }
    cr_assert_eq(corio_nursery_close(nur), 0);
    return busy_max;
}

RUN(pool_limits)
{
    (void)arg;
    fixture f[2] = {{0}, {0}};
    start(&f[0], &(corio_http_limits){.idle_timeout_ms = 200});
    start(&f[1], NULL);
    corio_http_client *c;
    cr_assert_eq(corio_http_client_new(&(corio_http_client_opts){.max_per_host = 2}, &c), 0);
    cr_assert_eq(fetch_all(c, f, 1, 6), 2, "max_per_host");
    cr_assert_eq(corio_http_app_connections(f[0].app), 2, "both kept alive");

    /* The server closed the idle connections: the next request finds its
     * pooled one dead and retries once on a new one. */
    corio_sleep(400);
    corio_http_response *r;
    cr_assert_eq(corio_http_client_request(c, url(&f[0], "/"), NULL, &r, -1), 0);
    cr_assert_eq(corio_http_response_status(r), 200);
    cr_assert_eq(corio_http_response_reused(r), 0, "a new connection answered");
    corio_http_response_free(r);
    corio_http_client_free(c);

    /* max_total counts connections in use across origins. */
    corio_http_client_opts one = {.max_total = 1};
    cr_assert_eq(corio_http_client_new(&one, &c), 0);
    cr_assert_eq(fetch_all(c, f, 2, 4), 1, "max_total");
    corio_http_client_free(c);

    /* The client's idle timeout: an old pooled connection is closed, not used. */
    corio_http_client_opts quick = {.idle_timeout_ms = 100};
    cr_assert_eq(corio_http_client_new(&quick, &c), 0);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(corio_http_client_request(c, url(&f[1], "/"), NULL, &r, -1), 0);
        cr_assert_eq(corio_http_response_reused(r), 0, "request %d", i);
        corio_http_response_free(r);
        corio_sleep(150);
    }
    cr_assert_eq(corio_http_app_connections(f[1].app), 1, "the expired one was closed");
    corio_http_client_free(c);
    stop(&f[0]);
    stop(&f[1]);
    return 0;
}
Test(http, client_pool_limits_stale_and_idle_connections)
{
    pool_limits_run();
}

RUN(redirects)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    corio_http_response *r;
    cr_assert_eq(corio_http_get(url(&f, "/redirect/3"), NULL, &r, -1), 0);
    cr_assert_eq(corio_http_response_status(r), 302, "off by default");
    corio_http_response_free(r);
    corio_http_request_opts o = {.max_redirects = 5};
    cr_assert_eq(corio_http_get(url(&f, "/redirect/3"), &o, &r, -1), 0);
    cr_assert_eq(corio_http_response_status(r), 200);
    cr_assert(strstr(corio_http_response_url(r), "/redirect/0"));
    corio_http_response_free(r);
    o.max_redirects = 3;
    cr_assert_eq(corio_http_get(url(&f, "/loop"), &o, &r, -1), 0);
    cr_assert_eq(corio_http_response_status(r), 302, "a loop stops at the limit");
    corio_http_response_free(r);
    corio_http_request_opts post = {
        .method = "POST", .body = "x", .body_len = 1, .max_redirects = 1};
    cr_assert_eq(corio_http_get(url(&f, "/see-other"), &post, &r, -1), 0);
    const char *body;
    corio_http_response_body(r, &body, NULL);
    cr_assert_str_eq(body, "GET", "303 becomes GET");
    corio_http_response_free(r);
    stop(&f);
    return 0;
}
Test(http, client_redirects_off_by_default_limited_and_303_to_get)
{
    redirects_run();
}

RUN(gzip)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    corio_http_request_opts o = {.gzip = true};
    corio_http_response *r;
    cr_assert_eq(corio_http_get(url(&f, "/gzip"), &o, &r, -1), 0);
    const char *body;
    size_t len;
    cr_assert_eq(corio_http_response_body(r, &body, &len), 0);
    cr_assert_eq(len, 4000);
    cr_assert_eq(body[27], 'b');
    corio_http_response_free(r);
    stop(&f);
    return 0;
}
Test(http, client_decodes_gzip)
{
    gzip_run();
}

/* Peers that misbehave at the TCP level. */
static intptr_t bad_peer(corio_stream *s, void *arg)
{
    char buf[1024];
    corio_stream_read(s, buf, sizeof buf, corio_now() + 2000);
    if (strcmp(arg, "reset") == 0) {
        struct linger lg = {1, 0};
        setsockopt(corio_fd_fileno(corio_stream_fd(s)), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    } else {
        corio_stream_write(s, arg, strlen(arg), -1);
    }
    return 0;
}

typedef struct peer {
    const char *mode;
    corio_fd *l;
} peer;

static intptr_t peer_task(void *arg)
{
    peer *p = arg;
    int rc = corio_serve_tcp(p->l, bad_peer, (void *)p->mode, -1);
    return rc == -ECANCELED ? 0 : rc;
}

static int against(const char *mode, const char *scheme)
{
    peer p = {mode, NULL};
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &p.l), 0);
    corio_task *t;
    corio_spawn(NULL, peer_task, &p, &t);
    char u[128];
    snprintf(u, sizeof u, "%s://127.0.0.1:%d/", scheme, corio_tcp_local_port(p.l));
    corio_http_response *r;
    int rc = corio_http_get(u, NULL, &r, corio_now() + 3000);
    if (rc == 0)
        corio_http_response_free(r);
    corio_task_cancel(t);
    corio_join(t, NULL, -1);
    corio_task_release(t);
    corio_fd_close(p.l);
    return rc;
}

RUN(errors)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    corio_http_response *r;
    /* refused: a port nobody listens on any more */
    corio_fd *l;
    corio_tcp_listen("127.0.0.1", 0, 0, &l);
    char u[128];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/", corio_tcp_local_port(l));
    corio_fd_close(l);
    int rc = corio_http_get(u, NULL, &r, -1);
    cr_assert_eq(rc, -ECONNREFUSED);
    cr_assert_str_eq(corio_http_error_class(rc), "refused");
    /* dns: the resolver (CORIO_DNS_SERVERS, a dead local port) cannot answer */
    corio_dns_set_servers("127.0.0.1:9");
    rc = corio_http_get("http://no-such-host.invalid/", NULL, &r, -1);
    cr_assert_eq(rc, -CORIO_EDNS, "%s", corio_strerror(rc));
    cr_assert_str_eq(corio_http_error_class(rc), "dns");
    /* timeout */
    int64_t t0 = corio_now();
    rc = corio_http_get(url(&f, "/hang"), NULL, &r, t0 + 200);
    cr_assert_eq(rc, -ETIMEDOUT);
    cr_assert_lt(corio_now() - t0, 1000);
    cr_assert_str_eq(corio_http_error_class(rc), "timeout");
    /* reset, protocol, TLS against a plain peer */
    rc = against("reset", "http");
    cr_assert_str_eq(corio_http_error_class(rc), "reset", "%d", rc);
    rc = against("garbage that is not http\r\n\r\n", "http");
    cr_assert_str_eq(corio_http_error_class(rc), "protocol", "%d", rc);
    rc = against("HTTP/1.1 200 OK\r\n\r\n", "https");
    cr_assert_str_eq(corio_http_error_class(rc), "tls", "%d", rc);
    /* invalid URLs */
    cr_assert_eq(corio_http_get("ftp://127.0.0.1/", NULL, &r, -1), -EINVAL);
    cr_assert_eq(corio_http_get("http://", NULL, &r, -1), -EINVAL);
    cr_assert_eq(corio_http_get("not a url", NULL, &r, -1), -EINVAL);
    cr_assert_str_eq(corio_http_error_class(-EINVAL), "invalid-url");
    stop(&f);
    return 0;
}
Test(http, client_error_classes)
{
    errors_run();
}

/* --- TLS ---------------------------------------------------------------------- */

RUN(https)
{
    (void)arg;
    fixture f = {0};
    cr_assert_eq(corio_tls_ctx_server(cert, key, &f.tls), 0);
    start(&f, NULL);
    corio_http_client *c;
    corio_http_client_opts co = {.ca_file = ca};
    cr_assert_eq(corio_http_client_new(&co, &c), 0);
    for (int i = 0; i < 2; i++) {
        corio_http_response *r;
        cr_assert_eq(corio_http_client_request(c, url(&f, "/"), NULL, &r, -1), 0);
        const char *body;
        corio_http_response_body(r, &body, NULL);
        cr_assert_str_eq(body, "Hello, World!");
        cr_assert_eq(corio_http_response_reused(r), i);
        corio_http_response_free(r);
    }
    corio_http_client_free(c);
    /* The system store does not know the test CA. */
    corio_http_response *r;
    int rc = corio_http_get(url(&f, "/"), NULL, &r, -1);
    cr_assert_str_eq(corio_http_error_class(rc), "tls", "%d", rc);
    co = (corio_http_client_opts){.insecure = true};
    cr_assert_eq(corio_http_client_new(&co, &c), 0);
    cr_assert_eq(corio_http_client_request(c, url(&f, "/"), NULL, &r, -1), 0);
    corio_http_response_free(r);
    corio_http_client_free(c);
    stop(&f);
    corio_tls_ctx_free(f.tls);
    return 0;
}

Test(http_tls, https_server_and_client, .init = make_certs, .fini = remove_certs, .timeout = 60)
{
    https_run();
}
