/* Futures (asyncio.Future) and the combinators over them: gather and wait.
 *
 * A future holds one outcome: a value >= 0 or an error < 0 (a negative errno;
 * -ECANCELED once cancelled). It belongs to the loop of the thread that
 * creates it; other threads resolve it through corio_call_soon_threadsafe.
 * Every task is a future too (corio_task_future), resolved with the task's
 * result, so gather and wait work on tasks and plain futures alike. */
#ifndef CORIO_FUTURE_H
#define CORIO_FUTURE_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_future corio_future;
typedef void corio_done_fn(corio_future *f, void *arg);

/* Errors: -ENOMEM. Misuse (aborts): not on a loop's thread. */
CORIO_API int corio_future_new(corio_future **out);
/* Frees f (NULL: nothing); callbacks not yet run are dropped. Errors: -EBUSY
 * (nothing freed) while tasks wait on it. Misuse (aborts): f is a task's
 * future (it goes with the task: corio_task_release). */
CORIO_API int corio_future_free(corio_future *f);

/* Resolve: waiters wake, done-callbacks are scheduled with corio_call_soon
 * in the order added. Errors: -EINVAL value < 0 / err >= 0; -EALREADY f is
 * resolved already (nothing changes). Misuse (aborts): f NULL; a future of
 * another loop or thread (resolve it through corio_call_soon_threadsafe); a
 * task's future (its task resolves it). */
CORIO_API int corio_future_set_result(corio_future *f, intptr_t value);
CORIO_API int corio_future_set_error(corio_future *f, intptr_t err);
/* Resolves with -ECANCELED; for a task's future, cancels the task instead
 * (it resolves when the task ends). Errors: -EALREADY f is done. Misuse
 * (aborts): f NULL; a future of another loop. */
CORIO_API int corio_future_cancel(corio_future *f);

CORIO_API bool corio_future_done(const corio_future *f);
/* The outcome (value >= 0 or error < 0) of a done future; -EAGAIN if pending. */
CORIO_API intptr_t corio_future_result(const corio_future *f);

/* Calls fn(f, arg) on the loop once f is done (at once if it is: scheduled
 * with corio_call_soon). Callbacks run in the order they were added.
 * Errors: -ENOMEM. Misuse (aborts): f or fn NULL; a future of another loop. */
CORIO_API int corio_future_add_done_callback(corio_future *f, corio_done_fn *fn, void *arg);

/* The wait contract, shared with corio_join: the awaited outcome and the
 * wait's own failure are kept apart. Returns 0 once f is done, with f's
 * outcome (a value >= 0 or an error < 0) in *result (if non-NULL); or a
 * negative errno when the wait itself failed, f untouched: -ETIMEDOUT the
 * deadline (absolute corio_now() ms, -1 none, 0 do not wait) or the caller's
 * scope's passed, -ECANCELED the caller was cancelled, -EDEADLK f is the
 * caller's own task's future. Misuse (aborts): f NULL; outside a task; f of
 * another loop. */
CORIO_API int corio_future_await(corio_future *f, intptr_t *result, int64_t deadline);

/* The future of task t (valid as long as the handle). */
CORIO_API corio_future *corio_task_future(corio_task *t);

/* --- combinators ---------------------------------------------------------- */

enum {
    /* gather: wait for all and report each outcome; do not cancel the rest
     * on the first error (asyncio's return_exceptions=True). */
    CORIO_GATHER_COLLECT_ALL = 1u << 0,
};

/* Waits for all n futures and stores their outcomes, in order, in results
 * (values or errors). On the first error, unless CORIO_GATHER_COLLECT_ALL,
 * the futures still pending are cancelled (tasks: cancelled and waited for)
 * and that error is returned. Returns 0 when all succeeded (or with
 * COLLECT_ALL, when all are done). A cancelled caller gets -ECANCELED, and
 * -ETIMEDOUT once the deadline (absolute corio_now() ms, -1 none, 0 do not
 * wait) passes; the futures still pending are cancelled then too, as with
 * asyncio's wait_for(gather(...)). Other errors: -EDEADLK one is the
 * caller's own task; -ENOMEM. Misuse (aborts): fs or one of them NULL;
 * outside a task; a future of another loop. */
CORIO_API int corio_gather(corio_future *const *fs, size_t n, intptr_t *results, unsigned flags,
                           int64_t deadline);

enum corio_wait_mode {
    CORIO_FIRST_COMPLETED, /* any one done */
    CORIO_FIRST_ERROR,     /* any one failed, or all done */
    CORIO_ALL_COMPLETED,
};

/* Waits until `mode` holds or the deadline passes (absolute ms, -1 none) and
 * returns how many of the futures are done (check each with
 * corio_future_done). The call's own deadline is not an error. Nothing is
 * cancelled. Errors: -ECANCELED the caller was cancelled; -ETIMEDOUT its
 * scope's deadline passed; -EINVAL bad mode; -EDEADLK one is the caller's own
 * task; -ENOMEM. Misuse (aborts): as corio_gather. */
CORIO_API int corio_wait(corio_future *const *fs, size_t n, enum corio_wait_mode mode,
                         int64_t deadline);

#ifdef __cplusplus
}
#endif
#endif
