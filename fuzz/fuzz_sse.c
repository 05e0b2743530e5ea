/* libFuzzer target for server-sent events: the input is a Last-Event-ID
 * value, an event name and data, separated by NUL bytes. A request carrying
 * that Last-Event-ID goes to corio's HTTP server over a socket pair; the
 * handler sends one event whose id is the Last-Event-ID it parsed, with the
 * event name and data. The harness reads the response, takes off the
 * chunked framing and parses the stream as the HTML standard's EventSource
 * does; it aborts unless exactly one event comes back with the id, name and
 * data sent (line breaks normalised to LF, as the standard does): no field
 * may leak into another or split the event. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corio/corio.h>

#include "serve_pair.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

typedef struct sent {
    const char *event, *data;
    char *id; /* what the handler parsed, copied */
    int handled;
} sent;

static corio_http_app *app;
static sent the;

static int stream(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    const char *id = corio_http_req_header(req, "Last-Event-ID");
    the.id = id ? strdup(id) : NULL;
    the.handled = 1;
    int rc = corio_http_sse_start(resp);
    rc = rc ? rc : corio_http_sse_send(resp, the.id, the.event, the.data);
    return rc ? rc : corio_http_resp_end(resp);
}

/* --- the client side ------------------------------------------------------ */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        check(b->p != NULL);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* What an EventSource makes of a value sent as one field: line breaks
 * become LF (data), or only the last line counts (id, event). */
static char *normalised(const char *v, int last_line_only)
{
    buf b = {0};
    put(&b, "", 0);
    for (const char *p = v; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            if (*p == '\r' && p[1] == '\n')
                p++;
            if (last_line_only)
                b.len = 0;
            else
                put(&b, "\n", 1);
            continue;
        }
        put(&b, p, 1);
    }
    b.p[b.len] = '\0';
    return b.p;
}

typedef struct event {
    int count;
    buf data;
    char *id, *type;
} event;

/* The stream's lines, as EventSource parses them. */
static void parse_sse(const char *s, size_t n, event *e)
{
    buf data = {0}, type = {0};
    put(&data, "", 0);
    put(&type, "", 0);
    const char *end = s + n;
    while (s < end) {
        const char *eol = s;
        while (eol < end && *eol != '\r' && *eol != '\n')
            eol++;
        check(eol < end); /* every line ends */
        size_t len = (size_t)(eol - s);
        if (len == 0) { /* dispatch */
            if (data.len) {
                e->count++;
                e->data = data;
                data.p[data.len - 1] = '\0';
                data = (buf){0};
                put(&data, "", 0);
                free(e->type);
                e->type = strdup(type.p);
            }
            type.len = 0;
            type.p[0] = '\0';
        } else if (*s != ':') {
            const char *colon = memchr(s, ':', len);
            size_t fl = colon ? (size_t)(colon - s) : len;
            const char *v = colon ? colon + 1 : eol;
            if (v < eol && *v == ' ')
                v++;
            if (fl == 4 && !memcmp(s, "data", 4)) {
                put(&data, v, (size_t)(eol - v));
                put(&data, "\n", 1);
            } else if (fl == 5 && !memcmp(s, "event", 5)) {
                type.len = 0;
                put(&type, v, (size_t)(eol - v));
            } else if (fl == 2 && !memcmp(s, "id", 2)) {
                free(e->id);
                e->id = strndup(v, (size_t)(eol - v));
            }
        }
        s = eol + (*eol == '\r' && eol + 1 < end && eol[1] == '\n' ? 2 : 1);
    }
    free(data.p);
    free(type.p);
}

/* The body of a chunked response. */
static void dechunk(const char *s, size_t n, buf *out)
{
    const char *end = s + n;
    for (;;) {
        char *e;
        unsigned long size = strtoul(s, &e, 16);
        check(e < end && e[0] == '\r' && e + 1 < end && e[1] == '\n');
        s = e + 2;
        if (size == 0)
            return;
        check((size_t)(end - s) >= size + 2 && s[size] == '\r' && s[size + 1] == '\n');
        put(out, s, size);
        s += size + 2;
    }
}

typedef struct pair {
    serve_pair sp; /* first: the reader is given the pair */
    buf got;
} pair;

static intptr_t reader(void *arg)
{
    pair *p = arg;
    corio_fd *f;
    if (corio_fd_open(p->sp.fds[1], &f) < 0)
        return 0;
    char tmp[65536];
    ssize_t n;
    while ((n = corio_fd_read(f, tmp, sizeof tmp, corio_now() + 5000)) > 0)
        put(&p->got, tmp, (size_t)n);
    corio_fd_close(f);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!app) {
        if (corio_http_app_new(&app) < 0)
            abort();
        corio_http_route(app, "GET", "/", stream, NULL);
    }
    if (size > 60000)
        return 0;
    /* Last-Event-ID \0 event \0 data; a header value holds no line break. */
    char *in = malloc(size + 3);
    check(in != NULL);
    memcpy(in, data, size);
    in[size] = in[size + 1] = in[size + 2] = '\0';
    char *hdr = in, *name = hdr + strlen(hdr) + 1, *d = name + strlen(name) + 1;
    for (char *c = hdr; *c; c++)
        if (*c == '\r' || *c == '\n')
            *c = ' ';
    the = (sent){.event = *name ? name : NULL, .data = d};
    buf req = {0};
    const char *h = "GET / HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\nLast-Event-ID: ";
    put(&req, h, strlen(h));
    put(&req, hdr, strlen(hdr));
    put(&req, "\r\n\r\n", 4);
    pair p = {.sp = {.app = app, .reader = reader}};
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, p.sp.fds) < 0) { /* the machine's trouble */
        free(req.p);
        free(in);
        return 0;
    }
    int big = 1 << 20;
    setsockopt(p.sp.fds[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    check(write(p.sp.fds[1], req.p, req.len) == (ssize_t)req.len);
    shutdown(p.sp.fds[1], SHUT_WR);
    corio_run(serve_pair_run, &p);

    /* A request the server refused (a header it will not take) has no
     * event to check. */
    const char *body = p.got.p ? strstr(p.got.p, "\r\n\r\n") : NULL;
    if (the.handled && p.got.len >= 15 && !memcmp(p.got.p, "HTTP/1.1 200 ", 13)) {
        check(body != NULL);
        body += 4;
        buf stream = {0};
        dechunk(body, p.got.len - (size_t)(body - p.got.p), &stream);
        event e = {0};
        parse_sse(stream.p ? stream.p : "", stream.len, &e);
        check(e.count == 1);
        char *want = normalised(the.data, 0);
        check(!strcmp(e.data.p, want));
        free(want);
        want = normalised(the.event ? the.event : "", 1);
        check(!strcmp(e.type, want));
        free(want);
        if (the.id) {
            want = normalised(the.id, 1);
            check(e.id && !strcmp(e.id, want));
            free(want);
        } else {
            check(!e.id);
        }
        free(e.data.p);
        free(e.id);
        free(e.type);
        free(stream.p);
    }
    free(the.id);
    free(p.got.p);
    free(req.p);
    free(in);
    return 0;
}
