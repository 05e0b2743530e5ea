/* Seed 002's asyncio.gather example: three factorials computed concurrently,
 * each step taking one second, so all three finish in the time of the
 * longest (3 s), not the sum (6 s).
 *
 *     async def factorial(name, number):
 *         for i in range(2, number+1):
 *             await asyncio.sleep(1)
 */
#include <stdio.h>

#include <corio/corio.h>

#include "demo_args.h"

static long unit_ms;

struct job {
    const char *name;
    int number;
};

static intptr_t factorial(void *arg)
{
    const struct job *j = arg;
    intptr_t f = 1;
    for (int i = 2; i <= j->number; i++) {
        printf("Task %s: Compute factorial(%d)...\n", j->name, i);
        corio_sleep(unit_ms);
        f *= i;
    }
    printf("Task %s: factorial(%d) = %ld\n", j->name, j->number, (long)f);
    return f;
}

static intptr_t gather(void *arg)
{
    (void)arg;
    static const struct job jobs[] = {{"A", 2}, {"B", 3}, {"C", 4}};
    corio_future *fs[3];
    int64_t start = corio_now();
    for (int i = 0; i < 3; i++) {
        corio_task *t;
        corio_spawn_opts o = {.name = jobs[i].name};
        int rc = corio_spawn_ex(NULL, factorial, (void *)&jobs[i], &o, &t);
        if (rc < 0)
            return rc;
        fs[i] = corio_task_future(t);
    }
    intptr_t r[3];
    int rc = corio_gather(fs, 3, r, 0, -1); /* results in spawn order */
    if (rc < 0)
        return rc;
    printf("results: %ld %ld %ld\n", (long)r[0], (long)r[1], (long)r[2]);
    printf("all three took %.2f s (%ld units; sequentially %ld)\n",
           (double)(corio_now() - start) / 1000.0, 3L, 6L);
    return 0;
}

int main(int argc, char **argv)
{
    unit_ms = demo_unit_ms(argc, argv, 1000,
                           "Three factorials that sleep one unit per step, run concurrently.");
    return demo_run("gather_factorial", gather);
}
