/* Connecting from a URL, AUTH and SELECT, closing; the command calls and
 * their typed helpers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include <corio/error.h>
#include <corio/net.h>
#include <corio/time.h>
#include <corio/tls.h>
#include <corio/url.h>

#include "../base/misuse.h"
#include "redis_int.h"

static __thread char connect_err[256];

const char *corio_redis_connect_errstr(void)
{
    return connect_err;
}

typedef struct target {
    corio_url u;
    bool tls, unix_sock;
    char user[256], password[512];
    long db;
} target;

/* A percent-decoded component into out (cap bytes): -EINVAL when it does
 * not fit or is malformed. */
static int decode(const char *s, size_t len, char *out, size_t cap)
{
    if (len >= cap)
        return -EINVAL;
    long n = corio_url_decode(s, len, false, out);
    if (n < 0)
        return -EINVAL;
    out[n] = '\0';
    return 0;
}

static int parse_db(const char *s, long *db)
{
    char *end;
    errno = 0;
    *db = strtol(s, &end, 10);
    return errno || end == s || *end || *db < 0 ? -EINVAL : 0;
}

static int parse_target(const char *url, target *t)
{
    memset(t, 0, sizeof *t);
    if (corio_url_parse(url, &t->u) < 0 || !t->u.scheme)
        return -EINVAL;
    corio_url *u = &t->u;
    t->tls = strcmp(u->scheme, "rediss") == 0;
    t->unix_sock = strcmp(u->scheme, "unix") == 0;
    if (!t->tls && !t->unix_sock && strcmp(u->scheme, "redis") != 0)
        return -EINVAL;
    if (u->userinfo) {
        const char *colon = strchr(u->userinfo, ':');
        size_t ulen = colon ? (size_t)(colon - u->userinfo) : strlen(u->userinfo);
        if (decode(u->userinfo, ulen, t->user, sizeof t->user) < 0)
            return -EINVAL;
        if (colon && decode(colon + 1, strlen(colon + 1), t->password, sizeof t->password) < 0)
            return -EINVAL;
        if (!colon) { /* redis://secret@host: a password alone, as redis-cli reads it */
            memcpy(t->password, t->user, sizeof t->user);
            t->user[0] = '\0';
        }
    }
    if (t->unix_sock) {
        if (!u->path[0] || (u->host && u->host[0]))
            return -EINVAL;
        char v[512];
        if (u->query && corio_url_query_get(u->query, "db", v, sizeof v) >= 0 &&
            parse_db(v, &t->db) < 0)
            return -EINVAL;
        if (u->query && corio_url_query_get(u->query, "password", v, sizeof v) >= 0)
            snprintf(t->password, sizeof t->password, "%s", v);
        return 0;
    }
    if (!u->host || !u->host[0])
        return -EINVAL;
    if (u->path[0] && strcmp(u->path, "/") != 0 && parse_db(u->path + 1, &t->db) < 0)
        return -EINVAL;
    return 0;
}

static int open_stream(const target *t, const corio_redis_opts *o, corio_stream **s,
                       int64_t deadline)
{
    corio_fd *f;
    int rc = t->unix_sock
                 ? corio_unix_connect(t->u.path, &f, deadline)
                 : corio_tcp_connect(t->u.host, t->u.port < 0 ? 6379 : t->u.port, &f, deadline);
    if (rc < 0)
        return rc;
    if (!t->tls)
        return corio_stream_open(f, s);
    corio_tls_ctx *ctx;
    rc = corio_tls_ctx_client(o->ca_file, o->tls_no_verify ? CORIO_TLS_NO_VERIFY : 0, &ctx);
    if (rc < 0) {
        corio_fd_close(f);
        return rc;
    }
    /* The session keeps what it needs of the context (OpenSSL counts it). */
    rc = corio_tls_connect(ctx, f, t->u.host, s, deadline);
    corio_tls_ctx_free(ctx);
    return rc;
}

/* Runs a setup command (AUTH, SELECT); an error reply's text is kept for
 * corio_redis_connect_errstr. */
static int setup(corio_redis *c, int argc, const char **argv, int64_t deadline)
{
    corio_redis_reply *r = NULL;
    int rc = corio_redis_argv(c, argc, argv, NULL, &r, deadline);
    if (rc == -CORIO_ESERVER)
        snprintf(connect_err, sizeof connect_err, "%s", r->str);
    corio_redis_reply_free(r);
    return rc;
}

static int handshake(corio_redis *c, const target *t, int64_t deadline)
{
    int rc = 0;
    if (t->password[0]) {
        const char *auth[] = {"AUTH", t->user, t->password};
        rc = t->user[0] ? setup(c, 3, auth, deadline)
                        : setup(c, 2, (const char *[]){"AUTH", t->password}, deadline);
    }
    if (rc == 0 && t->db) {
        char db[24];
        snprintf(db, sizeof db, "%ld", t->db);
        rc = setup(c, 2, (const char *[]){"SELECT", db}, deadline);
    }
    return rc;
}

