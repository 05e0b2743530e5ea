/* Futures, done-callbacks, loop callbacks, gather and wait. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>

#include <corio/corio.h>

#include "child.h"

/* --- futures ------------------------------------------------------------ */

static int log_[16], nlog;

static void note(corio_future *f, void *arg)
{
    (void)f;
    log_[nlog++] = (int)(intptr_t)arg;
}

static intptr_t resolver(void *arg)
{
    corio_sleep(5);
    return corio_future_set_result(arg, 77);
}

static intptr_t future_main2(void *arg)
{
    (void)arg;
    corio_future *f;
    intptr_t v = 0;
    corio_future_new(&f);
    for (intptr_t i = 1; i <= 3; i++)
        corio_future_add_done_callback(f, note, (void *)i);
    corio_spawn(NULL, resolver, f, NULL);
    cr_assert_eq(corio_future_await(f, &v, -1), 0);
    cr_assert_eq(v, 77);
    cr_assert_eq(corio_future_set_result(f, 1), -EALREADY, "a second resolution is refused");
    cr_assert_eq(corio_future_set_error(f, -EIO), -EALREADY);
    cr_assert_eq(corio_future_cancel(f), -EALREADY);
    cr_assert_eq(corio_future_result(f), 77);
    corio_sleep(0); /* callbacks run between rounds */
    corio_sleep(1);
    cr_assert_eq(nlog, 3);
    cr_assert(log_[0] == 1 && log_[1] == 2 && log_[2] == 3, "in the order added");
    corio_future_add_done_callback(f, note, (void *)4); /* already done: scheduled now */
    corio_sleep(1);
    cr_assert_eq(nlog, 4);
    cr_assert_eq(corio_future_free(f), 0);

    corio_future_new(&f);
    cr_assert_eq(corio_future_set_result(f, -1), -EINVAL);
    cr_assert_eq(corio_future_set_error(f, 3), -EINVAL);
    cr_assert_eq(corio_future_set_error(f, -EIO), 0);
    cr_assert_eq(corio_future_await(f, &v, -1), 0, "the wait succeeded; the outcome is an error");
    cr_assert_eq(v, -EIO);
    corio_future_free(f);

    corio_future_new(&f);
    corio_future_add_done_callback(f, note, (void *)5);
    corio_future_free(f); /* pending callbacks of a freed future are dropped */
    corio_sleep(1);
    cr_assert_eq(nlog, 4);

    corio_future_new(&f);
    cr_assert_eq(corio_future_cancel(f), 0);
    cr_assert_eq(corio_future_await(f, &v, 0), 0, "done: no wait");
    cr_assert_eq(v, -ECANCELED);
    corio_future_free(f);

    corio_future_new(&f);
    v = 5;
    cr_assert_eq(corio_future_await(f, &v, 0), -ETIMEDOUT, "0: do not wait");
    cr_assert_eq(corio_future_await(f, &v, corio_now() + 2), -ETIMEDOUT);
    cr_assert_eq(v, 5, "a failed wait leaves *result alone");
    corio_future_free(f);
    return 0;
}

Test(future, resolve_await_callbacks, .timeout = 10)
{
    nlog = 0;
    cr_assert_eq(corio_run(future_main2, NULL), 0);
}

static corio_future *shared;

static intptr_t await_shared(void *arg)
{
    (void)arg;
    intptr_t v;
    int rc = corio_future_await(shared, &v, -1);
    cr_assert_eq(rc, -ECANCELED);
    return rc < 0 ? rc : v;
}

static intptr_t cancel_waiter_main(void *arg)
{
    (void)arg;
    corio_task *t;
    intptr_t r;
    corio_future_new(&shared);
    corio_spawn(NULL, await_shared, NULL, &t);
    corio_yield();
    cr_assert_eq(corio_future_free(shared), -EBUSY);
    corio_task_cancel(t);
    corio_join(t, &r, -1);
    cr_assert_eq(r, -ECANCELED);
    cr_assert(!corio_future_done(shared), "cancelling a waiter leaves the future alone");
    cr_assert_eq(corio_future_free(shared), 0);
    return 0;
}

Test(future, cancelling_a_waiter, .timeout = 10)
{
    cr_assert_eq(corio_run(cancel_waiter_main, NULL), 0);
}

static intptr_t sleepy(void *arg)
{
    int rc = corio_sleep((intptr_t)arg);
    return rc < 0 ? rc : (intptr_t)arg;
}

