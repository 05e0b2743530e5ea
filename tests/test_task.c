/* Tasks and the scheduler: order, fairness, spawn/join, results, errors. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

#include "child.h"

/* --- ping-pong order ---------------------------------------------------- */

static char order_log[64];
static size_t order_len;

static intptr_t pinger(void *arg)
{
    for (int i = 0; i < 4; i++) {
        order_log[order_len++] = *(const char *)arg;
        corio_yield();
    }
    return 0;
}

static intptr_t ping_pong_main(void *arg)
{
    (void)arg;
    corio_spawn(NULL, pinger, "a", NULL);
    corio_spawn(NULL, pinger, "b", NULL);
    return 0;
}

Test(task, ping_pong_alternates, .timeout = 10)
{
    order_len = 0;
    cr_assert_eq(corio_run(ping_pong_main, NULL), 0);
    order_log[order_len] = '\0';
    cr_assert_str_eq(order_log, "abababab");
}

/* --- yields mixed with parks and ends -------------------------------- */

/* A task resumed after corio_yield goes straight back into its caller, one
 * resumed after a park returns through the scheduler, and a new one starts
 * afresh: every pairing of the three, with tasks ending in between (their
 * records freed by whoever runs next), must keep each side's state. */
#define MIX_ROUNDS 2000
static corio_future *mix_future;
static long mix_yields, mix_parks, mix_ended;

static intptr_t mix_yielder(void *arg)
{
    long sum = 0;
    for (long i = 0; i < MIX_ROUNDS; i++) {
        cr_assert_eq(corio_yield(), 0);
        sum += i;
        mix_yields++;
    }
    return sum + (intptr_t)arg;
}

static intptr_t mix_short(void *arg)
{
    (void)arg;
    mix_ended++;
    return 0;
}

static intptr_t mix_parker(void *arg)
{
    (void)arg;
    for (long i = 0; i < MIX_ROUNDS; i++) {
        intptr_t r;
        corio_future *f;
        cr_assert_eq(corio_future_new(&f), 0);
        mix_future = f;
        cr_assert_eq(corio_future_await(f, &r, -1), 0);
        cr_assert_eq(r, i);
        cr_assert_eq(corio_future_free(f), 0);
        mix_parks++;
    }
    return 0;
}

static intptr_t mix_waker(void *arg)
{
    (void)arg;
    for (long i = 0; i < MIX_ROUNDS; i++) {
        while (!mix_future)
            cr_assert_eq(corio_yield(), 0);
        corio_future *f = mix_future;
        mix_future = NULL;
        cr_assert_eq(corio_spawn(NULL, mix_short, NULL, NULL), 0); /* no handle: a zombie */
        cr_assert_eq(corio_future_set_result(f, i), 0);
        cr_assert_eq(corio_yield(), 0);
    }
    return 0;
}

static intptr_t mix_main(void *arg)
{
    (void)arg;
    corio_task *a, *b;
    intptr_t ra, rb;
    cr_assert_eq(corio_spawn(NULL, mix_yielder, (void *)1, &a), 0);
    cr_assert_eq(corio_spawn(NULL, mix_parker, NULL, NULL), 0);
    cr_assert_eq(corio_spawn(NULL, mix_waker, NULL, NULL), 0);
    cr_assert_eq(corio_spawn(NULL, mix_yielder, (void *)2, &b), 0);
    cr_assert_eq(corio_join(a, &ra, -1), 0);
    cr_assert_eq(corio_join(b, &rb, -1), 0);
    cr_assert_eq(ra, (intptr_t)MIX_ROUNDS * (MIX_ROUNDS - 1) / 2 + 1);
    cr_assert_eq(rb, (intptr_t)MIX_ROUNDS * (MIX_ROUNDS - 1) / 2 + 2);
    corio_task_release(a);
    corio_task_release(b);
    return 0;
}

Test(task, yields_parks_and_ends_interleaved, .timeout = 20)
{
    mix_future = NULL;
    mix_yields = mix_parks = mix_ended = 0;
    cr_assert_eq(corio_run(mix_main, NULL), 0);
    cr_assert_eq(mix_yields, 2 * MIX_ROUNDS);
    cr_assert_eq(mix_parks, MIX_ROUNDS);
    cr_assert_eq(mix_ended, MIX_ROUNDS);
}

/* --- many tasks, fairness --------------------------------------------- */

#define FAIR_TASKS  100
#define FAIR_ROUNDS 50
static int fair_seen[FAIR_TASKS];
static int fair_max_skew;

