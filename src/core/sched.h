/* Internal: the per-thread loop, tasks and the scheduler primitives that the
 * rest of corio builds its blocking calls from (park, wake). */
#ifndef CORIO_CORE_SCHED_H
#define CORIO_CORE_SCHED_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <corio/run.h>
#include <corio/cancel.h>
#include <corio/future.h>
#include <corio/loop.h>
#include <corio/nursery.h>
#include <corio/task.h>

#include "../loop/poller.h"
#include "../loop/timer.h"
#include "context.h"
#include "list.h"
#include "sanitizer.h"
#include "stack.h"

#if defined(__GNUC__)
#define CORIO__LIKELY(x)   __builtin_expect(!!(x), 1)
#define CORIO__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define CORIO__LIKELY(x)   (x)
#define CORIO__UNLIKELY(x) (x)
#endif

typedef struct corio_loop corio__loop; /* the public corio_loop */

enum corio__state {
    CORIO__READY,   /* in the run queue */
    CORIO__RUNNING, /* on the CPU */
    CORIO__WAITING, /* parked until something wakes it */
    CORIO__DONE,    /* finished; result is final */
};

/* A FIFO of parked tasks (joiners, lock and queue waiters, ...). Tasks link in
 * through their wait_node, so a cancelled waiter leaves in O(1). */
typedef corio__list corio__waitq;

/* What a park returns when the park's own deadline passed (callers turn it
 * into -ETIMEDOUT, or 0 for a sleep); distinct from a scope's -ETIMEDOUT. */
#define CORIO__EDEADLINE (-100000)

/* A cancel scope (the public corio_scope is storage for one). Scopes form a
 * tree over tasks: a task's scopes nest; a nursery's scope sits inside the
 * scope where it was opened; a child task's root scope (its implicit
 * nursery's) sits inside its nursery's. Cancelling a scope reaches everything
 * below it except through shields. */
typedef struct corio__scope corio__scope;
struct corio__scope {
    corio__scope *parent;
    corio__list children;
    corio__list_node sibling; /* in parent->children */
    corio_task *owner;        /* whose code runs directly inside */
    corio__timer timer;       /* the deadline, when there is one */
    int cancelled;            /* 0, -ECANCELED or -ETIMEDOUT */
    bool shield;
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
    intptr_t result;
    bool done;
    corio_task *task; /* the task this is the future of, or NULL */
    corio__waitq waiters;
    corio__list listeners;
    corio__list callbacks; /* user callbacks not yet run (struct done_cb) */
};

#define CORIO__TASK_MAGIC 0x7A5C0510u

typedef void corio__cancel_hook(corio_task *t);

struct corio_task {
    corio__ctx ctx;
    corio_task *run_next;       /* run queue link */
    corio__list_node wait_node; /* in a waitq while parked on one */
    void *wait_data;            /* what a waker hands over (queue items, ...) */
    corio__loop *loop;
    corio_fn *fn;
    void *arg;
    intptr_t result;
    uint64_t id;
    uint32_t magic;
    uint8_t state;
    bool has_handle;      /* someone may still join: keep it after it ends */
    bool ended_cancelled; /* its result is the cancellation it was under */
    bool joined;          /* a join has delivered its result */
    int open_nurseries;
    /* What a parked task waits on, for corio_dump_tasks. */
    const char *wait_what;
    int64_t wait_detail;
    int wake_code; /* what corio__park returns */
    /* Set while parked: cancellation calls it to take the task out of what
     * it waits on. NULL with cancellable false: the wait cannot be cut. */
    corio__cancel_hook *cancel_hook;
    bool cancellable;
    corio__scope *scope; /* innermost cancel scope */
    corio__timer timer;  /* the park deadline */
    corio_nursery *parent;
    corio__list_node sibling; /* in parent->children */
    corio__list_node all;     /* in loop->tasks */
    corio_nursery implicit;   /* children spawned with a NULL nursery */
    corio_future future;      /* resolved with the result; joiners wait on it */
    corio__stack stack;
#if defined(CORIO__ASAN)
    void *asan_fake_stack;
#endif
#if defined(CORIO__TSAN)
    void *tsan_fiber;
#endif
    char name[CORIO_TASK_NAME_MAX];
};

