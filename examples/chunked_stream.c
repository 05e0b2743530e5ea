/* A streaming (chunked) response: GET /count?n=N&ms=MS sends N lines, one
 * every MS milliseconds, each as a chunk the client sees as it is written.
 *
 *     chunked_stream [--host H] [--port N] */
#include <stdio.h>
#include <stdlib.h>

#include <corio/corio.h>

#include "server_args.h"

static server_args args = {
    .prog = "chunked_stream",
    .usage = "[--host H] [--port N]\nGET /count?n=N&ms=MS streams N lines, one every MS ms.",
    .host = "127.0.0.1",
    .port = 8080,
};

static long query_long(corio_http_req *req, const char *key, long dflt, long max)
{
    const char *v = corio_http_req_query(req, key);
    long n = v ? atol(v) : dflt;
    return n < 0 ? 0 : n > max ? max : n;
}

static int count(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    long n = query_long(req, "n", 5, 100000), ms = query_long(req, "ms", 100, 60000);
    int rc = corio_http_resp_start(resp, 200, "text/plain; charset=utf-8");
    for (long i = 1; rc == 0 && i <= n; i++) {
        char line[64];
        int len = snprintf(line, sizeof line, "line %ld of %ld\n", i, n);
        rc = corio_http_resp_write_chunk(resp, line, (size_t)len);
        if (rc == 0 && i < n)
            rc = corio_sleep(ms);
    }
    return rc ? rc : corio_http_resp_end(resp);
}

int main(int argc, char **argv)
{
    server_args_parse(&args, argc, argv);
    corio_http_app *app;
    if (corio_http_app_new(&app) < 0 || corio_http_route(app, "GET", "/count", count, NULL) < 0)
        return 1;
    return http_example_run(&args, app);
}
