/* Pub/sub: a subscriber reads its own connection in corio_redis_sub_get and
 * remakes it, with backoff and its subscriptions, when it is lost. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include <corio/cancel.h>
#include <corio/error.h>
#include <corio/time.h>

#include "../base/misuse.h"
#include "redis_int.h"

#define BACKOFF_FIRST 100
#define BACKOFF_MAX   5000

typedef struct names {
    char **v;
    size_t n, cap;
} names;

struct corio_redis_sub {
    char *url;
    corio_redis_opts opts;
    corio_redis *c;           /* NULL while the connection is lost */
    names channels, patterns; /* to subscribe to again */
    corio_redis_reply *cur;   /* what the last message points into */
    int lost;                 /* why the connection went, until reported */
    int64_t backoff;
};

static int names_add(names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0)
            return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    if (!(s->v[s->n] = strdup(name)))
        return -ENOMEM;
    s->n++;
    return 0;
}

static void names_remove(names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!name || strcmp(s->v[i], name) == 0) {
            free(s->v[i]);
            s->v[i--] = s->v[--s->n];
        }
}

static void names_free(names *s)
{
    names_remove(s, NULL);
    free(s->v);
}

/* Sends verb with names (all of s, or the one name). */
static int send_names(corio_redis *c, const char *verb, char *const *v, size_t n)
{
    const char **av = malloc((n + 1) * sizeof *av);
    if (!av)
        return -ENOMEM;
    av[0] = verb;
    memcpy(av + 1, v, n * sizeof *v);
    char *cmd;
    int len = redisFormatCommandArgv(&cmd, (int)n + 1, av, NULL);
    free(av);
    if (len < 0)
        return -ENOMEM;
    int rc = corio__redis_write(c, cmd, (size_t)len);
    redisFreeCommand(cmd);
    return rc;
}

static void drop(corio_redis_sub *s, int err)
{
    corio_redis_close(s->c);
    s->c = NULL;
    s->lost = err;
}

static int resubscribe(corio_redis_sub *s)
{
    int rc = 0;
    if (s->channels.n)
        rc = send_names(s->c, "SUBSCRIBE", s->channels.v, s->channels.n);
    if (rc == 0 && s->patterns.n)
        rc = send_names(s->c, "PSUBSCRIBE", s->patterns.v, s->patterns.n);
    return rc;
}

/* Connects again, waiting between attempts, within the deadline. */
static int reconnect(corio_redis_sub *s, int64_t deadline)
{
    for (;;) {
        int rc = corio_redis_connect(s->url, &s->opts, &s->c, deadline);
        if (rc == 0 && (rc = resubscribe(s)) == 0) {
            s->backoff = BACKOFF_FIRST;
            return 0;
        }
        if (s->c)
            drop(s, s->lost);
        if (rc == -ECANCELED || rc == -ETIMEDOUT || rc == -ENOMEM || rc == -EPERM)
            return rc;
        int64_t wait = s->backoff;
        if (deadline >= 0 && corio_now() + wait >= deadline)
            wait = deadline - corio_now();
        if (wait <= 0)
            return -ETIMEDOUT;
        if ((rc = corio_sleep(wait)) < 0)
            return rc;
        s->backoff = s->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : s->backoff * 2;
    }
}

