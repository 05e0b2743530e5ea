/* The Redis client against a real redis-server of the test's own. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

#include "certs.h"
#include "fdcheck.h"
#include "redis_fixture.h"
#include "run.h"

static redis_server srv;

static void setup(void)
{
    redis_start(&srv, NULL);
    fd_check_start();
}

static void teardown(void)
{
    fd_check_end();
    redis_stop(&srv);
}

TestSuite(redis, .init = setup, .fini = teardown, .timeout = 120);

static int64_t in(int64_t ms)
{
    return corio_now() + ms;
}

static corio_redis *connect_to(const char *url)
{
    corio_redis *c = NULL;
    int rc = corio_redis_connect(url, NULL, &c, in(5000));
    cr_assert_eq(rc, 0, "connect %s: %s", url, corio_strerror(rc));
    return c;
}

RUN(reply_types)
{
    (void)arg;
    corio_redis *c = connect_to(srv.url);
    corio_redis_reply *r;
    cr_assert_eq(corio_redis_command(c, &r, in(5000), "SET %s %s", "k", "v"), 0);
    cr_assert_eq(r->type, CORIO_REDIS_STATUS);
    cr_assert_str_eq(r->str, "OK");
    corio_redis_reply_free(r);

    char *s;
    size_t len;
    cr_assert_eq(corio_redis_str(c, &s, &len, in(5000), "GET k"), 0);
    cr_assert_str_eq(s, "v");
    cr_assert_eq(len, 1);
    free(s);
    cr_assert_eq(corio_redis_str(c, &s, NULL, in(5000), "GET nothing"), -ENOENT);
    cr_assert_eq(corio_redis_command(c, &r, in(5000), "GET nothing"), 0);
    cr_assert_eq(r->type, CORIO_REDIS_NIL);
    corio_redis_reply_free(r);

    long long n;
    cr_assert_eq(corio_redis_int(c, &n, in(5000), "INCR counter"), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(corio_redis_int(c, &n, in(5000), "INCRBY counter %d", -5), 0);
    cr_assert_eq(n, -4);
    cr_assert_eq(corio_redis_int(c, &n, in(5000), "GET k"), -EBADMSG);

    /* An error reply: the code, the reply, and the text. */
    cr_assert_eq(corio_redis_command(c, &r, in(5000), "LPUSH k x"), -CORIO_ESERVER);
    cr_assert_eq(r->type, CORIO_REDIS_ERROR);
    cr_assert(strncmp(r->str, "WRONGTYPE", 9) == 0);
    cr_assert(strncmp(corio_redis_errstr(c), "WRONGTYPE", 9) == 0);
    corio_redis_reply_free(r);
    cr_assert_str_eq(corio_strerror(-CORIO_ESERVER), "the server replied with an error");
    cr_assert_eq(corio_redis_ok(c, in(5000), "NOSUCHCOMMAND"), -CORIO_ESERVER);
    cr_assert_eq(corio_redis_broken(c), 0);

    /* Arrays, nested, with every element type inside. */
    cr_assert_eq(corio_redis_command(c, &r, in(5000), "EVAL %s 0",
                                     "return {1, 'two', {3, {'four'}}, false}"),
                 0);
    cr_assert_eq(r->type, CORIO_REDIS_ARRAY);
    cr_assert_eq(r->len, 4);
    cr_assert_eq(r->elements[0]->type, CORIO_REDIS_INTEGER);
    cr_assert_eq(r->elements[0]->integer, 1);
    cr_assert_eq(r->elements[1]->type, CORIO_REDIS_STRING);
    cr_assert_str_eq(r->elements[1]->str, "two");
    cr_assert_eq(r->elements[2]->type, CORIO_REDIS_ARRAY);
    cr_assert_eq(r->elements[2]->elements[1]->type, CORIO_REDIS_ARRAY);
    cr_assert_str_eq(r->elements[2]->elements[1]->elements[0]->str, "four");
    cr_assert_eq(r->elements[3]->type, CORIO_REDIS_NIL);
    corio_redis_reply_free(r);
    cr_assert_eq(corio_redis_command(c, &r, in(5000), "LRANGE empty 0 -1"), 0);
    cr_assert_eq(r->type, CORIO_REDIS_ARRAY);
    cr_assert_eq(r->len, 0);
    corio_redis_reply_free(r);

    /* A nil array: BLPOP timing out on the server. */
    cr_assert_eq(corio_redis_command(c, &r, in(5000), "BLPOP nolist 0.01"), 0);
    cr_assert_eq(r->type, CORIO_REDIS_NIL);
    corio_redis_reply_free(r);

    /* A deadline of 0 does not wait: nothing is sent. */
    cr_assert_eq(corio_redis_ok(c, 0, "PING"), -ETIMEDOUT);
    cr_assert_eq(corio_redis_ok(c, -1, "PING"), 0);
    corio_redis_close(c);
    return 0;
}
Test(redis, reply_types)
{
    reply_types_run();
}