static intptr_t fair_worker(void *arg)
{
    intptr_t me = (intptr_t)arg;
    for (int r = 0; r < FAIR_ROUNDS; r++) {
        fair_seen[me]++;
        /* Round robin: nobody gets two turns before everyone had one. */
        for (int i = 0; i < FAIR_TASKS; i++) {
            int skew = abs(fair_seen[me] - fair_seen[i]);
            if (skew > fair_max_skew)
                fair_max_skew = skew;
        }
        corio_yield();
    }
    return 0;
}

static intptr_t fair_main(void *arg)
{
    (void)arg;
    for (intptr_t i = 0; i < FAIR_TASKS; i++)
        cr_assert_eq(corio_spawn(NULL, fair_worker, (void *)i, NULL), 0);
    return 0;
}

Test(task, yield_is_fair_round_robin, .timeout = 10)
{
    memset(fair_seen, 0, sizeof fair_seen);
    fair_max_skew = 0;
    cr_assert_eq(corio_run(fair_main, NULL), 0);
    for (int i = 0; i < FAIR_TASKS; i++)
        cr_assert_eq(fair_seen[i], FAIR_ROUNDS);
    cr_assert_leq(fair_max_skew, 1);
}

static long many_count;

static intptr_t many_worker(void *arg)
{
    (void)arg;
    many_count++;
    corio_yield();
    many_count++;
    return 0;
}

static intptr_t many_main(void *arg)
{
    for (long i = 0; i < (long)(intptr_t)arg; i++)
        cr_assert_eq(corio_spawn(NULL, many_worker, NULL, NULL), 0);
    return 0;
}

Test(task, ten_thousand_tasks, .timeout = 30)
{
    many_count = 0;
    cr_assert_eq(corio_run(many_main, (void *)(intptr_t)10000), 0);
    cr_assert_eq(many_count, 20000);
}

/* --- deep recursion inside the stack --------------------------------- */

static volatile int sink;

static int recurse(int depth)
{
    volatile char frame[1024];
    frame[0] = (char)(depth & 0x7f);
    if (depth == 0)
        return frame[0];
    return recurse(depth - 1) + frame[0];
}

static intptr_t deep_task(void *arg)
{
    int depth = (int)(intptr_t)arg;
    corio_yield(); /* switch with a deep stack in between */
    sink = recurse(depth);
    return depth;
}

static intptr_t deep_main(void *arg)
{
    (void)arg;
    corio_task *t;
    intptr_t r = 0;
    corio_spawn_opts o = {.name = "deep", .stack_size = 4u << 20};
    cr_assert_eq(corio_spawn_ex(NULL, deep_task, (void *)(intptr_t)1500, &o, &t), 0);
    cr_assert_eq(corio_join(t, &r, -1), 0);
    return r;
}

Test(task, deep_recursion_within_stack, .timeout = 10)
{
    cr_assert_eq(corio_run(deep_main, NULL), 1500);
}

/* --- spawn, join, results ------------------------------------------- */

static intptr_t square(void *arg)
{
    intptr_t v = (intptr_t)arg;
    corio_sleep(v % 3);
    return v * v;
}

static intptr_t join_main(void *arg)
{
    (void)arg;
    corio_task *t[20];
    for (intptr_t i = 0; i < 20; i++)
        cr_assert_eq(corio_spawn(NULL, square, (void *)i, &t[i]), 0);
    for (intptr_t i = 0; i < 20; i++) {
        intptr_t r = -1;
        cr_assert_eq(corio_join(t[i], &r, -1), 0);
        cr_assert_eq(r, i * i);
        r = -1; /* joining again gives the same result */
        cr_assert_eq(corio_join(t[i], &r, -1), 0);
        cr_assert_eq(r, i * i);
    }
    for (int i = 0; i < 10; i++)
        corio_task_release(t[i]); /* the rest are released by the nursery */
    return 7;
}

Test(task, spawn_join_results, .timeout = 10)
{
    cr_assert_eq(corio_run(join_main, NULL), 7);
}

static intptr_t joiner(void *arg)
{
    intptr_t r = 0;
    corio_join(arg, &r, -1);
    return r + 1;
}

static intptr_t many_joiners_main(void *arg)
{
    (void)arg;
    corio_task *target, *j[5];
    cr_assert_eq(corio_spawn(NULL, square, (void *)(intptr_t)4, &target), 0);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(corio_spawn(NULL, joiner, target, &j[i]), 0);
    for (int i = 0; i < 5; i++) {
        intptr_t r;
        corio_join(j[i], &r, -1);
        cr_assert_eq(r, 17);
    }
    return 0;
}

