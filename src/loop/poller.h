/* The loop's readiness poller behind one interface (libuv's uv__io_poll
 * shape). epoll is the only backend so far; io_uring comes with the I/O
 * layer. */
#ifndef CORIO_LOOP_POLLER_H
#define CORIO_LOOP_POLLER_H

#include <stdint.h>

typedef struct corio__poller {
    int fd;       /* the epoll instance */
    unsigned nfd; /* registered descriptors: with none, polling is skipped */
} corio__poller;

int corio__poller_init(corio__poller *p);
void corio__poller_destroy(corio__poller *p);

/* Waits up to timeout_ns (-1: forever, 0: just look) for readiness and
 * dispatches what it finds. Returns events handled or a negative errno;
 * an interrupted wait is not an error. */
int corio__poller_wait(corio__poller *p, int64_t timeout_ns);

#endif
