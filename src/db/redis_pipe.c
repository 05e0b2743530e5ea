/* Explicit pipelines, MULTI/EXEC transactions and scripts (EVALSHA with the
 * EVAL fallback). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <corio/error.h>

#include "redis_int.h"

struct corio_redis_pipe {
    corio__redis_buf b;
    size_t n;
};

int corio_redis_pipe_new(corio_redis_pipe **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -ENOMEM;
}

void corio_redis_pipe_free(corio_redis_pipe *p)
{
    if (p)
        free(p->b.p);
    free(p);
}

void corio_redis_pipe_clear(corio_redis_pipe *p)
{
    p->b.len = 0;
    p->n = 0;
}

size_t corio_redis_pipe_count(const corio_redis_pipe *p)
{
    return p->n;
}

/* Takes a formatted command (hiredis's length, -1 no memory, -2 bad format). */
static int take(corio_redis_pipe *p, char *cmd, int len)
{
    if (len < 0)
        return len == -2 ? -EINVAL : -ENOMEM;
    int rc = corio__redis_buf_add(&p->b, cmd, (size_t)len);
    redisFreeCommand(cmd);
    if (rc == 0)
        p->n++;
    return rc;
}

int corio_redis_pipe_argv(corio_redis_pipe *p, int argc, const char *const *argv,
                          const size_t *argvlen)
{
    if (argc < 1)
        return -EINVAL;
    int rc = corio__redis_buf_argv(&p->b, argc, argv, argvlen);
    if (rc == 0)
        p->n++;
    return rc;
}

int corio_redis_pipe_add(corio_redis_pipe *p, const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&cmd, fmt, ap);
    va_end(ap);
    return take(p, cmd, len);
}

int corio_redis_pipe_run(corio_redis *c, const corio_redis_pipe *p, corio_redis_reply **replies,
                         int64_t deadline)
{
    if (p->n == 0)
        return -EINVAL;
    memset(replies, 0, p->n * sizeof *replies);
    corio__redis_cmd cmd = {.resp = p->b.p, .len = p->b.len};
    return corio__redis_call(c, &cmd, p->n, replies, deadline);
}

static void free_all(corio_redis_reply **r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        corio_redis_reply_free(r[i]);
}

int corio_redis_pipe_exec(corio_redis *c, const corio_redis_pipe *p, corio_redis_reply **out,
                          int64_t deadline)
{
    static const char multi[] = "*1\r\n$5\r\nMULTI\r\n", exec[] = "*1\r\n$4\r\nEXEC\r\n";
    *out = NULL;
    if (p->n == 0)
        return -EINVAL;
    corio__redis_buf b = {0};
    size_t n = p->n + 2;
    corio_redis_reply **r = calloc(n, sizeof *r);
    int rc = r ? 0 : -ENOMEM;
    if (rc == 0)
        rc = corio__redis_buf_add(&b, multi, sizeof multi - 1);
    if (rc == 0)
        rc = corio__redis_buf_add(&b, p->b.p, p->b.len);
    if (rc == 0)
        rc = corio__redis_buf_add(&b, exec, sizeof exec - 1);
    if (rc == 0) {
        corio__redis_cmd cmd = {.resp = b.p, .len = b.len};
        rc = corio__redis_call(c, &cmd, n, r, deadline);
    }
    free(b.p);
    if (rc == 0) {
        corio_redis_reply *e = r[n - 1];
        r[n - 1] = NULL;
        if (e->type == CORIO_REDIS_NIL) { /* a WATCHed key changed */
            corio_redis_reply_free(e);
            rc = 1;
        } else {
            if (e->type == CORIO_REDIS_ERROR) {
                corio__redis_set_errstr(c, e->str);
                rc = -CORIO_ESERVER;
            }
            *out = e;
        }
        free_all(r, n - 1);
    }
    free(r);
    return rc;
}

void corio_redis_script_init(corio_redis_script *s, const char *source)
{
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)source, strlen(source), md);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++) {
        s->sha1[2 * i] = "0123456789abcdef"[md[i] >> 4];
        s->sha1[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
    }
    s->sha1[40] = '\0';
    s->source = source;
}

/* EVALSHA or EVAL (by what head is) with nkeys and the arguments. */
static int eval_with(corio_redis *c, const char *verb, const char *head, int nkeys, int argc,
                     const char *const *argv, const size_t *argvlen, corio_redis_reply **out,
                     int64_t deadline)
{
    const char **av = malloc((size_t)(argc + 3) * sizeof *av);
    size_t *al = malloc((size_t)(argc + 3) * sizeof *al);
    char nk[16];
    int rc = -ENOMEM;
    if (av && al) {
        snprintf(nk, sizeof nk, "%d", nkeys);
        av[0] = verb, av[1] = head, av[2] = nk;
        for (int i = 0; i < 3; i++)
            al[i] = strlen(av[i]);
        for (int i = 0; i < argc; i++) {
            av[i + 3] = argv[i];
            al[i + 3] = argvlen ? argvlen[i] : strlen(argv[i]);
        }
        rc = corio_redis_argv(c, argc + 3, av, al, out, deadline);
    }
    free(av);
    free(al);
    return rc;
}

int corio_redis_eval(corio_redis *c, const corio_redis_script *s, int nkeys, int argc,
                     const char *const *argv, const size_t *argvlen, corio_redis_reply **out,
                     int64_t deadline)
{
    *out = NULL;
    if (nkeys < 0 || nkeys > argc || argc < 0)
        return -EINVAL;
    int rc = eval_with(c, "EVALSHA", s->sha1, nkeys, argc, argv, argvlen, out, deadline);
    if (rc != -CORIO_ESERVER || strncmp((*out)->str, "NOSCRIPT", 8) != 0)
        return rc;
    corio_redis_reply_free(*out);
    return eval_with(c, "EVAL", s->source, nkeys, argc, argv, argvlen, out, deadline);
}