Test(task, many_joiners_of_one_task, .timeout = 10)
{
    cr_assert_eq(corio_run(many_joiners_main, NULL), 0);
}

static intptr_t record_self(void *arg)
{
    *(corio_task **)arg = corio_current();
    return corio_sleep(10);
}

static intptr_t self_join_main(void *arg)
{
    (void)arg;
    corio_task *me = corio_current();
    cr_assert_not_null(me);
    cr_assert_eq(corio_join(me, NULL, -1), -EDEADLK);
    return 0;
}

static intptr_t join_null_main(void *arg)
{
    (void)arg;
    return corio_join(NULL, NULL, -1);
}

static void join_null(void)
{
    corio_run(join_null_main, NULL);
}

/* A task without a handle cannot be joined. */
static intptr_t join_bare_main(void *arg)
{
    (void)arg;
    static corio_task *bare;
    cr_assert_eq(corio_spawn(NULL, record_self, &bare, NULL), 0);
    corio_yield();
    return corio_join(bare, NULL, -1);
}

static void join_bare(void)
{
    corio_run(join_bare_main, NULL);
}

Test(task, joining_a_non_handle_aborts, .timeout = 10)
{
    assert_misuse(join_null, "corio: corio_join: not a task handle");
    assert_misuse(join_bare, "corio: corio_join: not a task handle");
}

/* Sleeps until cancelled: a join's deadline passes first on any machine. */
static intptr_t sleep_long(void *arg)
{
    (void)arg;
    return corio_sleep(60000);
}

static intptr_t join_deadline_main(void *arg)
{
    (void)arg;
    corio_task *t;
    intptr_t r = 1;
    cr_assert_eq(corio_spawn(NULL, sleep_long, NULL, &t), 0);
    cr_assert_eq(corio_join(t, &r, 0), -ETIMEDOUT); /* 0: do not wait */
    cr_assert_eq(corio_join(t, &r, corio_now() + 1), -ETIMEDOUT);
    cr_assert_eq(r, 1); /* untouched by a failed wait */
    corio_task_cancel(t);
    cr_assert_eq(corio_join(t, &r, -1), 0);
    cr_assert_eq(r, -ECANCELED);
    corio_task_release(t);
    return 0;
}

Test(task, join_takes_a_deadline, .timeout = 10)
{
    cr_assert_eq(corio_run(join_deadline_main, NULL), 0);
}

static intptr_t join_self(void *arg)
{
    corio_task **slot = arg;
    return corio_join(*slot, NULL, -1);
}

static intptr_t join_self_main(void *arg)
{
    (void)arg;
    static corio_task *t;
    cr_assert_eq(corio_spawn(NULL, join_self, &t, &t), 0);
    intptr_t r;
    corio_join(t, &r, -1);
    return r;
}

Test(task, bad_joins_are_errors, .timeout = 10)
{
    cr_assert_eq(corio_run(self_join_main, NULL), 0);
    cr_assert_eq(corio_run(join_self_main, NULL), -EDEADLK);
}

/* --- release ------------------------------------------------------- */

static intptr_t release_main(void *arg)
{
    (void)arg;
    corio_task *early, *late;
    cr_assert_eq(corio_spawn(NULL, square, (void *)(intptr_t)2, &early), 0);
    cr_assert_eq(corio_spawn(NULL, square, (void *)(intptr_t)1, &late), 0);
    corio_task_release(early); /* still running: freed when it ends */
    corio_join(late, NULL, -1);
    corio_task_release(late); /* done: freed now */
    return 0;
}

Test(task, release_running_and_done, .timeout = 10)
{
    cr_assert_eq(corio_run(release_main, NULL), 0);
}

/* A handle outlives its nursery until released. */
static intptr_t release_after_close_main(void *arg)
{
    (void)arg;
    corio_nursery *n;
    corio_task *t;
    cr_assert_eq(corio_nursery_open(&n), 0);
    cr_assert_eq(corio_spawn(n, square, (void *)(intptr_t)3, &t), 0);
    cr_assert_eq(corio_nursery_close(n), 0);
    intptr_t r = 0;
    cr_assert_eq(corio_join(t, &r, -1), 0);
    cr_assert_eq(r, 9);
    cr_assert_str_eq(corio_task_name(t), corio_task_name(t));
    corio_task_release(t);
    return 0;
}

