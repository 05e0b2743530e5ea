/* Parking idle server connections (park.h): a sweep timer for the waits in
 * tasks, a readiness hook and a deadline timer for the parked ones. */
#include <errno.h>

#include "../core/sched.h"
#include "fd.h"
#include "park.h"

#define PARK_AFTER_NS ((int64_t)CORIO__PARK_AFTER_MS * 1000000)

/* Cancels the waits that began before the last sweep: those tasks park their
 * connections and end. */
static void sweep(corio__timer *t)
{
    corio__parker *pk = corio__container_of(t, corio__parker, sweeper);
    while (!corio__list_empty(&pk->waiting)) {
        corio__parked *p = corio__container_of(pk->waiting.next, corio__parked, link);
        if (p->since == pk->sweeps)
            break;
        corio__list_unlink(&p->link);
        p->swept = true;
        corio_task_cancel(p->task);
    }
    pk->sweeps++;
    if (!corio__list_empty(&pk->waiting))
        corio__timer_add(&corio__loop_get()->timers, t, corio_now_ns() + PARK_AFTER_NS);
}

static void expired(corio__timer *t)
{
    corio__parked *p = corio__container_of(t, corio__parked, timer);
    p->pk->end(p, p->failed ? -ENOMEM : -ETIMEDOUT);
}

/* p's bytes came (or it could not park): a new task goes on with it. */
static void readable(void *arg)
{
    corio__parked *p = arg;
    corio__parker *pk = p->pk;
    if (pk->closing)
        return; /* ended by corio__parker_close */
    corio_spawn_opts opts = {.name = pk->name};
    corio__timers *timers = &corio__loop_get()->timers;
    corio__fd_on_readable(p->fd, NULL, NULL);
    corio__timer_remove(timers, &p->timer);
    p->woken = true;
    if (corio_spawn_ex(pk->nursery, pk->resume, p, &opts, NULL) == 0) {
        corio__list_unlink(&p->link);
    } else { /* ended from the timers, out of the poller's report */
        p->failed = true;
        corio__timer_add(timers, &p->timer, 0);
    }
}

void corio__parker_init(corio__parker *pk, corio_nursery *n, corio_fn *resume,
                        void (*end)(corio__parked *p, int rc), const char *name)
{
    *pk = (corio__parker){.nursery = n,
                          .resume = resume,
                          .end = end,
                          .name = name,
                          .sweeper = {.fire = sweep, .index = SIZE_MAX}};
    corio__list_init(&pk->parked);
    corio__list_init(&pk->waiting);
}

void corio__parked_init(corio__parked *p, corio__parker *pk, corio_fd *f)
{
    *p = (corio__parked){.pk = pk, .fd = f, .timer = {.fire = expired, .index = SIZE_MAX}};
    corio__list_init(&p->link);
}

int corio__park_conn(corio__parked *p, int64_t deadline)
{
    if (deadline >= 0 &&
        corio__timer_add(&corio__loop_get()->timers, &p->timer, corio__deadline_ns(deadline)) < 0)
        return -ENOMEM;
    p->woken = p->failed = false;
    corio__list_push(&p->pk->parked, &p->link);
    corio__fd_on_readable(p->fd, readable, p);
    return 0;
}

int corio__parker_arm(corio__parker *pk)
{
    return corio__timer_add(&corio__loop_get()->timers, &pk->sweeper,
                            corio_now_ns() + PARK_AFTER_NS);
}

int corio__park_conn_swept(corio__parked *p, int64_t deadline)
{
    /* This task is cancelled now, whatever woke it: the connection goes on
     * without it, parked or (bytes came, or no memory for its deadline's
     * timer: it waits in a task) in a new task. */
    p->swept = false;
    if (!corio__fd_nothing_to_read(p->fd) || corio__park_conn(p, deadline) < 0) {
        corio__list_push(&p->pk->parked, &p->link); /* readable takes it off */
        readable(p);
    }
    return 1;
}

void corio__parked_done(corio__parked *p)
{
    corio__timer_remove(&corio__loop_get()->timers, &p->timer);
    corio__list_unlink(&p->link);
}

void corio__parker_closing(corio__parker *pk)
{
    pk->closing = true;
}

void corio__parker_close(corio__parker *pk)
{
    pk->closing = true;
    corio__timer_remove(&corio__loop_get()->timers, &pk->sweeper);
    while (!corio__list_empty(&pk->parked)) {
        corio__parked *p = corio__container_of(pk->parked.next, corio__parked, link);
        corio__list_unlink(&p->link);
        pk->end(p, -ECANCELED);
    }
}
