/* gather and wait: one task waiting on many futures through listeners. */
#include <stdlib.h>

#include <corio/future.h>

#include "../core/sched.h"

/* The waiting task, woken by the first future to finish after it parks. */
typedef struct waiter {
    corio_task *task;
    corio__loop *loop;
} waiter;

static void on_done(corio__listener *ls)
{
    waiter *w = ls->data;
    corio_task *t = w->task;
    if (t->state == CORIO__WAITING && t->wait_data == w)
        corio__wake(w->loop, t, 0);
}

/* Parks until one of the pending futures finishes, the deadline passes or
 * the caller is cancelled. ls has room for n listeners. */
static int wait_change(corio__loop *l, corio_future *const *fs, size_t n, corio__listener *ls,
                       int64_t deadline_ns)
{
    waiter w = {l->current, l};
    for (size_t i = 0; i < n; i++) {
        corio__list_init(&ls[i].node);
        if (!fs[i]->done) {
            ls[i].fn = on_done;
            ls[i].data = &w;
            corio__list_push(&fs[i]->listeners, &ls[i].node);
        }
    }
    l->current->wait_data = &w;
    int rc = corio__park(l, "gather/wait", (int64_t)n, deadline_ns, NULL);
    l->current->wait_data = NULL;
    for (size_t i = 0; i < n; i++)
        corio__list_unlink(&ls[i].node);
    return rc;
}

/* Small sets use the stack, big ones the heap. */
#define LOCAL_LISTENERS 16

/* What gather and wait first do: check the call (func names it in misuse
 * messages) and find room for n listeners in *lsp, local for a small set
 * (anything else is to be freed). */
static int begin(const char *func, corio__loop **lp, corio_future *const *fs, size_t n,
                 corio__listener *local, corio__listener **lsp)
{
    corio__loop *l = corio__task_loop_or_die(func);
    if (n && !fs)
        corio__misuse(func, "fs is NULL");
    for (size_t i = 0; i < n; i++) {
        if (!fs[i])
            corio__misuse(func, "a future is NULL");
        if (fs[i]->loop != l)
            corio__misuse(func, "a future of another loop");
        if (fs[i]->task == l->current)
            return -EDEADLK;
    }
    *lp = l;
    *lsp = n <= LOCAL_LISTENERS ? local : malloc(n * sizeof(corio__listener));
    return *lsp ? 0 : -ENOMEM;
}

/* Cancels what is still pending; waits (shielded) for cancelled tasks so
 * their outcomes are final when gather returns. */
static void cancel_rest(corio__loop *l, corio_future *const *fs, size_t n, corio__listener *ls)
{
    bool tasks = false;
    for (size_t i = 0; i < n; i++) {
        if (!fs[i]->done) {
            corio_future_cancel(fs[i]);
            tasks |= fs[i]->task != NULL;
        }
    }
    if (!tasks)
        return;
    corio_scope shield;
    if (corio_scope_enter(&shield, -1, CORIO_SCOPE_SHIELD) < 0)
        return;
    for (;;) {
        size_t pending = 0;
        for (size_t i = 0; i < n; i++)
            pending += !fs[i]->done;
        if (!pending || wait_change(l, fs, n, ls, -1) < 0)
            break;
    }
    corio_scope_exit(&shield);
}

int corio_gather(corio_future *const *fs, size_t n, intptr_t *results, unsigned flags,
                 int64_t deadline)
{
    corio__loop *l;
    corio__listener local[LOCAL_LISTENERS], *ls;
    int rc = begin(__func__, &l, fs, n, local, &ls);
    if (rc < 0)
        return rc;
    intptr_t first_error = 0;
    for (;;) {
        size_t done = 0;
        for (size_t i = 0; i < n; i++) {
            if (!fs[i]->done)
                continue;
            done++;
            if (fs[i]->result < 0 && !first_error)
                first_error = fs[i]->result;
        }
        if (done == n || (first_error && !(flags & CORIO_GATHER_COLLECT_ALL)))
            break;
        rc = corio__wait_rc(wait_change(l, fs, n, ls, corio__deadline_ns(deadline)));
        if (rc < 0) { /* the caller was cancelled or its deadline passed: so is what it gathered */
            cancel_rest(l, fs, n, ls);
            first_error = rc;
            break;
        }
    }
    if (first_error && !(flags & CORIO_GATHER_COLLECT_ALL) && rc == 0)
        cancel_rest(l, fs, n, ls);
    if (results)
        for (size_t i = 0; i < n; i++)
            results[i] = fs[i]->done ? fs[i]->result : -ECANCELED;
    for (size_t i = 0; i < n; i++)
        if (fs[i]->task && fs[i]->done)
            fs[i]->task->joined = true;
    if (ls != local)
        free(ls);
    if (flags & CORIO_GATHER_COLLECT_ALL)
        return rc < 0 ? rc : 0;
    return (int)first_error;
}

int corio_wait(corio_future *const *fs, size_t n, enum corio_wait_mode mode, int64_t deadline)
{
    corio__loop *l;
    if (mode != CORIO_FIRST_COMPLETED && mode != CORIO_FIRST_ERROR && mode != CORIO_ALL_COMPLETED)
        return -EINVAL;
    corio__listener local[LOCAL_LISTENERS], *ls;
    int rc = begin(__func__, &l, fs, n, local, &ls);
    if (rc < 0)
        return rc;
    size_t done;
    for (;;) {
        bool failed = false;
        done = 0;
        for (size_t i = 0; i < n; i++) {
            done += fs[i]->done;
            failed |= fs[i]->done && fs[i]->result < 0;
        }
        if (done == n || (mode == CORIO_FIRST_COMPLETED && done > 0) ||
            (mode == CORIO_FIRST_ERROR && failed))
            break;
        rc = wait_change(l, fs, n, ls, corio__deadline_ns(deadline));
        if (rc == CORIO__EDEADLINE) {
            rc = 0;
            break; /* the count done so far is the answer */
        }
        if (rc < 0)
            break;
    }
    if (ls != local)
        free(ls);
    return rc < 0 ? rc : (int)done;
}
