/* processes mode: the seed's multiprocessing version. --concurrency forked
 * workers each check their share of the list (every Nth URL) one after
 * another, with blocking sockets, and send a compact record per URL over a
 * pipe; the parent adds them up (and so can show progress and write the
 * JSONL). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

typedef struct record {
    uint64_t index;
    check_result r;
} record;

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        }
    }
    return 0;
}

static void child(const check_input *in, const check_opts *o, long k, long n, int out)
{
    FILE *f = check_input_reopen(in);
    if (!f)
        _exit(1);
    char *line = NULL;
    size_t cap = 0;
    const char *url;
    for (uint64_t index = 0; check_input_next(f, &line, &cap, &url) == 1; index++) {
        if ((long)(index % (uint64_t)n) != k)
            continue;
        record rec = {.index = index};
        check_fetch_blocking(url, o, &rec.r);
        if (write_all(out, &rec, sizeof rec) < 0)
            _exit(1);
    }
    _exit(0);
}

typedef struct worker {
    pid_t pid;
    int fd;      /* read end, -1 once at its end */
    size_t have; /* bytes of a record read so far */
    record rec;
} worker;

/* Reads what worker w has sent; records go to the sink. */
static int drain(worker *w, check_sink *s)
{
    ssize_t n = read(w->fd, (char *)&w->rec + w->have, sizeof w->rec - w->have);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    if (n == 0) {
        close(w->fd);
        w->fd = -1;
        return w->have ? -EPROTO : 0;
    }
    w->have += (size_t)n;
    if (w->have < sizeof w->rec)
        return 0;
    w->have = 0;
    return check_sink_add(s, w->rec.index, &w->rec.r);
}

int check_run_processes(const check_input *in, const check_opts *o, check_sink *s)
{
    long n = o->concurrency < in->urls ? o->concurrency : in->urls;
    worker *ws = calloc(n ? (size_t)n : 1, sizeof *ws);
    struct pollfd *pfds = calloc(n ? (size_t)n : 1, sizeof *pfds);
    int rc = ws && pfds ? 0 : -ENOMEM;
    long started = 0;
    fflush(NULL); /* or the children would write the parent's buffers again */
    for (; rc == 0 && started < n; started++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
            rc = -errno;
            break;
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            child(in, o, started, n, p[1]);
        }
        close(p[1]);
        if (pid < 0) {
            rc = -errno;
            close(p[0]);
            break;
        }
        ws[started] = (worker){.pid = pid, .fd = p[0]};
    }
    for (long open = started; rc == 0 && open > 0;) {
        nfds_t np = 0;
        for (long i = 0; i < started; i++)
            if (ws[i].fd >= 0)
                pfds[np++] = (struct pollfd){.fd = ws[i].fd, .events = POLLIN};
        if (poll(pfds, np, -1) < 0) {
            rc = errno == EINTR ? 0 : -errno;
            continue;
        }
        for (long i = 0, j = 0; rc == 0 && i < started; i++) {
            if (ws[i].fd < 0)
                continue;
            if (pfds[j++].revents && (rc = drain(&ws[i], s)) == 0 && ws[i].fd < 0)
                open--;
        }
    }
    for (long i = 0; i < started; i++) {
        if (ws[i].fd >= 0) {
            kill(ws[i].pid, SIGKILL);
            close(ws[i].fd);
        }
        int status;
        while (waitpid(ws[i].pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
            rc = -ECHILD;
    }
    free(ws);
    free(pfds);
    return rc;
}
