/* Shared helpers of the benchmark programs: timing, RSS, best-of-N. Every
 * benchmark prints readable lines and, last, one JSON object (DESIGN.md). */
#ifndef CORIO_BENCH_H
#define CORIO_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corio/corio.h>

#ifndef BENCH_LIB
#define BENCH_LIB "static"
#endif

/* Resident set size of this process in bytes (from /proc/self/statm). */
static inline long bench_rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

/* Parses a positive count argument or exits with status 2. */
static inline long bench_count(const char *prog, const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v <= 0) {
        fprintf(stderr, "%s: not a positive number: '%s'\n", prog, s);
        exit(2);
    }
    return v;
}

static inline void bench_usage(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: %s %s\n", argv[0], usage);
            exit(0);
        }
        if (!strcmp(argv[i], "--version")) {
            printf("%s (corio) %s\n", argv[0], corio_version());
            exit(0);
        }
    }
}

#endif
