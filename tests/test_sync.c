/* Lock, event, semaphore, condition. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>

#include <corio/corio.h>

#include "child.h"

static corio_lock *lk;
static int inside, max_inside, order[16], norder;

static intptr_t locker(void *arg)
{
    int rc = corio_lock_acquire(lk, -1);
    if (rc < 0)
        return rc;
    order[norder++] = (int)(intptr_t)arg;
    inside++;
    if (inside > max_inside)
        max_inside = inside;
    corio_sleep(1); /* hold it across a suspension */
    inside--;
    return corio_lock_release(lk);
}

static intptr_t lock_main(void *arg)
{
    (void)arg;
    cr_assert_eq(corio_lock_new(&lk), 0);
    cr_assert_eq(corio_lock_acquire(lk, -1), 0);
    for (intptr_t i = 0; i < 8; i++)
        corio_spawn(NULL, locker, (void *)i, NULL);
    corio_yield(); /* all eight queue up, in spawn order */
    cr_assert_eq(corio_lock_acquire(lk, -1), -EDEADLK);
    cr_assert_eq(corio_lock_try_acquire(lk), -EDEADLK);
    cr_assert(corio_lock_owned(lk));
    cr_assert_eq(corio_lock_free(lk), -EBUSY);
    cr_assert_eq(corio_lock_release(lk), 0);
    cr_assert_eq(corio_lock_try_acquire(lk), -EBUSY, "handed to the first waiter, no barging");
    return 0;
}

Test(sync, lock_excludes_and_is_fifo, .timeout = 10)
{
    norder = max_inside = 0;
    cr_assert_eq(corio_run(lock_main, NULL), 0);
    cr_assert_eq(max_inside, 1);
    cr_assert_eq(norder, 8);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(order[i], i);
    cr_assert_eq(corio_lock_free(lk), 0);
}

static intptr_t lock_waiter(void *arg)
{
    return corio_lock_acquire(lk, (intptr_t)arg);
}

static intptr_t lock_cancel_main(void *arg)
{
    (void)arg;
    corio_task *a, *b, *c;
    intptr_t r;
    corio_lock_new(&lk);
    corio_lock_acquire(lk, -1);
    corio_spawn(NULL, lock_waiter, (void *)(intptr_t)-1, &a);
    corio_spawn(NULL, lock_waiter, (void *)(intptr_t)(corio_now() + 10), &b);
    corio_spawn(NULL, lock_waiter, (void *)(intptr_t)-1, &c);
    corio_yield();
    corio_task_cancel(a);
    corio_join(a, &r, -1);
    cr_assert_eq(r, -ECANCELED);
    corio_join(b, &r, -1);
    cr_assert_eq(r, -ETIMEDOUT);
    corio_lock_release(lk); /* goes to c: a and b left the queue */
    corio_join(c, &r, -1);
    cr_assert_eq(r, 0);
    cr_assert(corio_lock_locked(lk) && !corio_lock_owned(lk));
    return 0;
}

Test(sync, lock_waiters_leave_on_cancel_and_deadline, .timeout = 10)
{
    cr_assert_eq(corio_run(lock_cancel_main, NULL), 0);
}

/* 10,000 tasks x 100 lock/unlock: everyone finishes (no starvation). */
#define CROWD  10000
#define ROUNDS 100
static long crowd_done, crowd_total;

static intptr_t crowd_member(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (corio_lock_acquire(lk, -1) < 0)
            return -1;
        crowd_total++;
        corio_yield();
        corio_lock_release(lk);
    }
    crowd_done++;
    return 0;
}

static intptr_t crowd_main(void *arg)
{
    (void)arg;
    corio_lock_new(&lk);
    corio_spawn_opts o = {.stack_size = 16384};
    for (int i = 0; i < CROWD; i++)
        cr_assert_eq(corio_spawn_ex(NULL, crowd_member, NULL, &o, NULL), 0);
    return 0;
}

Test(sync, ten_thousand_tasks_share_a_lock, .timeout = 60)
{
    crowd_done = crowd_total = 0;
    cr_assert_eq(corio_run(crowd_main, NULL), 0);
    cr_assert_eq(crowd_done, CROWD);
    cr_assert_eq(crowd_total, (long)CROWD * ROUNDS);
    corio_lock_free(lk);
}

/* --- event ------------------------------------------------------------ */

static corio_event *ev;
static int ev_woken;

static intptr_t ev_waiter(void *arg)
{
    int rc = corio_event_wait(ev, (intptr_t)arg);
    if (rc == 0)
        ev_woken++;
    return rc;
}

