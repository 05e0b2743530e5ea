/* The scheduler: switching between tasks, parking and waking them.
 *
 * A task that yields, parks or ends hands the CPU straight to the next task in
 * the run queue, without passing through the scheduler context, for as long as
 * the current round lasts (loop->batch). A round is the tasks that were
 * runnable when it began; at its end control returns to the scheduler context
 * (corio_run's loop), which fires due timers and polls for I/O before starting
 * the next. When there is nothing to poll the next round starts in place. */
#include <errno.h>
#include <stdlib.h>

#include "sched.h"

__thread corio__loop *corio__tls_loop __attribute__((tls_model("initial-exec")));

/* Switches from `from` (NULL: the scheduler context) to `to` (NULL: the
 * scheduler context). Returns when `from` is resumed. */
static void switch_to(corio__loop *l, corio_task *from, corio_task *to)
{
    corio__ctx *fc = from ? &from->ctx : &l->sched_ctx;
    corio__ctx *tc = to ? &to->ctx : &l->sched_ctx;

    if (from && CORIO__UNLIKELY(!corio__stack_canary_ok(&from->stack)))
        corio__die_in_task("stack overflow (canary overwritten)", from);
    l->current = to;
    if (to)
        to->state = CORIO__RUNNING;
#if defined(CORIO__TSAN)
    CORIO__TSAN_SWITCH(to ? to->tsan_fiber : l->sched_tsan_fiber);
#endif
#if defined(CORIO__ASAN)
    void **fake = from ? &from->asan_fake_stack : &l->sched_fake_stack;
    if (from && from->state == CORIO__DONE)
        fake = NULL; /* this fiber ends: let ASan free its fake stack */
    if (to)
        __sanitizer_start_switch_fiber(fake, to->stack.lo, to->stack.size);
    else
        __sanitizer_start_switch_fiber(fake, l->sched_stack_lo, l->sched_stack_size);
    corio__ctx_switch(fc, tc);
    __sanitizer_finish_switch_fiber(from ? from->asan_fake_stack : l->sched_fake_stack, NULL, NULL);
#else
    corio__ctx_switch(fc, tc);
#endif
    if (l->zombie)
        corio__reap(l);
}

void corio__schedule(corio__loop *l)
{
    corio_task *cur = l->current, *next = NULL;

    if (l->batch > 0) {
        next = corio__runq_pop(l);
        if (next)
            l->batch--;
    } else if (l->runq_head && l->timers.n == 0 && l->poller.nfd == 0 &&
               !corio__callbacks_pending(l)) {
        /* Nothing for the scheduler context to look at: next round here. */
        l->batch = l->runq_len - 1;
        next = corio__runq_pop(l);
    }
    if (next == cur) {
        cur->state = CORIO__RUNNING;
        return;
    }
    switch_to(l, cur, next);
}

void corio__resume(corio__loop *l, corio_task *t)
{
    switch_to(l, NULL, t);
}

void corio__park_deadline(corio__timer *timer)
{
    corio_task *t = corio__container_of(timer, corio_task, timer);
    if (t->cancel_hook)
        t->cancel_hook(t);
    corio__wake(t->loop, t, CORIO__EDEADLINE);
}

int corio__park_slow(corio__loop *l, const char *what, int64_t detail, int64_t deadline_ns,
                     corio__cancel_hook *hook)
{
    corio_task *t = l->current;
    t->timer.fire = corio__park_deadline;
    if (corio__timer_add(&l->timers, &t->timer, deadline_ns) < 0)
        return -ENOMEM;
    return corio__park_now(l, what, detail, hook); /* the wake disarmed the timer */
}

void corio__park_uncancellable(corio__loop *l, const char *what, int64_t detail)
{
    corio_task *t = l->current;
    t->state = CORIO__WAITING;
    t->wait_what = what;
    t->wait_detail = detail;
    t->cancellable = false;
    corio__schedule(l);
}

void corio__reap(corio__loop *l)
{
    corio_task *t = l->zombie;
    l->zombie = NULL;
    corio__task_free(l, t);
}

void corio__waitq_leave(corio_task *t)
{
    corio__list_unlink(&t->wait_node);
}

void corio__waitq_wake_all(corio__loop *l, corio__waitq *q, int code)
{
    while (corio__waitq_wake_one(l, q, code))
        ;
}
