/* bench-spawn: spawn + join of a task that returns at once (its stack comes
 * from the pool), with pthread_create + pthread_join measured in the same run
 * as the anchor. Best of several runs of each. */
#include <pthread.h>

#include "bench.h"

#define RUNS 5

static long iters;

static intptr_t nothing(void *arg)
{
    return (intptr_t)arg;
}

static intptr_t spawner(void *arg)
{
    int64_t *ns = arg;
    int64_t t0 = corio_now_ns();
    for (long i = 0; i < iters; i++) {
        corio_task *t;
        intptr_t r;
        int rc = corio_spawn(NULL, nothing, NULL, &t);
        if (rc < 0)
            return rc;
        corio_join(t, &r, -1);
        corio_task_release(t);
    }
    *ns = corio_now_ns() - t0;
    return 0;
}

static void *thread_nothing(void *arg)
{
    return arg;
}

static double pthread_ns(long n)
{
    int64_t t0 = corio_now_ns();
    for (long i = 0; i < n; i++) {
        pthread_t th;
        if (pthread_create(&th, NULL, thread_nothing, NULL) != 0) {
            fprintf(stderr, "bench-spawn: pthread_create failed\n");
            exit(1);
        }
        pthread_join(th, NULL);
    }
    return (double)(corio_now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[ITERATIONS]  (default 1000000 spawn+join)");
    iters = argc > 1 ? bench_count(argv[0], argv[1]) : 1000000;
    long thread_iters = iters / 50 > 0 ? iters / 50 : 1;

    double best = 1e18, anchor = 1e18;
    for (int r = 0; r < RUNS; r++) {
        int64_t ns = 0;
        if (corio_run(spawner, &ns) < 0) {
            fprintf(stderr, "bench-spawn: corio_run failed\n");
            return 1;
        }
        double per = (double)ns / (double)iters;
        if (per < best)
            best = per;
        double a = pthread_ns(thread_iters);
        if (a < anchor)
            anchor = a;
    }
    printf("corio spawn+join:             %.1f ns\n", best);
    printf("pthread_create+join:          %.1f ns\n", anchor);
    printf("ratio (pthread / corio):      %.0fx\n", anchor / best);
    printf(
        "{\"bench\":\"spawn\",\"lib\":\"%s\",\"corio_ns\":%.1f,\"anchor\":\"pthread_create+join\","
        "\"anchor_ns\":%.1f,\"ratio\":%.0f}\n",
        BENCH_LIB, best, anchor, anchor / best);
    return 0;
}
