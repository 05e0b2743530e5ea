/* The connection pool: corio_respool underneath, with what a database adds
 * (a check of long-idle connections, rollback or discard on release, a
 * close that waits for the connections out). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <corio/respool.h>
#include <corio/sync.h>
#include <corio/time.h>

#include "../base/misuse.h"
#include "../io/fd.h"
#include "pg_internal.h"

struct corio_pg_pool {
    char *conninfo;
    corio_respool *rp;
    corio_pg_pool_opts opts;
    size_t out; /* acquired */
    bool closing;
    corio_event *all_in; /* set while none is acquired */
};

static int pool_open(void *ctx, void **res, int64_t deadline)
{
    corio_pg_pool *p = ctx;
    return corio_pg_connect(p->conninfo, (corio_pg **)res, deadline);
}

static void pool_close(void *ctx, void *res)
{
    (void)ctx;
    corio_pg_close(res);
}

static const corio_respool_ops pool_ops = {pool_open, pool_close};

int corio_pg_pool_new(const char *conninfo, const corio_pg_pool_opts *opts, corio_pg_pool **out)
{
    CORIO__MISUSE_IF(!conninfo || !out, "conninfo or out is NULL");
    corio_pg_pool_opts o = opts ? *opts : (corio_pg_pool_opts){0, 0, 0};
    if (o.idle_timeout_ms < 0 || o.check_idle_ms < -1)
        return -EINVAL;
    PQconninfoOption *parsed = PQconninfoParse(conninfo, NULL);
    if (!parsed)
        return -EINVAL; /* or out of memory: either way no pool */
    PQconninfoFree(parsed);
    o.max = o.max ? o.max : 10;
    o.check_idle_ms = o.check_idle_ms ? o.check_idle_ms : 30000;
    corio_pg_pool *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->opts = o;
    int rc = -ENOMEM;
    if (!(p->conninfo = strdup(conninfo)) || (rc = corio_event_new(&p->all_in)) < 0 ||
        (rc = corio_respool_new(&pool_ops, p, o.max, &p->rp)) < 0 ||
        (rc = corio_respool_set_idle_timeout(p->rp, o.idle_timeout_ms)) < 0) {
        corio_respool_free(p->rp);
        corio_event_free(p->all_in);
        free(p->conninfo);
        free(p);
        return rc;
    }
    corio_event_set(p->all_in);
    *out = p;
    return 0;
}

/* Whether an idle connection still works: a server that went away (a
 * restart) closed it, which the poller saw while it idled; on a TLS
 * connection, whose edges are not followed, a read finds out. One idle for
 * long makes a round trip. */
static bool alive(corio_pg_pool *p, corio_pg *c, int64_t deadline)
{
    if (!corio_pg_ok(c))
        return false;
    if (c->et ? corio__fd_hup(c->fd)
              : !PQconsumeInput(c->conn) || PQstatus(c->conn) != CONNECTION_OK)
        return false;
    if (p->opts.check_idle_ms < 0 || corio_now() - c->idle_since < p->opts.check_idle_ms)
        return true;
    return corio_pg_exec(c, "", NULL, NULL, deadline) == 0;
}

int corio_pg_pool_acquire(corio_pg_pool *p, corio_pg **out, int64_t deadline)
{
    CORIO__MISUSE_IF(!p, "the pool is NULL");
    if (!out)
        return -EINVAL;
    if (p->closing)
        return -EPIPE;
    void *res;
    int rc = corio_respool_acquire(p->rp, &res, deadline);
    if (rc < 0)
        return rc;
    if (rc == 0 && !alive(p, res, deadline) &&
        (rc = corio_respool_reopen(p->rp, &res, deadline)) < 0)
        return rc;
    if (p->closing) { /* handed over by a release after close began */
        corio_respool_release(p->rp, res, false);
        return -EPIPE;
    }
    p->out++;
    corio_event_clear(p->all_in);
    *out = res;
    return 0;
}

int corio_pg_pool_release(corio_pg_pool *p, corio_pg *c, int64_t deadline)
{
    CORIO__MISUSE_IF(!p || !c, "the pool or the connection is NULL");
    int rc = 0;
    bool broken = !corio_pg_ok(c) || c->busy || c->copy != PG_COPY_NONE ||
                  PQtransactionStatus(c->conn) == PQTRANS_ACTIVE;
    if (!broken && corio_pg_in_transaction(c)) {
        rc = corio_pg_rollback(c, deadline);
        broken = rc < 0;
    }
    c->idle_since = corio_now();
    corio_respool_release(p->rp, c, broken);
    if (--p->out == 0)
        corio_event_set(p->all_in);
    return rc;
}

int corio_pg_pool_close(corio_pg_pool *p, int64_t deadline)
{
    if (!p)
        return 0;
    p->closing = true;
    int rc = corio_event_wait(p->all_in, deadline);
    if (rc < 0)
        return rc;
    rc = corio_respool_free(p->rp);
    if (rc < 0)
        return rc; /* -EBUSY: a task queued in acquire is being handed one */
    corio_event_free(p->all_in);
    free(p->conninfo);
    free(p);
    return 0;
}
