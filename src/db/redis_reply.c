/* Replies: hiredis's RESP reader with object functions that build corio's
 * reply tree, and the size limit that hiredis 0.14 lacks.
 *
 * Nodes are malloc'd one by one and small ones are recycled through a cache
 * per thread. A pipeline of 16 keeps 16 nodes of one size alive at once,
 * past glibc's tcache (7 per size), so without the cache most of them took
 * malloc's and free's slow paths: ~130 of the ~645 instructions per
 * pipelined command.
 *
 * Under ASan there is no cache: every node is malloc'd and freed, so a use
 * after free is reported as one, and LeakSanitizer (which does not scan a
 * thread-local) sees no cached node as leaked at exit or in a fuzz run. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/read.h>

#include "../base/sanitizer.h" /* CORIO__ASAN */
#include "redis_int.h"

/* The cached sizes are malloc's usable sizes of its 64-, 128- and 256-byte
 * chunks: a node of class k is malloc(size[k]), and free recognises one by
 * malloc_usable_size, so any block of that usable size may be cached,
 * whatever the node's fields say now. 248 bytes hold a GET of ~200 bytes. */
enum { CLASSES = 3, CACHE_MAX = 64 };
static const size_t class_size[CLASSES] = {56, 120, 248};

typedef struct cached {
    struct cached *next;
} cached;

typedef struct cache {
    cached *head[CLASSES];
    unsigned n[CLASSES];
    bool registered; /* with the key, so that thread exit drains it */
} cache;

static __thread cache tl_cache;
static pthread_key_t cache_key;
static bool cache_key_ok;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

#if defined(CORIO__ASAN)
#define CACHE_ON 0
#else
#define CACHE_ON 1
#endif

static void cache_drain(void *arg)
{
    cache *c = arg;
    for (int k = 0; k < CLASSES; k++) {
        while (c->head[k]) {
            cached *e = c->head[k];
            c->head[k] = e->next;
            free(e);
        }
        c->n[k] = 0;
    }
    c->registered = false;
}

static void cache_key_init(void)
{
    cache_key_ok = pthread_key_create(&cache_key, cache_drain) == 0;
}

/* The class of a node of size bytes, or -1 (none fits). */
static inline int class_of(size_t size)
{
    return size <= class_size[0] ? 0 : size <= class_size[1] ? 1 : size <= class_size[2] ? 2 : -1;
}

static void *node_alloc(size_t size)
{
    int k = class_of(size);
    if (!CACHE_ON || k < 0)
        return malloc(size);
    cache *c = &tl_cache;
    cached *e = c->head[k];
    if (!e)
        return malloc(class_size[k]);
    c->head[k] = e->next;
    c->n[k]--;
    return e;
}

static void node_free(void *p)
{
    if (!CACHE_ON) {
        free(p);
        return;
    }
    size_t usable = malloc_usable_size(p);
    int k = class_of(usable);
    cache *c = &tl_cache;
    if (k < 0 || usable != class_size[k] || c->n[k] >= CACHE_MAX) {
        free(p);
        return;
    }
    if (!c->registered) {
        pthread_once(&cache_once, cache_key_init);
        if (!cache_key_ok || pthread_setspecific(cache_key, c) != 0) {
            free(p);
            return;
        }
        c->registered = true;
    }
    cached *e = p;
    e->next = c->head[k];
    c->head[k] = e;
    c->n[k]++;
}

static corio_redis_reply *node(const redisReadTask *t, corio_redis_type type, size_t extra)
{
    corio__redis_rd *rd = t->privdata;
    if (extra > rd->max || rd->built + extra > rd->max) {
        rd->too_big = true;
        return NULL;
    }
    corio_redis_reply *r = node_alloc(sizeof *r + extra);
    if (!r)
        return NULL;
    rd->built += sizeof *r + extra;
    *r = (corio_redis_reply){.type = type};
    if (t->parent) {
        corio_redis_reply *p = t->parent->obj;
        p->elements[t->idx] = r;
    }
    return r;
}

