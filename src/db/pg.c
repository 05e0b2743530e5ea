/* PostgreSQL connections: the request cycle (send, flush, read until libpq
 * has a whole result) on corio's fd waits, and what a cancelled wait does
 * to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include <corio/cancel.h>
#include <corio/pool.h>
#include <corio/task.h>
#include <corio/time.h>

#include "../base/misuse.h"
#include "../base/log.h"
#include "../io/fd.h"
#include "pg_internal.h"

void corio_pg_close(corio_pg *c)
{
    if (!c)
        return;
    /* Nonblocking: the Terminate message goes out if there is room. */
    PQfinish(c->conn);
    if (c->fd)
        corio_fd_close(c->fd);
    PQclear(c->err);
    PQfreemem(c->chunk);
    corio__pg_stmts_free(c);
    free(c);
}

bool corio_pg_ok(const corio_pg *c)
{
    return c && !c->broken && PQstatus(c->conn) == CONNECTION_OK;
}

const char *corio_pg_sqlstate(const corio_pg *c)
{
    const char *s = c && c->err ? PQresultErrorField(c->err, PG_DIAG_SQLSTATE) : NULL;
    return s ? s : "";
}

const char *corio_pg_error(const corio_pg *c)
{
    if (!c)
        return "";
    return c->err ? PQresultErrorMessage(c->err) : c->local;
}

void *corio_pg_native(corio_pg *c)
{
    return c ? c->conn : NULL;
}

int corio__pg_enter(corio_pg *c)
{
    if (!c) /* every call on a connection comes through here */
        corio__misuse("corio_pg", "the connection is NULL");
    if (c->busy)
        return -EBUSY;
    PQclear(c->err);
    c->err = NULL;
    c->local[0] = '\0';
    if (!corio_pg_ok(c))
        return corio__pg_fail(c, -EPIPE, "connection broken");
    c->busy = true;
    return 0;
}

int corio__pg_fail(corio_pg *c, int rc, const char *msg)
{
    snprintf(c->local, sizeof c->local, "%.*s", (int)strcspn(msg, "\n"), msg);
    return rc;
}

int corio__pg_lost(corio_pg *c)
{
    c->broken = true;
    return corio__pg_fail(c, -EPIPE, PQerrorMessage(c->conn));
}

int corio__pg_flush(corio_pg *c, int64_t deadline)
{
    for (;;) {
        int r = PQflush(c->conn);
        if (r == 0)
            return 0;
        if (r < 0)
            return corio__pg_lost(c);
        /* Rare (a send bigger than the socket's buffer): a plain
         * level-triggered wait for either direction, as libpq asks. */
        int rc = corio_wait_fd(PQsocket(c->conn), CORIO_READ | CORIO_WRITE, deadline);
        if (rc < 0)
            return rc;
        if (!PQconsumeInput(c->conn))
            return corio__pg_lost(c);
    }
}

void corio__pg_sent(corio_pg *c)
{
    /* Whatever the socket showed before is read or stale; the answer to
     * what just went out comes after, as an edge of its own. */
    if (c->et)
        corio__fd_note_eagain(c->fd, CORIO_READ);
}

/* Whether TLS holds decrypted data libpq has not taken yet (its buffer was
 * full): the socket would not say so, as libpq's own waits know. */
static bool tls_pending(corio_pg *c)
{
    SSL *ssl = PQsslStruct(c->conn, "OpenSSL");
    return ssl && SSL_pending(ssl) > 0;
}

int corio__pg_input(corio_pg *c, int64_t deadline)
{
    int rc = c->et            ? corio_fd_wait(c->fd, CORIO_READ, deadline)
             : tls_pending(c) ? corio_checkpoint()
                              : corio_wait_fd(PQsocket(c->conn), CORIO_READ, deadline);
    if (rc < 0)
        return rc;
    errno = 0;
    if (!PQconsumeInput(c->conn))
        return corio__pg_lost(c);
    /* libpq's last recv said EAGAIN (it leaves errno so): the socket is
     * empty and the next wait must be for a new edge. Otherwise it may have
     * stopped with data left (its buffer full): the next wait returns at
     * once and the next read finds out. */
    if (c->et && (errno == EAGAIN || errno == EWOULDBLOCK))
        corio__fd_note_eagain(c->fd, CORIO_READ);
    return 0;
}

int corio__pg_next(corio_pg *c, PGresult **out, int64_t deadline)
{
    while (PQisBusy(c->conn)) {
        int rc = corio__pg_input(c, deadline);
        if (rc < 0)
            return rc;
    }
    *out = PQgetResult(c->conn);
    return 0;
}