Test(task, release_after_the_nursery_closed, .timeout = 10)
{
    cr_assert_eq(corio_run(release_after_close_main, NULL), 0);
}

static intptr_t double_release_main(void *arg)
{
    (void)arg;
    corio_task *t;
    cr_assert_eq(corio_spawn(NULL, square, (void *)(intptr_t)2, &t), 0);
    corio_join(t, NULL, -1);
    corio_task_release(t);
    corio_task_release(t);
    return 0;
}

static void double_release(void)
{
    corio_run(double_release_main, NULL);
}

Test(task, double_release_aborts, .timeout = 10)
{
    assert_misuse(double_release, "corio: corio_task_release: not a task handle");
}

/* --- nested spawns -------------------------------------------------- */

static int tree_nodes;

static intptr_t tree(void *arg)
{
    intptr_t depth = (intptr_t)arg;
    tree_nodes++;
    if (depth == 0)
        return 1;
    for (int i = 0; i < 3; i++)
        cr_assert_eq(corio_spawn(NULL, tree, (void *)(depth - 1), NULL), 0);
    corio_yield();
    return 0;
}

static int parent_done, child_done_before_parent;

static intptr_t slow_child(void *arg)
{
    (void)arg;
    corio_sleep(20);
    child_done_before_parent = !parent_done;
    return 0;
}

static intptr_t parent(void *arg)
{
    (void)arg;
    corio_spawn(NULL, slow_child, NULL, NULL);
    return 0; /* returns at once; finishes only after slow_child */
}

static intptr_t nested_main(void *arg)
{
    (void)arg;
    corio_task *p;
    tree_nodes = 0;
    cr_assert_eq(corio_spawn(NULL, tree, (void *)(intptr_t)5, NULL), 0);
    cr_assert_eq(corio_spawn(NULL, parent, NULL, &p), 0);
    corio_join(p, NULL, -1);
    parent_done = 1;
    return 0;
}

Test(task, nested_spawns_and_parent_waits_for_children, .timeout = 10)
{
    parent_done = child_done_before_parent = 0;
    cr_assert_eq(corio_run(nested_main, NULL), 0);
    cr_assert_eq(tree_nodes, 1 + 3 + 9 + 27 + 81 + 243);
    cr_assert(child_done_before_parent);
}

/* --- corio_run ------------------------------------------------------- */

static int late_child_ran;

static intptr_t late_child(void *arg)
{
    (void)arg;
    corio_sleep(10);
    late_child_ran = 1;
    return 0;
}

static intptr_t returns_early(void *arg)
{
    corio_spawn(NULL, late_child, NULL, NULL);
    return (intptr_t)arg;
}

static intptr_t failing(void *arg)
{
    (void)arg;
    return -EIO;
}

static intptr_t child_fails_main(void *arg)
{
    (void)arg;
    corio_spawn(NULL, failing, NULL, NULL);
    return 5;
}

static intptr_t handled_failure_main(void *arg)
{
    corio_task *t;
    intptr_t r;
    corio_spawn(NULL, failing, NULL, &t);
    if (arg) /* joined: the failure was delivered, main decides */
        return corio_join(t, &r, -1) == 0 && r == -EIO ? 9 : -1;
    return 9; /* never joined: the nursery reports it */
}

Test(run, handled_children_report_failure_by_join, .timeout = 10)
{
    cr_assert_eq(corio_run(handled_failure_main, (void *)1), 9);
    cr_assert_eq(corio_run(handled_failure_main, NULL), -EIO);
}

Test(run, result_and_waiting_for_children, .timeout = 10)
{
    late_child_ran = 0;
    cr_assert_eq(corio_run(returns_early, (void *)(intptr_t)123), 123);
    cr_assert(late_child_ran);
    cr_assert_eq(corio_run(failing, NULL), -EIO);
    /* A failed child fails its parent. */
    cr_assert_eq(corio_run(child_fails_main, NULL), -EIO);
}

static intptr_t nested_run(void *arg)
{
    (void)arg;
    return corio_run(failing, NULL);
}

Test(run, bad_input, .timeout = 10)
{
    cr_assert_eq(corio_run(NULL, NULL), -EINVAL);
    cr_assert_eq(corio_run(nested_run, NULL), -EBUSY);
    corio_config cfg = {.stack_size = (size_t)CORIO_STACK_MAX + 1};
    cr_assert_eq(corio_run_ex(failing, NULL, &cfg), -EINVAL);
}

