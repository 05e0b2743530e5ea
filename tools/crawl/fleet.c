#include "fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CALL_MS 5000 /* one command's deadline: longer means Redis is lost */

/* The job's keys, in this order. */
enum {
    K_QUEUE,
    K_SEEN,
    K_LEASES,
    K_OWNER,
    K_STARTED,
    K_DONE,
    K_FAILED,
    K_SKIPPED,
    K_ROBOTS,
    NKEYS
};
static const char *const key_names[NKEYS] = {
    "queue", "seen", "leases", "owner", "started", "done", "failed", "skipped", "robots",
};

struct fleet {
    corio_redis_pool *pool;
    char *keys[NKEYS];
    char me[80]; /* this process, as the owner of its leases */
    char lease[24], budget[24];
    int64_t lease_ms;
};

/* Entries of the queue and the leases are "DEPTH URL". Expired leases go
 * back to the front of the queue; a URL leased for the first time is
 * charged to the budget (the set of URLs ever started), so a re-leased one
 * is not charged twice and the budget is never overspent. Time is Redis's,
 * so the workers' clocks do not matter. */
static const char take_lua[] =
    "local t = redis.call('TIME')\n"
    "local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
    "for _, e in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 64)) do\n"
    "  redis.call('ZREM', KEYS[3], e); redis.call('HDEL', KEYS[4], e)\n"
    "  redis.call('LPUSH', KEYS[1], e)\n"
    "end\n"
    "local e = redis.call('LPOP', KEYS[1])\n"
    "if not e then return {redis.call('ZCARD', KEYS[3]) > 0 and 2 or 3, ''} end\n"
    "local url = string.sub(e, string.find(e, ' ') + 1)\n"
    "if redis.call('SISMEMBER', KEYS[5], url) == 0 then\n"
    "  if redis.call('SCARD', KEYS[5]) >= tonumber(ARGV[3]) then\n"
    "    redis.call('LPUSH', KEYS[1], e); return {4, ''}\n"
    "  end\n"
    "  redis.call('SADD', KEYS[5], url)\n"
    "end\n"
    "redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), e)\n"
    "redis.call('HSET', KEYS[4], e, ARGV[1])\n"
    "return {1, e}\n";

/* A lease that ran out and went back to the queue but was not taken again
 * is taken back from the queue: the page is written already. */
static const char complete_lua[] =
    "if redis.call('HGET', KEYS[4], ARGV[2]) == ARGV[1] then\n"
    "  redis.call('ZREM', KEYS[3], ARGV[2]); redis.call('HDEL', KEYS[4], ARGV[2])\n"
    "elseif redis.call('LREM', KEYS[1], 1, ARGV[2]) == 0 then\n"
    "  return 0\n"
    "end\n"
    "redis.call('INCR', KEYS[tonumber(ARGV[3])])\n"
    "return 1\n";

/* ARGV: the depth, then the URLs. */
static const char add_lua[] =
    "local n = 0\n"
    "for i = 2, #ARGV do\n"
    "  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then\n"
    "    redis.call('RPUSH', KEYS[1], ARGV[1] .. ' ' .. ARGV[i]); n = n + 1\n"
    "  end\n"
    "end\n"
    "return n\n";

static const char status_lua[] =
    "return {redis.call('LLEN', KEYS[1]), redis.call('ZCARD', KEYS[3]),\n"
    "  tonumber(redis.call('GET', KEYS[6]) or 0), tonumber(redis.call('GET', KEYS[7]) or 0),\n"
    "  tonumber(redis.call('GET', KEYS[8]) or 0), redis.call('SCARD', KEYS[2]),\n"
    "  redis.call('SCARD', KEYS[5])}\n";

static corio_redis_script take_s, complete_s, add_s, status_s;

/* A failure that a new connection may cure. */
static bool lost(int rc)
{
    return rc < 0 && rc != -CORIO_ESERVER && rc != -ECANCELED && rc != -ENOMEM && rc != -EINVAL &&
           rc != -EBADMSG;
}

/* Runs a script (s) or a command (s NULL) on a pooled connection, retrying
 * a lost Redis with backoff (100 ms doubling to 2 s) for a lease's time. */
