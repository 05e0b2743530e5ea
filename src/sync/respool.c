/* Resource pool: an idle stack, a count of open resources and a FIFO of
 * waiters. A release hands the resource straight to the first waiter; a
 * broken release hands it the right to open a new one. */
#include <stdlib.h>
#include <string.h>

#include <corio/respool.h>
#include <corio/time.h>

#include "../core/sched.h"

typedef struct idler {
    void *res;
    int64_t since; /* corio_now() at its release */
} idler;

struct corio_respool {
    corio__loop *loop;
    corio_respool_ops ops;
    void *ctx;
    size_t max, open; /* open: resources in existence, idle or acquired */
    idler *idle;      /* oldest release first: the top is the warmest */
    size_t nidle;
    int64_t idle_timeout; /* ms, 0: none */
    corio__waitq waiters;
};

/* What a waiter is handed: a resource, or a slot to open one in. */
typedef struct grant {
    void *res;
    bool slot;
} grant;

int corio_respool_new(const corio_respool_ops *ops, void *ctx, size_t max, corio_respool **out)
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
        p->ops.close(p->ctx, p->idle[--p->nidle].res);
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

int corio_respool_set_idle_timeout(corio_respool *p, int64_t ms)
{
    CORIO__MISUSE_IF(!p, "the pool is NULL");
    if (ms < 0)
        return -EINVAL;
    p->idle_timeout = ms;
    return 0;
}

/* Closes the idle resources that waited too long: the oldest, at the bottom. */
static void expire(corio_respool *p)
{
    if (!p->idle_timeout || !p->nidle)
        return;
    int64_t now = corio_now();
    size_t n = 0;
    while (n < p->nidle && now - p->idle[n].since >= p->idle_timeout)
        p->ops.close(p->ctx, p->idle[n++].res);
    if (n) {
        memmove(p->idle, p->idle + n, (p->nidle - n) * sizeof *p->idle);
        p->nidle -= n;
        p->open -= n;
    }
}

/* Opens into a slot already counted in p->open; gives the slot back on
 * failure (to the next waiter, who may try again). 1: opened. */
static int open_in_slot(corio__loop *l, corio_respool *p, void **res, int64_t deadline)
{
    int rc = p->ops.open(p->ctx, res, deadline);
    if (rc < 0) {
        pass_slot(l, p);
        return rc;
    }
    return 1;
}

int corio_respool_acquire(corio_respool *p, void **res, int64_t deadline)
{
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__MISUSE_IF(!p || !res, "the pool or res is NULL");
    CORIO__BIND_OR_DIE(p, l, p->open > 0 || !corio__list_empty(&p->waiters));
    int rc = corio__cancelled(l, l->current);
    if (rc)
        return rc;
    expire(p);
    if (p->nidle) {
        *res = p->idle[--p->nidle].res;
        return 0;
    }
    if (p->open < p->max) {
        p->open++;
        return open_in_slot(l, p, res, deadline);
    }
    grant g = {NULL, false};
    l->current->wait_data = &g;
    rc = corio__wait_rc(corio__waitq_park(l, &p->waiters, "resource pool", (int64_t)p->open,
                                          corio__deadline_ns(deadline)));
    if (rc < 0)
        return rc;
    if (g.slot)
        return open_in_slot(l, p, res, deadline);
    *res = g.res;
    return 0;
}

/* Common checks of the calls that give back what was acquired; func names
 * the caller in the misuse message. */
static void holder_check(corio_respool *p, const char *func)
{
    corio__loop *l = corio__task_loop_or_die(func);
    if (!p)
        corio__misuse(func, "the pool is NULL");
    if (p->loop != l)
        corio__misuse(func, "a pool of another loop");
    if (p->nidle + 1 > p->open)
        corio__misuse(func, "more releases than acquires");
}

int corio_respool_release(corio_respool *p, void *res, bool broken)
{
    holder_check(p, __func__);
    corio__loop *l = p->loop;
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
    p->idle[p->nidle++] = (idler){res, corio_now()};
    expire(p);
    return 0;
}

int corio_respool_reopen(corio_respool *p, void **res, int64_t deadline)
{
    holder_check(p, __func__);
    CORIO__MISUSE_IF(!res, "res is NULL");
    p->ops.close(p->ctx, *res);
    *res = NULL;
    int rc = corio__cancelled(p->loop, p->loop->current);
    if (rc) {
        pass_slot(p->loop, p);
        return rc;
    }
    rc = open_in_slot(p->loop, p, res, deadline);
    return rc < 0 ? rc : 0;
}

size_t corio_respool_idle(const corio_respool *p)
{
    return p->nidle;
}

size_t corio_respool_in_use(const corio_respool *p)
{
    return p->open - p->nidle;
}
