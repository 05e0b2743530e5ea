/* A growable first-in first-out queue of fixed-size elements, kept in one
 * array used circularly: a listener's accepted descriptors, a receive's
 * filled buffers. Empty, it holds no memory until its first push. */
#ifndef CORIO_BASE_RING_H
#define CORIO_BASE_RING_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct corio__ring {
    char *v;
    unsigned head, n, cap; /* cap 0 or a power of two */
} corio__ring;

/* The i-th element from the front (i < n), of size bytes. */
static inline void *corio__ring_at(const corio__ring *r, unsigned i, size_t size)
{
    return r->v + (size_t)((r->head + i) & (r->cap - 1)) * size;
}

/* Appends a copy of elem, growing to twice the room (first: first_cap, a
 * power of two). 0 or -ENOMEM. */
static inline int corio__ring_push(corio__ring *r, const void *elem, size_t size,
                                   unsigned first_cap)
{
    if (r->n == r->cap) {
        unsigned cap = r->cap ? r->cap * 2 : first_cap;
        char *v = malloc((size_t)cap * size);
        if (!v)
            return -ENOMEM;
        /* In order from the front: at most two runs of the old array. */
        unsigned run = r->cap - r->head < r->n ? r->cap - r->head : r->n;
        if (r->n) {
            memcpy(v, r->v + (size_t)r->head * size, (size_t)run * size);
            memcpy(v + (size_t)run * size, r->v, (size_t)(r->n - run) * size);
        }
        free(r->v);
        r->v = v;
        r->head = 0;
        r->cap = cap;
    }
    memcpy(corio__ring_at(r, r->n++, size), elem, size);
    return 0;
}

/* Drops the front element (n > 0). */
static inline void corio__ring_pop(corio__ring *r)
{
    r->head = (r->head + 1) & (r->cap - 1);
    r->n--;
}

/* Frees the array; the elements are the caller's to release first. */
static inline void corio__ring_free(corio__ring *r)
{
    free(r->v);
    *r = (corio__ring){0};
}

#endif
