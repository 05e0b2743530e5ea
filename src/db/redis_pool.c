/* The connection pool: corio_respool with Redis connections as resources. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <corio/cancel.h>
#include <corio/respool.h>
#include <corio/time.h>

#include "../base/misuse.h"
#include "redis_int.h"

#define CHECK_AFTER_MS 5000

struct corio_redis_pool {
    corio_respool *rp;
    char *url;
    corio_redis_opts opts;
};

static int pool_open(void *ctx, void **res, int64_t deadline)
{
    corio_redis_pool *p = ctx;
    return corio_redis_connect(p->url, &p->opts, (corio_redis **)res, deadline);
}

static void pool_close(void *ctx, void *res)
{
    (void)ctx;
    corio_redis_close(res);
}

static const corio_respool_ops ops = {pool_open, pool_close};

int corio_redis_pool_new(const char *url, const corio_redis_opts *opts, size_t max,
                         corio_redis_pool **out)
{
    CORIO__MISUSE_IF(!out, "out is NULL");
    *out = NULL;
    if (!url || max == 0)
        return -EINVAL;
    corio_redis_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->url = strdup(url))) {
        free(p);
        return -ENOMEM;
    }
    if (opts)
        p->opts = *opts;
    p->opts.ca_file = NULL; /* not kept: see corio_redis_opts */
    if (opts && opts->ca_file)
        p->opts.ca_file = strdup(opts->ca_file);
    int rc = corio_respool_new(&ops, p, max, &p->rp);
    if (rc == 0 && p->opts.idle_timeout_ms > 0)
        rc = corio_respool_set_idle_timeout(p->rp, p->opts.idle_timeout_ms);
    if (rc < 0) {
        corio_respool_free(p->rp);
        free((char *)p->opts.ca_file);
        free(p->url);
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int corio_redis_pool_free(corio_redis_pool *p)
{
    if (!p)
        return 0;
    int rc = corio_respool_free(p->rp);
    if (rc < 0)
        return rc;
    free((char *)p->opts.ca_file);
    free(p->url);
    free(p);
    return 0;
}

/* An idle connection is trusted for a while; past that a PING proves it. */
static bool healthy(corio_redis_pool *p, corio_redis *c, int64_t deadline)
{
    int64_t after = p->opts.check_after_ms ? p->opts.check_after_ms : CHECK_AFTER_MS;
    if (c->broken)
        return false;
    if (after < 0 || corio_now() - c->last_used < after)
        return true;
    return corio_redis_ok(c, deadline, "PING") == 0;
}

int corio_redis_pool_acquire(corio_redis_pool *p, corio_redis **out, int64_t deadline)
{
    CORIO__MISUSE_IF(!p || !out, "the pool or out is NULL");
    void *res;
    *out = NULL;
    int rc = corio_respool_acquire(p->rp, &res, deadline);
    if (rc < 0)
        return rc;
    while (rc == 0 && !healthy(p, res, deadline)) {
        int err = corio_checkpoint();
        if (err == 0)
            err = corio__redis_deadline_check(deadline);
        if (err < 0) { /* the PING gave up on the caller's account: not the connection's fault */
            corio_respool_release(p->rp, res, ((corio_redis *)res)->dirty);
            return err;
        }
        rc = corio_respool_reopen(p->rp, &res, deadline);
        if (rc < 0)
            return rc;
        rc = 1;
    }
    ((corio_redis *)res)->dirty = false;
    *out = res;
    return 0;
}

int corio_redis_pool_release(corio_redis_pool *p, corio_redis *c)
{
    CORIO__MISUSE_IF(!p || !c, "the pool or the connection is NULL");
    return corio_respool_release(p->rp, c, c->broken || c->dirty);
}

size_t corio_redis_pool_idle(const corio_redis_pool *p)
{
    CORIO__MISUSE_IF(!p, "the pool is NULL");
    return corio_respool_idle(p->rp);
}

size_t corio_redis_pool_in_use(const corio_redis_pool *p)
{
    CORIO__MISUSE_IF(!p, "the pool is NULL");
    return corio_respool_in_use(p->rp);
}
