/* Task stacks: see stack.h for the guard-page budget and slab layout. */
#include "stack.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <corio/run.h>

#include "sanitizer.h"

/* Slabs aim at this many bytes, within [SLAB_MIN, SLAB_MAX] stacks each: big
 * enough that a million small stacks need few maps, small enough that a
 * handful of tasks does not reserve much address space. */
#define SLAB_BYTES (4u << 20)
#define SLAB_MIN   8u
#define SLAB_MAX   1024u

/* An idle stack keeps its pool link in its own top bytes. */
typedef struct free_node {
    struct free_node *next;
    corio__stack st;
} free_node;

struct corio__stack_pool {
    size_t size;
    free_node *free; /* idle stacks with their pages still resident */
    size_t nfree;
    free_node *trimmed; /* idle slab stacks whose pages went back to the kernel */
    char *slab_next;    /* uncarved part of the newest slab */
    size_t slab_left;
};

static long default_guard_budget(void)
{
    long maps = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
    if (f) {
        if (fscanf(f, "%ld", &maps) != 1 || maps <= 0)
            maps = 65530;
        fclose(f);
    }
    return maps / 4;
}

/* The kernel's signal frame: the CPU's whole vector state plus the
 * siginfo and ucontext records (3.3 KiB with AVX-512, more with AMX or a
 * long SVE vector). */
static size_t signal_frame_bytes(void)
{
    unsigned long aux = getauxval(AT_MINSIGSTKSZ);
    if (aux)
        return aux;
    long sc = sysconf(_SC_MINSIGSTKSZ);
    return sc > 0 ? (size_t)sc : 2048; /* the old constant MINSIGSTKSZ */
}

/* What the dynamic linker's lazy-binding trampoline saves on the caller's
 * stack (_dl_runtime_resolve_xsave*: the enabled XSAVE area). Elsewhere the
 * signal frame, which holds the same registers, is the estimate. */
static size_t lazy_binding_bytes(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) >= 0xd) {
        __cpuid_count(0xd, 0, a, b, c, d);
        if (b)
            return b + 512; /* the trampoline's own frame and alignment */
    }
#endif
    return signal_frame_bytes();
}

size_t corio__stack_min(size_t own)
{
    static size_t cached; /* the same figure for every thread: a benign race */
    size_t min = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (min)
        return min;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    /* A task may take a signal in the middle of a lazily bound first call. */
    min = own + lazy_binding_bytes() + signal_frame_bytes();
    min = (min + page - 1) & ~(page - 1);
    if (min < CORIO_STACK_MIN)
        min = CORIO_STACK_MIN;
    __atomic_store_n(&cached, min, __ATOMIC_RELAXED);
    return min;
}

int corio__stacks_init(corio__stacks *s, long guard_budget, size_t pool_max, size_t min)
{
    memset(s, 0, sizeof *s);
    s->page = (size_t)sysconf(_SC_PAGESIZE);
    s->min = min;
    s->guard_budget = guard_budget == 0  ? default_guard_budget()
                      : guard_budget < 0 ? 0
                                         : guard_budget;
    s->pool_max = pool_max ? pool_max : CORIO_STACK_POOL_DEFAULT;
    return 0;
}

size_t corio__stack_round(const corio__stacks *s, size_t size)
{
    if (size > CORIO_STACK_MAX)
        return 0;
    if (size < s->min)
        size = s->min;
    return (size + s->page - 1) & ~(s->page - 1);
}

static __attribute__((noinline)) corio__stack_pool *find_pool(corio__stacks *s, size_t size)
{
    for (size_t i = 0; i < s->npools; i++) {
        if (s->pools[i].size == size) {
            s->last = i;
            return &s->pools[i];
        }
    }
    corio__stack_pool *p = realloc(s->pools, (s->npools + 1) * sizeof *p);
    if (!p)
        return NULL;
    s->pools = p;
    s->last = s->npools;
    p = &s->pools[s->npools++];
    memset(p, 0, sizeof *p);
    p->size = size;
    return p;
}

/* Most tasks have the default size: the pool used last is tried first, with
 * the search out of line so the common case saves no registers. */
static inline corio__stack_pool *pool_for(corio__stacks *s, size_t size)
{
    if (s->last < s->npools && s->pools[s->last].size == size)
        return &s->pools[s->last];
    return find_pool(s, size);
}

static int map_guarded(corio__stacks *s, size_t size, corio__stack *out)
{
    size_t len = size + s->page;
    char *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (base == MAP_FAILED)
        return -ENOMEM;
    if (mprotect(base, s->page, PROT_NONE) != 0) {
        munmap(base, len);
        return -ENOMEM;
    }
    s->guarded++;
    out->lo = base + s->page;
    out->size = size;
    out->flags = CORIO__STACK_GUARDED;
    return 0;
}

