/* A Redis client (aioredis's job) on corio's streams, with hiredis's RESP
 * reader and its formatter for printf-style commands underneath (argv
 * commands are written as RESP straight into the connection's buffer).
 *
 * One connection (corio_redis) may be shared by any number of tasks of its
 * loop: their commands are queued in arrival order, those queued in the same
 * loop turn go out in one write, and one reader matches the replies to the
 * callers in order (implicit pipelining). Every blocking call takes an
 * absolute deadline as its last parameter (corio_now() ms, -1 none, 0 do not
 * wait), is a cancellation checkpoint and honours the enclosing scopes.
 *
 * What cancellation does to a connection: a caller cancelled (or timed out)
 * while its command is in flight returns at once; its reply is read later
 * and discarded, so the connection stays in step and the other callers are
 * unaffected. Blocking commands (BLPOP, BRPOP, BLMOVE, BZPOPMIN, XREAD BLOCK,
 * WAIT, ...) are the exception: cancelling one closes the connection
 * (corio_redis_broken then says -ECONNABORTED), so that a late reply (an
 * element popped for nobody) is never read by the next user; run them on a
 * connection of their own. A pool never hands out again a connection that
 * saw either (corio_redis_pool_release).
 *
 * Errors common to the calls below: -CORIO_ESERVER the server replied with an
 * error (its text: corio_redis_errstr); -ECONNRESET the server closed the
 * connection or it failed (the connection is broken from then on); -EPROTO
 * the server's bytes are not RESP (broken too); -EMSGSIZE a reply larger than
 * opts.max_reply, refused before it is all read (broken too); a call on a
 * broken connection returns the error that broke it; -ETIMEDOUT; -ECANCELED;
 * -ENOMEM. Misuse (aborts): a NULL connection; a call outside a task of the
 * loop that connected (all calls on a connection come from that loop's
 * tasks). */
#ifndef CORIO_REDIS_H
#define CORIO_REDIS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- Replies ---------------------------------------------------------------- */
typedef enum corio_redis_type {
    CORIO_REDIS_STRING = 1, /* a bulk string: binary-safe, len bytes (and a NUL after them) */
    CORIO_REDIS_ARRAY,      /* len elements, each a reply (nested arrays too) */
    CORIO_REDIS_INTEGER,    /* integer */
    CORIO_REDIS_NIL,        /* a nil bulk string or a nil array */
    CORIO_REDIS_STATUS,     /* a simple string ("OK", "PONG", "QUEUED") in str */
    CORIO_REDIS_ERROR,      /* an error reply, its text ("WRONGTYPE ...") in str */
} corio_redis_type;

/* A reply tree, one allocation per node; the caller frees the root with
 * corio_redis_reply_free. */
typedef struct corio_redis_reply corio_redis_reply;
struct corio_redis_reply {
    corio_redis_type type;
    long long integer;
    size_t len;                   /* bytes of str, or elements of an array */
    char *str;                    /* STRING, STATUS, ERROR: NUL-terminated as well */
    corio_redis_reply **elements; /* ARRAY */
};

CORIO_API void corio_redis_reply_free(corio_redis_reply *r);

/* --- Connections ------------------------------------------------------------ */
typedef struct corio_redis corio_redis;

typedef struct corio_redis_opts {
    /* The largest reply accepted (a bulk string, or what is buffered of one
     * reply); larger ones fail with -EMSGSIZE. 0: 512 MiB, Redis's own bulk
     * limit. */
    size_t max_reply;
    /* rediss://: the CA file to verify the server with (NULL: the system
     * store; read while connecting, copied by pools and subscribers);
     * tls_no_verify skips verification (tests only). */
    const char *ca_file;
    bool tls_no_verify;
    /* Pools: a connection idle for longer than idle_timeout_ms is closed
     * rather than handed out (0: kept); one idle for longer than
     * check_after_ms is sent a PING before it is handed out, and replaced if
     * that fails (0: 5000; negative: never). */
    int64_t idle_timeout_ms;
    int64_t check_after_ms;
} corio_redis_opts;