static void check_roundtrip(corio_redis *c, const char *key, size_t size)
{
    char *v = malloc(size);
    cr_assert(v);
    for (size_t i = 0; i < size; i++)
        v[i] = (char)(i * 7 + 3); /* NULs, CRs and LFs among them */
    const char *argv[] = {"SET", key, v};
    size_t lens[] = {3, strlen(key), size};
    corio_redis_reply *r;
    cr_assert_eq(corio_redis_argv(c, 3, argv, lens, &r, in(60000)), 0);
    corio_redis_reply_free(r);
    char *got;
    size_t len;
    cr_assert_eq(corio_redis_str(c, &got, &len, in(60000), "GET %b", key, strlen(key)), 0);
    cr_assert_eq(len, size);
    cr_assert(memcmp(got, v, size) == 0);
    free(got);
    free(v);
}

RUN(binary_values)
{
    (void)arg;
    corio_redis *c = connect_to(srv.url);
    check_roundtrip(c, "nul", 5);
    /* Lengths of one, two, three, four and five digits in the RESP that
     * corio writes for an argv. */
    static const size_t sizes[] = {1, 9, 10, 99, 100, 999, 1000, 12345};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char key[16];
        snprintf(key, sizeof key, "len%zu", sizes[i]);
        check_roundtrip(c, key, sizes[i]);
    }
    check_roundtrip(c, "mib", 1 << 20);
    check_roundtrip(c, "big", 64u << 20);
    /* Keys are binary-safe too. */
    const char key[] = {'a', 0, 'b'};
    const char *argv[] = {"SET", key, "x"};
    size_t lens[] = {3, 3, 1};
    corio_redis_reply *r;
    cr_assert_eq(corio_redis_argv(c, 3, argv, lens, &r, in(5000)), 0);
    corio_redis_reply_free(r);
    long long n;
    cr_assert_eq(corio_redis_int(c, &n, in(5000), "EXISTS %b", key, sizeof key), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(corio_redis_int(c, &n, in(5000), "EXISTS a"), 0);
    cr_assert_eq(n, 0);
    /* Empty arguments, the command's name among them. */
    const char *empty[] = {"SET", "empty", ""};
    size_t elens[] = {3, 5, 0};
    cr_assert_eq(corio_redis_argv(c, 3, empty, elens, &r, in(5000)), 0);
    corio_redis_reply_free(r);
    cr_assert_eq(corio_redis_int(c, &n, in(5000), "STRLEN empty"), 0);
    cr_assert_eq(n, 0);
    const char *noname[] = {"", "x"};
    size_t nlens[] = {0, 1};
    cr_assert_eq(corio_redis_argv(c, 2, noname, nlens, &r, in(5000)), -CORIO_ESERVER);
    corio_redis_reply_free(r);
    cr_assert_eq(corio_redis_ok(c, in(5000), "PING"), 0);
    corio_redis_close(c);
    return 0;
}
Test(redis, binary_values)
{
    binary_values_run();
}

RUN(reply_limit)
{
    (void)arg;
    corio_redis_opts o = {.max_reply = 1 << 20};
    corio_redis *c;
    cr_assert_eq(corio_redis_connect(srv.url, &o, &c, in(5000)), 0);
    check_roundtrip(c, "fits", 1000 * 1000);
    char *big = calloc(1, 4u << 20);
    cr_assert_eq(corio_redis_ok(c, in(5000), "SET big %b", big, (size_t)(4u << 20)), 0);
    free(big);
    char *s;
    cr_assert_eq(corio_redis_str(c, &s, NULL, in(5000), "GET big"), -EMSGSIZE);
    cr_assert_eq(corio_redis_broken(c), -EMSGSIZE);
    cr_assert_eq(corio_redis_ok(c, in(5000), "PING"), -EMSGSIZE);
    corio_redis_close(c);
    return 0;
}
Test(redis, reply_limit)
{
    reply_limit_run();
}

static corio_redis *shared;

static intptr_t one_of_many(void *arg)
{
    long i = (long)(intptr_t)arg;
    if (corio_redis_ok(shared, in(60000), "SET key:%ld %ld", i, i * 3) < 0)
        return -1;
    char *s;
    int rc = corio_redis_str(shared, &s, NULL, in(60000), "GET key:%ld", i);
    if (rc < 0)
        return rc;
    long v = strtol(s, NULL, 10);
    free(s);
    long long n;
    rc = corio_redis_int(shared, &n, in(60000), "INCR total");
    return rc < 0 ? rc : v == i * 3 ? 0 : -EBADMSG;
}

/* The server's count of reads from its clients (INFO stats). */
static long long server_reads(corio_redis *c)
{
    char *info;
    cr_assert_eq(corio_redis_str(c, &info, NULL, in(5000), "INFO stats"), 0);
    const char *p = strstr(info, "total_reads_processed:");
    cr_assert(p);
    long long n = strtoll(p + strlen("total_reads_processed:"), NULL, 10);
    free(info);
    return n;
}

