/* bench-to-thread: round trip of corio_to_thread (task -> pool thread ->
 * back to the task through the loop), against the bare anchor measured in
 * the same run: one thread handing a job to another over a mutex and
 * condition variable and waiting for the answer the same way. */
#include <pthread.h>
#include <stdbool.h>

#include "bench.h"

#define RUNS 3

static long iters;

static intptr_t noop(void *arg)
{
    return (intptr_t)arg;
}

static intptr_t offloader(void *arg)
{
    int64_t *ns = arg;
    int64_t t0 = corio_now_ns();
    for (long i = 0; i < iters; i++) {
        intptr_t r;
        if (corio_to_thread(noop, NULL, &r, -1) < 0)
            return -1;
    }
    *ns = corio_now_ns() - t0;
    return 0;
}

static struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    bool job, done, quit;
} hand = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, false};

static void *anchor_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&hand.m);
    for (;;) {
        while (!hand.job && !hand.quit)
            pthread_cond_wait(&hand.c, &hand.m);
        if (hand.quit)
            break;
        hand.job = false;
        hand.done = true;
        pthread_cond_broadcast(&hand.c);
    }
    pthread_mutex_unlock(&hand.m);
    return NULL;
}

static double anchor_ns(long n)
{
    pthread_t th;
    hand.quit = false;
    pthread_create(&th, NULL, anchor_worker, NULL);
    int64_t t0 = corio_now_ns();
    pthread_mutex_lock(&hand.m);
    for (long i = 0; i < n; i++) {
        hand.job = true;
        pthread_cond_broadcast(&hand.c);
        while (!hand.done)
            pthread_cond_wait(&hand.c, &hand.m);
        hand.done = false;
    }
    hand.quit = true;
    pthread_cond_broadcast(&hand.c);
    pthread_mutex_unlock(&hand.m);
    double per = (double)(corio_now_ns() - t0) / (double)n;
    pthread_join(th, NULL);
    return per;
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[ROUND_TRIPS]  (default 20000)");
    iters = argc > 1 ? bench_count(argv[0], argv[1]) : 20000;
    corio_pool_configure(1, 1); /* one worker, like the anchor */
    double best = 1e18, anchor = 1e18;
    for (int r = 0; r < RUNS; r++) {
        int64_t ns;
        if (corio_run(offloader, &ns) < 0)
            return 1;
        if ((double)ns / (double)iters < best)
            best = (double)ns / (double)iters;
        double a = anchor_ns(iters);
        if (a < anchor)
            anchor = a;
    }
    printf("corio_to_thread round trip:      %.0f ns\n", best);
    printf("mutex+condvar hand-off and back: %.0f ns\n", anchor);
    printf("ratio (corio / anchor):          %.2f (target <= 2)\n", best / anchor);
    printf("{\"bench\":\"to_thread\",\"corio_ns\":%.0f,\"anchor\":\"pthread_cond_handoff\","
           "\"anchor_ns\":%.0f,"
           "\"ratio\":%.2f}\n",
           best, anchor, best / anchor);
    return 0;
}
