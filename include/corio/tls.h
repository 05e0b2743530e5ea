/* TLS (OpenSSL) streams: the same corio_stream API over an encrypted
 * connection. Clients verify the server by default: certificate chain
 * against the system CA store (or a given CA file), host name (or IP) match,
 * SNI sent. */
#ifndef CORIO_TLS_H
#define CORIO_TLS_H

#include "common.h"
#include "io.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_tls_ctx corio_tls_ctx;

enum {
    /* Clients: skip certificate and host name checks (tests, pinned
     * deployments). Off by default. */
    CORIO_TLS_NO_VERIFY = 1u << 0,
};

/* A client context: ca_file NULL uses the system store. Errors: -EINVAL out
 * NULL or unknown flags; -ENOENT the CA file is unreadable; -ENOMEM.
 * Shareable by all tasks of all loops. */
CORIO_API int corio_tls_ctx_client(const char *ca_file, unsigned flags, corio_tls_ctx **out);
/* A server context from PEM files. Errors: -ENOENT a file is unreadable or
 * not PEM; -EINVAL an argument NULL, or the key does not match the
 * certificate; -ENOMEM. */
CORIO_API int corio_tls_ctx_server(const char *cert_file, const char *key_file,
                                   corio_tls_ctx **out);
CORIO_API void corio_tls_ctx_free(corio_tls_ctx *ctx);

/* Handshakes over f (taken: closed on failure) as a client for host
 * (checked against the certificate, sent as SNI unless an IP literal).
 * Errors: -EKEYREJECTED the certificate did not verify or does not match
 * host (corio_tls_last_error says why), -EPROTO a TLS protocol error,
 * a socket error such as -ECONNRESET, -ETIMEDOUT, -ECANCELED, -EINVAL out
 * NULL, ctx a server context, or no host while verifying; -ENOMEM. Misuse
 * (aborts): ctx or f NULL. */
CORIO_API int corio_tls_connect(corio_tls_ctx *ctx, corio_fd *f, const char *host,
                                corio_stream **out, int64_t deadline);
/* The server side of the handshake (f taken). Errors: -EPROTO a TLS
 * protocol error (the client's certificate or offer refused); a socket
 * error such as -ECONNRESET; -ETIMEDOUT; -ECANCELED; -EINVAL out NULL or
 * ctx a client context; -ENOMEM. Misuse (aborts): ctx or f NULL. */
CORIO_API int corio_tls_accept(corio_tls_ctx *ctx, corio_fd *f, corio_stream **out,
                               int64_t deadline);

/* Why the calling thread's last TLS call failed, in words ("" if none). */
CORIO_API const char *corio_tls_last_error(void);

#ifdef __cplusplus
}
#endif
#endif
