/* HTTP/1.1 server and client (aiohttp's web.Application and ClientSession).
 *
 * Server: an app holds routes ("GET /animals/{name}"), per-app state,
 * startup/shutdown hooks and limits; corio_http_serve runs it on a listener
 * with one task per connection: keep-alive, pipelining (responses in
 * order), chunked bodies both ways, 100-continue, server-sent events,
 * strict parsing (llhttp) against request smuggling, limits with 4xx
 * answers, graceful stop. A handler is straight-line code in its own task:
 * it reads the request, may block (sleep, queue, client calls), and answers
 * through the response calls below.
 *
 * Client: a session (corio_http_client) with a keep-alive connection pool
 * per origin; one-shot calls; http and https; redirects when asked; bodies by
 * length, chunked or close-delimited; gzip when asked; deadlines.
 *
 * Errors: negative errno values. The client's failures fall into classes
 * that corio_http_error_class names: -CORIO_EDNS (dns), -ECONNREFUSED
 * (refused), -ECONNRESET / -EPIPE (reset), -ETIMEDOUT (timeout),
 * -EKEYREJECTED / -EPROTO (tls), -EBADMSG (protocol: the peer did not speak
 * HTTP/1.x), -EMSGSIZE (body over the limit), -EINVAL (invalid URL).
 *
 * Misuse (aborts) for every call here: a NULL app, request, response,
 * client or listener; a call that waits made outside a task. */
#ifndef CORIO_HTTP_H
#define CORIO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"
#include "io.h"
#include "stream.h"
#include "tls.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Server                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct corio_http_app corio_http_app;
typedef struct corio_http_req corio_http_req;
typedef struct corio_http_resp corio_http_resp;

/* Handles one request: reads req, answers with one of the response calls.
 * A handler that returns without answering gets a 500 sent for it (204 if it
 * returned 0). A negative return after a streamed answer has started closes
 * the connection. */
typedef int corio_http_handler(corio_http_req *req, corio_http_resp *resp, void *arg);
/* Startup and shutdown hooks run in the serving task (aiohttp's on_startup /
 * on_cleanup); a failing startup hook makes corio_http_serve return its
 * error before accepting anything. */
typedef int corio_http_hook(corio_http_app *app, void *arg);

typedef struct corio_http_limits {
    size_t max_request_line; /* method + target + version (default 8 KiB) -> 414 */
    size_t max_header_bytes; /* all header lines (default 16 KiB) -> 431 */
    size_t max_headers;      /* header count (default 100) -> 431 */
    size_t max_body;         /* request body (default 1 MiB) -> 413 */
    int header_timeout_ms;   /* from the first byte to the end of the head (default 10 s) */
    int body_timeout_ms;     /* between body reads (default 30 s) */
    int idle_timeout_ms;     /* keep-alive wait for the next request (default 60 s) */
    size_t max_connections;  /* per serving loop (default 10000); beyond: accepted,
                              * answered 503 with Connection: close */
    unsigned max_keepalive;  /* requests per connection (default 0: unlimited) */
    /* A response that makes no progress (no byte taken by the kernel) for
     * this long fails, and its connection closes (default 30 s). However
     * long a big answer to a slow reader takes, it is never cut while it
     * moves. */
    int write_timeout_ms;
    /* The whole request body must arrive within body_total_timeout_ms of the
     * end of the head (default 10 s), extended by one second for every
     * body_min_rate bytes received (default 1024 bytes/s): a body trickled
     * in a byte at a time gets 408, a big one at a fair rate never does. */
    int body_total_timeout_ms;
    size_t body_min_rate;
} corio_http_limits;

CORIO_API int corio_http_app_new(corio_http_app **out); /* -EINVAL out NULL; -ENOMEM */
CORIO_API void corio_http_app_free(corio_http_app *app);

