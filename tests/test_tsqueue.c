/* The thread-safe queue: order, blocking both ways from tasks and plain
 * threads, many loops at once, waiters leaving while items flow, close with
 * waiters everywhere, bad input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <unistd.h>

#include <corio/corio.h>

#include "child.h"

#include "tsqueue_stress.h"

static corio_tsqueue *q;

Test(tsqueue, fifo_and_bounds_without_a_loop, .timeout = 10)
{
    void *item;
    cr_assert_eq(corio_tsqueue_new(0, &q), 0);
    for (intptr_t i = 0; i < 1000; i++) /* unbounded: grows */
        cr_assert_eq(corio_tsqueue_try_put(q, (void *)i), 0);
    cr_assert_eq(corio_tsqueue_size(q), 1000);
    for (intptr_t i = 0; i < 1000; i++) {
        cr_assert_eq(corio_tsqueue_try_get(q, &item), 0);
        cr_assert_eq((intptr_t)item, i);
        if (i % 3 == 0) /* wrap the ring around */
            cr_assert_eq(corio_tsqueue_put(q, (void *)(1000 + i), -1), 0);
    }
    for (intptr_t i = 0; i < 1000; i += 3) {
        cr_assert_eq(corio_tsqueue_get(q, &item, -1), 0);
        cr_assert_eq((intptr_t)item, 1000 + i);
    }
    cr_assert_eq(corio_tsqueue_try_get(q, &item), -EAGAIN);
    cr_assert_eq(corio_tsqueue_get(q, &item, 0), -ETIMEDOUT);
    int64_t t0 = corio_now();
    cr_assert_eq(corio_tsqueue_get(q, &item, t0 + 20), -ETIMEDOUT);
    cr_assert_geq(corio_now(), t0 + 20);
    cr_assert_eq(corio_tsqueue_free(q), 0);

    cr_assert_eq(corio_tsqueue_new(3, &q), 0);
    for (intptr_t i = 0; i < 3; i++)
        cr_assert_eq(corio_tsqueue_put(q, (void *)i, 0), 0);
    cr_assert_eq(corio_tsqueue_try_put(q, NULL), -EAGAIN);
    cr_assert_eq(corio_tsqueue_put(q, NULL, 0), -ETIMEDOUT);
    cr_assert_eq(corio_tsqueue_put(q, NULL, corio_now() + 10), -ETIMEDOUT);
    cr_assert_eq(corio_tsqueue_size(q), 3);
    cr_assert_eq(corio_tsqueue_get(q, NULL, -1), 0); /* item dropped */
    cr_assert_eq(corio_tsqueue_get(q, &item, -1), 0);
    cr_assert_eq((intptr_t)item, 1);
    cr_assert_eq(corio_tsqueue_free(q), 0);
}

static void call_get_from_callback(void *arg)
{
    void *item;
    corio_tsqueue_get(q, &item, *(int64_t *)arg);
}

static intptr_t callback_main(void *arg)
{
    corio_call_soon(call_get_from_callback, arg);
    return corio_sleep(1);
}

/* A loop thread outside a task must not block. */
static void get_in_callback(void)
{
    corio_run(callback_main, &(int64_t){-1});
}

Test(tsqueue, bad_input_and_closed, .timeout = 10)
{
    void *item;
    cr_assert_eq(corio_tsqueue_new(0, NULL), -EINVAL);
    cr_assert_eq(corio_tsqueue_new(SIZE_MAX, &q), -EINVAL);
    cr_assert_eq(corio_tsqueue_free(NULL), 0);
    corio_tsqueue_close(NULL);

    cr_assert_eq(corio_tsqueue_new(4, &q), 0);
    assert_misuse(get_in_callback,
                  "corio: corio_tsqueue_get: a blocking call on a loop's thread outside a task");
    cr_assert_eq(corio_tsqueue_put(q, (void *)7, -1), 0);
    corio_tsqueue_close(q);
    corio_tsqueue_close(q); /* idempotent */
    cr_assert_eq(corio_tsqueue_put(q, NULL, -1), -EPIPE);
    cr_assert_eq(corio_tsqueue_try_put(q, NULL), -EPIPE);
    cr_assert_eq(corio_tsqueue_get(q, &item, -1), 0); /* drained first */
    cr_assert_eq((intptr_t)item, 7);
    cr_assert_eq(corio_tsqueue_get(q, &item, -1), -EPIPE);
    cr_assert_eq(corio_tsqueue_try_get(q, &item), -EPIPE);
    cr_assert_eq(corio_tsqueue_free(q), 0);
}

