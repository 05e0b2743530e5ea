/* Internal: the one way corio reports a programming error (see the calling
 * rule in include/corio/common.h): a line on stderr, then abort(). */
#ifndef CORIO_BASE_MISUSE_H
#define CORIO_BASE_MISUSE_H

/* Writes "corio: <func>: <msg>\n" to stderr with write(2) (async-signal-safe,
 * no stdio lock) and aborts. */
_Noreturn void corio__misuse(const char *func, const char *msg);

/* Aborts through corio__misuse when cond holds, naming func (a public call
 * whose body an internal helper holds). */
#define CORIO__MISUSE_IF_IN(func, cond, msg)                                                       \
    do {                                                                                           \
        if (cond)                                                                                  \
            corio__misuse(func, msg);                                                              \
    } while (0)

/* Aborts through corio__misuse when cond holds, naming the calling function. */
#define CORIO__MISUSE_IF(cond, msg) CORIO__MISUSE_IF_IN(__func__, cond, msg)

#endif
