/* Internal: what the HTTP server's files share. */
#ifndef CORIO_HTTP_INTERNAL_H
#define CORIO_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include <llhttp.h>

#include <corio/cancel.h>
#include <corio/http.h>
#include <corio/loop.h>
#include <corio/sync.h>
#include <corio/task.h>

#include "../base/list.h"
#include "../base/log.h"
#include "../io/park.h"

#define HTTP_MAX_PARAMS 8

typedef struct route {
    struct route *next;
    char *method; /* "*" for any */
    char **segs;  /* pattern segments; "{name}" params keep their braces */
    size_t nsegs;
    bool rest; /* the last segment is "{name...}" */
    corio_http_handler *handler;
    void *arg;
} route;

typedef struct hook {
    struct hook *next;
    corio_http_hook *fn;
    void *arg;
} hook;

typedef struct server server;

struct corio_http_app {
    route *routes, **routes_tail;
    hook *startup, **startup_tail, *shutdown, **shutdown_tail;
    corio_http_limits limits;
    void *state;
    char *server_name;
    pthread_mutex_t mu; /* guards servers: corio_http_stop comes from any thread */
    corio__list servers;
};

/* A server's connection buffers of the usual sizes, given back by
 * connections that wait for a request, end or park, taken by the next that
 * needs one (pool.c): malloc and free of 16 KiB, 4 KiB, the request's
 * state and the connection cost ~800 instructions per keep-alive request
 * and ~2,000 more per connection. Only the server's loop touches it; bounded, emptied when
 * the server ends. */
enum { POOL_IN, POOL_OUT, POOL_WORK, POOL_CONN, POOL_KINDS };
typedef struct pooled {
    struct pooled *next;
} pooled;
typedef struct buf_pool {
    pooled *head[POOL_KINDS];
    unsigned n[POOL_KINDS];
} buf_pool;

/* One corio_http_serve call: its loop's connections. */
struct server {
    corio__list link; /* in app->servers */
    corio_http_app *app;
    corio_loop *loop;
    corio_task *task;
    corio_scope accept_scope;
    corio_nursery *nursery; /* the connections' tasks, a parked one's too when it wakes */
    corio__list conns;      /* struct conn, for stop to close the idle ones */
    size_t nconns;
    corio_event *drained; /* set when nconns drops to 0 while stopping */
    bool stopping;
    corio__parker pk; /* the idle connections */
    int64_t grace_deadline;
    corio__log_limit starved, refused; /* accepts failing, connections over the limit */
    buf_pool pool;
};

/* A route match: the handler and the decoded parameter values. */
typedef struct route_match {
    const route *r;
    size_t nparams;
    const char *names[HTTP_MAX_PARAMS]; /* "{name}" segments, braces included */
    size_t name_lens[HTTP_MAX_PARAMS];
    const char *values[HTTP_MAX_PARAMS]; /* raw, in the path */
    size_t value_lens[HTTP_MAX_PARAMS];
} route_match;

/* Finds the route for method and raw path: 0 and *m, -ENOENT (no path
 * matches: 404) or -EPERM (the path matches other methods: 405, allow gets
 * the "GET, HEAD, POST" list, NUL-terminated, truncated to cap). */
int corio__http_route_find(const corio_http_app *app, const char *method, const char *path,
                           size_t path_len, route_match *m, char *allow, size_t cap);

/* A message's headers as spans into the buffer its head was parsed from,
 * collected by llhttp's callbacks, then NUL-terminated in place. */
typedef struct http_hdr {
    const char *name, *value;
    const char *name_end, *value_end; /* as the spans came; value_end NULL: empty */
} http_hdr;

typedef struct http_hdrs {
    http_hdr *v;
    size_t n, cap;
    bool name_open; /* the last header's name may go on in the next span */
} http_hdrs;

/* on_header_field / on_header_value: 0, -E2BIG past max headers (0: no
 * limit), -ENOMEM. */
int corio__http_hdrs_field(http_hdrs *h, const char *at, size_t len, size_t max);
/* on_header_field_complete: the next name span is another header's, even
 * after an empty value (which llhttp reports no span for). */
void corio__http_hdrs_field_done(http_hdrs *h);
void corio__http_hdrs_value(http_hdrs *h, const char *at, size_t len);
/* Once the head is parsed: terminates names and values, trims values. */
void corio__http_hdrs_finish(http_hdrs *h);
/* A string literal and its length, counted by the compiler:
 * corio__http_out(c, LIT("Connection: close\r\n")). */
#define LIT(s) (s), (sizeof(s) - 1)

/* Whether x is called name, of len bytes (case-insensitive). */
bool corio__http_hdr_is(const http_hdr *x, const char *name, size_t len);
/* The first header called name (case-insensitive), or NULL. */
const char *corio__http_hdrs_get(const http_hdrs *h, const char *name);

/* A message body parsed out of a buffer by llhttp, which pauses at each
 * body span and at the end of the message: the body is handed out in the
 * reader's pieces, and a pipelined message after it stays in the buffer. */
typedef struct http_body {
    const char *pending; /* a body span not yet handed out */
    size_t pending_len;
    size_t total; /* bytes handed out */
    bool done;    /* the message ended */
    bool poke;    /* paused at a span's end: step once more, even without input */
} http_body;

/* llhttp's on_body and on_message_complete. */
int corio__http_body_span(http_body *b, const char *at, size_t len);
int corio__http_body_end(http_body *b);
/* Copies pending body bytes to buf: how many (0: none pending). */
size_t corio__http_body_take(http_body *b, void *buf, size_t len);
/* Reads a whole body with read(arg, ...) (> 0 bytes, 0 at the end, or < 0)
 * into a NUL-terminated malloc'd copy, first cap bytes (> 0), doubled as
 * needed: 0 with *out and *len, -EMSGSIZE past max bytes, -ENOMEM, or
 * read's error. */
int corio__http_body_whole(ssize_t (*read)(void *arg, void *buf, size_t len), void *arg, size_t cap,
                           size_t max, char **out, size_t *len);
/* Whether buf must be refilled before the next step. */
bool corio__http_body_wants_input(const http_body *b, size_t parsed, size_t end);
/* Parses buf[*parsed, end) up to the next pause, moving *parsed: 0, or
 * -EBADMSG when the body is malformed. */
int corio__http_body_step(http_body *b, llhttp_t *p, const char *buf, size_t *parsed, size_t end);

/* Whether the first n bytes of a request can still become a request line
 * (a method token, then a space): false for a TLS handshake or any binary
 * sent to a plain port, which can be answered 400 at once. */
bool corio__http_could_be_request(const char *p, size_t n);
/* Checks a request line ("METHOD target HTTP/1.x", CRLF optional): 0, 400
 * when it has no version or a malformed one, 505 for a version other than
 * 1.0 and 1.1. */
int corio__http_check_line(const char *line, size_t n);
/* Checks a request's parsed headers for what llhttp lets through: one Host
 * (exactly one in HTTP/1.1), no transfer coding but chunked. 0, or the
 * status to answer with and *why. */
int corio__http_check_headers(const http_hdrs *h, int minor, const char **why);

/* Finds the blank line ending a message head in buf[from..end): the
 * offset just past it, or 0 if it has not come yet. */
size_t corio__http_head_end(const char *buf, size_t from, size_t end);

/* The "Date: ...\r\n" header line for now (cached per second per thread). */
const char *corio__http_date_line(size_t *len);

#endif
