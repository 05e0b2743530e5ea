/* Buffered stream over a corio_fd: one read buffer, unbuffered writes. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <corio/stream.h>

#include "../base/misuse.h"
#include "stream.h"

#define CHUNK 16384

struct corio_stream {
    corio_fd *fd;
    const corio__transport *ops;
    void *t; /* the transport's state: the corio_fd itself for plain streams */
    char *buf;
    size_t cap, start, end; /* buffered bytes: buf[start..end) */
    bool eof;
};

static ssize_t plain_read(void *t, void *buf, size_t len, int64_t deadline)
{
    return corio_fd_read(t, buf, len, deadline);
}

static int plain_write_all(void *t, const void *buf, size_t len, int64_t deadline)
{
    return corio_fd_write_all(t, buf, len, deadline);
}

static int plain_shutdown_write(void *t)
{
    return shutdown(corio_fd_fileno(t), SHUT_WR) < 0 ? -errno : 0;
}

static int plain_close(void *t)
{
    return corio_fd_close(t);
}

static const corio__transport plain = {plain_read, plain_write_all, plain_shutdown_write,
                                       plain_close};

int corio__stream_new(corio_fd *f, const corio__transport *ops, void *t, corio_stream **out)
{
    /* Not calloc, which glibc serves past its per-thread cache: a server
     * makes one per connection. */
    corio_stream *s = malloc(sizeof *s);
    if (!s)
        return -ENOMEM;
    *s = (corio_stream){.fd = f, .ops = ops, .t = t};
    *out = s;
    return 0;
}

int corio_stream_open(corio_fd *f, corio_stream **out)
{
    CORIO__MISUSE_IF(!f, "the fd is NULL");
    if (!out)
        return -EINVAL;
    int rc = corio__stream_new(f, &plain, f, out);
    if (rc < 0)
        corio_fd_close(f);
    return rc;
}

int corio_stream_close(corio_stream *s)
{
    if (!s)
        return 0;
    int rc = s->ops->close(s->t);
    free(s->buf);
    free(s);
    return rc;
}

corio_fd *corio_stream_fd(corio_stream *s)
{
    return s ? s->fd : NULL;
}

corio_fd *corio__stream_plain_fd(corio_stream *s)
{
    return s->ops == &plain && s->start == s->end ? s->fd : NULL;
}

void corio__stream_trim(corio_stream *s)
{
    if (s->start != s->end)
        return;
    free(s->buf);
    s->buf = NULL;
    s->cap = s->start = s->end = 0;
}

/* Makes room for at least `more` bytes after the buffered ones. */
static int reserve(corio_stream *s, size_t more)
{
    if (s->start == s->end)
        s->start = s->end = 0;
    if (s->cap - s->end >= more)
        return 0;
    if (s->start > 0) { /* slide down first */
        memmove(s->buf, s->buf + s->start, s->end - s->start);
        s->end -= s->start;
        s->start = 0;
        if (s->cap - s->end >= more)
            return 0;
    }
    size_t cap = s->cap ? s->cap : CHUNK;
    while (cap - s->end < more)
        cap *= 2;
    char *b = realloc(s->buf, cap);
    if (!b)
        return -ENOMEM;
    s->buf = b;
    s->cap = cap;
    return 0;
}

/* Reads once into the buffer: > 0 bytes added, 0 at end, < 0 error. */
static ssize_t fill(corio_stream *s, size_t limit, int64_t deadline)
{
    if (s->eof)
        return 0;
    size_t want = limit < CHUNK ? limit : CHUNK;
    int rc = reserve(s, want);
    if (rc < 0)
        return rc;
    ssize_t n = s->ops->read(s->t, s->buf + s->end,
                             s->cap - s->end < limit ? s->cap - s->end : limit, deadline);
    if (n > 0)
        s->end += (size_t)n;
    else if (n == 0)
        s->eof = true;
    return n;
}

ssize_t corio_stream_read(corio_stream *s, void *buf, size_t len, int64_t deadline)
{
    CORIO__MISUSE_IF(!s, "the stream is NULL");
    if (!buf && len)
        return -EINVAL;
    if (len == 0)
        return 0;
    if (s->start == s->end) {
        if (s->eof)
            return 0;
        if (len >= CHUNK) /* big reads skip the copy */
            return s->ops->read(s->t, buf, len, deadline);
        ssize_t n = fill(s, CHUNK, deadline);
        if (n <= 0)
            return n;
    }
    size_t n = s->end - s->start < len ? s->end - s->start : len;
    memcpy(buf, s->buf + s->start, n);
    s->start += n;
    return (ssize_t)n;
}

int corio_stream_read_exactly(corio_stream *s, void *buf, size_t len, int64_t deadline)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = corio_stream_read(s, p, len, deadline);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return -EPIPE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void *find(const char *hay, size_t n, const void *delim, size_t dlen)
{
    return dlen == 1 ? memchr(hay, *(const char *)delim, n) : memmem(hay, n, delim, dlen);
}

ssize_t corio_stream_read_until(corio_stream *s, const void *delim, size_t dlen, void *buf,
                                size_t max, int64_t deadline)
{
    CORIO__MISUSE_IF(!s, "the stream is NULL");
    if (!delim || dlen == 0 || (!buf && max) || max < dlen)
        return -EINVAL;
    size_t scanned = 0; /* bytes already searched, less a delimiter's overlap */
    for (;;) {
        size_t have = s->end - s->start;
        size_t look = have < max ? have : max;
        char *hit =
            look > scanned ? find(s->buf + s->start + scanned, look - scanned, delim, dlen) : NULL;
        if (hit) {
            size_t n = (size_t)(hit - (s->buf + s->start)) + dlen;
            if (n <= max) {
                memcpy(buf, s->buf + s->start, n);
                s->start += n;
                return (ssize_t)n;
            }
        }
        if (have >= max)
            return -EMSGSIZE;
        scanned = look >= dlen ? look - dlen + 1 : 0;
        ssize_t r = fill(s, max - have, deadline);
        if (r < 0)
            return r;
        if (r == 0) { /* end of stream: hand over what is left */
            size_t n = s->end - s->start;
            if (n)
                memcpy(buf, s->buf + s->start, n);
            s->start = s->end;
            return (ssize_t)n;
        }
    }
}

ssize_t corio_stream_read_line(corio_stream *s, char *buf, size_t max, int64_t deadline)
{
    return corio_stream_read_until(s, "\n", 1, buf, max, deadline);
}

int corio_stream_write(corio_stream *s, const void *buf, size_t len, int64_t deadline)
{
    CORIO__MISUSE_IF(!s, "the stream is NULL");
    if (!buf && len)
        return -EINVAL;
    return s->ops->write_all(s->t, buf, len, deadline);
}

int corio_stream_shutdown_write(corio_stream *s)
{
    CORIO__MISUSE_IF(!s, "the stream is NULL");
    return s->ops->shutdown_write(s->t);
}
