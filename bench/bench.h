/* Shared helpers of the benchmark programs: timing, RSS, best-of-N. Every
 * benchmark prints readable lines and, last, one JSON object (CONTRIBUTING.md). */
#ifndef CORIO_BENCH_H
#define CORIO_BENCH_H

#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
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

/* (max - min) / median of v[0..n), in %; sorts v. */
static inline double bench_spread_pct(double *v, int n)
{
    double m = bench_median(v, n);
    return m ? 100 * (v[n - 1] - v[0]) / m : 0;
}

/* This process and, once it is pinned, the children it starts. */
static inline void bench_pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

/* User + system seconds of a getrusage record. */
static inline double bench_rusage_s(const struct rusage *r)
{
    return (double)r->ru_utime.tv_sec + (double)r->ru_utime.tv_usec / 1e6 +
           (double)r->ru_stime.tv_sec + (double)r->ru_stime.tv_usec / 1e6;
}

/* Runs argv (searched on PATH) with its stdout into out (NUL-terminated, cap
 * bytes): the child's CPU seconds, or -1 if it could not run or failed. */
static inline double bench_run_child(const char *const *argv, char *out, size_t cap)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fds[0], out + n, cap - n - 1)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(fds[0]);
    int status;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return -1;
    return bench_rusage_s(&ru);
}

/* One CPU's counters from /proc/stat, in clock ticks. Busy is user, nice,
 * system, irq and softirq: the work done there, the kernel's network
 * processing included. Steal, the time the hypervisor ran someone else
 * instead, is kept apart: it is no one's work here, and counted as busy it
 * made a noisy neighbour look like server CPU. */
typedef struct bench_ticks {
    long long busy, steal, all;
} bench_ticks;

static inline bench_ticks bench_cpu_ticks(int cpu)
{
    char line[512], name[16];
    long long v[8] = {0};
    bench_ticks t = {0, 0, 0};
    snprintf(name, sizeof name, "cpu%d ", cpu);
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return t;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, name, strlen(name))) {
            sscanf(line + strlen(name), "%lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
            break;
        }
    fclose(f);
    t.busy = v[0] + v[1] + v[2] + v[5] + v[6];
    t.steal = v[7];
    for (int i = 0; i < 8; i++)
        t.all += v[i];
    return t;
}

/* Between two readings of one CPU: its busy seconds, and the share of the
 * time it was there to run (not stolen) that it was busy, in %. */
static inline double bench_busy_s(bench_ticks a, bench_ticks b)
{
    return (double)(b.busy - a.busy) / (double)sysconf(_SC_CLK_TCK);
}

static inline double bench_busy_pct(bench_ticks a, bench_ticks b)
{
    long long avail = (b.all - a.all) - (b.steal - a.steal);
    return avail > 0 ? 100.0 * (double)(b.busy - a.busy) / (double)avail : 0;
}

/* The wake-up interrupts one CPU has taken (reschedule and function-call
 * IPIs, /proc/interrupts' RES and CAL): mostly another CPU waking a task
 * that slept there. On a VM each costs both sides an exit to the
 * hypervisor, and the sleeper a wake-up latency, so a client that sleeps
 * between replies more often can be slower although cheaper. */
static inline long long bench_wakeup_ipis(int cpu)
{
    char line[1024];
    long long sum = 0;
    FILE *f = fopen("/proc/interrupts", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        char *p = line + strspn(line, " ");
        if (strncmp(p, "RES:", 4) && strncmp(p, "CAL:", 4))
            continue;
        p += 4;
        for (int c = 0; c <= cpu; c++) {
            char *end;
            long long v = strtoll(p, &end, 10);
            if (end == p)
                break;
            if (c == cpu)
                sum += v;
            p = end;
        }
    }
    fclose(f);
    return sum;
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
