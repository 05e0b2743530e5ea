/* Subprocesses: pipes, exit codes, signals, env and cwd, errors. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include <corio/corio.h>

#include "fdcheck.h"

static intptr_t cat_main(void *arg)
{
    (void)arg;
    corio_process *p;
    const char *argv[] = {"cat", NULL};
    corio_process_opts o = {.in = CORIO_STDIO_PIPE, .out = CORIO_STDIO_PIPE};
    cr_assert_eq(corio_process_spawn(argv, &o, &p), 0);
    cr_assert_null(corio_process_stderr(p));
    cr_assert_eq(corio_stream_write(corio_process_stdin(p), "hello\n", 6, -1), 0);
    cr_assert_eq(corio_process_close_stdin(p), 0);
    char line[32];
    cr_assert_eq(corio_stream_read_line(corio_process_stdout(p), line, sizeof line, -1), 6);
    cr_assert_eq(memcmp(line, "hello\n", 6), 0);
    cr_assert_eq(corio_stream_read(corio_process_stdout(p), line, sizeof line, -1), 0,
                 "end of file");
    cr_assert_eq(corio_process_wait(p, -1), 0);
    cr_assert_eq(corio_process_wait(p, -1), 0, "again: same answer");
    corio_process_free(p);
    return 0;
}

Test(process, echo_through_pipes, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(cat_main, NULL), 0);
}

static intptr_t status_main(void *arg)
{
    (void)arg;
    corio_process *p;
    const char *exit3[] = {"sh", "-c", "exit 3", NULL};
    cr_assert_eq(corio_process_spawn(exit3, NULL, &p), 0);
    cr_assert_eq(corio_process_wait(p, -1), 3);
    corio_process_free(p);

    const char *sleeper[] = {"sleep", "10", NULL};
    cr_assert_eq(corio_process_spawn(sleeper, NULL, &p), 0);
    cr_assert_eq(corio_process_wait(p, corio_now() + 20), -ETIMEDOUT);
    cr_assert_eq(corio_process_kill(p, SIGTERM), 0);
    cr_assert_eq(corio_process_wait(p, -1), 128 + SIGTERM);
    corio_process_free(p);

    cr_assert_eq(corio_process_spawn(sleeper, NULL, &p), 0);
    corio_process_free(p); /* still running: killed and reaped */

    const char *missing[] = {"/nonexistent/program", NULL};
    cr_assert_eq(corio_process_spawn(missing, NULL, &p), -ENOENT);
    const char *empty[] = {NULL};
    cr_assert_eq(corio_process_spawn(empty, NULL, &p), -EINVAL);
    return 0;
}

Test(process, exit_codes_signals_and_errors, .timeout = 20, .init = fd_check_start,
     .fini = fd_check_end)
{
    cr_assert_eq(corio_run(status_main, NULL), 0);
}

static intptr_t env_main(void *arg)
{
    (void)arg;
    corio_process *p;
    const char *argv[] = {"sh", "-c", "echo $FOO; pwd; echo oops >&2", NULL};
    const char *env[] = {"FOO=bar", "PATH=/usr/bin:/bin", NULL};
    corio_process_opts o = {
        .env = env, .cwd = "/tmp", .out = CORIO_STDIO_PIPE, .err = CORIO_STDIO_NULL};
    cr_assert_eq(corio_process_spawn(argv, &o, &p), 0);
    char buf[64];
    cr_assert_eq(corio_stream_read_line(corio_process_stdout(p), buf, sizeof buf, -1), 4);
    cr_assert_eq(memcmp(buf, "bar\n", 4), 0);
    cr_assert_eq(corio_stream_read_line(corio_process_stdout(p), buf, sizeof buf, -1), 5);
    cr_assert_eq(memcmp(buf, "/tmp\n", 5), 0);
    cr_assert_eq(corio_process_wait(p, -1), 0);
    corio_process_free(p);
    return 0;
}

Test(process, env_and_cwd, .timeout = 20, .init = fd_check_start, .fini = fd_check_end)
{
    cr_assert_eq(corio_run(env_main, NULL), 0);
}

static int ticks;

static intptr_t ticker(void *arg)
{
    (void)arg;
    while (corio_sleep(2) == 0)
        ticks++;
    return 0;
}

static intptr_t concurrent_main(void *arg)
{
    (void)arg;
    corio_task *t;
    corio_process *p[4];
    const char *argv[] = {"sleep", "0.1", NULL};
    corio_spawn(NULL, ticker, NULL, &t);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(corio_process_spawn(argv, NULL, &p[i]), 0);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(corio_process_wait(p[i], -1), 0);
        corio_process_free(p[i]);
    }
    cr_assert_gt(ticks, 5, "the loop ran while the children did");
    corio_task_cancel(t);
    return 0;
}

Test(process, waiting_parks_only_the_task, .timeout = 20, .init = fd_check_start,
     .fini = fd_check_end)
{
    cr_assert_eq(corio_run(concurrent_main, NULL), 0);
}
