/* Cancellation and deadlines, trio-style.
 *
 * A cancel scope is a region of a task's code. Cancelling it — explicitly, or
 * because its deadline passed — makes every blocking call inside it (and inside
 * the tasks of nurseries opened in it) fail at once and keep failing until the
 * scope is left: -ECANCELED, or -ETIMEDOUT when the scope's deadline did it.
 * Code inside returns that error upwards as usual; corio_scope_exit() then
 * tells whether the scope was cancelled, which gives both of trio's forms:
 *
 *     corio_scope s;                         // fail_after(0.5)
 *     corio_scope_enter_timeout(&s, 500, 0);
 *     rc = fetch(url);                       // -ETIMEDOUT if 500 ms pass
 *     if (corio_scope_exit(&s) < 0)          // the deadline fired
 *         puts("too slow");
 *
 * move_on_after is the same with the result of corio_scope_exit ignored.
 * Scopes nest (an inner deadline can only shorten what the outer allows) and
 * must be left in the reverse order they were entered, in the same task.
 * A shielded scope keeps cancellation of the scopes around it out of its body.
 *
 * Deadlines are absolute times in corio_now() milliseconds; -1 means none
 * (the calling rule is in common.h). */
#ifndef CORIO_CANCEL_H
#define CORIO_CANCEL_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Caller-allocated (usually on the task's stack); opaque. */
typedef struct corio_scope {
    uint64_t opaque_[16];
} corio_scope;

enum {
    CORIO_SCOPE_SHIELD = 1u << 0, /* cancellation from outside does not reach in */
};

/* Enters a scope in the calling task, with an absolute deadline (-1: none).
 * Errors: -ENOMEM no memory for the deadline timer. Misuse (aborts): s NULL;
 * outside a task. */
CORIO_API int corio_scope_enter(corio_scope *s, int64_t deadline_ms, unsigned flags);

/* Enters a scope whose deadline is ms milliseconds from now. Errors:
 * -EINVAL ms < 0; as corio_scope_enter. */
CORIO_API int corio_scope_enter_timeout(corio_scope *s, int64_t ms, unsigned flags);

/* Leaves the innermost scope of the calling task. Returns 0 if it was not
 * cancelled, -ETIMEDOUT if its own deadline cancelled it, -ECANCELED if
 * corio_scope_cancel() did. Misuse (aborts): s is not the calling task's
 * innermost scope (scopes and nurseries must be closed in reverse order);
 * outside a task. */
CORIO_API int corio_scope_exit(corio_scope *s);

/* Cancels s: tasks parked inside it wake at once with -ECANCELED. Any task of
 * the same loop may call it; idempotent. */
CORIO_API void corio_scope_cancel(corio_scope *s);

/* Cancels task t (its body and its implicit nursery). Its blocking calls fail
 * with -ECANCELED; what it returns then is its result. No-op once t is done. */
CORIO_API void corio_task_cancel(corio_task *t);

/* Cancels every task in n, and the owner's code between open and close. */
CORIO_API void corio_nursery_cancel(corio_nursery *n);

/* A checkpoint that does not block: -ECANCELED / -ETIMEDOUT if the calling
 * task's scopes are cancelled, else 0. */
CORIO_API int corio_checkpoint(void);

#ifdef __cplusplus
}
#endif
#endif
