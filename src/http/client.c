/* The HTTP/1.1 client: a session with a keep-alive pool per origin,
 * requests over plain TCP or TLS, responses parsed with llhttp (pausing at
 * each body span so bodies stream), redirects, gzip. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include <llhttp.h>

#include <corio/dns.h>
#include <corio/error.h>
#include <corio/net.h>
#include <corio/respool.h>
#include <corio/sync.h>
#include <corio/time.h>
#include <corio/url.h>

#include "../base/misuse.h"
#include "../base/list.h"
#include "http.h"

#define IN_CAP    16384
#define MAX_HEAD  65536
#define MAX_ADDRS 8

/* A scheme, host and port, with its keep-alive connections. */
typedef struct origin {
    corio__list_node link; /* in client->origins */
    char *key;             /* "scheme://host:port" */
    corio_http_client *c;
    char *host;
    int port;
    bool https;
    corio_respool *conns; /* corio_stream *, at most max_per_host */
} origin;

struct corio_http_client {
    corio_http_client_opts o;
    char *user_agent;
    corio_tls_ctx *tls;
    corio__list origins;
    corio_sem *slots; /* connections in use in all (max_total) */
};

struct corio_http_response {
    corio_http_client *c;
    bool own_client; /* corio_http_get's private client */
    origin *o;
    corio_stream *s;
    bool reused;
    llhttp_t parser;
    char *in;
    size_t cap, end, head_end, parsed;
    int status;
    http_hdrs hdrs;
    bool head_req, keep_alive, failed;
    char *url;
    http_body body;
    size_t max_body;
    int64_t deadline;
    z_stream *z;
    unsigned char *zbuf; /* compressed bytes not inflated yet */
    bool zend;
    char *whole; /* corio_http_response_body's copy */
    size_t whole_len;
};

/* --- session ---------------------------------------------------------------- */

