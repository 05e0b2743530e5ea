/* asyncio's transports and protocols (seed 002): a callback interface for
 * servers that want no task per connection. The loop calls the protocol's
 * callbacks, on its own stack between task rounds, as bytes arrive; writes
 * are buffered and never block, with pause/resume_writing as backpressure.
 * Callbacks must not block (a corio wait there aborts: misuse, common.h). */
#ifndef CORIO_PROTOCOL_H
#define CORIO_PROTOCOL_H

#include <stdbool.h>

#include "common.h"
#include "io.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_transport corio_transport;

typedef struct corio_protocol {
    /* All optional. ctx is what make_ctx returned for this connection. */
    void (*connection_made)(corio_transport *t, void *ctx);
    void (*data_received)(corio_transport *t, const void *data, size_t len, void *ctx);
    /* The peer half-closed. Return true to keep writing (the transport
     * stays open until corio_transport_close); false (or no callback) closes. */
    bool (*eof_received)(corio_transport *t, void *ctx);
    /* Last call for this connection: err 0 for a clean close, else why. */
    void (*connection_lost)(corio_transport *t, int err, void *ctx);
    /* Output buffered above the high-water mark (64 KiB) / back below the
     * low-water mark (16 KiB). */
    void (*pause_writing)(corio_transport *t, void *ctx);
    void (*resume_writing)(corio_transport *t, void *ctx);
} corio_protocol;

/* Queues bytes (sent at once when the socket has room). Errors: -EPIPE the
 * transport is closing or closed, or failed (connection_lost tells why);
 * -EINVAL data NULL with len > 0; -ENOMEM. Misuse (aborts): t NULL (for
 * every call here). */
CORIO_API int corio_transport_write(corio_transport *t, const void *data, size_t len);
/* Half close once the queued bytes are out. Errors: -EINVAL the transport
 * is finished; a socket error such as -ECONNRESET, -EPIPE. */
CORIO_API int corio_transport_write_eof(corio_transport *t);
/* Closes once the queued bytes are out; connection_lost(0) follows. */
CORIO_API void corio_transport_close(corio_transport *t);
/* Closes now, dropping queued bytes; connection_lost(-ECONNABORTED). */
CORIO_API void corio_transport_abort(corio_transport *t);
CORIO_API size_t corio_transport_buffered(const corio_transport *t);

/* From a task: accepts connections on listener (a corio_tcp_listen or
 * corio_unix_listen socket) and drives each with proto, its ctx from
 * make_ctx(arg) (NULL make_ctx: arg itself; freeing ctx is the protocol's
 * job, in connection_lost). Serves until the calling task is cancelled or
 * deadline passes (absolute corio_now() ms, -1 none; 0 or a past time: it
 * stops at its first wait), or until an accept(2) error other than running
 * out of descriptors (which pauses accepting); then stops accepting and
 * aborts the connections still open (connection_lost(-ECONNABORTED) each)
 * before it returns. Errors (it always returns one: how it ended):
 * -ECANCELED the calling task was cancelled; -ETIMEDOUT deadline (or an
 * enclosing scope's) passed; accept(2)'s; -ENOMEM the deadline's timer.
 * Misuse (aborts): listener or proto NULL; outside a task. */
CORIO_API int corio_serve_protocol(corio_fd *listener, const corio_protocol *proto,
                                   void *(*make_ctx)(void *arg), void *arg, int64_t deadline);

#ifdef __cplusplus
}
#endif
#endif
