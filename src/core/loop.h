/* Internal: the per-thread loop (run.c, callbacks.c): its run queue, timers, poller and callback
 * queues. */
#ifndef CORIO_CORE_LOOP_H
#define CORIO_CORE_LOOP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <corio/loop.h>
#include <corio/run.h>

#include "../base/poller.h"
#include "../base/stack.h"
#include "../base/timer.h"
#include "task.h"

typedef struct corio__callback {
    corio_callback *cb;
    void *arg;
} corio__callback;

typedef struct corio__ts_node {
    struct corio__ts_node *next;
    corio__callback call;
    bool owned; /* malloc'd by call_soon_threadsafe; else the caller's */
} corio__ts_node;

struct corio_loop {
    corio_task *current; /* NULL while the scheduler context runs */
    corio__ctx sched_ctx;
    corio_task *runq_head, *runq_tail;
    size_t runq_len;
    /* Tasks left in the current round: when it reaches 0 the loop polls for
     * timers and I/O before the next round, so busy tasks cannot starve them. */
    size_t batch;
    /* Turns the current round has run past its end (sched.c), at most
     * CORIO__ROUND_EXTRA before the loop polls. */
    size_t extra;
    corio_task *zombie; /* ended, its stack to be freed off its own stack */
    /* A freed task's record, with its stack of the default size, kept set
     * up for the next spawn (corio__task_free); back in the pool before the
     * pool is trimmed. */
    corio_task *spare_task;
    size_t live;       /* tasks not yet DONE */
    size_t live_peak;  /* the most since the heap was last trimmed */
    size_t ncancelled; /* cancelled scopes not yet left: 0 skips all checks */
    uint64_t next_id;
    corio__list tasks; /* every task not yet freed and the spare, for the dump */
    corio__timers timers;
    int64_t polled_ns; /* corio_now_ns() when the loop last polled (or started) */
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

/* Callbacks (callbacks.c). */
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

#endif
