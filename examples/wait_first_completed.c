/* The seeds' pattern "keep N requests in flight, refill as each completes"
 * (asyncio.wait(return_when=FIRST_COMPLETED) in a loop): 20 jobs of varying
 * length, never more than 4 at once, each result handled as soon as it is in. */
#include <stdio.h>

#include <corio/corio.h>

#include "demo_args.h"

enum { JOBS = 20, IN_FLIGHT = 4 };
static long unit_ms;

static intptr_t job(void *arg)
{
    intptr_t n = (intptr_t)arg;
    int rc = corio_sleep((1 + n * 7 % 5) * unit_ms);
    return rc < 0 ? rc : n * n;
}

static int start(int n, corio_task **slot, corio_future **f)
{
    int rc = corio_spawn(NULL, job, (void *)(intptr_t)n, slot);
    if (rc == 0)
        *f = corio_task_future(*slot);
    return rc;
}

static intptr_t refill(void *arg)
{
    (void)arg;
    corio_task *t[IN_FLIGHT];
    corio_future *f[IN_FLIGHT];
    int job_of[IN_FLIGHT], next = 0, done = 0;
    for (; next < IN_FLIGHT; next++) {
        job_of[next] = next;
        if (start(next, &t[next], &f[next]) < 0)
            return -1;
    }
    int live = IN_FLIGHT;
    while (done < JOBS) {
        int rc = corio_wait(f, (size_t)live, CORIO_FIRST_COMPLETED, -1);
        if (rc < 0)
            return rc;
        for (int i = 0; i < live; i++) {
            if (!corio_future_done(f[i]))
                continue;
            printf("job %2d done: %3ld  (%d in flight)\n", job_of[i],
                   (long)corio_future_result(f[i]), live);
            done++;
            corio_task_release(t[i]);
            if (next < JOBS) { /* refill the slot */
                job_of[i] = next;
                if (start(next++, &t[i], &f[i]) < 0)
                    return -1;
            } else { /* close the gap */
                live--;
                t[i] = t[live];
                f[i] = f[live];
                job_of[i] = job_of[live];
                i--;
            }
        }
    }
    printf("all %d jobs done, at most %d at a time\n", JOBS, IN_FLIGHT);
    return 0;
}

int main(int argc, char **argv)
{
    unit_ms = demo_unit_ms(argc, argv, 100,
                           "Keeps 4 of 20 jobs in flight with corio_wait(FIRST_COMPLETED).");
    return demo_run("wait_first_completed", refill);
}