RUN(pipelining_many_tasks)
{
    (void)arg;
    corio_redis *stats = connect_to(srv.url);
    long long reads = server_reads(stats);
    shared = connect_to(srv.url);
    corio_task *t[1000];
    for (long i = 0; i < 1000; i++)
        cr_assert_eq(corio_spawn(NULL, one_of_many, (void *)(intptr_t)i, &t[i]), 0);
    for (int i = 0; i < 1000; i++) {
        intptr_t res;
        cr_assert_eq(corio_join(t[i], &res, -1), 0);
        cr_assert_eq(res, 0, "task %d: %s", i, corio_strerror(res));
        corio_task_release(t[i]);
    }
    long long n;
    cr_assert_eq(corio_redis_int(shared, &n, in(5000), "GET total"), -EBADMSG); /* a string */
    char *s;
    cr_assert_eq(corio_redis_str(shared, &s, NULL, in(5000), "GET total"), 0);
    cr_assert_str_eq(s, "1000");
    free(s);
    /* The commands went out in batches: the server read them (3,004 of
     * them, these included) in far fewer reads than there were tasks. */
    long long used = server_reads(stats) - reads;
    cr_assert_lt(used, 500, "%lld reads", used);
    corio_redis_close(stats);
    corio_redis_close(shared);
    return 0;
}
Test(redis, pipelining_many_tasks)
{
    pipelining_many_tasks_run();
}

static intptr_t sleeper(void *arg)
{
    (void)arg;
    corio_redis_reply *r;
    int rc = corio_redis_command(shared, &r, in(50), "DEBUG SLEEP 0.3");
    return rc == -ETIMEDOUT ? 0 : -1;
}

static intptr_t patient_sleeper(void *arg)
{
    (void)arg;
    return corio_redis_ok(shared, in(10000), "DEBUG SLEEP 0.2");
}

RUN(cancelled_caller_keeps_the_connection_in_step)
{
    (void)arg;
    shared = connect_to(srv.url);
    corio_task *t;
    cr_assert_eq(corio_spawn(NULL, sleeper, NULL, &t), 0);
    corio_yield(); /* its command goes first */
    char *s;
    cr_assert_eq(corio_redis_ok(shared, in(5000), "SET after %s", "yes"), 0);
    cr_assert_eq(corio_redis_str(shared, &s, NULL, in(5000), "GET after"), 0);
    cr_assert_str_eq(s, "yes");
    free(s);
    intptr_t res;
    cr_assert_eq(corio_join(t, &res, -1), 0);
    cr_assert_eq(res, 0);
    corio_task_release(t);
    cr_assert_eq(corio_redis_broken(shared), 0);
    /* The reader itself cancelled: the discarded reply is read later. */
    corio_redis_reply *r;
    cr_assert_eq(corio_redis_command(shared, &r, in(50), "DEBUG SLEEP 0.2"), -ETIMEDOUT);
    cr_assert_null(r);
    cr_assert_eq(corio_redis_str(shared, &s, NULL, in(5000), "ECHO %s", "hello"), 0);
    cr_assert_str_eq(s, "hello");
    free(s);
    /* A caller waiting behind another one (not the reader) leaves. */
    cr_assert_eq(corio_spawn(NULL, patient_sleeper, NULL, &t), 0);
    corio_yield();
    cr_assert_eq(corio_redis_ok(shared, in(50), "PING"), -ETIMEDOUT);
    cr_assert_eq(corio_redis_str(shared, &s, NULL, in(5000), "ECHO %s", "again"), 0);
    cr_assert_str_eq(s, "again");
    free(s);
    cr_assert_eq(corio_join(t, &res, -1), 0);
    cr_assert_eq(res, 0);
    corio_task_release(t);
    corio_redis_close(shared);
    return 0;
}
Test(redis, cancelled_caller_keeps_the_connection_in_step)
{
    cancelled_caller_keeps_the_connection_in_step_run();
}

RUN(explicit_pipeline)
{
    (void)arg;
    corio_redis *c = connect_to(srv.url);
    corio_redis_pipe *p;
    cr_assert_eq(corio_redis_pipe_new(&p), 0);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(corio_redis_pipe_add(p, "RPUSH list %d", i), 0);
    cr_assert_eq(corio_redis_pipe_add(p, "LPUSH %s", "too-few-args"), 0);
    const char *argv[] = {"LLEN", "list"};
    cr_assert_eq(corio_redis_pipe_argv(p, 2, argv, NULL), 0);
    cr_assert_eq(corio_redis_pipe_count(p), 18);
    corio_redis_reply *r[18];
    cr_assert_eq(corio_redis_pipe_run(c, p, r, in(5000)), 0);
    for (int i = 0; i < 16; i++) {
        cr_assert_eq(r[i]->type, CORIO_REDIS_INTEGER);
        cr_assert_eq(r[i]->integer, i + 1);
    }
    cr_assert_eq(r[16]->type, CORIO_REDIS_ERROR);
    cr_assert_eq(r[17]->integer, 16);
    for (int i = 0; i < 18; i++)
        corio_redis_reply_free(r[i]);
    corio_redis_pipe_clear(p);
    cr_assert_eq(corio_redis_pipe_run(c, p, r, in(5000)), -EINVAL);
    corio_redis_pipe_free(p);
    corio_redis_close(c);
    return 0;
}
Test(redis, explicit_pipeline)
{
    explicit_pipeline_run();
}

