/* The poller backends: choosing one, and what the I/O layer relies on from
 * either: a closed descriptor is closed at once, and a watch removed with its
 * descriptor hears nothing more, even when the number comes back at once. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corio/corio.h>

#include "fdcheck.h"

static intptr_t backend_name(void *arg)
{
    *(const char **)arg = corio_loop_backend();
    return 0;
}

/* The backend this run is about: ctest runs this file with and without
 * CORIO_BACKEND=io_uring, and backend_main.c skips the io_uring run where
 * the kernel refuses it, so neither run passes on the other's poller. */
static corio_backend this_run(void)
{
    const char *env = getenv("CORIO_BACKEND");
    return env && !strcmp(env, "io_uring") ? CORIO_BACKEND_IO_URING : CORIO_BACKEND_EPOLL;
}

static void run_on(corio_backend backend, corio_fn *fn, void *arg)
{
    corio_config cfg = {.backend = backend};
    intptr_t rc = corio_run_ex(fn, arg, &cfg);
    cr_assert_eq(rc, 0, "%s on backend %d", corio_strerror((int)rc), backend);
}

Test(backend, reports_the_one_asked_for, .timeout = 10, .init = fd_check_start,
     .fini = fd_check_end)
{
    cr_assert_null(corio_loop_backend(), "no loop here");
    const char *name = NULL, *want = this_run() == CORIO_BACKEND_IO_URING ? "io_uring" : "epoll";
    run_on(this_run(), backend_name, &name);
    cr_assert_str_eq(name, want);
    /* The default follows CORIO_BACKEND. */
    name = NULL;
    cr_assert_eq(corio_run(backend_name, &name), 0);
    cr_assert_str_eq(name, want);

    corio_config bad = {.backend = (corio_backend)42};
    cr_assert_eq(corio_run_ex(backend_name, &name, &bad), -EINVAL);
}

/* The write end of a pipe, watched and closed: the reader sees end-of-file
 * at once, whether or not the loop polled in between (io_uring's poll
 * request holds the file until it is cancelled). */
static intptr_t close_main(void *arg)
{
    bool poll_first = arg != NULL;
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    corio_fd *w;
    cr_assert_eq(corio_fd_open(p[1], &w), 0);
    cr_assert_eq(corio_fd_write(w, "x", 1, -1), 1);
    if (poll_first)
        cr_assert_eq(corio_sleep(2), 0);
    cr_assert_eq(corio_fd_close(w), 0);
    char buf[4];
    cr_assert_eq(read(p[0], buf, sizeof buf), 1);
    cr_assert_eq(read(p[0], buf, sizeof buf), 0, "end of file, not a block");
    close(p[0]);
    return 0;
}

Test(backend, close_releases_the_file, .timeout = 10, .init = fd_check_start, .fini = fd_check_end)
{
    run_on(this_run(), close_main, NULL);
    run_on(this_run(), close_main, (void *)1);
}

static intptr_t reader(void *arg)
{
    char c;
    return corio_fd_read(arg, &c, 1, -1);
}

/* A watched descriptor becomes readable and is closed before the loop hears
 * of it; its number, reused at once, must not inherit that readiness. */
static intptr_t reuse_main(void *arg)
{
    (void)arg;
    int a[2], b[2];
    cr_assert_eq(pipe2(a, O_CLOEXEC), 0);
    corio_fd *fa, *fb;
    cr_assert_eq(corio_fd_open(a[0], &fa), 0);
    corio_task *t;
    cr_assert_eq(corio_spawn(NULL, reader, fa, &t), 0);
    cr_assert_eq(corio_sleep(2), 0); /* the reader waits; the watch is in the kernel */
    cr_assert_eq(write(a[1], "x", 1), 1);
    int num = a[0];
    cr_assert_eq(corio_fd_close(fa), 0);
    close(a[1]);
    intptr_t result;
    cr_assert_eq(corio_join(t, &result, -1), 0);
    cr_assert_eq(result, -EBADF, "closed under the reader");
    corio_task_release(t);

    cr_assert_eq(pipe2(b, O_CLOEXEC), 0);
    cr_assert_eq(b[0], num, "the number comes back");
    cr_assert_eq(corio_fd_open(b[0], &fb), 0);
    cr_assert_eq(corio_fd_wait(fb, CORIO_READ, corio_now() + 30), -ETIMEDOUT,
                 "nothing to read in the new pipe");
    cr_assert_eq(write(b[1], "y", 1), 1);
    cr_assert_eq(corio_fd_wait(fb, CORIO_READ, corio_now() + 1000), 0);
    cr_assert_eq(corio_fd_close(fb), 0);
    close(b[1]);
    return 0;
}

Test(backend, no_stale_readiness_for_a_reused_number, .timeout = 10, .init = fd_check_start,
     .fini = fd_check_end)
{
    run_on(this_run(), reuse_main, NULL);
}

