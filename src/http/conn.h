/* Internal: one server connection and the request/response it is on. */
#ifndef CORIO_HTTP_CONN_H
#define CORIO_HTTP_CONN_H

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
    char *path;   /* decoded (arena) */
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
    char *whole; /* corio_http_req_body's copy */
    size_t whole_len;
};

struct corio_http_resp {
    conn *c;
    char *headers; /* the handler's header lines, "Name: value\r\n"... */
    size_t hlen, hcap;
    bool started, chunked, ended, close_delimited;
};

struct conn {
    corio__list_node link; /* in server->conns */
    server *srv;
    corio_http_app *app;
    const corio_http_limits *lim;
    corio_stream *s;
    corio_fd *plain; /* the descriptor when s is plain TCP, else NULL */
    corio_task *task;
    llhttp_t parser;
    char *in;
    size_t cap, start, end; /* the current request starts at start; bytes up to end */
    size_t head_end;        /* end of the current request's head */
    size_t parsed;          /* body bytes fed to the parser up to here */
    size_t next;            /* where the next request starts */
    char *out;
    size_t olen, ocap;
    int err_status;        /* set by a parser callback that refused the head (431) */
    int64_t body_deadline; /* corio_now() ms the body must be in by, before its rate bonus */
    bool idle, closing;
    bool broken;    /* a write failed: the client holds part of an answer, nothing more goes out */
    bool peer_gone; /* the client left while its handler ran */
    corio_scope *handler_scope; /* while a handler runs: cancelled when the client leaves */
    unsigned served;
    arena_block *arena;
    corio_http_req req;
    corio_http_resp resp;
    char peer[48];
};

/* Serves connection s of srv (NULL: none) until it ends. */
int corio__http_conn_run(corio_http_app *app, server *srv, corio_stream *s);
void *corio__http_arena_alloc(conn *c, size_t n);
/* Appends to the output buffer (flushed before the connection next waits
 * for input, or when it grows large). */
int corio__http_out(conn *c, const void *p, size_t n);
int corio__http_flush(conn *c);
/* Writes n bytes to the client, after what is buffered. The deadline is
 * about progress: it fails only when no byte was taken for
 * write_timeout_ms. Any failure breaks the connection: the client holds
 * part of an answer, so nothing more is sent on it and it closes. */
int corio__http_write(conn *c, const void *p, size_t n);
/* Queues a response's status line and headers. len < 0: a streamed body. */
int corio__http_head(corio_http_resp *resp, int status, const char *type, long long len);
/* Sends a whole error answer (text body) and marks the connection closing. */
int corio__http_error(conn *c, int status);

#endif