static intptr_t task_future_main(void *arg)
{
    (void)arg;
    corio_task *t;
    intptr_t v;
    corio_spawn(NULL, sleepy, (void *)(intptr_t)5, &t);
    corio_future *f = corio_task_future(t);
    cr_assert_eq(corio_future_add_done_callback(f, note, (void *)9), 0);
    cr_assert_eq(corio_future_await(f, &v, -1), 0);
    cr_assert_eq(v, 5);
    cr_assert_eq(corio_future_free(NULL), 0);
    corio_task_release(t);
    corio_sleep(1);
    cr_assert_eq(nlog, 1, "the callback ran once");

    corio_spawn(NULL, sleepy, (void *)(intptr_t)10000, &t);
    corio_yield();
    cr_assert_eq(corio_future_cancel(corio_task_future(t)), 0, "cancels the task");
    cr_assert_eq(corio_future_await(corio_task_future(t), &v, -1), 0);
    cr_assert_eq(v, -ECANCELED);
    cr_assert_eq(corio_join(t, &v, -1), 0, "join is the same wait");
    cr_assert_eq(v, -ECANCELED);
    return 0;
}

Test(future, a_task_is_a_future, .timeout = 10)
{
    nlog = 0;
    cr_assert_eq(corio_run(task_future_main, NULL), 0);
}

/* --- loop callbacks --------------------------------------------------- */

static int order[32], norder;

static void record(void *arg)
{
    order[norder++] = (int)(intptr_t)arg;
}

static intptr_t callbacks_main(void *arg)
{
    (void)arg;
    corio_handle *h, *h2;
    cr_assert_eq(corio_call_later(-1, record, NULL, NULL), -EINVAL);
    /* Far enough apart that a loaded machine (valgrind) keeps their order
     * and the first cannot fire before the yield below. */
    cr_assert_eq(corio_call_later(300, record, (void *)30, NULL), 0);
    cr_assert_eq(corio_call_later(100, record, (void *)10, &h), 0);
    cr_assert_eq(corio_call_later(200, record, (void *)20, &h2), 0);
    cr_assert_eq(corio_call_soon(record, (void *)1), 0);
    cr_assert_eq(corio_call_soon(record, (void *)2), 0);
    cr_assert_eq(norder, 0, "not before the task suspends");
    corio_yield();
    cr_assert_eq(norder, 2);
    cr_assert_eq(corio_handle_cancel(h2), 0);
    corio_sleep(500);
    cr_assert_eq(norder, 4);
    cr_assert(order[0] == 1 && order[1] == 2 && order[2] == 10 && order[3] == 30);
    cr_assert_eq(corio_handle_cancel(h), -EALREADY, "it ran; the handle is freed now");
    return 0;
}

Test(loop, call_soon_and_call_later, .timeout = 10)
{
    norder = 0;
    cr_assert_eq(corio_run(callbacks_main, NULL), 0);
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

static intptr_t threadsafe_main(void *arg)
{
    (void)arg;
    pthread_t th[THREADS];
    target = corio_loop_current();
    cr_assert_not_null(target);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, caller, NULL);
    while (received < (long)THREADS * CALLS)
        corio_sleep(1);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL); /* they are done: all calls were counted */
    return 0;
}

Test(loop, call_soon_threadsafe_from_four_threads_loses_nothing, .timeout = 30)
{
    received = 0;
    cr_assert_eq(corio_run(threadsafe_main, NULL), 0);
    cr_assert_eq(received, (long)THREADS * CALLS);
}

static intptr_t spawned_by_callback(void *arg)
{
    *(int *)arg = 1;
    return 0;
}

static int cb_spawn_ran;

static void spawn_from_callback(void *arg)
{
    (void)arg;
    cr_assert_eq(corio_spawn(NULL, spawned_by_callback, &cb_spawn_ran, NULL), 0);
}

static intptr_t cb_spawn_main(void *arg)
{
    (void)arg;
    corio_call_soon(spawn_from_callback, NULL);
    corio_yield(); /* the callback runs; the root nursery waits for its task */
    return 0;
}

Test(loop, callbacks_spawn_into_the_root_nursery, .timeout = 10)
{
    cb_spawn_ran = 0;
    cr_assert_eq(corio_run(cb_spawn_main, NULL), 0);
    cr_assert(cb_spawn_ran);
}

/* --- gather and wait ----------------------------------------------------- */

static intptr_t fails_after(void *arg)
{
    corio_sleep((intptr_t)arg);
    return -EIO;
}