/* Connects to url and, when it says so, authenticates (AUTH [user] password)
 * and selects the database (SELECT n):
 *   redis://[[user]:password@]host[:port][/db]   (port 6379, db 0)
 *   rediss://...                                 (TLS, verified: opts)
 *   unix:///path/to/redis.sock[?db=N][&password=P]
 * User and password may be percent-encoded. opts may be NULL (defaults).
 * Errors: -EINVAL bad URL; -CORIO_ESERVER AUTH or SELECT refused (the text:
 * corio_redis_connect_errstr); what corio_tcp_connect,
 * corio_unix_connect and corio_tls_connect return; -ETIMEDOUT; -ECANCELED. */
CORIO_API int corio_redis_connect(const char *url, const corio_redis_opts *opts, corio_redis **out,
                                  int64_t deadline);
/* Closes the connection and frees c. No task may be inside a call on c. */
CORIO_API void corio_redis_close(corio_redis *c);
/* 0 while c is usable, else the error that broke it (-ECONNRESET, -EPROTO,
 * -EMSGSIZE, -ECONNABORTED after a cancelled blocking command). */
CORIO_API int corio_redis_broken(const corio_redis *c);
/* The text of the last error reply returned by a call on c, "" if none;
 * valid until the calling task's next call on c. */
CORIO_API const char *corio_redis_errstr(const corio_redis *c);
/* Why the calling thread's last corio_redis_connect failed, in words ("" if
 * it did not get that far): the server's AUTH or SELECT error text. */
CORIO_API const char *corio_redis_connect_errstr(void);

/* --- Commands --------------------------------------------------------------- */
/* Sends a command given as argc arguments (argvlen NULL: each a C string;
 * else argvlen[i] bytes each, any bytes) and waits for its reply: 0 and *out.
 * On -CORIO_ESERVER *out holds the error reply too (free it); on other errors
 * *out is NULL. Errors: above; -EINVAL argc < 1. */
CORIO_API int corio_redis_argv(corio_redis *c, int argc, const char *const *argv,
                               const size_t *argvlen, corio_redis_reply **out, int64_t deadline);
/* The same with a printf-style command: hiredis's format, "%s" a C string
 * argument, "%b" a binary one (pointer, size_t length), the rest as printf;
 * spaces separate arguments. The deadline comes before the format, as the
 * arguments must come last. Errors: as corio_redis_argv; -EINVAL a bad format. */
CORIO_API int corio_redis_command(corio_redis *c, corio_redis_reply **out, int64_t deadline,
                                  const char *fmt, ...);
/* corio_redis_command with a va_list; the same errors. */
CORIO_API int corio_redis_vcommand(corio_redis *c, corio_redis_reply **out, int64_t deadline,
                                   const char *fmt, va_list ap);

/* Typed helpers for the common shapes, so that GET and INCR need no tree:
 * they run the command and check the reply's type (-EBADMSG: another type).
 * _int: an integer reply (INCR, DEL, EXISTS, ...).
 * _str: a bulk string (GET): 0 and *out (malloc'd, NUL-terminated, len in
 *       *len if len is not NULL; free it), -ENOENT for nil.
 * _ok:  a status reply (SET, "OK"), or an integer / string (any but nil,
 *       error).
 * Errors of all three: the common ones (-CORIO_ESERVER: the error text is
 * in corio_redis_errstr); -EBADMSG; _str: -ENOENT. */
CORIO_API int corio_redis_int(corio_redis *c, long long *out, int64_t deadline, const char *fmt,
                              ...);
CORIO_API int corio_redis_str(corio_redis *c, char **out, size_t *len, int64_t deadline,
                              const char *fmt, ...);
CORIO_API int corio_redis_ok(corio_redis *c, int64_t deadline, const char *fmt, ...);

/* --- Explicit pipelines and transactions ------------------------------------ */
/* Commands queued in a pipeline go out together and their replies come back
 * in one round trip. A pipeline is a plain buffer: no loop needed to fill it,
 * reusable after corio_redis_pipe_clear. */
typedef struct corio_redis_pipe corio_redis_pipe;

