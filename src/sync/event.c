/* Event: a flag; setting it wakes every waiter. */
#include <stdlib.h>

#include <corio/sync.h>

#include "../core/sched.h"

struct corio_event {
    corio__loop *loop;
    bool set;
    corio__waitq waiters;
};

int corio_event_new(corio_event **out)
{
    corio_event *e = calloc(1, sizeof *e);
    if (!e)
        return -ENOMEM;
    corio__waitq_init(&e->waiters);
    *out = e;
    return 0;
}

int corio_event_free(corio_event *e)
{
    if (!e)
        return 0;
    if (!corio__list_empty(&e->waiters))
        return -EBUSY;
    free(e);
    return 0;
}

void corio_event_set(corio_event *e)
{
    CORIO__MISUSE_IF(!e, "the event is NULL");
    e->set = true;
    if (e->loop)
        corio__waitq_wake_all(e->loop, &e->waiters, 0);
}

void corio_event_clear(corio_event *e)
{
    CORIO__MISUSE_IF(!e, "the event is NULL");
    e->set = false;
}

bool corio_event_is_set(const corio_event *e)
{
    CORIO__MISUSE_IF(!e, "the event is NULL");
    return e->set;
}

int corio_event_wait(corio_event *e, int64_t deadline)
{
    CORIO__MISUSE_IF(!e, "the event is NULL");
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__BIND_OR_DIE(e, l, !corio__list_empty(&e->waiters));
    if (e->set)
        return corio__cancelled(l, l->current);
    return corio__wait_rc(
        corio__waitq_park(l, &e->waiters, "event", 0, corio__deadline_ns(deadline)));
}
