/* The machine context of a task and the switch between two of them.
 * Built with one of: switch_x86_64.S, switch_aarch64.S (CORIO_CONTEXT_ASM) or
 * context_ucontext.c (CORIO_CONTEXT_UCONTEXT, the portable fallback). */
#ifndef CORIO_CORE_CONTEXT_H
#define CORIO_CORE_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sanitizer.h"

/* x86-64's assembly can also resume a context by a jump to its caller with a
 * value (corio__ctx_swap_val, see switch_x86_64.S), which the scheduler uses
 * for corio_yield. Not with AddressSanitizer: its fiber annotations need code
 * of the resumed side to run right after every switch, which a context
 * resumed straight into its caller's caller skips; nor with ThreadSanitizer,
 * whose shadow call stacks are kept per fiber and are safest left to plain
 * calls and returns. */
#if defined(CORIO_CONTEXT_ASM) && defined(__x86_64__) && !defined(CORIO__ASAN) &&                  \
    !defined(CORIO__TSAN)
#define CORIO__CTX_JUMP 1
#endif

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
#if defined(CORIO_CONTEXT_ASM) && defined(__x86_64__)
void corio__ctx_start(void);

/* The frame that switch_x86_64.S pops on the first switch into a context
 * on [lo, lo + size), low to high: the jump flag, r15, r14, r13, r12, rbx,
 * rbp, return address; at the top, with a padding slot above it.
 * corio__ctx_start moves the stack pointer below it, so the context's run
 * leaves it as it was made. */
static inline uint64_t *corio__ctx_frame(void *lo, size_t size)
{
    uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
    return (uint64_t *)(top - 16) - 8;
}

/* Inline, part of a spawn. r15, r14 and rbx are left as they are: entry, a
 * C function, does not read them. */
static inline void corio__ctx_make(corio__ctx *ctx, void *lo, size_t size, void (*entry)(void *),
                                   void *arg)
{
    uint64_t *f = corio__ctx_frame(lo, size);
    f[0] = 1;                          /* entered by a jump: corio__ctx_start is no return site */
    f[3] = (uint64_t)(uintptr_t)arg;   /* r13 */
    f[4] = (uint64_t)(uintptr_t)entry; /* r12 */
    f[6] = 0;                          /* rbp: a frame-pointer walk ends here */
    f[7] = (uint64_t)(uintptr_t)corio__ctx_start;
    ctx->sp = f;
}

/* corio__ctx_make again, for a context on a stack where it was made before
 * with the same entry and arg and that has run since: its first frame is
 * still there, so only the context is pointed back at it. */
static inline void corio__ctx_remake(corio__ctx *ctx, void *lo, size_t size, void (*entry)(void *),
                                     void *arg)
{
    (void)entry;
    (void)arg;
    ctx->sp = corio__ctx_frame(lo, size);
}
#else
void corio__ctx_make(corio__ctx *ctx, void *lo, size_t size, void (*entry)(void *), void *arg);

/* The first frame is not kept through a run here: made afresh. */
static inline void corio__ctx_remake(corio__ctx *ctx, void *lo, size_t size, void (*entry)(void *),
                                     void *arg)
{
    corio__ctx_make(ctx, lo, size, entry, arg);
}
#endif

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

#if defined(CORIO__CTX_JUMP)
int corio__ctx_swap_val(void **save_sp, void *load_sp, int val, bool jump);

/* Saves the running context in from and resumes to, whose suspended switch
 * returns val. from is resumed by a return to where this is called (jump
 * false) or by a jump there (jump true: for a caller that returns this call's
 * value at once, which with optimisation is a tail call, so the jump lands in
 * its own caller). Returns the val of the switch that resumes from. */
static inline int corio__ctx_switch_val(corio__ctx *from, corio__ctx *to, int val, bool jump)
{
    return corio__ctx_swap_val(&from->sp, to->sp, val, jump);
}

/* Resumes to as corio__ctx_switch_val does, from a context that is never
 * resumed: nothing of it is saved. It does not return, but is not declared
 * _Noreturn: the compiler would call it rather than jump, and the return
 * stack entry of that call would never be consumed. */
void corio__ctx_load_val(void *load_sp, int val);
#endif

#endif
