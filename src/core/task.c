/* Tasks: spawning, the body's life cycle, joining and releasing handles. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/future.h>
#include <corio/run.h>

#include "sched.h"

static void copy_name(corio_task *t, const char *name)
{
    size_t n = strnlen(name, CORIO_TASK_NAME_MAX - 1);
    memcpy(t->name, name, n);
    t->name[n] = '\0';
    t->named = true;
}

/* A child of n ended: account for it and wake a waiting owner. */
static inline void child_done(corio__loop *l, corio_nursery *n, corio_task *t)
{
    n->running--;
    /* A failure of a child nobody holds a handle to cancels the siblings and
     * the owner's code in the nursery, as in trio. A handle holder hears of
     * it from corio_join instead (asyncio's create_task + await), or close
     * reports it if nobody ever joined. */
    if (corio__task_failed(t) && !t->has_handle && n->first_error == 0) {
        n->first_error = t->result;
        corio__scope_cancel(l, &n->scope, -ECANCELED);
    }
    if (!t->has_handle)
        corio__list_unlink(&t->sibling);
    if (n->running == 0 && n->waiting) {
        n->waiting = false;
        corio__wake(l, n->owner, 0);
    }
}

/* t has ended with result: its joiner, if any, gets the result and is
 * woken first, as the first waiter would be. Its join has no deadline: no
 * timer to disarm. With nothing queued it would be the run queue's head:
 * returned then, for corio__exit to queue there or run at once; NULL
 * otherwise. */
static inline corio_task *wake_joiner(corio__loop *l, corio_task *t, intptr_t result)
{
    corio_task *j = t->joiner;
    if (!j)
        return NULL;
    t->joined = true;
    if (t->join_out)
        *t->join_out = result;
    j->wake_code = 0;
    if (!l->runq_head)
        return j;
    corio__runq_push(l, j);
    return NULL;
}

/* task_end's general case: children to wait for, a failure or a
 * cancellation, waiters or observers of its future, a parent waiting. */
static __attribute__((noinline)) void task_end_slow(corio__loop *l, corio_task *t, intptr_t result)
{
    /* Scopes and nurseries close in order (scope_exit and nursery_close
     * check it): any still open leaves the task's innermost scope elsewhere. */
    if (t->scope != &t->implicit.scope)
        corio__die_in_task("task returned with a nursery or cancel scope still open", t);
    /* A child's failure cancels its siblings and the parent's body, which may
     * then return -ECANCELED: the failure is the better result. */
    corio_nursery *n = &t->implicit;
    intptr_t children = !n->scope.nursery                                ? 0
                        : n->running || !corio__list_empty(&n->children) ? corio_nursery_close(n)
                                                                         : n->first_error;
    n->scope.nursery = false; /* closed: as a record reused from the spare slot expects */
    if (children < 0 && (result >= 0 || result == -ECANCELED))
        result = children;
    t->ended_cancelled = result < 0 && result == corio__cancelled(l, t);
    /* Its root scope has no deadline and is in no list (scope.h): only a
     * cancellation to count out. */
    if (t->implicit.scope.cancelled) {
        l->ncancelled--;
        t->implicit.scope.cancelled = 0;
    }

    t->result = result;
    t->state = CORIO__DONE;
    l->live--;
    corio_task *j = wake_joiner(l, t, result);
    corio__future_resolve(l, &t->future, result);
    if (t->parent)
        child_done(l, t->parent, t);
    corio__exit(l, j); /* last: a tail call (sched.c) */
}

/* The end of a task whose body returned result: its children, its result,
 * its joiner and parent told. Apart from task_entry, with the task and loop
 * found again from the thread's loop, so that task_entry keeps nothing
 * across the body. The common case calls nothing but corio__exit (a tail
 * call), so saves no registers: no failure, nothing cancelled, no child
 * spawned into its implicit nursery, no waiter on its future but a joiner,
 * nobody observing it, no parent waiting in close. */
