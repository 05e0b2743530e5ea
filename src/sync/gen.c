/* Generators: a context and stack of their own, switched to by next/send and
 * back by yield; never seen by the scheduler. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <corio/gen.h>

#include "../base/context.h"
#include "../base/misuse.h"
#include "../base/sanitizer.h"

#define GEN_STACK_DEFAULT (64u * 1024u)

enum { GEN_NEW, GEN_SUSPENDED, GEN_RUNNING, GEN_DONE };

struct corio_gen {
    corio__ctx ctx, caller;
    corio_gen_fn *fn;
    void *arg;
    intptr_t value; /* yielded, sent or returned, depending on direction */
    int state;
    bool closing;
    char *map; /* the stack's mapping, guard page first */
    size_t map_len;
    unsigned vg_id;
#if defined(CORIO__ASAN)
    void *fake, *caller_fake;
    const void *caller_bottom;
    size_t caller_size;
#endif
#if defined(CORIO__TSAN)
    void *fiber, *caller_fiber;
#endif
};

/* Caller side: into the generator, back when it yields or ends. */
static void enter(corio_gen *g)
{
#if defined(CORIO__TSAN)
    g->caller_fiber = CORIO__TSAN_CURRENT();
    CORIO__TSAN_SWITCH(g->fiber);
#endif
#if defined(CORIO__ASAN)
    __sanitizer_start_switch_fiber(&g->caller_fake, g->map + sysconf(_SC_PAGESIZE),
                                   g->map_len - (size_t)sysconf(_SC_PAGESIZE));
    corio__ctx_switch(&g->caller, &g->ctx);
    __sanitizer_finish_switch_fiber(g->caller_fake, NULL, NULL);
#else
    corio__ctx_switch(&g->caller, &g->ctx);
#endif
}

/* Generator side: back to whoever called next/send. */
static void leave(corio_gen *g)
{
#if defined(CORIO__TSAN)
    CORIO__TSAN_SWITCH(g->caller_fiber);
#endif
#if defined(CORIO__ASAN)
    __sanitizer_start_switch_fiber(g->state == GEN_DONE ? NULL : &g->fake, g->caller_bottom,
                                   g->caller_size);
    corio__ctx_switch(&g->ctx, &g->caller);
    __sanitizer_finish_switch_fiber(g->fake, &g->caller_bottom, &g->caller_size);
#else
    corio__ctx_switch(&g->ctx, &g->caller);
#endif
}

static void gen_entry(void *arg)
{
    corio_gen *g = arg;
#if defined(CORIO__ASAN)
    __sanitizer_finish_switch_fiber(NULL, &g->caller_bottom, &g->caller_size);
#endif
    intptr_t r = g->closing ? 0 : g->fn(g, g->arg);
    g->value = r;
    g->state = GEN_DONE;
    leave(g);
    abort(); /* a finished generator is never resumed */
}

int corio_gen_new(corio_gen_fn *fn, void *arg, size_t stack_size, corio_gen **out)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (!out || !fn || (stack_size && stack_size < 4096) || stack_size > (1u << 30))
        return -EINVAL;
    size_t size = ((stack_size ? stack_size : GEN_STACK_DEFAULT) + page - 1) & ~(page - 1);
    corio_gen *g = calloc(1, sizeof *g);
    if (!g)
        return -ENOMEM;
    g->map_len = size + page;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (g->map == MAP_FAILED || mprotect(g->map, page, PROT_NONE) != 0) {
        if (g->map != MAP_FAILED)
            munmap(g->map, g->map_len);
        free(g);
        return -ENOMEM;
    }
    g->vg_id = CORIO__VG_REGISTER(g->map + page, g->map + g->map_len);
    g->fn = fn;
    g->arg = arg;
#if defined(CORIO__TSAN)
    g->fiber = CORIO__TSAN_CREATE();
#endif
    corio__ctx_make(&g->ctx, g->map + page, size, gen_entry, g);
    *out = g;
    return 0;
}

/* send and next: func names the public call in a misuse message. */
static int resume(const char *func, corio_gen *g, intptr_t in, intptr_t *out)
{
    if (!g)
        corio__misuse(func, "the generator is NULL");
    if (g->state == GEN_RUNNING)
        corio__misuse(func, "called from inside the generator's own body");
    if (g->state == GEN_DONE || g->closing)
        return -EPIPE;
    g->value = in;
    g->state = GEN_RUNNING;
    enter(g);
    if (out)
        *out = g->value;
    if (g->state == GEN_DONE)
        return CORIO_GEN_RETURNED;
    g->state = GEN_SUSPENDED;
    return 0;
}

int corio_gen_send(corio_gen *g, intptr_t in, intptr_t *out)
{
    return resume(__func__, g, in, out);
}

int corio_gen_next(corio_gen *g, intptr_t *out)
{
    return resume(__func__, g, 0, out);
}

int corio_gen_yield(corio_gen *g, intptr_t value, intptr_t *sent)
{
    CORIO__MISUSE_IF(!g, "the generator is NULL");
    CORIO__MISUSE_IF(g->state != GEN_RUNNING, "called outside the generator's body");
    if (g->closing)
        return -ECANCELED;
    g->value = value;
    leave(g);
    if (g->closing)
        return -ECANCELED;
    if (sent)
        *sent = g->value;
    return 0;
}

int corio_gen_close(corio_gen *g)
{
    CORIO__MISUSE_IF(!g, "the generator is NULL");
    CORIO__MISUSE_IF(g->state == GEN_RUNNING, "called from inside the generator's own body");
    if (g->state == GEN_DONE)
        return 0;
    if (g->state == GEN_NEW) { /* never started: it never will */
        g->state = GEN_DONE;
        return 0;
    }
    /* While closing, corio_gen_yield refuses to suspend: the body runs on
     * until it returns. */
    g->closing = true;
    g->state = GEN_RUNNING;
    enter(g);
    return 0;
}

void corio_gen_free(corio_gen *g)
{
    if (!g)
        return;
    CORIO__VG_DEREGISTER(g->vg_id);
    CORIO__UNPOISON(g->map + sysconf(_SC_PAGESIZE), g->map_len - (size_t)sysconf(_SC_PAGESIZE));
#if defined(CORIO__TSAN)
    CORIO__TSAN_DESTROY(g->fiber);
#endif
    munmap(g->map, g->map_len);
    free(g);
}
