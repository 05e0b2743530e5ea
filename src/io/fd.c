/* corio_fd: a descriptor registered once, edge-triggered, with readiness
 * bits that reads and writes clear when the kernel says EAGAIN. Events are
 * dispatched only by the scheduler context, so no event can slip in between
 * a task's EAGAIN and its clearing of the bit: the next edge is reported by
 * the next poll. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corio/io.h>

#include "../core/sched.h"
#include "fdwait.h"
#include "fd.h"

struct corio_fd {
    corio__io io;
    corio__loop *loop;
    uint32_t ready;   /* EPOLLIN / EPOLLOUT seen since the last EAGAIN */
    uint32_t drained; /* EAGAIN or a short transfer since the last EPOLLIN / EPOLLOUT */
    bool socket;      /* use send(MSG_NOSIGNAL) */
    bool hup;         /* the peer closed or the descriptor failed */
    bool reset;       /* ... and not just its sending side (EPOLLHUP, EPOLLERR) */
    corio__waitq readers, writers;
    void (*on_hup)(void *arg, bool reset);
    void *hup_arg;
    void (*on_readable)(void *arg);
    void *readable_arg;
};

static void on_ready(corio__io *io, uint32_t events)
{
    corio_fd *f = (corio_fd *)io;
    /* An error or hang-up makes both directions "ready": the next call
     * reports it. */
    if (events & (EPOLLERR | EPOLLHUP))
        events |= EPOLLIN | EPOLLOUT;
    if (events & EPOLLRDHUP)
        events |= EPOLLIN;
    if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
        f->hup = true;
    if (events & (EPOLLERR | EPOLLHUP))
        f->reset = true;
    if (f->on_hup && (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)))
        f->on_hup(f->hup_arg, f->reset);
    f->ready |= events & (EPOLLIN | EPOLLOUT);
    f->drained &= ~(events & (EPOLLIN | EPOLLOUT));
    if (events & EPOLLIN)
        corio__waitq_wake_all(f->loop, &f->readers, 0);
    if (events & EPOLLOUT)
        corio__waitq_wake_all(f->loop, &f->writers, 0);
    if (f->on_readable && (events & EPOLLIN))
        f->on_readable(f->readable_arg);
}

/* Registers fd, nonblocking already, with the calling loop's poller. */
static int fd_register(corio__loop *l, int fd, bool socket, corio_fd **out)
{
    corio_fd *f = calloc(1, sizeof *f);
    if (!f) {
        close(fd);
        return -ENOMEM;
    }
    f->socket = socket;
    f->io.fd = fd;
    f->io.ready = on_ready;
    f->loop = l;
    corio__waitq_init(&f->readers);
    corio__waitq_init(&f->writers);
    int rc = corio__poller_add(&l->poller, &f->io, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, true);
    if (rc < 0) {
        close(fd);
        free(f);
        return rc;
    }
    *out = f;
    return 0;
}

int corio_fd_open(int fd, corio_fd **out)
{
    corio__loop *l = CORIO__LOOP();
    int rc = 0;
    if (!out || fd < 0)
        rc = -EBADF;
    int flags = rc ? -1 : fcntl(fd, F_GETFL);
    if (!rc && (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0))
        rc = -errno;
    if (rc) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    int type;
    socklen_t tlen = sizeof type;
    return fd_register(l, fd, getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0, out);
}

int corio__fd_open_socket(int fd, corio_fd **out)
{
    corio__loop *l = corio__loop_get();
    if (!l) {
        close(fd);
        corio__misuse(__func__, "called outside a loop's thread");
    }
    return fd_register(l, fd, true, out);
}

int corio_fd_close(corio_fd *f)
{
    if (!f)
        return 0;
    corio__poller_del(&f->loop->poller, &f->io, true);
    corio__waitq_wake_all(f->loop, &f->readers, -EBADF);
    corio__waitq_wake_all(f->loop, &f->writers, -EBADF);
    int rc = close(f->io.fd) < 0 && errno != EINTR ? -errno : 0;
    free(f);
    return rc;
}

int corio_fd_fileno(const corio_fd *f)
{
    return f ? f->io.fd : -EBADF;
}

/* Parks until the bit is set again (after a read or write cleared it). */
static int wait_bit(corio__loop *l, corio_fd *f, uint32_t bit, int64_t deadline)
{
    if (f->ready & bit)
        return corio__cancelled(l, l->current);
    corio__waitq *q = bit == EPOLLIN ? &f->readers : &f->writers;
    return corio__wait_rc(corio__waitq_park(l, q, bit == EPOLLIN ? "read fd %lld" : "write fd %lld",
                                            f->io.fd, corio__deadline_ns(deadline)));
}

