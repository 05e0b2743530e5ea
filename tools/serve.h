/* What the corio server tools share: listen on host:port, say where
 * ("listening on http://H:PORT", the line tests wait for, port 0 picks a
 * free one), serve an app until SIGINT/SIGTERM, then stop gracefully;
 * SIGQUIT dumps the tasks (debug.h). */
#ifndef CORIO_TOOLS_SERVE_H
#define CORIO_TOOLS_SERVE_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <corio/corio.h>

#include "cli.h"
#include "debug.h"

typedef struct tool_server {
    const char *prog;
    void (*usage)(void); /* prints the tool's help and exits 0 (-h, --help) */
    const char *host;
    int port;
    corio_http_app *app;
    int grace_ms;     /* how long requests in flight may finish after a signal */
    unsigned threads; /* loops, one per thread, sharing the port (0 or 1: one) */
    int backlog;      /* listen backlog (0: the default) */
    atomic_int bound; /* the port loop 0 got, for the others (--port 0) */
    corio_fn *after;  /* if set, runs in loop 0 once serving stopped (to close what the app used) */
} tool_server;

/* Takes argv[*i] when it is an option every server tool has: -h/--help,
 * --version, --host H, --port N, --log-level LEVEL (cli.h), and --threads N for a tool
 * that serves from several loops (s->threads set to 1 before parsing).
 * Returns whether it did; exits with a usage error on a bad value. */
static inline bool tool_server_option(tool_server *s, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help"))
        s->usage();
    else if (!strcmp(a, "--version"))
        cli_version(s->prog);
    else if (!strcmp(a, "--host"))
        s->host = cli_value(s->prog, argc, argv, i);
    else if (!strcmp(a, "--port"))
        s->port = (int)cli_long(s->prog, a, cli_value(s->prog, argc, argv, i), 0, 65535);
    else if (cli_log_option(s->prog, argc, argv, i))
        return true;
    else if (s->threads && !strcmp(a, "--threads"))
        s->threads = (unsigned)cli_long(s->prog, a, cli_value(s->prog, argc, argv, i), 1, 1024);
    else
        return false;
    return true;
}

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

/* One loop's server. With several loops, loop 0 binds first and the others
 * take the port it got, so that --port 0 gives one port for all. */
static inline intptr_t tool_serve_task(void *arg)
{
    tool_server *s = arg;
    unsigned me = corio_loop_index();
    int port = s->port;
    while (me > 0 && !(port = atomic_load(&s->bound)))
        corio_sleep(1);
    corio_fd *l;
    int rc = corio_tcp_listen_ex(s->host, port, s->backlog,
                                 s->threads > 1 ? CORIO_LISTEN_REUSEPORT : 0, &l);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot listen on %s:%d: %s\n", s->prog, s->host, port,
                corio_strerror(rc));
        atomic_store(&s->bound, -1); /* the other loops give up too */
        return rc;
    }
    if (port < 0) { /* loop 0 failed */
        corio_fd_close(l);
        return -EADDRNOTAVAIL;
    }
    corio_task *watch = NULL, *dump = NULL;
    if (me == 0) {
        atomic_store(&s->bound, corio_tcp_local_port(l));
        printf(strchr(s->host, ':') ? "listening on http://[%s]:%d\n"
                                    : "listening on http://%s:%d\n",
               s->host, corio_tcp_local_port(l));
        fflush(stdout);
        rc = corio_spawn(NULL, tool_stop_on_signal, s, &watch);
        if (rc == 0)
            rc = tool_dump_start(&dump);
    }
    if (rc == 0)
        rc = corio_http_serve(s->app, l, NULL, -1);
    if (watch) {
        corio_task_cancel(watch);
        corio_task_release(watch);
    }
    tool_dump_stop(dump);
    corio_fd_close(l);
    if (me == 0 && s->after)
        s->after(s);
    if (rc < 0 && rc != -EADDRNOTAVAIL)
        fprintf(stderr, "%s: %s\n", s->prog, corio_strerror(rc));
    return rc;
}

/* Runs the server until SIGINT/SIGTERM stop it gracefully, on s->threads
 * loops, then frees s->app. built: whether building s->app went well (a
 * step that failed can only have run out of memory). The exit status: 0
 * after the stop, 1 on an error (reported on stderr). */
static inline int tool_serve(tool_server *s, bool built)
{
    if (!built) {
        fprintf(stderr, "%s: out of memory\n", s->prog);
        corio_http_app_free(s->app);
        return CLI_FAILURE;
    }
    /* Every loop thread inherits the mask, so the signals wait in loop 0. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    intptr_t rc = s->threads > 1 ? corio_run_threads(s->threads, tool_serve_task, s)
                                 : corio_run(tool_serve_task, s);
    corio_http_app_free(s->app);
    return rc < 0 ? CLI_FAILURE : CLI_OK;
}

#endif
