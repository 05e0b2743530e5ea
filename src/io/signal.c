/* Signals through signalfd: the waiting task parks on the poller like any
 * reader. */
#include <errno.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <corio/cancel.h>
#include <corio/future.h>
#include <corio/io.h>
#include <corio/signal.h>
#include <corio/task.h>
#include "../base/misuse.h"

int corio_signal_wait(const sigset_t *set, int64_t deadline)
{
    CORIO__MISUSE_IF(!set, "the set is NULL");
    CORIO__MISUSE_IF(!corio_current(), "called outside a task");
    sigset_t old;
    int rc = pthread_sigmask(SIG_BLOCK, set, &old);
    if (rc)
        return -rc;
    corio_fd *f;
    int fd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
    rc = fd < 0 ? -errno : corio_fd_open(fd, &f);
    if (rc == 0) {
        struct signalfd_siginfo si;
        ssize_t n = corio_fd_read(f, &si, sizeof si, deadline);
        rc = n == (ssize_t)sizeof si ? (int)si.ssi_signo : n < 0 ? (int)n : -EIO;
        corio_fd_close(f);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static intptr_t wait_shutdown_signal(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return corio_signal_wait(&set, -1);
}

int corio_signal_wait_shutdown(corio_task *t)
{
    corio_task *sig;
    CORIO__MISUSE_IF(!t, "the task is NULL");
    static const corio_spawn_opts opts = {.name = "signal watcher"};
    int rc = corio_spawn_ex(NULL, wait_shutdown_signal, NULL, &opts, &sig);
    if (rc < 0)
        return rc;
    corio_future *fs[2] = {corio_task_future(sig), corio_task_future(t)};
    rc = corio_wait(fs, 2, CORIO_FIRST_COMPLETED, -1);
    intptr_t signo = 0;
    if (corio_future_done(fs[0]) && corio_future_result(fs[0]) > 0) {
        signo = corio_future_result(fs[0]);
        corio_task_cancel(t);
    }
    corio_task_cancel(sig);
    corio_join(sig, NULL, -1);
    corio_task_release(sig);
    return rc < 0 ? rc : (int)signo;
}
