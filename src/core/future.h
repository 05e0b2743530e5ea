/* Internal: futures (future.c): what a task's result and gather/wait are built on. */
#ifndef CORIO_CORE_FUTURE_H
#define CORIO_CORE_FUTURE_H

#include <stdbool.h>

#include <corio/future.h>

#include "../base/list.h"

typedef struct corio_loop corio__loop; /* the public corio_loop */

/* A FIFO of parked tasks (joiners, lock and queue waiters, ...). Tasks link in
 * through their wait_node, so a cancelled waiter leaves in O(1). */
typedef corio__list corio__waitq;

/* Internal, synchronous observers of a future (gather and wait use them;
 * user callbacks go through call_soon instead). */
typedef struct corio__listener corio__listener;
struct corio__listener {
    corio__list_node node;
    void (*fn)(corio__listener *ls);
    void *data;
};

struct corio_future {
    corio__loop *loop;
    corio_task *task; /* the task this is the future of, or NULL */
    bool done;
    intptr_t result;
    corio__waitq waiters;
    /* A task's future has these two lists only once corio_task_future has
     * given it out, the one way to observe it but by joining: until then
     * listeners.next is NULL (corio__future_observable). A spawn is spared
     * setting them up. */
    corio__list listeners;
    corio__list callbacks; /* user callbacks not yet run (struct done_cb) */
};

static inline void corio__future_observable_init(corio_future *f)
{
    corio__list_init(&f->listeners);
    corio__list_init(&f->callbacks);
}

/* Whether f has its listeners and callbacks lists. */
static inline bool corio__future_observable(const corio_future *f)
{
    return f->listeners.next != NULL;
}

/* Sets up f; for a task's future (task not NULL) without its listeners and
 * callbacks lists yet, nor a result (set, with done, when the task ends). */
static inline void corio__future_init(corio_future *f, corio__loop *l, corio_task *task)
{
    f->loop = l;
    f->done = false;
    f->task = task;
    corio__list_init(&f->waiters);
    if (task) {
        f->listeners.next = NULL;
    } else {
        f->result = 0;
        corio__future_observable_init(f);
    }
}

/* f has callbacks not yet run. */
static inline bool corio__future_has_callbacks(const corio_future *f)
{
    return corio__future_observable(f) && !corio__list_empty(&f->callbacks);
}

void corio__future_drop_callbacks(corio_future *f);
/* Drops f's callbacks not yet run. */
static inline void corio__future_fini(corio_future *f)
{
    if (corio__future_has_callbacks(f))
        corio__future_drop_callbacks(f);
}
/* Runs f's listeners and schedules its callbacks, once it is done. */
void corio__future_notify(corio__loop *l, corio_future *f);

#endif