static __attribute__((noinline)) void task_end(intptr_t result)
{
    corio__loop *l = corio__loop_get();
    corio_task *t = l->current;
    corio_nursery *n = t->parent;
    if (CORIO__UNLIKELY(result < 0 || l->ncancelled || t->implicit.scope.nursery ||
                        t->scope != &t->implicit.scope || !corio__list_empty(&t->future.waiters) ||
                        corio__future_observable(&t->future) || (n && n->waiting))) {
        task_end_slow(l, t, result);
        return;
    }
    /* ended_cancelled stays false: nothing is cancelled. */
    t->result = result;
    t->state = CORIO__DONE;
    l->live--;
    corio_task *j = wake_joiner(l, t, result);
    t->future.result = result;
    t->future.done = true;
    if (n) { /* child_done without a failure or an owner to wake */
        n->running--;
        if (!t->has_handle)
            corio__list_unlink(&t->sibling);
    }
    corio__exit(l, j); /* last: a tail call (sched.c) */
}

/* Every task starts here, on its own stack, and never returns: it ends by
 * switching away for the last time (corio__exit). */
static void task_entry(void *arg)
{
    corio_task *t = arg;
    corio__loop *l = t->loop;

#if defined(CORIO__ASAN)
    const void *bottom;
    size_t size;
    __sanitizer_finish_switch_fiber(NULL, &bottom, &size);
    if (!l->sched_stack_lo) { /* the first task is always entered from there */
        l->sched_stack_lo = bottom;
        l->sched_stack_size = size;
    }
#endif
    if (l->zombie)
        corio__reap(l);
    task_end(t->fn(t->arg));
}

/* corio's own use of a task's stack: the task record at its top, the saved
 * registers of a switch and the frames of a park (corio_sleep -> timer ->
 * scheduler -> switch). ASan's redzones make frames several times bigger. */
#if defined(CORIO__ASAN)
#define OWN_FRAMES (8u * 1024u)
#else
#define OWN_FRAMES 2048u
#endif

size_t corio_stack_min(void)
{
    return corio__stack_min(sizeof(corio_task) + OWN_FRAMES);
}

/* Sets up what a task's record holds that a task's life leaves as it found
 * it, once per record: when its stack comes from the pool. A record reused
 * from the spare slot (corio__task_free) has them still: its loop, stack and
 * magic; no deadline armed (every wake and firing disarms it); its future's
 * loop and task, no waiter (each has left, woken or timed out, before the
 * task can be freed) and no listeners or callbacks lists (the free takes
 * them away); its root scope's owner, no cancellation (task_end_slow counts
 * it out), no scope opened inside it (scopes close in order, task_end
 * checks) and the root scope innermost; its implicit nursery not in use
 * (task_end_slow); its place in the loop's list of tasks, where the dump
 * passes over it. */
static inline __attribute__((always_inline)) corio_task *task_setup(corio__loop *l,
                                                                    const corio__stack *st)
{
    /* The task lives at the top of its own stack: one allocation, and a
     * sleeping task touches a single page there. */
    uintptr_t top = (uintptr_t)st->lo + st->size;
    corio_task *t = (corio_task *)((top - sizeof(corio_task)) & ~(uintptr_t)63);
    t->loop = l;
    t->magic = CORIO__TASK_MAGIC;
    t->timer.index = SIZE_MAX;
    t->stack = *st;
    corio__future_init(&t->future, l, t);
    corio__scope_init_root(&t->implicit.scope, NULL, t, false, false);
    t->scope = &t->implicit.scope;
    corio__list_push(&l->tasks, &t->all);
    return t;
}

/* Sets up the rest of t's record, fresh or reused (from the spare slot),
 * for fn(arg), a child of n, and queues it. Calls nothing (but ThreadSanitizer): inlined into
 * corio_spawn_ex, whose common case then saves no registers. */
