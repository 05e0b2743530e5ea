/* Internal to the I/O layer: waiting on a corio_fd after the kernel said
 * EAGAIN, for callers that make their own system calls (accept, recvmsg). */
#ifndef CORIO_IO_FD_H
#define CORIO_IO_FD_H

#include <stdbool.h>
#include <sys/uio.h>

#include <corio/io.h>

#include "../base/log.h"

/* Forgets that f was ready for events (CORIO_READ or CORIO_WRITE) and waits
 * until it is again. 0 or a negative errno. */
int corio__fd_wait_again(corio_fd *f, unsigned events, int64_t deadline);

/* The caller's own system call on f's descriptor (a library reading the
 * socket itself) said EAGAIN for events: the next corio_fd_wait waits for a
 * new edge, as after corio_fd_read's EAGAIN. For CORIO_READ, not while a
 * receive on the ring holds bytes of f's (corio__fd_drained then stays
 * false): the socket's EAGAIN does not mean nothing is left to read. */
void corio__fd_note_eagain(corio_fd *f, unsigned events);

/* Whether the poller said the peer hung up (or the descriptor failed). */
bool corio__fd_hup(const corio_fd *f);

/* corio_fd_open for a socket made nonblocking already (accept4, socket
 * with SOCK_NONBLOCK): two fcntl and a getsockopt fewer per connection. */
int corio__fd_open_socket(int fd, corio_fd **out);

/* corio__fd_open_socket for a socket whose owner (a library doing its own
 * writes, e.g. libpq) only ever waits on it for reading: no interest in
 * EPOLLOUT, so that the peer reading what was sent does not wake the loop
 * (on a Unix socket every read that frees send buffer signals EPOLLOUT,
 * one useless wake-up per request). Waiting on it to write is a misuse. */
int corio__fd_open_reader(int fd, corio_fd **out);

/* Whether f is known to have nothing to read (CORIO_READ) or no room to
 * write (CORIO_WRITE) until the poller says otherwise: a wait comes before
 * the next system call. */
bool corio__fd_drained(const corio_fd *f, unsigned events);

/* Whether f has nothing to read: known, or learnt with a peek. */
bool corio__fd_nothing_to_read(corio_fd *f);

/* One read of f without waiting, as corio_fd_read otherwise: bytes, 0 at
 * the end, a negative errno, or -EAGAIN with nothing there yet (f is then
 * known drained, or its receive on the ring is armed). Where bytes usually
 * came already (a new connection), one system call instead of a peek and
 * a read. */
ssize_t corio__fd_read_now(corio_fd *f, void *buf, size_t len);

/* Calls fn(arg, reset) when the peer closes: at once if it has already,
 * else from the loop when the poller reports it (reset: the connection
 * failed or is closed both ways; else only the peer's sending side may be).
 * fn runs outside any task and must not block. NULL removes the hook. */
void corio__fd_on_hup(corio_fd *f, void (*fn)(void *arg, bool reset), void *arg);

/* Calls fn(arg) from the loop each time the poller reports f readable
 * (bytes, the end, an error) until removed (NULL): how a connection waits
 * for its next bytes without a task. Set it once f is known drained
 * (corio__fd_drained), so that the next report is news. fn runs outside any
 * task, after f's waiting tasks are woken; it must not block or close f. */
void corio__fd_on_readable(corio_fd *f, void (*fn)(void *arg), void *arg);

/* An accept loop's accept: corio_tcp_accept without a deadline, except
 * that running out of descriptors or memory (EMFILE, ENFILE, ENOBUFS,
 * ENOMEM) is waited out, 10 ms at a time, so that connections can finish,
 * rather than returned; logged as a warning for module, at most once a
 * second by the loop's limit. 0 or a negative errno (-ECANCELED when a
 * scope around it is cancelled). */
int corio__accept_or_wait(corio_fd *listener, corio_fd **conn, const char *module,
                          corio__log_limit *limit);

/* One write of iov[0..n) (1 <= n <= IOV_MAX), as corio_fd_write: bytes
 * written (all, or a short count with the socket's buffer full) or a
 * negative errno. The pieces go out in one system call, or one ring send. */
ssize_t corio__fd_writev(corio_fd *f, struct iovec *iov, int n, int64_t deadline);

/* corio__fd_writev with a deadline timeout_ms from when it first has to
 * wait (or sends on the ring): a write the socket takes at once reads no
 * clock (a server's answer, once per request). last: f is closed next, with
 * nothing unread (else the close would send a reset that discards what is
 * held): a socket's bytes are sent with MSG_MORE and wait for the close,
 * whose FIN then goes in their segment (8 segments per connection for a
 * request and its answer instead of 10). */
ssize_t corio__fd_writev_within(corio_fd *f, struct iovec *iov, int n, int timeout_ms, bool last);

/* The next connection of listener f's multishot accept on the loop's ring
 * (CORIO_FEATURE_ACCEPT): its descriptor, nonblocking and close-on-exec,
 * into *fd. 0, a negative errno from accept, -ETIMEDOUT / -ECANCELED, or
 * -EOPNOTSUPP where the loop has no multishot accept (the caller calls
 * accept4 itself). */
int corio__fd_accept(corio_fd *f, int *fd, int64_t deadline);

/* Whether listener f's connections inherit TCP_NODELAY from it (set on it
 * by corio_tcp_listen): then accepting them skips the setsockopt. */
void corio__fd_set_lends_nodelay(corio_fd *f);
bool corio__fd_lends_nodelay(const corio_fd *f);

/* The peer's IP address of socket f into buf (len >= INET6_ADDRSTRLEN):
 * 0, or a negative errno with buf "". */
int corio__fd_peer_name(const corio_fd *f, char *buf, size_t len);

#endif
