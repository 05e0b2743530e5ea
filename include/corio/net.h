/* TCP over corio_fd: connect, listen, accept, and trio's serve_tcp (a task
 * per connection inside a nursery).
 *
 * Hosts are IP literals (IPv4, IPv6) or names; names are resolved with the
 * system resolver on the thread pool (so /etc/hosts holds), and IP literals
 * never touch it. Ports are 0..65535 (0 to listen: the kernel picks one;
 * corio_tcp_local_port tells which). */
#ifndef CORIO_NET_H
#define CORIO_NET_H

#include "common.h"
#include "io.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Connects to host:port, trying each address of host in turn within the
 * deadline (absolute corio_now() ms, -1 none). The socket has TCP_NODELAY.
 * Errors: -EINVAL bad host or port; -ECONNREFUSED, -ENETUNREACH, ... from
 * the last address tried; -ETIMEDOUT; -ENOENT the name has no address;
 * -ECANCELED. */
CORIO_API int corio_tcp_connect(const char *host, int port, int64_t deadline, corio_fd **out);

/* Listens on host:port (host NULL or "": every IPv4 address), with
 * SO_REUSEADDR; backlog 0: 511. */
CORIO_API int corio_tcp_listen(const char *host, int port, int backlog, corio_fd **out);
/* The local port a socket is bound to, or a negative errno. */
CORIO_API int corio_tcp_local_port(const corio_fd *f);

/* Accepts a connection (waiting for one): 0 and *conn, or a negative errno
 * (-EMFILE when out of descriptors: the listener stays usable). */
CORIO_API int corio_tcp_accept(corio_fd *listener, corio_fd **conn, int64_t deadline);

/* A connection handler: reads and writes the stream; serve closes it after. */
typedef intptr_t corio_conn_fn(corio_stream *conn, void *arg);

/* Accepts connections on listener forever, each handled by handler(conn,
 * arg) in a task of its own in a nursery. Returns when the calling task is
 * cancelled (-ECANCELED): accepting stops, the connection tasks are cancelled
 * with it, and it returns once they have all ended. Running out of
 * descriptors pauses accepting briefly instead of failing. The listener stays
 * the caller's. */
CORIO_API int corio_serve_tcp(corio_fd *listener, corio_conn_fn *handler, void *arg);

#ifdef __cplusplus
}
#endif
#endif