static int call(fleet *f, const corio_redis_script *s, int nkeys, int argc, const char **argv,
                corio_redis_reply **out)
{
    int64_t give_up = 0, wait = 100;
    for (;;) {
        corio_redis *c;
        *out = NULL;
        int rc = corio_redis_pool_acquire(f->pool, &c, corio_now() + CALL_MS);
        if (rc == 0) {
            int64_t deadline = corio_now() + CALL_MS;
            rc = s ? corio_redis_eval(c, s, nkeys, argc, argv, NULL, out, deadline)
                   : corio_redis_argv(c, argc, argv, NULL, out, deadline);
            corio_redis_pool_release(f->pool, c);
        }
        if (rc == -CORIO_ESERVER) {
            corio_redis_reply_free(*out);
            *out = NULL;
        }
        if (!lost(rc))
            return rc;
        int64_t now = corio_now();
        if (!give_up)
            give_up = now + f->lease_ms;
        if (now >= give_up)
            return rc;
        int slept = corio_sleep(wait);
        if (slept < 0)
            return slept;
        wait = wait * 2 > 2000 ? 2000 : wait * 2;
    }
}

/* Runs a script with all the job's keys first, then argc arguments. */
static int script(fleet *f, const corio_redis_script *s, int argc, const char **args,
                  corio_redis_reply **out)
{
    const char *argv[NKEYS + 8];
    if (argc > 8)
        return -EINVAL;
    memcpy(argv, f->keys, sizeof f->keys);
    if (argc > 0) /* args may be NULL then, and memcpy must not see it */
        memcpy(argv + NKEYS, args, (size_t)argc * sizeof *args);
    return call(f, s, NKEYS, NKEYS + argc, argv, out);
}

int fleet_open(const char *url, const char *job, int64_t lease_ms, long max_pages, fleet **out)
{
    corio_redis_script_init(&take_s, take_lua);
    corio_redis_script_init(&complete_s, complete_lua);
    corio_redis_script_init(&add_s, add_lua);
    corio_redis_script_init(&status_s, status_lua);
    fleet *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(f->me, sizeof f->me, "%s:%ld:%lld", host, (long)getpid(), (long long)corio_now());
    f->lease_ms = lease_ms;
    snprintf(f->lease, sizeof f->lease, "%lld", (long long)lease_ms);
    snprintf(f->budget, sizeof f->budget, "%ld", max_pages);
    int rc = 0;
    for (int i = 0; i < NKEYS && rc == 0; i++) {
        size_t len = strlen(job) + strlen(key_names[i]) + sizeof "corio-crawl::";
        if (!(f->keys[i] = malloc(len)))
            rc = -ENOMEM;
        else
            snprintf(f->keys[i], len, "corio-crawl:%s:%s", job, key_names[i]);
    }
    rc = rc ? rc : corio_redis_pool_new(url, NULL, 64, &f->pool);
    const char *ping[] = {"PING"};
    corio_redis_reply *r = NULL;
    rc = rc ? rc : call(f, NULL, 0, 1, ping, &r);
    corio_redis_reply_free(r);
    if (rc < 0) {
        fleet_close(f);
        return rc;
    }
    *out = f;
    return 0;
}

void fleet_close(fleet *f)
{
    if (!f)
        return;
    if (f->pool)
        corio_redis_pool_free(f->pool);
    for (int i = 0; i < NKEYS; i++)
        free(f->keys[i]);
    free(f);
}

int fleet_add(fleet *f, const char *const *urls, size_t n, int depth)
{
    if (n == 0)
        return 0;
    const char **argv = malloc((NKEYS + 1 + n) * sizeof *argv);
    if (!argv)
        return -ENOMEM;
    char d[16];
    snprintf(d, sizeof d, "%d", depth);
    memcpy(argv, f->keys, sizeof f->keys);
    argv[NKEYS] = d;
    memcpy(argv + NKEYS + 1, urls, n * sizeof *urls);
    corio_redis_reply *r;
    int rc = call(f, &add_s, NKEYS, (int)(NKEYS + 1 + n), argv, &r);
    free(argv);
    corio_redis_reply_free(r);
    return rc;
}

int fleet_mark_seen(fleet *f, const char *url)
{
    const char *argv[] = {"SADD", f->keys[K_SEEN], url};
    corio_redis_reply *r;
    int rc = call(f, NULL, 0, 3, argv, &r);
    if (rc == 0)
        rc = r->type == CORIO_REDIS_INTEGER ? r->integer == 1 : -EBADMSG;
    corio_redis_reply_free(r);
    return rc;
}

