/* Internal to the I/O layer: waiting on a corio_fd after the kernel said
 * EAGAIN, for callers that make their own system calls (accept, recvmsg). */
#ifndef CORIO_IO_FD_H
#define CORIO_IO_FD_H

#include <corio/io.h>

/* Forgets that f was ready for events (CORIO_READ or CORIO_WRITE) and waits
 * until it is again. 0 or a negative errno. */
int corio__fd_wait_again(corio_fd *f, unsigned events, int64_t deadline);

#endif
