/* A response whose body is a file, streamed: sendfile(2) from the page
 * cache straight to a plain socket, or pieces read on the thread pool and
 * written to a TLS stream. Memory stays bounded whatever the file's size,
 * and, as every response write, a piece only has to make progress within
 * write_timeout_ms. */
#include <errno.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <corio/pool.h>
#include <corio/task.h>
#include <corio/time.h>

#include "../base/misuse.h"
#include "../io/fd.h"
#include "resp.h"
#include "wire.h"

#define SENDFILE_MAX (1 << 20) /* per call: one connection cannot hog the loop */
#define PIECE        65536     /* per read over TLS */

static int send_plain(conn *c, int fd, int64_t off, int64_t len)
{
    int sock = corio_fd_fileno(c->plain);
    while (len > 0) {
        off_t o = (off_t)off;
        ssize_t n = sendfile(sock, fd, &o, len < SENDFILE_MAX ? (size_t)len : SENDFILE_MAX);
        if (n > 0) {
            off += n;
            len -= n;
            /* a fast reader never makes it wait: let the others run */
            int rc = len > 0 && (size_t)n == SENDFILE_MAX ? corio_yield() : 0;
            if (rc < 0)
                return rc;
            continue;
        }
        if (n == 0)
            return -EIO; /* the file is shorter than it was said to be */
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        int rc =
            corio__fd_wait_again(c->plain, CORIO_WRITE, corio_now() + c->lim->write_timeout_ms);
        if (rc < 0)
            return rc;
    }
    return 0;
}

typedef struct piece {
    int fd;
    void *buf;
    size_t len;
    int64_t off;
} piece;

static intptr_t read_piece(void *arg)
{
    piece *p = arg;
    ssize_t n;
    do
        n = pread(p->fd, p->buf, p->len, (off_t)p->off);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

static int send_pieces(conn *c, int fd, int64_t off, int64_t len)
{
    piece p = {.fd = fd, .buf = malloc(PIECE), .off = off};
    if (!p.buf)
        return -ENOMEM;
    int rc = 0;
    while (rc == 0 && len > 0) {
        p.len = len < PIECE ? (size_t)len : PIECE;
        intptr_t n;
        rc = corio_to_thread(read_piece, &p, &n, -1);
        if (rc == 0 && n <= 0)
            rc = n < 0 ? (int)n : -EIO;
        if (rc == 0)
            rc = corio__http_write(c, p.buf, (size_t)n);
        p.off += n;
        len -= n;
    }
    free(p.buf);
    return rc;
}

int corio_http_resp_file(corio_http_resp *resp, int status, const char *content_type, int fd,
                         int64_t offset, int64_t len)
{
    CORIO__MISUSE_IF(!resp, "the response is NULL");
    if (fd < 0 || offset < 0 || len < 0)
        return -EINVAL;
    conn *c = resp->c;
    int rc = corio__http_head(resp, status, content_type, len);
    if (rc < 0)
        return rc;
    if (!c->w->req.head && len > 0) {
        rc = corio__http_flush(c);
        if (rc == 0)
            rc = c->plain ? send_plain(c, fd, offset, len) : send_pieces(c, fd, offset, len);
        if (rc < 0) /* the client got part of the body: only a close can say so */
            c->broken = c->closing = true;
    }
    resp->ended = rc == 0;
    return rc;
}
