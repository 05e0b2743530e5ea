/* Internal: running a server connection (conn.c). */
#ifndef CORIO_HTTP_CONN_H
#define CORIO_HTTP_CONN_H

#include "wire.h"

/* Serves connection s of srv (NULL: none) until it ends; a server's
 * connection (which then owns s, closes it and counts itself out with
 * corio__http_conn_gone) may instead park, idle without a task, when it
 * waits for a request with nothing buffered: its descriptor's readiness
 * spawns a new task into srv->nursery, idle_timeout_ms closes it. 0 once
 * ended or parked, or how it failed. */
int corio__http_conn_run(corio_http_app *app, server *srv, corio_stream *s);

/* srv's parker (srv->nursery is open). */
void corio__http_parker_init(server *srv);

/* The deadline of c's wait for its next request: idle_timeout_ms from now
 * (or from the loop's last poll, where that is close enough). */
int64_t corio__http_idle_deadline(const conn *c);

/* req.c: c, a server's plain connection with nothing to read, waits for
 * its next request until deadline, corio__http_idle_deadline's
 * (corio__park_conn_wait): 1 when its task is to end (c->parked; the task's
 * request state is given back), else as corio_fd_wait. */
int corio__http_park_wait(conn *c, int64_t deadline);

/* Closes srv's parked connections and cancels the tasks waiting for a
 * request: for stopping, and for the end of serving (then every
 * connection left is parked). Nothing parks afterwards. */
void corio__http_close_idle(server *srv);

/* serve.c: one of srv's connections ended. */
void corio__http_conn_gone(server *srv);

#endif