/* --- blocking both ways ---------------------------------------------------- */

#define N_ORDERED 20000

static void *put_in_order(void *arg)
{
    (void)arg;
    for (intptr_t i = 0; i < N_ORDERED; i++)
        cr_assert_eq(corio_tsqueue_put(q, (void *)i, -1), 0);
    return NULL;
}

static void get_in_order(void)
{
    for (intptr_t i = 0; i < N_ORDERED; i++) {
        void *item;
        cr_assert_eq(corio_tsqueue_get(q, &item, -1), 0);
        cr_assert_eq((intptr_t)item, i);
        if (i % 1000 == 0)
            usleep(100); /* let the putter fill it and block */
    }
}

static void *get_in_order_thread(void *arg)
{
    (void)arg;
    get_in_order();
    return NULL;
}

Test(tsqueue, bounded_blocking_between_threads, .timeout = 60)
{
    pthread_t th;
    cr_assert_eq(corio_tsqueue_new(2, &q), 0);
    pthread_create(&th, NULL, put_in_order, NULL);
    get_in_order();
    pthread_join(th, NULL);
    cr_assert_eq(corio_tsqueue_free(q), 0);
}

static intptr_t task_put_in_order(void *arg)
{
    put_in_order(arg);
    return 0;
}

static intptr_t task_get_in_order(void *arg)
{
    (void)arg;
    get_in_order();
    return 0;
}

static intptr_t same_loop_main(void *arg)
{
    (void)arg;
    corio_spawn(NULL, task_put_in_order, NULL, NULL);
    corio_spawn(NULL, task_get_in_order, NULL, NULL);
    return 0;
}

Test(tsqueue, bounded_blocking_tasks_on_one_loop, .timeout = 60)
{
    cr_assert_eq(corio_tsqueue_new(1, &q), 0);
    cr_assert_eq(corio_run(same_loop_main, NULL), 0);
    cr_assert_eq(corio_tsqueue_free(q), 0);
}

/* A task consumes what a plain thread puts, then a plain thread consumes what
 * a task puts: the loop waits on the other thread instead of reporting a
 * deadlock. */
Test(tsqueue, plain_threads_and_tasks_both_ways, .timeout = 60)
{
    pthread_t th;
    cr_assert_eq(corio_tsqueue_new(3, &q), 0);
    pthread_create(&th, NULL, put_in_order, NULL);
    cr_assert_eq(corio_run(task_get_in_order, NULL), 0);
    pthread_join(th, NULL);
    pthread_create(&th, NULL, get_in_order_thread, NULL);
    cr_assert_eq(corio_run(task_put_in_order, NULL), 0);
    pthread_join(th, NULL);
    cr_assert_eq(corio_tsqueue_free(q), 0);
}

/* --- arrival order of waiters ---------------------------------------------- */

static intptr_t got[3];

static intptr_t getter(void *arg)
{
    void *item;
    int rc = corio_tsqueue_get(q, &item, -1);
    got[(intptr_t)arg] = rc < 0 ? rc : (intptr_t)item;
    return 0;
}

static intptr_t putter(void *arg)
{
    return corio_tsqueue_put(q, arg, -1);
}

static void *put_three(void *arg)
{
    (void)arg;
    for (intptr_t i = 1; i <= 3; i++)
        cr_assert_eq(corio_tsqueue_try_put(q, (void *)(10 * i)), 0);
    return NULL;
}

