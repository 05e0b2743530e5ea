/* Intrusive circular doubly-linked list: O(1) insert and unlink. */
#ifndef CORIO_CORE_LIST_H
#define CORIO_CORE_LIST_H

#include <stddef.h>

typedef struct corio__list_node {
    struct corio__list_node *prev, *next;
} corio__list_node;

typedef corio__list_node corio__list;

#define corio__container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void corio__list_init(corio__list *l)
{
    l->prev = l->next = l;
}

static inline int corio__list_empty(const corio__list *l)
{
    return l->next == l;
}

static inline void corio__list_push(corio__list *l, corio__list_node *n)
{
    n->prev = l->prev;
    n->next = l;
    l->prev->next = n;
    l->prev = n;
}

/* Takes n out of its list; n is left linked to nothing, which may be
 * unlinked again. */
static inline void corio__list_unlink(corio__list_node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

/* Takes n out of its list for good (its memory is about to go), without
 * leaving it linked to itself. */
static inline void corio__list_remove(corio__list_node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
}

#endif
