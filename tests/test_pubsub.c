/* corio-pubsub served in-process on loopback: exact bodies and status
 * codes, stream framing (a multi-line message as several data: lines),
 * heartbeats, Last-Event-ID replay in order, a stalled subscriber dropped
 * while a healthy one gets everything, 400/413/503, stats and the page. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

#include "fdcheck.h"
#include "server.h"

TestSuite(pubsub, .init = fd_check_start, .fini = fd_check_end, .timeout = 60);

typedef struct fixture {
    pubsub_server ps;
    corio_http_app *app;
    corio_fd *listener;
    int port;
    corio_task *task;
    corio_http_client *client;
} fixture;

static intptr_t serve_task(void *arg)
{
    fixture *f = arg;
    return corio_http_serve(f->app, f->listener, NULL);
}

static void start(fixture *f, size_t history, size_t queue_limit, size_t max_subscribers)
{
    f->ps = (pubsub_server){
        .limits = {.history = history,
                   .queue_limit = queue_limit,
                   .max_subscribers = max_subscribers},
        .heartbeat_ms = 15000,
    };
    cr_assert_eq(corio_http_app_new(&f->app), 0);
    cr_assert_eq(pubsub_routes(f->app, &f->ps), 0);
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, &f->listener), 0);
    f->port = corio_tcp_local_port(f->listener);
    cr_assert_eq(corio_spawn(NULL, serve_task, f, &f->task), 0);
    cr_assert_eq(corio_http_client_new(NULL, &f->client), 0);
    corio_yield();
}

static void stop(fixture *f)
{
    corio_http_client_free(f->client);
    corio_task_cancel(f->task);
    corio_join(f->task, NULL);
    corio_fd_close(f->listener);
    corio_http_app_free(f->app);
    cr_assert_null(f->ps.hub, "the shutdown hook freed the hub");
}

/* A request through the client: the status, and the body copied to out. */
static int request(const fixture *f, const char *method, const char *target, const char *body,
                   size_t len, const char *accept, char *out, size_t cap)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", f->port, target);
    corio_http_header h = {"Accept", accept};
    corio_http_request_opts o = {.method = method,
                                 .body = body,
                                 .body_len = len,
                                 .headers = accept ? &h : NULL,
                                 .nheaders = accept ? 1 : 0};
    corio_http_response *r;
    cr_assert_eq(corio_http_client_request(f->client, url, &o, &r), 0);
    const char *b;
    corio_http_response_body(r, &b, NULL);
    snprintf(out, cap, "%s", b);
    int status = corio_http_response_status(r);
    corio_http_response_free(r);
    return status;
}

/* A raw subscriber: HTTP/1.0, so the stream is the body bytes as sent. */
typedef struct sub {
    corio_fd *fd;
    char *buf;
    size_t len, cap;
} sub;

static void subscribe(const fixture *f, sub *s, const char *extra_headers)
{
    *s = (sub){.cap = 1 << 16};
    s->buf = malloc(s->cap + 1);
    char req[256];
    snprintf(req, sizeof req, "GET / HTTP/1.0\r\nAccept: text/event-stream\r\n%s\r\n",
             extra_headers ? extra_headers : "");
    cr_assert_eq(corio_tcp_connect("127.0.0.1", f->port, corio_now() + 5000, &s->fd), 0);
    cr_assert_eq(corio_fd_write_all(s->fd, req, strlen(req), -1), 0);
}

/* Reads until needle has arrived (1) or the stream ends or 5 s pass (0). */
static int wait_for(sub *s, const char *needle)
{
    int64_t deadline = corio_now() + 5000;
    for (;;) {
        s->buf[s->len] = '\0';
        if (strstr(s->buf, needle))
            return 1;
        if (s->len == s->cap) {
            s->cap *= 2;
            s->buf = realloc(s->buf, s->cap + 1);
        }
        ssize_t n = corio_fd_read(s->fd, s->buf + s->len, s->cap - s->len, deadline);
        if (n <= 0)
            return 0;
        s->len += (size_t)n;
    }
}

static void unsubscribe(sub *s)
{
    corio_fd_close(s->fd);
    free(s->buf);
}

/* Waits until the hub counts n subscribers. */
static void await_subscribers(const fixture *f, size_t n)
{
    for (int i = 0; i < 500; i++) {
        ps_stats st;
        ps_hub_stats(f->ps.hub, &st);
        if (st.subscribers == n)
            return;
        corio_sleep(2);
    }
    cr_assert_fail("never %zu subscribers", n);
}

