/* The counter clients' shared parts (seed 000): the command line
 * ([URL] [--count N], --help, --version), one request for the count and
 * the report of the time taken. */
#ifndef CORIO_EXAMPLES_COUNTER_CLIENT_H
#define CORIO_EXAMPLES_COUNTER_CLIENT_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

static const char *counter_url = "http://127.0.0.1:8080/";
static long counter_requests = 5;

/* Parses argv; exits 0 after --help/--version, 2 on a usage error. */
static inline void counter_args(int argc, char **argv, const char *what)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: %s [--count N] [URL]\n%s\n"
                   "  URL        the counter server (default %s)\n"
                   "  --count N  requests to make (default 5)\n",
                   argv[0], what, counter_url);
            exit(0);
        } else if (!strcmp(argv[i], "--version")) {
            printf("%s (corio) %s\n", argv[0], corio_version());
            exit(0);
        } else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
            char *end;
            counter_requests = strtol(argv[++i], &end, 10);
            if (*end || counter_requests < 1 || counter_requests > 1000) {
                fprintf(stderr, "%s: --count: not a number in 1..1000: '%s'\n", argv[0], argv[i]);
                exit(2);
            }
        } else if (argv[i][0] != '-') {
            counter_url = argv[i];
        } else {
            fprintf(stderr, "%s: unknown argument '%s' (try --help)\n", argv[0], argv[i]);
            exit(2);
        }
    }
}

/* A task: GET the counter once (urllib's urlopen in the talk) and return
 * the count it answered, or a negative errno (-EBADMSG: not a count). */
static inline intptr_t request_count(void *arg)
{
    (void)arg;
    corio_http_response *r;
    int rc = corio_http_get(counter_url, NULL, &r, -1);
    if (rc < 0)
        return rc;
    const char *body;
    rc = corio_http_response_body(r, &body, NULL);
    long count = -EBADMSG;
    if (rc == 0 && corio_http_response_status(r) == 200) {
        char *end;
        long v = strtol(body, &end, 10);
        if (end != body && !*end && v > 0)
            count = v;
    }
    corio_http_response_free(r);
    return rc < 0 ? rc : count;
}

static inline void counter_report(const char *prog, int64_t started_ms)
{
    printf("%s: %ld requests in %.2f s\n", prog, counter_requests,
           (double)(corio_now() - started_ms) / 1000.0);
}

/* Runs run as the root task, then reports the time it took; returns the
 * exit status (1 with the error on stderr). */
static inline int counter_run(const char *prog, corio_fn *run)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int64_t t0 = corio_now();
    intptr_t rc = corio_run(run, NULL);
    if (rc < 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, counter_url, corio_strerror(rc));
        return 1;
    }
    counter_report(prog, t0);
    return 0;
}

#endif
