/* The connection's request queue: implicit pipelining.
 *
 * Callers append their commands to one output buffer and their requests to
 * one FIFO. The first caller to find no write under way becomes the writer:
 * it yields once, so that the commands other tasks queue in the same loop
 * turn join the batch, then writes the batch (and whatever came meanwhile).
 * Replies are read by one caller at a time, the reader, which hands each
 * reply to the request at the head of the FIFO and wakes its caller; when
 * its own request is done (or it is cancelled) it hands the reading over to
 * the first caller still waiting. There is no task of the connection's own:
 * the callers do all the work, so a connection needs no nursery.
 *
 * A caller that leaves early (cancelled, timed out) leaves its request in
 * the FIFO without a caller: its reply is read and discarded when it comes.
 * Writes are shielded from cancellation, so a command is never half sent;
 * reads may stop anywhere, as hiredis's reader keeps partial replies. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <corio/cancel.h>
#include <corio/error.h>
#include <corio/task.h>
#include <corio/time.h>

#include "../base/misuse.h"
#include "redis_int.h"

#define RBUF 32768
/* A woken waiter's park returns this when it is to read next. */
#define LEAD 1

/* Room for len more bytes in b. */
static int buf_reserve(corio__redis_buf *b, size_t len)
{
    if (b->cap - b->len >= len)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < len) {
        if (cap > SIZE_MAX / 2)
            return -ENOMEM;
        cap *= 2;
    }
    char *n = realloc(b->p, cap);
    if (!n)
        return -ENOMEM;
    b->p = n;
    b->cap = cap;
    return 0;
}

int corio__redis_buf_add(corio__redis_buf *b, const char *p, size_t len)
{
    if (buf_reserve(b, len) < 0)
        return -ENOMEM;
    memcpy(b->p + b->len, p, len);
    b->len += len;
    return 0;
}

/* "<mark><n>\r\n" at p; returns the end. Arguments are mostly short: their
 * lengths take one or two digits. */
