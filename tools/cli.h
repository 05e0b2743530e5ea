/* What every corio command-line tool shares: one-line usage errors (exit
 * 2), number and duration parsing that names the bad argument, --version,
 * the library's log on stderr (--log-level). */
#ifndef CORIO_TOOLS_CLI_H
#define CORIO_TOOLS_CLI_H

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

enum { CLI_OK = 0, CLI_FAILURE = 1, CLI_USAGE = 2 };

/* "PROG: message (try --help)" on stderr, exit 2. */
static inline void cli_usage_error(const char *prog, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
static inline void cli_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (try --help)\n");
    va_end(ap);
    exit(CLI_USAGE);
}

static inline void cli_version(const char *prog)
{
    printf("%s (corio) %s\n", prog, corio_version());
    exit(CLI_OK);
}

/* An integer in [min, max] or a usage error naming option and value. */
static inline long cli_long(const char *prog, const char *opt, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || v < min || v > max)
        cli_usage_error(prog, "%s: expected a whole number from %ld to %ld, not '%s'", opt, min,
                        max, s ? s : "");
    return v;
}

/* Seconds with an optional fraction ("0.5"), returned in milliseconds. */
static inline int64_t cli_seconds_ms(const char *prog, const char *opt, const char *s)
{
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || !*s || *end || errno || !isfinite(v) || v <= 0 || v > 86400 * 365)
        cli_usage_error(prog, "%s: expected a positive number of seconds, not '%s'", opt,
                        s ? s : "");
    return (int64_t)(v * 1000 + 0.5);
}

/* The value of an option that takes one: argv[++*i], or a usage error. */
static inline const char *cli_value(const char *prog, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        cli_usage_error(prog, "%s needs a value", argv[*i]);
    return argv[++*i];
}

/* The library's log (corio/log.h) on stderr up to level, one line a
 * message: "PROG: warn: http: accept: Too many open files". Every tool turns
 * it on at CLI_LOG_DEFAULT before parsing its options. */
#define CLI_LOG_DEFAULT CORIO_LOG_WARN
static inline void cli_log(const char *prog, int level)
{
    corio_log_set(corio_log_stderr, (void *)prog, level);
}

/* Takes argv[*i] when it is --log-level LEVEL (error, warn, info, debug or
 * off) and sets the log's level. Returns whether it did; exits with a usage
 * error on a bad level. */
static inline bool cli_log_option(const char *prog, int argc, char **argv, int *i)
{
    if (strcmp(argv[*i], "--log-level"))
        return false;
    const char *v = cli_value(prog, argc, argv, i);
    int level = corio_log_level_parse(v);
    if (level < 0)
        cli_usage_error(prog, "--log-level: expected error, warn, info, debug or off, not '%s'", v);
    cli_log(prog, level);
    return true;
}

#endif
