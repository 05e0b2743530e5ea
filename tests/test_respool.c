/* The generic resource pool. */
#include <criterion/criterion.h>
#include <errno.h>

#include <corio/corio.h>

static int opened, closed, fail_next_open;
static int64_t last_deadline;

static int res_open(void *ctx, void **res, int64_t deadline)
{
    (void)ctx;
    last_deadline = deadline;
    if (fail_next_open) {
        fail_next_open = 0;
        return -ECONNREFUSED;
    }
    corio_sleep(1); /* opening may block */
    *res = (void *)(intptr_t)++opened;
    return 0;
}

static void res_close(void *ctx, void *res)
{
    (void)ctx;
    (void)res;
    closed++;
}

static const corio_respool_ops ops = {res_open, res_close};
static corio_respool *pool;
static int order[8], norder;

static intptr_t user(void *arg)
{
    void *r;
    int rc = corio_respool_acquire(pool, &r, -1);
    if (rc < 0)
        return rc;
    order[norder++] = (int)(intptr_t)arg;
    corio_sleep(5);
    return corio_respool_release(pool, r, false);
}

static intptr_t respool_main(void *arg)
{
    (void)arg;
    void *a, *b, *c;
    cr_assert_eq(corio_respool_new(&ops, NULL, 0, &pool), -EINVAL);
    cr_assert_eq(corio_respool_new(&ops, NULL, 2, &pool), 0);
    cr_assert_eq(corio_respool_acquire(pool, &a, -1), 1, "1: opened for this call");
    int64_t deadline = corio_now() + 60000;
    cr_assert_eq(corio_respool_acquire(pool, &b, deadline), 1);
    cr_assert_eq(last_deadline, deadline, "open gets the acquire's deadline");
    cr_assert_eq(opened, 2);
    cr_assert_eq(corio_respool_acquire(pool, &c, corio_now() + 5), -ETIMEDOUT, "max 2");
    cr_assert_eq(corio_respool_free(pool), -EBUSY);
    corio_respool_release(pool, a, false);
    cr_assert_eq(corio_respool_acquire(pool, &c, -1), 0, "0: reused");
    cr_assert_eq(c, a, "reused, not reopened");
    corio_respool_release(pool, c, false);
    corio_respool_release(pool, b, true); /* broken: closed */
    cr_assert_eq(closed, 1);
    cr_assert_eq(corio_respool_idle(pool), 1);
    cr_assert_eq(corio_respool_in_use(pool), 0);

    /* Waiters are served in arrival order. */
    for (intptr_t i = 0; i < 6; i++)
        corio_spawn(NULL, user, (void *)i, NULL);
    return 0;
}

Test(respool, acquire_reuse_broken_and_order, .timeout = 10)
{
    opened = closed = norder = 0;
    cr_assert_eq(corio_run(respool_main, NULL), 0);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(order[i], i);
    cr_assert_leq(opened, 3);
    cr_assert_eq(corio_run(NULL, NULL), -EINVAL);
}

static intptr_t failing_open_main(void *arg)
{
    (void)arg;
    void *a, *b;
    corio_task *t;
    intptr_t r;
    corio_respool_new(&ops, NULL, 1, &pool);
    cr_assert_eq(corio_respool_acquire(pool, &a, -1), 1);
    corio_spawn(NULL, user, (void *)(intptr_t)0, &t);
    corio_yield();
    fail_next_open = 1;
    corio_respool_release(pool, a, true); /* the waiter gets the slot... */
    corio_join(t, &r, -1);
    cr_assert_eq(r, -ECONNREFUSED, "...and the open's error");
    cr_assert_eq(corio_respool_acquire(pool, &b, -1), 1, "the slot came back");
    corio_respool_release(pool, b, false);
    cr_assert_eq(corio_respool_free(pool), 0);
    cr_assert_eq(closed, opened, "freeing closes the idle ones");
    return 0;
}

Test(respool, a_failing_open_frees_the_slot, .timeout = 10)
{
    opened = closed = norder = fail_next_open = 0;
    cr_assert_eq(corio_run(failing_open_main, NULL), 0);
}

static intptr_t cancel_main(void *arg)
{
    (void)arg;
    void *a;
    corio_task *t;
    intptr_t r;
    corio_respool_new(&ops, NULL, 1, &pool);
    corio_respool_acquire(pool, &a, -1);
    corio_spawn(NULL, user, (void *)(intptr_t)0, &t);
    corio_yield();
    corio_task_cancel(t);
    corio_join(t, &r, -1);
    cr_assert_eq(r, -ECANCELED);
    corio_respool_release(pool, a, false);
    cr_assert_eq(corio_respool_idle(pool), 1, "the cancelled waiter took nothing");
    corio_respool_free(pool);
    return 0;
}

Test(respool, cancelled_waiter, .timeout = 10)
{
    opened = closed = norder = 0;
    cr_assert_eq(corio_run(cancel_main, NULL), 0);
}

static intptr_t idle_timeout_main(void *arg)
{
    (void)arg;
    void *a, *b, *c;
    corio_respool_new(&ops, NULL, 3, &pool);
    cr_assert_eq(corio_respool_set_idle_timeout(pool, -1), -EINVAL);
    cr_assert_eq(corio_respool_set_idle_timeout(pool, 100), 0);
    corio_respool_acquire(pool, &a, -1);
    corio_respool_acquire(pool, &b, -1);
    corio_respool_release(pool, a, false);
    corio_sleep(150);
    cr_assert_eq(corio_respool_acquire(pool, &c, -1), 1, "a waited too long: a new one");
    cr_assert_neq(c, a);
    cr_assert_eq(closed, 1, "the stale one was closed");
    corio_respool_release(pool, c, false);
    cr_assert_eq(corio_respool_acquire(pool, &a, -1), 0, "a fresh idle one is reused");
    cr_assert_eq(a, c);
    /* An old idle one is closed as others are released, not only on acquire. */
    corio_respool_release(pool, a, false);
    corio_sleep(150);
    corio_respool_release(pool, b, false);
    cr_assert_eq(closed, 2);
    cr_assert_eq(corio_respool_idle(pool), 1);
    cr_assert_eq(corio_respool_free(pool), 0);
    return 0;
}

Test(respool, idle_timeout, .timeout = 10)
{
    opened = closed = norder = 0;
    cr_assert_eq(corio_run(idle_timeout_main, NULL), 0);
}

static intptr_t reopen_main(void *arg)
{
    (void)arg;
    void *a, *b;
    corio_task *t;
    intptr_t r;
    corio_respool_new(&ops, NULL, 1, &pool);
    corio_respool_acquire(pool, &a, -1);
    corio_spawn(NULL, user, (void *)(intptr_t)0, &t);
    corio_yield(); /* it waits for the only slot */
    b = a;
    cr_assert_eq(corio_respool_reopen(pool, &b, -1), 0, "the slot is kept: no queueing");
    cr_assert_neq(b, a);
    cr_assert_eq(closed, 1);
    cr_assert_eq(corio_respool_in_use(pool), 1);
    fail_next_open = 1;
    cr_assert_eq(corio_respool_reopen(pool, &b, -1), -ECONNREFUSED);
    cr_assert_null(b, "nothing held after a failed reopen");
    corio_join(t, &r, -1);
    cr_assert_eq(r, 0, "the failed reopen passed the slot on");
    cr_assert_eq(corio_respool_free(pool), 0);
    return 0;
}

Test(respool, reopen_in_place, .timeout = 10)
{
    opened = closed = norder = fail_next_open = 0;
    cr_assert_eq(corio_run(reopen_main, NULL), 0);
}
