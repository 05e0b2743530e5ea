/* bench-spawn: spawn + join + release of a task that returns at once (its
 * stack comes from the pool), with Boost.Fiber's create + run + destroy
 * (boost_fiber.cpp, built when CMake finds Boost.Fiber) measured in the same
 * run as the anchor. The two alternate, RUNS times; each figure is the
 * median, with the spread (min-max) beside it. */
#include "bench.h"
#include "boost_anchor.h"

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

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[ITERATIONS]  (default 1000000 spawn+join)");
    iters = argc > 1 ? bench_count(argv[0], argv[1]) : 1000000;

    double corio[RUNS], anchor[RUNS];
    for (int r = 0; r < RUNS; r++) {
        int64_t ns = 0;
        if (corio_run(spawner, &ns) < 0) {
            fprintf(stderr, "bench-spawn: corio_run failed\n");
            return 1;
        }
        corio[r] = (double)ns / (double)iters;
#if defined(BENCH_BOOST_FIBER)
        anchor[r] = bench_boost_fiber_ns(iters);
#else
        anchor[r] = 0;
#endif
    }
    double mc = bench_median(corio, RUNS), ma = bench_median(anchor, RUNS);
    printf("corio spawn+join:                   %7.1f ns (%.1f-%.1f)\n", mc, corio[0],
           corio[RUNS - 1]);
#if defined(BENCH_BOOST_FIBER)
    printf("Boost.Fiber create+run+destroy:     %7.1f ns (%.1f-%.1f)\n", ma, anchor[0],
           anchor[RUNS - 1]);
    printf("ratio_vs_boost_fiber (Boost ns / corio ns): %.2f (target >= 1.43)\n", ma / mc);
    printf(
        "{\"bench\":\"spawn\",\"lib\":\"%s\",\"runs\":%d,\"corio_ns\":%.1f,\"corio_ns_min\":%.1f,"
        "\"corio_ns_max\":%.1f,\"anchor\":\"boost_fiber\",\"anchor_ns\":%.1f,"
        "\"anchor_ns_min\":%.1f,\"anchor_ns_max\":%.1f,\"ratio_vs_boost_fiber\":%.2f}\n",
        BENCH_LIB, RUNS, mc, corio[0], corio[RUNS - 1], ma, anchor[0], anchor[RUNS - 1], ma / mc);
#else
    (void)ma;
    printf("Boost.Fiber anchor: not built (no libboost-fiber-dev when configured)\n");
    printf(
        "{\"bench\":\"spawn\",\"lib\":\"%s\",\"runs\":%d,\"corio_ns\":%.1f,\"corio_ns_min\":%.1f,"
        "\"corio_ns_max\":%.1f,\"anchor\":null,\"anchor_ns\":null,"
        "\"ratio_vs_boost_fiber\":null}\n",
        BENCH_LIB, RUNS, mc, corio[0], corio[RUNS - 1]);
#endif
    return 0;
}
