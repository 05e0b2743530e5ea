/* bench-queue: ping-pong between two tasks through two queues, against the
 * cost of the two context switches such an exchange needs at minimum,
 * measured in the same run (two tasks yielding to each other).
 *
 * The anchor is measured twice. In the first the two tasks run different
 * functions, as the ping-pong's client and server do: each switch resumes a
 * task whose calls return to other addresses than the suspended one's, and the
 * CPU's return-address predictor misses once per switch, as it does in any
 * exchange between two different pieces of code. That is the anchor the
 * target is measured against. The second runs one function in both tasks:
 * every return is predicted, the cheapest a switch can be; the ratio to it is
 * printed as well, so the cost of the queue operations themselves shows. */
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
    corio_queue_new(1, 0, &ping);
    corio_queue_new(1, 0, &pong);
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
    corio_join(s, NULL, -1);
    corio_queue_free(ping);
    corio_queue_free(pong);
    return 0;
}

/* Best of the runs, in ns per pair of switches (2 * iters switches a run). */
static int measure_switches(bool two_functions, double *best)
{
    int64_t ns = bench_yield_pair_ns(iters, two_functions);
    if (ns < 0)
        return -1;
    if ((double)ns / (double)iters < *best)
        *best = (double)ns / (double)iters;
    return 0;
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[ROUND_TRIPS]  (default 2000000)");
    iters = argc > 1 ? bench_count(argv[0], argv[1]) : 2000000;
    double best = 1e18, distinct = 1e18, same = 1e18;
    for (int r = 0; r < RUNS; r++) {
        int64_t ns;
        if (corio_run(client, &ns) < 0)
            return 1;
        if ((double)ns / (double)iters < best)
            best = (double)ns / (double)iters;
        if (measure_switches(true, &distinct) < 0 || measure_switches(false, &same) < 0)
            return 1;
    }
    printf("queue ping-pong round trip:                %.2f ns\n", best);
    printf("two context switches, two task functions:  %.2f ns\n", distinct);
    printf("two context switches, one task function:   %.2f ns\n", same);
    printf("round trip / two switches:                 %.2f (target <= 2)\n", best / distinct);
    printf("round trip / two best-case switches:       %.2f\n", best / same);
    printf("{\"bench\":\"queue_pingpong\",\"corio_ns\":%.2f,\"anchor\":\"two_switches\","
           "\"anchor_ns\":%.2f,\"ratio\":%.2f,\"same_code_anchor_ns\":%.2f,"
           "\"ratio_same_code\":%.2f}\n",
           best, distinct, best / distinct, same, best / same);
    return 0;
}