static inline __attribute__((always_inline)) void task_start(corio__loop *l, corio_task *t,
                                                             bool reused, corio_nursery *n,
                                                             corio_fn *fn, void *arg,
                                                             corio_task **handle)
{
    /* Field by field: a memset of the whole record was a tenth of a spawn.
     * What is not set here or by task_setup is set by the run queue
     * (run_next, state); the timer's other fields when it is armed; the
     * implicit nursery's own fields on its first use (corio__task_nursery);
     * result when the task ends (nothing reads it before); wait_node by
     * every waitq park, which links it before anything unlinks it;
     * wait_what, wait_detail, cancel_hook, cancellable and wake_code by
     * every park (read only while the task is WAITING, or after it); name
     * when it is first given or asked for (named). */
    t->wait_data = NULL;
    t->joiner = NULL;
    t->fn = fn;
    t->arg = arg;
    t->id = ++l->next_id;
    t->has_handle = handle != NULL;
    t->ended_cancelled = false;
    t->joined = false;
    t->named = false;
#if defined(CORIO__ASAN)
    t->asan_fake_stack = NULL;
#endif
    t->future.done = false;
    t->implicit.scope.parent = n ? &n->scope : NULL;
    t->parent = n;
    if (n) {
        corio__list_push(&n->children, &t->sibling);
        n->running++;
    } else {
        corio__list_init(&t->sibling);
    }
    size_t below = (size_t)((char *)t - t->stack.lo);
    if (reused) /* its first frame may still be there (context.h) */
        corio__ctx_remake(&t->ctx, t->stack.lo, below, task_entry, t);
    else
        corio__ctx_make(&t->ctx, t->stack.lo, below, task_entry, t);
#if defined(CORIO__TSAN)
    t->tsan_fiber = CORIO__TSAN_CREATE();
#endif
    if (++l->live > l->live_peak)
        l->live_peak = l->live;
    corio__runq_push(l, t);
    if (handle)
        *handle = t;
}

/* A spawn with options, or whose stack is not in the pool used last. */
static __attribute__((noinline)) int spawn_slow(corio__loop *l, corio_nursery *n, corio_fn *fn,
                                                void *arg, const corio_spawn_opts *opts,
                                                corio_task **handle)
{
    size_t size = l->cfg.stack_size; /* rounded by corio_run */
    if (opts && opts->stack_size) {
        size = corio__stack_round(&l->stacks, opts->stack_size);
        if (!size)
            return -EINVAL;
    }
    corio__stack st;
    int rc = corio__stack_get(&l->stacks, size, &st);
    if (rc < 0)
        return rc;
    corio_task *t = task_setup(l, &st);
    task_start(l, t, false, n, fn, arg, handle);
    if (opts && opts->name)
        copy_name(t, opts->name);
    return 0;
}

int corio__spawn_root(corio__loop *l, corio_fn *fn, void *arg, corio_task **out)
{
    static const corio_spawn_opts root = {.name = "main"};
    return spawn_slow(l, NULL, fn, arg, &root, out);
}

/* corio_spawn_ex and corio_spawn, inlined into each: corio_spawn, with no
 * options, is spared testing them and a call. Misuse is reported as
 * corio_spawn_ex's, as it always was. */
static inline __attribute__((always_inline)) int
spawn(corio_nursery *n, corio_fn *fn, void *arg, const corio_spawn_opts *opts, corio_task **handle)
{
    corio__loop *l = corio__loop_get();
    CORIO__MISUSE_IF_IN("corio_spawn_ex", !l, "called outside a loop's thread");
    CORIO__MISUSE_IF_IN("corio_spawn_ex", !fn, "fn is NULL");
    if (!n && l->current) { /* the running task's own nursery: nothing to check */
        n = corio__task_nursery(l->current);
    } else {
        if (!n) /* from a loop callback: into the root nursery */
            n = l->root ? corio__task_nursery(l->root) : NULL;
        CORIO__MISUSE_IF_IN("corio_spawn_ex", n && n->owner->loop != l,
                            "a nursery of another loop");
        if (!n || n->owner->state == CORIO__DONE)
            return -EPERM; /* the nursery's owner has ended: nothing may join it */
    }
    if (CORIO__UNLIKELY(opts != NULL))
        return spawn_slow(l, n, fn, arg, opts, handle);
    corio_task *t = l->spare_task;
    if (CORIO__LIKELY(t != NULL)) { /* the default stack size's, kept set up */
        l->spare_task = NULL;
        task_start(l, t, true, n, fn, arg, handle);
        return 0;
    }
    corio__stack st;
    if (!corio__stack_get_pooled(&l->stacks, l->cfg.stack_size, &st))
        return spawn_slow(l, n, fn, arg, opts, handle);
    task_start(l, task_setup(l, &st), false, n, fn, arg, handle);
    return 0;
}

int corio_spawn_ex(corio_nursery *n, corio_fn *fn, void *arg, const corio_spawn_opts *opts,
                   corio_task **handle)
{
    return spawn(n, fn, arg, opts, handle);
}

int corio_spawn(corio_nursery *n, corio_fn *fn, void *arg, corio_task **handle)
{
    return spawn(n, fn, arg, NULL, handle);
}