CORIO_API int corio_redis_pipe_new(corio_redis_pipe **out); /* -ENOMEM */
CORIO_API void corio_redis_pipe_free(corio_redis_pipe *p);
CORIO_API void corio_redis_pipe_clear(corio_redis_pipe *p);
CORIO_API size_t corio_redis_pipe_count(const corio_redis_pipe *p);
/* Queues a command (argv as corio_redis_argv, or a format). Errors:
 * -EINVAL argc < 1 or a bad format; -ENOMEM. */
CORIO_API int corio_redis_pipe_argv(corio_redis_pipe *p, int argc, const char *const *argv,
                                    const size_t *argvlen);
CORIO_API int corio_redis_pipe_add(corio_redis_pipe *p, const char *fmt, ...);

/* Sends p's commands (other tasks' commands cannot come between them) and
 * waits for all their replies: 0 with replies[0 .. count-1] filled (error
 * replies among them are not failures of the run; free each reply). On
 * failure nothing is left in replies. Errors: above, but not -CORIO_ESERVER;
 * -EINVAL p empty. */
CORIO_API int corio_redis_pipe_run(corio_redis *c, const corio_redis_pipe *p,
                                   corio_redis_reply **replies, int64_t deadline);
/* Runs p as a transaction: MULTI, p's commands, EXEC, sent together. 0 with
 * *out EXEC's array (one reply per command); 1 and *out NULL when EXEC was
 * aborted because a WATCHed key changed. WATCH itself is an ordinary command
 * (corio_redis_ok "WATCH k"), sent before; since MULTI/EXEC and WATCH are per
 * connection, a read-modify-write with WATCH needs a connection no other task
 * uses meanwhile (one from a pool). Errors: above; -CORIO_ESERVER a command
 * was refused when queued (EXECABORT: *out holds EXEC's error). */
CORIO_API int corio_redis_pipe_exec(corio_redis *c, const corio_redis_pipe *p,
                                    corio_redis_reply **out, int64_t deadline);

/* --- Scripts ---------------------------------------------------------------- */
/* A Lua script, run by its SHA1 (EVALSHA) and sent in full (EVAL, which
 * caches it on the server) only when the server answers NOSCRIPT. */
typedef struct corio_redis_script {
    char sha1[41];
    const char *source; /* the caller's, kept alive while the script is used */
} corio_redis_script;

/* Fills s for source (computes the SHA1). */
CORIO_API void corio_redis_script_init(corio_redis_script *s, const char *source);
/* EVALSHA sha1 nkeys args... (argc arguments: the keys first), falling back
 * to EVAL on NOSCRIPT. Reply and errors as corio_redis_argv; -EINVAL nkeys
 * < 0 or > argc. */
CORIO_API int corio_redis_eval(corio_redis *c, const corio_redis_script *s, int nkeys, int argc,
                               const char *const *argv, const size_t *argvlen,
                               corio_redis_reply **out, int64_t deadline);

/* --- Pub/sub ---------------------------------------------------------------- */
/* A subscriber: a connection of its own, read by the task that calls
 * corio_redis_sub_get. Messages wait in the socket and the server until then
 * (nothing is buffered in the client beyond one read), so the bound on a
 * subscriber that falls behind is the server's: past its
 * client-output-buffer-limit for pubsub the server drops the connection.
 * Whenever the connection is lost (that, CLIENT KILL, a restart) the
 * subscriber reconnects with backoff (100 ms doubling to 5 s), subscribes
 * again to every channel and pattern, and says so: the next get returns a
 * CORIO_REDIS_MSG_RECONNECTED event. Messages published while it was gone
 * are lost: Redis pub/sub delivers at most once, to those connected. */
typedef struct corio_redis_sub corio_redis_sub;

typedef enum corio_redis_msg_kind {
    CORIO_REDIS_MSG_MESSAGE = 1, /* channel, data */
    CORIO_REDIS_MSG_PMESSAGE,    /* pattern, channel, data */
    CORIO_REDIS_MSG_SUBSCRIBE,   /* channel (or pattern) now subscribed; count */
    CORIO_REDIS_MSG_UNSUBSCRIBE, /* channel (or pattern) no longer; count */
    CORIO_REDIS_MSG_RECONNECTED, /* the connection was lost (why: error) and remade */
} corio_redis_msg_kind;

