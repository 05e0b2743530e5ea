/* Tests of what must abort: run the code in a forked child, capture its
 * stderr, and check that it died with corio's one-line misuse message. */
#ifndef CORIO_TESTS_CHILD_H
#define CORIO_TESTS_CHILD_H

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs fn in a forked child with stderr captured into err; returns its wait
 * status. */
static inline int in_child(void (*fn)(void), char *err, size_t errlen)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(p[1], STDERR_FILENO);
        close(p[0]);
        fn();
        _exit(0);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n < errlen - 1 && (r = read(p[0], err + n, errlen - 1 - n)) > 0)
        n += (size_t)r;
    err[n] = '\0';
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    return status;
}

/* Asserts that fn aborts with a stderr line containing msg
 * ("corio: <function>: <what was wrong>"). */
static inline void assert_misuse(void (*fn)(void), const char *msg)
{
    char err[1024];
    int status = in_child(fn, err, sizeof err);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "no abort; stderr: %s", err);
    cr_assert(strstr(err, msg), "stderr: %s (wanted %s)", err, msg);
}

#endif