int corio__pg_result_error(corio_pg *c, PGresult *r)
{
    /* A protocol error leaves the stream out of step: never reused. */
    if (PQstatus(c->conn) != CONNECTION_OK || PQresultStatus(r) == PGRES_BAD_RESPONSE) {
        corio__pg_fail(c, 0, PQresultErrorMessage(r));
        c->broken = true;
        PQclear(r);
        return -EPIPE;
    }
    if (!PQresultErrorField(r, PG_DIAG_SQLSTATE)) {
        int rc = corio__pg_fail(c, -EINVAL, PQresultErrorMessage(r));
        PQclear(r);
        return rc;
    }
    PQclear(c->err);
    c->err = r;
    return -CORIO_ESERVER;
}

int corio__pg_collect(corio_pg *c, PGresult **last, int64_t deadline)
{
    PGresult *keep = NULL;
    int err = 0;
    for (;;) {
        PGresult *r;
        int rc = corio__pg_next(c, &r, deadline);
        if (rc < 0) {
            PQclear(keep);
            return rc;
        }
        if (!r)
            break;
        ExecStatusType st = PQresultStatus(r);
        if (corio__pg_failed(st)) {
            err = corio__pg_result_error(c, r);
            if (err == -EPIPE)
                break;
            continue;
        }
        PQclear(keep);
        keep = r;
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
            break;
    }
    if (err < 0 || !last)
        PQclear(keep);
    else
        *last = keep;
    return err;
}

int corio__pg_finish(corio_pg *c, PGresult **last, int64_t deadline)
{
    int rc = corio__pg_flush(c, deadline);
    if (!rc) {
        corio__pg_sent(c);
        rc = corio__pg_collect(c, last, deadline);
    }
    if (rc == -ECANCELED || rc == -ETIMEDOUT)
        return corio__pg_recover(c, rc);
    return rc;
}

/* PQcancel blocks (it connects to the server and waits for it to hang up):
 * on a pool thread, with a PGcancel that thread owns. */
static intptr_t cancel_on_thread(void *arg)
{
    char buf[256];
    PQcancel(arg, buf, sizeof buf);
    PQfreeCancel(arg);
    return 0;
}

static int send_cancel(corio_pg *c)
{
    PGcancel *k = PQgetCancel(c->conn);
    if (!k)
        return -ENOMEM;
    int rc = corio_to_thread(cancel_on_thread, k, NULL, -1);
    if (rc < 0 && rc != -ECANCELED && rc != -ETIMEDOUT)
        PQfreeCancel(k); /* it never ran */
    return rc;
}

/* Skips the rest of a COPY TO. */
static int skip_copy_out(corio_pg *c, int64_t deadline)
{
    for (;;) {
        char *buf = NULL;
        int n = PQgetCopyData(c->conn, &buf, 1);
        PQfreemem(buf);
        if (n == -1)
            return 0;
        if (n < -1)
            return corio__pg_lost(c);
        if (n == 0) {
            int rc = corio__pg_input(c, deadline);
            if (rc < 0)
                return rc;
        }
    }
}

/* Reads and drops everything the request in flight will still produce. */
static int drain(corio_pg *c, int64_t deadline)
{
    int rc = corio__pg_flush(c, deadline);
    while (!rc) {
        PGresult *r;
        rc = corio__pg_next(c, &r, deadline);
        if (rc < 0)
            break;
        if (!r) {
            if (PQpipelineStatus(c->conn) == PQ_PIPELINE_OFF)
                break;
            continue; /* between a pipeline's queries */
        }
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st == PGRES_COPY_IN) {
            rc = PQputCopyEnd(c->conn, "cancelled") < 0 ? corio__pg_lost(c)
                                                        : corio__pg_flush(c, deadline);
        } else if (st == PGRES_COPY_OUT) {
            rc = skip_copy_out(c, deadline);
        } else if (st == PGRES_PIPELINE_SYNC) {
            rc = PQexitPipelineMode(c->conn) == 1 ? 0 : corio__pg_lost(c);
            break;
        }
    }
    c->copy = PG_COPY_NONE;
    return rc;
}

int corio__pg_recover(corio_pg *c, int rc)
{
    corio_scope s;
    if (corio_scope_enter(&s, corio_now() + PG_CLEANUP_MS, CORIO_SCOPE_SHIELD) < 0) {
        c->broken = true;
        return rc;
    }
    int r = send_cancel(c);
    if (!r)
        r = drain(c, -1);
    corio_scope_exit(&s);
    if (r < 0 || PQtransactionStatus(c->conn) == PQTRANS_ACTIVE)
        c->broken = true;
    corio__pg_fail(c, rc,
                   rc == -ETIMEDOUT ? "deadline passed: query cancelled"
                                    : "task cancelled: query cancelled");
    return rc;
}
