#include "timer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

static bool before(const corio__timer *a, const corio__timer *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void place(corio__timers *h, size_t i, corio__timer *t)
{
    h->heap[i] = t;
    t->index = i;
}

static void sift_up(corio__timers *h, size_t i, corio__timer *t)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(t, h->heap[parent]))
            break;
        place(h, i, h->heap[parent]);
        i = parent;
    }
    place(h, i, t);
}

static void sift_down(corio__timers *h, size_t i, corio__timer *t)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && before(h->heap[c + 1], h->heap[c]))
            c++;
        if (!before(h->heap[c], t))
            break;
        place(h, i, h->heap[c]);
        i = c;
    }
    place(h, i, t);
}

int corio__timer_add(corio__timers *h, corio__timer *t, int64_t deadline)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        corio__timer **heap = realloc(h->heap, cap * sizeof *heap);
        if (!heap)
            return -ENOMEM;
        h->heap = heap;
        h->cap = cap;
    }
    t->deadline = deadline;
    t->seq = h->seq++;
    sift_up(h, h->n++, t);
    return 0;
}

void corio__timer_remove(corio__timers *h, corio__timer *t)
{
    size_t i = t->index;
    if (i == SIZE_MAX)
        return;
    t->index = SIZE_MAX;
    corio__timer *last = h->heap[--h->n];
    if (last == t)
        return;
    if (i > 0 && before(last, h->heap[(i - 1) / 2]))
        sift_up(h, i, last);
    else
        sift_down(h, i, last);
}

void corio__timers_run(corio__timers *h, int64_t now)
{
    corio__timer *t;
    while ((t = corio__timer_first(h)) && t->deadline <= now) {
        corio__timer_remove(h, t);
        t->fire(t);
    }
}

void corio__timers_destroy(corio__timers *h)
{
    free(h->heap);
    h->heap = NULL;
    h->n = h->cap = 0;
}
