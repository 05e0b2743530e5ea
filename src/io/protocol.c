/* Transports: a connection registered (edge-triggered) on the poller with
 * a ready callback that reads until EAGAIN into the protocol and flushes the
 * output buffer, which holds only what the socket did not take at once (and
 * is freed when it empties). A transport closed from inside a callback is finished off
 * when the callback returns (busy), never under its own feet. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corio/cancel.h>
#include <corio/protocol.h>
#include <corio/time.h>

#include "../core/sched.h"
#include "fd.h"

#define HIGH_WATER (64u * 1024u)
#define LOW_WATER  (16u * 1024u)
#define READ_CHUNK 65536

typedef struct server server;

struct corio_transport {
    corio__io io;
    corio__loop *loop;
    const corio_protocol *proto;
    void *ctx;
    server *srv;
    corio__list_node link; /* in srv->conns */
    char *out;
    size_t out_len, out_cap;
    int busy; /* inside ready(): finishing waits */
    int lost; /* 0, or the error to report when finishing */
    bool paused, closing, eof_pending, finished;
};

struct server {
    corio__list conns;
};

static void finish(corio_transport *t)
{
    t->finished = true;
    corio__poller_del(&t->loop->poller, &t->io, true);
    close(t->io.fd);
    corio__list_unlink(&t->link);
    if (t->proto->connection_lost)
        t->proto->connection_lost(t, t->lost, t->ctx);
    free(t->out);
    free(t);
}

/* Sends queued bytes; 0, or a negative errno once the socket failed. */
static int flush(corio_transport *t)
{
    size_t sent = 0;
    while (sent < t->out_len) {
        ssize_t n = send(t->io.fd, t->out + sent, t->out_len - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errno == EAGAIN)
                break;
            return -errno;
        }
        sent += (size_t)n;
    }
    if (sent && sent < t->out_len)
        memmove(t->out, t->out + sent, t->out_len - sent);
    t->out_len -= sent;
    if (t->out_len == 0) { /* an idle connection holds no buffer */
        free(t->out);
        t->out = NULL;
        t->out_cap = 0;
    }
    if (t->paused && t->out_len <= LOW_WATER) {
        t->paused = false;
        if (t->proto->resume_writing)
            t->proto->resume_writing(t, t->ctx);
    }
    if (t->out_len == 0 && t->eof_pending) {
        t->eof_pending = false;
        shutdown(t->io.fd, SHUT_WR);
    }
    return 0;
}

/* After a callback or an event: finish if it is time. */
static void settle(corio_transport *t)
{
    if (t->busy == 0 && !t->finished && (t->lost || (t->closing && t->out_len == 0)))
        finish(t);
}

static void ready(corio__io *io, uint32_t events)
{
    corio_transport *t = (corio_transport *)io;
    t->busy++;
    if (events & EPOLLOUT && !t->lost) {
        int rc = flush(t);
        if (rc < 0)
            t->lost = rc;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        char buf[READ_CHUNK];
        while (!t->lost && !t->closing) {
            ssize_t n = recv(t->io.fd, buf, sizeof buf, 0);
            if (n > 0) {
                if (t->proto->data_received)
                    t->proto->data_received(t, buf, (size_t)n, t->ctx);
                continue;
            }
            if (n == 0) {
                bool keep = t->proto->eof_received && t->proto->eof_received(t, t->ctx);
                if (!keep)
                    t->closing = true;
                break;
            }
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                t->lost = -errno;
            break;
        }
    }
    t->busy--;
    settle(t);
}

int corio_transport_write(corio_transport *t, const void *data, size_t len)
{
    CORIO__MISUSE_IF(!t, "the transport is NULL");
    if (!data && len)
        return -EINVAL;
    if (t->lost || t->closing || t->finished)
        return -EPIPE;
    if (t->out_len == 0) { /* nothing queued: straight to the socket, the rest queued */
        ssize_t n;
        do
            n = send(t->io.fd, data, len, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno != EAGAIN) {
            t->lost = -errno;
            settle(t);
            return -EPIPE;
        }
        if (n > 0) {
            data = (const char *)data + n;
            len -= (size_t)n;
        }
        if (len == 0)
            return 0;
    }
    if (t->out_len + len > t->out_cap) {
        size_t cap = t->out_cap ? t->out_cap : 4096;
        while (cap < t->out_len + len)
            cap *= 2;
        char *b = realloc(t->out, cap);
        if (!b)
            return -ENOMEM;
        t->out = b;
        t->out_cap = cap;
    }
    memcpy(t->out + t->out_len, data, len);
    t->out_len += len;
    int rc = flush(t);
    if (rc < 0) {
        t->lost = rc;
        settle(t);
        return -EPIPE;
    }
    if (!t->paused && t->out_len > HIGH_WATER) {
        t->paused = true;
        if (t->proto->pause_writing)
            t->proto->pause_writing(t, t->ctx);
    }
    return 0;
}

int corio_transport_write_eof(corio_transport *t)
{
    CORIO__MISUSE_IF(!t, "the transport is NULL");
    if (t->finished)
        return -EINVAL;
    t->eof_pending = true;
    return flush(t);
}

void corio_transport_close(corio_transport *t)
{
    if (!t || t->finished)
        return;
    t->closing = true;
    settle(t);
}

void corio_transport_abort(corio_transport *t)
{
    if (!t || t->finished)
        return;
    t->out_len = 0;
    t->lost = -ECONNABORTED;
    settle(t);
}

size_t corio_transport_buffered(const corio_transport *t)
{
    return t ? t->out_len : 0;
}

static int adopt(corio__loop *l, server *srv, int fd, const corio_protocol *proto, void *ctx)
{
    corio_transport *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->io.fd = fd;
    t->io.ready = ready;
    t->loop = l;
    t->proto = proto;
    t->ctx = ctx;
    t->srv = srv;
    int rc = corio__poller_add(&l->poller, &t->io, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, true);
    if (rc < 0) {
        free(t);
        return rc;
    }
    corio__list_push(&srv->conns, &t->link);
    if (proto->connection_made) {
        t->busy++;
        proto->connection_made(t, ctx);
        t->busy--;
        settle(t);
    }
    return 0;
}

int corio_serve_protocol(corio_fd *listener, const corio_protocol *proto,
                         void *(*make_ctx)(void *arg), void *arg, int64_t deadline)
{
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__MISUSE_IF(!listener || !proto, "listener or proto is NULL");
    corio_scope until; /* the deadline reaches the waits for connections */
    int rc = corio_scope_enter(&until, deadline, 0);
    if (rc < 0)
        return rc;
    server srv;
    corio__list_init(&srv.conns);
    for (;;) {
        int fd = accept4(corio_fd_fileno(listener), NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            void *ctx = make_ctx ? make_ctx(arg) : arg;
            if (adopt(l, &srv, fd, proto, ctx) < 0) {
                close(fd);
                if (proto->connection_lost) /* let it free ctx */
                    proto->connection_lost(NULL, -ENOMEM, ctx);
            }
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE) {
            rc = corio_sleep(10);
        } else if (errno == EAGAIN) {
            rc = corio__fd_wait_again(listener, CORIO_READ, -1);
        } else {
            rc = -errno;
        }
        if (rc < 0)
            break;
    }
    corio_scope_exit(&until); /* rc says why it ended */
    while (!corio__list_empty(&srv.conns))
        corio_transport_abort(corio__container_of(srv.conns.next, corio_transport, link));
    return rc;
}
