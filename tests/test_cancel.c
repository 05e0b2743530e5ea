/* Cancellation: scopes, deadlines, shields, task and nursery cancellation. */
#include <criterion/criterion.h>
#include <errno.h>

#include <corio/corio.h>

#include "child.h"

static intptr_t sleep_long(void *arg)
{
    (void)arg;
    return corio_sleep(10000);
}

/* --- cancelling a task ------------------------------------------------ */

static intptr_t cancel_sleeper_main(void *arg)
{
    (void)arg;
    corio_task *t;
    intptr_t r = 0;
    int64_t t0 = corio_now();
    cr_assert_eq(corio_spawn(NULL, sleep_long, NULL, &t), 0);
    corio_sleep(10);
    corio_task_cancel(t);
    cr_assert_eq(corio_join(t, &r, -1), 0);
    cr_assert_eq(r, -ECANCELED);
    cr_assert_lt(corio_now() - t0, 5000, "the sleeper was not woken by the cancel");
    corio_task_cancel(t); /* done: no-op */
    return 0;
}

Test(cancel, cancelling_a_sleeping_task_wakes_it, .timeout = 10)
{
    cr_assert_eq(corio_run(cancel_sleeper_main, NULL), 0);
}

static intptr_t yield_forever(void *arg)
{
    (void)arg;
    int rc;
    while ((rc = corio_yield()) == 0)
        ;
    return rc;
}

static intptr_t grandchild_parent(void *arg)
{
    (void)arg;
    corio_spawn(NULL, sleep_long, NULL, NULL);
    corio_spawn(NULL, yield_forever, NULL, NULL);
    return corio_sleep(10000);
}

static intptr_t cancel_tree_main(void *arg)
{
    (void)arg;
    corio_task *busy, *tree;
    intptr_t r;
    corio_spawn(NULL, yield_forever, NULL, &busy);
    corio_spawn(NULL, grandchild_parent, NULL, &tree);
    corio_sleep(5);
    corio_task_cancel(busy);
    corio_task_cancel(tree); /* reaches the children of its implicit nursery */
    cr_assert_eq(corio_join(busy, &r, -1), 0);
    cr_assert_eq(r, -ECANCELED);
    cr_assert_eq(corio_join(tree, &r, -1), 0);
    cr_assert_eq(r, -ECANCELED);
    return 0;
}

Test(cancel, yield_is_a_checkpoint_and_children_are_cancelled_too, .timeout = 10)
{
    cr_assert_eq(corio_run(cancel_tree_main, NULL), 0);
}

/* A yielding task is resumed by another task's yield, a task's park or the
 * loop itself once a timer is due; whichever it is hands it its checkpoint. */
static intptr_t yield_until_deadline(void *arg)
{
    corio_scope s;
    int rc;
    cr_assert_eq(corio_scope_enter_timeout(&s, (intptr_t)arg, 0), 0);
    while ((rc = corio_yield()) == 0)
        ;
    cr_assert_eq(rc, -ETIMEDOUT);
    cr_assert_eq(corio_scope_exit(&s), -ETIMEDOUT);
    return 0;
}

static intptr_t sleep_in_steps(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++)
        corio_sleep(1);
    return 0;
}

static intptr_t yield_deadline_main(void *arg)
{
    (void)arg;
    corio_spawn(NULL, yield_until_deadline, (void *)(intptr_t)10, NULL);
    corio_spawn(NULL, yield_until_deadline, (void *)(intptr_t)20, NULL);
    corio_spawn(NULL, sleep_in_steps, NULL, NULL);
    return 0;
}

Test(cancel, yielding_tasks_see_their_deadline, .timeout = 10)
{
    cr_assert_eq(corio_run(yield_deadline_main, NULL), 0);
}

/* --- deadlines ------------------------------------------------------- */

