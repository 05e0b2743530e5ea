/* A PostgreSQL client on libpq's non-blocking API (aiopg's and asyncpg's
 * job): the calling task parks while the server works, the loop runs others.
 *
 *     corio_pg *db;
 *     rc = corio_pg_connect("postgresql://app@localhost/shop", &db, deadline);
 *     const char *v[] = {"42"};
 *     corio_pg_params p = {1, v, NULL, NULL};
 *     rc = corio_pg_query(db, "SELECT name FROM item WHERE id = $1", &p, &r, deadline);
 *     rc = corio_pg_get_text(r, 0, 0, &name, &len);
 *     corio_pg_result_free(r);
 *
 * A connection serves one task at a time (another task's call gets -EBUSY);
 * a pool (corio_pg_pool) shares connections between tasks. Every blocking
 * call takes an absolute corio_now() deadline in ms as its last parameter
 * (-1: none, 0: fail with -ETIMEDOUT rather than wait), is a cancellation
 * checkpoint and honours the enclosing scopes' deadlines. A query cancelled
 * or timed out while the server runs it is cancelled on the server too
 * (a cancel request from the thread pool) and the connection drained, so
 * that it stays usable; if that cannot be done within a second the
 * connection is marked broken (corio_pg_ok() false) and a pool discards it.
 *
 * Errors common to the calls below: -EINVAL a NULL or bad argument other
 * than the connection or pool; misuse (aborts): a NULL connection or pool,
 * outside a task, or a task of another loop than the connection's; -EBUSY
 * another task is using the connection, or a COPY is in progress on it
 * (other than the COPY calls); -EPIPE the connection is broken
 * (lost, or left in an unknown state: close it); -ENOMEM; -ECANCELED and
 * -ETIMEDOUT; -CORIO_ESERVER the server answered with an error, whose
 * SQLSTATE and message corio_pg_sqlstate() / corio_pg_error() tell until
 * the next call on the connection. Values are exchanged as text (results
 * always; parameters unless said binary). All calls from tasks of the loop
 * that opened the connection. */
#ifndef CORIO_PG_H
#define CORIO_PG_H

#include <stdbool.h>

#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_pg corio_pg;
typedef struct corio_pg_result corio_pg_result;

/* --- Connections ------------------------------------------------------ */

/* Connects with a libpq connection string ("host=/tmp port=5432 dbname=x")
 * or URI ("postgresql://user:pw@host:port/db?sslmode=require"); TLS is
 * libpq's; a host name is resolved by corio's resolver (dns.h), not by
 * libpq's blocking one. Errors: -EINVAL conninfo does not parse; -CORIO_EDNS
 * the host name did not resolve; -ECONNREFUSED no server could be reached
 * (refused, no such socket); -CORIO_ESERVER a server answered but refused
 * the session (authentication, unknown role or database, too many
 * connections); the reason of either is logged (module "pg", level info).
 * Misuse (aborts): conninfo or out NULL; outside a task. */
CORIO_API int corio_pg_connect(const char *conninfo, corio_pg **out, int64_t deadline);
/* Ends the session (without waiting) and frees c and its statement cache;
 * not while a task is inside a call on c. NULL is a no-op. */
CORIO_API void corio_pg_close(corio_pg *c);
/* Whether c can still be used: false once lost or left in an unknown state. */
CORIO_API bool corio_pg_ok(const corio_pg *c);
/* The last error's SQLSTATE ("23505"; "" when the error was not the
 * server's) and message (libpq's, one line or more). Never NULL. */
CORIO_API const char *corio_pg_sqlstate(const corio_pg *c);
CORIO_API const char *corio_pg_error(const corio_pg *c);
/* libpq's PGconn, for what this header does not wrap; do not use its
 * blocking calls on the loop. */
CORIO_API void *corio_pg_native(corio_pg *c);

/* --- Queries ---------------------------------------------------------- */

/* Parameters $1..$n. A NULL value is SQL NULL; lengths and formats (1:
 * binary, 0: text) may be NULL for all-text values. */
typedef struct corio_pg_params {
    int n;
    const char *const *values;
    const int *lengths;
    const int *formats;
} corio_pg_params;

/* Runs one statement, prepared on c the first time this SQL text is seen
 * and executed by name afterwards (a per-connection cache of up to 256
 * statements, least recently used evicted). params may be NULL. *out (out
 * may be NULL to drop it) is the result, the caller's to free. Errors: the
 * common ones (-EINVAL sql NULL or params->n < 0). */
