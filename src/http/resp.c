/* Writing responses: whole (Content-Length), streamed (chunked, or
 * close-delimited for HTTP/1.0 clients) and server-sent events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/misuse.h"
#include "resp.h"
#include "wire.h"

#define DIRECT 16384 /* bodies this big are written from the caller's memory */

int corio_http_resp_header(corio_http_resp *resp, const char *name, const char *value)
{
    CORIO__MISUSE_IF(!resp, "the response is NULL");
    if (!name || !value || !*name)
        return -EINVAL;
    if (resp->started)
        return -EALREADY;
    /* A CR or LF would let a value inject headers (response splitting). */
    if (strpbrk(name, "\r\n: ") || strpbrk(value, "\r\n"))
        return -EINVAL;
    static const char *const own[] = {"Content-Length", "Transfer-Encoding", "Date", "Server",
                                      "Connection"};
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (strcasecmp(name, own[i]) == 0)
            return -EINVAL;
    size_t nl = strlen(name), vl = strlen(value), need = nl + vl + 4;
    if (resp->hcap - resp->hlen < need) {
        size_t cap = resp->hcap ? resp->hcap : 256;
        while (cap - resp->hlen < need)
            cap *= 2;
        char *h = realloc(resp->headers, cap);
        if (!h)
            return -ENOMEM;
        resp->headers = h;
        resp->hcap = cap;
    }
    char *p = resp->headers + resp->hlen;
    memcpy(p, name, nl);
    p[nl] = ':';
    p[nl + 1] = ' ';
    memcpy(p + nl + 2, value, vl);
    memcpy(p + nl + 2 + vl, "\r\n", 2);
    resp->hlen += need;
    return 0;
}

/* Whether the connection ends after this response. */
static bool ends(const conn *c)
{
    return c->closing || !c->w->req.keep_alive ||
           (c->lim->max_keepalive && c->served + 1 >= c->lim->max_keepalive) ||
           (c->srv && c->srv->stopping);
}

/* Appends "name" + the decimal of v + "\r\n" at p: what snprintf would,
 * without its cost on every response. */
static size_t put_number(char *p, const char *name, size_t nlen, unsigned long long v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(p, name, nlen);
    for (size_t i = 0; i < n; i++)
        p[nlen + i] = digits[n - 1 - i];
    memcpy(p + nlen + n, "\r\n", 2);
    return nlen + n + 2;
}

/* Appends s, of n bytes, at p + *at. */
static void put(char *p, size_t *at, const char *s, size_t n)
{
    memcpy(p + *at, s, n);
    *at += n;
}

int corio__http_head(corio_http_resp *resp, int status, const char *type, long long len)
{
    conn *c = resp->c;
    if (resp->started)
        return -EALREADY;
    if (status < 100 || status > 999)
        return -EINVAL;
    resp->started = true;
    if (c->broken)
        return -EPIPE;
    const char *server = c->app->server_name;
    size_t sl = server ? strlen(server) : 0, tl = type ? strlen(type) : 0, dl;
    if (sl > 200)
        sl = 200;
    const char *date = corio__http_date_line(&dl);
    /* The whole head at the buffer's end in one go: the status line, each
     * fixed line and the framing lines have room in the 256 bytes. */
    char *p = corio__http_out_room(c, 256 + sl + dl + tl + resp->hlen);
    if (!p)
        return -ENOMEM;
    size_t n = 0;
    if (status == 200)
        PUT_LIT(p, n, "HTTP/1.1 200 OK\r\n");
    else
        n = (size_t)snprintf(p, 128, "HTTP/1.1 %d %s\r\n", status, corio_http_reason(status));
    if (server) {
        PUT_LIT(p, n, "Server: ");
        put(p, &n, server, sl);
        PUT_LIT(p, n, "\r\n");
    }
    put(p, &n, date, dl);
    if (type) {
        PUT_LIT(p, n, "Content-Type: ");
        put(p, &n, type, tl);
        PUT_LIT(p, n, "\r\n");
    }
    if (resp->hlen)
        put(p, &n, resp->headers, resp->hlen);
    bool close = ends(c);
    bool bodyless = status == 204 || status == 304 || status < 200;
    if (len >= 0) {
        if (!bodyless)
            n += put_number(p + n, "Content-Length: ", 16, (unsigned long long)len);
    } else if (c->w->req.minor >= 1) {
        resp->chunked = true;
        PUT_LIT(p, n, "Transfer-Encoding: chunked\r\n");
    } else {
        resp->close_delimited = true;
        close = true;
    }
    if (close) {
        PUT_LIT(p, n, "Connection: close\r\n");
        c->closing = true;
    } else if (c->w->req.minor == 0) {
        PUT_LIT(p, n, "Connection: keep-alive\r\n");
    }
    PUT_LIT(p, n, "\r\n");
    c->olen += n;
    return 0;
}

int corio_http_resp_send(corio_http_resp *resp, int status, const char *type, const void *body,
                         size_t len)
{
    CORIO__MISUSE_IF(!resp, "the response is NULL");
    if (!body && len)
        return -EINVAL;
    int rc = corio__http_head(resp, status, type, (long long)len);
    if (rc < 0)
        return rc;
    conn *c = resp->c;
    if (!c->w->req.head && len > 0)
        rc = len < DIRECT ? corio__http_out(c, body, len) : corio__http_write(c, body, len);
    resp->ended = rc == 0; /* else the connection closes: the answer is cut */
    return rc;
}

