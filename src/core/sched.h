/* Internal: the scheduler's primitives that the rest of corio builds its
 * blocking calls from (park, wake, wait queues, cancellation checks), and the
 * one header of this module for the layers above it. */
#ifndef CORIO_CORE_SCHED_H
#define CORIO_CORE_SCHED_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <corio/cancel.h>

#include "../base/misuse.h"
#include "future.h"
#include "loop.h"
#include "scope.h"
#include "task.h"

#if defined(__GNUC__)
#define CORIO__LIKELY(x)   __builtin_expect(!!(x), 1)
#define CORIO__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define CORIO__LIKELY(x)   (x)
#define CORIO__UNLIKELY(x) (x)
#endif

/* What a park returns when the park's own deadline passed (callers turn it
 * into -ETIMEDOUT, or 0 for a sleep); distinct from a scope's -ETIMEDOUT. */
#define CORIO__EDEADLINE (-100000)

/* A public deadline (absolute corio_now() ms, negative: none) in the timer
 * heap's nanoseconds. */
static inline int64_t corio__deadline_ns(int64_t deadline_ms)
{
    if (deadline_ms < 0)
        return -1;
    return deadline_ms > INT64_MAX / 1000000 ? INT64_MAX : deadline_ms * 1000000;
}

/* corio_now() as it was when the loop last polled: a turn old at most, and
 * no clock read. For a deadline far enough off that a turn does not
 * matter, computed often (once per request of a busy connection). */
static inline int64_t corio__loop_now(const corio__loop *l)
{
    return l->polled_ns / 1000000;
}

/* What a wait with a caller's deadline returns: its own deadline is -ETIMEDOUT. */
static inline int corio__wait_rc(int rc)
{
    return rc == CORIO__EDEADLINE ? -ETIMEDOUT : rc;
}

/* A sync object belongs to the loop of the tasks that hold it or wait on it
 * (busy); an idle one moves to whichever loop uses it next. A task of another
 * loop touching a busy object is refused: its waiters would be woken on the
 * wrong thread. */
#define CORIO__BIND(obj, l, busy)                                                                  \
    ((obj)->loop == (l) ? 0 : (busy) ? -EPERM : ((obj)->loop = (l), 0))

/* What CORIO__BIND refuses is misuse: a handle of another loop (common.h). */
#define CORIO__BIND_OR_DIE(obj, l, busy)                                                           \
    CORIO__MISUSE_IF(CORIO__BIND(obj, l, busy) < 0, "in use by the tasks of another loop")

/* The calling task's loop; outside a task (a blocking call there) is misuse. */
#define CORIO__TASK_LOOP() corio__task_loop_or_die(__func__)
static inline corio__loop *corio__task_loop_or_die(const char *func)
{
    corio__loop *l = corio__task_loop();
    if (CORIO__UNLIKELY(!l))
        corio__misuse(func, "called outside a task");
    return l;
}

/* The calling thread's loop; a call from a thread without one is misuse. */
#define CORIO__LOOP() corio__loop_or_die(__func__)
static inline corio__loop *corio__loop_or_die(const char *func)
{
    corio__loop *l = corio__loop_get();
    if (CORIO__UNLIKELY(!l))
        corio__misuse(func, "called outside a loop's thread");
    return l;
}

/* Appends t to the run queue. */
static inline void corio__runq_push(corio__loop *l, corio_task *t)
{
    t->state = CORIO__READY;
    t->run_next = NULL;
    if (l->runq_tail)
        l->runq_tail->run_next = t;
    else
        l->runq_head = t;
    l->runq_tail = t;
    l->runq_len++;
}

static inline corio_task *corio__runq_pop(corio__loop *l)
{
    corio_task *t = l->runq_head;
    if (t) {
        l->runq_head = t->run_next;
        if (!l->runq_head)
            l->runq_tail = NULL;
        l->runq_len--;
    }
    return t;
}

/* A new round starts with the n tasks queued now. */
static inline void corio__round_start(corio__loop *l, size_t n)
{
    l->batch = n;
    l->extra = 0;
}

int corio__cancelled_slow(const corio_task *t);

/* The cancellation that applies to t now: the code of the nearest cancelled
 * scope around it (stopping at a shield), or 0. */
static inline int corio__cancelled(const corio__loop *l, const corio_task *t)
{
    return CORIO__LIKELY(l->ncancelled == 0) ? 0 : corio__cancelled_slow(t);
}

/* Leaves the running task (already queued or parked) for the next runnable
 * one, or the scheduler context when the round is over. Returns, once the
 * task runs again, its wake_code: a park's result, so that parks tail-call
 * it and keep nothing of their own across the switch. */
int corio__schedule(corio__loop *l);

/* The running task has ended: leaves it for good (its record is freed by
 * whoever runs next unless someone holds a handle). Does not return. j: its
 * joiner, woken but not queued while the run queue was empty (sched.c), or
 * NULL. */
