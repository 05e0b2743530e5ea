/* Error codes: every corio call that can fail returns 0 (or a count / handle)
 * on success and a negative errno on failure. */
#ifndef CORIO_ERROR_H
#define CORIO_ERROR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* corio's own codes, past errno's range, returned negated like errno values
 * for failures errno has no name for. */
enum {
    CORIO_EDNS = 10001,    /* a host name could not be resolved (any reason) */
    CORIO_ESERVER = 10002, /* the server replied with an error (its message is kept) */
};

/* A static, human-readable description of rc (a negative errno, or 0): for
 * the codes corio itself uses, what the caller's call ran into (the calling
 * rule in common.h gives each one meaning); others as strerror. Never NULL;
 * thread-safe. */
CORIO_API const char *corio_strerror(intptr_t rc);

#ifdef __cplusplus
}
#endif
#endif
