// bench-spawn's anchor: Boost.Fiber create + run + destroy, with its default
// scheduler and stack allocator.
#include <time.h>

#include <boost/fiber/all.hpp>

#include "boost_anchor.h"

static double now_ns()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

double bench_boost_fiber_ns(long iters)
{
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        boost::fibers::fiber f([] {});
        f.join();
    }
    return (now_ns() - t0) / (double)iters;
}
