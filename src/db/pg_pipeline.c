/* Pipeline mode: a batch of statements sent at once, their results read in
 * order; the first error makes the server skip the rest up to the sync. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pg_internal.h"

enum { NO_STMT = 0xffffffffu };

static pg_stmt *by_id(corio_pg *c, unsigned id)
{
    for (size_t i = 0; i < c->nstmts; i++)
        if (c->stmts[i].id == id)
            return &c->stmts[i];
    return NULL;
}

/* Queues statement i: prepared through the cache (a new entry is prepared in
 * the pipeline itself and *fresh gets its id), or unnamed once the cache is
 * full, as evicting would take a round trip of its own. */
static int send_one(corio_pg *c, const corio_pg_stmt *st, unsigned *fresh)
{
    static const corio_pg_params none = {0, NULL, NULL, NULL};
    const corio_pg_params *p = st->params ? st->params : &none;
    *fresh = NO_STMT;
    pg_stmt *s = corio__pg_stmt_find(c, st->sql);
    if (!s && c->nstmts < PG_CACHE_MAX) {
        int rc;
        if (!(s = corio__pg_stmt_add(c, st->sql, &rc, -1)))
            return rc;
        *fresh = s->id;
        if (!PQsendPrepare(c->conn, s->name, st->sql, 0, NULL))
            return corio__pg_lost(c);
    }
    if (!s)
        return PQsendQueryParams(c->conn, st->sql, p->n, NULL, p->values, p->lengths, p->formats, 0)
                   ? 0
                   : corio__pg_lost(c);
    return PQsendQueryPrepared(c->conn, s->name, p->n, p->values, p->lengths, p->formats, 0)
               ? 0
               : corio__pg_lost(c);
}

/* One command's results up to the NULL after them: its last result in *out
 * (NULL if it failed or was skipped), -CORIO_ESERVER if it failed. */
static int read_one(corio_pg *c, PGresult **out, int64_t deadline)
{
    *out = NULL;
    int err = 0;
    for (;;) {
        PGresult *r;
        int rc = corio__pg_next(c, &r, deadline);
        if (rc < 0) {
            PQclear(*out);
            *out = NULL;
            return rc;
        }
        if (!r)
            return err;
        ExecStatusType st = PQresultStatus(r);
        if (corio__pg_failed(st)) {
            err = corio__pg_result_error(c, r);
            if (err == -EPIPE)
                return err;
        } else if (st == PGRES_PIPELINE_ABORTED) {
            PQclear(r);
            err = err ? err : 1;
        } else {
            PQclear(*out);
            *out = r;
        }
    }
}

/* Reads the whole batch. The first failure's index goes to *bad. */
static int read_all(corio_pg *c, const unsigned *fresh, size_t n, PGresult **res, size_t *bad,
                    int64_t deadline)
{
    int first = 0;
    for (size_t i = 0; i < n; i++) {
        PGresult *r;
        int rc;
        if (fresh[i] != NO_STMT) {
            rc = read_one(c, &r, deadline);
            PQclear(r);
            if (rc < 0 && rc != -CORIO_ESERVER)
                return rc;
            pg_stmt *s = by_id(c, fresh[i]);
            if (rc == 0 && s)
                s->confirmed = true;
            else if (s)
                corio__pg_stmt_drop(c, s);
            if (rc && !first) {
                first = rc;
                *bad = i;
            }
        }
        rc = read_one(c, &res[i], deadline);
        if (rc < 0 && rc != -CORIO_ESERVER)
            return rc;
        if (rc && !first) {
            first = rc;
            *bad = i;
        }
    }
    PGresult *sync;
    int rc = corio__pg_next(c, &sync, deadline);
    if (rc < 0)
        return rc;
    bool ok = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!ok || PQexitPipelineMode(c->conn) != 1)
        return corio__pg_lost(c);
    return first < 0 ? first : 0;
}

static int run_batch(corio_pg *c, const corio_pg_stmt *stmts, size_t n, PGresult **res,
                     unsigned *fresh, size_t *bad, int64_t deadline)
{
    if (!PQenterPipelineMode(c->conn))
        return corio__pg_lost(c);
    for (size_t i = 0; i < n; i++) {
        int rc = send_one(c, &stmts[i], &fresh[i]);
        if (rc < 0) {
            /* Nothing went out unless libpq's buffer overflowed: a broken
             * batch is not worth saving. */
            c->broken = true;
            return rc;
        }
    }
    if (!PQpipelineSync(c->conn))
        return corio__pg_lost(c);
    int rc = corio__pg_flush(c, deadline);
    if (!rc) {
        corio__pg_sent(c);
        rc = read_all(c, fresh, n, res, bad, deadline);
    }
    if (rc == -ECANCELED || rc == -ETIMEDOUT)
        return corio__pg_recover(c, rc);
    return rc;
}

int corio_pg_pipeline(corio_pg *c, const corio_pg_stmt *stmts, size_t n, corio_pg_result **results,
                      size_t *failed, int64_t deadline)
{
    if (!stmts || n == 0)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!stmts[i].sql || (stmts[i].params && stmts[i].params->n < 0))
            return -EINVAL;
    if (results)
        memset(results, 0, n * sizeof *results);
    int rc = corio__pg_enter(c);
    if (rc < 0)
        return rc;
    PGresult **res = calloc(n, sizeof *res);
    unsigned *fresh = malloc(n * sizeof *fresh);
    size_t bad = n;
    if (!res || !fresh)
        rc = -ENOMEM;
    else if (c->copy != PG_COPY_NONE)
        rc = corio__pg_fail(c, -EBUSY, "a COPY is in progress");
    else {
        for (size_t i = 0; i < n; i++)
            fresh[i] = NO_STMT;
        rc = run_batch(c, stmts, n, res, fresh, &bad, deadline);
        /* New statements whose preparation was not confirmed (the batch was
         * cut short) are forgotten: their names are never used again. */
        for (size_t i = 0; i < n; i++) {
            pg_stmt *s = fresh[i] == NO_STMT ? NULL : by_id(c, fresh[i]);
            if (s && !s->confirmed)
                corio__pg_stmt_drop(c, s);
        }
    }
    corio__pg_leave(c);
    for (size_t i = 0; res && i < n; i++) {
        if (rc == 0 || rc == -CORIO_ESERVER) {
            if (results && res[i] && corio__pg_wrap(res[i], &results[i]) < 0)
                rc = -ENOMEM;
            else if (!results)
                PQclear(res[i]);
        } else {
            PQclear(res[i]);
        }
    }
    if (rc == -CORIO_ESERVER && failed)
        *failed = bad;
    if (rc < 0 && rc != -CORIO_ESERVER && results) {
        for (size_t i = 0; i < n; i++) {
            corio_pg_result_free(results[i]);
            results[i] = NULL;
        }
    }
    free(res);
    free(fresh);
    return rc;
}
