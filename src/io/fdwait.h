/* Waiting for a descriptor's readiness from a task: the one primitive the
 * process pool needs now; the I/O layer builds its sockets on it. */
#ifndef CORIO_LOOP_FDWAIT_H
#define CORIO_LOOP_FDWAIT_H

#include <stdint.h>

#include "../core/sched.h"

/* Parks the running task until fd is ready for events (EPOLLIN, EPOLLOUT;
 * errors and hang-ups count as ready), the deadline passes (CORIO__EDEADLINE)
 * or the task is cancelled. A checkpoint. */
int corio__wait_fd(corio__loop *l, int fd, uint32_t events, int64_t deadline_ns);

#endif
