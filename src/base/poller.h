/* The loop's readiness poller behind one interface (libuv's uv__io_poll
 * shape): descriptors are watched through corio__io records whose ready
 * callback the poller calls. Two backends, chosen when the loop starts:
 * epoll (poller_epoll.c) and io_uring poll requests (poller_uring.c). Both
 * take and report epoll's bits: EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLERR,
 * EPOLLHUP; a watch is edge-triggered with EPOLLET, one-shot with
 * EPOLLONESHOT (it stays registered, silent, until deleted), level-triggered
 * otherwise. */
#ifndef CORIO_LOOP_POLLER_H
#define CORIO_LOOP_POLLER_H

#include <stdbool.h>
#include <stdint.h>

#include <corio/run.h>

typedef struct corio__io corio__io;
struct corio__io {
    int fd;
    void (*ready)(corio__io *io, uint32_t events); /* EPOLLIN, EPOLLOUT, ... */
    struct corio__watch *watch;                    /* io_uring's record of the registration */
};

typedef struct corio__uring corio__uring;

typedef struct corio__poller {
    int fd;             /* the epoll instance; -1 with io_uring */
    corio__uring *ring; /* io_uring's state; NULL with epoll */
    unsigned nfd;       /* watched descriptors that count as work (not the wake-up fd) */
} corio__poller;

/* Starts the backend asked for. CORIO_BACKEND_DEFAULT follows the
 * environment variable CORIO_BACKEND ("epoll" or "io_uring") and falls back
 * on epoll when io_uring cannot start; an explicit CORIO_BACKEND_IO_URING
 * does not fall back: io_uring's error is returned. */
int corio__poller_init(corio__poller *p, corio_backend backend);

int corio__epoll_init(corio__poller *p);
void corio__epoll_destroy(corio__poller *p);
int corio__epoll_add(corio__poller *p, corio__io *io, uint32_t events, bool counted);
int corio__epoll_del(corio__poller *p, corio__io *io, bool counted);
int corio__epoll_wait(corio__poller *p, int64_t timeout_ns);

int corio__uring_init(corio__poller *p);
void corio__uring_destroy(corio__poller *p);
int corio__uring_add(corio__poller *p, corio__io *io, uint32_t events, bool counted);
int corio__uring_del(corio__poller *p, corio__io *io, bool counted);
int corio__uring_wait(corio__poller *p, int64_t timeout_ns);

static inline void corio__poller_destroy(corio__poller *p)
{
    if (p->ring)
        corio__uring_destroy(p);
    else
        corio__epoll_destroy(p);
}

/* Starts watching io->fd for events. counted: whether it keeps the loop
 * polling (the loop's own wake-up descriptor does not). */
static inline int corio__poller_add(corio__poller *p, corio__io *io, uint32_t events, bool counted)
{
    return p->ring ? corio__uring_add(p, io, events, counted)
                   : corio__epoll_add(p, io, events, counted);
}

/* Stops watching: io's ready callback is not called again, and io may be
 * freed and its descriptor closed as soon as this returns. */
static inline int corio__poller_del(corio__poller *p, corio__io *io, bool counted)
{
    return p->ring ? corio__uring_del(p, io, counted) : corio__epoll_del(p, io, counted);
}

/* Waits up to timeout_ns (-1: forever, 0: just look) for readiness and
 * calls the ready callbacks. Returns events handled or a negative errno;
 * an interrupted wait is not an error. */
static inline int corio__poller_wait(corio__poller *p, int64_t timeout_ns)
{
    return p->ring ? corio__uring_wait(p, timeout_ns) : corio__epoll_wait(p, timeout_ns);
}

#endif
