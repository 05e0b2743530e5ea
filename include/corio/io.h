/* Descriptors on the loop: nonblocking reads and writes that park the
 * calling task, never the thread, until the descriptor is ready.
 *
 * A corio_fd owns its descriptor from corio_fd_open to corio_fd_close and is
 * registered once with the loop's poller (edge-triggered); a read or write is
 * one system call when data or room is there, and a wait on the poller only
 * when it is not. Deadlines are absolute corio_now() ms (-1: none); every
 * wait is a cancellation checkpoint. A corio_fd belongs to the loop that
 * opened it.
 *
 * Errors of every waiting call here: -ETIMEDOUT the deadline (or the
 * caller's scope's) passed; -ECANCELED the caller was cancelled; -EBADF the
 * fd was closed while the task waited on it. Reads and writes also return
 * the system call's error: a socket error such as -ECONNRESET or -EPIPE. */
#ifndef CORIO_IO_H
#define CORIO_IO_H

#include <sys/types.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_fd corio_fd;

enum {
    CORIO_READ = 1u << 0,
    CORIO_WRITE = 1u << 1,
};

/* Takes fd (any pollable descriptor: socket, pipe, tty, eventfd...), makes
 * it nonblocking and registers it. On failure the descriptor is closed.
 * Errors: -EBADF fd < 0; -EPERM epoll does not take this kind of file
 * (regular files: use the thread pool for those); -ENOMEM. Misuse (aborts):
 * outside a loop's thread. The other calls here abort on a NULL fd, an fd of
 * another loop, or a blocking call outside a task. */
CORIO_API int corio_fd_open(int fd, corio_fd **out);
/* Unregisters and closes it; tasks still waiting on it wake with -EBADF.
 * Returns close(2)'s error (-EIO), f being freed anyway; NULL: 0. */
CORIO_API int corio_fd_close(corio_fd *f);
/* The descriptor, or -EBADF for NULL. */
CORIO_API int corio_fd_fileno(const corio_fd *f);

/* Waits until f is ready for CORIO_READ and/or CORIO_WRITE. Errors: -EINVAL
 * events names neither; the waiting errors above. */
CORIO_API int corio_fd_wait(corio_fd *f, unsigned events, int64_t deadline);

/* Reads what is there, up to len (waiting if nothing is): > 0 bytes read,
 * 0 at end of file, or a negative errno: -EFAULT buf NULL with len > 0;
 * the errors above. */
CORIO_API ssize_t corio_fd_read(corio_fd *f, void *buf, size_t len, int64_t deadline);
/* Writes what fits, at least one byte (waiting for room if none): the
 * count, or the errors of corio_fd_read (-EPIPE: the peer is gone). */
CORIO_API ssize_t corio_fd_write(corio_fd *f, const void *buf, size_t len, int64_t deadline);
/* Writes all len bytes (waiting while the peer is slow): 0 or a negative errno
 * (-EPIPE once the peer is gone; no SIGPIPE is raised for sockets). */
CORIO_API int corio_fd_write_all(corio_fd *f, const void *buf, size_t len, int64_t deadline);

/* Waits for readiness of a descriptor not opened with corio_fd_open (one
 * registration per call: for occasional waits). Errors: -EBADF fd < 0;
 * -EINVAL events names neither; -EPERM epoll does not take this kind of
 * file; -ETIMEDOUT; -ECANCELED. Misuse (aborts): outside a task. */
CORIO_API int corio_wait_fd(int fd, unsigned events, int64_t deadline);

#ifdef __cplusplus
}
#endif
#endif
