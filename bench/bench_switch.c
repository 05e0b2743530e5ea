/* bench-switch: the cost of one task switch through corio_yield, with glibc's
 * swapcontext measured in the same run as the anchor.
 *
 * Two tasks yield to each other round-robin; ns per switch = elapsed /
 * transfers. The anchor does the same ping-pong between two ucontexts. Each
 * side is run several times and the best run counts (the machine is shared). */
#include <ucontext.h>

#include "bench.h"

#define RUNS 5

static long iters;

static intptr_t yielder(void *arg)
{
    (void)arg;
    for (long i = 0; i < iters; i++)
        corio_yield();
    return 0;
}

static intptr_t pair(void *arg)
{
    int64_t *ns = arg;
    int64_t t0 = corio_now_ns();
    corio_nursery *n;
    if (corio_nursery_open(&n) < 0)
        return -1;
    corio_spawn(n, yielder, NULL, NULL);
    corio_spawn(n, yielder, NULL, NULL);
    corio_nursery_close(n);
    *ns = corio_now_ns() - t0;
    return 0;
}

static ucontext_t uc_main, uc_other;
static long uc_iters;

static void uc_body(void)
{
    for (;;)
        swapcontext(&uc_other, &uc_main);
}

static double swapcontext_ns(void)
{
    static char stack[64 * 1024];
    getcontext(&uc_other);
    uc_other.uc_stack.ss_sp = stack;
    uc_other.uc_stack.ss_size = sizeof stack;
    uc_other.uc_link = NULL;
    makecontext(&uc_other, uc_body, 0);
    int64_t t0 = corio_now_ns();
    for (long i = 0; i < uc_iters; i++)
        swapcontext(&uc_main, &uc_other); /* two switches: there and back */
    return (double)(corio_now_ns() - t0) / (double)(2 * uc_iters);
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[ITERATIONS]  (default 5000000 yields per task)");
    iters = argc > 1 ? bench_count(argv[0], argv[1]) : 5000000;
    uc_iters = iters / 10 > 0 ? iters / 10 : 1;

    double best = 1e18, anchor = 1e18;
    for (int r = 0; r < RUNS; r++) {
        int64_t ns = 0;
        if (corio_run(pair, &ns) < 0) {
            fprintf(stderr, "bench-switch: corio_run failed\n");
            return 1;
        }
        /* 2 tasks x iters yields; each yield is one transfer of control. */
        double per = (double)ns / (double)(2 * iters);
        if (per < best)
            best = per;
        double a = swapcontext_ns();
        if (a < anchor)
            anchor = a;
    }
    printf("corio_yield switch (%s lib): %.2f ns\n", BENCH_LIB, best);
    printf("swapcontext switch:          %.2f ns\n", anchor);
    printf("ratio (swapcontext / corio): %.1fx\n", anchor / best);
    printf("{\"bench\":\"switch\",\"lib\":\"%s\",\"corio_ns\":%.2f,\"anchor\":\"swapcontext\","
           "\"anchor_ns\":%.2f,\"ratio\":%.1f}\n",
           BENCH_LIB, best, anchor, anchor / best);
    return 0;
}
