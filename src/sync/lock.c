/* Lock: ownership passes straight to the first waiter on release, so no task
 * can barge in ahead of one that has been waiting. */
#include <stdlib.h>

#include <corio/sync.h>

#include "../core/sched.h"

struct corio_lock {
    corio__loop *loop;
    corio_task *owner;
    corio__waitq waiters;
};

int corio_lock_new(corio_lock **out)
{
    corio_lock *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    corio__waitq_init(&m->waiters);
    *out = m;
    return 0;
}

int corio_lock_free(corio_lock *m)
{
    if (!m)
        return 0;
    if (m->owner || !corio__list_empty(&m->waiters))
        return -EBUSY;
    free(m);
    return 0;
}

int corio_lock_try_acquire(corio_lock *m)
{
    CORIO__MISUSE_IF(!m, "the lock is NULL");
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__BIND_OR_DIE(m, l, m->owner || !corio__list_empty(&m->waiters));
    if (m->owner)
        return m->owner == l->current ? -EDEADLK : -EBUSY;
    m->owner = l->current;
    return 0;
}

int corio_lock_acquire(corio_lock *m, int64_t deadline)
{
    CORIO__MISUSE_IF(!m, "the lock is NULL");
    int rc = corio_lock_try_acquire(m);
    if (rc != -EBUSY)
        return rc;
    corio__loop *l = m->loop;
    rc = corio__waitq_park(l, &m->waiters, "lock", 0, corio__deadline_ns(deadline));
    /* 0: the releaser made us the owner before waking us. */
    return corio__wait_rc(rc);
}

int corio_lock_release(corio_lock *m)
{
    CORIO__MISUSE_IF(!m, "the lock is NULL");
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__MISUSE_IF(m->owner != l->current, "the lock is not held by the calling task");
    corio_task *next = NULL;
    if (!corio__list_empty(&m->waiters))
        next = corio__container_of(m->waiters.next, corio_task, wait_node);
    m->owner = next;
    if (next)
        corio__waitq_wake_one(l, &m->waiters, 0);
    return 0;
}

bool corio_lock_locked(const corio_lock *m)
{
    CORIO__MISUSE_IF(!m, "the lock is NULL");
    return m->owner != NULL;
}

bool corio_lock_owned(const corio_lock *m)
{
    CORIO__MISUSE_IF(!m, "the lock is NULL");
    corio__loop *l = corio__task_loop();
    return l && m->owner == l->current;
}
