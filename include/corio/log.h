/* Logging: one process-wide hook that the library reports through what it
 * would otherwise swallow (accept failures, refused connections, malformed
 * requests, failed handlers). Off by default: with no sink set the library
 * formats nothing and calls nothing; a program (the tools do) turns it on. */
#ifndef CORIO_LOG_H
#define CORIO_LOG_H

#include <stdbool.h>

#include "common.h"

#if defined(__GNUC__)
#define CORIO_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CORIO_PRINTF(fmt, args)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Levels, most severe first. A message is passed on when its level is at
 * most the level set; CORIO_LOG_OFF as that level passes nothing. */
enum corio_log_level {
    CORIO_LOG_OFF = 0,
    CORIO_LOG_ERROR = 1, /* the program cannot do what it is there for */
    CORIO_LOG_WARN = 2,  /* it carries on, degraded (out of descriptors, over a limit) */
    CORIO_LOG_INFO = 3,  /* a peer did something wrong (malformed request, timeout) */
    CORIO_LOG_DEBUG = 4, /* detail for finding a fault */
};

/* The longest message a sink is given, its NUL included: a longer one is
 * cut there and ends in "...". */
#define CORIO_LOG_MAX 512

/* Where messages go. level is one of CORIO_LOG_ERROR..DEBUG; module names
 * the part of corio that speaks ("http", "tcp", "loop", "pool"); msg is one
 * line without its newline. Called on the thread that logs, possibly on
 * several threads at once; it must not block for long (a loop waits on it)
 * and must not call corio_log_set. */
typedef void corio_log_sink(void *ud, int level, const char *module, const char *msg);

/* Sends messages up to max_level (CORIO_LOG_ERROR..DEBUG) to sink(ud, ...),
 * process-wide; sink NULL or max_level CORIO_LOG_OFF turns logging off (the
 * default). Meant for a program's start: thread-safe, but a message logged
 * while it runs may still go to the old sink. -EINVAL for a level out of
 * range. */
CORIO_API int corio_log_set(corio_log_sink *sink, void *ud, int max_level);

/* Whether a message at level would reach a sink: one atomic load, for
 * callers that want to skip building what they would log. */
CORIO_API bool corio_log_enabled(int level);

/* Formats a message (printf-style, into a CORIO_LOG_MAX stack buffer, no
 * allocation; control characters become '?') and passes it to the sink,
 * if level is enabled; otherwise returns before formatting anything. For
 * programs that want their own lines in the same stream as the library's.
 * Takes a kilobyte or two of stack when it formats: not for a task with a
 * CORIO_STACK_MIN stack. */
CORIO_API void corio_log(int level, const char *module, const char *fmt, ...) CORIO_PRINTF(3, 4);

/* A ready-made sink: one line "UD: LEVEL: MODULE: MSG" to stderr, written
 * with a single writev(2) so lines from several threads do not mix. ud is
 * the program's name (a const char *, kept, not copied), or NULL for
 * "corio". For example "corio-fakeweb: warn: http: accept: Too many open
 * files". */
CORIO_API void corio_log_stderr(void *ud, int level, const char *module, const char *msg);

/* "error", "warn", "info", "debug", "off" for CORIO_LOG_OFF, or "?". */
CORIO_API const char *corio_log_level_name(int level);

/* The level a name above stands for, or -EINVAL. */
CORIO_API int corio_log_level_parse(const char *name);

#ifdef __cplusplus
}
#endif
#endif