/* Adds a route. method: "GET", "POST", ... or "*" for any. pattern: a path
 * starting with '/', where a "{name}" segment matches one non-empty segment
 * (read it with corio_http_req_param) and a final "{name...}" matches the
 * rest of the path. Routes are tried in the order added; a path that matches
 * with another method gets 405 with an Allow header, none at all 404. GET
 * routes answer HEAD too (without the body). Errors: -EINVAL a bad method
 * or pattern, or handler NULL; -ENOMEM. */
CORIO_API int corio_http_route(corio_http_app *app, const char *method, const char *pattern,
                               corio_http_handler *handler, void *arg);
CORIO_API void corio_http_app_set_state(corio_http_app *app, void *state);
CORIO_API void *corio_http_app_state(const corio_http_app *app);
/* Adds a hook, run in the order added. Errors: -EINVAL hook NULL; -ENOMEM. */
CORIO_API int corio_http_on_startup(corio_http_app *app, corio_http_hook *hook, void *arg);
CORIO_API int corio_http_on_shutdown(corio_http_app *app, corio_http_hook *hook, void *arg);
/* Defaults are filled in for zero fields. */
CORIO_API void corio_http_app_set_limits(corio_http_app *app, const corio_http_limits *limits);
CORIO_API void corio_http_app_limits(const corio_http_app *app, corio_http_limits *out);
/* The Server header's value (default "corio/<version>"); NULL omits it. */
CORIO_API void corio_http_app_set_server_name(corio_http_app *app, const char *name);

/* Serves app on listener (which stays the caller's) until corio_http_stop
 * is called, the calling task is cancelled or deadline passes (absolute
 * corio_now() ms, -1 none; 0 or a past time: it stops at its first wait):
 * runs the startup hooks, accepts, and on corio_http_stop stops accepting,
 * closes idle connections, lets requests in flight finish until the grace
 * deadline, cancels the rest, runs the shutdown hooks and returns 0.
 * Cancelled or past its deadline, it stops the same way with no grace
 * (requests in flight are cancelled, every connection is closed), runs the
 * shutdown hooks and returns -ECANCELED or -ETIMEDOUT. tls: NULL for plain
 * HTTP, or a server context for HTTPS. Several loops may serve one app
 * (corio_run_threads with SO_REUSEPORT listeners): routes and limits are
 * read-only once serving; hooks run once per corio_http_serve call.
 * Errors: a startup hook's own error (nothing is served); -ECANCELED;
 * -ETIMEDOUT deadline (or an enclosing scope's) passed; accept(2)'s errors
 * other than running out of descriptors (which pauses accepting); -ENOMEM;
 * else a shutdown hook's error. Misuse (aborts): app or listener NULL;
 * outside a task. */
CORIO_API int corio_http_serve(corio_http_app *app, corio_fd *listener, corio_tls_ctx *tls,
                               int64_t deadline);
/* Asks every corio_http_serve of app (on any loop, from any thread) to stop
 * gracefully, giving requests in flight grace_ms to finish. */
CORIO_API void corio_http_stop(corio_http_app *app, int grace_ms);
/* Connections open right now on the calling loop's servers of app. */
CORIO_API size_t corio_http_app_connections(const corio_http_app *app);

/* Serves one already-accepted connection (a stream; it stays the caller's
 * to close) until it ends: what corio_http_serve runs per connection; also
 * the fuzz target's entry. Returns why it ended: 0 the client closed or
 * reset it, or keep-alive ended; -ETIMEDOUT a limit's timeout; -EBADMSG
 * a malformed request (answered 400 first); -EMSGSIZE over a limit
 * (answered 4xx); -ECANCELED; -ENOMEM; a handler's negative return after a
 * streamed answer had started. */
CORIO_API int corio_http_serve_conn(corio_http_app *app, corio_stream *conn);