#define RUN(fn)                                                                                    \
    static intptr_t fn##_main(void *arg);                                                          \
    static void fn##_run(void)                                                                     \
    {                                                                                              \
        cr_assert_eq(corio_run(fn##_main, NULL), 0);                                               \
    }                                                                                              \
    static intptr_t fn##_main(void *arg)

RUN(framing)
{
    (void)arg;
    fixture f;
    start(&f, 1000, 1024, 100);
    char out[512];
    sub a, b;
    subscribe(&f, &a, NULL);
    subscribe(&f, &b, NULL);
    await_subscribers(&f, 2);
    cr_assert(wait_for(&a, "\r\n\r\n"));
    cr_assert(strstr(a.buf, " 200 OK\r\n"));
    cr_assert(strstr(a.buf, "Content-Type: text/event-stream\r\n"));
    a.len = 0;
    cr_assert_eq(request(&f, "POST", "/?msg=hello+world", NULL, 0, NULL, out, sizeof out), 200);
    cr_assert_str_eq(out, "{\"delivered\":2,\"id\":1}");
    const char *two = "first line\nsecond line\r\nthird";
    cr_assert_eq(request(&f, "POST", "/", two, strlen(two), NULL, out, sizeof out), 200);
    cr_assert_str_eq(out, "{\"delivered\":2,\"id\":2}");
    const char *want = "id: 1\ndata: hello world\n\n"
                       "id: 2\ndata: first line\ndata: second line\ndata: third\n\n";
    cr_assert(wait_for(&a, "third\n\n"));
    cr_assert_str_eq(a.buf, want);
    cr_assert(wait_for(&b, "third\n\n"));
    cr_assert(strstr(b.buf, want));
    unsubscribe(&a);
    unsubscribe(&b);
    /* a stream learns that its peer left when a write fails: the first
     * after the close still goes out (and draws a reset), a later one fails */
    ps_stats st = {.subscribers = 2};
    for (int i = 0; i < 100 && st.subscribers; i++) {
        cr_assert_eq(request(&f, "POST", "/?msg=bye", NULL, 0, NULL, out, sizeof out), 200);
        corio_sleep(5);
        ps_hub_stats(f.ps.hub, &st);
    }
    cr_assert_eq(st.subscribers, 0);
    cr_assert_eq(request(&f, "GET", "/stats", NULL, 0, NULL, out, sizeof out), 200);
    char want_stats[128];
    snprintf(want_stats, sizeof want_stats,
             "{\"subscribers\":0,\"published\":%llu,\"dropped_subscribers\":0,\"history\":%llu}",
             (unsigned long long)st.published, (unsigned long long)st.published);
    cr_assert_str_eq(out, want_stats);
    stop(&f);
    return 0;
}
Test(pubsub, stream_framing_delivered_and_stats)
{
    framing_run();
}

RUN(heartbeat)
{
    (void)arg;
    fixture f;
    start(&f, 10, 10, 10);
    f.ps.heartbeat_ms = 50;
    sub a;
    subscribe(&f, &a, NULL);
    cr_assert(wait_for(&a, "\n\n: heartbeat\n\n: heartbeat\n\n"), "two heartbeats");
    unsubscribe(&a);
    stop(&f);
    return 0;
}
Test(pubsub, heartbeat_comments)
{
    heartbeat_run();
}

RUN(replay)
{
    (void)arg;
    fixture f;
    start(&f, 3, 1024, 100);
    char out[512], target[32];
    for (int i = 1; i <= 5; i++) {
        snprintf(target, sizeof target, "/?msg=m%d", i);
        cr_assert_eq(request(&f, "POST", target, NULL, 0, NULL, out, sizeof out), 200);
    }
    cr_assert_str_eq(out, "{\"delivered\":0,\"id\":5}");
    /* missed 4 and 5: replayed in order, then the live 6 */
    sub a, b, c;
    subscribe(&f, &a, "Last-Event-ID: 3\r\n");
    /* missed 2 to 5, but only the last 3 are kept */
    subscribe(&f, &b, "Last-Event-ID: 1\r\n");
    subscribe(&f, &c, "Last-Event-ID: 5\r\n");
    await_subscribers(&f, 3);
    cr_assert_eq(request(&f, "POST", "/?msg=m6", NULL, 0, NULL, out, sizeof out), 200);
    cr_assert(wait_for(&a, "data: m6\n\n"));
    cr_assert(strstr(a.buf, "\r\n\r\nid: 4\ndata: m4\n\nid: 5\ndata: m5\n\nid: 6\ndata: m6\n\n"));
    cr_assert(wait_for(&b, "data: m6\n\n"));
    cr_assert(strstr(b.buf, "\r\n\r\nid: 3\ndata: m3\n\nid: 4\ndata: m4\n\nid: 5\ndata: m5\n\nid: "
                            "6\ndata: m6\n\n"));
    cr_assert(wait_for(&c, "data: m6\n\n"));
    cr_assert(strstr(c.buf, "\r\n\r\nid: 6\ndata: m6\n\n"));
    unsubscribe(&a);
    unsubscribe(&b);
    unsubscribe(&c);
    stop(&f);
    return 0;
}
Test(pubsub, last_event_id_replay)
{
    replay_run();
}

/* Reads a stream to its end counting events; ids must come 1, 2, 3... */
static intptr_t healthy_reader(void *arg)
{
    sub *s = arg;
    char buf[1 << 16];
    long next = 1, partial = 0;
    for (;;) {
        ssize_t n = corio_fd_read(s->fd, buf, sizeof buf, corio_now() + 10000);
        if (n <= 0)
            return n < 0 ? n : -EPIPE;
        /* "id: N\n" never straddles reads unnoticed: keep the digits seen so far */
        for (ssize_t i = 0; i < n; i++) {
            if (partial >= 0 && partial < 4) {
                partial = buf[i] == "\nid:"[partial] ? partial + 1 : (buf[i] == '\n');
            } else if (partial == 4 && buf[i] == ' ') {
                partial = 5;
                s->len = 0;
            } else if (partial == 5 && buf[i] >= '0' && buf[i] <= '9') {
                s->len = s->len * 10 + (size_t)(buf[i] - '0');
            } else if (partial == 5) {
                if ((long)s->len != next)
                    return -EPROTO;
                if (++next > 200)
                    return 0;
                partial = buf[i] == '\n';
            } else {
                partial = buf[i] == '\n';
            }
        }
    }
}

RUN(slow)
{
    (void)arg;
    fixture f;
    start(&f, 10, 64, 100);
    sub stalled, healthy;
    subscribe(&f, &stalled, NULL);
    subscribe(&f, &healthy, NULL);
    await_subscribers(&f, 2);
    corio_task *reader;
    cr_assert_eq(corio_spawn(NULL, healthy_reader, &healthy, &reader), 0);
    size_t big = 60000;
    char *msg = malloc(big);
    memset(msg, 'x', big);
    char out[512];
    for (int i = 0; i < 200; i++)
        cr_assert_eq(request(&f, "POST", "/", msg, big, NULL, out, sizeof out), 200);
    free(msg);
    intptr_t rc;
    corio_join(reader, &rc);
    corio_task_release(reader);
    cr_assert_eq(rc, 0, "the healthy subscriber got all 200 in order: %s", corio_strerror((int)rc));
    ps_stats st;
    ps_hub_stats(f.ps.hub, &st);
    cr_assert_eq(st.dropped_subscribers, 1);
    cr_assert_eq(st.subscribers, 1);
    /* the stalled one's connection was closed: reading drains to the end */
    stalled.len = 0;
    cr_assert_not(wait_for(&stalled, "never"));
    unsubscribe(&stalled);
    unsubscribe(&healthy);
    stop(&f);
    return 0;
}
Test(pubsub, stalled_subscriber_dropped_others_unaffected)
{
    slow_run();
}

RUN(errors)
{
    (void)arg;
    fixture f;
    start(&f, 10, 10, 1);
    char out[512];
    cr_assert_eq(request(&f, "POST", "/", NULL, 0, NULL, out, sizeof out), 400);
    cr_assert_str_eq(out, "{\"error\":\"no message: POST /?msg=TEXT, or the text as the body\"}");
    cr_assert_eq(request(&f, "POST", "/?msg=", NULL, 0, NULL, out, sizeof out), 400);
    size_t big = 64 * 1024 + 1;
    char *msg = malloc(big);
    memset(msg, 'x', big);
    cr_assert_eq(request(&f, "POST", "/", msg, big, NULL, out, sizeof out), 413);
    cr_assert_eq(request(&f, "POST", "/", msg, big - 1, NULL, out, sizeof out), 200);
    free(msg);
    cr_assert_str_eq(out, "{\"delivered\":0,\"id\":1}");
    sub a;
    subscribe(&f, &a, NULL);
    await_subscribers(&f, 1);
    cr_assert_eq(request(&f, "GET", "/", NULL, 0, "text/event-stream", out, sizeof out), 503);
    cr_assert_str_eq(out, "{\"error\":\"too many subscribers\"}");
    unsubscribe(&a);
    cr_assert_eq(
        request(&f, "GET", "/", NULL, 0, "text/html,application/xhtml+xml", out, sizeof out), 200);
    cr_assert(strstr(out, "<!DOCTYPE html>"));
    stop(&f);
    return 0;
}
Test(pubsub, no_message_400_oversize_413_full_503_page)
{
    errors_run();
}
