/* TCP over corio_fd: connect, listen, accept, and trio's serve_tcp (a task
 * per connection inside a nursery).
 *
 * Hosts are IP literals (IPv4, IPv6) or names; names are resolved by
 * corio_dns_resolve (dns.h: c-ares on the loop, /etc/hosts first), and IP
 * literals never touch it. Ports are 0..65535 (0 to listen: the kernel picks one;
 * corio_tcp_local_port tells which).
 *
 * Misuse (aborts) for every call here: a NULL listener or fd; an fd of
 * another loop; a waiting call outside a task, the others outside a loop's
 * thread. Waiting calls also return -ETIMEDOUT (the deadline, or the
 * caller's scope's) and -ECANCELED; reads and writes return a socket error
 * such as -ECONNRESET, -EPIPE. */
#ifndef CORIO_NET_H
#define CORIO_NET_H

#include "common.h"
#include "dns.h"
#include "io.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Connects to host:port within the deadline (absolute corio_now() ms, -1
 * none), racing host's addresses as corio_tcp_connect_addrs does. The socket
 * has TCP_NODELAY. Errors: -EINVAL bad host or port; -ECONNREFUSED,
 * -ENETUNREACH, ... when every address failed (the most telling of their
 * errors: a refusal over an unreachable network); -ETIMEDOUT; -ENOENT the
 * name has no address; -ECANCELED. */
CORIO_API int corio_tcp_connect(const char *host, int port, corio_fd **out, int64_t deadline);
/* Connects to port on one of addrs (from corio_dns_resolve; their ports are
 * ignored) within the deadline, happy-eyeballs style (RFC 8305): the families
 * alternate, starting with the first address's; the next address is tried
 * 250 ms after the last attempt started, or at once when one fails (at most 8
 * attempts at a time); the first connect to succeed wins and the others are
 * closed. One address is one plain connect. Errors as above. */
CORIO_API int corio_tcp_connect_addrs(const corio_addr *addrs, size_t n, int port, corio_fd **out,
                                      int64_t deadline);

/* Listens on host:port (host NULL or "": every IPv4 address), with
 * SO_REUSEADDR; backlog 0: 511. Errors: -EINVAL out NULL, a bad port or
 * unknown flags; -ENOENT the name has no address (a name is resolved as for
 * connect, with no deadline); -EADDRINUSE the port is taken; -EACCES a
 * privileged port; -EMFILE, -ENOMEM. */
CORIO_API int corio_tcp_listen(const char *host, int port, int backlog, corio_fd **out);

enum {
    /* SO_REUSEPORT: several listeners (one per loop, one loop per core) on
     * the same port; the kernel spreads the connections. */
    CORIO_LISTEN_REUSEPORT = 1u << 0,
};
/* corio_tcp_listen with flags; the same errors. */
CORIO_API int corio_tcp_listen_ex(const char *host, int port, int backlog, unsigned flags,
                                  corio_fd **out);
/* The local port a socket is bound to; -EBADF f NULL or not a socket;
 * -EAFNOSUPPORT not an IP socket. */
CORIO_API int corio_tcp_local_port(const corio_fd *f);

/* Accepts a connection (waiting for one): 0 and *conn, or a negative errno:
 * -EMFILE / -ENFILE out of descriptors (the listener stays usable), -ENOMEM,
 * -EINVAL conn NULL or f not listening; -ETIMEDOUT; -ECANCELED. */
CORIO_API int corio_tcp_accept(corio_fd *listener, corio_fd **conn, int64_t deadline);

/* Socket options on any socket corio_fd. */
enum corio_sockopt {
    CORIO_SO_NODELAY,   /* TCP_NODELAY (on by default for corio's TCP sockets) */
    CORIO_SO_KEEPALIVE, /* SO_KEEPALIVE */
    CORIO_SO_REUSEPORT, /* SO_REUSEPORT */
    CORIO_SO_RCVBUF,    /* SO_RCVBUF, bytes */
    CORIO_SO_SNDBUF,    /* SO_SNDBUF, bytes */
};
/* Errors: -EINVAL unknown opt; setsockopt(2)'s (-ENOPROTOOPT the option
 * does not apply to this socket, -ENOTSOCK). */
CORIO_API int corio_socket_set(corio_fd *f, enum corio_sockopt opt, int value);

/* --- Unix stream sockets ------------------------------------------------- */
/* Listens on a filesystem path (an existing socket file there is
 * replaced). Errors: -EINVAL path NULL, empty or over 107 bytes, or out NULL;
 * bind(2)'s (-EADDRINUSE a file that is not a socket is there, -EACCES,
 * -ENOENT no such directory). */