/* --- requests --- */
CORIO_API const char *corio_http_req_method(const corio_http_req *req);
/* The request target as sent ("/a/b?x=1"); the path part raw, and decoded. */
CORIO_API const char *corio_http_req_target(const corio_http_req *req);
CORIO_API const char *corio_http_req_path(const corio_http_req *req);
/* The raw query string (without '?'), or NULL. */
CORIO_API const char *corio_http_req_query_string(const corio_http_req *req);
/* Decoded query parameter key ('+' is a space), or NULL when absent. The
 * string lives as long as the request. */
CORIO_API const char *corio_http_req_query(corio_http_req *req, const char *key);
/* Decoded value of a route's {name}, or NULL. */
CORIO_API const char *corio_http_req_param(const corio_http_req *req, const char *name);
/* The first header called name (case-insensitive), or NULL; the count and
 * i-th header in the order received. */
CORIO_API const char *corio_http_req_header(const corio_http_req *req, const char *name);
CORIO_API size_t corio_http_req_header_count(const corio_http_req *req);
CORIO_API int corio_http_req_header_at(const corio_http_req *req, size_t i, const char **name,
                                       const char **value); /* -ERANGE i >= count */
/* 0 for HTTP/1.0, 1 for HTTP/1.1 (never an error). */
CORIO_API int corio_http_req_minor_version(const corio_http_req *req);
CORIO_API corio_http_app *corio_http_req_app(const corio_http_req *req);
/* The peer's address as text ("127.0.0.1"), "" if unknown. */
CORIO_API const char *corio_http_req_peer(const corio_http_req *req);
/* The connection's socket (under TLS too), for socket options a handler
 * needs (tests' fake servers aborting with RST); it stays the server's: do
 * not close it. NULL when served on a stream without one. */
CORIO_API corio_fd *corio_http_req_fd(const corio_http_req *req);

/* The whole body (Content-Length or chunked), NUL-terminated after len
 * bytes, owned by the request. Errors: -EMSGSIZE over max_body (the server
 * then answers 413 and closes); -ETIMEDOUT the body timeouts of the limits;
 * -EBADMSG malformed chunks; -ECONNRESET the client went away mid-body (or
 * another socket error); -ECANCELED; -ENOMEM. Sends "100 Continue" first
 * when the client asked for it (-EPIPE if that cannot be sent). */
CORIO_API int corio_http_req_body(corio_http_req *req, const char **body, size_t *len);
/* Streams the body: > 0 bytes, 0 at its end, or the errors above. */
CORIO_API ssize_t corio_http_req_read(corio_http_req *req, void *buf, size_t len);

/* --- responses --- */
/* Adds a response header (copied). Content-Length, Transfer-Encoding, Date,
 * Server and Connection are the server's own. Errors: -EALREADY the
 * response has started; -EINVAL name or value NULL or empty name, a CR or
 * LF in either, or one of the server's own names; -ENOMEM.
 *
 * The calls that send (send, file, text, json, start, write_chunk, end,
 * sse_*) fail with: -EALREADY the response has started (send, file, start);
 * -EINVAL status not 100..999; -EPIPE the connection is already broken; a
 * socket error such as -ECONNRESET; -ETIMEDOUT no progress within
 * write_timeout_ms; -ECANCELED the handler was cancelled (the server is
 * stopping); -ENOMEM. After a failure the connection closes. */
CORIO_API int corio_http_resp_header(corio_http_resp *resp, const char *name, const char *value);
/* A whole response with Content-Length (content_type NULL: none). Errors:
 * those above; -EINVAL body NULL with len > 0. */
CORIO_API int corio_http_resp_send(corio_http_resp *resp, int status, const char *content_type,
                                   const void *body, size_t len);
/* A whole response whose body is len bytes of file descriptor fd from
 * offset (the descriptor stays the caller's; it is read with pread, its
 * own offset untouched). Streamed with bounded memory whatever the size:
 * sendfile(2) on plain connections (page-cache reads happen on the loop's
 * thread, as in nginx without aio), pieces read on the thread pool over
 * TLS. Each piece must make progress within the write_timeout_ms limit.
 * Errors: -EINVAL fd, offset or len negative; -EALREADY the response has
 * started; -EIO the file ended before len bytes; what writing returned
 * (-ETIMEDOUT, -EPIPE, ...). After a failure once the head went out, the connection
 * closes (the client can tell a cut body by its length). */
