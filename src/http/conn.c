/* One server connection: read a request, route it, run the handler in
 * this task, complete its answer, repeat (keep-alive, pipelining). Reading
 * is req.c's, answering resp.c's, the bytes on the wire wire.c's.
 * Responses are appended to an output buffer, written when the connection
 * would next wait for input: a pipelined batch goes out in one write. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <corio/url.h>

#include "../base/misuse.h"
#include "../base/log.h"
#include "../core/sched.h"
#include "../io/fd.h"
#include "../io/stream.h"
#include "conn.h"
#include "req.h"
#include "resp.h"
#include "wire.h"

/* --- the request loop ---------------------------------------------------- */

/* Logs a handler's failure rc and what came of it: at warn, or at debug
 * when it is no news for an operator (the client went away; a streamed
 * answer cancelled, by a server stopping or a handler dropping a slow
 * reader). The path goes without the query, which may carry what should
 * not be in a log. */
static void handler_failed(conn *c, int rc, const char *outcome)
{
    const corio_http_req *r = &c->w->req;
    bool quiet = rc == -EPIPE || rc == -ECONNRESET || (c->w->resp.started && rc == -ECANCELED);
    corio__log(quiet ? CORIO_LOG_DEBUG : CORIO_LOG_WARN, "http", "%s %.*s: handler failed: %s; %s",
               r->method, (int)r->raw_path_len, r->raw_path, corio_strerror(rc), outcome);
}

/* Completes the answer to a request after its handler returned rc: the
 * handler's own, an error answer if it sent none, or a closing connection
 * if it failed halfway. */
static int answered(conn *c, int rc)
{
    corio_http_req *r = &c->w->req;
    if (c->broken || c->peer_gone) { /* the client stalled or left */
        corio__log(CORIO_LOG_DEBUG, "http", "%s %.*s: answer to %s cut short: connection closed",
                   r->method, (int)r->raw_path_len, r->raw_path, corio__http_peer(c));
        return -EPIPE;
    }
    if (!c->w->resp.started) {
        if (r->body_err == -EMSGSIZE)
            return corio__http_client_error(c, 413, "body over %zu bytes (max_body)",
                                            c->lim->max_body);
        if (r->body_err == -ETIMEDOUT)
            return corio__http_client_error(c, 408,
                                            "body too slow (body_total_timeout_ms %d, "
                                            "body_min_rate %zu bytes/s, body_timeout_ms %d)",
                                            c->lim->body_total_timeout_ms, c->lim->body_min_rate,
                                            c->lim->body_timeout_ms);
        if (r->body_err)
            return corio__http_client_error(c, 400, "body unreadable: %s",
                                            corio_strerror(r->body_err));
        if (rc == -ECANCELED && c->srv && c->srv->stopping)
            return corio__http_error(c, 503);
        if (rc < 0) {
            handler_failed(c, rc, "answered 500");
            return corio__http_error(c, 500);
        }
        return corio_http_resp_send(&c->w->resp, 204, NULL, NULL, 0);
    }
    if (!c->w->resp.ended) {
        if (rc < 0) {
            handler_failed(c, rc, "its answer is cut short: connection closed");
            c->closing = true;
        } else {
            return corio_http_resp_end(&c->w->resp);
        }
    }
    return 0;
}

/* The client closed while its handler runs (waits on a long poll, a
 * hanging backend): cancel the handler rather than leave the connection in
 * CLOSE_WAIT until it is done. A FIN alone may be a half-close that still
 * wants the answer, which HTTP allows for a connection's last request
 * (Connection: close, HTTP/1.0) and which a client shows by sending more
 * requests before it; a body not yet read will see the end itself. */
static void on_peer_gone(void *arg, bool reset)
{
    conn *c = arg;
    corio_http_req *r = &c->w->req;
    if (!reset) {
        int unread = 0;
        if (!r->keep_alive || (r->has_body && !r->body.done) || c->end > c->next ||
            (ioctl(corio_fd_fileno(corio_stream_fd(c->s)), FIONREAD, &unread) == 0 && unread > 0))
            return;
    }
    c->peer_gone = true;
    corio_scope_cancel(c->handler_scope);
}

