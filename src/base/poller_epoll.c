/* The epoll backend: one epoll instance whose events carry the corio__io. */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "poller.h"

int corio__epoll_init(corio__poller *p)
{
    p->nfd = 0;
    p->fd = epoll_create1(EPOLL_CLOEXEC);
    return p->fd < 0 ? -errno : 0;
}

void corio__epoll_destroy(corio__poller *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}

int corio__epoll_add(corio__poller *p, corio__io *io, uint32_t events, bool counted)
{
    struct epoll_event ev = {.events = events, .data.ptr = io};
    if (epoll_ctl(p->fd, EPOLL_CTL_ADD, io->fd, &ev) < 0)
        return -errno;
    p->nfd += counted;
    return 0;
}

int corio__epoll_del(corio__poller *p, corio__io *io, bool counted)
{
    if (epoll_ctl(p->fd, EPOLL_CTL_DEL, io->fd, NULL) < 0)
        return -errno;
    p->nfd -= counted;
    return 0;
}

int corio__epoll_wait(corio__poller *p, int64_t timeout_ns)
{
    struct epoll_event ev[64];
    int ms;
    if (timeout_ns < 0)
        ms = -1;
    else if (timeout_ns > (int64_t)INT32_MAX * 1000000)
        ms = INT32_MAX;
    else /* round up: waking early would only spin until the deadline */
        ms = (int)((timeout_ns + 999999) / 1000000);
    int n = epoll_wait(p->fd, ev, 64, ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        corio__io *io = ev[i].data.ptr;
        io->ready(io, ev[i].events);
    }
    return n;
}
