/* Internal: the one way corio reports a programming error (see the calling
 * rule in include/corio/common.h): a line on stderr, then abort(). */
#ifndef CORIO_BASE_MISUSE_H
#define CORIO_BASE_MISUSE_H

/* Writes "corio: <func>: <msg>\n" to stderr with write(2) (async-signal-safe,
 * no stdio lock) and aborts. */
_Noreturn void corio__misuse(const char *func, const char *msg);

/* Aborts through corio__misuse when cond holds. */
#define CORIO__MISUSE_IF(cond, msg)                                                                \
    do {                                                                                           \
        if (cond)                                                                                  \
            corio__misuse(__func__, msg);                                                          \
    } while (0)

#endif
