/* Choosing the poller backend when a loop starts. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corio/loop.h>

#include "log.h"
#include "poller.h"

int corio__poller_init(corio__poller *p, corio_backend backend)
{
    p->fd = -1;
    p->ring = NULL;
    p->nfd = 0;
    p->features = 0;
    switch (backend) {
    case CORIO_BACKEND_DEFAULT: {
        /* The environment is a preference, not a demand: a library must not
         * fail (or print) because the kernel or a sandbox says no. */
        const char *env = getenv("CORIO_BACKEND");
        if (env && strcmp(env, "io_uring") == 0) {
            int rc = corio__uring_init(p);
            if (rc == 0)
                return 0;
            static atomic_bool told;
            if (!atomic_exchange(&told, true))
                corio__log(CORIO_LOG_WARN, "loop", "CORIO_BACKEND=io_uring: %s; using epoll",
                           corio_strerror(rc));
        }
        return corio__epoll_init(p);
    }
    case CORIO_BACKEND_EPOLL:
        return corio__epoll_init(p);
    case CORIO_BACKEND_IO_URING:
        return corio__uring_init(p);
    }
    return -EINVAL;
}

int corio__poller_close(corio__poller *p, corio__io *io, bool counted, bool later)
{
    if (later && (p->features & CORIO_FEATURE_CLOSE))
        return corio__uring_close(p, io, counted);
    corio__poller_del(p, io, counted);
    return close(io->fd) < 0 && errno != EINTR ? -errno : 0;
}