CORIO_API int corio_unix_listen(const char *path, int backlog, corio_fd **out);
/* Errors: -EINVAL as for listen; -ENOENT no socket there; -ECONNREFUSED
 * nobody listens on it; -EAGAIN its backlog is full; -ETIMEDOUT;
 * -ECANCELED. */
CORIO_API int corio_unix_connect(const char *path, corio_fd **out, int64_t deadline);
/* corio_tcp_accept and corio_serve_tcp work on Unix listeners too. */

/* --- UDP -------------------------------------------------------------------- */
/* A datagram socket bound to host:port (host NULL: any IPv4; port 0: any).
 * Errors: -EINVAL out NULL, a bad port, host not an IP literal;
 * -EADDRINUSE; -EMFILE, -ENOMEM. */
CORIO_API int corio_udp_open(const char *host, int port, corio_fd **out);
/* Sends one datagram to host:port (an IP literal): its length. Errors:
 * -EINVAL buf NULL with len > 0, host not an IP literal, port not 1..65535;
 * -EMSGSIZE too large for a datagram; sendto(2)'s (-ENETUNREACH,
 * -ECONNREFUSED an earlier datagram was refused); -ETIMEDOUT; -ECANCELED. */
CORIO_API ssize_t corio_udp_send(corio_fd *f, const void *buf, size_t len, const char *host,
                                 int port, int64_t deadline);
/* Receives one datagram (waiting for one): its length (truncated to len);
 * the sender's address into from (>= 46 bytes, may be NULL) and port.
 * Errors: -EINVAL buf NULL with len > 0; recvfrom(2)'s (-ECONNREFUSED a
 * datagram sent earlier was refused); -ETIMEDOUT; -ECANCELED. */
CORIO_API ssize_t corio_udp_recv(corio_fd *f, void *buf, size_t len, char *from, int *port,
                                 int64_t deadline);

/* A connection handler: reads and writes the stream; serve closes it after. */
typedef intptr_t corio_conn_fn(corio_stream *conn, void *arg);

/* Accepts connections on listener until the calling task is cancelled or
 * deadline passes, each handled by handler(conn, arg) in a task of its own
 * in a nursery. When it stops, accepting stops, the connection tasks are
 * cancelled (their streams closed) and it returns once they have all ended.
 * deadline (absolute corio_now() ms, -1 none; 0 or a past time: it stops at
 * its first wait) bounds the whole serving, as a scope's deadline would.
 * Running out of descriptors pauses accepting briefly instead of failing. A
 * handler's failure (a negative return) ends its connection only and is
 * reported through the log hook (corio/log.h), module "tcp": at
 * CORIO_LOG_WARN, at most once a second with a count; -EPIPE and
 * -ECONNRESET (the peer went away) at CORIO_LOG_DEBUG; -ECANCELED (the
 * server stopping) not at all. The listener stays the caller's. Errors
 * (it always returns one: how it ends): -ECANCELED the calling task was
 * cancelled; -ETIMEDOUT deadline (or an enclosing scope's) passed; -EINVAL
 * handler NULL; accept(2)'s other errors; -ENOMEM starting the nursery or
 * the deadline's timer. Misuse (aborts): listener NULL; outside a task. */
CORIO_API int corio_serve_tcp(corio_fd *listener, corio_conn_fn *handler, void *arg,
                              int64_t deadline);

/* corio_serve_tcp with flags:
 * CORIO_SERVE_PARK: a connection waiting for bytes holds no task and no read
 *   buffer (an idle one costs its stream and descriptor, a few hundred
 *   bytes). The handler is first called once the connection has bytes to
 *   read or the client closed it (so not for a protocol where the server
 *   speaks first), and may return CORIO_CONN_PARK once it has used what it
 *   read, to be called again when more bytes come (what it left in the
 *   stream counts): in the same task if they come within moments, else in
 *   a new one. Its first read then finds bytes (or the end) without
 *   waiting. It must not leave tasks of its own running when it parks
 *   (the connection may go on in another task at once). Any other value
 *   ends the connection as above. Parked connections are closed when the
 *   server stops.
 * Errors: as corio_serve_tcp; -EINVAL an unknown flag. */
enum {
    CORIO_SERVE_PARK = 1u << 0,
};
#define CORIO_CONN_PARK ((intptr_t)1)
CORIO_API int corio_serve_tcp_ex(corio_fd *listener, corio_conn_fn *handler, void *arg,
                                 unsigned flags, int64_t deadline);

#ifdef __cplusplus
}
#endif
#endif
