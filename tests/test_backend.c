/* The poller backends: choosing one, and what the I/O layer relies on from
 * either: a closed descriptor is closed at once, and a watch removed with its
 * descriptor hears nothing more, even when the number comes back at once. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
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