/* Two tasks joining each other can never finish. */
static corio_task *dl_a, *dl_b;

static intptr_t dl_task(void *arg)
{
    corio_sleep(1);
    return corio_join(arg ? dl_a : dl_b, NULL, -1);
}

static intptr_t deadlock_main(void *arg)
{
    (void)arg;
    corio_spawn(NULL, dl_task, NULL, &dl_a);
    corio_spawn(NULL, dl_task, (void *)1, &dl_b);
    return 0;
}

Test(run, deadlock_is_reported, .timeout = 10)
{
    cr_assert_eq(corio_run(deadlock_main, NULL), -EDEADLK);
}

static void sleep_outside(void)
{
    corio_sleep(1);
}

static void yield_outside(void)
{
    corio_yield();
}

static void spawn_outside(void)
{
    corio_spawn(NULL, failing, NULL, NULL);
}

static void nursery_outside(void)
{
    corio_nursery *n;
    corio_nursery_open(&n);
}

Test(run, blocking_calls_outside_a_task_abort, .timeout = 10)
{
    assert_misuse(sleep_outside, "corio: corio_sleep_until_ns: called outside a task");
    assert_misuse(yield_outside, "corio: corio_yield: called outside a task");
    assert_misuse(spawn_outside, "corio: corio_spawn_ex: called outside a loop's thread");
    assert_misuse(nursery_outside, "corio: corio_nursery_open: called outside a task");
    cr_assert_null(corio_current());
    cr_assert_str_eq(corio_strerror(-EISDIR), "Is a directory"); /* not one of corio's */
    cr_assert_str_eq(corio_strerror(-99999), "unknown error");
}

/* --- spawn arguments, names, ids, dump -------------------------------- */

static intptr_t noop(void *arg)
{
    (void)arg;
    return 0;
}

static intptr_t sleeper(void *arg)
{
    return corio_sleep((intptr_t)arg);
}

static intptr_t names_main(void *arg)
{
    (void)arg;
    corio_task *a, *b, *c;
    corio_spawn_opts o = {.name = "a-very-long-task-name-that-will-be-cut-short"};
    o.stack_size = (size_t)2 << 30;
    cr_assert_eq(corio_spawn_ex(NULL, noop, NULL, &o, NULL), -EINVAL);
    o.stack_size = 0;
    cr_assert_eq(corio_spawn_ex(NULL, sleeper, (void *)(intptr_t)50, &o, &a), 0);
    cr_assert_eq(corio_spawn(NULL, noop, NULL, &b), 0);
    cr_assert_eq(corio_spawn(NULL, sleeper, (void *)(intptr_t)20, &c), 0);
    corio_task_set_name(c, "napper");

    cr_assert_eq(strlen(corio_task_name(a)), CORIO_TASK_NAME_MAX - 1);
    cr_assert_str_eq(corio_task_name(corio_current()), "main");
    cr_assert_eq(corio_task_id(corio_current()), 1);
    cr_assert_eq(corio_task_id(a), 2);
    cr_assert_eq(corio_task_id(b), 3);
    char expect[32];
    snprintf(expect, sizeof expect, "task-%llu", (unsigned long long)corio_task_id(b));
    cr_assert_str_eq(corio_task_name(b), expect);

    corio_yield(); /* let them start */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int n = corio_dump_tasks(f);
    fclose(f);
    cr_assert_eq(n, 4, "dump listed %d tasks:\n%s", n, buf); /* b has ended and is held */
    cr_assert(strstr(buf, "main") && strstr(buf, "running"), "%s", buf);
    cr_assert(strstr(buf, "napper") && strstr(buf, "sleep (wakes in"), "%s", buf);
    cr_assert(strstr(buf, "done result 0"), "%s", buf);
    free(buf);

    corio_join(a, NULL, -1);
    f = open_memstream(&buf, &len);
    corio_dump_tasks(f);
    fclose(f);
    cr_assert(!strstr(buf, "sleep (wakes in"), "%s", buf);
    free(buf);
    return 0;
}

Test(task, names_ids_and_dump, .timeout = 10)
{
    cr_assert_eq(corio_run(names_main, NULL), 0);
}