RUN(transactions_and_watch)
{
    (void)arg;
    corio_redis *a = connect_to(srv.url), *b = connect_to(srv.url);
    corio_redis_pipe *p;
    cr_assert_eq(corio_redis_pipe_new(&p), 0);
    cr_assert_eq(corio_redis_pipe_add(p, "INCR balance"), 0);
    cr_assert_eq(corio_redis_pipe_add(p, "GET balance"), 0);
    corio_redis_reply *r;
    cr_assert_eq(corio_redis_pipe_exec(a, p, &r, in(5000)), 0);
    cr_assert_eq(r->type, CORIO_REDIS_ARRAY);
    cr_assert_eq(r->len, 2);
    cr_assert_eq(r->elements[0]->integer, 1);
    cr_assert_str_eq(r->elements[1]->str, "1");
    corio_redis_reply_free(r);

    /* WATCH, then another client changes the key: EXEC is aborted. */
    cr_assert_eq(corio_redis_ok(a, in(5000), "WATCH balance"), 0);
    cr_assert_eq(corio_redis_ok(b, in(5000), "SET balance 100"), 0);
    cr_assert_eq(corio_redis_pipe_exec(a, p, &r, in(5000)), 1);
    cr_assert_null(r);
    char *s;
    cr_assert_eq(corio_redis_str(a, &s, NULL, in(5000), "GET balance"), 0);
    cr_assert_str_eq(s, "100");
    free(s);
    /* Untouched, it goes through. */
    cr_assert_eq(corio_redis_ok(a, in(5000), "WATCH balance"), 0);
    cr_assert_eq(corio_redis_pipe_exec(a, p, &r, in(5000)), 0);
    cr_assert_str_eq(r->elements[1]->str, "101");
    corio_redis_reply_free(r);
    /* A command refused when queued aborts the transaction. */
    corio_redis_pipe_clear(p);
    cr_assert_eq(corio_redis_pipe_add(p, "NOSUCHCOMMAND"), 0);
    cr_assert_eq(corio_redis_pipe_exec(a, p, &r, in(5000)), -CORIO_ESERVER);
    cr_assert(strncmp(r->str, "EXECABORT", 9) == 0);
    corio_redis_reply_free(r);
    corio_redis_pipe_free(p);
    corio_redis_close(a);
    corio_redis_close(b);
    return 0;
}
Test(redis, transactions_and_watch)
{
    transactions_and_watch_run();
}

RUN(evalsha_falls_back_to_eval)
{
    (void)arg;
    corio_redis *c = connect_to(srv.url);
    corio_redis_script s;
    corio_redis_script_init(&s, "return redis.call('INCRBY', KEYS[1], ARGV[1])");
    cr_assert_eq(corio_redis_ok(c, in(5000), "SCRIPT FLUSH"), 0);
    const char *argv[] = {"n", "5"};
    corio_redis_reply *r;
    cr_assert_eq(corio_redis_eval(c, &s, 1, 2, argv, NULL, &r, in(5000)), 0);
    cr_assert_eq(r->integer, 5);
    corio_redis_reply_free(r);
    /* Now cached: EVALSHA alone does it. */
    long long n;
    cr_assert_eq(corio_redis_int(c, &n, in(5000), "SCRIPT EXISTS %s", s.sha1), -EBADMSG);
    cr_assert_eq(corio_redis_command(c, &r, in(5000), "SCRIPT EXISTS %s", s.sha1), 0);
    cr_assert_eq(r->elements[0]->integer, 1);
    corio_redis_reply_free(r);
    cr_assert_eq(corio_redis_eval(c, &s, 1, 2, argv, NULL, &r, in(5000)), 0);
    cr_assert_eq(r->integer, 10);
    corio_redis_reply_free(r);
    /* A script error is an error reply. */
    corio_redis_script bad;
    corio_redis_script_init(&bad, "return redis.call('NOSUCH')");
    cr_assert_eq(corio_redis_eval(c, &bad, 0, 0, NULL, NULL, &r, in(5000)), -CORIO_ESERVER);
    corio_redis_reply_free(r);
    corio_redis_close(c);
    return 0;
}
Test(redis, evalsha_falls_back_to_eval)
{
    evalsha_falls_back_to_eval_run();
}

