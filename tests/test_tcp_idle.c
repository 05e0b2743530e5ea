/* Idle connections of corio_serve_tcp_ex(CORIO_SERVE_PARK) and of a
 * protocol server: a connection waiting for bytes holds no task and no
 * buffer, is served again when bytes come, and is closed by a hang-up and
 * by the server ending. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

#include "fdcheck.h"
#include "kernel_buffers.h"
#include "parked.h"
#include "run.h"

TestSuite(tcp_idle, .init = fd_check_start, .fini = fd_check_end, .timeout = 60);

#define N 64

static int calls;

/* Echoes at most 4 bytes a call: the rest stays in the stream for the next. */
static intptr_t echo4(corio_stream *s, void *arg)
{
    (void)arg;
    char buf[4];
    calls++;
    ssize_t n = corio_stream_read(s, buf, sizeof buf, -1);
    if (n <= 0 || corio_stream_write(s, buf, (size_t)n, -1) < 0)
        return 0;
    return CORIO_CONN_PARK;
}

typedef struct server {
    corio_fd *listener;
    int port;
    corio_task *task;
} server;

static intptr_t serve(void *arg)
{
    server *s = arg;
    return corio_serve_tcp_ex(s->listener, echo4, NULL, CORIO_SERVE_PARK, -1);
}

static void start(server *s)
{
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &s->listener), 0);
    s->port = corio_tcp_local_port(s->listener);
    cr_assert_eq(corio_spawn(NULL, serve, s, &s->task), 0);
    corio_yield();
}

static void echoes(corio_fd *fd, const char *msg)
{
    size_t len = strlen(msg), got = 0;
    char buf[64];
    cr_assert_eq(corio_fd_write_all(fd, msg, len, -1), 0);
    while (got < len) {
        ssize_t n = corio_fd_read(fd, buf + got, sizeof buf - got, corio_now() + 5000);
        cr_assert_gt(n, 0);
        got += (size_t)n;
    }
    cr_assert_eq(got, len);
    cr_assert_eq(memcmp(buf, msg, len), 0, "%.*s", (int)got, buf);
}

RUN(park)
{
    (void)arg;
    server s;
    start(&s);
    int tasks = live_tasks();
    corio_fd *fds[N];
    for (int i = 0; i < N; i++)
        cr_assert_eq(corio_tcp_connect("127.0.0.1", s.port, &fds[i], corio_now() + 5000), 0);
    corio_sleep(PARKED_MS);
    cr_assert_eq(live_tasks(), tasks, "connections that sent nothing hold no task");
    cr_assert_eq(calls, 0, "the handler waits for bytes");
    /* Ten bytes at once: the handler is called three times for them. */
    for (int i = 0; i < N; i++)
        echoes(fds[i], "0123456789");
    cr_assert_eq(calls, 3 * N);
    corio_sleep(PARKED_MS);
    cr_assert_eq(live_tasks(), tasks, "idle again: parked again");
    echoes(fds[0], "again");
    /* A hang-up reaches the handler (its read sees the end): closed. */
    for (int i = 0; i < N / 2; i++)
        corio_fd_close(fds[i]);
    corio_sleep(PARKED_MS);
    cr_assert_eq(live_tasks(), tasks);
    /* Cancelling the server closes the parked connections. */
    corio_task_cancel(s.task);
    intptr_t rc;
    cr_assert_eq(corio_join(s.task, &rc, corio_now() + 2000), 0);
    cr_assert_eq(rc, -ECANCELED);
    corio_task_release(s.task);
    for (int i = N / 2; i < N; i++) {
        char b;
        cr_assert_eq(corio_fd_read(fds[i], &b, 1, corio_now() + 1000), 0);
        corio_fd_close(fds[i]);
    }
    corio_fd_close(s.listener);
    cr_assert_eq(corio_serve_tcp_ex(s.listener, echo4, NULL, 1u << 7, -1), -EINVAL);
    return 0;
}
Test(tcp_idle, parked_connections_hold_no_task_and_are_served_again)
{
    park_run();
}

/* --- a protocol server's output buffer -------------------------------------- */

static size_t queued_max;

static void p_data(corio_transport *t, const void *data, size_t len, void *ctx)
{
    (void)ctx;
    corio_transport_write(t, data, len);
    size_t q = corio_transport_buffered(t);
    queued_max = q > queued_max ? q : queued_max;
}

static const corio_protocol echo_proto = {.data_received = p_data};

static intptr_t proto_server(void *arg)
{
    return corio_serve_protocol(arg, &echo_proto, NULL, NULL, -1);
}

/* More than the kernel can hold between the server and a client that does
 * not read: the server's send buffer (up to tcp_wmem's maximum, read at run
 * time: it differs between machines), the client's receive buffer (pinned
 * small below) and, on io_uring, the loop's provided receive buffers (2 MiB).
 * A fixed size passed on one machine and failed on another. */
static size_t big_size(void)
{
    size_t big = 2 * (tcp_send_buffer_max() + (4u << 20));
    return big < (8u << 20) ? 8u << 20 : big;
}

static char pattern(size_t i)
{
    return (char)(i * 7 + i / 1000);
}

typedef struct big_job {
    corio_fd *fd;
    size_t size;
} big_job;

static intptr_t big_writer(void *arg)
{
    big_job *job = arg;
    char *buf = malloc(job->size);
    for (size_t i = 0; i < job->size; i++)
        buf[i] = pattern(i);
    int rc = corio_fd_write_all(job->fd, buf, job->size, -1);
    free(buf);
    return rc;
}

RUN(protocol)
{
    (void)arg;
    corio_fd *l, *fd;
    corio_task *srv, *w;
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &l), 0);
    cr_assert_eq(corio_spawn(NULL, proto_server, l, &srv), 0);
    cr_assert_eq(corio_tcp_connect("127.0.0.1", corio_tcp_local_port(l), &fd, -1), 0);
    cr_assert_eq(corio_socket_set(fd, CORIO_SO_RCVBUF, 64 << 10), 0);
    /* Small messages go straight out: nothing stays queued. */
    char b[8];
    cr_assert_eq(corio_fd_write_all(fd, "ping", 4, -1), 0);
    cr_assert_eq(corio_fd_read(fd, b, sizeof b, corio_now() + 5000), 4);
    cr_assert_eq(queued_max, 0);
    /* Everything written before this side reads a byte: the echo cannot all
     * fit in the kernel, so the server queues it, then sends it all in order. */
    big_job job = {fd, big_size()};
    cr_assert_eq(corio_spawn(NULL, big_writer, &job, &w), 0);
    intptr_t rc;
    cr_assert_eq(corio_join(w, &rc, corio_now() + 30000), 0);
    corio_task_release(w);
    cr_assert_eq(rc, 0);
    cr_assert_gt(queued_max, 0, "the server queued what the socket could not take");
    char *got = malloc(job.size);
    size_t n = 0;
    while (n < job.size) {
        ssize_t k = corio_fd_read(fd, got + n, job.size - n, corio_now() + 5000);
        cr_assert_gt(k, 0);
        n += (size_t)k;
    }
    for (size_t i = 0; i < job.size; i++)
        if (got[i] != pattern(i))
            cr_assert_fail("byte %zu differs", i);
    free(got);
    corio_fd_close(fd);
    corio_task_cancel(srv);
    corio_join(srv, NULL, -1);
    corio_task_release(srv);
    corio_fd_close(l);
    return 0;
}
Test(tcp_idle, protocol_output_is_queued_only_when_the_socket_is_full)
{
    protocol_run();
}