static int run_handler(conn *c)
{
    corio_http_req *r = &c->w->req;
    corio_scope scope;
    int rc = corio_scope_enter(&scope, -1, 0);
    if (rc < 0)
        return rc;
    corio_fd *f = corio_stream_fd(c->s);
    c->handler_scope = &scope;
    corio__fd_on_hup(f, on_peer_gone, c);
    rc = r->m.r->handler(r, &c->w->resp, r->m.r->arg);
    corio__fd_on_hup(f, NULL, NULL);
    c->handler_scope = NULL;
    corio_scope_exit(&scope);
    return rc;
}

/* Percent-decodes a piece of the path into out: false on a bad escape or a
 * decoded NUL, which would cut the string short for the C code below. */
static bool decode_clean(const char *s, size_t n, char *out)
{
    long k = corio_url_decode(s, n, false, out);
    return k >= 0 && !memchr(out, '\0', (size_t)k);
}

/* The connection's handling of one parsed request. */
static int dispatch(conn *c)
{
    corio_http_req *r = &c->w->req;
    if (r->has_body && !(c->w->parser.flags & F_CHUNKED) &&
        c->w->parser.content_length > c->lim->max_body)
        return corio__http_client_error(c, 413, "Content-Length %llu over %zu bytes (max_body)",
                                        (unsigned long long)c->w->parser.content_length,
                                        c->lim->max_body);
    char allow[128];
    int rc = corio__http_route_find(c->app, r->method, r->raw_path, r->raw_path_len, &r->m, allow,
                                    sizeof allow);
    size_t plen = r->raw_path_len;
    r->path = corio__http_arena_alloc(c, plen + 1);
    if (!r->path)
        return -ENOMEM;
    /* "/index.html%00.txt" must not become "/index.html" */
    if (!decode_clean(r->raw_path, plen, r->path))
        return corio__http_client_error(c, 400, "bad percent-encoding or a NUL in the path");
    if (rc == -ENOENT)
        return corio_http_resp_text(&c->w->resp, 404, "Not Found\n");
    if (rc == -EPERM) {
        rc = corio_http_resp_header(&c->w->resp, "Allow", allow);
        return rc < 0 ? rc : corio_http_resp_text(&c->w->resp, 405, "Method Not Allowed\n");
    }
    for (size_t i = 0; i < r->m.nparams; i++) {
        char *v = corio__http_arena_alloc(c, r->m.value_lens[i] + 1);
        if (!v)
            return -ENOMEM;
        if (!decode_clean(r->m.values[i], r->m.value_lens[i], v))
            return corio__http_client_error(c, 400, "bad percent-encoding or a NUL in the path");
        r->params[i] = v;
    }
    return answered(c, run_handler(c));
}

static void request_reset(conn *c)
{
    corio_http_req *r = &c->w->req;
    http_hdrs h = {.v = r->hdrs.v, .cap = r->hdrs.cap};
    free(r->whole);
    *r = (corio_http_req){.c = c, .hdrs = h};
    free(c->w->resp.headers);
    c->w->resp = (corio_http_resp){.c = c};
    corio__http_arena_reset(c);
}

/* Gives c what it needs to serve requests (again, after parking). */
static int work_new(conn *c)
{
    int rc = corio__http_work_new(c);
    if (rc == 0)
        corio__http_parser_init(c);
    return rc;
}

/* The request loop: 1 when the connection parked (its task is to end),
 * else how it ended. */
static int serve_requests(conn *c)
{
    _Alignas(8) char scratch[ARENA_SCRATCH];
    c->w->scratch = scratch;
    int rc = 0;
    while (!c->closing) {
        rc = corio__http_read_head(c);
        if (rc == 1)
            return 1;
        if (rc < 0)
            break;
        rc = corio__http_parse_head(c);
        if (rc == 0)
            rc = dispatch(c);
        if (rc < 0 || c->closing)
            break;
        corio__http_drain(c);
        c->served++;
        if (!c->w->req.keep_alive || c->w->resp.close_delimited ||
            (c->lim->max_keepalive && c->served >= c->lim->max_keepalive) ||
            (c->srv && c->srv->stopping))
            break;
        c->start = c->next;
        request_reset(c);
        if (c->olen >= OUT_FLUSH && (rc = corio__http_flush(c)) < 0)
            break;
    }
    c->w->scratch = NULL; /* the frame ends */
    return rc;
}

/* Ends c, which ended with rc: what is queued goes out (nothing is, for a
 * parked one: no task is needed), a server's connection is closed and
 * counted out. */
