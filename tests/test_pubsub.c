/* corio-pubsub served in-process on loopback: exact bodies and status
 * codes, stream framing (a multi-line message as several data: lines),
 * heartbeats, Last-Event-ID replay in order, publishers held back by a slow
 * subscriber that then gets everything while a stalled one is dropped after
 * stall_ms, a full queue dropped when publishers never wait, a waiting
 * publish cancelled at shutdown, 400/413/503, stats and the page. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <corio/corio.h>

#include "fdcheck.h"
#include "run.h"
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

static void start(fixture *f, size_t history, size_t queue_limit, size_t max_subscribers,
                  int64_t stall_ms)
{
    f->ps = (pubsub_server){
        .limits = {.history = history,
                   .queue_limit = queue_limit,
                   .max_subscribers = max_subscribers,
                   .stall_ms = stall_ms},
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

RUN(framing)
{
    (void)arg;
    fixture f;
    start(&f, 1000, 1024, 100, 2000);
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
    char want_stats[256];
    snprintf(want_stats, sizeof want_stats,
             "{\"subscribers\":0,\"published\":%llu,\"dropped_subscribers\":0,"
             "\"dropped_stalled\":0,\"history\":%llu,\"publisher_waits\":0,"
             "\"publisher_wait_ms\":0}",
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
    start(&f, 10, 10, 10, 2000);
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
    start(&f, 3, 1024, 100, 2000);
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

/* A subscriber that never reads, with a receive buffer so small that the
 * server's writes to it block after a few kilobytes. */
static void subscribe_stalled(const fixture *f, sub *s)
{
    subscribe(f, s, NULL);
    int size = 4096;
    cr_assert_eq(setsockopt(corio_fd_fileno(s->fd), SOL_SOCKET, SO_RCVBUF, &size, sizeof size), 0);
}

typedef struct reader {
    sub *s;
    long count;   /* events to read: ids 1 .. count, in order */
    int pause_ms; /* sleeps before each read of... */
    size_t chunk; /* ...at most this many bytes (0: a buffer full): a slow reader */
} reader;

/* Reads a stream counting events; ids must come 1, 2, 3... up to count. */
static intptr_t read_events(void *arg)
{
    reader *r = arg;
    char buf[1 << 16];
    size_t chunk = r->chunk ? r->chunk : sizeof buf;
    long next = 1, id = 0;
    int partial = 0; /* of "\nid: N\n": how far we are, as reads may split it anywhere */
    for (;;) {
        if (r->pause_ms)
            corio_sleep(r->pause_ms);
        ssize_t n = corio_fd_read(r->s->fd, buf, chunk, corio_now() + 10000);
        if (n <= 0)
            return n < 0 ? n : -EPIPE;
        for (ssize_t i = 0; i < n; i++) {
            if (partial < 4) {
                partial = buf[i] == "\nid:"[partial] ? partial + 1 : (buf[i] == '\n');
            } else if (partial == 4 && buf[i] == ' ') {
                partial = 5;
                id = 0;
            } else if (partial == 5 && buf[i] >= '0' && buf[i] <= '9') {
                id = id * 10 + (buf[i] - '0');
            } else if (partial == 5) {
                if (id != next)
                    return -EPROTO;
                if (++next > r->count)
                    return 0;
                partial = buf[i] == '\n';
            } else {
                partial = buf[i] == '\n';
            }
        }
    }
}

static char *message(size_t len)
{
    char *msg = malloc(len);
    memset(msg, 'x', len);
    return msg;
}

/* The stalled subscriber's connection was closed (reset: the server did
 * not leave its buffers trickling out): reading ends at once. */
static void assert_disconnected(sub *s)
{
    s->len = 0;
    int64_t t0 = corio_now();
    cr_assert_not(wait_for(s, "never"));
    cr_assert_lt(corio_now() - t0, 1000);
}

RUN(backpressure)
{
    (void)arg;
    fixture f;
    int64_t stall_ms = 500;
    start(&f, 10, 16, 100, stall_ms);
    sub stalled, slow, fast;
    subscribe_stalled(&f, &stalled);
    subscribe(&f, &slow, NULL);
    subscribe(&f, &fast, NULL);
    await_subscribers(&f, 3);
    /* the slow one takes 4 KiB every 2 ms, far less than the publisher
     * sends: its queue (16) would overflow but for the publisher waiting;
     * yet it finishes each write well within stall_ms (a write completes as
     * its reader frees a third or so of the 512 KiB the kernel buffers).
     * (Not a small receive buffer: on loopback that makes the sender wait
     * for the persist timer, 200 ms and more, between window updates.) */
    long count = 400;
    reader rs = {.s = &slow, .count = count, .pause_ms = 2, .chunk = 4096};
    reader rf = {.s = &fast, .count = count};
    corio_task *slow_task, *fast_task;
    cr_assert_eq(corio_spawn(NULL, read_events, &rs, &slow_task), 0);
    cr_assert_eq(corio_spawn(NULL, read_events, &rf, &fast_task), 0);
    char *msg = message(4000);
    char out[512];
    int64_t longest = 0;
    for (long i = 0; i < count; i++) {
        int64_t t0 = corio_now();
        cr_assert_eq(request(&f, "POST", "/", msg, 4000, NULL, out, sizeof out), 200);
        if (corio_now() - t0 > longest)
            longest = corio_now() - t0;
    }
    free(msg);
    intptr_t rc;
    corio_join(slow_task, &rc);
    corio_task_release(slow_task);
    cr_assert_eq(rc, 0, "the slow subscriber got all in order: %s", corio_strerror((int)rc));
    corio_join(fast_task, &rc);
    corio_task_release(fast_task);
    cr_assert_eq(rc, 0, "the fast subscriber got all in order: %s", corio_strerror((int)rc));
    ps_stats st;
    ps_hub_stats(f.ps.hub, &st);
    cr_assert_eq(st.dropped_subscribers, 1);
    cr_assert_eq(st.dropped_stalled, 1);
    cr_assert_eq(st.subscribers, 2);
    /* the stalled one held it back once (a publish waits until it is
     * dropped); the slow one did the rest (tens of times, a few under
     * valgrind) */
    cr_assert_gt(st.publisher_waits, 1, "the slow one held the publisher back");
    /* one publish waited for the stalled subscriber until it was dropped */
    cr_assert_geq(longest, stall_ms * 3 / 4, "longest publish %lld ms", (long long)longest);
    cr_assert_lt(longest, stall_ms + 1000, "longest publish %lld ms", (long long)longest);
    assert_disconnected(&stalled);
    unsubscribe(&stalled);
    unsubscribe(&slow);
    unsubscribe(&fast);
    stop(&f);
    return 0;
}
Test(pubsub, slow_subscriber_holds_publisher_back_stalled_one_dropped)
{
    backpressure_run();
}

