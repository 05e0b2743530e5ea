/* Time: a monotonic clock and sleeping that parks only the calling task. */
#ifndef CORIO_TIME_H
#define CORIO_TIME_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Monotonic time (CLOCK_MONOTONIC) in milliseconds / nanoseconds. Usable
 * anywhere, including outside a loop. Deadlines in corio are in this clock. */
CORIO_API int64_t corio_now(void);
CORIO_API int64_t corio_now_ns(void);

/* Parks the calling task for ms milliseconds (0: just yield) while the loop
 * runs others. Tasks due at the same time wake in the order they slept.
 * A checkpoint: -ECANCELED / -ETIMEDOUT when a cancel scope around the task is
 * cancelled (see cancel.h). Other errors: -EINVAL ms < 0; -ENOMEM timer
 * heap full. Misuse (aborts): outside a task. */
CORIO_API int corio_sleep(int64_t ms);

/* The same with an absolute deadline in corio_now_ns() time: -ECANCELED,
 * -ETIMEDOUT as above; -ENOMEM. */
CORIO_API int corio_sleep_until_ns(int64_t deadline_ns);

#ifdef __cplusplus
}
#endif
#endif
