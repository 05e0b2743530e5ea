/* A generic async resource pool (seed 000's `async with db.acquire() as conn`,
 * the HTTP client's connections per origin): up to max resources, opened on
 * demand, reused most-recently-released first, handed to waiters in arrival
 * order; a resource released as broken is closed and its slot reopened for
 * the next taker. All calls from tasks of one loop. */
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
     * on corio calls). Returns 0 and *res, or a negative errno. */
    int (*open)(void *ctx, void **res);
    /* Closes a resource (broken, or idle when the pool is freed). */
    void (*close)(void *ctx, void *res);
} corio_respool_ops;

/* max > 0 resources at most. -EINVAL, -ENOMEM. */
CORIO_API int corio_respool_new(corio_respool **out, const corio_respool_ops *ops, void *ctx,
                                size_t max);
/* Closes the idle resources and frees p; -EBUSY (nothing freed) while any
 * is acquired or a task waits. */
CORIO_API int corio_respool_free(corio_respool *p);

/* Gets a resource: an idle one, else a new one if fewer than max exist, else
 * waits (FIFO) until one is released. Deadline: absolute corio_now() ms, -1
 * none. Errors: what open returned; -ETIMEDOUT; -ECANCELED; -EPERM. */
CORIO_API int corio_respool_acquire(corio_respool *p, void **res, int64_t deadline);
/* Gives res back; broken: close it instead of keeping it. */
CORIO_API int corio_respool_release(corio_respool *p, void *res, bool broken);

CORIO_API size_t corio_respool_idle(const corio_respool *p);
CORIO_API size_t corio_respool_in_use(const corio_respool *p);

#ifdef __cplusplus
}
#endif
#endif