RUN(blpop_cancelled_by_a_deadline)
{
    (void)arg;
    corio_redis *c = connect_to(srv.url);
    corio_redis_reply *r;
    cr_assert_eq(corio_redis_command(c, &r, in(100), "BLPOP queue 0"), -ETIMEDOUT);
    cr_assert_eq(corio_redis_broken(c), -ECONNABORTED);
    cr_assert_eq(corio_redis_ok(c, in(5000), "PING"), -ECONNABORTED);
    corio_redis_close(c);
    c = connect_to(srv.url);
    cr_assert_eq(corio_redis_command(c, &r, in(100), "XREAD BLOCK 0 STREAMS events $"), -ETIMEDOUT);
    cr_assert_eq(corio_redis_broken(c), -ECONNABORTED);
    corio_redis_close(c);
    /* The same through corio_redis_argv, whatever the names' case. */
    const char *const blpop[] = {"blpop", "queue", "0"};
    const char *const xread[] = {"xread", "block", "0", "STREAMS", "events", "$"};
    c = connect_to(srv.url);
    cr_assert_eq(corio_redis_argv(c, 3, blpop, NULL, &r, in(100)), -ETIMEDOUT);
    cr_assert_eq(corio_redis_broken(c), -ECONNABORTED);
    corio_redis_close(c);
    c = connect_to(srv.url);
    cr_assert_eq(corio_redis_argv(c, 6, xread, NULL, &r, in(100)), -ETIMEDOUT);
    cr_assert_eq(corio_redis_broken(c), -ECONNABORTED);
    corio_redis_close(c);
    /* Without BLOCK, XREAD is an ordinary command: cut off in flight (behind
     * a DEBUG SLEEP), its reply is discarded and the connection stays. */
    shared = connect_to(srv.url);
    corio_task *t;
    cr_assert_eq(corio_spawn(NULL, sleeper, NULL, &t), 0);
    corio_yield();
    cr_assert_eq(corio_redis_command(shared, &r, in(50), "XREAD STREAMS events 0"), -ETIMEDOUT);
    cr_assert_eq(corio_redis_broken(shared), 0);
    cr_assert_eq(corio_redis_ok(shared, in(5000), "PING"), 0);
    cr_assert_eq(corio_join(t, NULL, -1), 0);
    corio_task_release(t);
    corio_redis_close(shared);

    /* Through a pool: the connection is closed, not handed out again, and an
     * element pushed after the cancellation is not popped for nobody. */
    corio_redis_pool *p;
    cr_assert_eq(corio_redis_pool_new(srv.url, NULL, 1, &p), 0);
    cr_assert_eq(corio_redis_pool_acquire(p, &c, in(5000)), 0);
    cr_assert_eq(corio_redis_command(c, &r, in(100), "BLPOP queue 0"), -ETIMEDOUT);
    cr_assert_eq(corio_redis_pool_release(p, c), 0);
    cr_assert_eq(corio_redis_pool_idle(p), 0);
    corio_redis *d;
    cr_assert_eq(corio_redis_pool_acquire(p, &d, in(5000)), 0);
    long long n;
    /* The server may take a moment to see the old connection go. */
    bool none = false;
    for (int i = 0; i < 1000 && !none; i++) {
        char *info;
        cr_assert_eq(corio_redis_str(d, &info, NULL, in(5000), "INFO clients"), 0);
        none = strstr(info, "blocked_clients:0") != NULL;
        free(info);
        if (!none)
            corio_sleep(10);
    }
    cr_assert(none, "the cancelled BLPOP's connection is still blocked on the server");
    cr_assert_eq(corio_redis_int(d, &n, in(5000), "RPUSH queue x"), 0);
    cr_assert_eq(corio_redis_int(d, &n, in(5000), "LLEN queue"), 0);
    cr_assert_eq(n, 1);
    /* A blocking command that completes leaves the connection fine. */
    cr_assert_eq(corio_redis_command(d, &r, in(5000), "BLPOP queue 0"), 0);
    cr_assert_str_eq(r->elements[1]->str, "x");
    corio_redis_reply_free(r);
    cr_assert_eq(corio_redis_pool_release(p, d), 0);
    cr_assert_eq(corio_redis_pool_idle(p), 1);
    cr_assert_eq(corio_redis_pool_free(p), 0);
    return 0;
}
Test(redis, blpop_cancelled_by_a_deadline)
{
    blpop_cancelled_by_a_deadline_run();
}

static int next_msg(corio_redis_sub *s, corio_redis_msg *m, corio_redis_msg_kind kind)
{
    int rc;
    while ((rc = corio_redis_sub_get(s, m, in(10000))) == 0 && m->kind != kind)
        ;
    return rc;
}

/* Publishes until someone hears it (a subscription may still be on its way). */
static void publish(corio_redis *c, const char *ch, const char *data)
{
    long long n = 0;
    cr_assert_eq(corio_redis_int(c, &n, in(5000), "PUBLISH %s %s", ch, data), 0);
    cr_assert_eq(n, 1);
}

