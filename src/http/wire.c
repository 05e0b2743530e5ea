/* The bytes to and from the client: reads, the output buffer and writes
 * with a progress deadline, the request's arena, canned error answers. The
 * leaf of the server's files: it knows the connection's buffers, not what
 * a request or a response means. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <corio/time.h>

#include "../base/log.h"
#include "../io/fd.h"
#include "../io/stream.h"
#include "wire.h"

/* --- arena ---------------------------------------------------------------- */

void *corio__http_arena_alloc(conn *c, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (c->w->scratch && ARENA_SCRATCH - c->w->scratch_used >= n) {
        c->w->scratch_used += n;
        return c->w->scratch + c->w->scratch_used - n;
    }
    arena_block *b = c->arena;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 2048 ? n : 2048;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = c->arena;
        c->arena = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

void corio__http_arena_reset(conn *c)
{
    c->w->scratch_used = 0;
    while (c->arena) {
        arena_block *next = c->arena->next;
        free(c->arena);
        c->arena = next;
    }
}

/* --- output ---------------------------------------------------------------- */

char *corio__http_out_room(conn *c, size_t n)
{
    if (c->ocap - c->olen < n) {
        size_t cap = c->ocap ? c->ocap : OUT_CAP;
        while (cap - c->olen < n)
            cap *= 2;
        char *o = cap == OUT_CAP ? corio__http_pool_take(c->srv, POOL_OUT) : realloc(c->out, cap);
        if (!o)
            return NULL;
        c->out = o;
        c->ocap = cap;
    }
    return c->out + c->olen;
}

int corio__http_out(conn *c, const void *p, size_t n)
{
    if (c->broken)
        return -EPIPE;
    char *o = corio__http_out_room(c, n);
    if (!o)
        return -ENOMEM;
    memcpy(o, p, n);
    c->olen += n;
    return 0;
}

/* Pieces of a TLS stream's write, each with a deadline of its own: TLS
 * takes whole pieces, so progress is counted in them. */
#define TLS_PIECE 16384

/* One write with its progress deadline: bytes taken, or < 0. */
static ssize_t write_some(conn *c, const char *p, size_t n)
{
    if (c->plain)
        return corio__fd_writev_within(c->plain, &(struct iovec){(void *)p, n}, 1,
                                       c->lim->write_timeout_ms, c->last);
    size_t piece = n < TLS_PIECE ? n : TLS_PIECE;
    int rc = corio_stream_write(c->s, p, piece, corio_now() + c->lim->write_timeout_ms);
    return rc < 0 ? rc : (ssize_t)piece;
}

static int write_out(conn *c, const void *p, size_t n)
{
    const char *b = p;
    if (c->broken)
        return -EPIPE;
    while (n > 0) {
        ssize_t k = write_some(c, b, n);
        if (k < 0) {
            c->broken = c->closing = true;
            return (int)k;
        }
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

static void out_sent(conn *c)
{
    c->olen = 0;
    if (c->ocap > OUT_FLUSH) { /* a big answer went out: give the memory back */
        free(c->out);
        c->out = NULL;
        c->ocap = 0;
    }
}

int corio__http_flush(conn *c)
{
    if (c->olen == 0)
        return c->broken ? -EPIPE : 0;
    int rc = write_out(c, c->out, c->olen);
    out_sent(c);
    return rc;
}

/* The buffered head and a body from the caller's memory in one write per
 * round (writev; a ring sendmsg on io_uring) rather than two: a plain
 * connection only, TLS takes its pieces one by one. */
static int write_gathered(conn *c, const void *p, size_t n)
{
    struct iovec iov[2] = {{c->out, c->olen}, {(void *)p, n}};
    int first = 0;
    while (first < 2) {
        ssize_t k = corio__fd_writev_within(c->plain, iov + first, 2 - first,
                                            c->lim->write_timeout_ms, false);
        if (k < 0) {
            c->broken = c->closing = true;
            return (int)k;
        }
        for (; first < 2 && (size_t)k >= iov[first].iov_len; first++)
            k -= (ssize_t)iov[first].iov_len;
        if (first < 2) {
            iov[first].iov_base = (char *)iov[first].iov_base + k;
            iov[first].iov_len -= (size_t)k;
        }
    }
    return 0;
}

int corio__http_write(conn *c, const void *p, size_t n)
{
    if (c->plain && c->olen && !c->broken) {
        int rc = write_gathered(c, p, n);
        out_sent(c);
        return rc;
    }
    int rc = corio__http_flush(c);
    return rc ? rc : write_out(c, p, n);
}

int corio__http_error(conn *c, int status)
{
    const char *reason = corio_http_reason(status);
    char line[128];
    size_t dlen;
    const char *date = corio__http_date_line(&dlen);
    int n = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status, reason);
    size_t blen = strlen(reason) + 1;
    char len[64];
    int ln = snprintf(len, sizeof len, "Content-Length: %zu\r\n", blen);
    int rc = corio__http_out(c, line, (size_t)n);
    if (rc == 0 && c->app->server_name) {
        rc = corio__http_out(c, LIT("Server: "));
        rc = rc ? rc : corio__http_out(c, c->app->server_name, strlen(c->app->server_name));
        rc = rc ? rc : corio__http_out(c, LIT("\r\n"));
    }
    rc = rc ? rc : corio__http_out(c, date, dlen);
    rc = rc ? rc : corio__http_out(c, LIT("Content-Type: text/plain; charset=utf-8\r\n"));
    rc = rc ? rc : corio__http_out(c, len, (size_t)ln);
    rc = rc ? rc : corio__http_out(c, LIT("Connection: close\r\n\r\n"));
    if (rc == 0 && !c->w->req.head) {
        rc = corio__http_out(c, reason, blen - 1);
        rc = rc ? rc : corio__http_out(c, LIT("\n"));
    }
    c->closing = true;
    c->w->resp.started = c->w->resp.ended = true;
    return rc;
}

const char *corio__http_peer(conn *c)
{
    if (!c->peer[0]) /* looked up on demand: most handlers never ask */
        corio__fd_peer_name(corio_stream_fd(c->s), c->peer, sizeof c->peer);
    return c->peer[0] ? c->peer : "a client";
}

int corio__http_client_error(conn *c, int status, const char *fmt, ...)
{
    if (corio__log_on(CORIO_LOG_INFO)) {
        char why[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        corio__log_write(CORIO_LOG_INFO, "http", "%d %s for %s: %s", status,
                         corio_http_reason(status), corio__http_peer(c), why);
    }
    return corio__http_error(c, status);
}

/* One read from the connection: plain ones straight from the descriptor, so
 * that nothing is ever buffered in the stream behind the poller's back. */
ssize_t corio__http_read(conn *c, void *buf, size_t len, int64_t deadline)
{
    return c->plain ? corio_fd_read(c->plain, buf, len, deadline)
                    : corio_stream_read(c->s, buf, len, deadline);
}
