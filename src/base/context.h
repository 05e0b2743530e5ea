/* The machine context of a task and the switch between two of them.
 * Built with one of: switch_x86_64.S, switch_aarch64.S (CORIO_CONTEXT_ASM) or
 * context_ucontext.c (CORIO_CONTEXT_UCONTEXT, the portable fallback). */
#ifndef CORIO_CORE_CONTEXT_H
#define CORIO_CORE_CONTEXT_H

#include <stddef.h>

#if defined(CORIO_CONTEXT_UCONTEXT)
#include <ucontext.h>
typedef struct corio__ctx {
    ucontext_t uc;
} corio__ctx;
#else
/* Callee-saved registers live on the suspended stack; only its top is kept. */
typedef struct corio__ctx {
    void *sp;
} corio__ctx;
#endif

/* Prepares ctx so that the first switch to it calls entry(arg) on the stack
 * [lo, lo + size). entry must never return. */
void corio__ctx_make(corio__ctx *ctx, void *lo, size_t size, void (*entry)(void *), void *arg);

/* Saves the running context in from and resumes to. Returns when something
 * switches back to from. */
#if defined(CORIO_CONTEXT_UCONTEXT)
void corio__ctx_switch(corio__ctx *from, corio__ctx *to);
#else
void corio__ctx_swap(void **save_sp, void *load_sp);
static inline void corio__ctx_switch(corio__ctx *from, corio__ctx *to)
{
    corio__ctx_swap(&from->sp, to->sp);
}
#endif

#endif