static inline char *put_header(char *p, char mark, size_t n)
{
    *p++ = mark;
    if (n < 10) {
        *p++ = (char)('0' + n);
    } else if (n < 100) {
        *p++ = (char)('0' + n / 10);
        *p++ = (char)('0' + n % 10);
    } else {
        int len = 3;
        for (size_t m = n / 1000; m; m /= 10)
            len++;
        for (int i = len - 1; i >= 0; i--, n /= 10)
            p[i] = (char)('0' + n % 10);
        p += len;
    }
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

/* hiredis's redisFormatCommandArgv writes each "$<len>" with sprintf, and
 * allocates the command: for a GET that is most of the client's work per
 * command. The same RESP, written in place. */
int corio__redis_buf_argv(corio__redis_buf *b, int argc, const char *const *argv,
                          const size_t *argvlen)
{
    enum { HEADER = 1 + 20 + 2 }; /* "$" or "*", a size_t's digits, CRLF */
    size_t need = HEADER;
    for (int i = 0; i < argc; i++) {
        size_t n = argvlen ? argvlen[i] : strlen(argv[i]);
        if (n > SIZE_MAX / 2 - need)
            return -ENOMEM;
        need += HEADER + n + 2;
    }
    if (buf_reserve(b, need) < 0)
        return -ENOMEM;
    char *p = put_header(b->p + b->len, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        size_t n = argvlen ? argvlen[i] : strlen(argv[i]);
        p = put_header(p, '$', n);
        memcpy(p, argv[i], n);
        p += n;
        *p++ = '\r';
        *p++ = '\n';
    }
    b->len = (size_t)(p - b->p);
    return 0;
}

int corio__redis_deadline_check(int64_t deadline)
{
    return deadline >= 0 && deadline <= corio_now() ? -ETIMEDOUT : 0;
}

int corio__redis_io_err(ssize_t n)
{
    if (n == 0 || n == -EPIPE || n == -ECONNRESET || n == -ESHUTDOWN)
        return -ECONNRESET;
    return (int)n;
}

static corio__redis_req *req_new(corio_redis *c)
{
    corio__redis_req *q = c->spare;
    if (q)
        c->spare = q->next;
    else if (!(q = malloc(sizeof *q)))
        return NULL;
    memset(q, 0, sizeof *q);
    return q;
}

static void req_recycle(corio_redis *c, corio__redis_req *q)
{
    q->next = c->spare;
    c->spare = q;
}

/* Frees the replies a request got so far: its caller sees none of them. */
static void drop_replies(corio__redis_req *q)
{
    for (size_t i = 0; q->dst && i < q->got; i++) {
        corio_redis_reply_free(q->dst[i]);
        q->dst[i] = NULL;
    }
    q->dst = NULL;
}

static void finish(corio_redis *c, corio__redis_req *q, int rc)
{
    if (!q->task) {
        drop_replies(q);
        req_recycle(c, q);
        return;
    }
    if (rc < 0)
        drop_replies(q);
    q->rc = rc;
    q->done = true;
    if (q->parked) {
        q->parked = false;
        corio__wake(c->loop, q->task, 0);
    }
}

void corio__redis_fail(corio_redis *c, int err)
{
    if (!c->broken) {
        c->broken = err;
        /* A reader parked in a read of the socket wakes to its end. */
        shutdown(corio_fd_fileno(corio_stream_fd(c->s)), SHUT_RDWR);
    }
    c->out.len = 0;
    while (c->head) {
        corio__redis_req *q = c->head;
        c->head = q->next;
        finish(c, q, err);
    }
    c->tail = NULL;
}

/* The reply for the request at the head of the FIFO. */
static void deliver(corio_redis *c, corio_redis_reply *r)
{
    corio__redis_req *q = c->head;
    if (!q) { /* nobody asked: out of step (a push message, a server bug) */
        corio_redis_reply_free(r);
        corio__redis_fail(c, -EPROTO);
        return;
    }
    if (q->dst)
        q->dst[q->got] = r;
    else
        corio_redis_reply_free(r);
    if (++q->got < q->n)
        return;
    c->head = q->next;
    if (!c->head)
        c->tail = NULL;
    finish(c, q, 0);
}

/* Passes the reading to the first caller parked in the FIFO, if any. */
static void hand_over(corio_redis *c)
{
    for (corio__redis_req *q = c->head; q; q = q->next)
        if (q->parked) {
            q->parked = false;
            corio__wake(c->loop, q->task, LEAD);
            return;
        }
    c->reading = false;
}

int corio__redis_fill(corio_redis *c, int64_t deadline)
{
    ssize_t n = corio_stream_read(c->s, c->rbuf, RBUF, deadline);
    if (n > 0) {
        c->last_used = corio_now(); /* once a read, not once a command */
        return corio__redis_rd_feed(&c->rd, c->rbuf, (size_t)n);
    }
    return corio__redis_io_err(n);
}

/* Reads replies until me is done; the caller holds the reading. Returns 0,
 * or the caller's own cancellation or deadline (me still in flight). */
static int read_for(corio_redis *c, corio__redis_req *me, int64_t deadline)
{
    for (;;) {
        /* Every reply a read brought is handed out, not only up to the
         * reader's own: their callers then run, and queue their next
         * commands, together, and those go out in one write. */
        corio_redis_reply *r;
        int rc = corio__redis_rd_next(&c->rd, &r);
        if (rc > 0) {
            deliver(c, r);
            continue;
        }
        if (rc == 0 && me->done)
            return 0;
        if (rc == 0)
            rc = corio__redis_fill(c, deadline);
        if (rc == -ETIMEDOUT || rc == -ECANCELED)
            return rc;
        if (rc < 0) { /* every request is done now, me too */
            corio__redis_fail(c, rc);
            return 0;
        }
    }
}

static void cancel_hook(corio_task *t)
{
    corio__redis_req *q = t->wait_data;
    q->parked = false;
}

/* The caller leaves with its request in flight. */
static void abandon(corio_redis *c, corio__redis_req *q)
{
    drop_replies(q);
    q->task = NULL;
    c->dirty = true;
    if (q->blocking) /* its late reply would be someone's lost element */
        corio__redis_fail(c, -ECONNABORTED);
}

static int wait_reply(corio_redis *c, corio__redis_req *q, int64_t deadline)
{
    int64_t dl_ns = corio__deadline_ns(deadline);
    while (!q->done) {
        int rc;
        if (!c->reading) {
            c->reading = true;
            rc = LEAD;
        } else {
            q->parked = true;
            c->loop->current->wait_data = q;
            rc = corio__park(c->loop, "redis reply", 0, dl_ns, cancel_hook);
            q->parked = false;
            rc = corio__wait_rc(rc);
        }
        if (rc == LEAD) {
            rc = read_for(c, q, deadline);
            hand_over(c);
        }
        if (rc < 0 && !q->done) {
            abandon(c, q);
            return rc;
        }
    }
    return 0;
}

/* Sends c->out (and what is queued while that is written). The batch is
 * everyone's, so the writer's own cancellation must not cut it short. */
static int flush(corio_redis *c)
{
    corio_scope shield;
    int rc = corio_scope_enter(&shield, -1, CORIO_SCOPE_SHIELD);
    while (rc == 0 && c->out.len) {
        corio__redis_buf b = c->out;
        c->out = c->wbuf;
        c->wbuf = b;
        rc = corio_stream_write(c->s, b.p, b.len, -1);
        c->wbuf.len = 0;
    }
    corio_scope_exit(&shield);
    return rc;
}

/* A failure reaches the callers through their requests. */
static void write_batch(corio_redis *c)
{
    c->writing = true;
    corio_yield(); /* its cancellation is seen by the wait that follows */
    int rc = c->broken ? 0 : flush(c);
    c->writing = false;
    if (rc < 0)
        corio__redis_fail(c, corio__redis_io_err(rc));
}

int corio__redis_write(corio_redis *c, const char *p, size_t len)
{
    if (corio__redis_buf_add(&c->out, p, len) < 0)
        return -ENOMEM;
    int rc = flush(c);
    if (rc < 0)
        corio__redis_fail(c, corio__redis_io_err(rc));
    return rc < 0 ? c->broken : 0;
}

/* The decimal number at p (as far as its digits go). */
static size_t digits_at(const char *p, const char *end)
{
    size_t n = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++)
        n = n * 10 + (size_t)(*p - '0');
    return n;
}