int corio_fd_wait(corio_fd *f, unsigned events, int64_t deadline)
{
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__MISUSE_IF(!f, "the fd is NULL");
    CORIO__MISUSE_IF(f->loop != l, "an fd of another loop");
    if (!(events & (CORIO_READ | CORIO_WRITE)))
        return -EINVAL;
    if ((events & CORIO_READ) && (f->ready & EPOLLIN))
        return 0;
    if ((events & CORIO_WRITE) && (f->ready & EPOLLOUT))
        return 0;
    return wait_bit(l, f, events & CORIO_READ ? EPOLLIN : EPOLLOUT, deadline);
}

int corio__fd_wait_again(corio_fd *f, unsigned events, int64_t deadline)
{
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__MISUSE_IF(f->loop != l, "an fd of another loop");
    uint32_t bit = events & CORIO_READ ? EPOLLIN : EPOLLOUT;
    f->ready &= ~bit;
    return wait_bit(l, f, bit, deadline);
}

/* One read or write, waiting for readiness while the kernel says EAGAIN. */
static ssize_t transfer(corio_fd *f, void *buf, size_t len, int64_t deadline, bool out)
{
    const char *func = out ? "corio_fd_write" : "corio_fd_read"; /* for misuse messages */
    corio__loop *l = corio__task_loop_or_die(func);
    if (!f)
        corio__misuse(func, "the fd is NULL");
    if (f->loop != l)
        corio__misuse(func, "an fd of another loop");
    if (!buf && len)
        return -EFAULT;
    uint32_t bit = out ? EPOLLOUT : EPOLLIN;
    for (;;) {
        /* Known empty (or full): the edge-triggered poller says when that
         * changes, so the system call that would say EAGAIN is skipped. */
        if (f->drained & bit) {
            int rc = wait_bit(l, f, bit, deadline);
            if (rc < 0)
                return rc;
        }
        ssize_t n = !out        ? read(f->io.fd, buf, len)
                    : f->socket ? send(f->io.fd, buf, len, MSG_NOSIGNAL)
                                : write(f->io.fd, buf, len);
        if (n >= 0) {
            /* A short transfer emptied the receive buffer (or filled the send
             * buffer): any change from now on is a new edge. Not so once the
             * peer has closed: no edge would announce the end of file. */
            if ((size_t)n < len && n > 0 && !f->hup) {
                f->ready &= ~bit;
                f->drained |= bit;
            }
            return n;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        f->ready &= ~bit;
        f->drained |= bit;
    }
}

void corio__fd_on_hup(corio_fd *f, void (*fn)(void *arg, bool reset), void *arg)
{
    f->on_hup = fn;
    f->hup_arg = arg;
    if (fn && f->hup)
        fn(arg, f->reset);
}

void corio__fd_on_readable(corio_fd *f, void (*fn)(void *arg), void *arg)
{
    f->on_readable = fn;
    f->readable_arg = arg;
}

void corio__fd_note_eagain(corio_fd *f, unsigned events)
{
    if (f->hup)
        return; /* the end of file stays to be read: no edge would announce it again */
    uint32_t bits = (events & CORIO_READ ? EPOLLIN : 0) | (events & CORIO_WRITE ? EPOLLOUT : 0);
    f->ready &= ~bits;
    f->drained |= bits;
}

bool corio__fd_hup(const corio_fd *f)
{
    return f->hup;
}

bool corio__fd_drained(const corio_fd *f, unsigned events)
{
    return f->drained & (events & CORIO_READ ? EPOLLIN : EPOLLOUT);
}

ssize_t corio_fd_read(corio_fd *f, void *buf, size_t len, int64_t deadline)
{
    return transfer(f, buf, len, deadline, false);
}

ssize_t corio_fd_write(corio_fd *f, const void *buf, size_t len, int64_t deadline)
{
    return transfer(f, (void *)buf, len, deadline, true);
}

int corio_fd_write_all(corio_fd *f, const void *buf, size_t len, int64_t deadline)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = corio_fd_write(f, p, len, deadline);
        if (n < 0)
            return (int)n;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int corio_wait_fd(int fd, unsigned events, int64_t deadline)
{
    corio__loop *l = CORIO__TASK_LOOP();
    if (fd < 0)
        return -EBADF;
    if (!(events & (CORIO_READ | CORIO_WRITE)))
        return -EINVAL;
    uint32_t ev = (events & CORIO_READ ? EPOLLIN : 0) | (events & CORIO_WRITE ? EPOLLOUT : 0);
    return corio__wait_rc(corio__wait_fd(l, fd, ev, corio__deadline_ns(deadline)));
}
