/* Seed 002's loop.run_in_executor: a blocking call (here a blocking sleep,
 * standing for file I/O or a C library without async support) runs on the
 * thread pool while a ticker task keeps the loop busy. */
#include <stdio.h>
#include <time.h>

#include <corio/corio.h>

#include "demo_args.h"

static long unit_ms;

static intptr_t blocking_work(void *arg)
{
    struct timespec ts = {unit_ms * 3 / 1000, (unit_ms * 3 % 1000) * 1000000};
    nanosleep(&ts, NULL); /* would freeze the loop if called on it */
    return (intptr_t)arg * 2;
}

static intptr_t ticker(void *arg)
{
    int *ticks = arg;
    for (;;) {
        if (corio_sleep(unit_ms / 2) < 0)
            return 0; /* cancelled: done */
        printf("  tick %d (the loop is free)\n", ++*ticks);
    }
}

static intptr_t main_task(void *arg)
{
    (void)arg;
    static int ticks;
    corio_task *t;
    intptr_t result;
    corio_spawn(NULL, ticker, &ticks, &t);
    printf("running a blocking call in the pool...\n");
    int rc = corio_to_thread(blocking_work, (void *)(intptr_t)21, &result, -1);
    if (rc < 0)
        return rc;
    printf("blocking call returned %ld after %d ticks of the loop\n", (long)result, ticks);
    corio_task_cancel(t);
    return 0;
}

int main(int argc, char **argv)
{
    unit_ms =
        demo_unit_ms(argc, argv, 1000, "A blocking call on the pool while the loop keeps ticking.");
    return demo_run("run_in_executor", main_task);
}
