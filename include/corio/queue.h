/* Queues between the tasks of one loop (asyncio.Queue and PriorityQueue):
 * bounded or unbounded, FIFO or by priority, closable, with join/task_done.
 *
 * Items are pointers (or integers cast to them); the queue never owns what
 * they point to. A get on an empty queue parks the task; a put into a full
 * bounded one parks the putter; a put while a getter waits hands the item
 * straight to it. Waiters are served in arrival order. Waits take an absolute
 * deadline in corio_now() ms (-1: none) and are checkpoints (-ETIMEDOUT,
 * -ECANCELED); a cancelled putter's item is not enqueued. As with sync.h, a
 * queue belongs to the loop that first uses it; a task of another loop
 * touching it while busy, a call outside a task (all but new, free, close,
 * task_done and size) or a NULL queue (free takes NULL) is misuse (aborts). */
#ifndef CORIO_QUEUE_H
#define CORIO_QUEUE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_queue corio_queue;

enum {
    CORIO_QUEUE_PRIORITY = 1u << 0, /* get returns the lowest priority first, FIFO among equals */
};

/* capacity 0: unbounded. -EINVAL for unknown flags; -ENOMEM. */
CORIO_API int corio_queue_new(size_t capacity, unsigned flags, corio_queue **out);
/* Frees q; -EBUSY (nothing freed) while tasks wait on it. Items still in it
 * are dropped (they are the caller's). */
CORIO_API int corio_queue_free(corio_queue *q);

/* Errors: -EPIPE closed; -ENOMEM growing an unbounded queue; -ETIMEDOUT;
 * -ECANCELED (the item was not enqueued). */
CORIO_API int corio_queue_put(corio_queue *q, void *item, int64_t deadline);
CORIO_API int corio_queue_try_put(corio_queue *q, void *item); /* -EAGAIN full; -EPIPE; -ENOMEM */
/* With CORIO_QUEUE_PRIORITY: put with a priority (plain put uses 0). */
CORIO_API int corio_queue_put_prio(corio_queue *q, void *item, int64_t prio, int64_t deadline);

/* Errors: -EPIPE closed and drained; -ETIMEDOUT; -ECANCELED. */
CORIO_API int corio_queue_get(corio_queue *q, void **item, int64_t deadline);
CORIO_API int corio_queue_try_get(corio_queue *q, void **item); /* -EAGAIN empty; -EPIPE */

/* No more puts: waiting putters get -EPIPE at once, getters take what is
 * left and then -EPIPE; join waiters are released. Idempotent. */
CORIO_API void corio_queue_close(corio_queue *q);

/* asyncio's Queue.join: each put counts one unfinished item, each
 * corio_queue_task_done one finished; join waits until none is unfinished
 * (or the queue is closed). task_done returns 0; called more times than
 * items were put, it aborts (misuse: asyncio's ValueError). join's errors:
 * -ETIMEDOUT; -ECANCELED. */
CORIO_API int corio_queue_task_done(corio_queue *q);
CORIO_API int corio_queue_join(corio_queue *q, int64_t deadline);

CORIO_API size_t corio_queue_size(const corio_queue *q);

#ifdef __cplusplus
}
#endif
#endif
