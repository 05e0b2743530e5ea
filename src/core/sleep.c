/* Sleeping on the loop's timer heap; and which poller the loop runs on. */
#include <errno.h>

#include <corio/loop.h>
#include <corio/time.h>

#include "sched.h"

int corio_sleep_until_ns(int64_t deadline_ns)
{
    corio__loop *l = CORIO__TASK_LOOP();
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

const char *corio_loop_backend(void)
{
    corio__loop *l = corio__loop_get();
    if (!l)
        return NULL;
    return l->poller.ring ? "io_uring" : "epoll";
}
