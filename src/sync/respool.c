/* Resource pool: an idle stack, a count of open resources and a FIFO of
 * waiters. A release hands the resource straight to the first waiter; a
 * broken release hands it the right to open a new one. */
#include <stdlib.h>

#include <corio/respool.h>

#include "../core/sched.h"

struct corio_respool {
    corio__loop *loop;
    corio_respool_ops ops;
    void *ctx;
    size_t max, open; /* open: resources in existence, idle or acquired */
    void **idle;
    size_t nidle;
    corio__waitq waiters;
};

/* What a waiter is handed: a resource, or a slot to open one in. */
typedef struct grant {
    void *res;
    bool slot;
} grant;

int corio_respool_new(corio_respool **out, const corio_respool_ops *ops, void *ctx, size_t max)
{
    if (!out || !ops || !ops->open || !ops->close || max == 0)
        return -EINVAL;
    corio_respool *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->idle = malloc(max * sizeof *p->idle);
    if (!p->idle) {
        free(p);
        return -ENOMEM;
    }
    p->ops = *ops;
    p->ctx = ctx;
    p->max = max;
    corio__waitq_init(&p->waiters);
    *out = p;
    return 0;
}

int corio_respool_free(corio_respool *p)
{
    if (!p)
        return 0;
    if (p->open != p->nidle || !corio__list_empty(&p->waiters))
        return -EBUSY;
    while (p->nidle)
        p->ops.close(p->ctx, p->idle[--p->nidle]);
    free(p->idle);
    free(p);
    return 0;
}

static void pass_slot(corio__loop *l, corio_respool *p)
{
    if (!corio__list_empty(&p->waiters)) {
        corio_task *w = corio__container_of(p->waiters.next, corio_task, wait_node);
        ((grant *)w->wait_data)->slot = true;
        corio__waitq_wake_one(l, &p->waiters, 0);
    } else {
        p->open--;
    }
}

/* Opens into a slot already counted in p->open; gives the slot back on
 * failure (to the next waiter, who may try again). */
static int open_in_slot(corio__loop *l, corio_respool *p, void **res)
{
    int rc = p->ops.open(p->ctx, res);
    if (rc < 0)
        pass_slot(l, p);
    return rc;
}

int corio_respool_acquire(corio_respool *p, void **res, int64_t deadline)
{
    corio__loop *l = corio__task_loop();
    if (!p || !res)
        return -EINVAL;
    if (!l || CORIO__BIND(p, l, p->open > 0 || !corio__list_empty(&p->waiters)) < 0)
        return -EPERM;
    int rc = corio__cancelled(l, l->current);
    if (rc)
        return rc;
    if (p->nidle) {
        *res = p->idle[--p->nidle];
        return 0;
    }
    if (p->open < p->max) {
        p->open++;
        return open_in_slot(l, p, res);
    }
    grant g = {NULL, false};
    l->current->wait_data = &g;
    rc = corio__wait_rc(corio__waitq_park(l, &p->waiters, "resource pool", (int64_t)p->open,
                                          corio__deadline_ns(deadline)));
    if (rc < 0)
        return rc;
    if (g.slot)
        return open_in_slot(l, p, res);
    *res = g.res;
    return 0;
}

int corio_respool_release(corio_respool *p, void *res, bool broken)
{
    corio__loop *l = corio__task_loop();
    if (!p)
        return -EINVAL;
    if (!l || p->loop != l)
        return -EPERM;
    if (p->nidle + 1 > p->open)
        return -EINVAL; /* more releases than acquires */
    if (broken) {
        p->ops.close(p->ctx, res);
        pass_slot(l, p);
        return 0;
    }
    if (!corio__list_empty(&p->waiters)) {
        corio_task *w = corio__container_of(p->waiters.next, corio_task, wait_node);
        ((grant *)w->wait_data)->res = res;
        corio__waitq_wake_one(l, &p->waiters, 0);
        return 0;
    }
    p->idle[p->nidle++] = res;
    return 0;
}

size_t corio_respool_idle(const corio_respool *p)
{
    return p->nidle;
}

size_t corio_respool_in_use(const corio_respool *p)
{
    return p->open - p->nidle;
}
