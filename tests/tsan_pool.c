/* The thread-pool and cross-thread paths, and the log hook's, under
 * ThreadSanitizer. Criterion's runner cannot start under TSan
 * (Snaipe/Criterion#274), so this is a plain program: each check prints
 * ok/FAIL and the exit status says if any failed. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include <corio/corio.h>

static int failed, passed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond)                                                                                  \
            passed++;                                                                              \
        else {                                                                                     \
            failed++;                                                                              \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                        \
        }                                                                                          \
    } while (0)

static intptr_t square(void *arg)
{
    usleep(1000);
    intptr_t v = (intptr_t)arg;
    return v * v;
}

static intptr_t offload(void *arg)
{
    intptr_t r = 0;
    int rc = corio_to_thread(square, arg, &r, -1);
    return rc < 0 ? rc : r;
}

static atomic_int slow_done;

static intptr_t slow(void *arg)
{
    usleep(50000);
    *(intptr_t *)arg = 1; /* writes memory the loop thread allocated */
    atomic_store(&slow_done, 1);
    return 0;
}

static intptr_t cancelled_offload(void *arg)
{
    return corio_to_thread(slow, arg, NULL, -1);
}

#define THREADS 4
#define CALLS   10000
static long received;
static corio_loop *target;

static void count(void *arg)
{
    (void)arg;
    received++;
}

static void *caller(void *arg)
{
    (void)arg;
    for (int i = 0; i < CALLS; i++)
        while (corio_call_soon_threadsafe(target, count, NULL) < 0)
            ;
    return NULL;
}

static intptr_t main_task(void *arg)
{
    static intptr_t scratch;
    (void)arg;
    corio_task *t[32];
    for (intptr_t i = 0; i < 32; i++)
        corio_spawn(NULL, offload, (void *)i, &t[i]);
    for (intptr_t i = 0; i < 32; i++) {
        intptr_t r;
        corio_join(t[i], &r, -1);
        CHECK(r == i * i);
    }

    corio_task *c;
    intptr_t r;
    corio_spawn(NULL, cancelled_offload, &scratch, &c);
    corio_sleep(5);
    corio_task_cancel(c);
    corio_join(c, &r, -1);
    CHECK(r == -ECANCELED);

    pthread_t th[THREADS];
    target = corio_loop_current();
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, caller, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    while (received < (long)THREADS * CALLS)
        corio_sleep(1);
    CHECK(received == (long)THREADS * CALLS);
    return 0;
}

/* The log's sink swapped while loggers run: each message reaches a sink
 * with that sink's own ud. */
static int ud_one, ud_two;
static atomic_long logged, mixed;
static atomic_bool logging_done;

static void sink_one(void *ud, int level, const char *module, const char *msg)
{
    (void)level, (void)module, (void)msg;
    atomic_fetch_add(&logged, 1);
    atomic_fetch_add(&mixed, ud != &ud_one);
}

static void sink_two(void *ud, int level, const char *module, const char *msg)
{
    (void)level, (void)module, (void)msg;
    atomic_fetch_add(&logged, 1);
    atomic_fetch_add(&mixed, ud != &ud_two);
}

static void *log_a_lot(void *arg)
{
    (void)arg;
    for (long i = 0; i < 2000 || !atomic_load(&logging_done); i++)
        corio_log(CORIO_LOG_WARN, "tsan", "message %ld", i);
    return NULL;
}

static void log_from_threads(void)
{
    corio_log_set(sink_one, &ud_one, CORIO_LOG_INFO);
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        CHECK(pthread_create(&th[i], NULL, log_a_lot, NULL) == 0);
    for (int i = 0; i < 1000; i++)
        corio_log_set(i % 2 ? sink_one : sink_two, i % 2 ? &ud_one : &ud_two, CORIO_LOG_INFO);
    atomic_store(&logging_done, true);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    corio_log_set(NULL, NULL, CORIO_LOG_OFF);
    CHECK(atomic_load(&logged) >= 6000 && atomic_load(&mixed) == 0);
}

int main(void)
{
    CHECK(corio_run(main_task, NULL) == 0);
    CHECK(atomic_load(&slow_done) == 1);

    corio_job *j[8];
    for (intptr_t i = 0; i < 8; i++)
        CHECK(corio_pool_submit(square, (void *)i, &j[i]) == 0);
    for (intptr_t i = 0; i < 8; i++) {
        intptr_t r = -1;
        CHECK(corio_job_wait(j[i], &r, -1) == 0 && r == i * i);
        corio_job_free(j[i]);
    }
    log_from_threads();
    printf("tsan_pool: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