static intptr_t event_main(void *arg)
{
    (void)arg;
    corio_task *late, *cancelled;
    intptr_t r;
    corio_event_new(&ev);
    for (int i = 0; i < 5; i++)
        corio_spawn(NULL, ev_waiter, (void *)(intptr_t)-1, NULL);
    corio_spawn(NULL, ev_waiter, (void *)(intptr_t)(corio_now() + 5), &late);
    corio_spawn(NULL, ev_waiter, (void *)(intptr_t)-1, &cancelled);
    corio_yield();
    corio_join(late, &r, -1);
    cr_assert_eq(r, -ETIMEDOUT);
    corio_task_cancel(cancelled);
    corio_join(cancelled, &r, -1);
    cr_assert_eq(r, -ECANCELED);
    cr_assert_eq(corio_event_free(ev), -EBUSY);
    cr_assert(!corio_event_is_set(ev));
    corio_event_set(ev);
    cr_assert(corio_event_is_set(ev));
    corio_yield();
    cr_assert_eq(ev_woken, 5);
    cr_assert_eq(corio_event_wait(ev, 0), 0, "set: returns at once");
    corio_event_clear(ev);
    cr_assert_eq(corio_event_wait(ev, 0), -ETIMEDOUT, "deadline 0: a poll");
    return 0;
}

Test(sync, event_wakes_all_waiters, .timeout = 10)
{
    ev_woken = 0;
    cr_assert_eq(corio_run(event_main, NULL), 0);
    cr_assert_eq(corio_event_free(ev), 0);
}

/* --- semaphore --------------------------------------------------------- */

static corio_sem *sem;

static intptr_t sem_user(void *arg)
{
    (void)arg;
    int rc = corio_sem_acquire(sem, -1);
    if (rc < 0)
        return rc;
    inside++;
    if (inside > max_inside)
        max_inside = inside;
    corio_sleep(2);
    inside--;
    return corio_sem_release(sem);
}

static intptr_t sem_main(void *arg)
{
    (void)arg;
    cr_assert_eq(corio_sem_new(-1, false, &sem), -EINVAL);
    cr_assert_eq(corio_sem_new(3, true, &sem), 0);
    for (int i = 0; i < 20; i++)
        corio_spawn(NULL, sem_user, NULL, NULL);
    return 0;
}

static intptr_t sem_edges(void *arg)
{
    (void)arg;
    cr_assert_eq(corio_sem_release(sem), -EOVERFLOW, "bounded: not above the initial value");
    cr_assert_eq(corio_sem_try_acquire(sem), 0);
    cr_assert_eq(corio_sem_try_acquire(sem), 0);
    cr_assert_eq(corio_sem_try_acquire(sem), 0);
    cr_assert_eq(corio_sem_try_acquire(sem), -EAGAIN);
    cr_assert_eq(corio_sem_acquire(sem, corio_now() + 5), -ETIMEDOUT);
    cr_assert_eq(corio_sem_value(sem), 0);
    corio_task *w;
    intptr_t r;
    corio_spawn(NULL, sem_user, NULL, &w);
    corio_yield();
    corio_task_cancel(w);
    corio_join(w, &r, -1);
    cr_assert_eq(r, -ECANCELED, "a cancelled waiter leaves");
    cr_assert_eq(corio_sem_value(sem), 0);
    corio_sem_release(sem);
    cr_assert_eq(corio_sem_value(sem), 1);
    return 0;
}

Test(sync, semaphore_limits_concurrency, .timeout = 10)
{
    inside = max_inside = 0;
    cr_assert_eq(corio_run(sem_main, NULL), 0);
    cr_assert_eq(max_inside, 3);
    cr_assert_eq(corio_run(sem_edges, NULL), 0);
    corio_sem_free(sem);
}

/* --- condition --------------------------------------------------------- */

static corio_cond *cv;
static int items, consumed;

static intptr_t consumer(void *arg)
{
    (void)arg;
    corio_lock_acquire(lk, -1);
    while (items == 0) {
        int rc = corio_cond_wait(cv, -1);
        if (rc < 0) {
            cr_assert(corio_lock_owned(lk), "the lock is held again after a cancelled wait");
            corio_lock_release(lk);
            return rc;
        }
    }
    items--;
    consumed++;
    corio_lock_release(lk);
    return 0;
}

