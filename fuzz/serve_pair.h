/* What the HTTP server's fuzz targets share: an app serves one connection,
 * the server's end of a socket pair, while a reader task takes what it
 * answers from the other end. */
#ifndef CORIO_FUZZ_SERVE_PAIR_H
#define CORIO_FUZZ_SERVE_PAIR_H

#include <corio/corio.h>

typedef struct serve_pair {
    corio_http_app *app;
    int fds[2];       /* [0] the server's end, [1] the client's */
    corio_fn *reader; /* spawned with the serve_pair (or what embeds it first) */
} serve_pair;

/* corio_run(serve_pair_run, p): serves until the connection ends. */
static intptr_t serve_pair_run(void *arg)
{
    serve_pair *p = arg;
    corio_fd *f;
    corio_stream *s;
    if (corio_fd_open(p->fds[0], &f) < 0 || corio_stream_open(f, &s) < 0)
        return 0;
    corio_spawn(NULL, p->reader, p, NULL);
    corio_http_serve_conn(p->app, s);
    corio_stream_close(s);
    return 0;
}

#endif
