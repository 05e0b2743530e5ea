#include "fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALL_MS        2000 /* a publish or a replay; longer means Redis is lost */
#define READ_BLOCK_MS  5000 /* XREAD BLOCK */
#define READ_COUNT     1000 /* entries per XREAD */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct ps_fleet {
    char *url, *key, *count_key;
    char maxlen[24], count[24];
    ps_hub *hub;
    corio_redis_pool *pool; /* publishing, replays, stats */
    corio_redis *reader;    /* XREAD BLOCK, the reader task's alone */
    corio_task *task;
    ps_sid last; /* the newest entry handed to the hub */
    bool up;
};

/* Appends and counts in one step, so the count is the stream's. */
static const char publish_lua[] =
    "local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'm', ARGV[2])\n"
    "redis.call('INCR', KEYS[2])\n"
    "return id\n";
static corio_redis_script publish_s;

bool ps_sid_parse(const char *s, ps_sid *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    out->ms = strtoull(s, &end, 10);
    out->seq = 0;
    if (*end == '-') {
        s = end + 1;
        if (*s < '0' || *s > '9')
            return false;
        out->seq = strtoull(s, &end, 10);
    }
    return !*end && !errno;
}

bool ps_sid_after(const ps_sid *a, const ps_sid *b)
{
    return a->ms > b->ms || (a->ms == b->ms && a->seq > b->seq);
}

static void sid_format(const ps_sid *sid, char *out, size_t size)
{
    snprintf(out, size, "%llu-%llu", (unsigned long long)sid->ms, (unsigned long long)sid->seq);
}

bool ps_fleet_entry(const corio_redis_reply *e, ps_sid *sid, const char **data, size_t *len)
{
    if (e->type != CORIO_REDIS_ARRAY || e->len != 2 || e->elements[0]->type != CORIO_REDIS_STRING ||
        !ps_sid_parse(e->elements[0]->str, sid))
        return false;
    const corio_redis_reply *fields = e->elements[1];
    if (fields->type != CORIO_REDIS_ARRAY || fields->len != 2 ||
        fields->elements[1]->type != CORIO_REDIS_STRING)
        return false;
    *data = fields->elements[1]->str;
    *len = fields->elements[1]->len;
    return true;
}

/* Hands XREAD's entries to the hub. */
static void deliver(ps_fleet *f, const corio_redis_reply *r)
{
    if (r->type != CORIO_REDIS_ARRAY || r->len != 1 || r->elements[0]->type != CORIO_REDIS_ARRAY ||
        r->elements[0]->len != 2)
        return;
    const corio_redis_reply *entries = r->elements[0]->elements[1];
    for (size_t i = 0; entries->type == CORIO_REDIS_ARRAY && i < entries->len; i++) {
        ps_sid sid;
        const char *data;
        size_t len, n;
        uint64_t id;
        if (!ps_fleet_entry(entries->elements[i], &sid, &data, &len) ||
            !ps_sid_after(&sid, &f->last))
            continue;
        /* Out of memory: the message is lost here, as a publish would be. */
        ps_hub_publish_sid(f->hub, data, len, &sid, &n, &id);
        f->last = sid;
    }
}

static intptr_t reader(void *arg)
{
    ps_fleet *f = arg;
    int64_t wait = BACKOFF_MIN_MS;
    for (;;) {
        int rc = 0;
        if (!f->reader)
            rc = corio_redis_connect(f->url, NULL, &f->reader, corio_now() + CALL_MS);
        if (rc == 0) {
            char last[48];
            corio_redis_reply *r;
            sid_format(&f->last, last, sizeof last);
            rc = corio_redis_command(f->reader, &r, corio_now() + READ_BLOCK_MS + CALL_MS,
                                     "XREAD COUNT %d BLOCK %d STREAMS %s %s", READ_COUNT,
                                     READ_BLOCK_MS, f->key, last);
            if (rc == 0) {
                f->up = true;
                wait = BACKOFF_MIN_MS;
                deliver(f, r);
            }
            corio_redis_reply_free(r);
        }
        if (rc == -ECANCELED)
            return 0;
        if (rc == 0)
            continue;
        f->up = false;
        if (f->reader && corio_redis_broken(f->reader)) {
            corio_redis_close(f->reader);
            f->reader = NULL;
        }
        if (corio_sleep(wait) < 0)
            return 0;
        wait = wait * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wait * 2;
    }
}

