/* Loops on several threads handing work to each other through thread-safe
 * queues (corio_tsqueue): the plain main thread puts jobs, worker tasks on
 * two loops (corio_run_threads, one thread each) take them, "work" one time
 * unit each (a sleep standing for I/O) and put their results back, which the
 * main thread collects. 16 jobs on 2 loops × 4 tasks take about 2 units. */
#include <pthread.h>
#include <stdio.h>

#include <corio/corio.h>

#include "demo_args.h"

#define LOOPS 2
#define TASKS 4 /* per loop */
#define JOBS  16

static long unit_ms;
static corio_tsqueue *jobs, *results;
static struct {
    long square;
    unsigned loop;
} done[JOBS + 1];

static intptr_t worker(void *arg)
{
    (void)arg;
    void *job;
    while (corio_tsqueue_get(jobs, &job, -1) == 0) { /* -EPIPE once closed and empty */
        long n = (long)(intptr_t)job;
        int rc = corio_sleep(unit_ms);
        if (rc < 0)
            return rc;
        done[n].square = n * n;
        done[n].loop = corio_loop_index();
        if ((rc = corio_tsqueue_put(results, job, -1)) < 0)
            return rc;
    }
    return 0;
}

/* Each loop's main: its worker tasks, in its implicit nursery. */
static intptr_t loop_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < TASKS; i++) {
        int rc = corio_spawn(NULL, worker, NULL, NULL);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void *loops_thread(void *arg)
{
    *(intptr_t *)arg = corio_run_threads(LOOPS, loop_main, NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    unit_ms =
        demo_unit_ms(argc, argv, 200, "Jobs from a plain thread to worker tasks on two loops.");
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (corio_tsqueue_new(4, &jobs) < 0 || corio_tsqueue_new(0, &results) < 0) {
        fprintf(stderr, "loops_pipeline: out of memory\n");
        return 1;
    }
    intptr_t loops_rc = 0;
    pthread_t loops;
    if (pthread_create(&loops, NULL, loops_thread, &loops_rc) != 0) {
        fprintf(stderr, "loops_pipeline: cannot start a thread\n");
        return 1;
    }
    int64_t t0 = corio_now();
    /* From a plain thread a put into the full queue (capacity 4) blocks the
     * thread until a worker takes a job. */
    for (long n = 1; n <= JOBS; n++)
        corio_tsqueue_put(jobs, (void *)(intptr_t)n, -1);
    corio_tsqueue_close(jobs); /* the workers end once they took everything */
    long sum = 0;
    unsigned per_loop[LOOPS] = {0};
    for (int i = 0; i < JOBS; i++) {
        void *job;
        if (corio_tsqueue_get(results, &job, corio_now() + 60000) < 0)
            break;
        long n = (long)(intptr_t)job;
        sum += done[n].square;
        per_loop[done[n].loop]++;
        printf("job %2ld -> %3ld on loop %u\n", n, done[n].square, done[n].loop);
    }
    pthread_join(loops, NULL);
    if (loops_rc < 0) {
        fprintf(stderr, "loops_pipeline: %s\n", corio_strerror(loops_rc));
        return 1;
    }
    double units = unit_ms ? (double)(corio_now() - t0) / (double)unit_ms : 0;
    printf("%d jobs on %d loops (%u and %u each), sum of squares %ld, in %.1f units "
           "(one at a time: %d)\n",
           JOBS, LOOPS, per_loop[0], per_loop[1], sum, units, JOBS);
    corio_tsqueue_free(jobs);
    corio_tsqueue_free(results);
    return 0;
}