static intptr_t join_waits_dump(void *arg)
{
    (void)arg;
    corio_task *t;
    corio_spawn(NULL, sleeper, (void *)(intptr_t)30, &t);
    corio_spawn(NULL, joiner, t, NULL);
    corio_sleep(5);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    corio_dump_tasks(f);
    fclose(f);
    char expect[64];
    snprintf(expect, sizeof expect, "join task #%llu", (unsigned long long)corio_task_id(t));
    cr_assert(strstr(buf, expect), "%s", buf);
    free(buf);
    return 0;
}

Test(task, dump_shows_what_a_task_waits_on, .timeout = 10)
{
    cr_assert_eq(corio_run(join_waits_dump, NULL), 0);
}

/* A spawn that follows a task's end reuses its record as it was left
 * (docs/core.md): nothing of the last life may carry over, whatever it went
 * through: a child in its implicit nursery, a cancellation, a future given
 * out with a callback. */
static int reuse_callbacks;

static void reuse_cb(corio_future *f, void *arg)
{
    (void)f;
    (void)arg;
    reuse_callbacks++;
}

static intptr_t reuse_eventful(void *arg)
{
    (void)arg;
    corio_spawn(NULL, failing, NULL, NULL);
    corio_task_cancel(corio_current());
    return corio_checkpoint(); /* -ECANCELED, which the child's failure beats */
}

static intptr_t reuse_plain(void *arg)
{
    if (corio_checkpoint() != 0)
        return -EINVAL; /* the last task's cancellation */
    if (arg)
        corio_spawn(NULL, failing, NULL, NULL);
    return 0; /* or the child's failure */
}

static intptr_t reuse_main(void *arg)
{
    (void)arg;
    corio_task *a, *b;
    intptr_t r = 0;
    cr_assert_eq(corio_spawn(NULL, reuse_eventful, NULL, &a), 0);
    cr_assert_eq(corio_future_add_done_callback(corio_task_future(a), reuse_cb, NULL), 0);
    cr_assert_eq(corio_join(a, &r, -1), 0);
    cr_assert_eq(r, -EIO);
    corio_yield(); /* the callback runs */
    cr_assert_eq(reuse_callbacks, 1);
    /* The child's record, freed first, is the one kept for the next spawn
     * (corio__task_free): c takes it, and b a's. */
    corio_task *c;
    cr_assert_eq(corio_spawn(NULL, noop, NULL, &c), 0);
    corio_task_release(a);
    for (intptr_t i = 0; i < 2; i++) { /* the second with a failing child */
        cr_assert_eq(corio_spawn(NULL, reuse_plain, (void *)i, &b), 0);
        cr_assert(!corio_future_done(corio_task_future(b)));
        cr_assert_eq(corio_join(b, &r, -1), 0);
        cr_assert_eq(r, i ? -EIO : 0);
        corio_task_release(b);
    }
    corio_task_release(c);
    corio_yield();
    cr_assert_eq(reuse_callbacks, 1);
    return 0;
}

Test(task, a_reused_record_starts_clean, .timeout = 10)
{
    cr_assert_eq(corio_run(reuse_main, NULL), 0);
}

/* --- loops on several threads ---------------------------------------- */

#include <pthread.h>

/* No cr_assert off the test's main thread: the result says what went wrong. */
static intptr_t thread_main(void *arg)
{
    (void)arg;
    corio_task *t[50];
    intptr_t sum = 0, r;
    for (intptr_t i = 0; i < 50; i++)
        if (corio_spawn(NULL, square, (void *)i, &t[i]) < 0)
            return -1;
    for (int i = 0; i < 50; i++) {
        if (corio_join(t[i], &r, -1) < 0)
            return -2;
        sum += r;
    }
    return sum;
}

static void *thread_loop(void *arg)
{
    return (void *)corio_run(thread_main, arg);
}

Test(run, one_loop_per_thread, .timeout = 20)
{
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, thread_loop, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        cr_assert_eq((intptr_t)r, 40425); /* sum of squares 0..49 */
    }
}

/* --- rounds run on past their end, boundedly ----------------------------- */

/* A task that spawns and joins in a loop leaves a task runnable every time
 * it parks or ends, so its round runs on past its end; a bounded number of
 * turns, after which the loop polls and fires its due timers. */
static int timer_fired;

static void note_timer(void *arg)
{
    (void)arg;
    timer_fired = 1;
}

static intptr_t returns_arg(void *arg)
{
    return (intptr_t)arg;
}

