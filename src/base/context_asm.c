/* Initial frames for the assembly context switch: the layout each
 * switch_<arch>.S pops on the first switch into a new task (x86-64's is
 * inline, in context.h). */
#include <stdint.h>
#include <string.h>

#include "context.h"

void corio__ctx_start(void);

#if defined(__aarch64__)
/* d8-d15 (words 0-7), x19-x28 (8-17), x29 (18), x30 (19), padding to keep
 * sp 16-aligned: 176 bytes. */
enum { FRAME_WORDS = 22 };

void corio__ctx_make(corio__ctx *ctx, void *lo, size_t size, void (*entry)(void *), void *arg)
{
    uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
    uint64_t *f = (uint64_t *)top - FRAME_WORDS;
    memset(f, 0, FRAME_WORDS * sizeof *f);
    f[8] = (uint64_t)(uintptr_t)entry;             /* x19 */
    f[9] = (uint64_t)(uintptr_t)arg;               /* x20 */
    f[19] = (uint64_t)(uintptr_t)corio__ctx_start; /* x30 */
    ctx->sp = f;
}
#elif !defined(__x86_64__)
#error "no assembly context switch for this architecture: configure with -DCORIO_CONTEXT=ucontext"
#endif
