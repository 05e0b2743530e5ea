/* The Boost anchors of bench-switch and bench-spawn, C++ translation units
 * with a C interface (boost_switch.cpp, boost_fiber.cpp), built when CMake
 * finds Boost.Context / Boost.Fiber (BENCH_BOOST_CONTEXT, BENCH_BOOST_FIBER). */
#ifndef CORIO_BENCH_BOOST_ANCHOR_H
#define CORIO_BENCH_BOOST_ANCHOR_H

#ifdef __cplusplus
extern "C" {
#endif

/* ns per switch of a jump_fcontext ping-pong between the caller's loop and a
 * second context's loop (two functions, as corio's two-function figure). */
double bench_boost_switch_ns(long iters);

/* ns per boost::fibers::fiber created, run to its end and joined (destroyed),
 * its body returning at once. */
double bench_boost_fiber_ns(long iters);

#ifdef __cplusplus
}
#endif

#endif