static intptr_t spawn_join_chain_main(void *arg)
{
    (void)arg;
    cr_assert_eq(corio_call_later(0, note_timer, NULL, NULL), 0);
    long i;
    for (i = 0; i < 100000 && !timer_fired; i++) {
        corio_task *t;
        intptr_t r;
        cr_assert_eq(corio_spawn(NULL, returns_arg, (void *)i, &t), 0);
        cr_assert_eq(corio_join(t, &r, -1), 0);
        cr_assert_eq(r, i);
        corio_task_release(t);
    }
    cr_assert(timer_fired, "a due timer waited for %ld spawn+join turns", i);
    cr_assert_lt(i, 1000, "a due timer waited for %ld spawn+join turns", i);
    return 0;
}

Test(task, a_spawn_join_chain_does_not_hold_off_the_loop, .timeout = 10)
{
    timer_fired = 0;
    cr_assert_eq(corio_run(spawn_join_chain_main, NULL), 0);
}

/* --- a task must close what it opened ------------------------------------ */

static intptr_t returns_with_nursery_open(void *arg)
{
    (void)arg;
    corio_nursery *n;
    corio_nursery_open(&n);
    return 0;
}

static intptr_t returns_with_scope_open(void *arg)
{
    (void)arg;
    static corio_scope s;
    corio_scope_enter(&s, -1, 0);
    return 0;
}

static void run_nursery_left_open(void)
{
    corio_run(returns_with_nursery_open, NULL);
}

static void run_scope_left_open(void)
{
    corio_run(returns_with_scope_open, NULL);
}

Test(task, returning_with_a_nursery_or_scope_open_aborts, .timeout = 10)
{
    assert_misuse(run_nursery_left_open, "task returned with a nursery or cancel scope still open");
    assert_misuse(run_scope_left_open, "task returned with a nursery or cancel scope still open");
}

/* --- the first joiner's park and the hand-off at its target's end -------- */

/* Joining parks on the target itself, and the target's end runs its joiner
 * at once only when nothing else is queued: a task ready before it keeps
 * its turn. */
static char turn_log[16];
static size_t turn_len;

static void turn(char who)
{
    turn_log[turn_len++] = who;
}

/* The turns fn's loop took, in order, one letter each. */
static const char *turns_of(corio_fn *fn)
{
    turn_len = 0;
    cr_assert_eq(corio_run(fn, NULL), 0);
    turn_log[turn_len] = '\0';
    return turn_log;
}

static intptr_t log_yield_log(void *arg)
{
    (void)arg;
    turn('y');
    corio_yield();
    turn('y');
    return 0;
}

static intptr_t log_c(void *arg)
{
    (void)arg;
    turn('c');
    return 5;
}

static intptr_t joiner_turn_main(void *arg)
{
    (void)arg;
    corio_task *y, *c;
    intptr_t r = 0;
    cr_assert_eq(corio_spawn(NULL, log_yield_log, NULL, &y), 0);
    cr_assert_eq(corio_spawn(NULL, log_c, NULL, &c), 0);
    cr_assert_eq(corio_join(c, &r, -1), 0);
    cr_assert_eq(r, 5);
    turn('m');
    corio_join(y, NULL, -1);
    corio_task_release(c);
    corio_task_release(y);
    return 0;
}

Test(task, a_woken_joiner_waits_behind_ready_tasks, .timeout = 10)
{
    cr_assert_str_eq(turns_of(joiner_turn_main), "ycym");
}

/* The target's end also wakes the owner of its nursery, parked in close:
 * the joiner, woken first, runs first. */
static intptr_t yield_then_log_c(void *arg)
{
    (void)arg;
    corio_yield();
    turn('c');
    return 6;
}

static intptr_t log_joiner(void *arg)
{
    intptr_t r = 0;
    cr_assert_eq(corio_join(arg, &r, -1), 0);
    cr_assert_eq(r, 6);
    turn('j');
    return 0;
}

static intptr_t joiner_before_owner_main(void *arg)
{
    (void)arg;
    corio_nursery *n;
    corio_task *c, *j;
    cr_assert_eq(corio_nursery_open(&n), 0);
    cr_assert_eq(corio_spawn(n, yield_then_log_c, NULL, &c), 0);
    cr_assert_eq(corio_spawn(NULL, log_joiner, c, &j), 0);
    cr_assert_eq(corio_nursery_close(n), 0);
    turn('m');
    corio_join(j, NULL, -1);
    corio_task_release(j);
    corio_task_release(c);
    return 0;
}

Test(task, a_joiner_runs_before_the_nursery_owner_its_target_woke, .timeout = 10)
{
    cr_assert_str_eq(turns_of(joiner_before_owner_main), "cjm");
}

