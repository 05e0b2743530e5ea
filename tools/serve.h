/* What the corio server tools share: listen on host:port, say where
 * ("listening on http://H:PORT", the line tests wait for, port 0 picks a
 * free one), serve an app until SIGINT/SIGTERM, then stop gracefully. */
#ifndef CORIO_TOOLS_SERVE_H
#define CORIO_TOOLS_SERVE_H

#include <signal.h>
#include <stdio.h>

#include <corio/corio.h>

typedef struct tool_server {
    const char *prog;
    const char *host;
    int port;
    corio_http_app *app;
    int grace_ms; /* how long requests in flight may finish after a signal */
} tool_server;

static inline intptr_t tool_stop_on_signal(void *arg)
{
    tool_server *s = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (corio_signal_wait(&set, -1) > 0)
        corio_http_stop(s->app, s->grace_ms);
    return 0;
}

static inline intptr_t tool_serve_task(void *arg)
{
    tool_server *s = arg;
    corio_fd *l;
    int rc = corio_tcp_listen(s->host, s->port, 0, &l);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot listen on %s:%d: %s\n", s->prog, s->host, s->port,
                corio_strerror(rc));
        return rc;
    }
    printf("listening on http://%s:%d\n", s->host, corio_tcp_local_port(l));
    fflush(stdout);
    corio_task *watch;
    rc = corio_spawn(NULL, tool_stop_on_signal, s, &watch);
    if (rc == 0) {
        rc = corio_http_serve(s->app, l, NULL);
        corio_task_cancel(watch);
    }
    corio_fd_close(l);
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", s->prog, corio_strerror(rc));
    return rc;
}

/* Runs the server on a loop of the calling thread: 0 after a graceful stop,
 * 1 on an error (reported on stderr). */
static inline int tool_serve(tool_server *s)
{
    return corio_run(tool_serve_task, s) < 0 ? 1 : 0;
}

#endif
