/* corio-pubsub's routes: streams of server-sent events, publishing, stats
 * and the browser page. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <jansson.h>

#include "json.h"
#include "page.h"
#include "server.h"

#define STREAM_BATCH     (64 * 1024) /* bytes of events gathered into one write */
#define STREAM_LINGER_MS 2           /* wait for more events before a write */
/* The kernel's send buffer per stream. Left to itself it grows to 4 MiB even
 * toward a peer that never reads: tens of thousands of events held per
 * subscriber, a stalled one noticed only once those are in, and gigabytes of
 * kernel memory for thousands of streams. Fixed, the hub's pending list is
 * where a subscriber falling behind shows (the kernel doubles this for
 * bookkeeping). */
#define STREAM_SNDBUF (256 * 1024)

static int send_error(corio_http_resp *resp, int status, const char *why)
{
    return tool_send_json(resp, status, json_pack("{s:s}", "error", why));
}

/* Last-Event-ID as a number in *id; false (replay nothing) when absent or
 * not one. */
static bool last_event_id(const corio_http_req *req, uint64_t *id)
{
    const char *v = corio_http_req_header(req, "Last-Event-ID");
    if (!v || *v < '0' || *v > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    *id = n;
    return !*end && !errno;
}

/* The subscriber's next message; in a fleet, those its replay sent already
 * (up to `sent`) are skipped. */
static int next_msg(pubsub_server *s, ps_sub *sub, const ps_sid *sent, int64_t deadline, ps_msg **m)
{
    for (;;) {
        int rc = ps_sub_next(sub, deadline, m);
        if (rc < 0 || !s->fleet || ps_sid_after(&(*m)->sid, sent))
            return rc;
        ps_msg_release(*m);
    }
}

/* Writes a fleet's replay (newest first, as XREVRANGE gives it) oldest
 * first, in writes of about STREAM_BATCH bytes; *sent becomes the newest id
 * written. */
static int send_replay(corio_http_resp *resp, const corio_redis_reply *missed, ps_sid *sent)
{
    char *batch = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (size_t i = missed->len; rc == 0 && i-- > 0;) {
        ps_sid sid;
        const char *data;
        size_t len;
        if (!ps_fleet_entry(missed->elements[i], &sid, &data, &len))
            continue;
        size_t elen = ps_encode_event(NULL, 0, &sid, data, len);
        if (n + elen + 1 > cap) {
            size_t want = (n + elen + 1) * 2;
            char *bigger = realloc(batch, want);
            if (!bigger) {
                rc = -ENOMEM;
                break;
            }
            batch = bigger;
            cap = want;
        }
        n += ps_encode_event(batch + n, 0, &sid, data, len);
        *sent = sid;
        if (n >= STREAM_BATCH || i == 0) {
            rc = corio_http_resp_write_chunk(resp, batch, n);
            n = 0;
        }
    }
    free(batch);
    return rc;
}

static int stream(corio_http_req *req, corio_http_resp *resp, pubsub_server *s)
{
    ps_sub *sub;
    uint64_t last = 0;
    ps_sid sent = {0, 0};
    const char *lei = corio_http_req_header(req, "Last-Event-ID");
    bool replay = s->fleet ? lei && ps_sid_parse(lei, &sent) : last_event_id(req, &last);
    /* In a fleet, subscribed before the replay is read: what comes meanwhile
     * waits in the hub, and what both have is skipped (next_msg). */
    int rc = ps_hub_subscribe(s->hub, replay && !s->fleet, last, &sub);
    if (rc == -EAGAIN) {
        corio_http_resp_header(resp, "Retry-After", "5");
        return send_error(resp, 503, "too many subscribers");
    }
    if (rc < 0)
        return rc;
    corio_redis_reply *missed = NULL;
    if (s->fleet && replay && (rc = ps_fleet_replay(s->fleet, &sent, &missed)) < 0) {
        ps_sub_leave(sub);
        if (rc == -ENOMEM || rc == -ECANCELED)
            return rc;
        corio_http_resp_header(resp, "Retry-After", "1");
        return send_error(resp, 503, "Redis is unavailable: no replay");
    }
    corio_fd *fd = corio_http_req_fd(req);
    int sndbuf = STREAM_SNDBUF;
    if (fd)
        setsockopt(corio_fd_fileno(fd), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    rc = corio_http_sse_start(resp);
    if (rc == 0 && missed)
        rc = send_replay(resp, missed, &sent);
    corio_redis_reply_free(missed);
    char *batch = NULL;
    size_t cap = 0;
    while (rc == 0) {
        ps_msg *m;
        rc = next_msg(s, sub, &sent, corio_now() + s->heartbeat_ms, &m);
        if (rc == -ETIMEDOUT) {
            rc = corio_http_sse_comment(resp, "heartbeat");
            continue;
        }
        if (rc < 0)
            break;
        /* everything pending goes out in one write: a stream that fell behind
         * catches up in few system calls; under a burst, lingering a moment
         * gathers more events per write (one write per event per stream does
         * not keep up with a thousand streams); big events fill a write
         * alone and go at once */
        if (m->len < STREAM_BATCH / 16 && (rc = corio_sleep(STREAM_LINGER_MS)) < 0) {
            ps_msg_release(m);
            break;
        }
        size_t n = 0;
        while (rc == 0) {
            if (n + m->len > cap) {
                size_t want = (n + m->len) * 2;
                char *bigger = realloc(batch, want);
                if (!bigger) {
                    ps_msg_release(m);
                    rc = -ENOMEM;
                    break;
                }
                batch = bigger;
                cap = want;
            }
            memcpy(batch + n, m->event, m->len);
            n += m->len;
            ps_msg_release(m);
            if (n >= STREAM_BATCH || next_msg(s, sub, &sent, 0, &m) < 0)
                break;
        }
        if (rc == 0)
            rc = corio_http_resp_write_chunk(resp, batch, n);
    }
    free(batch);
    /* a dropped subscriber's connection closes with a reset: a graceful
     * close would leave what its kernel buffers hold trickling to a peer
     * that may never read it, while a reset frees them now; the subscriber
     * loses nothing it cannot get back with Last-Event-ID */
    struct linger reset = {.l_onoff = 1, .l_linger = 0};
    if (ps_sub_dropped(sub) && fd)
        setsockopt(corio_fd_fileno(fd), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ps_sub_leave(sub);
    return rc;
}

static int root(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    const char *accept = corio_http_req_header(req, "Accept");
    if (accept && strstr(accept, "text/html") && !strstr(accept, "text/event-stream"))
        return corio_http_resp_send(resp, 200, "text/html; charset=utf-8", pubsub_page,
                                    strlen(pubsub_page));
    return stream(req, resp, arg);
}

static int is_form(const corio_http_req *req)
{
    const char *type = corio_http_req_header(req, "Content-Type");
    return type && !strncasecmp(type, "application/x-www-form-urlencoded", 33);
}

/* A fleet's publish: appended to the Redis stream, which every instance
 * reads; the answer has its id. */
static int publish_fleet(corio_http_resp *resp, pubsub_server *s, const char *msg, size_t len)
{
    ps_sid sid;
    int rc = ps_fleet_publish(s->fleet, msg, len, &sid);
    if (rc == -ENOMEM || rc == -ECANCELED)
        return rc;
    if (rc < 0) {
        corio_http_resp_header(resp, "Retry-After", "1");
        return send_error(resp, 503, "Redis is unavailable: not published");
    }
    char id[48];
    snprintf(id, sizeof id, "%llu-%llu", (unsigned long long)sid.ms, (unsigned long long)sid.seq);
    return tool_send_json(resp, 200, json_pack("{s:s}", "id", id));
}

/* The message: ?msg=, a form's msg field, or else the whole body (at most
 * PUBSUB_MAX_MESSAGE bytes: the server's max_body). */
static int publish(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    pubsub_server *s = arg;
    const char *msg = corio_http_req_query(req, "msg");
    size_t len = msg ? strlen(msg) : 0;
    char *form = NULL;
    if (!msg) {
        int rc = corio_http_req_body(req, &msg, &len);
        if (rc < 0)
            return rc; /* the server answers 413 or 400 */
        if (is_form(req) && len) {
            if (!(form = malloc(len + 1)))
                return -ENOMEM;
            /* curl -d sends any text as a form: one without a msg field is the message */
            long n = corio_url_query_get(msg, "msg", form, len + 1);
            if (n >= 0) {
                msg = form;
                len = (size_t)n;
            }
        }
    }
    int rc;
    if (len == 0)
        rc = send_error(resp, 400, "no message: POST /?msg=TEXT, or the text as the body");
    else if (memchr(msg, '\0', len))
        rc = send_error(resp, 400, "the message holds a NUL byte");
    else if (s->fleet)
        rc = publish_fleet(resp, s, msg, len);
    else {
        size_t delivered;
        uint64_t id;
        rc = ps_hub_publish(s->hub, msg, len, &delivered, &id);
        if (rc == 0)
            rc = tool_send_json(
                resp, 200,
                json_pack("{s:I,s:I}", "delivered", (json_int_t)delivered, "id", (json_int_t)id));
    }
    free(form);
    return rc;
}

static int stats(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req;
    pubsub_server *s = arg;
    ps_stats st;
    ps_hub_stats(s->hub, &st);
    if (s->fleet) {
        long long published;
        int rc = ps_fleet_published(s->fleet, &published);
        if (rc == -ENOMEM || rc == -ECANCELED)
            return rc;
        return tool_send_json(
            resp, 200,
            json_pack("{s:I,s:o,s:b,s:I,s:I}", "subscribers", (json_int_t)st.subscribers,
                      "published", rc < 0 ? json_null() : json_integer(published), "redis",
                      ps_fleet_up(s->fleet), "delivered_here", (json_int_t)st.published,
                      "dropped_subscribers", (json_int_t)st.dropped_subscribers));
    }
    return tool_send_json(
        resp, 200,
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "subscribers", (json_int_t)st.subscribers,
                  "published", (json_int_t)st.published, "dropped_subscribers",
                  (json_int_t)st.dropped_subscribers, "dropped_hard_limit",
                  (json_int_t)st.dropped_hard, "dropped_soft_limit", (json_int_t)st.dropped_soft,
                  "history", (json_int_t)st.history, "held_messages", (json_int_t)st.held_messages,
                  "held_bytes", (json_int_t)st.held_bytes));
}

static int start_hub(corio_http_app *app, void *arg)
{
    (void)app;
    pubsub_server *s = arg;
    ps_limits lim = s->limits;
    if (s->redis)
        lim.history = 0; /* the stream in Redis is the history */
    int rc = ps_hub_new(&lim, &s->hub);
    if (rc == 0 && s->redis &&
        (rc = ps_fleet_start(s->redis, s->channel, s->limits.history, s->hub, &s->fleet)) < 0) {
        fprintf(stderr, "corio-pubsub: Redis at %s: %s\n", s->redis,
                rc == -CORIO_ESERVER ? corio_redis_connect_errstr() : corio_strerror(rc));
        ps_hub_free(s->hub);
        s->hub = NULL;
    }
    return rc;
}

static int stop_hub(corio_http_app *app, void *arg)
{
    (void)app;
    pubsub_server *s = arg;
    ps_fleet_stop(s->fleet);
    s->fleet = NULL;
    ps_hub_free(s->hub);
    s->hub = NULL;
    return 0;
}

int pubsub_routes(corio_http_app *app, pubsub_server *s)
{
    /* a body over the limit gets the server's own 413 before it is read */
    corio_http_limits lim;
    corio_http_app_limits(app, &lim);
    lim.max_body = PUBSUB_MAX_MESSAGE;
    lim.max_connections = s->limits.max_subscribers + 1024; /* room for publishers */
    corio_http_app_set_limits(app, &lim);
    int rc = corio_http_on_startup(app, start_hub, s);
    rc = rc ? rc : corio_http_on_shutdown(app, stop_hub, s);
    rc = rc ? rc : corio_http_route(app, "GET", "/", root, s);
    rc = rc ? rc : corio_http_route(app, "POST", "/", publish, s);
    return rc ? rc : corio_http_route(app, "GET", "/stats", stats, s);
}
