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

/* The pool used last is tried first (corio__stack_get's inline part has
 * missed it already when called for another size). */
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

/* Makes room in p's idle array for one more stack of its own, before the
 * stack exists: returning a stack (corio__stack_put) then never allocates. The
 * trimmed entries move to the new top. */
static int reserve(corio__stack_pool *p)
{
    if (p->made < p->cap)
        return 0;
    size_t cap = p->cap ? p->cap * 2 : 64;
    corio__stack *idle = realloc(p->idle, cap * sizeof *idle);
    if (!idle)
        return -ENOMEM;
    memmove(idle + cap - p->ntrimmed, idle + p->cap - p->ntrimmed, p->ntrimmed * sizeof *idle);
    p->idle = idle;
    p->cap = cap;
    return 0;
}

int corio__stack_get_slow(corio__stacks *s, size_t size, corio__stack *out)
{
    corio__stack_pool *p = pool_for(s, size);
    if (!p)
        return -ENOMEM;
    if (p->nfree) {
        *out = p->idle[--p->nfree];
    } else if (p->ntrimmed) {
        *out = p->idle[p->cap - p->ntrimmed--];
    } else {
        if (reserve(p) < 0)
            return -ENOMEM;
        int rc = s->guarded < s->guard_budget ? map_guarded(s, size, out) : carve_slab(s, p, out);
        if (rc < 0)
            return rc;
        out->vg_id = CORIO__VG_REGISTER(out->lo, out->lo + out->size);
        p->made++;
    }
    corio__stack_write_canary(out);
    return 0;
}

static void unmap_guarded(corio__stacks *s, const corio__stack *st)
{
    CORIO__VG_DEREGISTER(st->vg_id);
    munmap(st->lo - s->page, st->size + s->page);
    s->guarded--;
}

void corio__stack_put_slow(corio__stacks *s, const corio__stack *st)
{
    /* The pool exists (the stack came from it) and has room (reserve). */
    corio__stack_pool *p = pool_for(s, st->size);
    CORIO__UNPOISON(st->lo, st->size);
    p->idle[p->nfree++] = *st;
}

/* The spare stack back in its pool. */
static void put_spare(corio__stacks *s)
{
    if (s->spare.lo) {
        corio__stack_put_slow(s, &s->spare);
        s->spare.lo = NULL;
    }
}

void corio__stacks_trim(corio__stacks *s)
{
    put_spare(s);
    for (size_t i = 0; i < s->npools; i++) {
        corio__stack_pool *p = &s->pools[i];
        while (p->nfree > s->pool_max) {
            corio__stack st = p->idle[--p->nfree];
            if (st.flags & CORIO__STACK_GUARDED) {
                unmap_guarded(s, &st);
                p->made--;
                continue;
            }
            /* Slab stacks cannot be unmapped alone: keep the address range,
             * give every page back (the pool's link lives outside it). */
            madvise(st.lo, st.size, MADV_DONTNEED);
            p->idle[p->cap - ++p->ntrimmed] = st;
        }
    }
}

void corio__stacks_destroy(corio__stacks *s)
{
    put_spare(s);
    for (size_t i = 0; i < s->npools; i++) {
        corio__stack_pool *p = &s->pools[i];
        for (size_t k = 0; k < p->cap; k++) {
            if (k == p->nfree)
                k = p->cap - p->ntrimmed; /* past the unused middle */
            if (k == p->cap)
                break;
            if (p->idle[k].flags & CORIO__STACK_GUARDED)
                unmap_guarded(s, &p->idle[k]);
            else
                CORIO__VG_DEREGISTER(p->idle[k].vg_id);
        }
        free(p->idle);
    }
    for (size_t i = 0; i < s->nslabs; i++)
        munmap(s->slabs[i], s->slab_len[i]);
    free(s->slabs);
    free(s->slab_len);
    free(s->pools);
    memset(s, 0, sizeof *s);
}
