/* Subprocesses (asyncio's create_subprocess_exec): spawn with argv, env and
 * cwd; stdin/stdout/stderr inherited, /dev/null or pipes read and written as
 * corio streams; waiting for the exit is event-driven (a pidfd on the loop's
 * poller), so a waiting task costs nothing. */
#ifndef CORIO_PROCESS_H
#define CORIO_PROCESS_H

#include <sys/types.h>

#include "common.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_process corio_process;

enum corio_stdio {
    CORIO_STDIO_INHERIT, /* the default: the child shares ours */
    CORIO_STDIO_PIPE,    /* a stream on our side */
    CORIO_STDIO_NULL,    /* /dev/null */
};

typedef struct corio_process_opts {
    const char *const *env; /* NULL-terminated "K=V" list; NULL: ours */
    const char *cwd;        /* NULL: ours */
    enum corio_stdio in, out, err;
} corio_process_opts;

/* Starts argv[0] (searched in PATH when it has no '/') with argv. Errors:
 * -ENOENT / -EACCES the program cannot be run, -EINVAL argv empty, -ENOMEM.
 * Misuse (aborts): outside a loop's thread. */
CORIO_API int corio_process_spawn(const char *const *argv, const corio_process_opts *opts,
                                  corio_process **out);

/* The pipes (NULL unless CORIO_STDIO_PIPE); they belong to the process. */
CORIO_API corio_stream *corio_process_stdin(corio_process *p);
CORIO_API corio_stream *corio_process_stdout(corio_process *p);
CORIO_API corio_stream *corio_process_stderr(corio_process *p);
/* Closes our end of stdin, so the child reads end of file. Errors: -EINVAL
 * stdin is not a pipe or was closed already; what corio_stream_close
 * returns. Misuse (aborts): p NULL (as for wait and kill). */
CORIO_API int corio_process_close_stdin(corio_process *p);

CORIO_API pid_t corio_process_pid(const corio_process *p);

/* Waits for the child to exit: its exit code (0..255), or 128 + the signal
 * that killed it (as a shell reports it). Can be called again: same answer.
 * Errors: -ETIMEDOUT (deadline: absolute corio_now() ms, -1 none);
 * -ECANCELED; -ECHILD the child was reaped by someone else (waitpid). */
CORIO_API int corio_process_wait(corio_process *p, int64_t deadline);

/* Sends sig (no-op with 0 once it has exited). Errors: -EINVAL sig is not a
 * signal; -EPERM not allowed to signal it (pidfd_send_signal). */
CORIO_API int corio_process_kill(corio_process *p, int sig);

/* Closes the pipes and frees p; a child still running is killed (SIGKILL)
 * and reaped first, so no process outlives its handle. */
CORIO_API void corio_process_free(corio_process *p);

#ifdef __cplusplus
}
#endif
#endif