static bool is_handle(const corio_task *t)
{
    return t && t->magic == CORIO__TASK_MAGIC && t->has_handle;
}

/* A joiner parked on t->joiner leaves it (cancellation). */
static void join_leave(corio_task *j)
{
    corio_task *t = j->wait_data;
    t->joiner = NULL;
}

/* A join that waits on the future's waitq (with its checkpoint): with a
 * deadline, a second joiner, or t ended; or when a scope is cancelled
 * somewhere. Apart, so that corio_join's common case saves no registers. */
static __attribute__((noinline)) int join_slow(corio__loop *l, corio_task *t, intptr_t *result,
                                               int64_t deadline)
{
    return corio__future_wait(l, &t->future, result, deadline, "join task #%lld", (int64_t)t->id);
}

int corio_join(corio_task *t, intptr_t *result, int64_t deadline)
{
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__MISUSE_IF(!is_handle(t) || t->loop != l,
                     "not a task handle of this thread's loop (released already?)");
    /* The common join, the first without a deadline: no waitq, and the
     * result is delivered by t's end (task_end). */
    corio_task *cur = l->current;
    if (CORIO__UNLIKELY(deadline >= 0 || t->future.done || t->joiner || t == cur ||
                        !corio__list_empty(&t->future.waiters) || l->ncancelled))
        return join_slow(l, t, result, deadline);
    t->joiner = cur;
    t->join_out = result;
    cur->wait_data = t;
    return corio__park_now(l, "join task #%lld", (int64_t)t->id, join_leave);
}

void corio_task_release(corio_task *t)
{
    corio__loop *l = corio__loop_get();
    CORIO__MISUSE_IF(!is_handle(t) || t->loop != l,
                     "not a task handle of this thread's loop (released already?)");
    t->has_handle = false;
    if (t->state == CORIO__DONE)
        corio__task_free(l, t);
}

/* Gives t's record back to the pool with its stack. */
static void stack_free(corio__loop *l, corio_task *t)
{
    corio__list_remove(&t->all);
    t->magic = 0;
    /* The pool copies t->stack (after unpoisoning the stack, for
     * AddressSanitizer) before anything reuses it. */
    corio__stack_put(&l->stacks, &t->stack);
}

/* corio__task_free's case with a future that was given out (corio_task_future),
 * apart: the common case then calls nothing (but a tail call), so saves no
 * registers. Its callbacks are dropped and its lists go, as a spawn that
 * reuses the record expects. */
static __attribute__((noinline)) void task_free_observed(corio__loop *l, corio_task *t)
{
    corio__future_fini(&t->future);
    t->future.listeners.next = NULL;
    corio__task_free(l, t);
}

void corio__task_free(corio__loop *l, corio_task *t)
{
    if (CORIO__UNLIKELY(corio__future_observable(&t->future))) {
        task_free_observed(l, t);
        return;
    }
#if defined(CORIO__TSAN)
    CORIO__TSAN_DESTROY(t->tsan_fiber);
#endif
    corio__list_remove(&t->sibling);
    if (!l->spare_task && t->stack.size == l->cfg.stack_size) {
        /* Its stack's last frames stay poisoned when its task switches away
         * for good; the next task on it must start clean. */
        CORIO__UNPOISON(t->stack.lo, t->stack.size);
        t->state = CORIO__FREE;
        l->spare_task = t;
        return;
    }
    stack_free(l, t);
}

void corio__task_spare_drop(corio__loop *l)
{
    if (l->spare_task) {
        stack_free(l, l->spare_task);
        l->spare_task = NULL;
    }
}

corio_task *corio_current(void)
{
    corio__loop *l = corio__loop_get();
    return l ? l->current : NULL;
}

uint64_t corio_task_id(const corio_task *t)
{
    return t ? t->id : 0;
}

const char *corio_task_name(const corio_task *t)
{
    if (!t)
        return "";
    if (!t->named) { /* named lazily: formatting on every spawn would cost more than the spawn */
        snprintf(((corio_task *)t)->name, CORIO_TASK_NAME_MAX, "task-%llu",
                 (unsigned long long)t->id);
        ((corio_task *)t)->named = true;
    }
    return t->name;
}

void corio_task_set_name(corio_task *t, const char *name)
{
    if (t && name)
        copy_name(t, name);
}