/* --- the data path: what either backend must keep, whichever of io_uring's
 * features carries it (corio_loop_features) ------------------------------- */

static intptr_t features_main(void *arg)
{
    *(int *)arg = corio_loop_features();
    return 0;
}

Test(backend, features_are_reported, .timeout = 10)
{
    cr_assert_eq(corio_loop_features(), -ESRCH, "no loop here");
    int f = -1;
    run_on(this_run(), features_main, &f);
    if (this_run() == CORIO_BACKEND_EPOLL)
        cr_assert_eq(f, 0);
    else
        cr_assert_eq(f & ~(CORIO_FEATURE_SEND | CORIO_FEATURE_ACCEPT | CORIO_FEATURE_CLOSE |
                           CORIO_FEATURE_RECV),
                     0, "%#x", (unsigned)f);
}

/* A connected pair over loopback TCP: the server end from corio_tcp_accept
 * (so a multishot accept where there is one), the client end too. */
static void tcp_pair(corio_fd **server, corio_fd **client)
{
    corio_fd *l;
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 16, &l), 0);
    cr_assert_eq(
        corio_tcp_connect("127.0.0.1", corio_tcp_local_port(l), client, corio_now() + 5000), 0);
    cr_assert_eq(corio_tcp_accept(l, server, corio_now() + 5000), 0);
    cr_assert_eq(corio_fd_close(l), 0);
}

/* Writes to a peer that does not read until a write cannot finish. */
static void fill(corio_fd *f)
{
    static char big[1 << 16];
    for (;;) {
        ssize_t n = corio_fd_write(f, big, sizeof big, corio_now() + 50);
        if (n == -ETIMEDOUT)
            return;
        cr_assert_gt(n, 0, "%s", corio_strerror((int)n));
    }
}

static intptr_t blocked_writer(void *arg)
{
    static char big[1 << 16];
    return corio_fd_write(arg, big, sizeof big, -1);
}

/* A write the peer leaves hanging ends by its deadline, by a cancel and by a
 * close from another task; each time the kernel gives the bytes back (the
 * writer's stack buffer stays valid until it does: AddressSanitizer), and
 * the connection still carries what was written. */
static intptr_t blocked_main(void *arg)
{
    (void)arg;
    corio_fd *s, *c;
    tcp_pair(&s, &c);
    fill(s);

    corio_task *t;
    intptr_t result;
    cr_assert_eq(corio_spawn(NULL, blocked_writer, s, &t), 0);
    cr_assert_eq(corio_sleep(5), 0);
    corio_task_cancel(t);
    cr_assert_eq(corio_join(t, &result, corio_now() + 5000), 0);
    cr_assert_eq(result, -ECANCELED);
    corio_task_release(t);

    cr_assert_eq(corio_spawn(NULL, blocked_writer, s, &t), 0);
    cr_assert_eq(corio_sleep(5), 0);
    cr_assert_eq(corio_fd_close(s), 0);
    cr_assert_eq(corio_join(t, &result, corio_now() + 5000), 0);
    cr_assert_eq(result, -EBADF, "closed under the writer");
    corio_task_release(t);

    /* The peer reads what went before, then the end. */
    char buf[1 << 16];
    ssize_t n;
    size_t total = 0;
    while ((n = corio_fd_read(c, buf, sizeof buf, corio_now() + 5000)) > 0)
        total += (size_t)n;
    cr_assert_eq(n, 0, "%s", corio_strerror((int)n));
    cr_assert_gt(total, 0);
    cr_assert_eq(corio_fd_close(c), 0);
    return 0;
}

Test(backend, a_blocked_write_ends_by_deadline_cancel_or_close, .timeout = 20,
     .init = fd_check_start, .fini = fd_check_end)
{
    run_on(this_run(), blocked_main, NULL);
}

/* A connection closed by the server: the client sees the end of file, and
 * the descriptor is gone once the loop has ended (a batched close is
 * submitted before the loop lets go of its ring). */
static intptr_t close_conn_main(void *arg)
{
    (void)arg;
    corio_fd *s, *c;
    tcp_pair(&s, &c);
    cr_assert_eq(corio_fd_write(s, "bye", 3, -1), 3);
    cr_assert_eq(corio_fd_close(s), 0);
    char buf[8];
    cr_assert_eq(corio_fd_read(c, buf, sizeof buf, corio_now() + 5000), 3);
    cr_assert_eq(corio_fd_read(c, buf, sizeof buf, corio_now() + 5000), 0);
    cr_assert_eq(corio_fd_close(c), 0);
    /* The last close is left for the loop's end to submit. */
    tcp_pair(&s, &c);
    cr_assert_eq(corio_fd_close(c), 0);
    cr_assert_eq(corio_fd_close(s), 0);
    return 0;
}

Test(backend, connections_close, .timeout = 10, .init = fd_check_start, .fini = fd_check_end)
{
    run_on(this_run(), close_conn_main, NULL);
}

