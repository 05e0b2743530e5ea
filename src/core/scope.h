/* Internal: cancel scopes (scope.c), the tree that cancellation travels down. */
#ifndef CORIO_CORE_SCOPE_H
#define CORIO_CORE_SCOPE_H

#include <stdbool.h>

#include <corio/common.h>

#include "../base/list.h"
#include "../base/timer.h"

typedef struct corio_loop corio__loop; /* the public corio_loop */

/* A cancel scope (the public corio_scope is storage for one). Scopes form a
 * tree over tasks: a task's scopes nest; a nursery's scope sits inside the
 * scope where it was opened; a child task's root scope (its implicit
 * nursery's) sits inside its nursery's. Cancelling a scope reaches everything
 * below it except through shields.
 *
 * The links down the tree are children lists, except the last one into a
 * child task: a nursery's scope reaches its children's root scopes through
 * the nursery's list of child tasks, which every spawn keeps anyway, so a
 * root scope is in no list (corio__scope_init_root). */
typedef struct corio__scope corio__scope;
struct corio__scope {
    /* What a task's root scope uses first, in 40 bytes. */
    corio__scope *parent;
    corio__list children; /* the scopes opened directly inside, by the same task */
    corio_task *owner;    /* whose code runs directly inside */
    int cancelled;        /* 0, -ECANCELED or -ETIMEDOUT */
    bool shield;
    bool nursery;             /* a corio_nursery's: its child tasks are below it too */
    corio__list_node sibling; /* in parent->children; unused in a task's root scope */
    corio__timer timer;       /* the deadline, when there is one; never in a root scope */
};

/* Sets up s below parent, in no list, without a deadline to disarm: a task's
 * root scope, which is never finished (corio__scope_fini) either. Inline:
 * part of every spawn. */
static inline void corio__scope_init_root(corio__scope *s, corio__scope *parent, corio_task *owner,
                                          bool shield, bool nursery)
{
    s->parent = parent;
    corio__list_init(&s->children);
    s->owner = owner;
    s->cancelled = 0;
    s->shield = shield;
    s->nursery = nursery;
}

/* Sets up s as parent's child (a scope or nursery opened by its owner). */
static inline void corio__scope_init(corio__scope *s, corio__scope *parent, corio_task *owner,
                                     bool shield, bool nursery)
{
    corio__scope_init_root(s, parent, owner, shield, nursery);
    s->timer.index = SIZE_MAX;
    corio__list_push(&parent->children, &s->sibling);
}
void corio__scope_fini_slow(corio__loop *l, corio__scope *s);
/* Unlinks a scope from the tree; it must have no children left. Inline: part
 * of every task's end. */
static inline void corio__scope_fini(corio__loop *l, corio__scope *s)
{
    if (s->timer.index != SIZE_MAX || s->cancelled)
        corio__scope_fini_slow(l, s); /* a deadline to disarm or a count to drop */
    else
        corio__list_unlink(&s->sibling);
}
/* Cancels s with code and wakes every cancellable task parked below it. */
void corio__scope_cancel(corio__loop *l, corio__scope *s, int code);

#endif
