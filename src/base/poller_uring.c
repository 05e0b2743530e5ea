/* The io_uring backend: every watch is a poll request (IORING_OP_POLL_ADD).
 *
 * - Edge-triggered watches (EPOLLET) are multishot polls: the kernel posts a
 *   completion on each wake-up of the descriptor, as epoll does for EPOLLET,
 *   and keeps the request armed (IORING_CQE_F_MORE). When it ends one anyway
 *   (a full completion queue, say) we arm it again, and arming reports the
 *   readiness of the moment, so no edge is lost. One-shot polls cannot stand
 *   in for them: armed again after each completion they would report a
 *   descriptor nobody reads from on every turn of the loop, so kernels
 *   without multishot polls (before 5.13) get epoll instead.
 * - Level-triggered watches are one-shot polls armed again after each
 *   completion: a descriptor still ready completes again at once.
 * - EPOLLONESHOT watches are one-shot polls, not armed again.
 *
 * Removal cannot be synchronous: a cancel is a request too, and completions
 * of the poll may already sit in the completion queue, while the caller may
 * free its corio__io, close the descriptor and have its number reused as soon
 * as del returns. So a poll's user_data is a watch record owned here, not the
 * corio__io: del detaches the watch, and the watch lives on, dropping late
 * completions, until the kernel posts the poll's last one (the one without
 * IORING_CQE_F_MORE). Only then is the record recycled.
 *
 * The cancel is IORING_OP_ASYNC_CANCEL, which marks the poll cancelled even
 * while a completion of it is on its way; IORING_OP_POLL_REMOVE gives up then
 * (-EALREADY) and a multishot poll would live on.
 *
 * Submissions are batched: adds and re-arms queue entries that the next wait
 * submits in the system call that waits. A cancel is submitted at once: the
 * poll holds a reference to the file, and the caller's close() must release
 * it there and then (a peer waiting for end-of-file), as it does with epoll.
 *
 * The data path (poller.h's corio__op): sends, multishot accepts, closes and
 * cancels are queued like the adds, so a loop turn submits every
 * connection's writes, and waits, in one io_uring_enter. Their user_data is
 * the corio__op with its low bit set, told apart from the watches; a close's
 * or a cancel's is 0. What the kernel offers is probed once per ring
 * (features). */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "poller.h"

#define SQ_ENTRIES 256
/* Room for a completion per watched descriptor in busy servers; past it the
 * kernel ends multishot polls, which are armed again. */
#define CQ_ENTRIES 4096
#define REAP_MAX   256 /* completions handled per wait; the rest next time */

enum { EDGE, LEVEL, ONCE };

typedef struct corio__watch {
    corio__io *io;              /* NULL once deleted */
    struct corio__watch *next;  /* in the free list */
    struct corio__watch *chain; /* every record, for destroy */
    int fd;
    uint32_t mask; /* poll bits, without EPOLLET and EPOLLONESHOT */
    uint8_t kind;
    bool armed; /* a poll request may still complete with this record */
} corio__watch;

struct corio__uring {
    struct io_uring ring;
    corio__watch *free, *all;
    corio__poller *p;
    corio__op *ops; /* in flight */
    /* Provided buffers for multishot receives, set up on first use. */
    struct io_uring_buf_ring *br;
    char *bufs;
};

/* Receive buffers: lent to a connection from a completion until it has
 * read them, so their number bounds what waits unread, not connections. */
#define BUF_COUNT 1024 /* a power of two */
#define BUF_SIZE  2048
#define BUF_GROUP 0

#define OP_TAG 1u /* user_data's low bit: a corio__op, not a watch */

static corio__watch *watch_new(corio__uring *u)
{
    corio__watch *w = u->free;
    if (w) {
        u->free = w->next;
        return w;
    }
    w = malloc(sizeof *w);
    if (w) {
        w->chain = u->all;
        u->all = w;
    }
    return w;
}

static void watch_free(corio__uring *u, corio__watch *w)
{
    w->next = u->free;
    u->free = w;
}

/* A submission queue entry, submitting what is queued if the queue is full. */
static struct io_uring_sqe *sqe_get(corio__uring *u)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe && io_uring_submit(&u->ring) >= 0)
        sqe = io_uring_get_sqe(&u->ring);
    return sqe;
}

static int arm(corio__uring *u, corio__watch *w)
{
    struct io_uring_sqe *sqe = sqe_get(u);
    if (!sqe)
        return -EBUSY;
    if (w->kind == EDGE)
        io_uring_prep_poll_multishot(sqe, w->fd, w->mask);
    else
        io_uring_prep_poll_add(sqe, w->fd, w->mask);
    io_uring_sqe_set_data(sqe, w);
    w->armed = true;
    return 0;
}