static int call(ps_fleet *f, const corio_redis_script *s, int argc, const char **argv,
                const size_t *lens, corio_redis_reply **out)
{
    corio_redis *c;
    *out = NULL;
    int rc = corio_redis_pool_acquire(f->pool, &c, corio_now() + CALL_MS);
    if (rc < 0)
        return rc;
    rc = s ? corio_redis_eval(c, s, 2, argc, argv, lens, out, corio_now() + CALL_MS)
           : corio_redis_argv(c, argc, argv, lens, out, corio_now() + CALL_MS);
    corio_redis_pool_release(f->pool, c);
    if (rc == -CORIO_ESERVER) {
        corio_redis_reply_free(*out);
        *out = NULL;
    }
    return rc;
}

static char *joined(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

int ps_fleet_start(const char *url, const char *channel, size_t history, ps_hub *hub,
                   ps_fleet **out)
{
    corio_redis_script_init(&publish_s, publish_lua);
    ps_fleet *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->hub = hub;
    snprintf(f->maxlen, sizeof f->maxlen, "%zu", history ? history : 1);
    snprintf(f->count, sizeof f->count, "%zu", history);
    int rc = (f->url = strdup(url)) && (f->key = joined("corio-pubsub:", channel)) &&
                     (f->count_key = joined(f->key, ":published"))
                 ? 0
                 : -ENOMEM;
    rc = rc ? rc : corio_redis_pool_new(url, NULL, 64, &f->pool);
    rc = rc ? rc : corio_redis_connect(url, NULL, &f->reader, corio_now() + CALL_MS);
    corio_redis_reply *r = NULL;
    /* From the newest entry on: the older ones are replays' business. */
    if (rc == 0)
        rc = corio_redis_command(f->reader, &r, corio_now() + CALL_MS, "XREVRANGE %s + - COUNT 1",
                                 f->key);
    const char *data;
    size_t len;
    if (rc == 0 && r->type == CORIO_REDIS_ARRAY && r->len == 1)
        ps_fleet_entry(r->elements[0], &f->last, &data, &len);
    corio_redis_reply_free(r);
    f->up = rc == 0;
    rc = rc ? rc : corio_spawn(NULL, reader, f, &f->task);
    if (rc < 0) {
        ps_fleet_stop(f);
        return rc;
    }
    *out = f;
    return 0;
}

void ps_fleet_stop(ps_fleet *f)
{
    if (!f)
        return;
    if (f->task) {
        corio_task_cancel(f->task);
        corio_join(f->task, NULL, -1);
    }
    if (f->reader)
        corio_redis_close(f->reader);
    if (f->pool)
        corio_redis_pool_free(f->pool);
    free(f->url);
    free(f->key);
    free(f->count_key);
    free(f);
}

int ps_fleet_publish(ps_fleet *f, const char *data, size_t len, ps_sid *sid)
{
    const char *argv[] = {f->key, f->count_key, f->maxlen, data};
    size_t lens[] = {strlen(f->key), strlen(f->count_key), strlen(f->maxlen), len};
    corio_redis_reply *r;
    int rc = call(f, &publish_s, 4, argv, lens, &r);
    if (rc == 0 && (r->type != CORIO_REDIS_STRING || !ps_sid_parse(r->str, sid)))
        rc = -EBADMSG;
    corio_redis_reply_free(r);
    return rc;
}

int ps_fleet_replay(ps_fleet *f, const ps_sid *after, corio_redis_reply **out)
{
    char start[56];
    start[0] = '('; /* exclusive */
    sid_format(after, start + 1, sizeof start - 1);
    /* The newest --history of them: one that fell further behind loses the
     * oldest, as with a single instance's history. */
    const char *argv[] = {"XREVRANGE", f->key, "+", start, "COUNT", f->count};
    int rc = call(f, NULL, 6, argv, NULL, out);
    if (rc == 0 && (*out)->type != CORIO_REDIS_ARRAY) {
        corio_redis_reply_free(*out);
        *out = NULL;
        rc = -EBADMSG;
    }
    return rc;
}

int ps_fleet_published(ps_fleet *f, long long *n)
{
    const char *argv[] = {"GET", f->count_key};
    corio_redis_reply *r;
    int rc = call(f, NULL, 2, argv, NULL, &r);
    if (rc == 0)
        *n = r->type == CORIO_REDIS_STRING ? atoll(r->str) : 0;
    corio_redis_reply_free(r);
    return rc;
}

bool ps_fleet_up(const ps_fleet *f)
{
    return f->up;
}
