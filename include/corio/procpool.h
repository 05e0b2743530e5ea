/* A process pool (seed 002's "futures and multiprocessing", Python's
 * ProcessPoolExecutor): forked worker processes of the same program run
 * registered functions on argument bytes and send result bytes back, so
 * CPU-bound C work runs on all cores, isolated from the caller's crashes and
 * memory. A task waits for its call while the loop runs on.
 *
 * Workers are forked from the calling process and keep only stdin, stdout
 * and stderr of its descriptors; they run the functions registered when the
 * pool was made (same program, same addresses). A worker that dies during a
 * call (crash, kill) fails that call with -ECHILD and is replaced. */
#ifndef CORIO_PROCPOOL_H
#define CORIO_PROCPOOL_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs in a worker: reads in[0..in_len), returns >= 0 with a malloc'd
 * result in *out (*out_len bytes; NULL/0 for none), or a negative errno. */
typedef int corio_proc_fn(const void *in, size_t in_len, void **out, size_t *out_len);

typedef struct corio_procpool corio_procpool;

/* From a task: forks `workers` processes (0: one per core) that serve
 * fns[0..nfns). Errors: -EINVAL no fns or over 1024 workers, -ENOMEM,
 * -EAGAIN (fork failed). Misuse (aborts): outside a task. */
CORIO_API int corio_procpool_new(unsigned workers, corio_proc_fn *const *fns, size_t nfns,
                                 corio_procpool **out);

/* From a task: runs fns[fn](in, in_len) in an idle worker (waiting for one if
 * all are busy). 0: *out (malloc'd, the caller frees it) and *out_len hold
 * the result. Else the function's own negative return, or -ECHILD the worker
 * died, -ETIMEDOUT (deadline: absolute corio_now() ms, -1 none) or
 * -ECANCELED (the worker is killed and replaced), -EINVAL, -EMSGSIZE (the
 * argument or the function's result is over 1 GiB). */
CORIO_API int corio_procpool_call(corio_procpool *p, unsigned fn, const void *in, size_t in_len,
                                  void **out, size_t *out_len, int64_t deadline);

/* From a task: ends the workers (they finish on end-of-file) and frees p.
 * -EBUSY (nothing freed) while a call is in flight. */
CORIO_API int corio_procpool_free(corio_procpool *p);

#ifdef __cplusplus
}
#endif
#endif