static void op_ended(corio__uring *u, corio__op *op)
{
    if (op->prev)
        op->prev->next = op->next;
    else
        u->ops = op->next;
    if (op->next)
        op->next->prev = op->prev;
    u->p->nfd--;
}

/* The data-path operations this kernel knows. Multishot accept came in
 * 5.19, without an opcode or flag of its own: IORING_OP_SOCKET came with it. */
static unsigned probe(struct io_uring *ring)
{
    struct io_uring_probe *pr = io_uring_get_probe_ring(ring);
    if (!pr)
        return 0;
    unsigned f = 0;
    if (io_uring_opcode_supported(pr, IORING_OP_ASYNC_CANCEL)) {
        if (io_uring_opcode_supported(pr, IORING_OP_SEND) &&
            io_uring_opcode_supported(pr, IORING_OP_SENDMSG))
            f |= CORIO_FEATURE_SEND;
        if (io_uring_opcode_supported(pr, IORING_OP_SOCKET))
            f |= CORIO_FEATURE_ACCEPT;
        /* Multishot receives and provided-buffer rings: 6.0, with SEND_ZC. */
        if (io_uring_opcode_supported(pr, IORING_OP_SEND_ZC))
            f |= CORIO_FEATURE_RECV;
    }
    if (io_uring_opcode_supported(pr, IORING_OP_CLOSE))
        f |= CORIO_FEATURE_CLOSE;
    io_uring_free_probe(pr);
    return f;
}

int corio__uring_init(corio__poller *p)
{
    corio__uring *u = calloc(1, sizeof *u);
    if (!u)
        return -ENOMEM;
    /* One thread submits and reaps, so the kernel need not interrupt it to
     * post completions; older kernels reject the flags they do not know. */
    struct io_uring_params params = {
        .flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
                 IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER,
        .cq_entries = CQ_ENTRIES,
    };
    int rc = io_uring_queue_init_params(SQ_ENTRIES, &u->ring, &params);
    if (rc == -EINVAL) {
        params = (struct io_uring_params){.flags = IORING_SETUP_CQSIZE, .cq_entries = CQ_ENTRIES};
        rc = io_uring_queue_init_params(SQ_ENTRIES, &u->ring, &params);
    }
    if (rc < 0) {
        free(u);
        return rc;
    }
    /* Timed waits without a timeout request (EXT_ARG, 5.11), no completion
     * dropped (NODROP, 5.5) and multishot polls (5.13, which has no flag of
     * its own; RSRC_TAGS came with it). */
    unsigned need = IORING_FEAT_EXT_ARG | IORING_FEAT_NODROP | IORING_FEAT_RSRC_TAGS;
    if ((params.features & need) != need) {
        io_uring_queue_exit(&u->ring);
        free(u);
        return -EOPNOTSUPP;
    }
    u->p = p;
    p->ring = u;
    p->features = probe(&u->ring);
    return 0;
}

void corio__uring_destroy(corio__poller *p)
{
    corio__uring *u = p->ring;
    io_uring_submit(&u->ring);     /* the closes queued last */
    io_uring_queue_exit(&u->ring); /* cancels the polls and operations still armed */
    while (u->ops) {
        corio__op *op = u->ops;
        op_ended(u, op);
        op->done(op, -ECANCELED, false, -1);
    }
    while (u->all) {
        corio__watch *w = u->all;
        u->all = w->chain;
        free(w);
    }
    if (u->br)
        munmap(u->br, BUF_COUNT * sizeof(struct io_uring_buf));
    free(u->bufs);
    free(u);
    p->ring = NULL;
    p->features = 0;
}

int corio__uring_add(corio__poller *p, corio__io *io, uint32_t events, bool counted)
{
    corio__uring *u = p->ring;
    corio__watch *w = watch_new(u);
    if (!w)
        return -ENOMEM;
    w->io = io;
    w->fd = io->fd;
    w->mask = events & ~(uint32_t)(EPOLLET | EPOLLONESHOT);
    w->kind = events & EPOLLET ? EDGE : events & EPOLLONESHOT ? ONCE : LEVEL;
    int rc = arm(u, w);
    if (rc < 0) {
        watch_free(u, w);
        return rc;
    }
    io->watch = w;
    p->nfd += counted;
    return 0;
}

/* Detaches io's watch and queues the cancel of its poll: 1 if queued, 0 if
 * the poll had ended, or a negative errno. */
