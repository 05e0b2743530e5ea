/* bench-queue: ping-pong between two tasks through two queues, against the
 * cost of the two context switches such an exchange needs at minimum,
 * measured in the same run (two tasks yielding to each other). */
#include "bench.h"

#define RUNS 5

static long iters;
static corio_queue *ping, *pong;

static intptr_t server(void *arg)
{
    (void)arg;
    void *item;
    while (corio_queue_get(ping, &item, -1) == 0)
        if (corio_queue_put(pong, item, -1) < 0)
            return -1;
    return 0;
}

static intptr_t client(void *arg)
{
    int64_t *ns = arg;
    corio_queue_new(&ping, 1, 0);
    corio_queue_new(&pong, 1, 0);
    corio_task *s;
    corio_spawn(NULL, server, NULL, &s);
    int64_t t0 = corio_now_ns();
    for (long i = 0; i < iters; i++) {
        void *item;
        corio_queue_put(ping, (void *)i, -1);
        corio_queue_get(pong, &item, -1);
    }
    *ns = corio_now_ns() - t0;
    corio_queue_close(ping);
    corio_join(s, NULL);
    corio_queue_free(ping);
    corio_queue_free(pong);
    return 0;
}

static intptr_t yielder(void *arg)
{
    (void)arg;
    for (long i = 0; i < iters; i++)
        corio_yield();
    return 0;
}

static intptr_t switches(void *arg)
{
    int64_t *ns = arg;
    corio_nursery *n;
    int64_t t0 = corio_now_ns();
    corio_nursery_open(&n);
    corio_spawn(n, yielder, NULL, NULL);
    corio_spawn(n, yielder, NULL, NULL);
    corio_nursery_close(n);
    *ns = corio_now_ns() - t0;
    return 0;
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[ROUND_TRIPS]  (default 2000000)");
    iters = argc > 1 ? bench_count(argv[0], argv[1]) : 2000000;
    double best = 1e18, anchor = 1e18;
    for (int r = 0; r < RUNS; r++) {
        int64_t ns;
        if (corio_run(client, &ns) < 0)
            return 1;
        if ((double)ns / (double)iters < best)
            best = (double)ns / (double)iters;
        if (corio_run(switches, &ns) < 0)
            return 1;
        /* 2 * iters switches in all: ns per pair of switches */
        if ((double)ns / (double)iters < anchor)
            anchor = (double)ns / (double)iters;
    }
    printf("queue ping-pong round trip:  %.2f ns\n", best);
    printf("two context switches:        %.2f ns\n", anchor);
    printf("round trip / two switches:   %.2f (target <= 2)\n", best / anchor);
    printf("{\"bench\":\"queue_pingpong\",\"corio_ns\":%.2f,\"anchor\":\"two_switches\",\"anchor_"
           "ns\":%.2f,"
           "\"ratio\":%.2f}\n",
           best, anchor, best / anchor);
    return 0;
}
