/* The server's pool of connection buffers (http.h's buf_pool): a free list
 * per kind, through the buffers' first bytes.
 *
 * Under ASan there is no pool: every buffer is malloc'd and freed, so a use
 * after free is reported as one and a buffer reused by another connection
 * hides nothing. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../base/sanitizer.h" /* CORIO__ASAN */
#include "wire.h"

/* Per kind: 32 input buffers are 512 KiB, what 16 busy connections of a
 * benchmark cycle through with room to spare; a server of thousands of
 * idle connections keeps no more than this. */
#define POOL_MAX 32u
#if defined(CORIO__ASAN)
#define POOL_ON 0
#else
#define POOL_ON 1
#endif

static const size_t kind_size[POOL_KINDS] = {IN_CAP, OUT_CAP, sizeof(conn_work), sizeof(conn)};

/* A pooled block of kind, or NULL. */
static void *take(server *srv, int kind)
{
    buf_pool *p = srv ? &srv->pool : NULL;
    pooled *e = p ? p->head[kind] : NULL;
    if (e) {
        p->head[kind] = e->next;
        p->n[kind]--;
    }
    return e;
}

/* Whether the pool took buf. */
static bool give(server *srv, int kind, void *buf)
{
    buf_pool *p = srv ? &srv->pool : NULL;
    if (!POOL_ON || !p || p->n[kind] >= POOL_MAX)
        return false;
    pooled *e = buf;
    e->next = p->head[kind];
    p->head[kind] = e;
    p->n[kind]++;
    return true;
}

void *corio__http_pool_take(server *srv, int kind)
{
    void *b = take(srv, kind);
    return b ? b : malloc(kind_size[kind]);
}

void corio__http_pool_give(server *srv, int kind, void *buf)
{
    if (buf && !give(srv, kind, buf))
        free(buf);
}

conn *corio__http_conn_new(server *srv)
{
    conn *c = take(srv, POOL_CONN);
    if (!c)
        return calloc(1, sizeof *c);
    memset(c, 0, sizeof *c);
    return c;
}

int corio__http_work_new(conn *c)
{
    conn_work *w = take(c->srv, POOL_WORK);
    if (w) { /* it kept its header array */
        http_hdrs h = {.v = w->req.hdrs.v, .cap = w->req.hdrs.cap};
        *w = (conn_work){.req = {.hdrs = h}};
    } else if (!(w = calloc(1, sizeof *w))) {
        return -ENOMEM;
    }
    w->req.c = c;
    w->resp.c = c;
    c->w = w;
    return 0;
}

void corio__http_work_free(conn *c)
{
    if (!give(c->srv, POOL_WORK, c->w)) {
        free(c->w->req.hdrs.v);
        free(c->w);
    }
    c->w = NULL;
}

void corio__http_bufs_drop(conn *c)
{
    if (c->cap == IN_CAP)
        corio__http_pool_give(c->srv, POOL_IN, c->in);
    else
        free(c->in);
    c->in = NULL;
    c->cap = c->start = c->end = 0;
    if (c->ocap == OUT_CAP)
        corio__http_pool_give(c->srv, POOL_OUT, c->out);
    else
        free(c->out);
    c->out = NULL;
    c->ocap = c->olen = 0;
}

void corio__http_pool_empty(buf_pool *p)
{
    for (int k = 0; k < POOL_KINDS; k++) {
        while (p->head[k]) {
            pooled *e = p->head[k];
            p->head[k] = e->next;
            if (k == POOL_WORK)
                free(((conn_work *)(void *)e)->req.hdrs.v);
            free(e);
        }
        p->n[k] = 0;
    }
}