static int detach(corio__poller *p, corio__io *io, bool counted)
{
    corio__uring *u = p->ring;
    corio__watch *w = io->watch;
    if (!w)
        return -ENOENT;
    io->watch = NULL;
    w->io = NULL;
    p->nfd -= counted;
    if (!w->armed) {
        watch_free(u, w);
        return 0;
    }
    /* The record stays until the poll's last completion, which the cancel
     * brings about (or which is on its way already). */
    struct io_uring_sqe *sqe = sqe_get(u);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_cancel(sqe, w, 0);
    io_uring_sqe_set_data(sqe, NULL);
    return 1;
}

int corio__uring_rewatch(corio__poller *p, corio__io *io, uint32_t events)
{
    corio__uring *u = p->ring;
    corio__watch *w = io->watch;
    uint32_t mask = events & ~(uint32_t)(EPOLLET | EPOLLONESHOT);
    if (!w || w->mask == mask)
        return w ? 0 : -ENOENT;
    if (!w->armed) { /* armed with it, if ever again */
        w->mask = mask;
        return 0;
    }
    /* A new poll rather than an update of the old one: an update can miss
     * a poll on its way through a completion, and the new one reports the
     * readiness of the moment. The old record lives on, detached, until
     * its last completion, as after a del. */
    corio__watch *n = watch_new(u);
    if (!n)
        return -ENOMEM;
    n->io = io;
    n->fd = w->fd;
    n->mask = mask;
    n->kind = w->kind;
    int rc = arm(u, n);
    if (rc < 0) {
        watch_free(u, n);
        return rc;
    }
    io->watch = n;
    w->io = NULL;
    struct io_uring_sqe *sqe = sqe_get(u);
    if (sqe) {
        io_uring_prep_cancel(sqe, w, 0);
        io_uring_sqe_set_data(sqe, NULL);
    } /* else the old poll lives until the descriptor's close, its reports dropped */
    return 0;
}

int corio__uring_del(corio__poller *p, corio__io *io, bool counted)
{
    int rc = detach(p, io, counted);
    if (rc > 0)
        rc = io_uring_submit(&p->ring->ring);
    return rc < 0 ? rc : 0;
}

/* The cancel and the close go in the same batch, in that order: the poll's
 * reference to the file is dropped before the close would wait for it. */
int corio__uring_close(corio__poller *p, corio__io *io, bool counted)
{
    int rc = detach(p, io, counted);
    struct io_uring_sqe *sqe = rc >= 0 ? sqe_get(p->ring) : NULL;
    if (!sqe)
        return close(io->fd) < 0 && errno != EINTR ? -errno : 0;
    io_uring_prep_close(sqe, io->fd);
    io_uring_sqe_set_data(sqe, NULL);
    return 0;
}

static void op_queued(corio__poller *p, struct io_uring_sqe *sqe, corio__op *op)
{
    corio__uring *u = p->ring;
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)op | OP_TAG);
    op->prev = NULL;
    op->next = u->ops;
    if (u->ops)
        u->ops->prev = op;
    u->ops = op;
    p->nfd++;
}

int corio__uring_send(corio__poller *p, corio__op *op, int fd, const void *buf, size_t len,
                      int flags)
{
    struct io_uring_sqe *sqe = sqe_get(p->ring);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_send(sqe, fd, buf, len, MSG_NOSIGNAL | flags);
    op_queued(p, sqe, op);
    return 0;
}

int corio__uring_sendmsg(corio__poller *p, corio__op *op, int fd, const struct msghdr *msg,
                         int flags)
{
    struct io_uring_sqe *sqe = sqe_get(p->ring);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_sendmsg(sqe, fd, msg, MSG_NOSIGNAL | flags);
    op_queued(p, sqe, op);
    return 0;
}

