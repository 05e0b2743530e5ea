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

/* Parks c (req.c, when it would wait for a request with nothing to read)
 * until deadline: false when it cannot (the server is closing, bytes came
 * meanwhile, no memory for the timer), so it waits in its task. */
bool corio__http_park(conn *c, int64_t deadline);

/* Closes srv's parked connections and cancels the tasks waiting for a
 * request: for stopping, and for the end of serving (then every
 * connection left is parked). */
void corio__http_close_idle(server *srv);

/* serve.c: one of srv's connections ended. */
void corio__http_conn_gone(server *srv);

#endif
