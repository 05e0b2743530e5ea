/* asyncio's low-level loop API: callbacks run by the loop itself, between
 * the rounds in which it runs tasks — call_soon, call_later and, from any
 * thread, call_soon_threadsafe.
 *
 * Callbacks run on the loop's thread, on its own stack (not a task's), in the
 * order they were scheduled (call_later ones in deadline order). A callback
 * must not block: corio_sleep and the other waits abort there (misuse); it may
 * spawn tasks into the root task's nursery with corio_spawn(NULL, ...),
 * set events and futures, and schedule more callbacks. The loop ends when its
 * tasks have: callbacks still pending then are dropped (as when asyncio.run
 * closes its loop). */
#ifndef CORIO_LOOP_H
#define CORIO_LOOP_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_loop corio_loop;
typedef struct corio_handle corio_handle;
typedef void corio_callback(void *arg);

/* The calling thread's running loop, or NULL. */
CORIO_API corio_loop *corio_loop_current(void);

/* The name of the readiness poller the calling thread's loop runs on:
 * "epoll" or "io_uring" (see corio_config.backend in run.h), or NULL outside
 * a loop. A static string. */
CORIO_API const char *corio_loop_backend(void);

/* Runs cb(arg) soon, after the tasks runnable now. Errors: -ENOMEM. Misuse
 * (aborts): not on a loop's thread; cb NULL. */
CORIO_API int corio_call_soon(corio_callback *cb, void *arg);

/* Runs cb(arg) once ms milliseconds have passed. With handle non-NULL, the
 * caller gets a handle to cancel it and must give it back with
 * corio_handle_cancel() exactly once, whether or not the callback ran.
 * Errors: -EINVAL ms < 0; -ENOMEM. Misuse (aborts): not on a loop's thread;
 * cb NULL. */
CORIO_API int corio_call_later(int64_t ms, corio_callback *cb, void *arg, corio_handle **handle);

/* Cancels the callback if it has not run, and frees the handle. Returns 0
 * if it was cancelled, -EALREADY if it had run already. Misuse (aborts): h
 * NULL. */
CORIO_API int corio_handle_cancel(corio_handle *h);

/* From any thread: runs cb(arg) on loop's thread soon, waking the loop if it
 * is blocked. The loop must still be running (keep a task of it waiting for
 * the outcome, as corio_to_thread does). Errors: -ENOMEM. Misuse (aborts):
 * loop or cb NULL. */
CORIO_API int corio_call_soon_threadsafe(corio_loop *loop, corio_callback *cb, void *arg);

#ifdef __cplusplus
}
#endif
#endif
