/* libFuzzer target: arbitrary bytes as what a client sends to the server's
 * connection handler (corio_http_serve_conn) over a socket pair, the
 * responses drained by a reader task. Crashes, sanitizer reports and hangs
 * are the findings; any input must end with the connection closed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corio/corio.h>

#include "serve_pair.h"

static corio_http_app *app;

static int echo(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    const char *body;
    size_t len;
    int rc = corio_http_req_body(req, &body, &len);
    if (rc < 0)
        return rc;
    corio_http_resp_header(resp, "X-Query", corio_http_req_query(req, "q") ? "yes" : "no");
    return corio_http_resp_send(resp, 200, "text/plain", body, len);
}

static int stream(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    char buf[100];
    while (corio_http_req_read(req, buf, sizeof buf) > 0)
        ;
    int rc = corio_http_sse_start(resp);
    rc = rc ? rc : corio_http_sse_send(resp, "1", "e", corio_http_req_param(req, "x"));
    return rc ? rc : corio_http_resp_end(resp);
}

/* Every log line is formatted (paths, reasons, llhttp's messages come from
 * the input) and checked for what a sink must never be given. */
static void sink(void *ud, int level, const char *module, const char *msg)
{
    (void)ud, (void)level, (void)module;
    size_t n = strlen(msg);
    if (n >= CORIO_LOG_MAX)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
            abort(); /* a forged line */
}

static intptr_t drain(void *arg)
{
    corio_fd *f;
    if (corio_fd_open(((serve_pair *)arg)->fds[1], &f) < 0)
        return 0;
    char buf[65536];
    while (corio_fd_read(f, buf, sizeof buf, corio_now() + 5000) > 0)
        ;
    corio_fd_close(f);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!app) {
        corio_http_limits l = {.max_body = 4096,
                               .header_timeout_ms = 200,
                               .idle_timeout_ms = 50,
                               .body_timeout_ms = 200};
        if (corio_http_app_new(&app) < 0)
            abort();
        corio_http_app_set_limits(app, &l);
        corio_http_route(app, "*", "/echo", echo, NULL);
        corio_http_route(app, "GET", "/s/{x}", stream, NULL);
        corio_http_route(app, "POST", "/s/{x...}", stream, NULL);
        corio_log_set(sink, NULL, CORIO_LOG_DEBUG);
    }
    if (size > 60000)
        return 0;
    serve_pair p = {.app = app, .reader = drain};
    /* Out of descriptors or buffer space is the machine's trouble, not the
     * input's: skip the input rather than report a crash. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, p.fds) < 0)
        return 0;
    int big = 1 << 20;
    setsockopt(p.fds[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    if (size && write(p.fds[1], data, size) != (ssize_t)size) {
        close(p.fds[0]);
        close(p.fds[1]);
        return 0;
    }
    shutdown(p.fds[1], SHUT_WR);
    corio_run(serve_pair_run, &p);
    return 0;
}
