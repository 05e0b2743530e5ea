/* Shared definitions for every corio header: export macro, the task entry type. */
#ifndef CORIO_COMMON_H
#define CORIO_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define CORIO_API __attribute__((visibility("default")))
#else
#define CORIO_API
#endif

#define CORIO_VERSION_MAJOR  0
#define CORIO_VERSION_MINOR  1
#define CORIO_VERSION_PATCH  0
#define CORIO_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* A task's body. It returns a value >= 0 on success (a count, a pointer cast to
 * intptr_t, ...) or a negative errno on failure, like every corio call. */
typedef intptr_t corio_fn(void *arg);

typedef struct corio_task corio_task;
typedef struct corio_nursery corio_nursery;

/* "0.1.0": the version of the library actually linked. */
CORIO_API const char *corio_version(void);

#ifdef __cplusplus
}
#endif
#endif
