/* Nurseries (trio's): every task belongs to one, and whoever opens a nursery
 * waits for all its children before going on. This is the minimal nursery:
 * spawn and wait-all, reporting the first child failure. */
#ifndef CORIO_NURSERY_H
#define CORIO_NURSERY_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opens a nursery owned by the calling task, which must close it before it
 * returns. Errors: -EPERM outside a task; -ENOMEM. */
CORIO_API int corio_nursery_open(corio_nursery **out);

/* Waits for every child of n (including those they spawn into n meanwhile),
 * releases the handles still held, frees n and returns the first negative
 * result a child returned, or 0. Only the owner may close: -EPERM. */
CORIO_API intptr_t corio_nursery_close(corio_nursery *n);

#ifdef __cplusplus
}
#endif
#endif
