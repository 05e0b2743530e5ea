/* The server's application object: routes, hooks, limits, state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <corio/common.h>

#include "../base/misuse.h"
#include "http.h"

static const corio_http_limits defaults = {
    .max_request_line = 8192,
    .max_header_bytes = 16384,
    .max_headers = 100,
    .max_body = 1 << 20,
    .header_timeout_ms = 10000,
    .body_timeout_ms = 30000,
    .idle_timeout_ms = 60000,
    .max_connections = 10000,
    .max_keepalive = 0,
    .write_timeout_ms = 30000,
    .body_total_timeout_ms = 10000,
    .body_min_rate = 1024,
};

int corio_http_app_new(corio_http_app **out)
{
    if (!out)
        return -EINVAL;
    corio_http_app *app = calloc(1, sizeof *app);
    char *name = malloc(32);
    if (!app || !name) {
        free(app);
        free(name);
        return -ENOMEM;
    }
    snprintf(name, 32, "corio/%s", corio_version());
    app->server_name = name;
    app->routes_tail = &app->routes;
    app->startup_tail = &app->startup;
    app->shutdown_tail = &app->shutdown;
    app->limits = defaults;
    pthread_mutex_init(&app->mu, NULL);
    corio__list_init(&app->servers);
    *out = app;
    return 0;
}

static void free_hooks(hook *h)
{
    while (h) {
        hook *next = h->next;
        free(h);
        h = next;
    }
}

void corio_http_app_free(corio_http_app *app)
{
    if (!app)
        return;
    for (route *r = app->routes, *next; r; r = next) {
        next = r->next;
        for (size_t i = 0; i < r->nsegs; i++)
            free(r->segs[i]);
        free(r->segs);
        free(r->method);
        free(r);
    }
    free_hooks(app->startup);
    free_hooks(app->shutdown);
    free(app->server_name);
    pthread_mutex_destroy(&app->mu);
    free(app);
}

static bool is_param(const char *seg, size_t len)
{
    return len >= 3 && seg[0] == '{' && seg[len - 1] == '}';
}

/* Splits pattern into segments ("/a/{b}/" -> "a", "{b}", ""). */
static int split(route *r, const char *pattern)
{
    size_t n = 0;
    for (const char *p = pattern; *p; p++)
        n += *p == '/';
    r->segs = calloc(n, sizeof *r->segs);
    if (!r->segs)
        return -ENOMEM;
    const char *p = pattern + 1;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if ((memchr(p, '{', len) || memchr(p, '}', len)) && !is_param(p, len))
            return -EINVAL;
        char *seg = strndup(p, len);
        if (!seg)
            return -ENOMEM;
        r->segs[r->nsegs++] = seg;
        if (len >= 6 && is_param(p, len) && memcmp(p + len - 4, "...}", 4) == 0) {
            if (end)
                return -EINVAL; /* {rest...} only at the end */
            r->rest = true;
        }
        if (!end)
            return 0;
        p = end + 1;
    }
}

int corio_http_route(corio_http_app *app, const char *method, const char *pattern,
                     corio_http_handler *handler, void *arg)
{
    CORIO__MISUSE_IF(!app, "the app is NULL");
    if (!method || !*method || !pattern || pattern[0] != '/' || !handler)
        return -EINVAL;
    for (const char *m = method; *m; m++)
        if (*m != '*' && (*m < 'A' || *m > 'Z'))
            return -EINVAL;
    route *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    r->handler = handler;
    r->arg = arg;
    r->method = strdup(method);
    int rc = r->method ? split(r, pattern) : -ENOMEM;
    size_t params = 0;
    for (size_t i = 0; rc == 0 && i < r->nsegs; i++)
        params += r->segs[i][0] == '{';
    if (rc == 0 && params > HTTP_MAX_PARAMS)
        rc = -EINVAL;
    if (rc < 0) {
        for (size_t i = 0; i < r->nsegs; i++)
            free(r->segs[i]);
        free(r->segs);
        free(r->method);
        free(r);
        return rc;
    }
    *app->routes_tail = r;
    app->routes_tail = &r->next;
    return 0;
}