CORIO_API int corio_pg_query(corio_pg *c, const char *sql, const corio_pg_params *params,
                             corio_pg_result **out, int64_t deadline);
/* The same without preparing. With params NULL, sql may hold several
 * statements ("CREATE ...; INSERT ...") and *out is the last one's result.
 * Errors: as corio_pg_query. */
CORIO_API int corio_pg_exec(corio_pg *c, const char *sql, const corio_pg_params *params,
                            corio_pg_result **out, int64_t deadline);

/* --- Results (no call blocks; pointers stay valid until the free) ------- */

CORIO_API void corio_pg_result_free(corio_pg_result *r);
/* Row and column counts (0 for NULL); never an error. */
CORIO_API int corio_pg_nrows(const corio_pg_result *r);
CORIO_API int corio_pg_ncols(const corio_pg_result *r);
/* The column's name, NULL out of range. */
CORIO_API const char *corio_pg_colname(const corio_pg_result *r, int col);
/* The column's type OID (16 bool, 17 bytea, 20 int8, 23 int4, 25 text, 701
 * float8...), 0 out of range. */
CORIO_API unsigned corio_pg_coltype(const corio_pg_result *r, int col);
/* Rows an INSERT, UPDATE, DELETE, MERGE, COPY, SELECT... reported, -1 if
 * none. */
CORIO_API int64_t corio_pg_affected(const corio_pg_result *r);
/* Whether the value is SQL NULL (false out of range). */
CORIO_API bool corio_pg_isnull(const corio_pg_result *r, int row, int col);

/* Typed reads of one value. Errors: -ERANGE row or col out of range, or a
 * number that does not fit; -ENODATA the value is NULL (*out unchanged);
 * -EINVAL the value is not of that type ("t"/"f" for bool, decimal integers,
 * floating point numbers incl. NaN and Infinity; bytea: not a bytea
 * column); -ENOMEM decoding bytea. Text and bytea point into the result
 * (bytea is decoded once, on first read); len may be NULL for text, which
 * is NUL-terminated. */
CORIO_API int corio_pg_get_bool(const corio_pg_result *r, int row, int col, bool *out);
CORIO_API int corio_pg_get_int32(const corio_pg_result *r, int row, int col, int32_t *out);
CORIO_API int corio_pg_get_int64(const corio_pg_result *r, int row, int col, int64_t *out);
CORIO_API int corio_pg_get_double(const corio_pg_result *r, int row, int col, double *out);
CORIO_API int corio_pg_get_text(const corio_pg_result *r, int row, int col, const char **out,
                                size_t *len);
CORIO_API int corio_pg_get_bytea(corio_pg_result *r, int row, int col, const void **out,
                                 size_t *len);

/* --- Pipeline mode ---------------------------------------------------- */

typedef struct corio_pg_stmt {
    const char *sql;
    const corio_pg_params *params; /* may be NULL */
} corio_pg_stmt;

/* Sends n statements (prepared and cached as corio_pg_query does) in one
 * go and reads their results in order: one round trip instead of n. They run
 * as one implicit transaction unless c is inside one already. results (may
 * be NULL) gets n results, the caller's to free. -CORIO_ESERVER: statement
 * *failed (failed may be NULL) was refused; the server skipped those after
 * it, and undid those before it unless an explicit transaction is open;
 * results from *failed on are NULL. Errors: as above, and -EINVAL n == 0. */
CORIO_API int corio_pg_pipeline(corio_pg *c, const corio_pg_stmt *stmts, size_t n,
                                corio_pg_result **results, size_t *failed, int64_t deadline);

/* --- Transactions ----------------------------------------------------- */

/* BEGIN and COMMIT (a COMMIT of a failed transaction rolls back and gives
 * -CORIO_ESERVER, SQLSTATE 25P02 or the deferred error's). Errors: the
 * common ones. */
CORIO_API int corio_pg_begin(corio_pg *c, int64_t deadline);
CORIO_API int corio_pg_commit(corio_pg *c, int64_t deadline);
/* ROLLBACK, shielded from cancellation so that a cancelled task can still
 * clean up (the deadline still holds; -1: at most one second). Errors: the
 * common ones but -ECANCELED (shielded). */
CORIO_API int corio_pg_rollback(corio_pg *c, int64_t deadline);
/* Whether a transaction is open on c (failed or not). */
CORIO_API bool corio_pg_in_transaction(const corio_pg *c);

/* --- COPY ------------------------------------------------------------- */

