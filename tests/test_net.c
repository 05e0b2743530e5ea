/* TCP and streams over loopback, ports chosen by the kernel. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corio/corio.h>

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

static int fds_before;

static void fd_check_start(void)
{
    fds_before = count_fds();
}

static void fd_check_end(void)
{
    cr_assert_eq(count_fds(), fds_before, "descriptors leaked");
}

/* --- an echo server in a task -------------------------------------------- */

static intptr_t echo(corio_stream *s, void *arg)
{
    (void)arg;
    char buf[65536];
    ssize_t n;
    while ((n = corio_stream_read(s, buf, sizeof buf, -1)) > 0)
        if (corio_stream_write(s, buf, (size_t)n, -1) < 0)
            return -1;
    return 0;
}

static int server_port;

static intptr_t server(void *arg)
{
    corio_fd *l;
    int rc = corio_tcp_listen("127.0.0.1", 0, 0, &l);
    if (rc < 0)
        return rc;
    server_port = corio_tcp_local_port(l);
    rc = corio_serve_tcp(l, arg ? (corio_conn_fn *)arg : echo, NULL);
    corio_fd_close(l);
    return rc == -ECANCELED ? 0 : rc;
}

static corio_task *start_server(corio_conn_fn *handler)
{
    corio_task *t;
    cr_assert_eq(corio_spawn(NULL, server, (void *)handler, &t), 0);
    corio_yield(); /* it listens */
    cr_assert_gt(server_port, 0);
    return t;
}

static void stop_server(corio_task *t)
{
    intptr_t r;
    corio_task_cancel(t);
    corio_join(t, &r);
    cr_assert_eq(r, 0);
}

static corio_stream *dial(const char *host)
{
    corio_fd *f;
    corio_stream *s;
    cr_assert_eq(corio_tcp_connect(host, server_port, corio_now() + 5000, &f), 0);
    cr_assert_eq(corio_stream_open(f, &s), 0);
    return s;
}

static intptr_t echo_main(void *arg)
{
    (void)arg;
    corio_task *srv = start_server(NULL);
    corio_stream *a = dial("127.0.0.1"), *b = dial("localhost");
    char line[64];
    cr_assert_eq(corio_stream_write(a, "hello\nworld\n", 12, -1), 0);
    cr_assert_eq(corio_stream_write(b, "other\n", 6, -1), 0);
    cr_assert_eq(corio_stream_read_line(a, line, sizeof line, -1), 6);
    cr_assert_eq(memcmp(line, "hello\n", 6), 0);
    cr_assert_eq(corio_stream_read_line(a, line, sizeof line, -1), 6);
    cr_assert_eq(memcmp(line, "world\n", 6), 0);
    cr_assert_eq(corio_stream_read_line(b, line, sizeof line, -1), 6);
    cr_assert_eq(memcmp(line, "other\n", 6), 0);
    corio_stream_close(a);
    corio_stream_close(b);
    stop_server(srv);
    return 0;
}

Test(net, echo_over_serve_tcp, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(echo_main, NULL), 0);
}

/* --- big transfers, both ways at once ------------------------------------ */

#define BIG (1u << 20)

static intptr_t writer(void *arg)
{
    corio_stream *s = arg;
    unsigned char *buf = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        buf[i] = (unsigned char)(i * 31 + i / 4096);
    int rc = corio_stream_write(s, buf, BIG, -1);
    free(buf);
    if (rc == 0)
        rc = corio_stream_shutdown_write(s);
    return rc;
}

static intptr_t big_main(void *arg)
{
    (void)arg;
    corio_task *srv = start_server(NULL);
    corio_stream *s = dial("127.0.0.1");
    corio_task *w;
    corio_spawn(NULL, writer, s, &w); /* writing and reading at once: no deadlock */
    unsigned char *got = malloc(BIG + 1);
    cr_assert_eq(corio_stream_read_exactly(s, got, BIG, -1), 0);
    for (size_t i = 0; i < BIG; i++)
        cr_assert_eq(got[i], (unsigned char)(i * 31 + i / 4096), "byte %zu", i);
    cr_assert_eq(corio_stream_read(s, got, 1, -1), 0, "the half close came back as end of stream");
    free(got);
    intptr_t r;
    corio_join(w, &r);
    cr_assert_eq(r, 0);
    corio_stream_close(s);
    stop_server(srv);
    return 0;
}