static int carve_slab(corio__stacks *s, corio__stack_pool *p, corio__stack *out)
{
    if (p->slab_left == 0) {
        size_t n = SLAB_BYTES / p->size;
        n = n < SLAB_MIN ? SLAB_MIN : n > SLAB_MAX ? SLAB_MAX : n;
        if (s->nslabs == s->slabs_cap) {
            size_t cap = s->slabs_cap ? s->slabs_cap * 2 : 64;
            void **slabs = realloc(s->slabs, cap * sizeof *slabs);
            if (!slabs)
                return -ENOMEM;
            s->slabs = slabs;
            size_t *lens = realloc(s->slab_len, cap * sizeof *lens);
            if (!lens)
                return -ENOMEM;
            s->slab_len = lens;
            s->slabs_cap = cap;
        }
        char *base = mmap(NULL, n * p->size, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (base == MAP_FAILED)
            return -ENOMEM;
        s->slabs[s->nslabs] = base;
        s->slab_len[s->nslabs++] = n * p->size;
        p->slab_next = base;
        p->slab_left = n;
    }
    out->lo = p->slab_next;
    out->size = p->size;
    out->flags = CORIO__STACK_SLAB;
    p->slab_next += p->size;
    p->slab_left--;
    return 0;
}

static void write_canary(const corio__stack *st)
{
    if (st->flags & CORIO__STACK_SLAB) {
        uint64_t *c = (uint64_t *)st->lo;
        for (int i = 0; i < CORIO__CANARY_WORDS; i++)
            c[i] = CORIO__CANARY;
    }
}

/* corio__stack_get when no pooled stack with its pages is there. */
static __attribute__((noinline)) int stack_get_slow(corio__stacks *s, corio__stack_pool *p,
                                                    size_t size, corio__stack *out)
{
    if (!p)
        return -ENOMEM;
    if (p->trimmed) {
        free_node *n = p->trimmed;
        p->trimmed = n->next;
        *out = n->st;
    } else {
        int rc = s->guarded < s->guard_budget ? map_guarded(s, size, out) : carve_slab(s, p, out);
        if (rc < 0)
            return rc;
        out->vg_id = CORIO__VG_REGISTER(out->lo, out->lo + out->size);
    }
    write_canary(out);
    return 0;
}

int corio__stack_get(corio__stacks *s, size_t size, corio__stack *out)
{
    corio__stack_pool *p = pool_for(s, size);
    if (!p || !p->free)
        return stack_get_slow(s, p, size, out);
    free_node *n = p->free;
    p->free = n->next;
    p->nfree--;
    *out = n->st;
    write_canary(out);
    return 0;
}

static void unmap_guarded(corio__stacks *s, const corio__stack *st)
{
    CORIO__VG_DEREGISTER(st->vg_id);
    munmap(st->lo - s->page, st->size + s->page);
    s->guarded--;
}

static void push(free_node **list, const corio__stack *st)
{
    free_node *n = (free_node *)(st->lo + st->size - sizeof(free_node));
    n->st = *st;
    n->next = *list;
    *list = n;
}

void corio__stack_put(corio__stacks *s, const corio__stack *st)
{
    corio__stack_pool *p = pool_for(s, st->size);
    /* A stack's last frames stay poisoned when its task switches away for
     * good; the next task on it must start clean. */
    CORIO__UNPOISON(st->lo, st->size);
    if (!p) { /* no memory even for the pool table: drop the stack */
        if (st->flags & CORIO__STACK_GUARDED)
            unmap_guarded(s, st);
        return;
    }
    push(&p->free, st);
    p->nfree++;
}

void corio__stacks_trim(corio__stacks *s)
{
    for (size_t i = 0; i < s->npools; i++) {
        corio__stack_pool *p = &s->pools[i];
        while (p->nfree > s->pool_max) {
            free_node *n = p->free;
            corio__stack st = n->st;
            p->free = n->next;
            p->nfree--;
            if (st.flags & CORIO__STACK_GUARDED) {
                unmap_guarded(s, &st);
                continue;
            }
            /* Slab stacks cannot be unmapped alone: keep the address range,
             * give the pages back. The top page keeps the pool link. */
            madvise(st.lo, st.size - s->page, MADV_DONTNEED);
            push(&p->trimmed, &st);
        }
    }
}

void corio__stacks_destroy(corio__stacks *s)
{
    for (size_t i = 0; i < s->npools; i++) {
        free_node *lists[] = {s->pools[i].free, s->pools[i].trimmed};
        for (int l = 0; l < 2; l++) {
            for (free_node *n = lists[l], *next; n; n = next) {
                next = n->next;
                corio__stack st = n->st;
                if (st.flags & CORIO__STACK_GUARDED)
                    unmap_guarded(s, &st);
                else
                    CORIO__VG_DEREGISTER(st.vg_id);
            }
        }
    }
    for (size_t i = 0; i < s->nslabs; i++)
        munmap(s->slabs[i], s->slab_len[i]);
    free(s->slabs);
    free(s->slab_len);
    free(s->pools);
    memset(s, 0, sizeof *s);
}
