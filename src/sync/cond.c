/* Condition variable over a corio_lock. */
#include <limits.h>
#include <stdlib.h>

#include <corio/sync.h>

#include "../core/sched.h"

struct corio_cond {
    corio__loop *loop;
    corio_lock *lock;
    corio__waitq waiters;
};

int corio_cond_new(corio_lock *m, corio_cond **out)
{
    CORIO__MISUSE_IF(!m, "the lock is NULL");
    corio_cond *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->lock = m;
    corio__waitq_init(&c->waiters);
    *out = c;
    return 0;
}

int corio_cond_free(corio_cond *c)
{
    if (!c)
        return 0;
    if (!corio__list_empty(&c->waiters))
        return -EBUSY;
    free(c);
    return 0;
}

int corio_cond_wait(corio_cond *c, int64_t deadline)
{
    CORIO__MISUSE_IF(!c, "the condition is NULL");
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__BIND_OR_DIE(c, l, !corio__list_empty(&c->waiters));
    CORIO__MISUSE_IF(!corio_lock_owned(c->lock), "the condition's lock is not held by the caller");
    corio_lock_release(c->lock);
    int rc = corio__wait_rc(
        corio__waitq_park(l, &c->waiters, "condition", 0, corio__deadline_ns(deadline)));
    /* The caller expects to hold the lock again whatever happened, so this
     * acquire must not be cut short by the cancellation being reported. */
    corio_scope shield;
    int shielded = corio_scope_enter(&shield, -1, CORIO_SCOPE_SHIELD);
    int lrc = corio_lock_acquire(c->lock, -1);
    if (shielded == 0)
        corio_scope_exit(&shield);
    return lrc < 0 ? lrc : rc;
}

static int notify(corio_cond *c, long n)
{
    corio__loop *l = corio__task_loop_or_die("corio_cond_notify");
    if (!c)
        corio__misuse("corio_cond_notify", "the condition is NULL");
    CORIO__BIND_OR_DIE(c, l, !corio__list_empty(&c->waiters));
    if (!corio_lock_owned(c->lock))
        corio__misuse("corio_cond_notify", "the condition's lock is not held by the caller");
    while (n-- > 0 && corio__waitq_wake_one(l, &c->waiters, 0))
        ;
    return 0;
}

int corio_cond_notify(corio_cond *c, int n)
{
    return n < 0 ? -EINVAL : notify(c, n);
}

int corio_cond_notify_all(corio_cond *c)
{
    return notify(c, LONG_MAX);
}