static intptr_t order_main(void *arg)
{
    (void)arg;
    corio_nursery *n;
    for (int round = 0; round < 2; round++) {
        corio_nursery_open(&n);
        for (intptr_t i = 0; i < 3; i++) {
            corio_spawn(n, getter, (void *)i, NULL);
            corio_yield(); /* it parks before the next one arrives */
        }
        if (round == 0) { /* from another thread */
            pthread_t th;
            pthread_create(&th, NULL, put_three, NULL);
            pthread_join(th, NULL);
        } else /* from this loop */
            put_three(NULL);
        cr_assert_eq(corio_nursery_close(n), 0);
        for (int i = 0; i < 3; i++)
            cr_assert_eq(got[i], 10 * (i + 1), "round %d: getter %d got %ld", round, i,
                         (long)got[i]);
    }
    /* Putters too: the queue is full, the first get lets them in in order. */
    void *item;
    corio_tsqueue_put(q, (void *)1, -1);
    corio_nursery_open(&n);
    for (intptr_t i = 2; i <= 4; i++) {
        corio_spawn(n, putter, (void *)i, NULL);
        corio_yield();
    }
    for (intptr_t i = 1; i <= 4; i++) {
        cr_assert_eq(corio_tsqueue_get(q, &item, -1), 0);
        cr_assert_eq((intptr_t)item, i);
    }
    return corio_nursery_close(n);
}

Test(tsqueue, waiters_served_in_arrival_order, .timeout = 10)
{
    cr_assert_eq(corio_tsqueue_new(1, &q), 0);
    cr_assert_eq(corio_run(order_main, NULL), 0);
    cr_assert_eq(corio_tsqueue_free(q), 0);
}

/* --- waiters that leave ---------------------------------------------------- */

static intptr_t cancel_main(void *arg)
{
    (void)arg;
    void *item;
    corio_task *t;
    got[0] = 0;
    corio_spawn(NULL, getter, 0, &t);
    corio_yield();
    corio_task_cancel(t);
    cr_assert_eq(corio_join(t, NULL, -1), 0);
    cr_assert_eq(got[0], -ECANCELED);
    corio_task_release(t);
    /* It took nothing with it: the next item stays in the queue. */
    cr_assert_eq(corio_tsqueue_try_put(q, (void *)5), 0);
    cr_assert_eq(corio_tsqueue_size(q), 1);

    /* A cancelled putter's item is not enqueued. */
    intptr_t rc;
    corio_spawn(NULL, putter, (void *)6, &t);
    corio_yield();
    corio_task_cancel(t);
    corio_join(t, &rc, -1);
    cr_assert_eq(rc, -ECANCELED);
    corio_task_release(t);
    cr_assert_eq(corio_tsqueue_try_get(q, &item), 0);
    cr_assert_eq((intptr_t)item, 5);
    cr_assert_eq(corio_tsqueue_try_get(q, &item), -EAGAIN);

    /* Its own deadline, and a scope's. */
    cr_assert_eq(corio_tsqueue_get(q, &item, corio_now() + 10), -ETIMEDOUT);
    corio_scope s;
    corio_scope_enter_timeout(&s, 10, 0);
    cr_assert_eq(corio_tsqueue_get(q, &item, -1), -ETIMEDOUT);
    cr_assert_eq(corio_scope_exit(&s), -ETIMEDOUT);
    corio_scope_enter(&s, -1, 0);
    corio_scope_cancel(&s);
    cr_assert_eq(corio_tsqueue_try_put(q, (void *)8), 0); /* try_ is no checkpoint */
    cr_assert_eq(corio_tsqueue_get(q, &item, -1), -ECANCELED);
    corio_scope_exit(&s);
    cr_assert_eq(corio_tsqueue_size(q), 1);
    return 0;
}