static intptr_t gather_main(void *arg)
{
    (void)arg;
    corio_task *t[4];
    corio_future *fs[4];
    intptr_t res[4];
    static const intptr_t delay[] = {30, 10, 20, 0};
    for (int i = 0; i < 4; i++) {
        corio_spawn(NULL, sleepy, (void *)delay[i], &t[i]);
        fs[i] = corio_task_future(t[i]);
    }
    cr_assert_eq(corio_gather(fs, 4, res, 0, -1), 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(res[i], delay[i], "results in order, not in completion order");

    /* First error cancels the rest. */
    corio_spawn(NULL, sleepy, (void *)(intptr_t)10000, &t[0]);
    corio_spawn(NULL, fails_after, (void *)(intptr_t)5, &t[1]);
    corio_spawn(NULL, sleepy, (void *)(intptr_t)10000, &t[2]);
    for (int i = 0; i < 3; i++)
        fs[i] = corio_task_future(t[i]);
    int64_t t0 = corio_now();
    cr_assert_eq(corio_gather(fs, 3, res, 0, -1), -EIO);
    cr_assert_lt(corio_now() - t0, 5000);
    cr_assert_eq(res[0], -ECANCELED);
    cr_assert_eq(res[1], -EIO);
    cr_assert_eq(res[2], -ECANCELED);

    /* Collect all. */
    corio_spawn(NULL, sleepy, (void *)(intptr_t)15, &t[0]);
    corio_spawn(NULL, fails_after, (void *)(intptr_t)5, &t[1]);
    for (int i = 0; i < 2; i++)
        fs[i] = corio_task_future(t[i]);
    cr_assert_eq(corio_gather(fs, 2, res, CORIO_GATHER_COLLECT_ALL, -1), 0);
    cr_assert_eq(res[0], 15);
    cr_assert_eq(res[1], -EIO);

    /* A deadline cancels what is still pending. */
    corio_spawn(NULL, sleepy, (void *)(intptr_t)1, &t[0]);
    corio_spawn(NULL, sleepy, (void *)(intptr_t)10000, &t[1]);
    for (int i = 0; i < 2; i++)
        fs[i] = corio_task_future(t[i]);
    cr_assert_eq(corio_gather(fs, 2, res, 0, corio_now() + 50), -ETIMEDOUT);
    cr_assert_eq(res[0], 1);
    cr_assert_eq(res[1], -ECANCELED);

    corio_future *plain;
    corio_future_new(&plain);
    fs[0] = plain;
    cr_assert_eq(corio_gather(fs, 0, res, 0, -1), 0, "nothing to gather");
    corio_future_set_result(plain, 3);
    cr_assert_eq(corio_gather(fs, 1, res, 0, -1), 0);
    cr_assert_eq(res[0], 3);
    corio_future_free(plain);
    return 0;
}

Test(combinators, gather, .timeout = 10)
{
    cr_assert_eq(corio_run(gather_main, NULL), 0);
}

static intptr_t wait_main(void *arg)
{
    (void)arg;
    corio_task *t[3];
    corio_future *fs[3];
    /* far apart, so that a slow machine (valgrind, load) keeps their order */
    static const intptr_t delay[] = {600, 10, 300};
    for (int i = 0; i < 3; i++) {
        corio_spawn(NULL, sleepy, (void *)delay[i], &t[i]);
        fs[i] = corio_task_future(t[i]);
    }
    cr_assert_eq(corio_wait(fs, 3, 7, -1), -EINVAL);
    cr_assert_eq(corio_wait(fs, 3, CORIO_FIRST_COMPLETED, corio_now() + 1), 0,
                 "deadline: none done");
    cr_assert_eq(corio_wait(fs, 3, CORIO_FIRST_COMPLETED, -1), 1);
    cr_assert(corio_future_done(fs[1]) && !corio_future_done(fs[0]) && !corio_future_done(fs[2]));
    cr_assert_eq(corio_wait(fs, 3, CORIO_ALL_COMPLETED, -1), 3);

    corio_spawn(NULL, sleepy, (void *)(intptr_t)10000, &t[0]);
    corio_spawn(NULL, fails_after, (void *)(intptr_t)5, &t[1]);
    for (int i = 0; i < 2; i++)
        fs[i] = corio_task_future(t[i]);
    cr_assert_eq(corio_wait(fs, 2, CORIO_FIRST_ERROR, -1), 1);
    cr_assert_eq(corio_future_result(fs[1]), -EIO);
    cr_assert(!corio_future_done(fs[0]), "wait cancels nothing");
    corio_task_cancel(t[0]);
    corio_join(t[1], NULL, -1);
    return 0;
}

Test(combinators, wait_modes, .timeout = 10)
{
    cr_assert_eq(corio_run(wait_main, NULL), 0);
}

/* The seed's pattern: keep N in flight, refill as each completes. */
static intptr_t refill_main(void *arg)
{
    (void)arg;
    enum { TOTAL = 40, INFLIGHT = 5 };
    corio_task *t[INFLIGHT];
    corio_future *fs[INFLIGHT];
    int started = 0, finished = 0, max_inflight = 0;
    for (; started < INFLIGHT; started++) {
        corio_spawn(NULL, sleepy, (void *)(intptr_t)(1 + started % 3), &t[started]);
        fs[started] = corio_task_future(t[started]);
    }
    while (finished < TOTAL) {
        int inflight = 0;
        for (int i = 0; i < INFLIGHT; i++)
            inflight += fs[i] && !corio_future_done(fs[i]);
        if (inflight > max_inflight)
            max_inflight = inflight;
        corio_future *live[INFLIGHT];
        int nlive = 0;
        for (int i = 0; i < INFLIGHT; i++)
            if (fs[i])
                live[nlive++] = fs[i];
        cr_assert_geq(corio_wait(live, (size_t)nlive, CORIO_FIRST_COMPLETED, -1), 1);
        for (int i = 0; i < INFLIGHT; i++) {
            if (!fs[i] || !corio_future_done(fs[i]))
                continue;
            finished++;
            corio_task_release(t[i]);
            fs[i] = NULL;
            if (started < TOTAL) {
                corio_spawn(NULL, sleepy, (void *)(intptr_t)(1 + started % 3), &t[i]);
                fs[i] = corio_task_future(t[i]);
                started++;
            }
        }
    }
    cr_assert_eq(max_inflight, INFLIGHT);
    return 0;
}

Test(combinators, keep_n_in_flight, .timeout = 10)
{
    cr_assert_eq(corio_run(refill_main, NULL), 0);
}

/* A future belongs to the loop that made it. */
static corio_future *foreign;

static intptr_t make_foreign(void *arg)
{
    (void)arg;
    return corio_future_new(&foreign);
}

static void *make_in_thread(void *arg)
{
    (void)arg;
    corio_run(make_foreign, NULL);
    return NULL;
}

static intptr_t await_foreign(void *arg)
{
    (void)arg;
    intptr_t v;
    return corio_future_await(foreign, &v, -1);
}

static void run_await_foreign(void)
{
    corio_run(await_foreign, NULL);
}

static intptr_t resolve_foreign_main(void *arg)
{
    (void)arg;
    return corio_future_set_result(foreign, 1);
}

static void resolve_foreign(void)
{
    corio_run(resolve_foreign_main, NULL);
}

Test(future, awaiting_another_loops_future_is_refused, .timeout = 10)
{
    pthread_t th;
    pthread_create(&th, NULL, make_in_thread, NULL);
    pthread_join(th, NULL);
    assert_misuse(run_await_foreign, "corio: corio_future_await: a future of another loop");
    assert_misuse(resolve_foreign, "corio: corio_future_set_result: a future of another loop");
}

static intptr_t task_future_misuse_main(void *arg)
{
    corio_task *t;
    corio_spawn(NULL, sleepy, (void *)(intptr_t)1, &t);
    if (arg)
        corio_future_free(corio_task_future(t));
    else
        corio_future_set_result(corio_task_future(t), 1);
    return 0;
}

static void free_task_future(void)
{
    corio_run(task_future_misuse_main, (void *)1);
}

static void resolve_task_future(void)
{
    corio_run(task_future_misuse_main, NULL);
}

static void call_soon_outside(void)
{
    corio_call_soon(record, NULL);
}

static void sleep_in_callback_main_cb(void *arg)
{
    (void)arg;
    corio_sleep(1);
}

static intptr_t sleep_in_callback_main(void *arg)
{
    (void)arg;
    corio_call_soon(sleep_in_callback_main_cb, NULL);
    return corio_sleep(10);
}

static void sleep_in_callback(void)
{
    corio_run(sleep_in_callback_main, NULL);
}

Test(future, misuse_aborts, .timeout = 10)
{
    assert_misuse(free_task_future, "corio: corio_future_free: a task's future goes with its task");
    assert_misuse(resolve_task_future, "corio: corio_future_set_result: a task's future");
    assert_misuse(call_soon_outside, "corio: corio_call_soon: called outside a loop's thread");
    assert_misuse(sleep_in_callback, "corio: corio_sleep_until_ns: called outside a task");
}