Test(net, one_mebibyte_both_ways_and_half_close, .timeout = 30, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(big_main, NULL), 0);
}

/* --- limits, resets, refused, timeouts ------------------------------------ */

static intptr_t no_newline(corio_stream *s, void *arg)
{
    (void)arg;
    char junk[100];
    memset(junk, 'x', sizeof junk);
    corio_stream_write(s, junk, sizeof junk, -1);
    char b;
    corio_stream_read(s, &b, 1, -1); /* until the client closes */
    return 0;
}

static intptr_t limit_main(void *arg)
{
    (void)arg;
    corio_task *srv = start_server(no_newline);
    corio_stream *s = dial("127.0.0.1");
    char buf[128];
    cr_assert_eq(corio_stream_read_line(s, buf, 10, -1), -EMSGSIZE);
    cr_assert_eq(corio_stream_read(s, buf, sizeof buf, -1), 10, "the 10 bytes stay readable");
    cr_assert_eq(corio_stream_read_line(s, buf, 0, -1), -EINVAL);
    cr_assert_eq(corio_stream_read(s, NULL, 5, -1), -EINVAL);
    cr_assert_eq(corio_stream_read_line(s, buf, 2, corio_now() + 1), -EMSGSIZE);
    corio_stream_close(s);
    stop_server(srv);
    return 0;
}

Test(net, read_line_limit, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(limit_main, NULL), 0);
}

static intptr_t resetter(corio_stream *s, void *arg)
{
    (void)arg;
    struct linger lg = {1, 0};
    setsockopt(corio_fd_fileno(corio_stream_fd(s)), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    corio_stream_write(s, "partial", 7, -1);
    return 0; /* serve closes it: with linger 0, a reset */
}

static intptr_t reset_main(void *arg)
{
    (void)arg;
    corio_task *srv = start_server(resetter);
    corio_stream *s = dial("127.0.0.1");
    char buf[64];
    ssize_t n = corio_stream_read(s, buf, 7, -1);
    cr_assert(n == 7 || n == -ECONNRESET, "got %zd", n);
    corio_sleep(10);
    n = corio_stream_read(s, buf, sizeof buf, -1);
    cr_assert_eq(n, -ECONNRESET);
    corio_stream_close(s);
    stop_server(srv);
    return 0;
}

Test(net, peer_reset_mid_read, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(reset_main, NULL), 0);
}

static intptr_t refused_main(void *arg)
{
    (void)arg;
    corio_fd *l, *c;
    corio_tcp_listen("127.0.0.1", 0, 0, &l);
    int port = corio_tcp_local_port(l);
    corio_fd_close(l);
    cr_assert_eq(corio_tcp_connect("127.0.0.1", port, -1, &c), -ECONNREFUSED);
    cr_assert_eq(corio_tcp_connect("127.0.0.1", 0, -1, &c), -EINVAL);
    cr_assert_eq(corio_tcp_connect("127.0.0.1", 70000, -1, &c), -EINVAL);
    cr_assert_eq(corio_tcp_connect(NULL, 80, -1, &c), -EINVAL);
    int rc = corio_tcp_connect("no-such-host.invalid", 80, corio_now() + 5000, &c);
    cr_assert(rc == -ENOENT || rc == -EAGAIN, "got %d", rc);
    cr_assert_eq(corio_tcp_listen("127.0.0.1", -2, 0, &l), -EINVAL);
    return 0;
}

Test(net, refused_and_bad_input, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(refused_main, NULL), 0);
}

/* A listener that never accepts, with its backlog full: connects hang. */
static intptr_t timeout_main(void *arg)
{
    (void)arg;
    corio_fd *l, *held[8] = {0}, *c;
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 1, &l), 0);
    int port = corio_tcp_local_port(l), nheld = 0, rc = 0;
    int64_t t0 = 0;
    for (int i = 0; i < 8; i++) {
        t0 = corio_now();
        rc = corio_tcp_connect("127.0.0.1", port, corio_now() + 200, &held[nheld]);
        if (rc < 0)
            break;
        nheld++;
    }
    cr_assert_eq(rc, -ETIMEDOUT, "once the backlog is full, connect waits and times out");
    cr_assert_geq(corio_now() - t0, 200);
    for (int i = 0; i < nheld; i++)
        corio_fd_close(held[i]);
    corio_fd_close(l);
    (void)c;
    return 0;
}

Test(net, connect_deadline, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(timeout_main, NULL), 0);
}
