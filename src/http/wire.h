/* Internal: one server connection, the request and response it is on, and
 * the bytes to and from its client (wire.c). */
#ifndef CORIO_HTTP_WIRE_H
#define CORIO_HTTP_WIRE_H

#include <llhttp.h>

#include "http.h"

/* Small per-request allocations (decoded path, parameters, query values),
 * freed together when the request ends. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
} arena_block;

typedef struct conn conn;

struct corio_http_req {
    conn *c;
    const char *method;
    char *target; /* NUL-terminated in the input buffer */
    size_t target_len;
    char *path; /* decoded (arena) */
    const char *raw_path;
    size_t raw_path_len;
    char *query; /* raw, (arena) or NULL */
    http_hdrs hdrs;
    route_match m;
    const char *params[HTTP_MAX_PARAMS]; /* decoded (arena) */
    int minor;
    bool keep_alive, expect_continue, continue_sent, head;
    /* body */
    bool has_body;
    int body_err; /* why reading the body failed (0: it did not) */
    http_body body;
    char *whole; /* corio_http_req_body's copy (malloc'd) */
    size_t whole_len;
};

struct corio_http_resp {
    conn *c;
    char *headers; /* the handler's header lines, "Name: value\r\n"... */
    size_t hlen, hcap;
    bool started, chunked, ended, close_delimited;
};

/* What a connection needs only while it has a task: given back when it
 * parks (a kilobyte less per idle connection). */
typedef struct conn_work {
    llhttp_t parser;
    corio_http_req req;
    corio_http_resp resp;
    /* The arena's first bytes, on the stack of the task serving requests: a
     * usual request's path and parameters fit, with no malloc per request
     * and no heap for a connection's busy moments to leave behind. */
    char *scratch;
    size_t scratch_used;
} conn_work;

#define ARENA_SCRATCH 256

struct conn {
    corio__list_node link; /* in server->conns */
    server *srv;
    corio_http_app *app;
    const corio_http_limits *lim;
    corio_stream *s;
    corio_fd *plain;  /* the descriptor when s is plain TCP, else NULL */
    corio_task *task; /* while one runs it (not while parked) */
    corio__parked p;  /* a server's: how it parks (idle_timeout_ms) */
    conn_work *w;     /* NULL while parked */
    char *in;
    size_t cap, start, end; /* the current request starts at start; bytes up to end */
    size_t head_end;        /* end of the current request's head */
    size_t parsed;          /* body bytes fed to the parser up to here */
    size_t next;            /* where the next request starts */
    char *out;
    size_t olen, ocap;
    int err_status;        /* set by a parser callback that refused the head (431) */
    int64_t body_deadline; /* a body's: corio_now() ms it must be in by, before its rate bonus */
    bool idle;             /* its task waits for the next request */
    bool closing;
    bool parked; /* its task gave it up (parked, or handed to a new task) */
    bool broken; /* a write failed: the client holds part of an answer, nothing more goes out */
    bool last;   /* the write before the close, with nothing unread: its bytes wait for the FIN */
    bool peer_gone;             /* the client left while its handler ran */
    corio_scope *handler_scope; /* while a handler runs: cancelled when the client leaves */
    unsigned served;
    arena_block *arena;
    char peer[48];
};

/* Copies a string literal to buf + n and advances n past it. */
#define PUT_LIT(buf, n, s) (memcpy((buf) + (n), (s), sizeof(s) - 1), (n) += sizeof(s) - 1)

/* The input and output buffers' first sizes: what the pool recycles. */
#define IN_CAP  16384
#define OUT_CAP 4096

/* pool.c: a buffer of kind's size (IN_CAP, OUT_CAP) from srv's pool
 * (NULL: none), or malloc'd; uninitialised either way. */
void *corio__http_pool_take(server *srv, int kind);
/* Gives buf (NULL: nothing), of kind's size, back to srv's pool, or frees
 * it when there is none or it is full. */
void corio__http_pool_give(server *srv, int kind, void *buf);
/* A zeroed connection for srv, from its pool or calloc'd. */
conn *corio__http_conn_new(server *srv);
/* c->w, zeroed but for a pooled one's header array, pointing back to c:
 * 0 or -ENOMEM. */
int corio__http_work_new(conn *c);
/* Gives back c->w (request_reset ran) with its header array. */
void corio__http_work_free(conn *c);
/* Gives back c's input and output buffers (both empty: nothing is kept). */
void corio__http_bufs_drop(conn *c);
/* Frees what p holds (the end of its server). */
void corio__http_pool_empty(buf_pool *p);

/* A batch of pipelined answers this big is written without waiting for the
 * next read; an output buffer grown past it is given back after a write. */
#define OUT_FLUSH 65536

/* wire.c: the bytes to and from the client. */
void *corio__http_arena_alloc(conn *c, size_t n);
void corio__http_arena_reset(conn *c);
/* One read from the connection: plain ones straight from the descriptor, so
 * that nothing is ever buffered in the stream behind the poller's back. */
ssize_t corio__http_read(conn *c, void *buf, size_t len, int64_t deadline);
/* Appends to the output buffer (flushed before the connection next waits
 * for input, or when it grows large). */
int corio__http_out(conn *c, const void *p, size_t n);
/* Room for n more bytes at the output buffer's end: where to write them
 * (then add what was written to c->olen), or NULL out of memory. */
char *corio__http_out_room(conn *c, size_t n);
int corio__http_flush(conn *c);
/* Writes n bytes to the client, after what is buffered. The deadline is
 * about progress: it fails only when no byte was taken for
 * write_timeout_ms. Any failure breaks the connection: the client holds
 * part of an answer, so nothing more is sent on it and it closes. */
int corio__http_write(conn *c, const void *p, size_t n);
/* Sends a whole error answer (text body) and marks the connection closing. */
int corio__http_error(conn *c, int status);
/* An error answer to a request the client got wrong, logged (at info: the
 * client's fault, not the server's) with why. */
int corio__http_client_error(conn *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The client's address for a log line ("a client" when unknown), looked
 * up the first time one is written. */
const char *corio__http_peer(conn *c);

#endif
