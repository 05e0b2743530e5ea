/* corio_run: a loop on the calling thread and the scheduler context's cycle.
 *
 * Each turn of the cycle, in order:
 *   0. run the callbacks queued so far (call_soon, and what other threads
 *      queued with call_soon_threadsafe);
 *   1. choose how long to wait: not at all if tasks or callbacks are ready,
 *      until the earliest timer otherwise, forever if only I/O or another
 *      thread can wake anyone; if nothing at all can, every remaining task is
 *      stuck: -EDEADLK;
 *   2. if it will block, give the memory of surplus idle stacks back (and,
 *      after a burst of tasks has ended, the heap's free pages); then poll
 *      for I/O, blocking for that long (0% CPU while all tasks sleep);
 *   3. fire due timers, which queue their tasks;
 *   4. run one round: the tasks runnable now, each once, in FIFO order. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <corio/time.h>

#include "overflow.h"
#include "sched.h"

/* glibc keeps the memory freed in the middle of its heap mapped, so after
 * each burst of connections RSS would ratchet up (six rounds of 5,000
 * connections to corio-fakeweb: 31 -> 49 MB, 8 MB after a malloc_trim).
 * When the loop is about to block and the number of live tasks has fallen
 * by TRIM_DROP since its peak, the free pages go back: one walk of the heap
 * per thousand-odd tasks ended, nothing for a steady load. */
#define TRIM_DROP 1024

static void trim_heap(corio__loop *l)
{
#if defined(__GLIBC__)
    if (l->live_peak - l->live >= TRIM_DROP) {
        malloc_trim(0);
        l->live_peak = l->live;
    }
#else
    (void)l;
#endif
}

static intptr_t cycle(corio__loop *l)
{
    /* Work handed to other threads keeps the loop up even once its tasks are
     * done: their results are posted back to it. */
    for (;;) {
        if (atomic_load_explicit(&l->ts_pending, memory_order_acquire))
            corio__callbacks_drain_threadsafe(l);
        corio__callbacks_run(l);
        if (l->live == 0 && atomic_load(&l->external) == 0)
            break;

        int64_t timeout;
        corio__timer *first = corio__timer_first(&l->timers);
        if (l->runq_head || corio__callbacks_pending(l))
            timeout = 0;
        else if (first) {
            timeout = first->deadline - corio_now_ns();
            if (timeout < 0)
                timeout = 0;
        } else if (l->poller.nfd || atomic_load(&l->external))
            timeout = -1;
        else
            return -EDEADLK;

        if (timeout != 0) { /* idle: a good time for syscalls */
            corio__task_spare_drop(l);
            corio__stacks_trim(&l->stacks);
            trim_heap(l);
        }
        if (timeout != 0 || l->poller.nfd) {
            int rc = corio__poller_wait(&l->poller, timeout);
            if (rc < 0)
                return rc;
        }
        l->polled_ns = corio_now_ns();
        if (l->timers.n)
            corio__timers_run(&l->timers, l->polled_ns);

        corio__round_start(l, l->runq_len);
        corio_task *t = corio__runq_pop(l);
        if (t) {
            l->batch--;
            corio__resume(l, t);
        }
    }
    return 0;
}

static int configure(corio__loop *l, const corio_config *cfg)
{
    if (cfg)
        l->cfg = *cfg;
    if (!l->cfg.stack_size)
        l->cfg.stack_size = CORIO_STACK_DEFAULT;
    corio__stacks_init(&l->stacks, l->cfg.guard_budget, l->cfg.stack_pool, corio_stack_min());
    l->cfg.stack_size = corio__stack_round(&l->stacks, l->cfg.stack_size);
    return l->cfg.stack_size ? 0 : -EINVAL;
}

intptr_t corio_run_ex(corio_fn *main, void *arg, const corio_config *cfg)
{
    if (!main)
        return -EINVAL;
    if (corio__tls_loop)
        return -EBUSY;
    corio__loop *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    corio__list_init(&l->tasks);
    corio__overflow overflow = {0};
    intptr_t result = configure(l, cfg);
    if (result < 0)
        goto out_stacks;
    result = corio__poller_init(&l->poller, l->cfg.backend);
    if (result < 0)
        goto out_stacks;
    result = corio__callbacks_init(l);
    if (result < 0)
        goto out_poller;
    if (!l->cfg.no_segv_handler && corio__overflow_start(&overflow) < 0) {
        result = -ENOMEM;
        goto out_callbacks;
    }

    corio__tls_loop = l;
    l->polled_ns = corio_now_ns();
    l->sched_tsan_fiber = CORIO__TSAN_CURRENT();
    corio_task *root;
    result = corio__spawn_root(l, main, arg, &root);
    l->root = root;
    if (result == 0) {
        result = cycle(l);
        if (result == 0)
            result = root->result;
    }
    if (l->dns)
        l->dns_destroy(l->dns);
    /* Normally only root is left; after a deadlock, the stuck tasks too.
     * Each may become the spare, which is in the list as well. */
    corio__task_spare_drop(l);
    while (!corio__list_empty(&l->tasks)) {
        corio__task_free(l, corio__container_of(l->tasks.next, corio_task, all));
        corio__task_spare_drop(l);
    }
    corio__tls_loop = NULL;

    corio__overflow_stop(&overflow);
out_callbacks:
    corio__callbacks_destroy(l);
out_poller:
    corio__poller_destroy(&l->poller);
out_stacks:
    corio__timers_destroy(&l->timers);
    corio__stacks_destroy(&l->stacks);
    free(l);
    return result;
}

intptr_t corio_run(corio_fn *main, void *arg)
{
    return corio_run_ex(main, arg, NULL);
}