int fleet_take(fleet *f, int *depth, char **url)
{
    const char *args[] = {f->me, f->lease, f->budget};
    corio_redis_reply *r;
    int rc = script(f, &take_s, 3, args, &r);
    if (rc < 0)
        return rc;
    char *sp;
    if (r->type != CORIO_REDIS_ARRAY || r->len != 2 ||
        r->elements[0]->type != CORIO_REDIS_INTEGER) {
        rc = -EBADMSG;
    } else if ((rc = (int)r->elements[0]->integer) == FLEET_TAKEN) {
        const char *e = r->elements[1]->str;
        if (!e || !(sp = strchr(e, ' ')))
            rc = -EBADMSG;
        else if (!(*url = strdup(sp + 1)))
            rc = -ENOMEM;
        else
            *depth = atoi(e);
    }
    corio_redis_reply_free(r);
    return rc;
}

int fleet_complete(fleet *f, int depth, const char *url, fleet_outcome how)
{
    size_t len = strlen(url) + 16;
    char *entry = malloc(len);
    if (!entry)
        return -ENOMEM;
    snprintf(entry, len, "%d %s", depth, url);
    /* The counter's key, as a 1-based index into KEYS. */
    const char *counter = how == FLEET_OK ? "6" : how == FLEET_FAILED ? "7" : "8";
    const char *args[] = {f->me, entry, counter};
    corio_redis_reply *r;
    int rc = script(f, &complete_s, 3, args, &r);
    corio_redis_reply_free(r);
    free(entry);
    return rc;
}

int fleet_robots_get(fleet *f, const char *origin, char **val, size_t *len)
{
    const char *argv[] = {"HGET", f->keys[K_ROBOTS], origin};
    corio_redis_reply *r;
    int rc = call(f, NULL, 0, 3, argv, &r);
    if (rc == 0 && r->type == CORIO_REDIS_NIL) {
        rc = -ENOENT;
    } else if (rc == 0 && r->type != CORIO_REDIS_STRING) {
        rc = -EBADMSG;
    } else if (rc == 0 && !(*val = malloc(r->len + 1))) {
        rc = -ENOMEM;
    } else if (rc == 0) {
        memcpy(*val, r->str, r->len + 1);
        *len = r->len;
    }
    corio_redis_reply_free(r);
    return rc;
}

int fleet_robots_put(fleet *f, const char *origin, const char *val, size_t len)
{
    const char *argv[] = {"HSETNX", f->keys[K_ROBOTS], origin, val};
    size_t lens[] = {6, strlen(f->keys[K_ROBOTS]), strlen(origin), len};
    corio_redis_reply *r = NULL;
    corio_redis *c;
    /* Best effort: the answer is also the caller's; another worker that
     * misses it fetches robots.txt again. */
    int rc = corio_redis_pool_acquire(f->pool, &c, corio_now() + CALL_MS);
    if (rc == 0) {
        rc = corio_redis_argv(c, 4, argv, lens, &r, corio_now() + CALL_MS);
        corio_redis_pool_release(f->pool, c);
    }
    corio_redis_reply_free(r);
    return rc == -ECANCELED || rc == -ENOMEM ? rc : 0;
}

int fleet_status(fleet *f, char **json)
{
    corio_redis_reply *r;
    int rc = script(f, &status_s, 0, NULL, &r);
    if (rc < 0)
        return rc;
    long long v[7];
    if (r->type != CORIO_REDIS_ARRAY || r->len != 7)
        rc = -EBADMSG;
    for (size_t i = 0; rc == 0 && i < 7; i++) {
        if (r->elements[i]->type != CORIO_REDIS_INTEGER)
            rc = -EBADMSG;
        else
            v[i] = r->elements[i]->integer;
    }
    corio_redis_reply_free(r);
    if (rc == 0 && !(*json = malloc(256)))
        rc = -ENOMEM;
    if (rc == 0)
        snprintf(*json, 256,
                 "{\"queued\":%lld,\"leased\":%lld,\"done\":%lld,\"failed\":%lld,"
                 "\"skipped\":%lld,\"seen\":%lld,\"started\":%lld}",
                 v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    return rc;
}

int fleet_reset(fleet *f)
{
    const char *argv[NKEYS + 1] = {"DEL"};
    memcpy(argv + 1, f->keys, sizeof f->keys);
    corio_redis_reply *r;
    int rc = call(f, NULL, 0, NKEYS + 1, argv, &r);
    corio_redis_reply_free(r);
    return rc;
}
