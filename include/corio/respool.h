/* A generic async resource pool (seed 000's `async with db.acquire() as conn`,
 * the HTTP client's connections per origin): up to max resources, opened on
 * demand, reused most-recently-released first, handed to waiters in arrival
 * order; a resource released as broken is closed and its slot reopened for
 * the next taker; an idle one past the idle timeout is closed instead of
 * reused. All calls from tasks of one loop. */
#ifndef CORIO_RESPOOL_H
#define CORIO_RESPOOL_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_respool corio_respool;

typedef struct corio_respool_ops {
    /* Opens a resource for the pool (runs in the acquiring task; may block
     * on corio calls, and should give up at deadline: the acquire's, absolute
     * corio_now() ms, -1 none). Returns 0 and *res, or a negative errno. */
    int (*open)(void *ctx, void **res, int64_t deadline);
    /* Closes a resource (broken, or idle when the pool is freed). */
    void (*close)(void *ctx, void *res);
} corio_respool_ops;

/* max > 0 resources at most. Errors: -EINVAL ops, one of its functions or
 * out NULL, or max 0; -ENOMEM. */
CORIO_API int corio_respool_new(const corio_respool_ops *ops, void *ctx, size_t max,
                                corio_respool **out);
/* Closes the idle resources and frees p; -EBUSY (nothing freed) while any
 * is acquired or a task waits. */
CORIO_API int corio_respool_free(corio_respool *p);

/* Idle resources released more than ms ago are closed rather than handed
 * out (the oldest are also closed as others come and go). 0, the default:
 * kept however long they wait. Errors: -EINVAL ms < 0. Misuse (aborts): p
 * NULL. */
CORIO_API int corio_respool_set_idle_timeout(corio_respool *p, int64_t ms);

/* Gets a resource: an idle one, else a new one if fewer than max exist, else
 * waits (FIFO) until one is released. Deadline: absolute corio_now() ms, -1
 * none. Returns 0 with an idle resource, 1 with one opened for this call.
 * Errors: what open returned; -ETIMEDOUT; -ECANCELED. Misuse (aborts): p or
 * res NULL; outside a task; a pool busy on another loop. */
CORIO_API int corio_respool_acquire(corio_respool *p, void **res, int64_t deadline);
/* Gives res back; broken: close it instead of keeping it. Returns 0.
 * Misuse (aborts): p NULL; outside a task; a pool of another loop; more
 * releases than acquires. */
CORIO_API int corio_respool_release(corio_respool *p, void *res, bool broken);
/* Replaces an acquired resource that turned out dead (a pooled connection
 * the server had closed) with a newly opened one, in the same slot, without
 * queueing again: closes *res and opens into it. On error the slot is given
 * up as by a broken release and the caller holds nothing. Returns 1 (a
 * resource opened for this call). Errors: what open returned; -ECANCELED,
 * -ETIMEDOUT (checked before opening). Misuse (aborts): as release; res
 * NULL. */
CORIO_API int corio_respool_reopen(corio_respool *p, void **res, int64_t deadline);

CORIO_API size_t corio_respool_idle(const corio_respool *p);
CORIO_API size_t corio_respool_in_use(const corio_respool *p);

#ifdef __cplusplus
}
#endif
#endif
