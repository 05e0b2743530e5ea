/* Idle keep-alive connections of the HTTP server: one waiting for its next
 * request holds no task (it parks: its descriptor's readiness starts a new
 * one), yet is served again, times out, is closed by a stop, by the end of
 * serving and by the client hanging up, and counts for max_connections. */
#include <criterion/criterion.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

#include "fdcheck.h"
#include "parked.h"
#include "http_fixture.h"
#include "run.h"

TestSuite(http_idle, .init = fd_check_start, .fini = fd_check_end, .timeout = 60);

#define N 64

static const char GET[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

static int hello(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    return corio_http_resp_text(resp, 200, "Hello, World!");
}

static void start(fixture *f, const corio_http_limits *limits)
{
    cr_assert_eq(corio_http_app_new(&f->app), 0);
    cr_assert_eq(corio_http_route(f->app, "GET", "/", hello, NULL), 0);
    fixture_serve(f, limits);
}

/* Reads one whole "Hello, World!" answer (or several, pipelined) from fd. */
static void expect_hello(corio_fd *fd, int answers)
{
    char buf[4096];
    size_t n = 0;
    while (n < sizeof buf - 1) {
        buf[n] = '\0';
        int seen = 0;
        for (const char *p = buf; (p = strstr(p, "Hello, World!")); p++)
            seen++;
        if (seen == answers)
            break;
        ssize_t got = corio_fd_read(fd, buf + n, sizeof buf - 1 - n, corio_now() + 5000);
        cr_assert_gt(got, 0, "answer %zu bytes in: %s", n, buf);
        n += (size_t)got;
    }
    cr_assert(strstr(buf, "HTTP/1.1 200 OK"), "%s", buf);
}

/* Opens n keep-alive connections, each served one request. */
static void open_served(const fixture *f, corio_fd **fds, int n)
{
    for (int i = 0; i < n; i++) {
        cr_assert_eq(corio_tcp_connect("127.0.0.1", f->port, &fds[i], corio_now() + 5000), 0);
        cr_assert_eq(corio_fd_write_all(fds[i], GET, sizeof GET - 1, -1), 0);
    }
    for (int i = 0; i < n; i++)
        expect_hello(fds[i], 1);
}

/* The server closed fd within ms. */
static void expect_closed(corio_fd *fd, int ms)
{
    char buf[64];
    cr_assert_eq(corio_fd_read(fd, buf, sizeof buf, corio_now() + ms), 0,
                 "the server closed the connection");
}

RUN(no_task)
{
    (void)arg;
    fixture f = {0};
    start(&f, &(corio_http_limits){.idle_timeout_ms = 30000});
    corio_sleep(PARKED_MS);
    int tasks = live_tasks();
    size_t heap = mallinfo2().uordblks;
    corio_fd *fds[N];
    open_served(&f, fds, N);
    corio_sleep(PARKED_MS);
    cr_assert_eq(corio_http_app_connections(f.app), N);
    cr_assert_eq(live_tasks(), tasks, "%d idle connections hold no task", N);
    /* Their buffers went back too: what is left is the connection records
     * (and this side's descriptors), well under an input buffer each. */
    size_t grown = mallinfo2().uordblks - heap;
    cr_assert_lt(grown / N, 4096, "%zu bytes of heap per idle connection", grown / N);

    /* Woken, each is served as before: one request, then two pipelined. */
    for (int i = 0; i < N; i += 8) {
        cr_assert_eq(corio_fd_write_all(fds[i], GET, sizeof GET - 1, -1), 0);
        expect_hello(fds[i], 1);
    }
    char two[2 * sizeof GET];
    snprintf(two, sizeof two, "%s%s", GET, GET);
    cr_assert_eq(corio_fd_write_all(fds[1], two, strlen(two), -1), 0);
    expect_hello(fds[1], 2);
    /* ... and parks again. */
    corio_sleep(PARKED_MS);
    cr_assert_eq(live_tasks(), tasks);
    cr_assert_eq(corio_http_app_connections(f.app), N);

    /* A client hanging up frees its parked connection. */
    for (int i = 0; i < N / 2; i++)
        corio_fd_close(fds[i]);
    corio_sleep(PARKED_MS);
    cr_assert_eq(corio_http_app_connections(f.app), N - N / 2);
    cr_assert_eq(live_tasks(), tasks);

    /* Cancelling the server (the end of serving) closes the rest. */
    stop(&f);
    cr_assert_eq(f.result, -ECANCELED);
    for (int i = N / 2; i < N; i++) {
        expect_closed(fds[i], 1000);
        corio_fd_close(fds[i]);
    }
    return 0;
}
Test(http_idle, idle_connections_hold_no_task_and_are_served_again)
{
    no_task_run();
}

RUN(timeout)
{
    (void)arg;
    fixture f = {0};
    start(&f, &(corio_http_limits){.idle_timeout_ms = 800});
    corio_fd *fd;
    int64_t t0 = corio_now();
    open_served(&f, &fd, 1);
    corio_sleep(PARKED_MS);
    cr_assert_eq(corio_http_app_connections(f.app), 1);
    expect_closed(fd, 5000);
    cr_assert_geq(corio_now() - t0, 750, "closed after idle_timeout_ms, not before");
    corio_fd_close(fd);
    corio_sleep(20);
    cr_assert_eq(corio_http_app_connections(f.app), 0);
    /* One woken before its time is up is served, and its time starts again. */
    open_served(&f, &fd, 1);
    corio_sleep(500);
    cr_assert_eq(corio_fd_write_all(fd, GET, sizeof GET - 1, -1), 0);
    expect_hello(fd, 1);
    corio_sleep(500);
    cr_assert_eq(corio_fd_write_all(fd, GET, sizeof GET - 1, -1), 0);
    expect_hello(fd, 1);
    expect_closed(fd, 5000);
    corio_fd_close(fd);
    stop(&f);
    return 0;
}
Test(http_idle, a_parked_connection_times_out)
{
    timeout_run();
}

/* An idle_timeout_ms shorter than the wait before a connection parks ends
 * the wait in its task; requests that come in time are served. */
RUN(short_timeout)
{
    (void)arg;
    fixture f = {0};
    start(&f, &(corio_http_limits){.idle_timeout_ms = 10});
    corio_fd *fds[N];
    int64_t t0 = corio_now(); /* before the request: its idle time starts after */
    open_served(&f, fds, 1);
    expect_closed(fds[0], 5000);
    cr_assert_geq(corio_now() - t0, 10, "closed after idle_timeout_ms, not before");
    corio_fd_close(fds[0]);
    for (int round = 0; round < 2; round++) { /* the second reuses the first's buffers */
        open_served(&f, fds, N);
        for (int i = 0; i < N; i++) {
            expect_closed(fds[i], 5000);
            corio_fd_close(fds[i]);
        }
    }
    stop(&f);
    return 0;
}
Test(http_idle, a_short_idle_timeout_closes_before_parking)
{
    short_timeout_run();
}

RUN(graceful)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    corio_fd *fds[N];
    open_served(&f, fds, N);
    corio_sleep(PARKED_MS);
    int64_t t0 = corio_now();
    corio_http_stop(f.app, 5000);
    for (int i = 0; i < N; i++) {
        expect_closed(fds[i], 1000);
        corio_fd_close(fds[i]);
    }
    cr_assert_eq(corio_join(f.task, &f.result, corio_now() + 2000), 0);
    cr_assert_eq(f.result, 0);
    cr_assert_lt(corio_now() - t0, 2000, "parked connections do not hold up a stop");
    corio_task_release(f.task);
    corio_fd_close(f.listener);
    corio_http_app_free(f.app);
    return 0;
}
Test(http_idle, stop_closes_parked_connections_at_once)
{
    graceful_run();
}

RUN(limit)
{
    (void)arg;
    fixture f = {0};
    start(&f, &(corio_http_limits){.max_connections = 2});
    corio_fd *fds[2];
    open_served(&f, fds, 2);
    corio_sleep(PARKED_MS);
    char *out = raw(&f, GET, 5000);
    cr_assert(strstr(out, "HTTP/1.1 503 "), "parked connections count: %s", out);
    free(out);
    corio_fd_close(fds[0]);
    corio_sleep(PARKED_MS);
    cr_assert_eq(corio_http_app_connections(f.app), 1);
    out = raw(&f, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
    cr_assert(strstr(out, "Hello, World!"), "%s", out);
    free(out);
    corio_fd_close(fds[1]);
    stop(&f);
    return 0;
}
Test(http_idle, parked_connections_count_for_max_connections)
{
    limit_run();
}