int corio_http_resp_text(corio_http_resp *resp, int status, const char *text)
{
    return corio_http_resp_send(resp, status, "text/plain; charset=utf-8", text,
                                text ? strlen(text) : 0);
}

int corio_http_resp_json(corio_http_resp *resp, int status, const char *json)
{
    return corio_http_resp_send(resp, status, "application/json", json, json ? strlen(json) : 0);
}

int corio_http_resp_start(corio_http_resp *resp, int status, const char *type)
{
    CORIO__MISUSE_IF(!resp, "the response is NULL");
    int rc = corio__http_head(resp, status, type, -1);
    return rc ? rc : corio__http_flush(resp->c);
}

int corio_http_resp_write_chunk(corio_http_resp *resp, const void *data, size_t len)
{
    CORIO__MISUSE_IF(!resp, "the response is NULL");
    CORIO__MISUSE_IF(!resp->started, "called before corio_http_resp_start");
    if (!data && len)
        return -EINVAL;
    if (resp->ended)
        return -EINVAL;
    conn *c = resp->c;
    if (len == 0 || c->w->req.head)
        return 0;
    int rc = 0;
    if (resp->chunked) {
        char size[24];
        int n = snprintf(size, sizeof size, "%zx\r\n", len);
        rc = corio__http_out(c, size, (size_t)n);
    }
    if (rc == 0)
        rc = len < DIRECT ? corio__http_out(c, data, len) : corio__http_write(c, data, len);
    if (rc == 0 && resp->chunked)
        rc = corio__http_out(c, LIT("\r\n"));
    return rc ? rc : corio__http_flush(c);
}

int corio_http_resp_end(corio_http_resp *resp)
{
    CORIO__MISUSE_IF(!resp, "the response is NULL");
    if (!resp->started)
        return -EINVAL;
    if (resp->ended)
        return 0;
    resp->ended = true;
    if (resp->chunked && !resp->c->w->req.head)
        return corio__http_out(resp->c, LIT("0\r\n\r\n"));
    return 0;
}

int corio_http_resp_started(const corio_http_resp *resp)
{
    return resp->started;
}

int corio_http_sse_start(corio_http_resp *resp)
{
    int rc = corio_http_resp_header(resp, "Cache-Control", "no-cache");
    return rc ? rc : corio_http_resp_start(resp, 200, "text/event-stream");
}

/* Appends "field: value\n" for each line of value. */
static int sse_field(conn *c, const char *field, const char *value)
{
    size_t fl = strlen(field);
    for (;;) {
        size_t n = strcspn(value, "\r\n");
        int rc = corio__http_out(c, field, fl);
        rc = rc ? rc : corio__http_out(c, LIT(": "));
        rc = rc ? rc : corio__http_out(c, value, n);
        rc = rc ? rc : corio__http_out(c, LIT("\n"));
        if (rc < 0)
            return rc;
        value += n;
        if (!*value)
            return 0;
        value += value[0] == '\r' && value[1] == '\n' ? 2 : 1;
    }
}

/* Events go out as chunks (or raw bytes for HTTP/1.0), built in the output
 * buffer after a placeholder for the chunk size. */
static int sse_emit(corio_http_resp *resp, const char *id, const char *event, const char *data,
                    const char *comment)
{
    const char *func = comment ? "corio_http_sse_comment" : "corio_http_sse_send";
    if (!resp)
        corio__misuse(func, "the response is NULL");
    if (!resp->started)
        corio__misuse(func, "called before corio_http_sse_start");
    if (resp->ended)
        return -EINVAL;
    conn *c = resp->c;
    if (c->w->req.head)
        return 0;
    int rc = corio__http_flush(c);
    if (rc < 0)
        return rc;
    static const char hole[] = "00000000\r\n";
    if (resp->chunked && (rc = corio__http_out(c, hole, 10)) < 0)
        return rc;
    size_t body = c->olen;
    if (comment)
        rc = sse_field(c, "", comment);
    if (rc == 0 && id)
        rc = sse_field(c, "id", id);
    if (rc == 0 && event)
        rc = sse_field(c, "event", event);
    if (rc == 0 && data)
        rc = sse_field(c, "data", data);
    rc = rc ? rc : corio__http_out(c, LIT("\n"));
    if (rc == 0 && resp->chunked) {
        char size[9];
        snprintf(size, sizeof size, "%08zx", c->olen - body);
        memcpy(c->out + body - 10, size, 8);
        rc = corio__http_out(c, LIT("\r\n"));
    }
    return rc ? rc : corio__http_flush(c);
}

int corio_http_sse_send(corio_http_resp *resp, const char *id, const char *event, const char *data)
{
    return sse_emit(resp, id, event, data ? data : "", NULL);
}

int corio_http_sse_comment(corio_http_resp *resp, const char *text)
{
    return sse_emit(resp, NULL, NULL, NULL, text ? text : "");
}
