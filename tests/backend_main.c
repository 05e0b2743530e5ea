/* The main of every Criterion test program (linked in by corio_test in
 * CMakeLists.txt). ctest runs each program twice, the second time with
 * CORIO_BACKEND=io_uring; the library then falls back on epoll where the
 * kernel refuses io_uring, which would make that run epoll's again under
 * io_uring's name. So before any test: where the kernel refuses, the run is
 * skipped (exit 77, which ctest reports as skipped), and otherwise it must
 * really run on io_uring. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corio/corio.h>

enum { EXIT_SKIP = 77 };

static intptr_t backend_name(void *arg)
{
    *(const char **)arg = corio_loop_backend();
    return 0;
}

/* 0 to run the tests, else the exit status. */
static int check_backend(void)
{
    const char *env = getenv("CORIO_BACKEND");
    const char *want = env && !strcmp(env, "io_uring") ? "io_uring" : "epoll", *got = NULL;
    if (!strcmp(want, "io_uring")) {
        corio_config cfg = {.backend = CORIO_BACKEND_IO_URING};
        intptr_t rc = corio_run_ex(backend_name, &got, &cfg);
        if (rc == -ENOSYS || rc == -EPERM || rc == -EOPNOTSUPP) {
            printf("SKIPPED: CORIO_BACKEND=io_uring, but the kernel refuses io_uring (%s)\n",
                   corio_strerror((int)rc));
            return EXIT_SKIP;
        }
    }
    intptr_t rc = corio_run(backend_name, &got);
    if (rc != 0 || !got || strcmp(got, want)) {
        fprintf(stderr, "FAILED: the tests would run on %s, not %s (%s)\n", got ? got : "nothing",
                want, corio_strerror((int)rc));
        return 1;
    }
    return 0;
}

/* Visible: Criterion's workers find main by name to replace it with the
 * test they run. */
__attribute__((visibility("default"))) int main(int argc, char *argv[])
{
    /* In a child: a loop leaves state behind (signal masks, caches) that
     * Criterion's runner must not inherit. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = check_backend();
        fflush(NULL);
        _exit(rc);
    }
    int status, rc;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        fprintf(stderr, "FAILED: could not check the backend\n");
        return 1;
    }
    if ((rc = WEXITSTATUS(status)) != 0)
        return rc;
    struct criterion_test_set *tests = criterion_initialize();
    if (criterion_handle_args(argc, argv, true))
        rc = !criterion_run_all_tests(tests);
    criterion_finalize(tests);
    return rc;
}
