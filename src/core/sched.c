/* The scheduler: switching between tasks, parking and waking them.
 *
 * A task that yields, parks or ends hands the CPU straight to the next task in
 * the run queue, without passing through the scheduler context. A round is
 * the tasks that were runnable when it began; at its end control returns to
 * the scheduler context (corio_run's loop), which fires due timers and polls
 * for I/O before starting the next. When there is nothing to poll the next
 * round starts in place.
 *
 * A round whose last task parks or ends while others are runnable (a child
 * it spawned and joins, the joiner its end woke, a queue's consumer) runs on
 * past its end, for up to ROUND_EXTRA turns, unless callbacks are queued: a
 * spawn and join in a loop that also has descriptors or timers would
 * otherwise pass through the scheduler context twice, and poll twice, for a
 * task that returns at once. The bound keeps a busy chain of tasks from
 * putting off timers and I/O for longer than that many turns. A yield never
 * extends a round: it is the way a task lets the loop look at timers, I/O
 * and callbacks. */
#include <errno.h>
#include <stdlib.h>

#include "sched.h"

#define ROUND_EXTRA 64

__thread corio__loop *corio__tls_loop __attribute__((tls_model("initial-exec")));

/* Whether the run queue's head may run now, counting its turn: the next
 * of the round, or, when the round is over, one of the turns past its end
 * (with extend: a park or an end, not a yield), or, when the scheduler
 * context has nothing to look at, the first of the next round started here,
 * with the `left` tasks queued behind it. */
static inline bool take_turn(corio__loop *l, bool extend, size_t left)
{
    if (l->batch > 0)
        l->batch--;
    else if (extend && l->extra < ROUND_EXTRA && !corio__callbacks_pending(l))
        l->extra++;
    else if (l->timers.n == 0 && l->poller.nfd == 0 && !corio__callbacks_pending(l))
        corio__round_start(l, left);
    else
        return false;
    return true;
}

/* The next task to run, taken from the run queue (see take_turn); NULL:
 * the scheduler context. */
static inline corio_task *pick_next(corio__loop *l, bool extend)
{
    corio_task *next = l->runq_head;
    if (!next || !take_turn(l, extend, l->runq_len - 1))
        return NULL;
    l->runq_head = next->run_next;
    if (!l->runq_head)
        l->runq_tail = NULL;
    l->runq_len--;
    return next;
}

/* Queues t at the run queue's head. */
static inline void runq_push_front(corio__loop *l, corio_task *t)
{
    t->state = CORIO__READY;
    t->run_next = l->runq_head;
    if (!l->runq_head)
        l->runq_tail = t;
    l->runq_head = t;
    l->runq_len++;
}

/* What from (NULL: the scheduler context) does before it leaves for to. */
static inline void leave(corio__loop *l, corio_task *from, corio_task *to)
{
    if (from && CORIO__UNLIKELY(!corio__stack_canary_ok(&from->stack)))
        corio__die_in_task("stack overflow (canary overwritten)", from);
    l->current = to;
    if (to)
        to->state = CORIO__RUNNING;
#if defined(CORIO__TSAN)
    CORIO__TSAN_SWITCH(to ? to->tsan_fiber : l->sched_tsan_fiber);
#endif
}

static inline corio__ctx *ctx_of(corio__loop *l, corio_task *t)
{
    return t ? &t->ctx : &l->sched_ctx;
}

#if defined(CORIO__CTX_JUMP)
/* What the switch into t hands it: a task that suspended in corio_yield
 * returns it from there, so it is that call's checkpoint; the others ignore
 * it. */
static inline int resume_value(corio__loop *l, corio_task *t)
{
    return t ? corio__cancelled(l, t) : 0;
}

/* The switches into t when a scope is cancelled somewhere: t's checkpoint
 * to work out. Apart, so that the common switch, handing over 0, keeps
 * nothing across a call of its own and its callers save no registers. */
static __attribute__((noinline)) void swap_cancelled(corio__ctx *from, corio_task *t)
{
    corio__ctx_switch_val(from, &t->ctx, corio__cancelled_slow(t), false);
}

static __attribute__((noinline)) void load_cancelled(corio_task *t)
{
    corio__ctx_load_val(t->ctx.sp, corio__cancelled_slow(t));
}
#endif

/* Switches from `from` (NULL: the scheduler context) to `to` (NULL: the
 * scheduler context). Returns when `from` is resumed. */
static inline __attribute__((always_inline)) void switch_to(corio__loop *l, corio_task *from,
                                                            corio_task *to)
{
    corio__ctx *fc = ctx_of(l, from), *tc = ctx_of(l, to);

    leave(l, from, to);
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
#elif defined(CORIO__CTX_JUMP)
    if (to && CORIO__UNLIKELY(l->ncancelled))
        swap_cancelled(fc, to);
    else
        corio__ctx_switch_val(fc, tc, 0, false);
#else
    corio__ctx_switch(fc, tc);
#endif
    l = corio__loop_get(); /* found again: nothing is kept across the switch */
    if (l->zombie)
        corio__reap(l);
}