void corio__exit(corio__loop *l, corio_task *j);

/* Parks the running task, cancellable, without a deadline and without the
 * checkpoint test (callers of corio__park have done it). */
static inline int corio__park_now(corio__loop *l, const char *what, int64_t detail,
                                  corio__cancel_hook *hook)
{
    corio_task *t = l->current;
    t->state = CORIO__WAITING;
    t->wait_what = what;
    t->wait_detail = detail;
    t->cancel_hook = hook;
    t->cancellable = true;
    return corio__schedule(l);
}

int corio__park_slow(corio__loop *l, const char *what, int64_t detail, int64_t deadline_ns,
                     corio__cancel_hook *hook);

/* Suspends the running task until corio__wake() and returns the code passed
 * to it; a checkpoint: returns the cancellation at once, without parking, if
 * the task is cancelled already, and wakes early with it (after calling hook
 * to undo the task's registration) if it is cancelled meanwhile. With
 * deadline_ns >= 0 it also wakes at that time with CORIO__EDEADLINE (again
 * after hook). what/detail describe the wait for corio_dump_tasks. Inline:
 * it is on the path of every queue hand-off and lock wait. */
static inline int corio__park(corio__loop *l, const char *what, int64_t detail, int64_t deadline_ns,
                              corio__cancel_hook *hook)
{
    int rc = corio__cancelled(l, l->current);
    if (rc)
        return rc;
    if (deadline_ns >= 0)
        return corio__park_slow(l, what, detail, deadline_ns, hook);
    return corio__park_now(l, what, detail, hook);
}

/* The same, but neither cancellation nor a deadline can end the wait. */
void corio__park_uncancellable(corio__loop *l, const char *what, int64_t detail);

/* Makes a parked task runnable; its corio__park returns code. The caller has
 * already taken it out of whatever it waited on. */
static inline void corio__wake(corio__loop *l, corio_task *t, int code)
{
    /* Whatever woke it, the park's deadline must not fire as well: it would
     * queue the task a second time. */
    if (t->timer.index != SIZE_MAX)
        corio__timer_remove(&l->timers, &t->timer);
    /* wait_what, cancel_hook and cancellable are left as they are: they only
     * count while the task is WAITING, and every park sets them afresh. */
    t->wake_code = code;
    corio__runq_push(l, t);
}

static inline void corio__waitq_init(corio__waitq *q)
{
    corio__list_init(q);
}

void corio__waitq_leave(corio_task *t);

/* Parks the running task at the tail of q (see corio__park). */
static inline int corio__waitq_park(corio__loop *l, corio__waitq *q, const char *what,
                                    int64_t detail, int64_t deadline_ns)
{
    corio_task *t = l->current;
    int rc = corio__cancelled(l, t);
    if (rc)
        return rc;
    corio__list_push(q, &t->wait_node);
    rc = deadline_ns >= 0 ? corio__park_slow(l, what, detail, deadline_ns, corio__waitq_leave)
                          : corio__park_now(l, what, detail, corio__waitq_leave);
    corio__list_unlink(&t->wait_node); /* still queued if the deadline timer could not be armed */
    return rc;
}

/* Takes the first waiter out of q and wakes it with code; NULL if none. */
static inline corio_task *corio__waitq_wake_one(corio__loop *l, corio__waitq *q, int code)
{
    if (corio__list_empty(q))
        return NULL;
    corio_task *t = corio__container_of(q->next, corio_task, wait_node);
    corio__list_unlink(&t->wait_node);
    corio__wake(l, t, code);
    return t;
}

/* Wakes every task in q with code, in arrival order. */
static inline void corio__waitq_wake_all(corio__loop *l, corio__waitq *q, int code)
{
    while (corio__waitq_wake_one(l, q, code))
        ;
}

/* Resolves f (not yet done) and notifies waiters, listeners and callbacks. */
static inline void corio__future_resolve(corio__loop *l, corio_future *f, intptr_t result)
{
    f->result = result;
    f->done = true;
    corio__waitq_wake_all(l, &f->waiters, 0);
    if (corio__future_observable(f) &&
        (!corio__list_empty(&f->listeners) || !corio__list_empty(&f->callbacks)))
        corio__future_notify(l, f);
}

/* corio_future_await without the misuse checks; what and n describe the
 * wait for corio_dump_tasks. Inline: the body of corio_join. */
static inline int corio__future_wait(corio__loop *l, corio_future *f, intptr_t *result,
                                     int64_t deadline, const char *what, int64_t n)
{
    if (!f->done) {
        if (f->task == l->current)
            return -EDEADLK;
        int rc = corio__waitq_park(l, &f->waiters, what, n, corio__deadline_ns(deadline));
        if (rc < 0)
            return corio__wait_rc(rc);
    }
    if (f->task)
        f->task->joined = true;
    if (result)
        *result = f->result;
    return 0;
}

#endif
