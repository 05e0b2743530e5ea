/* Nurseries (trio's): every task belongs to one, and whoever opens a nursery
 * waits for all its children before going on. When a child spawned without a
 * handle fails (returns a negative errno other than the cancellation it was
 * under) the nursery cancels the other children and the owner's code up to the
 * close, and close reports that first failure. A child spawned with a handle
 * reports its failure through corio_join instead, as an awaited asyncio task
 * does; if nobody joined it, close reports it. corio_nursery_cancel()
 * (cancel.h) cancels it all. A nursery is also a cancel scope, so nurseries and scopes must be
 * closed in the reverse order they were opened. */
#ifndef CORIO_NURSERY_H
#define CORIO_NURSERY_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opens a nursery owned by the calling task, which must close it before it
 * returns. Errors: -ENOMEM. Misuse (aborts): outside a task. */
CORIO_API int corio_nursery_open(corio_nursery **out);

/* Waits for every child of n (including those they spawn into n meanwhile),
 * frees n and returns 0, or the first failure of a child: the negative errno
 * that child returned (not the cancellation the children were under: a
 * cancelled nursery closes with 0). Handles still held
 * stay valid until corio_task_release (task.h). Not a checkpoint: the owner
 * waits even when cancelled (the children are cancelled with it). Misuse
 * (aborts): n NULL; the caller is not the task that opened n; a scope or
 * nursery opened after n is still open. */
CORIO_API intptr_t corio_nursery_close(corio_nursery *n);

#ifdef __cplusplus
}
#endif
#endif