/* Matches the raw path against r's segments, collecting parameters. */
static bool match(const route *r, const char *path, size_t len, route_match *m)
{
    if (len == 0 || path[0] != '/')
        return false;
    const char *p = path + 1, *end = path + len;
    m->nparams = 0;
    for (size_t i = 0; i < r->nsegs; i++) {
        const char *seg = r->segs[i];
        size_t slen = strlen(seg);
        const char *slash = memchr(p, '/', (size_t)(end - p));
        bool last = i + 1 == r->nsegs;
        const char *stop = slash && !(last && r->rest) ? slash : end;
        size_t n = (size_t)(stop - p);
        if (seg[0] == '{') {
            if (n == 0)
                return false;
            m->names[m->nparams] = seg;
            m->name_lens[m->nparams] = slen;
            m->values[m->nparams] = p;
            m->value_lens[m->nparams] = n;
            m->nparams++;
        } else if (n != slen || memcmp(p, seg, n) != 0) {
            return false;
        }
        if (last)
            return stop == end;
        if (!slash)
            return false;
        p = slash + 1;
    }
    return false;
}

static bool method_is(const route *r, const char *method)
{
    if (r->method[0] == '*' || strcmp(r->method, method) == 0)
        return true;
    return strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0;
}

static void allow_add(char *allow, size_t cap, const char *method)
{
    size_t used = strlen(allow);
    const char *p = allow;
    size_t mlen = strlen(method);
    while ((p = strstr(p, method))) { /* already listed? */
        if ((p == allow || p[-1] == ' ') && (p[mlen] == ',' || p[mlen] == '\0'))
            return;
        p += mlen;
    }
    snprintf(allow + used, cap - used, "%s%s", used ? ", " : "", method);
}

int corio__http_route_find(const corio_http_app *app, const char *method, const char *path,
                           size_t path_len, route_match *m, char *allow, size_t cap)
{
    bool other = false;
    if (cap)
        allow[0] = '\0';
    for (const route *r = app->routes; r; r = r->next) {
        if (!match(r, path, path_len, m))
            continue;
        if (method_is(r, method)) {
            m->r = r;
            return 0;
        }
        other = true;
        if (cap) {
            allow_add(allow, cap, r->method);
            if (strcmp(r->method, "GET") == 0)
                allow_add(allow, cap, "HEAD");
        }
    }
    return other ? -EPERM : -ENOENT;
}

void corio_http_app_set_state(corio_http_app *app, void *state)
{
    app->state = state;
}

void *corio_http_app_state(const corio_http_app *app)
{
    return app->state;
}

static int add_hook(hook ***tail, corio_http_hook *fn, void *arg)
{
    if (!fn)
        return -EINVAL;
    hook *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    h->fn = fn;
    h->arg = arg;
    **tail = h;
    *tail = &h->next;
    return 0;
}

int corio_http_on_startup(corio_http_app *app, corio_http_hook *fn, void *arg)
{
    CORIO__MISUSE_IF(!app, "the app is NULL");
    return add_hook(&app->startup_tail, fn, arg);
}

int corio_http_on_shutdown(corio_http_app *app, corio_http_hook *fn, void *arg)
{
    CORIO__MISUSE_IF(!app, "the app is NULL");
    return add_hook(&app->shutdown_tail, fn, arg);
}

void corio_http_app_set_limits(corio_http_app *app, const corio_http_limits *l)
{
    corio_http_limits v = *l;
#define DEFAULT(f)                                                                                 \
    if (!v.f)                                                                                      \
        v.f = defaults.f;
    DEFAULT(max_request_line)
    DEFAULT(max_header_bytes)
    DEFAULT(max_headers)
    DEFAULT(max_body)
    DEFAULT(header_timeout_ms)
    DEFAULT(body_timeout_ms)
    DEFAULT(idle_timeout_ms)
    DEFAULT(max_connections)
    DEFAULT(write_timeout_ms)
    DEFAULT(body_total_timeout_ms)
    DEFAULT(body_min_rate)
#undef DEFAULT
    app->limits = v;
}

void corio_http_app_limits(const corio_http_app *app, corio_http_limits *out)
{
    *out = app->limits;
}

void corio_http_app_set_server_name(corio_http_app *app, const char *name)
{
    char *copy = name ? strdup(name) : NULL;
    if (name && !copy)
        return;
    free(app->server_name);
    app->server_name = copy;
}

const char *corio_http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 418:
        return "I'm a teapot";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

const char *corio__http_date_line(size_t *len)
{
    static _Thread_local time_t last;
    static _Thread_local char line[64];
    static _Thread_local size_t n;
    time_t now = time(NULL);
    if (now != last) {
        struct tm tm;
        gmtime_r(&now, &tm);
        n = strftime(line, sizeof line, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        last = now;
    }
    *len = n;
    return line;
}
