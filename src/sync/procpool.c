/* Process pool: workers are resources of a corio_respool; a call sends
 * [u32 fn][u32 len][bytes] over a socketpair and reads [i32 rc][u32 len][bytes]
 * back, waiting for readiness on the loop's poller. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corio/procpool.h>
#include <corio/respool.h>

#include "../core/sched.h"
#include "../io/fdwait.h"

#define MAX_MSG (1u << 30)

typedef struct worker {
    pid_t pid;
    int fd;    /* parent's end, nonblocking */
    bool kill; /* broken mid-call: kill rather than let it finish */
} worker;

struct corio_procpool {
    corio_respool *workers;
    corio_proc_fn *const *fns;
    size_t nfns;
    unsigned size;
};

/* --- the worker process ------------------------------------------------- */

static int read_full(int fd, void *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n == 0)
            return -1;
        if (n < 0 && errno != EINTR)
            return -1;
        if (n > 0)
            got += (size_t)n;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
    for (size_t put = 0; put < len;) {
        ssize_t n = write(fd, (const char *)buf + put, len - put);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n > 0)
            put += (size_t)n;
    }
    return 0;
}

_Noreturn static void worker_main(int fd, corio_proc_fn *const *fns, size_t nfns)
{
    uint32_t hdr[2];
    while (read_full(fd, hdr, sizeof hdr) == 0) {
        void *in = malloc(hdr[1] ? hdr[1] : 1);
        if (!in || read_full(fd, in, hdr[1]) < 0)
            _exit(1);
        void *out = NULL;
        size_t out_len = 0;
        int rc = hdr[0] < nfns ? fns[hdr[0]](in, hdr[1], &out, &out_len) : -EINVAL;
        if (rc >= 0 && out_len > MAX_MSG)
            rc = -EMSGSIZE; /* a result the caller never sees is an error it must */
        if (rc < 0)
            out_len = 0;
        int32_t reply[2] = {rc < 0 ? rc : 0, (int32_t)out_len};
        if (write_full(fd, reply, sizeof reply) < 0 || write_full(fd, out, out_len) < 0)
            _exit(1);
        free(in);
        free(out);
    }
    _exit(0); /* end of file: the pool is done with us */
}

/* --- the parent side ----------------------------------------------------- */

static int worker_open(void *ctx, void **res, int64_t deadline)
{
    (void)deadline; /* a fork does not wait */
    corio_procpool *p = ctx;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    worker *w = calloc(1, sizeof *w);
    if (!w) {
        close(sv[0]);
        close(sv[1]);
        return -ENOMEM;
    }
    fflush(NULL); /* or buffered output would be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int rc = -errno;
        close(sv[0]);
        close(sv[1]);
        free(w);
        return rc == -ENOMEM ? -ENOMEM : -EAGAIN;
    }
    if (pid == 0) {
        /* Keep only stdio and our end: other workers must see end-of-file
         * when the parent closes theirs. */
        int fd = dup2(sv[1], 3) < 0 ? sv[1] : 3;
        close_range((unsigned)fd + 1, ~0U, 0);
        if (fd != 3)
            close_range(3, (unsigned)fd - 1, 0);
        signal(SIGPIPE, SIG_DFL);
        worker_main(fd, p->fns, p->nfns);
    }
    close(sv[1]);
    w->pid = pid;
    w->fd = sv[0];
    int flags = fcntl(w->fd, F_GETFL);
    if (flags < 0 || fcntl(w->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(w->fd);
        free(w);
        return -errno;
    }
    *res = w;
    return 0;
}

static void worker_close(void *ctx, void *res)
{
    (void)ctx;
    worker *w = res;
    if (w->kill)
        kill(w->pid, SIGKILL);
    close(w->fd); /* an idle worker exits on end-of-file */
    while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    free(w);
}

static const corio_respool_ops worker_ops = {worker_open, worker_close};

/* Moves len bytes with send/recv, waiting on the poller whenever the socket
 * is not ready. 0, -ECHILD (the worker went away), or the wait's error. */
static int transfer(corio__loop *l, worker *w, void *buf, size_t len, bool out, int64_t deadline_ns)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = out ? send(w->fd, p, len, MSG_NOSIGNAL) : recv(w->fd, p, len, 0);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            return -ECHILD; /* end of file, EPIPE, ECONNRESET: it died */
        if (errno == EINTR)
            continue;
        int rc = corio__wait_fd(l, w->fd, out ? EPOLLOUT : EPOLLIN, deadline_ns);
        if (rc < 0)
            return corio__wait_rc(rc);
    }
    return 0;
}

int corio_procpool_new(unsigned workers, corio_proc_fn *const *fns, size_t nfns,
                       corio_procpool **out)
{
    (void)CORIO__TASK_LOOP();
    if (!out || !fns || nfns == 0 || nfns > UINT32_MAX || workers > 1024)
        return -EINVAL;
    corio_procpool *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    p->size = workers ? workers : ncpu > 0 ? (unsigned)ncpu : 1;
    p->fns = fns;
    p->nfns = nfns;
    int rc = corio_respool_new(&worker_ops, p, p->size, &p->workers);
    if (rc < 0) {
        free(p);
        return rc;
    }
    /* Fork them all now, while the process is as small as it will be. */
    void **w = calloc(p->size, sizeof *w);
    if (!w) {
        corio_respool_free(p->workers);
        free(p);
        return -ENOMEM;
    }
    unsigned got = 0;
    for (; got < p->size; got++)
        if ((rc = corio_respool_acquire(p->workers, &w[got], -1)) < 0)
            break;
    for (unsigned i = 0; i < got; i++)
        corio_respool_release(p->workers, w[i], false);
    free(w);
    if (rc < 0) {
        corio_respool_free(p->workers);
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int corio_procpool_call(corio_procpool *p, unsigned fn, const void *in, size_t in_len, void **out,
                        size_t *out_len, int64_t deadline)
{
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__MISUSE_IF(!p, "the pool is NULL");
    if (fn >= p->nfns || (in_len && !in) || !out || !out_len)
        return -EINVAL;
    if (in_len > MAX_MSG)
        return -EMSGSIZE;
    void *res;
    int rc = corio_respool_acquire(p->workers, &res, deadline);
    if (rc < 0)
        return rc;
    worker *w = res;
    int64_t dl = corio__deadline_ns(deadline);
    uint32_t hdr[2] = {fn, (uint32_t)in_len};
    int32_t reply[2];
    char *buf = NULL;
    rc = transfer(l, w, hdr, sizeof hdr, true, dl);
    if (rc == 0)
        rc = transfer(l, w, (void *)in, in_len, true, dl);
    if (rc == 0)
        rc = transfer(l, w, reply, sizeof reply, false, dl);
    if (rc == 0 && (reply[1] < 0 || !(buf = malloc(reply[1] ? (size_t)reply[1] : 1))))
        rc = reply[1] < 0 ? -ECHILD : -ENOMEM;
    if (rc == 0)
        rc = transfer(l, w, buf, (size_t)reply[1], false, dl);
    if (rc < 0) {
        /* Mid-call: the stream is out of step. Replace the worker. */
        free(buf);
        w->kill = true;
        corio_respool_release(p->workers, w, true);
        return rc;
    }
    corio_respool_release(p->workers, w, false);
    if (reply[0] < 0) {
        free(buf);
        return reply[0];
    }
    *out = buf;
    *out_len = (size_t)reply[1];
    return 0;
}

int corio_procpool_free(corio_procpool *p)
{
    if (!p)
        return 0;
    int rc = corio_respool_free(p->workers);
    if (rc < 0)
        return rc;
    free(p);
    return 0;
}
