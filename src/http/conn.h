/* Internal: running a server connection (conn.c). */
#ifndef CORIO_HTTP_CONN_H
#define CORIO_HTTP_CONN_H

#include "wire.h"

/* Serves connection s of srv (NULL: none) until it ends. */
int corio__http_conn_run(corio_http_app *app, server *srv, corio_stream *s);

#endif