Test(tsqueue, cancel_and_timeout_take_nothing, .timeout = 10)
{
    cr_assert_eq(corio_tsqueue_new(1, &q), 0);
    cr_assert_eq(corio_run(cancel_main, NULL), 0);
    cr_assert_eq(corio_tsqueue_free(q), 0);
}

/* --- many loops and threads ------------------------------------------------ */

static void stress(size_t capacity, bool hurry, long per_producer)
{
    static tsq_stress s;
    s = (tsq_stress){.capacity = capacity, .loops = 4, .tasks = 2, .threads = 1, .hurry = hurry};
    s.per_producer = per_producer;
    cr_assert_eq(tsq_stress_run(&s), 0,
                 "run %ld, received %ld, dups %ld, out of order %ld, errors %ld (leaves %ld)",
                 (long)s.run_rc, atomic_load(&s.received), atomic_load(&s.dups),
                 atomic_load(&s.out_of_order), atomic_load(&s.errors), atomic_load(&s.leaves));
}

/* 9 producers (8 tasks on 4 loops and a thread) x 22,223 = 200,007 items. */
Test(tsqueue, four_loops_and_threads_bounded, .timeout = 120)
{
    stress(64, false, 22223);
}

Test(tsqueue, four_loops_and_threads_unbounded, .timeout = 120)
{
    stress(0, false, 22223);
}

Test(tsqueue, waiters_leaving_while_items_flow, .timeout = 120)
{
    stress(4, true, 5000);
}

/* --- close with waiters everywhere ----------------------------------------- */

static corio_tsqueue *empty, *full;
static atomic_int started, epipes;

static void wait_and_count(bool put)
{
    void *item = NULL;
    atomic_fetch_add(&started, 1);
    int rc = put ? corio_tsqueue_put(full, (void *)99, -1) : corio_tsqueue_get(empty, &item, -1);
    if (rc == -EPIPE)
        atomic_fetch_add(&epipes, 1);
}

static intptr_t close_getter(void *arg)
{
    (void)arg;
    wait_and_count(false);
    return 0;
}

static intptr_t close_putter(void *arg)
{
    (void)arg;
    wait_and_count(true);
    return 0;
}

static intptr_t close_loop_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++) {
        corio_spawn(NULL, close_getter, NULL, NULL);
        corio_spawn(NULL, close_putter, NULL, NULL);
    }
    return 0;
}

static void *close_thread(void *arg)
{
    wait_and_count(arg != NULL);
    return NULL;
}

static void *closer(void *arg)
{
    (void)arg;
    while (atomic_load(&started) < 3 * 4 + 2)
        usleep(1000);
    usleep(20000); /* most likely all parked by now; either way they must see -EPIPE */
    corio_tsqueue_close(empty);
    corio_tsqueue_close(full);
    return NULL;
}

Test(tsqueue, close_wakes_waiters_on_all_loops_and_threads, .timeout = 30)
{
    void *item;
    cr_assert_eq(corio_tsqueue_new(1, &empty), 0);
    cr_assert_eq(corio_tsqueue_new(1, &full), 0);
    cr_assert_eq(corio_tsqueue_put(full, (void *)1, -1), 0);
    pthread_t th[3];
    pthread_create(&th[0], NULL, close_thread, NULL);
    pthread_create(&th[1], NULL, close_thread, (void *)1);
    pthread_create(&th[2], NULL, closer, NULL);
    cr_assert_eq(corio_run_threads(3, close_loop_main, NULL), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    cr_assert_eq(atomic_load(&epipes), 3 * 4 + 2);
    cr_assert_eq(corio_tsqueue_get(full, &item, -1), 0); /* what was in it is still there */
    cr_assert_eq((intptr_t)item, 1);
    cr_assert_eq(corio_tsqueue_get(full, &item, -1), -EPIPE);
    cr_assert_eq(corio_tsqueue_free(empty), 0);
    cr_assert_eq(corio_tsqueue_free(full), 0);
}
