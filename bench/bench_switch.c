/* bench-switch: the cost of one task switch through corio_yield, with glibc's
 * swapcontext measured in the same run as the anchor.
 *
 * Two tasks yield to each other round-robin; ns per switch = elapsed /
 * transfers. The anchor does the same ping-pong between two ucontexts, whose
 * two sides run different code. So does the corio figure the ratio uses:
 * two tasks with different functions, where each switch returns into other
 * code than the one that suspended and the CPU's return prediction misses,
 * as in any real exchange. Two tasks running one function (every return
 * predicted, the best case) are measured and printed too. Each side is run
 * several times and the best run counts (the machine is shared). */
#include <ucontext.h>

#include "bench.h"

#define RUNS 5

static long iters;

/* Best ns per switch so far for a pair of yielding tasks. */
static int measure(bool two_functions, double *best)
{
    int64_t ns = bench_yield_pair_ns(iters, two_functions);
    if (ns < 0)
        return -1;
    /* 2 tasks x iters yields; each yield is one transfer of control. */
    double per = (double)ns / (double)(2 * iters);
    if (per < *best)
        *best = per;
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

    double two = 1e18, one = 1e18, anchor = 1e18;
    for (int r = 0; r < RUNS; r++) {
        if (measure(true, &two) < 0 || measure(false, &one) < 0) {
            fprintf(stderr, "bench-switch: corio_run failed\n");
            return 1;
        }
        double a = swapcontext_ns();
        if (a < anchor)
            anchor = a;
    }
    printf("corio_yield switch, two task functions (%s lib): %.2f ns\n", BENCH_LIB, two);
    printf("corio_yield switch, one task function:           %.2f ns\n", one);
    printf("swapcontext switch:                              %.2f ns\n", anchor);
    printf("ratio (swapcontext / corio, two functions):      %.1fx\n", anchor / two);
    printf("{\"bench\":\"switch\",\"lib\":\"%s\",\"corio_ns\":%.2f,\"anchor\":\"swapcontext\","
           "\"anchor_ns\":%.2f,\"ratio\":%.1f,\"same_code_ns\":%.2f}\n",
           BENCH_LIB, two, anchor, anchor / two, one);
    return 0;
}