CORIO_API int corio_http_resp_file(corio_http_resp *resp, int status, const char *content_type,
                                   int fd, int64_t offset, int64_t len);
/* Shorthands: text/plain; charset=utf-8 and application/json (text or json
 * NULL: an empty body); the errors of corio_http_resp_send. */
CORIO_API int corio_http_resp_text(corio_http_resp *resp, int status, const char *text);
CORIO_API int corio_http_resp_json(corio_http_resp *resp, int status, const char *json);
/* Streaming: start sends the head with Transfer-Encoding: chunked (HTTP/1.1;
 * for 1.0 the body is close-delimited); write_chunk sends one chunk now
 * (len 0 does nothing); end sends the last chunk. Each waits while the
 * client is slow and fails with -ECONNRESET/-EPIPE once it is gone (the
 * errors above). write_chunk and end: -EINVAL the response has ended (end
 * twice: 0); end: -EINVAL it was not started; write_chunk: -EINVAL data
 * NULL with len > 0. Misuse (aborts): write_chunk before the response
 * started (with start, or sse_start). */
CORIO_API int corio_http_resp_start(corio_http_resp *resp, int status, const char *content_type);
CORIO_API int corio_http_resp_write_chunk(corio_http_resp *resp, const void *data, size_t len);
CORIO_API int corio_http_resp_end(corio_http_resp *resp);
/* Whether the response has started (head sent or queued): 1 or 0, never an
 * error. */
CORIO_API int corio_http_resp_started(const corio_http_resp *resp);

/* Server-sent events: start answers 200 text/event-stream (no caching);
 * send writes one event (id and event may be NULL; data may hold newlines,
 * each line gets its own "data:"); comment writes ": text" (a heartbeat).
 * The errors of the sending calls above; send and comment: -EINVAL the
 * response has ended. Misuse (aborts): send or comment before the response
 * started (with sse_start). */
CORIO_API int corio_http_sse_start(corio_http_resp *resp);
CORIO_API int corio_http_sse_send(corio_http_resp *resp, const char *id, const char *event,
                                  const char *data);
CORIO_API int corio_http_sse_comment(corio_http_resp *resp, const char *text);

/* The reason phrase of a status code ("Not Found"), "Unknown" if none. */
CORIO_API const char *corio_http_reason(int status);

/* The length of the HTTP/1.x head at the start of buf[0..len), up to and
 * including the empty line that ends it (CRLF or bare LF line ends), or 0
 * when that line is not there yet: for code that reads messages itself. */
CORIO_API size_t corio_http_head_end(const char *buf, size_t len);

/* ------------------------------------------------------------------------ */
/* Client                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct corio_http_client corio_http_client;
typedef struct corio_http_response corio_http_response;

typedef struct corio_http_client_opts {
    unsigned max_per_host;  /* connections per origin (default 8) */
    unsigned max_total;     /* connections in all (default 256) */
    bool insecure;          /* https: skip certificate checks (tests only) */
    const char *ca_file;    /* https: CA bundle instead of the system store */
    int connect_timeout_ms; /* default 10 s (DNS included) */
    int read_timeout_ms;    /* between reads (default 30 s) */
    int idle_timeout_ms;    /* a pooled connection older than this is dropped (default 30 s) */
    const char *user_agent; /* default "corio/<version>"; "" sends none */
} corio_http_client_opts;

typedef struct corio_http_header {
    const char *name;
    const char *value;
} corio_http_header;

