/* Internal: tasks and nurseries (task.c, nursery.c); a task's record lives
 * at the top of its own stack. */
#ifndef CORIO_CORE_TASK_H
#define CORIO_CORE_TASK_H

#include <errno.h>
#include <stdbool.h>

#include <corio/nursery.h>
#include <corio/task.h>

#include "../base/context.h"
#include "../base/sanitizer.h"
#include "../base/stack.h"
#include "future.h"
#include "scope.h"

enum corio__state {
    CORIO__READY,   /* in the run queue */
    CORIO__RUNNING, /* on the CPU */
    CORIO__WAITING, /* parked until something wakes it */
    CORIO__DONE,    /* finished; result is final */
    CORIO__FREE,    /* no task: a record in the loop's spare slot (corio__task_free) */
};

struct corio_nursery {
    corio__scope scope; /* covers the children and the owner until close */
    corio_task *owner;
    corio__list children; /* running children and finished ones with a handle */
    size_t running;
    intptr_t first_error;
    bool waiting;  /* the owner is parked in close */
    bool implicit; /* embedded in its owner task, not malloc'd */
};

#define CORIO__TASK_MAGIC 0x7A5C0510u

typedef void corio__cancel_hook(corio_task *t);

struct corio_task {
    /* What a spawn, a switch, a join and an end touch, in the first five
     * cache lines (the record is 64-aligned), the switch's fields first:
     * up to the implicit nursery's scope (its first 40 bytes). */
    corio__ctx ctx;
    corio_task *run_next; /* run queue link */
    corio__stack stack;
    uint32_t magic;
    uint8_t state;
    bool has_handle;      /* someone may still join: keep it after it ends */
    bool ended_cancelled; /* its result is the cancellation it was under */
    bool joined;          /* a join has delivered its result */
    bool named;           /* name[] holds its name */
    corio__loop *loop;
    corio_fn *fn;
    void *arg;
    uint64_t id;
    /* The first task to join this one without a deadline parks here, not on
     * the future's waitq: its end hands the result straight to *join_out. */
    corio_task *joiner;
    intptr_t *join_out;
    void *wait_data; /* what a waker hands over (queue items, ...) */
    intptr_t result;
    corio__scope *scope; /* innermost cancel scope */
    corio_nursery *parent;
    corio__list_node sibling; /* in parent->children */
    corio__list_node all;     /* in loop->tasks */
    corio__timer timer;       /* the park deadline */
    corio_future future;      /* resolved with the result; joiners wait on it */
    /* Children spawned with a NULL nursery. Its scope is the task's root
     * scope, set up by the spawn; the rest only once a child is spawned into
     * it (corio__task_nursery): until then implicit.scope.nursery is false. */
    corio_nursery implicit;
    /* The rest is a park's. */
    /* What a parked task waits on, for corio_dump_tasks. */
    const char *wait_what;
    int64_t wait_detail;
    int wake_code; /* what corio__park returns */
    /* Set while parked: cancellation calls it to take the task out of what
     * it waits on. NULL with cancellable false: the wait cannot be cut. */
    bool cancellable;
    corio__cancel_hook *cancel_hook;
    corio__list_node wait_node; /* in a waitq while parked on one */
#if defined(CORIO__ASAN)
    void *asan_fake_stack;
#endif
#if defined(CORIO__TSAN)
    void *tsan_fiber;
#endif
    char name[CORIO_TASK_NAME_MAX];
};

/* Frees the ended task parked in l->zombie, if any. */
void corio__reap(corio__loop *l);

/* Frees a finished task's memory (its stack holds it). A record of the
 * default stack size is kept in the loop's spare slot, if free, for the
 * next spawn to reuse as it is (task.c). */
void corio__task_free(corio__loop *l, corio_task *t);

/* Gives the spare record's stack back to the pool: before the pool is
 * trimmed (the spare counts as an idle stack), or the loop ends. */
void corio__task_spare_drop(corio__loop *l);

/* Spawning the root task, from corio_run (no current task). */
int corio__spawn_root(corio__loop *l, corio_fn *fn, void *arg, corio_task **out);

/* A finished task failed: a negative result that is not the cancellation it
 * was under (ending by cancellation is not a failure: the cancelled scope's
 * owner hears of it). */
static inline bool corio__task_failed(const corio_task *t)
{
    return t->result < 0 && t->result != -ECANCELED && !t->ended_cancelled;
}

/* Sets up n's own fields, not its scope, for owner. */
static inline void corio__nursery_init(corio_nursery *n, corio_task *owner, bool implicit)
{
    n->owner = owner;
    corio__list_init(&n->children);
    n->running = 0;
    n->first_error = 0;
    n->waiting = false;
    n->implicit = implicit;
}

/* t's implicit nursery, set up on first use (see corio_task.implicit). */
static inline corio_nursery *corio__task_nursery(corio_task *t)
{
    corio_nursery *n = &t->implicit;
    if (__builtin_expect(!n->scope.nursery, 0)) {
        n->scope.nursery = true;
        corio__nursery_init(n, t, true);
    }
    return n;
}

/* Writes "corio: <msg> in task '<name>' (id N)" to stderr with write(2) and
 * aborts: for errors that cannot be returned. Async-signal-safe. */
_Noreturn void corio__die_in_task(const char *msg, const corio_task *t);

#endif
