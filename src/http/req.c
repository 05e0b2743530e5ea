/* Reading a request: the head (read whole, checked, parsed with llhttp in
 * one call, so every header is one span NUL-terminated in place), the body
 * (fed to llhttp as it arrives, pausing at each span and at the message's
 * end so that a pipelined request after it stays in the buffer), and what
 * a handler asks of it: method, target, path, query, parameters, headers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <corio/time.h>
#include <corio/url.h>

#include "../io/fd.h"
#include "conn.h"
#include "req.h"

#define IN_MIN 4096

/* --- parser callbacks ------------------------------------------------------ */

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    corio_http_req *r = &((conn *)p->data)->w->req;
    if (!r->target)
        r->target = (char *)at;
    r->target_len = (size_t)(at + len - r->target); /* a target in pieces ends with the last */
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    conn *c = p->data;
    int rc = corio__http_hdrs_field(&c->w->req.hdrs, at, len, c->lim->max_headers);
    if (rc == -E2BIG)
        c->err_status = 431;
    return rc ? -1 : 0;
}

static int on_header_field_complete(llhttp_t *p)
{
    conn *c = p->data;
    corio__http_hdrs_field_done(&c->w->req.hdrs);
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    conn *c = p->data;
    corio__http_hdrs_value(&c->w->req.hdrs, at, len);
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    conn *c = p->data;
    c->w->req.keep_alive = llhttp_should_keep_alive(p);
    c->w->req.has_body = (p->flags & F_CHUNKED) || p->content_length > 0;
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    conn *c = p->data;
    return corio__http_body_span(&c->w->req.body, at, len);
}

static int on_message_complete(llhttp_t *p)
{
    conn *c = p->data;
    return corio__http_body_end(&c->w->req.body);
}

static const llhttp_settings_t settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void corio__http_parser_init(conn *c)
{
    llhttp_init(&c->w->parser, HTTP_REQUEST, &settings);
    c->w->parser.data = c;
}

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
    size_t cap = c->cap ? c->cap * 2 : IN_CAP;
    if (cap > max + IN_MIN)
        cap = max + IN_MIN;
    if (cap <= c->cap)
        return 0; /* full: the caller's size check decides */
    char *in =
        !c->cap && cap == IN_CAP ? corio__http_pool_take(c->srv, POOL_IN) : realloc(c->in, cap);
    if (!in)
        return -ENOMEM;
    c->in = in;
    c->cap = cap;
    return 0;
}

/* Makes room and reads what comes into in[end..cap): > 0, 0 at end, < 0
 * (-EAGAIN with c->parked: the connection went on without this task, which
 * is to end). A plain connection with nothing to read gives its buffers
 * back while it waits for the next request; a server's parks when the
 * wait lasts (corio__park_conn_wait). */
