/* Internal to the PostgreSQL client: the connection and the waits that
 * drive libpq's non-blocking calls from a task. */
#ifndef CORIO_DB_PG_INTERNAL_H
#define CORIO_DB_PG_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>

#include <corio/io.h>
#include <corio/pg.h>

#define PG_CACHE_MAX 256

/* A prepared statement of the per-connection cache. */
typedef struct pg_stmt {
    char *sql;
    uint64_t hash;
    uint64_t used;  /* c->clock at its last use: the smallest is evicted */
    unsigned id;    /* its name is "corio_<id>" */
    bool confirmed; /* the server said it is prepared (not just sent in a pipeline) */
    char name[24];  /* "corio_<id>", written once rather than at every use */
} pg_stmt;

enum pg_copy { PG_COPY_NONE, PG_COPY_IN, PG_COPY_OUT };

struct corio_pg {
    PGconn *conn;
    /* A duplicate of libpq's socket registered edge-triggered with the loop:
     * libpq keeps its own descriptor and does its own reads. */
    corio_fd *fd;
    /* Edge-triggered waits are exact only when libpq's last read saw EAGAIN;
     * TLS and GSS buffer data where the socket cannot show it, so those
     * connections wait level-triggered on libpq's descriptor instead. */
    bool et;
    bool busy;   /* a task is inside a call */
    bool broken; /* lost, or in a state a cancellation could not undo */
    enum pg_copy copy;
    PGresult *err;   /* the last error from the server, or NULL */
    char local[160]; /* the last error that was not the server's */
    char *chunk;     /* the last COPY TO chunk handed out */
    pg_stmt *stmts;
    size_t nstmts;
    size_t hot; /* the entry found last: tried first (may be stale: checked) */
    uint64_t clock;
    unsigned next_id;
    int64_t idle_since; /* corio_now() of its last release to a pool */
};

struct corio_pg_result {
    PGresult *res;
    struct pg_blob *blobs; /* bytea values decoded so far */
};

/* Takes c for the calling task: 0, or -EINVAL / -EBUSY / -EPIPE. Clears the
 * last error. */
int corio__pg_enter(corio_pg *c);
static inline void corio__pg_leave(corio_pg *c)
{
    c->busy = false;
}

/* Marks c broken and says so: -EPIPE. */
int corio__pg_lost(corio_pg *c);
/* Records a local failure's message, returns rc. */
int corio__pg_fail(corio_pg *c, int rc, const char *msg);

/* Sends what libpq has buffered, waiting for room (and reading meanwhile,
 * so that a server blocked on its own output cannot deadlock us). */
int corio__pg_flush(corio_pg *c, int64_t deadline);
/* Libpq's request just went out: the answer will come as a new edge. */
void corio__pg_sent(corio_pg *c);
/* Waits for input and hands it to libpq (one read). */
int corio__pg_input(corio_pg *c, int64_t deadline);
/* The next result (NULL between a pipeline's queries, or at the end),
 * waiting for it. */
int corio__pg_next(corio_pg *c, PGresult **out, int64_t deadline);
/* Reads the results of the request in flight until the end: 0, or
 * -CORIO_ESERVER (kept in c->err) or a waiting error. The last non-error
 * result goes to *last (may be NULL); a COPY start stops it (as the last). */
int corio__pg_collect(corio_pg *c, PGresult **last, int64_t deadline);
/* A failed result (taken over): the server's error, kept in c->err
 * (-CORIO_ESERVER), or a local one (-EINVAL), or the connection's loss. */
int corio__pg_result_error(corio_pg *c, PGresult *r);
static inline bool corio__pg_failed(ExecStatusType st)
{
    return st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR || st == PGRES_BAD_RESPONSE;
}
/* Sends one request and collects its results. If a wait is cancelled or
 * times out, cancels the request on the server and drains c (shielded,
 * bounded) before returning that error. */
int corio__pg_finish(corio_pg *c, PGresult **last, int64_t deadline);
/* After a wait failed with rc mid-request: cancel on the server, drain; c
 * is marked broken if that fails. Returns rc. */
int corio__pg_recover(corio_pg *c, int rc);

/* Wraps a PGresult (taken over) for the caller; -ENOMEM frees it. */
int corio__pg_wrap(PGresult *res, corio_pg_result **out);

/* The statement cache. */
pg_stmt *corio__pg_stmt_find(corio_pg *c, const char *sql);
/* A new entry (evicting the least recently used one, whose DEALLOCATE is
 * sent first when it was confirmed): NULL on -ENOMEM, or *rc another error. */
pg_stmt *corio__pg_stmt_add(corio_pg *c, const char *sql, int *rc, int64_t deadline);
void corio__pg_stmt_drop(corio_pg *c, pg_stmt *s);
void corio__pg_stmts_free(corio_pg *c);

/* One-shot bound on cleanup (rollback, cancellation, drain) when the
 * caller gave no deadline. */
#define PG_CLEANUP_MS 1000

#endif
