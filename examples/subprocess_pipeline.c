/* A subprocess pipeline driven by tasks: `seq 1 N` feeds `sort -rn`, whose
 * output is read back line by line, while a task moves the bytes between
 * the two (what a shell pipe does, with the program in the middle). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

static intptr_t pump(void *arg)
{
    corio_process **p = arg; /* p[0] writes into p[1] */
    char buf[4096];
    ssize_t n;
    while ((n = corio_stream_read(corio_process_stdout(p[0]), buf, sizeof buf, -1)) > 0)
        if (corio_stream_write(corio_process_stdin(p[1]), buf, (size_t)n, -1) < 0)
            break;
    return corio_process_close_stdin(p[1]); /* sort sees end of file and writes */
}

static intptr_t pipeline(void *arg)
{
    const char *count = arg;
    const char *seq[] = {"seq", "1", count, NULL};
    const char *sort[] = {"sort", "-rn", NULL};
    corio_process *p[2];
    corio_process_opts out = {.out = CORIO_STDIO_PIPE};
    corio_process_opts inout = {.in = CORIO_STDIO_PIPE, .out = CORIO_STDIO_PIPE};
    int rc = corio_process_spawn(seq, &out, &p[0]);
    if (rc < 0 || (rc = corio_process_spawn(sort, &inout, &p[1])) < 0) {
        fprintf(stderr, "subprocess_pipeline: cannot start: %s\n", corio_strerror(rc));
        return rc;
    }
    corio_task *pumper;
    corio_spawn(NULL, pump, p, &pumper);
    char line[64];
    ssize_t n;
    int lines = 0;
    while ((n = corio_stream_read_line(corio_process_stdout(p[1]), line, sizeof line, -1)) > 0)
        if (lines++ < 3)
            printf("%.*s", (int)n, line);
    printf("... %d lines, largest first\n", lines);
    printf("seq exited %d, sort exited %d\n", corio_process_wait(p[0], -1),
           corio_process_wait(p[1], -1));
    corio_join(pumper, NULL, -1);
    corio_process_free(p[0]);
    corio_process_free(p[1]);
    return 0;
}

static intptr_t main_task(void *arg)
{
    corio_task *t;
    intptr_t r;
    corio_spawn(NULL, pipeline, arg, &t);
    corio_join(t, &r, -1);
    return r;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: %s [N]\nRuns seq 1 N | sort -rn through corio pipes (default N 1000).\n",
               argv[0]);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        printf("subprocess_pipeline (corio) %s\n", corio_version());
        return 0;
    }
    const char *n = argc > 1 ? argv[1] : "1000";
    if (strspn(n, "0123456789") != strlen(n) || !*n) {
        fprintf(stderr, "subprocess_pipeline: not a count: '%s'\n", n);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    return corio_run(main_task, (void *)n) < 0 ? 1 : 0;
}