static intptr_t fail_after_main(void *arg)
{
    (void)arg;
    corio_scope s;
    int64_t t0 = corio_now();
    cr_assert_eq(corio_scope_enter_timeout(&s, 20, 0), 0);
    cr_assert_eq(corio_sleep(10000), -ETIMEDOUT);
    cr_assert_eq(corio_sleep(1), -ETIMEDOUT, "a cancelled scope stays cancelled");
    cr_assert_eq(corio_checkpoint(), -ETIMEDOUT);
    cr_assert_eq(corio_scope_exit(&s), -ETIMEDOUT);
    cr_assert_geq(corio_now() - t0, 20);
    cr_assert_lt(corio_now() - t0, 5000);
    cr_assert_eq(corio_checkpoint(), 0, "left the scope: no longer cancelled");
    cr_assert_eq(corio_sleep(1), 0);

    /* A scope left before its deadline leaves no trace. */
    cr_assert_eq(corio_scope_enter_timeout(&s, 10, 0), 0);
    cr_assert_eq(corio_scope_exit(&s), 0);
    cr_assert_eq(corio_sleep(30), 0);

    /* A deadline already past cancels at the first checkpoint. */
    cr_assert_eq(corio_scope_enter(&s, corio_now() - 1, 0), 0);
    cr_assert_eq(corio_yield(), -ETIMEDOUT);
    cr_assert_eq(corio_scope_exit(&s), -ETIMEDOUT);
    cr_assert_eq(corio_scope_enter_timeout(&s, -5, 0), -EINVAL);
    return 0;
}

Test(cancel, fail_after_and_move_on_after, .timeout = 10)
{
    cr_assert_eq(corio_run(fail_after_main, NULL), 0);
}

static intptr_t nested_main(void *arg)
{
    (void)arg;
    corio_scope outer, inner;
    /* inner shorter: only the inner scope is cancelled */
    corio_scope_enter_timeout(&outer, 5000, 0);
    corio_scope_enter_timeout(&inner, 10, 0);
    cr_assert_eq(corio_sleep(10000), -ETIMEDOUT);
    cr_assert_eq(corio_scope_exit(&inner), -ETIMEDOUT);
    cr_assert_eq(corio_sleep(1), 0);
    cr_assert_eq(corio_scope_exit(&outer), 0);

    /* outer shorter: the inner body sees it, the inner scope itself is not
     * the one that fired */
    corio_scope_enter_timeout(&outer, 10, 0);
    corio_scope_enter_timeout(&inner, 5000, 0);
    cr_assert_eq(corio_sleep(10000), -ETIMEDOUT);
    cr_assert_eq(corio_scope_exit(&inner), 0);
    cr_assert_eq(corio_scope_exit(&outer), -ETIMEDOUT);

    return 0;
}

static intptr_t out_of_order_main(void *arg)
{
    (void)arg;
    corio_scope outer, inner;
    corio_scope_enter(&outer, -1, 0);
    corio_scope_enter(&inner, -1, 0);
    corio_scope_exit(&outer);
    return 0;
}

static void out_of_order(void)
{
    corio_run(out_of_order_main, NULL);
}

Test(cancel, scopes_left_out_of_order_abort, .timeout = 10)
{
    assert_misuse(out_of_order, "corio: corio_scope_exit: not the calling task's innermost scope");
}

Test(cancel, nested_deadlines, .timeout = 10)
{
    cr_assert_eq(corio_run(nested_main, NULL), 0);
}

static intptr_t shield_main(void *arg)
{
    (void)arg;
    corio_scope outer, shield;
    corio_scope_enter(&outer, -1, 0);
    corio_scope_cancel(&outer);
    cr_assert_eq(corio_sleep(1), -ECANCELED);
    cr_assert_eq(corio_scope_enter(&shield, -1, CORIO_SCOPE_SHIELD), 0);
    cr_assert_eq(corio_sleep(5), 0, "the shield keeps the outer cancellation out");
    cr_assert_eq(corio_scope_exit(&shield), 0);
    cr_assert_eq(corio_checkpoint(), -ECANCELED);
    cr_assert_eq(corio_scope_exit(&outer), -ECANCELED);
    return 0;
}

static intptr_t shielded_sleeper(void *arg)
{
    corio_scope s;
    corio_scope_enter(&s, -1, CORIO_SCOPE_SHIELD);
    int rc = corio_sleep((intptr_t)arg);
    corio_scope_exit(&s);
    return rc == 0 ? 1 : rc; /* 1: the sleep completed */
}

