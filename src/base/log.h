/* Internal: logging from inside corio (the public side is corio/log.h).
 *
 *     corio__log(CORIO_LOG_WARN, "http", "accept: %s", corio_strerror(rc));
 *
 * checks the level before its arguments are evaluated: with logging off (the
 * default) a call costs one relaxed atomic load and a branch. */
#ifndef CORIO_CORE_LOG_H
#define CORIO_CORE_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <corio/error.h> /* corio_strerror, for most messages */
#include <corio/log.h>

/* The level corio_log_set set: CORIO_LOG_OFF while no sink is set. */
extern atomic_int corio__log_level;

static inline bool corio__log_on(int level)
{
    return level <= atomic_load_explicit(&corio__log_level, memory_order_relaxed);
}

/* Formats and passes on a message whose level was checked already. */
void corio__log_write(int level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An event that can recur thousands of times a second (a server at one of
 * its limits) is logged at most once a second, with a count. */
typedef struct corio__log_limit {
    int64_t next;        /* corio_now() from which the next report may go */
    unsigned long count; /* events since the last report */
} corio__log_limit;

/* Counts one event at level: the events since the last report (this one
 * included) when it is time to report them, else 0. Nothing when level
 * is off. */
unsigned long corio__log_limited(corio__log_limit *l, int level);

#define corio__log(level, module, ...)                                                             \
    do {                                                                                           \
        if (corio__log_on(level))                                                                  \
            corio__log_write(level, module, __VA_ARGS__);                                          \
    } while (0)

#endif