/* Accepts: a deadline with no one connecting; several connections waiting
 * at once, taken one by one, with TCP_NODELAY; a listener closed with connections that no
 * accept took (a multishot accept may hold them already: they are closed). */
static intptr_t accept_main(void *arg)
{
    (void)arg;
    corio_fd *l, *c[4], *s;
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 16, &l), 0);
    int port = corio_tcp_local_port(l);
    cr_assert_eq(corio_tcp_accept(l, &s, corio_now() + 20), -ETIMEDOUT);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(corio_tcp_connect("127.0.0.1", port, &c[i], corio_now() + 5000), 0);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(corio_tcp_accept(l, &s, corio_now() + 5000), 0);
        int on = 0;
        socklen_t len = sizeof on;
        cr_assert_eq(getsockopt(corio_fd_fileno(s), IPPROTO_TCP, TCP_NODELAY, &on, &len), 0);
        cr_assert_eq(on, 1, "accepted connections do not wait to fill segments");
        cr_assert_eq(corio_fd_write(s, "x", 1, -1), 1);
        cr_assert_eq(corio_fd_close(s), 0);
    }
    cr_assert_eq(corio_sleep(5), 0); /* the other two reach a multishot accept, if any */
    cr_assert_eq(corio_fd_close(l), 0);
    for (int i = 0; i < 4; i++) {
        char buf[4];
        ssize_t n = corio_fd_read(c[i], buf, sizeof buf, corio_now() + 5000);
        cr_assert(n == 1 || n == 0 || n == -ECONNRESET, "%zd", n);
        cr_assert_eq(corio_fd_close(c[i]), 0);
    }
    return 0;
}

Test(backend, accepts, .timeout = 10, .init = fd_check_start, .fini = fd_check_end)
{
    run_on(this_run(), accept_main, NULL);
}

/* More unread bytes than the loop has receive buffers for (io_uring lends
 * 2 MiB): the connections that find none read from their sockets instead,
 * every byte arrives once and in order, and a connection closed with bytes
 * unread gives its buffers back. */
#define FLOOD_CONNS 48
#define FLOOD_BYTES (64 * 1024)

static unsigned char flood_byte(int conn, size_t i)
{
    return (unsigned char)(conn * 31 + i * 7 + i / 4096);
}

static intptr_t flood_main(void *arg)
{
    (void)arg;
    static corio_fd *s[FLOOD_CONNS], *c[FLOOD_CONNS];
    static unsigned char buf[FLOOD_BYTES];
    corio_fd *l;
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, FLOOD_CONNS, &l), 0);
    int port = corio_tcp_local_port(l);
    for (int i = 0; i < FLOOD_CONNS; i++) {
        cr_assert_eq(corio_tcp_connect("127.0.0.1", port, &c[i], corio_now() + 5000), 0);
        cr_assert_eq(corio_tcp_accept(l, &s[i], corio_now() + 5000), 0);
        /* A first read: what arms a receive where there is one. */
        cr_assert_eq(corio_fd_write(c[i], "h", 1, -1), 1);
        cr_assert_eq(corio_fd_read(s[i], buf, 1, corio_now() + 5000), 1);
    }
    cr_assert_eq(corio_fd_close(l), 0);
    for (int i = 0; i < FLOOD_CONNS; i++) {
        for (size_t k = 0; k < FLOOD_BYTES; k++)
            buf[k] = flood_byte(i, k);
        cr_assert_eq(corio_fd_write_all(c[i], buf, FLOOD_BYTES, corio_now() + 5000), 0);
    }
    cr_assert_eq(corio_sleep(20), 0);        /* the receives take what they can */
    for (int i = 0; i < FLOOD_CONNS; i += 2) /* closed unread */
        cr_assert_eq(corio_fd_close(s[i]), 0);
    for (int i = 1; i < FLOOD_CONNS; i += 2) {
        size_t got = 0;
        while (got < FLOOD_BYTES) {
            ssize_t n = corio_fd_read(s[i], buf, 1000, corio_now() + 5000);
            cr_assert_gt(n, 0, "%s", corio_strerror((int)n));
            for (ssize_t k = 0; k < n; k++)
                cr_assert_eq(buf[k], flood_byte(i, got + (size_t)k), "conn %d byte %zu", i,
                             got + (size_t)k);
            got += (size_t)n;
        }
        cr_assert_eq(corio_fd_close(c[i]), 0);
        cr_assert_eq(corio_fd_read(s[i], buf, sizeof buf, corio_now() + 5000), 0);
        cr_assert_eq(corio_fd_close(s[i]), 0);
    }
    for (int i = 0; i < FLOOD_CONNS; i += 2)
        cr_assert_eq(corio_fd_close(c[i]), 0);
    return 0;
}

Test(backend, more_unread_than_receive_buffers, .timeout = 30, .init = fd_check_start,
     .fini = fd_check_end)
{
    run_on(this_run(), flood_main, NULL);
}
