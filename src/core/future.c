/* Futures: one outcome, waiters, internal listeners and user callbacks. */
#include <stdlib.h>

#include <corio/future.h>

#include "sched.h"

/* A user callback, queued on its future until the future is done, then on
 * the loop's call_soon ring until it runs. */
typedef struct done_cb {
    corio__list_node node; /* in future->callbacks until it runs */
    corio_future *future;  /* NULL once the future is freed: dropped */
    corio_done_fn *fn;
    void *arg;
    bool scheduled;
} done_cb;

int corio_future_new(corio_future **out)
{
    corio__loop *l = corio__loop_get();
    CORIO__MISUSE_IF(!l, "called outside a loop's thread");
    corio_future *f = malloc(sizeof *f);
    if (!f)
        return -ENOMEM;
    corio__future_init(f, l, NULL);
    *out = f;
    return 0;
}

static void run_cb(void *arg)
{
    done_cb *cb = arg;
    if (cb->future) {
        corio__list_unlink(&cb->node);
        cb->fn(cb->future, cb->arg);
    }
    free(cb);
}

static int schedule_cb(corio__loop *l, done_cb *cb)
{
    cb->scheduled = true;
    if (corio_call_soon(run_cb, cb) < 0) {
        run_cb(cb); /* no memory to defer it: run it now rather than lose it */
        return -ENOMEM;
    }
    (void)l;
    return 0;
}

void corio__future_notify(corio__loop *l, corio_future *f)
{
    while (!corio__list_empty(&f->listeners)) {
        corio__listener *ls = corio__container_of(f->listeners.next, corio__listener, node);
        corio__list_unlink(&ls->node);
        ls->fn(ls);
    }
    for (corio__list_node *n = f->callbacks.next, *next; n != &f->callbacks; n = next) {
        next = n->next;
        schedule_cb(l, corio__container_of(n, done_cb, node));
    }
}

void corio__future_drop_callbacks(corio_future *f)
{
    while (!corio__list_empty(&f->callbacks)) {
        done_cb *cb = corio__container_of(f->callbacks.next, done_cb, node);
        corio__list_unlink(&cb->node);
        if (cb->scheduled)
            cb->future = NULL; /* run_cb frees it */
        else
            free(cb);
    }
}

int corio_future_free(corio_future *f)
{
    if (!f)
        return 0;
    CORIO__MISUSE_IF(f->task, "a task's future goes with its task (corio_task_release)");
    if (!corio__list_empty(&f->waiters) || !corio__list_empty(&f->listeners))
        return -EBUSY;
    corio__future_fini(f);
    free(f);
    return 0;
}

static int resolve_checked(const char *func, corio_future *f, intptr_t outcome)
{
    corio__loop *l = corio__loop_get();
    if (!f)
        corio__misuse(func, "the future is NULL");
    if (l != f->loop)
        corio__misuse(func, "a future of another loop (use corio_call_soon_threadsafe)");
    if (f->task)
        corio__misuse(func, "a task's future is resolved by its task");
    if (f->done)
        return -EALREADY;
    corio__future_resolve(l, f, outcome);
    return 0;
}

int corio_future_set_result(corio_future *f, intptr_t value)
{
    return value < 0 ? -EINVAL : resolve_checked(__func__, f, value);
}

int corio_future_set_error(corio_future *f, intptr_t err)
{
    return err >= 0 ? -EINVAL : resolve_checked(__func__, f, err);
}

int corio_future_cancel(corio_future *f)
{
    CORIO__MISUSE_IF(!f, "the future is NULL");
    if (f->done)
        return -EALREADY;
    if (f->task) {
        corio_task_cancel(f->task);
        return 0;
    }
    return resolve_checked(__func__, f, -ECANCELED);
}

bool corio_future_done(const corio_future *f)
{
    return f->done;
}

intptr_t corio_future_result(const corio_future *f)
{
    return f->done ? f->result : -EAGAIN;
}

int corio_future_add_done_callback(corio_future *f, corio_done_fn *fn, void *arg)
{
    corio__loop *l = corio__loop_get();
    CORIO__MISUSE_IF(!f || !fn, "the future or fn is NULL");
    CORIO__MISUSE_IF(l != f->loop, "a future of another loop");
    done_cb *cb = calloc(1, sizeof *cb);
    if (!cb)
        return -ENOMEM;
    cb->future = f;
    cb->fn = fn;
    cb->arg = arg;
    corio__list_push(&f->callbacks, &cb->node);
    if (f->done)
        schedule_cb(l, cb);
    return 0;
}

int corio_future_await(corio_future *f, intptr_t *result, int64_t deadline)
{
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__MISUSE_IF(!f, "the future is NULL");
    CORIO__MISUSE_IF(l != f->loop, "a future of another loop");
    return corio__future_wait(l, f, result, deadline, "future", 0);
}

corio_future *corio_task_future(corio_task *t)
{
    if (!t)
        return NULL;
    if (!corio__future_observable(&t->future))
        corio__future_observable_init(&t->future);
    return &t->future;
}
