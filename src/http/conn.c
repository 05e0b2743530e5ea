/* One server connection: read a request head, parse it with llhttp, route
 * it, run the handler in this task, repeat (keep-alive, pipelining).
 *
 * The input buffer holds the current request from `start`: its head is
 * parsed in one llhttp call once all of it is there (so every header is one
 * contiguous span, NUL-terminated in place), then the body is fed to llhttp
 * in what arrives after the head, pausing at each body span and at the end
 * of the message so that the next pipelined request stays in the buffer.
 * Responses are appended to an output buffer, written when the connection
 * would next wait for input: a pipelined batch goes out in one write. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <corio/net.h>
#include <corio/time.h>
#include <corio/url.h>

#include "../base/log.h"
#include "../io/fd.h"
#include "../io/stream.h"
#include "conn.h"

#define IN_MIN    4096
#define OUT_FLUSH 65536

/* --- arena ---------------------------------------------------------------- */

void *corio__http_arena_alloc(conn *c, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    arena_block *b = c->arena;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 2048 ? n : 2048;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = c->arena;
        c->arena = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static void arena_reset(conn *c)
{
    while (c->arena) {
        arena_block *next = c->arena->next;
        free(c->arena);
        c->arena = next;
    }
}

/* --- output ---------------------------------------------------------------- */

int corio__http_out(conn *c, const void *p, size_t n)
{
    if (c->broken)
        return -EPIPE;
    if (c->ocap - c->olen < n) {
        size_t cap = c->ocap ? c->ocap : 4096;
        while (cap - c->olen < n)
            cap *= 2;
        char *o = realloc(c->out, cap);
        if (!o)
            return -ENOMEM;
        c->out = o;
        c->ocap = cap;
    }
    memcpy(c->out + c->olen, p, n);
    c->olen += n;
    return 0;
}

/* Pieces of a TLS stream's write, each with a deadline of its own: TLS
 * takes whole pieces, so progress is counted in them. */
#define TLS_PIECE 16384

/* One write with its progress deadline: bytes taken, or < 0. */
static ssize_t write_some(conn *c, const char *p, size_t n)
{
    int64_t deadline = corio_now() + c->lim->write_timeout_ms;
    if (c->plain)
        return corio_fd_write(c->plain, p, n, deadline);
    size_t piece = n < TLS_PIECE ? n : TLS_PIECE;
    int rc = corio_stream_write(c->s, p, piece, deadline);
    return rc < 0 ? rc : (ssize_t)piece;
}

static int write_out(conn *c, const void *p, size_t n)
{
    const char *b = p;
    if (c->broken)
        return -EPIPE;
    while (n > 0) {
        ssize_t k = write_some(c, b, n);
        if (k < 0) {
            c->broken = c->closing = true;
            return (int)k;
        }
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

int corio__http_flush(conn *c)
{
    if (c->olen == 0)
        return c->broken ? -EPIPE : 0;
    int rc = write_out(c, c->out, c->olen);
    c->olen = 0;
    if (c->ocap > OUT_FLUSH) { /* a big answer went out: give the memory back */
        free(c->out);
        c->out = NULL;
        c->ocap = 0;
    }
    return rc;
}

int corio__http_write(conn *c, const void *p, size_t n)
{
    int rc = corio__http_flush(c);
    return rc ? rc : write_out(c, p, n);
}

int corio__http_error(conn *c, int status)
{
    const char *reason = corio_http_reason(status);
    char line[128];
    size_t dlen;
    const char *date = corio__http_date_line(&dlen);
    int n = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status, reason);
    size_t blen = strlen(reason) + 1;
    char len[64];
    int ln = snprintf(len, sizeof len, "Content-Length: %zu\r\n", blen);
    int rc = corio__http_out(c, line, (size_t)n);
    if (rc == 0 && c->app->server_name) {
        rc = corio__http_out(c, "Server: ", 8);
        rc = rc ? rc : corio__http_out(c, c->app->server_name, strlen(c->app->server_name));
        rc = rc ? rc : corio__http_out(c, "\r\n", 2);
    }
    rc = rc ? rc : corio__http_out(c, date, dlen);
    rc = rc ? rc : corio__http_out(c, "Content-Type: text/plain; charset=utf-8\r\n", 41);
    rc = rc ? rc : corio__http_out(c, len, (size_t)ln);
    rc = rc ? rc : corio__http_out(c, "Connection: close\r\n\r\n", 21);
    if (rc == 0 && !c->req.head) {
        rc = corio__http_out(c, reason, blen - 1);
        rc = rc ? rc : corio__http_out(c, "\n", 1);
    }
    c->closing = true;
    c->resp.started = c->resp.ended = true;
    return rc;
}

/* The client's address, for a log line: looked up only when one is written. */
static const char *peer(conn *c)
{
    const char *p = corio_http_req_peer(&c->req);
    return *p ? p : "a client";
}

/* An error answer to a request the client got wrong, logged (at info: the
 * client's fault, not the server's) with why. */
static int client_error(conn *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int client_error(conn *c, int status, const char *fmt, ...)
{
    if (corio__log_on(CORIO_LOG_INFO)) {
        char why[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        corio__log_write(CORIO_LOG_INFO, "http", "%d %s for %s: %s", status,
                         corio_http_reason(status), peer(c), why);
    }
    return corio__http_error(c, status);
}

/* --- parser callbacks ------------------------------------------------------ */

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    conn *c = p->data;
    if (!c->req.target)
        c->req.target = (char *)at;
    (void)len;
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    conn *c = p->data;
    (void)len;
    int rc = corio__http_hdrs_field(&c->req.hdrs, at, c->lim->max_headers);
    if (rc == -E2BIG)
        c->err_status = 431;
    return rc ? -1 : 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    conn *c = p->data;
    (void)len;
    corio__http_hdrs_value(&c->req.hdrs, at);
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    conn *c = p->data;
    c->req.keep_alive = llhttp_should_keep_alive(p);
    c->req.has_body = (p->flags & F_CHUNKED) || p->content_length > 0;
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    conn *c = p->data;
    return corio__http_body_span(&c->req.body, at, len);
}

static int on_message_complete(llhttp_t *p)
{
    conn *c = p->data;
    return corio__http_body_end(&c->req.body);
}

static const llhttp_settings_t settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* --- reading ---------------------------------------------------------------- */

/* Room for at least IN_MIN more bytes after end, moving the current request
 * to the front or growing the buffer up to max. Only while no head spans
 * point into the buffer. */
static int room(conn *c, size_t max)
{
    if (c->start == c->end)
        c->start = c->end = 0;
    if (c->cap - c->end >= IN_MIN)
        return 0;
    if (c->start > 0) {
        memmove(c->in, c->in + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
        if (c->cap - c->end >= IN_MIN)
            return 0;
    }
    size_t cap = c->cap ? c->cap * 2 : 16384;
    if (cap > max + IN_MIN)
        cap = max + IN_MIN;
    if (cap <= c->cap)
        return 0; /* full: the caller's size check decides */
    char *in = realloc(c->in, cap);
    if (!in)
        return -ENOMEM;
    c->in = in;
    c->cap = cap;
    return 0;
}

/* One read from the connection: plain ones straight from the descriptor, so
 * that nothing is ever buffered in the stream behind the poller's back. */
static ssize_t conn_read(conn *c, void *buf, size_t len, int64_t deadline)
{
    return c->plain ? corio_fd_read(c->plain, buf, len, deadline)
                    : corio_stream_read(c->s, buf, len, deadline);
}

/* Reads what comes into in[end..cap): > 0, 0 at end, < 0. A plain
 * connection known to have nothing to read gives its buffers back while it
 * waits for the next request. */
static ssize_t fill(conn *c, int64_t deadline, bool idle)
{
    int rc = corio__http_flush(c);
    if (rc < 0)
        return rc;
    if (c->srv && c->srv->stopping && idle)
        return -ECANCELED;
    c->idle = idle;
    if (idle && c->plain && corio__fd_drained(c->plain, CORIO_READ)) {
        free(c->in);
        c->in = NULL;
        c->cap = c->start = c->end = 0;
        free(c->out);
        c->out = NULL;
        c->ocap = 0;
        rc = corio_fd_wait(c->plain, CORIO_READ, deadline);
        if (rc == 0)
            rc = room(c, c->lim->max_request_line + c->lim->max_header_bytes);
        if (rc < 0) {
            c->idle = false;
            return rc;
        }
    }
    ssize_t n = conn_read(c, c->in + c->end, c->cap - c->end, deadline);
    c->idle = false;
    return n;
}

size_t corio__http_head_end(const char *buf, size_t from, size_t end)
{
    const char *p = buf + from, *e = buf + end;
    while ((p = memchr(p, '\n', (size_t)(e - p)))) {
        p++;
        if (p < e && *p == '\n')
            return (size_t)(p + 1 - buf);
        if (p + 1 < e && p[0] == '\r' && p[1] == '\n')
            return (size_t)(p + 2 - buf);
    }
    return 0;
}

static int line_too_long(conn *c)
{
    return client_error(c, 414, "request line over %zu bytes (max_request_line)",
                        c->lim->max_request_line);
}

static int head_too_big(conn *c)
{
    return client_error(c, 431, "header lines over %zu bytes (max_header_bytes)",
                        c->lim->max_header_bytes);
}

/* Answers a head that cannot be parsed: -EBADMSG, or -EIO if the answer
 * could not be queued. */
static int bad_head(conn *c, int status, const char *why)
{
    return client_error(c, status, "malformed head: %s", why) < 0 ? -EIO : -EBADMSG;
}

/* Reads until the buffer holds a whole head: 0, or < 0 (the connection
 * ends; an error answer may be queued). */
static int read_head(conn *c)
{
    const corio_http_limits *l = c->lim;
    size_t max = l->max_request_line + l->max_header_bytes;
    size_t scanned = 0; /* bytes of this request searched already */
    int64_t deadline = -1;
    for (;;) {
        size_t have = c->end - c->start;
        size_t e =
            have ? corio__http_head_end(c->in, c->start + (scanned > 2 ? scanned - 2 : 0), c->end)
                 : 0;
        if (e) {
            c->head_end = e;
            const char *nl = memchr(c->in + c->start, '\n', e - c->start);
            size_t line = (size_t)(nl - (c->in + c->start));
            if (line > l->max_request_line)
                return line_too_long(c) < 0 ? -EIO : -EMSGSIZE;
            if (e - c->start - line > l->max_header_bytes)
                return head_too_big(c) < 0 ? -EIO : -EMSGSIZE;
            return 0;
        }
        scanned = have;
        if (!corio__http_could_be_request(c->in + c->start, have))
            return bad_head(c, 400, "not an HTTP request line");
        if (have > l->max_request_line && !memchr(c->in + c->start, '\n', have))
            return line_too_long(c) < 0 ? -EIO : -EMSGSIZE;
        if (have > max)
            return head_too_big(c) < 0 ? -EIO : -EMSGSIZE;
        bool idle = have == 0;
        if (!idle && deadline < 0)
            deadline = corio_now() + l->header_timeout_ms;
        int rc = room(c, max);
        if (rc < 0)
            return rc;
        ssize_t n = fill(c, idle ? corio_now() + l->idle_timeout_ms : deadline, idle);
        if (n <= 0) {
            if (n == -ETIMEDOUT && !idle)
                client_error(c, 408, "no whole head within %d ms (header_timeout_ms)",
                             l->header_timeout_ms);
            return n < 0 ? (int)n : -EPIPE;
        }
        c->end += (size_t)n;
    }
}

/* Bare CR, obs-fold (a header line starting with a space or tab) and
 * whitespace between a field name and its colon, which llhttp 8 lets
 * through, are refused: all three are request smuggling vectors. */
static bool head_is_clean(const conn *c)
{
    const char *p = c->in + c->start, *e = c->in + c->head_end;
    for (const char *q = p; (q = memchr(q, '\r', (size_t)(e - q))); q++)
        if (q + 1 == e || q[1] != '\n')
            return false;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(e - q))) && q + 1 < e; q++) {
        if (q[1] == ' ' || q[1] == '\t')
            return false;
        const char *eol = memchr(q + 1, '\n', (size_t)(e - q - 1));
        const char *colon = memchr(q + 1, ':', (size_t)((eol ? eol : e) - q - 1));
        if (colon && colon > q + 1 && (colon[-1] == ' ' || colon[-1] == '\t'))
            return false;
    }
    return true;
}

/* NUL-terminates the target and every header name and value in place (the
 * bytes after them, ' ', ':' and CR/LF, are parsed already), trimming
 * trailing whitespace off values. */
static void terminate(conn *c)
{
    corio_http_req *r = &c->req;
    char *t = r->target;
    t[strcspn(t, " \r\n")] = '\0';
    corio__http_hdrs_finish(&r->hdrs);
}

/* Parses the head in [start, head_end): 0, or an error answer is queued. */
static int parse_head(conn *c)
{
    corio_http_req *r = &c->req;
    c->err_status = 0;
    if (!head_is_clean(c))
        return bad_head(c, 400, "bare CR, obs-fold or whitespace before a colon");
    const char *line = c->in + c->start;
    while (*line == '\r' || *line == '\n')
        line++;
    int status = corio__http_check_line(
        line, (size_t)((char *)memchr(line, '\n', (size_t)(c->in + c->head_end - line)) - line));
    if (status)
        return bad_head(c, status,
                        status == 505 ? "an HTTP version other than 1.0 and 1.1"
                                      : "no HTTP version in the request line");
    if (c->cap - c->head_end < IN_MIN) { /* room for the body after the head */
        char *in = realloc(c->in, c->head_end + 16384);
        if (!in)
            return -ENOMEM;
        c->in = in;
        c->cap = c->head_end + 16384;
    }
    llhttp_errno_t e = llhttp_execute(&c->parser, c->in + c->start, c->head_end - c->start);
    if (e == HPE_PAUSED) {
        llhttp_resume(&c->parser);
        if (llhttp_get_error_pos(&c->parser) != c->in + c->head_end)
            e = HPE_INVALID_METHOD; /* cannot happen: a message ended inside the head */
    }
    if ((e != HPE_OK && e != HPE_PAUSED) || !r->target) {
        status = c->err_status ? c->err_status : 400;
        if (e == HPE_INVALID_VERSION && !c->err_status)
            status = 505;
        const char *why = c->err_status == 431             ? "too many header fields (max_headers)"
                          : e != HPE_OK && e != HPE_PAUSED ? llhttp_get_error_reason(&c->parser)
                                                           : "no request target";
        return bad_head(c, status, why ? why : "?");
    }
    terminate(c);
    r->method = llhttp_method_name(c->parser.method);
    r->minor = c->parser.http_minor;
    const char *why;
    if ((status = corio__http_check_headers(&r->hdrs, r->minor, &why)))
        return bad_head(c, status, why);
    r->head = c->parser.method == HTTP_HEAD;
    const char *q = strchr(r->target, '?');
    r->raw_path = r->target;
    r->raw_path_len = q ? (size_t)(q - r->target) : strlen(r->target);
    if (q) {
        r->query = corio__http_arena_alloc(c, strlen(q));
        if (!r->query)
            return -ENOMEM;
        strcpy(r->query, q + 1);
    }
    const char *expect = corio_http_req_header(r, "Expect");
    r->expect_continue = expect && strcasecmp(expect, "100-continue") == 0 && r->minor >= 1;
    c->next = c->head_end;
    c->parsed = c->head_end;
    c->body_deadline = corio_now() + c->lim->body_total_timeout_ms;
    if (r->body.done)
        r->has_body = false;
    return 0;
}

/* --- body -------------------------------------------------------------------- */

/* The next body read's deadline: body_timeout_ms from now, but no later
 * than the whole body's allowance (body_total_timeout_ms from the head, one
 * second more per body_min_rate bytes in), so a trickle cannot hold the
 * connection however regularly it drips. */
static int64_t body_read_deadline(const conn *c)
{
    const corio_http_limits *l = c->lim;
    int64_t whole = c->body_deadline + (int64_t)(c->req.body.total * 1000 / l->body_min_rate);
    int64_t next = corio_now() + l->body_timeout_ms;
    return next < whole ? next : whole;
}

ssize_t corio_http_req_read(corio_http_req *r, void *buf, size_t len)
{
    conn *c = r->c;
    if (r->body_err)
        return r->body_err;
    if (r->expect_continue && !r->continue_sent && !r->body.done) {
        r->continue_sent = true;
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        int rc = corio__http_out(c, cont, sizeof cont - 1);
        if (rc < 0 || (rc = corio__http_flush(c)) < 0)
            return rc;
    }
    for (;;) {
        size_t n = corio__http_body_take(&r->body, buf, len);
        if (n)
            return (ssize_t)n;
        if (r->body.done)
            return 0;
        if (corio__http_body_wants_input(&r->body, c->parsed, c->end)) {
            /* All parsed and handed out: reuse the space after the head. */
            c->parsed = c->end = c->head_end;
            int rc = corio__http_flush(c);
            if (rc < 0)
                return rc;
            ssize_t got = conn_read(c, c->in + c->end, c->cap - c->end, body_read_deadline(c));
            if (got <= 0) {
                r->body_err = got == 0 ? -ECONNRESET : (int)got;
                return r->body_err;
            }
            c->end += (size_t)got;
        }
        if (corio__http_body_step(&r->body, &c->parser, c->in, &c->parsed, c->end) < 0) {
            r->body_err = -EBADMSG;
            c->closing = true;
            return -EBADMSG;
        }
        if (r->body.done)
            c->next = c->parsed;
        if (r->body.total + r->body.pending_len > c->lim->max_body) {
            r->body_err = -EMSGSIZE;
            return -EMSGSIZE;
        }
    }
}

int corio_http_req_body(corio_http_req *r, const char **body, size_t *len)
{
    if (!r->whole) {
        size_t cap = 1024;
        uint64_t cl = r->c->parser.content_length;
        if (!(r->c->parser.flags & F_CHUNKED) && cl < r->c->lim->max_body)
            cap = (size_t)cl + 1;
        char *b = corio__http_arena_alloc(r->c, cap);
        if (!b)
            return -ENOMEM;
        size_t n = 0;
        for (;;) {
            if (n + 1 >= cap) {
                char *bigger = corio__http_arena_alloc(r->c, cap * 2);
                if (!bigger)
                    return -ENOMEM;
                memcpy(bigger, b, n);
                b = bigger;
                cap *= 2;
            }
            ssize_t got = corio_http_req_read(r, b + n, cap - 1 - n);
            if (got < 0)
                return (int)got;
            if (got == 0)
                break;
            n += (size_t)got;
        }
        b[n] = '\0';
        r->whole = b;
        r->whole_len = n;
    }
    if (body)
        *body = r->whole;
    if (len)
        *len = r->whole_len;
    return 0;
}

/* Reads what the handler left of the body, so the next request can follow
 * (unless it is too much to be worth it: then the connection closes). */
static void drain(conn *c)
{
    corio_http_req *r = &c->req;
    if (r->body.done || c->closing)
        return;
    if (r->expect_continue && !r->continue_sent) {
        c->closing = true; /* the client may or may not send the body now */
        return;
    }
    char scratch[4096];
    ssize_t n;
    while ((n = corio_http_req_read(r, scratch, sizeof scratch)) > 0)
        ;
    if (n < 0)
        c->closing = true;
}

/* --- the request loop ---------------------------------------------------- */

/* Logs a handler's failure rc and what came of it: at warn, or at debug
 * when it is no news for an operator (the client went away; a streamed
 * answer cancelled, by a server stopping or a handler dropping a slow
 * reader). The path goes without the query, which may carry what should
 * not be in a log. */
static void handler_failed(conn *c, int rc, const char *outcome)
{
    const corio_http_req *r = &c->req;
    bool quiet = rc == -EPIPE || rc == -ECONNRESET || (c->resp.started && rc == -ECANCELED);
    corio__log(quiet ? CORIO_LOG_DEBUG : CORIO_LOG_WARN, "http", "%s %.*s: handler failed: %s; %s",
               r->method, (int)r->raw_path_len, r->raw_path, corio_strerror(rc), outcome);
}

/* Completes the answer to a request after its handler returned rc: the
 * handler's own, an error answer if it sent none, or a closing connection
 * if it failed halfway. */
static int answered(conn *c, int rc)
{
    corio_http_req *r = &c->req;
    if (c->broken || c->peer_gone) { /* the client stalled or left */
        corio__log(CORIO_LOG_DEBUG, "http", "%s %.*s: answer to %s cut short: connection closed",
                   r->method, (int)r->raw_path_len, r->raw_path, peer(c));
        return -EPIPE;
    }
    if (!c->resp.started) {
        if (r->body_err == -EMSGSIZE)
            return client_error(c, 413, "body over %zu bytes (max_body)", c->lim->max_body);
        if (r->body_err == -ETIMEDOUT)
            return client_error(c, 408,
                                "body too slow (body_total_timeout_ms %d, "
                                "body_min_rate %zu bytes/s, body_timeout_ms %d)",
                                c->lim->body_total_timeout_ms, c->lim->body_min_rate,
                                c->lim->body_timeout_ms);
        if (r->body_err)
            return client_error(c, 400, "body unreadable: %s", corio_strerror(r->body_err));
        if (rc == -ECANCELED && c->srv && c->srv->stopping)
            return corio__http_error(c, 503);
        if (rc < 0) {
            handler_failed(c, rc, "answered 500");
            return corio__http_error(c, 500);
        }
        return corio_http_resp_send(&c->resp, 204, NULL, NULL, 0);
    }
    if (!c->resp.ended) {
        if (rc < 0) {
            handler_failed(c, rc, "its answer is cut short: connection closed");
            c->closing = true;
        } else {
            return corio_http_resp_end(&c->resp);
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
    corio_http_req *r = &c->req;
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
    corio_http_req *r = &c->req;
    corio_scope scope;
    int rc = corio_scope_enter(&scope, -1, 0);
    if (rc < 0)
        return rc;
    corio_fd *f = corio_stream_fd(c->s);
    c->handler_scope = &scope;
    corio__fd_on_hup(f, on_peer_gone, c);
    rc = r->m.r->handler(r, &c->resp, r->m.r->arg);
    corio__fd_on_hup(f, NULL, NULL);
    c->handler_scope = NULL;
    corio_scope_exit(&scope);
    return rc;
}

/* Percent-decodes a piece of the path into out: false on a bad escape or a
 * decoded NUL, which would cut the string short for the C code below. */
static bool decode_clean(const char *s, size_t n, char *out)
{
    long k = corio_url_decode(s, n, out, 0);
    return k >= 0 && !memchr(out, '\0', (size_t)k);
}

/* The connection's handling of one parsed request. */
static int dispatch(conn *c)
{
    corio_http_req *r = &c->req;
    if (r->has_body && !(c->parser.flags & F_CHUNKED) &&
        c->parser.content_length > c->lim->max_body)
        return client_error(c, 413, "Content-Length %llu over %zu bytes (max_body)",
                            (unsigned long long)c->parser.content_length, c->lim->max_body);
    char allow[128];
    int rc = corio__http_route_find(c->app, r->method, r->raw_path, r->raw_path_len, &r->m, allow,
                                    sizeof allow);
    size_t plen = r->raw_path_len;
    r->path = corio__http_arena_alloc(c, plen + 1);
    if (!r->path)
        return -ENOMEM;
    /* "/index.html%00.txt" must not become "/index.html" */
    if (!decode_clean(r->raw_path, plen, r->path))
        return client_error(c, 400, "bad percent-encoding or a NUL in the path");
    if (rc == -ENOENT)
        return corio_http_resp_text(&c->resp, 404, "Not Found\n");
    if (rc == -EPERM) {
        rc = corio_http_resp_header(&c->resp, "Allow", allow);
        return rc < 0 ? rc : corio_http_resp_text(&c->resp, 405, "Method Not Allowed\n");
    }
    for (size_t i = 0; i < r->m.nparams; i++) {
        char *v = corio__http_arena_alloc(c, r->m.value_lens[i] + 1);
        if (!v)
            return -ENOMEM;
        if (!decode_clean(r->m.values[i], r->m.value_lens[i], v))
            return client_error(c, 400, "bad percent-encoding or a NUL in the path");
        r->params[i] = v;
    }
    return answered(c, run_handler(c));
}

static void request_reset(conn *c)
{
    corio_http_req *r = &c->req;
    http_hdrs h = {.v = r->hdrs.v, .cap = r->hdrs.cap};
    *r = (corio_http_req){.c = c, .hdrs = h};
    free(c->resp.headers);
    c->resp = (corio_http_resp){.c = c};
    arena_reset(c);
}

int corio_http_serve_conn(corio_http_app *app, corio_stream *s)
{
    if (!app || !s)
        return -EINVAL;
    return corio__http_conn_run(app, NULL, s);
}

int corio__http_conn_run(corio_http_app *app, server *srv, corio_stream *s)
{
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->app = app;
    c->srv = srv;
    if (srv)
        corio__list_push(&srv->conns, &c->link);
    c->lim = &app->limits;
    c->s = s;
    c->plain = corio__stream_plain_fd(s);
    c->task = corio_current();
    c->req.c = c;
    c->resp.c = c;
    llhttp_init(&c->parser, HTTP_REQUEST, &settings);
    c->parser.data = c;
    int rc = 0;
    while (!c->closing) {
        rc = read_head(c);
        if (rc < 0)
            break;
        rc = parse_head(c);
        if (rc == 0)
            rc = dispatch(c);
        if (rc < 0 || c->closing)
            break;
        drain(c);
        c->served++;
        if (!c->req.keep_alive || c->resp.close_delimited ||
            (c->lim->max_keepalive && c->served >= c->lim->max_keepalive) ||
            (c->srv && c->srv->stopping))
            break;
        c->start = c->next;
        request_reset(c);
        if (c->olen >= OUT_FLUSH && (rc = corio__http_flush(c)) < 0)
            break;
    }
    corio__http_flush(c);
    if (rc == -ENOMEM)
        corio__log(CORIO_LOG_WARN, "http", "out of memory: connection with %s closed", peer(c));
    else if (rc < 0 && rc != -EPIPE && rc != -ECONNRESET && rc != -ECANCELED && rc != -EBADMSG &&
             rc != -EMSGSIZE)
        corio__log(CORIO_LOG_DEBUG, "http", "connection with %s ended: %s", peer(c),
                   corio_strerror(rc));
    request_reset(c);
    free(c->req.hdrs.v);
    if (srv)
        corio__list_unlink(&c->link);
    free(c->in);
    free(c->out);
    free(c);
    return rc == -EPIPE || rc == -ECONNRESET ? 0 : rc;
}
