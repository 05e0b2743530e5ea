/* corio_fd: a descriptor registered once, edge-triggered, with readiness
 * bits that reads and writes clear when the kernel says EAGAIN. Events are
 * dispatched only by the scheduler context, so no event can slip in between
 * a task's EAGAIN and its clearing of the bit: the next edge is reported by
 * the next poll. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <corio/io.h>
#include <corio/time.h>

#include "../base/ring.h"
#include "../core/sched.h"
#include "fdwait.h"
#include "fd.h"

struct corio_fd {
    corio__io io;
    corio__loop *loop;
    uint32_t ready;   /* EPOLLIN / EPOLLOUT seen since the last EAGAIN */
    uint32_t drained; /* EAGAIN or a short transfer since the last EPOLLIN / EPOLLOUT */
    bool socket;      /* use send(MSG_NOSIGNAL) */
    bool conn;        /* a connected socket: its close may wait for the loop's turn */
    bool nodelay;     /* a listener whose connections inherit TCP_NODELAY */
    bool hup;         /* the peer closed or the descriptor failed */
    bool reset;       /* ... and not just its sending side (EPOLLHUP, EPOLLERR) */
    bool reader;      /* registered for reading only (corio__fd_open_reader) */
    corio__waitq readers, writers;
    void (*on_hup)(void *arg, bool reset);
    void *hup_arg;
    void (*on_readable)(void *arg);
    void *readable_arg;
    struct ring_send *sends;    /* on the ring, in flight */
    struct accept_ring *accept; /* a listener's multishot accept */
    struct ring_recv *recv;     /* a socket's multishot receive */
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

/* What a descriptor is watched for, with EPOLLIN but while a receive on the
 * ring is armed: its completions bring the bytes, and a readiness report of
 * the same bytes would be handled twice. A reader (corio__fd_open_reader) is
 * never watched for writing. */
static uint32_t watch(const corio_fd *f)
{
    return (f->reader ? 0u : (uint32_t)EPOLLOUT) | EPOLLRDHUP | EPOLLET;
}

/* Registers fd, nonblocking already, with the calling loop's poller. */
static int fd_register(corio__loop *l, int fd, bool socket, uint32_t interest, corio_fd **out)
{
    /* Not calloc, which glibc serves past its per-thread cache: a server
     * registers a descriptor per connection. */
    corio_fd *f = malloc(sizeof *f);
    if (!f) {
        close(fd);
        return -ENOMEM;
    }
    *f = (corio_fd){.io = {.fd = fd, .ready = on_ready}, .loop = l, .socket = socket};
    corio__waitq_init(&f->readers);
    corio__waitq_init(&f->writers);
    f->reader = !(interest & EPOLLOUT);
    int rc = corio__poller_add(&l->poller, &f->io, watch(f) | (interest & EPOLLIN), true);
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
    return fd_register(l, fd, getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0,
                       EPOLLIN | EPOLLOUT, out);
}

int corio__fd_open_socket(int fd, corio_fd **out)
{
    corio__loop *l = corio__loop_get();
    if (!l) {
        close(fd);
        corio__misuse(__func__, "called outside a loop's thread");
    }
    int rc = fd_register(l, fd, true, EPOLLIN | EPOLLOUT, out);
    if (rc == 0) {
        (*out)->conn = true;
        /* Known empty until the poller says otherwise: registering it polls
         * it, so bytes there already are reported by the next wait. A new
         * connection's first read waits for that report rather than making
         * a system call that says EAGAIN when the client is slower than its
         * accept (most are). Not where reads go on the ring: there the first
         * read arms the receive, which brings the bytes without a report. */
        if (!(l->poller.features & CORIO_FEATURE_RECV))
            (*out)->drained = EPOLLIN;
    }
    return rc;
}

int corio__fd_open_reader(int fd, corio_fd **out)
{
    corio__loop *l = corio__loop_get();
    if (!l) {
        close(fd);
        corio__misuse(__func__, "called outside a loop's thread");
    }
    return fd_register(l, fd, true, EPOLLIN, out);
}