RUN(pubsub_and_resubscribe)
{
    (void)arg;
    corio_redis *c = connect_to(srv.url);
    corio_redis_sub *s;
    cr_assert_eq(corio_redis_sub_open(srv.url, NULL, &s, in(5000)), 0);
    cr_assert_eq(corio_redis_subscribe(s, "news", in(5000)), 0);
    cr_assert_eq(corio_redis_psubscribe(s, "sport.*", in(5000)), 0);
    corio_redis_msg m;
    cr_assert_eq(next_msg(s, &m, CORIO_REDIS_MSG_SUBSCRIBE), 0);
    cr_assert_str_eq(m.channel, "news");
    cr_assert_eq(m.count, 1);
    cr_assert_eq(next_msg(s, &m, CORIO_REDIS_MSG_SUBSCRIBE), 0);
    cr_assert_str_eq(m.pattern, "sport.*");
    cr_assert_eq(m.count, 2);

    publish(c, "news", "hello");
    cr_assert_eq(corio_redis_sub_get(s, &m, in(5000)), 0);
    cr_assert_eq(m.kind, CORIO_REDIS_MSG_MESSAGE);
    cr_assert_str_eq(m.channel, "news");
    cr_assert_eq(m.data_len, 5);
    cr_assert_str_eq(m.data, "hello");
    publish(c, "sport.tennis", "ace");
    cr_assert_eq(corio_redis_sub_get(s, &m, in(5000)), 0);
    cr_assert_eq(m.kind, CORIO_REDIS_MSG_PMESSAGE);
    cr_assert_str_eq(m.pattern, "sport.*");
    cr_assert_str_eq(m.channel, "sport.tennis");
    cr_assert_str_eq(m.data, "ace");
    cr_assert_eq(corio_redis_sub_get(s, &m, in(50)), -ETIMEDOUT);

    /* The server drops the subscriber: it comes back, says so, and hears
     * the channels again. */
    long long killed;
    cr_assert_eq(corio_redis_int(c, &killed, in(5000), "CLIENT KILL TYPE pubsub"), 0);
    cr_assert_eq(killed, 1);
    cr_assert_eq(corio_redis_sub_get(s, &m, in(10000)), 0);
    cr_assert_eq(m.kind, CORIO_REDIS_MSG_RECONNECTED);
    cr_assert_eq(m.error, -ECONNRESET);
    cr_assert_eq(next_msg(s, &m, CORIO_REDIS_MSG_SUBSCRIBE), 0);
    cr_assert_eq(next_msg(s, &m, CORIO_REDIS_MSG_SUBSCRIBE), 0);
    publish(c, "news", "again");
    cr_assert_eq(next_msg(s, &m, CORIO_REDIS_MSG_MESSAGE), 0);
    cr_assert_str_eq(m.data, "again");

    cr_assert_eq(corio_redis_unsubscribe(s, "news", in(5000)), 0);
    cr_assert_eq(next_msg(s, &m, CORIO_REDIS_MSG_UNSUBSCRIBE), 0);
    cr_assert_str_eq(m.channel, "news");
    cr_assert_eq(m.count, 1);
    corio_redis_sub_close(s);
    corio_redis_close(c);
    return 0;
}
Test(redis, pubsub_and_resubscribe)
{
    pubsub_and_resubscribe_run();
}

RUN(slow_subscriber_is_told)
{
    (void)arg;
    corio_redis *c = connect_to(srv.url);
    cr_assert_eq(
        corio_redis_ok(c, in(5000), "CONFIG SET client-output-buffer-limit %s", "pubsub 64kb 0 0"),
        0);
    corio_redis_sub *s;
    cr_assert_eq(corio_redis_sub_open(srv.url, NULL, &s, in(5000)), 0);
    cr_assert_eq(corio_redis_subscribe(s, "flood", in(5000)), 0);
    corio_redis_msg m;
    cr_assert_eq(next_msg(s, &m, CORIO_REDIS_MSG_SUBSCRIBE), 0);
    /* 16 MiB published while the subscriber does not read. */
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 256; i++) {
        long long n;
        cr_assert_eq(corio_redis_int(c, &n, in(5000), "PUBLISH flood %b", chunk, sizeof chunk), 0);
    }
    int messages = 0;
    for (;;) {
        cr_assert_eq(corio_redis_sub_get(s, &m, in(10000)), 0);
        if (m.kind == CORIO_REDIS_MSG_RECONNECTED)
            break;
        messages++;
    }
    cr_assert_lt(messages, 256);
    corio_redis_sub_close(s);
    corio_redis_close(c);
    return 0;
}
Test(redis, slow_subscriber_is_told)
{
    slow_subscriber_is_told_run();
}

