/* Reading a parsed request: method, target, path, query, parameters,
 * headers. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <corio/url.h>

#include "../io/fd.h"
#include "conn.h"

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
    conn *c = r->c;
    if (!c->peer[0]) /* looked up on demand: most handlers never ask */
        corio__fd_peer_name(corio_stream_fd(c->s), c->peer, sizeof c->peer);
    return c->peer;
}

corio_fd *corio_http_req_fd(const corio_http_req *r)
{
    return corio_stream_fd(r->c->s);
}
