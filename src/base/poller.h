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
#include <sys/socket.h>

#include <corio/run.h>

typedef struct corio__io corio__io;
struct corio__io {
    int fd;
    void (*ready)(corio__io *io, uint32_t events); /* EPOLLIN, EPOLLOUT, ... */
    struct corio__watch *watch;                    /* io_uring's record of the registration */
};

/* An operation on io_uring's data path (a send, a multishot accept): done
 * is called with each of its completions, from the wait, until one comes
 * with more false (IORING_CQE_F_MORE clear). The record, and any buffer the operation
 * names, must stay valid until then, cancelled or not; the poller's destroy
 * ends those still in flight with a last done(op, -ECANCELED, false, -1). */
typedef struct corio__op corio__op;
struct corio__op {
    /* buf: the provided buffer a receive filled (corio__uring_buf), or -1. */
    void (*done)(corio__op *op, int res, bool more, int buf);
    corio__op *prev, *next; /* the poller's, while in flight */
};

typedef struct corio__uring corio__uring;

typedef struct corio__poller {
    int fd;             /* the epoll instance; -1 with io_uring */
    corio__uring *ring; /* io_uring's state; NULL with epoll */
    unsigned nfd;       /* watched descriptors and operations in flight that count as work */
    unsigned features;  /* CORIO_FEATURE_* the ring offers (run.h); 0 with epoll */
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

/* The data path (io_uring only, each behind its CORIO_FEATURE_* bit). The
 * entries are queued, not submitted: the loop's next wait submits them all
 * in the system call that waits. Each returns 0 or a negative errno
 * (-EBUSY: no room in the submission queue even after submitting it). An
 * operation counts as work (nfd) until its last completion. */
/* send(fd, buf, len, MSG_NOSIGNAL) and sendmsg(fd, msg, MSG_NOSIGNAL): the
 * bytes (and msg with what it points to) must outlive the operation. */
int corio__uring_send(corio__poller *p, corio__op *op, int fd, const void *buf, size_t len,
                      int flags);
int corio__uring_sendmsg(corio__poller *p, corio__op *op, int fd, const struct msghdr *msg,
                         int flags);
/* A multishot accept4(fd, SOCK_NONBLOCK | SOCK_CLOEXEC): a completion per
 * connection (res: its descriptor), until an error or a cancel ends it. */
int corio__uring_accept(corio__poller *p, corio__op *op, int fd);
/* Asks the kernel to end op early: its last completion follows (res
 * -ECANCELED if nothing was done, else what was). */
int corio__uring_cancel(corio__poller *p, corio__op *op);
/* A multishot recv(fd) into the loop's provided buffers (CORIO_FEATURE_RECV):
 * a completion per arrival, res bytes in buffer buf, which is the caller's
 * until it gives it back; res 0 at end of file. It ends with -ENOBUFS when
 * every buffer is lent out (the caller reads by itself meanwhile). */
int corio__uring_recv(corio__poller *p, corio__op *op, int fd);
/* Buffer buf's bytes; and giving it back to the kernel's ring. */
char *corio__uring_buf(corio__poller *p, int buf);
void corio__uring_buf_put(corio__poller *p, int buf);
/* Watches io for events (as given to corio__uring_add) instead of what it
 * was: the change is queued with the rest, and the new watch reports the
 * readiness of the moment. 0 or a negative errno (the old watch stays). */
int corio__uring_rewatch(corio__poller *p, corio__io *io, uint32_t events);
/* corio__poller_close's io_uring half. */
int corio__uring_close(corio__poller *p, corio__io *io, bool counted);

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

/* Stops watching io (as corio__poller_del) and closes its descriptor. With
 * later and io_uring's CORIO_FEATURE_CLOSE both ride the loop's next wait
 * (IORING_OP_CLOSE after the cancel of the poll): the file is released by
 * the end of the scheduler's round rather than at once, and a close error
 * goes unseen. 0 or a negative errno from close(). */
int corio__poller_close(corio__poller *p, corio__io *io, bool counted, bool later);

/* Waits up to timeout_ns (-1: forever, 0: just look) for readiness and
 * calls the ready callbacks. Returns events handled or a negative errno;
 * an interrupted wait is not an error. */
static inline int corio__poller_wait(corio__poller *p, int64_t timeout_ns)
{
    return p->ring ? corio__uring_wait(p, timeout_ns) : corio__epoll_wait(p, timeout_ns);
}

#endif
