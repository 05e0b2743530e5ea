/* The clock, sleeping and the timer heap. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <corio/corio.h>

#define SLEEPERS 10000

static int64_t wake_deadline[SLEEPERS];
static int wake_slot[SLEEPERS];
static int nwoke;
static int64_t slept_ms[SLEEPERS];

static intptr_t sleeper(void *arg)
{
    intptr_t i = (intptr_t)arg;
    int64_t start = corio_now_ns();
    int rc = corio_sleep_until_ns(start + slept_ms[i] * 1000000);
    if (rc < 0)
        return rc;
    int64_t now = corio_now_ns();
    if (now < start + slept_ms[i] * 1000000)
        return -EINTR; /* woke early */
    wake_deadline[nwoke] = start + slept_ms[i] * 1000000;
    wake_slot[nwoke++] = (int)i;
    return 0;
}

static intptr_t sleepers_main(void *arg)
{
    (void)arg;
    srand(42);
    for (intptr_t i = 0; i < SLEEPERS; i++) {
        slept_ms[i] = rand() % 300;
        cr_assert_eq(corio_spawn(NULL, sleeper, (void *)i, NULL), 0);
    }
    return 0;
}

Test(time, ten_thousand_sleepers_wake_in_deadline_order, .timeout = 30)
{
    nwoke = 0;
    cr_assert_eq(corio_run(sleepers_main, NULL), 0);
    cr_assert_eq(nwoke, SLEEPERS);
    for (int i = 1; i < SLEEPERS; i++)
        cr_assert_leq(wake_deadline[i - 1], wake_deadline[i],
                      "wake %d (task %d) before %d (task %d)", i - 1, wake_slot[i - 1], i,
                      wake_slot[i]);
}

static int same_order[8], nsame;

static intptr_t same_deadline(void *arg)
{
    int64_t *deadline = arg;
    int me = (int)corio_task_id(corio_current());
    corio_sleep_until_ns(*deadline);
    same_order[nsame++] = me;
    return 0;
}

static intptr_t same_main(void *arg)
{
    (void)arg;
    static int64_t deadline;
    deadline = corio_now_ns() + 20 * 1000000;
    for (int i = 0; i < 8; i++)
        corio_spawn(NULL, same_deadline, &deadline, NULL);
    return 0;
}

Test(time, equal_deadlines_wake_in_sleep_order, .timeout = 10)
{
    nsame = 0;
    cr_assert_eq(corio_run(same_main, NULL), 0);
    cr_assert_eq(nsame, 8);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(same_order[i], i + 2); /* ids 2..9, main is 1 */
}

static intptr_t sleep_args(void *arg)
{
    (void)arg;
    int64_t t0 = corio_now();
    cr_assert_eq(corio_sleep(-1), -EINVAL);
    cr_assert_eq(corio_sleep(0), 0);
    cr_assert_eq(corio_sleep(25), 0);
    cr_assert_geq(corio_now() - t0, 25);
    int64_t ns = corio_now_ns();
    cr_assert_eq(corio_sleep_until_ns(ns - 1000), 0); /* past deadline: returns soon */
    return 0;
}

Test(time, sleep_arguments_and_minimum_duration, .timeout = 10)
{
    cr_assert_eq(corio_run(sleep_args, NULL), 0);
}

Test(time, clock_is_monotonic_in_ms_and_ns)
{
    int64_t a = corio_now_ns(), ms = corio_now(), b = corio_now_ns();
    cr_assert_leq(a, b);
    cr_assert_geq(ms, a / 1000000);
    cr_assert_leq(ms, b / 1000000);
}

static intptr_t idle_sleeper(void *arg)
{
    (void)arg;
    return corio_sleep(300);
}

static intptr_t idle_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        corio_spawn(NULL, idle_sleeper, NULL, NULL);
    return 0;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* While every task sleeps the loop blocks in the poller instead of spinning:
 * 300 ms of sleeping costs far less than 300 ms of CPU. */
Test(time, sleeping_loop_uses_no_cpu, .timeout = 10)
{
    double c0 = cpu_seconds();
    cr_assert_eq(corio_run(idle_main, NULL), 0);
    cr_assert_lt(cpu_seconds() - c0, 0.15);
}