static void ring_sends_orphan(corio_fd *f);
static void accept_ring_orphan(corio_fd *f);
static void ring_recv_orphan(corio_fd *f);

int corio_fd_close(corio_fd *f)
{
    if (!f)
        return 0;
    ring_sends_orphan(f);
    accept_ring_orphan(f);
    ring_recv_orphan(f);
    corio__waitq_wake_all(f->loop, &f->readers, -EBADF);
    corio__waitq_wake_all(f->loop, &f->writers, -EBADF);
    /* A listener or a pipe is closed at once: a connect or a read that
     * expects it closed may follow in the same task. */
    int rc = corio__poller_close(&f->loop->poller, &f->io, true, f->conn);
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
    CORIO__MISUSE_IF(bit == EPOLLOUT && f->reader, "a wait to write on a read-only fd");
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

/* After a read or write of len that moved n bytes (or failed with -n):
 * EAGAIN or a short transfer emptied the receive buffer (or filled the send
 * buffer), so any change from now on is a new edge. Not so once the peer
 * has closed: no edge would announce the end of file. */
static void note_result(corio_fd *f, uint32_t bit, ssize_t n, size_t len)
{
    if (n == -EAGAIN || (n > 0 && (size_t)n < len && !f->hup)) {
        f->ready &= ~bit;
        f->drained |= bit;
    }
}

/* --- sends on the ring (CORIO_FEATURE_SEND) ------------------------------- */

/* A send queued on the loop's ring: the loop's next turn submits it with
 * every other connection's, in the call that waits. The task parks until
 * its completion; cancelled or out of time meanwhile, it cancels the send
 * and still waits for the completion, because the kernel holds its bytes
 * until then. The record lives on the task's stack. */
typedef struct ring_send {
    corio__op op;
    corio_fd *f; /* NULL once another task closed f meanwhile */
    corio_task *task;
    struct ring_send *next; /* f's sends in flight */
    size_t len;
    int res;
    bool done, parked;
} ring_send;

static void send_done(corio__op *op, int res, bool more, int buf)
{
    (void)more, (void)buf;
    ring_send *s = (ring_send *)op;
    s->res = res;
    s->done = true;
    if (s->f) {
        for (ring_send **pp = &s->f->sends; *pp; pp = &(*pp)->next)
            if (*pp == s) {
                *pp = s->next;
                break;
            }
        /* Now, not when the task runs: an EPOLLOUT reaped after this
         * completion but before the task runs is a newer edge. */
        note_result(s->f, EPOLLOUT, res, s->len);
    }
    /* Not if a cancel or the deadline woke it already: it is queued to run. */
    if (s->parked && s->task->state == CORIO__WAITING) {
        s->parked = false;
        corio__wake(s->task->loop, s->task, 0);
    }
}

static void ring_sends_orphan(corio_fd *f)
{
    for (ring_send *s = f->sends; s; s = s->next) {
        s->f = NULL;
        corio__uring_cancel(&f->loop->poller, &s->op);
    }
    f->sends = NULL;
}

#define RING_FULL ((ssize_t)INT32_MIN) /* the ring cannot: make the system call */

/* One send of msg's pieces on the ring: bytes sent, a negative errno or
 * RING_FULL. */
static ssize_t send_on_ring(corio__loop *l, corio_fd *f, struct msghdr *msg, size_t len, int flags,
                            int64_t deadline)
{
    ring_send s = {.op.done = send_done, .f = f, .task = l->current, .len = len};
    int rc = corio__cancelled(l, l->current);
    if (rc)
        return rc;
    rc = msg->msg_iovlen == 1
             ? corio__uring_send(&l->poller, &s.op, f->io.fd, msg->msg_iov[0].iov_base,
                                 msg->msg_iov[0].iov_len, flags)
             : corio__uring_sendmsg(&l->poller, &s.op, f->io.fd, msg, flags);
    if (rc < 0)
        return RING_FULL;
    s.next = f->sends;
    f->sends = &s;
    s.parked = true;
    int64_t ns = corio__deadline_ns(deadline);
    rc = ns >= 0 ? corio__park_slow(l, "write fd %lld", f->io.fd, ns, NULL)
                 : corio__park_now(l, "write fd %lld", f->io.fd, NULL);
    s.parked = false;
    if (!s.done) {
        corio__uring_cancel(&l->poller, &s.op);
        while (!s.done) {
            s.parked = true;
            corio__park_uncancellable(l, "write fd %lld", s.f ? s.f->io.fd : -1);
        }
    }
    if (!s.f)
        return -EBADF;
    if (s.res == -ECANCELED && rc < 0)
        return corio__wait_rc(rc);
    return s.res;
}

/* --- multishot accept (CORIO_FEATURE_ACCEPT) ----------------------------- */

/* Past this many connections accepted and not yet taken, the multishot
 * accept is cancelled: the rest wait in the kernel's backlog, as they do for
 * a server that stops accepting on epoll. */
#define ACCEPT_HIGH 64

/* A listener's multishot accept and the connections it brought that no
 * accept has taken yet. Freed at its last completion once the listener is
 * closed (or with the loop's poller). */
typedef struct accept_ring {
    corio__op op;
    corio_fd *f;     /* NULL once the listener is closed */
    corio__ring fds; /* of int */
    int err;         /* an error for the next accept */
    bool armed, stopping;
} accept_ring;

static void accept_free(accept_ring *a)
{
    for (unsigned i = 0; i < a->fds.n; i++)
        close(*(int *)corio__ring_at(&a->fds, i, sizeof(int)));
    corio__ring_free(&a->fds);
    free(a);
}

static void accept_done(corio__op *op, int res, bool more, int buf)
{
    (void)buf;
    accept_ring *a = (accept_ring *)op;
    if (!more)
        a->armed = a->stopping = false;
    corio_fd *f = a->f;
    if (!f) {
        if (res >= 0)
            close(res);
        if (!a->armed)
            accept_free(a);
        return;
    }
    if (res >= 0) {
        if (corio__ring_push(&a->fds, &res, sizeof res, 16) < 0) {
            close(res);
            res = -ENOMEM;
        } else if (a->fds.n >= ACCEPT_HIGH && a->armed && !a->stopping &&
                   corio__uring_cancel(&f->loop->poller, &a->op) == 0)
            a->stopping = true;
    }
    if (res == -EINVAL && a->fds.n == 0) { /* a kernel without multishot accepts */
        f->loop->poller.features &= ~CORIO_FEATURE_ACCEPT;
        corio__waitq_wake_all(f->loop, &f->readers, 0);
        return;
    }
    /* Ours, or a connection gone before it was taken: nothing to hand out.
     * An accept is still woken by the last completion, to arm it again:
     * connections left in the backlog would announce themselves no more. */
    if (res < 0 && res != -ECANCELED && res != -ECONNABORTED && res != -EINTR)
        a->err = res;
    else if (res < 0 && more)
        return;
    corio__waitq_wake_one(f->loop, &f->readers, 0);
}

static void accept_ring_orphan(corio_fd *f)
{
    accept_ring *a = f->accept;
    if (!a)
        return;
    f->accept = NULL;
    a->f = NULL;
    if (!a->armed) {
        accept_free(a);
        return;
    }
    if (!a->stopping)
        corio__uring_cancel(&f->loop->poller, &a->op);
    a->stopping = true;
}

int corio__fd_accept(corio_fd *f, int *fd, int64_t deadline)
{
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__MISUSE_IF(f->loop != l, "an fd of another loop");
    accept_ring *a = f->accept;
    if (!a) {
        if (!(l->poller.features & CORIO_FEATURE_ACCEPT))
            return -EOPNOTSUPP;
        a = f->accept = calloc(1, sizeof *a);
        if (!a)
            return -ENOMEM;
        a->op.done = accept_done;
        a->f = f;
    }
    for (;;) {
        if (a->fds.n) {
            *fd = *(int *)corio__ring_at(&a->fds, 0, sizeof(int));
            corio__ring_pop(&a->fds);
            return 0;
        }
        if (a->err) {
            int rc = a->err;
            a->err = 0;
            return rc;
        }
        if (!(l->poller.features & CORIO_FEATURE_ACCEPT))
            return -EOPNOTSUPP;
        if (!a->armed) {
            int rc = corio__uring_accept(&l->poller, &a->op, f->io.fd);
            if (rc < 0)
                return rc;
            a->armed = true;
        }
        int rc = corio__waitq_park(l, &f->readers, "accept fd %lld", f->io.fd,
                                   corio__deadline_ns(deadline));
        if (rc < 0)
            return corio__wait_rc(rc);
    }
}

/* --- receives on the ring (CORIO_FEATURE_RECV) --------------------------- */

/* A socket's multishot receive, armed by its first read, and the buffers it
 * filled that no read has taken yet: the loop's, lent until read, so a
 * connection with nothing unread holds none. Freed at its last completion
 * once the socket is closed. While it is armed every byte comes through it:
 * no read may go to the socket itself. */
typedef struct recv_piece {
    int buf;
    unsigned len, off;
} recv_piece;

typedef struct ring_recv {
    corio__op op;
    corio_fd *f; /* NULL once f is closed */
    corio__loop *loop;
    corio__ring q; /* of recv_piece */
    int err;       /* an error for the next read */
    bool armed, eof;
    bool starved; /* ended for want of buffers: the next read goes to the socket */
} ring_recv;

static void recv_free(ring_recv *r)
{
    for (; r->q.n; corio__ring_pop(&r->q))
        corio__uring_buf_put(&r->loop->poller,
                             ((recv_piece *)corio__ring_at(&r->q, 0, sizeof(recv_piece)))->buf);
    corio__ring_free(&r->q);
    free(r);
}

static void recv_done(corio__op *op, int res, bool more, int buf)
{
    ring_recv *r = (ring_recv *)op;
    corio_fd *f = r->f;
    if (!more) {
        r->armed = false;
        /* Failing, the watch would stay without EPOLLIN, and the socket's
         * own reads would wait for bytes never reported: the stream ends. */
        if (f && corio__uring_rewatch(&f->loop->poller, &f->io, watch(f) | EPOLLIN) < 0) {
            r->err = -ENOMEM;
            r->eof = true;
        }
    }
    if (res > 0 && buf >= 0 && f &&
        corio__ring_push(&r->q, &(recv_piece){buf, (unsigned)res, 0}, sizeof(recv_piece), 4) == 0)
        buf = -1; /* lent to f until read */
    if (buf >= 0)
        corio__uring_buf_put(&r->loop->poller, buf);
    if (!f) {
        if (!r->armed)
            recv_free(r);
        return;
    }
    if (res > 0 && buf >= 0) { /* bytes lost: the stream ends with the error */
        r->err = -ENOMEM;
        r->eof = true;
        if (r->armed)
            corio__uring_cancel(&r->loop->poller, &r->op);
    } else if (res == 0)
        r->eof = true;
    else if (res == -EINVAL && !r->q.n) /* a kernel without multishot receives */
        r->loop->poller.features &= ~CORIO_FEATURE_RECV;
    else if (res == -ENOBUFS) /* every buffer is lent out */
        r->starved = true;
    else if (res < 0 && res != -ECANCELED)
        r->err = res;
    f->ready |= EPOLLIN;
    f->drained &= ~EPOLLIN;
    corio__waitq_wake_all(r->loop, &f->readers, 0);
    /* A parked connection's bytes may come only this way: the readiness
     * report of the same bytes can precede its parking. */
    if (f->on_readable)
        f->on_readable(f->readable_arg);
}

static void ring_recv_orphan(corio_fd *f)
{
    ring_recv *r = f->recv;
    if (!r)
        return;
    f->recv = NULL;
    r->f = NULL;
    if (r->armed)
        corio__uring_cancel(&f->loop->poller, &r->op);
    else
        recv_free(r);
}

/* One read from f's receive: bytes, 0 at end of file, a negative errno,
 * -EAGAIN with nothing there yet (f is marked drained: its completion says
 * when), or RING_FULL when the receive is not armed and cannot be: the
 * caller reads from the socket itself. */
static ssize_t recv_from_ring(corio__loop *l, corio_fd *f, char *buf, size_t len)
{
    ring_recv *r = f->recv;
    if (!r) {
        r = f->recv = calloc(1, sizeof *r);
        if (!r)
            return RING_FULL;
        r->op.done = recv_done;
        r->f = f;
        r->loop = l;
    }
    size_t got = 0;
    while (r->q.n && got < len) {
        recv_piece *p = corio__ring_at(&r->q, 0, sizeof *p);
        size_t k = p->len - p->off < len - got ? p->len - p->off : len - got;
        memcpy(buf + got, corio__uring_buf(&l->poller, p->buf) + p->off, k);
        got += k;
        p->off += (unsigned)k;
        if (p->off == p->len) {
            corio__uring_buf_put(&l->poller, p->buf);
            corio__ring_pop(&r->q);
        }
    }
    if (!got) {
        if (r->err) {
            int rc = r->err;
            r->err = 0;
            return rc;
        }
        if (r->eof)
            return 0;
        if (!r->armed) {
            if (r->starved) { /* rather than arm it again at once for another -ENOBUFS */
                r->starved = false;
                return RING_FULL;
            }
            if (!(l->poller.features & CORIO_FEATURE_RECV) ||
                corio__uring_recv(&l->poller, &r->op, f->io.fd) < 0)
                return RING_FULL;
            r->armed = true;
            corio__uring_rewatch(&l->poller, &f->io, watch(f)); /* failing, reports come twice */
        }
    }
    if (!r->q.n && r->armed) { /* all read that came: the next completion is a new edge */
        f->ready &= ~EPOLLIN;
        f->drained |= EPOLLIN;
    }
    return got ? (ssize_t)got : -EAGAIN;
}

/* --- reads and writes ------------------------------------------------------ */

/* One system call: bytes moved or a negative errno. flags: a socket's send's
 * (MSG_MORE). A socket is read with recv, which skips read's file layer
 * (position lock, access notification): ~50 ns less per read here. */
static ssize_t sys_transfer(corio_fd *f, struct msghdr *msg, bool out, int flags)
{
    struct iovec *iov = msg->msg_iov;
    ssize_t n;
    if (msg->msg_iovlen == 1)
        n = !out        ? (f->socket ? recv(f->io.fd, iov->iov_base, iov->iov_len, 0)
                                     : read(f->io.fd, iov->iov_base, iov->iov_len))
            : f->socket ? send(f->io.fd, iov->iov_base, iov->iov_len, MSG_NOSIGNAL | flags)
                        : write(f->io.fd, iov->iov_base, iov->iov_len);
    else
        n = f->socket ? sendmsg(f->io.fd, msg, MSG_NOSIGNAL | flags)
                      : writev(f->io.fd, iov, (int)msg->msg_iovlen);
    return n < 0 ? -errno : n;
}

/* A deadline to be set timeout ms from the first wait (or ring send). */
#define LATER INT64_MIN

/* How a transfer goes: without waiting (-EAGAIN instead), or a socket's
 * send with MSG_MORE. */
enum { NOWAIT = 1, MORE = 2 };

/* One read, or one write of iov[0..n), waiting for readiness while the
 * kernel says EAGAIN. */
static ssize_t transfer(corio_fd *f, struct iovec *iov, int niov, int64_t deadline, int timeout,
                        bool out, unsigned how)
{
    const char *func = out ? "corio_fd_write" : "corio_fd_read"; /* for misuse messages */
    corio__loop *l = corio__task_loop_or_die(func);
    if (!f)
        corio__misuse(func, "the fd is NULL");
    if (f->loop != l)
        corio__misuse(func, "an fd of another loop");
    size_t len = 0;
    for (int i = 0; i < niov; i++) {
        if (!iov[i].iov_base && iov[i].iov_len)
            return -EFAULT;
        len += iov[i].iov_len;
    }
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
    /* Receives only on the connections corio made (accepted or connected
     * TCP): a datagram socket's reads must not run its datagrams together,
     * and a descriptor a library also reads by itself (libpq's) must not
     * have its bytes taken by a multishot receive. Once a receive was armed,
     * its reads go through it even if the feature was found missing since. */
    bool ring = len && (out ? f->socket && (l->poller.features & CORIO_FEATURE_SEND)
                            : f->recv || (f->conn && (l->poller.features & CORIO_FEATURE_RECV)));
    uint32_t bit = out ? EPOLLOUT : EPOLLIN;
    for (;;) {
        /* Known empty (or full): the edge-triggered poller says when that
         * changes, so the system call that would say EAGAIN is skipped. */
        if (f->drained & bit) {
            if (how & NOWAIT)
                return -EAGAIN;
            if (deadline == LATER)
                deadline = corio_now() + timeout;
            int rc = wait_bit(l, f, bit, deadline);
            if (rc < 0)
                return rc;
        }
        if (ring && out && deadline == LATER)
            deadline = corio_now() + timeout;
        ssize_t n = !ring ? RING_FULL
                    : out ? send_on_ring(l, f, &msg, len, how & MORE ? MSG_MORE : 0, deadline)
                          : recv_from_ring(l, f, iov->iov_base, len);
        if (n == RING_FULL) {
            n = sys_transfer(f, &msg, out, how & MORE ? MSG_MORE : 0);
            note_result(f, bit, n, len);
        } /* else it noted it, in the order the poller's events came */
        if (n >= 0)
            return n;
        if (n != -EINTR && n != -EAGAIN)
            return n;
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
    /* The socket said EAGAIN, but a receive on the ring may hold its bytes. */
    uint32_t bits = (events & CORIO_READ && !(f->recv && f->recv->q.n) ? EPOLLIN : 0) |
                    (events & CORIO_WRITE ? EPOLLOUT : 0);
    f->ready &= ~bits;
    f->drained |= bits;
}

bool corio__fd_hup(const corio_fd *f)
{
    return f->hup;
}

void corio__fd_set_lends_nodelay(corio_fd *f)
{
    f->nodelay = true;
}

bool corio__fd_lends_nodelay(const corio_fd *f)
{
    return f->nodelay;
}

bool corio__fd_drained(const corio_fd *f, unsigned events)
{
    return f->drained & (events & CORIO_READ ? EPOLLIN : EPOLLOUT);
}

bool corio__fd_nothing_to_read(corio_fd *f)
{
    if (corio__fd_drained(f, CORIO_READ))
        return true;
    char b;
    if (recv(corio_fd_fileno(f), &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0 || errno != EAGAIN)
        return false; /* bytes, the end or an error: the next read says which */
    corio__fd_note_eagain(f, CORIO_READ);
    return corio__fd_drained(f, CORIO_READ); /* not if the ring holds bytes */
}

ssize_t corio_fd_read(corio_fd *f, void *buf, size_t len, int64_t deadline)
{
    return transfer(f, &(struct iovec){buf, len}, 1, deadline, 0, false, 0);
}

ssize_t corio__fd_read_now(corio_fd *f, void *buf, size_t len)
{
    return transfer(f, &(struct iovec){buf, len}, 1, -1, 0, false, NOWAIT);
}

ssize_t corio_fd_write(corio_fd *f, const void *buf, size_t len, int64_t deadline)
{
    return transfer(f, &(struct iovec){(void *)buf, len}, 1, deadline, 0, true, 0);
}

ssize_t corio__fd_writev(corio_fd *f, struct iovec *iov, int n, int64_t deadline)
{
    CORIO__MISUSE_IF(n < 1 || n > IOV_MAX, "iovcnt out of range");
    return transfer(f, iov, n, deadline, 0, true, 0);
}

ssize_t corio__fd_writev_within(corio_fd *f, struct iovec *iov, int n, int timeout_ms, bool last)
{
    CORIO__MISUSE_IF(n < 1 || n > IOV_MAX, "iovcnt out of range");
    return transfer(f, iov, n, LATER, timeout_ms, true, last && f->socket ? MORE : 0);
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

int corio_loop_features(void)
{
    corio__loop *l = corio__loop_get();
    return l ? (int)l->poller.features : -ESRCH;
}