static intptr_t shield_task_main(void *arg)
{
    (void)arg;
    corio_task *t;
    intptr_t r;
    corio_spawn(NULL, shielded_sleeper, (void *)(intptr_t)30, &t);
    corio_sleep(5);
    corio_task_cancel(t);
    corio_join(t, &r, -1);
    cr_assert_eq(r, 1);
    return 0;
}

Test(cancel, shielded_scope, .timeout = 10)
{
    cr_assert_eq(corio_run(shield_main, NULL), 0);
    cr_assert_eq(corio_run(shield_task_main, NULL), 0);
}

/* --- nurseries ---------------------------------------------------------- */

static int cancelled_siblings;

static intptr_t sibling(void *arg)
{
    (void)arg;
    int rc = corio_sleep(10000);
    if (rc == -ECANCELED)
        cancelled_siblings++;
    return rc;
}

static intptr_t fails_soon(void *arg)
{
    (void)arg;
    corio_sleep(10);
    return -EIO;
}

static intptr_t child_fails_main(void *arg)
{
    (void)arg;
    corio_nursery *n;
    int64_t t0 = corio_now();
    cr_assert_eq(corio_nursery_open(&n), 0);
    for (int i = 0; i < 3; i++)
        corio_spawn(n, sibling, NULL, NULL);
    corio_spawn(n, fails_soon, NULL, NULL);
    /* the owner's code inside the nursery is cancelled too */
    cr_assert_eq(corio_sleep(10000), -ECANCELED);
    cr_assert_eq(corio_nursery_close(n), -EIO);
    cr_assert_eq(cancelled_siblings, 3);
    cr_assert_lt(corio_now() - t0, 5000);
    cr_assert_eq(corio_checkpoint(), 0, "the cancellation ended with the nursery");
    return 0;
}

Test(cancel, a_failing_child_cancels_its_siblings, .timeout = 10)
{
    cancelled_siblings = 0;
    cr_assert_eq(corio_run(child_fails_main, NULL), 0);
}

static intptr_t implicit_fails_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        corio_spawn(NULL, sibling, NULL, NULL);
    corio_spawn(NULL, fails_soon, NULL, NULL);
    return corio_sleep(10000); /* -ECANCELED; the task's result is -EIO */
}

Test(cancel, implicit_nursery_failure_becomes_the_result, .timeout = 10)
{
    cancelled_siblings = 0;
    cr_assert_eq(corio_run(implicit_fails_main, NULL), -EIO);
    cr_assert_eq(cancelled_siblings, 3);
}

static intptr_t nursery_cancel_main(void *arg)
{
    (void)arg;
    corio_nursery *n;
    corio_nursery_open(&n);
    for (int i = 0; i < 5; i++)
        corio_spawn(n, sibling, NULL, NULL);
    corio_sleep(5);
    corio_nursery_cancel(n);
    cr_assert_eq(corio_nursery_close(n), 0, "cancellation is not a failure");
    cr_assert_eq(cancelled_siblings, 5);
    return 0;
}

Test(cancel, cancelling_a_whole_nursery, .timeout = 10)
{
    cancelled_siblings = 0;
    cr_assert_eq(corio_run(nursery_cancel_main, NULL), 0);
}

static intptr_t scope_around_nursery_main(void *arg)
{
    (void)arg;
    corio_scope s;
    corio_nursery *n;
    corio_scope_enter_timeout(&s, 15, 0);
    corio_nursery_open(&n);
    for (int i = 0; i < 4; i++)
        corio_spawn(n, sibling, NULL, NULL);
    cr_assert_eq(corio_nursery_close(n), 0);
    cr_assert_eq(corio_scope_exit(&s), -ETIMEDOUT);
    cr_assert_eq(cancelled_siblings, 0, "their sleeps saw the deadline, -ETIMEDOUT");
    return 0;
}

Test(cancel, a_deadline_around_a_nursery_reaches_its_children, .timeout = 10)
{
    cancelled_siblings = 0;
    cr_assert_eq(corio_run(scope_around_nursery_main, NULL), 0);
}