int corio_redis_sub_open(const char *url, const corio_redis_opts *opts, corio_redis_sub **out,
                         int64_t deadline)
{
    static const corio_redis_opts defaults;
    CORIO__MISUSE_IF(!out, "out is NULL");
    *out = NULL;
    if (!url)
        return -EINVAL; /* as corio_redis_connect */
    corio_redis_sub *s = calloc(1, sizeof *s);
    if (!s || !(s->url = strdup(url))) {
        free(s);
        return -ENOMEM;
    }
    s->opts = opts ? *opts : defaults;
    s->opts.ca_file = NULL;
    if (opts && opts->ca_file && !(s->opts.ca_file = strdup(opts->ca_file))) {
        corio_redis_sub_close(s);
        return -ENOMEM;
    }
    s->backoff = BACKOFF_FIRST;
    int rc = corio_redis_connect(url, &s->opts, &s->c, deadline);
    if (rc < 0) {
        corio_redis_sub_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void corio_redis_sub_close(corio_redis_sub *s)
{
    if (!s)
        return;
    corio_redis_close(s->c);
    corio_redis_reply_free(s->cur);
    names_free(&s->channels);
    names_free(&s->patterns);
    free((char *)s->opts.ca_file);
    free(s->url);
    free(s);
}

static int change(corio_redis_sub *s, names *set, bool add, const char *verb, const char *name,
                  int64_t deadline)
{
    int rc = corio_checkpoint();
    if (rc == 0)
        rc = corio__redis_deadline_check(deadline);
    if (rc < 0)
        return rc;
    if (add && (rc = names_add(set, name)) < 0)
        return rc;
    if (!add)
        names_remove(set, name);
    if (!s->c)
        return 0; /* the reconnection subscribes */
    char *one = (char *)name;
    rc = send_names(s->c, verb, &one, name ? 1 : 0);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0)
        drop(s, rc);
    return 0;
}

int corio_redis_subscribe(corio_redis_sub *s, const char *channel, int64_t deadline)
{
    CORIO__MISUSE_IF(!s, "the subscriber is NULL");
    return channel ? change(s, &s->channels, true, "SUBSCRIBE", channel, deadline) : -EINVAL;
}

int corio_redis_psubscribe(corio_redis_sub *s, const char *pattern, int64_t deadline)
{
    CORIO__MISUSE_IF(!s, "the subscriber is NULL");
    return pattern ? change(s, &s->patterns, true, "PSUBSCRIBE", pattern, deadline) : -EINVAL;
}

int corio_redis_unsubscribe(corio_redis_sub *s, const char *channel, int64_t deadline)
{
    CORIO__MISUSE_IF(!s, "the subscriber is NULL");
    return change(s, &s->channels, false, "UNSUBSCRIBE", channel, deadline);
}

int corio_redis_punsubscribe(corio_redis_sub *s, const char *pattern, int64_t deadline)
{
    CORIO__MISUSE_IF(!s, "the subscriber is NULL");
    return change(s, &s->patterns, false, "PUNSUBSCRIBE", pattern, deadline);
}

static bool is(const corio_redis_reply *r, const char *word)
{
    return r->type == CORIO_REDIS_STRING && strcmp(r->str, word) == 0;
}

static const char *str_of(const corio_redis_reply *r, size_t *len)
{
    bool s = r->type == CORIO_REDIS_STRING;
    if (len)
        *len = s ? r->len : 0;
    return s ? r->str : NULL;
}

/* Fills msg from a push reply: true if it is one a subscriber hears of. */
static bool parse(const corio_redis_reply *r, corio_redis_msg *msg)
{
    memset(msg, 0, sizeof *msg);
    if (r->type != CORIO_REDIS_ARRAY || r->len < 3 || r->elements[0]->type != CORIO_REDIS_STRING)
        return false;
    corio_redis_reply *const *e = r->elements;
    if (is(e[0], "message")) {
        msg->kind = CORIO_REDIS_MSG_MESSAGE;
        msg->channel = str_of(e[1], &msg->channel_len);
        msg->data = str_of(e[2], &msg->data_len);
        return true;
    }
    if (is(e[0], "pmessage") && r->len == 4) {
        msg->kind = CORIO_REDIS_MSG_PMESSAGE;
        msg->pattern = str_of(e[1], NULL);
        msg->channel = str_of(e[2], &msg->channel_len);
        msg->data = str_of(e[3], &msg->data_len);
        return true;
    }
    bool pat = is(e[0], "psubscribe") || is(e[0], "punsubscribe");
    if (pat || is(e[0], "subscribe") || is(e[0], "unsubscribe")) {
        msg->kind = e[0]->str[pat] == 's' ? CORIO_REDIS_MSG_SUBSCRIBE : CORIO_REDIS_MSG_UNSUBSCRIBE;
        *(pat ? &msg->pattern : &msg->channel) = str_of(e[1], pat ? NULL : &msg->channel_len);
        msg->count = e[2]->type == CORIO_REDIS_INTEGER ? e[2]->integer : 0;
        return true;
    }
    return false;
}

int corio_redis_sub_get(corio_redis_sub *s, corio_redis_msg *msg, int64_t deadline)
{
    CORIO__MISUSE_IF(!s || !msg, "the subscriber or msg is NULL");
    corio_redis_reply_free(s->cur);
    s->cur = NULL;
    int rc = corio_checkpoint();
    if (rc < 0)
        return rc;
    for (;;) {
        if (!s->c) {
            if ((rc = reconnect(s, deadline)) < 0)
                return rc;
            memset(msg, 0, sizeof *msg);
            msg->kind = CORIO_REDIS_MSG_RECONNECTED;
            msg->error = s->lost;
            s->lost = 0;
            return 0;
        }
        corio_redis_reply *r;
        rc = corio__redis_rd_next(&s->c->rd, &r);
        if (rc > 0) {
            if (parse(r, msg)) {
                s->cur = r;
                return 0;
            }
            corio_redis_reply_free(r);
            continue;
        }
        if (rc < 0) { /* not RESP, too big: said now, remade at the next get */
            drop(s, rc);
            return rc;
        }
        rc = corio__redis_fill(s->c, deadline);
        if (rc == -ETIMEDOUT || rc == -ECANCELED)
            return rc;
        if (rc < 0)
            drop(s, rc);
    }
}