int corio__schedule(corio__loop *l)
{
    corio_task *cur = l->current, *next = pick_next(l, cur->state != CORIO__READY);
    if (next == cur) {
        cur->state = CORIO__RUNNING;
        return cur->wake_code;
    }
    switch_to(l, cur, next);
    /* Found again from the thread's loop: with nothing kept across the
     * switch, no register is saved here (the switch saves them all). */
    return corio__loop_get()->current->wake_code;
}

/* corio_yield's general case: the running task queued like any other. */
static int yield_queued(corio__loop *l)
{
    corio__runq_push(l, l->current);
#if defined(CORIO__CTX_JUMP)
    corio_task *cur = l->current, *next = pick_next(l, false);
    if (next == cur) {
        cur->state = CORIO__RUNNING;
        return corio__cancelled(l, cur);
    }
    if (l->zombie)
        corio__reap(l);
    leave(l, cur, next);
    return corio__ctx_switch_val(&cur->ctx, ctx_of(l, next), resume_value(l, next), true);
#else
    corio__schedule(l);
    return corio__cancelled(l, l->current);
#endif
}

/* Here, next to the scheduler, so that its common case is one function.
 * With the jump protocol a yielding task leaves through tail calls from
 * corio_yield, and whoever resumes it jumps straight back into corio_yield's
 * caller with the checkpoint's result (resume_value): no return that the
 * CPU could mispredict when the tasks run different code. Nothing of its
 * own runs after it is resumed, so it reaps a zombie before it leaves.
 *
 * The common case, another task next in the same round (or in the next one,
 * started in place) and nothing to check, is a hand-off: the running task
 * goes to the run queue's tail and its head runs, the queue's length
 * unchanged: what yield_queued does, with a fifth fewer instructions per
 * switch (70 instead of 89 in a ping-pong of two tasks). */
int corio_yield(void)
{
    corio__loop *l = corio__loop_get();
    CORIO__MISUSE_IF(!l || !l->current, "called outside a task");
#if defined(CORIO__CTX_JUMP)
    corio_task *cur = l->current, *next = l->runq_head;
    if (CORIO__UNLIKELY(!next || l->zombie || l->ncancelled ||
                        !corio__stack_canary_ok(&cur->stack)))
        return yield_queued(l);
    if (l->batch > 0)
        l->batch--;
    else if (l->timers.n == 0 && l->poller.nfd == 0 && !corio__callbacks_pending(l))
        /* The next round, cur included, less next. Its extra turns are left
         * as they were: a yield takes none, and a store per round of yields
         * is spared. */
        l->batch = l->runq_len;
    else
        return yield_queued(l);
    l->runq_head = next->run_next;
    cur->run_next = NULL;
    cur->state = CORIO__READY;
    if (l->runq_head)
        l->runq_tail->run_next = cur;
    else
        l->runq_head = cur;
    l->runq_tail = cur;
    l->current = next;
    next->state = CORIO__RUNNING;
    return corio__ctx_switch_val(&cur->ctx, &next->ctx, 0, true);
#else
    return yield_queued(l);
#endif
}

/* The last switch out of an ended task. With the jump protocol it is a tail
 * call too: the task started with a jump that left a return stack entry
 * behind (the switch into it), and the tail call leaves the CPU's return
 * stack as it was then, so the task resumed now returns predicted (its
 * spawner's join, a nursery's close).
 *
 * j, when not NULL, is the ended task's joiner, woken (wake_code set) but not
 * yet queued: the run queue was empty when its turn came, so it goes to the
 * queue's head. With nothing queued since, it runs straight away, without
 * a trip through the run queue (a turn counted as any other). */
static __attribute__((noinline)) void exit_reap(corio__loop *l, corio_task *j)
{
    corio__reap(l);
    corio__exit(l, j);
}

void corio__exit(corio__loop *l, corio_task *j)
{
    corio_task *t = l->current;
    if (CORIO__UNLIKELY(l->zombie)) { /* one left by a task ending into a corio_yield */
        exit_reap(l, j);
        return;
    }
    if (!t->has_handle)
        l->zombie = t; /* freed by whoever runs next, off this stack */
#if defined(CORIO__CTX_JUMP)
    corio_task *next;
    if (j && !l->runq_head && take_turn(l, true, 0)) {
        next = j;
    } else {
        if (j)
            runq_push_front(l, j);
        next = pick_next(l, true); /* never t: it is not queued */
    }
    leave(l, t, next);
    if (next && CORIO__UNLIKELY(l->ncancelled))
        load_cancelled(next);
    else
        corio__ctx_load_val(ctx_of(l, next)->sp, 0);
#else
    if (j)
        runq_push_front(l, j);
    corio__schedule(l);
    corio__die_in_task("internal error: task resumed after it ended", t);
#endif
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