int corio__uring_accept(corio__poller *p, corio__op *op, int fd)
{
    struct io_uring_sqe *sqe = sqe_get(p->ring);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_multishot_accept(sqe, fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    op_queued(p, sqe, op);
    return 0;
}

static int bufs_setup(corio__uring *u)
{
    size_t len = BUF_COUNT * sizeof(struct io_uring_buf);
    void *br = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (br == MAP_FAILED)
        return -ENOMEM;
    char *bufs = malloc((size_t)BUF_COUNT * BUF_SIZE);
    struct io_uring_buf_reg reg = {
        .ring_addr = (uintptr_t)br, .ring_entries = BUF_COUNT, .bgid = BUF_GROUP};
    int rc = bufs ? io_uring_register_buf_ring(&u->ring, &reg, 0) : -ENOMEM;
    if (rc < 0) {
        munmap(br, len);
        free(bufs);
        return rc;
    }
    u->br = br;
    u->bufs = bufs;
    io_uring_buf_ring_init(u->br);
    for (int i = 0; i < BUF_COUNT; i++)
        io_uring_buf_ring_add(u->br, bufs + (size_t)i * BUF_SIZE, BUF_SIZE, (unsigned short)i,
                              io_uring_buf_ring_mask(BUF_COUNT), i);
    io_uring_buf_ring_advance(u->br, BUF_COUNT);
    return 0;
}

int corio__uring_recv(corio__poller *p, corio__op *op, int fd)
{
    corio__uring *u = p->ring;
    if (!u->br) {
        int rc = bufs_setup(u);
        if (rc < 0) {
            p->features &= ~CORIO_FEATURE_RECV;
            return rc;
        }
    }
    struct io_uring_sqe *sqe = sqe_get(u);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BUF_GROUP;
    op_queued(p, sqe, op);
    return 0;
}

char *corio__uring_buf(corio__poller *p, int buf)
{
    return p->ring->bufs + (size_t)buf * BUF_SIZE;
}

void corio__uring_buf_put(corio__poller *p, int buf)
{
    corio__uring *u = p->ring;
    io_uring_buf_ring_add(u->br, corio__uring_buf(p, buf), BUF_SIZE, (unsigned short)buf,
                          io_uring_buf_ring_mask(BUF_COUNT), 0);
    io_uring_buf_ring_advance(u->br, 1);
}

int corio__uring_cancel(corio__poller *p, corio__op *op)
{
    struct io_uring_sqe *sqe = sqe_get(p->ring);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)op | OP_TAG, 0);
    io_uring_sqe_set_data(sqe, NULL);
    return 0;
}

static void complete(corio__uring *u, uint64_t data, int res, unsigned flags)
{
    if (data & OP_TAG) {
        corio__op *op = (corio__op *)(uintptr_t)(data & ~(uint64_t)OP_TAG);
        if (!(flags & IORING_CQE_F_MORE))
            op_ended(u, op);
        op->done(op, res, flags & IORING_CQE_F_MORE,
                 flags & IORING_CQE_F_BUFFER ? (int)(flags >> IORING_CQE_BUFFER_SHIFT) : -1);
        return;
    }
    corio__watch *w = (corio__watch *)(uintptr_t)data;
    if (!w)
        return; /* a cancel's or a close's own completion */
    if (!(flags & IORING_CQE_F_MORE))
        w->armed = false;
    corio__io *io = w->io;
    if (!io) {
        if (!w->armed)
            watch_free(u, w);
        return;
    }
    if (res < 0) {
        /* The descriptor cannot be polled (closed, say): the caller's next
         * system call on it tells what is wrong. Not armed again, or the
         * error would come back on every turn. */
        io->ready(io, EPOLLERR);
        return;
    }
    /* Armed again before the callback, which may delete the watch (and with
     * a one-shot watch free it: w is not touched after the call). */
    if (!w->armed && w->kind != ONCE && arm(u, w) < 0)
        res |= EPOLLERR;
    io->ready(io, (uint32_t)res);
}

int corio__uring_wait(corio__poller *p, int64_t timeout_ns)
{
    corio__uring *u = p->ring;
    struct io_uring_cqe *cqe;
    int rc = 0;
    if (timeout_ns < 0) {
        rc = io_uring_submit_and_wait(&u->ring, 1);
    } else if (timeout_ns > 0) {
        struct __kernel_timespec ts = {.tv_sec = timeout_ns / 1000000000,
                                       .tv_nsec = timeout_ns % 1000000000};
        rc = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts, NULL);
    } else if (io_uring_sq_ready(&u->ring)) {
        rc = io_uring_submit(&u->ring);
    } /* else just look: peeking enters the kernel only if completions wait there */
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
        return rc;

    /* Copied out and the queue advanced before any callback runs: callbacks
     * add, delete and submit, which may post completions meanwhile. */
    struct io_uring_cqe *cqes[REAP_MAX];
    struct {
        uint64_t data;
        int res;
        unsigned flags;
    } done[REAP_MAX];
    unsigned n = io_uring_peek_batch_cqe(&u->ring, cqes, REAP_MAX);
    for (unsigned i = 0; i < n; i++) {
        done[i].data = io_uring_cqe_get_data64(cqes[i]);
        done[i].res = cqes[i]->res;
        done[i].flags = cqes[i]->flags;
    }
    io_uring_cq_advance(&u->ring, n);
    for (unsigned i = 0; i < n; i++)
        complete(u, done[i].data, done[i].res, done[i].flags);
    return (int)n;
}
