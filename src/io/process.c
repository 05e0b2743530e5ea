/* Subprocesses: posix_spawn (which reports exec failures), pipes wrapped in
 * streams, and a pidfd that becomes readable when the child exits. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corio/process.h>

#include "../core/sched.h"

extern char **environ;

struct corio_process {
    pid_t pid;
    corio_fd *pidfd;
    corio_stream *io[3];
    int status; /* -1 until reaped, then the exit code or 128 + signal */
};

static int reap(corio_process *p, int flags)
{
    int st;
    pid_t r;
    while ((r = waitpid(p->pid, &st, flags)) < 0 && errno == EINTR)
        ;
    if (r != p->pid)
        return r == 0 ? -EAGAIN : -errno;
    p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

/* Sets up standard stream child_fd; for a pipe, *ours gets our end and
 * *theirs the child's (which we close once the child has it). */
static int plan_stdio(posix_spawn_file_actions_t *fa, enum corio_stdio mode, int child_fd,
                      int *ours, int *theirs)
{
    if (mode == CORIO_STDIO_NULL)
        return -posix_spawn_file_actions_addopen(fa, child_fd, "/dev/null",
                                                 child_fd == 0 ? O_RDONLY : O_WRONLY, 0);
    if (mode != CORIO_STDIO_PIPE)
        return mode == CORIO_STDIO_INHERIT ? 0 : -EINVAL;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    *theirs = child_fd == 0 ? p[0] : p[1];
    *ours = child_fd == 0 ? p[1] : p[0];
    return -posix_spawn_file_actions_adddup2(fa, *theirs, child_fd);
}

int corio_process_spawn(const char *const *argv, const corio_process_opts *opts,
                        corio_process **out)
{
    static const corio_process_opts defaults;
    if (!out || !argv || !argv[0])
        return -EINVAL;
    (void)CORIO__LOOP();
    if (!opts)
        opts = &defaults;
    corio_process *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->status = -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    int fds[6] = {-1, -1, -1, -1, -1, -1}; /* ours 0..2, theirs 3..5 */
    enum corio_stdio modes[3] = {opts->in, opts->out, opts->err};
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = plan_stdio(&fa, modes[i], i, &fds[i], &fds[i + 3]);
    if (rc == 0 && opts->cwd)
        rc = -posix_spawn_file_actions_addchdir_np(&fa, opts->cwd);
    if (rc == 0) {
        char *const *env = opts->env ? (char *const *)opts->env : environ;
        rc = -posix_spawnp(&p->pid, argv[0], &fa, NULL, (char *const *)argv, env);
    }
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 3; i < 6; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    int pfd = rc == 0 ? pidfd_open(p->pid, 0) : -1;
    if (rc == 0 && pfd < 0)
        rc = -errno;
    if (rc == 0)
        rc = corio_fd_open(pfd, &p->pidfd);
    for (int i = 0; i < 3; i++) {
        if (fds[i] < 0)
            continue;
        corio_fd *f;
        if (rc == 0 && (rc = corio_fd_open(fds[i], &f)) == 0)
            rc = corio_stream_open(f, &p->io[i]);
        else if (rc < 0)
            close(fds[i]);
    }
    if (rc < 0) {
        if (p->pid > 0) {
            kill(p->pid, SIGKILL);
            reap(p, 0);
        }
        corio_process_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

corio_stream *corio_process_stdin(corio_process *p)
{
    return p ? p->io[0] : NULL;
}

corio_stream *corio_process_stdout(corio_process *p)
{
    return p ? p->io[1] : NULL;
}

corio_stream *corio_process_stderr(corio_process *p)
{
    return p ? p->io[2] : NULL;
}

int corio_process_close_stdin(corio_process *p)
{
    CORIO__MISUSE_IF(!p, "the process is NULL");
    if (!p->io[0])
        return -EINVAL;
    int rc = corio_stream_close(p->io[0]);
    p->io[0] = NULL;
    return rc;
}

pid_t corio_process_pid(const corio_process *p)
{
    return p ? p->pid : -1;
}

int corio_process_wait(corio_process *p, int64_t deadline)
{
    CORIO__MISUSE_IF(!p, "the process is NULL");
    while (p->status < 0) {
        int rc = reap(p, WNOHANG);
        if (rc == 0)
            break;
        if (rc != -EAGAIN)
            return rc;
        rc = corio_fd_wait(p->pidfd, CORIO_READ, deadline);
        if (rc < 0)
            return rc;
    }
    return p->status;
}

int corio_process_kill(corio_process *p, int sig)
{
    CORIO__MISUSE_IF(!p, "the process is NULL");
    if (p->status >= 0)
        return 0;
    return pidfd_send_signal(corio_fd_fileno(p->pidfd), sig, NULL, 0) < 0 ? -errno : 0;
}

void corio_process_free(corio_process *p)
{
    if (!p)
        return;
    if (p->pid > 0 && p->status < 0) {
        kill(p->pid, SIGKILL);
        reap(p, 0);
    }
    for (int i = 0; i < 3; i++)
        if (p->io[i])
            corio_stream_close(p->io[i]);
    if (p->pidfd)
        corio_fd_close(p->pidfd);
    free(p);
}
