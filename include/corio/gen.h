/* Generators (Python's, PEP 255/342) on the same stackful coroutines as
 * tasks: a generator body runs on its own stack when the caller asks for the
 * next value, and suspends at each corio_gen_yield until asked again. They
 * are not scheduled by a loop and work anywhere, also outside corio_run. A
 * generator body must not block on corio calls (as a Python generator cannot
 * await); use a task for that.
 *
 *     static intptr_t count(corio_gen *g, void *arg) {
 *         for (intptr_t i = 0; i < 3; i++)
 *             if (corio_gen_yield(g, i, NULL) < 0)   // closed: clean up, return
 *                 return 0;
 *         return 100;                                // StopIteration.value
 *     }
 *     corio_gen *g; intptr_t v;
 *     corio_gen_new(count, NULL, 0, &g);
 *     while (corio_gen_next(g, &v) == 0) printf("%ld\n", v);   // 0 1 2
 *     // here corio_gen_next returned CORIO_GEN_RETURNED with v == 100
 *     corio_gen_free(g);
 */
#ifndef CORIO_GEN_H
#define CORIO_GEN_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_gen corio_gen;
typedef intptr_t corio_gen_fn(corio_gen *g, void *arg);

#define CORIO_GEN_RETURNED 1 /* next/send: the body returned; *out is its value */

/* Creates a generator that will run fn(g, arg) on a stack of stack_size
 * bytes (0: 64 KiB). Nothing runs until the first next/send. Errors: -EINVAL
 * fn or out NULL, or stack_size under 4 KiB or over 1 GiB; -ENOMEM. */
CORIO_API int corio_gen_new(corio_gen_fn *fn, void *arg, size_t stack_size, corio_gen **out);

/* Resumes the body with `in` as the result of the corio_gen_yield it is
 * suspended in (ignored on the first call, which starts the body). Returns 0
 * with the next yielded value in *out, CORIO_GEN_RETURNED with the body's
 * return value in *out, -EPIPE if it had already finished or was closed.
 * Misuse (aborts): g NULL; called from inside g's own body. */
CORIO_API int corio_gen_send(corio_gen *g, intptr_t in, intptr_t *out);
CORIO_API int corio_gen_next(corio_gen *g, intptr_t *out); /* send(0); the same codes */

/* Inside the body: hands value to the caller of next/send and suspends.
 * Returns 0 with the value sent in *sent (if non-NULL), or -ECANCELED when
 * the generator is being closed: the body should clean up and return.
 * Misuse (aborts): g NULL; called outside g's running body. */
CORIO_API int corio_gen_yield(corio_gen *g, intptr_t value, intptr_t *sent);

/* Closes g (Python's close: GeneratorExit): a suspended body is resumed
 * with corio_gen_yield returning -ECANCELED, and every later yield returns
 * -ECANCELED at once without suspending, so the body runs on until it
 * returns. Returns 0; idempotent. Misuse (aborts): g NULL; called from
 * inside g's own body. */
CORIO_API int corio_gen_close(corio_gen *g);

/* Frees g; a body still suspended is abandoned without running further (call
 * corio_gen_close first to let it clean up). */
CORIO_API void corio_gen_free(corio_gen *g);

#ifdef __cplusplus
}
#endif
#endif
