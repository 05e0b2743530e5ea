/* Semaphore: a released unit goes straight to the first waiter. */
#include <stdlib.h>

#include <corio/sync.h>

#include "../core/sched.h"

struct corio_sem {
    corio__loop *loop;
    long value, initial;
    bool bounded;
    corio__waitq waiters;
};

int corio_sem_new(long value, bool bounded, corio_sem **out)
{
    if (value < 0)
        return -EINVAL;
    corio_sem *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->value = s->initial = value;
    s->bounded = bounded;
    corio__waitq_init(&s->waiters);
    *out = s;
    return 0;
}

int corio_sem_free(corio_sem *s)
{
    if (!s)
        return 0;
    if (!corio__list_empty(&s->waiters))
        return -EBUSY;
    free(s);
    return 0;
}

int corio_sem_try_acquire(corio_sem *s)
{
    CORIO__MISUSE_IF(!s, "the semaphore is NULL");
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__BIND_OR_DIE(s, l, !corio__list_empty(&s->waiters));
    if (s->value == 0)
        return -EAGAIN;
    s->value--;
    return 0;
}

int corio_sem_acquire(corio_sem *s, int64_t deadline)
{
    CORIO__MISUSE_IF(!s, "the semaphore is NULL");
    int rc = corio_sem_try_acquire(s);
    if (rc != -EAGAIN)
        return rc;
    return corio__wait_rc(
        corio__waitq_park(s->loop, &s->waiters, "semaphore", 0, corio__deadline_ns(deadline)));
}

int corio_sem_release(corio_sem *s)
{
    CORIO__MISUSE_IF(!s, "the semaphore is NULL");
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__BIND_OR_DIE(s, l, !corio__list_empty(&s->waiters));
    if (corio__waitq_wake_one(l, &s->waiters, 0))
        return 0; /* the unit went to that waiter */
    if (s->bounded && s->value >= s->initial)
        return -EOVERFLOW;
    s->value++;
    return 0;
}

long corio_sem_value(const corio_sem *s)
{
    CORIO__MISUSE_IF(!s, "the semaphore is NULL");
    return s->value;
}
