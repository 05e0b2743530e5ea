/* Portable context switch over ucontext: slower (swapcontext saves the
 * signal mask with a system call) but needs no assembly. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include "context.h"

/* makecontext passes only int arguments: pointers travel in two halves. */
static void ctx_start(unsigned int e_hi, unsigned int e_lo, unsigned int a_hi, unsigned int a_lo)
{
    void (*entry)(void *) = (void (*)(void *))(((uintptr_t)e_hi << 32) | e_lo);
    void *arg = (void *)(((uintptr_t)a_hi << 32) | a_lo);
    entry(arg);
    abort(); /* entry never returns */
}

void corio__ctx_make(corio__ctx *ctx, void *lo, size_t size, void (*entry)(void *), void *arg)
{
    uintptr_t e = (uintptr_t)entry, a = (uintptr_t)arg;
    getcontext(&ctx->uc);
    ctx->uc.uc_stack.ss_sp = lo;
    ctx->uc.uc_stack.ss_size = size;
    ctx->uc.uc_link = NULL;
    makecontext(&ctx->uc, (void (*)(void))ctx_start, 4, (unsigned int)(e >> 32), (unsigned int)e,
                (unsigned int)(a >> 32), (unsigned int)a);
}

void corio__ctx_switch(corio__ctx *from, corio__ctx *to)
{
    /* swapcontext installs the target's saved signal mask; the mask belongs
     * to the thread (corio_signal_wait blocks signals across switches), so
     * hand the current one on. */
    pthread_sigmask(SIG_SETMASK, NULL, &to->uc.uc_sigmask);
    swapcontext(&from->uc, &to->uc);
}