/* Whether a command named first... may be one of those below: each starts
 * with B or W, or is XREAD (BLOCK) or XREADGROUP. Most commands stop here. */
static bool may_block(char first)
{
    first = (char)(first & ~0x20);
    return first == 'B' || first == 'W' || first == 'X';
}

/* Whether cmd is a command that blocks on the server until data comes
 * (cmd is RESP we formatted: "*N\r\n$L\r\nNAME\r\n..."). */
static bool is_blocking(const char *cmd, size_t len)
{
    static const char *const names[] = {"BLPOP",    "BRPOP",    "BRPOPLPUSH", "BLMOVE", "BLMPOP",
                                        "BZPOPMIN", "BZPOPMAX", "BZMPOP",     "WAIT",   "WAITAOF"};
    const char *end = cmd + len;
    const char *p = memchr(cmd, '\n', len);
    bool xread = false;
    for (int arg = 0; p && ++p < end && *p == '$'; arg++) {
        size_t n = digits_at(p + 1, end);
        const char *s = memchr(p, '\n', (size_t)(end - p));
        if (!s || (size_t)(end - s - 1) < n)
            return false;
        s++;
        if (arg == 0) {
            if (!may_block(*s))
                return false;
            for (size_t i = 0; i < sizeof names / sizeof *names; i++)
                if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0)
                    return true;
            xread = (n == 5 && strncasecmp(s, "XREAD", 5) == 0) ||
                    (n == 10 && strncasecmp(s, "XREADGROUP", 10) == 0);
            if (!xread)
                return false;
        } else if (n == 5 && strncasecmp(s, "BLOCK", 5) == 0) {
            return true;
        }
        p = s + n + 1; /* at the '\n' after the argument */
    }
    return false;
}

int corio__redis_call(corio_redis *c, const corio__redis_cmd *cmd, size_t n,
                      corio_redis_reply **dst, int64_t deadline)
{
    corio__loop *l = corio__task_loop();
    if (!l)
        corio__misuse("corio_redis", "called outside a task");
    if (!c)
        corio__misuse("corio_redis", "the connection is NULL");
    if (l != c->loop)
        corio__misuse("corio_redis", "a connection of another loop");
    int rc = corio_checkpoint();
    if (rc == 0)
        rc = corio__redis_deadline_check(deadline);
    if (rc == 0)
        rc = c->broken;
    if (rc < 0)
        return rc;
    corio__redis_req *q = req_new(c);
    size_t start = c->out.len;
    if (q)
        rc = cmd->resp ? corio__redis_buf_add(&c->out, cmd->resp, cmd->len)
                       : corio__redis_buf_argv(&c->out, cmd->argc, cmd->argv, cmd->argvlen);
    if (!q || rc < 0) {
        if (q)
            req_recycle(c, q);
        return -ENOMEM;
    }
    q->task = l->current;
    q->dst = dst;
    q->n = n;
    /* An argv call's name says at once whether its RESP needs a look. */
    bool maybe =
        cmd->resp || (!(cmd->argvlen && cmd->argvlen[0] == 0) && may_block(cmd->argv[0][0]));
    q->blocking = n == 1 && maybe && is_blocking(c->out.p + start, c->out.len - start);
    if (c->tail)
        c->tail->next = q;
    else
        c->head = q;
    c->tail = q;
    if (!c->writing)
        write_batch(c);
    rc = wait_reply(c, q, deadline);
    if (rc < 0) /* abandoned: the queue owns it now */
        return rc;
    rc = q->rc;
    req_recycle(c, q);
    return rc;
}