/* With stall_ms 0 publishers never wait: a subscriber that cannot keep up
 * overflows its queue and is dropped, the others are unaffected. */
RUN(overflow)
{
    (void)arg;
    fixture f;
    start(&f, 10, 64, 100, 0);
    sub stalled, healthy;
    subscribe_stalled(&f, &stalled);
    subscribe(&f, &healthy, NULL);
    await_subscribers(&f, 2);
    corio_task *task;
    reader r = {.s = &healthy, .count = 200};
    cr_assert_eq(corio_spawn(NULL, read_events, &r, &task), 0);
    size_t big = 60000;
    char *msg = message(big);
    char out[512];
    for (int i = 0; i < 200; i++)
        cr_assert_eq(request(&f, "POST", "/", msg, big, NULL, out, sizeof out), 200);
    free(msg);
    intptr_t rc;
    corio_join(task, &rc);
    corio_task_release(task);
    cr_assert_eq(rc, 0, "the healthy subscriber got all 200 in order: %s", corio_strerror((int)rc));
    ps_stats st;
    ps_hub_stats(f.ps.hub, &st);
    cr_assert_eq(st.dropped_subscribers, 1);
    cr_assert_eq(st.dropped_stalled, 0);
    cr_assert_eq(st.subscribers, 1);
    cr_assert_eq(st.publisher_waits, 0);
    assert_disconnected(&stalled);
    unsubscribe(&stalled);
    unsubscribe(&healthy);
    stop(&f);
    return 0;
}
Test(pubsub, full_queue_dropped_when_publishers_never_wait)
{
    overflow_run();
}

typedef struct flood {
    const fixture *f;
    uint64_t published; /* answered 200 */
} flood;

/* Publishes until a request fails: the server stopped while it waited. */
static intptr_t publish_until_cut(void *arg)
{
    flood *fl = arg;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", fl->f->port);
    char *msg = message(1000);
    corio_http_request_opts o = {.method = "POST", .body = msg, .body_len = 1000};
    for (;;) {
        corio_http_response *r;
        int rc = corio_http_client_request(fl->f->client, url, &o, &r);
        if (rc < 0) {
            free(msg);
            return rc;
        }
        fl->published += corio_http_response_status(r) == 200;
        corio_http_response_free(r);
    }
}

/* A publish waiting on a stalled subscriber ends with the server, having
 * published nothing. */
RUN(cancel_wait)
{
    (void)arg;
    fixture f;
    start(&f, 10, 4, 100, 60000);
    sub stalled;
    subscribe_stalled(&f, &stalled);
    await_subscribers(&f, 1);
    flood fl = {.f = &f};
    corio_task *task;
    cr_assert_eq(corio_spawn(NULL, publish_until_cut, &fl, &task), 0);
    /* the stalled stream's socket buffers fill, then its queue: publishes stop */
    ps_stats st = {0}, later = {0};
    for (int quiet = 0, i = 0; i < 1000 && quiet < 5; i++) {
        corio_sleep(10);
        st = later;
        ps_hub_stats(f.ps.hub, &later);
        quiet = later.published == st.published && later.publisher_waits ? quiet + 1 : 0;
    }
    cr_assert_gt(st.publisher_waits, 0, "a publish waits for the stalled subscriber");
    cr_assert_eq(later.published, st.published, "nothing published while it waits");
    cr_assert_eq(later.subscribers, 1);
    corio_task_cancel(f.task);
    corio_join(f.task, NULL);
    corio_fd_close(f.listener); /* the flood's next request is refused */
    intptr_t rc;
    corio_join(task, &rc);
    corio_task_release(task);
    cr_assert_lt(rc, 0);
    cr_assert_eq(fl.published, later.published, "the waiting publish was not published");
    corio_http_client_free(f.client);
    corio_http_app_free(f.app);
    cr_assert_null(f.ps.hub, "the shutdown hook freed the hub");
    unsubscribe(&stalled);
    return 0;
}
Test(pubsub, waiting_publish_cancelled_at_shutdown)
{
    cancel_wait_run();
}

RUN(errors)
{
    (void)arg;
    fixture f;
    start(&f, 10, 10, 1, 2000);
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
