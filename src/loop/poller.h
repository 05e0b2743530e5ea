/* The loop's readiness poller behind one interface (libuv's uv__io_poll
 * shape): descriptors are watched through corio__io records whose ready
 * callback the poller calls. epoll is the only backend so far; io_uring comes
 * with the I/O layer. */
#ifndef CORIO_LOOP_POLLER_H
#define CORIO_LOOP_POLLER_H

#include <stdbool.h>
#include <stdint.h>

typedef struct corio__io corio__io;
struct corio__io {
    int fd;
    void (*ready)(corio__io *io, uint32_t events); /* EPOLLIN, EPOLLOUT, ... */
};

typedef struct corio__poller {
    int fd;       /* the epoll instance */
    unsigned nfd; /* watched descriptors that count as work (not the wake-up fd) */
} corio__poller;

int corio__poller_init(corio__poller *p);
void corio__poller_destroy(corio__poller *p);

/* Starts watching io->fd for events. counted: whether it keeps the loop
 * polling (the loop's own wake-up descriptor does not). */
int corio__poller_add(corio__poller *p, corio__io *io, uint32_t events, bool counted);
int corio__poller_del(corio__poller *p, corio__io *io, bool counted);

/* Waits up to timeout_ns (-1: forever, 0: just look) for readiness and
 * calls the ready callbacks. Returns events handled or a negative errno;
 * an interrupted wait is not an error. */
int corio__poller_wait(corio__poller *p, int64_t timeout_ns);

#endif