/* COPY ... FROM STDIN: start, write the data in chunks of any size (each
 * write waits until the chunk has gone out, so memory stays bounded), end.
 * An end with error non-NULL aborts the copy with that message (and returns
 * -CORIO_ESERVER); *rows (may be NULL) gets the rows copied. Errors: the
 * common ones; start: -EINVAL sql NULL, or sql is not a COPY in that
 * direction (it ran: a COPY the other way is drained), -EBUSY a COPY is in
 * progress; write and end: -EINVAL no COPY FROM STDIN in progress, data
 * NULL with len > 0, or len over 2 GiB; -CORIO_ESERVER the server refused
 * the data (end reports it). */
CORIO_API int corio_pg_copy_in_start(corio_pg *c, const char *sql, int64_t deadline);
CORIO_API int corio_pg_copy_in_write(corio_pg *c, const void *data, size_t len, int64_t deadline);
CORIO_API int corio_pg_copy_in_end(corio_pg *c, const char *error, int64_t *rows, int64_t deadline);
/* COPY ... TO STDOUT: start, then read until it returns 0. Each read gives
 * one chunk (a row, in text format) in *data, *len bytes, valid until the
 * next call on c: 1 a chunk, 0 the end (the copy succeeded). Errors: as
 * for COPY FROM STDIN (read: -EINVAL no COPY TO STDOUT in progress, data or
 * len NULL). */
CORIO_API int corio_pg_copy_out_start(corio_pg *c, const char *sql, int64_t deadline);
CORIO_API int corio_pg_copy_out_read(corio_pg *c, const char **data, size_t *len, int64_t deadline);

/* --- LISTEN / NOTIFY -------------------------------------------------- */

typedef struct corio_pg_notify {
    const char *channel;
    const char *payload;
    int pid; /* the notifying backend's */
} corio_pg_notify;

/* LISTEN channel (quoted as an identifier: any name). Errors: the common
 * ones (-EINVAL channel NULL). */
CORIO_API int corio_pg_listen(corio_pg *c, const char *channel, int64_t deadline);
/* Takes the next notification, in the order the server sent them, waiting
 * for one if none has arrived (as corio_queue_get does); those that arrive
 * during queries are kept for it. The caller frees *out. Errors: the
 * common ones (-EINVAL out NULL; -EPIPE the server went away). */
CORIO_API int corio_pg_notify_get(corio_pg *c, corio_pg_notify **out, int64_t deadline);
CORIO_API void corio_pg_notify_free(corio_pg_notify *n);

/* --- Pool ------------------------------------------------------------- */

typedef struct corio_pg_pool corio_pg_pool;

typedef struct corio_pg_pool_opts {
    size_t max;              /* connections at most; 0: 10 */
    int64_t check_idle_ms;   /* one idle longer is checked with a round trip before
                                it is handed out; 0: 30000; -1: never */
    int64_t idle_timeout_ms; /* one idle longer is closed; 0: never */
} corio_pg_pool_opts;

/* opts may be NULL for the defaults. No connection is made yet. Errors:
 * -EINVAL conninfo does not parse, or a bad option; -ENOMEM. Misuse
 * (aborts): conninfo or out NULL. */
CORIO_API int corio_pg_pool_new(const char *conninfo, const corio_pg_pool_opts *opts,
                                corio_pg_pool **out);
/* Gets a connection: an idle one (checked as said above; a dead one is
 * replaced), or a new one while fewer than max exist, else waits for a
 * release (first come, first served). Errors: those of corio_pg_connect;
 * -ETIMEDOUT, -ECANCELED; -EPIPE the pool is closing; -EINVAL out NULL.
 * Misuse (aborts): p NULL; outside a task. */
CORIO_API int corio_pg_pool_acquire(corio_pg_pool *p, corio_pg **out, int64_t deadline);
/* Gives c back. A broken connection, or one busy with a query, is closed; one
 * inside a transaction is rolled back first (shielded from cancellation,
 * bounded by the deadline; -1: one second) and closed if that fails. Always
 * takes c; 0, or the rollback's error (-ETIMEDOUT, -EPIPE, -CORIO_ESERVER)
 * when c was closed for it. Misuse (aborts): p or c NULL. */
CORIO_API int corio_pg_pool_release(corio_pg_pool *p, corio_pg *c, int64_t deadline);
/* Refuses new acquires (-EPIPE), waits until every acquired connection is
 * released, closes them all and frees p (NULL: 0). -ETIMEDOUT /
 * -ECANCELED: p is left closing (call again). */
CORIO_API int corio_pg_pool_close(corio_pg_pool *p, int64_t deadline);

#ifdef __cplusplus
}
#endif
#endif
