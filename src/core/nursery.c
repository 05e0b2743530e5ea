/* The minimal nursery: children are tracked, the owner waits for them all and
 * hears about the first failure. */
#include <errno.h>
#include <stdlib.h>

#include <corio/nursery.h>

#include "sched.h"

void corio__nursery_init(corio_nursery *n, corio_task *owner, bool implicit)
{
    n->owner = owner;
    corio__list_init(&n->children);
    n->running = 0;
    n->first_error = 0;
    n->waiting = false;
    n->implicit = implicit;
}

void corio__nursery_child_done(corio__loop *l, corio_nursery *n, corio_task *t)
{
    n->running--;
    if (t->result < 0 && n->first_error == 0)
        n->first_error = t->result;
    if (!t->has_handle)
        corio__list_unlink(&t->sibling);
    if (n->running == 0 && n->waiting) {
        n->waiting = false;
        corio__wake(l, n->owner, 0);
    }
}

int corio_nursery_open(corio_nursery **out)
{
    corio__loop *l = corio__loop_get();
    if (!out)
        return -EINVAL;
    if (!l || !l->current)
        return -EPERM;
    corio_nursery *n = malloc(sizeof *n);
    if (!n)
        return -ENOMEM;
    corio__nursery_init(n, l->current, false);
    l->current->open_nurseries++;
    *out = n;
    return 0;
}

intptr_t corio_nursery_close(corio_nursery *n)
{
    corio__loop *l = corio__loop_get();
    if (!n)
        return -EINVAL;
    if (!l || l->current != n->owner)
        return -EPERM;
    while (n->running > 0) {
        n->waiting = true;
        corio__park(l, "nursery (%lld children left)", (int64_t)n->running);
    }
    /* Every child has ended; drop the handles nobody released. */
    while (!corio__list_empty(&n->children)) {
        corio_task *t = corio__container_of(n->children.next, corio_task, sibling);
        corio__task_free(l, t);
    }
    intptr_t err = n->first_error;
    if (!n->implicit) {
        n->owner->open_nurseries--;
        free(n);
    } else {
        n->first_error = 0;
    }
    return err;
}
