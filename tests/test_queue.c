/* Queues: FIFO and priority, bounded, close, join/task_done, cancellation. */
#include <criterion/criterion.h>
#include <errno.h>

#include <corio/corio.h>

static corio_queue *q;

static intptr_t producer(void *arg)
{
    for (intptr_t i = 0; i < (intptr_t)arg; i++) {
        int rc = corio_queue_put(q, (void *)i, -1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static intptr_t fifo_main(void *arg)
{
    (void)arg;
    cr_assert_eq(corio_queue_new(3, 0, &q), 0);
    corio_spawn(NULL, producer, (void *)(intptr_t)1000, NULL);
    for (intptr_t i = 0; i < 1000; i++) {
        void *item;
        cr_assert_eq(corio_queue_get(q, &item, -1), 0);
        cr_assert_eq((intptr_t)item, i);
        cr_assert_leq(corio_queue_size(q), 3, "bounded");
    }
    return 0;
}

Test(queue, bounded_fifo_producer_consumer, .timeout = 10)
{
    cr_assert_eq(corio_run(fifo_main, NULL), 0);
    cr_assert_eq(corio_queue_free(q), 0);
}

static intptr_t prio_main(void *arg)
{
    (void)arg;
    static const int64_t prios[] = {5, 1, 3, 1, 9, 0, 3};
    void *item;
    cr_assert_eq(corio_queue_new(0, 0x80, &q), -EINVAL);
    cr_assert_eq(corio_queue_new(0, CORIO_QUEUE_PRIORITY, &q), 0);
    for (intptr_t i = 0; i < 7; i++)
        cr_assert_eq(corio_queue_put_prio(q, (void *)i, prios[i], -1), 0);
    static const intptr_t expect[] = {5, 1, 3, 2, 6, 0, 4}; /* by prio, FIFO among equals */
    for (int i = 0; i < 7; i++) {
        cr_assert_eq(corio_queue_get(q, &item, -1), 0);
        cr_assert_eq((intptr_t)item, expect[i]);
    }
    cr_assert_eq(corio_queue_try_get(q, &item), -EAGAIN);
    for (intptr_t i = 0; i < 1000; i++) /* unbounded: grows */
        cr_assert_eq(corio_queue_try_put(q, (void *)i), 0);
    cr_assert_eq(corio_queue_size(q), 1000);
    return 0;
}

Test(queue, priority_order, .timeout = 10)
{
    cr_assert_eq(corio_run(prio_main, NULL), 0);
    cr_assert_eq(corio_queue_free(q), 0);
}

static intptr_t getter(void *arg)
{
    (void)arg;
    void *item;
    int n = 0, rc;
    while ((rc = corio_queue_get(q, &item, -1)) == 0)
        n++;
    return rc == -EPIPE ? n : rc;
}

static intptr_t putter(void *arg)
{
    return corio_queue_put(q, arg, -1);
}

static intptr_t close_main(void *arg)
{
    (void)arg;
    corio_task *g[3], *p[3];
    intptr_t r;
    corio_queue_new(1, 0, &q);
    for (int i = 0; i < 3; i++)
        corio_spawn(NULL, getter, NULL, &g[i]);
    corio_yield(); /* three getters wait on the empty queue */
    cr_assert_eq(corio_queue_free(q), -EBUSY);
    corio_queue_close(q);
    for (int i = 0; i < 3; i++) {
        corio_join(g[i], &r, -1);
        cr_assert_eq(r, 0, "getters of an empty closed queue get -EPIPE");
    }
    corio_queue_free(q);

    corio_queue_new(1, 0, &q);
    cr_assert_eq(corio_queue_try_put(q, (void *)1), 0);
    cr_assert_eq(corio_queue_try_put(q, (void *)2), -EAGAIN, "full");
    for (intptr_t i = 0; i < 3; i++)
        corio_spawn(NULL, putter, (void *)i, &p[i]);
    corio_yield(); /* three putters wait on the full queue */
    corio_queue_close(q);
    for (int i = 0; i < 3; i++) {
        corio_join(p[i], &r, -1);
        cr_assert_eq(r, -EPIPE);
    }
    cr_assert_eq(corio_queue_put(q, NULL, -1), -EPIPE);
    void *item;
    cr_assert_eq(corio_queue_get(q, &item, -1), 0, "what was queued can still be taken");
    cr_assert_eq((intptr_t)item, 1);
    cr_assert_eq(corio_queue_get(q, &item, -1), -EPIPE);
    return 0;
}

Test(queue, close_wakes_putters_and_getters, .timeout = 10)
{
    cr_assert_eq(corio_run(close_main, NULL), 0);
    cr_assert_eq(corio_queue_free(q), 0);
}

static int processed;

static intptr_t worker(void *arg)
{
    (void)arg;
    void *item;
    while (corio_queue_get(q, &item, -1) == 0) {
        corio_sleep(1);
        processed++;
        corio_queue_task_done(q);
    }
    return 0;
}

/* The seed's crawler shape: workers drain a queue, the main task joins it. */
static intptr_t join_main(void *arg)
{
    (void)arg;
    corio_queue_new(0, 0, &q);
    cr_assert_eq(corio_queue_join(q, -1), 0, "nothing unfinished");
    for (intptr_t i = 0; i < 50; i++)
        corio_queue_put(q, (void *)i, -1);
    for (int i = 0; i < 3; i++)
        corio_spawn(NULL, worker, NULL, NULL);
    cr_assert_eq(corio_queue_join(q, -1), 0);
    cr_assert_eq(processed, 50);
    corio_queue_close(q); /* lets the workers end */
    return 0;
}

Test(queue, join_and_task_done, .timeout = 10)
{
    processed = 0;
    cr_assert_eq(corio_run(join_main, NULL), 0);
    corio_queue_free(q);
}

static intptr_t cancel_main(void *arg)
{
    (void)arg;
    corio_task *p, *g;
    intptr_t r;
    void *item;
    corio_queue_new(1, 0, &q);
    corio_queue_try_put(q, (void *)1);
    corio_spawn(NULL, putter, (void *)2, &p);
    corio_yield();
    corio_task_cancel(p);
    corio_join(p, &r, -1);
    cr_assert_eq(r, -ECANCELED);
    cr_assert_eq(corio_queue_get(q, &item, -1), 0);
    cr_assert_eq((intptr_t)item, 1);
    cr_assert_eq(corio_queue_try_get(q, &item), -EAGAIN,
                 "the cancelled putter's item never got in");
    cr_assert_eq(corio_queue_get(q, &item, corio_now() + 5), -ETIMEDOUT);

    corio_spawn(NULL, getter, NULL, &g);
    corio_yield();
    corio_task_cancel(g);
    corio_join(g, &r, -1);
    cr_assert_eq(r, -ECANCELED);
    cr_assert_eq(corio_queue_try_put(q, (void *)3), 0, "no getter took it");
    cr_assert_eq(corio_queue_size(q), 1);
    return 0;
}

Test(queue, cancelled_putters_and_getters_take_nothing, .timeout = 10)
{
    cr_assert_eq(corio_run(cancel_main, NULL), 0);
    corio_queue_free(q);
}

/* A waiting getter takes a put's item whichever way it waits: with a place
 * for the item or without one, with a deadline or without. */
static intptr_t any_getter(void *arg)
{
    int mode = (int)(intptr_t)arg;
    void *item = (void *)-1;
    int64_t deadline = mode & 2 ? corio_now() + 100 : -1;
    int rc = corio_queue_get(q, mode & 1 ? NULL : &item, deadline);
    if (rc < 0)
        return rc;
    return mode & 1 ? 100 : (intptr_t)item;
}

static intptr_t handoff_main(void *arg)
{
    (void)arg;
    cr_assert_eq(corio_queue_new(1, 0, &q), 0);
    for (int mode = 0; mode < 4; mode++) {
        corio_task *t;
        cr_assert_eq(corio_spawn(NULL, any_getter, (void *)(intptr_t)mode, &t), 0);
        corio_yield(); /* let it park */
        cr_assert_eq(corio_queue_put(q, (void *)(intptr_t)(40 + mode), -1), 0);
        cr_assert_eq(corio_queue_size(q), 0, "handed over, not stored");
        intptr_t res;
        cr_assert_eq(corio_join(t, &res, -1), 0);
        cr_assert_eq(res, mode & 1 ? 100 : 40 + mode, "mode %d", mode);
        corio_task_release(t);
    }
    /* The deadline of a getter served by a put must not fire later. */
    cr_assert_eq(corio_sleep(200), 0);
    return 0;
}

Test(queue, handoff_to_every_kind_of_getter, .timeout = 10)
{
    cr_assert_eq(corio_run(handoff_main, NULL), 0);
    cr_assert_eq(corio_queue_free(q), 0);
}
