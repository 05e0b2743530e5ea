/* Files: each blocking call runs on the pool with corio_to_thread. A
 * request lives on the heap, since a cancelled caller returns before the
 * pool thread is done with it; the pool thread frees what it owns then. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <corio/cancel.h>
#include <corio/file.h>
#include <corio/pool.h>

#include "../base/misuse.h"

#define MAX_DEFAULT (1u << 30)

typedef struct request {
    atomic_int refs; /* the caller and the pool thread */
    int op;
    char *path;
    int fd, flags, mode;
    void *buf;
    size_t len, max;
    ssize_t result;
} request;

enum { OP_READ_ALL, OP_WRITE_ALL, OP_OPEN, OP_READ, OP_WRITE };

static void put(request *r)
{
    if (atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    free(r->path);
    if (r->op == OP_READ_ALL && r->result >= 0)
        free(r->buf); /* the caller left before taking it */
    if (r->op == OP_WRITE_ALL)
        free(r->buf);
    if (r->op == OP_OPEN && r->result >= 0)
        close((int)r->result); /* opened for a caller that left */
    free(r);
}

static ssize_t read_all(request *r)
{
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    ssize_t rc = 0;
    size_t cap = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, len = 0;
    char *buf = NULL;
    for (;;) {
        if (len + 1 >= cap || !buf) {
            if (buf)
                cap *= 2;
            if (cap > r->max + 1)
                cap = r->max + 1;
            char *b = realloc(buf, cap + 1);
            if (!b) {
                rc = -ENOMEM;
                break;
            }
            buf = b;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > r->max) {
            rc = -EFBIG;
            break;
        }
    }
    close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    r->buf = buf;
    r->len = len;
    return 0;
}

static ssize_t write_fd(int fd, const char *p, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static intptr_t run(void *arg)
{
    request *r = arg;
    ssize_t rc;
    switch (r->op) {
    case OP_READ_ALL:
        rc = read_all(r);
        break;
    case OP_WRITE_ALL: {
        int fd = open(r->path, O_WRONLY | O_CREAT | O_CLOEXEC | r->flags, 0644);
        rc = fd < 0 ? -errno : write_fd(fd, r->buf, r->len);
        if (fd >= 0 && close(fd) < 0 && rc >= 0)
            rc = -errno;
        break;
    }
    case OP_OPEN:
        rc = open(r->path, r->flags | O_CLOEXEC, r->mode);
        if (rc < 0)
            rc = -errno;
        break;
    case OP_READ:
        do
            rc = read(r->fd, r->buf, r->len);
        while (rc < 0 && errno == EINTR);
        if (rc < 0)
            rc = -errno;
        break;
    default:
        rc = write_fd(r->fd, r->buf, r->len);
        break;
    }
    r->result = rc;
    put(r);
    return 0;
}

/* Runs r on the pool; 0 when it ran (its outcome in r->result). */
static int submit(request *r)
{
    atomic_init(&r->refs, 2);
    int rc = corio_to_thread(run, r, NULL, -1);
    if (rc < 0 && rc != -ECANCELED && rc != -ETIMEDOUT) { /* never queued */
        atomic_store(&r->refs, 1);
        r->result = rc;
    }
    return rc;
}

static request *new_request(int op, const char *path)
{
    request *r = calloc(1, sizeof *r);
    if (r && path && !(r->path = strdup(path))) {
        free(r);
        return NULL;
    }
    if (r)
        r->op = op;
    return r;
}

int corio_file_read_all(const char *path, size_t max, void **data, size_t *len)
{
    if (!path || !data || !len)
        return -EINVAL;
    request *r = new_request(OP_READ_ALL, path);
    if (!r)
        return -ENOMEM;
    r->max = max ? max : MAX_DEFAULT;
    int rc = submit(r);
    if (rc == 0 && (rc = (int)r->result) == 0) {
        *data = r->buf;
        *len = r->len;
        r->result = -1; /* handed over: put() must not free it */
    }
    put(r);
    return rc;
}

int corio_file_write_all(const char *path, const void *data, size_t len, bool append)
{
    if (!path || (!data && len))
        return -EINVAL;
    request *r = new_request(OP_WRITE_ALL, path);
    if (!r || !(r->buf = malloc(len ? len : 1))) { /* a copy: the caller may leave early */
        free(r ? r->path : NULL);
        free(r);
        return -ENOMEM;
    }
    memcpy(r->buf, data, len);
    r->len = len;
    r->flags = append ? O_APPEND : O_TRUNC;
    int rc = submit(r);
    if (rc == 0 && r->result < 0)
        rc = (int)r->result;
    put(r);
    return rc;
}

struct corio_file {
    int fd;
};

int corio_file_open(const char *path, int flags, int mode, corio_file **out)
{
    if (!path || !out)
        return -EINVAL;
    request *r = new_request(OP_OPEN, path);
    corio_file *f = malloc(sizeof *f);
    if (!r || !f) {
        free(f);
        free(r ? r->path : NULL);
        free(r);
        return -ENOMEM;
    }
    r->flags = flags;
    r->mode = mode;
    int rc = submit(r);
    if (rc == 0)
        rc = r->result < 0 ? (int)r->result : 0;
    if (rc == 0) {
        f->fd = (int)r->result;
        r->result = -1; /* handed over */
        *out = f;
    } else {
        free(f);
    }
    put(r);
    return rc;
}

/* Reads and writes copy through a heap buffer only when cancelled mid-way
 * would leave the pool thread writing into the caller's stack: so they are
 * not cancellable once started (short, bounded calls). */
static ssize_t io_call(corio_file *f, int op, void *buf, size_t len)
{
    if (!f)
        corio__misuse(op == OP_READ ? "corio_file_read" : "corio_file_write", "the file is NULL");
    if (!buf && len)
        return -EINVAL;
    request *r = new_request(op, NULL);
    if (!r)
        return -ENOMEM;
    r->fd = f->fd;
    r->buf = buf;
    r->len = len;
    corio_scope shield;
    corio_scope_enter(&shield, -1, CORIO_SCOPE_SHIELD);
    int rc = submit(r);
    corio_scope_exit(&shield);
    ssize_t res = rc < 0 ? rc : r->result;
    r->op = OP_READ; /* nothing of the caller's to free */
    put(r);
    return res;
}

ssize_t corio_file_read(corio_file *f, void *buf, size_t len)
{
    return io_call(f, OP_READ, buf, len);
}

ssize_t corio_file_write(corio_file *f, const void *buf, size_t len)
{
    return io_call(f, OP_WRITE, (void *)buf, len);
}

int corio_file_close(corio_file *f)
{
    if (!f)
        return 0;
    int rc = close(f->fd) < 0 && errno != EINTR ? -errno : 0;
    free(f);
    return rc;
}
