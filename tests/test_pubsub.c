/* corio-pubsub served in-process on loopback: exact bodies and status
 * codes, stream framing (a multi-line message as several data: lines),
 * heartbeats, Last-Event-ID replay in order (and none without it), a
 * subscriber that never reads slowing no publish and no other subscriber
 * until it is dropped at its hard limit, then reconnecting with
 * Last-Event-ID to get the rest with no gap or duplicate, a soft limit
 * dropping only after its grace with memory bounded meanwhile, a limit in
 * messages (with a replay not held against it), 400/413/503, stats and the
 * page. */
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
    return corio_http_serve(f->app, f->listener, NULL, -1);
}

/* The server's default limits per subscriber, with history and max_subscribers. */
static ps_limits limits(size_t history, size_t max_subscribers)
{
    return (ps_limits){.history = history,
                       .max_subscribers = max_subscribers,
                       .hard = {.bytes = 32 << 20, .messages = 262144},
                       .soft = {.bytes = 8 << 20, .messages = 65536},
                       .soft_ms = 60000};
}

static void start(fixture *f, ps_limits lim)
{
    f->ps = (pubsub_server){.limits = lim, .heartbeat_ms = 15000};
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
    corio_join(f->task, NULL, -1);
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
    cr_assert_eq(corio_http_client_request(f->client, url, &o, &r, -1), 0);
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
    cr_assert_eq(corio_tcp_connect("127.0.0.1", f->port, &s->fd, corio_now() + 5000), 0);
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
    start(&f, limits(1000, 100));
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
             "\"dropped_hard_limit\":0,\"dropped_soft_limit\":0,\"history\":%llu,"
             "\"held_messages\":%llu,\"held_bytes\":%llu}",
             (unsigned long long)st.published, (unsigned long long)st.published,
             (unsigned long long)st.held_messages, (unsigned long long)st.held_bytes);
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
    start(&f, limits(10, 10));
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
    start(&f, limits(3, 100));
    char out[512], target[32];
    for (int i = 1; i <= 5; i++) {
        snprintf(target, sizeof target, "/?msg=m%d", i);
        cr_assert_eq(request(&f, "POST", target, NULL, 0, NULL, out, sizeof out), 200);
    }
    cr_assert_str_eq(out, "{\"delivered\":0,\"id\":5}");
    /* missed 4 and 5: replayed in order, then the live 6 */
    sub a, b, c, d;
    subscribe(&f, &a, "Last-Event-ID: 3\r\n");
    /* missed 2 to 5, but only the last 3 are kept */
    subscribe(&f, &b, "Last-Event-ID: 1\r\n");
    subscribe(&f, &c, "Last-Event-ID: 5\r\n");
    /* none: no replay, only what comes next */
    subscribe(&f, &d, NULL);
    await_subscribers(&f, 4);
    cr_assert_eq(request(&f, "POST", "/?msg=m6", NULL, 0, NULL, out, sizeof out), 200);
    cr_assert(wait_for(&a, "data: m6\n\n"));
    cr_assert(strstr(a.buf, "\r\n\r\nid: 4\ndata: m4\n\nid: 5\ndata: m5\n\nid: 6\ndata: m6\n\n"));
    cr_assert(wait_for(&b, "data: m6\n\n"));
    cr_assert(strstr(b.buf, "\r\n\r\nid: 3\ndata: m3\n\nid: 4\ndata: m4\n\nid: 5\ndata: m5\n\nid: "
                            "6\ndata: m6\n\n"));
    cr_assert(wait_for(&c, "data: m6\n\n"));
    cr_assert(strstr(c.buf, "\r\n\r\nid: 6\ndata: m6\n\n"));
    cr_assert(wait_for(&d, "data: m6\n\n"));
    cr_assert(strstr(d.buf, "\r\n\r\nid: 6\ndata: m6\n\n"));
    unsubscribe(&a);
    unsubscribe(&b);
    unsubscribe(&c);
    unsubscribe(&d);
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
    long first, last; /* events to read: ids first .. last, in order */
} reader;