typedef struct corio_http_request_opts {
    const char *method;               /* default "GET" */
    const corio_http_header *headers; /* extra request headers */
    size_t nheaders;
    const void *body; /* sent with Content-Length when non-NULL */
    size_t body_len;
    int max_redirects; /* 0: redirects are returned as they are */
    bool gzip;         /* send Accept-Encoding: gzip and decode */
    size_t max_body;   /* default 64 MiB; beyond: -EMSGSIZE */
} corio_http_request_opts;

/* opts may be NULL (defaults). Errors: -EINVAL out NULL; -ENOENT the
 * ca_file cannot be loaded; -ENOMEM. Usable by the tasks of the loop that
 * created it. */
CORIO_API int corio_http_client_new(const corio_http_client_opts *opts, corio_http_client **out);
/* Closes the pooled connections; responses still open must be freed first. */
CORIO_API void corio_http_client_free(corio_http_client *c);

/* Sends a request and reads the response head: the body is then read with
 * corio_http_response_read (streaming) or corio_http_response_body (all).
 * Redirects (when asked: 301/302/303 become GET without body, 307/308
 * repeat the method) are followed up to max_redirects; the last response is
 * returned (a 3xx when the limit is reached). The deadline (absolute
 * corio_now() ms, -1 none, 0 do not wait) covers the whole exchange, the
 * later body reads of the response included. opts may be NULL (a GET).
 * Errors: -EINVAL url not http(s) or malformed; CORIO_EDNS; -ECONNREFUSED,
 * -ECONNRESET, ... (the connection); -EKEYREJECTED, -EPROTO (TLS); -EBADMSG
 * a malformed response or redirect; -EMSGSIZE over max_body; -ETIMEDOUT;
 * -ECANCELED; -ENOMEM. corio_http_error_class() groups them. */
CORIO_API int corio_http_client_open(corio_http_client *c, const char *url,
                                     const corio_http_request_opts *opts, corio_http_response **out,
                                     int64_t deadline);
/* open + read the whole body. Errors as corio_http_client_open. */
CORIO_API int corio_http_client_request(corio_http_client *c, const char *url,
                                        const corio_http_request_opts *opts,
                                        corio_http_response **out, int64_t deadline);
/* One-shot request with a private client (no reuse). Errors as
 * corio_http_client_open. */
CORIO_API int corio_http_get(const char *url, const corio_http_request_opts *opts,
                             corio_http_response **out, int64_t deadline);

/* The status code (100..999); never an error. */
CORIO_API int corio_http_response_status(const corio_http_response *r);
CORIO_API const char *corio_http_response_header(const corio_http_response *r, const char *name);
/* The URL that answered (after redirects). */
CORIO_API const char *corio_http_response_url(const corio_http_response *r);
/* Whether the connection was reused from the pool. */
CORIO_API bool corio_http_response_reused(const corio_http_response *r);
/* > 0 bytes of body, 0 at its end, or: -EMSGSIZE over max_body; -EBADMSG
 * malformed chunks or gzip; -ECONNRESET the server closed mid-body (or
 * another socket error); -ETIMEDOUT the request's deadline or
 * read_timeout_ms; -ECANCELED; -EINVAL buf NULL with len > 0. */
CORIO_API ssize_t corio_http_response_read(corio_http_response *r, void *buf, size_t len);
/* Reads the rest of the body (NUL-terminated, owned by r): the errors of
 * corio_http_response_read; -ENOMEM. */
CORIO_API int corio_http_response_body(corio_http_response *r, const char **body, size_t *len);
/* Frees r; its connection goes back to the pool if the body was read to the
 * end and the server keeps it alive, else it is closed. */
CORIO_API void corio_http_response_free(corio_http_response *r);

/* "dns", "refused", "timeout", "reset", "tls", "protocol", "too-large",
 * "invalid-url", "cancelled" or "io" for a client error; "ok" for rc >= 0. */
CORIO_API const char *corio_http_error_class(int rc);

#ifdef __cplusplus
}
#endif

#endif
