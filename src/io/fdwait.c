#include <sys/epoll.h>

#include "fdwait.h"

typedef struct fd_waiter {
    corio__io io;
    corio_task *task;
    corio__loop *loop;
} fd_waiter;

static void ready(corio__io *io, uint32_t events)
{
    (void)events;
    fd_waiter *w = (fd_waiter *)io;
    if (w->task->state == CORIO__WAITING && w->task->wait_data == w)
        corio__wake(w->loop, w->task, 0);
}

int corio__wait_fd(corio__loop *l, int fd, uint32_t events, int64_t deadline_ns)
{
    int rc = corio__cancelled(l, l->current);
    if (rc)
        return rc;
    fd_waiter w = {{.fd = fd, .ready = ready}, l->current, l};
    /* One-shot registration for the length of this wait: the waiter lives
     * on this stack. */
    rc = corio__poller_add(&l->poller, &w.io, events | EPOLLONESHOT, true);
    if (rc < 0)
        return rc;
    l->current->wait_data = &w;
    rc = corio__park(l, "fd", fd, deadline_ns, NULL);
    l->current->wait_data = NULL;
    corio__poller_del(&l->poller, &w.io, true);
    return rc;
}
