/* The examples' shared command line: --unit-ms N scales their simulated time
 * (the smoke tests run them fast), --help, --version. */
#ifndef CORIO_EXAMPLES_DEMO_ARGS_H
#define CORIO_EXAMPLES_DEMO_ARGS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

/* Returns the time unit in ms (default_ms unless --unit-ms), or exits: 0
 * after --help/--version, 2 on a usage error. */
static inline long demo_unit_ms(int argc, char **argv, long default_ms, const char *what)
{
    long unit = default_ms;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: %s [--unit-ms N]\n%s\n  --unit-ms N  length of one time unit in ms "
                   "(default %ld)\n",
                   argv[0], what, default_ms);
            exit(0);
        } else if (!strcmp(argv[i], "--version")) {
            printf("%s (corio) %s\n", argv[0], corio_version());
            exit(0);
        } else if (!strcmp(argv[i], "--unit-ms") && i + 1 < argc) {
            char *end;
            unit = strtol(argv[++i], &end, 10);
            if (*end || unit < 0 || unit > 60000) {
                fprintf(stderr, "%s: --unit-ms: not a number of ms in 0..60000: '%s'\n", argv[0],
                        argv[i]);
                exit(2);
            }
        } else {
            fprintf(stderr, "%s: unknown argument '%s' (try --help)\n", argv[0], argv[i]);
            exit(2);
        }
    }
    return unit;
}

/* Runs main as the root task; 0, or 1 with the error on stderr. */
static inline int demo_run(const char *prog, corio_fn *main_task)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    intptr_t rc = corio_run(main_task, NULL);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", prog, corio_strerror(rc));
        return 1;
    }
    return 0;
}

#endif
