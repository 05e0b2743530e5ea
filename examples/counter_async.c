/* Seed 000's asyncio counter client: one task per request, gathered, so
 * one thread's five requests wait for the server at the same time and take
 * about one server wait.
 *
 *     counter_async [--count N] [URL]
 */
#include <stdio.h>

#include <corio/corio.h>

#include "counter_client.h"

static intptr_t run(void *arg)
{
    (void)arg;
    corio_task *tasks[1000];
    corio_future *futures[1000] = {NULL};
    intptr_t counts[1000];
    long n = 0;
    int rc = 0;
    for (; n < counter_requests && rc == 0; n++) {
        rc = corio_spawn(NULL, request_count, NULL, &tasks[n]);
        if (rc < 0)
            break;
        futures[n] = corio_task_future(tasks[n]);
    }
    if (rc == 0)
        rc = corio_gather(futures, (size_t)n, counts, 0, -1);
    for (long i = 0; i < n; i++) {
        if (rc == 0)
            printf("%ld\n", (long)counts[i]);
        corio_task_release(tasks[i]);
    }
    return rc;
}

int main(int argc, char **argv)
{
    counter_args(argc, argv, "Asks the counter server for its count from one task per request.");
    return counter_run("counter_async", run);
}
