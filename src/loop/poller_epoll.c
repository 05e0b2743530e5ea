#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "poller.h"

int corio__poller_init(corio__poller *p)
{
    p->nfd = 0;
    p->fd = epoll_create1(EPOLL_CLOEXEC);
    return p->fd < 0 ? -errno : 0;
}

void corio__poller_destroy(corio__poller *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}

int corio__poller_wait(corio__poller *p, int64_t timeout_ns)
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
    /* No descriptor is registered yet (the I/O layer adds them): nothing to
     * dispatch, the wait itself is what the loop needs. */
    return n;
}
