// bench-switch's anchor: a raw Boost.Context jump_fcontext ping-pong.
#include <time.h>

#include <boost/context/detail/fcontext.hpp>

#include "boost_anchor.h"

namespace fc = boost::context::detail;

static double now_ns()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

// The second side: switches straight back, forever.
static void other(fc::transfer_t t)
{
    for (;;)
        t = fc::jump_fcontext(t.fctx, nullptr);
}

double bench_boost_switch_ns(long iters)
{
    alignas(64) static char stack[64 * 1024];
    fc::fcontext_t f = fc::make_fcontext(stack + sizeof stack, sizeof stack, other);
    f = fc::jump_fcontext(f, nullptr).fctx; // enters other's loop once
    double t0 = now_ns();
    for (long i = 0; i < iters; i++)
        f = fc::jump_fcontext(f, nullptr).fctx; // two switches: there and back
    return (now_ns() - t0) / (double)(2 * iters);
}
