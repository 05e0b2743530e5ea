/* Internal: the per-thread loop, tasks and the scheduler primitives that the
 * rest of corio builds its blocking calls from (park, wake). */
#ifndef CORIO_CORE_SCHED_H
#define CORIO_CORE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include <corio/run.h>
#include <corio/nursery.h>
#include <corio/task.h>

#include "../loop/poller.h"
#include "../loop/timer.h"
#include "context.h"
#include "list.h"
#include "sanitizer.h"
#include "stack.h"

#if defined(__GNUC__)
#define CORIO__LIKELY(x) __builtin_expect(!!(x), 1)
#define CORIO__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define CORIO__LIKELY(x) (x)
#define CORIO__UNLIKELY(x) (x)
#endif

typedef struct corio__loop corio__loop;

enum corio__state {
    CORIO__READY,   /* in the run queue */
    CORIO__RUNNING, /* on the CPU */
    CORIO__WAITING, /* parked until something wakes it */
    CORIO__DONE,    /* finished; result is final */
};

/* A FIFO of parked tasks (joiners, nursery owner, later locks and queues). */
typedef struct corio__waitq {
    corio_task *head, *tail;
} corio__waitq;

struct corio_nursery {
    corio_task *owner;
    corio__list children; /* running children and finished ones with a handle */
    size_t running;
    intptr_t first_error;
    bool waiting;  /* the owner is parked in close */
    bool implicit; /* embedded in its owner task, not malloc'd */
};

#define CORIO__TASK_MAGIC 0x7A5C0510u

struct corio_task {
    corio__ctx ctx;
    corio_task *run_next;  /* run queue link */
    corio_task *wait_next; /* waitq link */
    corio__loop *loop;
    corio_fn *fn;
    void *arg;
    intptr_t result;
    uint64_t id;
    uint32_t magic;
    uint8_t state;
    bool has_handle; /* someone may still join: keep it after it ends */
    int open_nurseries;
    /* What a parked task waits on, for corio_dump_tasks. */
    const char *wait_what;
    int64_t wait_detail;
    int wake_code; /* what corio__park returns */
    corio__timer timer;
    corio_nursery *parent;
    corio__list_node sibling; /* in parent->children */
    corio__list_node all;     /* in loop->tasks */
    corio_nursery implicit;   /* children spawned with a NULL nursery */
    corio__waitq joiners;
    corio__stack stack;
#if defined(CORIO__ASAN)
    void *asan_fake_stack;
#endif
    char name[CORIO_TASK_NAME_MAX];
};

struct corio__loop {
    corio_task *current; /* NULL while the scheduler context runs */
    corio__ctx sched_ctx;
    corio_task *runq_head, *runq_tail;
    size_t runq_len;
    /* Tasks left in the current round: when it reaches 0 the loop polls for
     * timers and I/O before the next round, so busy tasks cannot starve them. */
    size_t batch;
    corio_task *zombie; /* ended, its stack to be freed off its own stack */
    size_t live;        /* tasks not yet DONE */
    uint64_t next_id;
    corio__list tasks; /* every task not yet freed, for the dump */
    corio__timers timers;
    corio__poller poller;
    corio__stacks stacks;
    corio_config cfg;
    /* The thread's own stack, where the scheduler context runs: AddressSanitizer
     * must be told about it when a task switches back. */
    const void *sched_stack_lo;
    size_t sched_stack_size;
    void *sched_fake_stack;
};

extern __thread corio__loop *corio__tls_loop __attribute__((tls_model("initial-exec")));

static inline corio__loop *corio__loop_get(void)
{
    return corio__tls_loop;
}

/* Appends t to the run queue. */
static inline void corio__runq_push(corio__loop *l, corio_task *t)
{
    t->state = CORIO__READY;
    t->run_next = NULL;
    if (l->runq_tail)
        l->runq_tail->run_next = t;
    else
        l->runq_head = t;
    l->runq_tail = t;
    l->runq_len++;
}

static inline corio_task *corio__runq_pop(corio__loop *l)
{
    corio_task *t = l->runq_head;
    if (t) {
        l->runq_head = t->run_next;
        if (!l->runq_head)
            l->runq_tail = NULL;
        l->runq_len--;
    }
    return t;
}

/* Suspends the running task until corio__wake(); returns the code passed to
 * it. what/detail describe the wait for corio_dump_tasks. */
int corio__park(corio__loop *l, const char *what, int64_t detail);

/* Makes a parked task runnable; its corio__park returns code. */
static inline void corio__wake(corio__loop *l, corio_task *t, int code)
{
    t->wake_code = code;
    t->wait_what = NULL;
    corio__runq_push(l, t);
}

/* Leaves the running task (already queued, parked or ended) for the next
 * runnable one, or the scheduler context when the round is over. */
void corio__schedule(corio__loop *l);

void corio__waitq_push(corio__waitq *q, corio_task *t);
/* Wakes every task in q with code, in arrival order. */
void corio__waitq_wake_all(corio__loop *l, corio__waitq *q, int code);

/* Scheduler context: switches into t; returns when a task switches back. */
void corio__resume(corio__loop *l, corio_task *t);

/* Frees the ended task parked in l->zombie, if any. */
void corio__reap(corio__loop *l);

/* Frees a finished task's memory (its stack holds it). */
void corio__task_free(corio__loop *l, corio_task *t);

/* Spawning the root task, from corio_run (no current task). */
int corio__spawn_root(corio__loop *l, corio_fn *fn, void *arg, corio_task **out);

void corio__nursery_init(corio_nursery *n, corio_task *owner, bool implicit);
/* A child of n ended: account for it and wake a waiting owner. */
void corio__nursery_child_done(corio__loop *l, corio_nursery *n, corio_task *t);

/* Writes "corio: <msg> in task '<name>' (id N)" to stderr with write(2) and
 * aborts: for errors that cannot be returned. Async-signal-safe. */
_Noreturn void corio__die_in_task(const char *msg, const corio_task *t);

#endif