/* A target handed the CPU by its joiner may park at once; the join still
 * gets its result, and a second joiner with a deadline waits on the future
 * beside the first. */
static intptr_t parks_at_once(void *arg)
{
    (void)arg;
    corio_yield();
    cr_assert_eq(corio_sleep(30), 0);
    return 11;
}

static intptr_t joins_with_deadline(void *arg)
{
    intptr_t r = -1;
    int rc = corio_join(arg, &r, corio_now() + 5);
    return rc == -ETIMEDOUT && r == -1 ? 1 : -2;
}

static intptr_t parked_target_main(void *arg)
{
    (void)arg;
    corio_task *c, *j2;
    intptr_t r = 0, r2 = 0;
    cr_assert_eq(corio_spawn(NULL, parks_at_once, NULL, &c), 0);
    cr_assert_eq(corio_spawn(NULL, joins_with_deadline, c, &j2), 0);
    cr_assert_eq(corio_join(c, &r, -1), 0);
    cr_assert_eq(r, 11);
    cr_assert_eq(corio_join(j2, &r2, -1), 0);
    cr_assert_eq(r2, 1, "the second joiner's deadline passed while the first waited");
    corio_task_release(j2);
    corio_task_release(c);
    return 0;
}

Test(task, a_target_that_parks_at_once_and_two_joiners, .timeout = 10)
{
    cr_assert_eq(corio_run(parked_target_main, NULL), 0);
}

/* A cancelled joiner leaves its target: the target's end later writes no
 * result for it, and the target can be joined again. */
static intptr_t sleeps_then_7(void *arg)
{
    (void)arg;
    corio_sleep(20);
    return 7;
}

static intptr_t cancelled_joiner(void *arg)
{
    intptr_t r = -1;
    int rc = corio_join(arg, &r, -1);
    return rc == -ECANCELED && r == -1 ? 1 : -2;
}

static intptr_t cancel_fast_joiner_main(void *arg)
{
    (void)arg;
    corio_task *c, *j;
    intptr_t r = 0;
    cr_assert_eq(corio_spawn(NULL, sleeps_then_7, NULL, &c), 0);
    cr_assert_eq(corio_spawn(NULL, cancelled_joiner, c, &j), 0);
    corio_yield(); /* c sleeps, j parks on it */
    corio_task_cancel(j);
    cr_assert_eq(corio_join(j, &r, -1), 0);
    cr_assert_eq(r, 1);
    cr_assert_eq(corio_join(c, &r, -1), 0);
    cr_assert_eq(r, 7);
    corio_task_release(j);
    corio_task_release(c);
    return 0;
}

Test(task, a_cancelled_joiner_leaves_its_target, .timeout = 10)
{
    cr_assert_eq(corio_run(cancel_fast_joiner_main, NULL), 0);
}

/* While one task spawns and joins in a loop, a ready sibling keeps getting
 * turns (the hand-offs never skip the run queue) and a due timer fires. */
static long sibling_turns;
static int sibling_stop;

static intptr_t yields_until_stopped(void *arg)
{
    (void)arg;
    while (!sibling_stop) {
        sibling_turns++;
        corio_yield();
    }
    return 0;
}

static intptr_t chain_with_sibling_main(void *arg)
{
    (void)arg;
    corio_task *s;
    cr_assert_eq(corio_spawn(NULL, yields_until_stopped, NULL, &s), 0);
    cr_assert_eq(corio_call_later(0, note_timer, NULL, NULL), 0);
    long i;
    for (i = 0; i < 1000; i++) {
        corio_task *t;
        intptr_t r;
        cr_assert_eq(corio_spawn(NULL, returns_arg, (void *)i, &t), 0);
        cr_assert_eq(corio_join(t, &r, -1), 0);
        cr_assert_eq(r, i);
        corio_task_release(t);
    }
    cr_assert(timer_fired, "a due timer waited for 1000 spawn+join turns");
    cr_assert_geq(sibling_turns, i, "a ready sibling had %ld turns in %ld spawn+joins",
                  sibling_turns, i);
    sibling_stop = 1;
    corio_join(s, NULL, -1);
    corio_task_release(s);
    return 0;
}

Test(task, a_spawn_join_chain_leaves_turns_to_a_ready_sibling, .timeout = 10)
{
    timer_fired = 0;
    sibling_turns = 0;
    sibling_stop = 0;
    cr_assert_eq(corio_run(chain_with_sibling_main, NULL), 0);
}
