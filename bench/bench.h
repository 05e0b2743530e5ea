/* Shared helpers of the benchmark programs: timing, RSS, best-of-N. Every
 * benchmark prints readable lines and, last, one JSON object (CONTRIBUTING.md). */
#ifndef CORIO_BENCH_H
#define CORIO_BENCH_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corio/corio.h>

#ifndef BENCH_LIB
#define BENCH_LIB "static"
#endif

/* Resident set size of this process in bytes (from /proc/self/statm). */
static inline long bench_rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

/* Parses a positive count argument or exits with status 2. */
static inline long bench_count(const char *prog, const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v <= 0) {
        fprintf(stderr, "%s: not a positive number: '%s'\n", prog, s);
        exit(2);
    }
    return v;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v[0..n) (so v[0] and v[n - 1] are the spread) and returns its median. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline void bench_usage(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: %s %s\n", argv[0], usage);
            exit(0);
        }
        if (!strcmp(argv[i], "--version")) {
            printf("%s (corio) %s\n", argv[0], corio_version());
            exit(0);
        }
    }
}

/* Task bodies yielding *(long *)arg times: the same loop in two functions
 * (noinline keeps their code apart; unused: not every bench uses them). */
static __attribute__((noinline, unused)) intptr_t bench_yielder_a(void *arg)
{
    for (long i = 0; i < *(long *)arg; i++)
        corio_yield();
    return 0;
}

static __attribute__((noinline, unused)) intptr_t bench_yielder_b(void *arg)
{
    for (long i = 0; i < *(long *)arg; i++)
        if (corio_yield() < 0)
            return -1;
    return 0;
}

typedef struct bench_yield_pair {
    long iters;
    bool two_functions;
} bench_yield_pair;

static inline intptr_t bench_yield_pair_main(void *arg)
{
    bench_yield_pair *p = arg;
    int64_t t0 = corio_now_ns();
    corio_nursery *n;
    if (corio_nursery_open(&n) < 0)
        return -1;
    corio_spawn(n, bench_yielder_a, &p->iters, NULL);
    corio_spawn(n, p->two_functions ? bench_yielder_b : bench_yielder_a, &p->iters, NULL);
    corio_nursery_close(n);
    return corio_now_ns() - t0;
}

/* Two tasks yielding to each other iters times each, on a loop of their
 * own: the elapsed ns (2 * iters switches), or -1. two_functions: the tasks
 * run different code, as the two sides of any real exchange do, and the
 * CPU's return prediction misses once a switch; else one function, where
 * every return is predicted: the best case. */
static inline int64_t bench_yield_pair_ns(long iters, bool two_functions)
{
    bench_yield_pair p = {iters, two_functions};
    return corio_run(bench_yield_pair_main, &p);
}

#endif
