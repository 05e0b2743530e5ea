/* The thread-safe queue's stress run, shared by test_tsqueue (Criterion) and
 * tsan_tsqueue (ThreadSanitizer, where Criterion cannot start): producers and
 * consumers on several loops and on plain threads move distinct values
 * through one queue, then every value must have arrived exactly once and, per
 * consumer, each producer's values in the order they were put. With hurry,
 * waiters keep leaving (their own short deadlines, and cancel scopes whose
 * deadline fires) while items flow; producers pause now and then so that
 * getters wait, and many are served just as their deadline fires. */
#ifndef CORIO_TESTS_TSQUEUE_STRESS_H
#define CORIO_TESTS_TSQUEUE_STRESS_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <corio/corio.h>

#define TSQ_MAX_PRODUCERS 64

typedef struct tsq_stress {
    /* Set by the caller. */
    size_t capacity;
    unsigned loops, tasks; /* loops, and producer and consumer tasks on each */
    unsigned threads;      /* plain producer threads, and as many consumers */
    long per_producer;
    bool hurry;
    /* Results. */
    atomic_long received, dups, out_of_order, errors, leaves;
    intptr_t run_rc;
    /* Internal. */
    corio_tsqueue *q;
    atomic_int next_producer, producers_left;
    atomic_uchar *seen;
} tsq_stress;

static bool tsq_in_task(void)
{
    return corio_current() != NULL;
}

/* One put or get, the hurried way: a deadline of its own, or in a cancel
 * scope that times out, or plain; retried when the waiter left. */
static int tsq_op(tsq_stress *s, bool put, void **item, unsigned *k)
{
    for (;;) {
        int rc;
        unsigned how = s->hurry ? (*k)++ % 3 : 2;
        int64_t deadline = how == 0 ? corio_now() + 1 : -1;
        corio_scope sc;
        bool scoped = how == 1 && tsq_in_task() && corio_scope_enter_timeout(&sc, 1, 0) == 0;
        rc = put ? corio_tsqueue_put(s->q, *item, deadline)
                 : corio_tsqueue_get(s->q, item, deadline);
        if (scoped)
            corio_scope_exit(&sc); /* served as the scope fired: rc is 0 and counts */
        if (rc != -ETIMEDOUT && rc != -ECANCELED)
            return rc;
        atomic_fetch_add(&s->leaves, 1);
    }
}

static void tsq_produce(tsq_stress *s)
{
    long p = atomic_fetch_add(&s->next_producer, 1);
    unsigned k = (unsigned)p;
    for (long j = 0; j < s->per_producer; j++) {
        void *v = (void *)(intptr_t)(p * s->per_producer + j + 1);
        if (tsq_op(s, true, &v, &k) < 0)
            atomic_fetch_add(&s->errors, 1);
        if (s->hurry && j % 64 == 63) { /* let the getters wait, and time out as items come */
            if (tsq_in_task())
                corio_sleep(1);
            else
                usleep(1000);
        }
    }
    if (atomic_fetch_sub(&s->producers_left, 1) == 1)
        corio_tsqueue_close(s->q);
}

static void tsq_consume(tsq_stress *s)
{
    long last[TSQ_MAX_PRODUCERS] = {0};
    unsigned k = 7;
    for (;;) {
        void *item = NULL;
        int rc = tsq_op(s, false, &item, &k);
        if (rc == -EPIPE)
            return;
        if (rc < 0) {
            atomic_fetch_add(&s->errors, 1);
            return;
        }
        long v = (long)(intptr_t)item;
        long p = (v - 1) / s->per_producer;
        if (v < 1 || p >= TSQ_MAX_PRODUCERS) {
            atomic_fetch_add(&s->errors, 1);
            continue;
        }
        if (atomic_exchange(&s->seen[v], 1))
            atomic_fetch_add(&s->dups, 1);
        if (v <= last[p])
            atomic_fetch_add(&s->out_of_order, 1);
        last[p] = v;
        atomic_fetch_add(&s->received, 1);
    }
}

static intptr_t tsq_producer_task(void *arg)
{
    tsq_produce(arg);
    return 0;
}

static intptr_t tsq_consumer_task(void *arg)
{
    tsq_consume(arg);
    return 0;
}

static void *tsq_producer_thread(void *arg)
{
    tsq_produce(arg);
    return NULL;
}

static void *tsq_consumer_thread(void *arg)
{
    tsq_consume(arg);
    return NULL;
}

static intptr_t tsq_loop_main(void *arg)
{
    tsq_stress *s = arg;
    for (unsigned i = 0; i < s->tasks; i++) {
        if (corio_spawn(NULL, tsq_producer_task, s, NULL) < 0 ||
            corio_spawn(NULL, tsq_consumer_task, s, NULL) < 0)
            return -ENOMEM; /* the nursery then waits for those started */
    }
    return 0;
}

/* Runs it; 0 when everything checked out (the counts say what did not). */
static int tsq_stress_run(tsq_stress *s)
{
    unsigned producers = s->loops * s->tasks + s->threads;
    if (producers > TSQ_MAX_PRODUCERS || corio_tsqueue_new(s->capacity, &s->q) < 0)
        return -EINVAL;
    long total = (long)producers * s->per_producer;
    s->seen = calloc((size_t)total + 1, 1);
    atomic_store(&s->producers_left, (int)producers);
    pthread_t th[2 * TSQ_MAX_PRODUCERS];
    for (unsigned i = 0; i < s->threads; i++) {
        pthread_create(&th[2 * i], NULL, tsq_producer_thread, s);
        pthread_create(&th[2 * i + 1], NULL, tsq_consumer_thread, s);
    }
    s->run_rc = corio_run_threads(s->loops, tsq_loop_main, s);
    for (unsigned i = 0; i < 2 * s->threads; i++)
        pthread_join(th[i], NULL);
    int ok = s->run_rc == 0 && atomic_load(&s->received) == total && atomic_load(&s->dups) == 0 &&
             atomic_load(&s->out_of_order) == 0 && atomic_load(&s->errors) == 0 &&
             corio_tsqueue_size(s->q) == 0;
    free(s->seen);
    corio_tsqueue_free(s->q);
    return ok ? 0 : -1;
}

#endif