static void *create_string(const redisReadTask *t, char *s, size_t len)
{
    corio_redis_type type = t->type == REDIS_REPLY_ERROR    ? CORIO_REDIS_ERROR
                            : t->type == REDIS_REPLY_STATUS ? CORIO_REDIS_STATUS
                                                            : CORIO_REDIS_STRING;
    corio_redis_reply *r = node(t, type, len + 1);
    if (!r)
        return NULL;
    r->str = (char *)(r + 1);
    memcpy(r->str, s, len);
    r->str[len] = '\0';
    r->len = len;
    return r;
}

static void *create_array(const redisReadTask *t, int n)
{
    /* Each element takes at least 3 bytes on the wire (":0\r\n" is 4), so a
     * count past max / 3 cannot fit within the limit: refuse it before
     * allocating its table. */
    corio__redis_rd *rd = t->privdata;
    if ((size_t)n > rd->max / 3) {
        rd->too_big = true;
        return NULL;
    }
    corio_redis_reply *r = node(t, CORIO_REDIS_ARRAY, (size_t)n * sizeof(corio_redis_reply *));
    if (!r)
        return NULL;
    r->elements = (corio_redis_reply **)(r + 1);
    /* Empty slots until filled: a tree freed half-read frees only those. */
    memset(r->elements, 0, (size_t)n * sizeof *r->elements);
    r->len = (size_t)n;
    return r;
}

static void *create_integer(const redisReadTask *t, long long v)
{
    corio_redis_reply *r = node(t, CORIO_REDIS_INTEGER, 0);
    if (r)
        r->integer = v;
    return r;
}

static void *create_nil(const redisReadTask *t)
{
    return node(t, CORIO_REDIS_NIL, 0);
}

void corio_redis_reply_free(corio_redis_reply *r)
{
    if (!r)
        return;
    if (r->type == CORIO_REDIS_ARRAY)
        for (size_t i = 0; i < r->len; i++)
            corio_redis_reply_free(r->elements[i]);
    node_free(r);
}

static void free_object(void *r)
{
    corio_redis_reply_free(r);
}

static redisReplyObjectFunctions functions = {create_string, create_array, create_integer,
                                              create_nil, free_object};

int corio__redis_rd_init(corio__redis_rd *rd, size_t max)
{
    redisReader *r = redisReaderCreateWithFunctions(&functions);
    if (!r)
        return -ENOMEM;
    rd->r = r;
    rd->max = max ? max : CORIO__REDIS_MAX_REPLY;
    rd->built = 0;
    rd->too_big = false;
    r->privdata = rd;
    return 0;
}

void corio__redis_rd_fini(corio__redis_rd *rd)
{
    if (rd->r)
        redisReaderFree(rd->r);
    rd->r = NULL;
}

int corio__redis_rd_feed(corio__redis_rd *rd, const char *buf, size_t len)
{
    return redisReaderFeed(rd->r, buf, len) == REDIS_OK ? 0 : -ENOMEM;
}

/* The length a pending "$<len>" or "*<count>" announces, as far as its
 * digits have come (a lower bound while the line is incomplete). */
static size_t announced(const redisReader *r)
{
    size_t v = 0;
    for (size_t i = r->pos + 1; i < r->len && r->buf[i] >= '0' && r->buf[i] <= '9'; i++) {
        if (v > (SIZE_MAX - 9) / 10)
            return SIZE_MAX;
        v = v * 10 + (size_t)(r->buf[i] - '0');
    }
    return v;
}

/* A reply is refused as soon as what is buffered or announced of it passes
 * the limit, so a 4 GiB bulk string is never read in. */
static bool over_limit(corio__redis_rd *rd)
{
    const redisReader *r = rd->r;
    size_t pending = r->len - r->pos;
    if (rd->built + pending > rd->max)
        return true;
    if (pending == 0 || r->buf[r->pos] != '$')
        return false;
    size_t n = announced(r);
    return n > rd->max || rd->built + n > rd->max;
}

int corio__redis_rd_next(corio__redis_rd *rd, corio_redis_reply **out)
{
    redisReader *r = rd->r;
    void *reply = NULL;
    *out = NULL;
    if (redisReaderGetReply(r, &reply) != REDIS_OK)
        return rd->too_big ? -EMSGSIZE : r->err == REDIS_ERR_OOM ? -ENOMEM : -EPROTO;
    if (reply) {
        rd->built = 0;
        *out = reply;
        return 1;
    }
    return over_limit(rd) ? -EMSGSIZE : 0;
}
