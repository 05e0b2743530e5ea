/* Serving an app on a listener: a task per connection in a nursery, the
 * connection limit, graceful stop from any thread. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corio/net.h>
#include <corio/nursery.h>
#include <corio/time.h>
#include <corio/tls.h>

#include "../base/misuse.h"
#include "../io/fd.h"
#include "conn.h"

typedef struct accepted {
    server *srv;
    corio_fd *f;
    corio_tls_ctx *tls;
} accepted;

static intptr_t connection(void *arg)
{
    accepted a = *(accepted *)arg;
    free(arg);
    server *srv = a.srv;
    corio_stream *s;
    int rc;
    srv->nconns++;
    if (a.tls) {
        char peer[48] = "";
        if (corio__log_on(CORIO_LOG_INFO)) /* before the handshake, which may close a.f */
            corio__fd_peer_name(a.f, peer, sizeof peer);
        rc = corio_tls_accept(a.tls, a.f, &s, corio_now() + srv->app->limits.header_timeout_ms);
        if (rc < 0 && rc != -ECANCELED)
            corio__log(CORIO_LOG_INFO, "http", "TLS handshake with %s failed: %s%s%s",
                       peer[0] ? peer : "a client", corio_strerror(rc),
                       corio_tls_last_error()[0] ? ": " : "", corio_tls_last_error());
    } else {
        rc = corio_stream_open(a.f, &s);
    }
    if (rc == 0)
        corio__http_conn_run(srv->app, srv, s); /* which counts it out, now or later */
    else
        corio__http_conn_gone(srv);
    return 0; /* a connection's failure is its own, not the server's */
}

void corio__http_conn_gone(server *srv)
{
    if (--srv->nconns == 0 && srv->stopping)
        corio_event_set(srv->drained);
}

/* Over the limit: a short 503 written without waiting, then close. What the
 * client sent already is read first: closing with unread bytes would make
 * the kernel answer with a reset that can overtake the 503. */
static void refuse(corio_fd *f)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                               "Retry-After: 1\r\nConnection: close\r\n\r\n";
    int fd = corio_fd_fileno(f);
    char sink[4096];
    while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
        ;
    ssize_t n = send(fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)n; /* best effort: the client learns either way */
    shutdown(fd, SHUT_WR);
    corio_fd_close(f);
}

typedef struct stop_req {
    corio_http_app *app;
    server *srv;
    int grace_ms;
} stop_req;

static void stop_on_loop(void *arg)
{
    stop_req q = *(stop_req *)arg;
    free(arg);
    /* The server may have ended since the request was sent. */
    bool live = false;
    pthread_mutex_lock(&q.app->mu);
    for (corio__list_node *n = q.app->servers.next; n != &q.app->servers; n = n->next)
        live |= n == &q.srv->link;
    pthread_mutex_unlock(&q.app->mu);
    server *srv = q.srv;
    if (!live || srv->stopping)
        return;
    srv->stopping = true;
    srv->grace_deadline = corio_now() + q.grace_ms;
    corio_scope_cancel(&srv->accept_scope);
    corio__http_close_idle(srv);
}

void corio_http_stop(corio_http_app *app, int grace_ms)
{
    pthread_mutex_lock(&app->mu);
    for (corio__list_node *n = app->servers.next; n != &app->servers; n = n->next) {
        server *srv = corio__container_of(n, server, link);
        stop_req *q = malloc(sizeof *q);
        if (!q)
            continue;
        *q = (stop_req){app, srv, grace_ms};
        if (corio_call_soon_threadsafe(srv->loop, stop_on_loop, q) < 0)
            free(q);
    }
    pthread_mutex_unlock(&app->mu);
}

size_t corio_http_app_connections(const corio_http_app *app)
{
    size_t n = 0;
    corio_loop *me = corio_loop_current();
    pthread_mutex_lock((pthread_mutex_t *)&app->mu);
    for (corio__list_node *l = app->servers.next; l != &app->servers; l = l->next) {
        server *srv = corio__container_of(l, server, link);
        if (srv->loop == me)
            n += srv->nconns;
    }
    pthread_mutex_unlock((pthread_mutex_t *)&app->mu);
    return n;
}

static int run_hooks(corio_http_app *app, hook *h)
{
    int first = 0;
    for (; h; h = h->next) {
        int rc = h->fn(app, h->arg);
        if (rc < 0 && first == 0)
            first = rc;
    }
    return first;
}

int corio_http_serve(corio_http_app *app, corio_fd *listener, corio_tls_ctx *tls, int64_t deadline)
{
    CORIO__MISUSE_IF(!app || !listener, "the app or the listener is NULL");
    int rc = run_hooks(app, app->startup);
    if (rc < 0)
        return rc;
    server srv = {.app = app, .loop = corio_loop_current(), .task = corio_current()};
    corio__list_init(&srv.conns);
    if ((rc = corio_event_new(&srv.drained)) < 0)
        return rc;
    corio_nursery *n;
    if ((rc = corio_nursery_open(&n)) < 0) {
        corio_event_free(srv.drained);
        return rc;
    }
    /* Entered after the nursery, the deadline's scope does not reach the
     * connections: past it, they stop below as on cancel. */
    if ((rc = corio_scope_enter(&srv.accept_scope, deadline, 0)) < 0) {
        corio_nursery_close(n);
        corio_event_free(srv.drained);
        return rc;
    }
    pthread_mutex_lock(&app->mu);
    corio__list_push(&app->servers, &srv.link);
    pthread_mutex_unlock(&app->mu);

    srv.nursery = n;
    corio__http_parker_init(&srv);
    for (;;) {
        corio_fd *f;
        if ((rc = corio__accept_or_wait(listener, &f, "http", &srv.starved)) < 0)
            break;
        if (srv.nconns >= app->limits.max_connections) {
            unsigned long refused = corio__log_limited(&srv.refused, CORIO_LOG_WARN);
            if (refused)
                corio__log_write(CORIO_LOG_WARN, "http",
                                 "at the connection limit (%zu, max_connections): new connections "
                                 "answered 503 (since the last report: %lu)",
                                 srv.nconns, refused);
            refuse(f);
            continue;
        }
        static const corio_spawn_opts opts = {.name = "http-conn"};
        accepted *a = malloc(sizeof *a);
        int err = a ? 0 : -ENOMEM;
        if (a) {
            *a = (accepted){&srv, f, tls}; /* a TLS handshake happens in the connection's task */
            err = corio_spawn_ex(n, connection, a, &opts, NULL);
        }
        if (err < 0) {
            corio_fd_close(f);
            free(a);
            corio__log(CORIO_LOG_WARN, "http", "dropped a new connection: %s", corio_strerror(err));
        }
    }
    bool stopped = corio_scope_exit(&srv.accept_scope) == -ECANCELED && srv.stopping;
    if (stopped) { /* requests in flight get until the grace deadline */
        if (srv.nconns)
            corio_event_wait(srv.drained, srv.grace_deadline);
        rc = 0;
    }
    corio__parker_closing(&srv.pk);
    corio_nursery_cancel(n);
    corio_nursery_close(n);
    corio__http_close_idle(&srv); /* the parked connections: the tasks have ended */
    corio__http_pool_empty(&srv.pool);
    pthread_mutex_lock(&app->mu);
    corio__list_unlink(&srv.link);
    pthread_mutex_unlock(&app->mu);
    corio_event_free(srv.drained);
    int hrc = run_hooks(app, app->shutdown);
    return rc < 0 ? rc : hrc;
}
