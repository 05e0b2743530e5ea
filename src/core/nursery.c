/* The minimal nursery: children are tracked, the owner waits for them all and
 * hears about the first failure. */
#include <errno.h>
#include <stdlib.h>

#include <corio/nursery.h>

#include "sched.h"

int corio_nursery_open(corio_nursery **out)
{
    corio__loop *l = corio__loop_get();
    CORIO__MISUSE_IF(!l || !l->current, "called outside a task");
    corio_nursery *n = malloc(sizeof *n);
    if (!n)
        return -ENOMEM;
    corio__scope_init(&n->scope, l->current->scope, l->current, false, true);
    corio__nursery_init(n, l->current, false);
    l->current->scope = &n->scope;
    *out = n;
    return 0;
}

intptr_t corio_nursery_close(corio_nursery *n)
{
    corio__loop *l = corio__loop_get();
    CORIO__MISUSE_IF(!n, "the nursery is NULL");
    CORIO__MISUSE_IF(!l || l->current != n->owner,
                     "only the task that opened a nursery may close it");
    CORIO__MISUSE_IF(!n->implicit && n->owner->scope != &n->scope,
                     "a scope or nursery opened after this one is still open");
    /* Not a checkpoint: whatever happens, the owner waits for the children
     * (cancellation reaches them through the nursery's scope). */
    while (n->running > 0) {
        n->waiting = true;
        corio__park_uncancellable(l, "nursery (%lld children left)", (int64_t)n->running);
    }
    /* Every child has ended; those still here have a handle, which stays
     * valid until corio_task_release (like an unjoined pthread, an unreleased
     * handle keeps its task's memory until the loop ends). A failure no join
     * delivered is not lost: close reports it. */
    while (!corio__list_empty(&n->children)) {
        corio_task *t = corio__container_of(n->children.next, corio_task, sibling);
        if (corio__task_failed(t) && !t->joined && n->first_error == 0)
            n->first_error = t->result;
        corio__list_unlink(&t->sibling);
        t->parent = NULL;
    }
    intptr_t err = n->first_error;
    if (!n->implicit) {
        n->owner->scope = n->scope.parent;
        corio__scope_fini(l, &n->scope);
        free(n);
    }
    return err;
}
