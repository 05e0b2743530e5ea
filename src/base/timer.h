/* Timers: a binary min-heap ordered by (deadline, arming order), so timers
 * due at the same time fire in the order they were armed. Insert and remove
 * are O(log n); the earliest deadline is O(1). */
#ifndef CORIO_LOOP_TIMER_H
#define CORIO_LOOP_TIMER_H

#include <stddef.h>
#include <stdint.h>

typedef struct corio__timer corio__timer;
typedef void corio__timer_fn(corio__timer *t);

struct corio__timer {
    int64_t deadline; /* corio_now_ns() time */
    uint64_t seq;
    size_t index; /* position in the heap; SIZE_MAX when not armed */
    corio__timer_fn *fire;
};

typedef struct corio__timers {
    corio__timer **heap;
    size_t n, cap;
    uint64_t seq;
} corio__timers;

void corio__timers_destroy(corio__timers *h);

/* Arms t (which must not be armed) to call t->fire at deadline. -ENOMEM. */
int corio__timer_add(corio__timers *h, corio__timer *t, int64_t deadline);

/* Disarms t if armed. */
void corio__timer_remove(corio__timers *h, corio__timer *t);

/* Earliest armed timer, or NULL. */
static inline corio__timer *corio__timer_first(const corio__timers *h)
{
    return h->n ? h->heap[0] : NULL;
}

/* Disarms and fires, in order, every timer due at or before now. */
void corio__timers_run(corio__timers *h, int64_t now);

#endif
