/* Synchronisation between the tasks of one loop (asyncio's Lock, Event,
 * Semaphore, BoundedSemaphore, Condition). Waiters are served strictly in
 * arrival order: a released lock or semaphore unit goes to the first waiter,
 * never to a task that arrives later.
 *
 * Every wait takes an absolute deadline in corio_now() ms (-1: none) and is a
 * cancellation checkpoint: -ETIMEDOUT when the deadline passes, -ECANCELED /
 * -ETIMEDOUT when a scope around the caller is cancelled; a cancelled waiter
 * leaves the queue and takes nothing with it. Objects may be created before
 * corio_run and belong to the loop that first waits on them. Misuse
 * (aborts, common.h) for every call here: a NULL object (the _free calls
 * take NULL: 0); a task of another loop touching one that is busy; a call
 * outside a task (all but _new, _free and the getters). */
#ifndef CORIO_SYNC_H
#define CORIO_SYNC_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_lock corio_lock;
typedef struct corio_event corio_event;
typedef struct corio_sem corio_sem;
typedef struct corio_cond corio_cond;

/* --- lock: a non-recursive mutex owned by the task that holds it -------- */
CORIO_API int corio_lock_new(corio_lock **out); /* -ENOMEM */
/* Frees m; -EBUSY (nothing freed) while held or waited on. */
CORIO_API int corio_lock_free(corio_lock *m);
/* Errors: -EDEADLK the caller holds it already; -ETIMEDOUT; -ECANCELED. */
CORIO_API int corio_lock_acquire(corio_lock *m, int64_t deadline);
CORIO_API int corio_lock_try_acquire(corio_lock *m); /* -EBUSY held; -EDEADLK by the caller */
/* Hands the lock to the first waiter, if any; returns 0. Misuse (aborts):
 * the caller does not hold it. */
CORIO_API int corio_lock_release(corio_lock *m);
CORIO_API bool corio_lock_locked(const corio_lock *m);
/* True when the calling task holds m. */
CORIO_API bool corio_lock_owned(const corio_lock *m);

/* --- event: a flag tasks can wait for ----------------------------------- */
CORIO_API int corio_event_new(corio_event **out); /* -ENOMEM */
CORIO_API int corio_event_free(corio_event *e);   /* -EBUSY while waited on */
/* Sets the flag and wakes every waiter. Callable from any task of the loop
 * (not from other threads: see corio_call_soon_threadsafe). */
CORIO_API void corio_event_set(corio_event *e);
CORIO_API void corio_event_clear(corio_event *e);
CORIO_API bool corio_event_is_set(const corio_event *e);
/* Returns 0 at once if set (a checkpoint all the same: -ECANCELED,
 * -ETIMEDOUT when the caller's scope is cancelled); else waits for
 * corio_event_set: -ETIMEDOUT, -ECANCELED. */
CORIO_API int corio_event_wait(corio_event *e, int64_t deadline);

/* --- semaphore ------------------------------------------------------------ */
/* A counter of value units; bounded: releasing above the initial value is
 * refused with -EOVERFLOW (asyncio's BoundedSemaphore). Errors: -EINVAL
 * value < 0; -ENOMEM. */
CORIO_API int corio_sem_new(long value, bool bounded, corio_sem **out);
CORIO_API int corio_sem_free(corio_sem *s); /* -EBUSY while waited on */
/* Errors: -ETIMEDOUT; -ECANCELED. */
CORIO_API int corio_sem_acquire(corio_sem *s, int64_t deadline);
CORIO_API int corio_sem_try_acquire(corio_sem *s); /* -EAGAIN when 0 */
/* Errors: -EOVERFLOW bounded and already at its initial value. */
CORIO_API int corio_sem_release(corio_sem *s);
CORIO_API long corio_sem_value(const corio_sem *s);

/* --- condition variable over a lock ----------------------------------- */
/* The condition uses lock m (not owned: free it after the condition).
 * Errors: -ENOMEM. Misuse (aborts): m NULL. */
CORIO_API int corio_cond_new(corio_lock *m, corio_cond **out);
CORIO_API int corio_cond_free(corio_cond *c); /* -EBUSY while waited on */
/* Releases the lock, waits for a notify, re-acquires the lock — always, also
 * when the wait ends by deadline or cancellation (then -ETIMEDOUT /
 * -ECANCELED). Misuse (aborts): the caller does not hold the lock. */
CORIO_API int corio_cond_wait(corio_cond *c, int64_t deadline);
/* Wakes up to n waiters (first come first); returns 0. Errors: -EINVAL
 * n < 0. Misuse (aborts): the caller does not hold the lock. */
CORIO_API int corio_cond_notify(corio_cond *c, int n);
CORIO_API int corio_cond_notify_all(corio_cond *c);

#ifdef __cplusplus
}
#endif
#endif