static intptr_t cond_main(void *arg)
{
    (void)arg;
    corio_task *c;
    intptr_t r;
    corio_lock_new(&lk);
    corio_cond_new(lk, &cv);
    for (int i = 0; i < 4; i++)
        corio_spawn(NULL, consumer, NULL, NULL);
    corio_spawn(NULL, consumer, NULL, &c);
    corio_yield();
    corio_task_cancel(c);
    corio_join(c, &r, -1);
    cr_assert_eq(r, -ECANCELED);
    corio_lock_acquire(lk, -1);
    items = 4;
    cr_assert_eq(corio_cond_notify_all(cv), 0);
    corio_lock_release(lk);
    return 0;
}

Test(sync, condition_variable, .timeout = 10)
{
    items = consumed = 0;
    cr_assert_eq(corio_run(cond_main, NULL), 0);
    cr_assert_eq(consumed, 4);
    cr_assert_eq(corio_cond_free(cv), 0);
    cr_assert_eq(corio_lock_free(lk), 0);
}

/* --- bad input ------------------------------------------------------------ */

#include <stdatomic.h>

static atomic_int held_elsewhere;

static intptr_t hold_lock(void *arg)
{
    (void)arg;
    if (corio_lock_acquire(lk, -1) < 0)
        return -1;
    atomic_store(&held_elsewhere, 1);
    while (atomic_load(&held_elsewhere) == 1)
        corio_sleep(1);
    return corio_lock_release(lk);
}

static void *other_thread(void *arg)
{
    (void)arg;
    return (void *)corio_run(hold_lock, NULL);
}

static intptr_t touch_foreign_lock(void *arg)
{
    (void)arg;
    return corio_lock_acquire(lk, -1);
}

static void run_touch_foreign_lock(void)
{
    corio_run(touch_foreign_lock, NULL);
}

static void acquire_outside(void)
{
    corio_lock_acquire(lk, -1);
}

static intptr_t misuse_main(void *arg)
{
    corio_lock_new(&lk);
    if (arg) { /* released twice */
        corio_lock_acquire(lk, -1);
        corio_lock_release(lk);
        corio_lock_release(lk);
    } else { /* waits on a condition without its lock */
        corio_cond_new(lk, &cv);
        corio_cond_wait(cv, -1);
    }
    return 0;
}

static void double_lock_release(void)
{
    corio_run(misuse_main, (void *)1);
}

static void cond_without_lock(void)
{
    corio_run(misuse_main, NULL);
}

Test(sync, misuse_aborts, .timeout = 10)
{
    assert_misuse(double_lock_release, "corio: corio_lock_release: the lock is not held");
    assert_misuse(cond_without_lock, "corio: corio_cond_wait: the condition's lock is not held");
}

static intptr_t use_idle_lock(void *arg)
{
    (void)arg;
    return corio_lock_acquire(lk, -1) == 0 ? corio_lock_release(lk) : -1;
}

Test(sync, objects_belong_to_one_loop, .timeout = 10)
{
    corio_lock_new(&lk);
    assert_misuse(acquire_outside, "called outside a task");
    cr_assert_eq(corio_run(use_idle_lock, NULL), 0);
    pthread_t th;
    void *r;
    atomic_store(&held_elsewhere, 0);
    pthread_create(&th, NULL, other_thread, NULL);
    while (atomic_load(&held_elsewhere) == 0)
        usleep(1000);
    assert_misuse(run_touch_foreign_lock, "in use by the tasks of another loop");
    atomic_store(&held_elsewhere, 2);
    pthread_join(th, &r);
    cr_assert_eq((intptr_t)r, 0);
    cr_assert_eq(corio_run(use_idle_lock, NULL), 0, "idle again: usable here");
    corio_lock_free(lk);
}

/* A waiter woken by the event, whose deadline passes before it runs: the
 * deadline must not wake it a second time. */
static intptr_t deadline_waiter(void *arg)
{
    (void)arg;
    return corio_event_wait(ev, corio_now() + 2);
}

static intptr_t double_wake_main(void *arg)
{
    (void)arg;
    corio_task *w;
    intptr_t r;
    corio_event_new(&ev);
    corio_spawn(NULL, deadline_waiter, NULL, &w);
    corio_yield(); /* it waits, with its deadline armed */
    int64_t until = corio_now() + 10;
    while (corio_now() < until) /* past its deadline without letting the loop run */
        ;
    corio_event_set(ev); /* woken first; the expired deadline fires next cycle */
    corio_join(w, &r, -1);
    cr_assert_eq(r, 0);
    corio_sleep(5);
    corio_event_free(ev);
    return 0;
}

Test(sync, a_wake_disarms_the_deadline, .timeout = 10)
{
    cr_assert_eq(corio_run(double_wake_main, NULL), 0);
}