int corio_redis_connect(const char *url, const corio_redis_opts *opts, corio_redis **out,
                        int64_t deadline)
{
    static const corio_redis_opts defaults;
    const corio_redis_opts *o = opts ? opts : &defaults;
    connect_err[0] = '\0';
    *out = NULL;
    if (!corio__task_loop())
        corio__misuse(__func__, "called outside a task");
    target t;
    int rc = parse_target(url, &t);
    corio_redis *c = NULL;
    if (rc == 0 && !(c = calloc(1, sizeof *c)))
        rc = -ENOMEM;
    if (rc == 0) {
        c->loop = corio__task_loop();
        c->opts = *o;
        c->opts.ca_file = NULL; /* the caller's string: only needed now */
        rc = corio__redis_rd_init(&c->rd, o->max_reply);
    }
    if (rc == 0 && !(c->rbuf = malloc(32768)))
        rc = -ENOMEM;
    if (rc == 0)
        rc = open_stream(&t, o, &c->s, deadline);
    if (rc == 0)
        rc = handshake(c, &t, deadline);
    corio_url_free(&t.u);
    if (rc < 0) {
        if (c)
            corio_redis_close(c);
        return rc;
    }
    c->last_used = corio_now();
    *out = c;
    return 0;
}

void corio_redis_close(corio_redis *c)
{
    if (!c)
        return;
    if (c->s)
        corio_stream_close(c->s);
    corio__redis_rd_fini(&c->rd);
    while (c->head) { /* abandoned requests: nobody waits on them */
        corio__redis_req *q = c->head;
        c->head = q->next;
        free(q);
    }
    while (c->spare) {
        corio__redis_req *q = c->spare;
        c->spare = q->next;
        free(q);
    }
    free(c->out.p);
    free(c->wbuf.p);
    free(c->rbuf);
    free(c->errstr);
    free(c);
}

int corio_redis_broken(const corio_redis *c)
{
    return c->broken;
}

const char *corio_redis_errstr(const corio_redis *c)
{
    return c->errstr ? c->errstr : "";
}

void corio__redis_set_errstr(corio_redis *c, const char *msg)
{
    free(c->errstr);
    c->errstr = msg ? strdup(msg) : NULL;
}

int corio__redis_call1(corio_redis *c, const corio__redis_cmd *cmd, corio_redis_reply **out,
                       int64_t deadline)
{
    *out = NULL;
    int rc = corio__redis_call(c, cmd, 1, out, deadline);
    if (rc == 0 && (*out)->type == CORIO_REDIS_ERROR) {
        corio__redis_set_errstr(c, (*out)->str);
        rc = -CORIO_ESERVER;
    }
    return rc;
}

int corio_redis_argv(corio_redis *c, int argc, const char *const *argv, const size_t *argvlen,
                     corio_redis_reply **out, int64_t deadline)
{
    *out = NULL;
    if (argc < 1)
        return -EINVAL;
    corio__redis_cmd cmd = {.argc = argc, .argv = argv, .argvlen = argvlen};
    return corio__redis_call1(c, &cmd, out, deadline);
}

int corio_redis_vcommand(corio_redis *c, corio_redis_reply **out, int64_t deadline, const char *fmt,
                         va_list ap)
{
    *out = NULL;
    char *resp;
    int len = redisvFormatCommand(&resp, fmt, ap);
    if (len < 0) /* -2 a bad format, else no memory */
        return len == -2 ? -EINVAL : -ENOMEM;
    corio__redis_cmd cmd = {.resp = resp, .len = (size_t)len};
    int rc = corio__redis_call1(c, &cmd, out, deadline);
    redisFreeCommand(resp);
    return rc;
}

int corio_redis_command(corio_redis *c, corio_redis_reply **out, int64_t deadline, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = corio_redis_vcommand(c, out, deadline, fmt, ap);
    va_end(ap);
    return rc;
}

int corio_redis_int(corio_redis *c, long long *out, int64_t deadline, const char *fmt, ...)
{
    corio_redis_reply *r;
    va_list ap;
    va_start(ap, fmt);
    int rc = corio_redis_vcommand(c, &r, deadline, fmt, ap);
    va_end(ap);
    if (rc == 0 && r->type != CORIO_REDIS_INTEGER)
        rc = -EBADMSG;
    if (rc == 0)
        *out = r->integer;
    corio_redis_reply_free(r);
    return rc;
}

int corio_redis_str(corio_redis *c, char **out, size_t *len, int64_t deadline, const char *fmt, ...)
{
    corio_redis_reply *r;
    *out = NULL;
    va_list ap;
    va_start(ap, fmt);
    int rc = corio_redis_vcommand(c, &r, deadline, fmt, ap);
    va_end(ap);
    if (rc == 0 && r->type == CORIO_REDIS_NIL)
        rc = -ENOENT;
    else if (rc == 0 && r->type != CORIO_REDIS_STRING && r->type != CORIO_REDIS_STATUS)
        rc = -EBADMSG;
    if (rc == 0) {
        /* The reply is one allocation with its string inside: hand out a
         * copy rather than expose that layout. */
        if (!(*out = malloc(r->len + 1)))
            rc = -ENOMEM;
        else {
            memcpy(*out, r->str, r->len + 1);
            if (len)
                *len = r->len;
        }
    }
    corio_redis_reply_free(r);
    return rc;
}

int corio_redis_ok(corio_redis *c, int64_t deadline, const char *fmt, ...)
{
    corio_redis_reply *r;
    va_list ap;
    va_start(ap, fmt);
    int rc = corio_redis_vcommand(c, &r, deadline, fmt, ap);
    va_end(ap);
    if (rc == 0 && r->type == CORIO_REDIS_NIL)
        rc = -EBADMSG;
    corio_redis_reply_free(r);
    return rc;
}
