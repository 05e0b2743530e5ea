/* bench-lock: 10,000 tasks each taking a shared lock 100 times (yielding while
 * holding it) and, separately, waiting 100 times on an event set by a ticker.
 * Reports throughput and checks nobody starved (every task finished). */
#include "bench.h"

#define TASKS  10000
#define ROUNDS 100

static corio_lock *lk;
static corio_event *ev;
static long finished, ev_finished;

static intptr_t locker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (corio_lock_acquire(lk, -1) < 0)
            return -1;
        corio_yield();
        corio_lock_release(lk);
    }
    finished++;
    return 0;
}

static intptr_t lock_main(void *arg)
{
    int64_t *ns = arg;
    corio_spawn_opts o = {.stack_size = 16384};
    int64_t t0 = corio_now_ns();
    corio_nursery *n;
    corio_nursery_open(&n);
    for (int i = 0; i < TASKS; i++)
        if (corio_spawn_ex(n, locker, NULL, &o, NULL) < 0)
            return -1;
    corio_nursery_close(n);
    *ns = corio_now_ns() - t0;
    return 0;
}

static intptr_t ev_waiter(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++)
        if (corio_event_wait(ev, -1) < 0)
            return -1;
    ev_finished++;
    return 0;
}

static intptr_t ev_main(void *arg)
{
    int64_t *ns = arg;
    corio_spawn_opts o = {.stack_size = 16384};
    int64_t t0 = corio_now_ns();
    for (int i = 0; i < TASKS; i++)
        if (corio_spawn_ex(NULL, ev_waiter, NULL, &o, NULL) < 0)
            return -1;
    /* Each set releases every waiter once; clear before they come back. */
    while (ev_finished < TASKS) {
        corio_yield();
        corio_event_set(ev);
        corio_event_clear(ev);
    }
    *ns = corio_now_ns() - t0;
    return 0;
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "  (10,000 tasks x 100 lock/unlock, then x 100 event waits)");
    int64_t lock_ns = 0, ev_ns = 0;
    corio_lock_new(&lk);
    corio_event_new(&ev);
    if (corio_run(lock_main, &lock_ns) < 0 || corio_run(ev_main, &ev_ns) < 0) {
        fprintf(stderr, "bench-lock: run failed\n");
        return 1;
    }
    double ops = (double)TASKS * ROUNDS;
    printf("lock/unlock:  %ld of %d tasks finished, %.0f ops/s (%.1f ns per op incl. a yield)\n",
           finished, TASKS, ops / ((double)lock_ns / 1e9), (double)lock_ns / ops);
    printf("event waits:  %ld of %d tasks finished, %.0f waits/s\n", ev_finished, TASKS,
           ops / ((double)ev_ns / 1e9));
    printf("{\"bench\":\"lock_event\",\"tasks\":%d,\"rounds\":%d,\"lock_ops_per_s\":%.0f,"
           "\"event_waits_per_s\":%.0f,\"starved\":%ld}\n",
           TASKS, ROUNDS, ops / ((double)lock_ns / 1e9), ops / ((double)ev_ns / 1e9),
           (long)(2 * TASKS) - finished - ev_finished);
    corio_lock_free(lk);
    corio_event_free(ev);
    return finished == TASKS && ev_finished == TASKS ? 0 : 1;
}
