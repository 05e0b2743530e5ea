/* Buffered byte streams (asyncio's StreamReader/StreamWriter, trio's
 * Stream): read_some, read_exactly, read_until / read_line with a limit,
 * write_all, half close. Every call takes an absolute deadline (corio_now()
 * ms, -1 none) and is a cancellation checkpoint; a failed call leaves the
 * stream in a state where it can still be closed cleanly.
 *
 * Errors of every read and write: -ETIMEDOUT the deadline (or the caller's
 * scope's) passed; -ECANCELED the caller was cancelled; a socket error such
 * as -ECONNRESET, -EPIPE; on a TLS stream (tls.h) also -EPROTO a TLS
 * protocol error. -EINVAL: buf NULL with len > 0. Misuse (aborts): s NULL;
 * outside a task; a stream of another loop. */
#ifndef CORIO_STREAM_H
#define CORIO_STREAM_H

#include <sys/types.h>

#include "common.h"
#include "io.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_stream corio_stream;

/* Wraps f (the stream owns it from now on). Errors: -EINVAL out NULL;
 * -ENOMEM (f is closed then). Misuse (aborts): f NULL. */
CORIO_API int corio_stream_open(corio_fd *f, corio_stream **out);
/* Closes the descriptor and frees s (NULL: 0). Returns close(2)'s error
 * (-EIO), s being freed anyway. */
CORIO_API int corio_stream_close(corio_stream *s);
CORIO_API corio_fd *corio_stream_fd(corio_stream *s);

/* Buffered bytes first, else one read: > 0, 0 at end of stream, or one of
 * the errors above. */
CORIO_API ssize_t corio_stream_read(corio_stream *s, void *buf, size_t len, int64_t deadline);
/* Exactly len bytes: 0, or -EPIPE if the stream ended first (what did come
 * stays consumed), or another negative errno. */
CORIO_API int corio_stream_read_exactly(corio_stream *s, void *buf, size_t len, int64_t deadline);
/* Reads up to and including delim into buf (at most max bytes): returns the
 * length. -EMSGSIZE when max bytes came without delim (they stay buffered,
 * readable with corio_stream_read; nothing more is buffered than max);
 * at end of stream, what is left (possibly 0 bytes). -EINVAL: delim NULL,
 * dlen 0, or max < dlen; the errors above. */
CORIO_API ssize_t corio_stream_read_until(corio_stream *s, const void *delim, size_t dlen,
                                          void *buf, size_t max, int64_t deadline);
/* read_until "\n": the same codes. */
CORIO_API ssize_t corio_stream_read_line(corio_stream *s, char *buf, size_t max, int64_t deadline);

/* Writes all len bytes, waiting while the peer is slow (backpressure): 0,
 * or the errors above (-EPIPE once the peer is gone). */
CORIO_API int corio_stream_write(corio_stream *s, const void *buf, size_t len, int64_t deadline);
/* Half close: the peer reads end of stream; reading goes on. Errors:
 * shutdown(2)'s (-ENOTCONN the peer is gone); on TLS it cannot fail. */
CORIO_API int corio_stream_shutdown_write(corio_stream *s);

#ifdef __cplusplus
}
#endif
#endif
