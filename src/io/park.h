/* Internal to the servers: parking idle connections (park.c). A server's
 * connection whose task waits for bytes gives the task up when the wait
 * lasts (between CORIO__PARK_AFTER_MS and twice that: one timer sweeps every
 * waiting connection, rather than one each): the connection parks, with no
 * task, until its descriptor's readiness spawns a new one into the
 * server's nursery, or its deadline (or the server's end) ends it. Shared
 * by corio_serve_tcp_ex's CORIO_SERVE_PARK and the HTTP server. */
#ifndef CORIO_IO_PARK_H
#define CORIO_IO_PARK_H

#include <stdbool.h>
#include <stdint.h>

#include <corio/io.h>
#include <corio/nursery.h>
#include <corio/task.h>
#include <corio/time.h>

#include "../base/list.h"
#include "../base/timer.h"

/* How long a connection waits for bytes in its task before it parks
 * (between one and two of these): a busy one keeps its task rather than
 * pay for a new one each message. */
#define CORIO__PARK_AFTER_MS 20

typedef struct corio__parked corio__parked;

/* A server's side: set up by corio__parker_init, on its loop only. */
typedef struct corio__parker {
    corio_nursery *nursery; /* where woken connections' tasks go */
    corio_fn *resume;       /* a woken connection's task, given its corio__parked */
    /* Ends a parked connection, outside any task: -ETIMEDOUT at its
     * deadline, -ENOMEM when no task could be started for its bytes,
     * -ECANCELED at corio__parker_close. It calls corio__parked_done. */
    void (*end)(corio__parked *p, int rc);
    const char *name;     /* the woken tasks' */
    corio__list parked;   /* corio__parked without a task */
    corio__list waiting;  /* corio__parked waiting in their task, oldest first */
    unsigned sweeps;      /* how many sweeps ran */
    corio__timer sweeper; /* armed while some wait */
    bool closing;         /* nothing parks or wakes any more */
} corio__parker;

/* A connection's side. */
struct corio__parked {
    corio__parker *pk;
    corio_fd *fd;
    corio__list_node link; /* in pk->parked or pk->waiting */
    corio_task *task;      /* while waiting */
    corio__timer timer;    /* while parked: its deadline, or 0 when no task could start */
    unsigned since;        /* the sweep count when it started waiting */
    bool swept;            /* its wait was cancelled to park it */
    bool woken;            /* its task was started by its readiness: the bytes are there */
    bool failed;           /* no task could be started for it */
};

void corio__parker_init(corio__parker *pk, corio_nursery *n, corio_fn *resume,
                        void (*end)(corio__parked *p, int rc), const char *name);
/* p, of pk's connection on descriptor f (a plain socket). */
void corio__parked_init(corio__parked *p, corio__parker *pk, corio_fd *f);

/* Arms pk's sweeper: 0 or -ENOMEM. */
int corio__parker_arm(corio__parker *pk);
/* corio__park_conn_wait's end when the sweep cancelled the wait: 1. */
int corio__park_conn_swept(corio__parked *p, int64_t deadline);

/* In p's task, with nothing to read: waits for bytes until deadline (-1
 * none; near: it comes before the second sweep, which the caller knows from
 * its timeout without reading the clock once more per message). 0 when they
 * came (or the end, an error: the next read says), 1 when p went on without
 * this task (parked, or handed to a new one: the task is cancelled and is to
 * end without touching the connection's descriptor), or a negative errno
 * (-ETIMEDOUT). Inline: it runs once per message of a busy connection. */
static inline int corio__park_conn_wait(corio__parked *p, int64_t deadline, bool near)
{
    corio__parker *pk = p->pk;
    if (pk->closing || (pk->sweeper.index == SIZE_MAX && corio__parker_arm(pk) < 0))
        return corio_fd_wait(p->fd, CORIO_READ, deadline); /* it waits here */
    p->task = corio_current();
    p->since = pk->sweeps;
    corio__list_push(&pk->waiting, &p->link);
    /* A deadline past the second sweep needs no timer of its own: the
     * parked connection's takes over. */
    int rc = corio_fd_wait(p->fd, CORIO_READ, deadline >= 0 && near ? deadline : -1);
    corio__list_unlink(&p->link);
    if (!p->swept || pk->closing)
        return rc;
    return corio__park_conn_swept(p, deadline);
}

/* Parks p, out of its task (a new connection, whose first bytes start its
 * task), until deadline (-1 none): 0, or -ENOMEM (the timer). */
int corio__park_conn(corio__parked *p, int64_t deadline);
/* p ends (from pk->end, or its task's): it leaves pk. */
void corio__parked_done(corio__parked *p);

/* The server's end: nothing parks or wakes any more (its nursery is being
 * cancelled, or it stops). */
void corio__parker_closing(corio__parker *pk);
/* Ends the parked connections with -ECANCELED and stops sweeping. */
void corio__parker_close(corio__parker *pk);

#endif