static int conn_end(conn *c, int rc)
{
    /* A server's connection is closed next: what is queued can share the
     * FIN's segment, unless unread bytes make the close a reset. */
    c->last =
        c->srv && c->plain && corio__fd_drained(c->plain, CORIO_READ) && !corio__fd_hup(c->plain);
    corio__http_flush(c);
    if (rc == -ENOMEM)
        corio__log(CORIO_LOG_WARN, "http", "out of memory: connection with %s closed",
                   corio__http_peer(c));
    else if (rc < 0 && rc != -EPIPE && rc != -ECONNRESET && rc != -ECANCELED && rc != -EBADMSG &&
             rc != -EMSGSIZE)
        corio__log(CORIO_LOG_DEBUG, "http", "connection with %s ended: %s", corio__http_peer(c),
                   corio_strerror(rc));
    if (c->w) {
        request_reset(c);
        corio__http_work_free(c);
    }
    corio__http_bufs_drop(c);
    server *srv = c->srv;
    if (srv) {
        corio__parked_done(&c->p);
        corio__list_unlink(&c->link);
        corio_stream_close(c->s);
    }
    corio__http_pool_give(srv, POOL_CONN, c);
    if (srv)
        corio__http_conn_gone(srv);
    return rc == -EPIPE || rc == -ECONNRESET ? 0 : rc;
}

/* --- parking --------------------------------------------------------------- */

/* A parked connection's task: the one that parked it ended, its bytes came. */
static intptr_t resumed(void *arg)
{
    conn *c = corio__container_of(arg, conn, p);
    c->task = corio_current();
    c->parked = false;
    int rc = work_new(c);
    if (rc == 0)
        rc = serve_requests(c);
    if (rc != 1)
        conn_end(c, rc);
    return 0; /* a connection's failure is its own, not the server's */
}

/* A parked connection timed out (idle_timeout_ms), could not get a task,
 * or the server closes it. */
static void parked_end(corio__parked *p, int rc)
{
    conn_end(corio__container_of(p, conn, p), rc);
}

void corio__http_parker_init(server *srv)
{
    corio__parker_init(&srv->pk, srv->nursery, resumed, parked_end, "http-conn");
}

/* Whether the idle timeout ends before the second sweep (park.h): the
 * waiting task keeps a deadline of its own. */
static bool idle_near(const conn *c)
{
    return c->lim->idle_timeout_ms <= 2 * CORIO__PARK_AFTER_MS;
}

int64_t corio__http_idle_deadline(const conn *c)
{
    /* A server's connection with a far timeout: its deadline is used once it
     * parked, 20 ms or more from now, so the last poll's clock will do. */
    bool far = c->srv && c->plain && !idle_near(c);
    return (far ? corio__loop_now(corio__loop_get()) : corio_now()) + c->lim->idle_timeout_ms;
}

int corio__http_park_wait(conn *c, int64_t deadline)
{
    /* deadline is corio__http_idle_deadline's */
    int rc = corio__park_conn_wait(&c->p, deadline, idle_near(c));
    if (rc == 1) { /* this task is to end: what it held goes */
        corio__http_work_free(c);
        c->parked = true;
        c->task = NULL;
    }
    return rc;
}

void corio__http_close_idle(server *srv)
{
    corio__parker_close(&srv->pk);
    for (corio__list_node *n = srv->conns.next; n != &srv->conns; n = n->next) {
        conn *c = corio__container_of(n, conn, link);
        if (c->idle)
            corio_task_cancel(c->task);
    }
}

/* --- entry points ------------------------------------------------------------ */

int corio_http_serve_conn(corio_http_app *app, corio_stream *s)
{
    CORIO__MISUSE_IF(!app || !s, "the app or the stream is NULL");
    return corio__http_conn_run(app, NULL, s);
}

int corio__http_conn_run(corio_http_app *app, server *srv, corio_stream *s)
{
    conn *c = corio__http_conn_new(srv);
    if (!c) {
        if (srv) {
            corio_stream_close(s);
            corio__http_conn_gone(srv);
        }
        return -ENOMEM;
    }
    c->app = app;
    c->srv = srv;
    if (srv)
        corio__list_push(&srv->conns, &c->link);
    c->lim = &app->limits;
    c->s = s;
    c->plain = corio__stream_plain_fd(s);
    c->task = corio_current();
    if (srv)
        corio__parked_init(&c->p, &srv->pk, c->plain);
    int rc = work_new(c);
    if (rc == 0)
        rc = serve_requests(c);
    return rc == 1 ? 0 : conn_end(c, rc);
}