static ssize_t fill(conn *c, int64_t deadline, bool idle)
{
    int rc = corio__http_flush(c);
    if (rc < 0)
        return rc;
    if (c->srv && c->srv->stopping && idle)
        return -ECANCELED;
    if (idle && c->srv && c->p.woken) {
        c->p.woken = false; /* its readiness woke it: the bytes are there */
    } else if (idle && c->plain) {
        /* Not known drained (a new connection, whose request usually came
         * with it): one read rather than a peek and a read. */
        if (!corio__fd_drained(c->plain, CORIO_READ)) {
            if ((rc = room(c, c->lim->max_request_line + c->lim->max_header_bytes)) < 0)
                return rc;
            ssize_t n = corio__fd_read_now(c->plain, c->in + c->end, c->cap - c->end);
            if (n != -EAGAIN)
                return n;
        }
        corio__http_bufs_drop(c);
        c->idle = true;
        rc = c->srv ? corio__http_park_wait(c, deadline)
                    : corio_fd_wait(c->plain, CORIO_READ, deadline);
        c->idle = false;
        if (rc == 1)
            return -EAGAIN;
        if (rc < 0)
            return rc;
    }
    if ((rc = room(c, c->lim->max_request_line + c->lim->max_header_bytes)) < 0)
        return rc;
    c->idle = idle;
    ssize_t n = corio__http_read(c, c->in + c->end, c->cap - c->end, deadline);
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

size_t corio_http_head_end(const char *buf, size_t len)
{
    return corio__http_head_end(buf, 0, len);
}

static int line_too_long(conn *c)
{
    return corio__http_client_error(c, 414, "request line over %zu bytes (max_request_line)",
                                    c->lim->max_request_line);
}

static int head_too_big(conn *c)
{
    return corio__http_client_error(c, 431, "header lines over %zu bytes (max_header_bytes)",
                                    c->lim->max_header_bytes);
}

/* Answers a head that cannot be parsed: -EBADMSG, or -EIO if the answer
 * could not be queued. */
static int bad_head(conn *c, int status, const char *why)
{
    return corio__http_client_error(c, status, "malformed head: %s", why) < 0 ? -EIO : -EBADMSG;
}

/* Reads until the buffer holds a whole head: 0; 1 when the connection
 * parked; or < 0 (the connection ends; an error answer may be queued). */
int corio__http_read_head(conn *c)
{
    const corio_http_limits *l = c->lim;
    size_t max = l->max_request_line + l->max_header_bytes;
    size_t scanned = 0; /* bytes of this request searched already */
    int64_t deadline = -1;
    for (;;) {
        /* Empty lines before a request line are ignored (RFC 9112, 2.2),
         * so a stray CRLF after a body is not taken for a head. */
        while (scanned == 0 && c->start < c->end &&
               (c->in[c->start] == '\r' || c->in[c->start] == '\n'))
            c->start++;
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
        if (have && !corio__http_could_be_request(c->in + c->start, have))
            return bad_head(c, 400, "not an HTTP request line");
        if (have > l->max_request_line && !memchr(c->in + c->start, '\n', have))
            return line_too_long(c) < 0 ? -EIO : -EMSGSIZE;
        if (have > max)
            return head_too_big(c) < 0 ? -EIO : -EMSGSIZE;
        bool idle = have == 0;
        if (!idle && deadline < 0)
            deadline = corio_now() + l->header_timeout_ms;
        ssize_t n = fill(c, idle ? corio__http_idle_deadline(c) : deadline, idle);
        if (n < 0 && c->parked)
            return 1;
        if (n <= 0) {
            if (n == -ETIMEDOUT && !idle)
                corio__http_client_error(c, 408, "no whole head within %d ms (header_timeout_ms)",
                                         l->header_timeout_ms);
            return n < 0 ? (int)n : -EPIPE;
        }
        c->end += (size_t)n;
    }
}

/* Bare CR, obs-fold (a header line starting with a space or tab) and
 * whitespace between a field name and its colon, which llhttp 8 lets
 * through, are refused: all three are request smuggling vectors. One pass
 * over the head's lines, which also finds the request line's end (*eol). */
static bool head_is_clean(const conn *c, const char **eol)
{
    const char *p = c->in + c->start, *e = c->in + c->head_end;
    *eol = NULL;
    for (const char *ls = p; ls < e;) {
        const char *nl = memchr(ls, '\n', (size_t)(e - ls));
        if (!nl)
            nl = e; /* cannot be: a head ends with LF */
        const char *end = nl > ls && nl[-1] == '\r' ? nl - 1 : nl;
        if (end > ls && memchr(ls, '\r', (size_t)(end - ls)))
            return false;
        if (ls == p) {
            *eol = nl;
        } else if (end > ls) {
            if (*ls == ' ' || *ls == '\t')
                return false;
            const char *colon = memchr(ls, ':', (size_t)(end - ls));
            if (colon && colon > ls && (colon[-1] == ' ' || colon[-1] == '\t'))
                return false;
        }
        ls = nl + 1;
    }
    return true;
}

/* NUL-terminates the target and every header name and value in place (the
 * bytes after them, ' ', ':' and CR/LF, are parsed already), trimming
 * trailing whitespace off values. */
static void terminate(conn *c)
{
    corio_http_req *r = &c->w->req;
    r->target[r->target_len] = '\0';
    corio__http_hdrs_finish(&r->hdrs);
}

/* Parses the head in [start, head_end): 0, or an error answer is queued. */
int corio__http_parse_head(conn *c)
{
    corio_http_req *r = &c->w->req;
    c->err_status = 0;
    const char *eol;
    if (!head_is_clean(c, &eol))
        return bad_head(c, 400, "bare CR, obs-fold or whitespace before a colon");
    const char *line = c->in + c->start; /* read_head skipped empty lines */
    int status = corio__http_check_line(line, eol ? (size_t)(eol - line) : 0);
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
    llhttp_errno_t e = llhttp_execute(&c->w->parser, c->in + c->start, c->head_end - c->start);
    if (e == HPE_PAUSED) {
        llhttp_resume(&c->w->parser);
        if (llhttp_get_error_pos(&c->w->parser) != c->in + c->head_end)
            e = HPE_INVALID_METHOD; /* cannot happen: a message ended inside the head */
    }
    if ((e != HPE_OK && e != HPE_PAUSED) || !r->target) {
        status = c->err_status ? c->err_status : 400;
        if (e == HPE_INVALID_VERSION && !c->err_status)
            status = 505;
        const char *why = c->err_status == 431             ? "too many header fields (max_headers)"
                          : e != HPE_OK && e != HPE_PAUSED ? llhttp_get_error_reason(&c->w->parser)
                                                           : "no request target";
        return bad_head(c, status, why ? why : "?");
    }
    terminate(c);
    r->method = llhttp_method_name(c->w->parser.method);
    r->minor = c->w->parser.http_minor;
    const char *why;
    if ((status = corio__http_check_headers(&r->hdrs, r->minor, &why)))
        return bad_head(c, status, why);
    r->head = c->w->parser.method == HTTP_HEAD;
    const char *q = memchr(r->target, '?', r->target_len);
    r->raw_path = r->target;
    r->raw_path_len = q ? (size_t)(q - r->target) : r->target_len;
    if (q) {
        size_t qlen = r->target_len - r->raw_path_len - 1;
        r->query = corio__http_arena_alloc(c, qlen + 1);
        if (!r->query)
            return -ENOMEM;
        memcpy(r->query, q + 1, qlen + 1);
    }
    const char *expect = corio_http_req_header(r, "Expect");
    r->expect_continue = expect && strcasecmp(expect, "100-continue") == 0 && r->minor >= 1;
    c->next = c->head_end;
    c->parsed = c->head_end;
    if (r->body.done)
        r->has_body = false;
    if (r->has_body) /* a clock read saved on every request without a body */
        c->body_deadline = corio_now() + c->lim->body_total_timeout_ms;
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
    int64_t whole = c->body_deadline + (int64_t)(c->w->req.body.total * 1000 / l->body_min_rate);
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
            ssize_t got =
                corio__http_read(c, c->in + c->end, c->cap - c->end, body_read_deadline(c));
            if (got <= 0) {
                r->body_err = got == 0 ? -ECONNRESET : (int)got;
                return r->body_err;
            }
            c->end += (size_t)got;
        }
        if (corio__http_body_step(&r->body, &c->w->parser, c->in, &c->parsed, c->end) < 0) {
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

static ssize_t read_req(void *r, void *buf, size_t len)
{
    return corio_http_req_read(r, buf, len);
}

int corio_http_req_body(corio_http_req *r, const char **body, size_t *len)
{
    if (!r->whole) {
        size_t cap = 1024;
        uint64_t cl = r->c->w->parser.content_length;
        if (!(r->c->w->parser.flags & F_CHUNKED) && cl < r->c->lim->max_body)
            cap = (size_t)cl + 1;
        /* max_body is the body reader's to enforce (413) */
        int rc = corio__http_body_whole(read_req, r, cap, SIZE_MAX, &r->whole, &r->whole_len);
        if (rc < 0)
            return rc;
    }
    if (body)
        *body = r->whole;
    if (len)
        *len = r->whole_len;
    return 0;
}

/* Reads what the handler left of the body, so the next request can follow
 * (unless it is too much to be worth it: then the connection closes). */
void corio__http_drain(conn *c)
{
    corio_http_req *r = &c->w->req;
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

/* --- what a handler asks ---------------------------------------------------- */

const char *corio_http_req_method(const corio_http_req *r)
{
    return r->method;
}

const char *corio_http_req_target(const corio_http_req *r)
{
    return r->target;
}

const char *corio_http_req_path(const corio_http_req *r)
{
    return r->path;
}

const char *corio_http_req_query_string(const corio_http_req *r)
{
    return r->query;
}

const char *corio_http_req_query(corio_http_req *r, const char *key)
{
    if (!r->query || !key)
        return NULL;
    size_t cap = strlen(r->query) + 1; /* decoding never lengthens */
    char *out = corio__http_arena_alloc(r->c, cap);
    if (!out || corio_url_query_get(r->query, key, out, cap) < 0)
        return NULL;
    return out;
}

const char *corio_http_req_param(const corio_http_req *r, const char *name)
{
    if (!name)
        return NULL;
    size_t len = strlen(name);
    for (size_t i = 0; i < r->m.nparams; i++) {
        const char *n = r->m.names[i] + 1; /* past '{' */
        size_t nl = r->m.name_lens[i] - 2;
        if (nl > 3 && memcmp(n + nl - 3, "...", 3) == 0)
            nl -= 3;
        if (nl == len && memcmp(n, name, len) == 0)
            return r->params[i];
    }
    return NULL;
}

const char *corio_http_req_header(const corio_http_req *r, const char *name)
{
    return corio__http_hdrs_get(&r->hdrs, name);
}

size_t corio_http_req_header_count(const corio_http_req *r)
{
    return r->hdrs.n;
}

int corio_http_req_header_at(const corio_http_req *r, size_t i, const char **name,
                             const char **value)
{
    if (i >= r->hdrs.n)
        return -ERANGE;
    *name = r->hdrs.v[i].name;
    *value = r->hdrs.v[i].value;
    return 0;
}

int corio_http_req_minor_version(const corio_http_req *r)
{
    return r->minor;
}

corio_http_app *corio_http_req_app(const corio_http_req *r)
{
    return r->c->app;
}

const char *corio_http_req_peer(const corio_http_req *r)
{
    corio__http_peer(r->c);
    return r->c->peer;
}

corio_fd *corio_http_req_fd(const corio_http_req *r)
{
    return corio_stream_fd(r->c->s);
}
