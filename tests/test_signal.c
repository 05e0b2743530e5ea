/* Signals through corio_signal_wait and the graceful-shutdown helper. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include <corio/corio.h>

#include "child.h"

#include "fdcheck.h"

static intptr_t raiser(void *arg)
{
    corio_sleep(5);
    pthread_kill(pthread_self(), (int)(intptr_t)arg); /* to this thread: blocked, queued */
    return 0;
}

static intptr_t signal_main(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    cr_assert_eq(corio_signal_wait(&set, corio_now() + 5), -ETIMEDOUT);
    corio_spawn(NULL, raiser, (void *)(intptr_t)SIGUSR1, NULL);
    cr_assert_eq(corio_signal_wait(&set, -1), SIGUSR1);
    return 0;
}

static void wait_outside(void)
{
    sigset_t set;
    sigemptyset(&set);
    corio_signal_wait(&set, -1);
}

Test(signal, wait_for_a_signal, .timeout = 10, .init = fd_check_start, .fini = fd_check_end)
{
    assert_misuse(wait_outside, "corio: corio_signal_wait: called outside a task");
    cr_assert_eq(corio_run(signal_main, NULL), 0);
}

static intptr_t forever(void *arg)
{
    (void)arg;
    return corio_sleep(100000);
}

static intptr_t quick(void *arg)
{
    (void)arg;
    return corio_sleep(5);
}

static intptr_t shutdown_main(void *arg)
{
    (void)arg;
    corio_task *t;
    intptr_t r;
    corio_spawn(NULL, forever, NULL, &t);
    corio_spawn(NULL, raiser, (void *)(intptr_t)SIGTERM, NULL);
    cr_assert_eq(corio_signal_wait_shutdown(t), SIGTERM);
    corio_join(t, &r, -1);
    cr_assert_eq(r, -ECANCELED, "SIGTERM cancelled it");

    corio_spawn(NULL, quick, NULL, &t);
    cr_assert_eq(corio_signal_wait_shutdown(t), 0, "it ended first");
    corio_join(t, &r, -1);
    cr_assert_eq(r, 0);
    return 0;
}

Test(signal, graceful_shutdown, .timeout = 10, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(shutdown_main, NULL), 0);
}