typedef struct corio_redis_msg {
    corio_redis_msg_kind kind;
    const char *channel; /* NUL-terminated; also channel_len bytes (binary-safe) */
    size_t channel_len;
    const char *pattern; /* PMESSAGE, and (P)SUBSCRIBE / (P)UNSUBSCRIBE of a pattern */
    const char *data;    /* MESSAGE, PMESSAGE: data_len bytes, NUL after them */
    size_t data_len;
    long long count; /* SUBSCRIBE, UNSUBSCRIBE: subscriptions left on the connection */
    int error;       /* RECONNECTED: why the connection was lost */
} corio_redis_msg;

/* Connects a subscriber to url (as corio_redis_connect; its errors).
 * Misuse (aborts): out NULL; outside a task. */
CORIO_API int corio_redis_sub_open(const char *url, const corio_redis_opts *opts,
                                   corio_redis_sub **out, int64_t deadline);
CORIO_API void corio_redis_sub_close(corio_redis_sub *s);
/* Subscribes to a channel / a pattern, or unsubscribes (name NULL: from all).
 * The request is sent; the server's confirmation comes through
 * corio_redis_sub_get. Remembered for re-subscribing after a reconnection
 * even if the send failed (the next get reconnects). Errors of all four:
 * -ENOMEM; -ETIMEDOUT, -ECANCELED while sending; subscribe and psubscribe:
 * -EINVAL name NULL. Misuse (aborts): s NULL. */
CORIO_API int corio_redis_subscribe(corio_redis_sub *s, const char *channel, int64_t deadline);
CORIO_API int corio_redis_psubscribe(corio_redis_sub *s, const char *pattern, int64_t deadline);
CORIO_API int corio_redis_unsubscribe(corio_redis_sub *s, const char *channel, int64_t deadline);
CORIO_API int corio_redis_punsubscribe(corio_redis_sub *s, const char *pattern, int64_t deadline);
/* Waits for the next message or event: 0 and *msg, whose pointers stay valid
 * until the next get or close. Reconnects as said above while the deadline
 * allows. Errors: -ETIMEDOUT; -ECANCELED; -EPROTO, -EMSGSIZE (the connection
 * is remade at the next get); -ENOMEM. Misuse (aborts): s or msg NULL. */
CORIO_API int corio_redis_sub_get(corio_redis_sub *s, corio_redis_msg *msg, int64_t deadline);

/* --- Pool ------------------------------------------------------------------- */
/* Up to max connections to one URL on corio_respool: opened on demand,
 * reused warmest first, waiters served in arrival order. */
typedef struct corio_redis_pool corio_redis_pool;

/* Errors: -EINVAL (max 0, bad URL), -ENOMEM. No connection is made yet.
 * Misuse (aborts): out NULL; and for the calls below, p NULL (but
 * corio_redis_pool_free(NULL) does nothing). */
CORIO_API int corio_redis_pool_new(const char *url, const corio_redis_opts *opts, size_t max,
                                   corio_redis_pool **out);
/* Closes the idle connections and frees p; -EBUSY (nothing freed) while
 * any connection is out or a task waits. */
CORIO_API int corio_redis_pool_free(corio_redis_pool *p);
/* A connection for the caller alone until it is released. An idle one past
 * opts.check_after_ms is PINGed first and replaced if that fails. Errors: what
 * corio_redis_connect returns; -ETIMEDOUT; -ECANCELED. Misuse (aborts): out
 * NULL. */
CORIO_API int corio_redis_pool_acquire(corio_redis_pool *p, corio_redis **out, int64_t deadline);
/* Gives c back; returns 0. A connection that is broken, or that had a
 * command cancelled in flight while it was out, is closed instead, never
 * handed out again. Misuse (aborts): c NULL; more releases than acquires;
 * outside a task. */
CORIO_API int corio_redis_pool_release(corio_redis_pool *p, corio_redis *c);
CORIO_API size_t corio_redis_pool_idle(const corio_redis_pool *p);
CORIO_API size_t corio_redis_pool_in_use(const corio_redis_pool *p);

#ifdef __cplusplus
}
#endif
#endif
