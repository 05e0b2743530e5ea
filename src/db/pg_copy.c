/* COPY FROM STDIN / TO STDOUT in chunks, and LISTEN / NOTIFY. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/misuse.h"
#include "pg_internal.h"

/* Starts a COPY: 0 once the server is in the expected copy state. */
static int copy_start(corio_pg *c, const char *sql, ExecStatusType want, int64_t deadline)
{
    if (!sql)
        return -EINVAL;
    int rc = corio__pg_enter(c);
    if (rc < 0)
        return rc;
    PGresult *res = NULL;
    if (c->copy != PG_COPY_NONE)
        rc = corio__pg_fail(c, -EBUSY, "a COPY is in progress");
    else if (!PQsendQueryParams(c->conn, sql, 0, NULL, NULL, NULL, NULL, 0))
        rc = corio__pg_lost(c);
    else
        rc = corio__pg_finish(c, &res, deadline);
    if (!rc && (!res || PQresultStatus(res) != want)) {
        /* Not the COPY asked for: the statement ran (or started another
         * copy, which drains as a cancellation would). */
        rc = corio__pg_fail(c, -EINVAL, "not a COPY in that direction");
        if (res && PQresultStatus(res) != PGRES_COMMAND_OK &&
            PQresultStatus(res) != PGRES_TUPLES_OK)
            c->broken = true;
    }
    if (!rc)
        c->copy = want == PGRES_COPY_IN ? PG_COPY_IN : PG_COPY_OUT;
    PQclear(res);
    corio__pg_leave(c);
    return rc;
}

static int copy_enter(corio_pg *c, enum pg_copy want)
{
    int rc = corio__pg_enter(c);
    if (rc < 0)
        return rc;
    if (c->copy != want) {
        corio__pg_leave(c);
        return corio__pg_fail(c, -EINVAL, "no COPY in that direction in progress");
    }
    return 0;
}

int corio_pg_copy_in_start(corio_pg *c, const char *sql, int64_t deadline)
{
    return copy_start(c, sql, PGRES_COPY_IN, deadline);
}

int corio_pg_copy_in_write(corio_pg *c, const void *data, size_t len, int64_t deadline)
{
    if (!data && len)
        return -EINVAL;
    if (len > INT32_MAX)
        return -EINVAL;
    int rc = copy_enter(c, PG_COPY_IN);
    if (rc < 0)
        return rc;
    /* libpq's buffer is empty (each write flushes it): 0, no room, means
     * it could not grow. */
    int r = PQputCopyData(c->conn, data, (int)len);
    rc = r == 1 ? corio__pg_flush(c, deadline) : r == 0 ? -ENOMEM : corio__pg_lost(c);
    if (rc == -ECANCELED || rc == -ETIMEDOUT)
        rc = corio__pg_recover(c, rc);
    corio__pg_leave(c);
    return rc;
}

int corio_pg_copy_in_end(corio_pg *c, const char *error, int64_t *rows, int64_t deadline)
{
    int rc = copy_enter(c, PG_COPY_IN);
    if (rc < 0)
        return rc;
    PGresult *res = NULL;
    c->copy = PG_COPY_NONE;
    rc =
        PQputCopyEnd(c->conn, error) == 1 ? corio__pg_finish(c, &res, deadline) : corio__pg_lost(c);
    if (!rc && rows) {
        const char *n = PQcmdTuples(res);
        *rows = *n ? strtoll(n, NULL, 10) : 0;
    }
    PQclear(res);
    corio__pg_leave(c);
    return rc;
}

int corio_pg_copy_out_start(corio_pg *c, const char *sql, int64_t deadline)
{
    return copy_start(c, sql, PGRES_COPY_OUT, deadline);
}

int corio_pg_copy_out_read(corio_pg *c, const char **data, size_t *len, int64_t deadline)
{
    if (!data || !len)
        return -EINVAL;
    int rc = copy_enter(c, PG_COPY_OUT);
    if (rc < 0)
        return rc;
    PQfreemem(c->chunk);
    c->chunk = NULL;
    for (;;) {
        int n = PQgetCopyData(c->conn, &c->chunk, 1);
        if (n > 0) {
            *data = c->chunk;
            *len = (size_t)n;
            rc = 1;
            break;
        }
        if (n == -1) { /* the end: the COPY's own result follows */
            c->copy = PG_COPY_NONE;
            rc = corio__pg_collect(c, NULL, deadline);
            break;
        }
        if (n < -1) {
            rc = corio__pg_lost(c);
            break;
        }
        if ((rc = corio__pg_input(c, deadline)) < 0)
            break;
    }
    if (rc == -ECANCELED || rc == -ETIMEDOUT)
        rc = corio__pg_recover(c, rc);
    corio__pg_leave(c);
    return rc;
}

int corio_pg_listen(corio_pg *c, const char *channel, int64_t deadline)
{
    CORIO__MISUSE_IF(!c, "the connection is NULL");
    if (!channel)
        return -EINVAL;
    char *id = PQescapeIdentifier(c->conn, channel, strlen(channel));
    if (!id)
        return corio__pg_fail(c, -EINVAL, PQerrorMessage(c->conn));
    size_t n = strlen(id) + sizeof "LISTEN ";
    char *sql = malloc(n);
    int rc = -ENOMEM;
    if (sql) {
        memcpy(sql, "LISTEN ", 7);
        memcpy(sql + 7, id, n - 7);
        rc = corio_pg_exec(c, sql, NULL, NULL, deadline);
        free(sql);
    }
    PQfreemem(id);
    return rc;
}

typedef struct pg_notify {
    corio_pg_notify pub;
    PGnotify *native;
} pg_notify;

int corio_pg_notify_get(corio_pg *c, corio_pg_notify **out, int64_t deadline)
{
    if (!out)
        return -EINVAL;
    int rc = corio__pg_enter(c);
    if (rc < 0)
        return rc;
    PGnotify *n;
    /* An idle connection: whatever arrives is a notification (or the
     * server going away). */
    while (!(n = PQnotifies(c->conn)))
        if ((rc = corio__pg_input(c, deadline)) < 0)
            break;
    corio__pg_leave(c);
    if (rc < 0)
        return rc;
    pg_notify *w = malloc(sizeof *w);
    if (!w) {
        PQfreemem(n);
        return -ENOMEM;
    }
    w->pub = (corio_pg_notify){n->relname, n->extra, n->be_pid};
    w->native = n;
    *out = &w->pub;
    return 0;
}

void corio_pg_notify_free(corio_pg_notify *n)
{
    if (!n)
        return;
    pg_notify *w = (pg_notify *)n;
    PQfreemem(w->native);
    free(w);
}
