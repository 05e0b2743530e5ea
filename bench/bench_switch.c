/* bench-switch: the cost of one task switch through corio_yield, with a raw
 * Boost.Context jump_fcontext ping-pong measured in the same run as the
 * anchor (boost_switch.cpp, built when CMake finds Boost.Context).
 *
 * Two tasks yield to each other round-robin; ns per switch = elapsed /
 * transfers. The anchor's two sides run different code (the caller's loop
 * and the second context's), and so do the two tasks of the corio figure
 * the ratio uses: each switch resumes other code than the one that
 * suspended, as in any real exchange. Two tasks running one function are
 * measured and printed too. The three alternate, RUNS times; each figure
 * is the median, with the spread (min-max) beside it. */
#include "bench.h"
#include "boost_anchor.h"

#define RUNS 5

/* ns per switch for a pair of yielding tasks; < 0 on failure. */
static double pair_ns(long iters, bool two_functions)
{
    int64_t ns = bench_yield_pair_ns(iters, two_functions);
    return ns < 0 ? -1 : (double)ns / (double)(2 * iters); /* 2 tasks x iters yields */
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[ITERATIONS]  (default 5000000 yields per task)");
    long iters = argc > 1 ? bench_count(argv[0], argv[1]) : 5000000;

    double two[RUNS], one[RUNS], anchor[RUNS];
    for (int r = 0; r < RUNS; r++) {
        two[r] = pair_ns(iters, true);
        one[r] = pair_ns(iters, false);
        if (two[r] < 0 || one[r] < 0) {
            fprintf(stderr, "bench-switch: corio_run failed\n");
            return 1;
        }
#if defined(BENCH_BOOST_CONTEXT)
        anchor[r] = bench_boost_switch_ns(iters);
#else
        anchor[r] = 0;
#endif
    }
    double m2 = bench_median(two, RUNS), m1 = bench_median(one, RUNS),
           ma = bench_median(anchor, RUNS);
    printf("corio_yield switch, two task functions (%s lib): %6.2f ns (%.2f-%.2f)\n", BENCH_LIB, m2,
           two[0], two[RUNS - 1]);
    printf("corio_yield switch, one task function:           %6.2f ns (%.2f-%.2f)\n", m1, one[0],
           one[RUNS - 1]);
#if defined(BENCH_BOOST_CONTEXT)
    printf("Boost.Context jump_fcontext switch:              %6.2f ns (%.2f-%.2f)\n", ma, anchor[0],
           anchor[RUNS - 1]);
    printf("ratio_vs_boost (Boost ns / corio ns, two functions): %.2f (target >= 0.67)\n", ma / m2);
    printf(
        "{\"bench\":\"switch\",\"lib\":\"%s\",\"runs\":%d,\"corio_ns\":%.2f,\"corio_ns_min\":%.2f,"
        "\"corio_ns_max\":%.2f,\"same_code_ns\":%.2f,\"anchor\":\"boost_context_jump_fcontext\","
        "\"anchor_ns\":%.2f,\"anchor_ns_min\":%.2f,\"anchor_ns_max\":%.2f,"
        "\"ratio_vs_boost\":%.2f}\n",
        BENCH_LIB, RUNS, m2, two[0], two[RUNS - 1], m1, ma, anchor[0], anchor[RUNS - 1], ma / m2);
#else
    (void)ma;
    printf("Boost.Context anchor: not built (no libboost-context-dev when configured)\n");
    printf(
        "{\"bench\":\"switch\",\"lib\":\"%s\",\"runs\":%d,\"corio_ns\":%.2f,\"corio_ns_min\":%.2f,"
        "\"corio_ns_max\":%.2f,\"same_code_ns\":%.2f,\"anchor\":null,\"anchor_ns\":null,"
        "\"ratio_vs_boost\":null}\n",
        BENCH_LIB, RUNS, m2, two[0], two[RUNS - 1], m1);
#endif
    return 0;
}
