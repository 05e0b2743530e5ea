/* Signals as events a task can wait for (signalfd on the loop's poller). */
#ifndef CORIO_SIGNAL_H
#define CORIO_SIGNAL_H

#include <signal.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* sigset_t is POSIX, not ISO C: under -std=c11 with no feature macro the
 * C library declares neither the type nor sigemptyset/sigaddset to fill one,
 * so corio_signal_wait is declared only where POSIX is (any feature macro,
 * or a compiler's default GNU mode, glibc and musl alike);
 * corio_signal_wait_shutdown needs no sigset_t and is always there. */
#if defined(_POSIX_C_SOURCE) || defined(_POSIX_SOURCE) || defined(_XOPEN_SOURCE) ||                \
    defined(_GNU_SOURCE) || defined(_DEFAULT_SOURCE) || defined(_BSD_SOURCE)
/* Waits until one of the signals in set is delivered and returns its
 * number. The signals are blocked in the calling thread while it waits (and
 * unblocked after, so a second Ctrl-C during a slow shutdown still ends the
 * process the usual way); threads started before must block them too for
 * the delivery to be reliable (the pool's threads, started by the loop
 * thread, inherit its mask). Errors: -ETIMEDOUT (deadline: absolute
 * corio_now() ms, -1 none), -ECANCELED. Misuse (aborts): set NULL; outside
 * a task. */
CORIO_API int corio_signal_wait(const sigset_t *set, int64_t deadline);
#endif

/* The tools' graceful shutdown: waits for SIGINT or SIGTERM and then
 * cancels task t; returns the signal number, or 0 if t ended first. The
 * caller still joins t. Errors: -ENOMEM starting the watcher task;
 * -ECANCELED / -ETIMEDOUT the caller was cancelled while waiting (t is left
 * running). Misuse (aborts): t NULL; outside a task. */
CORIO_API int corio_signal_wait_shutdown(corio_task *t);

#ifdef __cplusplus
}
#endif
#endif