static intptr_t auth_and_db_main(void *arg)
{
    (void)arg;
    redis_server *s = arg;
    corio_redis *c;
    char url[256];
    snprintf(url, sizeof url, "redis://:wrong@127.0.0.1:%d", s->port);
    cr_assert_eq(corio_redis_connect(url, NULL, &c, in(5000)), -CORIO_ESERVER);
    cr_assert_null(c);
    cr_assert(strstr(corio_redis_connect_errstr(), "WRONGPASS") ||
                  strstr(corio_redis_connect_errstr(), "invalid"),
              "%s", corio_redis_connect_errstr());
    /* No password: connecting works, commands are refused. */
    c = connect_to(s->url);
    cr_assert_eq(corio_redis_ok(c, in(5000), "SET a b"), -CORIO_ESERVER);
    cr_assert(strncmp(corio_redis_errstr(c), "NOAUTH", 6) == 0);
    corio_redis_close(c);
    /* The right one, and a database, by TCP and by the Unix socket. */
    snprintf(url, sizeof url, "redis://:s3cr%%65t@127.0.0.1:%d/3", s->port);
    c = connect_to(url);
    cr_assert_eq(corio_redis_ok(c, in(5000), "SET where tcp"), 0);
    corio_redis_close(c);
    snprintf(url, sizeof url, "%s?db=3&password=s3cret", s->unix_url);
    c = connect_to(url);
    char *v;
    cr_assert_eq(corio_redis_str(c, &v, NULL, in(5000), "GET where"), 0);
    cr_assert_str_eq(v, "tcp");
    free(v);
    cr_assert_eq(corio_redis_str(c, &v, NULL, in(5000), "CLIENT INFO"), 0);
    cr_assert(strstr(v, " db=3 "), "%s", v);
    free(v);
    corio_redis_close(c);
    snprintf(url, sizeof url, "redis://default:s3cret@127.0.0.1:%d", s->port);
    c = connect_to(url);
    cr_assert_eq(corio_redis_str(c, &v, NULL, in(5000), "GET where"), -ENOENT); /* db 0 */
    corio_redis_close(c);
    cr_assert_eq(corio_redis_connect("http://127.0.0.1/", NULL, &c, in(5000)), -EINVAL);
    cr_assert_eq(corio_redis_connect("redis://127.0.0.1/x", NULL, &c, in(5000)), -EINVAL);
    return 0;
}
Test(redis, auth_and_db)
{
    redis_server s;
    static const char *const extra[] = {"--requirepass", "s3cret", NULL};
    redis_start(&s, extra);
    cr_assert_eq(corio_run(auth_and_db_main, &s), 0);
    redis_stop(&s);
}

RUN(unix_socket)
{
    (void)arg;
    corio_redis *c = connect_to(srv.unix_url);
    check_roundtrip(c, "k", 100000);
    corio_redis_close(c);
    corio_redis *d;
    cr_assert_eq(corio_redis_connect("unix:///nonexistent/redis.sock", NULL, &d, in(5000)),
                 -ENOENT);
    return 0;
}
Test(redis, unix_socket)
{
    unix_socket_run();
}

static int ended_with_error, other_rc;

static intptr_t doomed(void *arg)
{
    (void)arg;
    corio_redis_reply *r;
    int rc = corio_redis_command(shared, &r, in(30000), "INCR n");
    corio_redis_reply_free(r);
    if (rc == -ECONNRESET)
        ended_with_error++;
    else
        other_rc = rc;
    return 0;
}

/* Holds the server for 5 s (far past the kill), giving up itself at once. */
static intptr_t long_sleeper(void *arg)
{
    (void)arg;
    corio_redis_reply *r;
    int rc = corio_redis_command(shared, &r, in(50), "DEBUG SLEEP 5");
    return rc == -ETIMEDOUT ? 0 : -1;
}

static intptr_t server_killed_mid_pipeline_main(void *arg)
{
    redis_server *s = arg;
    shared = connect_to(s->url);
    ended_with_error = 0;
    corio_task *t[201];
    cr_assert_eq(corio_spawn(NULL, long_sleeper, NULL, &t[200]), 0);
    corio_yield();
    for (int i = 0; i < 200; i++)
        cr_assert_eq(corio_spawn(NULL, doomed, NULL, &t[i]), 0);
    corio_sleep(100);
    kill(s->pid, SIGKILL);
    for (int i = 0; i < 201; i++) {
        cr_assert_eq(corio_join(t[i], NULL, -1), 0);
        corio_task_release(t[i]);
    }
    cr_assert_eq(ended_with_error, 200, "%d of 200; another ended with %d", ended_with_error,
                 other_rc);
    cr_assert_eq(corio_redis_broken(shared), -ECONNRESET);
    corio_redis_close(shared);
    return 0;
}
Test(redis, server_killed_mid_pipeline)
{
    redis_server s;
    redis_start(&s, NULL);
    cr_assert_eq(corio_run(server_killed_mid_pipeline_main, &s), 0);
    redis_stop(&s);
}

static corio_redis_pool *pool;

static intptr_t pool_user(void *arg)
{
    (void)arg;
    corio_redis *c;
    int rc = corio_redis_pool_acquire(pool, &c, in(10000));
    if (rc < 0)
        return rc;
    long long n;
    rc = corio_redis_int(c, &n, in(5000), "INCR used");
    corio_sleep(5);
    corio_redis_pool_release(pool, c);
    return rc;
}

