/* Internal: the pieces of the Redis client that its files share (the reply
 * reader, the connection, the request queue). */
#ifndef CORIO_DB_REDIS_INT_H
#define CORIO_DB_REDIS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <corio/redis.h>
#include <corio/stream.h>

#include "../core/sched.h"

#define CORIO__REDIS_MAX_REPLY ((size_t)512 << 20)

/* hiredis's reader building corio_redis_reply trees, with a size limit. */
typedef struct corio__redis_rd {
    void *r;      /* redisReader */
    size_t max;   /* the largest reply accepted */
    size_t built; /* bytes in the tree of the reply being read */
    bool too_big;
} corio__redis_rd;

int corio__redis_rd_init(corio__redis_rd *rd, size_t max); /* -ENOMEM */
void corio__redis_rd_fini(corio__redis_rd *rd);
int corio__redis_rd_feed(corio__redis_rd *rd, const char *buf, size_t len); /* -ENOMEM */
/* 1 and *out: a whole reply; 0: more bytes needed; -EPROTO not RESP;
 * -EMSGSIZE past max; -ENOMEM. After an error the reader is unusable. */
int corio__redis_rd_next(corio__redis_rd *rd, corio_redis_reply **out);

/* A caller's place in the queue of commands awaiting replies. */
typedef struct corio__redis_req corio__redis_req;
struct corio__redis_req {
    corio__redis_req *next;
    corio_task *task;        /* the caller; NULL once it has left (abandoned) */
    corio_redis_reply **dst; /* the caller's n reply slots; NULL: discard */
    size_t n, got;
    int rc;        /* for the caller once done */
    bool done;     /* every reply came, or the connection failed */
    bool parked;   /* the caller is parked on it (may be woken) */
    bool blocking; /* BLPOP & co: leaving it in flight breaks the connection */
};

typedef struct corio__redis_buf {
    char *p;
    size_t len, cap;
} corio__redis_buf;

struct corio_redis {
    corio_stream *s;
    corio__loop *loop;
    corio__redis_rd rd;
    char *rbuf;                 /* what a read brings, before it is fed */
    corio__redis_buf out, wbuf; /* commands queued / being written */
    corio__redis_req *head, *tail, *spare;
    bool writing, reading;
    bool dirty; /* a command was abandoned in flight since the last pool release */
    int broken;
    char *errstr;
    int64_t last_used;
    corio_redis_opts opts;
};

/* What a call sends: len bytes of RESP at resp, or (resp NULL) argc
 * arguments as corio_redis_argv takes them, encoded straight into the
 * connection's output. */
typedef struct corio__redis_cmd {
    const char *resp;
    size_t len;
    int argc;
    const char *const *argv;
    const size_t *argvlen;
} corio__redis_cmd;

/* Queues cmd (n commands) and waits for its n replies into dst: 0, or a
 * negative errno (nothing left in dst then). */
int corio__redis_call(corio_redis *c, const corio__redis_cmd *cmd, size_t n,
                      corio_redis_reply **dst, int64_t deadline);
/* One command's reply: 0, -CORIO_ESERVER (an error reply, in *out too: its
 * text becomes c's errstr), or the call's error. */
int corio__redis_call1(corio_redis *c, const corio__redis_cmd *cmd, corio_redis_reply **out,
                       int64_t deadline);
void corio__redis_set_errstr(corio_redis *c, const char *msg);
/* Marks c broken with err, fails every queued caller, shuts the socket. */
void corio__redis_fail(corio_redis *c, int err);
/* Maps a stream failure to what callers see. */
int corio__redis_io_err(ssize_t n);
/* Writes bytes at once (a subscriber's commands), shielded from
 * cancellation so that a command is never half sent. */
int corio__redis_write(corio_redis *c, const char *p, size_t len);
/* Reads bytes into the reader: 0, or -ECONNRESET & co, -ETIMEDOUT, -ECANCELED. */
int corio__redis_fill(corio_redis *c, int64_t deadline);
/* -ETIMEDOUT when a deadline of 0 (or past) forbids waiting, else 0. */
int corio__redis_deadline_check(int64_t deadline);
int corio__redis_buf_add(corio__redis_buf *b, const char *p, size_t len);
/* Appends argc arguments as one RESP command (argvlen NULL: C strings). */
int corio__redis_buf_argv(corio__redis_buf *b, int argc, const char *const *argv,
                          const size_t *argvlen);

#endif
