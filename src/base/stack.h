/* Task stacks: mmap'd, recycled through per-size pools.
 *
 * vm.max_map_count (65530 by default) caps the memory maps of a process, and
 * a stack with a PROT_NONE guard page costs two. So the first guard_budget
 * live stacks get a guard page (an overflow faults at once and the SIGSEGV
 * handler names the task), and later ones are carved, without guard pages,
 * from slabs of many stacks sharing one map; those carry a canary in their
 * lowest bytes that is checked every time the task switches out. */
#ifndef CORIO_CORE_STACK_H
#define CORIO_CORE_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sanitizer.h"

enum {
    CORIO__STACK_GUARDED = 1u << 0, /* own mapping, guard page below lo */
    CORIO__STACK_SLAB = 1u << 1,    /* carved from a slab, canary at lo */
};

typedef struct corio__stack {
    char *lo;    /* lowest usable byte */
    size_t size; /* usable bytes from lo */
    unsigned flags;
    unsigned vg_id; /* valgrind's stack id, 0 when not under valgrind */
} corio__stack;

/* The stacks of one size. Idle stacks are listed outside themselves, so a
 * trimmed one keeps no page resident: in one array of cap entries, those
 * with their pages at [0, nfree) (the last put first out), the trimmed ones
 * at [cap - ntrimmed, cap). cap is kept >= made, so a put never allocates. */
typedef struct corio__stack_pool {
    size_t size;
    corio__stack *idle;
    size_t nfree, ntrimmed, cap;
    size_t made;     /* stacks of this pool that exist, idle or in use */
    char *slab_next; /* uncarved part of the newest slab */
    size_t slab_left;
} corio__stack_pool;

typedef struct corio__stacks {
    /* The stack put last, kept apart from its pool (lo NULL: none): a spawn
     * that follows a task's end takes it back without indexing the pools.
     * Put in its pool before the pools are trimmed or destroyed. */
    corio__stack spare;
    corio__stack_pool *pools; /* one per distinct stack size in use */
    size_t npools;
    size_t last;  /* index of the pool used last */
    void **slabs; /* every slab mapping, unmapped at loop end */
    size_t *slab_len;
    size_t nslabs, slabs_cap;
    long guard_budget;
    long guarded; /* live guarded stacks, pooled or in use */
    size_t pool_max;
    size_t page;
    size_t min; /* smaller requests are raised to it */
} corio__stacks;

#define CORIO__CANARY       UINT64_C(0xC0510C0FFEE5CA1E)
#define CORIO__CANARY_WORDS 4

/* The smallest stack this CPU allows a task that uses `own` bytes itself:
 * room for a signal frame on top of a lazy-binding trampoline, both sized
 * by the CPU's vector state; whole pages, never below CORIO_STACK_MIN.
 * Computed once per process. */
size_t corio__stack_min(size_t own);

int corio__stacks_init(corio__stacks *s, long guard_budget, size_t pool_max, size_t min);
void corio__stacks_destroy(corio__stacks *s);

/* Raises size to the minimum and rounds it up to whole pages; 0 when it is
 * over CORIO_STACK_MAX. */
size_t corio__stack_round(const corio__stacks *s, size_t size);

static inline void corio__stack_write_canary(const corio__stack *st)
{
    if (st->flags & CORIO__STACK_SLAB) {
        uint64_t *c = (uint64_t *)st->lo;
        for (int i = 0; i < CORIO__CANARY_WORDS; i++)
            c[i] = CORIO__CANARY;
    }
}

int corio__stack_get_slow(corio__stacks *s, size_t size, corio__stack *out);
void corio__stack_put_slow(corio__stacks *s, const corio__stack *st);

/* corio__stack_get's common case, one array pop from the pool used last,
 * which calls nothing; false when it does not apply. */
static inline bool corio__stack_get_pooled(corio__stacks *s, size_t size, corio__stack *out)
{
    if (s->spare.lo && s->spare.size == size) {
        *out = s->spare;
        s->spare.lo = NULL;
        corio__stack_write_canary(out);
        return true;
    }
    if (s->last < s->npools) {
        corio__stack_pool *p = &s->pools[s->last];
        if (p->size == size && p->nfree) {
            *out = p->idle[--p->nfree];
            corio__stack_write_canary(out);
            return true;
        }
    }
    return false;
}

/* Gets a stack of exactly `size` (already rounded) bytes. -ENOMEM when the
 * kernel has no memory or maps left. */
static inline int corio__stack_get(corio__stacks *s, size_t size, corio__stack *out)
{
    return corio__stack_get_pooled(s, size, out) ? 0 : corio__stack_get_slow(s, size, out);
}

/* Returns a stack to its pool, at once reusable. */
static inline void corio__stack_put(corio__stacks *s, const corio__stack *st)
{
    /* A stack's last frames stay poisoned when its task switches away for
     * good; the next task on it must start clean. */
    if (!s->spare.lo) {
        CORIO__UNPOISON(st->lo, st->size);
        s->spare = *st;
        return;
    }
    if (s->last < s->npools && s->pools[s->last].size == st->size) {
        corio__stack_pool *p = &s->pools[s->last];
        CORIO__UNPOISON(st->lo, st->size);
        p->idle[p->nfree++] = *st;
        return;
    }
    corio__stack_put_slow(s, st);
}

/* Gives the memory of idle stacks beyond the pool size back to the kernel.
 * One system call per stack, so the loop calls it when it is about to block,
 * not on the path of a task ending. */
void corio__stacks_trim(corio__stacks *s);

static inline bool corio__stack_canary_ok(const corio__stack *st)
{
    const uint64_t *c = (const uint64_t *)st->lo;
    if (!(st->flags & CORIO__STACK_SLAB))
        return true;
    return c[0] == CORIO__CANARY && c[CORIO__CANARY_WORDS - 1] == CORIO__CANARY;
}

#endif