/* Reads a stream counting events; ids must come first, first + 1... up to last. */
static intptr_t read_events(void *arg)
{
    reader *r = arg;
    char buf[1 << 16];
    long next = r->first, id = 0;
    int partial = 0; /* of "\nid: N\n": how far we are, as reads may split it anywhere */
    for (;;) {
        ssize_t n = corio_fd_read(r->s->fd, buf, sizeof buf, corio_now() + 10000);
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
                if (++next > r->last)
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

/* The stream of a dropped subscriber: what it had received, then the end
 * at once (a reset: the server did not leave its buffers trickling out).
 * Its events must be 1, 2, 3... with no gap; returns the last whole one. */
static uint64_t last_id_received(sub *s)
{
    s->len = 0;
    int64_t t0 = corio_now();
    cr_assert_not(wait_for(s, "\x01never"), "the stream ends");
    cr_assert_lt(corio_now() - t0, 1000);
    const char *p = strstr(s->buf, "\r\n\r\n");
    uint64_t last = 0;
    for (p = p ? p + 4 : s->buf + s->len;;) {
        const char *end = strstr(p, "\n\n");
        if (!end)
            return last;
        cr_assert_eq(strncmp(p, "id: ", 4), 0);
        cr_assert_eq(strtoull(p + 4, NULL, 10), last + 1, "no gap");
        last++;
        p = end + 2;
    }
}

static corio_task *spawn_reader(reader *r)
{
    corio_task *t;
    cr_assert_eq(corio_spawn(NULL, read_events, r, &t), 0);
    return t;
}

static void join_reader(corio_task *t, const char *who)
{
    intptr_t rc;
    corio_join(t, &rc, -1);
    corio_task_release(t);
    cr_assert_eq(rc, 0, "%s got every message in order: %s", who, corio_strerror((int)rc));
}

/* Publishes a message of len bytes; returns how long the POST took. */
static int64_t timed_publish(const fixture *f, const char *msg, size_t len)
{
    char out[512];
    int64_t t0 = corio_now();
    cr_assert_eq(request(f, "POST", "/", msg, len, NULL, out, sizeof out), 200);
    return corio_now() - t0;
}

/* The case: 5,000 publishes of 1 KiB with a subscriber that never
 * reads. No POST waits for it (the old flow control held one for 2 s),
 * the readers get everything in order, it is dropped at its hard limit,
 * and reconnecting with Last-Event-ID it gets the rest and what follows,
 * with no gap or duplicate. */
RUN(stalled)
{
    (void)arg;
    fixture f;
    long count = 5000;
    ps_limits lim = limits((size_t)count, 100);
    lim.hard.bytes =
        3
        << 20; /* the readers may lag on a loaded machine; 5,000 KiB still drops the stalled one */
    start(&f, lim);
    sub stalled, a, b;
    subscribe_stalled(&f, &stalled);
    subscribe(&f, &a, NULL);
    subscribe(&f, &b, NULL);
    await_subscribers(&f, 3);
    reader ra = {.s = &a, .first = 1, .last = count}, rb = {.s = &b, .first = 1, .last = count};
    corio_task *ta = spawn_reader(&ra), *tb = spawn_reader(&rb);
    char *msg = message(1024);
    int64_t longest = 0, t0 = corio_now();
    for (long i = 0; i < count; i++) {
        int64_t took = timed_publish(&f, msg, 1024);
        longest = took > longest ? took : longest;
    }
    int64_t all = corio_now() - t0;
    join_reader(ta, "reader a");
    join_reader(tb, "reader b");
    ps_stats st;
    ps_hub_stats(f.ps.hub, &st);
    cr_assert_eq(st.dropped_hard, 1, "the stalled one was dropped at its hard limit");
    cr_assert_eq(st.dropped_subscribers, 1, "and only it");
    cr_assert_eq(st.subscribers, 2);
    /* a loaded machine's margin; what matters is that no POST waited for the
     * subscriber (the old flow control: 2 s for one, seen as 2,003 ms) */
    cr_assert_lt(longest, 1000, "longest publish %lld ms (all %lld ms)", (long long)longest,
                 (long long)all);
    uint64_t last = last_id_received(&stalled);
    cr_assert_lt(last, (uint64_t)count, "it was dropped before the end");
    unsubscribe(&stalled);
    char header[64];
    snprintf(header, sizeof header, "Last-Event-ID: %llu\r\n", (unsigned long long)last);
    sub again;
    subscribe(&f, &again, header);
    await_subscribers(&f, 3);
    reader rr = {.s = &again, .first = (long)last + 1, .last = count + 1};
    corio_task *tr = spawn_reader(&rr);
    timed_publish(&f, msg, 1024); /* the replay goes on into the live stream */
    free(msg);
    join_reader(tr, "the reconnected one");
    unsubscribe(&again);
    unsubscribe(&a);
    unsubscribe(&b);
    stop(&f);
    return 0;
}
Test(pubsub, stalled_subscriber_slows_no_publish_dropped_at_hard_limit_reconnects_without_loss)
{
    stalled_run();
}

/* Over the soft limit a subscriber is dropped only once its grace is over,
 * and meanwhile what the hub holds stays within the history plus the hard
 * limit. */
RUN(soft)
{
    (void)arg;
    fixture f;
    size_t history = 10, hard = 4 << 20;
    int64_t grace = 300;
    ps_limits lim = limits(history, 100);
    lim.hard.bytes = hard;
    lim.soft.bytes = 256 << 10;
    lim.soft_ms = grace;
    start(&f, lim);
    sub stalled;
    subscribe_stalled(&f, &stalled);
    await_subscribers(&f, 1);
    char *msg = message(1024);
    size_t event = 1024 + 64; /* an event's bytes at most: "id: N\ndata: " and so on */
    ps_stats st = {0};
    int64_t t0 = corio_now(), longest = 0;
    for (int i = 0; i < 20000 && !st.dropped_subscribers && corio_now() - t0 < 20000; i++) {
        int64_t took = timed_publish(&f, msg, 1024);
        longest = took > longest ? took : longest;
        ps_hub_stats(f.ps.hub, &st);
        cr_assert_leq(st.held_bytes, (history + 1) * event + hard, "held %llu bytes",
                      (unsigned long long)st.held_bytes);
        corio_sleep(1);
    }
    int64_t took = corio_now() - t0;
    free(msg);
    cr_assert_eq(st.dropped_soft, 1, "dropped past its grace");
    cr_assert_eq(st.dropped_hard, 0, "before its hard limit");
    cr_assert_geq(took, grace, "not before its grace: %lld ms", (long long)took);
    cr_assert_lt(longest, 1000, "longest publish %lld ms", (long long)longest);
    cr_assert_leq(st.held_messages, history, "the dropped one's pending list was released");
    last_id_received(&stalled);
    unsubscribe(&stalled);
    stop(&f);
    return 0;
}
Test(pubsub, soft_limit_drops_after_grace_memory_bounded)
{
    soft_run();
}

/* A subscriber that takes nothing, until it is dropped (its task cancelled). */
static intptr_t idle_subscriber(void *arg)
{
    ps_sub *s;
    cr_assert_eq(ps_hub_subscribe(arg, false, 0, &s), 0);
    int rc = corio_sleep(60000);
    cr_assert(ps_sub_dropped(s));
    ps_sub_leave(s);
    return rc;
}

/* The hub alone: a replay is not held against the limits, a count of
 * messages is one (the hard limit drops at once), and what a dropped
 * subscriber held is released. */
RUN(message_limits)
{
    (void)arg;
    ps_limits lim = limits(100, 10);
    lim.hard.messages = 10;
    ps_hub *h;
    cr_assert_eq(ps_hub_new(&lim, &h), 0);
    size_t n;
    uint64_t id;
    for (int i = 0; i < 50; i++)
        cr_assert_eq(ps_hub_publish(h, "m", 1, &n, &id), 0);
    ps_sub *s;
    cr_assert_eq(ps_hub_subscribe(h, true, 0, &s), 0);
    corio_task *idle;
    cr_assert_eq(corio_spawn(NULL, idle_subscriber, h, &idle), 0);
    corio_yield();
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(ps_hub_publish(h, "m", 1, &n, &id), 0);
        cr_assert_eq(n, 2, "50 to replay and %d pending: within the limit", i + 1);
    }
    ps_msg *m;
    for (uint64_t want = 1; want <= 60; want++) {
        cr_assert_eq(ps_sub_next(s, 0, &m), 0);
        cr_assert_eq(m->id, want);
        ps_msg_release(m);
    }
    cr_assert_eq(ps_sub_next(s, 0, &m), -EAGAIN);
    cr_assert_eq(ps_hub_publish(h, "m", 1, &n, &id), 0);
    cr_assert_eq(n, 1, "the idle one, 11 pending, is dropped");
    intptr_t rc;
    corio_join(idle, &rc, -1);
    corio_task_release(idle);
    cr_assert_eq(rc, -ECANCELED);
    ps_stats st;
    ps_hub_stats(h, &st);
    cr_assert_eq(st.dropped_hard, 1);
    cr_assert_eq(st.subscribers, 1);
    cr_assert_eq(st.held_messages, 61, "the ring's");
    ps_sub_leave(s);
    ps_hub_free(h);
    return 0;
}
Test(pubsub, message_limit_drops_replay_not_held_against_it)
{
    message_limits_run();
}

RUN(errors)
{
    (void)arg;
    fixture f;
    start(&f, limits(10, 1));
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
