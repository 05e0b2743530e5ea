/* An HTTP server for the tests, from a task of the test's loop, and raw
 * exchanges with it. */
#ifndef CORIO_TESTS_HTTP_FIXTURE_H
#define CORIO_TESTS_HTTP_FIXTURE_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

typedef struct fixture {
    corio_http_app *app;
    corio_fd *listener;
    corio_tls_ctx *tls;
    int port;
    corio_task *task;
    intptr_t result;
} fixture;

static inline intptr_t fixture_task(void *arg)
{
    fixture *f = arg;
    return corio_http_serve(f->app, f->listener, f->tls, -1);
}

/* Serves f->app (the caller's) with limits (NULL: the app's own) on
 * 127.0.0.1, a port the kernel picks (f->port), TLS if f->tls, from a task
 * of the calling loop; stop() ends it and frees the app. */
static inline void fixture_serve(fixture *f, const corio_http_limits *limits)
{
    if (limits)
        corio_http_app_set_limits(f->app, limits);
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &f->listener), 0);
    f->port = corio_tcp_local_port(f->listener);
    cr_assert_eq(corio_spawn(NULL, fixture_task, f, &f->task), 0);
    corio_yield();
}

static inline void stop(fixture *f)
{
    corio_task_cancel(f->task);
    corio_join(f->task, &f->result, -1);
    corio_fd_close(f->listener);
    corio_http_app_free(f->app);
}

/* A handler that answers with the request's body. */
static inline int fixture_echo(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    const char *body;
    size_t len;
    int rc = corio_http_req_body(req, &body, &len);
    if (rc < 0)
        return rc;
    return corio_http_resp_send(resp, 200, "application/octet-stream", body, len);
}

/* Sends raw bytes on a new connection and reads until the server closes it
 * (or timeout_ms passes): what came back, NUL-terminated (caller frees). */
static inline char *raw(const fixture *f, const char *req, int timeout_ms)
{
    size_t len = strlen(req);
    corio_fd *fd;
    cr_assert_eq(corio_tcp_connect("127.0.0.1", f->port, &fd, corio_now() + 5000), 0);
    cr_assert_eq(corio_fd_write_all(fd, req, len, -1), 0);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap + 1);
    int64_t deadline = corio_now() + timeout_ms;
    for (;;) {
        ssize_t got = corio_fd_read(fd, out + n, cap - n, deadline);
        if (got <= 0)
            break;
        n += (size_t)got;
        if (n == cap)
            break;
    }
    out[n] = '\0';
    corio_fd_close(fd);
    return out;
}

#endif
