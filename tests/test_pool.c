/* The thread pool: corio_to_thread and corio_pool_submit. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include <corio/corio.h>

#include "child.h"

static intptr_t blocking_square(void *arg)
{
    usleep(20000); /* a blocking call: would stall the loop if run on it */
    intptr_t v = (intptr_t)arg;
    return v * v;
}

static long ticks;

static intptr_t ticker(void *arg)
{
    atomic_int *stop = arg;
    while (!atomic_load(stop)) {
        ticks++;
        corio_sleep(1);
    }
    return 0;
}

static intptr_t offload(void *arg)
{
    intptr_t r = 0;
    int rc = corio_to_thread(blocking_square, arg, &r, -1);
    return rc < 0 ? rc : r;
}

static intptr_t to_thread_main(void *arg)
{
    (void)arg;
    static atomic_int stop;
    corio_task *t[50];
    corio_spawn(NULL, ticker, &stop, NULL);
    for (intptr_t i = 0; i < 50; i++)
        cr_assert_eq(corio_spawn(NULL, offload, (void *)i, &t[i]), 0);
    for (intptr_t i = 0; i < 50; i++) {
        intptr_t r;
        corio_join(t[i], &r, -1);
        cr_assert_eq(r, i * i);
    }
    atomic_store(&stop, 1);
    cr_assert_gt(ticks, 5, "the loop ran other tasks while the pool worked");
    cr_assert_eq(corio_to_thread(NULL, NULL, NULL, -1), -EINVAL);
    intptr_t r = 7;
    cr_assert_eq(corio_to_thread(blocking_square, (void *)2, &r, 0), -ETIMEDOUT, "0: do not wait");
    cr_assert_eq(corio_to_thread(blocking_square, (void *)2, &r, corio_now() + 1), -ETIMEDOUT);
    cr_assert_eq(r, 7, "a result that came too late is dropped");
    return 0;
}

static void to_thread_outside(void)
{
    corio_to_thread(blocking_square, NULL, NULL, -1);
}

Test(pool, to_thread_results_and_loop_keeps_running, .timeout = 30)
{
    assert_misuse(to_thread_outside, "corio: corio_to_thread: called outside a task");
    cr_assert_eq(corio_run(to_thread_main, NULL), 0);
}

static atomic_int job_finished;

static intptr_t slow_job(void *arg)
{
    (void)arg;
    usleep(100000);
    atomic_store(&job_finished, 1);
    return 5;
}

static intptr_t cancel_offload(void *arg)
{
    (void)arg;
    return corio_to_thread(slow_job, NULL, NULL, -1);
}

static intptr_t cancel_main(void *arg)
{
    (void)arg;
    corio_task *t;
    intptr_t r;
    corio_spawn(NULL, cancel_offload, NULL, &t);
    corio_sleep(5);
    corio_task_cancel(t);
    corio_join(t, &r, -1);
    cr_assert_eq(r, -ECANCELED);
    cr_assert_eq(atomic_load(&job_finished), 0, "the waiter left before the job finished");
    return 0;
}

Test(pool, cancelling_the_waiter_drops_the_result_safely, .timeout = 30)
{
    atomic_store(&job_finished, 0);
    cr_assert_eq(corio_run(cancel_main, NULL), 0);
    cr_assert_eq(atomic_load(&job_finished), 1, "the loop stayed up until the job finished");
}

static intptr_t deadline_offload(void *arg)
{
    (void)arg;
    corio_scope s;
    corio_scope_enter_timeout(&s, 5, 0);
    int rc = corio_to_thread(slow_job, NULL, NULL, -1);
    corio_scope_exit(&s);
    return rc;
}

Test(pool, a_deadline_around_to_thread, .timeout = 30)
{
    cr_assert_eq(corio_run(deadline_offload, NULL), -ETIMEDOUT);
}

Test(pool, submit_from_plain_threads, .timeout = 30)
{
    corio_job *j[8];
    for (intptr_t i = 0; i < 8; i++)
        cr_assert_eq(corio_pool_submit(blocking_square, (void *)i, &j[i]), 0);
    for (intptr_t i = 0; i < 8; i++) {
        intptr_t r;
        cr_assert_eq(corio_job_wait(j[i], &r, -1), 0);
        cr_assert_eq(r, i * i);
        corio_job_free(j[i]);
    }
    corio_job *slow;
    cr_assert_eq(corio_pool_submit(slow_job, NULL, &slow), 0);
    cr_assert_eq(corio_job_wait(slow, NULL, corio_now() + 5), -ETIMEDOUT);
    corio_job_free(slow); /* freed when it finishes */
    cr_assert_eq(corio_pool_configure(2, 4), -EBUSY, "the pool runs already");
    cr_assert_eq(corio_pool_submit(NULL, NULL, &slow), -EINVAL);
}

Test(pool, configure_before_use, .timeout = 10)
{
    cr_assert_eq(corio_pool_configure(0, 4), -EINVAL);
    cr_assert_eq(corio_pool_configure(3, 2), -EINVAL);
    cr_assert_eq(corio_pool_configure(1, 2), 0);
    corio_job *j;
    intptr_t r;
    cr_assert_eq(corio_pool_submit(blocking_square, (void *)(intptr_t)3, &j), 0);
    cr_assert_eq(corio_job_wait(j, &r, -1), 0);
    cr_assert_eq(r, 9);
    corio_job_free(j);
}
