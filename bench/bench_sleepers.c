/* bench-sleepers N [--stack BYTES]: N tasks sleeping at once. Reports the
 * resident memory each sleeping task costs, the time to spawn them all and
 * the time from their common deadline until the last one has woken.
 *
 * With this machine's vm.max_map_count of 65530, coroutine libraries that give
 * every stack a guard page stop near 32,750 tasks; corio guards a budget of
 * stacks and puts the rest in slabs (see src/base/stack.h). */
#include <errno.h>

#include "bench.h"

static long ntasks, woken;
static int64_t deadline, last_wake;

static intptr_t sleeper(void *arg)
{
    (void)arg;
    int rc = corio_sleep_until_ns(deadline);
    if (rc < 0)
        return rc;
    if (++woken == ntasks)
        last_wake = corio_now_ns();
    return 0;
}

struct result {
    int64_t spawn_ns;
    long rss_before, rss_sleeping;
    int spawn_error;
    long spawned;
};

static intptr_t bench_main(void *arg)
{
    struct result *r = arg;
    corio_spawn_opts o = {.stack_size = (size_t)(intptr_t)r->spawned};
    r->spawned = 0;
    r->rss_before = bench_rss_bytes();
    deadline = INT64_MAX; /* set for real once everyone is spawned */
    int64_t t0 = corio_now_ns();
    for (long i = 0; i < ntasks; i++) {
        int rc = corio_spawn_ex(NULL, sleeper, NULL, &o, NULL);
        if (rc < 0) {
            r->spawn_error = rc;
            ntasks = r->spawned;
            break;
        }
        r->spawned++;
    }
    r->spawn_ns = corio_now_ns() - t0;
    deadline = corio_now_ns() + 1000000000; /* one second from now */
    corio_yield();                          /* every sleeper runs to its sleep */
    r->rss_sleeping = bench_rss_bytes();
    return 0;
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "N [--stack BYTES]  (N tasks sleep at once; default stack 256 KiB)");
    long stack = 0;
    ntasks = 100000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--stack") && i + 1 < argc)
            stack = bench_count(argv[0], argv[++i]);
        else
            ntasks = bench_count(argv[0], argv[i]);
    }
    long wanted = ntasks;
    struct result r = {.spawned = stack};
    intptr_t rc = corio_run(bench_main, &r);
    if (rc < 0) {
        fprintf(stderr, "bench-sleepers: %s\n", corio_strerror(rc));
        return 1;
    }
    double per_task = (double)(r.rss_sleeping - r.rss_before) / (double)r.spawned;
    printf("tasks sleeping at once:  %ld of %ld%s%s\n", r.spawned, wanted,
           r.spawn_error ? ", spawn stopped: " : "",
           r.spawn_error ? corio_strerror(r.spawn_error) : "");
    printf("stack size:              %ld bytes\n", stack ? stack : (long)CORIO_STACK_DEFAULT);
    printf("spawn:                   %.1f ns per task\n", (double)r.spawn_ns / (double)r.spawned);
    printf("RSS while sleeping:      %.0f bytes per task\n", per_task);
    printf("wake all after deadline: %.1f ms\n", (double)(last_wake - deadline) / 1e6);
    printf("{\"bench\":\"sleepers\",\"tasks\":%ld,\"requested\":%ld,\"stack_bytes\":%ld,"
           "\"spawn_ns_per_task\":%.1f,\"rss_per_task_bytes\":%.0f,\"wake_all_ms\":%.1f}\n",
           r.spawned, wanted, stack ? stack : (long)CORIO_STACK_DEFAULT,
           (double)r.spawn_ns / (double)r.spawned, per_task, (double)(last_wake - deadline) / 1e6);
    return r.spawned == wanted ? 0 : 1;
}
