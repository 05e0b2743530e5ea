/* A complete HTTP server on corio, as a program outside this repository
 * would write it (docs/install.md): three routes, and a graceful stop on
 * SIGINT or SIGTERM that stops accepting, lets requests in flight finish
 * for up to five seconds, then exits 0.
 *
 *   cc -std=c11 http_server.c $(pkg-config --cflags --libs corio) -o http_server
 *   ./http_server 8080        (port 0: any free port; it prints the one it got)
 *   curl localhost:8080/hello/you
 */
#define _POSIX_C_SOURCE 200809L /* sigset_t and sigprocmask under -std=c11 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <corio/corio.h>

#define GRACE_MS 5000

static int hello(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    char text[128];
    snprintf(text, sizeof text, "hello, %s\n", corio_http_req_param(req, "name"));
    return corio_http_resp_text(resp, 200, text);
}

/* POST /echo: the request body back. */
static int echo(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    const char *body;
    size_t len;
    int rc = corio_http_req_body(req, &body, &len);
    if (rc < 0)
        return rc; /* the client went away, or sent more than the body limit */
    return corio_http_resp_send(resp, 200, "application/octet-stream", body, len);
}

/* A second's work: a request in flight when the signal comes still gets its
 * answer. Blocking here parks this request's task only. */
static int slow(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    printf("slow: started\n");
    fflush(stdout);
    int rc = corio_sleep(1000);
    if (rc < 0)
        return rc; /* cancelled: the grace period ran out */
    return corio_http_resp_text(resp, 200, "done\n");
}

/* Waits for SIGINT or SIGTERM, then stops the server gracefully. */
static intptr_t stop_on_signal(void *app)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = corio_signal_wait(&set, -1);
    if (sig > 0) {
        printf("signal %d: stopping\n", sig);
        fflush(stdout);
        corio_http_stop(app, GRACE_MS);
    }
    return 0;
}

typedef struct server {
    corio_http_app *app;
    int port;
} server;

static intptr_t serve(void *arg)
{
    server *s = arg;
    corio_fd *listener;
    int rc = corio_tcp_listen("127.0.0.1", s->port, 0, &listener);
    if (rc < 0) {
        fprintf(stderr, "http_server: port %d: %s\n", s->port, corio_strerror(rc));
        return rc;
    }
    printf("listening on http://127.0.0.1:%d\n", corio_tcp_local_port(listener));
    fflush(stdout);
    corio_task *watcher;
    rc = corio_spawn(NULL, stop_on_signal, s->app, &watcher);
    if (rc == 0) {
        rc = corio_http_serve(s->app, listener, NULL, -1); /* until stopped */
        corio_task_cancel(watcher);                        /* a no-op once it has seen the signal */
        corio_task_release(watcher);
    }
    corio_fd_close(listener);
    return rc;
}

int main(int argc, char **argv)
{
    server s = {NULL, argc > 1 ? atoi(argv[1]) : 8080};
    /* Blocked before the loop starts any thread (the thread pool's), so that
     * they all inherit the mask and the signals wait for stop_on_signal. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);

    if (corio_http_app_new(&s.app) < 0)
        return 1;
    if (corio_http_route(s.app, "GET", "/hello/{name}", hello, NULL) < 0 ||
        corio_http_route(s.app, "POST", "/echo", echo, NULL) < 0 ||
        corio_http_route(s.app, "GET", "/slow", slow, NULL) < 0) {
        corio_http_app_free(s.app);
        return 1;
    }
    intptr_t rc = corio_run(serve, &s);
    corio_http_app_free(s.app);
    if (rc < 0 && rc != -ECANCELED)
        fprintf(stderr, "http_server: %s\n", corio_strerror(rc));
    return rc < 0 ? 1 : 0;
}