RUN(pool_limits)
{
    (void)arg;
    corio_redis_opts o = {.check_after_ms = 1};
    cr_assert_eq(corio_redis_pool_new(srv.url, &o, 2, &pool), 0);
    corio_redis *a, *b, *x;
    cr_assert_eq(corio_redis_pool_acquire(pool, &a, in(5000)), 0);
    cr_assert_eq(corio_redis_pool_acquire(pool, &b, in(5000)), 0);
    cr_assert_eq(corio_redis_pool_in_use(pool), 2);
    cr_assert_eq(corio_redis_pool_acquire(pool, &x, in(50)), -ETIMEDOUT);
    cr_assert_eq(corio_redis_pool_free(pool), -EBUSY);
    cr_assert_eq(corio_redis_pool_release(pool, a), 0);
    cr_assert_eq(corio_redis_pool_idle(pool), 1);
    cr_assert_eq(corio_redis_pool_acquire(pool, &x, in(5000)), 0);
    cr_assert_eq(x, a); /* reused */
    cr_assert_eq(corio_redis_pool_release(pool, x), 0);
    cr_assert_eq(corio_redis_pool_release(pool, b), 0);

    /* Killed by the server while idle: the health check replaces it. */
    corio_redis *c;
    cr_assert_eq(corio_redis_pool_acquire(pool, &c, in(5000)), 0);
    cr_assert_eq(corio_redis_ok(c, in(5000), "CLIENT KILL TYPE normal SKIPME no"), 0);
    cr_assert_eq(corio_redis_pool_release(pool, c), 0);
    corio_sleep(5);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(corio_redis_pool_acquire(pool, &c, in(5000)), 0);
        cr_assert_eq(corio_redis_ok(c, in(5000), "PING"), 0);
        cr_assert_eq(corio_redis_pool_release(pool, c), 0);
    }

    /* 50 tasks through 2 connections. */
    corio_task *t[50];
    for (int i = 0; i < 50; i++)
        cr_assert_eq(corio_spawn(NULL, pool_user, NULL, &t[i]), 0);
    for (int i = 0; i < 50; i++) {
        intptr_t res;
        cr_assert_eq(corio_join(t[i], &res, -1), 0);
        cr_assert_eq(res, 0);
        corio_task_release(t[i]);
    }
    cr_assert_leq(corio_redis_pool_idle(pool), 2);
    cr_assert_eq(corio_redis_pool_in_use(pool), 0);

    /* A connection whose command was cancelled in flight is not reused. */
    cr_assert_eq(corio_redis_pool_acquire(pool, &c, in(5000)), 0);
    corio_redis_reply *r;
    cr_assert_eq(corio_redis_command(c, &r, in(20), "DEBUG SLEEP 0.1"), -ETIMEDOUT);
    size_t idle = corio_redis_pool_idle(pool);
    cr_assert_eq(corio_redis_pool_release(pool, c), 0);
    cr_assert_eq(corio_redis_pool_idle(pool), idle);
    cr_assert_eq(corio_redis_pool_free(pool), 0);
    return 0;
}
Test(redis, pool_limits)
{
    pool_limits_run();
}

static intptr_t tls_main(void *arg)
{
    int port = (int)(intptr_t)arg;
    char url[128];
    snprintf(url, sizeof url, "rediss://127.0.0.1:%d/2", port);
    corio_redis_opts o = {.ca_file = ca};
    corio_redis *c;
    cr_assert_eq(corio_redis_connect(url, &o, &c, in(5000)), 0);
    check_roundtrip(c, "secret", 1 << 20);
    char *v;
    cr_assert_eq(corio_redis_str(c, &v, NULL, in(5000), "CLIENT INFO"), 0);
    cr_assert(strstr(v, " db=2 "), "%s", v);
    free(v);
    corio_redis_close(c);
    /* Verification is on: without the test CA the server is refused. */
    cr_assert_eq(corio_redis_connect(url, NULL, &c, in(5000)), -EKEYREJECTED);
    return 0;
}

Test(redis_tls, rediss_verified, .timeout = 60, .init = make_certs, .fini = remove_certs)
{
    redis_server s;
    held_port tls;
    char port[16];
    cr_assert_gt(port_hold(&tls), 0);
    snprintf(port, sizeof port, "%d", tls.port);
    const char *const extra[] = {"--tls-port",
                                 port,
                                 "--tls-cert-file",
                                 cert,
                                 "--tls-key-file",
                                 key,
                                 "--tls-ca-cert-file",
                                 ca,
                                 "--tls-auth-clients",
                                 "no",
                                 NULL};
    redis_start(&s, extra);
    cr_assert_eq(corio_run(tls_main, (void *)(intptr_t)atoi(port)), 0);
    redis_stop(&s);
    port_release(&tls);
}
