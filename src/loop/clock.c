/* The monotonic clock and sleeping on the loop's timer heap. */
#include <errno.h>
#include <time.h>

#include <corio/time.h>

#include "../core/sched.h"

int64_t corio_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t corio_now(void)
{
    return corio_now_ns() / 1000000;
}

int corio_sleep_until_ns(int64_t deadline_ns)
{
    corio__loop *l = corio__loop_get();
    if (!l || !l->current)
        return -EPERM;
    int rc = corio__park(l, "sleep", deadline_ns, deadline_ns, NULL);
    return rc == CORIO__EDEADLINE ? 0 : rc;
}

int corio_sleep(int64_t ms)
{
    if (ms < 0)
        return -EINVAL;
    if (ms == 0)
        return corio_yield();
    if (ms > INT64_MAX / 2000000) /* would overflow the ns clock: forever */
        ms = INT64_MAX / 2000000;
    return corio_sleep_until_ns(corio_now_ns() + ms * 1000000);
}