struct corio_loop {
    corio_task *current; /* NULL while the scheduler context runs */
    corio__ctx sched_ctx;
    corio_task *runq_head, *runq_tail;
    size_t runq_len;
    /* Tasks left in the current round: when it reaches 0 the loop polls for
     * timers and I/O before the next round, so busy tasks cannot starve them. */
    size_t batch;
    corio_task *zombie; /* ended, its stack to be freed off its own stack */
    size_t live;        /* tasks not yet DONE */
    size_t live_peak;   /* the most since the heap was last trimmed */
    size_t ncancelled;  /* cancelled scopes not yet left: 0 skips all checks */
    uint64_t next_id;
    corio__list tasks; /* every task not yet freed, for the dump */
    corio__timers timers;
    corio__poller poller;
    corio_task *root;
    /* call_soon callbacks: a ring, run by the scheduler context. */
    struct corio__callback *cbq;
    size_t cbq_head, cbq_n, cbq_cap;
    /* call_soon_threadsafe: other threads append under ts_lock, set
     * ts_pending and, if it was clear, write wake_fd so a blocked poll
     * returns. */
    pthread_mutex_t ts_lock;
    struct corio__ts_node *ts_head, **ts_tail;
    atomic_bool ts_pending;
    corio__io wake_io;
    /* Outstanding operations on other threads that will wake the loop (pool
     * jobs): while non-zero the loop blocks instead of reporting -EDEADLK. */
    atomic_size_t external;
    /* The resolver (src/io/dns.c), made on first use, destroyed with the loop. */
    void *dns;
    void (*dns_destroy)(void *dns);
    corio__stacks stacks;
    corio_config cfg;
    /* The thread's own stack, where the scheduler context runs: AddressSanitizer
     * must be told about it when a task switches back. */
    const void *sched_stack_lo;
    size_t sched_stack_size;
    void *sched_fake_stack;
    void *sched_tsan_fiber;
};

extern __thread corio__loop *corio__tls_loop __attribute__((tls_model("initial-exec")));

static inline corio__loop *corio__loop_get(void)
{
    return corio__tls_loop;
}

/* The loop, when called from one of its tasks; NULL otherwise. */
static inline corio__loop *corio__task_loop(void)
{
    corio__loop *l = corio__tls_loop;
    return l && l->current ? l : NULL;
}

/* A public deadline (absolute corio_now() ms, negative: none) in the timer
 * heap's nanoseconds. */
static inline int64_t corio__deadline_ns(int64_t deadline_ms)
{
    if (deadline_ms < 0)
        return -1;
    return deadline_ms > INT64_MAX / 1000000 ? INT64_MAX : deadline_ms * 1000000;
}

/* What a wait with a caller's deadline returns: its own deadline is -ETIMEDOUT. */
static inline int corio__wait_rc(int rc)
{
    return rc == CORIO__EDEADLINE ? -ETIMEDOUT : rc;
}

/* A sync object belongs to the loop of the tasks that hold it or wait on it
 * (busy); an idle one moves to whichever loop uses it next. A task of another
 * loop touching a busy object is refused: its waiters would be woken on the
 * wrong thread. */
#define CORIO__BIND(obj, l, busy)                                                                  \
    ((obj)->loop == (l) ? 0 : (busy) ? -EPERM : ((obj)->loop = (l), 0))

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

int corio__cancelled_slow(const corio_task *t);

/* The cancellation that applies to t now: the code of the nearest cancelled
 * scope around it (stopping at a shield), or 0. */
static inline int corio__cancelled(const corio__loop *l, const corio_task *t)
{
    return CORIO__LIKELY(l->ncancelled == 0) ? 0 : corio__cancelled_slow(t);
}

/* Leaves the running task (already queued, parked or ended) for the next
 * runnable one, or the scheduler context when the round is over. */
void corio__schedule(corio__loop *l);

/* Parks the running task, cancellable, without a deadline and without the
 * checkpoint test (callers of corio__park have done it). */
static inline int corio__park_now(corio__loop *l, const char *what, int64_t detail,
                                  corio__cancel_hook *hook)
{
    corio_task *t = l->current;
    t->state = CORIO__WAITING;
    t->wait_what = what;
    t->wait_detail = detail;
    t->cancel_hook = hook;
    t->cancellable = true;
    corio__schedule(l);
    return t->wake_code;
}

int corio__park_slow(corio__loop *l, const char *what, int64_t detail, int64_t deadline_ns,
                     corio__cancel_hook *hook);

/* Suspends the running task until corio__wake() and returns the code passed
 * to it; a checkpoint: returns the cancellation at once, without parking, if
 * the task is cancelled already, and wakes early with it (after calling hook
 * to undo the task's registration) if it is cancelled meanwhile. With
 * deadline_ns >= 0 it also wakes at that time with CORIO__EDEADLINE (again
 * after hook). what/detail describe the wait for corio_dump_tasks. Inline:
 * it is on the path of every queue hand-off and lock wait. */
static inline int corio__park(corio__loop *l, const char *what, int64_t detail, int64_t deadline_ns,
                              corio__cancel_hook *hook)
{
    int rc = corio__cancelled(l, l->current);
    if (rc)
        return rc;
    if (deadline_ns >= 0)
        return corio__park_slow(l, what, detail, deadline_ns, hook);
    return corio__park_now(l, what, detail, hook);
}

/* The same, but neither cancellation nor a deadline can end the wait. */
void corio__park_uncancellable(corio__loop *l, const char *what, int64_t detail);

/* Makes a parked task runnable; its corio__park returns code. The caller has
 * already taken it out of whatever it waited on. */
