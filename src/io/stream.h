/* Internal: what a stream reads from and writes to (a plain descriptor or a
 * TLS session over one). */
#ifndef CORIO_IO_STREAM_H
#define CORIO_IO_STREAM_H

#include <corio/stream.h>

typedef struct corio__transport {
    ssize_t (*read)(void *t, void *buf, size_t len, int64_t deadline); /* > 0, 0 end, < 0 */
    int (*write_all)(void *t, const void *buf, size_t len, int64_t deadline);
    int (*shutdown_write)(void *t);
    int (*close)(void *t); /* closes the descriptor too */
} corio__transport;

/* A stream over transport t on descriptor f (the stream owns t). -ENOMEM
 * (nothing is closed then). */
int corio__stream_new(corio_fd *f, const corio__transport *ops, void *t, corio_stream **out);

/* s's descriptor when s is a plain (unencrypted) stream with nothing
 * buffered, so that callers may make their own system calls on it; else
 * NULL. */
corio_fd *corio__stream_plain_fd(corio_stream *s);

/* Frees s's read buffer if it holds nothing: for a connection that waits
 * long for its next bytes (allocated again by the next read). */
void corio__stream_trim(corio_stream *s);

#endif
