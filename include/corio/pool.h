/* Blocking work off the loop: a process-wide pool of threads.
 *
 * corio_to_thread() is asyncio's run_in_executor: the calling task waits, the
 * loop keeps running other tasks. The pool starts with as many threads as
 * cores when first used and grows, while work is queued and no thread is
 * idle, up to a cap (default 4 x cores, at least 16).
 *
 * corio_pool_submit() is the concurrent.futures side, for plain threads that
 * run no loop: it returns a job whose outcome they wait for. */
#ifndef CORIO_POOL_H
#define CORIO_POOL_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sets the pool size before its first use: min threads started, max the
 * cap. -EINVAL bad sizes; -EBUSY once the pool runs. */
CORIO_API int corio_pool_configure(unsigned min_threads, unsigned max_threads);

/* Runs fn(arg) on a pool thread and returns 0 with its result in *result
 * (if non-NULL). A checkpoint: if the calling task is cancelled, or the
 * deadline (absolute corio_now() ms, -1 none) passes, it returns -ECANCELED /
 * -ETIMEDOUT at once; fn runs to completion in the background and its result
 * is dropped (a deadline already past when called: fn is not started) (the loop stays up until it
 * has finished, so fn may still touch the caller's data only if that outlives the loop: pass it
 * heap memory it owns). Errors: -ENOMEM, -EAGAIN (no thread could be
 * started). Misuse (aborts): outside a task. */
CORIO_API int corio_to_thread(corio_fn *fn, void *arg, intptr_t *result, int64_t deadline);

/* concurrent.futures for threads without a loop: queues fn(arg) and
 * returns 0 with *out, the job to wait for and free. Errors: -EINVAL fn or
 * out NULL; -ENOMEM; -EAGAIN no pool thread could be started. */
typedef struct corio_job corio_job;
CORIO_API int corio_pool_submit(corio_fn *fn, void *arg, corio_job **out);
/* Blocks the calling thread until the job is done or deadline_ms (absolute
 * corio_now() ms, -1 none) passes: 0 and *result, or -ETIMEDOUT. */
CORIO_API int corio_job_wait(corio_job *j, intptr_t *result, int64_t deadline);
/* Frees the job; if it has not finished, it is freed when it does. */
CORIO_API void corio_job_free(corio_job *j);

#ifdef __cplusplus
}
#endif
#endif
