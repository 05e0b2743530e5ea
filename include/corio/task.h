/* Tasks: stackful coroutines scheduled FIFO by their thread's loop.
 * All functions here must be called from inside corio_run() on the loop's
 * thread. The calling rule (deadlines, errors, misuse) is in common.h. */
#ifndef CORIO_TASK_H
#define CORIO_TASK_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CORIO_TASK_NAME_MAX 32 /* including the terminating NUL */

typedef struct corio_spawn_opts {
    const char *name;  /* copied; truncated to CORIO_TASK_NAME_MAX-1 bytes */
    size_t stack_size; /* 0: the loop's default; else raised to corio_stack_min(), <= MAX */
} corio_spawn_opts;

/* Starts fn(arg) as a new task in nursery `n` (NULL: the calling task's own
 * implicit nursery, which the caller waits for before it finishes). The new
 * task first runs at the caller's next suspension point, in FIFO order.
 * If `handle` is non-NULL it receives a handle for corio_join(); the handle
 * stays valid until corio_task_release(), even after the nursery closed: like
 * an unjoined pthread, an unreleased handle keeps the task's memory (until
 * the loop ends). Without a handle a task's memory goes back to the pool as
 * soon as it ends.
 * Errors: -EINVAL stack size over CORIO_STACK_MAX; -ENOMEM no memory or
 * memory maps left; -EPERM the nursery's task has ended, so nothing would
 * wait for the new one (a loop callback spawning after the root task ended).
 * Misuse (aborts): fn NULL; outside a loop's thread; into a nursery of
 * another loop. */
CORIO_API int corio_spawn(corio_nursery *n, corio_fn *fn, void *arg, corio_task **handle);
/* corio_spawn with a name and stack size (opts NULL: the defaults); the
 * same errors and misuse. */
CORIO_API int corio_spawn_ex(corio_nursery *n, corio_fn *fn, void *arg,
                             const corio_spawn_opts *opts, corio_task **handle);

/* Waits until task t has finished: the wait contract of
 * corio_future_await() on t's future, of which this is a thin alias. Returns
 * 0 once t is done, with t's result (a value >= 0 or t's error < 0) in
 * *result (if non-NULL); or the wait's own failure, t running on:
 * -ETIMEDOUT the deadline passed (or the caller's scope's), -ECANCELED the
 * caller was cancelled, -EDEADLK t is the caller. Can be called any number
 * of times, from any task of the loop. Misuse (aborts): t not a live handle
 * of this loop (NULL, released already); outside a task. */
CORIO_API int corio_join(corio_task *t, intptr_t *result, int64_t deadline);

/* Gives up a handle from corio_spawn(). A finished task is freed at once, a
 * running one when it finishes. The handle must not be used afterwards.
 * Misuse (aborts): t is not a live handle of this thread's loop (NULL, a
 * pointer that is not a task, or released already). */
CORIO_API void corio_task_release(corio_task *t);

/* Lets every other runnable task run once, then returns 0, or -ECANCELED /
 * -ETIMEDOUT if the task is cancelled (a checkpoint). Misuse (aborts):
 * outside a task. */
CORIO_API int corio_yield(void);

/* The running task, or NULL outside any task. */
CORIO_API corio_task *corio_current(void);

/* Unique (per loop, from 1) id and name ("task-<id>" unless set) of t. */
CORIO_API uint64_t corio_task_id(const corio_task *t);
CORIO_API const char *corio_task_name(const corio_task *t);

/* Renames the task (copied, truncated). */
CORIO_API void corio_task_set_name(corio_task *t, const char *name);

#ifdef __cplusplus
}
#endif
#endif
