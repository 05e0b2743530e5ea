/* Queries: one-shot, prepared through the per-connection statement cache
 * (asyncpg's: prepare once, execute by name), and transactions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/cancel.h>
#include <corio/time.h>

#include "pg_internal.h"

/* FNV-1a: the cache compares hashes before texts. */
static uint64_t hash_sql(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

pg_stmt *corio__pg_stmt_find(corio_pg *c, const char *sql)
{
    /* A connection mostly runs one statement again and again. */
    if (c->hot < c->nstmts && !strcmp(c->stmts[c->hot].sql, sql)) {
        c->stmts[c->hot].used = ++c->clock;
        return &c->stmts[c->hot];
    }
    uint64_t h = hash_sql(sql);
    for (size_t i = 0; i < c->nstmts; i++) {
        pg_stmt *s = &c->stmts[i];
        if (s->hash == h && !strcmp(s->sql, sql)) {
            s->used = ++c->clock;
            c->hot = i;
            return s;
        }
    }
    return NULL;
}

void corio__pg_stmt_drop(corio_pg *c, pg_stmt *s)
{
    free(s->sql);
    *s = c->stmts[--c->nstmts];
}

void corio__pg_stmts_free(corio_pg *c)
{
    while (c->nstmts)
        corio__pg_stmt_drop(c, &c->stmts[c->nstmts - 1]);
    free(c->stmts);
}

/* Frees the least recently used entry's slot, deallocating it on the server. */
static int evict(corio_pg *c, int64_t deadline)
{
    pg_stmt *old = &c->stmts[0];
    for (size_t i = 1; i < c->nstmts; i++)
        if (c->stmts[i].used < old->used)
            old = &c->stmts[i];
    if (old->confirmed) {
        char sql[40];
        snprintf(sql, sizeof sql, "DEALLOCATE corio_%u", old->id);
        if (!PQsendQuery(c->conn, sql))
            return corio__pg_lost(c);
        int rc = corio__pg_finish(c, NULL, deadline);
        if (rc < 0)
            return rc;
    }
    corio__pg_stmt_drop(c, old);
    return 0;
}

pg_stmt *corio__pg_stmt_add(corio_pg *c, const char *sql, int *rc, int64_t deadline)
{
    *rc = 0;
    if (!c->stmts && !(c->stmts = malloc(PG_CACHE_MAX * sizeof *c->stmts))) {
        *rc = -ENOMEM;
        return NULL;
    }
    if (c->nstmts == PG_CACHE_MAX && (*rc = evict(c, deadline)) < 0)
        return NULL;
    char *copy = strdup(sql);
    if (!copy) {
        *rc = -ENOMEM;
        return NULL;
    }
    pg_stmt *s = &c->stmts[c->nstmts++];
    *s = (pg_stmt){copy, hash_sql(sql), ++c->clock, c->next_id++, false, ""};
    snprintf(s->name, sizeof s->name, "corio_%u", s->id);
    return s;
}

static int check_params(const corio_pg_params *p)
{
    return p && (p->n < 0 || (p->n > 0 && !p->values)) ? -EINVAL : 0;
}

static int deliver(PGresult *res, corio_pg_result **out)
{
    if (!out) {
        PQclear(res);
        return 0;
    }
    return corio__pg_wrap(res, out);
}

/* Prepares sql on c (one round trip) and caches it. */
static int prepare(corio_pg *c, const char *sql, pg_stmt **out, int64_t deadline)
{
    int rc;
    pg_stmt *s = corio__pg_stmt_add(c, sql, &rc, deadline);
    if (!s)
        return rc;
    if (!PQsendPrepare(c->conn, s->name, sql, 0, NULL)) {
        corio__pg_stmt_drop(c, s);
        return corio__pg_lost(c);
    }
    rc = corio__pg_finish(c, NULL, deadline);
    if (rc < 0) {
        corio__pg_stmt_drop(c, s);
        return rc;
    }
    s->confirmed = true;
    *out = s;
    return 0;
}

static int run(corio_pg *c, const char *sql, const corio_pg_params *params, bool cached,
               corio_pg_result **out, int64_t deadline)
{
    if (out)
        *out = NULL;
    if (!sql || check_params(params) < 0)
        return -EINVAL;
    int rc = corio__pg_enter(c);
    if (rc < 0)
        return rc;
    if (c->copy != PG_COPY_NONE) {
        corio__pg_leave(c);
        return corio__pg_fail(c, -EBUSY, "a COPY is in progress");
    }
    corio_pg_params none = {0, NULL, NULL, NULL};
    const corio_pg_params *p = params ? params : &none;
    int sent;
    if (cached) {
        pg_stmt *s = corio__pg_stmt_find(c, sql);
        if (!s && (rc = prepare(c, sql, &s, deadline)) < 0) {
            corio__pg_leave(c);
            return rc;
        }
        sent = PQsendQueryPrepared(c->conn, s->name, p->n, p->values, p->lengths, p->formats, 0);
    } else if (params) {
        sent = PQsendQueryParams(c->conn, sql, p->n, NULL, p->values, p->lengths, p->formats, 0);
    } else {
        sent = PQsendQuery(c->conn, sql);
    }
    PGresult *res = NULL;
    rc = sent ? corio__pg_finish(c, &res, deadline) : corio__pg_lost(c);
    corio__pg_leave(c);
    if (rc < 0)
        return rc;
    return deliver(res, out);
}

int corio_pg_query(corio_pg *c, const char *sql, const corio_pg_params *params,
                   corio_pg_result **out, int64_t deadline)
{
    return run(c, sql, params, true, out, deadline);
}

int corio_pg_exec(corio_pg *c, const char *sql, const corio_pg_params *params,
                  corio_pg_result **out, int64_t deadline)
{
    return run(c, sql, params, false, out, deadline);
}

int corio_pg_begin(corio_pg *c, int64_t deadline)
{
    return run(c, "BEGIN", NULL, false, NULL, deadline);
}

int corio_pg_commit(corio_pg *c, int64_t deadline)
{
    return run(c, "COMMIT", NULL, false, NULL, deadline);
}

int corio_pg_rollback(corio_pg *c, int64_t deadline)
{
    corio_scope s;
    if (deadline < 0)
        deadline = corio_now() + PG_CLEANUP_MS;
    int rc = corio_scope_enter(&s, deadline, CORIO_SCOPE_SHIELD);
    if (rc < 0)
        return rc;
    rc = run(c, "ROLLBACK", NULL, false, NULL, -1);
    corio_scope_exit(&s);
    return rc;
}

bool corio_pg_in_transaction(const corio_pg *c)
{
    PGTransactionStatusType t = c ? PQtransactionStatus(c->conn) : PQTRANS_UNKNOWN;
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}