int corio_http_client_new(const corio_http_client_opts *opts, corio_http_client **out)
{
    if (!out)
        return -EINVAL;
    corio_http_client *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    if (opts)
        c->o = *opts;
    if (!c->o.max_per_host)
        c->o.max_per_host = 8;
    if (!c->o.max_total)
        c->o.max_total = 256;
    if (!c->o.connect_timeout_ms)
        c->o.connect_timeout_ms = 10000;
    if (!c->o.read_timeout_ms)
        c->o.read_timeout_ms = 30000;
    if (!c->o.idle_timeout_ms)
        c->o.idle_timeout_ms = 30000;
    char ua[32];
    snprintf(ua, sizeof ua, "corio/%s", corio_version());
    c->user_agent = strdup(c->o.user_agent ? c->o.user_agent : ua);
    c->o.user_agent = NULL;
    c->o.ca_file = NULL; /* used only while creating the TLS context below */
    corio__list_init(&c->origins);
    int rc = c->user_agent ? corio_sem_new(c->o.max_total, false, &c->slots) : -ENOMEM;
    if (rc == 0 && opts && opts->ca_file)
        rc = corio_tls_ctx_client(opts->ca_file, opts->insecure ? CORIO_TLS_NO_VERIFY : 0, &c->tls);
    if (rc < 0) {
        corio_http_client_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void corio_http_client_free(corio_http_client *c)
{
    if (!c)
        return;
    while (!corio__list_empty(&c->origins)) {
        origin *o = corio__container_of(c->origins.next, origin, link);
        corio__list_unlink(&o->link);
        corio_respool_free(o->conns); /* closes the idle ones */
        free(o->host);
        free(o->key);
        free(o);
    }
    if (c->slots)
        corio_sem_free(c->slots);
    if (c->tls)
        corio_tls_ctx_free(c->tls);
    free(c->user_agent);
    free(c);
}

static int conn_open(void *ctx, void **res, int64_t deadline);

static void conn_close(void *ctx, void *res)
{
    (void)ctx;
    corio_stream_close(res);
}

static const corio_respool_ops conn_ops = {conn_open, conn_close};

static origin *origin_get(corio_http_client *c, const corio_url *u, const char *key)
{
    for (corio__list_node *n = c->origins.next; n != &c->origins; n = n->next) {
        origin *o = corio__container_of(n, origin, link);
        if (strcmp(o->key, key) == 0)
            return o;
    }
    origin *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->c = c;
    o->key = strdup(key);
    o->host = strdup(u->host);
    o->port = corio_url_port(u);
    o->https = strcmp(u->scheme, "https") == 0;
    if (!o->key || !o->host || corio_respool_new(&conn_ops, o, c->o.max_per_host, &o->conns) < 0) {
        free(o->host);
        free(o->key);
        free(o);
        return NULL;
    }
    corio_respool_set_idle_timeout(o->conns, c->o.idle_timeout_ms);
    corio__list_push(&c->origins, &o->link);
    return o;
}

/* --- connecting ------------------------------------------------------------- */

static int64_t sooner(int64_t a, int64_t b)
{
    return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

static int dial(origin *o, int64_t deadline, corio_stream **out)
{
    corio_http_client *c = o->c;
    int64_t cd = sooner(deadline, corio_now() + c->o.connect_timeout_ms);
    corio_addr addrs[MAX_ADDRS];
    int n;
    memset(addrs, 0, sizeof addrs);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addrs[0].sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addrs[0].sa;
    if (inet_pton(AF_INET, o->host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        addrs[0].len = sizeof *v4;
        n = 1;
    } else if (inet_pton(AF_INET6, o->host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        addrs[0].len = sizeof *v6;
        n = 1;
    } else {
        n = corio_dns_resolve(o->host, addrs, MAX_ADDRS, cd);
        if (n == -ECANCELED || n == -ENOMEM || n == -EPERM)
            return n;
        if (n <= 0)
            return -CORIO_EDNS;
    }
    corio_fd *f;
    int rc = corio_tcp_connect_addrs(addrs, (size_t)n, o->port, &f, cd);
    if (rc < 0)
        return rc;
    if (!o->https)
        return corio_stream_open(f, out);
    if (!c->tls &&
        (rc = corio_tls_ctx_client(NULL, c->o.insecure ? CORIO_TLS_NO_VERIFY : 0, &c->tls)) < 0) {
        corio_fd_close(f);
        return rc;
    }
    return corio_tls_connect(c->tls, f, o->host, out, cd);
}

/* Opens a connection for the origin's pool. A connection in use holds one of
 * the client's max_total slots: a new one takes it before it dials. */
static int conn_open(void *ctx, void **res, int64_t deadline)
{
    origin *o = ctx;
    int rc = corio_sem_acquire(o->c->slots, deadline);
    if (rc < 0)
        return rc;
    if ((rc = dial(o, deadline, (corio_stream **)res)) < 0)
        corio_sem_release(o->c->slots);
    return rc;
}

/* --- response parsing ---------------------------------------------------------- */

static int on_status_cb(llhttp_t *p, const char *at, size_t len)
{
    (void)p, (void)at, (void)len;
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    corio_http_response *r = p->data;
    return corio__http_hdrs_field(&r->hdrs, at, len, 0) ? -1 : 0;
}

static int on_header_field_complete(llhttp_t *p)
{
    corio_http_response *r = p->data;
    corio__http_hdrs_field_done(&r->hdrs);
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    corio_http_response *r = p->data;
    corio__http_hdrs_value(&r->hdrs, at, len);
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    corio_http_response *r = p->data;
    r->keep_alive = llhttp_should_keep_alive(p);
    /* 1: no body follows, whatever the headers say (RFC 9112 6.3): the
     * answer to a HEAD, and every 1xx, 204 and 304 (llhttp 8 would wait
     * for a 304's Content-Length bytes). */
    int st = p->status_code;
    return r->head_req || st < 200 || st == 204 || st == 304 ? 1 : 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    corio_http_response *r = p->data;
    return corio__http_body_span(&r->body, at, len);
}

static int on_message_complete(llhttp_t *p)
{
    corio_http_response *r = p->data;
    return corio__http_body_end(&r->body);
}

static const llhttp_settings_t settings = {
    .on_status = on_status_cb,
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static int64_t read_deadline(const corio_http_response *r)
{
    return sooner(r->deadline, corio_now() + r->c->o.read_timeout_ms);
}

/* Reads the response head (skipping 1xx answers) and parses it. */
static int read_head(corio_http_response *r)
{
    for (;;) {
        size_t scanned = 0;
        for (;;) {
            size_t e =
                r->end ? corio__http_head_end(r->in, scanned > 2 ? scanned - 2 : 0, r->end) : 0;
            if (e) {
                r->head_end = e;
                break;
            }
            scanned = r->end;
            if (r->end == r->cap) {
                if (r->cap >= MAX_HEAD)
                    return -EBADMSG;
                char *in = realloc(r->in, r->cap * 2);
                if (!in)
                    return -ENOMEM;
                r->in = in;
                r->cap *= 2;
            }
            ssize_t n = corio_stream_read(r->s, r->in + r->end, r->cap - r->end, read_deadline(r));
            if (n == 0)
                return r->end ? -EBADMSG : -ECONNRESET;
            if (n < 0)
                return n == -EPIPE ? -ECONNRESET : (int)n;
            r->end += (size_t)n;
        }
        if (r->cap - r->head_end < 8192) { /* room for the body: the head may not move later */
            char *in = realloc(r->in, r->head_end + IN_CAP);
            if (!in)
                return -ENOMEM;
            r->in = in;
            r->cap = r->head_end + IN_CAP;
        }
        r->hdrs.n = 0;
        r->hdrs.name_open = false;
        r->body.done = false;
        llhttp_errno_t e = llhttp_execute(&r->parser, r->in, r->head_end);
        if (e == HPE_PAUSED) {
            llhttp_resume(&r->parser);
            if (llhttp_get_error_pos(&r->parser) != r->in + r->head_end)
                return -EBADMSG;
        } else if (e != HPE_OK) {
            return -EBADMSG;
        }
        r->status = r->parser.status_code;
        if (r->status >= 200 || r->status == 101)
            break;
        /* An interim answer (100 Continue): the real one follows. */
        memmove(r->in, r->in + r->head_end, r->end - r->head_end);
        r->end -= r->head_end;
        r->head_end = 0;
    }
    corio__http_hdrs_finish(&r->hdrs);
    r->parsed = r->head_end;
    return 0;
}

/* Body bytes as they come off the wire (before any gzip decoding). */
static ssize_t read_raw(corio_http_response *r, void *buf, size_t len)
{
    for (;;) {
        size_t n = corio__http_body_take(&r->body, buf, len);
        if (n) {
            if (r->body.total > r->max_body) {
                r->failed = true;
                return -EMSGSIZE;
            }
            return (ssize_t)n;
        }
        if (r->body.done)
            return 0;
        if (r->failed)
            return -EBADMSG;
        if (corio__http_body_wants_input(&r->body, r->parsed, r->end)) {
            r->parsed = r->end = r->head_end; /* reuse the space after the head */
            ssize_t got =
                corio_stream_read(r->s, r->in + r->end, r->cap - r->end, read_deadline(r));
            if (got == 0) {
                /* close-delimited: the end of the message is the end of the
                 * stream (llhttp pauses there, as at every message's end) */
                llhttp_errno_t fe = llhttp_finish(&r->parser);
                if (fe == HPE_OK || (fe == HPE_PAUSED && r->body.done)) {
                    r->body.done = true;
                    r->keep_alive = false;
                    return 0;
                }
                r->failed = true;
                return -ECONNRESET;
            }
            if (got < 0) {
                r->failed = true;
                return got == -EPIPE ? -ECONNRESET : got;
            }
            r->end += (size_t)got;
        }
        if (corio__http_body_step(&r->body, &r->parser, r->in, &r->parsed, r->end) < 0) {
            r->failed = true;
            return -EBADMSG;
        }
        if (r->body.done && r->parsed != r->end)
            r->keep_alive = false; /* bytes nobody asked for */
    }
}

ssize_t corio_http_response_read(corio_http_response *r, void *buf, size_t len)
{
    CORIO__MISUSE_IF(!r, "the response is NULL");
    if (!buf && len)
        return -EINVAL;
    if (!r->z)
        return read_raw(r, buf, len);
    for (;;) {
        if (r->zend) /* trailing bytes after the gzip member are ignored */
            return 0;
        if (r->z->avail_in == 0) {
            ssize_t n = read_raw(r, r->zbuf, IN_CAP);
            if (n < 0)
                return n;
            if (n == 0)
                return -EBADMSG; /* the body ended inside the gzip stream */
            r->z->next_in = r->zbuf;
            r->z->avail_in = (uInt)n;
        }
        r->z->next_out = buf;
        r->z->avail_out = (uInt)(len > (1u << 30) ? (1u << 30) : len);
        int zr = inflate(r->z, Z_NO_FLUSH);
        size_t made = (size_t)((char *)r->z->next_out - (char *)buf);
        if (zr == Z_STREAM_END) {
            r->zend = true;
            char drain[512];
            while (read_raw(r, drain, sizeof drain) > 0)
                ;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            r->failed = true;
            return -EBADMSG;
        }
        if (made)
            return (ssize_t)made;
    }
}

static ssize_t read_response(void *r, void *buf, size_t len)
{
    return corio_http_response_read(r, buf, len);
}

int corio_http_response_body(corio_http_response *r, const char **body, size_t *len)
{
    CORIO__MISUSE_IF(!r, "the response is NULL");
    if (!r->whole) {
        size_t cap = 4096;
        const char *cl = corio_http_response_header(r, "Content-Length");
        if (cl && !r->z) {
            unsigned long long v = strtoull(cl, NULL, 10);
            if (v < r->max_body)
                cap = (size_t)v + 1;
        }
        int rc =
            corio__http_body_whole(read_response, r, cap, r->max_body, &r->whole, &r->whole_len);
        if (rc < 0)
            return rc;
    }
    if (body)
        *body = r->whole;
    if (len)
        *len = r->whole_len;
    return 0;
}

int corio_http_response_status(const corio_http_response *r)
{
    return r->status;
}

const char *corio_http_response_header(const corio_http_response *r, const char *name)
{
    return corio__http_hdrs_get(&r->hdrs, name);
}

const char *corio_http_response_url(const corio_http_response *r)
{
    return r->url;
}

bool corio_http_response_reused(const corio_http_response *r)
{
    return r->reused;
}

/* Gives the connection back (or closes it) and releases the slots. */
static void release_conn(corio_http_response *r)
{
    if (!r->s)
        return;
    bool reusable = r->body.done && r->keep_alive && !r->failed && r->parsed == r->end;
    corio_respool_release(r->o->conns, r->s, !reusable);
    r->s = NULL;
    corio_sem_release(r->c->slots);
}

void corio_http_response_free(corio_http_response *r)
{
    if (!r)
        return;
    release_conn(r);
    if (r->z) {
        inflateEnd(r->z);
        free(r->z);
    }
    free(r->zbuf);
    free(r->hdrs.v);
    free(r->in);
    free(r->whole);
    free(r->url);
    if (r->own_client)
        corio_http_client_free(r->c);
    free(r);
}

/* --- requests ------------------------------------------------------------- */

/* Appends to a growing string: 0 or -ENOMEM. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static int sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->cap - b->len < n + 1) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap - b->len < n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -ENOMEM;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int sb_str(sbuf *b, const char *s)
{
    return sb_add(b, s, strlen(s));
}

/* The request head for u. */
static int build_head(corio_http_client *c, const corio_url *u, const char *method,
                      const corio_http_request_opts *o, size_t body_len, sbuf *b)
{
    int rc = sb_str(b, method);
    rc = rc ? rc : sb_add(b, " ", 1);
    rc = rc ? rc : sb_str(b, *u->path ? u->path : "/");
    if (rc == 0 && u->query) {
        rc = sb_add(b, "?", 1);
        rc = rc ? rc : sb_str(b, u->query);
    }
    rc = rc ? rc : sb_str(b, " HTTP/1.1\r\nHost: ");
    bool v6 = strchr(u->host, ':') != NULL;
    rc = rc ? rc : sb_str(b, v6 ? "[" : "");
    rc = rc ? rc : sb_str(b, u->host);
    rc = rc ? rc : sb_str(b, v6 ? "]" : "");
    if (rc == 0 && u->port >= 0 &&
        u->port != corio_url_port(&(corio_url){.scheme = u->scheme, .port = -1})) {
        char port[16];
        snprintf(port, sizeof port, ":%d", u->port);
        rc = sb_str(b, port);
    }
    rc = rc ? rc : sb_add(b, "\r\n", 2);
    if (rc == 0 && *c->user_agent) {
        rc = sb_str(b, "User-Agent: ");
        rc = rc ? rc : sb_str(b, c->user_agent);
        rc = rc ? rc : sb_add(b, "\r\n", 2);
    }
    if (rc == 0 && o->gzip)
        rc = sb_str(b, "Accept-Encoding: gzip\r\n");
    for (size_t i = 0; rc == 0 && i < o->nheaders; i++) {
        const corio_http_header *h = &o->headers[i];
        if (strpbrk(h->name, "\r\n:") || strpbrk(h->value, "\r\n"))
            return -EINVAL;
        rc = sb_str(b, h->name);
        rc = rc ? rc : sb_add(b, ": ", 2);
        rc = rc ? rc : sb_str(b, h->value);
        rc = rc ? rc : sb_add(b, "\r\n", 2);
    }
    if (rc == 0 && (o->body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)) {
        char cl[48];
        snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", body_len);
        rc = sb_str(b, cl);
    }
    return rc ? rc : sb_add(b, "\r\n", 2);
}

/* One exchange on one connection: sends, reads the head. */
static int exchange(corio_http_client *c, const corio_url *u, const char *key, const char *method,
                    const corio_http_request_opts *o, const void *body, size_t body_len,
                    corio_http_response *r)
{
    origin *og = origin_get(c, u, key);
    if (!og)
        return -ENOMEM;
    sbuf head = {0};
    int rc = build_head(c, u, method, o, body_len, &head);
    if (rc < 0)
        return rc;
    void *conn;
    rc = corio_respool_acquire(og->conns, &conn, r->deadline);
    r->reused = rc == 0;
    /* A reused connection takes a max_total slot now; a new one took it to dial. */
    if (r->reused && (rc = corio_sem_acquire(c->slots, r->deadline)) < 0)
        corio_respool_release(og->conns, conn, false);
    if (rc < 0) {
        free(head.p);
        return rc;
    }
    r->o = og;
    r->s = conn;
    for (;;) {
        int64_t wd = read_deadline(r);
        rc = corio_stream_write(r->s, head.p, head.len, wd);
        if (rc == 0 && body_len)
            rc = corio_stream_write(r->s, body, body_len, wd);
        llhttp_init(&r->parser, HTTP_RESPONSE, &settings);
        r->parser.data = r;
        r->end = r->head_end = r->parsed = 0;
        if (rc == 0)
            rc = read_head(r);
        /* A pooled connection the server closed meanwhile: once, a new one
         * in its place. */
        bool stale =
            r->reused && r->end == 0 && (rc == -ECONNRESET || rc == -EPIPE || rc == -EBADMSG);
        if (!stale)
            break;
        corio_sem_release(c->slots); /* the new connection's open takes it again */
        conn = r->s;
        r->s = NULL;
        r->reused = false;
        if ((rc = corio_respool_reopen(og->conns, &conn, r->deadline)) < 0)
            break; /* nothing held */
        r->s = conn;
    }
    free(head.p);
    if (rc < 0) {
        r->failed = true;
        release_conn(r);
        r->o = NULL;
    }
    return rc;
}

static bool is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static int open_request(corio_http_client *c, bool own, const char *url,
                        const corio_http_request_opts *opts, corio_http_response **out,
                        int64_t deadline)
{
    static const corio_http_request_opts none = {0};
    const corio_http_request_opts *o = opts ? opts : &none;
    if (!c)
        corio__misuse("corio_http_client_open", "the client is NULL");
    if (!url || !out)
        return -EINVAL;
    corio_http_response *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    r->c = c;
    r->own_client = own;
    r->deadline = deadline; /* for the whole exchange, the body reads included */
    r->max_body = o->max_body ? o->max_body : (size_t)64 << 20;
    r->in = malloc(IN_CAP);
    r->url = strdup(url);
    int rc = r->in && r->url ? 0 : -ENOMEM;
    r->cap = IN_CAP;
    const char *method = o->method ? o->method : "GET";
    const void *body = o->body;
    size_t body_len = o->body ? o->body_len : 0;
    for (int hops = 0; rc == 0; hops++) {
        corio_url u;
        rc = corio_url_parse(r->url, &u);
        if (rc < 0)
            break;
        if (!u.scheme || !u.host || !*u.host ||
            (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0)) {
            corio_url_free(&u);
            rc = -EINVAL;
            break;
        }
        char key[300];
        snprintf(key, sizeof key, "%s://%s:%d", u.scheme, u.host, corio_url_port(&u));
        r->head_req = strcmp(method, "HEAD") == 0;
        rc = exchange(c, &u, key, method, o, body, body_len, r);
        corio_url_free(&u);
        if (rc < 0)
            break;
        const char *loc = corio_http_response_header(r, "Location");
        if (!is_redirect(r->status) || !loc || hops >= o->max_redirects)
            break;
        char *next;
        if ((rc = corio_url_resolve(r->url, loc, &next)) < 0) {
            rc = -EBADMSG;
            break;
        }
        /* Read the redirect's body away so its connection can be reused. */
        char drain[1024];
        ssize_t n;
        while ((n = read_raw(r, drain, sizeof drain)) > 0)
            ;
        release_conn(r);
        free(r->url);
        r->url = next;
        if (r->status == 303 || ((r->status == 301 || r->status == 302) && !r->head_req)) {
            method = r->head_req ? "HEAD" : "GET";
            body = NULL;
            body_len = 0;
        }
        r->failed = false;
        r->body = (http_body){0};
    }
    if (rc == 0 && o->gzip) {
        const char *enc = corio_http_response_header(r, "Content-Encoding");
        if (enc && strcasecmp(enc, "gzip") == 0) {
            r->z = calloc(1, sizeof *r->z);
            r->zbuf = malloc(IN_CAP);
            if (!r->z || !r->zbuf || inflateInit2(r->z, 15 + 32) != Z_OK) {
                free(r->z);
                r->z = NULL;
                rc = -ENOMEM;
            }
        }
    }
    if (rc < 0) {
        r->own_client = false;
        corio_http_response_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int corio_http_client_open(corio_http_client *c, const char *url,
                           const corio_http_request_opts *opts, corio_http_response **out,
                           int64_t deadline)
{
    return open_request(c, false, url, opts, out, deadline);
}

int corio_http_client_request(corio_http_client *c, const char *url,
                              const corio_http_request_opts *opts, corio_http_response **out,
                              int64_t deadline)
{
    int rc = corio_http_client_open(c, url, opts, out, deadline);
    if (rc < 0)
        return rc;
    if ((rc = corio_http_response_body(*out, NULL, NULL)) < 0) {
        corio_http_response_free(*out);
        *out = NULL;
    }
    return rc;
}

int corio_http_get(const char *url, const corio_http_request_opts *opts, corio_http_response **out,
                   int64_t deadline)
{
    corio_http_client *c;
    int rc = corio_http_client_new(NULL, &c);
    if (rc < 0)
        return rc;
    if ((rc = open_request(c, true, url, opts, out, deadline)) < 0) {
        corio_http_client_free(c);
        return rc;
    }
    if ((rc = corio_http_response_body(*out, NULL, NULL)) < 0) {
        corio_http_response_free(*out);
        *out = NULL;
    }
    return rc;
}

const char *corio_http_error_class(int rc)
{
    if (rc >= 0)
        return "ok";
    switch (-rc) {
    case CORIO_EDNS:
        return "dns";
    case ECONNREFUSED:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRNOTAVAIL:
        return "refused";
    case ETIMEDOUT:
        return "timeout";
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
        return "reset";
    case EKEYREJECTED:
    case EPROTO:
        return "tls";
    case EBADMSG:
        return "protocol";
    case EMSGSIZE:
        return "too-large";
    case EINVAL:
        return "invalid-url";
    case ECANCELED:
        return "cancelled";
    default:
        return "io";
    }
}