static inline void corio__wake(corio__loop *l, corio_task *t, int code)
{
    /* Whatever woke it, the park's deadline must not fire as well: it would
     * queue the task a second time. */
    if (t->timer.index != SIZE_MAX)
        corio__timer_remove(&l->timers, &t->timer);
    /* wait_what, cancel_hook and cancellable are left as they are: they only
     * count while the task is WAITING, and every park sets them afresh. */
    t->wake_code = code;
    corio__runq_push(l, t);
}

static inline void corio__waitq_init(corio__waitq *q)
{
    corio__list_init(q);
}

void corio__waitq_leave(corio_task *t);

/* Parks the running task at the tail of q (see corio__park). */
static inline int corio__waitq_park(corio__loop *l, corio__waitq *q, const char *what,
                                    int64_t detail, int64_t deadline_ns)
{
    corio_task *t = l->current;
    int rc = corio__cancelled(l, t);
    if (rc)
        return rc;
    corio__list_push(q, &t->wait_node);
    rc = deadline_ns >= 0 ? corio__park_slow(l, what, detail, deadline_ns, corio__waitq_leave)
                          : corio__park_now(l, what, detail, corio__waitq_leave);
    corio__list_unlink(&t->wait_node); /* still queued if the deadline timer could not be armed */
    return rc;
}

/* Takes the first waiter out of q and wakes it with code; NULL if none. */
static inline corio_task *corio__waitq_wake_one(corio__loop *l, corio__waitq *q, int code)
{
    if (corio__list_empty(q))
        return NULL;
    corio_task *t = corio__container_of(q->next, corio_task, wait_node);
    corio__list_unlink(&t->wait_node);
    corio__wake(l, t, code);
    return t;
}

/* Wakes every task in q with code, in arrival order. */
void corio__waitq_wake_all(corio__loop *l, corio__waitq *q, int code);

/* Futures (src/sync/future.c). */
void corio__future_init(corio_future *f, corio__loop *l, corio_task *task);
/* Resolves f (not yet done) and notifies waiters, listeners and callbacks. */
void corio__future_resolve(corio__loop *l, corio_future *f, intptr_t result);

/* Scopes (scope.c). */
void corio__scope_init(corio__scope *s, corio__scope *parent, corio_task *owner, bool shield);
/* Unlinks a scope from the tree; it must have no children left. */
void corio__scope_fini(corio__loop *l, corio__scope *s);
/* Cancels s with code and wakes every cancellable task parked below it. */
void corio__scope_cancel(corio__loop *l, corio__scope *s, int code);

typedef struct corio__callback {
    corio_callback *cb;
    void *arg;
} corio__callback;

typedef struct corio__ts_node {
    struct corio__ts_node *next;
    corio__callback call;
    bool owned; /* malloc'd by call_soon_threadsafe; else the caller's */
} corio__ts_node;

/* Callbacks (src/loop/callbacks.c). */
int corio__callbacks_init(corio__loop *l);
void corio__callbacks_destroy(corio__loop *l);
/* Moves what other threads queued into the callback ring. */
void corio__callbacks_drain_threadsafe(corio__loop *l);
/* call_soon_threadsafe with a node the caller provides (and keeps alive
 * until the callback has run). */
void corio__call_threadsafe_node(corio__loop *l, corio__ts_node *n);
/* Runs the callbacks queued so far (not those they queue). */
void corio__callbacks_run(corio__loop *l);
/* Work for the scheduler context besides tasks: pending callbacks or
 * thread-safe calls. */
static inline bool corio__callbacks_pending(corio__loop *l)
{
    return l->cbq_n || atomic_load_explicit(&l->ts_pending, memory_order_relaxed);
}

/* Scheduler context: switches into t; returns when a task switches back. */
void corio__resume(corio__loop *l, corio_task *t);

/* Frees the ended task parked in l->zombie, if any. */
void corio__reap(corio__loop *l);

/* Frees a finished task's memory (its stack holds it). */
void corio__task_free(corio__loop *l, corio_task *t);

/* Spawning the root task, from corio_run (no current task). */
int corio__spawn_root(corio__loop *l, corio_fn *fn, void *arg, corio_task **out);

/* A finished task failed: a negative result that is not the cancellation it
 * was under (ending by cancellation is not a failure: the cancelled scope's
 * owner hears of it). */
static inline bool corio__task_failed(const corio_task *t)
{
    return t->result < 0 && t->result != -ECANCELED && !t->ended_cancelled;
}

/* Sets up n for owner; its scope sits inside parent_scope. */
void corio__nursery_init(corio_nursery *n, corio_task *owner, corio__scope *parent_scope,
                         bool implicit);
/* A child of n ended: account for it and wake a waiting owner. */
void corio__nursery_child_done(corio__loop *l, corio_nursery *n, corio_task *t);

/* Writes "corio: <msg> in task '<name>' (id N)" to stderr with write(2) and
 * aborts: for errors that cannot be returned. Async-signal-safe. */
_Noreturn void corio__die_in_task(const char *msg, const corio_task *t);

#endif
