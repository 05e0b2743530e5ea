/* A thread-safe queue of pointers: how loops on different threads (and
 * plain threads without a loop) hand work to each other.
 *
 * Items are pointers (or integers cast to them); the queue never owns what
 * they point to. Every function but free may be called from any thread at
 * any time:
 *  - from a corio task (on any loop), a put into a full bounded queue or a
 *    get from an empty one parks the task and its loop runs on; the wait is
 *    a checkpoint (-ECANCELED, or -ETIMEDOUT for a scope's deadline) and
 *    honours the call's own deadline (-ETIMEDOUT);
 *  - from a thread with no loop running, it blocks the thread on a
 *    condition variable until served or the deadline passes (nothing can
 *    cancel it there).
 * A blocking put or get made on a loop's thread outside a task (in a
 * callback) would stall the loop: it aborts (misuse) instead of waiting.
 *
 * Order: items come out in the order they went in, and waiters are served
 * strictly in arrival order, across all threads: a put while getters wait
 * hands the item straight to the first of them; a get from a full queue
 * moves the first waiting putter's item in. A newcomer never overtakes a
 * waiter.
 *
 * Cancellation and deadlines: a waiter that leaves (cancelled, timed out)
 * takes nothing with it and no item is lost. If another thread served it
 * at the same moment — the hand-off happened before the cancellation took
 * effect — the operation is complete and the call returns 0 (a get with its
 * item); the cancelled scope stays cancelled, so the task's next checkpoint
 * reports it.
 *
 * Deadlines are absolute corio_now() ms; -1: none; past: don't wait. */
#ifndef CORIO_TSQUEUE_H
#define CORIO_TSQUEUE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_tsqueue corio_tsqueue;

/* capacity 0: unbounded (the buffer grows, -ENOMEM if it cannot); else a
 * ring of that many items allocated here, never grown. Errors: -EINVAL out
 * NULL or capacity too large to allocate; -ENOMEM. */
CORIO_API int corio_tsqueue_new(size_t capacity, corio_tsqueue **out);
/* Frees q; -EBUSY (nothing freed) while anyone waits on it. Items still in it
 * are dropped (they are the caller's). The caller makes sure no other thread
 * uses q any more. NULL: 0. */
CORIO_API int corio_tsqueue_free(corio_tsqueue *q);

/* Errors: -EPIPE closed (the item was not enqueued); -ENOMEM growing an
 * unbounded queue; -ETIMEDOUT, -ECANCELED as above. Misuse (aborts), for
 * put, get, their try_ forms and size: q NULL. */
CORIO_API int corio_tsqueue_put(corio_tsqueue *q, void *item, int64_t deadline);
/* Never blocks: -EAGAIN when full; -EPIPE; -ENOMEM. */
CORIO_API int corio_tsqueue_try_put(corio_tsqueue *q, void *item);

/* item may be NULL (the item is dropped). Errors: -EPIPE closed and
 * drained; -ETIMEDOUT, -ECANCELED as above. */
CORIO_API int corio_tsqueue_get(corio_tsqueue *q, void **item, int64_t deadline);
/* Never blocks: -EAGAIN when empty; -EPIPE closed and drained. */
CORIO_API int corio_tsqueue_try_get(corio_tsqueue *q, void **item);

/* No more puts: waiting putters get -EPIPE at once, getters take what is
 * left and then -EPIPE. Idempotent; NULL is ignored. */
CORIO_API void corio_tsqueue_close(corio_tsqueue *q);

/* Items in the queue now (a snapshot when other threads use it). */
CORIO_API size_t corio_tsqueue_size(corio_tsqueue *q);

#ifdef __cplusplus
}
#endif
#endif
