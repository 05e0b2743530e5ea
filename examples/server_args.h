/* The server examples' shared parts: the command line (--host, --port, one
 * optional flag, --help, --version) and running the server task until it
 * ends or SIGINT/SIGTERM stops it. */
#ifndef CORIO_EXAMPLES_SERVER_ARGS_H
#define CORIO_EXAMPLES_SERVER_ARGS_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

typedef struct server_args {
    const char *prog, *usage; /* usage: what follows "usage: PROG" and the description */
    const char *host;
    int port;
    const char *flag; /* e.g. "--protocol", or NULL */
    int flag_set;
    const char *option; /* an option with a value, e.g. "--root", or NULL */
    const char *value;  /* its value (the default until given) */
} server_args;

/* Parses argv into a; exits 0 after --help/--version, 2 on a usage error. */
static inline void server_args_parse(server_args *a, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: %s %s\n", a->prog, a->usage);
            exit(0);
        } else if (!strcmp(argv[i], "--version")) {
            printf("%s (corio) %s\n", a->prog, corio_version());
            exit(0);
        } else if (a->flag && !strcmp(argv[i], a->flag)) {
            a->flag_set = 1;
        } else if (a->option && !strcmp(argv[i], a->option) && i + 1 < argc) {
            a->value = argv[++i];
        } else if (!strcmp(argv[i], "--host") && i + 1 < argc) {
            a->host = argv[++i];
        } else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            char *end;
            long p = strtol(argv[++i], &end, 10);
            if (*end || p < 0 || p > 65535) {
                fprintf(stderr, "%s: --port: not a port number: '%s'\n", a->prog, argv[i]);
                exit(2);
            }
            a->port = (int)p;
        } else {
            fprintf(stderr, "%s: unknown argument '%s' (try --help)\n", a->prog, argv[i]);
            exit(2);
        }
    }
}

/* Listens on a->host:a->port and says where ("listening on H:PORT", what
 * the smoke tests wait for), or why not, on stderr. */
static inline int server_listen(const server_args *a, corio_fd **l)
{
    int rc = corio_tcp_listen(a->host, a->port, 0, l);
    if (rc < 0)
        fprintf(stderr, "%s: cannot listen on %s:%d: %s\n", a->prog, a->host, a->port,
                corio_strerror(rc));
    else
        printf("listening on %s:%d\n", a->host, corio_tcp_local_port(*l));
    return rc;
}

/* Listens on a->host:a->port and serves with serve(l, ctx) until it
 * returns. */
typedef struct server_frame {
    server_args *args;
    int (*serve)(corio_fd *l, void *ctx);
    void *ctx;
} server_frame;

static inline intptr_t server_frame_run(void *arg)
{
    server_frame *f = arg;
    corio_fd *l;
    int rc = server_listen(f->args, &l);
    if (rc < 0)
        return rc;
    rc = f->serve(l, f->ctx);
    corio_fd_close(l);
    return rc == -ECANCELED ? 0 : rc; /* a signal stopped it */
}

/* Stream examples: the root task runs the frame as a child until it returns
 * or SIGINT/SIGTERM cancels it. */
static inline intptr_t stream_example_main(void *f)
{
    corio_task *srv;
    int rc = corio_spawn(NULL, server_frame_run, f, &srv);
    if (rc < 0)
        return rc;
    corio_signal_wait_shutdown(srv);
    intptr_t r;
    corio_join(srv, &r, -1);
    return r;
}

/* Serves with serve(l, NULL); returns the exit status. */
static inline int stream_example_run(server_args *a, int (*serve)(corio_fd *l, void *ctx))
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    server_frame f = {a, serve, NULL};
    return corio_run(stream_example_main, &f) < 0 ? 1 : 0;
}

/* HTTP examples: serves app until SIGINT/SIGTERM, which stop it gracefully
 * (requests in flight get 5 s). */
static inline intptr_t http_stop_on_signal(void *app)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (corio_signal_wait(&set, -1) > 0)
        corio_http_stop(app, 5000);
    return 0;
}

static inline int http_example_serve(corio_fd *l, void *app)
{
    fflush(stdout);
    corio_task *watch;
    int rc = corio_spawn(NULL, http_stop_on_signal, app, &watch);
    if (rc == 0) {
        rc = corio_http_serve(app, l, NULL, -1);
        corio_task_cancel(watch);
        corio_task_release(watch);
    }
    return rc;
}

/* Returns the exit status. */
static inline int http_example_run(server_args *a, corio_http_app *app)
{
    server_frame f = {a, http_example_serve, app};
    intptr_t rc = corio_run(server_frame_run, &f);
    corio_http_app_free(app);
    return rc < 0 ? 1 : 0;
}

#endif