/* A nursery's scope reaches its children's root scopes through the nursery's
 * list of child tasks, where a finished child with a handle stays: the
 * cancellation passes it by and goes on down, through a scope a child opened,
 * to a grandchild. */
static int deep_cancelled;

static intptr_t sleeps_counting(void *arg)
{
    (void)arg;
    int rc = corio_sleep(10000);
    if (rc == -ECANCELED)
        deep_cancelled++;
    return rc;
}

static intptr_t scoped_parent(void *arg)
{
    (void)arg;
    corio_scope s;
    cr_assert_eq(corio_scope_enter(&s, -1, 0), 0);
    cr_assert_eq(corio_spawn(NULL, sleeps_counting, NULL, NULL), 0);
    int rc = corio_sleep(10000);
    if (rc == -ECANCELED)
        deep_cancelled++;
    cr_assert_eq(corio_scope_exit(&s), 0, "the cancellation came from outside the scope");
    return rc;
}

static intptr_t returns_seven(void *arg)
{
    (void)arg;
    return 7;
}

static intptr_t deep_nursery_cancel_main(void *arg)
{
    (void)arg;
    corio_nursery *n;
    corio_task *done;
    intptr_t r;
    cr_assert_eq(corio_nursery_open(&n), 0);
    cr_assert_eq(corio_spawn(n, returns_seven, NULL, &done), 0);
    cr_assert_eq(corio_spawn(n, scoped_parent, NULL, NULL), 0);
    cr_assert_eq(corio_join(done, &r, -1), 0);
    cr_assert_eq(r, 7);
    cr_assert_eq(corio_sleep(5), 0);
    corio_nursery_cancel(n);
    cr_assert_eq(corio_nursery_close(n), 0, "cancellation is not a failure");
    cr_assert_eq(deep_cancelled, 2, "the child in its scope and the grandchild");
    corio_task_release(done);
    return 0;
}

Test(cancel, a_nursery_cancel_reaches_grandchildren_past_finished_children, .timeout = 10)
{
    deep_cancelled = 0;
    cr_assert_eq(corio_run(deep_nursery_cancel_main, NULL), 0);
}

/* --- races --------------------------------------------------------------- */

static corio_task *racer_target;

static intptr_t quick(void *arg)
{
    (void)arg;
    return 42;
}

static intptr_t racer(void *arg)
{
    (void)arg;
    intptr_t r = 0;
    int rc = corio_join(racer_target, &r, -1);
    if (rc < 0)
        return rc;
    /* The join completed before the cancel arrived: its result stands, and
     * the next checkpoint reports the cancellation. */
    return r == 42 && corio_checkpoint() == -ECANCELED ? 1 : -1;
}

static intptr_t race_main(void *arg)
{
    (void)arg;
    corio_task *r;
    intptr_t res;
    corio_spawn(NULL, racer, NULL, &r);
    corio_spawn(NULL, quick, NULL, &racer_target);
    corio_yield(); /* racer parks in join; quick finishes and queues racer */
    corio_task_cancel(r);
    corio_join(r, &res, -1);
    cr_assert_eq(res, 1);
    return 0;
}

Test(cancel, cancel_racing_with_completion, .timeout = 10)
{
    cr_assert_eq(corio_run(race_main, NULL), 0);
}

static intptr_t cancelled_joiner_main(void *arg)
{
    (void)arg;
    corio_task *slow, *j;
    intptr_t r;
    corio_spawn(NULL, fails_soon, NULL, &slow);
    corio_spawn(NULL, racer, NULL, &j);
    racer_target = slow;
    corio_yield();
    corio_task_cancel(j);
    corio_join(j, &r, -1);
    cr_assert_eq(r, -ECANCELED, "the joiner left the join");
    corio_join(slow, &r, -1); /* the target is unaffected */
    cr_assert_eq(r, -EIO);
    return 0;
}

Test(cancel, cancelling_a_joiner, .timeout = 10)
{
    /* slow's -EIO reached main through the join, so it is not a failure of
     * main's implicit nursery */
    cr_assert_eq(corio_run(cancelled_joiner_main, NULL), 0);
}
