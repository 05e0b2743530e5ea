/* Cancel scopes: the tree, cancelling, checkpoints and the public API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <corio/time.h>

#include "sched.h"

_Static_assert(sizeof(corio__scope) <= sizeof(corio_scope), "corio_scope storage too small");
_Static_assert(_Alignof(corio__scope) <= _Alignof(corio_scope), "corio_scope alignment");

void corio__scope_fini_slow(corio__loop *l, corio__scope *s)
{
    if (s->timer.index != SIZE_MAX)
        corio__timer_remove(&l->timers, &s->timer);
    if (s->cancelled)
        l->ncancelled--;
    s->cancelled = 0;
    corio__list_unlink(&s->sibling);
}

int corio__cancelled_slow(const corio_task *t)
{
    for (const corio__scope *s = t->scope; s; s = s->parent) {
        if (s->cancelled)
            return s->cancelled;
        if (s->shield)
            break;
    }
    return 0;
}

/* Wakes the tasks parked directly in s or in scopes below it, except below a
 * shield. A task is "directly in" the scope that is its innermost one. */
static void wake_below(corio__loop *l, corio__scope *s, int code)
{
    corio_task *t = s->owner;
    if (t && t->scope == s && t->state == CORIO__WAITING && t->cancellable) {
        if (t->cancel_hook)
            t->cancel_hook(t);
        corio__wake(l, t, code);
    }
    for (corio__list_node *n = s->children.next; n != &s->children; n = n->next) {
        corio__scope *c = corio__container_of(n, corio__scope, sibling);
        if (!c->shield && !c->cancelled)
            wake_below(l, c, code);
    }
    if (!s->nursery)
        return;
    /* The child tasks' root scopes (never shields), in no list of s's. */
    corio_nursery *nu = corio__container_of(s, corio_nursery, scope);
    for (corio__list_node *n = nu->children.next; n != &nu->children; n = n->next) {
        corio_task *c = corio__container_of(n, corio_task, sibling);
        if (c->state != CORIO__DONE && !c->implicit.scope.cancelled)
            wake_below(l, &c->implicit.scope, code);
    }
}

void corio__scope_cancel(corio__loop *l, corio__scope *s, int code)
{
    if (s->cancelled)
        return;
    s->cancelled = code;
    l->ncancelled++;
    /* Below a scope that was already cancelled everyone has been woken. */
    for (corio__scope *p = s->parent; p && !s->shield; p = p->parent) {
        if (p->cancelled)
            return;
        if (p->shield)
            break;
    }
    wake_below(l, s, code);
}

static void deadline_fired(corio__timer *timer)
{
    corio__scope *s = corio__container_of(timer, corio__scope, timer);
    corio__scope_cancel(s->owner->loop, s, -ETIMEDOUT);
}

int corio_scope_enter(corio_scope *storage, int64_t deadline_ms, unsigned flags)
{
    corio__loop *l = corio__loop_get();
    corio__scope *s = (corio__scope *)storage;
    CORIO__MISUSE_IF(!storage, "the scope is NULL");
    CORIO__MISUSE_IF(!l || !l->current, "called outside a task");
    corio_task *t = l->current;
    corio__scope_init(s, t->scope, t, flags & CORIO_SCOPE_SHIELD, false);
    if (deadline_ms >= 0) {
        s->timer.fire = deadline_fired;
        if (corio__timer_add(&l->timers, &s->timer, corio__deadline_ns(deadline_ms)) < 0) {
            corio__list_unlink(&s->sibling);
            return -ENOMEM;
        }
    }
    t->scope = s;
    return 0;
}

int corio_scope_enter_timeout(corio_scope *s, int64_t ms, unsigned flags)
{
    if (ms < 0)
        return -EINVAL;
    int64_t now = corio_now();
    return corio_scope_enter(s, ms > INT64_MAX - now ? -1 : now + ms, flags);
}

int corio_scope_exit(corio_scope *storage)
{
    corio__loop *l = corio__loop_get();
    corio__scope *s = (corio__scope *)storage;
    CORIO__MISUSE_IF(!l || !l->current, "called outside a task");
    CORIO__MISUSE_IF(!s || l->current->scope != s,
                     "not the calling task's innermost scope (scopes close in reverse order)");
    CORIO__MISUSE_IF(!corio__list_empty(&s->children),
                     "a nursery or scope opened inside is still open");
    int rc = s->cancelled;
    l->current->scope = s->parent;
    corio__scope_fini(l, s);
    return rc;
}

void corio_scope_cancel(corio_scope *storage)
{
    corio__loop *l = corio__loop_get();
    if (l && storage)
        corio__scope_cancel(l, (corio__scope *)storage, -ECANCELED);
}

void corio_task_cancel(corio_task *t)
{
    corio__loop *l = corio__loop_get();
    if (l && t && t->loop == l && t->state != CORIO__DONE)
        corio__scope_cancel(l, &t->implicit.scope, -ECANCELED);
}

void corio_nursery_cancel(corio_nursery *n)
{
    corio__loop *l = corio__loop_get();
    if (l && n && n->owner->loop == l)
        corio__scope_cancel(l, &n->scope, -ECANCELED);
}

int corio_checkpoint(void)
{
    corio__loop *l = CORIO__TASK_LOOP();
    return corio__cancelled(l, l->current);
}
